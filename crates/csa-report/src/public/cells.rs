//! The pack's tables as one disclosure model ([`csa_disclosure::Model`]): every count cell
//! gets a **key** saying what it counts, so the same count in two tables (a priority's total
//! in `priority_volumes`, on its day x hour table and in the ranking; a ward's count in the
//! ward table, the ward profiles and the GeoJSON) is one cell, published one way.
//!
//! A key is `measure|period|population|coordinates`: e.g.
//! `crimes|2025-01..2025-12|Robbery|ward=E05001218`. The comparison column of a month table
//! is keyed by its own month (`month=2024-03` on the row of 2025-03), so next year's pack,
//! where those months are the assessment period, uses the same keys.
//!
//! Constraints:
//! - **lists add up**: the cells of a complete listing of a dimension (every ward, month,
//!   location type, day, hour, age band, sex, ethnic group) sum to the cell without that
//!   coordinate (the margin: a total row or column, the priority's total, or a count
//!   published nowhere); top-N lists and hot cells are partial and do not;
//! - **populations link** ([`super::relations`]): a population that is the disjoint union of
//!   others is their sum at every coordinate where all are published; contained ones are at
//!   most it; disjoint ones inside it sum to at most it; covering ones sum to at least it.
//!   Records (crimes, victim and offender records) take all of these; distinct people only
//!   containment and covers; repeat counts only containment;
//! - **rows**: repeat people at most people, a group's `known` plus `unknown` people equal
//!   the priority's victims, points at a location at most its crimes;
//! - tables this module does not know (added later) are protected by their own shape: a
//!   list per column within its groups, or a two-way table with margins.
//!
//! Protection **groups** ([`csa_disclosure::protect`]): 0 = the assessment period's cells of
//! the tables that also carry a comparison column (volumes, crime types, months, wards,
//! location types, ethnicity, relationship, ward profiles) and their margins, 1 = the same for
//! the comparison period, 2 = every other cell of the assessment period, 3 = tables this
//! module does not know. Groups 0 and 1 depend on their period's data alone, so a year is
//! protected the same way in the pack where it is assessed and in next year's pack, where it
//! is the comparison.

use std::collections::{BTreeMap, BTreeSet};

use csa_analysis::{names, Result};
use csa_disclosure::{CellId, Constraint, Model, State};

use super::relations::Relations;
use crate::build::Built;
use crate::ids::{self, col, Kind, Who};
use crate::table::{Cell, Protect, Role, Table};

/// Where a cell of the model is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub table: usize,
    pub row: usize,
    pub col: usize,
    pub cell: CellId,
}

/// A derived figure (change, share, rate, ...) and the cells it is computed from: shown only
/// when all of them are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedAt {
    pub table: usize,
    pub row: usize,
    pub col: usize,
    pub inputs: Vec<CellId>,
}

/// The model with the places of its cells.
pub struct PackModel {
    pub model: Model,
    pub places: Vec<Place>,
    pub derived: Vec<DerivedAt>,
    /// Lists whose cells did not add up to their margin (a modelling error; the constraint is
    /// left out). Empty on every pack the tests build.
    pub mismatches: Vec<String>,
}

/// Protection groups (module header).
pub const GROUP_CURRENT: u32 = 0;
pub const GROUP_COMPARISON: u32 = 1;
pub const GROUP_REST: u32 = 2;
pub const GROUP_OTHER: u32 = 3;

/// How a measure relates across populations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kinds {
    /// Records: partitions add, packings and covers bound, containment bounds.
    Additive,
    /// Distinct people or points: containment and covers.
    Distinct,
    /// Repeat counts and maxima: containment only.
    Monotone,
    /// People by their latest record (equalities): a person's group depends on the
    /// population, so nothing links across populations.
    Unlinked,
}

fn measure_kind(m: &str) -> Kinds {
    if m.ends_with("_latest") || m == "cell" {
        Kinds::Unlinked
    } else if m == "crimes"
        || m.ends_with("_records")
        || m.starts_with("crimes_with_") && !m.contains("repeat")
    {
        Kinds::Additive
    } else if m == "victims" || m == "offenders" || m == "points" {
        Kinds::Distinct
    } else {
        Kinds::Monotone
    }
}

/// A key under construction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    measure: String,
    period: String,
    pop: String,
    coords: BTreeMap<String, String>,
}

impl Key {
    fn new(measure: &str, period: &str, pop: &str) -> Key {
        Key {
            measure: measure.into(),
            period: period.into(),
            pop: pop.into(),
            coords: BTreeMap::new(),
        }
    }

    fn at(mut self, dim: &str, value: &str) -> Key {
        self.coords.insert(dim.into(), value.into());
        self
    }

    fn coords_text(&self) -> String {
        self.coords.iter().map(|(d, v)| format!("{d}={v}")).collect::<Vec<_>>().join(";")
    }

    fn text(&self) -> String {
        format!("{}|{}|{}|{}", self.measure, self.period, self.pop, self.coords_text())
    }

    fn without(&self, dim: &str) -> Key {
        let mut k = self.clone();
        k.coords.remove(dim);
        k
    }
}

/// The period text of keys: `2025-01..2025-12`.
pub fn period_text(p: &csa_analysis::period::Period) -> String {
    format!("{}..{}", p.from, p.to)
}

/// A list's (measure, period, population, coordinates without the listed one, listed
/// dimension).
type SumKey = (String, String, String, String, String);

struct Builder<'a> {
    rel: &'a BTreeMap<String, Relations>,
    model: Model,
    keys: Vec<Key>,
    places: Vec<Place>,
    derived: Vec<DerivedAt>,
    /// (measure, period, pop, base coords, dim) -> members; false when a partial listing fed it
    sums: BTreeMap<SumKey, (BTreeSet<CellId>, bool)>,
    dense: Vec<bool>,
    mismatches: Vec<String>,
    offset: i32,
}

impl<'a> Builder<'a> {
    fn pop(&self, period: &str, pop: &str) -> String {
        self.rel.get(period).map_or(pop, |r| r.name(pop)).to_string()
    }

