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
pub mod incidents;
pub mod lookup;
pub mod manifest;
pub mod mapping;
pub mod parquet_check;
pub mod police_uk;
pub mod record;
pub mod ref_index;
pub mod rows;
pub mod source;
pub mod spill;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Datelike;
use csa_geo::{AreaIndex, Boundaries};
use csa_model::{CrimeType, OffenceTable, Reason, RecordKind};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

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
    /// Partner incidents files: (dataset name, file), read through the mapping's
    /// `[incidents.NAME]` ([`incidents`]).
    pub incidents: Vec<(String, PathBuf)>,
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
    /// Peak memory to aim under, in bytes ([`DEFAULT_MEMORY_BUDGET`] when `None`).
    pub memory_budget: Option<u64>,
}

impl IngestRequest {
    pub fn new(boundaries: PathBuf, out: PathBuf) -> IngestRequest {
        IngestRequest {
            police_uk: Vec::new(),
            extracts: Vec::new(),
            incidents: Vec::new(),
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
            memory_budget: None,
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
    /// People described by partner incidents: (index of the incident in `crimes`, victims
    /// or offenders, the person). Part of their incident's row, not rows of their own.
    pub derived: Vec<(usize, Table, PersonRow)>,
}

impl FileOutcome {
    /// Adds a later batch of the same file.
    pub fn gather(&mut self, o: FileOutcome) {
        self.rows_read += o.rows_read;
        let base = self.crimes.len();
        self.derived.extend(o.derived.into_iter().map(|(i, t, p)| (base + i, t, p)));
        self.crimes.extend(o.crimes);
        self.victims.extend(o.victims);
        self.offenders.extend(o.offenders);
        self.quarantined.extend(o.quarantined);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    PoliceUk,
    Extract(Table),
    /// A partner incidents file: the index of its dataset in `Plan::partners`.
    Incidents(usize),
}

impl InputKind {
    fn source_kind(self) -> manifest::SourceKind {
        match self {
            InputKind::PoliceUk => manifest::SourceKind::PoliceUk,
            InputKind::Extract(Table::Crimes) => manifest::SourceKind::ExtractCrimes,
            InputKind::Extract(Table::Victims) => manifest::SourceKind::ExtractVictims,
            InputKind::Extract(Table::Offenders) => manifest::SourceKind::ExtractOffenders,
            InputKind::Extract(Table::Incidents) | InputKind::Incidents(_) => {
                manifest::SourceKind::Incidents
            }
        }
    }
}

/// The default memory budget: peak resident memory ingest aims to stay under, whatever the
/// number of rows (`--memory-budget` lowers it).
pub const DEFAULT_MEMORY_BUDGET: u64 = 1536 << 20;

/// How a memory budget is shared between ingest's passes. Only the sizes of buffers, buckets
/// and the months written at once depend on it, never the result.
#[derive(Debug, Clone, Copy)]
struct Budget(u64);

impl Budget {
    /// Bytes of spilled records buffered in memory (all sets together) before they are
    /// appended to their files.
    fn spill_buffer(self) -> usize {
        (self.0 / 24).clamp(64, 48 << 20) as usize
    }
    /// Bytes of crime-ref index and people held at once while checking them.
    fn bucket(self) -> u64 {
        (self.0 / 4).max(1)
    }
    /// police.uk files read side by side: each holds a few batches of rows, chunks of crimes
    /// and a row group's frames; measured at 6M rows, one file peaks at 0.68 GB and two at
    /// 1.15 GB, so a second file needs 640 MiB of budget (the default allows two).
    fn files_at_once(self) -> usize {
        (self.0 / (640 << 20)).max(1) as usize
    }
    /// Bytes of spilled month partitions decoded and written at once.
    fn months(self) -> u64 {
        (self.0 / 2).max(1)
    }
}

/// A month partition key.
type Month = (i32, u32);

/// The references, mapping and ordered inputs of one ingest.
struct Plan {
    offences: &'static OffenceTable,
    wards: AreaIndex,
    ward_ref: manifest::ReferenceFile,
    lsoas: Option<(AreaIndex, manifest::ReferenceFile)>,
    lookup: Option<LsoaLookup>,
    mapping: Mapping,
    mapping_ref: Option<manifest::ReferenceFile>,
    /// Partner datasets: (name, mapping); `wards` names the wards their rows may give.
    partners: Vec<(String, mapping::IncidentMapping)>,
    ward_names: incidents::WardNames,
    inputs: Vec<(PathBuf, InputKind)>,
    names: Vec<String>,
    budget: Budget,
}

impl Plan {
    fn load(req: &IngestRequest) -> Result<Plan> {
        if req.police_uk.is_empty() && req.extracts.is_empty() && req.incidents.is_empty() {
            return Err(IngestError::NothingToIngest);
        }
        let (wards, ward_ref) =
            load_boundaries(&req.boundaries, &req.ward_code_prop, &req.ward_name_prop)?;
        let lsoas = match &req.lsoa_boundaries {
            Some(p) => {
                let (b, r) = load_boundaries(p, &req.lsoa_code_prop, &req.lsoa_name_prop)?;
                Some((AreaIndex::new(b), r))
            }
            None => None,
        };
        let lookup = match &req.lsoa_lookup {
            Some(p) => Some(LsoaLookup::load(p, &req.lookup_columns)?),
            None => None,
        };
        let (mapping, mapping_ref) = match &req.mapping {
            Some(p) => {
                let bytes = std::fs::read(p)
                    .map_err(|source| IngestError::Read { path: p.clone(), source })?;
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
        let mut partners: Vec<(String, mapping::IncidentMapping)> = Vec::new();
        for (name, path) in &req.incidents {
            mapping::check_incident_name(name).map_err(|detail| IngestError::NoInputs {
                path: path.clone(),
                detail: format!("--incidents {name}=...: {detail}"),
            })?;
            if !path.is_file() {
                return Err(IngestError::NoInputs {
                    path: path.clone(),
                    detail: format!("partner incidents file of `{name}` does not exist"),
                });
            }
            let at = match partners.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    partners.push((name.clone(), mapping.incidents(name)));
                    partners.len() - 1
                }
            };
            inputs.push((path.clone(), InputKind::Incidents(at)));
        }
        let wards = AreaIndex::new(wards);
        let ward_names = incidents::WardNames::new(
            wards.areas().iter().map(|a| (a.code.as_str(), a.name.as_str())),
        );
        let names = inputs.iter().map(|(p, _)| p.display().to_string()).collect();
        Ok(Plan {
            offences: OffenceTable::shipped(),
            wards,
            ward_ref,
            lsoas,
            lookup,
            mapping,
            mapping_ref,
            partners,
            ward_names,
            inputs,
            names,
            budget: Budget(req.memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET)),
        })
    }

    /// The month of a police.uk file from its name, for rows whose own month is unreadable.
    fn file_month(&self, file: u32) -> Option<Month> {
        let (path, kind) = &self.inputs[file as usize];
        let name = path.file_name()?.to_str()?;
        (*kind == InputKind::PoliceUk)
            .then(|| police_uk::parse_month(name.get(..7)?))
            .flatten()
            .map(|d| (d.year(), d.month()))
    }
}

/// A folder for spilled rows beside `out`, removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(out: &Path) -> Result<WorkDir> {
        let dir = dataset::sibling(out, "spill");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|source| IngestError::Write { path: dir.clone(), source })?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|source| IngestError::Write { path: dir.clone(), source })?;
        Ok(WorkDir(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A quarantined row's place among rows of the same file and line (never more than one in
/// practice): rows quarantined while reading first, then duplicates, then people's checks.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Stage {
    Read = 0,
    Duplicate = 1,
    Victims = 2,
    Offenders = 3,
}

/// What the first pass left: spilled rows and per-file tallies.
struct Spilled {
    metas: Vec<source::InputMeta>,
    rows_read: Vec<u64>,
    /// Accepted crimes by month: (sequence number, row), in input order.
    crimes: spill::SpillSet<Month>,
    /// (hash, sequence, month, file, line, date, crime type, crime_ref) per crime.
    index: spill::SpillSet<u32>,
    /// People rows and people rows quarantined with their crime_ref, to check against crimes.
    people: spill::SpillSet<u32>,
    /// Quarantined rows by partition: (stage, sequence, row).
    quarantine: spill::SpillSet<Option<Month>>,
    /// The police.uk files' own months, already written, in input order.
    pieces: Vec<Piece>,
    /// The accepted crimes' counts (duplicates are taken off as they are found).
    tally: Tally,
}

/// What one accepted crime adds to the manifest's counts. Counted as crimes are read; kept in
/// the crime-ref index (`flags`) so that a duplicate found later is taken off again.
#[derive(Clone, Copy)]
struct Counted {
    file: u32,
    kind: RecordKind,
    in_area: bool,
    by_lookup: bool,
    crime_type: Option<CrimeType>,
}

impl Counted {
    fn of(c: &CrimeRow) -> Counted {
        Counted {
            file: c.source_file,
            kind: c.kind,
            in_area: c.in_area,
            by_lookup: c.geo_method == GeoMethod::LsoaLookup,
            crime_type: c.crime_type,
        }
    }

    fn flags(self) -> u8 {
        self.kind as u8 | u8::from(self.in_area) << 2 | u8::from(self.by_lookup) << 3
    }

    fn from_flags(file: u32, flags: u8, crime_type: Option<CrimeType>) -> Option<Counted> {
        Some(Counted {
            file,
            kind: *RecordKind::ALL.get(usize::from(flags & 3))?,
            in_area: flags & 4 != 0,
            by_lookup: flags & 8 != 0,
            crime_type,
        })
    }

    /// Adds the crime to `t`, or takes it off.
    fn add_to(self, t: &mut Tally, add: bool) {
        let step = |n: &mut u64| if add { *n += 1 } else { *n -= 1 };
        step(&mut t.accepted[self.file as usize]);
        let c = &mut t.counts;
        step(match self.kind {
            RecordKind::Crime => &mut c.crimes,
            RecordKind::Asb => &mut c.asb,
            RecordKind::Incident => &mut c.incidents,
        });
        step(if self.in_area { &mut c.in_area } else { &mut c.outside_area });
        if self.by_lookup {
            step(&mut c.ward_by_lsoa_lookup);
        }
        if let Some(ty) = self.crime_type {
            let name = ty.name();
            match c.crimes_by_type.get_mut(name) {
                Some(n) => {
                    step(n);
                    if *n == 0 {
                        c.crimes_by_type.remove(name);
                    }
                }
                None if add => {
                    c.crimes_by_type.insert(name.to_string(), 1);
                }
                None => {}
            }
        }
    }
}

/// A police.uk file's crimes of its own month (the month its name gives, else its first
/// crime's), written as the file is read. It becomes the month's partition as it is, unless
/// other inputs add crimes to the month or some of its rows turn out to be duplicates; then
/// [`write_crimes`] copies it into the month's partition with the others, in input order.
struct Piece {
    path: PathBuf,
    month: Month,
    rows: u64,
    /// Sequence numbers of its rows, as runs (first, length), ascending.
    seqs: Vec<(u64, u64)>,
}

/// Writes a [`Piece`] while its file is read: [`WRITE_CHUNK`] crimes at a time go to a thread
/// of their own that frames and writes them, so the file's next rows are parsed meanwhile.
struct PieceWriter {
    path: PathBuf,
    month: Option<Month>,
    seqs: Vec<(u64, u64)>,
    chunk: Vec<CrimeRow>,
    /// One chunk waits while the thread writes the one before.
    to_thread: Option<std::sync::mpsc::SyncSender<Vec<CrimeRow>>>,
    thread: Option<std::thread::JoinHandle<Result<usize>>>,
}

impl PieceWriter {
    fn new(work: &Path, file: u32, month: Option<Month>, plan: &Plan) -> PieceWriter {
        let path = work.join(format!("piece-{file}.parquet"));
        let (to_thread, chunks) = std::sync::mpsc::sync_channel::<Vec<CrimeRow>>(1);
        let (names, offences, at) = (plan.names.clone(), plan.offences, path.clone());
        let thread = std::thread::spawn(move || {
            let mut out = dataset::GroupedWriter::new(&at);
            for mut chunk in chunks {
                frame_crimes(&mut chunk, &mut out, &names, offences)?;
            }
            out.finish()
        });
        PieceWriter {
            path,
            month,
            seqs: Vec::new(),
            chunk: Vec::with_capacity(WRITE_CHUNK),
            to_thread: Some(to_thread),
            thread: Some(thread),
        }
    }

    /// Whether a crime of month `ym` belongs here.
    fn takes(&mut self, ym: Month) -> bool {
        *self.month.get_or_insert(ym) == ym
    }

    fn push(&mut self, seq: u64, c: CrimeRow) -> Result<()> {
        match self.seqs.last_mut() {
            Some((first, len)) if *first + *len == seq => *len += 1,
            _ => self.seqs.push((seq, 1)),
        }
        self.chunk.push(c);
        if self.chunk.len() >= WRITE_CHUNK {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<()> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(WRITE_CHUNK));
        let sent = self.to_thread.as_ref().is_some_and(|t| t.send(chunk).is_ok());
        // the thread stops only on an error, which joining it reports
        if sent {
            Ok(())
        } else {
            self.join().map(|_| ())
        }
    }

    fn join(&mut self) -> Result<usize> {
        self.to_thread = None;
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(written)) => written,
            Some(Err(_)) => Err(IngestError::Internal(format!(
                "the thread writing {} panicked",
                self.path.display()
            ))),
            None => {
                Err(IngestError::Internal(format!("{} was already closed", self.path.display())))
            }
        }
    }

    fn finish(mut self) -> Result<Option<Piece>> {
        if !self.chunk.is_empty() {
            self.send()?;
        }
        let rows = self.join()? as u64;
        Ok(self.month.filter(|_| rows > 0).map(|month| Piece {
            path: std::mem::take(&mut self.path),
            month,
            rows,
            seqs: std::mem::take(&mut self.seqs),
        }))
    }
}

