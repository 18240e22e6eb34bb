//! Writing the dataset: one polars DataFrame per table, split into hive-style partitions
//! `TABLE/year=YYYY/month=M/part-0.parquet` (rows whose month is unknown go to
//! `year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__`, Hive's name for null),
//! zstd-compressed. DuckDB (`read_parquet('crimes/**/*.parquet', hive_partitioning=true)`),
//! Spark, DataFusion and polars read the folders as one table with `year` and `month` columns.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use csa_model::{Col, OffenceTable, CRIMES, OFFENDERS, QUARANTINE, VICTIMS};
use polars::prelude::*;

use crate::error::{IngestError, Result};
use crate::record::{CrimeRow, PersonRow, Quarantined};

/// Hive's folder value for a null partition key.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// One written Parquet file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub table: String,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub rows: u64,
    pub path: String,
}

fn col<T, Phantom: ?Sized>(c: Col, values: T) -> Column
where
    Series: NamedFrom<T, Phantom>,
{
    Series::new(c.name().into(), values).into_column()
}

/// A frame whose columns must be exactly `order` (the layout `csa-model` documents).
fn frame(height: usize, columns: Vec<Column>, order: &[Col]) -> Result<DataFrame> {
    let names: Vec<&str> = columns.iter().map(|c| c.name().as_str()).collect();
    let expected: Vec<&str> = order.iter().map(|c| c.name()).collect();
    if names != expected {
        return Err(IngestError::Internal(format!("columns {names:?} do not follow the schema {expected:?}")));
    }
    DataFrame::new(height, columns).map_err(|e| IngestError::Internal(format!("building a frame: {e}")))
}

/// The crimes table, rows in the given order.
/// One value per row.
fn map<'a, T, U>(rows: &[&'a T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(|r| f(r)).collect()
}

