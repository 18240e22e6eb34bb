//! Two proportions (k1 of n1 against k0 of n0): the Wilson interval of each, the Newcombe
//! interval of their difference, and Fisher's exact test of the difference. Used for the
//! re-offending rate of a cohort against the cohort a year earlier.
//!
//! ```text
//! Wilson (score) interval of p = k/n, z = 1.95996 for 95%:
//!   centre = (p + z^2/2n) / (1 + z^2/n)
//!   half   = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
//! Newcombe (1998, method 10, "hybrid score") interval of d = p1 - p0, from the Wilson
//! intervals (l1, u1) and (l0, u0):
//!   low  = d - sqrt((p1 - l1)^2 + (u0 - p0)^2)
//!   high = d + sqrt((u1 - p1)^2 + (p0 - l0)^2)
//! Fisher's exact test (two-sided): given the margins, k1 is hypergeometric,
//!   P(k) = C(K, k) C(N - K, n1 - k) / C(N, n1),  N = n1 + n0, K = k1 + k0;
//!   p = sum of P(k) over the tables no more likely than the one observed,
//!   P(k) <= P(k1) (1 + 1e-7) (the relative tolerance of R and scipy for ties).
//! ```
//!
//! Edges: n = 0 has no proportion (None); k = 0 or k = n give one-sided Wilson bounds at 0 or
//! 1; a table with an empty margin has p = 1. Probabilities are summed in log space
//! (`libm::lgamma`), so p-values far below 1e-300 come out as 0 rather than NaN. Checked
//! against scipy `fisher_exact` and statsmodels `proportion_confint(method="wilson")` /
//! `confint_proportions_2indep(method="newcomb")`.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of k/n, or None when n = 0.
pub fn wilson(k: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (p, n) = (k as f64 / n as f64, n as f64);
    let d = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / d;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The Newcombe hybrid score interval of k1/n1 - k0/n0, or None when either n is 0.
pub fn newcombe(k1: u64, n1: u64, k0: u64, n0: u64, z: f64) -> Option<(f64, f64)> {
    let (l1, u1) = wilson(k1, n1, z)?;
    let (l0, u0) = wilson(k0, n0, z)?;
    let (p1, p0) = (k1 as f64 / n1 as f64, k0 as f64 / n0 as f64);
    let d = p1 - p0;
    let low = d - ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p0 - l0).powi(2)).sqrt();
    Some((low.max(-1.0), high.min(1.0)))
}

/// Two-sided p of Fisher's exact test of k1/n1 against k0/n0.
pub fn fisher_exact(k1: u64, n1: u64, k0: u64, n0: u64) -> f64 {
    let n = n1 + n0;
    let k = k1 + k0;
    if n1 == 0 || n0 == 0 || k == 0 || k == n {
        return 1.0;
    }
    let ln_choose = |a: u64, b: u64| {
        libm::lgamma(a as f64 + 1.0)
            - libm::lgamma(b as f64 + 1.0)
            - libm::lgamma((a - b) as f64 + 1.0)
    };
    let ln_total = ln_choose(n, n1);
    let ln_p = |x: u64| ln_choose(k, x) + ln_choose(n - k, n1 - x) - ln_total;
    let lo = k.saturating_sub(n0);
    let hi = k.min(n1);
    let observed = ln_p(k1);
    // the relative tolerance 1 + 1e-7, in logs
    let limit = observed + 1e-7_f64.ln_1p();
    let terms: Vec<f64> = (lo..=hi).map(ln_p).filter(|&l| l <= limit).collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return 1.0;
    }
    let sum: f64 = terms.iter().map(|l| (l - max).exp()).sum();
    snap_one((max + sum.ln()).exp())
}

/// A probability summed to within rounding of 1 is 1 (the sum of every table's probability
/// comes out as 0.9999999999999996).
pub(crate) fn snap_one(p: f64) -> f64 {
    if p > 1.0 - 1e-9 {
        1.0
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// (k1, n1, k0, n0) -> Fisher p, Wilson of k1/n1, Newcombe of the difference: scipy
    /// 1.17 `fisher_exact`, statsmodels 0.15 `proportion_confint(method="wilson")` and
    /// `confint_proportions_2indep(method="newcomb", compare="diff")`.
    /// x1, n1, x0, n0, Fisher p, Wilson low and high of x1/n1, Newcombe low and high.
    type Case = (u64, u64, u64, u64, f64, f64, f64, f64, f64);

    #[test]
    fn against_scipy_and_statsmodels() {
        #[rustfmt::skip]
        let cases: [Case; 7] = [
            (30, 100, 20, 100, 0.14120674630517252, 0.21894885294932756, 0.39584854633346667, -0.020249362153013428, 0.21673435401778593),
            (0, 10, 0, 12, 1.0, 0.0, 0.27753279986288926, -0.24249400665524096, 0.27753279986288926),
            (5, 5, 0, 7, 0.0012626262626262623, 0.5655175352168252, 1.0, 0.4393529903596999, 1.0),
            (412, 1200, 455, 1180, 0.033238714822080545, 0.3170064280796922, 0.370660085442498, -0.08076605347269009, -0.0035921485691937857),
            (1, 3, 2, 2, 0.4000000000000001, 0.06149194472039626, 0.7923403991979523, -0.9385080552796038, 0.1353004471776904),
            (7, 7, 7, 7, 1.0, 0.6456695649333125, 0.9999999999999999, -0.3543304350666875, 0.3543304350666875),
            (3000, 10000, 3300, 10000, 5.310728689816579e-06, 0.2910965125945352, 0.30905708675373533, -0.04286023660795286, -0.01712605934014115),
        ];
        for (k1, n1, k0, n0, p, wl, wh, nl, nh) in cases {
            let got = fisher_exact(k1, n1, k0, n0);
            assert!(close(got, p, 1e-9 * p.max(1e-3)), "fisher {k1}/{n1} {k0}/{n0}: {got} vs {p}");
            let (l, h) = wilson(k1, n1, Z95).unwrap_or_default();
            assert!(close(l, wl, 1e-12) && close(h, wh, 1e-12), "wilson {k1}/{n1}: {l} {h}");
            let (l, h) = newcombe(k1, n1, k0, n0, Z95).unwrap_or_default();
            assert!(close(l, nl, 1e-12) && close(h, nh, 1e-12), "newcombe {k1}/{n1}: {l} {h}");
        }
    }

    #[test]
    fn edges() {
        assert_eq!(wilson(0, 0, Z95), None);
        assert_eq!(newcombe(1, 2, 0, 0, Z95), None);
        assert_eq!(fisher_exact(0, 0, 3, 9), 1.0);
        assert_eq!(fisher_exact(0, 5, 0, 5), 1.0);
        // a table far in the tail underflows to 0, never NaN
        let p = fisher_exact(20_000, 20_000, 0, 20_000);
        assert!(p == 0.0, "{p}");
        // symmetric in the two groups
        assert!(close(fisher_exact(3, 11, 9, 12), fisher_exact(9, 12, 3, 11), 1e-15));
    }
}
