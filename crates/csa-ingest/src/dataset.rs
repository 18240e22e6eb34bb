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

pub use csa_model::manifest::Partition;

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
        return Err(IngestError::Internal(format!(
            "columns {names:?} do not follow the schema {expected:?}"
        )));
    }
    DataFrame::new(height, columns)
        .map_err(|e| IngestError::Internal(format!("building a frame: {e}")))
}

/// Text columns of the crimes frame, in the order `crimes_frame` pushes their values (each
/// one's storage is [`Col::storage`]; a test checks they agree).
const TEXT: [Col; 20] = [
    Col::CrimeRef,
    Col::RecordKind,
    Col::Force,
    Col::DatePrecision,
    Col::OffenceCode,
    Col::OffenceDescription,
    Col::CrimeType,
    Col::OffenceSubgroup,
    Col::OffenceGroup,
    Col::LocationType,
    Col::LocationDesc,
    Col::LsoaCode,
    Col::LsoaName,
    Col::WardCode,
    Col::WardName,
    Col::GeoMethod,
    Col::Source,
    Col::Category,
    Col::Outcome,
    Col::SourceFile,
];
/// Float columns, in push order.
const FLOAT: [Col; 4] = [Col::Longitude, Col::Latitude, Col::Easting, Col::Northing];
/// Flag columns, in push order.
const FLAG: [Col; 9] = [
    Col::DomesticAbuse,
    Col::HateCrime,
    Col::HateRace,
    Col::HateReligion,
    Col::HateSexualOrientation,
    Col::HateDisability,
    Col::HateTransgender,
    Col::AlcoholRelated,
    Col::Weapon,
];

/// The crimes table, rows in the given order.
/// One value per row.
fn map<'a, T, U>(rows: &[&'a T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(|r| f(r)).collect()
}

