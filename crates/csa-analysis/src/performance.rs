//! The quarterly performance table: each indicator's count this quarter against the same
//! quarter last year, the previous quarter, the rolling 12 months against the 12 before and
//! the financial year to date against the same months last year; its target; the
//! significance of the change; a RAG status; and the exceptions the board is told about.
//!
//! **Significance** (see [`crate::significance`]): the exact conditional test of this
//! quarter's count against the same quarter last year, each over its number of days (2024Q1
//! has 91, 2023Q1 90: no change means the same count per day), at the targets' alpha
//! (default 0.05), with the daily rate ratio and its Clopper-Pearson interval; the same for
//! the rolling 12 months (365 or 366 days). The exception sentence calls a change
//! significant at that same alpha.
//!
//! **RAG** (against the same quarter last year; "adverse" = up for an indicator to reduce,
//! down for one to increase):
//!
//! | status | with a target | without a target |
//! |---|---|---|
//! | red | off target and a significant adverse change | a significant adverse change |
//! | amber | off target, or a significant adverse change (one of the two) | - |
//! | green | on target, no significant adverse change | no significant adverse change |
//! | grey | - | not rated: the data do not reach back to the same quarter last year |
//!
//! **Exceptions**: every red or amber indicator, and every significant favourable change;
//! ranked red, amber, favourable, then by p-value (smallest first), then by the size of the
//! change. A measure whose months the dataset does not fully cover is left empty (never a
//! partial count), and the row's note says so.

use polars::prelude::*;
use serde_json::{json, Value};

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, round2, text_col};
use crate::data::{month_batches, Crimes, Data, Needs};
use crate::error::{internal, Result};
use crate::names;
use crate::period::{Month, Period};
use crate::quarter::Quarter;
use crate::significance::{poisson_test, PoissonTest};
use crate::targets::{Aim, Targets};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rag {
    Red,
    Amber,
    Green,
    /// Not rated: no target and no comparison with last year (the data do not reach back).
    Grey,
}

impl Rag {
    pub fn name(self) -> &'static str {
        match self {
            Rag::Red => "red",
            Rag::Amber => "amber",
            Rag::Green => "green",
            Rag::Grey => "grey",
        }
    }
}

/// A count and the count it is compared with (None when the data does not cover it).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Compared {
    pub count: Option<u64>,
    pub before: Option<u64>,
}

impl Compared {
    pub fn change(&self) -> Option<i64> {
        Some(self.count? as i64 - self.before? as i64)
    }
    pub fn change_pct(&self) -> Option<f64> {
        let (a, b) = (self.count?, self.before?);
        (b > 0).then(|| round2(100.0 * (a as f64 - b as f64) / b as f64))
    }
}

/// One indicator's row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub indicator: String,
    /// The recommendation this indicator is the measure of, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracks: Option<crate::recommendations::Tracked>,
    pub aim: Aim,
    pub quarter: Compared,
    pub previous_quarter: Compared,
    pub rolling_12: Compared,
    pub year_to_date: Compared,
    /// Days of this quarter and of the same quarter last year (the test's exposures).
    pub days: (i64, i64),
    pub test: Option<PoissonTest>,
    pub rolling_test: Option<PoissonTest>,
    pub significant: bool,
    pub target: Option<f64>,
    pub baseline: Option<u64>,
    pub on_target: Option<bool>,
    pub rag: Rag,
    /// 0 = not an exception; else its rank from 1.
    pub exception_rank: usize,
    /// The plain-English exception line (also for non-exceptions).
    pub sentence: String,
    pub notes: Vec<String>,
    /// Monthly counts over the loaded span, for the control chart.
    #[serde(skip)]
    pub monthly: Vec<(Month, u64)>,
}

pub struct Performance {
    pub quarter: Quarter,
    pub alpha: f64,
    pub rows: Vec<Row>,
}