    /// The cell of `key` (created shown, group `group`, when new).
    fn cell(&mut self, mut key: Key, value: Option<i64>, group: u32) -> CellId {
        key.pop = self.pop(&key.period, &key.pop);
        let text = key.text();
        let fresh = self.model.find(&text).is_none();
        let id = self.model.cell(&text);
        if fresh {
            self.keys.push(key);
            self.dense.push(false);
            let c = &mut self.model.cells[id];
            c.group = group;
            c.state = State::Shown;
            c.candidate = true;
            c.value = value;
        } else {
            let c = &mut self.model.cells[id];
            c.group = c.group.min(group);
            match (c.value, value) {
                (None, v) => c.value = v,
                (Some(a), Some(b)) if a != b => {
                    self.mismatches.push(format!("{text}: {a} in one table, {b} in another"))
                }
                _ => {}
            }
        }
        id
    }

    /// Places the cell of `key` at (table, row, col) and feeds its additive dimensions.
    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        t: usize,
        row: usize,
        col: usize,
        key: Key,
        value: Option<i64>,
        group: u32,
        additive: &[&str],
        complete: bool,
        dense: bool,
    ) -> CellId {
        let id = self.cell(key, value, group);
        self.places.push(Place { table: t, row, col, cell: id });
        self.dense[id] |= dense;
        let key = self.keys[id].clone();
        for &d in additive {
            if key.coords.contains_key(d) {
                let base = key.without(d);
                let e = self
                    .sums
                    .entry((
                        base.measure.clone(),
                        base.period.clone(),
                        base.pop.clone(),
                        base.coords_text(),
                        d.to_string(),
                    ))
                    .or_insert_with(|| (BTreeSet::new(), true));
                e.0.insert(id);
                e.1 &= complete;
            }
        }
        id
    }

    fn derive(&mut self, t: usize, row: usize, col: usize, inputs: Vec<CellId>) {
        self.derived.push(DerivedAt { table: t, row, col, inputs });
    }

    /// The total of `pop` in `period` (`crimes|period|pop|`).
    fn total(&mut self, measure: &str, period: &str, pop: &str, group: u32) -> CellId {
        self.cell(Key::new(measure, period, pop), None, group)
    }
}

/// What the builder needs to know of a table's columns.
fn count_cols(t: &Table) -> Vec<usize> {
    (0..t.columns.len()).filter(|&j| matches!(t.roles[j], Role::Count | Role::Small)).collect()
}

/// What the model needs to know of places the tables leave out: every population's count at
/// each location a top-locations table shows (`location, ward` as keyed), and the most an
/// unlisted location can hold in each population's list.
#[derive(Debug, Clone, Default)]
pub struct Unlisted {
    pub counts: BTreeMap<(String, String), i64>,
    pub upper: BTreeMap<String, i64>,
}

/// Builds the model of `tables` (the public tables, before any cell is hidden).
pub fn build_model(
    b: &Built,
    tables: &[Table],
    rel: &BTreeMap<String, Relations>,
    unlisted: &Unlisted,
) -> Result<PackModel> {
    let periods = &b.assessment.periods;
    let cur = period_text(&periods.current);
    let cmp = period_text(&periods.comparison);
    let mut bd = Builder {
        rel,
        model: Model::new(),
        keys: Vec::new(),
        places: Vec::new(),
        derived: Vec::new(),
        sums: BTreeMap::new(),
        dense: Vec::new(),
        mismatches: Vec::new(),
        offset: periods.offset(),
    };
    let mut part_of: BTreeMap<String, (usize, Kind)> = BTreeMap::new();
    for (k, p) in b.parts.iter().enumerate() {
        for &kind in &p.kinds {
            part_of.insert(p.id(kind), (k, kind));
        }
    }
    let dense_wards = b.area.is_some();
    // the trends' monthly counts, by priority: what the trend and forecast tables derive from
    let mut trend_inputs: BTreeMap<String, Vec<CellId>> = BTreeMap::new();
    let mut trend_derived: Vec<usize> = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        let name = t.name.as_str();
        if name == ids::TREND_MONTHS {
            trend_inputs = trend_months(&mut bd, ti, t, periods);
        } else if [ids::TRENDS, ids::FORECASTS, ids::FORECAST_ACCURACY].contains(&name) {
            trend_derived.push(ti);
        } else if name == ids::PRIORITY_VOLUMES {
            volumes(&mut bd, ti, t, &cur, &cmp);
        } else if name == ids::CRIME_TYPES {
            crime_types(&mut bd, ti, t, &cur, &cmp);
        } else if name == ids::WARD_PROFILES {
            ward_profiles(&mut bd, ti, t, &cur, &cmp, dense_wards);
        } else if name == ids::PRIORITY_RANKING {
            ranking(&mut bd, ti, t, &cur);
        } else if let Some(who) = Who::BOTH.into_iter().find(|&w| name == ids::equalities(w)) {
            equalities(&mut bd, ti, t, &cur, who);
        } else if name == ids::PEER_RATES {
            peer_rates(&mut bd, ti, t, &cur);
        } else if name == ids::PRIORITY_REVIEW {
            let then = b.review.previous.as_ref().map(|p| period_text(&p.period));
            priority_review(&mut bd, ti, t, &cur, then.as_deref().unwrap_or(""));
        } else if let Some(&(k, kind)) = part_of.get(name) {
            let pop = b.parts[k].priority.name.clone();
            part_table(&mut bd, ti, t, kind, &pop, &cur, &cmp, dense_wards);
        } else {
            other_table(&mut bd, ti, t, &cur);
        }
    }
    for ti in trend_derived {
        let t = &tables[ti];
        for i in 0..t.rows.len() {
            let inputs = trend_inputs.get(&t.get(i, names::PRIORITY).text()).cloned();
            for j in (0..t.columns.len()).filter(|&j| t.roles[j] == Role::Derived) {
                match &inputs {
                    Some(inputs) => bd.derive(ti, i, j, inputs.clone()),
                    // no months published for it: a figure of nothing published is hidden
                    None => {
                        let missing =
                            bd.total("crimes_unpublished", cur.as_str(), &t.name, GROUP_REST);
                        bd.model.cells[missing].state = State::Latent { upper: None };
                        bd.model.cells[missing].candidate = false;
                        bd.derive(ti, i, j, vec![missing]);
                    }
                }
            }
        }
    }
    // lists add up to their margins
    let sums = std::mem::take(&mut bd.sums);
    for ((measure, period, pop, base, dim), (members, complete)) in sums {
        if !complete || members.is_empty() {
            continue;
        }
        let members: Vec<CellId> = members.into_iter().collect();
        let group = members.iter().map(|&m| bd.model.cells[m].group).min().unwrap_or(GROUP_REST);
        let sum: Option<i64> = members.iter().map(|&m| bd.model.cells[m].value).sum();
        let mut margin = Key::new(&measure, &period, &pop);
        for kv in base.split(';').filter(|s| !s.is_empty()) {
            if let Some((d, v)) = kv.split_once('=') {
                margin.coords.insert(d.into(), v.into());
            }
        }
        let m = bd.cell(margin, sum, group);
        match (bd.model.cells[m].value, sum) {
            (Some(a), Some(s)) if a != s => {
                bd.mismatches.push(format!(
                    "{}: the {dim} list adds up to {s}, not {a}",
                    bd.model.cells[m].key
                ));
                continue;
            }
            _ => {}
        }
        bd.model.add(Constraint::sum(
            m,
            &members,
            format!("{} by {dim} adds up", bd.model.cells[m].key),
        ));
    }
    unlisted_members(&mut bd, &cur, unlisted);
    relations(&mut bd);
    // costs: hide small values first, a population's total last; zeros are never hidden to
    // protect others: a hidden 0 is itself a "<5" that must be able to reach 4, so hiding it
    // only moves the problem (and, in a row of zeros, cannot work at all)
    for (id, c) in bd.model.cells.iter_mut().enumerate() {
        let v = c.value.unwrap_or(0);
        let total = bd.keys.get(id).is_some_and(|k| k.coords.is_empty());
        c.cost = v as f64 + if total { 1e6 } else { 0.0 } + 0.5;
        if v == 0 {
            c.candidate = false;
        }
    }
    Ok(PackModel {
        model: bd.model,
        places: bd.places,
        derived: bd.derived,
        mismatches: bd.mismatches,
    })
}

