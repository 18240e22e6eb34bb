//! The interval audit: for every hidden and latent cell, the range of whole numbers it can
//! take given everything published (every constraint of the [`Model`], every symbol's
//! meaning, non-negativity), and whether that range meets the rule
//! ([`crate::model::satisfied`]).
//!
//! The range of cell `x` is `[min x, max x]` over the integer points of the model: two small
//! integer programmes, solved with microlp (branch and bound over its simplex). Work is cut
//! in three ways:
//! 1. **components**: cells that share no constraint (through other unknown cells) are
//!    independent problems, solved in parallel; a shown cell is a constant;
//! 2. **bounds tightening** first ([`crate::propagate`]): valid outer bounds without a
//!    solve, which also become the integer variables' bounds;
//! 3. **witnesses**: every integer point found (and the true values, when the tables' maker
//!    audits) shows values a cell can take. A cell is certified when witnesses already cover
//!    what the rule asks (e.g. a `<5` seen at 1 and at 4), and an exact bound is known without
//!    a solve when a witness meets the outer bound. Batches (maximise or minimise the sum of
//!    the cells still open, each capped at its target) certify many cells per solve; only the
//!    cells left get a solve of their own.
//!
//! The verdict mode stops at the rule; the range mode ([`AuditOptions::ranges`]) gets every
//! cell's exact range (what `csa audit` prints).

use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOptions, Variable};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::model::{satisfied, CellId, Model, State, Symbol, THRESHOLD};
use crate::propagate::{propagate, Row};

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Every unknown cell's exact range (else the verdict only, with fewer solves).
    pub ranges: bool,
    /// Only the constraints whose cells all have a group up to this (protection works group
    /// by group); cells of later groups are not part of the problem. `None`: everything.
    pub max_group: Option<u32>,
    /// Use the model's true values as a witness (when every value is known).
    pub witness: bool,
    /// Verdict mode: a cell whose bounds from tightening already break the rule is reported
    /// without solving for its exact range (its failure's range is those bounds, not exact,
    /// and its point is the first witness). What protection needs, at a fraction of the
    /// solves.
    pub quick_failures: bool,
}

/// A cell's range: `lo..=hi` (`hi` `None`: no upper limit). `exact` when both ends are the
/// true optimum (else the witnessed part, which lies inside the true range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub lo: i64,
    pub hi: Option<i64>,
    pub exact: bool,
}

/// Which way a cell cannot move far enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Its maximum is too low (a `<5` that cannot reach 4, a latent known to be small).
    Up,
    /// Its minimum is too high (a `<5` that cannot reach 1).
    Down,
}

/// A cell whose range breaks the rule.
#[derive(Debug, Clone)]
pub struct Failure {
    pub cell: CellId,
    pub range: Range,
    pub side: Side,
    /// A point of the model at the failing end (cell, value) for every unknown cell of the
    /// component: the constraints tight there are the ones to loosen.
    pub at: Vec<(CellId, i64)>,
}

/// The audit's result.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every unknown cell's range (exact in range mode and for failures).
    pub ranges: FxHashMap<CellId, Range>,
    pub failures: Vec<Failure>,
    /// Integer programmes solved.
    pub solves: usize,
    pub components: usize,
    /// Unknown cells in the largest component.
    pub largest: usize,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The published figures contradict each other (a pack edited by hand, or a bug).
    #[error("the published figures contradict each other: no whole numbers meet \"{0}\"")]
    Conflict(String),
    #[error("the LP solver failed on a component of {cells} cells: {detail}")]
    Solver { cells: usize, detail: String },
    #[error("a shown cell has no value: {0}")]
    NoValue(String),
}

/// One independent problem.
struct Comp {
    vars: Vec<CellId>,
    states: Vec<State>,
    /// Outer bounds from the tightening over every component.
    lo: Vec<f64>,
    hi: Vec<f64>,
    rows: Vec<Row>,
    /// Labels of the rows' constraints (for messages).
    labels: Vec<String>,
}

