//! Reader for force extracts: `crimes`, `victims` and `offenders` tables as CSV (plain or
//! gzip) or Parquet in one folder, with an optional TOML [`Mapping`] for forces whose
//! columns, date formats or codes differ from the canonical ones (see `data/README.md`).
//!
//! Parquet rows have no text lines; their `source_line` is the 1-based row number.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use csa_model::{text, Col, CrimeType, Ethnicity, LocationType, Reason, RecordKind, Sex};
use rayon::prelude::*;

use crate::coords;
use crate::error::{IngestError, Result};
use crate::mapping::{input_columns, Mapping, TableMapping};
use crate::police_uk::non_empty;
use crate::record::{CrimeRow, DatePrecision, GeoMethod, PersonRow, Quarantined, Table};
use crate::rows::{join_fields, CsvBatches, Row, BATCH};
use crate::source::InputStream;
use crate::{FileOutcome, ParseContext};

/// Date formats tried when the mapping gives none.
pub const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y"];
/// Date-time formats tried when the mapping gives none.
pub const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
];

/// The table files found in an extract folder.
#[derive(Debug, Clone)]
pub struct ExtractFiles {
    pub crimes: PathBuf,
    pub victims: Option<PathBuf>,
    pub offenders: Option<PathBuf>,
}

/// Finds `crimes`, `victims`, `offenders` (`.csv`, `.csv.gz` or `.parquet`) in `dir`, or the
/// names the mapping's `[files]` gives.
pub fn locate_files(dir: &Path, mapping: &Mapping) -> Result<ExtractFiles> {
    if !dir.is_dir() {
        return Err(IngestError::NoInputs { path: dir.to_path_buf(), detail: "is not a folder (an extract is a folder holding crimes.csv, victims.csv, offenders.csv)".into() });
    }
    let find = |named: &Option<String>, stem: &str| -> Result<Option<PathBuf>> {
        if let Some(name) = named {
            let p = dir.join(name);
            return if p.is_file() {
                Ok(Some(p))
            } else {
                Err(IngestError::NoInputs {
                    path: p,
                    detail: format!("file named in the mapping's [files] {stem} does not exist"),
                })
            };
        }
        Ok(["csv", "csv.gz", "parquet"]
            .iter()
            .map(|ext| dir.join(format!("{stem}.{ext}")))
            .find(|p| p.is_file()))
    };
    let crimes = find(&mapping.files.crimes, "crimes")?.ok_or_else(|| IngestError::NoInputs {
        path: dir.to_path_buf(),
        detail: "extract folder has no crimes.csv, crimes.csv.gz or crimes.parquet".into(),
    })?;
    Ok(ExtractFiles {
        crimes,
        victims: find(&mapping.files.victims, "victims")?,
        offenders: find(&mapping.files.offenders, "offenders")?,
    })
}

/// A column's position in the row and its code list.
type Slot<'m> = (usize, Option<&'m BTreeMap<String, String>>);

/// A row, or why it was rejected.
type RowResult = std::result::Result<Row, Quarantined>;

/// Where each canonical column sits in the file's rows, and its code list, indexed by
/// `Col as usize` (looked up for every field of every row, so no hashing).
pub(crate) struct Columns<'m> {
    slots: Vec<Option<Slot<'m>>>,
    /// (position in the row, column) of every column read.
    read: Vec<(usize, Col)>,
    tm: &'m TableMapping,
}

