//! Raking (iterative proportional fitting) of survey respondents to population margins, with
//! weight trimming, the design effect and the effective sample size.
//!
//! Each margin (e.g. ward, age band, sex) gives every respondent a category and every category
//! a target share of the population. Starting from weights of 1, one pass adjusts each margin
//! in turn so that its weighted shares equal the targets:
//!
//! ```text
//! w_i <- w_i * t_c * W / W_c      for respondent i in category c of the margin,
//!                                 W_c = sum of w in c, W = sum of all w, t_c the target share
//! ```
//!
//! Passes repeat until the largest gap `|W_c / W - t_c|` over every category of every margin
//! is below the tolerance (converged), or the iteration limit is reached: then
//! [`RakeError::NotConverged`] names the margin and category furthest off, by how much, after
//! how many passes. A category with a target above 0 and no respondent cannot be reached;
//! the caller drops it and rescales the margin's other targets (see `consultation`).
//!
//! **Trimming** (optional `[lo, hi]`, relative to the mean weight): after raking, weights
//! outside the bounds are set to the bound and the weights are raked again; this repeats up
//! to `trim_rounds` times. If weights still fall outside after the last round they are
//! clipped and left so: the margins are then met only approximately and the largest gap is
//! reported ([`Raked::max_gap`]).
//!
//! Weights are scaled to a mean of 1 (they sum to the number of respondents).
//!
//! **Design effect** (Kish) and **effective sample size**:
//!
//! ```text
//! deff = n * sum(w^2) / (sum w)^2,      n_eff = (sum w)^2 / sum(w^2) = n / deff
//! ```
//!
//! Checked against an independent implementation (plain Python, numbers in the tests).