pub fn crimes_frame<'a>(
    rows: &[&'a CrimeRow],
    files: &'a [String],
    offences: &'a OffenceTable,
) -> Result<DataFrame> {
    let n = rows.len();
    // one pass over the rows, each value pushed to its column: a row's memory is touched
    // once (37 passes, one per column, cost twice as much on a million rows)
    let mut text: Vec<Vec<Option<&'a str>>> =
        (0..TEXT.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut float: Vec<Vec<Option<f64>>> =
        (0..FLOAT.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut flag: Vec<Vec<Option<bool>>> = (0..FLAG.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut recorded: Vec<NaiveDate> = Vec::with_capacity(n);
    let mut committed: [Vec<Option<NaiveDateTime>>; 2] =
        [Vec::with_capacity(n), Vec::with_capacity(n)];
    let mut dow: Vec<Option<i8>> = Vec::with_capacity(n);
    let mut hour: Vec<Option<i8>> = Vec::with_capacity(n);
    let mut in_area: Vec<bool> = Vec::with_capacity(n);
    let mut line: Vec<i64> = Vec::with_capacity(n);
    for r in rows {
        let info = r.offence.and_then(|i| offences.at(i as usize));
        let t: [Option<&'a str>; 20] = [
            Some(&r.crime_ref),
            Some(r.kind.name()),
            r.force.as_deref(),
            Some(r.date_precision.name()),
            info.map(|i| i.code.as_str()),
            info.map(|i| i.description.as_str()),
            r.crime_type.map(|t| t.name()),
            info.map(|i| i.subgroup.as_str()),
            info.map(|i| i.group.as_str()),
            r.location_type.map(|l| l.name()),
            r.location_desc.as_deref(),
            r.lsoa_code.as_deref(),
            r.lsoa_name.as_deref(),
            r.ward.as_ref().map(|w| &*w.0),
            r.ward.as_ref().map(|w| &*w.1),
            Some(r.geo_method.name()),
            r.source.as_deref(),
            r.category.as_deref(),
            r.outcome.as_deref(),
            Some(files[r.source_file as usize].as_str()),
        ];
        for (col, v) in text.iter_mut().zip(t) {
            col.push(v);
        }
        for (col, v) in float.iter_mut().zip([r.lon, r.lat, r.easting, r.northing]) {
            col.push(v);
        }
        let h = r.hate;
        let f = [
            r.domestic_abuse,
            h.map(|h| h.iter().any(|x| *x)),
            h.map(|h| h[0]),
            h.map(|h| h[1]),
            h.map(|h| h[2]),
            h.map(|h| h[3]),
            h.map(|h| h[4]),
            r.alcohol_related,
            r.weapon,
        ];
        for (col, v) in flag.iter_mut().zip(f) {
            col.push(v);
        }
        recorded.push(r.recorded_date);
        committed[0].push(r.committed_from);
        committed[1].push(r.committed_to);
        dow.push(r.committed_from.map(|d| d.weekday().number_from_monday() as i8));
        hour.push(r.hour().map(|h| h as i8));
        in_area.push(r.in_area);
        line.push(r.source_line as i64);
    }
    let mut text = TEXT.iter().zip(text).map(|(c, v)| (*c, col(*c, v))).collect::<Vec<_>>();
    let mut float = FLOAT.iter().zip(float).map(|(c, v)| (*c, col(*c, v))).collect::<Vec<_>>();
    let mut flag = FLAG.iter().zip(flag).map(|(c, v)| (*c, col(*c, v))).collect::<Vec<_>>();
    let [from, to] = committed;
    let mut other = vec![
        (Col::RecordedDate, col(Col::RecordedDate, recorded)),
        (Col::CommittedFrom, col(Col::CommittedFrom, from)),
        (Col::CommittedTo, col(Col::CommittedTo, to)),
        (Col::DayOfWeek, col(Col::DayOfWeek, dow)),
        (Col::Hour, col(Col::Hour, hour)),
        (Col::InArea, col(Col::InArea, in_area)),
        (Col::SourceLine, col(Col::SourceLine, line)),
    ];
    // in the documented order
    let mut columns = Vec::with_capacity(CRIMES.len());
    for c in CRIMES {
        let take = |v: &mut Vec<(Col, Column)>| {
            v.iter().position(|(k, _)| k == c).map(|i| v.swap_remove(i).1)
        };
        let column = take(&mut text)
            .or_else(|| take(&mut float))
            .or_else(|| take(&mut flag))
            .or_else(|| take(&mut other));
        columns.push(column.ok_or_else(|| {
            IngestError::Internal(format!("crimes_frame does not build column {c}"))
        })?);
    }
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
pub fn people_frame<'a>(
    rows: &[&'a PersonRow],
    files: &'a [String],
    offenders: bool,
) -> Result<DataFrame> {
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
    columns.push(col(
        Col::SourceLine,
        rows.iter().map(|r| r.source_line as i64).collect::<Vec<i64>>(),
    ));
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
    std::fs::create_dir_all(&dir)
        .map_err(|source| IngestError::Write { path: dir.clone(), source })?;
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
            let rel: PathBuf =
                [table, &format!("year={y}"), &format!("month={m}"), "part-0.parquet"]
                    .iter()
                    .collect();
            let mut df = build(&rows[start..end])?;
            write_parquet(&root.join(&rel), &mut df)?;
            Ok(Partition {
                table: table.to_string(),
                year: k.map(|k| k.0),
                month: k.map(|k| k.1),
                rows: (end - start) as u64,
                path: rel.display().to_string(),
            })
        })
        .collect()
}

/// The Parquet writer of every file of a dataset.
fn parquet_writer(path: &Path) -> Result<ParquetWriter<std::io::BufWriter<std::fs::File>>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|source| IngestError::Write { path: parent.to_path_buf(), source })?;
    }
    let file = std::fs::File::create(path)
        .map_err(|source| IngestError::Write { path: path.to_path_buf(), source })?;
    Ok(ParquetWriter::new(std::io::BufWriter::new(file))
        // zstd level 1: a tenth larger than the default level 3 here, and much faster to write
        .with_compression(ParquetCompression::Zstd(
            polars_parquet::write::ZstdLevel::try_new(1).ok(),
        ))
        .with_statistics(StatisticsOptions::default()))
}

fn parquet_error(path: &Path) -> impl Fn(PolarsError) -> IngestError + '_ {
    move |e| IngestError::WriteParquet { path: path.to_path_buf(), detail: e.to_string() }
}

