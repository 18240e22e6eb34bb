//! The seed corpora of every fuzz target, made from the repository's own data (`data/`,
//! `tests/data/`): a few dozen rows of real police.uk months, the synthetic extract as CSV and
//! as Parquet (text and typed columns), the shipped mapping, configurations and targets, two
//! simplified ward and LSOA features (lon/lat and BNG), the demo survey, the LSOA lookup.
//! Seeds are kept small: AFL++ mutates small files faster.

use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

/// Any failure, as text for the caller.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn read(path: &Path) -> Res<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        return Ok(out);
    }
    Ok(raw)
}

/// The first `n` lines (header included).
fn head(data: &[u8], n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n').take(n) {
        out.extend_from_slice(line);
    }
    out
}

struct Out(PathBuf);

impl Out {
    fn put(&self, target: &str, name: &str, bytes: &[u8]) -> Res<()> {
        let dir = self.0.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)?;
        Ok(())
    }
}

/// A CSV's first rows as a Parquet file; `typed` stores numbers and dates as such (as a
/// force's own export would), otherwise every column is text.
fn parquet(csv: &[u8], typed: bool) -> Res<Vec<u8>> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(csv);
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>()?;
    let mut cols = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let values: Vec<Option<&str>> =
            rows.iter().map(|r| r.get(i).filter(|v| !v.is_empty())).collect();
        let s = Column::new(name.as_str().into(), values);
        let s = match (typed, name.as_str()) {
            (true, "age" | "easting" | "northing") => s.cast(&DataType::Float64)?,
            (true, "recorded_date") => s.cast(&DataType::Date)?,
            _ => s,
        };
        cols.push(s);
    }
    let mut df = DataFrame::new(rows.len(), cols)?;
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}

/// A FeatureCollection of the first `n` features, each ring cut down to about 12 positions
/// (closed again); in BNG with a `crs` member when `bng`.
fn boundaries(text: &str, n: usize, bng: bool) -> Res<Vec<u8>> {
    use serde_json::{json, Value};
    let root: Value = serde_json::from_str(text)?;
    let features = root["features"].as_array().ok_or("no features")?;
    let ring = |r: &Value| -> Value {
        let pts = r.as_array().cloned().unwrap_or_default();
        let step = (pts.len() / 12).max(1);
        let mut out: Vec<Value> = pts.iter().step_by(step).cloned().collect();
        if let Some(first) = pts.first() {
            out.push(first.clone());
        }
        let out = out
            .into_iter()
            .map(|p| {
                let (x, y) = (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0));
                let (x, y) =
                    if bng { csa_geo::lonlat_to_bng(x, y).unwrap_or((0.0, 0.0)) } else { (x, y) };
                let r = |v: f64| (v * 1e5).round() / 1e5;
                json!([r(x), r(y)])
            })
            .collect();
        Value::Array(out)
    };
    let mut fs = Vec::new();
    for f in features.iter().take(n) {
        let g = &f["geometry"];
        let coords = match g["type"].as_str() {
            Some("Polygon") => {
                Value::Array(g["coordinates"].as_array().ok_or("rings")?.iter().map(ring).collect())
            }
            _ => Value::Array(
                g["coordinates"]
                    .as_array()
                    .ok_or("polygons")?
                    .iter()
                    .map(|p| {
                        Value::Array(
                            p.as_array().cloned().unwrap_or_default().iter().map(ring).collect(),
                        )
                    })
                    .collect(),
            ),
        };
        let props: serde_json::Map<String, Value> = f["properties"]
            .as_object()
            .ok_or("properties")?
            .iter()
            .filter(|(k, _)| k.ends_with("CD") || k.ends_with("NM"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        fs.push(json!({"type": "Feature", "properties": props,
            "geometry": {"type": g["type"], "coordinates": coords}}));
    }
    let mut root = json!({"type": "FeatureCollection", "features": fs});
    if bng {
        root["crs"] =
            json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}});
    }
    Ok(serde_json::to_vec(&root)?)
}

/// Writes `out/<target>/*` from the data of the repository at `root`.
pub fn write(root: &Path, out: &Path) -> Res<()> {
    let o = Out(out.to_path_buf());
    let d = |p: &str| root.join(p);

    // police.uk: two real months, and the test file of bad rows
    for m in ["01", "07"] {
        let f = read(&d(&format!(
            "data/police-uk/warwickshire-2025/2025-{m}-warwickshire-street.csv.gz"
        )))?;
        o.put("police_uk", &format!("2025-{m}.csv"), &head(&f, 25))?;
    }
    o.put("police_uk", "bad.csv", &read(&d("tests/data/bad-police-uk/2025-03-test-street.csv"))?)?;

    // extracts: the first byte picks table (0 crimes, 1 victims, 2 offenders) and mapping (+3)
    let ex = "data/demo/coventry-extract";
    for (i, t) in ["crimes", "victims", "offenders"].iter().enumerate() {
        let csv = head(&read(&d(&format!("{ex}/{t}.csv.gz")))?, 20);
        let mut seed = vec![i as u8];
        seed.extend_from_slice(&csv);
        o.put("extract_csv", &format!("{t}.csv"), &seed)?;
        let mut seed = vec![i as u8];
        seed.extend_from_slice(&read(&d(&format!("tests/data/bad-extract/{t}.csv")))?);
        o.put("extract_csv", &format!("bad-{t}.csv"), &seed)?;
        o.put("extract_parquet", &format!("{t}.parquet"), &parquet(&head(&csv, 8), false)?)?;
        o.put("extract_parquet", &format!("{t}-typed.parquet"), &parquet(&head(&csv, 8), true)?)?;
    }
    let mut seed = vec![3u8];
    seed.extend_from_slice(b"crime_ref,recorded_date,committed_from,crime_type,location_type,latitude,longitude\nA1,03/01/2025,03/01/2025 22:15,burglary,RES,52.40,-1.51\nA2,20250214,,robbery,dwelling,,\n");
    o.put("extract_csv", "mapped.csv", &seed)?;

    o.put("mapping", "example.toml", &read(&d("data/demo/mapping-example.toml"))?)?;
    for (name, path) in [
        ("priorities.toml", "data/config/priorities.toml"),
        ("assessment.toml", "data/demo/assessment.toml"),
        ("police-uk.toml", "data/demo/warwickshire-police-uk.toml"),
    ] {
        o.put("config", name, &read(&d(path))?)?;
    }
    o.put("targets", "targets.toml", &read(&d("data/demo/targets.toml"))?)?;

    let wards = String::from_utf8(read(&d("data/boundaries/coventry-wards-2025.geojson"))?)?;
    o.put("boundaries", "wards.geojson", &boundaries(&wards, 2, false)?)?;
    o.put("boundaries", "wards-bng.geojson", &boundaries(&wards, 1, true)?)?;
    let lsoas = String::from_utf8(read(&d("data/boundaries/coventry-lsoa-2021.geojson"))?)?;
    o.put("boundaries", "lsoas.geojson", &boundaries(&lsoas, 2, false)?)?;

    o.put("survey", "survey.csv", &head(&read(&d("data/demo/survey/survey.csv"))?, 12))?;
    o.put("lsoa_lookup", "lookup.csv", &head(&read(&d("data/lookups/lsoa21-wd25.csv.gz"))?, 20))?;
    Ok(())
}
