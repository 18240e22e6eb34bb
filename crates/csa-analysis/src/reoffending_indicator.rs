//! The re-offending indicator of the quarterly run (`[[reoffending]]` in the targets file,
//! [`crate::targets`]): the proven re-offending rate ([`crate::reoffending`]) of the latest
//! cohort that the quarter reported on completes.
//!
//! A cohort's figures are final only when its follow-up and waiting period are over, so the
//! quarter Q reports the cohort of the quarter C = Q - ceil((follow-up + waiting) / 3)
//! quarters (with the defaults, 12 + 6 months: six quarters back; Q = 2025Q4 reports the
//! 2024Q2 cohort, whose last re-offences may be recorded by 2025-12-31). C is compared with
//! the cohort of the same quarter a year earlier, C - 4:
//!
//! | figure | rule |
//! |---|---|
//! | change | rate_pct - comparison_rate_pct (percentage points), Newcombe 95% interval |
//! | significance | two-sided Fisher exact test at the targets' alpha |
//! | target | baseline rate x (1 - target_pct/100) to reduce, x (1 + target_pct/100) to increase; the baseline is the cohort of the same quarter of `baseline_year`, else C - 4; met when the rate is at or below (reduce) or at or above (increase) it |
//! | RAG | the rules of [`crate::performance`]: red = off target and a significant adverse change (no target: a significant adverse change); amber = one of the two; green = neither; grey = no target and no comparison cohort |
//! | exception | red, amber, or a significant favourable change |
//!
//! A cohort the data do not cover gives empty figures and a note (never a partial rate).

use polars::prelude::*;
use serde_json::{json, Value};

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, round2, text_col};
use crate::error::{internal, Result};
use crate::names;
use crate::needs::Needs;
use crate::performance::Rag;
use crate::period::Period;
use crate::proportions::{fisher_exact, newcombe, Z95};
use crate::quarter::Quarter;
use crate::reoffending::{coverage, CohortPeriod, Offences};
use crate::targets::{Aim, ReoffendingIndicator, Targets};

/// A cohort's size and re-offenders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rate {
    pub cohort: u64,
    pub reoffenders: u64,
}

impl Rate {
    pub fn pct(self) -> Option<f64> {
        (self.cohort > 0).then(|| 100.0 * self.reoffenders as f64 / self.cohort as f64)
    }
}

/// One re-offending indicator's row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub indicator: String,
    pub aim: Aim,
    pub cohort_period: String,
    pub comparison_period: String,
    pub current: Option<Rate>,
    pub comparison: Option<Rate>,
    pub change_pts: Option<f64>,
    pub change_ci_pts: Option<(f64, f64)>,
    pub p: Option<f64>,
    pub significant: bool,
    pub baseline_rate_pct: Option<f64>,
    pub target_rate_pct: Option<f64>,
    pub on_target: Option<bool>,
    pub rag: Rag,
    pub exception: bool,
    pub sentence: String,
    pub notes: Vec<String>,
}

/// The cohort quarter that quarter `q` reports for `ind`.
pub fn cohort_quarter(q: Quarter, ind: &ReoffendingIndicator) -> Quarter {
    let months = ind.spec.follow_up_months + ind.spec.waiting_months;
    q.plus(-(months.div_ceil(3) as i32))
}

fn baseline(c: Quarter, ind: &ReoffendingIndicator) -> Quarter {
    match ind.baseline_year {
        None => c.plus(-4),
        Some(y) => {
            let this = if c.financial { c.financial_year_start().year() } else { c.from.year() };
            c.plus(-4 * (this - y))
        }
    }
}

/// The months the re-offending indicators of quarter `q` read (None without indicators):
/// from the earliest cohort compared (a year before, or the baseline) to the end of `q`.
pub fn span(q: Quarter, targets: &Targets) -> Option<Period> {
    let from = targets
        .reoffending
        .iter()
        .map(|ind| {
            let c = cohort_quarter(q, ind);
            c.plus(-4).from.min(baseline(c, ind).from)
        })
        .min()?;
    Some(Period { from, to: q.period().to })
}

/// What the re-offending indicators need loaded.
pub fn needs(targets: &Targets) -> Needs {
    targets
        .reoffending
        .iter()
        .map(|i| crate::reoffending::needs(&i.priority))
        .fold(Needs::default(), Needs::merge)
}

