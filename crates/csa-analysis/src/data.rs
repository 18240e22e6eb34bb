//! Loading a csa dataset (written by `csa ingest`) into columnar memory for analysis.
//!
//! Only the partitions of the months asked for and only the columns asked for are read
//! (polars' Parquet reader, one partition per task in parallel). Text columns are interned:
//! each row holds a `u32` code into one dictionary per column, so filters and group-bys
//! compare integers. Victims and offenders are linked to their crime by row index, month by
//! month (a dataset csa wrote keeps them in their crime's month partition); person ids get
//! one dataset-wide dictionary, merged on 64-bit hashes of the ids with collisions checked.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use csa_model::Col;
use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{internal, AnalysisError, Result};
use crate::period::{Month, Period};

/// An interned text column: `codes[row]` is 0 for null, else `values[code - 1]`.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub codes: Vec<u32>,
    pub values: Vec<String>,
}

impl Text {
    pub fn get(&self, row: usize) -> Option<&str> {
        match self.codes[row] {
            0 => None,
            c => Some(&self.values[c as usize - 1]),
        }
    }
    /// The code of `value`, if it occurs.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.values.iter().position(|v| v == value).map(|i| i as u32 + 1)
    }
    /// Number of codes including null (0).
    pub fn cardinality(&self) -> usize {
        self.values.len() + 1
    }
}

/// Builds one [`Text`] from many chunks, sharing one dictionary.
#[derive(Default)]
struct Interner {
    map: FxHashMap<String, u32>,
    text: Text,
}

impl Interner {
    fn code(&mut self, v: &str) -> u32 {
        if let Some(c) = self.map.get(v) {
            return *c;
        }
        self.text.values.push(v.to_string());
        let c = self.text.values.len() as u32;
        self.map.insert(v.to_string(), c);
        c
    }
    /// Appends a chunk interned against its own dictionary.
    fn append(&mut self, chunk: Text) {
        let remap: Vec<u32> =
            std::iter::once(0).chain(chunk.values.iter().map(|v| self.code(v))).collect();
        self.text.codes.extend(chunk.codes.iter().map(|c| remap[*c as usize]));
    }
}

/// Interns a column whose value is determined by `parent`'s: one lookup per parent code.
fn dependent(parent: &Text, ca: &StringChunked) -> Text {
    let mut code_of: Vec<Option<u32>> = vec![None; parent.cardinality()];
    let mut values: Vec<String> = Vec::new();
    let codes = parent
        .codes
        .iter()
        .enumerate()
        .map(|(row, &p)| {
            *code_of[p as usize].get_or_insert_with(|| match ca.get(row) {
                None => 0,
                Some(v) => match values.iter().position(|x| x == v) {
                    Some(i) => i as u32 + 1,
                    None => {
                        values.push(v.to_string());
                        values.len() as u32
                    }
                },
            })
        })
        .collect();
    Text { codes, values }
}

fn intern_chunk(ca: &StringChunked) -> Text {
    // Arrow string views are 16 bytes: the string itself when it is short, else a pointer
    // into a buffer that a Parquet dictionary page shares between its rows. Equal views
    // mean equal strings, so a view is a cheap integer key for the string; different
    // views of one string meet again in the string map.
    let mut by_view: FxHashMap<u128, u32> = FxHashMap::default();
    let mut by_str: FxHashMap<&str, u32> = FxHashMap::default();
    let mut values: Vec<&str> = Vec::new();
    let mut codes = Vec::with_capacity(ca.len());
    let mut last: Option<(u128, u32)> = None;
    for arr in ca.downcast_iter() {
        for (v, view) in arr.iter().zip(arr.views().iter()) {
            let Some(v) = v else {
                codes.push(0);
                continue;
            };
            let key = view.as_u128();
            let code = match last {
                Some((k, c)) if k == key => c,
                _ => *by_view.entry(key).or_insert_with(|| {
                    *by_str.entry(v).or_insert_with(|| {
                        values.push(v);
                        values.len() as u32
                    })
                }),
            };
            last = Some((key, code));
            codes.push(code);
        }
    }
    Text { codes, values: values.into_iter().map(str::to_string).collect() }
}

