//! Partner incidents: council ASB, deliberate fires, ambulance or emergency-department
//! assault attendances, youth justice. One file per partner dataset, given a name
//! (`csa ingest --incidents ambulance=attendances.csv`, or `[inputs] incidents` in the
//! assessment configuration), read through the same TOML mapping as force extracts
//! (`[incidents.ambulance]`: columns, date formats, codes; [`crate::mapping::IncidentMapping`]).
//!
//! Each accepted row becomes a row of the crimes table with `record_kind = incident`,
//! `source` = the dataset's name, its `category`, no crime type and no offence code, so
//! every analysis and filter works on it, while filters that do not ask for incidents never
//! count it (`csa_analysis::select`). Its age and sex (and `person_id`, where the partner
//! gives one) become one victim row (or offender row, `person = "offender"`) of the
//! incident. The row's reference is `NAME:REF` (the partner's `crime_ref` column) or
//! `NAME:FILE:LINE` without one, so it never meets a police crime reference.
//!
//! Validation, row by row, every rejected row quarantined with its reason:
//! - `recorded_date` empty (`missing_value`) or not a date in the formats (`unparseable_date`);
//!   a date-time also gives the time of the incident (`committed_from`, hour, day of week);
//! - `category` empty (`missing_value`);
//! - coordinates not numbers or outside Great Britain, as for crimes;
//! - no location: no coordinates, no LSOA code the lookup knows, no ward code (or name) of
//!   the boundaries (`missing_coordinates`, the detail saying which);
//! - an age that is not 0 to 120 (`impossible_age`), a sex, location type or flag outside
//!   its code list (`unknown_code`), control characters (`control_character`);
//! - a reference seen before in the same ingest (`duplicate_crime_ref`, later in ingest).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use csa_model::{Col, LocationType, Reason, RecordKind};

use crate::error::Result;
use crate::extract::{
    open_rows, optional, parse_date, parse_flag, parse_rows, person_fields, point, required,
    Columns, Parsed, Quarantine,
};
use crate::mapping::{IncidentMapping, INCIDENT_COLUMNS};
use crate::police_uk::non_empty;
use crate::record::{CrimeRow, DatePrecision, GeoMethod, PersonRow, Table};
use crate::rows::Row;
use crate::source::InputStream;
use crate::{FileOutcome, ParseContext};

/// Wards of the boundaries by code and by folded name: (code, name) shared strings.
#[derive(Debug, Default, Clone)]
pub struct WardNames(HashMap<String, (Arc<str>, Arc<str>)>);

impl WardNames {
    /// From the boundaries' (code, name) pairs.
    pub fn new<'a>(areas: impl IntoIterator<Item = (&'a str, &'a str)>) -> WardNames {
        let mut m = HashMap::new();
        for (code, name) in areas {
            let v: (Arc<str>, Arc<str>) = (Arc::from(code), Arc::from(name));
            m.insert(code.to_ascii_lowercase(), v.clone());
            m.entry(csa_model::taxonomy::fold(name)).or_insert(v);
        }
        WardNames(m)
    }

    /// The ward a code or name (any case) stands for.
    pub fn find(&self, s: &str) -> Option<&(Arc<str>, Arc<str>)> {
        self.0.get(&s.to_ascii_lowercase()).or_else(|| self.0.get(&csa_model::taxonomy::fold(s)))
    }
}

/// One partner dataset being read: its name, mapping and the wards it may name.
pub struct Partner<'a> {
    pub name: &'a str,
    pub mapping: &'a IncidentMapping,
    pub wards: &'a WardNames,
}

/// Parses one partner incidents file (CSV, gzip or Parquet) batch by batch into `sink`.
pub fn parse(
    data: InputStream,
    path: &Path,
    file: u32,
    partner: &Partner,
    ctx: &ParseContext,
    sink: &mut (dyn FnMut(FileOutcome) -> Result<()> + Send),
) -> Result<InputStream> {
    let (header, source) = open_rows(data, path, Table::Incidents, file)?;
    let tm = partner.mapping.table();
    let section = format!("incidents.{}", partner.name);
    let required = [Col::RecordedDate, Col::Category];
    let cols = Columns::new(&header, INCIDENT_COLUMNS, &required, &tm, path, &section)?;
    let stem = path.file_name().map_or_else(String::new, |n| {
        let n = n.to_string_lossy();
        n.split('.').next().unwrap_or_default().to_string()
    });
    let parse_row = |row: &Row, q: Quarantine| -> Parsed {
        match incident_row(row, &cols, partner, &stem, file, ctx, q) {
            Ok((c, p)) => Parsed::Incident(c, p),
            Err(mut e) => {
                use chrono::Datelike;
                e.year_month = parse_date(
                    &cols.get(&row.fields, Col::RecordedDate),
                    cols.formats(Col::RecordedDate),
                )
                .map(|(d, _)| (d.year(), d.month()));
                Parsed::Rejected(e)
            }
        }
    };
    parse_rows(source, &cols, Table::Incidents, file, &parse_row, sink)
}

