//! The attacker's view of a set of published tables as a linear model: every count the
//! tables show, hide or imply is a **cell** (a whole number, at least 0), and everything
//! known about them is a **constraint** `lo <= sum(a_i * x_i) <= hi`: a list adding up to its
//! total, a population that is the sum of others, one contained in another, a count copied
//! in another table (the same cell, by key).
//!
//! A cell is **shown** (a number), **hidden** behind a symbol, or **latent** (published
//! nowhere: an implied total, a row a top-N list leaves out). What the attacker knows of a
//! hidden cell is its symbol's meaning, since the method is public:
//!
//! | symbol | meaning | what it hides |
//! |---|---|---|
//! | `<5` | 0 to 4 | a count of 1 to 4; or a 0 hidden so that a `<5` cannot be worked out |
//! | `*` | 1 or more | a count of 5 or more hidden so that a `<5` cannot be worked out; or, where `<5` would itself say too much, a count of 1 to 4 |
//!
//! **The rule** ([`satisfied`]): given everything published, every hidden or latent count's
//! feasible range (whole numbers, every constraint) must say no more than `<5` does:
//! - a `<5` cell can still be anything from 1 to 4 (its range reaches 1 and 4);
//! - a `*` cell is not pinned, and is not known to be a count of 1 to 4 any better than
//!   that (its range reaches 5, or reaches 1 and 4);
//! - a latent cell is not known to be a count of 1 to 4 any better: its range reaches 5 or
//!   more, or is just {0}, or reaches 1 and 4.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Counts 1 to this minus one are small.
pub const THRESHOLD: i64 = 5;

/// Index of a cell in its [`Model`].
pub type CellId = usize;

/// How a hidden count is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Symbol {
    /// "<5": 0 to 4.
    Small,
    /// "*": 1 or more.
    Star,
}

impl Symbol {
    pub fn text(self) -> &'static str {
        match self {
            Symbol::Small => "<5",
            Symbol::Star => "*",
        }
    }

    pub fn parse(s: &str) -> Option<Symbol> {
        match s.trim() {
            "<5" => Some(Symbol::Small),
            "*" => Some(Symbol::Star),
            _ => None,
        }
    }

    /// The values the symbol allows: (lowest, highest; `None` = no limit).
    pub fn bounds(self) -> (i64, Option<i64>) {
        match self {
            Symbol::Small => (0, Some(THRESHOLD - 1)),
            Symbol::Star => (1, None),
        }
    }

    /// The symbol of a count hidden as it is (0 to 4 `<5`, else `*`).
    pub fn of(value: i64) -> Symbol {
        if value < THRESHOLD {
            Symbol::Small
        } else {
            Symbol::Star
        }
    }
}

/// How a cell is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// As a number.
    Shown,
    /// Behind a symbol.
    Hidden(Symbol),
    /// Nowhere; `upper` is what the listing implies (a top-N list leaves out only rows no
    /// larger than its last one).
    Latent { upper: Option<i64> },
}

impl State {
    /// A variable of the attacker's problem (hidden or latent).
    pub fn unknown(self) -> bool {
        !matches!(self, State::Shown)
    }

    /// What the attacker knows before any constraint: (lowest, highest).
    pub fn bounds(self, value: Option<i64>) -> (i64, Option<i64>) {
        match self {
            State::Shown => (value.unwrap_or(0), value),
            State::Hidden(s) => s.bounds(),
            State::Latent { upper } => (0, upper),
        }
    }
}

/// Whether the feasible range `lo..=hi` (`hi` `None` = unbounded) of a cell in state `state`
/// meets the rule (see the module header).
pub fn satisfied(state: State, lo: i64, hi: Option<i64>) -> bool {
    let small = THRESHOLD - 1;
    match state {
        State::Shown => true,
        State::Hidden(Symbol::Small) => lo <= 1 && hi.is_none_or(|h| h >= small),
        State::Hidden(Symbol::Star) => match hi {
            None => true,
            Some(h) => h > lo && (h >= THRESHOLD || (lo <= 1 && h >= small)),
        },
        State::Latent { .. } => match hi {
            None => true,
            Some(h) => h <= 0 || h >= THRESHOLD || (lo <= 1 && h >= small),
        },
    }
}

