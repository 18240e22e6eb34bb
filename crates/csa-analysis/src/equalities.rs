//! Equalities: each group's share of the victims (or offenders) of a priority against its
//! share of the resident population, for the whole area ([`equalities`]) and ward by ward
//! ([`equalities_by_ward`]).
//!
//! People are counted once (distinct ids among the priority's records in the current
//! period, described by their latest record); ward by ward, once in each ward where one of
//! those records happened (the ward of the crime, not the person's home: a person victimised
//! in two wards counts in both). Groups not recorded ("Not stated", unknown sex or age) are
//! reported in `unknown` and left out of the shares. Ages use the configured `age_bands`, and
//! so does the population (banded from census single years, [`crate::population`]).
//!
//! For group `g` with `a` people of the `n` with a known value and a population of `b` of `m`:
//!
//! | figure | formula |
//! |---|---|
//! | `group_share_pct` | `100 a / n` |
//! | `population_share_pct` | `100 b / m` |
//! | `ratio` | `(a / n) / (b / m)`: 1 = proportionate, 2 = twice the population share |
//! | 95% interval, `0 < a < n` | Katz log method: `exp(ln(ratio) +- 1.96 sqrt(1/a - 1/n + 1/b - 1/m))` |
//! | 95% interval, `a = 0` or `a = n` | Katz has no width there: the exact Clopper-Pearson bounds of `a / n`, `[0, 1 - 0.025^(1/n)]` or `[0.025^(1/n), 1]`, divided by `b / m` (the census side taken as exact; its term `1/b - 1/m` is negligible beside these) |
//! | `finding` | `over-represented` when the interval lies above 1, `under-represented` when below, else `no clear difference` |
//!
//! For the whole area, a dimension with no known people (a priority without victims, such as
//! weapon possession) has no rows; a group without residents has no ratio. Ward by ward,
//! every group of every ward is listed, and small numbers give no
//! ratio either: fewer than [`MIN_WARD_PEOPLE`] people of the ward with a known value of the
//! dimension (the `note` says so); the public edition's disclosure control then hides counts
//! of 1 to 4 and whatever would give them away (csa-report).

use csa_model::{Col, Ethnicity, Sex};
use polars::prelude::*;
use rustc_hash::FxHashMap;

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, people_of, round2, text_col};
use crate::config::Priority;
use crate::data::People;
use crate::dims::{age_band, age_band_labels, Side};
use crate::error::{internal, AnalysisError, Result};
use crate::names;
use crate::needs::Needs;
use crate::population::{GroupCounts, GroupDim, GROUP_DIMENSIONS};

/// Ward by ward, the least number of people with a known value of a dimension for a ratio.
pub const MIN_WARD_PEOPLE: u64 = 10;
/// z of the two-sided 95% interval.
const Z: f64 = 1.96;
/// Tail probability of each side of the 95% interval.
const TAIL: f64 = 0.025;

/// Ratio of proportions and its 95% interval (see the module header); `None` when there
/// are no known people (`n` = 0) or no residents in the group.
pub fn ratio_ci(a: f64, n: f64, b: f64, m: f64) -> Option<(f64, (f64, f64))> {
    if n <= 0.0 || b <= 0.0 || m <= 0.0 || a < 0.0 || a > n {
        return None;
    }
    let pop_share = b / m;
    let r = (a / n) / pop_share;
    if a == 0.0 {
        return Some((r, (0.0, (1.0 - TAIL.powf(1.0 / n)) / pop_share)));
    }
    if a == n {
        return Some((r, (TAIL.powf(1.0 / n) / pop_share, 1.0 / pop_share)));
    }
    let se = (1.0 / a - 1.0 / n + 1.0 / b - 1.0 / m).max(0.0).sqrt();
    Some((r, ((r.ln() - Z * se).exp(), (r.ln() + Z * se).exp())))
}

/// `over-represented` / `under-represented` when the interval lies above / below 1, else
/// `no clear difference`.
pub fn finding(ci: (f64, f64)) -> &'static str {
    if ci.0 > 1.0 {
        "over-represented"
    } else if ci.1 < 1.0 {
        "under-represented"
    } else {
        "no clear difference"
    }
}

