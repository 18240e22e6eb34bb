//! What a quarterly performance run writes, and the control charts' baseline rule.
//!
//! Into one folder: `performance.csv` ([`Performance::table`]), `performance.json` (the
//! same per indicator with its monthly counts, plus the run's provenance: dataset and its
//! manifest's SHA-256, targets file, generation time, tool and the exceptions),
//! `performance.xlsx` (sheets "performance", "reoffending" when there are re-offending
//! indicators, and "about"), `exceptions.md`, `reoffending.csv` (re-offending indicators
//! only), and
//! `charts/INDICATOR.png`, a control chart per indicator that has a baseline.
//!
//! **Baseline of a control chart**: the 12 months before the quarter reported on, as many of
//! them as are loaded and covered by the dataset (it starts at the first covered month); an
//! indicator with no such month gets no chart. The chart itself (centre line, limits) is
//! `csa-charts`' `control_chart`; this module only says which months it shows, which form
//! the baseline and which are the quarter.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use serde_json::json;

use crate::assessment::Assessment;
use crate::error::{AnalysisError, Result};
use crate::export;
use crate::performance::{Performance, Row};
use crate::period::{Month, Period};
use crate::reoffending_indicator;

/// Where a run's inputs came from, for `performance.json` and the "about" sheet.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub dataset: PathBuf,
    pub targets: PathBuf,
    /// RFC 3339, e.g. `2025-07-01T06:00:00Z`.
    pub generated_at: String,
    /// e.g. `csa 0.1.0`.
    pub tool: String,
}

/// One indicator's control chart: its months, which of them form the baseline and which
/// are the quarter reported on.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlSeries {
    pub indicator: String,
    pub title: String,
    /// (YYYY-MM, count) per month, oldest first.
    pub months: Vec<(String, u64)>,
    /// Indices of `months` forming the baseline (never empty).
    pub baseline: Range<usize>,
    /// Indices of `months` of the quarter.
    pub highlight: Range<usize>,
    /// File name under `charts/`: the indicator's slug with `-`, `.png`.
    pub file_name: String,
}

/// The baseline and quarter of a chart over `months` (oldest first): the indices of the
/// (up to) 12 months before `quarter` that are covered, from the first covered month on;
/// and the indices of the quarter's months.
pub fn baseline(
    months: &[Month],
    quarter: Period,
    covered: impl Fn(Month) -> bool,
) -> (Range<usize>, Range<usize>) {
    let at = |m: Month| months.iter().position(|x| *x == m);
    let qs = at(quarter.from).unwrap_or(months.len());
    let qe = at(quarter.to).map_or(qs, |i| i + 1);
    let first = months.iter().position(|m| covered(*m)).unwrap_or(qs);
    (qs.saturating_sub(12).max(first).min(qs)..qs, qs..qe)
}

