//! The loaded column store: crimes and people as plain vectors, text columns dictionary-coded
//! (`u32` codes into one dictionary per column), so filters and group-bys compare integers.
//! [`crate::data`] fills it from the dataset; [`crate::select`] and every analysis read it.

use chrono::NaiveDate;
use csa_model::Col;
use rustc_hash::FxHashMap;

use crate::error::AnalysisError;
use crate::period::Month;
pub use crate::person_ids::PersonIds;

type Result<T> = std::result::Result<T, AnalysisError>;

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
    /// Bytes it holds on the heap (approximately: what a cache weighs it by).
    pub fn heap_bytes(&self) -> usize {
        self.codes.len() * 4
            + self.values.iter().map(|v| v.len() + std::mem::size_of::<String>()).sum::<usize>()
    }
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

impl Crimes {
    /// Bytes its columns hold on the heap (approximately).
    pub fn heap_bytes(&self) -> usize {
        self.len * (std::mem::size_of::<Month>() + 4)
            + self.text.values().map(Text::heap_bytes).sum::<usize>()
            + self.int.values().map(Vec::len).sum::<usize>()
            + self.flag.values().map(Vec::len).sum::<usize>()
            + self.float.values().map(|v| v.len() * 8).sum::<usize>()
            + self.day.values().map(|v| v.len() * 4).sum::<usize>()
    }
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
    /// Bytes it holds on the heap (approximately).
    pub fn heap_bytes(&self) -> usize {
        self.crime.len() * 4
            + self.person.heap_bytes()
            + self.age.len() * 2
            + self.sex.heap_bytes()
            + self.ethnicity.heap_bytes()
            + self.relationship.as_ref().map_or(0, Text::heap_bytes)
    }
    pub fn len(&self) -> usize {
        self.crime.len()
    }
    pub fn is_empty(&self) -> bool {
        self.crime.is_empty()
    }
}
