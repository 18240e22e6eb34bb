//! Writing analysis tables: an aligned text table for the terminal, CSV, JSON records and
//! Excel (one sheet per table, bold frozen header, columns sized to their contents).
//!
//! Nulls are empty in CSV and the terminal ("-" there), `null` in JSON and blank cells in
//! Excel. Numbers keep their value; the terminal shows floats with up to 2 decimals. CSV
//! writes a float as the shortest text that reads back as the same double, in scientific
//! notation below 1e-5 and from 1e16 on (`5.05e-60`, not 64 digits of `0.000...0505`).

use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::error::{internal, AnalysisError, Result};

/// A cell as text (empty for null) and whether it is a number.
pub fn cell(col: &Column, row: usize) -> (String, bool) {
    match col.get(row) {
        Ok(AnyValue::Null) | Err(_) => (String::new(), false),
        Ok(AnyValue::String(s)) => (s.to_string(), false),
        Ok(AnyValue::StringOwned(s)) => (s.to_string(), false),
        Ok(AnyValue::Float64(f)) => (fmt_float(f), true),
        Ok(AnyValue::Float32(f)) => (fmt_float(f64::from(f)), true),
        Ok(AnyValue::Boolean(b)) => (b.to_string(), false),
        Ok(v) if v.is_integer() => (v.to_string(), true),
        Ok(v) => (v.to_string().trim_matches('"').to_string(), false),
    }
}