/// Every `[[reoffending]]` indicator of `targets` for quarter `q`, on an assessment loaded
/// over [`span`] with [`needs`].
pub fn indicators(a: &Assessment, targets: &Targets, q: Quarter) -> Result<Vec<Row>> {
    if targets.reoffending.is_empty() {
        return Ok(Vec::new());
    }
    let offences = Offences::new(a)?;
    let mut rows = Vec::new();
    for ind in &targets.reoffending {
        let c = cohort_quarter(q, ind);
        let mut notes = Vec::new();
        let rate = |quarter: Quarter, notes: &mut Vec<String>| -> Result<Option<Rate>> {
            let period = CohortPeriod::Quarter(quarter);
            let cov = coverage(a, period, &ind.spec)?;
            if !cov.complete() {
                notes.push(format!(
                    "the data do not cover the {quarter} cohort's follow-up ({} to {})",
                    cov.needed.0, cov.needed.1
                ));
                return Ok(None);
            }
            let cohort = offences.cohort(&ind.priority, period, &ind.spec, cov)?;
            Ok(Some(Rate {
                cohort: cohort.members.len() as u64,
                reoffenders: cohort.reoffenders(),
            }))
        };
        let current = rate(c, &mut notes)?;
        let comparison = rate(c.plus(-4), &mut notes)?;
        let base_q = baseline(c, ind);
        let base = match ind.target_pct {
            Some(_) if base_q == c.plus(-4) => comparison,
            Some(_) => rate(base_q, &mut notes)?,
            None => None,
        };
        notes.dedup();
        let (cur_pct, cmp_pct) = (current.and_then(Rate::pct), comparison.and_then(Rate::pct));
        let change_pts = match (cur_pct, cmp_pct) {
            (Some(x), Some(y)) => Some(x - y),
            _ => None,
        };
        let (p, change_ci_pts) = match (current, comparison) {
            (Some(x), Some(y)) if x.cohort > 0 && y.cohort > 0 => (
                Some(fisher_exact(x.reoffenders, x.cohort, y.reoffenders, y.cohort)),
                newcombe(x.reoffenders, x.cohort, y.reoffenders, y.cohort, Z95)
                    .map(|(l, h)| (round2(100.0 * l), round2(100.0 * h))),
            ),
            _ => (None, None),
        };
        let baseline_rate_pct = base.and_then(Rate::pct);
        let target_rate_pct = match (ind.target_pct, baseline_rate_pct) {
            (Some(t), Some(b)) => Some(match ind.aim {
                Aim::Reduce => b * (1.0 - t / 100.0),
                Aim::Increase => b * (1.0 + t / 100.0),
            }),
            (Some(_), None) => {
                notes.push(format!("no rate for the baseline cohort {base_q}, so no target"));
                None
            }
            _ => None,
        };
        let on_target = match (target_rate_pct, cur_pct) {
            (Some(t), Some(r)) => Some(match ind.aim {
                Aim::Reduce => r <= t + 1e-9,
                Aim::Increase => r >= t - 1e-9,
            }),
            _ => None,
        };
        let adverse = match ind.aim {
            Aim::Reduce => change_pts.is_some_and(|d| d > 0.0),
            Aim::Increase => change_pts.is_some_and(|d| d < 0.0),
        };
        let significant = p.is_some_and(|p| p < targets.alpha);
        let rag = match (on_target, significant && adverse) {
            (Some(false), true) => Rag::Red,
            (Some(false), false) | (Some(true), true) => Rag::Amber,
            (None, true) => Rag::Red,
            (None, false) if p.is_none() => Rag::Grey,
            _ => Rag::Green,
        };
        let exception = matches!(rag, Rag::Red | Rag::Amber) || (significant && !adverse);
        let sentence = sentence(&ind.name, c, current, comparison, p, target_rate_pct, on_target);
        rows.push(Row {
            indicator: ind.name.clone(),
            aim: ind.aim,
            cohort_period: c.to_string(),
            comparison_period: c.plus(-4).to_string(),
            current,
            comparison,
            change_pts: change_pts.map(round2),
            change_ci_pts,
            p,
            significant,
            baseline_rate_pct: baseline_rate_pct.map(round2),
            target_rate_pct: target_rate_pct.map(round2),
            on_target,
            rag,
            exception,
            sentence,
            notes,
        });
    }
    Ok(rows)
}

/// "Proven re-offending of the 2024Q2 cohort 31.5% against 35.0% a year earlier (-3.5
/// points); not significant (p = 0.21); on target (target 33.3%)".
fn sentence(
    name: &str,
    c: Quarter,
    current: Option<Rate>,
    comparison: Option<Rate>,
    p: Option<f64>,
    target: Option<f64>,
    on_target: Option<bool>,
) -> String {
    let pct = |r: Option<Rate>| r.and_then(Rate::pct);
    let mut s = match (pct(current), pct(comparison)) {
        (Some(x), Some(y)) => format!(
            "{name} of the {c} cohort {x:.1}% against {y:.1}% a year earlier ({:+.1} points)",
            x - y
        ),
        (Some(x), None) => {
            format!("{name} of the {c} cohort {x:.1}% (no rate for the cohort a year earlier)")
        }
        _ => format!("{name}: no rate for the {c} cohort"),
    };
    if let Some(p) = p {
        if p < 0.001 {
            s.push_str("; significant (p < 0.001)");
        } else if p < 0.05 {
            s.push_str(&format!("; significant (p = {p:.3})"));
        } else {
            s.push_str(&format!("; not significant (p = {p:.2})"));
        }
    }
    match (on_target, target) {
        (Some(true), Some(t)) => s.push_str(&format!("; on target (target {t:.1}%)")),
        (Some(false), Some(t)) => s.push_str(&format!("; off target (target {t:.1}%)")),
        _ => {}
    }
    s
}