/// The months to load for `q` (and its control charts): 36 months to its end, and the
/// baseline quarters of the targets.
pub fn span(q: Quarter, targets: &Targets) -> Period {
    let mut from = q.period().to.plus(-35);
    for i in &targets.indicators {
        if let Some(y) = i.baseline_year {
            from = from.min(baseline_quarter(q, Some(y)).from);
        }
    }
    Period { from, to: q.period().to }
}

/// The same quarter of year `y` (a financial year for a financial quarter), else a year before.
fn baseline_quarter(q: Quarter, year: Option<i32>) -> Quarter {
    match year {
        None => q.plus(-4),
        Some(y) => {
            let this = if q.financial { q.financial_year_start().year() } else { q.from.year() };
            q.plus(-4 * (this - y))
        }
    }
}

/// Crime rows a batch of [`performance_in_batches`] holds at most (a month more than this is
/// read alone): with the columns of the indicators' filters, about 0.1-0.2 KB a row, so a
/// few hundred MB whatever the span and the dataset's size.
pub const BATCH_ROWS: u64 = 2_000_000;

/// The span asked for (the assessment's current period), from the first month with data.
fn counted_span(a: &Assessment) -> Period {
    let asked = a.periods.current;
    let first =
        a.data.info.months.iter().copied().find(|m| asked.contains(*m)).unwrap_or(asked.from);
    Period { from: first.max(asked.from), to: asked.to }
}

/// Adds each indicator's count by month of `crimes` (months of `span`) to `monthly`.
fn count_months(
    a: &Assessment,
    crimes: &Crimes,
    targets: &Targets,
    span: Period,
    monthly: &mut [Vec<(Month, u64)>],
) -> Result<()> {
    for (ind, counts) in targets.indicators.iter().zip(monthly.iter_mut()) {
        let sel = a.selector_on(&ind.priority, crimes)?;
        for r in sel.rows(crimes, span) {
            let m = crimes.month[r as usize];
            counts[(m.0 - span.from.0) as usize].1 += 1;
        }
    }
    Ok(())
}

fn no_counts(targets: &Targets, span: Period) -> Vec<Vec<(Month, u64)>> {
    targets.indicators.iter().map(|_| span.iter().map(|m| (m, 0)).collect()).collect()
}

/// The performance table of quarter `q` from the crimes `a` holds (its current period is the
/// span to count, [`span`]).
pub fn performance(a: &Assessment, targets: &Targets, q: Quarter) -> Result<Performance> {
    let span = counted_span(a);
    let mut monthly = no_counts(targets, span);
    count_months(a, &a.data.crimes, targets, span, &mut monthly)?;
    rate(a, targets, q, span, monthly)
}

/// The same table as [`performance`], for an assessment opened without its rows: the span's
/// months are read from the dataset a batch of at most `batch_rows` crime rows at a time
/// (with `needs`), counted and dropped, so memory does not grow with the span or the
/// dataset. Counts are by month, so the batches add up to exactly what one load gives.
pub fn performance_in_batches(
    a: &Assessment,
    targets: &Targets,
    q: Quarter,
    needs: &Needs,
    batch_rows: u64,
) -> Result<Performance> {
    let span = counted_span(a);
    let mut monthly = no_counts(targets, span);
    for batch in month_batches(&a.data.info, span, batch_rows) {
        let d = Data::load(&a.data.info, batch, needs)?;
        count_months(a, &d.crimes, targets, span, &mut monthly)?;
    }
    rate(a, targets, q, span, monthly)
}

