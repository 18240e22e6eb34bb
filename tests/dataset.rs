//! The dataset on disk: hive-partitioned Parquet that a lazy hive scan reads back with
//! year and month columns, a manifest with hashes, and atomic replacement.

mod common;

use common::*;
use polars::prelude::*;

fn ingest_fixture(out: &std::path::Path) {
    csa_ok(&[
        "ingest",
        "--quiet",
        "--police-uk",
        data("tests/data/bad-police-uk").to_str().expect("utf8"),
        "--extract",
        data("tests/data/bad-extract").to_str().expect("utf8"),
        "--boundaries",
        data("data/boundaries/coventry-wards-2025.geojson").to_str().expect("utf8"),
        "--lsoa-boundaries",
        data("data/boundaries/coventry-lsoa-2021.geojson").to_str().expect("utf8"),
        "--lsoa-lookup",
        data("data/lookups/lsoa21-wd25.csv.gz").to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
}

fn scan(dir: &std::path::Path) -> DataFrame {
    let args = ScanArgsParquet {
        hive_options: HiveOptions { enabled: Some(true), ..Default::default() },
        ..Default::default()
    };
    LazyFrame::scan_parquet(PlRefPath::from(dir.to_str().expect("utf8")), args)
        .expect("scan")
        .collect()
        .expect("collect")
}

#[test]
fn hive_partitions_read_back_with_year_and_month() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    ingest_fixture(&out);
    let crimes = scan(&out.join("crimes"));
    assert_eq!(crimes.height(), 4 + 3);
    let months: Vec<Option<i64>> = crimes
        .column("month")
        .expect("month")
        .cast(&DataType::Int64)
        .expect("int")
        .i64()
        .expect("i64")
        .iter()
        .collect();
    // police.uk rows are March 2025, extract rows April 2025
    let mut m: Vec<i64> = months.into_iter().map(|x| x.expect("month")).collect();
    m.sort();
    assert_eq!(m, vec![3, 3, 3, 3, 4, 4, 4]);
    // the quarantined row with an unreadable month sits in the null partition
    let q = scan(&out.join("quarantine"));
    let null_months = q.column("month").expect("month").null_count();
    // null month: T2 (unparseable date), the victim of crime NOPE and the offender of T2
    assert_eq!(null_months, 3);
    // LSOA filled by point in polygon for extract rows (they had none)
    let t1 = strings(&crimes, "crime_ref").iter().position(|r| r == "T1").expect("T1");
    assert!(strings(&crimes, "lsoa_code")[t1].starts_with("E01"));
    // victims partitioned by their crime's month
    assert_eq!(scan(&out.join("victims")).height(), 2);
}

#[test]
fn manifest_records_inputs_hashes_and_reconciliation() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    ingest_fixture(&out);
    let m = manifest(&out);
    assert_eq!(m["schema_version"], 2);
    assert!(m["tool"].as_str().expect("tool").starts_with("csa "));
    let inputs = m["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 4);
    for i in inputs {
        let path = i["path"].as_str().expect("path");
        let bytes = std::fs::read(path).expect("input");
        assert_eq!(i["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(i["sha256"].as_str().expect("sha").len(), 64);
        assert_eq!(
            i["rows_read"].as_u64().expect("read"),
            i["accepted"].as_u64().expect("acc") + i["quarantined"].as_u64().expect("q")
        );
    }
    assert_eq!(m["reconciliation"]["rows_read"], 13 + 11 + 8 + 2);
    assert_eq!(m["reconciliation"]["balanced"], true);
    assert!(m["boundaries"]["description"].as_str().expect("desc").contains("18 areas"));
    let parts = m["partitions"].as_array().expect("partitions");
    for p in parts {
        assert!(out.join(p["path"].as_str().expect("path")).is_file());
    }
}

#[test]
fn rerun_replaces_the_dataset_whole() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    ingest_fixture(&out);
    // a stray file in the old dataset must not survive a re-run
    std::fs::write(out.join("crimes").join("stale.parquet"), b"junk").expect("write");
    ingest_fixture(&out);
    assert!(!out.join("crimes").join("stale.parquet").exists());
    assert_eq!(scan(&out.join("crimes")).height(), 7);
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["ds"]);
}