/// One row: the incident and its person, or why it is quarantined.
#[allow(clippy::too_many_arguments)]
fn incident_row(
    row: &Row,
    cols: &Columns,
    partner: &Partner,
    stem: &str,
    file: u32,
    ctx: &ParseContext,
    q: Quarantine,
) -> std::result::Result<(CrimeRow, Option<(Table, PersonRow)>), crate::record::Quarantined> {
    let cleaned = cols.check_controls(&row.fields, q)?;
    let f = cleaned.as_ref().unwrap_or(&row.fields);
    let formats = |c: Col| cols.formats(c);
    let date_error = |col: Col, v: &str| {
        let tried = match formats(col) {
            Some(fs) => fs.join(", "),
            None => "ISO 8601 and the usual UK forms".into(),
        };
        q(
            col,
            v,
            Reason::UnparseableDate,
            format!(
                "`{v}` is not a date in {tried} (set [incidents.{}.date_formats] in the mapping), or its year is outside 1900-2100",
                partner.name
            ),
        )
    };
    let rd = required(cols, f, Col::RecordedDate, q)?;
    let (recorded, recorded_time) = parse_date(&rd, formats(Col::RecordedDate))
        .ok_or_else(|| date_error(Col::RecordedDate, &rd))?;
    let from_text = cols.get(f, Col::CommittedFrom);
    let (committed_from, time_known) = if from_text.is_empty() {
        // a date-time in recorded_date is the time of the incident
        (recorded_time.then_some(recorded), recorded_time)
    } else {
        let (dt, known) = parse_date(&from_text, formats(Col::CommittedFrom))
            .ok_or_else(|| date_error(Col::CommittedFrom, &from_text))?;
        (Some(dt), known)
    };
    let category = required(cols, f, Col::Category, q)?;
    let position = point(cols, f, q)?;
    let location_type = optional(
        cols,
        f,
        Col::LocationType,
        LocationType::parse,
        Reason::UnknownCode,
        |v| {
            let valid: Vec<_> = LocationType::ALL.iter().map(|l| l.name()).collect();
            format!(
                "location_type `{v}` is not one of: {} (map it with [incidents.{}.codes.location_type])",
                valid.join(", "),
                partner.name
            )
        },
        q,
    )?;
    let flag = |col: Col| -> std::result::Result<Option<bool>, crate::record::Quarantined> {
        if !cols.has(col) {
            return Ok(None);
        }
        let v = cols.get(f, col);
        parse_flag(&v).map(Some).ok_or_else(|| {
            q(
                col,
                &v,
                Reason::UnknownCode,
                format!("{} `{v}` is not a yes/no value (true/false, y/n, 1/0)", col.name()),
            )
        })
    };
    let weapon = flag(Col::Weapon)?;
    let alcohol_related = flag(Col::AlcoholRelated)?;
    let domestic_abuse = flag(Col::DomesticAbuse)?;
    let (age, sex, ethnicity) = person_fields(cols, f, q, &format!("incidents.{}", partner.name))?;
    let crime_ref = match non_empty(&cols.get(f, Col::CrimeRef)) {
        Some(r) => format!("{}:{r}", partner.name),
        None => format!("{}:{stem}:{}", partner.name, row.line),
    };
    let mut c = CrimeRow {
        crime_ref,
        kind: RecordKind::Incident,
        force: None,
        recorded_date: recorded.date(),
        date_precision: DatePrecision::Day,
        committed_from,
        committed_time_known: time_known,
        committed_to: None,
        offence: None,
        crime_type: None,
        lon: position.map(|p| p.lon),
        lat: position.map(|p| p.lat),
        easting: position.map(|p| p.easting),
        northing: position.map(|p| p.northing),
        location_type,
        location_desc: non_empty(&cols.get(f, Col::LocationDesc)),
        lsoa_code: non_empty(&cols.get(f, Col::LsoaCode)).map(Arc::from),
        lsoa_name: non_empty(&cols.get(f, Col::LsoaName)).map(Arc::from),
        ward: None,
        geo_method: GeoMethod::None,
        in_area: false,
        domestic_abuse,
        hate: None,
        alcohol_related,
        weapon,
        source: Some(Arc::from(partner.name)),
        category: Some(Arc::from(&*category)),
        outcome: None,
        source_file: file,
        source_line: row.line,
    };
    if position.is_none() {
        place_without_point(&mut c, &cols.get(f, Col::WardCode), partner.wards, ctx)
            .map_err(|(col, v, d)| q(col, &v, Reason::MissingCoordinates, d))?;
    }
    let person_id = non_empty(&cols.get(f, Col::PersonId));
    let person = (person_id.is_some() || age.is_some() || sex.is_some() || ethnicity.is_some())
        .then(|| {
            let p = PersonRow {
                person_id: person_id.map_or_else(
                    || format!("{}#person", c.crime_ref),
                    |p| format!("{}:{p}", partner.name),
                ),
                crime_ref: c.crime_ref.clone(),
                age,
                sex,
                ethnicity,
                relationship: None,
                source_file: file,
                source_line: row.line,
            };
            (partner.mapping.person_table(), p)
        });
    Ok((c, person))
}

/// A row without coordinates: its LSOA through the lookup, else its ward code or name.
fn place_without_point(
    c: &mut CrimeRow,
    ward: &str,
    wards: &WardNames,
    ctx: &ParseContext,
) -> std::result::Result<(), (Col, String, String)> {
    if c.lsoa_code.is_some() {
        let lsoa = c.lsoa_code.as_deref().unwrap_or_default().to_string();
        match ctx.ward_from_lsoa(c) {
            Ok(()) => return Ok(()),
            // an LSOA the lookup does not place: the ward column, if any, may still
            Err(d) if ward.is_empty() => return Err((Col::LsoaCode, lsoa, d)),
            Err(_) => {}
        }
    }
    if ward.is_empty() {
        return Err((
            Col::Longitude,
            String::new(),
            "no location: no coordinates, LSOA code or ward code".into(),
        ));
    }
    match wards.find(ward) {
        Some(w) => {
            c.ward = Some(w.clone());
            c.geo_method = GeoMethod::WardCode;
            Ok(())
        }
        None => Err((
            Col::WardCode,
            ward.to_string(),
            format!("no coordinates and ward `{ward}` is neither a code nor a name of the boundaries' wards"),
        )),
    }
}