/// Writes one frame as zstd Parquet, creating parent folders.
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    parquet_writer(path)?.finish(df).map_err(parquet_error(path))?;
    Ok(())
}

/// Rows in each row group of a crimes partition: 512² (polars' own target for a whole frame),
/// the last group the remainder. Cut as the rows stream in, so a partition is the same file
/// however its rows arrived (one police.uk file written as it is read, or rows gathered from
/// several inputs) and never needs to be in memory whole.
pub const GROUP_ROWS: usize = 512 * 512;

/// A Parquet file written as frames arrive, cut into row groups of [`GROUP_ROWS`] rows. No
/// file is created until the first row arrives.
pub struct GroupedWriter {
    path: PathBuf,
    writer: Option<polars::io::parquet::write::BatchedWriter<std::io::BufWriter<std::fs::File>>>,
    pending: Vec<DataFrame>,
    pending_rows: usize,
    rows: usize,
}

impl GroupedWriter {
    pub fn new(path: &Path) -> GroupedWriter {
        GroupedWriter {
            path: path.to_path_buf(),
            writer: None,
            pending: Vec::new(),
            pending_rows: 0,
            rows: 0,
        }
    }

    /// Adds `df`'s rows after those already pushed.
    pub fn push(&mut self, mut df: DataFrame) -> Result<()> {
        if df.height() == 0 {
            return Ok(());
        }
        if self.writer.is_none() {
            let w = parquet_writer(&self.path)?
                .batched(df.schema())
                .map_err(parquet_error(&self.path))?;
            self.writer = Some(w);
        }
        self.rows += df.height();
        while self.pending_rows + df.height() >= GROUP_ROWS {
            let (head, tail) = df.split_at((GROUP_ROWS - self.pending_rows) as i64);
            self.pending.push(head);
            self.write_group()?;
            df = tail;
        }
        if df.height() > 0 {
            self.pending_rows += df.height();
            self.pending.push(df);
        }
        Ok(())
    }

    fn write_group(&mut self) -> Result<()> {
        let mut parts = std::mem::take(&mut self.pending).into_iter();
        self.pending_rows = 0;
        let (Some(mut df), Some(w)) = (parts.next(), self.writer.as_mut()) else { return Ok(()) };
        for f in parts {
            df.vstack_mut_owned(f).map_err(parquet_error(&self.path))?;
        }
        df.rechunk_mut_par();
        w.write_batch(&df).map_err(parquet_error(&self.path))
    }

    /// Writes the last row group and closes the file; the number of rows written.
    pub fn finish(mut self) -> Result<usize> {
        self.write_group()?;
        if let Some(w) = self.writer.take() {
            w.finish().map_err(parquet_error(&self.path))?;
        }
        Ok(self.rows)
    }
}

/// Rows `offset..offset + len` of a Parquet file written by this module.
pub fn read_rows(path: &Path, offset: usize, len: usize) -> Result<DataFrame> {
    let file = std::fs::File::open(path)
        .map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?;
    ParquetReader::new(file)
        .with_slice(Some((offset, len)))
        .finish()
        .map_err(|e| IngestError::Parquet { path: path.to_path_buf(), detail: e.to_string() })
}

/// Replaces `out` with the finished folder `tmp`. On Linux the two are swapped in one atomic
/// `renameat2(RENAME_EXCHANGE)`, so `out` is at every moment either the whole old folder or
/// the whole new one; the old one (now at `tmp`) is then deleted. Where the file system cannot
/// exchange, the old folder is renamed aside to `.<name>.old-<pid>` and the new one renamed
/// in; a run killed between the two renames leaves no `out`, and the next run puts the old
/// folder back ([`remove_stale_siblings`]).
pub fn replace_dir(tmp: &Path, out: &Path) -> Result<()> {
    fn wr(path: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
        move |source| IngestError::Write { path: path.to_path_buf(), source }
    }
    if out.exists() {
        if exchange(tmp, out).map_err(wr(out))? {
            std::fs::remove_dir_all(tmp).map_err(wr(tmp))?;
            return Ok(());
        }
        let old = sibling(out, "old");
        std::fs::rename(out, &old).map_err(wr(out))?;
        std::fs::rename(tmp, out).map_err(wr(out))?;
        std::fs::remove_dir_all(&old).map_err(wr(&old))?;
    } else {
        std::fs::rename(tmp, out).map_err(wr(out))?;
    }
    Ok(())
}

