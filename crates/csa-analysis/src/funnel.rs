//! Exact Poisson intervals of a rate and the control limits of a funnel plot.
//!
//! A count O of crimes among n residents is taken as Poisson with mean theta n, where theta is
//! the rate per resident.
//!
//! **Interval of one rate** (Garwood 1936, the "exact" interval PHE uses for rates;
//! equivalently chi-square quantiles):
//!
//! ```text
//! lower = G^-1(a/2; O)     / n   (0 when O = 0)      G^-1(p; s) = the p-quantile of the
//! upper = G^-1(1 - a/2; O + 1) / n                    Gamma(shape s, scale 1) distribution
//!       = chi2^-1(a/2; 2 O) / 2n  and  chi2^-1(1 - a/2; 2 O + 2) / 2n
//! ```
//!
//! **Funnel control limits** (Spiegelhalter D. J. (2005), "Funnel plots for comparing
//! institutional performance", Statistics in Medicine 24:1185-1202, appendix A.1.2: exact
//! Poisson limits with the interpolation that makes them smooth in n). For a target rate
//! theta (the pooled rate of the comparison areas) and an area of n residents, with
//! lambda = theta n and F the Poisson(lambda) distribution function:
//!
//! ```text
//! r_p   = the smallest r with F(r) >= p                 (the p-quantile of the count)
//! alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))         (F(-1) = 0)
//! limit = (r_p - alpha) / n                              (as a rate per resident)
//! ```
//!
//! (held at 0 when r_p = 0 makes it negative) at p = 0.025 and 0.975 (95%, "2 standard deviations") and p = 0.001 and 0.999 (99.8%,
//! "3 standard deviations"). An area is outside a limit when its rate is strictly beyond it.
//!
//! F(k) = Q(k + 1, lambda), the regularised upper incomplete gamma function, by its series
//! below a + 1 and its continued fraction (modified Lentz) above (Numerical Recipes, 6.2),
//! with `libm::lgamma`; Gamma quantiles by bisection to a relative 1e-12. The figures are
//! checked against scipy (`poisson.cdf`, `poisson.ppf`, `chi2.ppf`) in the tests.

/// Two-sided 95% and 99.8% probabilities of a funnel: (lower p, upper p).
pub const P95: (f64, f64) = (0.025, 0.975);
pub const P998: (f64, f64) = (0.001, 0.999);

/// Regularised lower incomplete gamma P(a, x), a > 0, x >= 0.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x < a + 1.0 {
        series(a, x)
    } else {
        1.0 - continued_fraction(a, x)
    }
}

/// Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x), computed directly in its own
/// tail.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        1.0
    } else if x < a + 1.0 {
        1.0 - series(a, x)
    } else {
        continued_fraction(a, x)
    }
}

fn front(a: f64, x: f64) -> f64 {
    (a * x.ln() - x - libm::lgamma(a)).exp()
}

fn series(a: f64, x: f64) -> f64 {
    let (mut ap, mut del) = (a, 1.0 / a);
    let mut sum = del;
    for _ in 0..100_000 {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if del.abs() < sum.abs() * 1e-16 {
            break;
        }
    }
    sum * front(a, x)
}

fn continued_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..100_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    front(a, x) * h
}

/// P(X <= k), X ~ Poisson(mu); 0 for k < 0.
pub fn poisson_cdf(k: i64, mu: f64) -> f64 {
    if k < 0 {
        0.0
    } else if mu <= 0.0 {
        1.0
    } else {
        gamma_q(k as f64 + 1.0, mu)
    }
}