/// Crime and ASB records, one entry per row in every vector.
#[derive(Debug, Clone, Default)]
pub struct Crimes {
    pub len: usize,
    /// Recorded month.
    pub month: Vec<Month>,
    /// Recorded date, days since 1970-01-01.
    pub date: Vec<i32>,
    pub text: FxHashMap<Col, Text>,
    /// Small integers (day_of_week 1..=7, hour 0..=23); -1 = null.
    pub int: FxHashMap<Col, Vec<i8>>,
    /// Flags: 0 false, 1 true, 2 null.
    pub flag: FxHashMap<Col, Vec<u8>>,
    /// Floats (easting, northing); NaN = null.
    pub float: FxHashMap<Col, Vec<f64>>,
    /// Days since 1970-01-01 of a date-time column (committed_from); i32::MIN = null.
    pub day: FxHashMap<Col, Vec<i32>>,
}

/// What kind of storage a crimes column has here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Flag,
    Float,
    Day,
}

fn kind(c: Col) -> Result<Kind> {
    use Col::*;
    Ok(match c {
        CrimeRef | RecordKind | Force | DatePrecision | OffenceCode | OffenceDescription
        | CrimeType | OffenceSubgroup | OffenceGroup | LocationType | LocationDesc | LsoaCode
        | LsoaName | WardCode | WardName | GeoMethod | Outcome => Kind::Text,
        DayOfWeek | Hour => Kind::Int,
        InArea
        | DomesticAbuse
        | HateCrime
        | HateRace
        | HateReligion
        | HateSexualOrientation
        | HateDisability
        | HateTransgender
        | AlcoholRelated => Kind::Flag,
        Easting | Northing | Longitude | Latitude => Kind::Float,
        CommittedFrom => Kind::Day,
        other => {
            return Err(AnalysisError::Internal(format!(
                "column {other} is not loadable for analysis"
            )))
        }
    })
}

impl Crimes {
    pub fn text(&self, c: Col) -> Result<&Text> {
        self.text.get(&c).ok_or_else(|| not_loaded(c))
    }
    pub fn int(&self, c: Col) -> Result<&[i8]> {
        self.int.get(&c).map(Vec::as_slice).ok_or_else(|| not_loaded(c))
    }
    pub fn flag(&self, c: Col) -> Result<&[u8]> {
        self.flag.get(&c).map(Vec::as_slice).ok_or_else(|| not_loaded(c))
    }
    pub fn float(&self, c: Col) -> Result<&[f64]> {
        self.float.get(&c).map(Vec::as_slice).ok_or_else(|| not_loaded(c))
    }
    pub fn day(&self, c: Col) -> Result<&[i32]> {
        self.day.get(&c).map(Vec::as_slice).ok_or_else(|| not_loaded(c))
    }
    /// The recorded date of a row.
    pub fn recorded(&self, row: usize) -> NaiveDate {
        day_to_date(self.date[row])
    }
}

/// Days since 1970-01-01 as a date.
pub fn day_to_date(d: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d + EPOCH_CE).unwrap_or_default()
}