impl<'m> Columns<'m> {
    fn resolve(
        header: &[String],
        table: Table,
        tm: &'m TableMapping,
        path: &Path,
    ) -> Result<Columns<'m>> {
        let required: &[Col] = match table {
            Table::Crimes => &[Col::CrimeRef, Col::RecordedDate],
            _ => &[Col::CrimeRef, Col::PersonId],
        };
        let cols = Columns::new(header, input_columns(table), required, tm, path, table.name())?;
        if table == Table::Crimes && !cols.has(Col::OffenceCode) && !cols.has(Col::CrimeType) {
            return Err(IngestError::MissingColumn {
                path: path.to_path_buf(),
                column: "offence_code or crime_type".into(),
                hint: format!(" (columns present: {})", header.join(", ")),
            });
        }
        Ok(cols)
    }

    /// Finds the `allowed` columns (by their mapped names, else their canonical names, exact
    /// case first) in `header`; a mapped column that is absent, or a `required` one, is an
    /// error naming the mapping's `[section.columns]`.
    pub(crate) fn new(
        header: &[String],
        allowed: &[Col],
        required: &[Col],
        tm: &'m TableMapping,
        path: &Path,
        section: &str,
    ) -> Result<Columns<'m>> {
        let mut idx = HashMap::new();
        for &col in allowed {
            let mapped = tm.columns.get(col.name());
            let want = mapped.map_or(col.name(), String::as_str);
            let pos = header
                .iter()
                .position(|h| h == want)
                .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(want)));
            match (pos, mapped) {
                (Some(p), _) => {
                    idx.insert(col, p);
                }
                (None, Some(m)) => {
                    return Err(IngestError::MissingColumn {
                        path: path.to_path_buf(),
                        column: m.clone(),
                        hint: format!(
                            " (the mapping maps `{}` to it; columns present: {})",
                            col.name(),
                            header.join(", ")
                        ),
                    })
                }
                (None, None) => {}
            }
        }
        for col in required {
            if !idx.contains_key(col) {
                return Err(IngestError::MissingColumn {
                    path: path.to_path_buf(),
                    column: col.name().to_string(),
                    hint: format!(
                        " (columns present: {}; map yours with [{section}.columns] in a --mapping file)",
                        header.join(", "),
                    ),
                });
            }
        }
        let mut slots = vec![None; 64];
        let mut read = Vec::with_capacity(idx.len());
        for (col, i) in idx {
            slots[col as usize] = Some((i, tm.codes.get(col.name())));
            read.push((i, col));
        }
        Ok(Columns { slots, read, tm })
    }

    /// The trimmed value of `col` after the mapping's code list; "" when the column is absent.
    pub(crate) fn get<'r>(&self, row: &'r csv::StringRecord, col: Col) -> Cow<'r, str>
    where
        'm: 'r,
    {
        let Some((i, codes)) = self.slots[col as usize] else { return Cow::Borrowed("") };
        let v = row[i].trim();
        match codes.and_then(|m| m.get(v)) {
            Some(mapped) => Cow::Owned(mapped.clone()),
            None => Cow::Borrowed(v),
        }
    }

    /// The control-character rule (`csa_model::text`) on the columns csa reads: the row
    /// quarantined, or its fields with line breaks made spaces (`None`: unchanged).
    pub(crate) fn check_controls(
        &self,
        fields: &csv::StringRecord,
        q: Quarantine,
    ) -> std::result::Result<Option<csv::StringRecord>, Quarantined> {
        let col_at = |i: usize| self.read.iter().find(|(at, _)| *at == i).map(|&(_, c)| c);
        text::check_record(fields, |i| col_at(i).is_some()).map_err(|(i, c)| {
            let col = col_at(i).unwrap_or(Col::CrimeRef);
            let name = self.tm.columns.get(col.name()).map_or(col.name(), String::as_str);
            q(
                col,
                &fields[i],
                Reason::ControlCharacter,
                format!(
                    "{name} {} (re-export the file, or remove the character)",
                    text::describe(c)
                ),
            )
        })
    }

    /// Whether the file has the column (directly or through the mapping).
    pub(crate) fn has(&self, col: Col) -> bool {
        self.slots[col as usize].is_some()
    }

    pub(crate) fn formats(&self, col: Col) -> Option<&[String]> {
        self.tm.date_formats.get(col.name()).map(Vec::as_slice)
    }
}

const _: () = assert!((Col::Month as usize) < 64, "Columns::slots holds 64 columns");

/// Rows of a table file, CSV (read in batches) or Parquet (read whole).
pub(crate) enum RowSource {
    Csv(CsvBatches),
    Parquet(Option<Vec<RowResult>>, InputStream),
}

impl RowSource {
    fn next_batch(&mut self) -> Vec<RowResult> {
        match self {
            RowSource::Csv(c) => c.next_batch(BATCH),
            RowSource::Parquet(rows, _) => rows.take().unwrap_or_default(),
        }
    }

    fn into_stream(self) -> InputStream {
        match self {
            RowSource::Csv(c) => c.into_stream(),
            RowSource::Parquet(_, s) => s,
        }
    }
}

