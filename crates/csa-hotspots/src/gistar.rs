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
//! Gi* is a z-score; p is two-sided normal (`stats::two_sided_p`), kept as ln p too
//! (`stats::ln_two_sided_p`), which is what the FDR bins compare, so a z of 55 (p ~ 1e-670,
//! 0 as a double) is still the most significant cell. With binary weights
//! sum_j w_ij = sum_j w_ij^2 = k_i, the number of neighbours. A site whose band covers every
//! site (k_i = n), or values with no variance (S = 0), have no defined z: z = 0, p = 1.
//!
//! **Conditional permutation** (as PySAL esda's `G_Local(star=True)` "crand"): site i keeps
//! its own value; its k_i - 1 neighbours' values are drawn without replacement from the
//! other n - 1 sites, R times. With G = the number of draws whose neighbourhood sum is at
//! least the observed one and L = the number at most it, the pseudo p is two-sided:
//!
//! ```text
//! p = min(1, 2 (min(G, L) + 1) / (R + 1))
//! ```
//!
//! A draw equal to the observed sum counts on both sides. (esda counts only draws >= the
//! observed sum and folds with min(G, R - G), which puts every tie on one side: on sparse
//! counts, where most neighbourhood sums cannot move, every cell with an empty neighbourhood
//! then gets the smallest possible p and shows as a 99% cold spot.) Site i's draws come from
//! their own stream of the seeded generator (stream = i), so results depend only on the
//! seed, never on the thread count. The permutation bins are BH FDR bins of these p with
//! the sign of z, like the analytic ones.

use csa_model::rng::Rng;
use rayon::prelude::*;

use crate::fdr::{fdr_bins, fdr_bins_ln};
use crate::stats::{ln_two_sided_p, two_sided_p};
use crate::weights::Neighbours;

/// Gi* of every site.
#[derive(Debug, Clone)]
pub struct GiStar {
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    /// ln p, finite where p underflows to 0.
    pub ln_p: Vec<f64>,
    /// FDR confidence bins -3..=3.
    pub bin: Vec<i8>,
    /// k_i: sites within the band, the site itself included.
    pub n_neighbours: Vec<u32>,
    /// Conditional permutation pseudo p-values (two-sided), when asked for.
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

/// The Gi* of a neighbourhood of `k` sites that all hold 0: the lowest z non-negative counts
/// can reach with `k` neighbours, -Xbar k / (S sqrt((n k - k^2) / (n - 1))). On skewed
/// counts (a few cells with many crimes, most with none) it is often above -1.96: the
/// analytic test then cannot call any cold spot, where the permutation test can. `None`
/// when z is undefined (no variance, or k = n).
pub fn lowest_z(x: &[f64], k: usize) -> Option<f64> {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let s = (x.iter().map(|v| v * v).sum::<f64>() / n - mean * mean).max(0.0).sqrt();
    let k = k as f64;
    let var = (n * k - k * k) / (n - 1.0);
    (s > 0.0 && var > 0.0).then(|| -mean * k / (s * var.sqrt()))
}

/// Conditional permutation pseudo p-values, two-sided, ties on both sides (see the module
/// header).
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
            let (mut at_least, mut at_most) = (0usize, 0usize);
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
                at_least += (sum >= observed) as usize;
                at_most += (sum <= observed) as usize;
            }
            let m = at_least.min(at_most);
            (2.0 * (m + 1) as f64 / (permutations + 1) as f64).min(1.0)
        })
        .collect()
}

