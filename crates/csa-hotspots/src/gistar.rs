//! Getis-Ord Gi* local statistic on grid counts, with optional conditional permutation
//! inference and Benjamini-Hochberg FDR bins.
//!
//! For n sites with values x and binary weights w_ij (w_ii = 1, see [`crate::weights`]):
//!
//! ```text
//! Gi* = (sum_j w_ij x_j - Xbar sum_j w_ij) / (S sqrt((n sum_j w_ij^2 - (sum_j w_ij)^2) / (n - 1)))
//! Xbar = sum_j x_j / n,   S = sqrt(sum_j x_j^2 / n - Xbar^2)
//! ```
//!
//! Gi* is a z-score; p is two-sided normal (`stats::two_sided_p`). With binary weights
//! sum_j w_ij = sum_j w_ij^2 = k_i, the number of neighbours. A site whose band covers every
//! site (k_i = n), or values with no variance (S = 0), have no defined z: z = 0, p = 1.
//!
//! **Conditional permutation** (PySAL esda's `G_Local(star=True)` "crand"): site i keeps its
//! own value; its k_i - 1 neighbours' values are drawn without replacement from the other
//! n - 1 sites, R times. M = the number of draws whose neighbourhood sum is at least the
//! observed one, folded to the smaller tail (M = min(M, R - M)); pseudo p = (M + 1) / (R + 1),
//! one-sided in the direction of the observed value, as esda reports it. Site i's draws come
//! from their own stream of the seeded generator (stream = i), so results depend only on the
//! seed, never on the thread count.

use csa_model::rng::Rng;
use rayon::prelude::*;

use crate::fdr::fdr_bins;
use crate::stats::two_sided_p;
use crate::weights::Neighbours;

/// Gi* of every site.
#[derive(Debug, Clone)]
pub struct GiStar {
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    /// FDR confidence bins -3..=3.
    pub bin: Vec<i8>,
    /// k_i: sites within the band, the site itself included.
    pub n_neighbours: Vec<u32>,
    /// Conditional permutation pseudo p-values, when asked for.
    pub perm_p: Option<Vec<f64>>,
    /// FDR bins from the permutation p-values, when asked for.
    pub perm_bin: Option<Vec<i8>>,
}

/// Gi* z-scores and two-sided p-values.
pub fn z_scores(x: &[f64], w: &Neighbours) -> (Vec<f64>, Vec<f64>) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let s = (x.iter().map(|v| v * v).sum::<f64>() / n - mean * mean).max(0.0).sqrt();
    let z: Vec<f64> = (0..x.len())
        .into_par_iter()
        .map(|i| {
            let nb = w.of(i);
            let k = nb.len() as f64;
            let lag: f64 = nb.iter().map(|&j| x[j as usize]).sum();
            let var = (n * k - k * k) / (n - 1.0);
            if s > 0.0 && var > 0.0 {
                (lag - mean * k) / (s * var.sqrt())
            } else {
                0.0
            }
        })
        .collect();
    let p = z.iter().map(|&z| two_sided_p(z)).collect();
    (z, p)
}

/// Conditional permutation pseudo p-values (see the module header).
pub fn permutation_p(x: &[f64], w: &Neighbours, permutations: usize, seed: u64) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .into_par_iter()
        .map(|i| {
            let nb = w.of(i);
            let draws = nb.len().saturating_sub(1);
            if n < 2 || draws == 0 || permutations == 0 {
                return 1.0;
            }
            let observed: f64 = nb.iter().map(|&j| x[j as usize]).sum();
            let mut rng = Rng::new(seed, i as u64);
            let mut chosen: Vec<usize> = Vec::with_capacity(draws);
            let mut pool: Vec<usize> = Vec::new();
            let mut larger = 0usize;
            for _ in 0..permutations {
                let mut sum = x[i];
                if draws * 4 <= n {
                    // rejection sampling: few draws from many sites
                    chosen.clear();
                    while chosen.len() < draws {
                        let mut j = rng.below(n - 1);
                        if j >= i {
                            j += 1;
                        }
                        if !chosen.contains(&j) {
                            chosen.push(j);
                            sum += x[j];
                        }
                    }
                } else {
                    // partial Fisher-Yates over the other sites
                    pool.clear();
                    pool.extend((0..n).filter(|&j| j != i));
                    for d in 0..draws {
                        let k = d + rng.below(pool.len() - d);
                        pool.swap(d, k);
                        sum += x[pool[d]];
                    }
                }
                larger += (sum >= observed) as usize;
            }
            let m = larger.min(permutations - larger);
            (m + 1) as f64 / (permutations + 1) as f64
        })
        .collect()
}