/// Audits `model` (see the module header).
pub fn audit(model: &Model, opts: &AuditOptions) -> Result<Outcome, AuditError> {
    let comps = components(model, opts)?;
    run(model, opts, comps)
}

/// The cells whose bounds from tightening alone ([`crate::propagate`], no integer
/// programme) already break the rule: a quick first pass for protection. Each failure's range
/// is those bounds (not exact) and its point is the cell's true value alone (the model's
/// value, when known).
pub fn bound_failures(model: &Model, opts: &AuditOptions) -> Result<Outcome, AuditError> {
    let comps = components(model, opts)?;
    let mut out = Outcome { components: comps.len(), ..Outcome::default() };
    for c in &comps {
        out.largest = out.largest.max(c.vars.len());
        for (k, &v) in c.vars.iter().enumerate() {
            let lo = c.lo[k] as i64;
            let hi = c.hi[k].is_finite().then_some(c.hi[k] as i64);
            let range = Range { lo, hi, exact: false };
            out.ranges.insert(v, range);
            if !satisfied(c.states[k], lo, hi) {
                out.failures.push(Failure {
                    cell: v,
                    range,
                    side: failing_side(c.states[k], range),
                    at: model.cells[v].value.map(|x| vec![(v, x)]).unwrap_or_default(),
                });
            }
        }
    }
    out.failures.sort_by_key(|f| f.cell);
    Ok(out)
}

/// Audits only the components that hold one of `cells` (the others are known to pass).
pub fn audit_touching(
    model: &Model,
    opts: &AuditOptions,
    cells: &rustc_hash::FxHashSet<CellId>,
) -> Result<Outcome, AuditError> {
    let comps: Vec<Comp> = components(model, opts)?
        .into_iter()
        .filter(|c| c.vars.iter().any(|v| cells.contains(v)))
        .collect();
    run(model, opts, comps)
}

fn run(model: &Model, opts: &AuditOptions, comps: Vec<Comp>) -> Result<Outcome, AuditError> {
    let truth = if opts.witness { model.values() } else { None };
    let results: Vec<Result<CompOutcome, AuditError>> =
        comps.par_iter().map(|c| audit_component(c, opts, truth.as_deref())).collect();
    let mut out = Outcome { components: comps.len(), ..Outcome::default() };
    for (c, r) in comps.iter().zip(results) {
        let r = r?;
        out.solves += r.solves;
        out.largest = out.largest.max(c.vars.len());
        for (k, range) in r.ranges.into_iter().enumerate() {
            out.ranges.insert(c.vars[k], range);
        }
        out.failures.extend(r.failures.into_iter().map(|(k, range, side, at)| Failure {
            cell: c.vars[k],
            range,
            side,
            at: at.into_iter().enumerate().map(|(i, v)| (c.vars[i], v)).collect(),
        }));
    }
    out.failures.sort_by_key(|f| f.cell);
    Ok(out)
}

