//! The re-offending table of a cohort ([`crate::reoffending`]): the whole cohort, then its
//! breakdowns, each against the cohort a year earlier, and the time to first re-offence.
//!
//! For a group of n cohort members with r re-offenders and k re-offences:
//!
//! | column | formula |
//! |---|---|
//! | `rate_pct` | 100 r / n (the binary rate) |
//! | `rate_ci_low_pct`, `rate_ci_high_pct` | 95% Wilson interval of r / n |
//! | `frequency` | k / n (re-offences per offender) |
//! | `frequency_per_reoffender` | k / r |
//! | `harm_css` | sum of the re-offences' Crime Severity Score weights ([`crate::harm`]) |
//! | `harm_css_per_offender` | harm_css / n |
//! | `median_days_to_first` | median, over re-offenders, of the days from the index date to the first re-offence (mean of the middle two for an even count) |
//! | `comparison_*` | the same group of the cohort a year earlier (null when the data do not cover it) |
//! | `change_pts` | rate_pct - comparison_rate_pct, percentage points |
//! | `change_ci_low_pts`, `change_ci_high_pts` | 95% Newcombe (hybrid score) interval of the difference |
//! | `p` | two-sided Fisher exact test of r/n against the comparison's r0/n0 |
//!
//! Breakdowns: the age band at the index date (the age on the index offence's record, in
//! the configured bands), sex, ethnicity, the index offence's offence group and ward, and
//! prolific status (see [`crate::reoffending`]). Each dimension's groups add up to the
//! cohort; an unrecorded value is its own group. Groups seen only a year earlier are listed
//! with a cohort of 0.
//!
//! **Time to first re-offence** (Kaplan-Meier, [`crate::kaplan_meier`]): each member is an
//! event at the days to their first re-offence, or censored at the days of follow-up observed
//! (12 calendar months are 365 or 366 days; a provisional cohort is censored where the data
//! end). The monthly table reads the curve at m x 365.25 / 12 days (rounded).

use polars::prelude::*;
use serde_json::{json, Value};

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, round2, text_col};
use crate::config::Priority;
use crate::dims::{age_band, age_band_labels, NOT_RECORDED};
use crate::error::{internal, AnalysisError, Result};
use crate::kaplan_meier::{KaplanMeier, Observation};
use crate::names;
use crate::proportions::{fisher_exact, newcombe, wilson, Z95};
use crate::reoffending::{coverage, uncovered, Cohort, CohortPeriod, Member, Offences, Spec};
use crate::store::day_to_date;

/// A breakdown of a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    AgeBand,
    Sex,
    Ethnicity,
    OffenceGroup,
    Ward,
    Prolific,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::AgeBand,
        Dimension::Sex,
        Dimension::Ethnicity,
        Dimension::OffenceGroup,
        Dimension::Ward,
        Dimension::Prolific,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::AgeBand => "age_band",
            Dimension::Sex => "sex",
            Dimension::Ethnicity => "ethnicity",
            Dimension::OffenceGroup => "offence_group",
            Dimension::Ward => "ward",
            Dimension::Prolific => "prolific",
        }
    }

    /// The dimensions of a comma-separated list; `all` is every one, `none` (or nothing)
    /// none. `offender_age_band`, `index_offence_group` and the like are accepted too.
    pub fn parse_list(s: &str) -> Result<Vec<Dimension>> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let key = item.to_ascii_lowercase().replace('-', "_");
            if key == "all" {
                out.extend(Dimension::ALL);
                continue;
            }
            if key == "none" {
                continue;
            }
            let key = key.trim_start_matches("offender_").trim_start_matches("index_");
            let d = match key {
                "age" | "age_band" => Dimension::AgeBand,
                "sex" => Dimension::Sex,
                "ethnicity" => Dimension::Ethnicity,
                "offence_group" => Dimension::OffenceGroup,
                "ward" => Dimension::Ward,
                "prolific" | "prolific_status" => Dimension::Prolific,
                _ => {
                    return Err(AnalysisError::UnknownDimension {
                        name: item.to_string(),
                        valid: Dimension::ALL.iter().map(|d| d.name().to_string()).collect(),
                    })
                }
            };
            out.push(d);
        }
        let mut seen = Vec::new();
        out.retain(|d| {
            let new = !seen.contains(d);
            seen.push(*d);
            new
        });
        Ok(out)
    }
}

/// A group of a dimension: how it sorts, its label, and a code (wards).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    rank: u32,
    pub label: String,
    pub code: Option<String>,
}