/// The table from each indicator's monthly counts over the counted span.
fn rate(
    a: &Assessment,
    targets: &Targets,
    q: Quarter,
    loaded: Period,
    monthly: Vec<Vec<(Month, u64)>>,
) -> Result<Performance> {
    let mut rows = Vec::new();
    for (ind, monthly) in targets.indicators.iter().zip(monthly) {
        let mut notes = Vec::new();
        let count = |p: Period, notes: &mut Vec<String>| -> Option<u64> {
            if !a.covers(p) || p.from < loaded.from {
                notes.push(format!("no data for all of {p}"));
                return None;
            }
            Some(monthly.iter().filter(|(m, _)| p.contains(*m)).map(|(_, c)| c).sum())
        };
        let qp = q.period();
        let quarter = Compared {
            count: count(qp, &mut notes),
            before: count(q.plus(-4).period(), &mut notes),
        };
        let previous_quarter =
            Compared { count: quarter.count, before: count(q.plus(-1).period(), &mut notes) };
        let r12 = Period::ending(qp.to, 12);
        let rolling_12 =
            Compared { count: count(r12, &mut notes), before: count(r12.previous(), &mut notes) };
        let ytd = Period { from: q.financial_year_start(), to: qp.to };
        let year_to_date = Compared {
            count: count(ytd, &mut notes),
            before: count(Period { from: ytd.from.plus(-12), to: ytd.to.plus(-12) }, &mut notes),
        };
        notes.dedup();
        // exposures in days: quarters and years differ in length
        let tested = |c: &Compared, now: Period, before: Period| match (c.count, c.before) {
            (Some(x1), Some(x0)) => {
                Some(poisson_test(x1, x0, now.days() as f64, before.days() as f64, targets.alpha))
            }
            _ => None,
        };
        let days = (qp.days(), q.plus(-4).period().days());
        let test = tested(&quarter, qp, q.plus(-4).period());
        let rolling_test = tested(&rolling_12, r12, r12.previous());
        let baseline_q = baseline_quarter(q, ind.baseline_year);
        let baseline = if ind.target_pct.is_some() {
            count(baseline_q.period(), &mut Vec::new())
        } else {
            None
        };
        let target = match (ind.target_pct, baseline) {
            (Some(pct), Some(b)) => Some(match ind.aim {
                Aim::Reduce => b as f64 * (1.0 - pct / 100.0),
                Aim::Increase => b as f64 * (1.0 + pct / 100.0),
            }),
            (Some(_), None) => {
                notes.push(format!("no data for the baseline quarter {baseline_q}, so no target"));
                None
            }
            _ => None,
        };
        let on_target = match (target, quarter.count) {
            (Some(t), Some(c)) => Some(match ind.aim {
                Aim::Reduce => c as f64 <= t,
                Aim::Increase => c as f64 >= t,
            }),
            _ => None,
        };
        let change = quarter.change().unwrap_or(0);
        let adverse = match ind.aim {
            Aim::Reduce => change > 0,
            Aim::Increase => change < 0,
        };
        let significant = test.is_some_and(|t| t.p < targets.alpha);
        let rag = match (on_target, significant && adverse) {
            (Some(false), true) => Rag::Red,
            (Some(false), false) | (Some(true), true) => Rag::Amber,
            (None, true) => Rag::Red,
            (None, false) if test.is_none() => Rag::Grey,
            _ => Rag::Green,
        };
        // a recommendation's measure names the recommendation and its owner
        let name = match &ind.tracks {
            Some(t) => format!("{} ({}, {})", ind.priority.name, t.id, t.owner),
            None => ind.priority.name.clone(),
        };
        let sentence = sentence(&name, &quarter, test.as_ref(), targets.alpha, target, on_target);
        rows.push(Row {
            indicator: ind.priority.name.clone(),
            tracks: ind.tracks.clone(),
            aim: ind.aim,
            quarter,
            previous_quarter,
            rolling_12,
            year_to_date,
            days,
            test,
            rolling_test,
            significant,
            target: target.map(|t| (t * 10.0).round() / 10.0),
            baseline,
            on_target,
            rag,
            exception_rank: 0,
            sentence,
            notes,
            monthly,
        });
    }
    rank_exceptions(&mut rows);
    Ok(Performance { quarter: q, alpha: targets.alpha, rows })
}

