//! Is a change in a count real? The exact conditional test for two Poisson counts.
//!
//! Counts x1 (this period) and x0 (the period compared with) over equal exposure (the same
//! number of months) are Poisson with rates l1 and l0. Given n = x1 + x0, x1 is
//! Binomial(n, pi) with pi = l1 / (l1 + l0); no change (l1 = l0) is pi = 1/2.
//!
//! ```text
//! p (two-sided) = min(1, 2 min(P(X <= x1), P(X >= x1))),  X ~ Binomial(n, 1/2)
//! rate ratio    = x1 / x0
//! its CI        = (pi_L / (1 - pi_L), pi_U / (1 - pi_U))
//! ```
//!
//! where (pi_L, pi_U) is the Clopper-Pearson interval of pi: pi_L = Beta^-1(a/2; x1, x0 + 1),
//! pi_U = Beta^-1(1 - a/2; x1 + 1, x0) (0 and 1 at the edges). Binomial tails use the
//! regularized incomplete beta function, P(X >= k) = I_p(k, n - k + 1), by its continued
//! fraction (Lentz), with `libm::lgamma`; quantiles by bisection to 1e-12.

/// The test's result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PoissonTest {
    pub p: f64,
    /// x1 / x0; `None` when x0 = 0.
    pub rate_ratio: Option<f64>,
    pub ci_low: f64,
    /// Infinite when x0 = 0.
    pub ci_high: f64,
}

/// Exact conditional test of x1 against x0 with a (1 - alpha) interval for the rate ratio.
pub fn poisson_test(x1: u64, x0: u64, alpha: f64) -> PoissonTest {
    let n = x1 + x0;
    if n == 0 {
        return PoissonTest { p: 1.0, rate_ratio: None, ci_low: 0.0, ci_high: f64::INFINITY };
    }
    let (k, nf) = (x1 as f64, n as f64);
    let upper = if x1 == 0 { 1.0 } else { beta_inc(k, nf - k + 1.0, 0.5) }; // P(X >= x1)
    let lower = if x1 == n { 1.0 } else { 1.0 - beta_inc(k + 1.0, nf - k, 0.5) }; // P(X <= x1)
    let p = (2.0 * upper.min(lower)).min(1.0);
    let pi_l = if x1 == 0 { 0.0 } else { beta_quantile(alpha / 2.0, k, nf - k + 1.0) };
    let pi_u = if x1 == n { 1.0 } else { beta_quantile(1.0 - alpha / 2.0, k + 1.0, nf - k) };
    let ratio = |pi: f64| if pi >= 1.0 { f64::INFINITY } else { pi / (1.0 - pi) };
    PoissonTest {
        p,
        rate_ratio: (x0 > 0).then(|| k / x0 as f64),
        ci_low: ratio(pi_l),
        ci_high: ratio(pi_u),
    }
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
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // the continued fraction converges fast for x < (a + 1) / (a + b + 2)
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

/// x with I_x(a, b) = q, by bisection.
fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while hi - lo > 1e-12 {
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

    #[test]
    fn known_values() {
        // 60 against 40: n = 100, P(X >= 60 | 1/2) = 0.0284439668..., two-sided 0.0568879...
        let t = poisson_test(60, 40, 0.05);
        assert!((t.p - 0.056_887_933_640_98).abs() < 1e-9, "{}", t.p);
        assert_eq!(t.rate_ratio, Some(1.5));
        // Clopper-Pearson 95% for 60/100: 0.497208 to 0.696705
        assert!((t.ci_low - 0.497_208 / (1.0 - 0.497_208)).abs() < 1e-4, "{}", t.ci_low);
        assert!((t.ci_high - 0.696_705 / (1.0 - 0.696_705)).abs() < 1e-3, "{}", t.ci_high);
        // symmetric: 40 against 60 has the same p
        assert!((poisson_test(40, 60, 0.05).p - t.p).abs() < 1e-12);
        // 5 against 0: P(X >= 5 | n 5) = 1/32, two-sided 1/16; ratio undefined, CI to infinity
        let t = poisson_test(5, 0, 0.05);
        assert!((t.p - 0.0625).abs() < 1e-12);
        assert_eq!(t.rate_ratio, None);
        assert!(t.ci_high.is_infinite());
        // Clopper-Pearson lower bound for 5/5 is (0.025)^(1/5)
        assert!((t.ci_low - 0.025f64.powf(0.2) / (1.0 - 0.025f64.powf(0.2))).abs() < 1e-6);
        assert_eq!(poisson_test(7, 7, 0.05).p, 1.0);
        assert_eq!(poisson_test(0, 0, 0.05).p, 1.0);
        // a large, clear rise
        assert!(poisson_test(1_200, 1_000, 0.05).p < 0.001);
        // I_x(1, 1) = x; I_x(2, 1) = x^2
        assert!((beta_inc(1.0, 1.0, 0.3) - 0.3).abs() < 1e-12);
        assert!((beta_inc(2.0, 1.0, 0.3) - 0.09).abs() < 1e-12);
    }
}