/// Swaps two paths atomically; `Ok(false)` where the system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// The kinds of work folder csa makes beside an output (`.<name>.<kind>-<pid>`): ingest's
/// `tmp` and `spill`, the swap's `old`, `append` staging, `csa assess` staging, quarterly's `partial`.
const WORK_FOLDERS: [&str; 7] = ["tmp", "old", "append", "assess", "partial", "spill", "peers"];

/// Clears up after runs on `out` that were killed (their process is gone from /proc): a
/// `.<name>.old-<pid>` folder is put back at `out` when `out` is missing (a run killed between
/// the two renames of [`replace_dir`]'s fallback), and every other work folder of a dead run
/// beside `out` is removed. Work folders of live runs are left alone; where processes cannot
/// be checked (no /proc), nothing is touched. Errors are ignored: a folder that cannot be
/// removed now is tried again by the next run.
pub fn remove_stale_siblings(out: &Path) {
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !Path::new("/proc/self").exists() {
        return;
    }
    let dead = |pid: u32| pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
    let mut stale = Vec::new();
    for e in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        if let Some((kind, _)) = work_folder(&file, &name).filter(|&(_, pid)| dead(pid)) {
            stale.push((kind == "old", e.path()));
        }
    }
    if !out.exists() {
        if let Some((_, old)) = stale.iter().find(|(is_old, _)| *is_old) {
            let _ = std::fs::rename(old, out);
        }
    }
    for (_, p) in stale {
        if p.exists() {
            let _ = std::fs::remove_dir_all(&p);
        }
    }
}

/// `(kind, pid)` when `file` is a work folder of `name`: `.<name>.<kind>-<pid>`, or one made
/// beside such a folder (`..<name>.append-<pid>.tmp-<pid>`).
fn work_folder<'f>(file: &'f str, name: &str) -> Option<(&'f str, u32)> {
    let rest = file.strip_prefix('.')?;
    let rest = rest.strip_prefix('.').unwrap_or(rest).strip_prefix(name)?.strip_prefix('.')?;
    let (head, pid) = rest.rsplit_once('-')?;
    let kind = head.rsplit('.').next()?;
    WORK_FOLDERS.contains(&kind).then_some(())?;
    Some((kind, pid.parse().ok()?))
}