/// Exceptions (module header) numbered from 1 in rank order.
fn rank_exceptions(rows: &mut [Row]) {
    let class = |r: &Row| -> Option<u8> {
        match r.rag {
            Rag::Red => Some(0),
            Rag::Amber => Some(1),
            Rag::Green if r.significant => Some(2),
            Rag::Green | Rag::Grey => None,
        }
    };
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| class(&rows[i]).is_some()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&rows[i], &rows[j]);
        class(a)
            .cmp(&class(b))
            .then(a.test.map_or(1.0, |t| t.p).total_cmp(&b.test.map_or(1.0, |t| t.p)))
            .then(b.quarter.change().unwrap_or(0).abs().cmp(&a.quarter.change().unwrap_or(0).abs()))
            .then(a.indicator.cmp(&b.indicator))
    });
    for (rank, i) in order.into_iter().enumerate() {
        rows[i].exception_rank = rank + 1;
    }
}

/// "Residential burglary up 23% (+41) on the same quarter last year (219 against 178);
/// significant (p = 0.01); off target (target 169)", significant at `alpha`.
fn sentence(
    name: &str,
    q: &Compared,
    test: Option<&PoissonTest>,
    alpha: f64,
    target: Option<f64>,
    on_target: Option<bool>,
) -> String {
    let mut s = match (q.count, q.before) {
        (Some(c), Some(b)) => {
            let d = c as i64 - b as i64;
            let dir = if d > 0 {
                "up"
            } else if d < 0 {
                "down"
            } else {
                "unchanged"
            };
            match q.change_pct() {
                Some(pct) if d != 0 => {
                    let pct = if pct.abs() < 10.0 {
                        format!("{:.1}", pct.abs())
                    } else {
                        format!("{:.0}", pct.abs())
                    };
                    format!("{name} {dir} {pct}% ({d:+}) on the same quarter last year ({c} against {b})")
                }
                _ if d == 0 => format!("{name} unchanged on the same quarter last year ({c})"),
                _ => {
                    format!("{name} {dir} ({d:+}) on the same quarter last year ({c} against {b})")
                }
            }
        }
        (Some(c), None) => {
            format!("{name}: {c} this quarter (no data for the same quarter last year)")
        }
        _ => format!("{name}: no data for this quarter"),
    };
    if let Some(t) = test {
        let word = if t.p < alpha { "significant" } else { "not significant" };
        let p = if t.p < 0.001 {
            "p < 0.001".to_string()
        } else if t.p < alpha || t.p < 0.01 {
            format!("p = {:.3}", t.p)
        } else {
            format!("p = {:.2}", t.p)
        };
        s.push_str(&format!("; {word} ({p})"));
    }
    let fmt =
        |t: f64| if (t - t.round()).abs() < 1e-9 { format!("{t:.0}") } else { format!("{t:.1}") };
    match (on_target, target) {
        (Some(true), Some(t)) => s.push_str(&format!("; on target (target {})", fmt(t))),
        (Some(false), Some(t)) => s.push_str(&format!("; off target (target {})", fmt(t))),
        _ => {}
    }
    s
}