/// Totals of a set of members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub cohort: u64,
    pub reoffenders: u64,
    pub reoffences: u64,
    pub harm: f64,
    firsts: Vec<i32>,
}

impl Figures {
    pub fn of<'m>(members: impl IntoIterator<Item = &'m Member>) -> Figures {
        let mut f = Figures::default();
        for m in members {
            f.add(m);
        }
        f
    }

    fn add(&mut self, m: &Member) {
        self.cohort += 1;
        if m.reoffences > 0 {
            self.reoffenders += 1;
        }
        self.reoffences += u64::from(m.reoffences);
        self.harm += m.harm;
        if let Some(d) = m.first_days {
            self.firsts.push(d);
        }
    }

    /// 100 r / n, unrounded.
    pub fn rate(&self) -> Option<f64> {
        (self.cohort > 0).then(|| 100.0 * self.reoffenders as f64 / self.cohort as f64)
    }

    pub fn median_days_to_first(&self) -> Option<f64> {
        let mut v = self.firsts.clone();
        v.sort_unstable();
        let n = v.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(f64::from(v[n / 2])),
            _ => Some((f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0),
        }
    }
}

/// The group of a member on a dimension.
pub struct Grouper<'a> {
    a: &'a Assessment,
    offences: &'a Offences<'a>,
    bands: &'a [u8],
    band_labels: Vec<String>,
    prolific_previous: u32,
}

