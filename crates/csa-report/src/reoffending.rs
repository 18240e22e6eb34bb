//! The Reducing Re-offending section of the pack: proven re-offending
//! ([`csa_analysis::reoffending`], 12 months' follow-up, 6 months' waiting) of every calendar
//! quarter's cohort whose follow-up the loaded data cover, the latest of them broken down by
//! age band, sex, ethnicity, index offence group, ward and prolific status, and its time to
//! first re-offence.
//!
//! Tables and their protection in the public edition ([`crate::table`]):
//!
//! | table | rows | protection |
//! |---|---|---|
//! | `reoffending_cohorts` | one per cohort quarter | a matrix per row: re-offenders + non-re-offenders = cohort, so neither can be worked out from the other (`Matrix`, no total row) |
//! | `reoffending_by_<dimension>` ([`breakdown_name`]) | the latest cohort's groups, then `Total` | a two-way matrix with its totals (`Matrix`, total row) |
//! | `reoffending_time_to_first` | months 1 to 12 of follow-up | first re-offences per month, a list (`Columns`) |
//!
//! Rates, frequencies, harm and median days are derived and hidden with a hidden count. The
//! change against the cohort a year earlier (and its test) draws on another cohort's counts,
//! and the cumulative % re-offended on earlier months' counts, so those columns are in the
//! restricted edition only.

use csa_analysis::config::Priority;
use csa_analysis::names;
use csa_analysis::quarter::Quarter;
use csa_analysis::reoffending::{coverage, covered_quarters, CohortPeriod, Offences, Spec};
use csa_analysis::reoffending_table::{
    curve, curve_by_month, rows, Dimension, Figures, Grouper, Row,
};
use csa_analysis::{Assessment, Result};

use crate::table::{Cell, Protect, Role, Table};

/// Name of the cohorts table.
pub const COHORTS: &str = "reoffending_cohorts";
/// Name of the time-to-first table.
pub const TIME_TO_FIRST: &str = "reoffending_time_to_first";

/// Name of the breakdown table of a dimension (no pack table name says "prolific": that
/// word marks the person-level lists the public edition leaves out).
pub fn breakdown_name(d: Dimension) -> &'static str {
    match d {
        Dimension::AgeBand => "reoffending_by_age_band",
        Dimension::Sex => "reoffending_by_sex",
        Dimension::Ethnicity => "reoffending_by_ethnic_group",
        Dimension::OffenceGroup => "reoffending_by_offence_group",
        Dimension::Ward => "reoffending_by_ward",
        Dimension::Prolific => "reoffending_by_prior_offending",
    }
}

/// What the report says in the section.
#[derive(Debug, Clone, Default)]
pub struct ReoffendingSection {
    /// The tables, in report order.
    pub tables: Vec<String>,
    pub notes: Vec<String>,
    /// The cohort broken down (the latest covered).
    pub latest: Option<String>,
    pub spec: Spec,
}

const REOFFENDED_BY_PCT: &str = "reoffended_by_then_pct";

/// The section's tables, from the loaded data.
pub fn section(a: &Assessment) -> Result<(ReoffendingSection, Vec<Table>)> {
    let spec = Spec::default();
    let mut s = ReoffendingSection { spec, ..ReoffendingSection::default() };
    if a.data.offenders.as_ref().is_none_or(|o| o.is_empty()) {
        s.notes.push("The data have no offenders (police.uk data carry no people), so proven re-offending cannot be measured; a force extract with offenders' person ids gives it.".into());
        return Ok((s, Vec::new()));
    }
    let quarters = covered_quarters(a, &spec)?;
    let Some(latest) = quarters.last().copied() else {
        s.notes.push(format!(
            "The data read ({}) do not cover the {} months' follow-up and {} months' waiting period of any quarter's cohort, so there is no proven re-offending rate yet.",
            a.data.months, spec.follow_up_months, spec.waiting_months
        ));
        return Ok((s, Vec::new()));
    };
    let all = Priority::all();
    let offences = Offences::new(a)?;
    let mut cohorts = Vec::new();
    for q in &quarters {
        let p = CohortPeriod::Quarter(*q);
        cohorts.push(offences.cohort(&all, p, &spec, coverage(a, p, &spec)?)?);
    }
    let mut tables = vec![cohorts_table(&quarters, &cohorts)];
    let current = cohorts.last().ok_or_else(|| csa_analysis::error::internal("no cohort"))?;
    let earlier = latest.plus(-4);
    let comparison = quarters.iter().position(|q| *q == earlier).map(|i| &cohorts[i]);
    if comparison.is_none() {
        s.notes.push(format!(
            "The {latest} cohort cannot be compared with {earlier}: the data do not cover that cohort's follow-up."
        ));
    }
    if current.lookback_partial {
        s.notes.push(format!(
            "Prolific status (3 or more other crimes in the 12 months before the index date) can only look back to {}, so some of the {latest} cohort are classed on a shorter history.",
            current.coverage.data_start
        ));
    }
    let grouper = Grouper::new(&offences, &spec);
    for d in Dimension::ALL {
        let r = rows(&grouper, current, comparison, &[d]);
        tables.push(breakdown_table(d, latest, &r));
    }
    tables.push(time_to_first_table(latest, current)?);
    s.latest = Some(latest.to_string());
    s.tables = tables.iter().map(|t| t.name.clone()).collect();
    Ok((s, tables))
}

