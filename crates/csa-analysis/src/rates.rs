//! Two event rates over unequal exposure: x1 events in t1 person-years against x0 in t0 (an
//! offender cohort's offences in the year after entry against the year before, when people
//! are followed for different lengths of time).
//!
//! ```text
//! rate ratio  RR = (x1 / t1) / (x0 / t0)
//! test        given n = x1 + x0, x1 ~ Binomial(n, pi0), pi0 = t1 / (t1 + t0) when the rates
//!             are equal (the exact conditional test); two-sided p = sum of P(x) over the x
//!             no more likely than x1, P(x) <= P(x1) (1 + 1e-7)  (scipy `binomtest`)
//! interval    Clopper-Pearson (pi_L, pi_U) of x1 / n:
//!             pi_L = Beta^-1(a/2; x1, x0 + 1), pi_U = Beta^-1(1 - a/2; x1 + 1, x0),
//!             turned into RR = pi / (1 - pi) * t0 / t1
//! ```
//!
//! [`crate::significance::poisson_test`] (the quarterly test) is the same conditional test
//! with the two-sided p as twice the smaller tail; with equal exposure (pi0 = 1/2) the two
//! agree. Edges: n = 0 or an
//! exposure of 0 gives no test (None); x0 = 0 gives no ratio and an infinite upper bound.
//! Checked against scipy `binomtest` and `beta.ppf` (statsmodels `test_poisson_2indep(method=
//! "exact-cond")` gives the same p).

use crate::significance::beta_quantile;

/// The comparison of two rates.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RateTest {
    pub p: f64,
    /// None when x0 = 0.
    pub rate_ratio: Option<f64>,
    pub ci_low: f64,
    /// Infinite when x0 = 0.
    pub ci_high: f64,
}

/// Exact conditional test of x1 events in exposure t1 against x0 in t0, with a (1 - alpha)
/// interval for the rate ratio; None without events or without exposure.
pub fn rate_test(x1: u64, t1: f64, x0: u64, t0: f64, alpha: f64) -> Option<RateTest> {
    let n = x1 + x0;
    if n == 0 || t1 <= 0.0 || t0 <= 0.0 || !t1.is_finite() || !t0.is_finite() {
        return None;
    }
    let pi0 = t1 / (t1 + t0);
    let ln_pmf = |x: u64| {
        libm::lgamma(n as f64 + 1.0)
            - libm::lgamma(x as f64 + 1.0)
            - libm::lgamma((n - x) as f64 + 1.0)
            + x as f64 * pi0.ln()
            + (n - x) as f64 * (1.0 - pi0).ln()
    };
    let limit = ln_pmf(x1) + 1e-7_f64.ln_1p();
    let terms: Vec<f64> = (0..=n).map(ln_pmf).filter(|&l| l <= limit).collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let p = crate::proportions::snap_one(
        (max + terms.iter().map(|l| (l - max).exp()).sum::<f64>().ln()).exp(),
    );
    let (k, nf) = (x1 as f64, n as f64);
    let pi_l = if x1 == 0 { 0.0 } else { beta_quantile(alpha / 2.0, k, nf - k + 1.0) };
    let pi_u = if x0 == 0 { 1.0 } else { beta_quantile(1.0 - alpha / 2.0, k + 1.0, nf - k) };
    let ratio = |pi: f64| if pi >= 1.0 { f64::INFINITY } else { pi / (1.0 - pi) * t0 / t1 };
    Some(RateTest {
        p,
        rate_ratio: (x0 > 0).then(|| (x1 as f64 / t1) / (x0 as f64 / t0)),
        ci_low: ratio(pi_l),
        ci_high: ratio(pi_u),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (x1, t1, x0, t0) -> p, ratio interval: scipy 1.17 `binomtest(x1, n, t1/(t1+t0))` and
    /// `beta.ppf` for the Clopper-Pearson bounds.
    #[test]
    fn against_scipy() {
        #[rustfmt::skip]
        let cases: [(u64, f64, u64, f64, f64, f64, f64); 6] = [
            (10, 2.0, 20, 1.5, 0.009599159291359436, 0.1567544737678746, 0.8393872831831539),
            (0, 1.0, 5, 1.0, 0.0625, 0.0, 1.091279105182546),
            (30, 10.0, 30, 12.5, 0.43618922780518143, 0.7280422496882444, 2.146166655395451),
            (7, 0.5, 0, 0.8, 0.00124504934515026, 2.3060936301363824, f64::INFINITY),
            (60, 1.0, 40, 1.0, 0.05688793364098089, 0.9888985665510438, 2.2971224801429053),
            (3, 1.9, 11, 2.0, 0.05849850108791102, 0.05142622636048976, 1.0867577354525795),
        ];
        for (x1, t1, x0, t0, p, lo, hi) in cases {
            let t = rate_test(x1, t1, x0, t0, 0.05).unwrap_or_else(|| panic!("no test"));
            assert!((t.p - p).abs() < 1e-9, "{x1}/{t1} vs {x0}/{t0}: p {} vs {p}", t.p);
            assert!((t.ci_low - lo).abs() < 1e-6 * lo.max(1.0), "low {} vs {lo}", t.ci_low);
            if hi.is_finite() {
                assert!((t.ci_high - hi).abs() < 1e-6 * hi.max(1.0), "high {} vs {hi}", t.ci_high);
            } else {
                assert!(t.ci_high.is_infinite());
            }
        }
        // equal exposure agrees with the quarterly test
        let a = rate_test(60, 1.0, 40, 1.0, 0.05).map(|t| t.p);
        let b = crate::significance::poisson_test(60, 40, 1.0, 1.0, 0.05).p;
        assert!(a.is_some_and(|a| (a - b).abs() < 1e-12));
        assert_eq!(rate_test(10, 2.0, 20, 1.5, 0.05).and_then(|t| t.rate_ratio), Some(0.375));
        assert_eq!(rate_test(0, 1.0, 0, 1.0, 0.05), None);
        assert_eq!(rate_test(3, 0.0, 2, 1.0, 0.05), None);
    }
}