/// `.<name>.<what>-<pid>` next to `path`.
pub fn sibling(path: &Path, what: &str) -> PathBuf {
    let name =
        path.file_name().map_or_else(|| "dataset".into(), |n| n.to_string_lossy().into_owned());
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{what}-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_folders_are_recognised() {
        assert_eq!(work_folder(".ds.tmp-42", "ds"), Some(("tmp", 42)));
        assert_eq!(work_folder(".ds.old-7", "ds"), Some(("old", 7)));
        assert_eq!(work_folder("..ds.append-9.tmp-9", "ds"), Some(("tmp", 9)));
        assert_eq!(work_folder(".pack.assess-3", "pack"), Some(("assess", 3)));
        assert_eq!(work_folder(".ds.tmp-42", "d"), None);
        assert_eq!(work_folder(".ds.backup-42", "ds"), None);
        assert_eq!(work_folder(".ds.tmp-x", "ds"), None);
        assert_eq!(work_folder("ds.tmp-42", "ds"), None);
    }

    #[test]
    fn replacing_swaps_whole_folders_and_dead_runs_are_cleared() {
        let t = tempfile::tempdir().expect("tempdir");
        let out = t.path().join("ds");
        let write = |dir: &Path, text: &str| {
            std::fs::create_dir_all(dir).expect("mkdir");
            std::fs::write(dir.join("f"), text).expect("write");
        };
        let read = |dir: &Path| std::fs::read_to_string(dir.join("f")).expect("read");
        write(&out, "old");
        let tmp = sibling(&out, "tmp");
        write(&tmp, "new");
        replace_dir(&tmp, &out).expect("replace");
        assert_eq!(read(&out), "new");
        assert!(!tmp.exists(), "the old folder is removed");
        // a run killed between the fallback's two renames: no `out`, the old one aside
        let dead = u32::MAX - 1; // no such process
        std::fs::rename(&out, t.path().join(format!(".ds.old-{dead}"))).expect("rename");
        write(&t.path().join(format!(".ds.tmp-{dead}")), "half");
        write(&t.path().join(format!("..ds.append-{dead}.tmp-{dead}")), "half");
        let live = t.path().join(format!(".ds.tmp-{}", std::process::id()));
        write(&live, "mine");
        remove_stale_siblings(&out);
        assert_eq!(read(&out), "new", "the old folder is put back");
        let left: Vec<String> = std::fs::read_dir(t.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        let mut left = left;
        left.sort();
        assert_eq!(left, vec![format!(".ds.tmp-{}", std::process::id()), "ds".to_string()]);
    }
}

#[cfg(test)]
mod storage_tests {
    use super::*;
    use csa_model::Storage;

    #[test]
    fn frame_column_lists_agree_with_the_model() {
        assert!(TEXT.iter().all(|c| c.storage() == Storage::Text));
        assert!(FLOAT.iter().all(|c| c.storage() == Storage::Float));
        assert!(FLAG.iter().all(|c| c.storage() == Storage::Flag && *c != Col::InArea));
        // every text, float and flag column of the crimes table is in exactly one list (in_area
        // is pushed on its own)
        for c in CRIMES {
            let listed = TEXT.contains(c) || FLOAT.contains(c) || FLAG.contains(c);
            let expected = match c.storage() {
                Storage::Text | Storage::Float => true,
                Storage::Flag => *c != Col::InArea,
                _ => false,
            };
            assert_eq!(listed, expected, "{c}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod row_group_tests {
    use super::*;

    fn frame(from: usize, to: usize) -> DataFrame {
        DataFrame::new(
            to - from,
            vec![
                Column::new("id".into(), (from..to).map(|i| i as i64).collect::<Vec<_>>()),
                Column::new(
                    "text".into(),
                    (from..to)
                        .map(|i| (i % 7 != 0).then(|| format!("value {}", i % 1000)))
                        .collect::<Vec<_>>(),
                ),
            ],
        )
        .unwrap()
    }

    /// Writes rows 0..n pushed in frames of the given sizes (repeated); the file's bytes.
    fn written(dir: &Path, name: &str, n: usize, sizes: &[usize]) -> Vec<u8> {
        let path = dir.join(name);
        let mut w = GroupedWriter::new(&path);
        let (mut at, mut k) = (0, 0);
        while at < n {
            let to = (at + sizes[k % sizes.len()]).min(n);
            w.push(frame(at, to)).unwrap();
            at = to;
            k += 1;
        }
        assert_eq!(w.finish().unwrap(), n);
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn row_groups_are_cut_at_fixed_sizes_however_the_rows_arrive() {
        let n = 600_000;
        let dir = tempfile::tempdir().unwrap();
        let whole = written(dir.path(), "whole.parquet", n, &[n]);
        assert_eq!(whole, written(dir.path(), "chunks.parquet", n, &[65_536]));
        assert_eq!(whole, written(dir.path(), "odd.parquet", n, &[1, 99_999, 262_144, 7]));
        let meta = ParquetReader::new(std::io::Cursor::new(whole)).get_metadata().unwrap().clone();
        let groups: Vec<usize> = meta.row_groups.iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, vec![GROUP_ROWS, GROUP_ROWS, n - 2 * GROUP_ROWS]);
        let back = read_rows(&dir.path().join("odd.parquet"), 262_000, 1_000).unwrap();
        assert!(back.equals_missing(&frame(262_000, 263_000)));
    }

    #[test]
    fn a_writer_given_no_rows_creates_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.parquet");
        let mut w = GroupedWriter::new(&path);
        w.push(frame(0, 0)).unwrap();
        assert_eq!(w.finish().unwrap(), 0);
        assert!(!path.exists());
    }
}
