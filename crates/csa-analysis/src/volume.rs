//! The volume table: one row per priority with its count, change, rate and harm.
//!
//! - `count`, `comparison`, `change`, `change_pct` as in [`crate::breakdown`];
//! - `rate_per_1000` = 1000 * count / area population (residents, or households for a
//!   priority with `denominator = "households"`; area = the wards with records);
//! - `harm_css` = sum of ONS Crime Severity Score weights of the priority's crimes;
//!   `harm_css_per_head` = harm_css / residents, ONS's Crime Severity Score (ONS publishes
//!   it per head of population: weights in days of custody, so an area's score is in the
//!   tens, and a priority's is its share of it); `harm_coverage_pct` =
//!   share of the priority's crimes (ASB excluded) with a weight, `harm_estimated_pct` the
//!   share weighted by their crime type's average because they have no offence code (see
//!   [`crate::harm`]);
//! - `harm_chi` = sum of Cambridge Crime Harm Index weights, when a CHI table is configured.

use csa_model::{Col, CrimeType, OffenceTable};
use polars::prelude::*;

use crate::assessment::Assessment;
use crate::breakdown::{change_pct, float_col, int_col, round2, select, text_col};
use crate::config::{Denominator, Priority};
use crate::error::{internal, Result};
use crate::harm::css_by_crime_type;
use crate::names;
use crate::needs::Needs;

/// The crime columns [`harm`] reads (load them with the priorities' own).
pub const HARM_COLUMNS: &[Col] = &[Col::OffenceCode, Col::CrimeType, Col::RecordKind];

/// Harm of a set of rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Harm {
    /// Sum of CSS weights, exact and estimated.
    pub css: f64,
    /// Sum of CHI weights, when a CHI table is configured.
    pub chi: Option<f64>,
    /// Crime rows (ASB excluded).
    pub crimes: u64,
    /// Crime rows weighted by their offence code.
    pub weighted: u64,
    /// Crime rows weighted by their crime type's average (no offence code).
    pub estimated: u64,
}

pub fn harm(a: &Assessment, rows: &[u32]) -> Result<Harm> {
    let crimes = &a.data.crimes;
    let codes = crimes.text(Col::OffenceCode)?;
    let kinds = crimes.text(Col::RecordKind)?;
    let types = crimes.text(Col::CrimeType)?;
    let offences = OffenceTable::shipped();
    // weight per dictionary code, looked up once
    let css: Vec<Option<f64>> = std::iter::once(None)
        .chain(codes.values.iter().map(|c| offences.get(c).and_then(|o| o.css_weight)))
        .collect();
    let by_type = css_by_crime_type();
    let type_css: Vec<Option<f64>> = std::iter::once(None)
        .chain(
            types.values.iter().map(|t| CrimeType::parse(t).and_then(|t| by_type.get(&t).copied())),
        )
        .collect();
    let chi: Option<Vec<Option<f64>>> = a.chi.as_ref().map(|t| {
        std::iter::once(None).chain(codes.values.iter().map(|c| t.get(c).copied())).collect()
    });
    // ASB and partner incidents carry no crime harm
    let asb = kinds.code_of("asb").unwrap_or(u32::MAX);
    let incident = kinds.code_of(csa_model::RecordKind::Incident.name()).unwrap_or(u32::MAX);
    let mut h =
        Harm { css: 0.0, chi: chi.as_ref().map(|_| 0.0), crimes: 0, weighted: 0, estimated: 0 };
    for &r in rows {
        let r = r as usize;
        if kinds.codes[r] == asb || kinds.codes[r] == incident {
            continue;
        }
        h.crimes += 1;
        let c = codes.codes[r] as usize;
        if let Some(w) = css[c] {
            h.css += w;
            h.weighted += 1;
        } else if let (0, Some(w)) = (c, type_css[types.codes[r] as usize]) {
            h.css += w;
            h.estimated += 1;
        }
        if let (Some(total), Some(w)) = (h.chi.as_mut(), chi.as_ref().and_then(|t| t[c])) {
            *total += w;
        }
    }
    Ok(h)
}

