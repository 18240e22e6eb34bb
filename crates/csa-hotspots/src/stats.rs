//! The few distribution functions the tests need: the standard normal CDF, two-sided p (and
//! its logarithm) and quantile.
//!
//! Phi(z) = erfc(-z / sqrt 2) / 2 with `libm::erfc` (musl's, accurate to a few ulp), so tail
//! probabilities keep their relative accuracy down to 1e-300 (FDR sorts tiny p-values).
//! Beyond that a double underflows (two-sided p of z = 38.5 is 1e-323, of z = 55.6 is
//! 7.5e-674), so [`ln_two_sided_p`] gives ln p from the asymptotic tail of erfc for
//! |z| >= 30 (x = |z| / sqrt 2 >= 21.2):
//!
//! ```text
//! ln erfc(x) = -x^2 - ln(x sqrt(pi)) + ln(1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 + 105/(2x^2)^4 - 945/(2x^2)^5)
//! ```
//!
//! (the first term left out is below 3e-14 there), and from `libm::erfc` below it.
//! The quantile is Acklam's rational approximation (relative error 1.15e-9) refined by one
//! Halley step on Phi, which brings it to about machine precision.

use std::f64::consts::{PI, SQRT_2};

/// P(Z <= z) for a standard normal Z.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / SQRT_2)
}

/// Two-sided p-value of a z-score: P(|Z| >= |z|).
pub fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    libm::erfc(z.abs() / SQRT_2).min(1.0)
}

/// ln of the two-sided p-value of a z-score, finite for every finite z (see the header).
pub fn ln_two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let a = z.abs();
    if a < 30.0 {
        return two_sided_p(z).ln();
    }
    if a.is_infinite() {
        return f64::NEG_INFINITY;
    }
    let x = a / SQRT_2;
    let u = 1.0 / (2.0 * x * x);
    let series = 1.0 - u * (1.0 - 3.0 * u * (1.0 - 5.0 * u * (1.0 - 7.0 * u * (1.0 - 9.0 * u))));
    -x * x - (x * PI.sqrt()).ln() + series.ln()
}

/// z with P(Z <= z) = p, for 0 < p < 1 (infinite at 0 and 1, NaN outside).
#[allow(clippy::excessive_precision)] // Acklam's published coefficients, as printed
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] =
        [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // one Halley step
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // tables: Phi(1.959964) = 0.975, Phi(-3) = 0.0013498980316301
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert!((normal_cdf(-3.0) - 0.001_349_898_031_630_1).abs() < 1e-15);
        assert!((two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-12);
        assert!((two_sided_p(-2.575_829_303_548_901) - 0.01).abs() < 1e-12);
        for p in [1e-10, 0.001, 0.05, 0.3, 0.5, 0.9, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-14 * p.max(1e-3), "{p}");
        }
        assert!((normal_quantile(0.95) - 1.644_853_626_951_472_2).abs() < 1e-12);
    }

    #[test]
    #[allow(clippy::excessive_precision)] // mpmath's digits, as printed
    fn log_p_keeps_what_a_double_loses() {
        // ln erfc(|z| / sqrt 2) with mpmath at 40 digits
        let known = [
            (0.5, -0.482_764_581_033_673_3),
            (3.0, -5.914_579_040_950_404),
            (10.0, -52.538_137_969_952_525),
            (30.0, -453.628_096_775_783_25),
            (37.0, -688.337_438_396_330_6),
            (38.0, -725.864_068_838_260_2),
            (-55.6, -1_549.924_297_774_937_4),
            (100.0, -5_004.831_061_513_645),
        ];
        for (z, l) in known {
            let got = ln_two_sided_p(z);
            assert!((got - l).abs() < 1e-12 * l.abs().max(1.0), "z {z}: {got} against {l}");
        }
        // the double itself underflows past z ~ 38.5
        assert_eq!(two_sided_p(55.6), 0.0);
        // continuous at the switch
        assert!((ln_two_sided_p(29.999_999_999) - ln_two_sided_p(30.0)).abs() < 1e-6);
    }
}
