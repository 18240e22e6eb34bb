//! Repeat victims and offenders, the 12-month repeat rule, and the most prolific offenders.
//!
//! **Repeats in the period** (DOMAIN.md): for each person (victim or offender id) count the
//! distinct crimes of the priority in the current period; repeats have 2 or more.
//! `repeat_share_pct` = 100 * repeats / people; `crimes_share_pct` = 100 * (crimes with at
//! least one repeat person) / (crimes with at least one person).
//!
//! **Again within 12 months** (the MARAC definition used for domestic abuse): a victim record
//! of a current-period crime is a repeat when the same victim has an earlier crime of the
//! priority recorded in the 365 days before (earlier = an earlier recorded date, or the same
//! date and an earlier record); a *same-pair* repeat when that earlier crime also shares an
//! offender with this one. The look-back reaches into the 12 months before the period, which
//! [`Assessment`] loads. When the dataset does not have records in every one of those months
//! (data that start with the period), earlier crimes are missing and repeats would be
//! undercounted, so the repeat figures are left empty (like a comparison period the data do
//! not cover) and [`RepeatWithin::note`] says which months are missing.
//!
//! **Prolific offenders**: offenders ranked by distinct crimes of the priority in the period
//! (ties by the most recent crime), ids replaced by pseudonyms (see [`pseudonym`]).

use csa_model::Col;
use polars::prelude::*;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, people_of, round2, text_col};
use crate::config::Priority;
use crate::dims::Side;
use crate::error::{internal, AnalysisError, Result};
use crate::names;
use crate::needs::Needs;
use crate::period::Period;
use crate::store::People;

/// Keyed pseudonym of a person id: `prefix` + the first 10 hex digits of
/// SHA-256(key ":" id). Stable for one key (one dataset, unless configured), not reversible
/// without the key.
pub fn pseudonym(prefix: &str, key: &str, id: &str) -> String {
    let h = Sha256::digest(format!("{key}:{id}").as_bytes());
    let hex: String = h.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RepeatSummary {
    pub side: Side,
    pub people: u64,
    pub repeat_people: u64,
    pub repeat_share_pct: Option<f64>,
    pub crimes: u64,
    pub crimes_with_repeat: u64,
    pub crimes_share_pct: Option<f64>,
    /// Most crimes for one person.
    pub max_crimes: u64,
}

fn pct(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| round2(100.0 * a as f64 / b as f64))
}

fn people_or_err(a: &Assessment, side: Side) -> Result<&People> {
    people_of(a, side)?.ok_or_else(|| AnalysisError::Internal("people were not loaded".into()))
}

/// Repeats in the current period.
/// What [`repeats`] of `p` on `side` needs loaded (victims also need offenders, for
/// [`repeat_within`]'s same-offender rule).
pub fn needs(p: &Priority, side: Side) -> Needs {
    match side {
        Side::Victim => Needs::for_priority(p).with_victims().with_offenders(),
        Side::Offender => Needs::for_priority(p).with_offenders(),
        Side::Crime => Needs::for_priority(p),
    }
}

/// What [`prolific_offenders`] of `p` needs loaded.
pub fn prolific_needs(p: &Priority) -> Needs {
    Needs::for_priority(p).with_offenders().with([Col::OffenceGroup, Col::CrimeType])
}

/// The rows of priority `p` in the current period, and its (person, crime) pairs of
/// `people` once each, sorted: a person's crimes are one run, ascending.
fn period_pairs(a: &Assessment, p: &Priority, people: &People) -> Result<(usize, Vec<(u32, u32)>)> {
    let crimes = &a.data.crimes;
    let sel = a.selector(p)?;
    let rows = sel.rows(crimes, a.periods.current);
    let mut in_period = vec![false; crimes.len];
    for r in &rows {
        in_period[*r as usize] = true;
    }
    let mut pairs: Vec<(u32, u32)> = people
        .crime
        .iter()
        .zip(&people.person.codes)
        .filter(|(c, _)| in_period[**c as usize])
        .map(|(&c, &person)| (person, c))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    Ok((rows.len(), pairs))
}

