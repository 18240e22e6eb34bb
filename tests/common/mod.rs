//! Helpers shared by the integration tests: paths, running the `csa` binary, reading a
//! dataset table back with polars.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `data/` or `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    root().join(rel)
}

/// `../shared/data/real/<rel>` when the shared folder is beside the clone.
///
/// `None` lets a test skip when the folder is absent (a clone on its own). `.ci/run` sets
/// `CSA_REQUIRE_SHARED=1` when `../shared` is there: then a missing file is a failure, so CI
/// proves what those tests check instead of skipping them.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join("data").join("real").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CSA_REQUIRE_SHARED").is_none(),
        "CSA_REQUIRE_SHARED is set but {} is missing",
        p.display()
    );
    None
}

/// Runs `csa` with arguments; returns its output.
pub fn csa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csa")).args(args).output().expect("run csa")
}

/// Runs `csa` and panics with its stderr unless it exits 0.
pub fn csa_ok(args: &[&str]) -> String {
    let out = csa(args);
    assert!(
        out.status.success(),
        "csa {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every Parquet file of one table, stacked (hive keys not added).
pub fn read_table(dataset: &Path, table: &str) -> DataFrame {
    let mut files = Vec::new();
    collect(&dataset.join(table), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no parquet files for {table} in {}", dataset.display());
    let mut out: Option<DataFrame> = None;
    for f in files {
        let df = ParquetReader::new(std::fs::File::open(&f).expect("open"))
            .finish()
            .expect("read parquet");
        out = Some(match out {
            None => df,
            Some(mut acc) => {
                acc.vstack_mut(&df).expect("same schema");
                acc
            }
        });
    }
    out.expect("at least one file")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
}

/// Values of a string column (nulls as "").
pub fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .expect("column")
        .str()
        .expect("string column")
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect()
}

/// The manifest of a dataset.
pub fn manifest(dataset: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dataset.join("manifest.json")).expect("manifest"))
        .expect("json")
}

/// Ingests the shipped March 2025 Warwickshire police.uk month (no people, month-only dates)
/// into `ds`, over the Coventry and Warwickshire wards.
pub fn ingest_police_uk_march(ds: &Path) {
    csa_ok(&[
        "--quiet",
        "ingest",
        "--police-uk",
        data("data/police-uk/warwickshire-2025/2025-03-warwickshire-street.csv.gz")
            .to_str()
            .expect("utf-8 path"),
        "--boundaries",
        data("data/boundaries/coventry-warwickshire-wards-2025.geojson")
            .to_str()
            .expect("utf-8 path"),
        "--out",
        ds.to_str().expect("utf-8 path"),
    ]);
}

/// Helpers of the `csa serve` tests.
pub mod serve;