fn count(v: u64) -> Cell {
    Cell::Int(v as i64)
}

fn num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Null, |x| Cell::Float(csa_analysis::breakdown::round2(x)))
}

/// rate, its interval, re-offences, frequencies, harm, median days of a group.
fn figures_cells(f: &Figures) -> Vec<Cell> {
    let ci =
        csa_analysis::proportions::wilson(f.reoffenders, f.cohort, csa_analysis::proportions::Z95);
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    vec![
        num(f.rate()),
        num(ci.map(|c| 100.0 * c.0)),
        num(ci.map(|c| 100.0 * c.1)),
        count(f.reoffences),
        num(ratio(f.reoffences, f.cohort)),
        num(ratio(f.reoffences, f.reoffenders)),
        num(Some(f.harm)),
        num(f.median_days_to_first()),
    ]
}

const FIGURE_COLUMNS: [(&str, Role); 8] = [
    (names::RATE_PCT, Role::Derived),
    (names::RATE_CI_LOW_PCT, Role::Derived),
    (names::RATE_CI_HIGH_PCT, Role::Derived),
    (names::REOFFENCES, Role::Small),
    (names::FREQUENCY, Role::Derived),
    (names::FREQUENCY_PER_REOFFENDER, Role::Derived),
    (names::HARM_CSS, Role::Derived),
    (names::MEDIAN_DAYS_TO_FIRST, Role::Derived),
];

/// The change against the cohort a year earlier (restricted edition only).
const CHANGE_COLUMNS: [&str; 5] = [
    names::COMPARISON_RATE_PCT,
    names::CHANGE_PTS,
    names::CHANGE_CI_LOW_PTS,
    names::CHANGE_CI_HIGH_PTS,
    names::P_VALUE,
];

fn change_cells(cur: &Figures, before: Option<&Figures>) -> Vec<Cell> {
    let Some(b) = before.filter(|b| b.cohort > 0 && cur.cohort > 0) else {
        return vec![Cell::Null; CHANGE_COLUMNS.len()];
    };
    let z = csa_analysis::proportions::Z95;
    let d = csa_analysis::proportions::newcombe(
        cur.reoffenders,
        cur.cohort,
        b.reoffenders,
        b.cohort,
        z,
    );
    vec![
        num(b.rate()),
        num(cur.rate().zip(b.rate()).map(|(x, y)| x - y)),
        num(d.map(|d| 100.0 * d.0)),
        num(d.map(|d| 100.0 * d.1)),
        Cell::Float(csa_analysis::proportions::fisher_exact(
            cur.reoffenders,
            cur.cohort,
            b.reoffenders,
            b.cohort,
        )),
    ]
}

