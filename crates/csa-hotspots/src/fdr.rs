//! Benjamini-Hochberg false discovery rate control and the hot/cold confidence bins.
//!
//! For m tests at level q, sort the p-values p_(1) <= ... <= p_(m); the BH threshold is the
//! largest p_(k) with p_(k) <= k q / m, and every test with p at or below it is significant.
//! Bins (as ArcGIS Hot Spot Analysis): +3 / -3 when significant at q = 0.01 (99%), +2 / -2 at
//! 0.05 (95%), +1 / -1 at 0.10 (90%), 0 otherwise; the sign is the sign of z.

/// The BH p-value threshold at level `q` (0 when nothing is significant). NaN p-values are
/// ignored (not tests).
pub fn bh_threshold(p: &[f64], q: f64) -> f64 {
    let mut sorted: Vec<f64> = p.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() as f64;
    let mut threshold = 0.0;
    for (k, v) in sorted.iter().enumerate() {
        if *v <= (k + 1) as f64 * q / m {
            threshold = *v;
        }
    }
    threshold
}

/// Confidence levels of the bins: (bin magnitude, q).
pub const LEVELS: [(i8, f64); 3] = [(3, 0.01), (2, 0.05), (1, 0.10)];

/// Hot (+) and cold (-) confidence bins -3..=3 under BH FDR.
pub fn fdr_bins(z: &[f64], p: &[f64]) -> Vec<i8> {
    let thresholds: Vec<(i8, f64)> = LEVELS.iter().map(|&(b, q)| (b, bh_threshold(p, q))).collect();
    z.iter()
        .zip(p)
        .map(|(z, p)| {
            let level =
                thresholds.iter().find(|(_, t)| *p <= *t && *t > 0.0).map_or(0, |(b, _)| *b);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_by_hand() {
        // m = 5, q = 0.05: k q / m = 0.01, 0.02, 0.03, 0.04, 0.05
        // sorted p: 0.001 (<= 0.01), 0.015 (<= 0.02), 0.035 (> 0.03), 0.04 (<= 0.04), 0.9
        // largest k with p_(k) <= k q/m is k = 4 -> threshold 0.04: the first four pass
        let p = [0.04, 0.001, 0.9, 0.035, 0.015];
        assert_eq!(bh_threshold(&p, 0.05), 0.04);
        // q = 0.01: 0.002, 0.004, ... only 0.001 passes
        assert_eq!(bh_threshold(&p, 0.01), 0.001);
        let z = [2.0, 3.5, 0.1, -2.1, 2.4];
        // q = 0.10: bounds 0.02, 0.04, 0.06, 0.08, 0.10 -> 0.001, 0.015, 0.035, 0.04 pass
        assert_eq!(fdr_bins(&z, &p), vec![2, 3, 0, -2, 2]);
        assert_eq!(bh_threshold(&[0.5, 0.7], 0.05), 0.0);
        assert_eq!(fdr_bins(&[1.0, 1.0], &[0.5, 0.7]), vec![0, 0]);
    }
}
