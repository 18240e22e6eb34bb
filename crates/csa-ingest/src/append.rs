//! Incremental ingest (`csa ingest --append`): new inputs added to an existing dataset
//! without re-reading the inputs it was built from.
//!
//! 1. The new inputs go through the full [`crate::ingest`] pipeline into a staging folder
//!    (validation, quarantine, enrichment, reconciliation: nothing is skipped).
//! 2. The staging crime references are looked up in the existing crime partitions: the
//!    dataset's crime-ref index (`ref_index`, one sequential pass) names the months that may
//!    hold them, and only those months' `crime_ref` column is read and compared (every month's
//!    when the dataset has no whole index). **A crime_ref seen again replaces the earlier version**
//!    (a reclassified or updated crime): the old row, and its victims and offenders, are
//!    removed from whatever month they were in; the new row goes to its own month. A crime is
//!    never counted twice.
//! 3. A new dataset folder is assembled: partitions that change are rewritten (existing rows
//!    kept, replaced ones dropped, new ones appended), every other file is hard-linked (copied
//!    where links are not possible), the staging quarantine files are added as
//!    `part-<n>.parquet` beside the month's earlier ones. It replaces the dataset by rename,
//!    like a full ingest, so a failed append leaves the dataset as it was.
//! 4. The manifest keeps every input ever ingested, counts updated as old - replaced + new,
//!    and one [`AppendRecord`] per append. The index is rewritten by merging: old entries less
//!    the replaced crimes', plus the staging ones.
//!
//! The boundaries must be the file the dataset was built with (same SHA-256), or wards would
//! mean different things in old and new months.

use std::path::{Path, PathBuf};

use csa_model::Col;
use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::dataset::{self, Partition};
use crate::error::{IngestError, Result};
use crate::manifest::{AppendRecord, Manifest, MANIFEST_FILE};
use crate::ref_index;
use crate::{IngestRequest, Progress};

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(|e| IngestError::NoInputs {
        path: dir.to_path_buf(),
        detail: format!(
            "no dataset to append to ({}: {e}); build it first with `csa ingest` without --append",
            path.display()
        ),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| IngestError::NoInputs {
        path: path.clone(),
        detail: format!("unreadable manifest: {e}"),
    })
}

