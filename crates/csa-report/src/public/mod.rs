//! The public edition: the tables with small counts hidden so that nothing in the pack gives
//! any of them back (threat model and rule: `data/README.md`, "Public edition").
//!
//! ```text
//! tables ─> cells::build_model (keys, lists, linked populations from relations)
//!        ─> csa_disclosure::protect (group by group: this year, the comparison year, the rest)
//!        ─> hidden cells written into the tables ("<5", "*"); derived figures of hidden
//!           cells hidden; the ranking re-computed from published figures only
//!        ─> spec::Spec (disclosure.json: every key, where it is shown, every constraint)
//! ```
//!
//! After the pack is written, [`spec::audit_pack`] reads it back from its files alone and
//! audits it; the writer swaps the pack in only when that passes.

pub mod cells;
pub mod relations;
pub mod spec;

use std::collections::BTreeMap;

use csa_analysis::ranking::{rank, volume_factors, Factors, Ranked};
use csa_analysis::{names, AnalysisError, Result};
use csa_disclosure::{Protection, State, Symbol};
use csa_model::Col;

use crate::build::Built;
use crate::ids::{self, col, Kind, Who};
use crate::table::{Cell, Role, Table};
use cells::{build_model, crime_type_pop, period_text, PackModel};
use relations::{Relations, Rows};

/// Hidden cells of one table.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableLoss {
    pub table: String,
    /// Count cells in the table.
    pub counts: usize,
    /// Counts of 1 to 4 hidden.
    pub primary: usize,
    /// Other counts hidden to protect them.
    pub secondary: usize,
    /// Derived figures (changes, shares, rates) hidden with them.
    pub derived: usize,
    /// Sum of the table's counts, and of the hidden ones.
    pub total: i64,
    pub hidden_total: i64,
}

impl TableLoss {
    /// Share of the table's total count that is hidden, %.
    pub fn hidden_pct(&self) -> f64 {
        if self.total > 0 {
            csa_analysis::breakdown::round2(100.0 * self.hidden_total as f64 / self.total as f64)
        } else {
            0.0
        }
    }
}

/// The public edition of a pack.
pub struct Published {
    pub tables: Vec<Table>,
    /// The ranking from published figures only.
    pub ranking: Vec<Ranked>,
    pub spec: spec::Spec,
    pub protection: Protection,
    pub loss: Vec<TableLoss>,
    /// The true value of every count the model knows, by key: for the audit of the written
    /// pack, a point it may use as a witness once it has checked that the point meets
    /// everything the files publish ([`spec::audit_packs_with`]).
    pub truth: rustc_hash::FxHashMap<String, i64>,
}

/// The tables of the public edition, before protection: person-level tables and point
/// columns left out, small rows of top-N lists and free-text answers dropped.
fn public_tables(b: &Built) -> Vec<Table> {
    let mut out: Vec<Table> = b.tables.iter().filter(|t| t.public).cloned().collect();
    for t in &mut out {
        t.prepare_public();
    }
    out
}

/// Populations with their records, and the crime types' names.
type Populations = (Vec<(String, Rows)>, Vec<String>);

/// The populations of one period and their records: all, the measurable priorities, the
/// crime types (labelled as the crime types table labels them).
fn populations(b: &Built, current: bool) -> Result<Populations> {
    let a = &b.assessment;
    let p = if current { a.periods.current } else { a.periods.comparison };
    populations_in(b, &a.data.crimes, p)
}

/// The populations of `period` in `crimes` (the assessment's loaded months, or earlier months
/// loaded for the trends).
fn populations_in(
    b: &Built,
    crimes: &csa_analysis::store::Crimes,
    period: csa_analysis::Period,
) -> Result<Populations> {
    let a = &b.assessment;
    let n = crimes.len;
    let mut pops = Vec::new();
    let mut all_rows: Vec<u32> = Vec::new();
    for part in b.parts.iter().filter(|p| p.measurable) {
        let sel = a.selector_on(&part.priority, crimes)?;
        let rows: Vec<u32> = sel.rows(crimes, period);
        if part.is_all() {
            all_rows = rows.clone();
        }
        pops.push((part.priority.name.clone(), Rows::new(n, rows.iter().copied())));
    }
    let types = crimes.text(Col::CrimeType)?;
    let mut by_type: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for &r in &all_rows {
        let code = types.codes[r as usize];
        let label = if code == 0 {
            csa_analysis::dims::NOT_RECORDED.to_string()
        } else {
            types.values[code as usize - 1].clone()
        };
        by_type.entry(crime_type_pop(&label)).or_default().push(r);
    }
    let names: Vec<String> = by_type.keys().cloned().collect();
    for (name, rows) in by_type {
        pops.push((name, Rows::new(n, rows)));
    }
    Ok((pops, names))
}

