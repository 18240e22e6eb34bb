//! Disclosure control for published tables: small counts hidden, and nothing hidden that the
//! published totals would give back.
//!
//! **Primary suppression**: a count of 1 to 4 is shown as "<5" (0 stays 0: an empty cell
//! discloses nobody). **Secondary suppression**: a table of counts with its row totals,
//! column totals and grand total is a set of linear constraints (each row and each column of
//! the table extended by its totals sums to zero with the total's sign flipped). Seen as a
//! bipartite graph (row lines and column lines as nodes, cells and totals as edges), a hidden
//! entry can be worked out from the shown ones exactly when its edge is a *bridge* of the
//! graph of hidden entries (it lies on no cycle). So while a hidden entry (i, j) is a bridge,
//! the cheapest rectangle (i, j), (i, k), (m, k), (m, j) is hidden with it (cost: the values
//! newly hidden, totals and zeros only when nothing else will do), which puts it on a cycle;
//! repeated until no hidden entry is a bridge (the 2-D hypercube method). Secondary cells are
//! shown as "*".
//!
//! A one-way table (a list and its total) is the same with one column.

/// Counts 1 to this minus one are suppressed.
pub const THRESHOLD: u64 = 5;

/// How an entry is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Value,
    /// A count of 1 to 4.
    Primary,
    /// Hidden so that a primary one cannot be worked out.
    Secondary,
}

impl Shown {
    pub fn is_hidden(self) -> bool {
        self != Shown::Value
    }
}

/// The published form of a count.
pub fn display(value: u64, shown: Shown) -> String {
    match shown {
        Shown::Value => value.to_string(),
        Shown::Primary => format!("<{THRESHOLD}"),
        Shown::Secondary => "*".into(),
    }
}

/// A table with its margins and how each entry is shown. Entry (i, j) for i < rows, j < cols
/// is a cell; column `cols` holds row totals, row `rows` column totals, (rows, cols) the
/// grand total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub rows: usize,
    pub cols: usize,
    /// (rows + 1) x (cols + 1) values, row-major.
    pub values: Vec<u64>,
    pub shown: Vec<Shown>,
}

impl Protected {
    pub fn at(&self, i: usize, j: usize) -> (u64, Shown) {
        let k = i * (self.cols + 1) + j;
        (self.values[k], self.shown[k])
    }

    pub fn primary(&self) -> usize {
        self.shown.iter().filter(|s| **s == Shown::Primary).count()
    }

    pub fn secondary(&self) -> usize {
        self.shown.iter().filter(|s| **s == Shown::Secondary).count()
    }
}

/// Protects `cells` (rows of equal length) and the totals computed from them.
pub fn protect(cells: &[Vec<u64>]) -> Protected {
    let rows = cells.len();
    let cols = cells.first().map_or(0, Vec::len);
    let w = cols + 1;
    let mut values = vec![0u64; (rows + 1) * w];
    for (i, row) in cells.iter().enumerate() {
        for (j, &v) in row.iter().enumerate().take(cols) {
            values[i * w + j] = v;
            values[i * w + cols] += v;
            values[rows * w + j] += v;
            values[rows * w + cols] += v;
        }
    }
    let mut shown: Vec<Shown> = values
        .iter()
        .map(|&v| if (1..THRESHOLD).contains(&v) { Shown::Primary } else { Shown::Value })
        .collect();
    // each round closes a cycle through one bridge with the cheapest rectangle
    loop {
        let hidden: Vec<usize> = (0..values.len()).filter(|&k| shown[k].is_hidden()).collect();
        let Some(&bridge) = bridges(rows, cols, &hidden).first() else { break };
        let (i, j) = (bridge / w, bridge % w);
        // cost of hiding an entry: its value, more for totals, much more for zeros (an empty
        // cell is better left visible), nothing when hidden already
        let cost = |k: usize| -> u64 {
            if shown[k].is_hidden() {
                return 0;
            }
            let total = k % w == cols || k / w == rows;
            values[k]
                + if total { 1_000_000 } else { 0 }
                + if values[k] == 0 { 1_000_000_000 } else { 0 }
        };
        let mut best: Option<(u64, [usize; 3])> = None;
        for k in (0..=cols).filter(|&k| k != j) {
            for m in (0..=rows).filter(|&m| m != i) {
                let rect = [i * w + k, m * w + k, m * w + j];
                let c: u64 = rect.iter().map(|&e| cost(e)).sum();
                if best.is_none_or(|(b, _)| c < b) {
                    best = Some((c, rect));
                }
            }
        }
        let Some((_, rect)) = best else { break };
        for e in rect {
            if !shown[e].is_hidden() {
                shown[e] = Shown::Secondary;
            }
        }
    }
    Protected { rows, cols, values, shown }
}