/// One count.
#[derive(Debug, Clone)]
pub struct Cell {
    /// What it counts, e.g. `crimes|2025-01..2025-12|Robbery|ward=E05001218`.
    pub key: String,
    /// The true value (known when the pack is made; from files, only for shown cells).
    pub value: Option<i64>,
    pub state: State,
    /// Protection: cells are protected group by group, in ascending order; a cell of a
    /// later group is left out of an earlier group's problem.
    pub group: u32,
    /// Protection: whether it may be hidden to protect another (shown cells only).
    pub candidate: bool,
    /// Protection: hidden because it is a count of 1 to 4 (else to protect others).
    pub primary: bool,
    /// Protection: how much hiding it loses (lower is hidden first).
    pub cost: f64,
}

/// `lo <= sum(coefficient * cell) <= hi`.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub terms: Vec<(CellId, f64)>,
    pub lo: f64,
    pub hi: f64,
    /// What it says, for messages.
    pub label: String,
}

impl Constraint {
    /// `sum(terms) = 0`.
    pub fn zero(terms: Vec<(CellId, f64)>, label: impl Into<String>) -> Constraint {
        Constraint { terms, lo: 0.0, hi: 0.0, label: label.into() }
    }

    /// `sum(terms) <= 0`.
    pub fn at_most_zero(terms: Vec<(CellId, f64)>, label: impl Into<String>) -> Constraint {
        Constraint { terms, lo: f64::NEG_INFINITY, hi: 0.0, label: label.into() }
    }

    /// `total = sum(parts)`.
    pub fn sum(total: CellId, parts: &[CellId], label: impl Into<String>) -> Constraint {
        let mut terms = vec![(total, -1.0)];
        terms.extend(parts.iter().map(|&p| (p, 1.0)));
        Constraint::zero(terms, label)
    }
}