fn int(c: &Cell) -> Option<i64> {
    c.as_i64()
}

/// Derived columns of a breakdown-like row: (column, inputs) with `count`, `comparison` and
/// the total of the count column.
fn derive_row(
    bd: &mut Builder,
    ti: usize,
    t: &Table,
    i: usize,
    count: Option<CellId>,
    comparison: Option<CellId>,
    total: Option<CellId>,
) {
    for (j, c) in t.columns.iter().enumerate() {
        if t.roles[j] != Role::Derived {
            continue;
        }
        let inputs: Vec<Option<CellId>> = match c.as_str() {
            names::CHANGE | names::CHANGE_PCT => vec![count, comparison],
            names::COMPARISON_RATE_PER_1000 => vec![comparison],
            names::SHARE_PCT => vec![count, total],
            _ => vec![count],
        };
        let inputs: Vec<CellId> = inputs.into_iter().flatten().collect();
        if !inputs.is_empty() {
            bd.derive(ti, i, j, inputs);
        }
    }
}

fn volumes(bd: &mut Builder, ti: usize, t: &Table, cur: &str, cmp: &str) {
    let (Some(jc), jp) = (t.col(names::COUNT), t.col(names::COMPARISON)) else { return };
    for i in 0..t.rows.len() {
        let pop = t.get(i, names::PRIORITY).text();
        let c = bd.place(
            ti,
            i,
            jc,
            Key::new("crimes", cur, &pop),
            int(&t.rows[i][jc]),
            GROUP_CURRENT,
            &[],
            true,
            true,
        );
        let p = jp.filter(|&j| int(&t.rows[i][j]).is_some()).map(|j| {
            bd.place(
                ti,
                i,
                j,
                Key::new("crimes", cmp, &pop),
                int(&t.rows[i][j]),
                GROUP_COMPARISON,
                &[],
                true,
                true,
            )
        });
        derive_row(bd, ti, t, i, Some(c), p, None);
    }
}

fn crime_types(bd: &mut Builder, ti: usize, t: &Table, cur: &str, cmp: &str) {
    let all = csa_analysis::config::ALL;
    let (Some(jc), jp) = (t.col(names::COUNT), t.col(names::COMPARISON)) else { return };
    let total = bd.total("crimes", cur, all, GROUP_CURRENT);
    for i in 0..t.rows.len() {
        let pop = crime_type_pop(&t.get(i, csa_analysis::Dim::CrimeType.name()).text());
        let c = bd.place(
            ti,
            i,
            jc,
            Key::new("crimes", cur, &pop),
            int(&t.rows[i][jc]),
            GROUP_CURRENT,
            &[],
            true,
            false,
        );
        let p = jp.filter(|&j| int(&t.rows[i][j]).is_some()).map(|j| {
            bd.place(
                ti,
                i,
                j,
                Key::new("crimes", cmp, &pop),
                int(&t.rows[i][j]),
                GROUP_COMPARISON,
                &[],
                true,
                false,
            )
        });
        derive_row(bd, ti, t, i, Some(c), p, Some(total));
    }
}

/// The period a month of the trends' counts is keyed under: the assessment period or the
/// comparison period when it holds the month, else the block of the assessment period's
/// length that holds it, counted back from the assessment period (with 12-month periods: the
/// calendar block of the year before the comparison year, and so on).
pub fn trend_period(
    periods: &csa_analysis::Periods,
    m: csa_analysis::Month,
) -> csa_analysis::Period {
    let (cur, cmp) = (periods.current, periods.comparison);
    if cur.contains(m) {
        return cur;
    }
    if cmp.contains(m) {
        return cmp;
    }
    let len = cur.months();
    let k = (cur.from.0 - m.0 + len - 1).div_euclid(len);
    csa_analysis::Period { from: cur.from.plus(-k * len), to: cur.to.plus(-k * len) }
}