pub fn crimes_frame<'a>(rows: &[&'a CrimeRow], files: &'a [String], offences: &'a OffenceTable) -> Result<DataFrame> {
    let n = rows.len();
    let s = |f: &dyn Fn(&'a CrimeRow) -> Option<&'a str>| map(rows, f);
    let fl = |f: &dyn Fn(&'a CrimeRow) -> Option<f64>| map(rows, f);
    let b = |f: &dyn Fn(&'a CrimeRow) -> Option<bool>| map(rows, f);
    let info = |r: &'a CrimeRow| r.offence.and_then(|i| offences.at(i as usize));
    let dt = |f: &dyn Fn(&'a CrimeRow) -> Option<NaiveDateTime>| map(rows, f);
    let hate = |i: usize| b(&|r| r.hate.map(|h| h[i]));
    let columns = vec![
        col(Col::CrimeRef, s(&|r| Some(&r.crime_ref))),
        col(Col::RecordKind, s(&|r| Some(r.kind.name()))),
        col(Col::Force, s(&|r| r.force.as_deref())),
        col(Col::RecordedDate, rows.iter().map(|r| r.recorded_date).collect::<Vec<NaiveDate>>()),
        col(Col::DatePrecision, s(&|r| Some(r.date_precision.name()))),
        col(Col::CommittedFrom, dt(&|r| r.committed_from)),
        col(Col::CommittedTo, dt(&|r| r.committed_to)),
        col(Col::DayOfWeek, rows.iter().map(|r| r.committed_from.map(|d| d.weekday().number_from_monday() as i8)).collect::<Vec<_>>()),
        col(Col::Hour, rows.iter().map(|r| r.hour().map(|h| h as i8)).collect::<Vec<_>>()),
        col(Col::OffenceCode, s(&|r| info(r).map(|i| i.code.as_str()))),
        col(Col::OffenceDescription, s(&|r| info(r).map(|i| i.description.as_str()))),
        col(Col::CrimeType, s(&|r| Some(r.crime_type.name()))),
        col(Col::OffenceSubgroup, s(&|r| info(r).map(|i| i.subgroup.as_str()))),
        col(Col::OffenceGroup, s(&|r| info(r).map(|i| i.group.as_str()))),
        col(Col::Longitude, fl(&|r| r.lon)),
        col(Col::Latitude, fl(&|r| r.lat)),
        col(Col::Easting, fl(&|r| r.easting)),
        col(Col::Northing, fl(&|r| r.northing)),
        col(Col::LocationType, s(&|r| r.location_type.map(|l| l.name()))),
        col(Col::LocationDesc, s(&|r| r.location_desc.as_deref())),
        col(Col::LsoaCode, s(&|r| r.lsoa_code.as_deref())),
        col(Col::LsoaName, s(&|r| r.lsoa_name.as_deref())),
        col(Col::WardCode, s(&|r| r.ward.as_ref().map(|w| &*w.0))),
        col(Col::WardName, s(&|r| r.ward.as_ref().map(|w| &*w.1))),
        col(Col::GeoMethod, s(&|r| Some(r.geo_method.name()))),
        col(Col::InArea, rows.iter().map(|r| r.in_area).collect::<Vec<bool>>()),
        col(Col::DomesticAbuse, b(&|r| r.domestic_abuse)),
        col(Col::HateCrime, b(&|r| r.hate.map(|h| h.iter().any(|x| *x)))),
        col(Col::HateRace, hate(0)),
        col(Col::HateReligion, hate(1)),
        col(Col::HateSexualOrientation, hate(2)),
        col(Col::HateDisability, hate(3)),
        col(Col::HateTransgender, hate(4)),
        col(Col::AlcoholRelated, b(&|r| r.alcohol_related)),
        col(Col::Outcome, s(&|r| r.outcome.as_deref())),
        col(Col::SourceFile, s(&|r| Some(files[r.source_file as usize].as_str()))),
        col(Col::SourceLine, rows.iter().map(|r| r.source_line as i64).collect::<Vec<i64>>()),
    ];
    let mut df = frame(n, columns, CRIMES)?;
    // committed_* as millisecond timestamps without zone (local time as recorded)
    for c in [Col::CommittedFrom, Col::CommittedTo] {
        let casted = df
            .column(c.name())
            .and_then(|s| s.cast(&DataType::Datetime(TimeUnit::Milliseconds, None)))
            .map_err(|e| IngestError::Internal(e.to_string()))?;
        df.replace(c.name(), casted).map_err(|e| IngestError::Internal(e.to_string()))?;
    }
    Ok(df)
}

/// The victims or offenders table.
pub fn people_frame<'a>(rows: &[&'a PersonRow], files: &'a [String], offenders: bool) -> Result<DataFrame> {
    let s = |f: &dyn Fn(&'a PersonRow) -> Option<&'a str>| map(rows, f);
    let mut columns = vec![
        col(Col::CrimeRef, s(&|r| Some(&r.crime_ref))),
        col(Col::PersonId, s(&|r| Some(&r.person_id))),
        col(Col::Age, rows.iter().map(|r| r.age).collect::<Vec<Option<i16>>>()),
        col(Col::Sex, s(&|r| r.sex.map(|x| x.name()))),
        col(Col::Ethnicity, s(&|r| r.ethnicity.map(|x| x.name()))),
    ];
    if offenders {
        columns.push(col(Col::RelationshipToVictim, s(&|r| r.relationship.as_deref())));
    }
    columns.push(col(Col::SourceFile, s(&|r| Some(files[r.source_file as usize].as_str()))));
    columns.push(col(Col::SourceLine, rows.iter().map(|r| r.source_line as i64).collect::<Vec<i64>>()));
    frame(rows.len(), columns, if offenders { OFFENDERS } else { VICTIMS })
}

/// The quarantine table.
pub fn quarantine_frame<'a>(rows: &[&'a Quarantined], files: &'a [String]) -> Result<DataFrame> {
    let s = |f: &dyn Fn(&'a Quarantined) -> &'a str| map(rows, f);
    let columns = vec![
        col(Col::Table, s(&|r| r.table.name())),
        col(Col::SourceFile, s(&|r| files[r.source_file as usize].as_str())),
        col(Col::SourceLine, rows.iter().map(|r| r.line as i64).collect::<Vec<i64>>()),
        col(Col::Field, s(&|r| &r.field)),
        col(Col::Value, s(&|r| &r.value)),
        col(Col::Reason, s(&|r| r.reason.code())),
        col(Col::Detail, s(&|r| &r.detail)),
        col(Col::Raw, s(&|r| &r.raw)),
    ];
    frame(rows.len(), columns, QUARANTINE)
}

/// Writes `rows` (already grouped by `key`) as one file per (year, month) under
/// `root/table/`. `build` turns one partition's rows into a frame.
pub fn write_partitioned<T: Sync>(
    root: &Path,
    table: &str,
    rows: &[T],
    key: impl Fn(&T) -> Option<(i32, u32)> + Sync,
    build: impl Fn(&[T]) -> Result<DataFrame> + Sync,
) -> Result<Vec<Partition>> {
    use rayon::prelude::*;
    let dir = root.join(table);
    std::fs::create_dir_all(&dir).map_err(|source| IngestError::Write { path: dir.clone(), source })?;
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let k = key(&rows[start]);
        let mut end = start + 1;
        while end < rows.len() && key(&rows[end]) == k {
            end += 1;
        }
        ranges.push((k, start, end));
        start = end;
    }
    // partitions are independent files: build and compress them in parallel
    ranges
        .into_par_iter()
        .map(|(k, start, end)| {
            let (y, m) = match k {
                Some((y, m)) => (y.to_string(), m.to_string()),
                None => (NULL_PARTITION.to_string(), NULL_PARTITION.to_string()),
            };
            let rel: PathBuf = [table, &format!("year={y}"), &format!("month={m}"), "part-0.parquet"].iter().collect();
            let mut df = build(&rows[start..end])?;
            write_parquet(&root.join(&rel), &mut df)?;
            Ok(Partition { table: table.to_string(), year: k.map(|k| k.0), month: k.map(|k| k.1), rows: (end - start) as u64, path: rel.display().to_string() })
        })
        .collect()
}

/// Writes one frame as zstd Parquet, creating parent folders.
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| IngestError::Write { path: parent.to_path_buf(), source })?;
    }
    let file = std::fs::File::create(path).map_err(|source| IngestError::Write { path: path.to_path_buf(), source })?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        // zstd level 1: a tenth larger than the default level 3 here, and much faster to write
        .with_compression(ParquetCompression::Zstd(polars_parquet::write::ZstdLevel::try_new(1).ok()))
        .with_statistics(StatisticsOptions::default())
        .finish(df)
        .map_err(|e| IngestError::WriteParquet { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(())
}

/// Replaces `out` with the finished folder `tmp`: the old dataset is renamed aside, the new
/// one renamed in, the old one deleted. A crash leaves either the old or the new dataset at
/// `out` (or, between the two renames, the old one at `.<name>.old-<pid>` beside it).
pub fn replace_dir(tmp: &Path, out: &Path) -> Result<()> {
    fn wr(path: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
        move |source| IngestError::Write { path: path.to_path_buf(), source }
    }
    if out.exists() {
        let old = sibling(out, "old");
        std::fs::rename(out, &old).map_err(wr(out))?;
        std::fs::rename(tmp, out).map_err(wr(out))?;
        std::fs::remove_dir_all(&old).map_err(wr(&old))?;
    } else {
        std::fs::rename(tmp, out).map_err(wr(out))?;
    }
    Ok(())
}

/// `.<name>.<what>-<pid>` next to `path`.
pub fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map_or_else(|| "dataset".into(), |n| n.to_string_lossy().into_owned());
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{what}-{}", std::process::id()))
}