/// The control chart of `row` for the quarter of `perf` (baseline rule in the module
/// header); `None` when it has no baseline month.
pub fn control_series(perf: &Performance, row: &Row, a: &Assessment) -> Option<ControlSeries> {
    let months: Vec<Month> = row.monthly.iter().map(|(m, _)| *m).collect();
    let (baseline, highlight) =
        baseline(&months, perf.quarter.period(), |m| a.covers(Period { from: m, to: m }));
    if baseline.is_empty() {
        return None;
    }
    Some(ControlSeries {
        indicator: row.indicator.clone(),
        title: format!("{}: monthly count, Poisson control limits", row.indicator),
        months: row.monthly.iter().map(|(m, c)| (m.to_string(), *c)).collect(),
        baseline,
        highlight,
        file_name: format!("{}.png", crate::config::slug(&row.indicator, '-')),
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)
        .map_err(|e| AnalysisError::Write { path: path.to_path_buf(), detail: e.to_string() })
}

/// Writes every output of `perf` and the re-offending indicators into `dir` (which exists),
/// drawing each control chart with `draw(series, path)`; returns the number of files written.
pub fn write_outputs(
    dir: &Path,
    perf: &Performance,
    reoffending: &[reoffending_indicator::Row],
    a: &Assessment,
    info: &RunInfo,
    draw: &dyn Fn(&ControlSeries, &Path) -> Result<()>,
) -> Result<usize> {
    let table = perf.table()?;
    let mut csv = Vec::new();
    export::write_csv(&table, &mut csv)?;
    write_file(&dir.join("performance.csv"), &csv)?;
    let mut doc = perf.json();
    if let Some(o) = doc.as_object_mut() {
        o.insert("dataset".into(), json!(info.dataset.display().to_string()));
        o.insert("dataset_manifest_sha256".into(), json!(a.data.info.manifest_sha256));
        o.insert("targets".into(), json!(info.targets.display().to_string()));
        o.insert("generated_at".into(), json!(info.generated_at));
        o.insert("tool".into(), json!(info.tool));
        o.insert(
            "exceptions".into(),
            json!(perf
                .exceptions()
                .iter()
                .map(|r| json!({"rank": r.exception_rank, "indicator": r.indicator, "rag": r.rag, "text": r.sentence}))
                .collect::<Vec<_>>()),
        );
        if !reoffending.is_empty() {
            o.insert("reoffending".into(), reoffending_indicator::json(reoffending));
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&doc)
        .map_err(|e| AnalysisError::Internal(format!("performance.json: {e}")))?;
    bytes.push(b'\n');
    write_file(&dir.join("performance.json"), &bytes)?;
    let markdown = if perf.rows.is_empty() {
        // a targets file of re-offending indicators only
        let q = perf.quarter;
        format!("# Exceptions, {q} ({} to {})\n", q.period().from, q.period().to)
    } else {
        perf.exceptions_markdown()
    } + &reoffending_indicator::markdown(reoffending);
    write_file(&dir.join("exceptions.md"), markdown.as_bytes())?;
    let reoffending_table = reoffending_indicator::table(reoffending)?;
    // performance.csv, .json, .xlsx, exceptions.md (+ reoffending.csv), then one chart per
    // indicator with a baseline
    let mut files = 4;
    if !reoffending.is_empty() {
        let mut csv = Vec::new();
        export::write_csv(&reoffending_table, &mut csv)?;
        write_file(&dir.join("reoffending.csv"), &csv)?;
        files += 1;
    }
    let q = perf.quarter.period();
    let about = export::about_table(&[
        ("quarter", perf.quarter.to_string()),
        ("months", format!("{} to {}", q.from, q.to)),
        ("dataset", info.dataset.display().to_string()),
        ("targets", info.targets.display().to_string()),
        (
            "significance",
            format!("exact conditional Poisson test over the quarters' days, alpha {}", perf.alpha),
        ),
    ])?;
    // the workbook dated the quarter's last day, not the clock: the same quarter gives the
    // same bytes (as the pack's tables.xlsx)
    let to = perf.quarter.period().to;
    let created = chrono::NaiveDate::from_ymd_opt(to.year(), to.month(), 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .map(|d| (d.year() as u16, d.month() as u8, d.day() as u8));
    let mut sheets = vec![("performance".to_string(), &table)];
    if !reoffending.is_empty() {
        sheets.push(("reoffending".into(), &reoffending_table));
    }
    sheets.push(("about".into(), &about));
    export::write_xlsx(&dir.join("performance.xlsx"), &sheets, created)?;
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)
        .map_err(|e| AnalysisError::Write { path: charts.clone(), detail: e.to_string() })?;
    // a priority tracked by the targets file and by a recommendation is one series: one chart
    let mut drawn = std::collections::BTreeSet::new();
    for row in &perf.rows {
        if let Some(series) = control_series(perf, row, a) {
            if drawn.insert(series.file_name.clone()) {
                draw(&series, &charts.join(&series.file_name))?;
                files += 1;
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_is_the_covered_twelve_months_before_the_quarter() {
        // 36 months 2023-07 .. 2026-06, quarter 2026-04 .. 2026-06 (indices 33..36)
        let months: Vec<Month> = (0..36).map(|i| Month::new(2023, 7).plus(i)).collect();
        let q = Period { from: Month::new(2026, 4), to: Month::new(2026, 6) };
        assert_eq!(baseline(&months, q, |_| true), (21..33, 33..36));
        // data from 2025-10 only: the baseline is the six covered months
        let from = Month::new(2025, 10);
        assert_eq!(baseline(&months, q, |m| m >= from), (27..33, 33..36));
        // data from the quarter on: no baseline
        assert_eq!(baseline(&months, q, |m| m >= q.from).0.len(), 0);
    }
}
