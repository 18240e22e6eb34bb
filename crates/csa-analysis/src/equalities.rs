//! Equalities: each group's share of the victims (or offenders) of a priority against its
//! share of the resident population.
//!
//! People are counted once (distinct ids in the current period, described by their latest
//! record). Groups not recorded ("Not stated", unknown sex or age) are reported in `unknown`
//! and left out of the shares. For group `g` with `a` people of `n` known and population `b`
//! of `m`:
//!
//! `ratio = (a / n) / (b / m)` (1 = proportionate, 2 = twice the population share), with a 95%
//! confidence interval on the log scale (Katz): `exp(ln(ratio) +- 1.96 * sqrt(1/a - 1/n + 1/b - 1/m))`.
//! No interval when `a` is 0. Ratios need a group population table (see
//! [`crate::population`]); without one the shares are still given and the ratio is null.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, people_of, round2, text_col};
use crate::config::Priority;
use crate::dims::{age_band, age_band_labels, Side};
use crate::error::{internal, AnalysisError, Result};
use crate::names;
use crate::needs::Needs;

/// Ratio of proportions and its 95% Katz interval.
pub fn ratio_ci(a: f64, n: f64, b: f64, m: f64) -> Option<(f64, Option<(f64, f64)>)> {
    if n <= 0.0 || b <= 0.0 || m <= 0.0 {
        return None;
    }
    let r = (a / n) / (b / m);
    if a <= 0.0 {
        return Some((r, None));
    }
    let se = (1.0 / a - 1.0 / n + 1.0 / b - 1.0 / m).max(0.0).sqrt();
    Some((r, Some(((r.ln() - 1.96 * se).exp(), (r.ln() + 1.96 * se).exp()))))
}

fn unknown(dimension: &str, label: &str) -> bool {
    match dimension {
        "sex" => label.eq_ignore_ascii_case("unknown"),
        "ethnicity" => label.eq_ignore_ascii_case("not stated"),
        _ => false,
    }
}

/// What [`equalities`] of `p` on `side` needs loaded.
pub fn needs(p: &Priority, side: Side) -> Needs {
    let n = Needs::for_priority(p);
    match side {
        Side::Victim => n.with_victims(),
        Side::Offender => n.with_offenders(),
        Side::Crime => n,
    }
}

