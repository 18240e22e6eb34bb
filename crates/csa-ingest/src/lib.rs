//! csa ingest: the only crate that reads raw inputs. It validates police.uk months and force
//! extracts row by row, quarantines what it cannot accept (with file, line, field, value and
//! reason), enriches accepted rows with British National Grid coordinates and wards, and
//! writes the Parquet dataset with its manifest.
//!
//! Invariant: for every input file, rows read = rows accepted + rows quarantined; [`ingest`]
//! refuses to write a dataset where that does not hold.

// A rejected row is an ordinary outcome here, carried in `Err(Quarantined)` by value: boxing
// it would only add an allocation per bad row.
#![allow(clippy::result_large_err)]

pub mod append;
pub mod coords;
pub mod dataset;
pub mod error;
pub mod extract;
pub mod lookup;
pub mod manifest;
pub mod mapping;
pub mod police_uk;
pub mod record;
pub mod rows;
pub mod source;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Datelike;
use csa_geo::{AreaIndex, Boundaries};
use csa_model::{OffenceTable, Reason, RecordKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

pub use error::{IngestError, Result};
pub use lookup::{LookupColumns, LsoaLookup};
pub use manifest::Manifest;
pub use mapping::Mapping;
use record::{CrimeRow, GeoMethod, PersonRow, Quarantined, Table};

/// What to ingest and where to write it.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// police.uk street-level files or folders.
    pub police_uk: Vec<PathBuf>,
    /// Force extract folders.
    pub extracts: Vec<PathBuf>,
    /// Column mapping applied to every extract.
    pub mapping: Option<PathBuf>,
    /// Ward boundaries (GeoJSON) and the property names of code and name.
    pub boundaries: PathBuf,
    pub ward_code_prop: String,
    pub ward_name_prop: String,
    /// Optional LSOA boundaries, used to fill lsoa_code where a row has none.
    pub lsoa_boundaries: Option<PathBuf>,
    pub lsoa_code_prop: String,
    pub lsoa_name_prop: String,
    /// Optional LSOA -> ward lookup for rows without coordinates.
    pub lsoa_lookup: Option<PathBuf>,
    pub lookup_columns: LookupColumns,
    /// The dataset folder, replaced atomically.
    pub out: PathBuf,
}

impl IngestRequest {
    pub fn new(boundaries: PathBuf, out: PathBuf) -> IngestRequest {
        IngestRequest {
            police_uk: Vec::new(),
            extracts: Vec::new(),
            mapping: None,
            boundaries,
            ward_code_prop: "WD25CD".into(),
            ward_name_prop: "WD25NM".into(),
            lsoa_boundaries: None,
            lsoa_code_prop: "LSOA21CD".into(),
            lsoa_name_prop: "LSOA21NM".into(),
            lsoa_lookup: None,
            lookup_columns: LookupColumns::default(),
            out,
        }
    }
}

/// Progress reports for a caller that shows them; the library itself never prints.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A new step with this many units of work.
    Stage { name: &'a str, total: u64 },
    /// Units of the current step done.
    Advance(u64),
}

/// Everything a parser needs besides the bytes.
pub struct ParseContext<'a> {
    pub offences: &'a OffenceTable,
    pub lookup: Option<&'a LsoaLookup>,
}

impl ParseContext<'_> {
    /// For a row without coordinates: the ward from its LSOA code, or why there is none.
    pub fn ward_from_lsoa(&self, row: &mut CrimeRow) -> std::result::Result<(), String> {
        let Some(lsoa) = row.lsoa_code.as_deref() else {
            return Err("no coordinates and no LSOA code".into());
        };
        let Some(lookup) = self.lookup else {
            return Err(format!("no coordinates; LSOA {lsoa} cannot place it without an LSOA lookup (--lsoa-lookup)"));
        };
        match lookup.ward(lsoa) {
            Some((code, name)) => {
                row.ward = Some((code.clone(), name.clone()));
                row.geo_method = GeoMethod::LsoaLookup;
                Ok(())
            }
            None => Err(format!("no coordinates and LSOA {lsoa} is not in the lookup")),
        }
    }
}