/// Gi* of `x` with `w`, bins by FDR, and permutation p-values when `permutations > 0`.
pub fn gi_star(x: &[f64], w: &Neighbours, permutations: usize, seed: u64) -> GiStar {
    let (z, p) = z_scores(x, w);
    // erfc once: ln of the double where it has not underflowed
    let ln_p: Vec<f64> = z
        .iter()
        .zip(&p)
        .map(|(&z, &p)| if z.abs() < 30.0 { p.ln() } else { ln_two_sided_p(z) })
        .collect();
    let bin = fdr_bins_ln(&z, &ln_p);
    let n_neighbours = (0..w.len()).map(|i| w.of(i).len() as u32).collect();
    let (perm_p, perm_bin) = if permutations > 0 {
        let pp = permutation_p(x, w, permutations, seed);
        let b = fdr_bins(&z, &pp);
        (Some(pp), Some(b))
    } else {
        (None, None)
    };
    GiStar { z, p, ln_p, bin, n_neighbours, perm_p, perm_bin }
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
        // the floor: two sites of 0 (k = 2): -4 x 2 / (sqrt 10 sqrt 1.5) = -2.0656
        let floor = lowest_z(&x, 2).unwrap_or(0.0);
        assert!((floor + 8.0 / (10f64.sqrt() * 1.5f64.sqrt())).abs() < 1e-12, "{floor}");
        let (z0, _) = z_scores(&[0.0, 0.0, 3.0, 7.0, 10.0], &w);
        let floor0 = lowest_z(&[0.0, 0.0, 3.0, 7.0, 10.0], 2).unwrap_or(0.0);
        assert!((z0[0] - floor0).abs() < 1e-12);
        assert_eq!(lowest_z(&[2.0; 5], 2), None);
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
        // no draw reaches the bright centre's sum: (0 + 1) / 200, doubled
        assert_eq!(a[10 * 20 + 10], 2.0 / 200.0);
        assert!(a.iter().all(|p| *p > 0.0 && *p <= 1.0));
        let g = gi_star(&x, &w, 99, 1);
        assert_eq!(g.bin[10 * 20 + 10], 3);
        assert_eq!(g.n_neighbours[10 * 20 + 10], 9);
        assert!(g.perm_bin.is_some());
    }

    /// Poisson draws by inversion (Knuth), from a seeded stream.
    fn poisson_grid(side: usize, lambda: f64, seed: u64) -> Vec<f64> {
        let mut rng = Rng::new(seed, 1_000_003);
        (0..side * side)
            .map(|_| {
                let (limit, mut k, mut prod) = ((-lambda).exp(), 0.0, rng.f64());
                while prod > limit {
                    k += 1.0;
                    prod *= rng.f64();
                }
                k
            })
            .collect()
    }

    fn square(side: usize) -> Vec<[f64; 2]> {
        (0..side * side).map(|i| [(i % side) as f64, (i / side) as f64]).collect()
    }

    #[test]
    fn ties_make_no_cold_spots_on_sparse_counts() {
        // the issue's case: a 30 x 30 Poisson(0.15) grid, band 2 cells, 999 permutations;
        // counting ties on one side made every cell with an empty neighbourhood "99% cold"
        let x = poisson_grid(30, 0.15, 11);
        let w = Neighbours::distance_band(&square(30), 2.0);
        let g = gi_star(&x, &w, 999, 3);
        let (pp, pb) = (g.perm_p.unwrap_or_default(), g.perm_bin.unwrap_or_default());
        let empty: Vec<usize> =
            (0..900).filter(|&i| w.of(i).iter().all(|&j| x[j as usize] == 0.0)).collect();
        assert!(empty.len() > 100, "{}", empty.len());
        for &i in &empty {
            // the draws that are all zero (about 0.86^12 of them) tie with the observed 0
            assert!(pp[i] > 0.2, "cell {i}: p {}", pp[i]);
            assert_eq!(pb[i], 0);
        }
        // no permutation cold spot where the analytic test finds none
        let cold = |b: &[i8]| b.iter().filter(|v| **v < 0).count();
        assert_eq!(cold(&g.bin), 0);
        assert_eq!(cold(&pb), 0);
    }

    /// Complete spatial randomness, many seeds: every cell is a true null, so the FDR is the
    /// chance of any discovery, and it must stay within q = 0.10 (bins +-1 and beyond) for
    /// hot and for cold spots; the raw two-sided p <= 0.05 stay near 5%. Grids alternate
    /// sparse (0.15 a cell: mostly ties) and dense (4 a cell). 8 x 8 cells and 1,999
    /// permutations, so that one cell can pass BH (1/2000 x 2 <= 0.10 / 64).
    #[test]
    fn complete_spatial_randomness_stays_within_the_fdr_level() {
        let sites = square(8);
        let w = Neighbours::distance_band(&sites, 1.0);
        let seeds = 40u64;
        let (mut any_hot, mut any_cold, mut small_hot, mut small_cold, mut tests) = (0, 0, 0, 0, 0);
        for seed in 0..seeds {
            let lambda = if seed % 2 == 0 { 0.15 } else { 4.0 };
            let x = poisson_grid(8, lambda, seed);
            let g = gi_star(&x, &w, 1_999, seed);
            let (pp, pb) = (g.perm_p.unwrap_or_default(), g.perm_bin.unwrap_or_default());
            any_hot += usize::from(pb.iter().any(|b| *b > 0));
            any_cold += usize::from(pb.iter().any(|b| *b < 0));
            for (p, z) in pp.iter().zip(&g.z) {
                tests += 1;
                if *p <= 0.05 {
                    if *z > 0.0 {
                        small_hot += 1;
                    } else {
                        small_cold += 1;
                    }
                }
            }
        }
        // FDR 0.10 over 40 seeds: 4 expected at most; 9 is beyond the binomial's 99.5%
        assert!(any_hot <= 9 && any_cold <= 9, "hot {any_hot}, cold {any_cold} of {seeds}");
        let share = |k: usize| k as f64 / tests as f64;
        assert!(
            share(small_hot) <= 0.04 && share(small_cold) <= 0.04,
            "{small_hot} {small_cold} of {tests}"
        );
    }

    /// 5,000 crimes geocoded to one point among 5,000 spread evenly (one in every eighth
    /// cell) on a 200 x 200 grid (50 m cells, 100 m band: 13 neighbours): the cells around
    /// the point have z ~ 55, whose p underflows to 0; they must be the hottest cells, not
    /// lost to a BH threshold of 0. z and ln p from numpy / mpmath.
    #[test]
    fn a_point_mass_is_a_hot_spot() {
        let side = 200;
        let mut x: Vec<f64> = (0..side * side).map(|i| f64::from(i % 8 == 0)).collect();
        let mass = 100 * side + 100;
        x[mass] += 5_000.0;
        let w = Neighbours::distance_band(&square(side), 2.0);
        let g = gi_star(&x, &w, 0, 0);
        for (i, z, ln_p) in [
            (mass, 55.439_509_377_552_06, -1_541.011_008_963_312_2),
            (mass + 2, 55.450_604_491_251_48, -1_541.626_378_154_154_3),
        ] {
            assert!((g.z[i] - z).abs() < 1e-9, "{}", g.z[i]);
            assert_eq!(g.p[i], 0.0);
            assert!((g.ln_p[i] - ln_p).abs() < 1e-9 * ln_p.abs(), "{}", g.ln_p[i]);
        }
        for &j in w.of(mass) {
            assert_eq!(g.bin[j as usize], 3, "cell {j}");
        }
        assert!((g.z[mass + 3] + 0.002_773_778_424_853_758).abs() < 1e-9);
        assert_eq!(g.bin[mass + 3], 0);
    }
}