/// `trend_months`: every priority's count per month, keyed as the month tables key theirs
/// (module header); a period's months add up to its total where the table has all of them.
/// Returns each priority's cells.
fn trend_months(
    bd: &mut Builder,
    ti: usize,
    t: &Table,
    periods: &csa_analysis::Periods,
) -> BTreeMap<String, Vec<CellId>> {
    let mut out: BTreeMap<String, Vec<CellId>> = BTreeMap::new();
    let Some(jc) = t.col(names::COUNT) else { return out };
    let listed: BTreeSet<csa_analysis::Month> = (0..t.rows.len())
        .filter_map(|i| csa_analysis::Month::parse(&t.get(i, names::MONTH).text()))
        .collect();
    for i in 0..t.rows.len() {
        let pop = t.get(i, names::PRIORITY).text();
        let Some(m) = csa_analysis::Month::parse(&t.get(i, names::MONTH).text()) else { continue };
        let p = trend_period(periods, m);
        let group = if p == periods.current {
            GROUP_CURRENT
        } else if p == periods.comparison {
            GROUP_COMPARISON
        } else {
            GROUP_REST
        };
        // the margin of an earlier year is published nowhere: no list to add up
        let complete = group != GROUP_REST && p.iter().all(|x| listed.contains(&x));
        let id = bd.place(
            ti,
            i,
            jc,
            Key::new("crimes", &period_text(&p), &pop).at("month", &m.to_string()),
            int(&t.rows[i][jc]),
            group,
            &["month"],
            complete,
            true,
        );
        out.entry(pop).or_default().push(id);
    }
    out
}

/// The population of a crime type's records.
pub fn crime_type_pop(label: &str) -> String {
    format!("crime type: {label}")
}

fn ward_profiles(bd: &mut Builder, ti: usize, t: &Table, cur: &str, cmp: &str, dense: bool) {
    let (Some(jc), jp) = (t.col(names::COUNT), t.col(names::COMPARISON)) else { return };
    for i in 0..t.rows.len() {
        let pop = t.get(i, names::PRIORITY).text();
        let ward = t.get(i, col::WARD_CODE).text();
        let key = |period: &str| Key::new("crimes", period, &pop).at("ward", &ward);
        let c = bd.place(
            ti,
            i,
            jc,
            key(cur),
            int(&t.rows[i][jc]),
            GROUP_CURRENT,
            &["ward"],
            true,
            dense,
        );
        let p = jp.filter(|&j| int(&t.rows[i][j]).is_some()).map(|j| {
            bd.place(
                ti,
                i,
                j,
                key(cmp),
                int(&t.rows[i][j]),
                GROUP_COMPARISON,
                &["ward"],
                true,
                dense,
            )
        });
        let total = bd.total("crimes", cur, &pop, GROUP_CURRENT);
        for (j, c_name) in t.columns.iter().enumerate() {
            if t.roles[j] != Role::Derived {
                continue;
            }
            let inputs: Vec<Option<CellId>> = match c_name.as_str() {
                names::CHANGE_PCT => vec![Some(c), p],
                col::AREA_RATE_PER_1000 => vec![Some(total)],
                col::RATIO_TO_AREA => vec![Some(c), Some(total)],
                _ => vec![Some(c)],
            };
            bd.derive(ti, i, j, inputs.into_iter().flatten().collect());
        }
    }
}

fn ranking(bd: &mut Builder, ti: usize, t: &Table, cur: &str) {
    let Some(jc) = t.col(names::COUNT) else { return };
    for i in 0..t.rows.len() {
        let pop = t.get(i, names::PRIORITY).text();
        if int(&t.rows[i][jc]).is_some() {
            bd.place(
                ti,
                i,
                jc,
                Key::new("crimes", cur, &pop),
                int(&t.rows[i][jc]),
                GROUP_CURRENT,
                &[],
                true,
                true,
            );
        }
    }
}

fn equalities(bd: &mut Builder, ti: usize, t: &Table, cur: &str, who: Who) {
    // people by their latest record; their total is the priority's distinct people
    let latest = format!("{}_latest", who.name());
    let measure = latest.as_str();
    let (Some(jp), jk, ju) = (t.col(names::PEOPLE), t.col(names::KNOWN), t.col(names::UNKNOWN))
    else {
        return;
    };
    for i in 0..t.rows.len() {
        let pop = t.get(i, names::PRIORITY).text();
        let dim = t.get(i, names::DIMENSION).text();
        let group = t.get(i, names::GROUP).text();
        let people = bd.place(
            ti,
            i,
            jp,
            Key::new(measure, cur, &pop).at(&dim, &group),
            int(&t.rows[i][jp]),
            GROUP_REST,
            &[dim.as_str()],
            true,
            false,
        );
        let total = bd.total(who.name(), cur, &pop, GROUP_REST);
        let unknown = ju.map(|j| {
            bd.place(
                ti,
                i,
                j,
                Key::new(measure, cur, &pop).at(&dim, "(unknown)"),
                int(&t.rows[i][j]),
                GROUP_REST,
                &[dim.as_str()],
                true,
                false,
            )
        });
        let known = jk.map(|j| {
            bd.place(
                ti,
                i,
                j,
                Key::new(measure, cur, &pop).at(&format!("{dim} known"), "yes"),
                int(&t.rows[i][j]),
                GROUP_REST,
                &[],
                true,
                false,
            )
        });
        if let (Some(k), Some(u)) = (known, unknown) {
            bd.model.add(Constraint::sum(
                total,
                &[k, u],
                format!("{measure} of {pop}: known {dim} + unknown"),
            ));
        }
        if i == 0 || t.get(i - 1, names::PRIORITY).text() != pop {
            // the groups of each dimension add up to this, the same people
            let all_latest = bd.total(measure, cur, &pop, GROUP_REST);
            bd.model.add(Constraint::zero(
                vec![(all_latest, 1.0), (total, -1.0)],
                format!("{measure} of {pop} are its distinct people"),
            ));
        }
        for (j, c) in t.columns.iter().enumerate() {
            if t.roles[j] == Role::Derived {
                let _ = c;
                bd.derive(ti, i, j, [Some(people), known].into_iter().flatten().collect());
            }
        }
    }
}