/// Opens a table file: its header and its rows. A CSV is streamed; a Parquet file (a format
/// read by column, from its footer) is read whole.
pub(crate) fn open_rows(
    mut data: InputStream,
    path: &Path,
    table: Table,
    file: u32,
) -> Result<(Vec<String>, RowSource)> {
    if data.peek(4) == b"PAR1" {
        let bytes = data.read_rest()?;
        let (header, rows) = parquet_rows(&bytes, path)?;
        return Ok((header, RowSource::Parquet(Some(rows), data)));
    }
    let csv = CsvBatches::new(data, table, file)
        .ok_or_else(|| IngestError::EmptyFile { path: path.to_path_buf() })?;
    Ok((csv.header.clone(), RowSource::Csv(csv)))
}

fn parquet_rows(data: &[u8], path: &Path) -> Result<(Vec<String>, Vec<RowResult>)> {
    use polars::prelude::*;
    // the check, polars' read and the cast to text all guarded: polars panics on some
    // malformed files (its footer decoder; a date out of range when cast to text)
    let (header, cols, height) = crate::parquet_check::guarded(|| {
        crate::parquet_check::check(data)?;
        let df =
            ParquetReader::new(std::io::Cursor::new(data)).finish().map_err(|e| e.to_string())?;
        let header: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        let mut cols = Vec::with_capacity(header.len());
        for c in df.columns() {
            let s = c.cast(&DataType::String).map_err(|e| e.to_string())?;
            let values: Vec<String> = s
                .str()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect();
            cols.push(values);
        }
        Ok((header, cols, df.height()))
    })
    .map_err(|detail| IngestError::Parquet { path: path.to_path_buf(), detail })?;
    let rows = (0..height)
        .map(|r| {
            Ok(Row {
                line: r as u64 + 1,
                fields: cols.iter().map(|c| c[r].as_str()).collect::<csv::StringRecord>(),
            })
        })
        .collect();
    Ok((header, rows))
}

/// What one row became.
pub(crate) enum Parsed {
    Crime(CrimeRow),
    Person(PersonRow),
    /// A partner incident, with the person its age and sex describe (if any).
    Incident(CrimeRow, Option<(Table, PersonRow)>),
    Rejected(Quarantined),
}

/// The quarantine constructor a row parser is given: (field, value, reason, detail).
/// The quarantine constructor a row parser is given: (field, value, reason, detail).
pub(crate) type Quarantine<'q> = &'q dyn Fn(Col, &str, Reason, String) -> Quarantined;

/// Parses one extract table batch by batch, handing each batch's outcome (rows in file
/// order) to `sink`; returns the stream for its metadata.
pub fn parse_table(
    data: InputStream,
    path: &Path,
    table: Table,
    file: u32,
    mapping: &Mapping,
    ctx: &ParseContext,
    sink: &mut (dyn FnMut(FileOutcome) -> Result<()> + Send),
) -> Result<InputStream> {
    if table == Table::Incidents {
        return Err(IngestError::Internal(
            "partner incidents are read by csa_ingest::incidents::parse".into(),
        ));
    }
    let (header, source) = open_rows(data, path, table, file)?;
    let cols = Columns::resolve(&header, table, mapping.table(table), path)?;
    let parse = |row: &Row, q: Quarantine| -> Parsed {
        match table {
            Table::Crimes => match crime_row(row, &cols, file, mapping, ctx, q) {
                Ok(c) => Parsed::Crime(c),
                Err(mut e) => {
                    if e.year_month.is_none() {
                        e.year_month = parse_date(
                            &cols.get(&row.fields, Col::RecordedDate),
                            cols.formats(Col::RecordedDate),
                        )
                        .map(|(d, _)| (d.year(), d.month()));
                    }
                    Parsed::Rejected(e)
                }
            },
            // (incidents refused above)
            Table::Victims | Table::Offenders | Table::Incidents => {
                match person_row(row, &cols, table, file, q) {
                    Ok(p) => Parsed::Person(p),
                    Err(mut e) => {
                        e.crime_ref = non_empty(&cols.get(&row.fields, Col::CrimeRef));
                        Parsed::Rejected(e)
                    }
                }
            }
        }
    };
    parse_rows(source, &cols, table, file, &parse, sink)
}