fn not_loaded(c: Col) -> AnalysisError {
    AnalysisError::Internal(format!("column {c} was not loaded"))
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const EPOCH_CE: i32 = 719_163;

/// Victims or offenders linked to loaded crimes.
#[derive(Debug, Clone, Default)]
pub struct People {
    /// Row index into [`Crimes`].
    pub crime: Vec<u32>,
    pub person: PersonIds,
    /// Age in years; -1 = unknown.
    pub age: Vec<i16>,
    pub sex: Text,
    pub ethnicity: Text,
    /// Offenders only: relationship to the victim.
    pub relationship: Option<Text>,
}

impl People {
    pub fn len(&self) -> usize {
        self.crime.len()
    }
    pub fn is_empty(&self) -> bool {
        self.crime.is_empty()
    }
}

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
        let manifest_path = dir.join("manifest.json");
        let bytes = std::fs::read(&manifest_path).map_err(|e| AnalysisError::Dataset {
            path: dir.to_path_buf(),
            detail: format!(
                "not a csa dataset (manifest.json: {e}); build one with `csa ingest ... --out {}`",
                dir.display()
            ),
        })?;
        let manifest: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| AnalysisError::Dataset {
                path: manifest_path.clone(),
                detail: format!("unreadable manifest: {e}"),
            })?;
        let count = |k: &str| {
            manifest.pointer(&format!("/counts/{k}")).and_then(|v| v.as_u64()).unwrap_or(0)
        };
        let mut months = partitions(&dir.join("crimes"))?.into_keys().collect::<Vec<_>>();
        months.sort();
        use sha2::Digest;
        let manifest_sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
        // the description reads "126 areas, code property WD25CD, name property WD25NM"
        let description =
            manifest.pointer("/boundaries/description").and_then(|v| v.as_str()).unwrap_or("");
        let property = |key: &str| {
            description
                .split(key)
                .nth(1)
                .and_then(|r| r.split(',').next())
                .map(|v| v.trim().to_string())
        };
        let boundaries =
            manifest.pointer("/boundaries/path").and_then(|v| v.as_str()).map(|p| BoundariesRef {
                path: PathBuf::from(p),
                code_property: property("code property ").unwrap_or_else(|| "WD25CD".into()),
                name_property: property("name property ").unwrap_or_else(|| "WD25NM".into()),
            });
        Ok(DatasetInfo {
            dir: dir.to_path_buf(),
            months,
            victims: count("victims"),
            offenders: count("offenders"),
            manifest_sha256,
            boundaries,
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

fn dataset_err(path: &Path, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Dataset { path: path.to_path_buf(), detail: e.to_string() }
}

/// `table/year=Y/month=M/part-0.parquet`
fn partition_path(dir: &Path, table: &str, m: Month) -> PathBuf {
    dir.join(table)
        .join(format!("year={}", m.year()))
        .join(format!("month={}", m.month()))
        .join("part-0.parquet")
}

/// Month partitions of one table folder (the null partition is skipped: crimes always have a
/// recorded date).
fn partitions(table_dir: &Path) -> Result<FxHashMap<Month, PathBuf>> {
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

fn read_partition(path: &Path, columns: &[&str]) -> Result<DataFrame> {
    let file = std::fs::File::open(path)
        .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
    ParquetReader::new(file)
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .finish()
        .map_err(|e| dataset_err(path, e))
}

/// A loaded slice of a dataset.
#[derive(Debug, Clone)]
pub struct Data {
    pub info: DatasetInfo,
    /// The months loaded.
    pub months: Period,
    pub crimes: Crimes,
    pub victims: Option<People>,
    pub offenders: Option<People>,
}

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub columns: FxHashSet<Col>,
    pub victims: bool,
    pub offenders: bool,
    pub relationship: bool,
    /// When set, victims and offenders are linked only for crimes this filter matches (a
    /// query about one priority never looks at the people of other crimes, and linking them
    /// is most of the loading time). Its columns must be in `columns`.
    pub people_filter: Option<crate::config::Filter>,
}

impl Needs {
    pub fn add(&mut self, cols: impl IntoIterator<Item = Col>) {
        self.columns.extend(cols);
    }
}

struct Chunk {
    len: usize,
    month: Month,
    date: Vec<i32>,
    text: Vec<(Col, Text)>,
    int: Vec<(Col, Vec<i8>)>,
    flag: Vec<(Col, Vec<u8>)>,
    float: Vec<(Col, Vec<f64>)>,
    day: Vec<(Col, Vec<i32>)>,
    victims: Option<PeopleChunk>,
    offenders: Option<PeopleChunk>,
}

/// Interned person ids: `codes[record]` is 0 for a missing id, else a code from 1; the ids
/// themselves sit end to end in one string (no allocation per person).
#[derive(Debug, Clone, Default)]
pub struct PersonIds {
    pub codes: Vec<u32>,
    /// 64-bit hash of each id (`hashes[code - 1]`), see [`hash_id`].
    hashes: Vec<u64>,
    arena: String,
    /// End of each id in `arena`.
    ends: Vec<u32>,
}

impl PersonIds {
    /// The id of a code (`None` for 0).
    pub fn id(&self, code: u32) -> Option<&str> {
        let c = code.checked_sub(1)? as usize;
        let start = if c == 0 { 0 } else { self.ends[c - 1] as usize };
        Some(&self.arena[start..self.ends[c] as usize])
    }
    /// Number of distinct ids.
    pub fn distinct(&self) -> usize {
        self.ends.len()
    }
    fn push(&mut self, id: &str, hash: u64) -> u32 {
        self.arena.push_str(id);
        self.ends.push(self.arena.len() as u32);
        self.hashes.push(hash);
        self.ends.len() as u32
    }
}

struct PeopleChunk {
    /// Row of the crime within its month partition.
    crime: Vec<u32>,
    person: PersonIds,
    age: Vec<i16>,
    sex: Text,
    ethnicity: Text,
    relationship: Option<Text>,
}

/// Which people tables to link, and the partition files of each.
struct PeopleFiles<'f> {
    victims: Option<FxHashMap<Month, PathBuf>>,
    offenders: Option<FxHashMap<Month, PathBuf>>,
    relationship: bool,
    /// Link only the people of crimes this filter matches (see [`Needs::people_filter`]).
    filter: Option<&'f crate::config::Filter>,
}

/// One month: its crimes with `cols`, and its victims and offenders, which a dataset csa
/// wrote keeps in their crime's month partition, so they are linked to their crime here by
/// crime_ref, in parallel, without a dataset-wide index.
fn load_chunk(path: &Path, month: Month, cols: &[Col], people: &PeopleFiles) -> Result<Chunk> {
    let link = people.victims.is_some() || people.offenders.is_some();
    let mut names: Vec<&str> = vec![Col::RecordedDate.name()];
    names.extend(cols.iter().map(|c| c.name()));
    if link && !cols.contains(&Col::CrimeRef) {
        names.push(Col::CrimeRef.name());
    }
    let df = read_partition(path, &names)?;
    let e = |e: PolarsError| dataset_err(path, e);
    let column = |c: Col| df.column(c.name()).map_err(e);
    let date: Vec<i32> = column(Col::RecordedDate)?
        .date()
        .map_err(e)?
        .physical()
        .iter()
        .map(|d| d.unwrap_or(0))
        .collect();
    let mut chunk = Chunk {
        len: df.height(),
        month,
        date,
        text: vec![],
        int: vec![],
        flag: vec![],
        float: vec![],
        day: vec![],
        victims: None,
        offenders: None,
    };
    for &c in cols {
        let s = column(c)?;
        // a ward or LSOA name follows from its code (ingest writes both from one boundary
        // feature), so it is looked up once per code, not hashed per row; `cols` is sorted,
        // so the code column comes first
        let parent = match c {
            Col::WardName => Some(Col::WardCode),
            Col::LsoaName => Some(Col::LsoaCode),
            _ => None,
        };
        if let Some(t) =
            parent.and_then(|p| chunk.text.iter().find(|(pc, _)| *pc == p)).map(|(_, t)| t)
        {
            let names = dependent(t, s.str().map_err(e)?);
            chunk.text.push((c, names));
            continue;
        }
        match kind(c)? {
            Kind::Text => chunk.text.push((c, intern_chunk(s.str().map_err(e)?))),
            Kind::Int => {
                chunk.int.push((c, s.i8().map_err(e)?.iter().map(|v| v.unwrap_or(-1)).collect()))
            }
            Kind::Flag => chunk
                .flag
                .push((c, s.bool().map_err(e)?.iter().map(|v| v.map_or(2, u8::from)).collect())),
            Kind::Float => chunk
                .float
                .push((c, s.f64().map_err(e)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())),
            Kind::Day => {
                let dt = s.datetime().map_err(e)?;
                let per_day: i64 = match dt.time_unit() {
                    TimeUnit::Milliseconds => 86_400_000,
                    TimeUnit::Microseconds => 86_400_000_000,
                    TimeUnit::Nanoseconds => 86_400_000_000_000,
                };
                chunk.day.push((
                    c,
                    dt.physical()
                        .iter()
                        .map(|v| v.map_or(i32::MIN, |v| v.div_euclid(per_day) as i32))
                        .collect(),
                ));
            }
        }
    }
    if link {
        let keep = match people.filter {
            Some(f) => Some(chunk_matches(&mut chunk, f)?),
            None => None,
        };
        let refs = column(Col::CrimeRef)?.str().map_err(e)?;
        let mut row_of: FxHashMap<&str, u32> =
            FxHashMap::with_capacity_and_hasher(refs.len(), Default::default());
        for (row, r) in refs.iter().enumerate() {
            if let Some(r) = r {
                if keep.as_ref().is_none_or(|k| k[row]) {
                    row_of.insert(r, row as u32);
                }
            }
        }
        let load = |files: &Option<FxHashMap<Month, PathBuf>>, relationship: bool| {
            files
                .as_ref()
                .and_then(|f| f.get(&month))
                .map(|p| load_people_chunk(p, &row_of, relationship))
                .transpose()
        };
        chunk.victims = load(&people.victims, false)?;
        chunk.offenders = load(&people.offenders, people.relationship)?;
    }
    Ok(chunk)
}

/// Which rows of a month's chunk `f` matches: the chunk's columns are lent to a [`Crimes`]
/// for the selector and given back in their order.
fn chunk_matches(chunk: &mut Chunk, f: &crate::config::Filter) -> Result<Vec<bool>> {
    let order: Vec<Col> = chunk.text.iter().map(|(c, _)| *c).collect();
    let mut view = Crimes {
        len: chunk.len,
        text: chunk.text.drain(..).collect(),
        int: chunk.int.drain(..).collect(),
        flag: chunk.flag.drain(..).collect(),
        ..Crimes::default()
    };
    let keep = crate::select::Selector::new(f, &view)
        .map(|sel| (0..view.len).map(|r| sel.matches(r)).collect());
    chunk.text = order.iter().filter_map(|c| view.text.remove(c).map(|t| (*c, t))).collect();
    chunk.int = view.int.drain().collect();
    chunk.flag = view.flag.drain().collect();
    keep
}

fn load_people_chunk(
    path: &Path,
    row_of: &FxHashMap<&str, u32>,
    relationship: bool,
) -> Result<PeopleChunk> {
    let mut names = vec![
        Col::CrimeRef.name(),
        Col::PersonId.name(),
        Col::Age.name(),
        Col::Sex.name(),
        Col::Ethnicity.name(),
    ];
    if relationship {
        names.push(Col::RelationshipToVictim.name());
    }
    let df = read_partition(path, &names)?;
    let e = |e: PolarsError| dataset_err(path, e);
    // a person whose crime is not in the partition cannot occur in a dataset csa wrote
    // (people are written to their crime's month); such rows are left out, and so are the
    // people of crimes not asked for (`Needs::people_filter`): rows are dropped before any
    // id is interned
    let links: Vec<Option<u32>> = df
        .column(Col::CrimeRef.name())
        .map_err(e)?
        .str()
        .map_err(e)?
        .iter()
        .map(|r| r.and_then(|r| row_of.get(r).copied()))
        .collect();
    let df = if links.iter().all(Option::is_some) {
        df
    } else {
        let mask: BooleanChunked = links.iter().map(|l| Some(l.is_some())).collect();
        df.filter(&mask).map_err(e)?
    };
    let col = |c: Col| df.column(c.name()).map_err(e);
    let text = |c: Col| -> Result<Text> { Ok(intern_chunk(col(c)?.str().map_err(e)?)) };
    Ok(PeopleChunk {
        crime: links.iter().flatten().copied().collect(),
        person: intern_ids(col(Col::PersonId)?.str().map_err(e)?),
        age: col(Col::Age)?.i16().map_err(e)?.iter().map(|a| a.unwrap_or(-1)).collect(),
        sex: text(Col::Sex)?,
        ethnicity: text(Col::Ethnicity)?,
        relationship: if relationship { Some(text(Col::RelationshipToVictim)?) } else { None },
    })
}

fn hash_id(s: &str) -> u64 {
    use std::hash::Hasher;
    // SipHash with fixed keys: the same id hashes alike in every chunk and every run
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(s.as_bytes());
    h.finish()
}

fn intern_ids(ca: &StringChunked) -> PersonIds {
    let mut map: FxHashMap<&str, u32> = FxHashMap::default();
    let mut ids = PersonIds::default();
    let codes = ca
        .iter()
        .map(|v| match v {
            None => 0,
            Some(v) => *map.entry(v).or_insert_with(|| ids.push(v, hash_id(v))),
        })
        .collect();
    ids.codes = codes;
    ids
}

/// Builds the dataset-wide person dictionary from per-partition ones. Keys are the ids'
/// 64-bit hashes (integer keys: no string hashing in the merge); a hash shared by two
/// different ids is detected by comparing the strings and those ids are kept apart.
/// The hash space is split into shards merged in parallel; a shard's ids are numbered in
/// first-seen order and the shards follow each other, so codes are deterministic.
fn merge_ids(parts: Vec<PersonIds>) -> PersonIds {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    const SHARD_BITS: u32 = 3;
    const LOCAL_BITS: u32 = 32 - SHARD_BITS;
    let shards = 1usize << SHARD_BITS;
    let shard_of = |h: u64| (h >> (64 - SHARD_BITS)) as usize;
    // remaps[part][code in part] = shard << LOCAL_BITS | code in shard; each slot belongs to
    // one shard, so the shards fill them side by side
    let remaps: Vec<Vec<AtomicU32>> =
        parts.iter().map(|p| (0..=p.distinct()).map(|_| AtomicU32::new(0)).collect()).collect();
    let per_shard = parts.iter().map(PersonIds::distinct).sum::<usize>() / shards + 64;
    // per shard: the (part, code in part) of the first occurrence of each shard code
    let firsts: Vec<Vec<(u32, u32)>> = (0..shards)
        .into_par_iter()
        .map(|s| {
            let mut by_hash: FxHashMap<u64, u32> =
                FxHashMap::with_capacity_and_hasher(per_shard, Default::default());
            let mut collided: FxHashMap<&str, u32> = FxHashMap::default();
            let mut firsts: Vec<(u32, u32)> = Vec::with_capacity(per_shard);
            let id_of = |k: u32, c: u32| parts[k as usize].id(c).unwrap_or_default();
            for (k, part) in parts.iter().enumerate() {
                let k = k as u32;
                for (j, h) in part.hashes.iter().enumerate() {
                    if shard_of(*h) != s {
                        continue;
                    }
                    let c = j as u32 + 1;
                    let new = |firsts: &mut Vec<(u32, u32)>| {
                        firsts.push((k, c));
                        firsts.len() as u32 - 1
                    };
                    let code = match by_hash.get(h) {
                        None => {
                            let n = new(&mut firsts);
                            by_hash.insert(*h, n);
                            n
                        }
                        Some(&n)
                            if {
                                let (fk, fc) = firsts[n as usize];
                                id_of(fk, fc) == id_of(k, c)
                            } =>
                        {
                            n
                        }
                        Some(_) => match collided.get(id_of(k, c)) {
                            Some(&n) => n,
                            None => {
                                let n = new(&mut firsts);
                                collided.insert(id_of(k, c), n);
                                n
                            }
                        },
                    };
                    remaps[k as usize][c as usize].store((s as u32) << LOCAL_BITS | code, Relaxed);
                }
            }
            firsts
        })
        .collect();
    let mut offsets = Vec::with_capacity(shards);
    let mut total = 0u32;
    for f in &firsts {
        offsets.push(total);
        total += f.len() as u32;
    }
    let mut out = PersonIds {
        codes: Vec::with_capacity(parts.iter().map(|p| p.codes.len()).sum()),
        hashes: Vec::with_capacity(total as usize),
        arena: String::with_capacity(parts.iter().map(|p| p.arena.len()).sum()),
        ends: Vec::with_capacity(total as usize),
    };
    for f in &firsts {
        for &(k, c) in f {
            let p = &parts[k as usize];
            out.push(p.id(c).unwrap_or_default(), p.hashes[c as usize - 1]);
        }
    }
    let local_mask = (1u32 << LOCAL_BITS) - 1;
    for (part, remap) in parts.iter().zip(&remaps) {
        out.codes.extend(part.codes.iter().map(|&c| match c {
            0 => 0,
            c => {
                let v = remap[c as usize].load(Relaxed);
                offsets[(v >> LOCAL_BITS) as usize] + (v & local_mask) + 1
            }
        }));
    }
    out
}

impl Data {
    /// Loads the crimes recorded in `months` with `needs.columns`, and the victims and
    /// offenders asked for (when the dataset has any).
    pub fn load(info: &DatasetInfo, months: Period, needs: &Needs) -> Result<Data> {
        let mut cols: Vec<Col> = needs.columns.iter().copied().collect();
        cols.sort_by_key(|c| c.name());
        cols.dedup();
        let files = partitions(&info.dir.join("crimes"))?;
        let people_files =
            |table: &str, wanted: bool, n: u64| -> Result<Option<FxHashMap<Month, PathBuf>>> {
                if wanted && n > 0 {
                    Ok(Some(partitions(&info.dir.join(table))?))
                } else {
                    Ok(None)
                }
            };
        let people = PeopleFiles {
            victims: people_files("victims", needs.victims, info.victims)?,
            offenders: people_files("offenders", needs.offenders, info.offenders)?,
            relationship: needs.relationship,
            filter: needs
                .people_filter
                .as_ref()
                .filter(|f| **f != crate::config::Filter::default()),
        };
        let wanted: Vec<(Month, &PathBuf)> =
            months.iter().filter_map(|m| files.get(&m).map(|p| (m, p))).collect();
        // in polars' own pool: the Parquet reader installs into it, and from a worker of
        // another pool that is a cross-pool call that parks the caller (measured: one core idle)
        let chunks: Vec<Chunk> = polars_core::runtime::THREAD_POOL.install(|| {
            wanted.par_iter().map(|(m, p)| load_chunk(p, *m, &cols, &people)).collect::<Result<_>>()
        })?;
        let mut crimes = Crimes::default();
        let mut interners: Vec<Interner> = cols
            .iter()
            .filter(|c| kind(**c).ok() == Some(Kind::Text))
            .map(|_| Interner::default())
            .collect();
        let sizes = |f: fn(&Chunk) -> Option<&PeopleChunk>| {
            chunks.iter().filter_map(f).map(|p| p.crime.len()).sum()
        };
        let mut victims = people
            .victims
            .as_ref()
            .map(|_| PeopleBuilder::with_capacity(sizes(|c| c.victims.as_ref())));
        let mut offenders = people
            .offenders
            .as_ref()
            .map(|_| PeopleBuilder::with_capacity(sizes(|c| c.offenders.as_ref())));
        for chunk in chunks {
            let offset = crimes.len as u32;
            crimes.len += chunk.len;
            crimes.month.extend(std::iter::repeat_n(chunk.month, chunk.len));
            crimes.date.extend(chunk.date);
            for (i, (_, t)) in chunk.text.into_iter().enumerate() {
                interners[i].append(t);
            }
            for (c, v) in chunk.int {
                crimes.int.entry(c).or_default().extend(v);
            }
            for (c, v) in chunk.flag {
                crimes.flag.entry(c).or_default().extend(v);
            }
            for (c, v) in chunk.float {
                crimes.float.entry(c).or_default().extend(v);
            }
            for (c, v) in chunk.day {
                crimes.day.entry(c).or_default().extend(v);
            }
            for (builder, part) in
                [(&mut victims, chunk.victims), (&mut offenders, chunk.offenders)]
            {
                if let (Some(b), Some(p)) = (builder.as_mut(), part) {
                    b.append(p, offset);
                }
            }
        }
        let text_cols: Vec<Col> =
            cols.iter().copied().filter(|c| kind(*c).ok() == Some(Kind::Text)).collect();
        for (c, interner) in text_cols.into_iter().zip(interners) {
            crimes.text.insert(c, interner.text);
        }
        // columns of kinds with no rows loaded still exist (empty), so lookups succeed
        for &c in &cols {
            match kind(c)? {
                Kind::Text => drop(crimes.text.entry(c).or_default()),
                Kind::Int => drop(crimes.int.entry(c).or_default()),
                Kind::Flag => drop(crimes.flag.entry(c).or_default()),
                Kind::Float => drop(crimes.float.entry(c).or_default()),
                Kind::Day => drop(crimes.day.entry(c).or_default()),
            }
        }
        // the person dictionaries are merged in polars' pool too: its threads are the warm ones
        let (victims, offenders) = polars_core::runtime::THREAD_POOL.install(|| {
            rayon::join(
                || victims.map(|b| b.finish(false)).transpose(),
                || offenders.map(|b| b.finish(needs.relationship)).transpose(),
            )
        });
        let (victims, offenders) = (victims?, offenders?);
        Ok(Data { info: info.clone(), months, crimes, victims, offenders })
    }
}

#[derive(Default)]
struct PeopleBuilder {
    crime: Vec<u32>,
    age: Vec<i16>,
    person: Vec<PersonIds>,
    sex: Interner,
    ethnicity: Interner,
    relationship: Interner,
}

impl PeopleBuilder {
    /// Room for `records` person records.
    fn with_capacity(records: usize) -> PeopleBuilder {
        let mut b = PeopleBuilder::default();
        b.crime.reserve(records);
        b.age.reserve(records);
        b
    }

    fn append(&mut self, c: PeopleChunk, offset: u32) {
        self.crime.extend(c.crime.iter().map(|r| r + offset));
        self.age.extend(c.age);
        self.person.push(c.person);
        self.sex.append(c.sex);
        self.ethnicity.append(c.ethnicity);
        if let Some(r) = c.relationship {
            self.relationship.append(r);
        }
    }

    fn finish(self, relationship: bool) -> Result<People> {
        let out = People {
            crime: self.crime,
            person: merge_ids(self.person),
            age: self.age,
            sex: self.sex.text,
            ethnicity: self.ethnicity.text,
            relationship: relationship.then_some(self.relationship.text),
        };
        if out.person.codes.len() != out.crime.len() || out.age.len() != out.crime.len() {
            return Err(internal("people columns of unequal length"));
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn person_ids_merge_across_chunks_and_survive_hash_collisions() {
        let ids = |codes: Vec<u32>, values: &[(u64, &str)]| {
            let mut p = PersonIds::default();
            for (h, v) in values {
                p.push(v, *h);
            }
            p.codes = codes;
            p
        };
        // chunk 1: A B A; chunk 2: B - C, where C is given A's hash (a forced collision);
        // chunk 3: C again, still under the colliding hash
        let t = merge_ids(vec![
            ids(vec![1, 2, 1], &[(hash_id("A"), "A"), (hash_id("B"), "B")]),
            ids(vec![1, 0, 2], &[(hash_id("B"), "B"), (hash_id("A"), "C")]),
            ids(vec![1], &[(hash_id("A"), "C")]),
        ]);
        let rows: Vec<Option<&str>> = t.codes.iter().map(|c| t.id(*c)).collect();
        assert_eq!(
            rows,
            vec![Some("A"), Some("B"), Some("A"), Some("B"), None, Some("C"), Some("C")]
        );
        assert_eq!(t.distinct(), 3);
        assert_ne!(hash_id("A"), hash_id("B"));
        assert_eq!(hash_id("A"), hash_id("A"));
    }
}