impl Performance {
    /// One row per indicator, in the targets' order (exceptions carry their rank).
    pub fn table(&self) -> Result<DataFrame> {
        let r = &self.rows;
        let u = |f: &dyn Fn(&Row) -> Option<u64>| {
            r.iter().map(|x| f(x).map(|v| v as i64)).collect::<Vec<_>>().into_iter()
        };
        let i = |f: &dyn Fn(&Row) -> Option<i64>| r.iter().map(f).collect::<Vec<_>>().into_iter();
        let fl = |f: &dyn Fn(&Row) -> Option<f64>| r.iter().map(f).collect::<Vec<_>>().into_iter();
        let mut cols = vec![
            text_col(names::INDICATOR, r.iter().map(|x| Some(x.indicator.clone()))),
            text_col(names::AIM, r.iter().map(|x| Some(x.aim.name().to_string()))),
            int_col(names::COUNT, u(&|x| x.quarter.count)),
            int_col(names::SAME_QUARTER_LAST_YEAR, u(&|x| x.quarter.before)),
            int_col(names::DAYS, i(&|x| Some(x.days.0))),
            int_col(names::SAME_QUARTER_LAST_YEAR_DAYS, i(&|x| Some(x.days.1))),
            int_col(names::CHANGE, i(&|x| x.quarter.change())),
            float_col(names::CHANGE_PCT, fl(&|x| x.quarter.change_pct())),
            float_col(names::P_VALUE, fl(&|x| x.test.map(|t| t.p))),
            float_col(names::RATE_RATIO, fl(&|x| x.test.and_then(|t| t.rate_ratio).map(r3))),
            float_col(names::RATIO_LOW, fl(&|x| x.test.map(|t| r3(t.ci_low)))),
            float_col(
                names::RATIO_HIGH,
                fl(&|x| x.test.map(|t| t.ci_high).filter(|v| v.is_finite()).map(r3)),
            ),
            int_col(names::PREVIOUS_QUARTER, u(&|x| x.previous_quarter.before)),
            int_col(names::CHANGE_ON_PREVIOUS_QUARTER, i(&|x| x.previous_quarter.change())),
            float_col(
                names::CHANGE_PCT_ON_PREVIOUS_QUARTER,
                fl(&|x| x.previous_quarter.change_pct()),
            ),
            int_col(names::ROLLING_12, u(&|x| x.rolling_12.count)),
            int_col(names::ROLLING_12_BEFORE, u(&|x| x.rolling_12.before)),
            float_col(names::ROLLING_12_CHANGE_PCT, fl(&|x| x.rolling_12.change_pct())),
            float_col(names::ROLLING_12_P, fl(&|x| x.rolling_test.map(|t| t.p))),
            int_col(names::YEAR_TO_DATE, u(&|x| x.year_to_date.count)),
            int_col(names::YEAR_TO_DATE_LAST_YEAR, u(&|x| x.year_to_date.before)),
            float_col(names::YEAR_TO_DATE_CHANGE_PCT, fl(&|x| x.year_to_date.change_pct())),
            int_col(names::BASELINE, u(&|x| x.baseline)),
            float_col(names::TARGET, fl(&|x| x.target)),
            text_col(
                names::ON_TARGET,
                r.iter().map(|x| x.on_target.map(|b| if b { "yes" } else { "no" }.to_string())),
            ),
            text_col(names::RAG, r.iter().map(|x| Some(x.rag.name().to_string()))),
            int_col(
                names::EXCEPTION_RANK,
                i(&|x| (x.exception_rank > 0).then_some(x.exception_rank as i64)),
            ),
            text_col(
                names::NOTE,
                r.iter().map(|x| (!x.notes.is_empty()).then(|| x.notes.join("; "))),
            ),
        ];
        // the recommendations tracked, beside their indicator (only when there are any)
        if r.iter().any(|x| x.tracks.is_some()) {
            let t = |f: &dyn Fn(&crate::recommendations::Tracked) -> String| {
                r.iter().map(|x| x.tracks.as_ref().map(f)).collect::<Vec<_>>().into_iter()
            };
            cols.splice(
                1..1,
                [
                    text_col(names::RECOMMENDATION_ID, t(&|x| x.id.clone())),
                    text_col(names::RECOMMENDATION, t(&|x| x.recommendation.clone())),
                    text_col(names::OWNER, t(&|x| x.owner.clone())),
                ],
            );
        }
        DataFrame::new(r.len(), cols).map_err(internal)
    }

    /// Rows that are exceptions, in rank order.
    pub fn exceptions(&self) -> Vec<&Row> {
        let mut e: Vec<&Row> = self.rows.iter().filter(|r| r.exception_rank > 0).collect();
        e.sort_by_key(|r| r.exception_rank);
        e
    }