/// A priority's table of `kind`.
#[allow(clippy::too_many_arguments)]
fn part_table(
    bd: &mut Builder,
    ti: usize,
    t: &Table,
    kind: Kind,
    pop: &str,
    cur: &str,
    cmp: &str,
    dense_wards: bool,
) {
    let offset = bd.offset;
    match kind {
        Kind::Months
        | Kind::Wards
        | Kind::LocationTypes
        | Kind::Ethnicity(_)
        | Kind::Relationship => {
            let (dim, dim_col, measure, dense) = match kind {
                Kind::Months => ("month", names::MONTH.to_string(), "crimes".to_string(), true),
                Kind::Wards => {
                    ("ward", col::WARD_CODE.to_string(), "crimes".to_string(), dense_wards)
                }
                Kind::LocationTypes => (
                    "location_type",
                    csa_analysis::Dim::LocationType.name().to_string(),
                    "crimes".to_string(),
                    false,
                ),
                Kind::Ethnicity(Who::Victims) => (
                    "ethnicity",
                    csa_analysis::Dim::VictimEthnicity.name().to_string(),
                    "victim_records".to_string(),
                    false,
                ),
                Kind::Ethnicity(Who::Offenders) => (
                    "ethnicity",
                    csa_analysis::Dim::OffenderEthnicity.name().to_string(),
                    "offender_records".to_string(),
                    false,
                ),
                _ => (
                    "relationship",
                    csa_analysis::Dim::OffenderRelationship.name().to_string(),
                    "offender_records".to_string(),
                    false,
                ),
            };
            let (Some(jc), jp, jpeople) =
                (t.col(names::COUNT), t.col(names::COMPARISON), t.col(names::PEOPLE))
            else {
                return;
            };
            let total = bd.total(&measure, cur, pop, GROUP_CURRENT);
            for i in 0..t.rows.len() {
                let v = t.get(i, &dim_col).text();
                let c = bd.place(
                    ti,
                    i,
                    jc,
                    Key::new(&measure, cur, pop).at(dim, &v),
                    int(&t.rows[i][jc]),
                    GROUP_CURRENT,
                    &[dim],
                    true,
                    dense,
                );
                let p = jp.filter(|&j| int(&t.rows[i][j]).is_some()).map(|j| {
                    let cv = if dim == "month" {
                        csa_analysis::period::Month::parse(&v)
                            .map_or(v.clone(), |m| m.plus(-offset).to_string())
                    } else {
                        v.clone()
                    };
                    bd.place(
                        ti,
                        i,
                        j,
                        Key::new(&measure, cmp, pop).at(dim, &cv),
                        int(&t.rows[i][j]),
                        GROUP_COMPARISON,
                        &[dim],
                        true,
                        dense,
                    )
                });
                if let Some(j) = jpeople {
                    let who = if measure.starts_with("victim") { "victims" } else { "offenders" };
                    let pe = bd.place(
                        ti,
                        i,
                        j,
                        Key::new(who, cur, pop).at(dim, &v),
                        int(&t.rows[i][j]),
                        GROUP_REST,
                        &[],
                        true,
                        false,
                    );
                    bd.model.add(Constraint::at_most_zero(
                        vec![(pe, 1.0), (c, -1.0)],
                        format!("{who} at most their records ({pop}, {dim} {v})"),
                    ));
                }
                derive_row(bd, ti, t, i, Some(c), p, Some(total));
            }
        }
        Kind::DayHour => {
            let day_col = names::DAY_OF_WEEK;
            for i in 0..t.rows.len() {
                let day = t.get(i, day_col).text();
                for j in count_cols(t) {
                    let c = &t.columns[j];
                    let mut key = Key::new("crimes", cur, pop);
                    if day != col::ALL_DAYS_ROW {
                        key = key.at("day", &day);
                    }
                    if let Some(h) = c.strip_prefix('h').filter(|h| h.len() == 2) {
                        key = key.at("hour", h);
                    } else if c == col::TIME_UNKNOWN {
                        key = key.at("hour", "unknown");
                    }
                    bd.place(
                        ti,
                        i,
                        j,
                        key,
                        int(&t.rows[i][j]),
                        GROUP_REST,
                        &["day", "hour"],
                        true,
                        true,
                    );
                }
            }
        }
        Kind::AgeSex(who) => {
            let measure = format!("{}_records", &who.name()[..who.name().len() - 1]);
            for i in 0..t.rows.len() {
                let age = t.rows[i][0].text();
                for j in count_cols(t) {
                    let c = &t.columns[j];
                    let mut key = Key::new(&measure, cur, pop);
                    if age != col::TOTAL_ROW {
                        key = key.at("age", &age);
                    }
                    if c != col::TOTAL {
                        key = key.at("sex", c);
                    }
                    bd.place(
                        ti,
                        i,
                        j,
                        key,
                        int(&t.rows[i][j]),
                        GROUP_REST,
                        &["age", "sex"],
                        true,
                        false,
                    );
                }
            }
        }
        Kind::Repeats => repeats(bd, ti, t, pop, cur),
        Kind::TopLocations => {
            let (Some(jc), jpts) = (t.col(names::COUNT), t.col(names::POINTS)) else { return };
            let total = bd.total("crimes", cur, pop, GROUP_CURRENT);
            for i in 0..t.rows.len() {
                let loc = t.get(i, names::LOCATION).text();
                let ward = t.get(i, csa_model::Col::WardName.name()).text();
                // a place without a description is one point, which the public table does
                // not show: nothing to link it with
                let place = if loc.starts_with('(') {
                    format!("{loc} #{i} of {}", t.name)
                } else {
                    format!("{loc}, {ward}")
                };
                let c = bd.place(
                    ti,
                    i,
                    jc,
                    Key::new("crimes", cur, pop).at("location", &place),
                    int(&t.rows[i][jc]),
                    GROUP_REST,
                    &[],
                    false,
                    false,
                );
                if let Some(j) = jpts {
                    let pts = bd.place(
                        ti,
                        i,
                        j,
                        Key::new("points", cur, pop).at("location", &place),
                        int(&t.rows[i][j]),
                        GROUP_REST,
                        &[],
                        false,
                        false,
                    );
                    bd.model.add(Constraint::at_most_zero(
                        vec![(pts, 1.0), (c, -1.0)],
                        format!("points at most crimes ({pop}, {place})"),
                    ));
                }
                derive_row(bd, ti, t, i, Some(c), None, Some(total));
            }
        }
        Kind::HotspotCells => {
            let Some(jc) = t.col(names::COUNT) else { return };
            for i in 0..t.rows.len() {
                let cell = format!(
                    "{},{}",
                    t.get(i, names::CELL_X).text(),
                    t.get(i, names::CELL_Y).text()
                );
                let c = bd.place(
                    ti,
                    i,
                    jc,
                    Key::new("crimes", cur, pop).at("grid_cell", &cell),
                    int(&t.rows[i][jc]),
                    GROUP_REST,
                    &[],
                    false,
                    false,
                );
                // the Gi* z and p of a cell are functions of its count
                for c_name in [names::GI_Z, names::GI_P] {
                    if let Some(j) = t.col(c_name) {
                        bd.derive(ti, i, j, vec![c]);
                    }
                }
            }
        }
        Kind::ProlificOffenders => other_table(bd, ti, t, cur),
    }
}