/// Splits the unknown cells into independent components with their rows: every row over
/// the unknown cells (shown cells moved to its bounds), bounds tightened over all of them,
/// rows the bounds already imply dropped (so they link nothing), then connected components.
fn components(model: &Model, opts: &AuditOptions) -> Result<Vec<Comp>, AuditError> {
    let in_scope = |id: CellId| opts.max_group.is_none_or(|g| model.cells[id].group <= g);
    let unknown = |i: CellId| model.cells[i].state.unknown();
    // every unknown cell in scope is audited, with or without constraints
    let vars: Vec<CellId> = (0..model.cells.len()).filter(|&i| unknown(i) && in_scope(i)).collect();
    let mut local: FxHashMap<CellId, usize> = FxHashMap::default();
    for (k, &v) in vars.iter().enumerate() {
        local.insert(v, k);
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    for con in &model.constraints {
        if !con.terms.iter().all(|&(i, _)| in_scope(i)) {
            continue;
        }
        let mut terms = Vec::new();
        let mut shift = 0.0;
        for &(i, a) in &con.terms {
            if unknown(i) {
                terms.push((local[&i], a));
            } else {
                let v = model.cells[i]
                    .value
                    .ok_or_else(|| AuditError::NoValue(model.cells[i].key.clone()))?;
                shift += a * v as f64;
            }
        }
        if terms.is_empty() {
            // all shown: it must hold
            if shift < con.lo - 1e-6 || shift > con.hi + 1e-6 {
                return Err(AuditError::Conflict(con.label.clone()));
            }
            continue;
        }
        rows.push(Row { terms, lo: con.lo - shift, hi: con.hi - shift });
        labels.push(&con.label);
    }
    let n = vars.len();
    let mut lo = vec![0.0; n];
    let mut hi = vec![f64::INFINITY; n];
    for (k, &v) in vars.iter().enumerate() {
        let (l, h) = model.cells[v].state.bounds(None);
        lo[k] = l as f64;
        hi[k] = h.map_or(f64::INFINITY, |h| h as f64);
    }
    propagate(&rows, &mut lo, &mut hi)
        .map_err(|e| AuditError::Conflict(labels[e.row].to_string()))?;
    // rows the bounds imply
    let implied = |r: &Row| {
        let (mut mn, mut mx) = (0.0, 0.0);
        for &(j, a) in &r.terms {
            if a > 0.0 {
                mn += a * lo[j];
                mx += a * hi[j];
            } else {
                mn += a * hi[j];
                mx += a * lo[j];
            }
        }
        (!r.hi.is_finite() || mx <= r.hi + 1e-9) && (!r.lo.is_finite() || mn >= r.lo - 1e-9)
    };
    let keep: Vec<usize> = (0..rows.len()).filter(|&r| !implied(&rows[r])).collect();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for &r in &keep {
        let first = rows[r].terms[0].0;
        for &(j, _) in &rows[r].terms[1..] {
            let (a, b) = (root(&mut parent, first), root(&mut parent, j));
            if a != b {
                parent[b] = a;
            }
        }
    }
    let mut by_root: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for k in 0..n {
        let r = root(&mut parent, k);
        by_root.entry(r).or_default().push(k);
    }
    let mut comp_of: Vec<(usize, usize)> = vec![(0, 0); n];
    let mut comps: Vec<Comp> = Vec::with_capacity(by_root.len());
    for (_, members) in by_root {
        let c = comps.len();
        for (k, &m) in members.iter().enumerate() {
            comp_of[m] = (c, k);
        }
        comps.push(Comp {
            vars: members.iter().map(|&m| vars[m]).collect(),
            states: members.iter().map(|&m| model.cells[vars[m]].state).collect(),
            lo: members.iter().map(|&m| lo[m]).collect(),
            hi: members.iter().map(|&m| hi[m]).collect(),
            rows: Vec::new(),
            labels: Vec::new(),
        });
    }
    for &r in &keep {
        let c = comp_of[rows[r].terms[0].0].0;
        let terms = rows[r].terms.iter().map(|&(j, a)| (comp_of[j].1, a)).collect();
        comps[c].rows.push(Row { terms, lo: rows[r].lo, hi: rows[r].hi });
        comps[c].labels.push(labels[r].to_string());
    }
    Ok(comps)
}

type FailureLocal = (usize, Range, Side, Vec<i64>);

struct CompOutcome {
    ranges: Vec<Range>,
    failures: Vec<FailureLocal>,
    solves: usize,
}

/// Witnessed values of each variable.
struct Witness {
    min: Vec<i64>,
    max: Vec<i64>,
    /// One whole point (the warm start).
    point: Option<Vec<i64>>,
    /// Integer programmes solved.
    solves: usize,
}

impl Witness {
    fn add(&mut self, p: &[i64]) {
        for (k, &v) in p.iter().enumerate() {
            self.min[k] = self.min[k].min(v);
            self.max[k] = self.max[k].max(v);
        }
        if self.point.is_none() {
            self.point = Some(p.to_vec());
        }
    }
}

enum Solved {
    Point(Vec<i64>),
    Unbounded,
}

/// Status of a cell against the rule, from its outer bounds and witnesses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Certified,
    /// Open: the values a witness should reach (up, down).
    Open {
        up: Option<i64>,
        down: Option<i64>,
    },
    Failed,
}

