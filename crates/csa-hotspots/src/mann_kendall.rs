//! Mann-Kendall trend test on a short series (one grid cell's Gi* z-scores over time).
//!
//! ```text
//! S = sum_{i<j} sign(x_j - x_i)
//! Var(S) = (n(n-1)(2n+5) - sum_t t(t-1)(2t+5)) / 18     (t: sizes of groups of tied values)
//! Z = (S - 1)/sqrt(Var) if S > 0,  0 if S = 0,  (S + 1)/sqrt(Var) if S < 0
//! ```
//!
//! p is two-sided normal. Positive Z: an upward trend.

use crate::stats::two_sided_p;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    pub s: i64,
    pub z: f64,
    pub p: f64,
}

pub fn mann_kendall(x: &[f64]) -> MannKendall {
    let n = x.len();
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut k = 0;
    while k < n {
        let mut e = k + 1;
        while e < n && sorted[e] == sorted[k] {
            e += 1;
        }
        let t = (e - k) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        k = e;
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = if var <= 0.0 || s == 0 {
        0.0
    } else if s > 0 {
        (s as f64 - 1.0) / var.sqrt()
    } else {
        (s as f64 + 1.0) / var.sqrt()
    };
    MannKendall { s, z, p: two_sided_p(z) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // 1 2 3 4 5: S = 10, Var = 5 * 4 * 15 / 18 = 16.667, Z = 9 / 4.0825 = 2.2045
        let m = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m.s, 10);
        assert!((m.z - 9.0 / (300.0f64 / 18.0).sqrt()).abs() < 1e-12);
        assert!(m.p < 0.05);
        // ties: 1 1 2: S = 0 + 1 + 1 = 2; Var = (3*2*11 - 2*1*9) / 18 = 48/18
        let m = mann_kendall(&[1.0, 1.0, 2.0]);
        assert_eq!(m.s, 2);
        assert!((m.z - 1.0 / (48.0f64 / 18.0).sqrt()).abs() < 1e-12);
        let m = mann_kendall(&[3.0, 1.0, 2.0, 0.0]);
        assert_eq!(m.s, -4);
        assert_eq!(mann_kendall(&[2.0, 2.0, 2.0]).z, 0.0);
    }
}
