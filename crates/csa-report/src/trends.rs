//! The Trends and forecasts section of the pack: up to `[trends] years` (default 3) of every
//! priority's monthly counts ([`csa_analysis::series`]), the latest 12 months' change judged
//! by a seasonal quasi-Poisson regression ([`csa_analysis::trend`]), the next 12 months
//! forecast with 80% and 95% prediction intervals, the rolling-origin backtest against the
//! seasonal naive forecast and the emerging flag ([`csa_analysis::forecast`]).
//!
//! Tables and their protection in the public edition ([`crate::table`],
//! [`crate::public::cells`]):
//!
//! | table | rows | protection |
//! |---|---|---|
//! | `trend_months` | priority x month | each count keyed as the month tables key theirs (`crimes|period|priority|month=YYYY-MM`, the period being the assessment period, the comparison period or the 12-month block of an earlier year), so a month shown here and in a priority's month table is one cell; the months of a period the series covers whole add up to that period's total |
//! | `trends` | one per priority | derived: every figure from the priority's months in `trend_months`, hidden when any of them is |
//! | `forecasts` | priority x the next 12 months, then their total | derived, the same way |
//! | `forecast_accuracy` | one per priority | derived, the same way |
//!
//! So the public edition shows a trend or a forecast only when every monthly count it is
//! computed from is published: it is then a function of published figures (anyone can refit
//! it from `trend_months`), and never of a hidden count. The ranking's trend factor is the
//! `evidence_pct` of `trends` (the end of the change's 95% interval nearest zero), read from
//! the published table in the public edition.

use csa_analysis::forecast::{forecast, Forecast, Predicted};
use csa_analysis::period::Period;
use csa_analysis::series::{series, Series};
use csa_analysis::trend::{trend, Trend, SMALL_PER_YEAR};
use csa_analysis::{names, Assessment, Result};

use crate::ids;
use crate::part::PriorityPart;
use crate::table::{Cell, Protect, Role, Table};

/// What the report says in the section (no figures: those are read from the tables of the
/// edition being written).
#[derive(Debug, Clone, Default)]
pub struct TrendSection {
    pub years: u32,
    /// The months asked for and those the data cover.
    pub asked: Option<Period>,
    pub period: Option<Period>,
    pub notes: Vec<String>,
}

fn num(v: Option<f64>) -> Cell {
    // (a rounded -0.001 is 0, not "-0")
    v.filter(|x| x.is_finite())
        .map_or(Cell::Null, |x| Cell::Float(csa_analysis::breakdown::round2(x) + 0.0))
}

fn int(v: u64) -> Cell {
    Cell::Int(v as i64)
}

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "yes" } else { "no" }.into())
}

/// The section's tables for the measurable priorities of `parts` (the all-crime overview
/// first, as the parts are).
pub fn section(a: &Assessment, parts: &[PriorityPart]) -> Result<(TrendSection, Vec<Table>)> {
    let years = a.config.trend_years;
    let measured: Vec<&PriorityPart> = parts.iter().filter(|p| p.measurable).collect();
    let priorities: Vec<_> = measured.iter().map(|p| p.priority.clone()).collect();
    let s = series(a, &priorities, years)?;
    let mut sec = TrendSection { years, asked: Some(s.asked), period: s.period, notes: Vec::new() };
    let Some(period) = s.period else {
        sec.notes.push(format!(
            "The dataset has no month in {} ({years} years to the end of the assessment period), so there are no trends or forecasts.",
            s.asked
        ));
        return Ok((sec, Vec::new()));
    };
    notes(&mut sec, &s, period);
    let mut months = Table::new(
        ids::TREND_MONTHS,
        &format!("Monthly counts of every priority, {period}"),
        &[names::PRIORITY, names::MONTH, names::COUNT],
        &[Role::Key, Role::Key, Role::Count],
        Protect::Columns { group: vec![names::PRIORITY.into()] },
    );
    let mut trends = trends_table(period);
    let mut forecasts = forecasts_table();
    let mut accuracy = accuracy_table();
    for (name, counts) in &s.counts {
        for (i, c) in counts.iter().enumerate() {
            months.rows.push(vec![
                Cell::Text(name.clone()),
                Cell::Text(period.from.plus(i as i32).to_string()),
                int(*c),
            ]);
        }
        if let Some(t) = trend(counts, period.from) {
            trends.rows.push(trend_row(name, &t));
        }
        if let Some(f) = forecast(counts, period.from) {
            forecast_rows(&mut forecasts, name, &f);
            accuracy.rows.push(accuracy_row(name, &f));
        }
    }
    if trends.rows.is_empty() {
        sec.notes.push(format!(
            "The data cover {} months: a trend needs at least 13 (the latest 12 and one before).",
            s.months()
        ));
    }
    if forecasts.rows.is_empty() {
        sec.notes.push(format!(
            "The data cover {} months: a forecast needs at least {}.",
            s.months(),
            csa_analysis::forecast::MIN_MONTHS
        ));
    }
    let mut tables = vec![months, trends];
    if !forecasts.rows.is_empty() {
        tables.push(forecasts);
        tables.push(accuracy);
    }
    Ok((sec, tables))
}