fn status(state: State, plo: i64, phi: Option<i64>, wmin: i64, wmax: i64, seen: bool) -> Status {
    // the outer bounds already break the rule: failed, whatever the witnesses
    if !satisfied(state, plo, phi) {
        return Status::Failed;
    }
    if !seen {
        return Status::Open { up: None, down: None };
    }
    let small = THRESHOLD - 1;
    match state {
        State::Shown => Status::Certified,
        State::Hidden(Symbol::Small) => {
            let up = (wmax < small).then_some(small);
            let down = (wmin > 1).then_some(1);
            if up.is_none() && down.is_none() {
                Status::Certified
            } else {
                Status::Open { up, down }
            }
        }
        State::Hidden(Symbol::Star) => {
            if satisfied(state, wmin, Some(wmax)) {
                Status::Certified
            } else if wmin >= THRESHOLD {
                // any other value will do
                Status::Open {
                    up: phi.is_none_or(|h| h > wmax).then_some(wmax + 1),
                    down: (plo < wmin).then_some(wmin - 1),
                }
            } else {
                // 5 or more; else 1 and 4
                let up = if phi.is_none_or(|h| h >= THRESHOLD) { THRESHOLD } else { small };
                Status::Open { up: Some(up), down: (up == small && wmin > 1).then_some(1) }
            }
        }
        State::Latent { .. } => {
            if wmax >= THRESHOLD || phi.is_some_and(|h| h <= 0) || (wmin <= 1 && wmax >= small) {
                Status::Certified
            } else {
                Status::Open { up: Some(THRESHOLD), down: (wmin > 1).then_some(1) }
            }
        }
    }
}

/// Rounds of batches at most (they stop as soon as one certifies nothing more).
const BATCH_ROUNDS: usize = 12;