/// The relations of the earlier years the trends' monthly counts reach back to (each
/// 12-month block before the comparison period, [`cells::trend_period`]), checked on their own
/// records, read again with the priorities' filter columns.
fn earlier_relations(b: &Built) -> Result<BTreeMap<String, Relations>> {
    let a = &b.assessment;
    let mut out = BTreeMap::new();
    let Some(series) = b.trends.period else { return Ok(out) };
    let blocks: std::collections::BTreeSet<(i32, i32)> = series
        .iter()
        .map(|m| cells::trend_period(&a.periods, m))
        .filter(|p| *p != a.periods.current && *p != a.periods.comparison)
        .map(|p| (p.from.0, p.to.0))
        .collect();
    let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else { return Ok(out) };
    let span = csa_analysis::Period {
        from: csa_analysis::Month(first.0).max(series.from),
        to: csa_analysis::Month(last.1),
    };
    let priorities: Vec<&csa_analysis::Priority> =
        b.parts.iter().filter(|p| p.measurable).map(|p| &p.priority).collect();
    let needs = csa_analysis::Needs::for_priorities(priorities).with([Col::CrimeType]);
    let data = csa_analysis::Data::load(&a.data.info, span, &needs)?;
    for (from, to) in blocks {
        let p =
            csa_analysis::Period { from: csa_analysis::Month(from), to: csa_analysis::Month(to) };
        let (pops, types) = populations_in(b, &data.crimes, p)?;
        out.insert(period_text(&p), relations::relations(&pops, csa_analysis::config::ALL, &types));
    }
    Ok(out)
}

/// The relations of each period (the comparison one only when the data covers it).
pub fn period_relations(b: &Built) -> Result<BTreeMap<String, Relations>> {
    let a = &b.assessment;
    let mut out = BTreeMap::new();
    let mut periods = vec![(true, a.periods.current)];
    if a.covers(a.periods.comparison) {
        periods.push((false, a.periods.comparison));
    }
    for (current, p) in periods {
        let (pops, types) = populations(b, current)?;
        out.insert(period_text(&p), relations::relations(&pops, csa_analysis::config::ALL, &types));
    }
    out.extend(earlier_relations(b)?);
    Ok(out)
}

