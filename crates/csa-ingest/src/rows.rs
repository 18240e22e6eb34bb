//! Splitting a CSV into rows that are either usable (right field count, valid UTF-8) or
//! already quarantined, with 1-based line numbers that match what an editor shows.

use csa_model::Reason;

use crate::record::{Quarantined, Table};

/// A usable row: its line number and its fields (one allocation per row).
pub struct Row {
    pub line: u64,
    pub fields: csv::StringRecord,
}

/// The header (BOM removed) and every data row of a CSV, each either usable or quarantined.
pub struct CsvRows {
    pub header: Vec<String>,
    pub rows: Vec<Result<Row, Quarantined>>,
}

/// Parses `data` as CSV. Returns `None` when there is no header line at all.
pub fn split_csv(data: &[u8], table: Table, file: u32) -> Option<CsvRows> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
    let mut records = rdr.byte_records();
    let header = loop {
        match records.next()? {
            Ok(rec) => {
                let mut h: Vec<String> = rec.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect();
                if let Some(first) = h.first_mut() {
                    if let Some(stripped) = first.strip_prefix('\u{feff}') {
                        *first = stripped.trim().to_string();
                    }
                }
                if h.iter().all(|f| f.is_empty()) {
                    continue;
                }
                break h;
            }
            Err(_) => return None,
        }
    };
    let n = header.len();
    let mut rows = Vec::new();
    let mut lines = LineCounter { data, byte: 0, line: 1 };
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                rows.push(Err(Quarantined::new(table, file, line, "", "", Reason::WrongFieldCount, format!("unreadable CSV row: {e}"), String::new())));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| lines.at(p.byte()));
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            // a blank line is not a row
            continue;
        }
        let raw = raw_line(&rec);
        if rec.len() != n {
            rows.push(Err(Quarantined::new(
                table, file, line, "", "", Reason::WrongFieldCount,
                format!("{} fields where the header has {n}", rec.len()), raw,
            )));
            continue;
        }
        match csv::StringRecord::from_byte_record(rec) {
            Ok(fields) => rows.push(Ok(Row { line, fields })),
            Err(e) => {
                let i = e.utf8_error().field();
                let value = String::from_utf8_lossy(&e.into_byte_record()[i]).into_owned();
                rows.push(Err(Quarantined::new(
                    table, file, line, &header[i], &value, Reason::InvalidUtf8,
                    "field is not valid UTF-8 (re-save the file as UTF-8)".into(), raw,
                )));
            }
        }
    }
    Some(CsvRows { header, rows })
}

/// Line numbers from byte offsets. The csv crate reports a record's position before any
/// blank lines in front of it, so blank lines are skipped here before counting.
struct LineCounter<'a> {
    data: &'a [u8],
    byte: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn at(&mut self, byte: u64) -> u64 {
        let mut b = (byte as usize).min(self.data.len());
        while b < self.data.len() && (self.data[b] == b'\n' || self.data[b] == b'\r') {
            b += 1;
        }
        if b >= self.byte {
            self.line += self.data[self.byte..b].iter().filter(|&&c| c == b'\n').count() as u64;
        } else {
            self.line = 1 + self.data[..b].iter().filter(|&&c| c == b'\n').count() as u64;
        }
        self.byte = b;
        self.line
    }
}

/// The row as CSV text again (lossy for invalid UTF-8), for the quarantine's `raw` column.
pub fn raw_line(rec: &csv::ByteRecord) -> String {
    let mut out = String::new();
    for (i, f) in rec.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, &String::from_utf8_lossy(f));
    }
    out
}

/// Joins string fields as one CSV line.
pub fn join_fields(fields: &csv::StringRecord) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, f);
    }
    out
}

fn push_field(out: &mut String, f: &str) {
    if f.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_blank_lines_field_counts_and_utf8() {
        let mut data = b"\xef\xbb\xbfa,b\n1,2\n\n3\n4,\xff\n\"5,5\",6\n".to_vec();
        data.extend_from_slice(b"7,8");
        let r = split_csv(&data, Table::Crimes, 0).expect("header");
        assert_eq!(r.header, vec!["a", "b"]);
        let lines: Vec<(u64, bool)> = r.rows.iter().map(|x| match x {
            Ok(row) => (row.line, true),
            Err(q) => (q.line, false),
        }).collect();
        assert_eq!(lines, vec![(2, true), (4, false), (5, false), (6, true), (7, true)]);
        let Err(q) = &r.rows[1] else { panic!() };
        assert_eq!(q.reason, Reason::WrongFieldCount);
        let Err(q) = &r.rows[2] else { panic!() };
        assert_eq!((q.reason, q.field.as_str()), (Reason::InvalidUtf8, "b"));
        let Ok(row) = &r.rows[3] else { panic!() };
        assert_eq!(row.fields.iter().collect::<Vec<_>>(), vec!["5,5", "6"]);
    }
}