fn read_frame(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame> {
    let file = std::fs::File::open(path)
        .map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?;
    let mut r = ParquetReader::new(file);
    if let Some(c) = columns {
        r = r.with_columns(Some(c.iter().map(|s| s.to_string()).collect()));
    }
    r.finish().map_err(|e| IngestError::Parquet { path: path.to_path_buf(), detail: e.to_string() })
}

fn refs(df: &DataFrame, path: &Path) -> Result<Vec<Option<String>>> {
    let c = df
        .column(Col::CrimeRef.name())
        .and_then(|c| c.str().cloned())
        .map_err(|e| IngestError::Parquet { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(c.iter().map(|v| v.map(str::to_string)).collect())
}

/// Keeps the rows whose crime_ref is not in `drop`.
fn without(df: &DataFrame, drop: &FxHashSet<String>, path: &Path) -> Result<(DataFrame, usize)> {
    let r = refs(df, path)?;
    let mask: BooleanChunked =
        r.iter().map(|v| Some(v.as_ref().is_none_or(|s| !drop.contains(s)))).collect();
    let removed = r.len() - mask.sum().unwrap_or(0) as usize;
    let kept = df
        .filter(&mask)
        .map_err(|e| IngestError::Internal(format!("filtering {}: {e}", path.display())))?;
    Ok((kept, removed))
}

/// Hard link (or copy) `src` to `dst`.
fn link(src: &Path, dst: &Path) -> Result<()> {
    if let Some(p) = dst.parent() {
        std::fs::create_dir_all(p)
            .map_err(|source| IngestError::Write { path: p.to_path_buf(), source })?;
    }
    std::fs::hard_link(src, dst)
        .or_else(|_| std::fs::copy(src, dst).map(|_| ()))
        .map_err(|source| IngestError::Write { path: dst.to_path_buf(), source })
}

type Key = (String, Option<i32>, Option<u32>);

fn key(p: &Partition) -> Key {
    (p.table.clone(), p.year, p.month)
}

/// Appends `req`'s inputs to the dataset at `req.out`; returns the new manifest and the record
/// of this append.
pub fn append(
    req: &IngestRequest,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Manifest, AppendRecord)> {
    let out = &req.out;
    dataset::remove_stale_siblings(out);
    let old = read_manifest(out)?;
    if old.schema_version != csa_model::SCHEMA_VERSION {
        return Err(IngestError::NoInputs {
            path: out.clone(),
            detail: format!(
                "dataset layout version {} is not this csa's {}; rebuild it without --append",
                old.schema_version,
                csa_model::SCHEMA_VERSION
            ),
        });
    }
    let (bytes, meta) = crate::source::read_input(&req.boundaries)?;
    drop(bytes);
    if meta.sha256 != old.boundaries.sha256 {
        return Err(IngestError::NoInputs {
            path: req.boundaries.clone(),
            detail: format!(
                "is not the boundaries file the dataset was built with ({}, SHA-256 {}); appending needs the same wards",
                old.boundaries.path, old.boundaries.sha256
            ),
        });
    }
    // 1. the new inputs, fully checked, into a staging dataset
    let staging = dataset::sibling(out, "append");
    let mut sreq = req.clone();
    sreq.out = staging.clone();
    let new = crate::ingest(&sreq, progress);
    let result = new.and_then(|new| merge(out, &staging, &old, new));
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn merge(
    out: &Path,
    staging: &Path,
    old: &Manifest,
    new: Manifest,
) -> Result<(Manifest, AppendRecord)> {
    let new_parts: FxHashMap<Key, &Partition> =
        new.partitions.iter().map(|p| (key(p), p)).collect();
    // 2. the crime refs arriving now, and where earlier versions of them sit
    let mut incoming: FxHashSet<String> = FxHashSet::default();
    for p in new.partitions.iter().filter(|p| p.table == "crimes") {
        let path = staging.join(&p.path);
        incoming.extend(
            refs(&read_frame(&path, Some(&[Col::CrimeRef.name()]))?, &path)?.into_iter().flatten(),
        );
    }
    let staged_path = staging.join(ref_index::FILE);
    let staged = read_index(&staged_path, crime_total(&new.counts))?;
    let old_path = out.join(ref_index::FILE);
    let old_total = crime_total(&old.counts);
    // the months whose crimes share a hash with an arriving crime; None: every month
    let candidates = match ref_index::Reader::open(&old_path, old_total) {
        Some(r) => Some(candidate_months(r, &staged)?),
        None => None,
    };
    // a dataset without a whole index gets one from the refs read here
    let mut rebuilt: Vec<(u64, i32)> = Vec::new();
    // month -> refs to drop there
    let mut replaced: FxHashMap<(Option<i32>, Option<u32>), FxHashSet<String>> =
        FxHashMap::default();
    for p in old.partitions.iter().filter(|p| p.table == "crimes") {
        let month = p.year.zip(p.month).map(ref_index::month_number);
        if let (Some(c), Some(m)) = (&candidates, month) {
            if !c.contains(&m) {
                continue;
            }
        }
        let path = out.join(&p.path);
        let all = refs(&read_frame(&path, Some(&[Col::CrimeRef.name()]))?, &path)?;
        if let (None, Some(m)) = (&candidates, month) {
            rebuilt.extend(all.iter().flatten().map(|r| (ref_index::hash(r), m)));
        }
        let hits: FxHashSet<String> =
            all.into_iter().flatten().filter(|r| incoming.contains(r)).collect();
        if !hits.is_empty() {
            replaced.insert((p.year, p.month), hits);
        }
    }
    // 3. assemble the new folder
    let tmp = dataset::sibling(out, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .map_err(|source| IngestError::Write { path: tmp.clone(), source })?;
    }
    let built = assemble(out, staging, &tmp, old, &new, &new_parts, &replaced);
    let (partitions, removed) = match built {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    // 4. the manifest
    let mut m = old.clone();
    m.inputs.extend(new.inputs.iter().cloned());
    let c = &mut m.counts;
    let n = &new.counts;
    c.crimes = c.crimes + n.crimes - removed.crimes;
    c.asb = c.asb + n.asb - removed.asb;
    c.incidents = c.incidents + n.incidents - removed.incidents;
    c.victims = c.victims + n.victims - removed.victims;
    c.offenders = c.offenders + n.offenders - removed.offenders;
    c.quarantined += n.quarantined;
    c.in_area = c.in_area + n.in_area - removed.in_area;
    c.outside_area = c.outside_area + n.outside_area - removed.outside_area;
    c.ward_by_lsoa_lookup = c.ward_by_lsoa_lookup + n.ward_by_lsoa_lookup - removed.by_lookup;
    for (t, k) in &n.crimes_by_type {
        *c.crimes_by_type.entry(t.clone()).or_default() += k;
    }
    for (t, k) in &removed.by_type {
        if let Some(v) = c.crimes_by_type.get_mut(t) {
            *v -= k;
        }
    }
    c.crimes_by_type.retain(|_, v| *v > 0);
    let month = |p: &Partition| p.year.zip(p.month).map(|(y, m)| format!("{y:04}-{m:02}"));
    let months: Vec<String> =
        partitions.iter().filter(|p| p.table == "crimes" && p.rows > 0).filter_map(month).collect();
    c.first_month = months.iter().min().cloned();
    c.last_month = months.iter().max().cloned();
    let r = &mut m.reconciliation;
    r.rows_read += new.reconciliation.rows_read;
    r.accepted += new.reconciliation.accepted;
    r.quarantined += new.reconciliation.quarantined;
    r.balanced =
        r.balanced && new.reconciliation.balanced && r.rows_read == r.accepted + r.quarantined;
    m.partitions = partitions;
    let record = AppendRecord {
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs: new.inputs.iter().map(|i| i.path.clone()).collect(),
        rows_read: new.reconciliation.rows_read,
        crimes_added: n.crimes + n.asb + n.incidents,
        replaced: removed.crimes + removed.asb + removed.incidents,
        victims_added: n.victims,
        offenders_added: n.offenders,
        quarantined: n.quarantined,
        months: {
            let mut v: Vec<String> =
                new.partitions.iter().filter(|p| p.table == "crimes").filter_map(month).collect();
            v.sort();
            v
        },
    };
    m.appends.push(record.clone());
    // the index: old entries less the replaced crimes', plus the staging ones
    let mut remove: FxHashMap<(u64, i32), u32> = FxHashMap::default();
    for ((y, mo), refs) in &replaced {
        if let Some(k) = y.zip(*mo) {
            for r in refs {
                *remove.entry((ref_index::hash(r), ref_index::month_number(k))).or_default() += 1;
            }
        }
    }
    let old_entries = if candidates.is_some() {
        let r = ref_index::Reader::open(&old_path, old_total).ok_or_else(|| {
            IngestError::Internal(format!("{} changed during the append", old_path.display()))
        })?;
        OldEntries::Index(r)
    } else {
        rebuilt.sort_unstable();
        OldEntries::Rebuilt(rebuilt.into_iter())
    };
    let ipath = tmp.join(ref_index::FILE);
    let written = write_index(&ipath, old_entries, remove, &staged)?;
    if written != crime_total(&m.counts) {
        return Err(IngestError::Internal(format!(
            "the merged crime-ref index has {written} entries for {} crimes",
            crime_total(&m.counts)
        )));
    }
    let json =
        serde_json::to_string_pretty(&m).map_err(|e| IngestError::Internal(e.to_string()))?;
    let mpath = tmp.join(MANIFEST_FILE);
    std::fs::write(&mpath, json).map_err(|source| IngestError::Write { path: mpath, source })?;
    dataset::replace_dir(&tmp, out)?;
    Ok((m, record))
}

fn crime_total(c: &crate::manifest::Counts) -> u64 {
    c.crimes + c.asb + c.incidents
}

/// Every entry of a (small) index that must be whole: the staging dataset's.
fn read_index(path: &Path, expected: u64) -> Result<Vec<(u64, i32)>> {
    let mut r = ref_index::Reader::open(path, expected).ok_or_else(|| {
        IngestError::Internal(format!("{}: no whole crime-ref index", path.display()))
    })?;
    let mut v = Vec::with_capacity(r.len() as usize);
    while let Some(e) = r.next_entry()? {
        v.push(e);
    }
    Ok(v)
}

/// The month numbers of the index entries whose hash is one of `staged`'s (sorted): one
/// merging pass over the index.
fn candidate_months(mut r: ref_index::Reader, staged: &[(u64, i32)]) -> Result<FxHashSet<i32>> {
    let mut out = FxHashSet::default();
    let mut i = 0;
    while let Some((h, m)) = r.next_entry()? {
        while i < staged.len() && staged[i].0 < h {
            i += 1;
        }
        if i == staged.len() {
            break;
        }
        if staged[i].0 == h {
            out.insert(m);
        }
    }
    Ok(out)
}

/// The dataset's index entries before the append, from its index or rebuilt from its refs.
enum OldEntries {
    Index(ref_index::Reader),
    Rebuilt(std::vec::IntoIter<(u64, i32)>),
}

impl OldEntries {
    fn next_entry(&mut self) -> Result<Option<(u64, i32)>> {
        match self {
            OldEntries::Index(r) => r.next_entry(),
            OldEntries::Rebuilt(v) => Ok(v.next()),
        }
    }
}

/// Merges `old` less one entry per count in `remove` with `staged` (both sorted) into a new
/// index at `path`; returns its number of entries.
fn write_index(
    path: &Path,
    mut old: OldEntries,
    mut remove: FxHashMap<(u64, i32), u32>,
    staged: &[(u64, i32)],
) -> Result<u64> {
    let mut w = ref_index::Writer::create(path)?;
    let mut s = staged.iter().copied().peekable();
    while let Some(e) = old.next_entry()? {
        if let Some(n) = remove.get_mut(&e).filter(|n| **n > 0) {
            *n -= 1;
            continue;
        }
        while let Some(x) = s.next_if(|x| *x <= e) {
            w.push(x.0, x.1)?;
        }
        w.push(e.0, e.1)?;
    }
    for x in s {
        w.push(x.0, x.1)?;
    }
    w.finish()
}

/// What replaced rows took away from the counts.
#[derive(Default)]
struct Removed {
    crimes: u64,
    asb: u64,
    incidents: u64,
    victims: u64,
    offenders: u64,
    in_area: u64,
    outside_area: u64,
    by_lookup: u64,
    by_type: FxHashMap<String, u64>,
}

fn tally_removed(
    df: &DataFrame,
    drop: &FxHashSet<String>,
    path: &Path,
    r: &mut Removed,
) -> Result<()> {
    let e =
        |e: PolarsError| IngestError::Parquet { path: path.to_path_buf(), detail: e.to_string() };
    let refs = refs(df, path)?;
    let kind = df.column(Col::RecordKind.name()).and_then(|c| c.str().cloned()).map_err(e)?;
    let ctype = df.column(Col::CrimeType.name()).and_then(|c| c.str().cloned()).map_err(e)?;
    let in_area = df.column(Col::InArea.name()).and_then(|c| c.bool().cloned()).map_err(e)?;
    let geo = df.column(Col::GeoMethod.name()).and_then(|c| c.str().cloned()).map_err(e)?;
    for (i, rf) in refs.iter().enumerate() {
        if !rf.as_ref().is_some_and(|s| drop.contains(s)) {
            continue;
        }
        match kind.get(i) {
            Some(k) if k == csa_model::RecordKind::Asb.name() => r.asb += 1,
            Some(k) if k == csa_model::RecordKind::Incident.name() => r.incidents += 1,
            _ => r.crimes += 1,
        }
        if in_area.get(i) == Some(true) {
            r.in_area += 1
        } else {
            r.outside_area += 1
        }
        if geo.get(i) == Some(crate::record::GeoMethod::LsoaLookup.name()) {
            r.by_lookup += 1;
        }
        *r.by_type.entry(ctype.get(i).unwrap_or("").to_string()).or_default() += 1;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    out: &Path,
    staging: &Path,
    tmp: &Path,
    old: &Manifest,
    new: &Manifest,
    new_parts: &FxHashMap<Key, &Partition>,
    replaced: &FxHashMap<(Option<i32>, Option<u32>), FxHashSet<String>>,
) -> Result<(Vec<Partition>, Removed)> {
    let mut removed = Removed::default();
    let mut parts: Vec<Partition> = Vec::new();
    let mut done: FxHashSet<Key> = FxHashSet::default();
    let empty = FxHashSet::default();
    for p in &old.partitions {
        let k = key(p);
        // quarantined rows are kept as they were: they never entered the counts
        let drop = if p.table == "quarantine" {
            &empty
        } else {
            replaced.get(&(p.year, p.month)).unwrap_or(&empty)
        };
        let src = out.join(&p.path);
        let dst = tmp.join(&p.path);
        let incoming = if p.table == "quarantine" { None } else { new_parts.get(&k) };
        if drop.is_empty() && incoming.is_none() {
            link(&src, &dst)?;
            parts.push(p.clone());
            continue;
        }
        // this month changes: old rows less the replaced ones, plus the new ones
        let df = read_frame(&src, None)?;
        if p.table == "crimes" {
            tally_removed(&df, drop, &src, &mut removed)?;
        }
        let (mut df, n_removed) = without(&df, drop, &src)?;
        match p.table.as_str() {
            "victims" => removed.victims += n_removed as u64,
            "offenders" => removed.offenders += n_removed as u64,
            _ => {}
        }
        if let Some(np) = incoming {
            let add = read_frame(&staging.join(&np.path), None)?;
            df.vstack_mut(&add)
                .map_err(|e| IngestError::Internal(format!("appending to {}: {e}", p.path)))?;
        }
        dataset::write_parquet(&dst, &mut df)?;
        parts.push(Partition { rows: df.height() as u64, ..p.clone() });
        done.insert(k);
    }
    // partitions of the new data that the dataset did not have (new months), and the new
    // quarantine files beside the old ones
    let n_append = old.appends.len() + 1;
    for p in &new.partitions {
        let k = key(p);
        if p.path.ends_with("empty.parquet") {
            continue;
        }
        let existing = old.partitions.iter().any(|o| key(o) == k);
        if p.table == "quarantine" {
            let rel = if existing {
                p.path.replace("part-0.parquet", &format!("part-{n_append}.parquet"))
            } else {
                p.path.clone()
            };
            link(&staging.join(&p.path), &tmp.join(&rel))?;
            parts.push(Partition { path: rel, ..p.clone() });
        } else if !existing && !done.contains(&k) {
            link(&staging.join(&p.path), &tmp.join(&p.path))?;
            parts.push(p.clone());
        }
    }
    // a table that had only its schema-only file keeps it
    for table in ["crimes", "victims", "offenders", "quarantine"] {
        let e = PathBuf::from(table).join("empty.parquet");
        if out.join(&e).exists() && !tmp.join(&e).exists() {
            link(&out.join(&e), &tmp.join(&e))?;
        }
    }
    parts.sort_by(|a, b| {
        (&a.table, a.year, a.month, &a.path).cmp(&(&b.table, b.year, b.month, &b.path))
    });
    Ok((parts, removed))
}