/// What one input file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub rows_read: u64,
    pub crimes: Vec<CrimeRow>,
    pub victims: Vec<PersonRow>,
    pub offenders: Vec<PersonRow>,
    pub quarantined: Vec<Quarantined>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    PoliceUk,
    Extract(Table),
}

impl InputKind {
    fn source_kind(self) -> manifest::SourceKind {
        match self {
            InputKind::PoliceUk => manifest::SourceKind::PoliceUk,
            InputKind::Extract(Table::Crimes) => manifest::SourceKind::ExtractCrimes,
            InputKind::Extract(Table::Victims) => manifest::SourceKind::ExtractVictims,
            InputKind::Extract(Table::Offenders) => manifest::SourceKind::ExtractOffenders,
        }
    }
}

/// Reads, validates, enriches and writes. Nothing is written unless every input could be
/// read; the previous dataset at `out` stays whole until the new one is complete.
pub fn ingest(req: &IngestRequest, progress: &(dyn Fn(Progress) + Sync)) -> Result<Manifest> {
    if req.police_uk.is_empty() && req.extracts.is_empty() {
        return Err(IngestError::NothingToIngest);
    }
    let offences = OffenceTable::shipped();
    let (wards, ward_ref) =
        load_boundaries(&req.boundaries, &req.ward_code_prop, &req.ward_name_prop)?;
    let lsoas = match &req.lsoa_boundaries {
        Some(p) => Some(load_boundaries(p, &req.lsoa_code_prop, &req.lsoa_name_prop)?),
        None => None,
    };
    let lookup = match &req.lsoa_lookup {
        Some(p) => Some(LsoaLookup::load(p, &req.lookup_columns)?),
        None => None,
    };
    let (mapping, mapping_ref) = match &req.mapping {
        Some(p) => {
            let bytes =
                std::fs::read(p).map_err(|source| IngestError::Read { path: p.clone(), source })?;
            (
                Mapping::load(p, &bytes)?,
                Some(manifest::reference_file(
                    &source::describe(p, &bytes),
                    "column mapping".into(),
                    None,
                )),
            )
        }
        None => (Mapping::default(), None),
    };

    let mut inputs: Vec<(PathBuf, InputKind)> = Vec::new();
    for p in source::expand_police_uk(&req.police_uk)? {
        inputs.push((p, InputKind::PoliceUk));
    }
    for dir in &req.extracts {
        let files = extract::locate_files(dir, &mapping)?;
        inputs.push((files.crimes, InputKind::Extract(Table::Crimes)));
        if let Some(v) = files.victims {
            inputs.push((v, InputKind::Extract(Table::Victims)));
        }
        if let Some(o) = files.offenders {
            inputs.push((o, InputKind::Extract(Table::Offenders)));
        }
    }
    let names: Vec<String> = inputs.iter().map(|(p, _)| p.display().to_string()).collect();

    // 1. read and parse every file, in parallel, one file per task
    progress(Progress::Stage { name: "reading inputs", total: inputs.len() as u64 });
    let ctx = ParseContext { offences, lookup: lookup.as_ref() };
    let parsed: Vec<Result<(source::InputMeta, FileOutcome)>> = inputs
        .par_iter()
        .enumerate()
        .map(|(i, (path, kind))| {
            let (outcome, meta) = source::read_input_with(path, |data| {
                Ok(match kind {
                    InputKind::PoliceUk => {
                        let stem = path.file_name().map_or_else(String::new, |n| {
                            n.to_string_lossy()
                                .trim_end_matches(".gz")
                                .trim_end_matches(".csv")
                                .to_string()
                        });
                        police_uk::parse(data, i as u32, &stem, &ctx).map_err(|detail| {
                            IngestError::BadHeader { path: path.clone(), detail }
                        })?
                    }
                    InputKind::Extract(table) => {
                        extract::parse_table(data, path, *table, i as u32, &mapping, &ctx)?
                    }
                })
            })?;
            progress(Progress::Advance(1));
            Ok((meta, outcome))
        })
        .collect();
    let mut metas = Vec::with_capacity(parsed.len());
    let mut outcomes = Vec::with_capacity(parsed.len());
    for r in parsed {
        let (m, o) = r?;
        metas.push(m);
        outcomes.push(o);
    }

    // 2. merge in input order; a crime_ref seen before is a duplicate
    progress(Progress::Stage { name: "merging", total: 1 });
    let mut crimes: Vec<CrimeRow> = Vec::new();
    let mut quarantined: Vec<Quarantined> = Vec::new();
    let mut victims_in: Vec<PersonRow> = Vec::new();
    let mut offenders_in: Vec<PersonRow> = Vec::new();
    let mut rows_read = vec![0u64; inputs.len()];
    crimes.reserve_exact(outcomes.iter().map(|o| o.crimes.len()).sum());
    /// Appends without a copy when `to` is still empty (the usual single-file case).
    fn append<T>(to: &mut Vec<T>, from: Vec<T>) {
        if to.is_empty() && to.capacity() <= from.capacity() {
            *to = from;
        } else {
            to.extend(from);
        }
    }
    for (i, o) in outcomes.into_iter().enumerate() {
        rows_read[i] = o.rows_read;
        quarantined.extend(o.quarantined);
        append(&mut crimes, o.crimes);
        append(&mut victims_in, o.victims);
        append(&mut offenders_in, o.offenders);
    }
    let duplicates: Vec<(usize, usize)> = {
        let mut first: FxHashMap<&str, usize> =
            FxHashMap::with_capacity_and_hasher(crimes.len(), Default::default());
        crimes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match first.entry(c.crime_ref.as_str()) {
                Entry::Occupied(e) => Some((i, *e.get())),
                Entry::Vacant(v) => {
                    v.insert(i);
                    None
                }
            })
            .collect()
    };
    if !duplicates.is_empty() {
        let mut drop_row = vec![false; crimes.len()];
        for &(d, f) in &duplicates {
            let (c, first) = (&crimes[d], &crimes[f]);
            let mut q = Quarantined::new(
                Table::Crimes,
                c.source_file,
                c.source_line,
                "crime_ref",
                &c.crime_ref,
                Reason::DuplicateCrimeRef,
                format!(
                    "crime_ref already accepted from {} line {}",
                    names[first.source_file as usize], first.source_line
                ),
                format!("{} {} {}", c.crime_ref, c.recorded_date, c.crime_type),
            );
            q.year_month = Some(c.year_month());
            quarantined.push(q);
            drop_row[d] = true;
        }
        let mut k = 0;
        crimes.retain(|_| {
            k += 1;
            !drop_row[k - 1]
        });
    }
    progress(Progress::Advance(1));

    // 3. enrich: ward (and LSOA) by point in polygon, once per distinct point
    progress(Progress::Stage { name: "assigning wards", total: crimes.len() as u64 });
    let ward_index = AreaIndex::new(wards);
    let lsoa_index = lsoas.map(|(b, r)| (AreaIndex::new(b), r));
    enrich(&mut crimes, &ward_index, lsoa_index.as_ref().map(|(i, _)| i));
    progress(Progress::Advance(crimes.len() as u64));

    // 4. people must belong to an accepted crime, once per crime and role
    progress(Progress::Stage { name: "checking people", total: 1 });
    // only needed when there are people, or quarantined rows that name a crime
    let needs_months = !victims_in.is_empty()
        || !offenders_in.is_empty()
        || quarantined.iter().any(|q| q.crime_ref.is_some());
    let crime_month: FxHashMap<&str, (i32, u32)> = if needs_months {
        crimes.iter().map(|c| (c.crime_ref.as_str(), c.year_month())).collect()
    } else {
        FxHashMap::default()
    };
    /// Accepted people with their crime's (year, month), and the rows quarantined.
    type Checked = (Vec<(PersonRow, (i32, u32))>, Vec<Quarantined>);
    let people = |rows: Vec<PersonRow>, table: Table| -> Checked {
        let mut quarantined = Vec::new();
        // verdicts first (borrowing the rows, in parallel), then move the rows
        let mut verdicts: Vec<Result<(i32, u32), Reason>> = rows
            .par_iter()
            .with_min_len(4096)
            .map(|p| crime_month.get(p.crime_ref.as_str()).copied().ok_or(Reason::UnknownCrime))
            .collect();
        // a later row with the same (crime, person) as an earlier one is a duplicate: sort
        // (hash, row) pairs, then compare the strings only within runs of equal hashes
        let mut keyed: Vec<(u64, u32)> = rows
            .par_iter()
            .enumerate()
            .filter(|(i, _)| verdicts[*i].is_ok())
            .map(|(i, p)| {
                use std::hash::BuildHasher;
                (
                    rustc_hash::FxBuildHasher
                        .hash_one((p.crime_ref.as_str(), p.person_id.as_str())),
                    i as u32,
                )
            })
            .collect();
        keyed.par_sort_unstable();
        for run in keyed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            for (k, &(_, later)) in run.iter().enumerate().skip(1) {
                let p = &rows[later as usize];
                if run[..k].iter().any(|&(_, earlier)| {
                    let e = &rows[earlier as usize];
                    e.crime_ref == p.crime_ref
                        && e.person_id == p.person_id
                        && verdicts[earlier as usize].is_ok()
                }) {
                    verdicts[later as usize] = Err(Reason::DuplicatePerson);
                }
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (p, v) in rows.into_iter().zip(verdicts) {
            let raw = || format!("{},{}", p.crime_ref, p.person_id);
            match v {
                Ok(ym) => out.push((p, ym)),
                Err(Reason::UnknownCrime) => {
                    let mut q = Quarantined::new(table, p.source_file, p.source_line, "crime_ref", &p.crime_ref, Reason::UnknownCrime,
                        format!("no accepted crime has crime_ref `{}` (it is missing or was quarantined)", p.crime_ref), raw());
                    q.crime_ref = Some(p.crime_ref);
                    quarantined.push(q);
                }
                Err(reason) => {
                    let mut q = Quarantined::new(
                        table,
                        p.source_file,
                        p.source_line,
                        "person_id",
                        &p.person_id,
                        reason,
                        format!(
                            "person {} is already listed on crime {}",
                            p.person_id, p.crime_ref
                        ),
                        raw(),
                    );
                    q.crime_ref = Some(p.crime_ref);
                    quarantined.push(q);
                }
            }
        }
        (out, quarantined)
    };
    // victims and offenders are independent: checked side by side, quarantine kept in order
    let ((victims, qv), (offenders, qo)) = rayon::join(
        || people(victims_in, Table::Victims),
        || people(offenders_in, Table::Offenders),
    );
    quarantined.extend(qv);
    quarantined.extend(qo);
    progress(Progress::Advance(1));
    // partition quarantined rows by their crime's month, or the police.uk file's month
    for q in quarantined.iter_mut().filter(|q| q.year_month.is_none()) {
        q.year_month =
            q.crime_ref.as_deref().and_then(|r| crime_month.get(r).copied()).or_else(|| {
                let (path, kind) = &inputs[q.source_file as usize];
                let name = path.file_name()?.to_str()?;
                (*kind == InputKind::PoliceUk)
                    .then(|| police_uk::parse_month(name.get(..7)?))
                    .flatten()
                    .map(|d| (d.year(), d.month()))
            });
    }
    drop(crime_month);

    // 5. reconcile: every row read is accepted or quarantined
    let mut accepted = vec![0u64; inputs.len()];
    for c in &crimes {
        accepted[c.source_file as usize] += 1;
    }
    for (p, _) in victims.iter().chain(offenders.iter()) {
        accepted[p.source_file as usize] += 1;
    }
    let mut by_reason: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); inputs.len()];
    for q in &quarantined {
        *by_reason[q.source_file as usize].entry(q.reason.code().to_string()).or_default() += 1;
    }
    let mut reports = Vec::with_capacity(inputs.len());
    for (i, meta) in metas.iter().enumerate() {
        let q: u64 = by_reason[i].values().sum();
        if rows_read[i] != accepted[i] + q {
            return Err(IngestError::Internal(format!(
                "{}: {} rows read but {} accepted + {} quarantined",
                meta.path, rows_read[i], accepted[i], q
            )));
        }
        reports.push(manifest::InputReport {
            path: meta.path.clone(),
            kind: inputs[i].1.source_kind(),
            bytes: meta.bytes,
            sha256: meta.sha256.clone(),
            rows_read: rows_read[i],
            accepted: accepted[i],
            quarantined: q,
            quarantined_by_reason: by_reason[i].clone(),
        });
    }

    // 6. write into a temporary folder beside `out`, then swap it in
    progress(Progress::Stage { name: "writing Parquet", total: 4 });
    // partition order without moving the (large) rows: sort references
    let mut crime_refs: Vec<&CrimeRow> = crimes.iter().collect();
    crime_refs.par_sort_by_key(|c| c.year_month());
    let mut victim_refs: Vec<&(PersonRow, (i32, u32))> = victims.iter().collect();
    victim_refs.par_sort_by_key(|(_, ym)| *ym);
    let mut offender_refs: Vec<&(PersonRow, (i32, u32))> = offenders.iter().collect();
    offender_refs.par_sort_by_key(|(_, ym)| *ym);
    quarantined.sort_by_key(|q| (q.year_month.is_none(), q.year_month, q.source_file, q.line));
    dataset::remove_stale_siblings(&req.out);
    let tmp = dataset::sibling(&req.out, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .map_err(|source| IngestError::Write { path: tmp.clone(), source })?;
    }
    let result = write_all(
        &tmp,
        &crime_refs,
        &victim_refs,
        &offender_refs,
        &quarantined,
        &names,
        offences,
        progress,
    );
    let partitions = match result {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };

    let mut counts = manifest::Counts {
        crimes: crimes.iter().filter(|c| c.kind == RecordKind::Crime).count() as u64,
        asb: crimes.iter().filter(|c| c.kind == RecordKind::Asb).count() as u64,
        victims: victims.len() as u64,
        offenders: offenders.len() as u64,
        quarantined: quarantined.len() as u64,
        in_area: crimes.iter().filter(|c| c.in_area).count() as u64,
        outside_area: crimes.iter().filter(|c| !c.in_area).count() as u64,
        ward_by_lsoa_lookup: crimes.iter().filter(|c| c.geo_method == GeoMethod::LsoaLookup).count()
            as u64,
        first_month: crime_refs.first().map(|c| c.recorded_date.format("%Y-%m").to_string()),
        last_month: crime_refs.last().map(|c| c.recorded_date.format("%Y-%m").to_string()),
        ..Default::default()
    };
    for c in &crimes {
        *counts.crimes_by_type.entry(c.crime_type.name().to_string()).or_default() += 1;
    }
    let total_read: u64 = rows_read.iter().sum();
    let total_acc: u64 = accepted.iter().sum();
    let manifest = Manifest {
        schema_version: csa_model::SCHEMA_VERSION,
        tool: format!("csa {}", env!("CARGO_PKG_VERSION")),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs: reports,
        boundaries: ward_ref,
        lsoa_boundaries: lsoa_index.map(|(_, r)| r),
        lsoa_lookup: lookup.as_ref().and_then(|l| {
            l.meta.as_ref().map(|m| manifest::reference_file(m, format!("{} LSOAs", l.len()), None))
        }),
        mapping: mapping_ref,
        offence_reference: format!(
            "data/reference/offence_codes.csv ({} codes, compiled in)",
            offences.len()
        ),
        counts,
        reconciliation: manifest::Reconciliation {
            rows_read: total_read,
            accepted: total_acc,
            quarantined: quarantined.len() as u64,
            balanced: total_read == total_acc + quarantined.len() as u64,
        },
        partitions,
        appends: Vec::new(),
    };
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| IngestError::Internal(e.to_string()))?;
    let mpath = tmp.join(manifest::MANIFEST_FILE);
    std::fs::write(&mpath, json).map_err(|source| IngestError::Write { path: mpath, source })?;
    dataset::replace_dir(&tmp, &req.out)?;
    Ok(manifest)
}

