//! The breakdown: counts of a priority by up to four dimensions, in the current period and
//! the comparison period.
//!
//! For each group `g`:
//! - `count` = records of the priority in the current period with key `g`;
//! - `comparison` = the same in the comparison period, months and quarters shifted by the
//!   period offset so that March lines up with March (null when the dataset does not cover
//!   every comparison month);
//! - `change` = count - comparison; `change_pct` = 100 * change / comparison (null when the
//!   comparison is 0);
//! - `share_pct` = 100 * count / total count;
//! - person breakdowns add `people` = distinct person ids in the group;
//! - a breakdown by ward alone adds `population` and `rate_per_1000` = 1000 * count /
//!   population (residents, or households for a priority so configured), and the
//!   comparison rate.
//!
//! Records whose dimension value is not recorded form their own group, so the counts always
//! add up to the total. Percentages and rates are rounded to 2 decimals.

use csa_model::Col;
use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::assessment::Assessment;
use crate::config::{Denominator, Priority};
use crate::dims::{Dim, Keyer, Label, Side};
use crate::error::{internal, AnalysisError, Result};
use crate::names;
use crate::needs::Needs;
use crate::period::Periods;
use crate::select::filter_columns;
use crate::store::{Crimes, People};

pub const MAX_DIMS: usize = 4;
type Key = [u32; MAX_DIMS];

/// A breakdown table with what it counts.
#[derive(Debug, Clone)]
pub struct Breakdown {
    pub priority: String,
    pub dims: Vec<Dim>,
    pub side: Side,
    pub periods: Periods,
    pub total: u64,
    /// `None` when the dataset does not cover the comparison period.
    pub comparison_total: Option<u64>,
    /// Plain-English caveats (unrecorded columns, missing comparison data).
    pub notes: Vec<String>,
    pub table: DataFrame,
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// 100 * (a - b) / b, or `None` when b is 0.
pub fn change_pct(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| round2(100.0 * (a - b) / b))
}

/// The side (crime, victim or offender) a list of dimensions counts.
pub fn side_of(dims: &[Dim]) -> Result<Side> {
    let sides: FxHashSet<Side> =
        dims.iter().map(|d| d.side()).filter(|s| *s != Side::Crime).collect();
    match sides.len() {
        0 => Ok(Side::Crime),
        1 => Ok(*sides.iter().next().expect("one")),
        _ => Err(AnalysisError::Usage(
            "victim and offender dimensions cannot be crossed in one table (a crime with 2 victims and 3 offenders would count 6 times); ask for them separately".into(),
        )),
    }
}

/// The people records of a side, or a plain error when the dataset has none.
pub fn people_of(a: &Assessment, side: Side) -> Result<Option<&People>> {
    let people = match side {
        Side::Crime => return Ok(None),
        Side::Victim => a.data.victims.as_ref(),
        Side::Offender => a.data.offenders.as_ref(),
    };
    if !a.data.info.has_people() {
        return Err(AnalysisError::Usage(format!(
            "{} has no victims or offenders (police.uk data carries none); victim and offender breakdowns need a force extract",
            a.data.info.dir.display()
        )));
    }
    let (recorded, who) = match side {
        Side::Victim => (a.data.info.victims, "victims"),
        _ => (a.data.info.offenders, "offenders"),
    };
    if recorded == 0 {
        return Err(AnalysisError::Usage(format!(
            "{} has no {who} (its extracts had no {who} file, or none of its rows matched a crime): breakdowns of {who} need them",
            a.data.info.dir.display()
        )));
    }
    Ok(people)
}

/// The columns of `cols` that are entirely unrecorded in the loaded data.
pub fn unrecorded_cols(crimes: &Crimes, cols: &[Col]) -> Vec<Col> {
    cols.iter()
        .copied()
        .filter(|c| {
            let all_null = match (crimes.text.get(c), crimes.int.get(c), crimes.flag.get(c)) {
                (Some(t), _, _) => t.codes.iter().all(|x| *x == 0),
                (_, Some(v), _) => v.iter().all(|x| *x < 0),
                (_, _, Some(v)) => v.iter().all(|x| *x == 2),
                _ => false,
            };
            all_null && crimes.len > 0
        })
        .collect()
}