/// The key, count and figure columns, then the change columns.
fn layout(keys: &[&'static str]) -> (Vec<&'static str>, Vec<Role>) {
    let mut cols: Vec<&'static str> = keys.to_vec();
    let mut roles = vec![Role::Key; keys.len()];
    for c in [names::REOFFENDERS, names::NON_REOFFENDERS, names::COHORT] {
        cols.push(c);
        roles.push(Role::Count);
    }
    for (c, r) in FIGURE_COLUMNS {
        cols.push(c);
        roles.push(r);
    }
    for c in CHANGE_COLUMNS {
        cols.push(c);
        roles.push(Role::Derived);
    }
    (cols, roles)
}

fn counts(f: &Figures) -> [Cell; 3] {
    [count(f.reoffenders), count(f.cohort - f.reoffenders), count(f.cohort)]
}

fn cohorts_table(quarters: &[Quarter], cohorts: &[csa_analysis::reoffending::Cohort]) -> Table {
    let (cols, roles) = layout(&[names::COHORT_PERIOD]);
    let mut t = Table::new(
        COHORTS,
        "Proven re-offending of each quarter's offender cohort (12 months' follow-up, 6 months' waiting)",
        &cols,
        &roles,
        Protect::Matrix { total_row: false },
    );
    t.restricted_columns = CHANGE_COLUMNS.iter().map(|c| c.to_string()).collect();
    let figures: Vec<Figures> = cohorts.iter().map(|c| Figures::of(&c.members)).collect();
    for (i, q) in quarters.iter().enumerate() {
        let f = &figures[i];
        let before = quarters.iter().position(|x| *x == q.plus(-4)).map(|j| &figures[j]);
        let mut row = vec![Cell::Text(q.to_string())];
        row.extend(counts(f));
        row.extend(figures_cells(f));
        row.extend(change_cells(f, before));
        t.rows.push(row);
    }
    t
}

fn breakdown_table(d: Dimension, q: Quarter, rows: &[Row]) -> Table {
    let ward = d == Dimension::Ward;
    let keys: &[&'static str] = if ward { &[names::GROUP, names::CODE] } else { &[names::GROUP] };
    let (cols, roles) = layout(keys);
    let label = match d {
        Dimension::AgeBand => "age band at the index date",
        Dimension::Sex => "sex",
        Dimension::Ethnicity => "ethnicity",
        Dimension::OffenceGroup => "index offence group",
        Dimension::Ward => "ward of the index offence",
        Dimension::Prolific => "prolific status (3+ other crimes in the 12 months before)",
    };
    let mut t = Table::new(
        breakdown_name(d),
        &format!("Proven re-offending of the {q} cohort by {label}"),
        &cols,
        &roles,
        Protect::Matrix { total_row: true },
    );
    t.restricted_columns = CHANGE_COLUMNS.iter().map(|c| c.to_string()).collect();
    // the groups (rows[0] is the whole cohort: it goes last, as the total row)
    for r in rows.iter().skip(1).chain(rows.first()) {
        let total = r.dimension == "all";
        let mut row = vec![Cell::Text(if total { "Total".into() } else { r.group.clone() })];
        if ward {
            row.push(r.code.clone().map_or(Cell::Null, Cell::Text));
        }
        row.extend(counts(&r.current));
        row.extend(figures_cells(&r.current));
        row.extend(change_cells(&r.current, r.comparison.as_ref()));
        t.rows.push(row);
    }
    t
}

fn time_to_first_table(q: Quarter, c: &csa_analysis::reoffending::Cohort) -> Result<Table> {
    let km = curve(c);
    let df = curve_by_month(&km, c.spec.follow_up_months)?;
    let src = Table::from_df("km", "", &df, Protect::Primary)?;
    let mut t = Table::new(
        TIME_TO_FIRST,
        &format!("Time to first re-offence, the {q} cohort (Kaplan-Meier)"),
        &[names::MONTHS_AFTER_INDEX, names::DAYS, names::FIRST_REOFFENCES, REOFFENDED_BY_PCT],
        &[Role::Key, Role::Key, Role::Count, Role::Derived],
        Protect::Columns { group: Vec::new() },
    );
    t.restricted_columns = vec![REOFFENDED_BY_PCT.into()];
    for i in 0..src.rows.len() {
        t.rows.push(vec![
            src.get(i, names::MONTHS_AFTER_INDEX).clone(),
            src.get(i, names::DAYS).clone(),
            src.get(i, names::FIRST_REOFFENCES).clone(),
            src.get(i, names::REOFFENDED_PCT).clone(),
        ]);
    }
    Ok(t)
}