/// The batch loop shared by extract tables and partner incidents: each batch's rows parsed
/// in parallel by `parse` (keeping file order) while the next batch is split off the file,
/// every row ending in `sink`'s outcome as accepted or quarantined.
pub(crate) fn parse_rows(
    mut source: RowSource,
    cols: &Columns,
    table: Table,
    file: u32,
    parse: &(dyn Fn(&Row, Quarantine) -> Parsed + Sync),
    sink: &mut (dyn FnMut(FileOutcome) -> Result<()> + Send),
) -> Result<InputStream> {
    let mut next = source.next_batch();
    let mut parsed_before: Option<FileOutcome> = None;
    loop {
        let rows = std::mem::take(&mut next);
        if rows.is_empty() {
            break;
        }
        let mut out = FileOutcome { rows_read: rows.len() as u64, ..Default::default() };
        let parse_batch = |rows: Vec<RowResult>| -> Vec<Parsed> {
            rows.into_par_iter()
                .with_min_len(512)
                .map(|row| {
                    let row = match row {
                        Ok(r) => r,
                        Err(q) => return Parsed::Rejected(q),
                    };
                    let q = |field: Col, value: &str, reason: Reason, detail: String| {
                        let src = cols
                            .tm
                            .columns
                            .get(field.name())
                            .cloned()
                            .unwrap_or_else(|| field.name().to_string());
                        Quarantined::new(
                            table,
                            file,
                            row.line,
                            &src,
                            value,
                            reason,
                            detail,
                            join_fields(&row.fields),
                        )
                    };
                    parse(&row, &q)
                })
                .collect()
        };
        // rows are independent: parse them in parallel, keeping file order, while the next
        // batch is split off the file (the splitting is serial; overlapped, it costs nothing)
        // and the batch before goes to `sink` (which still sees the batches one at a time, in
        // order)
        let before = parsed_before.take();
        let ((parsed, following), sunk) = rayon::join(
            || rayon::join(|| parse_batch(rows), || source.next_batch()),
            || before.map_or(Ok(()), &mut *sink),
        );
        sunk?;
        next = following;
        for p in parsed {
            match p {
                Parsed::Crime(c) => out.crimes.push(c),
                Parsed::Person(p) if table == Table::Victims => out.victims.push(p),
                Parsed::Person(p) => out.offenders.push(p),
                Parsed::Incident(c, person) => {
                    if let Some((role, p)) = person {
                        out.derived.push((out.crimes.len(), role, p));
                    }
                    out.crimes.push(c);
                }
                Parsed::Rejected(q) => out.quarantined.push(q),
            }
        }
        parsed_before = Some(out);
    }
    parsed_before.map_or(Ok(()), sink)?;
    Ok(source.into_stream())
}

/// [`parse_table`] over bytes in memory, every batch gathered into one outcome (tests,
/// fuzzing).
pub fn parse_table_bytes(
    data: &[u8],
    path: &Path,
    table: Table,
    file: u32,
    mapping: &Mapping,
    ctx: &ParseContext,
) -> Result<FileOutcome> {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::EmptyFile { path: path.to_path_buf() });
    }
    let stream = InputStream::from_bytes(path, data.to_vec());
    let mut all = FileOutcome::default();
    parse_table(stream, path, table, file, mapping, ctx, &mut |o| {
        all.gather(o);
        Ok(())
    })?
    .finish()?;
    Ok(all)
}

