//! Cell suppression for linked tables: which counts to hide so that the audit
//! ([`crate::audit`]) passes.
//!
//! Groups are protected one after the other (ascending): a group's problem is the
//! constraints among its cells and earlier groups' (which are final); later groups are left
//! out. For each group:
//!
//! 1. **primary**: every shown count of 1 to 4 becomes `<5`;
//! 2. **line slack** (the hypercube idea for any linear constraint): in every constraint with
//!    a hidden cell, the cell must be able to move as far as the rule asks (a `<5` of value v
//!    up to 4 and down to 1, a `*` by one either way) with the constraint's own slack and
//!    what the other unknown cells of the constraint can move the other way (a `<5` between 0
//!    and 4, a `*` down to 1, a latent cell down to 0). Where it cannot, the cheapest
//!    candidate cell of the constraint that would give enough is hidden as `*` (zeros are
//!    never hidden: a hidden 0 would be one more `<5` to protect). Repeated until every
//!    constraint has the slack; then bounds tightening alone (no solve) finds the cells it
//!    narrows, handled as in 3 until it finds none;
//! 3. **audit** of the group (verdict mode, the true values as witness); for each failing
//!    cell, the constraints tight at its failing extreme that hold a candidate get the
//!    cheapest one hidden; back to 2. Only the components with a change are audited again.
//!    When no candidate is tight, every candidate in the failing component's constraints is
//!    hidden; when there is none, a failing `<5` is shown as `*` (1 or more: no upper
//!    limit); when even that fails, the tables cannot be protected (an error).
//!
//! Everything iterates in cell and constraint order, so the same model gives the same
//! result (the two years' packs share their common year's cells this way).

use rustc_hash::FxHashSet;

use crate::audit::{audit, bound_failures, AuditError, AuditOptions, Failure, Side};
use crate::model::{CellId, Model, State, Symbol, THRESHOLD};

/// What protection did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Protection {
    /// Counts of 1 to 4 hidden as `<5`.
    pub primary: usize,
    /// Cells hidden to protect others (`*`).
    pub secondary: usize,
    /// Audit rounds, over all groups.
    pub rounds: usize,
    /// Integer programmes solved, over all rounds.
    pub solves: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("these counts cannot be protected: nothing left to hide around them: {0}")]
    Unprotectable(String),
    #[error("a cell to protect has no value: {0}")]
    NoValue(String),
}

const MAX_ROUNDS: usize = 60;

/// Failures of one cell after which every candidate around it is hidden.
const STRIKES: usize = 3;