/// One row per indicator (`reoffending.csv` of the quarterly run).
pub fn table(rows: &[Row]) -> Result<DataFrame> {
    let f = |g: &dyn Fn(&Row) -> Option<f64>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
    let i = |g: &dyn Fn(&Row) -> Option<i64>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
    let t = |g: &dyn Fn(&Row) -> Option<String>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
    DataFrame::new(
        rows.len(),
        vec![
            text_col(names::INDICATOR, t(&|r| Some(r.indicator.clone()))),
            text_col(names::AIM, t(&|r| Some(r.aim.name().to_string()))),
            text_col(names::COHORT_PERIOD, t(&|r| Some(r.cohort_period.clone()))),
            int_col(names::COHORT, i(&|r| r.current.map(|x| x.cohort as i64))),
            int_col(names::REOFFENDERS, i(&|r| r.current.map(|x| x.reoffenders as i64))),
            float_col(names::RATE_PCT, f(&|r| r.current.and_then(Rate::pct).map(round2))),
            text_col(names::COMPARISON_COHORT_PERIOD, t(&|r| Some(r.comparison_period.clone()))),
            int_col(names::COMPARISON_COHORT, i(&|r| r.comparison.map(|x| x.cohort as i64))),
            int_col(
                names::COMPARISON_REOFFENDERS,
                i(&|r| r.comparison.map(|x| x.reoffenders as i64)),
            ),
            float_col(
                names::COMPARISON_RATE_PCT,
                f(&|r| r.comparison.and_then(Rate::pct).map(round2)),
            ),
            float_col(names::CHANGE_PTS, f(&|r| r.change_pts)),
            float_col(names::CHANGE_CI_LOW_PTS, f(&|r| r.change_ci_pts.map(|c| c.0))),
            float_col(names::CHANGE_CI_HIGH_PTS, f(&|r| r.change_ci_pts.map(|c| c.1))),
            float_col(names::P_VALUE, f(&|r| r.p)),
            float_col(names::BASELINE_RATE_PCT, f(&|r| r.baseline_rate_pct)),
            float_col(names::TARGET_RATE_PCT, f(&|r| r.target_rate_pct)),
            text_col(
                names::ON_TARGET,
                t(&|r| r.on_target.map(|b| if b { "yes" } else { "no" }.to_string())),
            ),
            text_col(names::RAG, t(&|r| Some(r.rag.name().to_string()))),
            text_col(names::NOTE, t(&|r| (!r.notes.is_empty()).then(|| r.notes.join("; ")))),
        ],
    )
    .map_err(internal)
}

/// The re-offending part of `exceptions.md` (empty without indicators).
pub fn markdown(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n## Proven re-offending\n\n");
    let mut ordered: Vec<&Row> = rows.iter().collect();
    let class = |r: &Row| match r.rag {
        Rag::Red => 0,
        Rag::Amber => 1,
        _ if r.exception => 2,
        _ => 3,
    };
    ordered.sort_by_key(|r| class(r));
    for r in ordered {
        let tag = if r.exception { r.rag.name().to_uppercase() } else { "not an exception".into() };
        s.push_str(&format!("- **{tag}**: {}.\n", r.sentence));
    }
    s.push_str("\nRates are of the latest cohort whose follow-up and waiting period the quarter completes; significance: Fisher's exact test against the cohort a year earlier.\n");
    s
}

/// The rows as JSON (the `reoffending` member of `performance.json`).
pub fn json(rows: &[Row]) -> Value {
    json!(rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("rate_pct".into(), json!(r.current.and_then(Rate::pct).map(round2)));
                o.insert(
                    "comparison_rate_pct".into(),
                    json!(r.comparison.and_then(Rate::pct).map(round2)),
                );
            }
            v
        })
        .collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarter_reports_the_cohort_it_completes() {
        let ind = ReoffendingIndicator {
            name: "x".into(),
            priority: crate::config::Priority::all(),
            aim: Aim::Reduce,
            target_pct: None,
            baseline_year: Some(2022),
            spec: crate::reoffending::Spec::default(),
        };
        let q = Quarter::parse("2025Q4").unwrap_or_else(|e| panic!("{e}"));
        let c = cohort_quarter(q, &ind);
        assert_eq!(c.to_string(), "2024Q2");
        // the cohort's last recording limit (2024-06-30 + 18 months) falls in the quarter
        let p = CohortPeriod::Quarter(c);
        let by = ind.spec.recorded_by(p);
        assert_eq!(by, chrono::NaiveDate::from_ymd_opt(2025, 12, 30).unwrap_or_default());
        assert!(q.period().contains(crate::period::Month::of(by)));
        assert_eq!(baseline(c, &ind).to_string(), "2022Q2");
        let fq = Quarter::parse("FY2025Q1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cohort_quarter(fq, &ind).to_string(), "FY2023Q3");
        // 13 + 6 months: seven quarters back
        let long = ReoffendingIndicator {
            spec: crate::reoffending::Spec { follow_up_months: 13, ..ind.spec },
            ..ind
        };
        assert_eq!(cohort_quarter(q, &long).to_string(), "2024Q1");
    }
}