/// The hidden entries that are bridges of the bipartite graph of hidden entries (row nodes
/// 0..=rows, column nodes rows+1..=rows+cols+1).
fn bridges(rows: usize, cols: usize, hidden: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    let w = cols + 1;
    let n = rows + 1 + w;
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for &k in hidden {
        let (r, c) = (k / w, rows + 1 + k % w);
        adj[r].push((c, k));
        adj[c].push((r, k));
    }
    // iterative Tarjan: discovery times and low links
    let mut disc = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut time = 0;
    for s in 0..n {
        if disc[s] != usize::MAX || adj[s].is_empty() {
            continue;
        }
        // (node, edge id used to enter, next neighbour index)
        let mut stack: Vec<(usize, usize, usize)> = vec![(s, usize::MAX, 0)];
        disc[s] = time;
        low[s] = time;
        time += 1;
        while let Some(&mut (u, via, ref mut next)) = stack.last_mut() {
            if *next < adj[u].len() {
                let (v, e) = adj[u][*next];
                *next += 1;
                if e == via {
                    continue;
                }
                if disc[v] == usize::MAX {
                    disc[v] = time;
                    low[v] = time;
                    time += 1;
                    stack.push((v, e, 0));
                } else {
                    low[u] = low[u].min(disc[v]);
                }
            } else {
                stack.pop();
                if let Some(&(p, _, _)) = stack.last() {
                    low[p] = low[p].min(low[u]);
                    if low[u] > disc[p] {
                        out.push(via);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries determined by the shown ones: solve the margin equations for the hidden
    /// entries and test, for each, whether it lies in the row space (rank test, Gaussian
    /// elimination). This is the attacker's view, independent of the bridge argument.
    pub(crate) fn recoverable(p: &Protected) -> Vec<usize> {
        let w = p.cols + 1;
        let hidden: Vec<usize> = (0..p.values.len()).filter(|&k| p.shown[k].is_hidden()).collect();
        let col_of = |k: usize| hidden.iter().position(|&h| h == k);
        let mut eqs: Vec<Vec<f64>> = Vec::new();
        for i in 0..=p.rows {
            let mut e = vec![0.0; hidden.len()];
            for j in 0..=p.cols {
                if let Some(c) = col_of(i * w + j) {
                    e[c] = if j == p.cols { -1.0 } else { 1.0 };
                }
            }
            eqs.push(e);
        }
        for j in 0..=p.cols {
            let mut e = vec![0.0; hidden.len()];
            for i in 0..=p.rows {
                if let Some(c) = col_of(i * w + j) {
                    e[c] = if i == p.rows { -1.0 } else { 1.0 };
                }
            }
            eqs.push(e);
        }
        let rank = |m: &[Vec<f64>]| -> usize {
            let mut m: Vec<Vec<f64>> = m.to_vec();
            let (mut r, cols) = (0, hidden.len());
            for c in 0..cols {
                let Some(piv) = (r..m.len()).find(|&i| m[i][c].abs() > 1e-9) else { continue };
                m.swap(r, piv);
                for i in 0..m.len() {
                    if i != r && m[i][c].abs() > 1e-9 {
                        let f = m[i][c] / m[r][c];
                        let pivot_row = m[r].clone();
                        for (x, y) in m[i].iter_mut().zip(pivot_row) {
                            *x -= f * y;
                        }
                    }
                }
                r += 1;
            }
            r
        };
        let base = rank(&eqs);
        hidden
            .iter()
            .enumerate()
            .filter(|(c, _)| {
                let mut with = eqs.clone();
                let mut e = vec![0.0; hidden.len()];
                e[*c] = 1.0;
                with.push(e);
                rank(&with) == base
            })
            .map(|(_, &k)| k)
            .collect()
    }

    #[test]
    fn primary_and_secondary_by_hand() {
        // 2 x 3:   10  3  20 | 33
        //          12 15  40 | 67
        //          22 18  60 | 100
        // the 3 is primary and, alone, a bridge; the cheapest rectangle through it is
        // (0,0) 10, (1,0) 12, (1,1) 15 (37; with column 2 it would cost 75)
        let p = protect(&[vec![10, 3, 20], vec![12, 15, 40]]);
        assert_eq!(p.at(0, 1).1, Shown::Primary);
        assert_eq!(p.primary(), 1);
        assert!(p.at(0, 0).1.is_hidden() && p.at(1, 0).1.is_hidden() && p.at(1, 1).1.is_hidden());
        assert_eq!(p.secondary(), 3);
        assert_eq!(display(3, Shown::Primary), "<5");
        assert_eq!(display(0, Shown::Value), "0");
        assert!(recoverable(&p).is_empty());
        // the attacker's check bites: with the primary cell alone hidden, 3 = 33 - 10 - 20
        let mut naive = p.clone();
        naive.shown = naive
            .shown
            .iter()
            .map(|s| if *s == Shown::Secondary { Shown::Value } else { *s })
            .collect();
        assert_eq!(recoverable(&naive), vec![1]);
        // nothing small: nothing hidden
        let p = protect(&[vec![10, 30], vec![12, 15]]);
        assert_eq!(p.primary() + p.secondary(), 0);
        // zeros stay visible
        let p = protect(&[vec![0, 7], vec![9, 0]]);
        assert_eq!(p.primary() + p.secondary(), 0);
    }

    #[test]
    fn no_hidden_value_can_be_recovered_from_the_margins() {
        // many tables with small counts, of several shapes, from a fixed generator
        let mut rng = csa_model::rng::Rng::new(9, 0);
        for case in 0..300 {
            let (r, c) = (1 + rng.below(6), 1 + rng.below(6));
            let cells: Vec<Vec<u64>> = (0..r)
                .map(|_| {
                    (0..c)
                        .map(|_| {
                            if rng.chance(0.3) {
                                rng.below(5) as u64
                            } else {
                                rng.below(40) as u64
                            }
                        })
                        .collect()
                })
                .collect();
            let p = protect(&cells);
            let rec = recoverable(&p);
            // totals of 1-4 are primary themselves; every hidden entry is safe
            assert!(rec.is_empty(), "case {case}: {cells:?} -> entries {rec:?} recoverable");
            for (k, s) in p.shown.iter().enumerate() {
                if (1..THRESHOLD).contains(&p.values[k]) {
                    assert_eq!(*s, Shown::Primary);
                }
            }
        }
    }
}
