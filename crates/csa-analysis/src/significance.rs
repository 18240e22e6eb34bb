//! Is a change in a count real? The exact conditional test for two Poisson counts over their
//! exposures.
//!
//! Counts x1 (this period) and x0 (the period compared with) are Poisson with rates l1 and
//! l0 per day over e1 and e0 days (quarters differ: 2024Q1 has 91 days, 2023Q1 90; a
//! quarter against the one before compares 90, 91 or 92 days). Given n = x1 + x0, x1 is
//! Binomial(n, pi) with pi = l1 e1 / (l1 e1 + l0 e0); no change in the daily rate
//! (l1 = l0) is pi0 = e1 / (e1 + e0).
//!
//! ```text
//! p (two-sided)  = sum of P(X = i) over every i with P(X = i) <= P(X = x1) (1 + 1e-7),
//!                  X ~ Binomial(n, pi0)     (R's poisson.test / binom.test, scipy's binomtest)
//! rate ratio     = (x1 / e1) / (x0 / e0)    (per day)
//! its CI         = (pi_L / (1 - pi_L), pi_U / (1 - pi_U)) x e0 / e1
//! ```
//!
//! where (pi_L, pi_U) is the Clopper-Pearson interval of pi: pi_L = Beta^-1(a/2; x1, x0 + 1),
//! pi_U = Beta^-1(1 - a/2; x1 + 1, x0) (0 and 1 at the edges). With equal exposures the p is
//! twice the smaller tail. Both tails are computed directly, never as 1 minus the other (which
//! loses everything below ~1e-12: 19,100 against 20,900 is p = 2.3e-19, not 0):
//! P(X >= k) = I_pi0(k, n - k + 1) and P(X <= k) = I_(1 - pi0)(n - k, k + 1), the regularized
//! incomplete beta function by its continued fraction (Lentz) in the region where it
//! converges directly, with `libm::lgamma`; p below ~1e-300 shows as 0. Quantiles by
//! bisection to 1e-12.

/// The test's result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PoissonTest {
    pub p: f64,
    /// (x1 / e1) / (x0 / e0), the ratio of the daily rates; `None` when x0 = 0.
    pub rate_ratio: Option<f64>,
    pub ci_low: f64,
    /// Infinite when x0 = 0.
    pub ci_high: f64,
}

/// Exact conditional test of x1 over exposure e1 against x0 over e0 (days, or any unit that
/// is the same for both), with a (1 - alpha) interval for the rate ratio.
pub fn poisson_test(x1: u64, x0: u64, e1: f64, e0: f64, alpha: f64) -> PoissonTest {
    let n = x1 + x0;
    let f = e0 / e1;
    if n == 0 {
        return PoissonTest { p: 1.0, rate_ratio: None, ci_low: 0.0, ci_high: f64::INFINITY };
    }
    let pi0 = e1 / (e1 + e0);
    let (k, nf) = (x1 as f64, n as f64);
    let pi_l = if x1 == 0 { 0.0 } else { beta_quantile(alpha / 2.0, k, nf - k + 1.0) };
    let pi_u = if x1 == n { 1.0 } else { beta_quantile(1.0 - alpha / 2.0, k + 1.0, nf - k) };
    let ratio = |pi: f64| if pi >= 1.0 { f64::INFINITY } else { pi / (1.0 - pi) * f };
    PoissonTest {
        p: binomial_two_sided(x1, n, pi0),
        rate_ratio: (x0 > 0).then(|| k / x0 as f64 * f),
        ci_low: ratio(pi_l),
        ci_high: ratio(pi_u),
    }
}

/// ln P(X = i), X ~ Binomial(n, p), 0 < p < 1.
fn ln_pmf(i: u64, n: u64, p: f64) -> f64 {
    let (i, n) = (i as f64, n as f64);
    libm::lgamma(n + 1.0) - libm::lgamma(i + 1.0) - libm::lgamma(n - i + 1.0)
        + i * p.ln()
        + (n - i) * (-p).ln_1p()
}

/// P(X >= k), computed directly.
pub fn binomial_upper(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        1.0
    } else if k > n {
        0.0
    } else {
        beta_inc(k as f64, (n - k) as f64 + 1.0, p)
    }
}

/// P(X <= k), computed directly.
pub fn binomial_lower(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        1.0
    } else {
        beta_inc((n - k) as f64, k as f64 + 1.0, 1.0 - p)
    }
}

