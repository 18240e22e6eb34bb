//! `csa ingest --append`: new months added without re-reading history, a crime_ref seen
//! again replaces its earlier version (never counted twice), the manifest records each append,
//! and mistakes (other boundaries, no dataset yet) stop it with nothing changed.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{csa, csa_ok, manifest, read_table, strings};
use csa_ingest::ref_index;
use polars::prelude::*;

/// `csa ingest --append` of the extract folder `extract` to the dataset `ds`; its output.
fn append(extract: &Path, boundaries: &str, ds: &str) -> String {
    let e = extract.to_str().unwrap();
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        e,
        "--boundaries",
        boundaries,
        "--out",
        ds,
        "--append",
    ])
}

/// (reference hash, month number) pairs, sorted.
type Entries = Vec<(u64, i32)>;

/// The crime-ref index's entries, and the (hash, month number) of every crime in the
/// dataset's month partitions, sorted.
fn index_and_crimes(ds: &Path) -> (Entries, Entries) {
    let m = manifest(ds);
    let n = ["crimes", "asb", "incidents"].iter().map(|k| m["counts"][k].as_u64().unwrap()).sum();
    let mut r = ref_index::Reader::open(&ds.join(ref_index::FILE), n).expect("a whole index");
    let mut index = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        index.push(e);
    }
    let key = |p: &Path, k: &str| -> i32 {
        p.file_name().unwrap().to_str().unwrap().strip_prefix(k).unwrap().parse().unwrap()
    };
    let mut crimes = Vec::new();
    for y in std::fs::read_dir(ds.join("crimes")).unwrap() {
        let y = y.unwrap().path();
        if !y.is_dir() {
            continue;
        }
        for mo in std::fs::read_dir(&y).unwrap() {
            let mo = mo.unwrap().path();
            let month = key(&y, "year=") * 12 + key(&mo, "month=") - 1;
            for f in std::fs::read_dir(&mo).unwrap() {
                let df = ParquetReader::new(std::fs::File::open(f.unwrap().path()).unwrap())
                    .finish()
                    .unwrap();
                for r in strings(&df, "crime_ref") {
                    crimes.push((ref_index::hash(&r), month));
                }
            }
        }
    }
    crimes.sort_unstable();
    (index, crimes)
}