/// Two decimals; values under 0.01 (p-values, small rates) keep three significant digits.
/// A float as CSV and tables write it: plain, or 3 significant digits below 0.01.
pub fn fmt_float(f: f64) -> String {
    if f != 0.0 && f.abs() < 0.01 && f.is_finite() {
        if f.abs() < 1e-9 {
            return format!("{f:.2e}");
        }
        let digits = (2 - f.abs().log10().floor() as i32) as usize;
        let s = format!("{f:.digits$}");
        return s.trim_end_matches('0').to_string();
    }
    let s = format!("{f:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The cell as a number, when the column is numeric (a text column keeps its text, even
/// when it reads as a number: "25.27" next to a suppressed "<5" stays "25.27").
fn number(col: &Column, row: usize) -> Option<f64> {
    if !(col.dtype().is_integer() || col.dtype().is_float() || col.dtype().is_bool()) {
        return None;
    }
    match col.get(row).ok()? {
        AnyValue::Null => None,
        v => v.extract::<f64>(),
    }
}

/// An aligned text table; numbers right-aligned, nulls as "-".
pub fn text_table(df: &DataFrame) -> String {
    let cols = df.columns();
    let cells: Vec<Vec<(String, bool)>> =
        cols.iter().map(|c| (0..df.height()).map(|r| cell(c, r)).collect()).collect();
    let widths: Vec<usize> = cols
        .iter()
        .zip(&cells)
        .map(|(c, v)| {
            v.iter()
                .map(|x| x.0.chars().count().max(1))
                .chain([c.name().chars().count()])
                .max()
                .unwrap_or(1)
        })
        .collect();
    let numeric: Vec<bool> = cells.iter().map(|v| v.iter().any(|x| x.1)).collect();
    let mut out = String::new();
    let line = |out: &mut String, items: Vec<String>| {
        out.push_str(items.join("  ").trim_end());
        out.push('\n');
    };
    line(
        &mut out,
        cols.iter()
            .enumerate()
            .map(|(i, c)| {
                if numeric[i] {
                    format!("{:>w$}", c.name(), w = widths[i])
                } else {
                    format!("{:<w$}", c.name(), w = widths[i])
                }
            })
            .collect(),
    );
    line(&mut out, widths.iter().map(|w| "-".repeat(*w)).collect());
    #[allow(clippy::needless_range_loop)] // cells are column-major; rows are read across them
    for r in 0..df.height() {
        line(
            &mut out,
            (0..cols.len())
                .map(|i| {
                    let v = if cells[i][r].0.is_empty() {
                        "-".to_string()
                    } else {
                        cells[i][r].0.clone()
                    };
                    if numeric[i] {
                        format!("{v:>w$}", w = widths[i])
                    } else {
                        format!("{v:<w$}", w = widths[i])
                    }
                })
                .collect(),
        );
    }
    out
}

/// CSV with a header row.
pub fn write_csv(df: &DataFrame, out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let cols = df.columns();
    w.write_record(cols.iter().map(|c| c.name().as_str())).map_err(internal)?;
    for r in 0..df.height() {
        w.write_record(cols.iter().map(|c| match number(c, r) {
            Some(f) if !matches!(c.dtype(), DataType::Float64 | DataType::Float32) => {
                format!("{}", f as i64)
            }
            Some(f) => csv_float(f),
            None => cell(c, r).0,
        }))
        .map_err(internal)?;
    }
    w.flush().map_err(internal)
}

/// A float in CSV: exact (shortest round trip), scientific where a plain decimal runs long.
pub fn csv_float(f: f64) -> String {
    if f != 0.0 && f.is_finite() && (f.abs() < 1e-5 || f.abs() >= 1e16) {
        format!("{f:e}")
    } else {
        format!("{f}")
    }
}

/// The rows as JSON objects.
pub fn json_records(df: &DataFrame) -> serde_json::Value {
    let cols = df.columns();
    let rows = (0..df.height())
        .map(|r| {
            let mut obj = serde_json::Map::new();
            for c in cols {
                let v = match (number(c, r), c.dtype()) {
                    (Some(f), DataType::Float64 | DataType::Float32) => serde_json::json!(f),
                    (Some(f), _) => serde_json::json!(f as i64),
                    (None, _) => match cell(c, r).0 {
                        s if s.is_empty() => serde_json::Value::Null,
                        s => serde_json::Value::String(s),
                    },
                };
                obj.insert(c.name().to_string(), v);
            }
            serde_json::Value::Object(obj)
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// A two-column "about" table (item, value) for the sheet that says what a workbook holds.
pub fn about_table<S: AsRef<str>>(items: &[(S, String)]) -> Result<DataFrame> {
    DataFrame::new(
        items.len(),
        vec![
            crate::breakdown::text_col(
                crate::names::ITEM,
                items.iter().map(|r| Some(r.0.as_ref().to_string())),
            ),
            crate::breakdown::text_col(
                crate::names::VALUE,
                items.iter().map(|r| Some(r.1.clone())),
            ),
        ],
    )
    .map_err(internal)
}

/// The table as Parquet (zstd), readable by DuckDB, polars, pandas and Spark with its column
/// types (counts as integers, shares and rates as floats, nulls as nulls).
pub fn write_parquet(df: &DataFrame, path: &Path) -> Result<()> {
    let err = |detail: String| AnalysisError::Write { path: path.to_path_buf(), detail };
    let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
    let mut df = df.clone();
    ParquetWriter::new(std::io::BufWriter::new(file))
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(s: &str) -> String {
    let clean: String = s.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    clean.chars().take(31).collect()
}

/// An Excel workbook with one sheet per table (bold frozen header, sized columns). `created`
/// (year, month, day) fixes the document's creation date, so the same tables give the same
/// bytes; `None` stamps the current time, as Excel does.
pub fn write_xlsx(
    path: &Path,
    sheets: &[(String, &DataFrame)],
    created: Option<(u16, u8, u8)>,
) -> Result<()> {
    let err = |e: rust_xlsxwriter::XlsxError| AnalysisError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    workbook(sheets, created).map_err(err)?.save(path).map_err(err)
}

/// The workbook of [`write_xlsx`] as bytes (a download).
pub fn xlsx_bytes(
    sheets: &[(String, &DataFrame)],
    created: Option<(u16, u8, u8)>,
) -> Result<Vec<u8>> {
    workbook(sheets, created).and_then(|mut wb| wb.save_to_buffer()).map_err(internal)
}

fn workbook(
    sheets: &[(String, &DataFrame)],
    created: Option<(u16, u8, u8)>,
) -> std::result::Result<rust_xlsxwriter::Workbook, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    if let Some((y, m, d)) = created {
        let date = ExcelDateTime::from_ymd(y, m, d)?;
        wb.set_properties(&DocProperties::new().set_creation_datetime(&date));
    }
    let bold = Format::new().set_bold();
    for (name, df) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name))?;
        for (j, c) in df.columns().iter().enumerate() {
            let j = j as u16;
            ws.write_string_with_format(0, j, c.name().as_str(), &bold)?;
            let mut width = c.name().chars().count();
            for r in 0..df.height() {
                let row = r as u32 + 1;
                let numeric_text = || cell(c, r).0.parse::<f64>().ok().filter(|f| f.is_finite());
                match number(c, r).or_else(numeric_text) {
                    Some(f) => {
                        ws.write_number(row, j, f)?;
                        width = width.max(cell(c, r).0.len());
                    }
                    None => {
                        let (s, _) = cell(c, r);
                        if !s.is_empty() {
                            width = width.max(s.chars().count());
                            ws.write_string(row, j, &s)?;
                        }
                    }
                }
            }
            ws.set_column_width(j, (width.min(60) + 2) as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    Ok(wb)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn df() -> DataFrame {
        DataFrame::new(
            2,
            vec![
                Column::new("ward".into(), vec![Some("Foleshill"), None]),
                Column::new("count".into(), vec![Some(12i64), Some(3)]),
                Column::new("change_pct".into(), vec![Some(33.333f64), None]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn numbers_in_a_text_column_keep_their_digits() {
        // a published column with a suppressed cell is text: its other values stay as written
        let df = DataFrame::new(
            2,
            vec![Column::new("rate_pct".into(), vec![Some("25.27"), Some("<5")])],
        )
        .unwrap();
        let mut buf = Vec::new();
        write_csv(&df, &mut buf).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "rate_pct\n25.27\n<5\n");
        assert_eq!(json_records(&df)[0]["rate_pct"], "25.27");
    }

    #[test]
    fn text_csv_json() {
        let t = text_table(&df());
        assert_eq!(t, "ward       count  change_pct\n---------  -----  ----------\nFoleshill     12       33.33\n-              3           -\n");
        let mut buf = Vec::new();
        write_csv(&df(), &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "ward,count,change_pct\nFoleshill,12,33.333\n,3,\n"
        );
        let j = json_records(&df());
        assert_eq!(j[0]["count"], 12);
        assert_eq!(j[1]["ward"], serde_json::Value::Null);
        assert_eq!(
            (fmt_float(0.001), fmt_float(0.000_123_4), fmt_float(1e-12), fmt_float(0.5)),
            ("0.001".into(), "0.000123".into(), "1.00e-12".into(), "0.5".into())
        );
        // tiny p-values keep their digits without 64 characters of zeros
        assert_eq!(csv_float(5.05e-60), "5.05e-60");
        assert_eq!(csv_float(2.330_310_731_888_093e-19), "2.330310731888093e-19");
        assert_eq!(csv_float(0.000_12), "0.00012");
        assert_eq!(csv_float(0.157), "0.157");
        assert_eq!(csv_float(0.0), "0");
        assert_eq!(csv_float(-3e-7), "-3e-7");
        assert_eq!(csv_float(2e16), "2e16");
        assert_eq!("5.05e-60".parse::<f64>().ok(), Some(5.05e-60));
        assert_eq!(
            sheet_name("a/b:c [x] and a very long name indeed"),
            "a_b_c _x_ and a very long name "
        );
    }
}
