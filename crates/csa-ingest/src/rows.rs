//! Reading a CSV in batches of rows that are either usable (right field count, valid UTF-8)
//! or already quarantined, with 1-based line numbers that match what an editor shows.
//! Batches keep memory flat: only one batch of raw records lives at a time.

use csa_model::Reason;

use crate::record::{Quarantined, Table};
use crate::source::InputStream;

/// A usable row: its line number and its fields (one allocation per row).
pub struct Row {
    pub line: u64,
    pub fields: csv::StringRecord,
}

/// Rows per batch: large enough to parse in parallel, small enough to stay in cache-sized
/// memory.
pub const BATCH: usize = 32 * 1024;

/// A CSV being read batch by batch from a stream: only one batch of rows (and the bytes
/// since its first record) is in memory at a time.
pub struct CsvBatches {
    pub header: Vec<String>,
    rdr: csv::Reader<InputStream>,
    table: Table,
    file: u32,
    done: bool,
}

impl CsvBatches {
    /// Reads the header (BOM removed, blank lines skipped). `None` when there is none.
    pub fn new(data: InputStream, table: Table, file: u32) -> Option<CsvBatches> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(data);
        let mut rec = csv::ByteRecord::new();
        let header = loop {
            if !rdr.read_byte_record(&mut rec).ok()? {
                return None;
            }
            let mut h: Vec<String> =
                rec.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect();
            if let Some(first) = h.first_mut() {
                if let Some(stripped) = first.strip_prefix('\u{feff}') {
                    *first = stripped.trim().to_string();
                }
            }
            if !h.iter().all(|f| f.is_empty()) {
                break h;
            }
        };
        Some(CsvBatches { header, rdr, table, file, done: false })
    }

    /// The stream, once every row has been read (for its metadata and read errors).
    pub fn into_stream(self) -> InputStream {
        self.rdr.into_inner()
    }

    /// The next batch of at most `n` rows; empty at the end.
    pub fn next_batch(&mut self, n: usize) -> Vec<Result<Row, Quarantined>> {
        let (table, file, width) = (self.table, self.file, self.header.len());
        let mut rows = Vec::with_capacity(n.min(4096));
        let mut bytes_hint = 128;
        // records before the next one are never looked at again
        let next = self.rdr.position().byte();
        self.rdr.get_mut().forget_before(next);
        while !self.done && rows.len() < n {
            // sized like the previous row, so reading a field rarely reallocates
            let mut rec = csv::ByteRecord::with_capacity(bytes_hint, width);
            match self.rdr.read_byte_record(&mut rec) {
                Ok(false) => self.done = true,
                Err(e) => {
                    let line =
                        e.position().map_or(0, |p| line_at(self.rdr.get_ref(), p.byte(), p.line()));
                    rows.push(Err(Quarantined::new(
                        table,
                        file,
                        line,
                        "",
                        "",
                        Reason::WrongFieldCount,
                        format!("unreadable CSV row: {e}"),
                        String::new(),
                    )));
                    if !matches!(
                        e.kind(),
                        csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                    ) {
                        self.done = true;
                    }
                }
                Ok(true) => {
                    bytes_hint = rec.as_slice().len() + 16;
                    let line = rec
                        .position()
                        .map_or(0, |p| line_at(self.rdr.get_ref(), p.byte(), p.line()));
                    if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
                        continue; // a blank line is not a row
                    }
                    if rec.len() != width {
                        let raw = raw_line(&rec);
                        rows.push(Err(Quarantined::new(
                            table,
                            file,
                            line,
                            "",
                            "",
                            Reason::WrongFieldCount,
                            format!("{} fields where the header has {width}", rec.len()),
                            raw,
                        )));
                        continue;
                    }
                    match csv::StringRecord::from_byte_record(rec) {
                        Ok(fields) => rows.push(Ok(Row { line, fields })),
                        Err(e) => {
                            let i = e.utf8_error().field();
                            let rec = e.into_byte_record();
                            rows.push(Err(Quarantined::new(
                                table,
                                file,
                                line,
                                &self.header[i],
                                &String::from_utf8_lossy(&rec[i]),
                                Reason::InvalidUtf8,
                                "field is not valid UTF-8 (re-save the file as UTF-8)".into(),
                                raw_line(&rec),
                            )));
                        }
                    }
                }
            }
        }
        rows
    }
}

/// The line of a record that csv says starts at `byte` on `line`. csv is right unless blank
/// lines come first (it reports the position before them), so those are counted here.
fn line_at(data: &InputStream, byte: u64, line: u64) -> u64 {
    let blank = data.bytes_from(byte).iter().take_while(|&&c| c == b'\n' || c == b'\r');
    line + blank.filter(|&&c| c == b'\n').count() as u64
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
        let stream = InputStream::from_bytes(std::path::Path::new("t.csv"), data);
        let mut r = CsvBatches::new(stream, Table::Crimes, 0).expect("header");
        assert_eq!(r.header, vec!["a", "b"]);
        // batches of 2 must give the same rows as one big batch
        let mut rows = Vec::new();
        loop {
            let b = r.next_batch(2);
            if b.is_empty() {
                break;
            }
            rows.extend(b);
        }
        let lines: Vec<(u64, bool)> = rows
            .iter()
            .map(|x| match x {
                Ok(row) => (row.line, true),
                Err(q) => (q.line, false),
            })
            .collect();
        assert_eq!(lines, vec![(2, true), (4, false), (5, false), (6, true), (7, true)]);
        let Err(q) = &rows[1] else { panic!() };
        assert_eq!(q.reason, Reason::WrongFieldCount);
        let Err(q) = &rows[2] else { panic!() };
        assert_eq!((q.reason, q.field.as_str()), (Reason::InvalidUtf8, "b"));
        let Ok(row) = &rows[3] else { panic!() };
        assert_eq!(row.fields.iter().collect::<Vec<_>>(), vec!["5,5", "6"]);
    }
}