fn notes(sec: &mut TrendSection, s: &Series, period: Period) {
    if s.short() {
        sec.notes.push(format!(
            "Asked for {} years ({}), the data cover {} months ({period}): the trends and forecasts use what there is.",
            sec.years,
            s.asked,
            s.months()
        ));
    }
    if !s.gaps.is_empty() {
        let list: Vec<String> = s.gaps.iter().map(|m| m.to_string()).collect();
        sec.notes.push(format!(
            "The dataset has no records at all in {}: those months count as 0.",
            list.join(", ")
        ));
    }
}

const TREND_COLUMNS: [(&str, Role); 16] = [
    (names::PRIORITY, Role::Key),
    (names::MONTHS, Role::Other),
    (names::LATEST_12_MONTHS, Role::Derived),
    (names::EARLIER, Role::Derived),
    (names::EARLIER_MONTHS, Role::Other),
    (names::METHOD, Role::Derived),
    (names::RATE_RATIO, Role::Derived),
    (names::CHANGE_PCT, Role::Derived),
    (names::CHANGE_CI_LOW_PCT, Role::Derived),
    (names::CHANGE_CI_HIGH_PCT, Role::Derived),
    (names::P_VALUE, Role::Derived),
    (names::DISPERSION, Role::Derived),
    (names::EVIDENCE_PCT, Role::Derived),
    (names::SIGNIFICANT, Role::Derived),
    (names::SMALL_NUMBERS, Role::Derived),
    (names::NOTE, Role::Derived),
];

fn new_table(name: &str, title: &str, cols: &[(&str, Role)]) -> Table {
    let (c, r): (Vec<&str>, Vec<Role>) = cols.iter().copied().unzip();
    // every figure is derived from the priority's months: no counts of its own to protect
    Table::new(name, title, &c, &r, Protect::Primary)
}

fn trends_table(period: Period) -> Table {
    new_table(
        ids::TRENDS,
        &format!("Is the change real? The latest 12 months against the months before ({period}), season for season"),
        &TREND_COLUMNS,
    )
}

fn trend_row(name: &str, t: &Trend) -> Vec<Cell> {
    let note = if t.small {
        format!("small numbers: under {SMALL_PER_YEAR:.0} records a year, read with care")
    } else {
        String::new()
    };
    vec![
        Cell::Text(name.into()),
        int(t.months as u64),
        int(t.latest),
        int(t.earlier),
        int(t.earlier_months as u64),
        Cell::Text(t.method.text().into()),
        num(t.rate_ratio),
        num(t.change_pct()),
        num(Some(t.ci_low_pct())),
        num(Some(t.ci_high_pct())),
        Cell::Float(significant_digits(t.p)),
        num(t.dispersion),
        num(Some(t.evidence_pct())),
        yes_no(t.significant()),
        yes_no(t.small),
        if note.is_empty() { Cell::Null } else { Cell::Text(note) },
    ]
}

/// p to 4 significant digits (a small p keeps its order of magnitude).
fn significant_digits(p: f64) -> f64 {
    if p <= 0.0 || !p.is_finite() {
        return p.max(0.0);
    }
    let scale = 10f64.powi(3 - p.log10().floor() as i32);
    (p * scale).round() / scale
}

const FORECAST_COLUMNS: [(&str, Role); 7] = [
    (names::PRIORITY, Role::Key),
    (names::MONTH, Role::Key),
    (names::FORECAST, Role::Derived),
    (names::LOW_80, Role::Derived),
    (names::HIGH_80, Role::Derived),
    (names::LOW_95, Role::Derived),
    (names::HIGH_95, Role::Derived),
];

