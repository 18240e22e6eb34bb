//! Reader for data.police.uk street-level CSVs (`YYYY-MM-<force>-street.csv[.gz]`).
//!
//! The header must be exactly the 12 published columns. ASB rows (empty Crime ID) are kept
//! with a generated reference `ASB:<file stem>:<line>`. Dates are month-precise (the 1st of
//! the month, `date_precision = month`). A row without coordinates is kept when its LSOA code
//! gives a ward through the lookup; otherwise it is quarantined.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use csa_model::{text, CrimeType, Reason, RecordKind};
use rayon::prelude::*;

use crate::coords;
use crate::record::{CrimeRow, DatePrecision, GeoMethod, Quarantined, Table};
use crate::rows::{join_fields, CsvBatches, BATCH};
use crate::{FileOutcome, ParseContext};

/// The published header, in order.
pub const HEADER: [&str; 12] = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
];

const OLD_HEADER: [&str; 8] = [
    "Month",
    "Reported by",
    "Falls within",
    "Easting",
    "Northing",
    "Location",
    "Crime type",
    "Context",
];

/// Checks the header, describing the first difference.
pub fn check_header(found: &[String]) -> Result<(), String> {
    if found.len() == HEADER.len() && found.iter().zip(HEADER).all(|(f, e)| f == e) {
        return Ok(());
    }
    if found.len() == OLD_HEADER.len() && found.iter().zip(OLD_HEADER).all(|(f, e)| f == e) {
        return Err("this is the 2010-2013 police.uk format (Easting, Northing, 6 old crime types), which csa does not read".into());
    }
    for (i, e) in HEADER.iter().enumerate() {
        match found.get(i) {
            Some(f) if f == e => continue,
            Some(f) => {
                return Err(format!(
                    "column {} is `{f}`, expected `{e}` (expected header: {})",
                    i + 1,
                    HEADER.join(",")
                ))
            }
            None => {
                return Err(format!(
                    "missing column `{e}` (header has {} columns, expected {})",
                    found.len(),
                    HEADER.len()
                ))
            }
        }
    }
    Err(format!(
        "unexpected extra column `{}` (header has {} columns, expected {})",
        found[HEADER.len()],
        found.len(),
        HEADER.len()
    ))
}

/// Parses one police.uk file batch by batch, handing each batch's outcome (rows in file
/// order) to `sink`. A file without the published header is refused whole. Batch k goes to
/// `sink` while batch k + 1 is parsed and batch k + 2 split off the file: the sink (ingest's
/// spill) still sees the batches one at a time and in order.
pub fn parse(
    csv: &mut CsvBatches,
    path: &std::path::Path,
    file: u32,
    stem: &str,
    ctx: &ParseContext,
    sink: &mut (dyn FnMut(FileOutcome) -> crate::Result<()> + Send),
) -> crate::Result<()> {
    check_header(&csv.header)
        .map_err(|detail| crate::IngestError::BadHeader { path: path.to_path_buf(), detail })?;
    let mut next = csv.next_batch(BATCH);
    let mut parsed_before: Option<FileOutcome> = None;
    loop {
        let batch = std::mem::take(&mut next);
        if batch.is_empty() {
            break;
        }
        let mut out = FileOutcome { rows_read: batch.len() as u64, ..Default::default() };
        // rows are independent: parse them in parallel, keeping file order, while the next
        // batch is split off the file (serial work, overlapped)
        let parse = |batch: Vec<_>| -> Vec<Result<CrimeRow, Quarantined>> {
            batch
                .into_par_iter()
                .with_min_len(512)
                .map(|row: Result<_, _>| {
                    row.and_then(|row: crate::rows::Row| {
                        parse_row(&row.fields, row.line, file, stem, ctx)
                    })
                })
                .collect()
        };
        let before = parsed_before.take();
        let ((parsed, following), sunk) = rayon::join(
            || rayon::join(|| parse(batch), || csv.next_batch(BATCH)),
            || before.map_or(Ok(()), &mut *sink),
        );
        sunk?;
        next = following;
        out.crimes.reserve(parsed.len());
        for r in parsed {
            match r {
                Ok(c) => out.crimes.push(c),
                Err(q) => out.quarantined.push(q),
            }
        }
        parsed_before = Some(out);
    }
    parsed_before.map_or(Ok(()), sink)
}

/// [`parse`] over bytes in memory, every batch gathered into one outcome (tests, fuzzing).
pub fn parse_bytes(
    data: &[u8],
    file: u32,
    stem: &str,
    ctx: &ParseContext,
) -> crate::Result<FileOutcome> {
    let path = std::path::Path::new(stem);
    let stream = crate::source::InputStream::from_bytes(path, data.to_vec());
    let Some(mut csv) = CsvBatches::new(stream, Table::Crimes, file) else {
        return Err(crate::IngestError::BadHeader {
            path: path.to_path_buf(),
            detail: "file has no header line".into(),
        });
    };
    let mut all = FileOutcome::default();
    parse(&mut csv, path, file, stem, ctx, &mut |o| {
        all.gather(o);
        Ok(())
    })?;
    Ok(all)
}