/// The counts of every population of the current period at the places the top-locations
/// tables show, and the most each population's list leaves out (its last count when the list
/// is full and that is 5 or more; else 4, since rows of 1 to 4 are dropped).
fn unlisted(b: &Built, tables: &[Table], pops: &[(String, Rows)]) -> Result<cells::Unlisted> {
    let a = &b.assessment;
    let mut out = cells::Unlisted::default();
    let mut wanted: std::collections::BTreeSet<String> = Default::default();
    for part in &b.parts {
        if let Some(t) = tables.iter().find(|t| t.name == part.id(Kind::TopLocations)) {
            for i in 0..t.rows.len() {
                let loc = t.get(i, names::LOCATION).text();
                if !loc.starts_with('(') {
                    wanted.insert(format!("{loc}, {}", t.get(i, Col::WardName.name()).text()));
                }
            }
        }
        if let Some(full) = b.tables.iter().find(|t| t.name == part.id(Kind::TopLocations)) {
            let last =
                (0..full.rows.len()).filter_map(|i| full.get(i, names::COUNT).as_i64()).min();
            let upper = match last {
                Some(m) if full.rows.len() >= a.config.top_n && m >= csa_disclosure::THRESHOLD => m,
                _ => csa_disclosure::THRESHOLD - 1,
            };
            out.upper.insert(part.priority.name.clone(), upper);
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let crimes = &a.data.crimes;
    let (desc, ward) = (crimes.text(Col::LocationDesc)?, crimes.text(Col::WardName)?);
    let place_of = |r: usize| -> Option<String> {
        let d = desc.get(r)?;
        Some(format!("{d}, {}", ward.get(r).unwrap_or("")))
    };
    for (name, rows) in pops {
        for r in rows.iter() {
            if let Some(p) = place_of(r as usize).filter(|p| wanted.contains(p)) {
                *out.counts.entry((name.clone(), p)).or_default() += 1;
            }
        }
    }
    Ok(out)
}

/// Makes the public edition of `b` (`primary_only`, `previous`: see
/// [`crate::edition::PackOptions`]).
pub fn publish(
    b: &Built,
    primary_only: bool,
    previous: Option<&std::path::Path>,
) -> Result<Published> {
    let mut tables = public_tables(b);
    let rel = period_relations(b)?;
    let (pops, _) = populations(b, true)?;
    let unlisted = unlisted(b, &tables, &pops)?;
    let PackModel { model, places, derived, mismatches } =
        build_model(b, &tables, &rel, &unlisted)?;
    if let Some(m) = mismatches.first() {
        return Err(AnalysisError::Internal(format!(
            "the public edition's model of the tables is inconsistent: {m} ({} such)",
            mismatches.len()
        )));
    }
    let (mut model, perm) = model.canonical();
    let mut places: Vec<cells::Place> =
        places.into_iter().map(|p| cells::Place { cell: perm[p.cell], ..p }).collect();
    let mut derived: Vec<cells::DerivedAt> = derived
        .into_iter()
        .map(|d| cells::DerivedAt { inputs: d.inputs.iter().map(|&i| perm[i]).collect(), ..d })
        .collect();
    model.check_values().map_err(|e| AnalysisError::Internal(format!("public edition: {e}")))?;
    if let Some(dir) = previous {
        carry_previous(b, &mut model, dir)?;
    }
    let protection = if primary_only {
        csa_disclosure::protect::primary_only(&mut model)
    } else {
        csa_disclosure::protect(&mut model).map_err(|e| {
            AnalysisError::Internal(format!("the public edition cannot be protected: {e}"))
        })?
    };
    // hidden counts into the tables
    let mut loss: Vec<TableLoss> = tables
        .iter()
        .map(|t| TableLoss { table: t.name.clone(), ..TableLoss::default() })
        .collect();
    for p in &places {
        let c = &model.cells[p.cell];
        let l = &mut loss[p.table];
        l.counts += 1;
        let v = c.value.unwrap_or(0);
        l.total += v;
        if let State::Hidden(s) = c.state {
            tables[p.table].rows[p.row][p.col] = Cell::Hidden(s);
            l.hidden_total += v;
            if (1..csa_disclosure::THRESHOLD).contains(&v) {
                l.primary += 1;
            } else {
                l.secondary += 1;
            }
        }
    }
    // derived figures of hidden (or unpublished) counts
    for d in &derived {
        let shown = d.inputs.iter().all(|&i| model.cells[i].state == State::Shown);
        let cell = &mut tables[d.table].rows[d.row][d.col];
        if !shown && !matches!(cell, Cell::Null | Cell::Hidden(_)) {
            *cell = Cell::Hidden(Symbol::Star);
            loss[d.table].derived += 1;
        }
    }
    for (t, l) in tables.iter_mut().zip(&loss) {
        t.suppressed = (l.primary, l.secondary + l.derived);
    }
    // the ranking from what is published
    let ranking = public_ranking(b, &tables)?;
    if let Some(ti) = tables.iter().position(|t| t.name == ids::PRIORITY_RANKING) {
        let vol = tables.iter().find(|t| t.name == ids::PRIORITY_VOLUMES).cloned();
        let mut rt = crate::build::ranking_table(&ranking, vol.as_slice(), &b.parts)?;
        rt.suppressed = (0, 0);
        // the new order: places and derived figures of the table move with their priority
        let old = &tables[ti];
        let row_of = |i: usize| rt.find(names::PRIORITY, &old.get(i, names::PRIORITY).text());
        let col_of = |j: usize| rt.col(&old.columns[j]);
        places.retain_mut(|p| {
            if p.table != ti {
                return true;
            }
            match (row_of(p.row), col_of(p.col)) {
                (Some(r), Some(c)) => {
                    p.row = r;
                    p.col = c;
                    true
                }
                _ => false,
            }
        });
        derived.retain_mut(|d| {
            if d.table != ti {
                return true;
            }
            match (row_of(d.row), col_of(d.col)) {
                (Some(r), Some(c)) => {
                    d.row = r;
                    d.col = c;
                    true
                }
                _ => false,
            }
        });
        tables[ti] = rt;
    }
    let spec = spec::Spec::new(b, &tables, &model, &places, &derived, &rel, &loss);
    let truth = model.cells.iter().filter_map(|c| c.value.map(|v| (c.key.clone(), v))).collect();
    Ok(Published { tables, ranking, spec, protection, loss, truth })
}

/// Publishes the comparison year's cells as last year's public pack at `dir` did: its shown
/// counts shown (unless now 1 to 4), its hidden ones hidden with the same symbol (`*` where
/// the value no longer fits `<5`), none of them hidden again to protect others.
fn carry_previous(
    b: &Built,
    model: &mut csa_disclosure::Model,
    dir: &std::path::Path,
) -> Result<()> {
    let cmp = cells::period_text(&b.assessment.periods.comparison);
    let (period, states) = spec::published_states(dir)?;
    if period != cmp {
        return Err(AnalysisError::Usage(format!(
            "{}: the previous public pack covers {period}, not this pack's comparison period {cmp}",
            dir.display()
        )));
    }
    for c in &mut model.cells {
        if c.key.split('|').nth(1) != Some(cmp.as_str()) {
            continue;
        }
        let Some(&prev) = states.get(&c.key) else { continue };
        let v = c.value.unwrap_or(0);
        c.candidate = false;
        // (the data of that year may have changed since: a symbol that no longer fits is
        // the one that does, and a count now 1 to 4 is hidden by the primary step)
        c.state = match prev {
            State::Hidden(Symbol::Small) if v >= csa_disclosure::THRESHOLD => {
                State::Hidden(Symbol::Star)
            }
            State::Hidden(Symbol::Star) if v == 0 => State::Hidden(Symbol::Small),
            State::Hidden(s) => State::Hidden(s),
            _ => State::Shown,
        };
        c.primary = false;
    }
    Ok(())
}

/// The ranking factors of every measurable priority from the published tables only: a factor
/// whose figure is hidden is missing (and drops out of that priority's mean).
fn public_ranking(b: &Built, tables: &[Table]) -> Result<Vec<Ranked>> {
    let find = |n: &str| tables.iter().find(|t| t.name == n);
    let vol = crate::table::table(tables, ids::PRIORITY_VOLUMES)?;
    let shown = |c: &Cell| c.as_f64();
    let ranked: Vec<&crate::part::PriorityPart> =
        b.parts.iter().filter(|p| p.measurable && !p.is_all()).collect();
    // the common volume factor from the published counts (a hidden count: no factor)
    let counts: Vec<Option<u64>> = ranked
        .iter()
        .map(|part| {
            vol.find(names::PRIORITY, &part.priority.name)
                .and_then(|i| vol.get(i, names::COUNT).as_i64())
                .map(|c| c.max(0) as u64)
        })
        .collect();
    let (volumes, basis) = volume_factors(
        &counts.iter().map(|c| c.unwrap_or(0)).collect::<Vec<_>>(),
        b.assessment.area_population(false),
    );
    let mut items: Vec<(String, Factors)> = Vec::new();
    for (k, part) in ranked.into_iter().enumerate() {
        let i = vol.find(names::PRIORITY, &part.priority.name);
        let g = |c: &str| i.and_then(|i| shown(vol.get(i, c)));
        // concentration: the published share of crimes with repeat victims, and the share of
        // located crimes in hot cells when every hot cell's count is published
        let repeat = find(&part.id(Kind::Repeats)).and_then(|t| {
            let r = t.find(col::SIDE, Who::Victims.name())?;
            shown(t.get(r, "crimes_with_repeat_people_pct"))
        });
        let hot = part.hot_share_pct.filter(|_| {
            find(&part.id(Kind::HotspotCells))
                .is_some_and(|t| (0..t.rows.len()).all(|r| !t.get(r, names::COUNT).is_hidden()))
        });
        let conc: Vec<f64> = [repeat, hot].into_iter().flatten().collect();
        let concern = b.survey.as_ref().and_then(|(s, _)| {
            if part.priority.survey.is_empty() {
                return None;
            }
            let share = s.concern(&part.priority.survey);
            // the count behind the share is published nowhere: only when it is not small
            // (the share itself weighted as the restricted ranking's, when the survey is)
            (share.k == 0 || share.k >= csa_disclosure::THRESHOLD as u64)
                .then(|| s.concern_pct(&part.priority.survey))
                .flatten()
        });
        let f = Factors {
            volume: counts[k].map(|_| volumes[k]),
            // the published strength of evidence (hidden with any month it is computed from)
            trend: crate::trends::evidence(tables, &part.priority.name),
            harm: g(names::HARM_CSS),
            concentration: (!conc.is_empty()).then(|| conc.iter().sum::<f64>() / conc.len() as f64),
            concern,
        };
        items.push((part.priority.name.clone(), f));
    }
    let mut ranking = rank(&items, &b.assessment.config.ranking, basis);
    for r in &mut ranking {
        if b.parts.iter().any(|p| p.priority.name == r.priority && p.partly_measured) {
            r.reason.push_str("; only partly measured on this data");
        }
    }
    Ok(ranking)
}

/// Whether a column of `t` counts (what protection covers).
pub fn is_count(t: &Table, j: usize) -> bool {
    matches!(t.roles[j], Role::Count | Role::Small)
}