impl Drop for PieceWriter {
    /// A file given up on (another input failed) still has its thread finished before the
    /// work folder is removed.
    fn drop(&mut self) {
        self.to_thread = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Frames `chunk`'s crimes onto `out` and empties it.
fn frame_crimes(
    chunk: &mut Vec<CrimeRow>,
    out: &mut dataset::GroupedWriter,
    files: &[String],
    offences: &OffenceTable,
) -> Result<()> {
    if chunk.is_empty() {
        return Ok(());
    }
    let refs: Vec<&CrimeRow> = chunk.iter().collect();
    let df = dataset::crimes_frame(&refs, files, offences)?;
    drop(refs);
    chunk.clear();
    out.push(df)
}

/// Sequence numbers order every row by input: a row's is its file's number shifted by this
/// much, plus its place among the file's rows (files read side by side never share one).
const SEQ_FILE_SHIFT: u32 = 40;

/// The spill sets every input adds to, shared by the police.uk files read side by side (their
/// records may interleave: the index and each month's crimes are put back in input order by
/// sequence number before they are used).
struct Shared {
    crimes: spill::SpillSet<Month>,
    index: spill::SpillSet<u32>,
    people: spill::SpillSet<u32>,
    quarantine: spill::SpillSet<Option<Month>>,
    /// People are read one input at a time (force extracts, partner incidents), in order.
    person_seq: u64,
}

/// What reading one input left besides its records in [`Shared`].
struct FileRead {
    meta: source::InputMeta,
    rows_read: u64,
    piece: Option<Piece>,
    tally: Tally,
}

/// 1. Reads every input, streaming: gives crimes their wards and counts them; writes each
///    police.uk file's crimes of its own month as a [`Piece`] and spills the other crimes by
///    month; spills a crime-ref index and the people to check, quarantined rows by month.
///    police.uk files (always the first inputs) are read side by side as far as the budget
///    and the threads allow; the others one at a time, in order.
fn read_inputs(
    plan: &Plan,
    work: &WorkDir,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Spilled> {
    progress(Progress::Stage { name: "reading inputs", total: plan.inputs.len() as u64 });
    let limit = plan.budget.spill_buffer();
    let shared = std::sync::Mutex::new(Shared {
        crimes: spill::SpillSet::new(&work.0, "crimes", limit / 2),
        index: spill::SpillSet::new(&work.0, "index", limit / 4),
        people: spill::SpillSet::new(&work.0, "people", limit / 8),
        quarantine: spill::SpillSet::new(&work.0, "quarantine", limit / 8),
        person_seq: 0,
    });
    let police = plan.inputs.iter().take_while(|(_, k)| *k == InputKind::PoliceUk).count();
    let at_once =
        plan.budget.files_at_once().min(rayon::current_num_threads()).clamp(1, police.max(1));
    let claimed = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<FileRead>>>> =
        (0..police).map(|_| std::sync::Mutex::new(None)).collect();
    let take = |i: usize| results[i].lock().ok().and_then(|mut r| r.take());
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            scope.spawn(|| loop {
                // files are claimed in input order, so the first failing file is always read
                let i = claimed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= police {
                    break;
                }
                let read = read_file(plan, work, i, &shared);
                let failed = read.is_err();
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(read);
                }
                progress(Progress::Advance(1));
                if failed {
                    claimed.fetch_max(police, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let mut reads = Vec::with_capacity(plan.inputs.len());
    for i in 0..police {
        let read = take(i)
            .ok_or_else(|| IngestError::Internal(format!("{} was not read", plan.names[i])))?;
        reads.push(read?);
    }
    for i in police..plan.inputs.len() {
        reads.push(read_file(plan, work, i, &shared)?);
        progress(Progress::Advance(1));
    }
    let shared = shared
        .into_inner()
        .map_err(|_| IngestError::Internal("a thread reading inputs panicked".into()))?;
    let mut s = Spilled {
        metas: Vec::with_capacity(plan.inputs.len()),
        rows_read: Vec::with_capacity(plan.inputs.len()),
        crimes: shared.crimes,
        index: shared.index,
        people: shared.people,
        quarantine: shared.quarantine,
        pieces: Vec::new(),
        tally: Tally::new(plan.inputs.len()),
    };
    for r in reads {
        s.metas.push(r.meta);
        s.rows_read.push(r.rows_read);
        s.pieces.extend(r.piece);
        s.tally.add(r.tally);
    }
    Ok(s)
}

/// Reads input `i`, adding its records to `shared`.
fn read_file(
    plan: &Plan,
    work: &WorkDir,
    i: usize,
    shared: &std::sync::Mutex<Shared>,
) -> Result<FileRead> {
    let (path, kind) = &plan.inputs[i];
    let file = i as u32;
    let ctx = ParseContext { offences: plan.offences, lookup: plan.lookup.as_ref() };
    let locked = || {
        shared.lock().map_err(|_| IngestError::Internal("a thread reading inputs panicked".into()))
    };
    let mut piece = (*kind == InputKind::PoliceUk)
        .then(|| PieceWriter::new(&work.0, file, plan.file_month(file), plan));
    let mut tally = Tally::new(plan.inputs.len());
    let mut rows_read = 0;
    let (mut crime_seq, mut q_seq) = ((i as u64) << SEQ_FILE_SHIFT, (i as u64) << SEQ_FILE_SHIFT);
    let mut sink = |mut o: FileOutcome| -> Result<()> {
        rows_read += o.rows_read;
        enrich(&mut o.crimes, &plan.wards, plan.lsoas.as_ref().map(|(i, _)| i));
        let first_seq = crime_seq;
        let mut sh = locked()?;
        let s = &mut *sh;
        for (n, c) in o.crimes.iter().enumerate() {
            let seq = first_seq + n as u64;
            let ym = c.year_month();
            let counted = Counted::of(c);
            counted.add_to(&mut tally, true);
            s.index.push(&0, |e| {
                e.u64(ref_index::hash(&c.crime_ref));
                e.u64(seq);
                e.month(Some(ym));
                e.u32(c.source_file);
                e.u64(c.source_line);
                e.i32(spill::date_days(c.recorded_date));
                e.u8(c.crime_type.map_or(u8::MAX, |t| t as u8));
                e.u8(counted.flags());
                e.ref_key(&c.crime_ref);
            })?;
            if !piece.as_mut().is_some_and(|p| p.takes(ym)) {
                s.crimes.push(&ym, |e| {
                    e.u64(seq);
                    spill::put_crime(e, c);
                })?;
            }
        }
        // an incident's person carries its incident's sequence number: if the incident
        // is dropped as a duplicate, its person goes with it (it was never a row)
        for (at, table, p) in &o.derived {
            s.people.push(&0, |e| {
                e.u64(ref_index::hash(&p.crime_ref));
                e.u8(spill::table_code(*table));
                e.u64(s.person_seq);
                e.u8(2);
                e.u64(first_seq + *at as u64);
                spill::put_person(e, p);
            })?;
            s.person_seq += 1;
        }
        for (table, rows) in [(Table::Victims, &o.victims), (Table::Offenders, &o.offenders)] {
            for p in rows {
                s.people.push(&0, |e| {
                    e.u64(ref_index::hash(&p.crime_ref));
                    e.u8(spill::table_code(table));
                    e.u64(s.person_seq);
                    e.u8(0);
                    spill::put_person(e, p);
                })?;
                s.person_seq += 1;
            }
        }
        for mut q in o.quarantined {
            // a row naming a crime is partitioned by that crime's month, known later
            if let (Some(r), None) = (&q.crime_ref, q.year_month) {
                s.people.push(&0, |e| {
                    e.u64(ref_index::hash(r));
                    e.u8(spill::table_code(q.table));
                    e.u64(q_seq);
                    e.u8(1);
                    spill::put_quarantined(e, &q);
                })?;
            } else {
                if q.year_month.is_none() {
                    q.year_month = plan.file_month(q.source_file);
                }
                s.quarantine.push(&q.year_month, |e| {
                    e.u8(Stage::Read as u8);
                    e.u64(q_seq);
                    spill::put_quarantined(e, &q);
                })?;
            }
            q_seq += 1;
        }
        drop(sh);
        // the file's own month goes to its piece outside the lock (its thread may make it wait)
        for c in o.crimes {
            if let Some(p) = piece.as_mut().filter(|p| p.month == Some(c.year_month())) {
                p.push(crime_seq, c)?;
            }
            crime_seq += 1;
        }
        Ok(())
    };
    let stream = source::InputStream::open(path)?;
    let stream = match kind {
        InputKind::PoliceUk => {
            let stem = path.file_name().map_or_else(String::new, |n| {
                n.to_string_lossy().trim_end_matches(".gz").trim_end_matches(".csv").to_string()
            });
            let Some(mut csv) = rows::CsvBatches::new(stream, Table::Crimes, file) else {
                return Err(IngestError::BadHeader {
                    path: path.clone(),
                    detail: "file has no header line".into(),
                });
            };
            police_uk::parse(&mut csv, path, file, &stem, &ctx, &mut sink)?;
            csv.into_stream()
        }
        InputKind::Extract(table) => {
            extract::parse_table(stream, path, *table, file, &plan.mapping, &ctx, &mut sink)?
        }
        InputKind::Incidents(at) => {
            let (name, mapping) = &plan.partners[*at];
            let partner = incidents::Partner { name, mapping, wards: &plan.ward_names };
            incidents::parse(stream, path, file, &partner, &ctx, &mut sink)?
        }
    };
    let meta = stream.finish()?;
    let piece = match piece {
        Some(p) => p.finish()?,
        None => None,
    };
    Ok(FileRead { meta, rows_read, piece, tally })
}

/// What checking crime refs and people decided.
struct Resolved {
    /// Sequence numbers of crimes quarantined as duplicates, by month, ascending.
    dropped: BTreeMap<Month, Vec<u64>>,
    victims: spill::SpillSet<Month>,
    offenders: spill::SpillSet<Month>,
    /// The crime-ref index of the accepted crimes (`ref_index`), in the work folder, and its
    /// number of entries.
    index: (PathBuf, u64),
}

/// 2 and 4. The first occurrence of a crime_ref wins, later ones are quarantined naming it;
///    people must belong to an accepted crime, once per (crime, person) and role. Both need
///    every crime_ref at once: the index and people are split into buckets by the crime_ref's
///    hash (as many as the budget needs), and each bucket is checked on its own, in input
///    order, comparing the strings themselves.
fn resolve(
    plan: &Plan,
    work: &WorkDir,
    s: &mut Spilled,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Resolved> {
    let total = s.index.size(&0) + s.people.size(&0);
    // decoded and ordered, a bucket takes about four times its bytes
    let buckets = (total * 4).div_ceil(plan.budget.bucket()).clamp(1, 256) as u32;
    progress(Progress::Stage { name: "checking crime refs and people", total: buckets as u64 });
    let limit = plan.budget.spill_buffer();
    let index_path = work.0.join(ref_index::FILE);
    let mut index_out = ref_index::Writer::create(&index_path)?;
    let mut out = Resolved {
        dropped: BTreeMap::new(),
        victims: spill::SpillSet::new(&work.0, "victims", limit / 4),
        offenders: spill::SpillSet::new(&work.0, "offenders", limit / 4),
        index: (index_path, 0),
    };
    // ranges of the hash, so the buckets' index entries, each sorted, follow one another
    let bucket_of = |hash: u64| ref_index::bucket(hash, buckets);
    if buckets > 1 {
        for (set, name) in [(&mut s.index, "index-b"), (&mut s.people, "people-b")] {
            let mut split: spill::SpillSet<u32> = spill::SpillSet::new(&work.0, name, limit / 4);
            set.stream(&0, |rec| {
                let hash = u64::from_le_bytes(
                    rec.get(..8)
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(|| spill::corrupt(name))?,
                );
                split.push(&bucket_of(hash), |e| e.0.extend_from_slice(rec))
            })?;
            split.flush()?;
            *set = split;
        }
    }
    let corrupt = || spill::corrupt("crime-ref index");
    for b in 0..buckets {
        let index = s.index.take(&b)?;
        let people = s.people.take(&b)?;
        struct Ix<'a> {
            hash: u64,
            seq: u64,
            ym: Month,
            file: u32,
            line: u64,
            date: i32,
            ctype: u8,
            flags: u8,
            r: &'a [u8],
        }
        // crime_ref -> (file, line, month, hash) of its first, accepted, occurrence
        let mut first: FxHashMap<&[u8], (u32, u64, Month, u64)> =
            FxHashMap::with_capacity_and_hasher(spill::records(&index).count(), Default::default());
        let mut dropped_here: FxHashSet<u64> = FxHashSet::default();
        for (_, rec) in spill::by_sequence(&index, 8).ok_or_else(corrupt)? {
            let mut d = spill::Dec { bytes: rec };
            fn parse<'b>(d: &mut spill::Dec<'b>) -> Option<Ix<'b>> {
                Some(Ix {
                    hash: d.u64()?,
                    seq: d.u64()?,
                    ym: d.month()??,
                    file: d.u32()?,
                    line: d.u64()?,
                    date: d.i32()?,
                    ctype: d.u8()?,
                    flags: d.u8()?,
                    r: d.ref_key()?,
                })
            }
            let c = parse(&mut d).ok_or_else(corrupt)?;
            match first.entry(c.r) {
                Entry::Vacant(v) => {
                    v.insert((c.file, c.line, c.ym, c.hash));
                }
                Entry::Occupied(f) => {
                    let (ffile, fline, ..) = *f.get();
                    let date = spill::days_date(c.date).ok_or_else(corrupt)?;
                    let crime_type = match c.ctype {
                        u8::MAX => None,
                        t => Some(*CrimeType::ALL.get(usize::from(t)).ok_or_else(corrupt)?),
                    };
                    Counted::from_flags(c.file, c.flags, crime_type)
                        .ok_or_else(corrupt)?
                        .add_to(&mut s.tally, false);
                    let ctype = crime_type.map_or("incident", |t| t.name());
                    let r = spill::ref_text(c.r).ok_or_else(corrupt)?;
                    let mut q = Quarantined::new(
                        Table::Crimes,
                        c.file,
                        c.line,
                        "crime_ref",
                        &r,
                        Reason::DuplicateCrimeRef,
                        format!(
                            "crime_ref already accepted from {} line {fline}",
                            plan.names[ffile as usize]
                        ),
                        format!("{r} {date} {ctype}"),
                    );
                    q.year_month = Some(c.ym);
                    s.quarantine.push(&q.year_month, |e| {
                        e.u8(Stage::Duplicate as u8);
                        e.u64(c.seq);
                        spill::put_quarantined(e, &q);
                    })?;
                    out.dropped.entry(c.ym).or_default().push(c.seq);
                    dropped_here.insert(c.seq);
                }
            }
        }
        let mut entries: Vec<(u64, i32)> =
            first.values().map(|f| (f.3, ref_index::month_number(f.2))).collect();
        entries.sort_unstable();
        for (h, m) in entries {
            index_out.push(h, m)?;
        }
        let mut key = Vec::new();
        let mut month_of = |r: &str| {
            key.clear();
            spill::ref_key(r, &mut key);
            first.get(key.as_slice()).map(|f| f.2)
        };
        let mut seen: [FxHashSet<(&str, &str)>; 2] = Default::default();
        let mut rows = Vec::new();
        for rec in spill::records(&people) {
            let mut d = spill::Dec { bytes: rec };
            let head = (|| Some((d.u64()?, d.u8()?, d.u64()?, d.u8()?)))();
            let (_, table, seq, tag) = head.ok_or_else(corrupt)?;
            let table = spill::table_from(table).ok_or_else(corrupt)?;
            if tag == 1 {
                let mut q = spill::get_quarantined(&mut d).ok_or_else(corrupt)?;
                q.year_month = q
                    .crime_ref
                    .as_deref()
                    .and_then(&mut month_of)
                    .or_else(|| plan.file_month(q.source_file));
                s.quarantine.push(&q.year_month, |e| {
                    e.u8(Stage::Read as u8);
                    e.u64(seq);
                    spill::put_quarantined(e, &q);
                })?;
            } else if tag == 2 {
                // a partner incident's person: kept with its incident, dropped with it
                let incident = d.u64().ok_or_else(corrupt)?;
                let p = spill::get_person(&mut d).ok_or_else(corrupt)?;
                if !dropped_here.contains(&incident) {
                    rows.push((table, seq, p));
                }
            } else {
                rows.push((table, seq, spill::get_person(&mut d).ok_or_else(corrupt)?));
            }
        }
        for (table, seq, p) in &rows {
            let (stage, set, role) = match table {
                Table::Offenders => (Stage::Offenders, &mut out.offenders, 1),
                _ => (Stage::Victims, &mut out.victims, 0),
            };
            let raw = || format!("{},{}", p.crime_ref, p.person_id);
            let q = match month_of(&p.crime_ref) {
                None => {
                    let mut q = Quarantined::new(*table, p.source_file, p.source_line, "crime_ref", &p.crime_ref, Reason::UnknownCrime,
                        format!("no accepted crime has crime_ref `{}` (it is missing or was quarantined)", p.crime_ref), raw());
                    q.year_month = plan.file_month(p.source_file);
                    q
                }
                Some(ym) if !seen[role].insert((&p.crime_ref, &p.person_id)) => {
                    let mut q = Quarantined::new(
                        *table,
                        p.source_file,
                        p.source_line,
                        "person_id",
                        &p.person_id,
                        Reason::DuplicatePerson,
                        format!(
                            "person {} is already listed on crime {}",
                            p.person_id, p.crime_ref
                        ),
                        raw(),
                    );
                    q.year_month = Some(ym);
                    q
                }
                Some(ym) => {
                    set.push(&ym, |e| {
                        e.u64(*seq);
                        spill::put_person(e, p);
                    })?;
                    continue;
                }
            };
            let mut q = q;
            q.crime_ref = Some(p.crime_ref.clone());
            s.quarantine.push(&q.year_month, |e| {
                e.u8(stage as u8);
                e.u64(*seq);
                spill::put_quarantined(e, &q);
            })?;
        }
        progress(Progress::Advance(1));
    }
    for v in out.dropped.values_mut() {
        v.sort_unstable();
    }
    out.index.1 = index_out.finish()?;
    Ok(out)
}

/// What writing one month added up.
#[derive(Default)]
struct Tally {
    partitions: [Vec<dataset::Partition>; 4],
    accepted: Vec<u64>,
    by_reason: Vec<BTreeMap<String, u64>>,
    counts: manifest::Counts,
}

impl Tally {
    fn new(files: usize) -> Tally {
        Tally {
            accepted: vec![0; files],
            by_reason: vec![BTreeMap::new(); files],
            ..Default::default()
        }
    }

    fn add(&mut self, o: Tally) {
        for (a, b) in self.partitions.iter_mut().zip(o.partitions) {
            a.extend(b);
        }
        for (a, b) in self.accepted.iter_mut().zip(o.accepted) {
            *a += b;
        }
        for (a, b) in self.by_reason.iter_mut().zip(o.by_reason) {
            for (k, v) in b {
                *a.entry(k).or_default() += v;
            }
        }
        let (c, d) = (&mut self.counts, o.counts);
        c.crimes += d.crimes;
        c.asb += d.asb;
        c.incidents += d.incidents;
        c.victims += d.victims;
        c.offenders += d.offenders;
        c.quarantined += d.quarantined;
        c.in_area += d.in_area;
        c.outside_area += d.outside_area;
        c.ward_by_lsoa_lookup += d.ward_by_lsoa_lookup;
        for (k, v) in d.crimes_by_type {
            *c.crimes_by_type.entry(k).or_default() += v;
        }
        c.first_month = match (c.first_month.take(), d.first_month) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        c.last_month = match (c.last_month.take(), d.last_month) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// 3 and 6. Month by month: the month's crimes (its police.uk pieces and spilled crimes,
///    already given wards) without their duplicates, written with the month's victims,
///    offenders and quarantined rows into the folder `tmp`. Months are written side by side
///    as far as the budget allows.
fn write_months(
    plan: &Plan,
    tmp: &Path,
    s: &mut Spilled,
    r: &mut Resolved,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Tally> {
    std::fs::create_dir_all(tmp)
        .map_err(|source| IngestError::Write { path: tmp.to_path_buf(), source })?;
    let mut pieces: BTreeMap<Month, Vec<Piece>> = BTreeMap::new();
    for p in std::mem::take(&mut s.pieces) {
        pieces.entry(p.month).or_default().push(p);
    }
    let mut months: Vec<Option<Month>> = s.crimes.keys().into_iter().map(Some).collect();
    months.extend(pieces.keys().copied().map(Some));
    months.extend(r.victims.keys().into_iter().map(Some));
    months.extend(r.offenders.keys().into_iter().map(Some));
    months.extend(s.quarantine.keys());
    // unknown months (None) last, as Hive's default partition
    months.sort_by_key(|m| (m.is_none(), *m));
    months.dedup();
    progress(Progress::Stage { name: "writing Parquet", total: months.len() as u64 });
    let mut tally = std::mem::replace(&mut s.tally, Tally::new(plan.inputs.len()));
    let threads = rayon::current_num_threads().max(1);
    let mut next = 0;
    while next < months.len() {
        // as many months at once as fit the budget: crimes take about 3x their spilled bytes
        // (the bytes, a row group's frames, a chunk of decoded rows), people and quarantined
        // rows, decoded whole, about 6x; a police.uk file's month kept as it is, nothing, and
        // one copied into a partition with others two row groups of frames
        let mut group = Vec::new();
        let mut bytes = 0u64;
        while next < months.len() && group.len() < threads {
            let m = months[next];
            let month_pieces = m.and_then(|k| pieces.remove(&k)).unwrap_or_default();
            let copied = match month_pieces.as_slice() {
                [_] if m.is_none_or(|k| s.crimes.size(&k) == 0 && !r.dropped.contains_key(&k)) => 0,
                all => all.iter().map(|p| p.rows.min(2 * dataset::GROUP_ROWS as u64) * 200).sum(),
            };
            let size = m.map_or(0, |m| {
                s.crimes.size(&m) * 3 + (r.victims.size(&m) + r.offenders.size(&m)) * 6
            }) + s.quarantine.size(&m) * 6
                + copied;
            if !group.is_empty() && bytes + size > plan.budget.months() {
                if let Some(k) = m {
                    pieces.insert(k, month_pieces);
                }
                break;
            }
            bytes += size;
            let crimes = match m {
                Some(k) => s.crimes.take(&k)?,
                None => Vec::new(),
            };
            let victims = match m {
                Some(k) => r.victims.take(&k)?,
                None => Vec::new(),
            };
            let offenders = match m {
                Some(k) => r.offenders.take(&k)?,
                None => Vec::new(),
            };
            let quarantine = s.quarantine.take(&m)?;
            let dropped = m.and_then(|k| r.dropped.remove(&k)).unwrap_or_default();
            group.push((m, (crimes, month_pieces), dropped, victims, offenders, quarantine));
            next += 1;
        }
        let done: Vec<Result<Tally>> = polars_core::runtime::THREAD_POOL.install(|| {
            group
                .into_par_iter()
                .map(|(m, crimes, dropped, victims, offenders, quarantine)| {
                    write_month(plan, tmp, m, crimes, &dropped, &victims, &offenders, &quarantine)
                })
                .collect()
        });
        for t in done {
            let t = t?;
            progress(Progress::Advance(1));
            tally.add(t);
        }
    }
    // a table without rows still gets a folder with a schema-only file, so readers find it
    let empty = |table: &str, df: Result<polars::prelude::DataFrame>| -> Result<()> {
        let mut df = df?;
        dataset::write_parquet(&tmp.join(table).join("empty.parquet"), &mut df)
    };
    if tally.partitions[0].is_empty() {
        empty("crimes", dataset::crimes_frame(&[], &plan.names, plan.offences))?;
    }
    if tally.partitions[1].is_empty() {
        empty("victims", dataset::people_frame(&[], &plan.names, false))?;
    }
    if tally.partitions[2].is_empty() {
        empty("offenders", dataset::people_frame(&[], &plan.names, true))?;
    }
    if tally.partitions[3].is_empty() {
        empty("quarantine", dataset::quarantine_frame(&[], &plan.names))?;
    }
    Ok(tally)
}

/// Writes one month's partitions of the four tables.
#[allow(clippy::too_many_arguments)]
fn write_month(
    plan: &Plan,
    tmp: &Path,
    m: Option<Month>,
    crimes: (Vec<u8>, Vec<Piece>),
    dropped: &[u64],
    victims: &[u8],
    offenders: &[u8],
    quarantine: &[u8],
) -> Result<Tally> {
    let mut t = Tally::new(plan.inputs.len());
    let people = |bytes: &[u8]| -> Result<Vec<PersonRow>> {
        let mut v = Vec::new();
        for rec in spill::records(bytes) {
            let mut d = spill::Dec { bytes: rec };
            let seq = d.u64().ok_or_else(|| spill::corrupt("people"))?;
            v.push((seq, spill::get_person(&mut d).ok_or_else(|| spill::corrupt("people"))?));
        }
        // checked bucket by bucket: back into input order
        v.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(v.into_iter().map(|(_, p)| p).collect())
    };
    let victims = people(victims)?;
    let offenders = people(offenders)?;
    let mut qrows: Vec<(u8, u64, Quarantined)> = Vec::new();
    for rec in spill::records(quarantine) {
        let mut d = spill::Dec { bytes: rec };
        let head = (|| Some((d.u8()?, d.u64()?)))();
        let (stage, seq) = head.ok_or_else(|| spill::corrupt("quarantine"))?;
        let q = spill::get_quarantined(&mut d).ok_or_else(|| spill::corrupt("quarantine"))?;
        qrows.push((stage, seq, q));
    }
    qrows.sort_by_key(|(stage, seq, q)| (q.source_file, q.line, *stage, *seq));
    let qrows: Vec<Quarantined> = qrows.into_iter().map(|(_, _, q)| q).collect();

    let write = |table: &str, build: &dyn Fn() -> Result<polars::prelude::DataFrame>, n: usize| {
        if n == 0 {
            return Ok(None);
        }
        let mut part = write_part(table, m);
        let mut df = build()?;
        dataset::write_parquet(&tmp.join(&part.path), &mut df)?;
        part.rows = n as u64;
        Ok(Some(part))
    };
    let v: Vec<&PersonRow> = victims.iter().collect();
    let o: Vec<&PersonRow> = offenders.iter().collect();
    let q: Vec<&Quarantined> = qrows.iter().collect();
    let (a, b) = rayon::join(
        || write_crimes(plan, tmp, m, crimes, dropped),
        || -> Result<[Option<dataset::Partition>; 3]> {
            Ok([
                write("victims", &|| dataset::people_frame(&v, &plan.names, false), v.len())?,
                write("offenders", &|| dataset::people_frame(&o, &plan.names, true), o.len())?,
                write("quarantine", &|| dataset::quarantine_frame(&q, &plan.names), q.len())?,
            ])
        },
    );
    let [pv, po, pq] = b?;
    let (pc, crimes) = a?;
    t.add(crimes);
    for (slot, p) in t.partitions.iter_mut().zip([pc, pv, po, pq]) {
        slot.extend(p);
    }
    let c = &mut t.counts;
    for p in victims.iter().chain(&offenders) {
        // a partner incident's person is part of the incident's row, already counted
        if !matches!(plan.inputs[p.source_file as usize].1, InputKind::Incidents(_)) {
            t.accepted[p.source_file as usize] += 1;
        }
    }
    c.victims = victims.len() as u64;
    c.offenders = offenders.len() as u64;
    c.quarantined = qrows.len() as u64;
    for q in &qrows {
        *t.by_reason[q.source_file as usize].entry(q.reason.code().to_string()).or_default() += 1;
    }
    Ok(t)
}

/// A month's crimes, without their duplicates, written: its police.uk pieces and its spilled
/// crimes, in input order. With the month's tally (its first and last month; crimes were
/// counted as they were read).
fn write_crimes(
    plan: &Plan,
    tmp: &Path,
    m: Option<Month>,
    (crimes, pieces): (Vec<u8>, Vec<Piece>),
    dropped: &[u64],
) -> Result<(Option<dataset::Partition>, Tally)> {
    let mut t = Tally::new(plan.inputs.len());
    let part = write_part("crimes", m);
    let path = tmp.join(&part.path);
    let kept = match pieces.as_slice() {
        // the usual police.uk month: one file's crimes, all kept, already written as they stay
        [p] if crimes.is_empty() && dropped.is_empty() => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|source| IngestError::Write { path: parent.to_path_buf(), source })?;
            }
            std::fs::rename(&p.path, &path)
                .map_err(|source| IngestError::Write { path: path.clone(), source })?;
            p.rows as usize
        }
        _ => {
            let mut out = dataset::GroupedWriter::new(&path);
            let mut names = spill::Interner::default();
            let mut chunk: Vec<CrimeRow> = Vec::new();
            let mut pieces = pieces.into_iter().peekable();
            let records = spill::by_sequence(&crimes, 0).ok_or_else(|| spill::corrupt("crimes"))?;
            for (seq, rec) in records {
                let mut d = spill::Dec { bytes: rec.get(8..).unwrap_or_default() };
                if dropped.binary_search(&seq).is_ok() {
                    continue;
                }
                // a file's crimes all come before the next file's, so a piece goes whole
                while let Some(p) = pieces.next_if(|p| p.seqs.first().is_some_and(|r| r.0 < seq)) {
                    frame_crimes(&mut chunk, &mut out, &plan.names, plan.offences)?;
                    copy_piece(&p, dropped, &mut out)?;
                }
                let c = spill::get_crime(&mut d, &mut names);
                chunk.push(c.ok_or_else(|| spill::corrupt("crimes"))?);
                if chunk.len() >= WRITE_CHUNK {
                    frame_crimes(&mut chunk, &mut out, &plan.names, plan.offences)?;
                }
            }
            frame_crimes(&mut chunk, &mut out, &plan.names, plan.offences)?;
            for p in pieces {
                copy_piece(&p, dropped, &mut out)?;
            }
            out.finish()?
        }
    };
    if let (Some((y, mo)), true) = (m, kept > 0) {
        t.counts.first_month = Some(format!("{y:04}-{mo:02}"));
        t.counts.last_month = t.counts.first_month.clone();
    }
    Ok(((kept > 0).then_some(dataset::Partition { rows: kept as u64, ..part }), t))
}

/// Copies a piece's rows, less those `dropped`, onto `out` a row group at a time.
fn copy_piece(p: &Piece, dropped: &[u64], out: &mut dataset::GroupedWriter) -> Result<()> {
    let mut seqs = p.seqs.iter().flat_map(|&(first, len)| first..first + len);
    let rows = p.rows as usize;
    let mut at = 0;
    while at < rows {
        let len = dataset::GROUP_ROWS.min(rows - at);
        let df = dataset::read_rows(&p.path, at, len)?;
        let keep: polars::prelude::BooleanChunked =
            seqs.by_ref().take(len).map(|seq| Some(dropped.binary_search(&seq).is_err())).collect();
        let df = if keep.all() {
            df
        } else {
            df.filter(&keep).map_err(|e| IngestError::Internal(e.to_string()))?
        };
        out.push(df)?;
        at += len;
    }
    std::fs::remove_file(&p.path)
        .map_err(|source| IngestError::Write { path: p.path.clone(), source })
}

/// The partition of `table` for month `m` (its rows still to be counted).
fn write_part(table: &str, m: Option<Month>) -> dataset::Partition {
    let (y, mo) = match m {
        Some((y, mo)) => (y.to_string(), mo.to_string()),
        None => (dataset::NULL_PARTITION.to_string(), dataset::NULL_PARTITION.to_string()),
    };
    let rel: PathBuf =
        [table, &format!("year={y}"), &format!("month={mo}"), "part-0.parquet"].iter().collect();
    dataset::Partition {
        table: table.to_string(),
        year: m.map(|k| k.0),
        month: m.map(|k| k.1),
        rows: 0,
        path: rel.display().to_string(),
    }
}

/// Crimes framed at once while a police.uk file is read ([`PieceWriter`]) or a month written
/// ([`write_crimes`]).
const WRITE_CHUNK: usize = 64 * 1024;

/// 5. Every row read is accepted or quarantined, file by file.
fn reconcile(plan: &Plan, s: &Spilled, t: &Tally) -> Result<Vec<manifest::InputReport>> {
    let mut reports = Vec::with_capacity(plan.inputs.len());
    for (i, meta) in s.metas.iter().enumerate() {
        let q: u64 = t.by_reason[i].values().sum();
        if s.rows_read[i] != t.accepted[i] + q {
            return Err(IngestError::Internal(format!(
                "{}: {} rows read but {} accepted + {} quarantined",
                meta.path, s.rows_read[i], t.accepted[i], q
            )));
        }
        reports.push(manifest::InputReport {
            path: meta.path.clone(),
            kind: plan.inputs[i].1.source_kind(),
            bytes: meta.bytes,
            sha256: meta.sha256.clone(),
            rows_read: s.rows_read[i],
            accepted: t.accepted[i],
            quarantined: q,
            quarantined_by_reason: t.by_reason[i].clone(),
        });
    }
    Ok(reports)
}

/// Reads, validates, enriches and writes, month partition by month partition, within the
/// request's memory budget. Nothing is written unless every input could be read; the previous
/// dataset at `out` stays whole until the new one is complete.
pub fn ingest(req: &IngestRequest, progress: &(dyn Fn(Progress) + Sync)) -> Result<Manifest> {
    let plan = Plan::load(req)?;
    dataset::remove_stale_siblings(&req.out);
    let work = WorkDir::new(&req.out)?;
    let mut spilled = read_inputs(&plan, &work, progress)?;
    let mut resolved = resolve(&plan, &work, &mut spilled, progress)?;
    let tmp = dataset::sibling(&req.out, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .map_err(|source| IngestError::Write { path: tmp.clone(), source })?;
    }
    let written = write_months(&plan, &tmp, &mut spilled, &mut resolved, progress)
        .and_then(|t| reconcile(&plan, &spilled, &t).map(|r| (t, r)))
        .and_then(|(t, reports)| {
            let (index, entries) = &resolved.index;
            let c = &t.counts;
            if *entries != c.crimes + c.asb + c.incidents {
                return Err(IngestError::Internal(format!(
                    "the crime-ref index has {entries} entries for {} crimes written",
                    c.crimes + c.asb + c.incidents
                )));
            }
            let to = tmp.join(ref_index::FILE);
            std::fs::rename(index, &to)
                .map_err(|source| IngestError::Write { path: to, source })?;
            let manifest = assemble(&plan, t, reports);
            let json = serde_json::to_string_pretty(&manifest)
                .map_err(|e| IngestError::Internal(e.to_string()))?;
            let mpath = tmp.join(manifest::MANIFEST_FILE);
            std::fs::write(&mpath, json)
                .map_err(|source| IngestError::Write { path: mpath, source })?;
            Ok(manifest)
        });
    let manifest = match written {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    drop(work);
    dataset::replace_dir(&tmp, &req.out)?;
    Ok(manifest)
}

/// The manifest of a finished ingest.
fn assemble(plan: &Plan, t: Tally, reports: Vec<manifest::InputReport>) -> Manifest {
    let total_read: u64 = reports.iter().map(|r| r.rows_read).sum();
    let total_acc: u64 = reports.iter().map(|r| r.accepted).sum();
    let quarantined = t.counts.quarantined;
    let [crimes, victims, offenders, quarantine] = t.partitions;
    let partitions = crimes.into_iter().chain(victims).chain(offenders).chain(quarantine).collect();
    Manifest {
        schema_version: csa_model::SCHEMA_VERSION,
        tool: format!("csa {}", env!("CARGO_PKG_VERSION")),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs: reports,
        boundaries: plan.ward_ref.clone(),
        lsoa_boundaries: plan.lsoas.as_ref().map(|(_, r)| r.clone()),
        lsoa_lookup: plan.lookup.as_ref().and_then(|l| {
            l.meta.as_ref().map(|m| manifest::reference_file(m, format!("{} LSOAs", l.len()), None))
        }),
        mapping: plan.mapping_ref.clone(),
        offence_reference: format!(
            "data/reference/offence_codes.csv ({} codes, compiled in)",
            plan.offences.len()
        ),
        counts: t.counts,
        reconciliation: manifest::Reconciliation {
            rows_read: total_read,
            accepted: total_acc,
            quarantined,
            balanced: total_read == total_acc + quarantined,
        },
        partitions,
        appends: Vec::new(),
    }
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