fn parse_row(
    f: &csv::StringRecord,
    line: u64,
    file: u32,
    stem: &str,
    ctx: &ParseContext,
) -> Result<CrimeRow, Quarantined> {
    let quarantine =
        |field: &str, value: &str, reason: Reason, detail: String, ym: Option<(i32, u32)>| {
            let mut q = Quarantined::new(
                Table::Crimes,
                file,
                line,
                field,
                value,
                reason,
                detail,
                join_fields(f),
            );
            q.year_month = ym;
            q
        };
    // control characters (csa_model::text): every column but Context is read
    let cleaned = text::check_record(f, |i| i < HEADER.len() - 1).map_err(|(i, c)| {
        let month = parse_month(f[1].trim()).map(|d| (d.year(), d.month()));
        quarantine(
            HEADER[i],
            &f[i],
            Reason::ControlCharacter,
            format!(
                "{} {} (re-export the file, or remove the character)",
                HEADER[i],
                text::describe(c)
            ),
            month,
        )
    })?;
    let f = cleaned.as_ref().unwrap_or(f);
    let month = f[1].trim();
    let recorded_date = parse_month(month).ok_or_else(|| {
        quarantine(
            "Month",
            month,
            Reason::UnparseableMonth,
            format!("Month `{month}` is not YYYY-MM"),
            None,
        )
    })?;
    let ym = Some((recorded_date.year(), recorded_date.month()));
    let type_text = f[9].trim();
    let crime_type = CrimeType::parse(type_text).ok_or_else(|| {
        quarantine(
            "Crime type",
            type_text,
            Reason::UnknownCrimeType,
            format!("`{type_text}` is not one of the 14 police.uk crime types"),
            ym,
        )
    })?;
    let kind = if crime_type == CrimeType::AntiSocialBehaviour {
        RecordKind::Asb
    } else {
        RecordKind::Crime
    };
    let position = coords::from_lonlat(&f[4], &f[5], "Longitude", "Latitude")
        .map_err(|(reason, field, value, detail)| quarantine(field, &value, reason, detail, ym))?;
    let lsoa_code = non_empty(&f[7]);
    let mut row = CrimeRow {
        crime_ref: match non_empty(&f[0]) {
            Some(id) => id,
            None => {
                format!("{}:{stem}:{line}", if kind == RecordKind::Asb { "ASB" } else { "PUK" })
            }
        },
        kind,
        force: non_empty(&f[3]).or_else(|| non_empty(&f[2])),
        recorded_date,
        date_precision: DatePrecision::Month,
        committed_from: None,
        committed_time_known: false,
        committed_to: None,
        offence: None,
        crime_type: Some(crime_type),
        lon: position.map(|p| p.lon),
        lat: position.map(|p| p.lat),
        easting: position.map(|p| p.easting),
        northing: position.map(|p| p.northing),
        location_type: None,
        location_desc: non_empty(&f[6]),
        lsoa_code: lsoa_code.map(Arc::from),
        lsoa_name: non_empty(&f[8]).map(Arc::from),
        ward: None,
        geo_method: GeoMethod::None,
        in_area: false,
        domestic_abuse: None,
        hate: None,
        alcohol_related: None,
        weapon: None,
        source: None,
        category: None,
        outcome: non_empty(&f[10]),
        source_file: file,
        source_line: line,
    };
    if position.is_none() {
        ctx.ward_from_lsoa(&mut row).map_err(|detail| {
            quarantine("Longitude", "", Reason::MissingCoordinates, detail, ym)
        })?;
    }
    Ok(row)
}

/// `YYYY-MM` -> the first day of that month.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_errors_say_what_differs() {
        let mut h: Vec<String> = HEADER.iter().map(|s| s.to_string()).collect();
        assert!(check_header(&h).is_ok());
        h[4] = "Lon".into();
        assert!(check_header(&h)
            .expect_err("must be refused")
            .contains("column 5 is `Lon`, expected `Longitude`"));
        h.truncate(3);
        assert!(check_header(&h)
            .expect_err("must be refused")
            .contains("missing column `Falls within`"));
        let old: Vec<String> = OLD_HEADER.iter().map(|s| s.to_string()).collect();
        assert!(check_header(&old).expect_err("must be refused").contains("2010-2013"));
    }

    #[test]
    fn months() {
        assert_eq!(parse_month("2025-02"), NaiveDate::from_ymd_opt(2025, 2, 1));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("Feb 2025"), None);
        assert_eq!(parse_month("2025-2"), None);
    }
}
