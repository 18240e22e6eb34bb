//! Cutting a slice out of data already loaded: [`Data::slice`] gives exactly what
//! [`Data::load`] of those months with those [`Needs`] gives, without reading the dataset
//! again. A long-running server (`csa serve`) loads a dataset once and answers every query
//! from slices, so its tables equal the command line's byte for byte.
//!
//! Why a slice and not the whole loaded data: what an analysis shows can depend on what is
//! loaded, not only on the period it counts:
//! - dictionary codes are numbered in order of first appearance over the loaded rows, and
//!   orders of equal counts fall back on codes (breakdown rows, prolific offenders);
//! - without configured boundaries, the area is the wards that occur in the loaded months;
//! - notes name the columns that are entirely unrecorded in the loaded rows;
//! - a one-priority query links the people of its crimes only (`Needs::people_filter`),
//!   which numbers person ids differently.
//!
//! How: rows are stored month by month in ascending order, so the months of a slice are one
//! run of rows. Text columns are renumbered in order of first appearance over that run
//! (what loading month by month and merging dictionaries gives); people are kept when their
//! crime is in the run and, with a people filter, matches it; person ids are re-interned
//! month by month and merged as the loader merges them ([`crate::person_ids`]).
//!
//! Assumes what a dataset csa wrote guarantees: a crime_ref occurs once in its month, so a
//! person links to the same crime row whether or not a filter was applied while linking.

use csa_model::{Col, Storage};

use crate::config::Filter;
use crate::data::Data;
use crate::error::{AnalysisError, Result};
use crate::needs::Needs;
use crate::period::{Month, Period};
use crate::person_ids::{merge_ids, PersonIds};
use crate::select::Selector;
use crate::store::{Crimes, People, Text};

impl Data {
    /// The data [`Data::load`] of `months` with `needs` would give, cut from this data, which
    /// must hold every dataset month of `months`, every column of `needs` and the people it
    /// asks for (load with the union of what the queries need, e.g. [`Needs::everything`]).
    pub fn slice(&self, months: Period, needs: &Needs) -> Result<Data> {
        let missing: Vec<Month> = months
            .iter()
            .filter(|m| self.info.months.binary_search(m).is_ok() && !self.months.contains(*m))
            .collect();
        if let Some(m) = missing.first() {
            return Err(not_held(format!("month {m}")));
        }
        let lo = self.crimes.month.partition_point(|m| *m < months.from);
        let hi = self.crimes.month.partition_point(|m| *m <= months.to);
        let mut cols: Vec<Col> = needs.columns.iter().copied().collect();
        cols.sort_by_key(|c| c.name());
        cols.dedup();
        let crimes = slice_crimes(&self.crimes, lo, hi, &cols)?;
        let filter = needs.people_filter.as_ref().filter(|f| **f != Filter::default());
        let keep: Option<Vec<bool>> = match filter {
            None => None,
            Some(f) => {
                let sel = Selector::new(f, &crimes)?;
                Some((0..crimes.len).map(|r| sel.matches(r)).collect())
            }
        };
        let people = |wanted: bool, count: u64, held: &Option<People>, relationship: bool| {
            if !wanted || count == 0 {
                return Ok(None);
            }
            let held = held.as_ref().ok_or_else(|| not_held("people".into()))?;
            if relationship && held.relationship.is_none() {
                return Err(not_held("the offender-victim relationship".into()));
            }
            Ok(Some(slice_people(held, &crimes.month, lo, hi, keep.as_deref(), relationship)))
        };
        let victims = people(needs.victims, self.info.victims, &self.victims, false)?;
        let offenders =
            people(needs.offenders, self.info.offenders, &self.offenders, needs.relationship)?;
        Ok(Data { info: self.info.clone(), months, crimes, victims, offenders })
    }
}

fn not_held(what: String) -> AnalysisError {
    AnalysisError::Internal(format!("{what} is not held by the loaded data, so no slice of it"))
}