fn crime_row(
    row: &Row,
    cols: &Columns,
    file: u32,
    mapping: &Mapping,
    ctx: &ParseContext,
    q: &dyn Fn(Col, &str, Reason, String) -> Quarantined,
) -> std::result::Result<CrimeRow, Quarantined> {
    let cleaned = cols.check_controls(&row.fields, q)?;
    let f = cleaned.as_ref().unwrap_or(&row.fields);
    let crime_ref = required(cols, f, Col::CrimeRef, q)?;
    let rd = required(cols, f, Col::RecordedDate, q)?;
    let (recorded, _) = parse_date(&rd, cols.formats(Col::RecordedDate)).ok_or_else(|| {
        q(
            Col::RecordedDate,
            &rd,
            Reason::UnparseableDate,
            date_detail(&rd, cols.formats(Col::RecordedDate)),
        )
    })?;
    let recorded_date = recorded.date();
    let mut committed = [None, None];
    let mut time_known = false;
    for (i, col) in [Col::CommittedFrom, Col::CommittedTo].into_iter().enumerate() {
        let v = cols.get(f, col);
        if v.is_empty() {
            continue;
        }
        let (dt, known) = parse_date(&v, cols.formats(col)).ok_or_else(|| {
            q(col, &v, Reason::UnparseableDate, date_detail(&v, cols.formats(col)))
        })?;
        committed[i] = Some(dt);
        if i == 0 {
            time_known = known;
        }
    }
    // offence code and crime type: either may be given; both must then agree
    let code_text = cols.get(f, Col::OffenceCode);
    let type_text = cols.get(f, Col::CrimeType);
    let offence_index = if code_text.is_empty() {
        None
    } else {
        Some(ctx.offences.index(&code_text).ok_or_else(|| {
            q(
                Col::OffenceCode,
                &code_text,
                Reason::UnknownOffenceCode,
                format!("offence code `{code_text}` is not in the Home Office reference table"),
            )
        })?)
    };
    let offence = offence_index.and_then(|i| ctx.offences.at(i));
    let given_type = if type_text.is_empty() {
        None
    } else {
        Some(CrimeType::parse(&type_text).ok_or_else(|| {
            q(
                Col::CrimeType,
                &type_text,
                Reason::UnknownCrimeType,
                format!("`{type_text}` is not one of the 14 police.uk crime types"),
            )
        })?)
    };
    let crime_type = match (offence, given_type) {
        (Some(o), Some(t)) if o.crime_type != t => {
            return Err(q(
                Col::CrimeType,
                &type_text,
                Reason::CrimeTypeMismatch,
                format!("offence code {} is `{}`, not `{}`", o.code, o.crime_type, t),
            ));
        }
        (Some(o), _) => o.crime_type,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(q(
                Col::CrimeType,
                "",
                Reason::MissingValue,
                "neither offence_code nor crime_type is given".into(),
            ))
        }
    };
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
                "location_type `{v}` is not one of: {} (map it with [crimes.codes.location_type])",
                valid.join(", ")
            )
        },
        q,
    )?;
    let flag = |col: Col| -> std::result::Result<bool, Quarantined> {
        let v = cols.get(f, col);
        parse_flag(&v).ok_or_else(|| {
            q(
                col,
                &v,
                Reason::UnknownCode,
                format!("{} `{v}` is not a yes/no value (true/false, y/n, 1/0)", col.name()),
            )
        })
    };
    let domestic_abuse = flag(Col::DomesticAbuse)?;
    let mut hate = [false; 5];
    for (i, col) in csa_model::columns::HATE_STRANDS.into_iter().enumerate() {
        hate[i] = flag(col)?;
    }
    let alcohol_related = flag(Col::AlcoholRelated)?;
    // optional: a file without the column records no weapon information (null), not "no"
    let weapon = if cols.has(Col::Weapon) { Some(flag(Col::Weapon)?) } else { None };
    let kind = if crime_type == CrimeType::AntiSocialBehaviour {
        RecordKind::Asb
    } else {
        RecordKind::Crime
    };
    let mut c = CrimeRow {
        crime_ref: crime_ref.into_owned(),
        kind,
        force: non_empty(&cols.get(f, Col::Force)).or_else(|| mapping.force.clone()),
        recorded_date,
        date_precision: DatePrecision::Day,
        committed_from: committed[0],
        committed_time_known: time_known,
        committed_to: committed[1],
        offence: offence_index.map(|i| i as u16),
        crime_type: Some(crime_type),
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
        domestic_abuse: Some(domestic_abuse),
        hate: Some(hate),
        alcohol_related: Some(alcohol_related),
        weapon,
        source: None,
        category: None,
        outcome: non_empty(&cols.get(f, Col::Outcome)),
        source_file: file,
        source_line: row.line,
    };
    if position.is_none() {
        ctx.ward_from_lsoa(&mut c)
            .map_err(|d| q(Col::Longitude, "", Reason::MissingCoordinates, d))?;
    }
    Ok(c)
}