/// Cells and constraints.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub cells: Vec<Cell>,
    pub constraints: Vec<Constraint>,
    index: FxHashMap<String, CellId>,
}

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// The cell with `key`, created latent (value unknown, group 0) when new.
    pub fn cell(&mut self, key: &str) -> CellId {
        if let Some(&id) = self.index.get(key) {
            return id;
        }
        let id = self.cells.len();
        self.cells.push(Cell {
            key: key.to_string(),
            value: None,
            state: State::Latent { upper: None },
            group: 0,
            candidate: false,
            primary: false,
            cost: 0.0,
        });
        self.index.insert(key.to_string(), id);
        id
    }

    pub fn find(&self, key: &str) -> Option<CellId> {
        self.index.get(key).copied()
    }

    pub fn add(&mut self, c: Constraint) {
        self.constraints.push(c);
    }

    /// The same model with its cells in key order and its constraints in the order of their
    /// terms' keys, and each old cell's new id: protection iterates in id order, so two
    /// models with the same cells and constraints, built in any order, are protected alike.
    pub fn canonical(&self) -> (Model, Vec<CellId>) {
        let mut order: Vec<CellId> = (0..self.cells.len()).collect();
        order.sort_by(|&a, &b| self.cells[a].key.cmp(&self.cells[b].key));
        let mut perm = vec![0; self.cells.len()];
        for (new, &old) in order.iter().enumerate() {
            perm[old] = new;
        }
        let mut m = Model::new();
        for &old in &order {
            let id = m.cell(&self.cells[old].key);
            m.cells[id] = self.cells[old].clone();
        }
        let mut cons: Vec<(Vec<(String, i64)>, Constraint)> = self
            .constraints
            .iter()
            .map(|c| {
                let mut terms: Vec<(CellId, f64)> =
                    c.terms.iter().map(|&(i, a)| (perm[i], a)).collect();
                terms.sort_by_key(|t| t.0);
                let sig = terms
                    .iter()
                    .map(|&(i, a)| (m.cells[i].key.clone(), (a * 1000.0) as i64))
                    .collect();
                (sig, Constraint { terms, ..c.clone() })
            })
            .collect();
        cons.sort_by(|a, b| {
            a.0.cmp(&b.0).then(a.1.lo.total_cmp(&b.1.lo)).then(a.1.hi.total_cmp(&b.1.hi))
        });
        m.constraints = cons.into_iter().map(|c| c.1).collect();
        (m, perm)
    }

    /// The true values of every cell, when all are known (the witness a maker of the tables
    /// has).
    pub fn values(&self) -> Option<Vec<i64>> {
        self.cells.iter().map(|c| c.value).collect()
    }

    /// Checks that the true values (where known) meet every constraint and their cell's
    /// state: a model that its own tables contradict is a bug upstream.
    pub fn check_values(&self) -> Result<(), String> {
        for c in &self.cells {
            if let Some(v) = c.value {
                let (lo, hi) = c.state.bounds(Some(v));
                if v < lo || hi.is_some_and(|h| v > h) {
                    return Err(format!("{} = {v} is outside its symbol's range", c.key));
                }
            }
        }
        for k in &self.constraints {
            let mut s = 0.0;
            for &(i, a) in &k.terms {
                match self.cells[i].value {
                    Some(v) => s += a * v as f64,
                    None => {
                        s = f64::NAN;
                        break;
                    }
                }
            }
            if s.is_finite() && (s < k.lo - 1e-6 || s > k.hi + 1e-6) {
                return Err(format!(
                    "the values break \"{}\": {s} is not within {}..{}",
                    k.label, k.lo, k.hi
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        let small = State::Hidden(Symbol::Small);
        let star = State::Hidden(Symbol::Star);
        let latent = State::Latent { upper: None };
        assert!(satisfied(small, 0, Some(4)));
        assert!(satisfied(small, 1, Some(4)));
        assert!(!satisfied(small, 2, Some(4)), "known not to be 1");
        assert!(!satisfied(small, 0, Some(3)), "known not to be 4");
        assert!(satisfied(star, 1, None));
        assert!(satisfied(star, 7, Some(8)));
        assert!(!satisfied(star, 7, Some(7)), "pinned");
        assert!(satisfied(star, 1, Some(4)));
        assert!(!satisfied(star, 2, Some(4)), "known to be 2 to 4");
        assert!(satisfied(latent, 0, Some(0)), "an empty cell says nothing of anyone");
        assert!(satisfied(latent, 3, Some(9)), "could be 5 or more");
        assert!(satisfied(latent, 0, Some(4)));
        assert!(!satisfied(latent, 3, Some(3)), "a pinned 3");
        assert!(!satisfied(latent, 0, Some(2)), "known to be at most 2");
        assert!(!satisfied(latent, 2, Some(4)), "known to be 2 to 4");
        assert_eq!(Symbol::parse(" <5"), Some(Symbol::Small));
        assert_eq!(Symbol::of(0), Symbol::Small);
        assert_eq!(Symbol::of(5), Symbol::Star);
    }

    #[test]
    fn cells_by_key_and_checked_values() {
        let mut m = Model::new();
        let t = m.cell("total");
        let a = m.cell("a");
        let b = m.cell("b");
        assert_eq!(m.cell("a"), a);
        m.add(Constraint::sum(t, &[a, b], "a + b = total"));
        for (i, v) in [(t, 7), (a, 3), (b, 4)] {
            m.cells[i].value = Some(v);
            m.cells[i].state = State::Shown;
        }
        assert!(m.check_values().is_ok());
        m.cells[b].value = Some(5);
        assert!(m.check_values().unwrap_err().contains("a + b = total"));
        let (c, perm) = m.canonical();
        assert_eq!(perm, vec![2, 0, 1]);
        assert_eq!(c.cells[0].key, "a");
        assert_eq!(c.constraints[0].terms, vec![(0, 1.0), (1, 1.0), (2, -1.0)]);
    }
}