/// One margin: every respondent's category and the categories' target shares.
#[derive(Debug, Clone)]
pub struct Margin {
    /// Its name in messages, e.g. `age_band`.
    pub name: String,
    /// Category labels, in target order.
    pub labels: Vec<String>,
    /// Target share of each category (rescaled to sum to 1).
    pub targets: Vec<f64>,
    /// The category (index into `labels`) of each respondent.
    pub of: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RakeSettings {
    pub max_iterations: usize,
    /// Largest accepted gap between a weighted share and its target (a share, e.g. 1e-6).
    pub tolerance: f64,
    /// Bounds on a weight relative to the mean weight, e.g. (0.2, 5.0).
    pub trim: Option<(f64, f64)>,
    pub trim_rounds: usize,
}

impl Default for RakeSettings {
    fn default() -> Self {
        RakeSettings { max_iterations: 100, tolerance: 1e-6, trim: None, trim_rounds: 10 }
    }
}

/// Raked weights and how they were reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Raked {
    /// One per respondent, mean 1.
    pub weights: Vec<f64>,
    /// Raking passes, over every round of trimming.
    pub iterations: usize,
    /// Largest gap between a weighted share and its target after the final weights.
    pub max_gap: f64,
    /// Raking rounds run for trimming (0 without trimming).
    pub trim_rounds: usize,
    /// Weights at a trimming bound.
    pub trimmed: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RakeError {
    #[error("raking did not converge after {iterations} iterations: {margin} {category:?} is {gap_pct:.3} percentage points from its target (tolerance {tolerance_pct} points); allow more iterations, collapse small categories or drop the margin")]
    NotConverged {
        margin: String,
        category: String,
        gap_pct: f64,
        tolerance_pct: f64,
        iterations: usize,
    },
    #[error("raking to {margin}: {category:?} has a target of {target_pct:.2}% but no respondent; collapse it with another category or drop it")]
    Empty { margin: String, category: String, target_pct: f64 },
    #[error("raking: {0}")]
    Invalid(String),
}

/// Kish design effect of `weights` (1 when all equal; `None` when empty or all 0).
pub fn design_effect(weights: &[f64]) -> Option<f64> {
    let (s, s2) = sums(weights);
    (s > 0.0).then(|| weights.len() as f64 * s2 / (s * s))
}

/// Kish effective sample size `(sum w)^2 / sum w^2`.
pub fn effective_n(weights: &[f64]) -> f64 {
    let (s, s2) = sums(weights);
    if s2 > 0.0 {
        s * s / s2
    } else {
        0.0
    }
}

fn sums(weights: &[f64]) -> (f64, f64) {
    weights.iter().fold((0.0, 0.0), |(s, s2), w| (s + w, s2 + w * w))
}

/// Rakes respondents to `margins` (see the module header).
pub fn rake(margins: &[Margin], settings: &RakeSettings) -> Result<Raked, RakeError> {
    let n = check(margins)?;
    let mut w = vec![1.0; n];
    let mut iterations = ipf(margins, &mut w, settings)?;
    normalise(&mut w);
    let mut rounds = 0;
    let mut trimmed = 0;
    if let Some((lo, hi)) = settings.trim {
        if !(lo > 0.0 && lo <= 1.0 && hi >= 1.0) {
            return Err(RakeError::Invalid(format!(
                "trim bounds [{lo}, {hi}] must satisfy 0 < low <= 1 <= high"
            )));
        }
        let outside = |w: &[f64]| w.iter().any(|x| *x < lo - 1e-9 || *x > hi + 1e-9);
        while outside(&w) {
            rounds += 1;
            for x in &mut w {
                *x = x.clamp(lo, hi);
            }
            if rounds > settings.trim_rounds {
                break;
            }
            iterations += match ipf(margins, &mut w, settings) {
                Ok(i) => i,
                // trimmed weights may not reach the margins: keep the last ones, report the gap
                Err(RakeError::NotConverged { .. }) => settings.max_iterations,
                Err(e) => return Err(e),
            };
            normalise(&mut w);
        }
        trimmed = w.iter().filter(|x| (**x - lo).abs() < 1e-9 || (**x - hi).abs() < 1e-9).count();
    }
    let max_gap = worst(margins, &w).map_or(0.0, |g| g.2);
    Ok(Raked { weights: w, iterations, max_gap, trim_rounds: rounds, trimmed })
}

fn check(margins: &[Margin]) -> Result<usize, RakeError> {
    let n = margins.first().map_or(0, |m| m.of.len());
    if n == 0 {
        return Err(RakeError::Invalid("no respondents to weight".into()));
    }
    for m in margins {
        if m.of.len() != n || m.labels.len() != m.targets.len() {
            return Err(RakeError::Invalid(format!("margin {} is inconsistent", m.name)));
        }
        if m.of.iter().any(|c| *c >= m.labels.len()) {
            return Err(RakeError::Invalid(format!("margin {} has an unknown category", m.name)));
        }
        let total: f64 = m.targets.iter().sum();
        if total.is_nan() || total <= 0.0 || m.targets.iter().any(|t| !t.is_finite() || *t < 0.0) {
            return Err(RakeError::Invalid(format!("margin {} has no usable targets", m.name)));
        }
        let mut seen = vec![false; m.labels.len()];
        for c in &m.of {
            seen[*c] = true;
        }
        if let Some(c) = (0..m.labels.len()).find(|c| !seen[*c] && m.targets[*c] > 0.0) {
            return Err(RakeError::Empty {
                margin: m.name.clone(),
                category: m.labels[c].clone(),
                target_pct: 100.0 * m.targets[c] / total,
            });
        }
    }
    Ok(n)
}

/// Raking passes from the current weights until converged.
fn ipf(margins: &[Margin], w: &mut [f64], s: &RakeSettings) -> Result<usize, RakeError> {
    let mut last = None;
    for it in 1..=s.max_iterations.max(1) {
        for m in margins {
            let total_t: f64 = m.targets.iter().sum();
            let mut by = vec![0.0; m.labels.len()];
            for (c, x) in m.of.iter().zip(w.iter()) {
                by[*c] += x;
            }
            let total: f64 = by.iter().sum();
            let f: Vec<f64> = by
                .iter()
                .zip(&m.targets)
                .map(|(wc, t)| if *wc > 0.0 { t / total_t * total / wc } else { 0.0 })
                .collect();
            for (c, x) in m.of.iter().zip(w.iter_mut()) {
                *x *= f[*c];
            }
        }
        let g = worst(margins, w);
        if g.as_ref().is_none_or(|g| g.2 < s.tolerance) {
            return Ok(it);
        }
        last = g;
    }
    let (m, c, gap) = last.unwrap_or((0, 0, f64::NAN));
    Err(RakeError::NotConverged {
        margin: margins[m].name.clone(),
        category: margins[m].labels[c].clone(),
        gap_pct: 100.0 * gap,
        tolerance_pct: 100.0 * s.tolerance,
        iterations: s.max_iterations.max(1),
    })
}

/// The category furthest from its target: (margin, category, |share - target|).
fn worst(margins: &[Margin], w: &[f64]) -> Option<(usize, usize, f64)> {
    let total: f64 = w.iter().sum();
    let mut out: Option<(usize, usize, f64)> = None;
    for (mi, m) in margins.iter().enumerate() {
        let total_t: f64 = m.targets.iter().sum();
        let mut by = vec![0.0; m.labels.len()];
        for (c, x) in m.of.iter().zip(w) {
            by[*c] += x;
        }
        for (ci, (wc, t)) in by.iter().zip(&m.targets).enumerate() {
            let gap = (wc / total - t / total_t).abs();
            if out.is_none_or(|o| gap > o.2) {
                out = Some((mi, ci, gap));
            }
        }
    }
    out
}

fn normalise(w: &mut [f64]) {
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    if mean > 0.0 {
        for x in w {
            *x /= mean;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn margins() -> Vec<Margin> {
        let m = |name: &str, labels: &[&str], targets: &[f64], of: &[usize]| Margin {
            name: name.into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            targets: targets.to_vec(),
            of: of.to_vec(),
        };
        vec![
            m(
                "age_band",
                &["16-34", "35-64", "65+"],
                &[0.35, 0.40, 0.25],
                &[0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2],
            ),
            m("sex", &["Female", "Male"], &[0.49, 0.51], &[0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0]),
        ]
    }

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn matches_an_independent_ipf() {
        // /tmp ipf.py (plain Python IPF, tolerance 1e-10): 10 passes, weights scaled to mean 1
        let s = RakeSettings { tolerance: 1e-10, max_iterations: 1000, ..RakeSettings::default() };
        let r = rake(&margins(), &s).unwrap_or_else(|e| panic!("{e}"));
        close(
            &r.weights,
            &[
                1.005_479_855,
                1.094_520_145,
                1.005_479_855,
                1.094_520_145,
                1.510_806_971_3,
                1.644_596_514_9,
                1.644_596_514_9,
                0.589_558_329_7,
                0.589_558_329_7,
                0.641_766_680_2,
                0.589_558_329_7,
                0.589_558_329_7,
            ],
            1e-8,
        );
        assert_eq!(r.iterations, 10);
        // Kish: deff 1.15933682, n_eff 10.35074518
        assert!((design_effect(&r.weights).unwrap_or(0.0) - 1.159_336_82).abs() < 1e-7);
        assert!((effective_n(&r.weights) - 10.350_745_18).abs() < 1e-6);
        assert_eq!(design_effect(&[2.0, 2.0]), Some(1.0));
    }

    #[test]
    fn trimming_clips_and_reports_the_gap() {
        // the same Python: bounds [0.5, 1.6], clip and re-rake, 10 rounds; the two weights
        // that need 1.64 stay at 1.6 and the margins end 0.0633 points off
        let s = RakeSettings {
            tolerance: 1e-10,
            max_iterations: 1000,
            trim: Some((0.5, 1.6)),
            trim_rounds: 9,
        };
        let r = rake(&margins(), &s).unwrap_or_else(|e| panic!("{e}"));
        close(
            &r.weights,
            &[
                0.979_768_913_2,
                1.120_231_086_8,
                0.979_768_913_2,
                1.120_231_086_8,
                1.587_358_125_2,
                1.6,
                1.6,
                0.583_276_012_1,
                0.583_276_012_1,
                0.666_895_950_9,
                0.583_276_012_1,
                0.583_276_012_1,
            ],
            1e-8,
        );
        assert_eq!(r.trim_rounds, 10);
        assert_eq!(r.trimmed, 2);
        assert!((r.max_gap - 0.000_632_760_328).abs() < 1e-9, "{}", r.max_gap);
    }

    #[test]
    fn failures_name_the_margin() {
        // one pass cannot settle two margins that conflict: reported with margin and gap
        let s = RakeSettings { tolerance: 1e-12, max_iterations: 2, ..RakeSettings::default() };
        match rake(&margins(), &s) {
            Err(RakeError::NotConverged { iterations: 2, margin, gap_pct, .. }) => {
                assert!(margin == "age_band" || margin == "sex");
                assert!(gap_pct > 1e-10);
            }
            other => panic!("{other:?}"),
        }
        let mut m = margins();
        m[1].labels.push("Other".into());
        m[1].targets.push(0.02);
        let e = rake(&m, &RakeSettings::default()).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("raking to sex: \"Other\"") && e.contains("no respondent")));
    }
}