/// Protects `model` in place (see the module header).
pub fn protect(model: &mut Model) -> Result<Protection, ProtectError> {
    if let Some(c) =
        model.cells.iter().find(|c| c.value.is_none() && !matches!(c.state, State::Latent { .. }))
    {
        return Err(ProtectError::NoValue(c.key.clone()));
    }
    let mut groups: Vec<u32> = model.cells.iter().map(|c| c.group).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut out = Protection::default();
    // constraints by the highest group of their cells, and each cell's constraints
    let group_of: Vec<u32> = model
        .constraints
        .iter()
        .map(|k| k.terms.iter().map(|&(i, _)| model.cells[i].group).max().unwrap_or(0))
        .collect();
    let mut of_cell: Vec<Vec<usize>> = vec![Vec::new(); model.cells.len()];
    for (k, c) in model.constraints.iter().enumerate() {
        for &(i, _) in &c.terms {
            of_cell[i].push(k);
        }
    }
    for &g in &groups {
        for c in model.cells.iter_mut().filter(|c| c.group == g && c.state == State::Shown) {
            if c.value.is_some_and(|v| (1..THRESHOLD).contains(&v)) {
                c.state = State::Hidden(Symbol::Small);
                c.primary = true;
                out.primary += 1;
            }
        }
        let active: Vec<usize> =
            (0..model.constraints.len()).filter(|&k| group_of[k] <= g).collect();
        let mut dirty: Option<FxHashSet<CellId>> = None;
        let (mut mip_rounds, mut bound_rounds) = (0, 0);
        let mut strikes: rustc_hash::FxHashMap<CellId, usize> = Default::default();
        loop {
            out.secondary += line_slack(model, g, &active, &of_cell, &group_of);
            let opts = AuditOptions {
                max_group: Some(g),
                witness: true,
                quick_failures: true,
                ..Default::default()
            };
            // bounds tightening first (no solve); the integer programmes only once it finds
            // nothing, on the components changed since the last of them
            let quick = bound_failures(model, &opts)?;
            let from_bounds = !quick.passed();
            let o = if from_bounds {
                quick
            } else {
                let o = match &dirty {
                    None => audit(model, &opts)?,
                    Some(cells) => crate::audit::audit_touching(model, &opts, cells)?,
                };
                dirty = Some(FxHashSet::default());
                o
            };
            out.solves += o.solves;
            out.rounds += 1;
            if o.passed() {
                break;
            }
            if from_bounds {
                bound_rounds += 1;
            } else {
                mip_rounds += 1;
            }
            if mip_rounds >= MAX_ROUNDS || bound_rounds >= 10 * MAX_ROUNDS {
                return Err(ProtectError::Unprotectable(describe(model, &o.failures)));
            }
            let mut changed: FxHashSet<CellId> = FxHashSet::default();
            for f in &o.failures {
                changed.insert(f.cell);
                let n = strikes.entry(f.cell).or_insert(0);
                *n += 1;
                if *n >= STRIKES {
                    // a cell that keeps failing: every candidate around it (its constraints'
                    // cells, and after more failures, theirs)
                    let hops = if *n >= STRIKES + 2 { 2 } else { 1 };
                    let mut hidden = hide_around(model, g, f.cell, hops, &of_cell, &group_of);
                    if hidden.is_empty() && hops == 1 {
                        hidden = hide_around(model, g, f.cell, 2, &of_cell, &group_of);
                    }
                    out.secondary += hidden.len();
                    changed.extend(hidden);
                    continue;
                }
                if let Some(y) = loosen(model, g, f, &of_cell, &group_of) {
                    hide(model, y);
                    out.secondary += 1;
                    changed.insert(y);
                }
            }
            if changed.iter().all(|&i| o.failures.iter().any(|f| f.cell == i)) {
                // nothing tight to loosen: hide every candidate around the failing components
                // and, when there is none, show the failing `<5` as `*` (no upper limit)
                let mut any = false;
                for f in &o.failures {
                    for &(i, _) in &f.at {
                        for &k in &of_cell[i] {
                            if group_of[k] > g {
                                continue;
                            }
                            let terms: Vec<CellId> =
                                model.constraints[k].terms.iter().map(|t| t.0).collect();
                            for y in terms {
                                if is_candidate(model, g, y) {
                                    hide(model, y);
                                    out.secondary += 1;
                                    changed.insert(y);
                                    any = true;
                                }
                            }
                        }
                    }
                }
                if !any {
                    for f in &o.failures {
                        // (a hidden 0 cannot be shown as "*", which means 1 or more)
                        if model.cells[f.cell].state == State::Hidden(Symbol::Small)
                            && model.cells[f.cell].value.is_some_and(|v| v >= 1)
                        {
                            model.cells[f.cell].state = State::Hidden(Symbol::Star);
                            any = true;
                        }
                    }
                }
                if !any {
                    return Err(ProtectError::Unprotectable(describe(model, &o.failures)));
                }
            }
            if let Some(d) = dirty.as_mut() {
                d.extend(changed);
            }
        }
    }
    Ok(out)
}

/// Step 1 alone: every shown count of 1 to 4 becomes `<5`, nothing else. Not protection (the
/// audit fails such tables); for proving that the audit catches it.
pub fn primary_only(model: &mut Model) -> Protection {
    let mut out = Protection::default();
    for c in model.cells.iter_mut().filter(|c| c.state == State::Shown) {
        if c.value.is_some_and(|v| (1..THRESHOLD).contains(&v)) {
            c.state = State::Hidden(Symbol::Small);
            c.primary = true;
            out.primary += 1;
        }
    }
    out
}