fn repeats(bd: &mut Builder, ti: usize, t: &Table, pop: &str, cur: &str) {
    let crimes = bd.total("crimes", cur, pop, GROUP_CURRENT);
    for i in 0..t.rows.len() {
        let side = t.get(i, col::SIDE).text(); // victims / offenders
        let one = side.strip_suffix('s').unwrap_or(&side).to_string();
        let measure_of = |c: &str| -> Option<String> {
            Some(match c {
                "people" => side.clone(),
                "repeat_people" => format!("repeat_{side}"),
                "crimes" => format!("crimes_with_{side}"),
                "crimes_with_repeat_people" => format!("crimes_with_repeat_{side}"),
                "most_crimes_for_one_person" => format!("most_crimes_one_{one}"),
                "victim_records_again_within_365_days" => "victim_records_again_365".into(),
                "same_victim_and_offender_again_within_365_days" => "same_pair_again_365".into(),
                _ => return None,
            })
        };
        let mut by: BTreeMap<String, CellId> = BTreeMap::new();
        for j in count_cols(t) {
            let Some(m) = measure_of(&t.columns[j]) else { continue };
            if int(&t.rows[i][j]).is_none() {
                continue;
            }
            let id = bd.place(
                ti,
                i,
                j,
                Key::new(&m, cur, pop),
                int(&t.rows[i][j]),
                GROUP_REST,
                &[],
                true,
                false,
            );
            by.insert(t.columns[j].clone(), id);
        }
        let le = |bd: &mut Builder, a: Option<&CellId>, b: Option<&CellId>, what: &str| {
            if let (Some(&a), Some(&b)) = (a, b) {
                bd.model.add(Constraint::at_most_zero(
                    vec![(a, 1.0), (b, -1.0)],
                    format!("{what} ({pop}, {side})"),
                ));
            }
        };
        le(bd, by.get("repeat_people"), by.get("people"), "repeat people at most people");
        le(
            bd,
            by.get("crimes_with_repeat_people"),
            by.get("crimes"),
            "crimes with repeat people at most crimes",
        );
        le(
            bd,
            by.get("most_crimes_for_one_person"),
            by.get("crimes"),
            "one person's crimes at most crimes",
        );
        le(bd, by.get("crimes"), Some(&crimes), "crimes with people at most crimes");
        for (j, c) in t.columns.iter().enumerate() {
            if t.roles[j] != Role::Derived {
                continue;
            }
            let base = c.strip_suffix("_pct").unwrap_or(c);
            let of = match base {
                "repeat_people" => vec!["repeat_people", "people"],
                "crimes_with_repeat_people" => vec!["crimes_with_repeat_people", "crimes"],
                b => vec![b],
            };
            let mut inputs: Vec<CellId> = of.iter().filter_map(|c| by.get(*c).copied()).collect();
            if base.starts_with("victim_records") || base.starts_with("same_victim") {
                inputs.push(bd.total("victim_records", cur, pop, GROUP_CURRENT));
            }
            bd.derive(ti, i, j, inputs);
        }
    }
}