/// Gi* of `x` with `w`, bins by FDR, and permutation p-values when `permutations > 0`.
pub fn gi_star(x: &[f64], w: &Neighbours, permutations: usize, seed: u64) -> GiStar {
    let (z, p) = z_scores(x, w);
    let bin = fdr_bins(&z, &p);
    let n_neighbours = (0..w.len()).map(|i| w.of(i).len() as u32).collect();
    let (perm_p, perm_bin) = if permutations > 0 {
        let pp = permutation_p(x, w, permutations, seed);
        // the pseudo p is one-sided; doubled for a two-sided FDR like the analytic one
        let two: Vec<f64> = pp.iter().map(|v| (2.0 * v).min(1.0)).collect();
        let b = fdr_bins(&z, &two);
        (Some(pp), Some(b))
    } else {
        (None, None)
    };
    GiStar { z, p, bin, n_neighbours, perm_p, perm_bin }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand_on_five_sites() {
        // sites on a line 100 m apart, band 100 m: neighbours {0,1}, {0,1,2}, {1,2,3}, {2,3,4}, {3,4}
        let sites: Vec<[f64; 2]> = (0..5).map(|i| [i as f64 * 100.0, 0.0]).collect();
        let w = Neighbours::distance_band(&sites, 100.0);
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        // n = 5, Xbar = 4, sum x^2 = 130, S = sqrt(130/5 - 16) = sqrt(10)
        // site 4: lag 14, k 2: (14 - 8) / (sqrt(10) sqrt((10 - 4)/4)) = 6 / (sqrt(10) sqrt(1.5))
        // site 1: lag 6, k 3: (6 - 12) / (sqrt(10) sqrt((15 - 9)/4)) = -6 / (sqrt(10) sqrt(1.5))
        let (z, p) = z_scores(&x, &w);
        let e = 6.0 / (10f64.sqrt() * 1.5f64.sqrt());
        assert!((z[4] - e).abs() < 1e-12, "{}", z[4]);
        assert!((z[1] + e).abs() < 1e-12);
        // site 2: lag 9, k 3: (9 - 12) / (sqrt 10 sqrt 1.5)
        assert!((z[2] + 3.0 / (10f64.sqrt() * 1.5f64.sqrt())).abs() < 1e-12);
        assert!((p[4] - two_sided_p(e)).abs() < 1e-15);
        // no variance: z = 0, p = 1
        let (z, p) = z_scores(&[2.0; 5], &w);
        assert_eq!((z[0], p[0]), (0.0, 1.0));
    }

    #[test]
    fn permutations_are_seeded_and_sensible() {
        // a 20 x 20 grid, one bright 3 x 3 block: its centre is extreme under permutation
        let sites: Vec<[f64; 2]> = (0..400).map(|i| [(i % 20) as f64, (i / 20) as f64]).collect();
        let w = Neighbours::distance_band(&sites, 1.5);
        let mut x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 5) as f64).collect();
        for r in 9..12 {
            for c in 9..12 {
                x[r * 20 + c] = 30.0;
            }
        }
        let a = permutation_p(&x, &w, 199, 7);
        let b = permutation_p(&x, &w, 199, 7);
        assert_eq!(a, b);
        assert_eq!(a[10 * 20 + 10], 1.0 / 200.0);
        assert!(a.iter().all(|p| *p > 0.0 && *p <= 0.5 + 1e-12));
        let g = gi_star(&x, &w, 99, 1);
        assert_eq!(g.bin[10 * 20 + 10], 3);
        assert_eq!(g.n_neighbours[10 * 20 + 10], 9);
        assert!(g.perm_bin.is_some());
    }
}
