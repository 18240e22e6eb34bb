//! A real police.uk month gives per-type counts equal to an independent count of the CSV,
//! every row is accounted for, and ward assignment by R-tree equals brute force.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use common::*;

/// Reads a police.uk CSV (plain or gzip) with the csv crate, independently of csa.
fn raw_rows(path: &Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(path).expect("read");
    let mut text = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut text).expect("gunzip");
    } else {
        text = bytes;
    }
    csv::Reader::from_reader(&text[..]).records().map(|r| r.expect("csv row")).collect()
}

fn lookup_lsoas() -> HashSet<String> {
    raw_rows(&data("data/lookups/lsoa21-wd25.csv.gz")).iter().map(|r| r[0].to_string()).collect()
}

/// Expected accepted rows per crime type: coordinates present, or LSOA in the lookup; a
/// repeated Crime ID counts once.
fn independent_counts(
    rows: &[csv::StringRecord],
    lsoas: &HashSet<String>,
) -> (BTreeMap<String, u64>, u64) {
    let mut seen = HashSet::new();
    let mut counts = BTreeMap::new();
    let mut accepted = 0;
    for r in rows {
        let has_xy = !r[4].is_empty() && !r[5].is_empty();
        if !has_xy && !lsoas.contains(&r[7]) {
            continue;
        }
        if !r[0].is_empty() && !seen.insert(r[0].to_string()) {
            continue;
        }
        *counts.entry(r[9].to_string()).or_insert(0) += 1;
        accepted += 1;
    }
    (counts, accepted)
}

fn check_month(path: &Path, boundaries: &Path) {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    csa_ok(&[
        "ingest",
        "--quiet",
        "--police-uk",
        path.to_str().expect("utf8"),
        "--boundaries",
        boundaries.to_str().expect("utf8"),
        "--lsoa-lookup",
        data("data/lookups/lsoa21-wd25.csv.gz").to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let rows = raw_rows(path);
    let (expected, accepted) = independent_counts(&rows, &lookup_lsoas());
    let crimes = read_table(&out, "crimes");
    let mut got = BTreeMap::new();
    for t in strings(&crimes, "crime_type") {
        *got.entry(t).or_insert(0u64) += 1;
    }
    assert_eq!(got, expected, "per-type counts of {}", path.display());
    let m = manifest(&out);
    let input = &m["inputs"][0];
    assert_eq!(input["rows_read"].as_u64(), Some(rows.len() as u64));
    assert_eq!(input["accepted"].as_u64(), Some(accepted));
    assert_eq!(
        input["accepted"].as_u64().unwrap_or(0) + input["quarantined"].as_u64().unwrap_or(0),
        rows.len() as u64
    );
    let q = read_table(&out, "quarantine");
    assert_eq!(q.height() as u64, rows.len() as u64 - accepted);
    let asb_expected = expected.get("Anti-social behaviour").copied().unwrap_or(0);
    assert_eq!(m["counts"]["asb"].as_u64(), Some(asb_expected));
}

#[test]
fn shipped_warwickshire_month_matches_an_independent_count() {
    check_month(
        &data("data/police-uk/warwickshire-2025/2025-06-warwickshire-street.csv.gz"),
        &data("data/boundaries/coventry-warwickshire-wards-2025.geojson"),
    );
}

#[test]
fn west_yorkshire_2018_07_matches_an_independent_count() {
    // reads ../shared when it is beside the clone, as CI has it
    let Some(path) = shared("police/west-yorkshire/2018-07-west-yorkshire-street.csv.gz") else {
        eprintln!("skipped: ../shared/data/real/police/west-yorkshire not present");
        return;
    };
    check_month(&path, &data("data/boundaries/coventry-wards-2025.geojson"));
}

#[test]
fn rtree_ward_assignment_equals_brute_force_on_every_point() {
    let text =
        std::fs::read_to_string(data("data/boundaries/coventry-warwickshire-wards-2025.geojson"))
            .expect("read");
    let index = csa_geo::AreaIndex::new(
        csa_geo::Boundaries::from_geojson(&text, "WD25CD", "WD25NM").expect("parse"),
    );
    assert_eq!(index.areas().len(), 126, "Coventry (18) + the five Warwickshire districts (108)");
    let mut points = HashSet::new();
    for entry in std::fs::read_dir(data("data/police-uk/warwickshire-2025")).expect("ls") {
        for r in raw_rows(&entry.expect("entry").path()) {
            if let (Ok(x), Ok(y)) = (r[4].parse::<f64>(), r[5].parse::<f64>()) {
                points.insert((x.to_bits(), y.to_bits()));
            }
        }
    }
    assert!(points.len() > 5_000, "{} distinct points", points.len());
    let mut inside = 0;
    for &(x, y) in &points {
        let (lon, lat) = (f64::from_bits(x), f64::from_bits(y));
        let a = index.locate(lon, lat);
        assert_eq!(a, index.locate_brute_force(lon, lat), "point {lon}, {lat}");
        inside += a.is_some() as usize;
    }
    // Warwickshire Police's crimes fall overwhelmingly inside its own districts
    assert!(inside * 10 > points.len() * 8, "{inside} of {} inside", points.len());
}