pub fn repeats(a: &Assessment, p: &Priority, side: Side) -> Result<RepeatSummary> {
    let people = people_or_err(a, side)?;
    let crimes = &a.data.crimes;
    let (_, pairs) = period_pairs(a, p, people)?;
    let (mut n, mut repeat_people, mut max_crimes) = (0u64, 0u64, 0u64);
    // 1 = has a person, 2 = has a repeat person (bits)
    let mut mark = vec![0u8; crimes.len];
    for run in pairs.chunk_by(|x, y| x.0 == y.0) {
        let repeat = run.len() >= 2;
        n += 1;
        repeat_people += u64::from(repeat);
        max_crimes = max_crimes.max(run.len() as u64);
        for &(_, c) in run {
            mark[c as usize] |= 1 | (u8::from(repeat) << 1);
        }
    }
    let with_person = mark.iter().filter(|&&m| m != 0).count() as u64;
    let with_repeat = mark.iter().filter(|&&m| m & 2 != 0).count() as u64;
    Ok(RepeatSummary {
        side,
        people: n,
        repeat_people,
        repeat_share_pct: pct(repeat_people, n),
        crimes: with_person,
        crimes_with_repeat: with_repeat,
        crimes_share_pct: pct(with_repeat, with_person),
        max_crimes,
    })
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RepeatWithin {
    pub days: i32,
    /// Victim records of current-period crimes.
    pub victim_records: u64,
    /// `None` (and the percentages too) when the look-back is not covered.
    pub repeat_victim_records: Option<u64>,
    pub repeat_victim_pct: Option<f64>,
    pub same_pair_records: Option<u64>,
    pub same_pair_pct: Option<f64>,
    /// The months before the period that the look-back reads.
    pub look_back: String,
    /// Whether the dataset has records in every month of the look-back.
    pub look_back_covered: bool,
    /// Months of the look-back with records in the dataset.
    pub look_back_months_with_data: usize,
}

impl RepeatWithin {
    /// Why the repeat figures are empty, when they are.
    pub fn note(&self) -> Option<String> {
        (!self.look_back_covered).then(|| {
            format!(
                "\"again within {} days\" needs the months before the period ({}); the dataset has records in {} of them, so repeats would be undercounted and are not shown",
                self.days, self.look_back, self.look_back_months_with_data
            )
        })
    }
}

/// Victims victimised again within `days` (365 for the MARAC rule), and by the same offender.
/// At most 366 days: [`Assessment`] loads the 12 months before the period.
pub fn repeat_within(a: &Assessment, p: &Priority, days: i32) -> Result<RepeatWithin> {
    if !(0..=366).contains(&days) {
        return Err(AnalysisError::Usage(format!(
            "the repeat look-back is at most 366 days (the 12 months loaded before the period), not {days}"
        )));
    }
    let victims = people_or_err(a, Side::Victim)?;
    let crimes = &a.data.crimes;
    let sel = a.selector(p)?;
    let current = a.periods.current;
    let earliest = current.from.first_day() - chrono::Duration::days(i64::from(days));
    let before = Period { from: crate::period::Month::of(earliest), to: current.from.plus(-1) };
    let with_data = before.iter().filter(|m| a.covers(Period { from: *m, to: *m })).count();
    let covered = days == 0 || with_data == before.months() as usize;
    let look = Period { from: before.from.min(current.from), to: current.to };
    let mut matched = vec![false; crimes.len];
    for r in sel.rows(crimes, look) {
        matched[r as usize] = true;
    }
    let mut offenders_of: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    if let Some(o) = a.data.offenders.as_ref() {
        for (i, &c) in o.crime.iter().enumerate() {
            if matched[c as usize] {
                offenders_of.entry(c).or_default().push(o.person.codes[i]);
            }
        }
    }
    // per victim: (date, crime) of every matching crime, in time order
    let mut history: FxHashMap<u32, Vec<(i32, u32)>> = FxHashMap::default();
    for (i, &c) in victims.crime.iter().enumerate() {
        if matched[c as usize] {
            history.entry(victims.person.codes[i]).or_default().push((crimes.date[c as usize], c));
        }
    }
    let (mut records, mut repeat, mut pair) = (0u64, 0u64, 0u64);
    for events in history.values_mut() {
        events.sort_unstable();
        events.dedup();
        for (j, &(d, c)) in events.iter().enumerate() {
            if !a.periods.current.contains(crimes.month[c as usize]) {
                continue;
            }
            records += 1;
            let earlier = events[..j].iter().rev().take_while(|(e, _)| d - e <= days);
            let mut is_repeat = false;
            let mut is_pair = false;
            let mine = offenders_of.get(&c);
            for (_, prev) in earlier {
                is_repeat = true;
                if let (Some(mine), Some(theirs)) = (mine, offenders_of.get(prev)) {
                    if mine.iter().any(|o| theirs.contains(o)) {
                        is_pair = true;
                        break;
                    }
                }
            }
            repeat += u64::from(is_repeat);
            pair += u64::from(is_pair);
        }
    }
    let shown = |v: u64| covered.then_some(v);
    Ok(RepeatWithin {
        days,
        victim_records: records,
        repeat_victim_records: shown(repeat),
        repeat_victim_pct: pct(repeat, records).filter(|_| covered),
        same_pair_records: shown(pair),
        same_pair_pct: pct(pair, records).filter(|_| covered),
        look_back: before.to_string(),
        look_back_covered: covered,
        look_back_months_with_data: with_data,
    })
}

/// The repeat figures as a two-column table (measure, value).
pub fn repeats_table(s: &RepeatSummary, within: Option<&RepeatWithin>) -> Result<DataFrame> {
    let who = if s.side == Side::Victim { "victims" } else { "offenders" };
    let mut rows: Vec<(String, Option<f64>)> = vec![
        (who.to_string(), Some(s.people as f64)),
        (format!("repeat {who} (2+ crimes)"), Some(s.repeat_people as f64)),
        (format!("repeat {who}, % of {who}"), s.repeat_share_pct),
        (format!("crimes with {who}"), Some(s.crimes as f64)),
        (format!("crimes involving repeat {who}"), Some(s.crimes_with_repeat as f64)),
        (format!("crimes involving repeat {who}, % of crimes"), s.crimes_share_pct),
        (format!("most crimes for one of the {who}"), Some(s.max_crimes as f64)),
    ];
    if let Some(w) = within {
        rows.push((
            format!("victim records again within {} days", w.days),
            w.repeat_victim_records.map(|v| v as f64),
        ));
        rows.push((format!("victim records again within {} days, %", w.days), w.repeat_victim_pct));
        rows.push((
            format!("same victim and offender again within {} days", w.days),
            w.same_pair_records.map(|v| v as f64),
        ));
        rows.push((
            format!("same victim and offender again within {} days, %", w.days),
            w.same_pair_pct,
        ));
    }
    DataFrame::new(
        rows.len(),
        vec![
            text_col(names::MEASURE, rows.iter().map(|r| Some(r.0.clone()))),
            float_col(names::VALUE, rows.iter().map(|r| r.1)),
        ],
    )
    .map_err(internal)
}

/// The `n` most prolific offenders of a priority in the current period.
pub fn prolific_offenders(a: &Assessment, p: &Priority, n: usize) -> Result<DataFrame> {
    let offenders = people_or_err(a, Side::Offender)?;
    let crimes = &a.data.crimes;
    let (total, pairs) = period_pairs(a, p, offenders)?;
    let groups = crimes.text.get(&Col::OffenceGroup).or(crimes.text.get(&Col::CrimeType));
    // each offender once: (crimes, most recent crime, offender, where its run starts)
    let mut ranked: Vec<(usize, i32, u32, usize)> = Vec::new();
    let mut at = 0;
    for run in pairs.chunk_by(|x, y| x.0 == y.0) {
        let last = run.iter().map(|&(_, c)| crimes.date[c as usize]).max().unwrap_or(0);
        ranked.push((run.len(), last, run[0].0, at));
        at += run.len();
    }
    // most crimes, then the most recent crime, then the offender's code: a total order
    let order = |x: &(usize, i32, u32, usize), y: &(usize, i32, u32, usize)| {
        y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.2.cmp(&y.2))
    };
    if ranked.len() > n && n > 0 {
        ranked.select_nth_unstable_by(n - 1, order);
    }
    ranked.truncate(n);
    ranked.sort_unstable_by(order);
    let ranked: Vec<(u32, Vec<u32>)> = ranked
        .iter()
        .map(|&(len, _, person, at)| (person, pairs[at..at + len].iter().map(|x| x.1).collect()))
        .collect();
    let last = |cs: &[u32]| cs.iter().map(|c| crimes.date[*c as usize]).max().unwrap_or(0);
    let main_group = |cs: &[u32]| -> Option<String> {
        let g = groups?;
        let mut counts: FxHashMap<u32, usize> = FxHashMap::default();
        for c in cs {
            *counts.entry(g.codes[*c as usize]).or_default() += 1;
        }
        let best = counts
            .into_iter()
            .filter(|(k, _)| *k != 0)
            .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))?;
        Some(g.values[best.0 as usize - 1].clone())
    };
    let date = |d: i32| Some(crate::store::day_to_date(d).to_string());
    let key = a.pseudonym_key()?;
    DataFrame::new(
        ranked.len(),
        vec![
            text_col(
                names::PSEUDONYM,
                ranked
                    .iter()
                    .map(|(p, _)| offenders.person.id(*p).map(|id| pseudonym("OFF-", key, id))),
            ),
            int_col(names::CRIMES, ranked.iter().map(|(_, cs)| Some(cs.len() as i64))),
            float_col(
                names::SHARE_PCT,
                ranked.iter().map(|(_, cs)| pct(cs.len() as u64, total as u64)),
            ),
            text_col(
                names::FIRST_DATE,
                ranked.iter().map(|(_, cs)| {
                    cs.iter().map(|c| crimes.date[*c as usize]).min().and_then(date)
                }),
            ),
            text_col(names::LAST_DATE, ranked.iter().map(|(_, cs)| date(last(cs)))),
            text_col(names::MAIN_OFFENCE_GROUP, ranked.iter().map(|(_, cs)| main_group(cs))),
        ],
    )
    .map_err(internal)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let a = pseudonym("OFF-", "k1", "P123");
        assert_eq!(a, pseudonym("OFF-", "k1", "P123"));
        assert_ne!(a, pseudonym("OFF-", "k2", "P123"));
        assert_eq!(a.len(), 14);
        assert!(!a.contains("P123"));
    }
}