impl<'a> Grouper<'a> {
    pub fn new(offences: &'a Offences<'a>, spec: &Spec) -> Grouper<'a> {
        let bands = offences.a.config.age_bands.as_slice();
        Grouper {
            a: offences.a,
            offences,
            bands,
            band_labels: age_band_labels(bands),
            prolific_previous: spec.prolific_previous,
        }
    }

    pub fn group(&self, d: Dimension, m: &Member) -> Group {
        let people = self.offences.offenders;
        let rec = m.index_record as usize;
        let row = m.index_row as usize;
        let named = |v: Option<&str>| match v {
            Some(v) => Group { rank: 0, label: v.to_string(), code: None },
            None => Group { rank: u32::MAX, label: NOT_RECORDED.into(), code: None },
        };
        let crime_text = |c: csa_model::Col| {
            self.a.data.crimes.text.get(&c).and_then(|t| t.get(row)).map(str::to_string)
        };
        match d {
            Dimension::AgeBand => match age_band(people.age[rec], self.bands) {
                0 => named(None),
                b => Group { rank: b, label: self.band_labels[b as usize - 1].clone(), code: None },
            },
            Dimension::Sex => named(people.sex.get(rec)),
            Dimension::Ethnicity => named(people.ethnicity.get(rec)),
            Dimension::OffenceGroup => named(crime_text(csa_model::Col::OffenceGroup).as_deref()),
            Dimension::Ward => match crime_text(csa_model::Col::WardCode) {
                Some(code) => Group {
                    rank: 0,
                    label: crime_text(csa_model::Col::WardName).unwrap_or_else(|| code.clone()),
                    code: Some(code),
                },
                None => Group { rank: u32::MAX, label: "(outside the wards)".into(), code: None },
            },
            Dimension::Prolific => {
                if m.previous >= self.prolific_previous {
                    Group { rank: 0, label: "prolific".into(), code: None }
                } else {
                    Group { rank: 1, label: "not prolific".into(), code: None }
                }
            }
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub dimension: String,
    pub group: String,
    pub code: Option<String>,
    pub current: Figures,
    pub comparison: Option<Figures>,
}

/// The rows: the whole cohort, then each dimension's groups.
pub fn rows(
    grouper: &Grouper,
    current: &Cohort,
    comparison: Option<&Cohort>,
    dims: &[Dimension],
) -> Vec<Row> {
    let mut out = vec![Row {
        dimension: "all".into(),
        group: "all".into(),
        code: None,
        current: Figures::of(&current.members),
        comparison: comparison.map(|c| Figures::of(&c.members)),
    }];
    for &d in dims {
        let mut groups: std::collections::BTreeMap<Group, (Figures, Figures)> =
            std::collections::BTreeMap::new();
        for m in &current.members {
            groups.entry(grouper.group(d, m)).or_default().0.add(m);
        }
        if let Some(c) = comparison {
            for m in &c.members {
                groups.entry(grouper.group(d, m)).or_default().1.add(m);
            }
        }
        for (g, (cur, cmp)) in groups {
            out.push(Row {
                dimension: d.name().into(),
                group: g.label,
                code: g.code,
                current: cur,
                comparison: comparison.map(|_| cmp),
            });
        }
    }
    out
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The table of [`rows`] (columns in the module header).
pub fn table(rows: &[Row]) -> Result<DataFrame> {
    let n = rows.len();
    let f = |g: &dyn Fn(&Row) -> Option<f64>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
    let i = |g: &dyn Fn(&Row) -> Option<i64>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
    let ratio = |a: u64, b: u64| (b > 0).then(|| round4(a as f64 / b as f64));
    fn cmp(r: &Row) -> Option<&Figures> {
        r.comparison.as_ref().filter(|c| c.cohort > 0)
    }
    let diff = |r: &Row| {
        let c = cmp(r)?;
        newcombe(r.current.reoffenders, r.current.cohort, c.reoffenders, c.cohort, Z95)
    };
    let cols = vec![
        text_col(names::DIMENSION, rows.iter().map(|r| Some(r.dimension.clone()))),
        text_col(names::GROUP, rows.iter().map(|r| Some(r.group.clone()))),
        text_col(names::CODE, rows.iter().map(|r| r.code.clone())),
        int_col(names::COHORT, i(&|r| Some(r.current.cohort as i64))),
        int_col(names::REOFFENDERS, i(&|r| Some(r.current.reoffenders as i64))),
        int_col(names::REOFFENCES, i(&|r| Some(r.current.reoffences as i64))),
        float_col(names::RATE_PCT, f(&|r| r.current.rate().map(round2))),
        float_col(
            names::RATE_CI_LOW_PCT,
            f(&|r| {
                wilson(r.current.reoffenders, r.current.cohort, Z95).map(|w| round2(100.0 * w.0))
            }),
        ),
        float_col(
            names::RATE_CI_HIGH_PCT,
            f(&|r| {
                wilson(r.current.reoffenders, r.current.cohort, Z95).map(|w| round2(100.0 * w.1))
            }),
        ),
        float_col(names::FREQUENCY, f(&|r| ratio(r.current.reoffences, r.current.cohort))),
        float_col(
            names::FREQUENCY_PER_REOFFENDER,
            f(&|r| ratio(r.current.reoffences, r.current.reoffenders)),
        ),
        float_col(names::HARM_CSS, f(&|r| Some(round2(r.current.harm)))),
        float_col(
            names::HARM_CSS_PER_OFFENDER,
            f(&|r| {
                (r.current.cohort > 0).then(|| round2(r.current.harm / r.current.cohort as f64))
            }),
        ),
        float_col(names::MEDIAN_DAYS_TO_FIRST, f(&|r| r.current.median_days_to_first())),
        int_col(names::COMPARISON_COHORT, i(&|r| r.comparison.as_ref().map(|c| c.cohort as i64))),
        int_col(
            names::COMPARISON_REOFFENDERS,
            i(&|r| r.comparison.as_ref().map(|c| c.reoffenders as i64)),
        ),
        float_col(names::COMPARISON_RATE_PCT, f(&|r| cmp(r).and_then(|c| c.rate()).map(round2))),
        float_col(
            names::CHANGE_PTS,
            f(&|r| match (r.current.rate(), cmp(r).and_then(|c| c.rate())) {
                (Some(a), Some(b)) => Some(round2(a - b)),
                _ => None,
            }),
        ),
        float_col(names::CHANGE_CI_LOW_PTS, f(&|r| diff(r).map(|d| round2(100.0 * d.0)))),
        float_col(names::CHANGE_CI_HIGH_PTS, f(&|r| diff(r).map(|d| round2(100.0 * d.1)))),
        float_col(
            names::P_VALUE,
            f(&|r| {
                let c = cmp(r)?;
                (r.current.cohort > 0).then(|| {
                    fisher_exact(r.current.reoffenders, r.current.cohort, c.reoffenders, c.cohort)
                })
            }),
        ),
    ];
    DataFrame::new(n, cols).map_err(internal)
}

/// The Kaplan-Meier curve of the time to first re-offence.
pub fn curve(c: &Cohort) -> KaplanMeier {
    let obs: Vec<Observation> = c
        .members
        .iter()
        .map(|m| match m.first_days {
            Some(d) => Observation { time: f64::from(d), event: true },
            None => Observation { time: f64::from(m.followed_days), event: false },
        })
        .collect();
    KaplanMeier::fit(&obs, Z95)
}

/// One month of [`curve_by_month`]: month, day, at risk, first re-offences, % re-offended,
/// interval.
type CurveRow = (i64, i64, Option<i64>, i64, f64, Option<f64>, Option<f64>);

/// The curve read month by month of the follow-up (module header).
pub fn curve_by_month(km: &KaplanMeier, months: u32) -> Result<DataFrame> {
    let mut rows: Vec<CurveRow> = Vec::new();
    let mut before = 0.0;
    for m in 1..=months {
        let day = (f64::from(m) * 365.25 / 12.0).round();
        let events: u64 =
            km.steps.iter().filter(|s| s.time > before && s.time <= day).map(|s| s.events).sum();
        let at_risk = km.steps.iter().find(|s| s.time > before).map(|s| s.at_risk as i64);
        let step = km.step_at(day);
        let s = step.map_or(1.0, |s| s.survival);
        rows.push((
            i64::from(m),
            day as i64,
            at_risk,
            events as i64,
            round2(100.0 * (1.0 - s)),
            step.map(|s| round4(s.ci_low)),
            step.map(|s| round4(s.ci_high)),
        ));
        before = day;
    }
    DataFrame::new(
        rows.len(),
        vec![
            int_col(names::MONTHS_AFTER_INDEX, rows.iter().map(|r| Some(r.0))),
            int_col(names::DAYS, rows.iter().map(|r| Some(r.1))),
            int_col(names::AT_RISK, rows.iter().map(|r| r.2)),
            int_col(names::FIRST_REOFFENCES, rows.iter().map(|r| Some(r.3))),
            float_col(names::REOFFENDED_PCT, rows.iter().map(|r| Some(r.4))),
            float_col(names::SURVIVAL_CI_LOW, rows.iter().map(|r| r.5)),
            float_col(names::SURVIVAL_CI_HIGH, rows.iter().map(|r| r.6)),
        ],
    )
    .map_err(internal)
}

/// Every step of the curve.
pub fn curve_steps(km: &KaplanMeier) -> Result<DataFrame> {
    let s = &km.steps;
    DataFrame::new(
        s.len(),
        vec![
            int_col(names::DAYS, s.iter().map(|x| Some(x.time as i64))),
            int_col(names::AT_RISK, s.iter().map(|x| Some(x.at_risk as i64))),
            int_col(names::EVENTS, s.iter().map(|x| Some(x.events as i64))),
            int_col(names::CENSORED, s.iter().map(|x| Some(x.censored as i64))),
            float_col(names::SURVIVAL, s.iter().map(|x| Some(round4(x.survival)))),
            float_col(names::SURVIVAL_CI_LOW, s.iter().map(|x| Some(round4(x.ci_low)))),
            float_col(names::SURVIVAL_CI_HIGH, s.iter().map(|x| Some(round4(x.ci_high)))),
        ],
    )
    .map_err(internal)
}

/// A result of several tables: what `csa reoffending` prints or writes.
#[derive(Debug, Clone)]
pub struct Output {
    pub title: String,
    /// (label, text) lines: the header of the text format and the "about" sheet.
    pub about: Vec<(String, String)>,
    pub notes: Vec<String>,
    /// The main table (CSV is this one).
    pub table: DataFrame,
    /// Further tables (sheets of the workbook, sections of the text format).
    pub sheets: Vec<(String, DataFrame)>,
    pub json: Value,
}

/// A cohort's measure: the cohort, the one a year earlier, the table and the curve.
#[derive(Debug, Clone)]
pub struct Reoffending {
    pub priority: String,
    pub current: Cohort,
    pub comparison: Option<Cohort>,
    pub rows: Vec<Row>,
    pub table: DataFrame,
    pub curve: KaplanMeier,
    pub notes: Vec<String>,
}

/// The measure for `period` on an assessment opened with [`crate::reoffending::needs`] over
/// [`Spec::load`]. An uncovered period is an error unless `spec.provisional`.
pub fn reoffending(
    a: &Assessment,
    p: &Priority,
    period: CohortPeriod,
    spec: &Spec,
    dims: &[Dimension],
) -> Result<Reoffending> {
    spec.check()?;
    let cov = coverage(a, period, spec)?;
    if !cov.complete() && !spec.provisional {
        return Err(uncovered(a, period, spec, &cov)?);
    }
    let offences = Offences::new(a)?;
    let current = offences.cohort(p, period, spec, cov)?;
    let earlier = period.year_earlier();
    let cov0 = coverage(a, earlier, spec)?;
    let mut notes = Vec::new();
    let comparison = if cov0.complete() {
        Some(offences.cohort(p, earlier, spec, cov0)?)
    } else {
        notes.push(format!(
            "no comparison with {earlier}: the data do not cover it ({} of the months {} to {} missing)",
            cov0.missing.len(),
            cov0.needed.0,
            cov0.needed.1
        ));
        None
    };
    if current.provisional {
        notes.push(format!(
            "PROVISIONAL: the data end {}, before the follow-up and waiting period of {period} (to {}); re-offences are those recorded so far and the time to first re-offence is censored at the data's end",
            current.coverage.data_end,
            spec.recorded_by(period)
        ));
    }
    if current.lookback_partial && dims.contains(&Dimension::Prolific) {
        notes.push(format!(
            "prolific status counts crimes in the 12 months before each index date, but the data start {}: people indexed before {} have a shorter look-back",
            current.coverage.data_start,
            crate::reoffending::add_months(current.coverage.data_start, 12)
        ));
    }
    let unrecorded =
        crate::breakdown::unrecorded_cols(&a.data.crimes, &[csa_model::Col::CommittedFrom]);
    if !unrecorded.is_empty() {
        notes.push("committed_from is not recorded: offence dates are the recorded dates".into());
    }
    let grouper = Grouper::new(&offences, spec);
    let rows = rows(&grouper, &current, comparison.as_ref(), dims);
    let table = table(&rows)?;
    let curve = curve(&current);
    Ok(Reoffending { priority: p.name.clone(), current, comparison, rows, table, curve, notes })
}

impl Reoffending {
    /// The title, the about lines, the tables and the JSON document.
    pub fn output(&self) -> Result<Output> {
        let c = &self.current;
        let s = &c.spec;
        let period = c.period;
        let all = crate::config::same_name(&self.priority, crate::config::ALL);
        let title = format!(
            "Proven re-offending: the {period} cohort{}{}",
            if all { String::new() } else { format!(" ({})", self.priority) },
            if c.provisional { " (PROVISIONAL)" } else { "" }
        );
        let total = self.rows.first().map(|r| r.current.clone()).unwrap_or_default();
        let mut about = vec![
            ("table".to_string(), title.clone()),
            ("counts".into(), "offenders (person ids) and their re-offences".into()),
            ("cohort".into(), period.to_string()),
            ("index dates".into(), format!("{} to {}", period.first_day(), period.last_day())),
            ("follow-up".into(), format!("{} months after the index date", s.follow_up_months)),
            (
                "waiting period".into(),
                format!("{} months (recorded by {})", s.waiting_months, s.recorded_by(period)),
            ),
            (
                "comparison".into(),
                self.comparison.as_ref().map_or("-".into(), |c| format!("the {} cohort", c.period)),
            ),
            ("priority".into(), self.priority.clone()),
            (
                "prolific".into(),
                format!(
                    "{}+ other crimes in the 12 months before the index date",
                    s.prolific_previous
                ),
            ),
            ("provisional".into(), if c.provisional { "yes" } else { "no" }.into()),
        ];
        for n in &self.notes {
            about.push(("note".into(), n.clone()));
        }
        let by_month = curve_by_month(&self.curve, s.follow_up_months)?;
        let steps = curve_steps(&self.curve)?;
        let date = |d: i32| day_to_date(d).to_string();
        let json = json!({
            "table": title,
            "cohort": period.to_string(),
            "index_dates": {"from": period.first_day().to_string(), "to": period.last_day().to_string()},
            "follow_up_months": s.follow_up_months,
            "waiting_months": s.waiting_months,
            "recorded_by": s.recorded_by(period).to_string(),
            "prolific_previous_crimes": s.prolific_previous,
            "priority": self.priority,
            "provisional": c.provisional,
            "coverage": c.coverage,
            "comparison_cohort": self.comparison.as_ref().map(|c| c.period.to_string()),
            "cohort_size": total.cohort,
            "reoffenders": total.reoffenders,
            "reoffences": total.reoffences,
            "first_index_date": c.members.iter().map(|m| m.index_day).min().map(date),
            "last_index_date": c.members.iter().map(|m| m.index_day).max().map(date),
            "notes": self.notes,
            "rows": crate::export::json_records(&self.table),
            "time_to_first": {
                "median_days_kaplan_meier": self.curve.median(),
                "by_month": crate::export::json_records(&by_month),
                "kaplan_meier": crate::export::json_records(&steps),
            },
        });
        Ok(Output {
            title,
            about,
            notes: self.notes.clone(),
            table: self.table.clone(),
            sheets: vec![("time_to_first".into(), by_month), ("kaplan_meier".into(), steps)],
            json,
        })
    }
}