/// Notes for columns that are entirely unrecorded in the loaded data.
pub fn unrecorded(crimes: &Crimes, cols: &[Col], what: &str) -> Vec<String> {
    unrecorded_notes(&unrecorded_cols(crimes, cols), what)
}

fn unrecorded_notes(cols: &[Col], what: &str) -> Vec<String> {
    cols.iter().map(|c| format!("{c} is not recorded in this dataset (police.uk data has no {c}), so {what} cannot use it")).collect()
}

/// Rows of a priority in the current and comparison periods.
pub struct Selection {
    pub current: Vec<u32>,
    pub comparison: Vec<u32>,
    pub comparison_covered: bool,
    /// Filter columns the dataset does not record (the counts are then partial or zero).
    pub unrecorded: Vec<Col>,
    /// `unrecorded` plus the comparison-coverage caveat.
    pub notes: Vec<String>,
}

/// The rows of priority `p` in the two periods (worked out once per assessment).
pub fn select(a: &Assessment, p: &Priority) -> Result<std::sync::Arc<Selection>> {
    a.chosen(p, || select_rows(a, p))
}

fn select_rows(a: &Assessment, p: &Priority) -> Result<Selection> {
    let crimes = &a.data.crimes;
    let sel = a.selector(p)?;
    let unrecorded = unrecorded_cols(crimes, &filter_columns(&p.filter));
    let mut notes = unrecorded_notes(&unrecorded, &format!("the priority {:?}", p.name));
    let comparison_covered = a.covers(a.periods.comparison);
    if !comparison_covered {
        notes.push(format!(
            "the dataset does not cover the whole comparison period {} ({} of {} months have data), so no comparison is shown",
            a.periods.comparison,
            a.periods.comparison.iter().filter(|m| a.data.info.months.binary_search(m).is_ok()).count(),
            a.periods.comparison.months()
        ));
    }
    // one pass for both periods: each row is matched at most once
    let (cur, cmp) = (a.periods.current, a.periods.comparison);
    let rows = sel.rows(crimes, a.periods.span());
    let (mut current, mut comparison) =
        (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
    for r in rows {
        let m = crimes.month[r as usize];
        if cur.contains(m) {
            current.push(r);
        }
        if cmp.contains(m) {
            comparison.push(r);
        }
    }
    Ok(Selection { current, comparison, comparison_covered, unrecorded, notes })
}

/// Counts per key: (current, comparison), and distinct people in current.
struct Tally {
    counts: FxHashMap<Key, (u64, u64)>,
    people: FxHashMap<Key, u64>,
}

/// A dense table of keys up to this many entries (16 bytes each), else a hash map.
const DENSE_KEYS: u64 = 1 << 18;

/// Keys numbered as small ids: in mixed radix when every dimension's key is below its
/// bound ([`Keyer::bound`]) and the table is small, otherwise in the order first met.
struct KeyIds {
    bounds: Vec<u32>,
    /// Ids below this are mixed-radix keys (0 when the dimensions give no dense table).
    dense: usize,
    other: FxHashMap<Key, u32>,
    others: Vec<Key>,
}

impl KeyIds {
    fn new(keyers: &[Keyer]) -> KeyIds {
        KeyIds::with_bounds(keyers.iter().map(Keyer::bound).collect())
    }

    fn with_bounds(bounds: Vec<u32>) -> KeyIds {
        let size = bounds.iter().try_fold(1u64, |n, &b| {
            let n = n * u64::from(b);
            (n > 0 && n <= DENSE_KEYS).then_some(n)
        });
        KeyIds {
            bounds,
            dense: size.unwrap_or(0) as usize,
            other: FxHashMap::default(),
            others: Vec::new(),
        }
    }

    fn id(&mut self, k: &Key) -> usize {
        if self.dense > 0 {
            let mut id = 0usize;
            let mut inside = true;
            for (i, &b) in self.bounds.iter().enumerate().rev() {
                inside &= k[i] < b;
                id = id * b as usize + k[i] as usize;
            }
            if inside {
                return id;
            }
        }
        let next = (self.dense + self.others.len()) as u32;
        let id = *self.other.entry(*k).or_insert(next);
        if id == next {
            self.others.push(*k);
        }
        id as usize
    }

    fn key(&self, id: usize) -> Key {
        if id >= self.dense {
            return self.others[id - self.dense];
        }
        let mut k = [0u32; MAX_DIMS];
        let mut rest = id;
        for (i, &b) in self.bounds.iter().enumerate() {
            k[i] = (rest % b as usize) as u32;
            rest /= b as usize;
        }
        k
    }
}

fn tally(a: &Assessment, keyers: &[Keyer], people: Option<&People>, s: &Selection) -> Tally {
    let crimes = &a.data.crimes;
    let offset = a.periods.offset();
    let mut ids = KeyIds::new(keyers);
    let mut counts: Vec<(u64, u64)> = vec![(0, 0); ids.dense];
    // `comparison`: a comparison-period record, its months shifted by the period offset
    let mut count = |ids: &mut KeyIds, crime: usize, person: usize, comparison: bool| {
        let shift = if comparison { offset } else { 0 };
        let mut k = [0u32; MAX_DIMS];
        for (i, kr) in keyers.iter().enumerate() {
            k[i] = kr.key(crimes, crime, person, shift);
        }
        let id = ids.id(&k);
        if id >= counts.len() {
            counts.resize(id + 1, (0, 0));
        }
        if comparison {
            counts[id].1 += 1;
        } else {
            counts[id].0 += 1;
        }
        id
    };
    // (id << 32 | person) of each current person record, for the distinct people
    let mut pairs: Vec<u64> = Vec::new();
    match people {
        None => {
            for &r in &s.current {
                count(&mut ids, r as usize, 0, false);
            }
            if s.comparison_covered {
                for &r in &s.comparison {
                    count(&mut ids, r as usize, 0, true);
                }
            }
        }
        Some(pp) => {
            // 1 = current, 2 = comparison (bits; periods may overlap when configured so)
            let mut mark = vec![0u8; crimes.len];
            for &r in &s.current {
                mark[r as usize] |= 1;
            }
            if s.comparison_covered {
                for &r in &s.comparison {
                    mark[r as usize] |= 2;
                }
            }
            for (i, &c) in pp.crime.iter().enumerate() {
                let m = mark[c as usize];
                if m & 1 != 0 {
                    let id = count(&mut ids, c as usize, i, false);
                    pairs.push((id as u64) << 32 | u64::from(pp.person.codes[i]));
                }
                if m & 2 != 0 {
                    count(&mut ids, c as usize, i, true);
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut t = Tally { counts: FxHashMap::default(), people: FxHashMap::default() };
    for run in pairs.chunk_by(|x, y| x >> 32 == y >> 32) {
        t.people.insert(ids.key((run[0] >> 32) as usize), run.len() as u64);
    }
    for (id, c) in counts.into_iter().enumerate() {
        if c != (0, 0) {
            t.counts.insert(ids.key(id), c);
        }
    }
    t
}

/// The breakdown of priority `p` by `dims` (no dims: one row, the total).
/// What [`breakdown`] of `p` by `dims` needs loaded.
pub fn needs(p: &Priority, dims: &[Dim]) -> Result<Needs> {
    let side = side_of(dims)?;
    let mut n = Needs::for_priority(p).with(dims.iter().flat_map(|d| d.columns()));
    n.victims = side == Side::Victim;
    n.offenders = side == Side::Offender;
    n.relationship = dims.contains(&Dim::OffenderRelationship);
    Ok(n)
}

pub fn breakdown(a: &Assessment, p: &Priority, dims: &[Dim]) -> Result<Breakdown> {
    if dims.len() > MAX_DIMS {
        return Err(AnalysisError::Usage(format!("at most {MAX_DIMS} dimensions at once")));
    }
    let mut seen = FxHashSet::default();
    if let Some(d) = dims.iter().find(|d| !seen.insert(**d)) {
        return Err(AnalysisError::Usage(format!("dimension {} given twice", d.name())));
    }
    let side = side_of(dims)?;
    let people = people_of(a, side)?;
    let crimes = &a.data.crimes;
    let keyers: Vec<Keyer> = dims
        .iter()
        .map(|d| Keyer::new(*d, crimes, people, &a.config.age_bands))
        .collect::<Result<_>>()?;
    let s = select(a, p)?;
    let mut notes = s.notes.clone();
    let dim_cols: Vec<Col> = dims
        .iter()
        .flat_map(|d| d.columns())
        .filter(|c| *c != Col::WardName && *c != Col::LsoaName)
        .collect();
    notes.extend(unrecorded(crimes, &dim_cols, "this breakdown"));
    let mut t = tally(a, &keyers, people, &s);
    // a ward table lists every ward of the area; wards absent from the loaded data entirely
    // (possible only with configured boundaries) come last as `extra` rows
    let mut extra: Vec<(String, String)> = Vec::new();
    if dims == [Dim::Ward] {
        let wards = crimes.text(Col::WardCode)?;
        for (code, name) in &a.area.wards {
            match wards.code_of(code) {
                Some(c) => {
                    t.counts.entry([c, 0, 0, 0]).or_default();
                }
                None => extra.push((code.clone(), name.clone())),
            }
        }
    }
    let total: u64 = t.counts.values().map(|c| c.0).sum();
    let comparison_total =
        s.comparison_covered.then(|| t.counts.values().map(|c| c.1).sum::<u64>());

    // order: ordinal dimensions by key, the others by their marginal volume (descending);
    // "not recorded" (key 0) last
    let mut keys: Vec<Key> = t.counts.keys().copied().collect();
    let marginals: Vec<FxHashMap<u32, u64>> = (0..dims.len())
        .map(|i| {
            let mut m = FxHashMap::default();
            for (k, c) in &t.counts {
                *m.entry(k[i]).or_default() += c.0 + c.1;
            }
            m
        })
        .collect();
    keys.sort_by(|x, y| {
        for (i, d) in dims.iter().enumerate() {
            let rank = |k: &Key| {
                let unknown = k[i] == 0;
                let order =
                    if d.ordinal() { i64::from(k[i]) } else { -(marginals[i][&k[i]] as i64) };
                (unknown, order, k[i])
            };
            let o = rank(x).cmp(&rank(y));
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });

    let mut columns: Vec<Column> = Vec::new();
    for (i, kr) in keyers.iter().enumerate() {
        let mut labels: Vec<Vec<Label>> = keys.iter().map(|k| kr.labels(k[i])).collect();
        labels.extend(extra.iter().map(|(code, name)| {
            vec![Label::Text(Some(code.clone())), Label::Text(Some(name.clone()))]
        }));
        for (j, name) in kr.dim.output_columns().iter().enumerate() {
            columns.push(label_column(name, labels.iter().map(|l| l[j].clone())));
        }
    }
    let height = keys.len() + extra.len();
    let cur: Vec<u64> = keys.iter().map(|k| t.counts[k].0).chain(extra.iter().map(|_| 0)).collect();
    let cmp: Vec<Option<u64>> = keys
        .iter()
        .map(|k| t.counts[k].1)
        .chain(extra.iter().map(|_| 0))
        .map(|c| s.comparison_covered.then_some(c))
        .collect();
    columns.push(int_col(names::COUNT, cur.iter().map(|c| Some(*c as i64))));
    columns.push(int_col(names::COMPARISON, cmp.iter().map(|c| c.map(|c| c as i64))));
    columns.push(int_col(
        names::CHANGE,
        cur.iter().zip(&cmp).map(|(a, b)| b.map(|b| *a as i64 - b as i64)),
    ));
    columns.push(float_col(
        names::CHANGE_PCT,
        cur.iter().zip(&cmp).map(|(a, b)| b.and_then(|b| change_pct(*a as f64, b as f64))),
    ));
    columns.push(float_col(
        names::SHARE_PCT,
        cur.iter().map(|c| (total > 0).then(|| round2(100.0 * *c as f64 / total as f64))),
    ));
    if side != Side::Crime {
        columns.push(int_col(
            names::PEOPLE,
            keys.iter().map(|k| Some(t.people.get(k).copied().unwrap_or(0) as i64)),
        ));
    }
    if dims == [Dim::Ward] {
        let wards = crimes.text(Col::WardCode)?;
        let households = p.denominator == Denominator::Households;
        let codes = keys
            .iter()
            .map(|k| (k[0] != 0).then(|| wards.values[k[0] as usize - 1].as_str()))
            .chain(extra.iter().map(|e| Some(e.0.as_str())));
        let pop: Vec<Option<f64>> = codes
            .map(|code| {
                code.and_then(|c| a.population.wards.get(c)).and_then(|w| {
                    if households {
                        w.households
                    } else {
                        w.residents
                    }
                })
            })
            .collect();
        let rate = |n: Option<u64>, pop: Option<f64>| match (n, pop) {
            (Some(n), Some(p)) if p > 0.0 => Some(round2(1000.0 * n as f64 / p)),
            _ => None,
        };
        columns.push(float_col(names::POPULATION, pop.iter().copied()));
        columns.push(float_col(
            names::RATE_PER_1000,
            cur.iter().zip(&pop).map(|(n, p)| rate(Some(*n), *p)),
        ));
        columns.push(float_col(
            names::COMPARISON_RATE_PER_1000,
            cmp.iter().zip(&pop).map(|(n, p)| rate(*n, *p)),
        ));
        notes.push(format!("rates per 1,000 {} ({})", p.denominator.name(), a.population.source));
    }
    let table = DataFrame::new(height, columns).map_err(internal)?;
    Ok(Breakdown {
        priority: p.name.clone(),
        dims: dims.to_vec(),
        side,
        periods: a.periods,
        total,
        comparison_total,
        notes,
        table,
    })
}

pub fn label_column(name: &str, labels: impl Iterator<Item = Label>) -> Column {
    let labels: Vec<Label> = labels.collect();
    if labels.iter().all(|l| matches!(l, Label::Int(_))) && !labels.is_empty() {
        int_col(name, labels.into_iter().map(|l| if let Label::Int(v) = l { v } else { None }))
    } else {
        text_col(
            name,
            labels.into_iter().map(|l| match l {
                Label::Text(t) => t,
                Label::Int(v) => v.map(|v| v.to_string()),
            }),
        )
    }
}

pub fn int_col(name: &str, v: impl Iterator<Item = Option<i64>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<Option<i64>>>())
}

pub fn float_col(name: &str, v: impl Iterator<Item = Option<f64>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<Option<f64>>>())
}

pub fn text_col(name: &str, v: impl Iterator<Item = Option<String>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<Option<String>>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_dense_within_the_bounds_and_numbered_beyond_them() {
        // ward code (0..20) x hour key (0..129): mixed radix, the first dimension fastest
        let mut ids = KeyIds::with_bounds(vec![20, 129]);
        assert_eq!(ids.dense, 20 * 129);
        assert_eq!(ids.id(&[3, 5, 0, 0]), 3 + 20 * 5);
        assert_eq!(ids.key(3 + 20 * 5), [3, 5, 0, 0]);
        // a key at or past its bound is numbered after the table, once
        assert_eq!(ids.id(&[20, 0, 0, 0]), 20 * 129);
        assert_eq!(ids.id(&[3, u32::MAX, 0, 0]), 20 * 129 + 1);
        assert_eq!(ids.id(&[20, 0, 0, 0]), 20 * 129);
        assert_eq!(ids.key(20 * 129 + 1), [3, u32::MAX, 0, 0]);
        // months have no bound: every key is numbered as met
        let mut months = KeyIds::with_bounds(vec![20, 0]);
        assert_eq!(months.dense, 0);
        assert_eq!(months.id(&[1, 24_301, 0, 0]), 0);
        assert_eq!(months.id(&[1, 24_302, 0, 0]), 1);
        assert_eq!(months.key(1), [1, 24_302, 0, 0]);
        // no dimension (the total): one dense key
        let mut total = KeyIds::with_bounds(Vec::new());
        assert_eq!((total.dense, total.id(&[0; MAX_DIMS])), (1, 0));
        // a table past the limit falls back to numbering
        assert_eq!(KeyIds::with_bounds(vec![1 << 10, 1 << 10]).dense, 0);
    }
}