pub fn equalities(a: &Assessment, p: &Priority, side: Side) -> Result<DataFrame> {
    let people = people_of(a, side)?
        .ok_or_else(|| AnalysisError::Internal("people were not loaded".into()))?;
    let crimes = &a.data.crimes;
    let sel = a.selector(p)?;
    let mut in_period = vec![false; crimes.len];
    for r in sel.rows(crimes, a.periods.current) {
        in_period[r as usize] = true;
    }
    // latest record of each person: (date, record index)
    let mut latest: FxHashMap<u32, (i32, usize)> = FxHashMap::default();
    for (i, &c) in people.crime.iter().enumerate() {
        if in_period[c as usize] {
            let d = crimes.date[c as usize];
            let e = latest.entry(people.person.codes[i]).or_insert((d, i));
            if d >= e.0 {
                *e = (d, i);
            }
        }
    }
    let bands = &a.config.age_bands;
    let band_labels = age_band_labels(bands);
    let mut rows: Vec<(String, String, u64)> = Vec::new();
    let mut unknowns: FxHashMap<&str, u64> = FxHashMap::default();
    for dimension in ["age_band", "sex", "ethnicity"] {
        let mut counts: FxHashMap<String, u64> = FxHashMap::default();
        for &(_, i) in latest.values() {
            let label = match dimension {
                "age_band" => match age_band(people.age[i], bands) {
                    0 => None,
                    k => Some(band_labels[k as usize - 1].clone()),
                },
                "sex" => people.sex.get(i).map(str::to_string),
                _ => people.ethnicity.get(i).map(str::to_string),
            };
            match label.filter(|l| !unknown(dimension, l)) {
                Some(l) => *counts.entry(l).or_default() += 1,
                None => *unknowns.entry(dimension).or_default() += 1,
            }
        }
        let mut groups: Vec<(String, u64)> = counts.into_iter().collect();
        // population groups with no people still get a row
        for g in a.population.groups_of(dimension).keys() {
            if !unknown(dimension, g) && !groups.iter().any(|(l, _)| l == g) {
                groups.push((g.to_string(), 0));
            }
        }
        if dimension == "age_band" {
            groups.sort_by_key(|(l, _)| {
                band_labels.iter().position(|b| b == l).unwrap_or(usize::MAX)
            });
        } else {
            groups.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        }
        rows.extend(groups.into_iter().map(|(l, c)| (dimension.to_string(), l, c)));
    }
    let known: FxHashMap<&str, u64> = ["age_band", "sex", "ethnicity"]
        .iter()
        .map(|d| (*d, rows.iter().filter(|r| r.0 == *d).map(|r| r.2).sum()))
        .collect();
    let pops: FxHashMap<&str, FxHashMap<&str, f64>> =
        ["age_band", "sex", "ethnicity"].iter().map(|d| (*d, a.population.groups_of(d))).collect();
    let pop_total =
        |d: &str| pops[d].iter().filter(|(g, _)| !unknown(d, g)).map(|(_, n)| *n).sum::<f64>();
    // (group share %, population share %, ratio with its interval)
    type Stat = (Option<f64>, Option<f64>, Option<(f64, Option<(f64, f64)>)>);
    let stats: Vec<Stat> = rows
        .iter()
        .map(|(d, g, c)| {
            let n = known[d.as_str()] as f64;
            let share = (n > 0.0).then(|| round2(100.0 * *c as f64 / n));
            let b = pops[d.as_str()].get(g.as_str()).copied();
            let m = pop_total(d);
            let pshare = b.filter(|_| m > 0.0).map(|b| round2(100.0 * b / m));
            (share, pshare, b.and_then(|b| ratio_ci(*c as f64, n, b, m)))
        })
        .collect();
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    DataFrame::new(
        rows.len(),
        vec![
            text_col(names::DIMENSION, rows.iter().map(|r| Some(r.0.clone()))),
            text_col(names::GROUP, rows.iter().map(|r| Some(r.1.clone()))),
            int_col(names::PEOPLE, rows.iter().map(|r| Some(r.2 as i64))),
            float_col(names::GROUP_SHARE_PCT, stats.iter().map(|s| s.0)),
            float_col(names::POPULATION_SHARE_PCT, stats.iter().map(|s| s.1)),
            float_col(names::RATIO, stats.iter().map(|s| s.2.map(|r| r3(r.0)))),
            float_col(
                names::RATIO_LOW,
                stats.iter().map(|s| s.2.and_then(|r| r.1).map(|c| r3(c.0))),
            ),
            float_col(
                names::RATIO_HIGH,
                stats.iter().map(|s| s.2.and_then(|r| r.1).map(|c| r3(c.1))),
            ),
            int_col(names::KNOWN, rows.iter().map(|r| Some(known[r.0.as_str()] as i64))),
            int_col(
                names::UNKNOWN,
                rows.iter().map(|r| Some(*unknowns.get(r.0.as_str()).unwrap_or(&0) as i64)),
            ),
        ],
    )
    .map_err(internal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn katz_interval_by_hand() {
        // 30 of 100 victims are in a group that is 20% of 1,000 residents: ratio 1.5;
        // se = sqrt(1/30 - 1/100 + 1/200 - 1/1000) = sqrt(0.0273333) = 0.165328
        let (r, ci) = ratio_ci(30.0, 100.0, 200.0, 1000.0).unwrap();
        assert!((r - 1.5).abs() < 1e-12);
        let (lo, hi) = ci.unwrap();
        assert!((lo - 1.5 * (-1.96f64 * 0.165328).exp()).abs() < 1e-4, "{lo}");
        assert!((hi - 1.5 * (1.96f64 * 0.165328).exp()).abs() < 1e-4, "{hi}");
        assert_eq!(ratio_ci(0.0, 100.0, 200.0, 1000.0), Some((0.0, None)));
        assert_eq!(ratio_ci(1.0, 0.0, 200.0, 1000.0), None);
    }
}