fn person_row(
    row: &Row,
    cols: &Columns,
    table: Table,
    file: u32,
    q: &dyn Fn(Col, &str, Reason, String) -> Quarantined,
) -> std::result::Result<PersonRow, Quarantined> {
    let cleaned = cols.check_controls(&row.fields, q)?;
    let f = cleaned.as_ref().unwrap_or(&row.fields);
    let crime_ref = required(cols, f, Col::CrimeRef, q)?;
    let person_id = required(cols, f, Col::PersonId, q)?;
    let (age, sex, ethnicity) = person_fields(cols, f, q, table.name())?;
    Ok(PersonRow {
        crime_ref: crime_ref.into_owned(),
        person_id: person_id.into_owned(),
        age,
        sex,
        ethnicity,
        relationship: if table == Table::Offenders {
            non_empty(&cols.get(f, Col::RelationshipToVictim))
        } else {
            None
        },
        source_file: file,
        source_line: row.line,
    })
}

/// The row's point: longitude and latitude when given, else easting and northing; `None` when
/// neither pair is (a bad value quarantines the row, naming its field).
pub(crate) fn point(
    cols: &Columns,
    f: &csv::StringRecord,
    q: Quarantine,
) -> std::result::Result<Option<coords::Position>, Quarantined> {
    let (lon, lat) = (cols.get(f, Col::Longitude), cols.get(f, Col::Latitude));
    match coords::from_lonlat(&lon, &lat, "longitude", "latitude") {
        Ok(Some(p)) => Ok(Some(p)),
        Ok(None) => coords::from_bng(&cols.get(f, Col::Easting), &cols.get(f, Col::Northing))
            .map_err(|(r, field, v, d)| q(Col::from_name(field).unwrap_or(Col::Easting), &v, r, d)),
        Err((r, field, v, d)) => Err(q(Col::from_name(field).unwrap_or(Col::Longitude), &v, r, d)),
    }
}

/// A person's age, sex and ethnic group.
pub(crate) type PersonFields = (Option<i16>, Option<Sex>, Option<Ethnicity>);

/// A person's age, sex and ethnic group, each optional but parsed when given; `codes` names
/// the mapping section whose `codes` map local values (e.g. `victims`, `incidents.ambulance`).
pub(crate) fn person_fields(
    cols: &Columns,
    f: &csv::StringRecord,
    q: Quarantine,
    codes: &str,
) -> std::result::Result<PersonFields, Quarantined> {
    let age = optional(
        cols,
        f,
        Col::Age,
        parse_age,
        Reason::ImpossibleAge,
        |v| format!("age `{v}` is not a whole number from 0 to 120"),
        q,
    )?;
    let sex = optional(
        cols,
        f,
        Col::Sex,
        Sex::parse,
        Reason::UnknownCode,
        |v| format!("sex `{v}` is not male, female or unknown (map it with [{codes}.codes.sex])"),
        q,
    )?;
    let ethnicity = optional(
        cols,
        f,
        Col::Ethnicity,
        Ethnicity::parse,
        Reason::UnknownCode,
        |v| {
            let valid: Vec<_> = Ethnicity::ALL.iter().map(|e| e.name()).collect();
            format!(
                "ethnicity `{v}` is not an ONS group ({}) (map it with [{codes}.codes.ethnicity])",
                valid.join(", ")
            )
        },
        q,
    )?;
    Ok((age, sex, ethnicity))
}

/// A value that must not be empty.
pub(crate) fn required<'r>(
    cols: &Columns<'r>,
    f: &'r csv::StringRecord,
    col: Col,
    q: Quarantine,
) -> std::result::Result<Cow<'r, str>, Quarantined> {
    let v = cols.get(f, col);
    if v.is_empty() {
        return Err(q(col, "", Reason::MissingValue, format!("{} is empty", col.name())));
    }
    Ok(v)
}

/// An optional value that must parse when present.
pub(crate) fn optional<T>(
    cols: &Columns,
    f: &csv::StringRecord,
    col: Col,
    parse: impl Fn(&str) -> Option<T>,
    reason: Reason,
    detail: impl Fn(&str) -> String,
    q: Quarantine,
) -> std::result::Result<Option<T>, Quarantined> {
    let v = cols.get(f, col);
    if v.is_empty() {
        return Ok(None);
    }
    parse(&v).map(Some).ok_or_else(|| q(col, &v, reason, detail(&v)))
}

