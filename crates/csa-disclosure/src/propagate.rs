//! Bounds tightening: interval constraint propagation over linear rows.
//!
//! For a row `lo <= sum(a_i x_i) <= hi` and each of its variables `x_j`, the others' least
//! and greatest contributions bound `a_j x_j`:
//!
//! `lo - max(sum_{i != j} a_i x_i) <= a_j x_j <= hi - min(sum_{i != j} a_i x_i)`
//!
//! and a variable is a whole number, so its new bounds round inwards (ceil / floor). Rows are
//! revisited while they tighten something (a work list), up to a budget of visits: the
//! bounds are valid outer bounds at every step, so stopping early is safe (only weaker).
//! Used before the LP: it finds most cells that a line pins or narrows without a solve, and
//! its bounds make the LP's variable bounds tight.

/// One row over a component's variables (local indices).
#[derive(Debug, Clone)]
pub struct Row {
    pub terms: Vec<(usize, f64)>,
    pub lo: f64,
    pub hi: f64,
}

/// The bounds contradict each other: no whole numbers meet every row.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The row that found it.
    pub row: usize,
}

/// Tightens `lo` / `hi` (`f64::INFINITY` = none) of every variable in place.
pub fn propagate(rows: &[Row], lo: &mut [f64], hi: &mut [f64]) -> Result<(), Conflict> {
    let n = lo.len();
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (r, row) in rows.iter().enumerate() {
        for &(j, _) in &row.terms {
            rows_of[j].push(r);
        }
    }
    let mut queued = vec![true; rows.len()];
    let mut work: std::collections::VecDeque<usize> = (0..rows.len()).collect();
    let mut budget = 50 * rows.len() + 100;
    const EPS: f64 = 1e-7;
    while let Some(r) = work.pop_front() {
        queued[r] = false;
        if budget == 0 {
            break;
        }
        budget -= 1;
        let row = &rows[r];
        // least and greatest activity: finite part and number of infinite terms
        let (mut min_f, mut min_inf, mut max_f, mut max_inf) = (0.0, 0usize, 0.0, 0usize);
        let contrib: Vec<(f64, f64)> = row
            .terms
            .iter()
            .map(|&(j, a)| if a > 0.0 { (a * lo[j], a * hi[j]) } else { (a * hi[j], a * lo[j]) })
            .collect();
        for &(mn, mx) in &contrib {
            if mn.is_finite() {
                min_f += mn;
            } else {
                min_inf += 1;
            }
            if mx.is_finite() {
                max_f += mx;
            } else {
                max_inf += 1;
            }
        }
        for (t, &(j, a)) in row.terms.iter().enumerate() {
            let (mn, mx) = contrib[t];
            let rest_min = match (min_inf, mn.is_finite()) {
                (0, _) => min_f - mn,
                (1, false) => min_f,
                _ => f64::NEG_INFINITY,
            };
            let rest_max = match (max_inf, mx.is_finite()) {
                (0, _) => max_f - mx,
                (1, false) => max_f,
                _ => f64::INFINITY,
            };
            // bounds on a * x
            let up = row.hi - rest_min;
            let down = row.lo - rest_max;
            let (new_lo, new_hi) = if a > 0.0 { (down / a, up / a) } else { (up / a, down / a) };
            let mut changed = false;
            if new_hi.is_finite() {
                let v = (new_hi + EPS).floor();
                if v < hi[j] {
                    hi[j] = v;
                    changed = true;
                }
            }
            if new_lo.is_finite() {
                let v = (new_lo - EPS).ceil();
                if v > lo[j] {
                    lo[j] = v;
                    changed = true;
                }
            }
            if lo[j] > hi[j] {
                return Err(Conflict { row: r });
            }
            if changed {
                for &o in &rows_of[j] {
                    if o != r && !queued[o] {
                        queued[o] = true;
                        work.push_back(o);
                    }
                }
            }
        }
        // the row's own totals moved with its variables: look at it once more when any did
        // (cheap; the budget bounds the work)
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(terms: &[(usize, f64)], lo: f64, hi: f64) -> Row {
        Row { terms: terms.to_vec(), lo, hi }
    }

    #[test]
    fn three_small_cells_whose_residual_is_12_are_each_4() {
        // x0 + x1 + x2 = 12, each "<5" (0..4)
        let rows = [row(&[(0, 1.0), (1, 1.0), (2, 1.0)], 12.0, 12.0)];
        let (mut lo, mut hi) = (vec![0.0; 3], vec![4.0; 3]);
        propagate(&rows, &mut lo, &mut hi).unwrap();
        assert_eq!((lo, hi), (vec![4.0; 3], vec![4.0; 3]));
    }

    #[test]
    fn chains_and_stars() {
        // x0 + x1 = 9 with x1 a "*" (>= 5): x0 <= 4; x0 - x2 = 0 (a copy); x2 <= 3 from
        // another line: x0 <= 3, x1 >= 6
        let rows = [
            row(&[(0, 1.0), (1, 1.0)], 9.0, 9.0),
            row(&[(0, 1.0), (2, -1.0)], 0.0, 0.0),
            row(&[(2, 1.0)], f64::NEG_INFINITY, 3.0),
        ];
        let (mut lo, mut hi) = (vec![0.0, 5.0, 0.0], vec![4.0, f64::INFINITY, f64::INFINITY]);
        propagate(&rows, &mut lo, &mut hi).unwrap();
        assert_eq!(hi, vec![3.0, 9.0, 3.0]);
        assert_eq!(lo, vec![0.0, 6.0, 0.0]);
    }

    #[test]
    fn contradictions_are_found() {
        // two "<5" cannot make 9
        let rows = [row(&[(0, 1.0), (1, 1.0)], 9.0, 9.0)];
        let (mut lo, mut hi) = (vec![0.0; 2], vec![4.0; 2]);
        assert_eq!(propagate(&rows, &mut lo, &mut hi), Err(Conflict { row: 0 }));
    }

    #[test]
    fn unbounded_stays_unbounded() {
        // x0 - x1 = 0, both ">= 5"
        let rows = [row(&[(0, 1.0), (1, -1.0)], 0.0, 0.0)];
        let (mut lo, mut hi) = (vec![5.0; 2], vec![f64::INFINITY; 2]);
        propagate(&rows, &mut lo, &mut hi).unwrap();
        assert_eq!(hi, vec![f64::INFINITY; 2]);
    }
}
