//! Validated rows on their way into the dataset, and quarantined rows with their reason.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use csa_model::text::{escape_forbidden, forbidden_in};
use csa_model::{CrimeType, Ethnicity, LocationType, Reason, RecordKind, Sex};

/// Which dataset table a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Crimes,
    Victims,
    Offenders,
    /// A partner's incidents file: its rows become crimes-table rows of kind `incident`.
    Incidents,
}

impl Table {
    pub const fn name(self) -> &'static str {
        match self {
            Table::Crimes => "crimes",
            Table::Victims => "victims",
            Table::Offenders => "offenders",
            Table::Incidents => "incidents",
        }
    }
}

/// How precisely the date is known: police.uk gives only the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePrecision {
    Day,
    Month,
}

impl DatePrecision {
    pub const fn name(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Month => "month",
        }
    }
}

/// How the ward was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeoMethod {
    /// The point lies in a boundary polygon.
    PointInPolygon,
    /// No coordinates; the LSOA code gave the ward through the lookup.
    LsoaLookup,
    /// No coordinates and no LSOA; a partner incident's own ward code, checked against the
    /// boundaries.
    WardCode,
    /// The point lies inside no boundary polygon (outside the area).
    #[default]
    None,
}

impl GeoMethod {
    pub const fn name(self) -> &'static str {
        match self {
            GeoMethod::PointInPolygon => "point_in_polygon",
            GeoMethod::LsoaLookup => "lsoa_lookup",
            GeoMethod::WardCode => "ward_code",
            GeoMethod::None => "none",
        }
    }
}

/// One accepted crime, ASB incident or partner incident.
#[derive(Debug, Clone)]
pub struct CrimeRow {
    pub crime_ref: String,
    pub kind: RecordKind,
    pub force: Option<String>,
    pub recorded_date: NaiveDate,
    pub date_precision: DatePrecision,
    pub committed_from: Option<NaiveDateTime>,
    /// False when committed_from was given as a date without a time.
    pub committed_time_known: bool,
    pub committed_to: Option<NaiveDateTime>,
    /// Position in the offence reference table (`OffenceTable::at`).
    pub offence: Option<u16>,
    /// The police.uk crime type; `None` for partner incidents, which have a `category`.
    pub crime_type: Option<CrimeType>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub easting: Option<f64>,
    pub northing: Option<f64>,
    pub location_type: Option<LocationType>,
    pub location_desc: Option<String>,
    pub lsoa_code: Option<Arc<str>>,
    pub lsoa_name: Option<Arc<str>>,
    /// Ward (code, name); shared strings, one allocation per ward.
    pub ward: Option<(Arc<str>, Arc<str>)>,
    pub geo_method: GeoMethod,
    pub in_area: bool,
    pub domestic_abuse: Option<bool>,
    /// race, religion, sexual orientation, disability, transgender
    pub hate: Option<[bool; 5]>,
    pub alcohol_related: Option<bool>,
    /// A weapon (knife, firearm, other) used or present, where the input records it.
    pub weapon: Option<bool>,
    /// The partner dataset's name (`--incidents NAME=PATH`); `None` for police records.
    pub source: Option<Arc<str>>,
    /// A partner incident's category as the partner records it (after the mapping's codes).
    pub category: Option<Arc<str>>,
    pub outcome: Option<String>,
    pub source_file: u32,
    pub source_line: u64,
}

impl CrimeRow {
    pub fn year_month(&self) -> (i32, u32) {
        use chrono::Datelike;
        (self.recorded_date.year(), self.recorded_date.month())
    }

    /// Hour of day committed, when a time (not only a date) was given.
    pub fn hour(&self) -> Option<u32> {
        use chrono::Timelike;
        self.committed_from.filter(|_| self.committed_time_known).map(|d| d.hour())
    }
}

/// One accepted victim or offender on one crime.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub crime_ref: String,
    pub person_id: String,
    pub age: Option<i16>,
    pub sex: Option<Sex>,
    pub ethnicity: Option<Ethnicity>,
    pub relationship: Option<String>,
    pub source_file: u32,
    pub source_line: u64,
}

/// A row that was not accepted, with where it came from and why.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub table: Table,
    pub source_file: u32,
    pub line: u64,
    pub field: String,
    pub value: String,
    pub reason: Reason,
    pub detail: String,
    pub raw: String,
    /// The row's month where it could be read, for partitioning.
    pub year_month: Option<(i32, u32)>,
    /// The crime the row belongs to, where it could be read (to partition people rows).
    pub crime_ref: Option<String>,
}

impl Quarantined {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        table: Table,
        source_file: u32,
        line: u64,
        field: &str,
        value: &str,
        reason: Reason,
        detail: String,
        raw: String,
    ) -> Quarantined {
        // what is written about a rejected row shows control characters escaped (`\x00`),
        // never as they are (csa_model::text)
        let esc = |s: &str| escape_forbidden(s).into_owned();
        Quarantined {
            table,
            source_file,
            line,
            field: esc(field),
            value: esc(value),
            reason,
            detail: if forbidden_in(&detail).is_some() { esc(&detail) } else { detail },
            raw: if forbidden_in(&raw).is_some() { esc(&raw) } else { raw },
            year_month: None,
            crime_ref: None,
        }
    }
}