fn describe(model: &Model, failures: &[Failure]) -> String {
    failures
        .iter()
        .take(10)
        .map(|f| {
            format!(
                "{} (range {}..{})",
                model.cells[f.cell].key,
                f.range.lo,
                f.range.hi.map_or("".to_string(), |h| h.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Hides the cheapest candidate of group `g` in each constraint of `cell` (`hops` 2: and in
/// each constraint of their unknown cells); returns the cells hidden.
fn hide_around(
    model: &mut Model,
    g: u32,
    cell: CellId,
    hops: usize,
    of_cell: &[Vec<usize>],
    group_of: &[u32],
) -> Vec<CellId> {
    let mut seen: FxHashSet<CellId> = FxHashSet::default();
    let mut done: FxHashSet<usize> = FxHashSet::default();
    let mut frontier = vec![cell];
    let mut ys: Vec<CellId> = Vec::new();
    for _ in 0..hops {
        let mut next = Vec::new();
        for &c in &frontier {
            for &k in &of_cell[c] {
                if group_of[k] > g || !done.insert(k) {
                    continue;
                }
                let mut best: Option<(f64, CellId)> = None;
                for &(y, _) in &model.constraints[k].terms {
                    if seen.insert(y) && model.cells[y].state.unknown() {
                        next.push(y);
                    }
                    if is_candidate(model, g, y)
                        && best.is_none_or(|(c, _)| model.cells[y].cost < c)
                    {
                        best = Some((model.cells[y].cost, y));
                    }
                }
                if let Some((_, y)) = best {
                    hide(model, y);
                    ys.push(y);
                }
            }
        }
        frontier = next;
    }
    ys
}

/// A shown cell of group `g` that may be hidden for others; never a 0 (a hidden 0 would be
/// one more `<5` to protect).
fn is_candidate(model: &Model, g: u32, y: CellId) -> bool {
    let c = &model.cells[y];
    c.group == g && c.candidate && c.state == State::Shown && c.value.is_some_and(|v| v > 0)
}

/// Hides a shown cell as its value says (`*` for 5 or more).
fn hide(model: &mut Model, y: CellId) {
    let v = model.cells[y].value.unwrap_or(0);
    model.cells[y].state = State::Hidden(Symbol::of(v));
}

/// How far the unknown cell `y` (value `v`, state `s`) can move down and up.
fn room(s: State, v: i64) -> (f64, f64) {
    let (lo, hi) = s.bounds(Some(v));
    ((v - lo).max(0) as f64, hi.map_or(f64::INFINITY, |h| (h - v).max(0) as f64))
}

/// The room a candidate would have once hidden.
fn room_if_hidden(v: i64) -> (f64, f64) {
    room(State::Hidden(Symbol::of(v)), v)
}

/// Capacity of term `(a, down, up)` to move the activity by `dir` (+1 up, -1 down).
fn capacity(a: f64, down: f64, up: f64, dir: f64) -> f64 {
    if a * dir > 0.0 {
        a.abs() * up
    } else {
        a.abs() * down
    }
}

/// Step 2 of the module header for group `g`; returns the cells hidden.
fn line_slack(
    model: &mut Model,
    g: u32,
    active: &[usize],
    of_cell: &[Vec<usize>],
    group_of: &[u32],
) -> usize {
    let mut hidden = 0;
    let mut queued = vec![false; model.constraints.len()];
    let mut work: std::collections::VecDeque<usize> = active.iter().copied().collect();
    for &k in active {
        queued[k] = true;
    }
    while let Some(k) = work.pop_front() {
        queued[k] = false;
        while let Some(y) = line_need(model, g, k) {
            hide(model, y);
            hidden += 1;
            for &o in &of_cell[y] {
                if group_of[o] <= g && !queued[o] {
                    queued[o] = true;
                    work.push_back(o);
                }
            }
        }
    }
    hidden
}

/// The candidate to hide in constraint `k` so that its hidden cells can move, if one is
/// needed and there is one.
fn line_need(model: &Model, g: u32, k: usize) -> Option<CellId> {
    let con = &model.constraints[k];
    let unknown: Vec<(CellId, f64)> =
        con.terms.iter().copied().filter(|&(i, _)| model.cells[i].state.unknown()).collect();
    if !unknown.iter().any(|&(i, _)| matches!(model.cells[i].state, State::Hidden(_))) {
        return None;
    }
    let s: f64 = con.terms.iter().map(|&(i, a)| a * model.cells[i].value.unwrap_or(0) as f64).sum();
    let rooms: Vec<(f64, f64)> = unknown
        .iter()
        .map(|&(i, _)| room(model.cells[i].state, model.cells[i].value.unwrap_or(0)))
        .collect();
    // the largest deficit over the hidden cells and their needed moves
    let mut worst: Option<(f64, f64)> = None; // (deficit, direction of compensation)
    for (z, &(i, a)) in unknown.iter().enumerate() {
        let State::Hidden(sym) = model.cells[i].state else { continue };
        let v = model.cells[i].value.unwrap_or(0);
        let moves: Vec<(f64, f64)> = match sym {
            // (distance, direction of the cell)
            Symbol::Small => {
                vec![((THRESHOLD - 1 - v).max(0) as f64, 1.0), ((v - 1).max(0) as f64, -1.0)]
            }
            Symbol::Star if v < THRESHOLD => {
                vec![((THRESHOLD - 1 - v).max(0) as f64, 1.0), ((v - 1).max(0) as f64, -1.0)]
            }
            Symbol::Star => vec![(1.0, 1.0), (1.0, -1.0)],
        };
        let mut deficits = Vec::new();
        for (m, d) in moves {
            if m == 0.0 {
                deficits.push((0.0, 0.0));
                continue;
            }
            let delta = a * d * m; // activity change
            let free = if delta > 0.0 { con.hi - s } else { s - con.lo };
            let need = delta.abs() - free.max(0.0);
            if need <= 1e-9 {
                deficits.push((0.0, 0.0));
                continue;
            }
            // others move the activity the other way
            let dir = -delta.signum();
            let cap: f64 = unknown
                .iter()
                .enumerate()
                .filter(|&(o, _)| o != z)
                .map(|(o, &(_, b))| capacity(b, rooms[o].0, rooms[o].1, dir))
                .sum();
            deficits.push((need - cap, dir));
        }
        let d = if sym == Symbol::Small || v < THRESHOLD {
            // both ways
            deficits.iter().copied().max_by(|x, y| x.0.total_cmp(&y.0))
        } else {
            // one way is enough
            deficits.iter().copied().min_by(|x, y| x.0.total_cmp(&y.0))
        };
        if let Some(d) = d.filter(|d| d.0 > 1e-9) {
            if worst.is_none_or(|w| d.0 > w.0) {
                worst = Some(d);
            }
        }
    }
    let (deficit, dir) = worst?;
    // the cheapest candidate that gives enough, else the one that gives most
    let mut best: Option<(bool, f64, f64, CellId)> = None; // (enough, -cap or cost, ..)
    for &(y, b) in &con.terms {
        if !is_candidate(model, g, y) {
            continue;
        }
        let (down, up) = room_if_hidden(model.cells[y].value.unwrap_or(0));
        let cap = capacity(b, down, up, dir);
        if cap <= 0.0 {
            continue;
        }
        let enough = cap >= deficit;
        let cost = model.cells[y].cost;
        let better = match best {
            None => true,
            Some((e, c, bc, _)) => {
                if enough != e {
                    enough
                } else if enough {
                    cost < c
                } else {
                    cap > bc || (cap == bc && cost < c)
                }
            }
        };
        if better {
            best = Some((enough, cost, cap, y));
        }
    }
    best.map(|b| b.3)
}

/// Step 3: the cheapest candidate in a constraint tight at the failure's extreme point
/// (those holding the failing cell first), if any.
fn loosen(
    model: &Model,
    g: u32,
    f: &Failure,
    of_cell: &[Vec<usize>],
    group_of: &[u32],
) -> Option<CellId> {
    let at: rustc_hash::FxHashMap<CellId, i64> = f.at.iter().copied().collect();
    let value =
        |i: CellId| -> f64 { at.get(&i).copied().or(model.cells[i].value).unwrap_or(0) as f64 };
    let mut seen: FxHashSet<usize> = FxHashSet::default();
    let mut tiers: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for &(i, _) in &f.at {
        for &k in &of_cell[i] {
            if group_of[k] <= g && seen.insert(k) {
                let mine = model.constraints[k].terms.iter().any(|&(c, _)| c == f.cell);
                tiers[usize::from(!mine)].push(k);
            }
        }
    }
    for tier in tiers {
        let mut best: Option<(f64, CellId)> = None;
        for k in tier {
            let con = &model.constraints[k];
            let s: f64 = con.terms.iter().map(|&(i, a)| a * value(i)).sum();
            let tight_hi = (s - con.hi).abs() < 0.5;
            let tight_lo = (s - con.lo).abs() < 0.5;
            if !tight_hi && !tight_lo {
                continue;
            }
            for &(y, b) in &con.terms {
                if !is_candidate(model, g, y) {
                    continue;
                }
                let (down, up) = room_if_hidden(model.cells[y].value.unwrap_or(0));
                // room to loosen the tight side(s)
                let ok = (tight_hi && capacity(b, down, up, -1.0) > 0.0)
                    || (tight_lo && capacity(b, down, up, 1.0) > 0.0);
                if !ok {
                    continue;
                }
                let cost = model.cells[y].cost;
                if best.is_none_or(|(c, _)| cost < c) {
                    best = Some((cost, y));
                }
            }
        }
        if let Some((_, y)) = best {
            return Some(y);
        }
    }
    let _ = Side::Up;
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::audit::Range;
    use crate::model::Constraint;
    use csa_model::rng::Rng;

    /// A two-way table (rows x cols, all shown) with row totals, column totals and the
    /// grand total; returns the model and the cell ids (rows + 1) x (cols + 1).
    fn two_way(m: &mut Model, name: &str, cells: &[Vec<i64>], group: u32) -> Vec<Vec<CellId>> {
        let (r, c) = (cells.len(), cells[0].len());
        let mut ids = vec![vec![0; c + 1]; r + 1];
        let mut vals = vec![vec![0i64; c + 1]; r + 1];
        for i in 0..r {
            for j in 0..c {
                vals[i][j] = cells[i][j];
                vals[i][c] += cells[i][j];
                vals[r][j] += cells[i][j];
                vals[r][c] += cells[i][j];
            }
        }
        for i in 0..=r {
            for j in 0..=c {
                let id = m.cell(&format!("{name}[{i},{j}]"));
                let cell = &mut m.cells[id];
                cell.value = Some(vals[i][j]);
                cell.state = State::Shown;
                cell.candidate = true;
                cell.group = group;
                cell.cost = vals[i][j] as f64 + if i == r || j == c { 1000.0 } else { 0.0 } + 0.5;
                ids[i][j] = id;
            }
        }
        for (i, row) in ids.iter().enumerate() {
            m.add(Constraint::sum(row[c], &row[..c], format!("{name} row {i}")));
        }
        for (j, &total) in ids[r].iter().enumerate() {
            let parts: Vec<CellId> = ids[..r].iter().map(|row| row[j]).collect();
            m.add(Constraint::sum(total, &parts, format!("{name} column {j}")));
        }
        ids
    }

    fn full_ranges(m: &Model) -> crate::audit::Outcome {
        audit(m, &AuditOptions { ranges: true, ..Default::default() }).unwrap()
    }

    #[test]
    fn a_table_by_hand() {
        // 10  3 20 | 33
        // 12 15 40 | 67
        let mut m = Model::new();
        let ids = two_way(&mut m, "t", &[vec![10, 3, 20], vec![12, 15, 40]], 0);
        let p = protect(&mut m).unwrap();
        assert_eq!(p.primary, 1);
        assert!(p.secondary >= 3, "a cycle needs three more: {p:?}");
        assert_eq!(m.cells[ids[0][1]].state, State::Hidden(Symbol::Small));
        // what an attacker can say of the 3: anything from 0 to 4
        let o = full_ranges(&m);
        assert!(o.passed());
        assert_eq!(o.ranges[&ids[0][1]], Range { lo: 0, hi: Some(4), exact: true });
        // totals are dear: not hidden when cells will do
        assert_eq!(m.cells[ids[2][3]].state, State::Shown);
    }

    #[test]
    fn linked_tables_random_sets_pass_the_audit() {
        // random sets of linked tables: a parent two-way table that is the cell-by-cell sum of
        // two or three children tables (the same breakdown of populations that partition the
        // parent), small counts planted; every set must end protected and its true values
        // inside every range
        let mut rng = Rng::new(13, 0);
        for case in 0..120 {
            let (r, c) = (1 + rng.below(4), 1 + rng.below(4));
            let kids = 2 + rng.below(2);
            let mut m = Model::new();
            let mut parent = vec![vec![0i64; c]; r];
            let mut kid_ids = Vec::new();
            for k in 0..kids {
                let cells: Vec<Vec<i64>> = (0..r)
                    .map(|_| {
                        (0..c)
                            .map(|_| {
                                if rng.chance(0.35) {
                                    rng.below(5) as i64
                                } else {
                                    rng.below(30) as i64
                                }
                            })
                            .collect()
                    })
                    .collect();
                for i in 0..r {
                    for j in 0..c {
                        parent[i][j] += cells[i][j];
                    }
                }
                kid_ids.push(two_way(&mut m, &format!("k{k}"), &cells, 0));
            }
            let p_ids = two_way(&mut m, "p", &parent, 0);
            for i in 0..=r {
                for j in 0..=c {
                    let parts: Vec<CellId> = kid_ids.iter().map(|ids| ids[i][j]).collect();
                    m.add(Constraint::sum(
                        p_ids[i][j],
                        &parts,
                        format!("p = sum of kids at {i},{j}"),
                    ));
                }
            }
            assert!(m.check_values().is_ok());
            if let Err(e) = protect(&mut m) {
                for c in &m.cells {
                    eprintln!("{} = {:?} {:?}", c.key, c.value, c.state);
                }
                panic!("case {case}: {e}");
            }
            let o = full_ranges(&m);
            assert!(o.passed(), "case {case}: {:?}", o.failures);
            for (&id, range) in &o.ranges {
                let v = m.cells[id].value.unwrap();
                assert!(range.lo <= v && range.hi.is_none_or(|h| v <= h), "case {case}");
            }
            for cell in &m.cells {
                if cell.value.is_some_and(|v| (1..5).contains(&v)) {
                    // "<5", or "*" (1 or more) where "<5" would say too much
                    assert!(matches!(cell.state, State::Hidden(_)), "case {case}");
                }
            }
        }
    }

    #[test]
    fn groups_are_protected_in_order_and_earlier_ones_stay() {
        // group 0: a list 2 + 30 + 40 = 72; group 1: a copy of the list's 30 broken down
        // 25 + 5 (no small count in group 1, but the 30 is hidden in group 0 so its breakdown
        // must not give it back)
        let mut m = Model::new();
        let ids = two_way(&mut m, "a", &[vec![2], vec![30], vec![40]], 0);
        let b = two_way(&mut m, "b", &[vec![25, 5]], 1);
        m.add(Constraint::zero(vec![(ids[1][0], 1.0), (b[0][2], -1.0)], "a[1] is b's total"));
        let before = protect(&mut m.clone()).unwrap();
        let p = protect(&mut m).unwrap();
        assert_eq!(p, before, "deterministic");
        let a1 = m.cells[ids[1][0]].state;
        let o = full_ranges(&m);
        assert!(o.passed(), "{:?}", o.failures);
        if a1 != State::Shown {
            // then b hides enough to keep it: its total is not shown as a number
            assert_ne!(m.cells[b[0][2]].state, State::Shown);
        }
    }
}