fn forecasts_table() -> Table {
    new_table(
        ids::FORECASTS,
        "Forecast of the next 12 months, with 80% and 95% prediction intervals",
        &FORECAST_COLUMNS,
    )
}

fn predicted_cells(p: &Predicted) -> [Cell; 5] {
    [num(Some(p.mean)), int(p.low80), int(p.high80), int(p.low95), int(p.high95)]
}

fn forecast_rows(t: &mut Table, name: &str, f: &Forecast) {
    for (h, p) in f.months.iter().enumerate() {
        let mut row = vec![Cell::Text(name.into()), Cell::Text(f.from.plus(h as i32).to_string())];
        row.extend(predicted_cells(p));
        t.rows.push(row);
    }
    let mut row = vec![Cell::Text(name.into()), Cell::Text(names::NEXT_12_MONTHS.into())];
    row.extend(predicted_cells(&f.total));
    t.rows.push(row);
}

const ACCURACY_COLUMNS: [(&str, Role); 17] = [
    (names::PRIORITY, Role::Key),
    (names::YEARLY_RATIO, Role::Derived),
    (names::DISPERSION, Role::Derived),
    (names::ORIGINS, Role::Other),
    (names::BACKTEST_FORECASTS, Role::Other),
    (names::MAE, Role::Derived),
    (names::MAE_SEASONAL_NAIVE, Role::Derived),
    (names::MASE, Role::Derived),
    (names::MASE_SEASONAL_NAIVE, Role::Derived),
    (names::COVERAGE_80_PCT, Role::Derived),
    (names::COVERAGE_95_PCT, Role::Derived),
    (names::LATEST_3_MONTHS, Role::Derived),
    (names::LATEST_3_FORECAST, Role::Derived),
    (names::LATEST_3_HIGH_95, Role::Derived),
    (names::LATEST_12_MONTHS, Role::Derived),
    (names::NEXT_12_LOW_80, Role::Derived),
    (names::EMERGING, Role::Derived),
];

fn accuracy_table() -> Table {
    new_table(
        ids::FORECAST_ACCURACY,
        "Forecast accuracy (rolling-origin backtest against the seasonal naive forecast) and emerging priorities",
        &ACCURACY_COLUMNS,
    )
}

fn accuracy_row(name: &str, f: &Forecast) -> Vec<Cell> {
    let b = f.backtest.as_ref();
    let e = &f.emerging;
    let emerging = match (e.recent_above, e.rising) {
        (true, true) => "yes: latest 3 months above the forecast's 95% interval; next 12 months above the latest 12",
        (true, false) => "yes: latest 3 months above the forecast's 95% interval",
        (false, true) => "yes: next 12 months' 80% interval above the latest 12 months",
        (false, false) => "no",
    };
    vec![
        Cell::Text(name.into()),
        num(Some(f.yearly_ratio)),
        num(f.dispersion),
        b.map_or(Cell::Null, |b| int(b.origins as u64)),
        b.map_or(Cell::Null, |b| int(b.forecasts as u64)),
        num(b.map(|b| b.mae)),
        num(b.map(|b| b.mae_naive)),
        num(b.and_then(|b| b.mase)),
        num(b.and_then(|b| b.mase_naive)),
        num(b.map(|b| b.coverage80_pct)),
        num(b.map(|b| b.coverage95_pct)),
        e.recent.map_or(Cell::Null, |(a, _)| int(a)),
        num(e.recent.map(|(_, p)| p.mean)),
        e.recent.map_or(Cell::Null, |(_, p)| int(p.high95)),
        int(f.latest),
        int(f.total.low80),
        Cell::Text(emerging.into()),
    ]
}

/// The trend factor of priority `name` from the `trends` table (published or not): its
/// `evidence_pct`, `None` when absent or hidden.
pub fn evidence(tables: &[Table], name: &str) -> Option<f64> {
    let t = crate::table::find(tables, ids::TRENDS)?;
    let i = t.find(names::PRIORITY, name)?;
    t.get(i, names::EVIDENCE_PCT).as_f64()
}

/// Priorities flagged emerging in `tables` (published or not).
pub fn emerging(tables: &[Table]) -> Vec<String> {
    let Some(t) = crate::table::find(tables, ids::FORECAST_ACCURACY) else { return Vec::new() };
    (0..t.rows.len())
        .filter(|&i| t.get(i, names::EMERGING).text().starts_with("yes"))
        .map(|i| t.get(i, names::PRIORITY).text())
        .collect()
}