/// A table this module does not know: each count cell its own key (with the assessment
/// period, so that two years' packs never share one), protected by the table's shape (its
/// lists add up to margins that count as published).
fn other_table(bd: &mut Builder, ti: usize, t: &Table, cur: &str) {
    let counts: Vec<usize> = (0..t.columns.len()).filter(|&j| t.roles[j] == Role::Count).collect();
    let smalls: Vec<usize> = (0..t.columns.len()).filter(|&j| t.roles[j] == Role::Small).collect();
    let key = |i: usize, j: usize| {
        Key::new("cell", cur, &t.name).at("row", &format!("{i:06}")).at("column", &t.columns[j])
    };
    let mut ids: BTreeMap<(usize, usize), CellId> = BTreeMap::new();
    for i in 0..t.rows.len() {
        for &j in counts.iter().chain(&smalls) {
            if let Some(v) = int(&t.rows[i][j]) {
                let id = bd.place(ti, i, j, key(i, j), Some(v), GROUP_OTHER, &[], true, false);
                ids.insert((i, j), id);
            }
        }
    }
    let margin = |bd: &mut Builder, label: String, members: &[CellId]| -> CellId {
        let v: Option<i64> = members.iter().map(|&m| bd.model.cells[m].value).sum();
        let m = bd.cell(Key::new("cell", cur, &t.name).at("margin", &label), v, GROUP_OTHER);
        bd.model.add(Constraint::sum(m, members, format!("{}: {label} adds up", t.name)));
        m
    };
    match &t.protect {
        Protect::Primary => {}
        Protect::Columns { group } => {
            let g: Vec<usize> = group.iter().filter_map(|c| t.col(c)).collect();
            let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
            for i in 0..t.rows.len() {
                groups.entry(g.iter().map(|&c| t.rows[i][c].text()).collect()).or_default().push(i);
            }
            // a `known` column (equalities by ward) publishes each group's total on every row
            let known = t.col(names::KNOWN);
            for &j in &counts {
                for (k, rows) in &groups {
                    let members: Vec<CellId> =
                        rows.iter().filter_map(|&i| ids.get(&(i, j)).copied()).collect();
                    if !members.is_empty() {
                        let m = margin(bd, format!("{} {}", t.columns[j], k.join("/")), &members);
                        let sum = bd.model.cells[m].value;
                        for &i in rows {
                            let Some(&kn) = known.and_then(|kj| ids.get(&(i, kj))) else {
                                continue;
                            };
                            if j == t.col(names::PEOPLE).unwrap_or(usize::MAX)
                                && bd.model.cells[kn].value == sum
                            {
                                bd.model.add(Constraint::zero(
                                    vec![(kn, 1.0), (m, -1.0)],
                                    format!(
                                        "{}: {} is the {} of {}",
                                        t.name,
                                        names::KNOWN,
                                        t.columns[j],
                                        k.join("/")
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        Protect::Matrix { total_row } => {
            if let Some((&total_col, inner)) = counts.split_last() {
                let body = if *total_row { t.rows.len().saturating_sub(1) } else { t.rows.len() };
                for i in 0..t.rows.len() {
                    let members: Vec<CellId> =
                        inner.iter().filter_map(|&j| ids.get(&(i, j)).copied()).collect();
                    if let Some(&tot) = ids.get(&(i, total_col)) {
                        bd.model.add(Constraint::sum(
                            tot,
                            &members,
                            format!("{} row {i} adds up", t.name),
                        ));
                    }
                }
                for &j in counts.iter() {
                    let members: Vec<CellId> =
                        (0..body).filter_map(|i| ids.get(&(i, j)).copied()).collect();
                    match (*total_row, ids.get(&(body, j))) {
                        (true, Some(&tot)) => bd.model.add(Constraint::sum(
                            tot,
                            &members,
                            format!("{} column {} adds up", t.name, t.columns[j]),
                        )),
                        _ => {
                            margin(bd, format!("column {}", t.columns[j]), &members);
                        }
                    }
                }
            }
        }
    }
    // derived figures: on every count of the row
    for i in 0..t.rows.len() {
        let row_cells: Vec<CellId> =
            counts.iter().chain(&smalls).filter_map(|&j| ids.get(&(i, j)).copied()).collect();
        for j in 0..t.columns.len() {
            if t.roles[j] == Role::Derived && !row_cells.is_empty() {
                bd.derive(ti, i, j, row_cells.clone());
            }
        }
    }
}

/// `key` when the model already holds that cell with `value` (the same count published in
/// another table: one cell), else `local`.
fn same_or_local(bd: &Builder, mut key: Key, local: Key, value: Option<i64>) -> (Key, bool) {
    key.pop = bd.pop(&key.period, &key.pop);
    match bd.model.find(&key.text()) {
        Some(id) if value.is_some() && bd.model.cells[id].value == value => (key, true),
        _ => (local, false),
    }
}

/// The peer comparison ([`crate::peers`]): per priority, `all areas` = CSP + `other CSPs`,
/// `other CSPs` = the districts listed, `peer group` = its districts; the CSP's count is the
/// priority's total where it is the same count. Rates, intervals and funnel positions are
/// derived from the row's count.
fn peer_rates(bd: &mut Builder, ti: usize, t: &Table, cur: &str) {
    use csa_analysis::peers::RowKind;
    let Some(jc) = t.col(names::COUNT) else { return };
    let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..t.rows.len() {
        by.entry(t.get(i, names::PRIORITY).text()).or_default().push(i);
    }
    for (prio, rows) in by {
        let mut cells: Vec<(usize, String, bool, CellId)> = Vec::new();
        for i in rows {
            let kind = t.get(i, names::AREA_KIND).text();
            let area = format!("{kind}:{}", t.get(i, names::AREA).text());
            let value = int(&t.rows[i][jc]);
            let local = Key::new("cell", cur, &t.name).at("priority", &prio).at("area", &area);
            let (key, linked) = if kind == RowKind::Csp.label() {
                same_or_local(bd, Key::new("crimes", cur, &prio), local, value)
            } else {
                (local, false)
            };
            let group = if linked { GROUP_CURRENT } else { GROUP_OTHER };
            let id = bd.place(ti, i, jc, key, value, group, &[], true, false);
            for j in 0..t.columns.len() {
                if t.roles[j] == Role::Derived {
                    bd.derive(ti, i, j, vec![id]);
                }
            }
            let peer = t.get(i, names::IN_PEER_GROUP).text() == "yes";
            cells.push((i, kind, peer, id));
        }
        let of = |k: RowKind| cells.iter().find(|c| c.1 == k.label()).map(|c| c.3);
        let districts: Vec<CellId> =
            cells.iter().filter(|c| c.1 == RowKind::District.label()).map(|c| c.3).collect();
        let peers: Vec<CellId> =
            cells.iter().filter(|c| c.1 == RowKind::District.label() && c.2).map(|c| c.3).collect();
        if let (Some(all), Some(csp), Some(others)) =
            (of(RowKind::AllAreas), of(RowKind::Csp), of(RowKind::OtherCsps))
        {
            bd.model.add(Constraint::sum(
                all,
                &[csp, others],
                format!("{}: {prio}: all areas = CSP + other CSPs", t.name),
            ));
            bd.model.add(Constraint::sum(
                others,
                &districts,
                format!("{}: {prio}: other CSPs = the districts", t.name),
            ));
        }
        if let Some(group) = of(RowKind::PeerGroup) {
            bd.model.add(Constraint::sum(
                group,
                &peers,
                format!("{}: {prio}: peer group = its districts", t.name),
            ));
        }
    }
}

/// The review of last year's priorities ([`crate::review`]): each count is the priority's
/// total of its period where the model holds the same count, else a cell of its own; every
/// derived column draws on both counts.
fn priority_review(bd: &mut Builder, ti: usize, t: &Table, cur: &str, then: &str) {
    let (Some(jt), Some(jn)) = (t.col(names::COUNT_THEN), t.col(names::COUNT_NOW)) else {
        return;
    };
    for i in 0..t.rows.len() {
        let prio = t.get(i, names::PRIORITY).text();
        let mut ids = Vec::new();
        for (j, period) in [(jt, then), (jn, cur)] {
            let Some(v) = int(&t.rows[i][j]) else { continue };
            let local = Key::new("cell", cur, &t.name).at("row", &prio).at("column", &t.columns[j]);
            // a cell already in the model keeps its (lower) group
            let (key, _) = same_or_local(bd, Key::new("crimes", period, &prio), local, Some(v));
            ids.push(bd.place(ti, i, j, key, Some(v), GROUP_OTHER, &[], true, false));
        }
        for j in 0..t.columns.len() {
            if t.roles[j] == Role::Derived && !ids.is_empty() {
                bd.derive(ti, i, j, ids.clone());
            }
        }
    }
}

/// The members a partial listing leaves out, where a population that is their sum (or is
/// covered by them) is listed: latent cells with their true values, so that the audit sees
/// what the sum gives away (serious acquisitive crime at a place minus the burglary and
/// vehicle crime listed there is the robbery the robbery list leaves out). At a place, every
/// missing member's count comes from the data; at a hot cell, only a single missing member
/// (the whole minus the listed ones).
fn unlisted_members(bd: &mut Builder, cur: &str, unlisted: &Unlisted) {
    let Some(r) = bd.rel.get(cur).cloned() else { return };
    let mut at: BTreeMap<String, BTreeMap<String, CellId>> = BTreeMap::new();
    for (id, k) in bd.keys.iter().enumerate() {
        let partial = k.coords.contains_key("location") || k.coords.contains_key("grid_cell");
        if partial && k.measure == "crimes" && k.period == cur && k.coords.len() == 1 {
            at.entry(k.coords_text()).or_default().insert(k.pop.clone(), id);
        }
    }
    let families: Vec<(String, Vec<String>)> =
        r.partitions.iter().chain(&r.covers).cloned().collect();
    for (coords, pops) in at {
        let (dim, place) = coords
            .split_once('=')
            .map_or((String::new(), String::new()), |(d, v)| (d.to_string(), v.to_string()));
        // a place without a description is one table's own row: nothing to link it with
        if place.starts_with('(') {
            continue;
        }
        for (whole, parts) in &families {
            let members: Vec<&String> = std::iter::once(whole).chain(parts).collect();
            if !members.iter().any(|m| pops.contains_key(*m)) {
                continue;
            }
            let missing: Vec<&String> =
                members.iter().copied().filter(|m| !pops.contains_key(*m)).collect();
            if missing.is_empty() {
                continue;
            }
            let values: Option<Vec<i64>> = if dim == "location" {
                missing
                    .iter()
                    .map(|m| {
                        Some(
                            unlisted
                                .counts
                                .get(&((*m).clone(), place.clone()))
                                .copied()
                                .unwrap_or(0),
                        )
                    })
                    .collect()
            } else if missing.len() == 1 && !missing.contains(&whole) {
                let w = pops.get(whole).and_then(|&i| bd.model.cells[i].value);
                let shown: Option<i64> = parts
                    .iter()
                    .filter(|p| pops.contains_key(*p))
                    .map(|p| bd.model.cells[pops[p]].value)
                    .sum();
                match (w, shown) {
                    (Some(w), Some(s)) if w >= s => Some(vec![w - s]),
                    _ => None,
                }
            } else {
                None
            };
            let Some(values) = values else { continue };
            for (m, v) in missing.into_iter().zip(values) {
                let key = Key::new("crimes", cur, m).at(&dim, &place);
                let id = bd.cell(key, Some(v), GROUP_REST);
                let upper = if dim == "location" { unlisted.upper.get(m).copied() } else { None };
                bd.model.cells[id].state = State::Latent { upper };
                bd.model.cells[id].candidate = false;
            }
        }
    }
}

/// Population relations at every coordinate where their cells are.
fn relations(bd: &mut Builder) {
    // (measure, period, coords) -> pop -> cell
    let mut at: BTreeMap<(String, String, String), BTreeMap<String, CellId>> = BTreeMap::new();
    for (id, k) in bd.keys.iter().enumerate() {
        at.entry((k.measure.clone(), k.period.clone(), k.coords_text()))
            .or_default()
            .insert(k.pop.clone(), id);
    }
    let mut added: BTreeSet<Vec<(CellId, i64)>> = BTreeSet::new();
    let mut add = |bd: &mut Builder, terms: Vec<(CellId, f64)>, equal: bool, label: String| {
        let mut sig: Vec<(CellId, i64)> = terms.iter().map(|&(i, a)| (i, a as i64)).collect();
        sig.sort_unstable();
        sig.push((usize::MAX, i64::from(equal)));
        if added.insert(sig) {
            bd.model.add(if equal {
                Constraint::zero(terms, label)
            } else {
                Constraint::at_most_zero(terms, label)
            });
        }
    };
    for ((measure, period, coords), pops) in &at {
        let Some(r) = bd.rel.get(period) else { continue };
        let kind = measure_kind(measure);
        if kind == Kinds::Unlinked {
            continue;
        }
        let get = |p: &str| pops.get(p).copied();
        let here = format!("{measure} {period} {coords}");
        for (sub, sup) in &r.subsets {
            if let (Some(a), Some(b)) = (get(sub), get(sup)) {
                add(bd, vec![(a, 1.0), (b, -1.0)], false, format!("{sub} within {sup}: {here}"));
            }
        }
        let fams =
            r.partitions.iter().map(|f| (f, true)).chain(r.packings.iter().map(|f| (f, false)));
        for ((whole, parts), partition) in fams {
            let Some(w) = get(whole) else { continue };
            let present: Vec<CellId> = parts.iter().filter_map(|p| get(p)).collect();
            let all_there = present.len() == parts.len();
            match kind {
                Kinds::Additive if present.len() >= 2 || (partition && all_there) => {
                    let mut terms: Vec<(CellId, f64)> = present.iter().map(|&p| (p, 1.0)).collect();
                    terms.push((w, -1.0));
                    add(
                        bd,
                        terms,
                        partition && all_there,
                        format!(
                            "{whole} {} {}: {here}",
                            if partition && all_there { "=" } else { ">=" },
                            parts.join(" + ")
                        ),
                    );
                }
                Kinds::Distinct if partition && all_there => {
                    let mut terms: Vec<(CellId, f64)> =
                        present.iter().map(|&p| (p, -1.0)).collect();
                    terms.push((w, 1.0));
                    add(bd, terms, false, format!("{whole} <= {}: {here}", parts.join(" + ")));
                }
                _ => {}
            }
        }
        if kind != Kinds::Monotone {
            for (whole, parts) in &r.covers {
                let Some(w) = get(whole) else { continue };
                let present: Vec<CellId> = parts.iter().filter_map(|p| get(p)).collect();
                if present.len() == parts.len() {
                    let mut terms: Vec<(CellId, f64)> =
                        present.iter().map(|&p| (p, -1.0)).collect();
                    terms.push((w, 1.0));
                    add(bd, terms, false, format!("{whole} <= {}: {here}", parts.join(" + ")));
                }
            }
        }
    }
}