/// One row per priority.
/// What [`volume`] of `priorities` needs loaded: their filters' columns and the harm columns.
pub fn needs(priorities: &[Priority]) -> Needs {
    Needs::for_priorities(priorities).with(HARM_COLUMNS.iter().copied())
}

pub fn volume(a: &Assessment, priorities: &[Priority]) -> Result<DataFrame> {
    let residents = a.area_population(false);
    let households = a.area_population(true);
    // priorities are independent: selected and weighed in parallel, kept in order
    use rayon::prelude::*;
    let rows: Vec<_> = priorities
        .par_iter()
        .map(|p| -> Result<_> {
            let s = select(a, p)?;
            let h = harm(a, &s.current)?;
            let pop = if p.denominator == Denominator::Households { households } else { residents };
            Ok((
                p,
                s.current.len() as u64,
                s.comparison_covered.then_some(s.comparison.len() as u64),
                pop,
                h,
                s.unrecorded.clone(),
            ))
        })
        .collect::<Result<_>>()?;
    let rate = |n: Option<u64>, pop: Option<f64>| match (n, pop) {
        (Some(n), Some(p)) if p > 0.0 => Some(round2(1000.0 * n as f64 / p)),
        _ => None,
    };
    let mut columns = vec![
        text_col(names::PRIORITY, rows.iter().map(|r| Some(r.0.name.clone()))),
        text_col(
            names::SUBGROUPS,
            rows.iter().map(|r| {
                Some(r.0.subgroups.iter().map(|g| g.name()).collect::<Vec<_>>().join("; "))
            }),
        ),
        int_col(names::COUNT, rows.iter().map(|r| Some(r.1 as i64))),
        int_col(names::COMPARISON, rows.iter().map(|r| r.2.map(|c| c as i64))),
        int_col(names::CHANGE, rows.iter().map(|r| r.2.map(|c| r.1 as i64 - c as i64))),
        float_col(
            names::CHANGE_PCT,
            rows.iter().map(|r| r.2.and_then(|c| change_pct(r.1 as f64, c as f64))),
        ),
        text_col(names::DENOMINATOR, rows.iter().map(|r| Some(r.0.denominator.name().to_string()))),
        float_col(names::POPULATION, rows.iter().map(|r| r.3)),
        float_col(names::RATE_PER_1000, rows.iter().map(|r| rate(Some(r.1), r.3))),
        float_col(names::COMPARISON_RATE_PER_1000, rows.iter().map(|r| rate(r.2, r.3))),
        float_col(names::HARM_CSS, rows.iter().map(|r| Some(round2(r.4.css)))),
        float_col(
            names::HARM_CSS_PER_HEAD,
            rows.iter().map(|r| {
                residents.filter(|p| *p > 0.0).map(|p| (r.4.css / p * 10_000.0).round() / 10_000.0)
            }),
        ),
        float_col(
            names::HARM_COVERAGE_PCT,
            rows.iter().map(|r| share(r.4.weighted + r.4.estimated, r.4.crimes)),
        ),
        float_col(names::HARM_ESTIMATED_PCT, rows.iter().map(|r| share(r.4.estimated, r.4.crimes))),
    ];
    if a.chi.is_some() {
        columns.push(float_col(names::HARM_CHI, rows.iter().map(|r| r.4.chi.map(round2))));
    }
    // caveats that change what the count means (columns the filter needs but the data lacks)
    columns.push(text_col(
        names::NOTE,
        rows.iter().map(|r| {
            (!r.5.is_empty()).then(|| {
                format!(
                    "not recorded in the data: {}",
                    r.5.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
                )
            })
        }),
    ));
    DataFrame::new(rows.len(), columns).map_err(internal)
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round2(100.0 * part as f64 / whole as f64))
}
