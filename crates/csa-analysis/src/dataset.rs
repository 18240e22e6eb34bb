//! What a dataset folder holds: its typed manifest ([`csa_model::Manifest`]) and its month
//! partitions (`TABLE/year=Y/month=M/part-0.parquet`), and reading one partition's columns.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use csa_model::manifest::{Manifest, MANIFEST_FILE};
use csa_model::Col;
use polars::prelude::*;
use rustc_hash::FxHashMap;

use crate::error::{AnalysisError, Result};
use crate::period::Month;

/// What a dataset folder holds, read from its manifest and partition folders.
#[derive(Debug, Clone)]
pub struct DatasetInfo {
    pub dir: PathBuf,
    /// Months with a crimes partition, ascending.
    pub months: Vec<Month>,
    pub victims: u64,
    pub offenders: u64,
    /// SHA-256 of `manifest.json`: identifies this version of the dataset.
    pub manifest_sha256: String,
    /// The ward boundaries file the dataset was built with, as the manifest names it.
    pub boundaries: Option<BoundariesRef>,
    /// The manifest, typed.
    pub manifest: Manifest,
}

/// A boundaries file and the feature properties holding each area's code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundariesRef {
    pub path: PathBuf,
    pub code_property: String,
    pub name_property: String,
}

impl DatasetInfo {
    pub fn open(dir: &Path) -> Result<DatasetInfo> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&manifest_path).map_err(|e| AnalysisError::Dataset {
            path: dir.to_path_buf(),
            detail: format!(
                "not a csa dataset ({MANIFEST_FILE}: {e}); build one with `csa ingest ... --out {}`",
                dir.display()
            ),
        })?;
        let manifest = Manifest::from_json(&bytes).map_err(|e| AnalysisError::Dataset {
            path: manifest_path.clone(),
            detail: format!(
                "unreadable manifest ({e}); it was not written by this version of csa: \
                 ingest the inputs again"
            ),
        })?;
        let mut months = partitions(&dir.join("crimes"))?.into_keys().collect::<Vec<_>>();
        months.sort();
        use sha2::Digest;
        let manifest_sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
        let props = manifest.boundaries.area_properties();
        let boundaries = Some(BoundariesRef {
            path: PathBuf::from(&manifest.boundaries.path),
            code_property: props.code_property,
            name_property: props.name_property,
        });
        Ok(DatasetInfo {
            dir: dir.to_path_buf(),
            months,
            victims: manifest.counts.victims,
            offenders: manifest.counts.offenders,
            manifest_sha256,
            boundaries,
            manifest,
        })
    }

    /// The default key of the person-id pseudonyms: SHA-256 over the bytes of the dataset's
    /// victims and offenders files (in path order). Only someone holding the person records
    /// can compute it, so published pseudonyms cannot be reversed from anything published
    /// (input hashes, the manifest); the same inputs give the same dataset bytes and so the
    /// same pseudonyms.
    pub fn people_key(&self) -> Result<String> {
        use sha2::Digest;
        let mut files = Vec::new();
        for table in ["victims", "offenders"] {
            for (_, path) in partitions(&self.dir.join(table))? {
                files.push(path);
            }
        }
        files.sort();
        let mut h = sha2::Sha256::new();
        h.update(b"csa pseudonym key\0");
        for f in &files {
            let bytes = std::fs::read(f)
                .map_err(|source| AnalysisError::Read { path: f.clone(), source })?;
            h.update(bytes);
        }
        Ok(format!("{:x}", h.finalize()))
    }

    pub fn has_people(&self) -> bool {
        self.victims + self.offenders > 0
    }

    pub fn latest(&self) -> Option<Month> {
        self.months.last().copied()
    }

    /// Whether the latest month is complete (see [`crate::period`]).
    pub fn latest_complete(&self) -> Result<bool> {
        let Some(last) = self.latest() else { return Ok(true) };
        let path = partition_path(&self.dir, "crimes", last);
        let df = read_partition(&path, &[Col::RecordedDate.name(), Col::DatePrecision.name()])?;
        let precision = df
            .column(Col::DatePrecision.name())
            .and_then(|c| c.str().cloned())
            .map_err(|e| dataset_err(&path, e))?;
        if precision.iter().any(|p| p == Some("month")) {
            return Ok(true);
        }
        let dates = df
            .column(Col::RecordedDate.name())
            .and_then(|c| c.date().cloned())
            .map_err(|e| dataset_err(&path, e))?;
        let max = dates.physical().iter().flatten().max();
        let last_day = (last.last_day() - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
            .num_days() as i32;
        Ok(max == Some(last_day))
    }
}

pub(crate) fn dataset_err(path: &Path, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Dataset { path: path.to_path_buf(), detail: e.to_string() }
}

/// `table/year=Y/month=M/part-0.parquet`
pub(crate) fn partition_path(dir: &Path, table: &str, m: Month) -> PathBuf {
    dir.join(table)
        .join(format!("year={}", m.year()))
        .join(format!("month={}", m.month()))
        .join("part-0.parquet")
}

/// Month partitions of one table folder (the null partition is skipped: crimes always have a
/// recorded date).
pub(crate) fn partitions(table_dir: &Path) -> Result<FxHashMap<Month, PathBuf>> {
    let mut out = FxHashMap::default();
    let rd = |p: &Path| {
        std::fs::read_dir(p).map_err(|source| AnalysisError::Read { path: p.to_path_buf(), source })
    };
    if !table_dir.exists() {
        return Ok(out);
    }
    for y in rd(table_dir)? {
        let y = y
            .map_err(|source| AnalysisError::Read { path: table_dir.to_path_buf(), source })?
            .path();
        let Some(year) = y
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("year="))
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        for m in rd(&y)? {
            let m = m.map_err(|source| AnalysisError::Read { path: y.clone(), source })?.path();
            let Some(month) = m
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("month="))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let file = m.join("part-0.parquet");
            if file.exists() && (1..=12).contains(&month) {
                out.insert(Month::new(year, month), file);
            }
        }
    }
    Ok(out)
}

pub(crate) fn read_partition(path: &Path, columns: &[&str]) -> Result<DataFrame> {
    let file = std::fs::File::open(path)
        .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
    ParquetReader::new(file)
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .finish()
        .map_err(|e| dataset_err(path, e))
}