    /// `exceptions.md`: a heading and one line per exception.
    pub fn exceptions_markdown(&self) -> String {
        let q = self.quarter;
        let mut s = format!("# Exceptions, {q} ({} to {})\n\n", q.period().from, q.period().to);
        let e = self.exceptions();
        let grey: Vec<&str> =
            self.rows.iter().filter(|r| r.rag == Rag::Grey).map(|r| r.indicator.as_str()).collect();
        if e.is_empty() && grey.len() == self.rows.len() {
            s.push_str("No indicator could be rated: the data do not reach back to the same quarter last year and no target could be set.\n");
        } else if e.is_empty() {
            s.push_str("No exceptions: every rated indicator is on target (where one is set) with no significant adverse change.\n");
        }
        for r in e {
            s.push_str(&format!(
                "{}. **{}**: {}.\n",
                r.exception_rank,
                r.rag.name().to_uppercase(),
                r.sentence
            ));
        }
        if !grey.is_empty() && grey.len() < self.rows.len() {
            s.push_str(&format!(
                "\nNot rated (no data for the same quarter last year): {}.\n",
                grey.join(", ")
            ));
        }
        s.push_str(&format!(
            "\nSignificance: exact conditional Poisson test against the same quarter last year, each over its number of days, alpha = {}. RAG rules: csa's data/README.md, \"Quarterly performance\".\n",
            self.alpha
        ));
        s
    }

    /// Everything as JSON (for dashboards).
    pub fn json(&self) -> Value {
        json!({
            "quarter": self.quarter.to_string(),
            "from": self.quarter.period().from.to_string(),
            "to": self.quarter.period().to.to_string(),
            "alpha": self.alpha,
            "indicators": self.rows.iter().map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("monthly".into(), json!(r.monthly.iter().map(|(m, c)| json!({"month": m.to_string(), "count": c})).collect::<Vec<_>>()));
                }
                v
            }).collect::<Vec<_>>(),
        })
    }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_with(p: f64) -> PoissonTest {
        PoissonTest { p, rate_ratio: Some(1.2), ci_low: 1.0, ci_high: 1.4 }
    }

    #[test]
    fn the_sentence_uses_the_targets_alpha() {
        let q = Compared { count: Some(120), before: Some(100) };
        // alpha 0.1: p = 0.08 is significant, as the RAG (red) says
        let s = sentence("Robbery", &q, Some(&test_with(0.08)), 0.1, Some(95.0), Some(false));
        assert_eq!(
            s,
            "Robbery up 20% (+20) on the same quarter last year (120 against 100); significant (p = 0.080); off target (target 95)"
        );
        // alpha 0.05: the same p is not
        let s = sentence("Robbery", &q, Some(&test_with(0.08)), 0.05, None, None);
        assert!(s.ends_with("; not significant (p = 0.08)"), "{s}");
        // alpha 0.001: p = 0.004 is not significant, shown with three decimals (below 0.01)
        let s = sentence("Robbery", &q, Some(&test_with(0.004)), 0.001, None, None);
        assert!(s.ends_with("; not significant (p = 0.004)"), "{s}");
        let s = sentence("Robbery", &q, Some(&test_with(2.3e-19)), 0.05, None, None);
        assert!(s.ends_with("; significant (p < 0.001)"), "{s}");
    }

    #[test]
    fn quarters_differ_in_days() {
        use crate::period::Month;
        let q = |y, m| Period { from: Month::new(y, m), to: Month::new(y, m + 2) };
        assert_eq!((q(2024, 1).days(), q(2023, 1).days()), (91, 90));
        assert_eq!((q(2024, 4).days(), q(2024, 7).days(), q(2024, 10).days()), (91, 92, 92));
        assert_eq!(Period::ending(Month::new(2024, 6), 12).days(), 366);
    }
}