fn audit_component(
    c: &Comp,
    opts: &AuditOptions,
    truth: Option<&[i64]>,
) -> Result<CompOutcome, AuditError> {
    let ranges_mode = opts.ranges;
    let n = c.vars.len();
    let (mut lo, mut hi) = (c.lo.clone(), c.hi.clone());
    propagate(&c.rows, &mut lo, &mut hi)
        .map_err(|e| AuditError::Conflict(c.labels[e.row].clone()))?;
    let plo: Vec<i64> = lo.iter().map(|&v| v as i64).collect();
    let phi: Vec<Option<i64>> = hi.iter().map(|&v| v.is_finite().then_some(v as i64)).collect();
    let mut w = Witness { min: vec![i64::MAX; n], max: vec![i64::MIN; n], point: None, solves: 0 };
    if let Some(t) = truth {
        let p: Vec<i64> = c.vars.iter().map(|&v| t[v]).collect();
        w.add(&p);
    }
    let solve = |objective: &[(usize, f64)],
                 maximize: bool,
                 caps: &[(usize, i64, Option<i64>)],
                 w: &mut Witness|
     -> Result<Solved, AuditError> {
        w.solves += 1;
        let r = solve_mip(c, &lo, &hi, objective, maximize, caps, w.point.as_deref())?;
        if let Solved::Point(p) = &r {
            w.add(p);
        }
        Ok(r)
    };
    if n == 0 {
        return Ok(CompOutcome { ranges: Vec::new(), failures: Vec::new(), solves: 0 });
    }
    if w.point.is_none() {
        // a first point (any): the witnesses start from it
        solve(&[], true, &[], &mut w)?;
    }
    let seen = |w: &Witness, k: usize| w.min[k] <= w.max[k];
    // what a witness should still reach, cell by cell: (up, down)
    let targets = |w: &Witness, k: usize| -> (Option<i64>, Option<i64>) {
        if ranges_mode {
            let up = phi[k].filter(|&h| !(seen(w, k) && w.max[k] >= h));
            let down = Some(plo[k]).filter(|&l| !(seen(w, k) && w.min[k] <= l));
            (up, down)
        } else {
            match status(c.states[k], plo[k], phi[k], w.min[k], w.max[k], seen(w, k)) {
                Status::Open { up, down } => (up, down),
                _ => (None, None),
            }
        }
    };
    // batches: maximise (minimise) the sum of the cells still short of their target, each
    // capped at it, while that certifies more cells
    let mut open_before = usize::MAX;
    // weights vary from round to round (a fixed pseudo-random sequence), so that cells that
    // compete for the same slack take turns at their target
    let weight = |round: usize, k: usize| -> f64 {
        if round == 0 {
            1.0
        } else {
            1.0 + ((k as u64 * 2_654_435_761 + round as u64 * 40_503) % 8) as f64
        }
    };
    for round in 0..BATCH_ROUNDS {
        let ups: Vec<(usize, i64)> =
            (0..n).filter_map(|k| targets(&w, k).0.map(|t| (k, t))).collect();
        if !ups.is_empty() {
            let obj: Vec<(usize, f64)> = ups.iter().map(|&(k, _)| (k, weight(round, k))).collect();
            let caps: Vec<(usize, i64, Option<i64>)> =
                ups.iter().map(|&(k, t)| (k, plo[k], Some(t))).collect();
            solve(&obj, true, &caps, &mut w)?;
        }
        let downs: Vec<(usize, i64)> =
            (0..n).filter_map(|k| targets(&w, k).1.map(|t| (k, t))).collect();
        if !downs.is_empty() {
            let obj: Vec<(usize, f64)> =
                downs.iter().map(|&(k, _)| (k, weight(round, k + 1))).collect();
            let caps: Vec<(usize, i64, Option<i64>)> =
                downs.iter().map(|&(k, t)| (k, t, phi[k])).collect();
            solve(&obj, false, &caps, &mut w)?;
        }
        let open: usize = (0..n)
            .map(|k| {
                let (u, d) = targets(&w, k);
                usize::from(u.is_some()) + usize::from(d.is_some())
            })
            .sum();
        // stop when a round certifies nothing (after the first weighted one)
        if open == 0 || (open >= open_before && round >= 2) {
            break;
        }
        open_before = open;
    }
    let mut exact_lo: Vec<Option<i64>> = vec![None; n];
    let mut exact_hi: Vec<Option<Option<i64>>> = vec![None; n];
    let mut failures: Vec<FailureLocal> = Vec::new();
    let max_of = |k: usize, w: &mut Witness| -> Result<Option<i64>, AuditError> {
        if phi[k].is_some_and(|h| seen(w, k) && w.max[k] >= h) {
            return Ok(phi[k]);
        }
        Ok(match solve(&[(k, 1.0)], true, &[], w)? {
            Solved::Point(p) => Some(p[k]),
            Solved::Unbounded => None,
        })
    };
    let min_of = |k: usize, w: &mut Witness| -> Result<i64, AuditError> {
        if seen(w, k) && w.min[k] <= plo[k] {
            return Ok(plo[k]);
        }
        Ok(match solve(&[(k, 1.0)], false, &[], w)? {
            Solved::Point(p) => p[k],
            Solved::Unbounded => plo[k],
        })
    };
    for k in 0..n {
        let s = status(c.states[k], plo[k], phi[k], w.min[k], w.max[k], seen(&w, k));
        if !ranges_mode && s == Status::Certified {
            continue;
        }
        if !ranges_mode && s == Status::Failed && opts.quick_failures {
            let r = Range { lo: plo[k], hi: phi[k], exact: false };
            let at = w.point.clone().unwrap_or_default();
            failures.push((k, r, failing_side(c.states[k], r), at));
            continue;
        }
        // verdict mode: the ends still open (the other end is what the witnesses reached,
        // inside the true range); both ends when that is not enough
        let (up, down) = if ranges_mode || s == Status::Failed {
            (true, true)
        } else {
            let (u, d) = targets(&w, k);
            (u.is_some() || !seen(&w, k), d.is_some() || !seen(&w, k))
        };
        if up {
            exact_hi[k] = Some(max_of(k, &mut w)?);
        }
        if down {
            exact_lo[k] = Some(min_of(k, &mut w)?);
        }
        let inner = |w: &Witness, lo: Option<i64>, hi: Option<Option<i64>>| Range {
            lo: lo.unwrap_or(if seen(w, k) { w.min[k] } else { plo[k] }),
            hi: hi.unwrap_or(if seen(w, k) { Some(w.max[k]) } else { phi[k] }),
            exact: lo.is_some() && hi.is_some(),
        };
        let mut r = inner(&w, exact_lo[k], exact_hi[k]);
        if !satisfied(c.states[k], r.lo, r.hi) && !r.exact {
            if exact_hi[k].is_none() {
                exact_hi[k] = Some(max_of(k, &mut w)?);
            }
            if exact_lo[k].is_none() {
                exact_lo[k] = Some(min_of(k, &mut w)?);
            }
            r = inner(&w, exact_lo[k], exact_hi[k]);
        }
        if !satisfied(c.states[k], r.lo, r.hi) {
            let side = failing_side(c.states[k], r);
            let at = extreme_point(c, &lo, &hi, k, side, &mut w)?;
            w.solves += 1;
            failures.push((k, r, side, at));
        }
    }
    let ranges = (0..n)
        .map(|k| match (exact_lo[k], exact_hi[k]) {
            (Some(l), Some(h)) => Range { lo: l, hi: h, exact: true },
            _ => Range {
                lo: if seen(&w, k) { w.min[k] } else { plo[k] },
                hi: if seen(&w, k) { Some(w.max[k]) } else { phi[k] },
                exact: false,
            },
        })
        .collect();
    Ok(CompOutcome { ranges, failures, solves: w.solves })
}