/// Two-sided p of x ~ Binomial(n, p) by the probabilities no larger than P(X = x) (see the
/// module header).
fn binomial_two_sided(x: u64, n: u64, p: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 {
        return if (p <= 0.0 && x == 0) || (p >= 1.0 && x == n) { 1.0 } else { 0.0 };
    }
    let mode = n as f64 * p;
    if (x as f64 - mode).abs() < 1e-12 {
        return 1.0;
    }
    let limit = ln_pmf(x, n, p) + (1e-7f64).ln_1p();
    let small = |i: u64| ln_pmf(i, n, p) <= limit;
    let p = if (x as f64) < mode {
        // the other side: the first i above the mode whose probability is at most P(X = x)
        // (the pmf falls from the mode on)
        let (mut lo, mut hi) = (mode.ceil() as u64, n + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if small(mid) {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        binomial_lower(x, n, p) + binomial_upper(lo, n, p)
    } else {
        // the last i below the mode whose probability is at most P(X = x) (the pmf rises
        // to the mode): count of such i = `lo`
        let (mut lo, mut hi) = (0u64, mode.floor() as u64 + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if small(mid) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        let other = if lo == 0 { 0.0 } else { binomial_lower(lo - 1, n, p) };
        binomial_upper(x, n, p) + other
    };
    p.min(1.0)
}

/// Regularized incomplete beta I_x(a, b).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (-x).ln_1p();
    let front = ln_front.exp();
    // the continued fraction converges fast for x < (a + 1) / (a + b + 2); a small I_x(a, b)
    // always lies in that region, so it is never found as 1 minus a number close to 1
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// x with I_x(a, b) = q, by bisection to 1e-13 (the quarterly test's and the re-offending
/// rate test's Clopper-Pearson bounds).
pub(crate) fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while hi - lo > 1e-13 {
        let mid = 0.5 * (lo + hi);
        if beta_inc(a, b, mid) < q {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn known_values() {
        // 60 against 40: n = 100, P(X >= 60 | 1/2) = 0.0284439668..., two-sided 0.0568879...
        let t = poisson_test(60, 40, 1.0, 1.0, 0.05);
        assert!((t.p - 0.056_887_933_640_98).abs() < 1e-9, "{}", t.p);
        assert_eq!(t.rate_ratio, Some(1.5));
        // Clopper-Pearson 95% for 60/100: 0.497208 to 0.696705
        assert!((t.ci_low - 0.497_208 / (1.0 - 0.497_208)).abs() < 1e-4, "{}", t.ci_low);
        assert!((t.ci_high - 0.696_705 / (1.0 - 0.696_705)).abs() < 1e-3, "{}", t.ci_high);
        // symmetric: 40 against 60 has the same p
        assert!((poisson_test(40, 60, 1.0, 1.0, 0.05).p - t.p).abs() < 1e-12);
        // 5 against 0: P(X >= 5 | n 5) = 1/32, two-sided 1/16; ratio undefined, CI to infinity
        let t = poisson_test(5, 0, 1.0, 1.0, 0.05);
        assert!((t.p - 0.0625).abs() < 1e-12);
        assert_eq!(t.rate_ratio, None);
        assert!(t.ci_high.is_infinite());
        // Clopper-Pearson lower bound for 5/5 is (0.025)^(1/5)
        assert!((t.ci_low - 0.025f64.powf(0.2) / (1.0 - 0.025f64.powf(0.2))).abs() < 1e-6);
        assert_eq!(poisson_test(7, 7, 1.0, 1.0, 0.05).p, 1.0);
        assert_eq!(poisson_test(0, 0, 1.0, 1.0, 0.05).p, 1.0);
        // I_x(1, 1) = x; I_x(2, 1) = x^2
        assert!((beta_inc(1.0, 1.0, 0.3) - 0.3).abs() < 1e-12);
        assert!((beta_inc(2.0, 1.0, 0.3) - 0.09).abs() < 1e-12);
    }

    /// The review's figures, against scipy.stats.binomtest (p, and the exact interval of pi
    /// turned into a daily rate ratio).
    #[test]
    fn exposure_and_tiny_p_against_scipy() {
        // 20,000 against 19,500 over 91 and 90 days: 0.157, not the 0.012 of equal days
        let t = poisson_test(20_000, 19_500, 91.0, 90.0, 0.05);
        assert!(close(t.p, 0.157_394_783_480_398_7, 1e-7), "{}", t.p);
        assert!(close(t.rate_ratio.unwrap_or(0.0), 1.014_370_245_139_475_8, 1e-12));
        assert!(close(t.ci_low, 0.994_508_165_141_410_7, 1e-6), "{}", t.ci_low);
        assert!(close(t.ci_high, 1.034_630_275_296_88, 1e-6), "{}", t.ci_high);
        let t = poisson_test(20_000, 19_500, 1.0, 1.0, 0.05);
        assert!(close(t.p, 0.012_046_830_244_306_037, 1e-7), "{}", t.p);
        // 19,100 against 20,900: 2.3e-19, computed directly
        let t = poisson_test(19_100, 20_900, 91.0, 91.0, 0.05);
        assert!(close(t.p, 2.330_310_731_888_093e-19, 1e-6), "{}", t.p);
        assert!(close(t.ci_low, 0.896_073_683_668_934, 1e-6));
        let t = poisson_test(19_100, 20_900, 91.0, 90.0, 0.05);
        assert!(close(t.p, 5.397_405_518_954_23e-24, 1e-6), "{}", t.p);
        // small counts, unequal days: only the observed side counts when the other side's
        // probabilities are all larger (0.0304, not twice it)
        let t = poisson_test(5, 0, 90.0, 91.0, 0.05);
        assert!(close(t.p, 0.030_396_226_557_332_91, 1e-9), "{}", t.p);
        assert!(close(t.ci_low, 0.926_537_589_063_409_6, 1e-6), "{}", t.ci_low);
        let t = poisson_test(30, 12, 90.0, 91.0, 0.05);
        assert!(close(t.p, 0.005_179_608_435_199_568, 1e-8), "{}", t.p);
        assert!(close(t.ci_high, 5.421_242_577_769_241, 1e-6), "{}", t.ci_high);
        let t = poisson_test(100, 80, 365.0, 366.0, 0.05);
        assert!(close(t.p, 0.136_433_853_275_108_57, 1e-8), "{}", t.p);
        assert!(close(t.rate_ratio.unwrap_or(0.0), 1.253_424_657_534_246_5, 1e-12));
        let t = poisson_test(0, 7, 92.0, 92.0, 0.05);
        assert!(close(t.p, 0.015_625, 1e-12));
        assert!(close(t.ci_high, 0.693_813_980_096_582_5, 1e-6), "{}", t.ci_high);
        // the lower tail directly: P(X <= 19,100 | 40,000, 1/2) = 1.1651553659440465e-19
        assert!(close(binomial_lower(19_100, 40_000, 0.5), 1.165_155_365_944_046_5e-19, 1e-6));
    }
}
