//! What one user is shown of one view: the exact answer (partners, admins) or the published
//! one (public), with a partner's volume table cut to their priorities. The page, the
//! downloads and the API all take their table from here, so a download is exactly what is
//! on screen and the API's CSV for an exact user is byte for byte `csa breakdown`'s.

use csa_analysis::views::{Answer, View};
use csa_analysis::{export, names, Periods};
use csa_report::table::{Cell, Protect, Table};
use polars::prelude::*;

use crate::access::Principal;
use crate::error::{internal, Result};
use crate::query::ViewQuery;
use crate::state::Loaded;

/// A view as one user sees it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub title: String,
    pub unit: String,
    pub periods: Option<Periods>,
    pub notes: Vec<String>,
    /// Total and comparison total as cells (published ones for the public).
    pub totals: Option<(Cell, Cell)>,
    /// The table downloads and the API carry.
    pub df: DataFrame,
    /// The same table as cells, for the page.
    pub table: Table,
    /// Whether the figures are the public edition's.
    pub public: bool,
}

/// Keeps the rows of a table whose `column` is one of `keep`.
fn keep_rows(df: &DataFrame, column: &str, keep: &[String]) -> Result<DataFrame> {
    let col = df.column(column).map_err(internal)?.str().map_err(internal)?;
    let mask: BooleanChunked =
        col.iter().map(|v| Some(v.is_some_and(|v| keep.iter().any(|k| k == v)))).collect();
    df.filter(&mask).map_err(internal)
}

/// The view `q` as `who` may see it (the caller has checked `who.check(q)`).
pub fn shown(l: &Loaded, who: &Principal, q: &ViewQuery) -> Result<Shown> {
    if who.exact() {
        let a = l.answer(q)?;
        let df = if q.view == View::Volume && !who.sees_everything() {
            let mine: Vec<String> = who.priorities(&l.config).into_iter().map(|p| p.name).collect();
            keep_rows(&a.table, names::PRIORITY, &mine)?
        } else {
            a.table.clone()
        };
        let table = Table::from_df(q.view.name(), &a.title, &df, Protect::Primary)?;
        Ok(Shown {
            title: a.title.clone(),
            unit: a.unit.clone(),
            periods: a.periods,
            notes: a.notes.clone(),
            totals: a
                .totals
                .map(|(t, c)| (Cell::Int(t as i64), c.map_or(Cell::Null, |c| Cell::Int(c as i64)))),
            df,
            table,
            public: false,
        })
    } else {
        let a = l.answer(q)?;
        let p = l.published(q)?;
        let mut notes = a.notes.clone();
        notes.push(format!(
            "published figures: counts of 1 to {} show as <{}, and counts that would let them be worked out as *",
            csa_analysis::disclosure::THRESHOLD - 1,
            csa_analysis::disclosure::THRESHOLD
        ));
        Ok(Shown {
            title: a.title.clone(),
            unit: a.unit.clone(),
            periods: a.periods,
            notes,
            totals: p.totals.clone(),
            df: p.table.to_df()?,
            table: p.table.clone(),
            public: true,
        })
    }
}

impl Shown {
    /// CSV of the table (for an exact user, `csa breakdown --format csv`'s bytes).
    pub fn csv(&self) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        export::write_csv(&self.df, &mut buf)?;
        Ok(buf)
    }

    fn answer(&self) -> Answer {
        let count = |c: &Cell| c.as_i64().map(|v| v.max(0) as u64);
        Answer {
            title: self.title.clone(),
            unit: self.unit.clone(),
            periods: self.periods,
            totals: self.totals.as_ref().and_then(|(t, c)| Some((count(t)?, count(c)))),
            notes: self.notes.clone(),
            table: self.df.clone(),
        }
    }

    /// The JSON of the answer (for an exact user, `csa breakdown --format json`'s bytes);
    /// published totals of 1 to 4 are the text "<5".
    pub fn json(&self) -> Result<Vec<u8>> {
        let mut v = self.answer().json();
        if self.public {
            if let Some((t, c)) = &self.totals {
                let cell = |c: &Cell| match c {
                    Cell::Int(v) => serde_json::json!(v),
                    Cell::Null => serde_json::Value::Null,
                    other => serde_json::Value::String(other.text()),
                };
                v["total"] = cell(t);
                v["comparison_total"] = cell(c);
            }
        }
        let mut b = serde_json::to_vec_pretty(&v).map_err(internal)?;
        b.push(b'\n');
        Ok(b)
    }

    /// An Excel workbook: the table and an "about" sheet (as `csa breakdown --format xlsx`).
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        let about = self.about();
        let about_df = export::about_table(&about)?;
        Ok(export::xlsx_bytes(&[("table".into(), &self.df), ("about".into(), &about_df)], None)?)
    }

    /// What the table is, as (label, text) lines: the answer's, totals published.
    pub fn about(&self) -> Vec<(String, String)> {
        let mut v = self.answer().about();
        if let Some((t, c)) = &self.totals {
            for (k, cell) in [("total", t), ("comparison total", c)] {
                let text = if matches!(cell, Cell::Null) { "-".to_string() } else { cell.text() };
                match v.iter_mut().find(|(key, _)| key == k) {
                    Some(e) => e.1 = text,
                    None => v.push((k.to_string(), text)),
                }
            }
        }
        v
    }
}