/// Rows `lo..hi` with the columns `cols`.
fn slice_crimes(all: &Crimes, lo: usize, hi: usize, cols: &[Col]) -> Result<Crimes> {
    let mut out = Crimes {
        len: hi - lo,
        month: all.month[lo..hi].to_vec(),
        date: all.date[lo..hi].to_vec(),
        ..Crimes::default()
    };
    for &c in cols {
        match c.storage() {
            Storage::Text => drop(out.text.insert(c, renumber(all.text(c)?, lo..hi))),
            Storage::SmallInt => drop(out.int.insert(c, all.int(c)?[lo..hi].to_vec())),
            Storage::Flag => drop(out.flag.insert(c, all.flag(c)?[lo..hi].to_vec())),
            Storage::Float => drop(out.float.insert(c, all.float(c)?[lo..hi].to_vec())),
            Storage::DateTime => drop(out.day.insert(c, all.day(c)?[lo..hi].to_vec())),
            _ => return Err(not_held(format!("column {c}"))),
        }
    }
    Ok(out)
}

/// The text of `rows`, with codes numbered in order of first appearance.
fn renumber(t: &Text, rows: std::ops::Range<usize>) -> Text {
    renumber_rows(t, rows.map(|r| t.codes[r]))
}

fn renumber_rows(t: &Text, codes: impl Iterator<Item = u32>) -> Text {
    let mut remap = vec![0u32; t.cardinality()];
    let mut values = Vec::new();
    let codes = codes
        .map(|c| {
            if c == 0 {
                return 0;
            }
            let slot = &mut remap[c as usize];
            if *slot == 0 {
                values.push(t.values[c as usize - 1].clone());
                *slot = values.len() as u32;
            }
            *slot
        })
        .collect();
    Text { codes, values }
}

/// The people whose crime is in rows `lo..hi` (and kept by `keep`, indexed from `lo`).
fn slice_people(
    all: &People,
    month: &[Month],
    lo: usize,
    hi: usize,
    keep: Option<&[bool]>,
    relationship: bool,
) -> People {
    let records: Vec<usize> = (0..all.len())
        .filter(|&i| {
            let c = all.crime[i] as usize;
            (lo..hi).contains(&c) && keep.is_none_or(|k| k[c - lo])
        })
        .collect();
    // person ids month by month, as the loader interns them, then merged the same way
    let mut parts: Vec<PersonIds> = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let m = month[all.crime[records[start]] as usize - lo];
        let end =
            start + records[start..].partition_point(|&i| month[all.crime[i] as usize - lo] == m);
        parts.push(all.person.subset(&records[start..end]));
        start = end;
    }
    People {
        crime: records.iter().map(|&i| all.crime[i] - lo as u32).collect(),
        person: merge_ids(parts),
        age: records.iter().map(|&i| all.age[i]).collect(),
        sex: renumber_rows(&all.sex, records.iter().map(|&i| all.sex.codes[i])),
        ethnicity: renumber_rows(&all.ethnicity, records.iter().map(|&i| all.ethnicity.codes[i])),
        relationship: match (&all.relationship, relationship) {
            (Some(r), true) => Some(renumber_rows(r, records.iter().map(|&i| r.codes[i]))),
            _ => None,
        },
    }
}

/// A key that is equal for two [`Needs`] exactly when they load the same data.
pub fn needs_key(n: &Needs) -> String {
    let mut cols: Vec<&str> = n.columns.iter().map(|c| c.name()).collect();
    cols.sort_unstable();
    cols.dedup();
    let filter = n.people_filter.as_ref().filter(|f| **f != Filter::default());
    let people = n.victims || n.offenders;
    format!(
        "{cols:?}|v{}o{}r{}|{:?}",
        n.victims,
        n.offenders,
        n.relationship,
        // the people filter only matters when people are linked
        if people { filter } else { None }
    )
}