fn unknown(dimension: GroupDim, label: &str) -> bool {
    dimension.is_unknown(label)
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

/// People of one area (the whole area or a ward) by group, per dimension: counted by code
/// (age band number, the sex and ethnicity dictionaries' codes) as people are added, and
/// given their labels once ([`Tally::labelled`]); no text is looked at per person.
#[derive(Default)]
struct Tally {
    codes: [Vec<u64>; 3],
}

impl Tally {
    fn add(&mut self, people: &People, i: usize, bands: &[u8]) {
        for (k, d) in GROUP_DIMENSIONS.iter().enumerate() {
            let code = match d {
                GroupDim::AgeBand => age_band(people.age[i], bands) as usize,
                GroupDim::Sex => people.sex.codes[i] as usize,
                GroupDim::Ethnicity => people.ethnicity.codes[i] as usize,
            };
            let counts = &mut self.codes[k];
            if counts.len() <= code {
                counts.resize(code + 1, 0);
            }
            counts[code] += 1;
        }
    }

    /// People by group label per dimension, and those whose group is not recorded.
    fn labelled<'a>(&self, people: &'a People, band_labels: &'a [String]) -> Labelled<'a> {
        let mut out = Labelled::default();
        for (k, d) in GROUP_DIMENSIONS.iter().enumerate() {
            for (code, &n) in self.codes[k].iter().enumerate().filter(|(_, n)| **n > 0) {
                let l = match (d, code) {
                    (_, 0) => None,
                    (GroupDim::AgeBand, k) => Some(band_labels[k - 1].as_str()),
                    (GroupDim::Sex, c) => people.sex.values.get(c - 1).map(String::as_str),
                    (GroupDim::Ethnicity, c) => {
                        people.ethnicity.values.get(c - 1).map(String::as_str)
                    }
                };
                match l.filter(|l| !unknown(*d, l)) {
                    Some(l) => *out.counts[k].entry(l).or_default() += n,
                    None => out.unknown[k] += n,
                }
            }
        }
        out
    }
}

/// A [`Tally`] by group label.
#[derive(Default)]
struct Labelled<'a> {
    counts: [FxHashMap<&'a str, u64>; 3],
    unknown: [u64; 3],
}

/// One row of an equalities table.
struct Row {
    dimension: GroupDim,
    group: String,
    people: u64,
    known: u64,
    unknown: u64,
    share: Option<f64>,
    population: Option<f64>,
    pop_share: Option<f64>,
    ratio: Option<(f64, (f64, f64))>,
    note: Option<String>,
}

/// Order of the groups of a dimension: age bands youngest first, sex and ethnic group in
/// the vocabularies' order, anything else after them by name.
fn group_order(dimension: GroupDim, group: &str, band_labels: &[String]) -> (usize, String) {
    let pos = match dimension {
        GroupDim::AgeBand => band_labels.iter().position(|b| b == group),
        GroupDim::Sex => Sex::ALL.iter().position(|s| s.name() == group),
        GroupDim::Ethnicity => Ethnicity::ALL.iter().position(|e| e.name() == group),
    };
    (pos.unwrap_or(usize::MAX), group.to_string())
}

/// The rows of one area: every group with people or residents, per dimension.
/// `min_known`: 0 for the whole area, where a dimension without known people has no rows
/// (no share or ratio to give); else the small-number rule of a ward, whose every group is
/// listed with a note.
fn rows_of(
    tally: &Labelled,
    pops: &[std::result::Result<GroupCounts, String>; 3],
    band_labels: &[String],
    min_known: u64,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for (k, &dimension) in GROUP_DIMENSIONS.iter().enumerate() {
        let counts = &tally.counts[k];
        if min_known == 0 && counts.is_empty() {
            continue;
        }
        let pop = pops[k].as_ref().ok();
        let mut groups: Vec<&str> = counts.keys().copied().collect();
        if let Some(p) = pop {
            for g in p.residents.keys() {
                if !unknown(dimension, g) && !groups.contains(&g.as_str()) {
                    groups.push(g.as_str());
                }
            }
        }
        groups.sort_by_key(|g| group_order(dimension, g, band_labels));
        let known: u64 = counts.values().sum();
        let m: f64 = pop.map_or(0.0, |p| {
            p.residents.iter().filter(|(g, _)| !unknown(dimension, g)).map(|(_, n)| *n).sum()
        });
        for g in groups {
            let a = counts.get(g).copied().unwrap_or(0);
            let b = pop.and_then(|p| p.residents.get(g).copied());
            let small = known < min_known;
            let note = match (&pops[k], small) {
                (Err(why), _) => Some(why.clone()),
                (Ok(_), true) => Some(format!(
                    "fewer than {min_known} people with a known {}: no ratio",
                    dimension.noun()
                )),
                (Ok(_), false) if b.unwrap_or(0.0) <= 0.0 => {
                    Some("no residents in this group: no ratio".into())
                }
                _ => None,
            };
            rows.push(Row {
                dimension,
                group: g.to_string(),
                people: a,
                known,
                unknown: tally.unknown[k],
                share: (known > 0).then(|| round2(100.0 * a as f64 / known as f64)),
                population: b,
                pop_share: b.filter(|_| m > 0.0).map(|b| round2(100.0 * b / m)),
                ratio: if small {
                    None
                } else {
                    b.and_then(|b| ratio_ci(a as f64, known as f64, b, m))
                },
                note,
            });
        }
    }
    rows
}

/// Which records of the priority fall in the current period.
fn in_period(a: &Assessment, p: &Priority) -> Result<Vec<bool>> {
    let crimes = &a.data.crimes;
    let sel = a.selector(p)?;
    let mut in_period = vec![false; crimes.len];
    for r in sel.rows(crimes, a.periods.current) {
        in_period[r as usize] = true;
    }
    Ok(in_period)
}

/// The latest record of each (key, person) among the records in the period; `key` gives
/// the unit a record counts in (`None`: none).
fn latest(
    a: &Assessment,
    people: &People,
    in_period: &[bool],
    key: impl Fn(usize) -> Option<u32>,
) -> FxHashMap<(u32, u32), (i32, usize)> {
    let mut latest: FxHashMap<(u32, u32), (i32, usize)> = FxHashMap::default();
    for (i, &c) in people.crime.iter().enumerate() {
        let c = c as usize;
        if !in_period[c] {
            continue;
        }
        let Some(k) = key(c) else { continue };
        let d = a.data.crimes.date[c];
        let e = latest.entry((k, people.person.codes[i])).or_insert((d, i));
        if d >= e.0 {
            *e = (d, i);
        }
    }
    latest
}

fn people_side(a: &Assessment, side: Side) -> Result<&People> {
    people_of(a, side)?.ok_or_else(|| AnalysisError::Internal("people were not loaded".into()))
}

/// Residents by group of the area, per dimension.
fn area_pops(a: &Assessment) -> [std::result::Result<GroupCounts, String>; 3] {
    let wards: Vec<&str> = a.area.wards.iter().map(|w| w.0.as_str()).collect();
    GROUP_DIMENSIONS.map(|d| a.population.area_groups(&wards, d, &a.config.age_bands))
}

/// Where the residents by group come from (for the whole area, or ward by ward with
/// `by_ward`), and why a dimension has no figures: for the notes of a table.
pub fn population_notes(a: &Assessment, by_ward: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let mut sources = Vec::new();
    let bands = &a.config.age_bands;
    for (k, d) in GROUP_DIMENSIONS.iter().enumerate() {
        let name = d.noun();
        let mut found: Vec<String> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        if by_ward {
            for (code, _) in &a.area.wards {
                match a.population.ward_groups(code, *d, bands) {
                    Ok(g) => found.extend(g.source.split("; ").map(str::to_string)),
                    Err(why) => missing.push(format!("{code}: {why}")),
                }
            }
        } else {
            match &area_pops(a)[k] {
                Ok(g) => found.push(g.source.clone()),
                Err(why) => missing.push(why.clone()),
            }
        }
        found.sort();
        found.dedup();
        if !found.is_empty() {
            sources.push(format!("{name}: {}", found.join(", ")));
        }
        if let Some(first) = missing.first() {
            notes.push(match missing.len() {
                1 => format!("no ratios by {name} ({first})"),
                n => format!("no ratios by {name} in {n} wards (e.g. {first})"),
            });
        }
    }
    if !sources.is_empty() {
        notes.insert(
            0,
            format!(
                "residents by group{} from {} ({})",
                if by_ward { " per ward" } else { "" },
                a.population.groups_source().unwrap_or("-"),
                sources.join("; ")
            ),
        );
    }
    notes
}

/// The area-wide equalities table of priority `p` (see the module header).
pub fn equalities(a: &Assessment, p: &Priority, side: Side) -> Result<DataFrame> {
    let people = people_side(a, side)?;
    let in_period = in_period(a, p)?;
    let bands = &a.config.age_bands;
    let band_labels = age_band_labels(bands);
    let mut tally = Tally::default();
    for &(_, i) in latest(a, people, &in_period, |_| Some(0)).values() {
        tally.add(people, i, bands);
    }
    let rows = rows_of(&tally.labelled(people, &band_labels), &area_pops(a), &band_labels, 0);
    frame(&rows, None)
}

/// Equalities ward by ward: the rows of [`equalities`] for every ward of the area, against
/// the ward's residents, with the small-number rule (see the module header).
pub fn equalities_by_ward(a: &Assessment, p: &Priority, side: Side) -> Result<DataFrame> {
    let people = people_side(a, side)?;
    let in_period = in_period(a, p)?;
    let bands = &a.config.age_bands;
    let band_labels = age_band_labels(bands);
    let wards = a.data.crimes.text(Col::WardCode)?;
    let mut tallies: FxHashMap<u32, Tally> = FxHashMap::default();
    let codes = &wards.codes;
    for (&(w, _), &(_, i)) in &latest(a, people, &in_period, |c| Some(codes[c]).filter(|w| *w != 0))
    {
        tallies.entry(w).or_default().add(people, i, bands);
    }
    let empty = Tally::default();
    let mut rows = Vec::new();
    let mut ward_of_row = Vec::new();
    for (code, name) in &a.area.wards {
        let tally = wards.code_of(code).and_then(|k| tallies.get(&k)).unwrap_or(&empty);
        let pops = GROUP_DIMENSIONS.map(|d| a.population.ward_groups(code, d, bands));
        let r =
            rows_of(&tally.labelled(people, &band_labels), &pops, &band_labels, MIN_WARD_PEOPLE);
        ward_of_row.extend(std::iter::repeat_n((code.as_str(), name.as_str()), r.len()));
        rows.extend(r);
    }
    frame(&rows, Some(&ward_of_row))
}

fn frame(rows: &[Row], wards: Option<&[(&str, &str)]>) -> Result<DataFrame> {
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let mut cols = Vec::new();
    if let Some(w) = wards {
        cols.push(text_col(Col::WardCode.name(), w.iter().map(|w| Some(w.0.to_string()))));
        cols.push(text_col(Col::WardName.name(), w.iter().map(|w| Some(w.1.to_string()))));
    }
    cols.extend([
        text_col(names::DIMENSION, rows.iter().map(|r| Some(r.dimension.name().to_string()))),
        text_col(names::GROUP, rows.iter().map(|r| Some(r.group.clone()))),
        int_col(names::PEOPLE, rows.iter().map(|r| Some(r.people as i64))),
        float_col(names::GROUP_SHARE_PCT, rows.iter().map(|r| r.share)),
        float_col(names::POPULATION, rows.iter().map(|r| r.population)),
        float_col(names::POPULATION_SHARE_PCT, rows.iter().map(|r| r.pop_share)),
        float_col(names::RATIO, rows.iter().map(|r| r.ratio.map(|x| r3(x.0)))),
        float_col(names::RATIO_LOW, rows.iter().map(|r| r.ratio.map(|x| r3(x.1 .0)))),
        float_col(names::RATIO_HIGH, rows.iter().map(|r| r.ratio.map(|x| r3(x.1 .1)))),
        text_col(names::FINDING, rows.iter().map(|r| r.ratio.map(|x| finding(x.1).to_string()))),
        int_col(names::KNOWN, rows.iter().map(|r| Some(r.known as i64))),
        int_col(names::UNKNOWN, rows.iter().map(|r| Some(r.unknown as i64))),
    ]);
    if wards.is_some() {
        cols.push(text_col(names::NOTE, rows.iter().map(|r| r.note.clone())));
    }
    DataFrame::new(rows.len(), cols).map_err(internal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn katz_interval_by_hand() {
        // 30 of 100 victims are in a group that is 20% of 1,000 residents: ratio 1.5;
        // se = sqrt(1/30 - 1/100 + 1/200 - 1/1000) = sqrt(0.0273333) = 0.165328
        let (r, (lo, hi)) = ratio_ci(30.0, 100.0, 200.0, 1000.0).unwrap();
        assert!((r - 1.5).abs() < 1e-12);
        assert!((lo - 1.5 * (-1.96f64 * 0.165328).exp()).abs() < 1e-4, "{lo}");
        assert!((hi - 1.5 * (1.96f64 * 0.165328).exp()).abs() < 1e-4, "{hi}");
        assert_eq!(finding((lo, hi)), "over-represented");
        assert_eq!(ratio_ci(1.0, 0.0, 200.0, 1000.0), None);
        assert_eq!(ratio_ci(1.0, 10.0, 0.0, 1000.0), None);
    }

    #[test]
    fn zero_and_all_get_exact_bounds() {
        // none of 20 victims in a group that is 10% of residents: ratio 0; the upper
        // Clopper-Pearson bound of 0/20 is 1 - 0.025^(1/20) = 0.168433 (scipy
        // beta.ppf(0.975, 1, 20)), over 0.1 = 1.684334
        let (r, (lo, hi)) = ratio_ci(0.0, 20.0, 100.0, 1000.0).unwrap();
        assert_eq!((r, lo), (0.0, 0.0));
        assert!((hi - 1.684334).abs() < 1e-5, "{hi}");
        assert_eq!(finding((lo, hi)), "no clear difference");
        // all 5 victims in a group that is 50% of residents: ratio 2; the lower bound of
        // 5/5 is 0.025^(1/5) = 0.478176 (beta.ppf(0.025, 5, 1)), over 0.5 = 0.956352
        let (r, (lo, hi)) = ratio_ci(5.0, 5.0, 500.0, 1000.0).unwrap();
        assert_eq!((r, hi), (2.0, 2.0));
        assert!((lo - 0.956352).abs() < 1e-5, "{lo}");
        // and for 0 of 200 in a 50% group the whole interval lies below 1
        let (_, ci) = ratio_ci(0.0, 200.0, 500.0, 1000.0).unwrap();
        assert_eq!(finding(ci), "under-represented");
    }
}