/// Which way a range breaks the rule.
fn failing_side(state: State, r: Range) -> Side {
    match state {
        State::Hidden(Symbol::Small) if r.lo > 1 => Side::Down,
        _ => Side::Up,
    }
}

/// The point at the failing end of cell `k` (maximum for `Up`, minimum for `Down`).
fn extreme_point(
    c: &Comp,
    lo: &[f64],
    hi: &[f64],
    k: usize,
    side: Side,
    w: &mut Witness,
) -> Result<Vec<i64>, AuditError> {
    match solve_mip(c, lo, hi, &[(k, 1.0)], side == Side::Up, &[], w.point.as_deref())? {
        Solved::Point(p) => Ok(p),
        Solved::Unbounded => Ok(w.point.clone().unwrap_or_default()),
    }
}

fn to_i32(v: f64) -> i32 {
    if v.is_finite() {
        v.clamp(i32::MIN as f64, i32::MAX as f64) as i32
    } else if v > 0.0 {
        i32::MAX
    } else {
        i32::MIN
    }
}

/// Optimises `objective` over the component's integer points, each variable within its
/// outer bounds and `caps` (variable, lowest, highest).
fn solve_mip(
    c: &Comp,
    lo: &[f64],
    hi: &[f64],
    objective: &[(usize, f64)],
    maximize: bool,
    caps: &[(usize, i64, Option<i64>)],
    warm: Option<&[i64]>,
) -> Result<Solved, AuditError> {
    let n = c.vars.len();
    let dir =
        if maximize { OptimizationDirection::Maximize } else { OptimizationDirection::Minimize };
    let mut obj = vec![0.0; n];
    for &(k, a) in objective {
        obj[k] += a;
    }
    let mut bounds: Vec<(i32, i32)> = (0..n).map(|k| (to_i32(lo[k]), to_i32(hi[k]))).collect();
    for &(k, l, h) in caps {
        bounds[k].0 = bounds[k].0.max(l.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        if let Some(h) = h {
            bounds[k].1 = bounds[k].1.min(h.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        }
    }
    let run = |presolve: bool| -> Result<Solved, microlp::Error> {
        let mut p = Problem::new(dir);
        let vars: Vec<Variable> = (0..n).map(|k| p.add_integer_var(obj[k], bounds[k])).collect();
        for r in &c.rows {
            let expr: Vec<(Variable, f64)> = r.terms.iter().map(|&(k, a)| (vars[k], a)).collect();
            if r.lo == r.hi {
                p.add_constraint(expr.as_slice(), ComparisonOp::Eq, r.lo);
            } else {
                if r.lo.is_finite() {
                    p.add_constraint(expr.as_slice(), ComparisonOp::Ge, r.lo);
                }
                if r.hi.is_finite() {
                    p.add_constraint(expr.as_slice(), ComparisonOp::Le, r.hi);
                }
            }
        }
        let mut o = SolveOptions::default();
        o.presolve = presolve;
        if let Some(wp) = warm {
            let inside = wp
                .iter()
                .enumerate()
                .all(|(k, &v)| v >= i64::from(bounds[k].0) && v <= i64::from(bounds[k].1));
            if inside {
                o.warm_start =
                    Some(wp.iter().enumerate().map(|(k, &v)| (vars[k], v as f64)).collect());
            }
        }
        match p.solve_with(o) {
            Ok(outcome) => match outcome.into_solution() {
                Ok(s) => {
                    Ok(Solved::Point(vars.iter().map(|&v| s.var_value(v).round() as i64).collect()))
                }
                Err(_) => Err(microlp::Error::InternalError("interrupted".into())),
            },
            Err(microlp::Error::Unbounded) => Ok(Solved::Unbounded),
            Err(e) => Err(e),
        }
    };
    match run(true) {
        Ok(s) => Ok(s),
        Err(microlp::Error::Infeasible) => {
            Err(AuditError::Conflict(c.labels.first().cloned().unwrap_or_default()))
        }
        Err(_) => run(false).map_err(|e| AuditError::Solver { cells: n, detail: format!("{e:?}") }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::Constraint;

    /// A model of shown / hidden cells with values.
    fn model(cells: &[(&str, i64, State)]) -> Model {
        let mut m = Model::new();
        for (k, v, s) in cells {
            let id = m.cell(k);
            m.cells[id].value = Some(*v);
            m.cells[id].state = *s;
        }
        m
    }

    const SMALL: State = State::Hidden(Symbol::Small);
    const STAR: State = State::Hidden(Symbol::Star);
    const SHOWN: State = State::Shown;

    #[test]
    fn three_small_cells_whose_residual_is_12_fail_and_ranges_are_exact() {
        // total 20 = 8 (shown) + three "<5" (4, 4, 4)
        let mut m = model(&[
            ("t", 20, SHOWN),
            ("a", 8, SHOWN),
            ("x", 4, SMALL),
            ("y", 4, SMALL),
            ("z", 4, SMALL),
        ]);
        m.add(Constraint::sum(0, &[1, 2, 3, 4], "list"));
        for ranges in [false, true] {
            let o =
                audit(&m, &AuditOptions { ranges, witness: true, ..Default::default() }).unwrap();
            assert_eq!(o.failures.len(), 3);
            assert_eq!(o.failures[0].range, Range { lo: 4, hi: Some(4), exact: true });
            assert_eq!(o.failures[0].side, Side::Down);
        }
        // hiding the 8 as "*" (1 or more) lets each reach 1 and below
        m.cells[1].state = STAR;
        let o = audit(&m, &AuditOptions { ranges: true, ..Default::default() }).unwrap();
        assert!(o.passed(), "{:?}", o.failures);
        // x = 20 - a - y - z: 0 when a = 12 and y = z = 4
        assert_eq!(o.ranges[&2], Range { lo: 0, hi: Some(4), exact: true });
        assert_eq!(o.ranges[&1], Range { lo: 8, hi: Some(20), exact: true });
    }

    #[test]
    fn a_star_known_to_be_small_narrows_its_partner() {
        // 2 x 2 table with margins, every cell hidden; the row total 3 makes b, a "*" (1 or
        // more), 1 or 2, so x (a "<5") is 1 or 2 too:
        //   x  b | 3          x = 1, b = 2
        //   c  d | 20         c = 9, d = 11
        //  10 13 | 23
        let mut m = model(&[
            ("x", 1, SMALL),
            ("b", 2, STAR),
            ("c", 9, STAR),
            ("d", 11, STAR),
            ("r0", 3, SHOWN),
            ("r1", 20, SHOWN),
            ("c0", 10, SHOWN),
            ("c1", 13, SHOWN),
        ]);
        m.add(Constraint::sum(4, &[0, 1], "row 0"));
        m.add(Constraint::sum(5, &[2, 3], "row 1"));
        m.add(Constraint::sum(6, &[0, 2], "col 0"));
        m.add(Constraint::sum(7, &[1, 3], "col 1"));
        assert!(m.check_values().is_ok());
        let o = audit(&m, &AuditOptions { witness: true, ..Default::default() }).unwrap();
        let failed: Vec<usize> = o.failures.iter().map(|f| f.cell).collect();
        assert_eq!(failed, vec![0, 1], "x cannot reach 4 and b is known to be 1 or 2");
        assert_eq!(o.failures[0].range, Range { lo: 0, hi: Some(2), exact: true });
        assert_eq!(o.failures[0].side, Side::Up);
        assert_eq!(o.failures[1].range, Range { lo: 1, hi: Some(3), exact: true });
        // a row total of 10 instead (b = 9, d = 11): room for x from 0 to 4
        let mut m2 = m.clone();
        for (i, v) in [(1, 9), (4, 10), (7, 20)] {
            m2.cells[i].value = Some(v);
        }
        assert!(m2.check_values().is_ok());
        let o = audit(&m2, &AuditOptions { witness: true, ranges: true, ..Default::default() })
            .unwrap();
        assert!(o.passed(), "{:?}", o.failures);
        assert_eq!(o.ranges[&0], Range { lo: 0, hi: Some(4), exact: true });
    }

    #[test]
    fn latent_cells_known_to_be_small_fail() {
        // sac = burglary + robbery + vehicle at one place; robbery is left out of its list
        // (latent): 15 - 7 - 5 = 3
        let mut m = model(&[("sac", 15, SHOWN), ("burglary", 7, SHOWN), ("vehicle", 5, SHOWN)]);
        let r = m.cell("robbery");
        m.cells[r].value = Some(3);
        m.add(Constraint::sum(0, &[1, r, 2], "sac = parts"));
        let o = audit(&m, &AuditOptions::default()).unwrap();
        assert_eq!(o.failures.len(), 1);
        assert_eq!(o.failures[0].range, Range { lo: 3, hi: Some(3), exact: true });
        // hiding the sac total as "*" frees it
        m.cells[0].state = STAR;
        assert!(audit(&m, &AuditOptions::default()).unwrap().passed());
    }

    #[test]
    fn contradictions_are_errors() {
        let mut m = model(&[("t", 9, SHOWN), ("x", 1, SMALL), ("y", 2, SMALL)]);
        m.add(Constraint::sum(0, &[1, 2], "two <5 make 9"));
        assert!(matches!(audit(&m, &AuditOptions::default()), Err(AuditError::Conflict(_))));
    }

    #[test]
    fn groups_limit_the_problem() {
        // the second constraint belongs to group 1: without it x is free
        let mut m = model(&[("t", 10, SHOWN), ("x", 3, SMALL), ("y", 7, STAR), ("u", 4, SHOWN)]);
        m.cells[3].group = 1;
        m.add(Constraint::sum(0, &[1, 2], "t = x + y"));
        m.add(Constraint::zero(vec![(1, 1.0), (3, -1.0)], "x is a copy of u"));
        let opts = AuditOptions { max_group: Some(0), ..Default::default() };
        assert!(audit(&m, &opts).unwrap().passed());
        assert!(!audit(&m, &AuditOptions::default()).unwrap().passed());
    }
}