#[test]
fn append_adds_months_and_replaces_updated_crimes() {
    let tmp = tempfile::tempdir().unwrap();
    let (e24, e25, ds) = (tmp.path().join("e24"), tmp.path().join("e25"), tmp.path().join("ds"));
    csa_ok(&[
        "--quiet",
        "synth",
        "--crimes",
        "2000",
        "--seed",
        "1",
        "--year",
        "2024",
        "--out",
        e24.to_str().unwrap(),
    ]);
    csa_ok(&[
        "--quiet",
        "synth",
        "--crimes",
        "2000",
        "--seed",
        "2",
        "--year",
        "2025",
        "--out",
        e25.to_str().unwrap(),
    ]);
    let wards = common::data("data/boundaries/coventry-wards-2025.geojson");
    let w = wards.to_str().unwrap();
    let d = ds.to_str().unwrap();
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        e24.to_str().unwrap(),
        "--boundaries",
        w,
        "--out",
        d,
    ]);
    let first = manifest(&ds);
    const JAN: &str = "crimes/year=2024/month=1/part-0.parquet";
    let jan_mtime = std::fs::metadata(ds.join(JAN)).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = append(&e25, w, d);
    assert!(out.contains("appended 2500 records (0 replacing"), "{out}");
    let m = manifest(&ds);
    // 2,000 crimes + 500 ASB a year
    assert_eq!(
        (m["counts"]["crimes"].as_u64(), m["counts"]["asb"].as_u64()),
        (Some(4000), Some(1000))
    );
    assert_eq!(
        (m["counts"]["first_month"].as_str(), m["counts"]["last_month"].as_str()),
        (Some("2024-01"), Some("2025-12"))
    );
    assert_eq!(
        m["counts"]["victims"].as_u64().unwrap(),
        first["counts"]["victims"].as_u64().unwrap()
            + m["appends"][0]["victims_added"].as_u64().unwrap()
    );
    assert_eq!(m["inputs"].as_array().unwrap().len(), 6);
    assert_eq!(m["reconciliation"]["balanced"], true);
    let crimes = read_table(&ds, "crimes");
    assert_eq!(crimes.height(), 5000);
    // the first year's files were not rewritten: hard links keep their modification time
    assert_eq!(std::fs::metadata(ds.join(JAN)).unwrap().modified().unwrap(), jan_mtime);

    // an update: one 2024 crime re-dated and reclassified, and one crime in a new month
    let refs = strings(&crimes, "crime_ref");
    let victims = strings(&read_table(&ds, "victims"), "crime_ref");
    let target =
        refs.iter().find(|r| r.starts_with("CV24/") && victims.contains(r)).unwrap().clone();
    let upd = tmp.path().join("upd");
    std::fs::create_dir_all(&upd).unwrap();
    std::fs::write(
        upd.join("crimes.csv"),
        format!("crime_ref,recorded_date,offence_code,easting,northing\n{target},2025-12-15,28E,433866,279103\nUPD/1,2026-01-03,34B,433866,279103\n"),
    )
    .unwrap();
    let out = append(&upd, w, d);
    assert!(out.contains("appended 2 records (1 replacing"), "{out}");
    let m = manifest(&ds);
    assert_eq!(
        m["counts"]["crimes"].as_u64(),
        Some(4001),
        "the re-sent crime is not counted twice"
    );
    assert_eq!(m["appends"].as_array().unwrap().len(), 2);
    assert_eq!(m["appends"][1]["replaced"], 1);
    assert_eq!(m["counts"]["last_month"], "2026-01");
    let crimes = read_table(&ds, "crimes");
    assert_eq!(crimes.height(), 5001);
    let refs = strings(&crimes, "crime_ref");
    assert_eq!(refs.iter().filter(|r| **r == target).count(), 1);
    let row = refs.iter().position(|r| *r == target).unwrap();
    assert_eq!(strings(&crimes, "offence_code")[row], "28E");
    // its earlier victims went with the earlier version (the update sent none)
    assert!(!strings(&read_table(&ds, "victims"), "crime_ref").contains(&target));
    assert_eq!(
        read_table(&ds, "victims").height() as u64,
        m["counts"]["victims"].as_u64().unwrap()
    );
    // analyses see the appended months
    let by_month = csa_ok(&[
        "breakdown",
        "--dataset",
        d,
        "--from",
        "2025-02",
        "--to",
        "2026-01",
        "--by",
        "month",
        "--format",
        "csv",
    ]);
    assert!(by_month.contains("2026-01,1,"), "{by_month}");
    // the crime-ref index holds exactly the dataset's crimes, with their months
    let (index, crimes) = index_and_crimes(&ds);
    assert_eq!(index.len(), 5001);
    assert_eq!(index, crimes);

    // a dataset without its index (written before it, or the file lost): the append reads
    // every month's refs, still replaces, and leaves a whole index behind
    std::fs::remove_file(ds.join(ref_index::FILE)).unwrap();
    let upd2 = tmp.path().join("upd2");
    std::fs::create_dir_all(&upd2).unwrap();
    std::fs::write(
        upd2.join("crimes.csv"),
        "crime_ref,recorded_date,offence_code,easting,northing\nUPD/1,2026-02-03,34B,433866,279103\n",
    )
    .unwrap();
    let out = append(&upd2, w, d);
    assert!(out.contains("appended 1 records (1 replacing"), "{out}");
    let (index, crimes) = index_and_crimes(&ds);
    assert_eq!(index.len(), 5001);
    assert_eq!(index, crimes);
    assert!(index.contains(&(ref_index::hash("UPD/1"), 2026 * 12 + 1)));
    assert!(!index.contains(&(ref_index::hash("UPD/1"), 2026 * 12)));

    // other boundaries: refused, nothing changed
    let before = std::fs::read(ds.join("manifest.json")).unwrap();
    let other = common::data("data/boundaries/coventry-warwickshire-wards-2025.geojson");
    let e = csa(&[
        "--quiet",
        "ingest",
        "--extract",
        upd.to_str().unwrap(),
        "--boundaries",
        other.to_str().unwrap(),
        "--out",
        d,
        "--append",
    ]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr)
        .contains("is not the boundaries file the dataset was built with"));
    assert_eq!(std::fs::read(ds.join("manifest.json")).unwrap(), before);
    // no dataset yet
    let e = csa(&[
        "--quiet",
        "ingest",
        "--extract",
        upd.to_str().unwrap(),
        "--boundaries",
        w,
        "--out",
        tmp.path().join("none").to_str().unwrap(),
        "--append",
    ]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("no dataset to append to"));
    // nothing left beside the dataset
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}
