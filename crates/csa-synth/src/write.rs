//! Writing a synthetic year as a canonical force extract or as police.uk monthly files.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::Datelike;
use csa_model::CrimeType;

use crate::rng::splitmix;
use crate::{lsoa_of, Synthetic};

fn create(path: &Path, gzip: bool) -> std::io::Result<Box<dyn Write>> {
    let f = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    Ok(if gzip {
        // mtime 0 and no file name: same bytes on every run
        Box::new(flate2::GzBuilder::new().mtime(0).write(f, flate2::Compression::new(6)))
    } else {
        Box::new(f)
    })
}

fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// Writes `crimes.csv`, `victims.csv`, `offenders.csv` (optionally `.gz`) in the canonical
/// extract format, and the partner extract `ambulance.csv` ([`crate::partner`]). Returns the
/// paths written.
pub fn write_extract(s: &Synthetic, dir: &Path, gzip: bool) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let ext = if gzip { "csv.gz" } else { "csv" };
    let paths: Vec<PathBuf> =
        ["crimes", "victims", "offenders"].iter().map(|t| dir.join(format!("{t}.{ext}"))).collect();
    let mut c = create(&paths[0], gzip)?;
    writeln!(c, "crime_ref,recorded_date,committed_from,committed_to,offence_code,crime_type,easting,northing,location_type,location_desc,domestic_abuse,hate_race,hate_religion,hate_sexual_orientation,hate_disability,hate_transgender,alcohol_related,outcome,weapon")?;
    let mut v = create(&paths[1], gzip)?;
    writeln!(v, "crime_ref,person_id,age,sex,ethnicity")?;
    let mut o = create(&paths[2], gzip)?;
    writeln!(o, "crime_ref,person_id,age,sex,ethnicity,relationship_to_victim")?;
    for r in &s.records {
        let to = r.committed_to.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default();
        writeln!(
            c,
            "{},{},{},{},{},{},{:.0},{:.0},{},{},{},{},{},{},{},{},{},{},{}",
            r.crime_ref,
            r.recorded_date.format("%Y-%m-%d"),
            r.committed_from.format("%Y-%m-%dT%H:%M"),
            to,
            r.offence_code.as_deref().unwrap_or(""),
            r.crime_type.name(),
            r.easting,
            r.northing,
            r.location_type.name(),
            csv_field(r.street),
            yes(r.domestic_abuse),
            yes(r.hate[0]),
            yes(r.hate[1]),
            yes(r.hate[2]),
            yes(r.hate[3]),
            yes(r.hate[4]),
            yes(r.alcohol_related),
            csv_field(r.outcome),
            yes(r.weapon),
        )?;
        for p in &r.victims {
            let age = p.age.map(|a| a.to_string()).unwrap_or_default();
            writeln!(
                v,
                "{},{},{},{},{}",
                r.crime_ref,
                p.id,
                age,
                p.sex.name(),
                p.ethnicity.name()
            )?;
        }
        for p in &r.offenders {
            let age = p.age.map(|a| a.to_string()).unwrap_or_default();
            writeln!(
                o,
                "{},{},{},{},{},{}",
                r.crime_ref,
                p.id,
                age,
                p.sex.name(),
                p.ethnicity.name(),
                p.relationship.unwrap_or("")
            )?;
        }
    }
    c.flush()?;
    v.flush()?;
    o.flush()?;
    drop((c, v, o));
    // the partner extract: ambulance attendances (crate::partner)
    let apath = dir.join(format!("ambulance.{ext}"));
    let mut a = create(&apath, gzip)?;
    a.write_all(crate::partner::ambulance_csv(&crate::partner::ambulance(s).0).as_bytes())?;
    a.flush()?;
    drop(a);
    let mut paths = paths;
    paths.push(apath);
    Ok(paths)
}

/// Writes one `YYYY-MM-west-midlands-street.csv[.gz]` per month, in the police.uk layout:
/// 64-hex Crime IDs (empty for ASB), points snapped to a ~100 m grid of map points,
/// "On or near" street names, 2021 LSOAs, no people.
pub fn write_police_uk(s: &Synthetic, dir: &Path, gzip: bool) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let lsoa = lsoa_of(s);
    let force = "West Midlands Police";
    let mut order: Vec<usize> = (0..s.records.len()).collect();
    order.sort_by_key(|&i| {
        (s.records[i].recorded_date.year(), s.records[i].recorded_date.month(), i)
    });
    let mut paths = Vec::new();
    let mut current: Option<((i32, u32), Box<dyn Write>)> = None;
    for i in order {
        let r = &s.records[i];
        let ym = (r.recorded_date.year(), r.recorded_date.month());
        if current.as_ref().map(|c| c.0) != Some(ym) {
            if let Some((_, mut w)) = current.take() {
                w.flush()?;
            }
            let ext = if gzip { "csv.gz" } else { "csv" };
            let path = dir.join(format!("{:04}-{:02}-west-midlands-street.{ext}", ym.0, ym.1));
            let mut w = create(&path, gzip)?;
            writeln!(w, "{}", crate_header())?;
            paths.push(path);
            current = Some((ym, w));
        }
        let Some((_, w)) = current.as_mut() else { continue };
        let id = if r.crime_type == CrimeType::AntiSocialBehaviour {
            String::new()
        } else {
            let h = |k: u64| splitmix(s.truth.seed ^ splitmix(i as u64 ^ (k << 40)));
            format!("{:016x}{:016x}{:016x}{:016x}", h(1), h(2), h(3), h(4))
        };
        // snap to map points about 70 m x 110 m apart, as police.uk anonymises locations
        let lon = (r.lon / 0.001).round() * 0.001;
        let lat = (r.lat / 0.001).round() * 0.001;
        let (lc, ln) = lsoa[i].clone().unwrap_or_default();
        writeln!(
            w,
            "{id},{:04}-{:02},{force},{force},{lon:.6},{lat:.6},On or near {},{lc},{ln},{},{},",
            ym.0,
            ym.1,
            r.street,
            r.crime_type.name(),
            csv_field(r.outcome),
        )?;
    }
    if let Some((_, mut w)) = current.take() {
        w.flush()?;
    }
    Ok(paths)
}

fn crate_header() -> &'static str {
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
}

/// Writes `ground_truth.json`.
pub fn write_ground_truth(s: &Synthetic, path: &Path) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(&s.truth).map_err(std::io::Error::other)?;
    std::fs::write(path, json + "\n")
}
