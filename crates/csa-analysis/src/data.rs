//! Loading a csa dataset (written by `csa ingest`) into the column store ([`crate::store`]).
//!
//! Only the partitions of the months asked for and only the columns asked for are read
//! (polars' Parquet reader, one partition per task in parallel). Text columns are interned
//! ([`crate::intern`]). Victims and offenders are linked to their crime by row index, month by
//! month (a dataset csa wrote keeps them in their crime's month partition); person ids get one
//! dataset-wide dictionary ([`crate::person_ids`]).

use std::path::{Path, PathBuf};

use csa_model::{Col, Storage};
use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::dataset::{dataset_err, partitions, read_partition};
pub use crate::dataset::{BoundariesRef, DatasetInfo};
use crate::error::{internal, AnalysisError, Result};
use crate::intern::{dependent, intern_chunk, Interner};
pub use crate::needs::Needs;
use crate::period::{Month, Period};
use crate::person_ids::{intern_ids, merge_ids, PersonIds};
pub use crate::store::{day_to_date, Crimes, People, Text};

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

/// The storage of a crimes column the analysis can load into the column store ([`Col::storage`]:
/// text, small integers, flags, floats and date-times, held as days); the recorded date is
/// always loaded, and other columns are not analysed.
fn loadable(c: Col) -> Result<Storage> {
    match c.storage() {
        s @ (Storage::Text
        | Storage::SmallInt
        | Storage::Flag
        | Storage::Float
        | Storage::DateTime)
            if csa_model::CRIMES.contains(&c) && c != Col::SourceFile =>
        {
            Ok(s)
        }
        _ => Err(AnalysisError::Internal(format!("column {c} is not loadable for analysis"))),
    }
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
        match loadable(c)? {
            Storage::Text => chunk.text.push((c, intern_chunk(s.str().map_err(e)?))),
            Storage::SmallInt => {
                chunk.int.push((c, s.i8().map_err(e)?.iter().map(|v| v.unwrap_or(-1)).collect()))
            }
            Storage::Flag => chunk
                .flag
                .push((c, s.bool().map_err(e)?.iter().map(|v| v.map_or(2, u8::from)).collect())),
            Storage::Float => chunk
                .float
                .push((c, s.f64().map_err(e)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())),
            _ => {
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

/// `period` cut into runs of whole months of at most `max_rows` crime rows each (from the
/// manifest's partition sizes; a month larger than that is a run of its own), in order.
pub fn month_batches(info: &DatasetInfo, period: Period, max_rows: u64) -> Vec<Period> {
    let mut rows: FxHashMap<Month, u64> = FxHashMap::default();
    for p in &info.manifest.partitions {
        if let (true, Some(y), Some(m)) = (p.table == "crimes", p.year, p.month) {
            *rows.entry(Month::new(y, m)).or_default() += p.rows;
        }
    }
    let mut out: Vec<Period> = Vec::new();
    let mut held = 0u64;
    for m in period.iter() {
        let n = rows.get(&m).copied().unwrap_or(0);
        match out.last_mut() {
            Some(last) if held + n <= max_rows => {
                last.to = m;
                held += n;
            }
            _ => {
                out.push(Period { from: m, to: m });
                held = n;
            }
        }
    }
    out
}

impl Data {
    /// Bytes its crimes and people hold on the heap (approximately: what a cache of slices
    /// weighs it by).
    pub fn heap_bytes(&self) -> usize {
        self.crimes.heap_bytes()
            + self.victims.as_ref().map_or(0, People::heap_bytes)
            + self.offenders.as_ref().map_or(0, People::heap_bytes)
    }

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
        // rows of a table in the months (from the manifest): every column is sized once, not
        // grown by doubling (each doubling copied the column into fresh pages: a third of a
        // national pack's page faults)
        let rows_in = |table: &str| -> usize {
            let in_months = |p: &&csa_model::manifest::Partition| {
                p.table == table
                    && matches!((p.year, p.month), (Some(y), Some(m)) if months.contains(Month::new(y, m)))
            };
            info.manifest.partitions.iter().filter(in_months).map(|p| p.rows as usize).sum()
        };
        let rows = rows_in("crimes");
        let mut crimes = Crimes::default();
        crimes.month.reserve(rows);
        crimes.date.reserve(rows);
        let mut interners: Vec<Interner> = cols
            .iter()
            .filter(|c| c.storage() == Storage::Text)
            .map(|_| {
                let mut i = Interner::default();
                i.text.codes.reserve(rows);
                i
            })
            .collect();
        // room for every person record of the months; a filtered load links only some of
        // them and grows as it goes
        let records = |table: &str| -> usize {
            if people.filter.is_some() {
                return 0;
            }
            rows_in(table)
        };
        let mut victims =
            people.victims.as_ref().map(|_| PeopleBuilder::with_capacity(records("victims")));
        let mut offenders =
            people.offenders.as_ref().map(|_| PeopleBuilder::with_capacity(records("offenders")));
        // months are read a pool's width at a time and merged in order before the next ones
        // are read, so at most that many decoded partitions are held beside the store (not
        // every month's twice over). In polars' own pool: the Parquet reader installs into it,
        // and from a worker of another pool that is a cross-pool call that parks the caller
        // (measured: one core idle).
        let width = polars_core::runtime::THREAD_POOL.current_num_threads().max(1);
        for group in wanted.chunks(width) {
            let chunks: Vec<Chunk> = polars_core::runtime::THREAD_POOL.install(|| {
                group
                    .par_iter()
                    .map(|(m, p)| load_chunk(p, *m, &cols, &people))
                    .collect::<Result<_>>()
            })?;
            for chunk in chunks {
                let offset = crimes.len as u32;
                crimes.len += chunk.len;
                crimes.month.extend(std::iter::repeat_n(chunk.month, chunk.len));
                crimes.date.extend(chunk.date);
                for (i, (_, t)) in chunk.text.into_iter().enumerate() {
                    interners[i].append(t);
                }
                for (c, v) in chunk.int {
                    crimes.int.entry(c).or_insert_with(|| Vec::with_capacity(rows)).extend(v);
                }
                for (c, v) in chunk.flag {
                    crimes.flag.entry(c).or_insert_with(|| Vec::with_capacity(rows)).extend(v);
                }
                for (c, v) in chunk.float {
                    crimes.float.entry(c).or_insert_with(|| Vec::with_capacity(rows)).extend(v);
                }
                for (c, v) in chunk.day {
                    crimes.day.entry(c).or_insert_with(|| Vec::with_capacity(rows)).extend(v);
                }
                for (builder, part) in
                    [(&mut victims, chunk.victims), (&mut offenders, chunk.offenders)]
                {
                    if let (Some(b), Some(p)) = (builder.as_mut(), part) {
                        b.append(p, offset);
                    }
                }
            }
        }
        let text_cols: Vec<Col> =
            cols.iter().copied().filter(|c| c.storage() == Storage::Text).collect();
        for (c, interner) in text_cols.into_iter().zip(interners) {
            crimes.text.insert(c, interner.text);
        }
        // columns of kinds with no rows loaded still exist (empty), so lookups succeed
        for &c in &cols {
            match loadable(c)? {
                Storage::Text => drop(crimes.text.entry(c).or_default()),
                Storage::SmallInt => drop(crimes.int.entry(c).or_default()),
                Storage::Flag => drop(crimes.flag.entry(c).or_default()),
                Storage::Float => drop(crimes.float.entry(c).or_default()),
                _ => drop(crimes.day.entry(c).or_default()),
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