/// The p-quantile of Gamma(shape, 1), 0 < p < 1.
pub fn gamma_quantile(p: f64, shape: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, shape.max(1.0));
    while gamma_p(shape, hi) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if gamma_p(shape, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi.max(1e-300) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The exact (Garwood) 1 - `alpha` interval of a Poisson mean given `count` (module header):
/// (lower, upper) counts; divide by the population for a rate.
pub fn poisson_interval(count: u64, alpha: f64) -> (f64, f64) {
    let o = count as f64;
    let lower = if count == 0 { 0.0 } else { gamma_quantile(alpha / 2.0, o) };
    (lower, gamma_quantile(1.0 - alpha / 2.0, o + 1.0))
}

/// The smallest r with P(X <= r) >= p, X ~ Poisson(mu).
pub fn poisson_quantile(p: f64, mu: f64) -> i64 {
    if mu <= 0.0 {
        return 0;
    }
    let (mut lo, mut hi) = (0i64, (mu + 10.0 * mu.sqrt() + 10.0).ceil() as i64);
    while poisson_cdf(hi, mu) < p {
        hi *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if poisson_cdf(mid, mu) >= p {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// A funnel's limit as a count: r_p - alpha for Poisson(`expected`) at probability `p`
/// (module header). Divide by the population for the limit on the rate.
pub fn limit_count(expected: f64, p: f64) -> f64 {
    if expected <= 0.0 {
        return 0.0;
    }
    let r = poisson_quantile(p, expected);
    let (f, below) = (poisson_cdf(r, expected), poisson_cdf(r - 1, expected));
    let alpha = if f > below { (f - p) / (f - below) } else { 0.0 };
    // r_p = 0 interpolates below 0 (small expected counts): a count cannot be negative
    (r as f64 - alpha).max(0.0)
}

/// The four limits of a funnel at one population, as rates per resident.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Limits {
    pub population: f64,
    pub low_998: f64,
    pub low_95: f64,
    pub high_95: f64,
    pub high_998: f64,
}

/// The limits around `theta` (rate per resident) for an area of `population` residents.
pub fn limits(theta: f64, population: f64) -> Limits {
    let e = theta * population;
    let rate = |p: f64| if population > 0.0 { limit_count(e, p) / population } else { 0.0 };
    Limits {
        population,
        low_998: rate(P998.0),
        low_95: rate(P95.0),
        high_95: rate(P95.1),
        high_998: rate(P998.1),
    }
}

/// Where an area lies on the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Position {
    Above998,
    Above95,
    Within,
    Below95,
    Below998,
}

impl Position {
    /// The position of `count` among `population` residents around `theta`.
    pub fn of(count: u64, population: f64, theta: f64) -> Position {
        let l = limits(theta, population);
        let r = count as f64 / population;
        if r > l.high_998 {
            Position::Above998
        } else if r > l.high_95 {
            Position::Above95
        } else if r < l.low_998 {
            Position::Below998
        } else if r < l.low_95 {
            Position::Below95
        } else {
            Position::Within
        }
    }

    /// Its words in tables.
    pub fn label(self) -> &'static str {
        match self {
            Position::Above998 => "above the 99.8% limit",
            Position::Above95 => "above the 95% limit",
            Position::Within => "within the limits",
            Position::Below95 => "below the 95% limit",
            Position::Below998 => "below the 99.8% limit",
        }
    }

    pub fn outside(self) -> bool {
        self != Position::Within
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    #[test]
    fn gamma_tails_add_to_one_and_match_known_values() {
        // P(1, x) = 1 - e^-x
        for x in [0.1, 1.0, 3.0, 30.0] {
            assert!(close(gamma_p(1.0, x), 1.0 - (-x).exp(), 1e-12));
            assert!(close(gamma_p(4.5, x) + gamma_q(4.5, x), 1.0, 1e-12));
        }
        // Poisson(2): P(X <= 2) = e^-2 (1 + 2 + 2) = 5 e^-2
        assert!(close(poisson_cdf(2, 2.0), 5.0 * (-2.0f64).exp(), 1e-12));
        assert_eq!(poisson_cdf(-1, 2.0), 0.0);
    }

    #[test]
    fn garwood_interval_by_hand() {
        // O = 0: upper = -ln(a/2) = ln 40 = 3.68888
        let (lo, hi) = poisson_interval(0, 0.05);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 40f64.ln(), 1e-9));
        // O = 1: lower = -ln(1 - a/2) = -ln(0.975) = 0.0253178
        let (lo, _) = poisson_interval(1, 0.05);
        assert!(close(lo, -(0.975f64.ln()), 1e-9));
    }

    /// Reference values from scipy 1.x in a throwaway venv (not a dependency):
    /// `r = poisson.ppf(p, lam); a = (poisson.cdf(r, lam) - p) / (poisson.cdf(r, lam) -
    /// poisson.cdf(r - 1, lam)); r - a` and `chi2.ppf(0.025, 2 O) / 2`,
    /// `chi2.ppf(0.975, 2 O + 2) / 2`.
    #[test]
    fn funnel_limits_against_scipy() {
        // (expected count, [p = 0.001, 0.025, 0.975, 0.999] limits as counts)
        let cases: [(f64, [f64; 4]); 4] = [
            (10.0, [1.2205293158961341, 3.775187947688401, 16.15995067334478, 20.66200083599499]),
            (100.0, [70.06528426484392, 80.36633712174711, 119.5808948521173, 131.8047503976241]),
            (
                2740.0,
                [2579.171973442431, 2637.377854222218, 2842.5694502095294, 2902.6801844749248],
            ),
            // r_p = 0 at both lower limits: scipy's formula gives -0.998 and -0.950, held at 0
            (0.7, [0.0, 0.0, 2.3220213956334903, 3.956830130412926]),
        ];
        for (lam, want) in cases {
            for (p, w) in [0.001, 0.025, 0.975, 0.999].into_iter().zip(want) {
                let got = limit_count(lam, p);
                assert!((got - w).abs() < 1e-6 * w.max(1.0), "lambda {lam}, p {p}: {got} != {w}");
            }
        }
        // as rates: theta = 0.02 per resident, 5,000 residents -> lambda 100
        let l = limits(0.02, 5000.0);
        assert!((l.high_998 - 131.8047503976241 / 5000.0).abs() < 1e-9);
        assert!((l.low_95 - 80.36633712174711 / 5000.0).abs() < 1e-9);
        // 120 of 5,000 is above the 95% limit (119.58) but not the 99.8% one (131.80)
        assert_eq!(Position::of(120, 5000.0, 0.02), Position::Above95);
        assert_eq!(Position::of(119, 5000.0, 0.02), Position::Within);
        assert_eq!(Position::of(132, 5000.0, 0.02), Position::Above998);
        assert_eq!(Position::of(80, 5000.0, 0.02), Position::Below95);
        assert_eq!(Position::of(70, 5000.0, 0.02), Position::Below998);
        for (o, lo, hi) in [
            (5u64, 1.6234863901184207, 11.66833207932267),
            (37, 26.05141456710603, 50.999626141930825),
            (2740, 2638.3560799811203, 2844.5568966791598),
        ] {
            let (l, h) = poisson_interval(o, 0.05);
            assert!((l - lo).abs() < 1e-6 * lo && (h - hi).abs() < 1e-6 * hi, "{o}: {l} {h}");
        }
    }
}