/// Parses a date or date-time. Returns the value and whether a time of day was given.
/// Years outside 1900..=2100 are refused as typos.
pub fn parse_date(s: &str, formats: Option<&[String]>) -> Option<(NaiveDateTime, bool)> {
    let s = s.trim().trim_end_matches('Z');
    let parsed = match formats {
        Some(fs) => fs.iter().find_map(|f| parse_with(s, f)),
        None => parse_iso(s)
            .or_else(|| DATETIME_FORMATS.iter().chain(DATE_FORMATS).find_map(|f| parse_with(s, f))),
    }?;
    (1900..=2100).contains(&parsed.0.year()).then_some(parsed)
}

/// `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` without going through chrono's format
/// interpreter (the common case, parsed millions of times).
fn parse_iso(s: &str) -> Option<(NaiveDateTime, bool)> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        d.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    if b.len() == 10 {
        return Some((date.and_hms_opt(0, 0, 0)?, false));
    }
    if b.len() < 16 || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' {
        return None;
    }
    let sec = match b.len() {
        16 => 0,
        n if n >= 19
            && b[16] == b':'
            && (n == 19 || (b[19] == b'.' && b[20..].iter().all(u8::is_ascii_digit))) =>
        {
            num(17..19)?
        }
        _ => return None,
    };
    Some((date.and_hms_opt(num(11..13)?, num(14..16)?, sec)?, true))
}

fn parse_with(s: &str, f: &str) -> Option<(NaiveDateTime, bool)> {
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
        return Some((dt, true));
    }
    NaiveDate::parse_from_str(s, f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|dt| (dt, false))
}

fn date_detail(v: &str, formats: Option<&[String]>) -> String {
    let tried = match formats {
        Some(fs) => fs.join(", "),
        None => DATETIME_FORMATS.iter().chain(DATE_FORMATS).copied().collect::<Vec<_>>().join(", "),
    };
    format!("`{v}` is not a date in any of the formats {tried} (set [crimes.date_formats] in the mapping), or its year is outside 1900-2100")
}

/// yes/no values; empty means no.
pub fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "f" | "n" | "no" | "0" => Some(false),
        "true" | "t" | "y" | "yes" | "1" => Some(true),
        _ => None,
    }
}

/// Whole-number ages 0..=120 (`34`, `34.0`).
pub fn parse_age(s: &str) -> Option<i16> {
    let v: f64 = s.trim().parse().ok()?;
    (v.fract() == 0.0 && (0.0..=120.0).contains(&v)).then_some(v as i16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_flags_ages() {
        let (d, known) = parse_date("2025-03-04T22:15", None).expect("iso");
        assert_eq!((d.to_string().as_str(), known), ("2025-03-04 22:15:00", true));
        let (d, known) = parse_date("04/03/2025", None).expect("uk date");
        assert_eq!((d.date(), known), (NaiveDate::from_ymd_opt(2025, 3, 4).expect("date"), false));
        assert!(parse_date("2025-02-30", None).is_none());
        assert!(parse_date("2025-02-03 24:00", None).is_none());
        assert_eq!(
            parse_date("2025-02-03 07:05:09.250", None).map(|d| d.0.to_string()),
            Some("2025-02-03 07:05:09".into())
        );
        assert_eq!(
            parse_date("2025-02-03T07:05", None).map(|d| d.0.to_string()),
            Some("2025-02-03 07:05:00".into())
        );
        assert!(parse_date("2025-02-03T07", None).is_none());
        assert!(parse_date("0025-02-01", None).is_none());
        let custom = vec!["%d.%m.%Y %H%M".to_string()];
        assert!(parse_date("04.03.2025 2215", Some(&custom)).is_some_and(|(_, k)| k));
        assert_eq!(parse_flag("Y"), Some(true));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("maybe"), None);
        assert_eq!(parse_age("34.0"), Some(34));
        assert_eq!(parse_age("-1"), None);
        assert_eq!(parse_age("130"), None);
        assert_eq!(parse_age("3.5"), None);
    }
}
