//! Loading a csa dataset (written by `csa ingest`) into columnar memory for analysis.
//!
//! Only the partitions of the months asked for and only the columns asked for are read
//! (polars' Parquet reader, one partition per task in parallel). Text columns are interned:
//! each row holds a `u32` code into one dictionary per column, so filters and group-bys
//! compare integers. Victims and offenders are linked to their crime by row index.

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
        let remap: Vec<u32> = std::iter::once(0).chain(chunk.values.iter().map(|v| self.code(v))).collect();
        self.text.codes.extend(chunk.codes.iter().map(|c| remap[*c as usize]));
    }
}

fn intern_chunk(ca: &StringChunked) -> Text {
    let mut map: FxHashMap<&str, u32> = FxHashMap::default();
    let mut values: Vec<&str> = Vec::new();
    let codes = ca
        .iter()
        .map(|v| match v {
            None => 0,
            Some(v) => *map.entry(v).or_insert_with(|| {
                values.push(v);
                values.len() as u32
            }),
        })
        .collect();
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
}

/// What kind of storage a crimes column has here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Flag,
    Float,
}

fn kind(c: Col) -> Result<Kind> {
    use Col::*;
    Ok(match c {
        CrimeRef | RecordKind | Force | DatePrecision | OffenceCode | OffenceDescription | CrimeType | OffenceSubgroup
        | OffenceGroup | LocationType | LocationDesc | LsoaCode | LsoaName | WardCode | WardName | GeoMethod | Outcome => Kind::Text,
        DayOfWeek | Hour => Kind::Int,
        InArea | DomesticAbuse | HateCrime | HateRace | HateReligion | HateSexualOrientation | HateDisability | HateTransgender
        | AlcoholRelated => Kind::Flag,
        Easting | Northing | Longitude | Latitude => Kind::Float,
        other => return Err(AnalysisError::Internal(format!("column {other} is not loadable for analysis"))),
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
    pub person: Text,
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
    /// SHA-256 of `manifest.json`: the default pseudonymisation key of this dataset.
    pub manifest_sha256: String,
}

impl DatasetInfo {
    pub fn open(dir: &Path) -> Result<DatasetInfo> {
        let manifest_path = dir.join("manifest.json");
        let bytes = std::fs::read(&manifest_path).map_err(|e| AnalysisError::Dataset {
            path: dir.to_path_buf(),
            detail: format!("not a csa dataset (manifest.json: {e}); build one with `csa ingest ... --out {}`", dir.display()),
        })?;
        let manifest: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| AnalysisError::Dataset { path: manifest_path.clone(), detail: format!("unreadable manifest: {e}") })?;
        let count = |k: &str| manifest.pointer(&format!("/counts/{k}")).and_then(|v| v.as_u64()).unwrap_or(0);
        let mut months = partitions(&dir.join("crimes"))?.into_keys().collect::<Vec<_>>();
        months.sort();
        use sha2::Digest;
        let manifest_sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
        Ok(DatasetInfo { dir: dir.to_path_buf(), months, victims: count("victims"), offenders: count("offenders"), manifest_sha256 })
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
        let precision = df.column(Col::DatePrecision.name()).and_then(|c| c.str().cloned()).map_err(|e| dataset_err(&path, e))?;
        if precision.iter().any(|p| p == Some("month")) {
            return Ok(true);
        }
        let dates = df.column(Col::RecordedDate.name()).and_then(|c| c.date().cloned()).map_err(|e| dataset_err(&path, e))?;
        let max = dates.physical().iter().flatten().max();
        let last_day = (last.last_day() - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32;
        Ok(max == Some(last_day))
    }
}

fn dataset_err(path: &Path, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Dataset { path: path.to_path_buf(), detail: e.to_string() }
}

/// `table/year=Y/month=M/part-0.parquet`
fn partition_path(dir: &Path, table: &str, m: Month) -> PathBuf {
    dir.join(table).join(format!("year={}", m.year())).join(format!("month={}", m.month())).join("part-0.parquet")
}

/// Month partitions of one table folder (the null partition is skipped: crimes always have a
/// recorded date).
fn partitions(table_dir: &Path) -> Result<FxHashMap<Month, PathBuf>> {
    let mut out = FxHashMap::default();
    let rd = |p: &Path| std::fs::read_dir(p).map_err(|source| AnalysisError::Read { path: p.to_path_buf(), source });
    if !table_dir.exists() {
        return Ok(out);
    }
    for y in rd(table_dir)? {
        let y = y.map_err(|source| AnalysisError::Read { path: table_dir.to_path_buf(), source })?.path();
        let Some(year) = y.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("year=")).and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        for m in rd(&y)? {
            let m = m.map_err(|source| AnalysisError::Read { path: y.clone(), source })?.path();
            let Some(month) = m.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("month=")).and_then(|n| n.parse::<u32>().ok()) else {
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
    let file = std::fs::File::open(path).map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
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
}

fn load_chunk(path: &Path, month: Month, cols: &[Col]) -> Result<Chunk> {
    let mut names: Vec<&str> = vec![Col::RecordedDate.name()];
    names.extend(cols.iter().map(|c| c.name()));
    let df = read_partition(path, &names)?;
    let e = |e: PolarsError| dataset_err(path, e);
    let column = |c: Col| df.column(c.name()).map_err(e);
    let date: Vec<i32> = column(Col::RecordedDate)?.date().map_err(e)?.physical().iter().map(|d| d.unwrap_or(0)).collect();
    let mut chunk = Chunk { len: df.height(), month, date, text: vec![], int: vec![], flag: vec![], float: vec![] };
    for &c in cols {
        let s = column(c)?;
        match kind(c)? {
            Kind::Text => chunk.text.push((c, intern_chunk(s.str().map_err(e)?))),
            Kind::Int => chunk.int.push((c, s.i8().map_err(e)?.iter().map(|v| v.unwrap_or(-1)).collect())),
            Kind::Flag => chunk.flag.push((c, s.bool().map_err(e)?.iter().map(|v| v.map_or(2, u8::from)).collect())),
            Kind::Float => chunk.float.push((c, s.f64().map_err(e)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())),
        }
    }
    Ok(chunk)
}

impl Data {
    /// Loads the crimes recorded in `months` with `needs.columns`, and the victims and
    /// offenders asked for (when the dataset has any).
    pub fn load(info: &DatasetInfo, months: Period, needs: &Needs) -> Result<Data> {
        let mut cols: Vec<Col> = needs.columns.iter().copied().collect();
        if needs.victims || needs.offenders {
            cols.push(Col::CrimeRef);
        }
        cols.sort_by_key(|c| c.name());
        cols.dedup();
        let files = partitions(&info.dir.join("crimes"))?;
        let wanted: Vec<(Month, &PathBuf)> = months.iter().filter_map(|m| files.get(&m).map(|p| (m, p))).collect();
        let chunks: Vec<Chunk> = wanted.par_iter().map(|(m, p)| load_chunk(p, *m, &cols)).collect::<Result<_>>()?;
        let mut crimes = Crimes::default();
        let mut interners: Vec<Interner> = cols.iter().filter(|c| kind(**c).ok() == Some(Kind::Text)).map(|_| Interner::default()).collect();
        for chunk in chunks {
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
        }
        let text_cols: Vec<Col> = cols.iter().copied().filter(|c| kind(*c).ok() == Some(Kind::Text)).collect();
        let mut crime_refs: Option<FxHashMap<String, u32>> = None;
        for (c, interner) in text_cols.into_iter().zip(interners) {
            let Interner { map, text } = interner;
            if c == Col::CrimeRef {
                crime_refs = Some(map);
            }
            crimes.text.insert(c, text);
        }
        // columns of kinds with no rows loaded still exist (empty), so lookups succeed
        for &c in &cols {
            match kind(c)? {
                Kind::Text => drop(crimes.text.entry(c).or_default()),
                Kind::Int => drop(crimes.int.entry(c).or_default()),
                Kind::Flag => drop(crimes.flag.entry(c).or_default()),
                Kind::Float => drop(crimes.float.entry(c).or_default()),
            }
        }
        let mut victims = None;
        let mut offenders = None;
        if let Some(refs) = crime_refs {
            let ref_text = crimes.text(Col::CrimeRef)?;
            let mut row_of = vec![u32::MAX; ref_text.cardinality()];
            for (row, &code) in ref_text.codes.iter().enumerate() {
                row_of[code as usize] = row as u32;
            }
            let link = |ref_: &str| refs.get(ref_).map(|c| row_of[*c as usize]).filter(|r| *r != u32::MAX);
            if needs.victims && info.victims > 0 {
                victims = Some(load_people(info, "victims", months, false, &link)?);
            }
            if needs.offenders && info.offenders > 0 {
                offenders = Some(load_people(info, "offenders", months, needs.relationship, &link)?);
            }
        }
        Ok(Data { info: info.clone(), months, crimes, victims, offenders })
    }
}

fn load_people(info: &DatasetInfo, table: &str, months: Period, relationship: bool, link: &(dyn Fn(&str) -> Option<u32> + Sync)) -> Result<People> {
    let files = partitions(&info.dir.join(table))?;
    let wanted: Vec<&PathBuf> = months.iter().filter_map(|m| files.get(&m)).collect();
    let mut names = vec![Col::CrimeRef.name(), Col::PersonId.name(), Col::Age.name(), Col::Sex.name(), Col::Ethnicity.name()];
    if relationship {
        names.push(Col::RelationshipToVictim.name());
    }
    struct PeopleChunk {
        crime: Vec<u32>,
        person: Text,
        age: Vec<i16>,
        sex: Text,
        ethnicity: Text,
        relationship: Option<Text>,
    }
    let chunks: Vec<PeopleChunk> = wanted
        .par_iter()
        .map(|p| {
            let df = read_partition(p, &names)?;
            let e = |e: PolarsError| dataset_err(p, e);
            let col = |c: Col| df.column(c.name()).map_err(e);
            // people whose crime is not loaded (cannot happen in a dataset csa wrote: people
            // share their crime's month partition) are dropped here
            let refs = col(Col::CrimeRef)?.str().map_err(e)?;
            let links: Vec<Option<u32>> = refs.iter().map(|r| r.and_then(link)).collect();
            let keep = |v: &mut Vec<u32>| {
                let mut i = 0;
                v.retain(|_| {
                    i += 1;
                    links[i - 1].is_some()
                });
            };
            let text = |c: Col| -> Result<Text> {
                let mut t = intern_chunk(col(c)?.str().map_err(e)?);
                keep(&mut t.codes);
                Ok(t)
            };
            let ages = col(Col::Age)?.i16().map_err(e)?;
            Ok(PeopleChunk {
                crime: links.iter().flatten().copied().collect(),
                person: text(Col::PersonId)?,
                age: ages.iter().zip(&links).filter(|(_, l)| l.is_some()).map(|(a, _)| a.unwrap_or(-1)).collect(),
                sex: text(Col::Sex)?,
                ethnicity: text(Col::Ethnicity)?,
                relationship: if relationship { Some(text(Col::RelationshipToVictim)?) } else { None },
            })
        })
        .collect::<Result<_>>()?;
    let (mut person, mut sex, mut ethnicity, mut rel) = (Interner::default(), Interner::default(), Interner::default(), Interner::default());
    let mut out = People::default();
    for c in chunks {
        out.crime.extend(c.crime);
        out.age.extend(c.age);
        person.append(c.person);
        sex.append(c.sex);
        ethnicity.append(c.ethnicity);
        if let Some(r) = c.relationship {
            rel.append(r);
        }
    }
    out.person = person.text;
    out.sex = sex.text;
    out.ethnicity = ethnicity.text;
    out.relationship = relationship.then_some(rel.text);
    if out.person.codes.len() != out.crime.len() {
        return Err(internal("people columns of unequal length"));
    }
    Ok(out)
}