#[allow(clippy::too_many_arguments)]
fn write_all(
    tmp: &Path,
    crimes: &[&CrimeRow],
    victims: &[&(PersonRow, (i32, u32))],
    offenders: &[&(PersonRow, (i32, u32))],
    quarantined: &[Quarantined],
    names: &[String],
    offences: &OffenceTable,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<dataset::Partition>> {
    std::fs::create_dir_all(tmp)
        .map_err(|source| IngestError::Write { path: tmp.to_path_buf(), source })?;
    if crimes.is_empty() {
        let mut df = dataset::crimes_frame(&[], names, offences)?;
        dataset::write_parquet(&tmp.join("crimes").join("empty.parquet"), &mut df)?;
    }
    // the tables are independent files: write the crimes beside the rest. In polars' own
    // thread pool: its Parquet writer installs its work there, and a worker of another pool
    // waiting on it would idle one of the cores (as with reading, see csa-analysis data.rs)
    let (crime_parts, other_parts) = polars_core::runtime::THREAD_POOL.join(
        || {
            dataset::write_partitioned(
                tmp,
                "crimes",
                crimes,
                |c| Some(c.year_month()),
                |rows| dataset::crimes_frame(rows, names, offences),
            )
        },
        || -> Result<Vec<dataset::Partition>> {
            let mut parts = Vec::new();
            for (table, rows, is_off) in
                [("victims", victims, false), ("offenders", offenders, true)]
            {
                // an empty table still gets a folder with a schema-only file, so readers find it
                if rows.is_empty() {
                    let mut df = dataset::people_frame(&[], names, is_off)?;
                    dataset::write_parquet(&tmp.join(table).join("empty.parquet"), &mut df)?;
                }
                parts.extend(dataset::write_partitioned(
                    tmp,
                    table,
                    rows,
                    |p| Some(p.1),
                    |rows| {
                        dataset::people_frame(
                            &rows.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                            names,
                            is_off,
                        )
                    },
                )?);
                progress(Progress::Advance(1));
            }
            if quarantined.is_empty() {
                let mut df = dataset::quarantine_frame(&[], names)?;
                dataset::write_parquet(&tmp.join("quarantine").join("empty.parquet"), &mut df)?;
            }
            parts.extend(dataset::write_partitioned(
                tmp,
                "quarantine",
                quarantined,
                |q| q.year_month,
                |rows| dataset::quarantine_frame(&rows.iter().collect::<Vec<_>>(), names),
            )?);
            Ok(parts)
        },
    );
    let mut parts = crime_parts?;
    progress(Progress::Advance(1));
    parts.extend(other_parts?);
    progress(Progress::Advance(1));
    Ok(parts)
}

fn load_boundaries(
    path: &Path,
    code: &str,
    name: &str,
) -> Result<(Boundaries, manifest::ReferenceFile)> {
    let (bytes, meta) = source::read_input(path)?;
    let text =
        String::from_utf8(bytes).map_err(|_| IngestError::NotUtf8 { path: path.to_path_buf() })?;
    let b = Boundaries::from_geojson(&text, code, name)
        .map_err(|source| IngestError::Boundaries { path: path.to_path_buf(), source })?;
    let desc = format!("{} areas, code property {code}, name property {name}", b.len());
    let properties = manifest::AreaProperties {
        areas: b.len() as u64,
        code_property: code.to_string(),
        name_property: name.to_string(),
    };
    Ok((b, manifest::reference_file(&meta, desc, Some(properties))))
}

/// Assigns ward (and missing LSOA) to every crime with coordinates; marks `in_area`.
pub fn enrich(crimes: &mut [CrimeRow], wards: &AreaIndex, lsoas: Option<&AreaIndex>) {
    // one shared string per area, cloned by reference count
    let shared = |idx: &AreaIndex| -> Vec<(Arc<str>, Arc<str>)> {
        idx.areas()
            .iter()
            .map(|a| (Arc::from(a.code.as_str()), Arc::from(a.name.as_str())))
            .collect()
    };
    let ward_names = shared(wards);
    let lsoa_names = lsoas.map(shared).unwrap_or_default();
    let ward_codes: HashSet<&str> = wards.areas().iter().map(|a| a.code.as_str()).collect();
    let locate = |lon: f64, lat: f64| {
        (
            wards.locate(lon, lat).map(|i| i as u32),
            lsoas.and_then(|l| l.locate(lon, lat)).map(|i| i as u32),
        )
    };
    let apply = |c: &mut CrimeRow, (w, l): (Option<u32>, Option<u32>)| {
        c.ward = w.map(|w| ward_names[w as usize].clone());
        c.geo_method = if w.is_some() { GeoMethod::PointInPolygon } else { GeoMethod::None };
        c.in_area = w.is_some();
        if let (Some(l), None) = (l, c.lsoa_code.as_ref()) {
            let (code, name) = &lsoa_names[l as usize];
            c.lsoa_code = Some(code.clone());
            c.lsoa_name = Some(name.clone());
        }
    };
    let point = |c: &CrimeRow| Some((c.lon?.to_bits(), c.lat?.to_bits()));
    // police.uk snaps crimes to shared map points, so look each distinct point up once;
    // force extracts have exact points, where de-duplicating only costs time
    let sample: Vec<(u64, u64)> = crimes.iter().take(20_000).filter_map(point).collect();
    let sample_distinct = sample.iter().collect::<HashSet<_>>().len();
    if sample_distinct * 2 > sample.len() {
        crimes.par_iter_mut().with_min_len(1024).for_each(|c| match (c.lon, c.lat) {
            (Some(lon), Some(lat)) => apply(c, locate(lon, lat)),
            _ => c.in_area = c.ward.as_ref().is_some_and(|(code, _)| ward_codes.contains(&**code)),
        });
        return;
    }
    let mut distinct: Vec<(u64, u64)> = crimes.iter().filter_map(point).collect();
    distinct.par_sort_unstable();
    distinct.dedup();
    let located: Vec<(Option<u32>, Option<u32>)> = distinct
        .par_iter()
        .with_min_len(256)
        .map(|&(x, y)| locate(f64::from_bits(x), f64::from_bits(y)))
        .collect();
    let position: FxHashMap<(u64, u64), u32> =
        distinct.iter().enumerate().map(|(i, &p)| (p, i as u32)).collect();
    crimes.par_iter_mut().with_min_len(1024).for_each(|c| {
        match point(c).and_then(|p| position.get(&p)) {
            Some(&i) => apply(c, located[i as usize]),
            None => {
                c.in_area = c.ward.as_ref().is_some_and(|(code, _)| ward_codes.contains(&**code))
            }
        }
    });
}
