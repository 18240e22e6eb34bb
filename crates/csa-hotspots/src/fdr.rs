//! Benjamini-Hochberg false discovery rate control and the hot/cold confidence bins.
//!
//! For m tests at level q, sort the p-values p_(1) <= ... <= p_(m); the BH threshold is the
//! largest p_(k) with p_(k) <= k q / m, and every test with p at or below it is significant.
//! Bins (as ArcGIS Hot Spot Analysis): +3 / -3 when significant at q = 0.01 (99%), +2 / -2 at
//! 0.05 (95%), +1 / -1 at 0.10 (90%), 0 otherwise; the sign is the sign of z.
//!
//! The comparison is made on ln p ([`bh_threshold_ln`], [`fdr_bins_ln`]), so p-values too
//! small for a double (Gi* z beyond ~38, e.g. crimes geocoded to one default point) keep
//! their order and pass; and "no test passed" (`None`) is kept apart from "the largest
//! passing p is 0" (`Some(0.0)` from [`bh_threshold`], when a passing p underflowed).

/// The BH threshold on ln p at level `q`: `Some(ln p_(k))` of the largest passing p_(k), or
/// `None` when no test passes. NaN values are ignored (not tests).
pub fn bh_threshold_ln(ln_p: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = ln_p.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() as f64;
    let mut threshold = None;
    for (k, v) in sorted.iter().enumerate() {
        if *v <= ((k + 1) as f64 * q / m).ln() {
            threshold = Some(*v);
        }
    }
    threshold
}

/// The BH p-value threshold at level `q`: `None` when no test passes; `Some(0.0)` when the
/// largest passing p is 0 (underflowed). NaN p-values are ignored (not tests).
pub fn bh_threshold(p: &[f64], q: f64) -> Option<f64> {
    let ln: Vec<f64> = p.iter().map(|v| v.ln()).collect();
    bh_threshold_ln(&ln, q).map(f64::exp)
}

/// Confidence levels of the bins: (bin magnitude, q).
pub const LEVELS: [(i8, f64); 3] = [(3, 0.01), (2, 0.05), (1, 0.10)];

/// Hot (+) and cold (-) confidence bins -3..=3 under BH FDR, from ln p.
pub fn fdr_bins_ln(z: &[f64], ln_p: &[f64]) -> Vec<i8> {
    let thresholds: Vec<(i8, Option<f64>)> =
        LEVELS.iter().map(|&(b, q)| (b, bh_threshold_ln(ln_p, q))).collect();
    z.iter()
        .zip(ln_p)
        .map(|(z, lp)| {
            let level =
                thresholds.iter().find(|(_, t)| t.is_some_and(|t| *lp <= t)).map_or(0, |(b, _)| *b);
            if *z > 0.0 {
                level
            } else if *z < 0.0 {
                -level
            } else {
                0
            }
        })
        .collect()
}

/// Hot (+) and cold (-) confidence bins -3..=3 under BH FDR.
pub fn fdr_bins(z: &[f64], p: &[f64]) -> Vec<i8> {
    let ln: Vec<f64> = p.iter().map(|v| v.ln()).collect();
    fdr_bins_ln(z, &ln)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_by_hand() {
        // m = 5, q = 0.05: k q / m = 0.01, 0.02, 0.03, 0.04, 0.05
        // sorted p: 0.001 (<= 0.01), 0.015 (<= 0.02), 0.035 (> 0.03), 0.04 (<= 0.04), 0.9
        // largest k with p_(k) <= k q/m is k = 4 -> threshold 0.04: the first four pass
        let p = [0.04, 0.001, 0.9, 0.035, 0.015];
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-15);
        assert!(close(bh_threshold(&p, 0.05), 0.04));
        // q = 0.01: 0.002, 0.004, ... only 0.001 passes
        assert!(close(bh_threshold(&p, 0.01), 0.001));
        let z = [2.0, 3.5, 0.1, -2.1, 2.4];
        // q = 0.10: bounds 0.02, 0.04, 0.06, 0.08, 0.10 -> 0.001, 0.015, 0.035, 0.04 pass
        assert_eq!(fdr_bins(&z, &p), vec![2, 3, 0, -2, 2]);
        assert_eq!(bh_threshold(&[0.5, 0.7], 0.05), None);
        assert_eq!(fdr_bins(&[1.0, 1.0], &[0.5, 0.7]), vec![0, 0]);
    }

    #[test]
    fn a_threshold_of_zero_is_not_nothing() {
        // p underflowed to 0 for three cells (z ~ 55): they pass, and the threshold is 0
        let p = [0.0, 0.0, 0.0, 0.6, 0.9, 0.3];
        assert_eq!(bh_threshold(&p, 0.01), Some(0.0));
        assert_eq!(fdr_bins(&[55.6, 50.0, -40.0, 0.5, 0.1, 1.0], &p), vec![3, 3, -3, 0, 0, 0]);
        // in log space tiny p keep their order: ln p = -1549.9 (z 55.6), -700, then 0.6, 0.9
        let ln = [-1549.9, -700.0, 0.6f64.ln(), 0.9f64.ln()];
        assert_eq!(bh_threshold_ln(&ln, 0.05), Some(-700.0));
        assert_eq!(fdr_bins_ln(&[55.6, 38.0, 0.5, 0.1], &ln), vec![3, 3, 0, 0]);
    }
}
