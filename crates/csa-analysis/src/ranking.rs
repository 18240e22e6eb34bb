//! Ranking the priorities: a scoring matrix in the spirit of MoRiLE, but computed from the
//! data so that the same inputs always give the same order.
//!
//! Five factors per priority (any may be missing, e.g. no comparison year or no survey):
//!
//! | factor | measure |
//! |---|---|
//! | `volume` | records in the period per 1,000 residents of the area, for every priority (households-denominated ones included: one denominator across priorities, see [`volume_factors`]); the record count for every priority when the area's residents are not known (never a mix) |
//! | `trend` | the strength of evidence for a change ([`crate::trend::Trend::evidence_pct`]): the end of the 95% interval of the latest 12 months' change (seasonal quasi-Poisson, up to three years of months) nearest zero, 0 when the interval spans zero; a priority without a trend (fewer than 13 months) has no factor. Never the raw % change: +66.7% on 5 crimes is no evidence of a rise and scores as no change |
//! | `harm` | the sum of the records' ONS Crime Severity Score weights (`harm_css`; ONS's score is this per head, the same order and the same 1-5 scores, since every priority has the same residents) |
//! | `concentration` | mean of the available: share of its crimes suffered by repeat victims, share of its crimes in Gi* hot cells |
//! | `concern` | share of survey respondents choosing one of the priority's survey options |
//!
//! Each factor is scored 1 to 5 across the priorities being ranked: score = 1 + 4 (x - min) /
//! (max - min) (all 3 when every priority has the same value), so the score says where a
//! priority stands among the others, whatever the factor's unit. The total is the weighted
//! mean of the scores it has (weights from `[ranking] weights` in the configuration, 1 each
//! by default): a missing factor drops out of that priority's mean instead of counting as
//! zero, and the reason says so. Ranked by total (highest first), ties by volume, then name.
//! The reason names the factors that lift the priority most (score x weight, highest two)
//! and any it could not score. (A priority's own rate, per 1,000 households for residential
//! burglary, stays in the volume table and beside the factor in the ranking table: 15.72 per
//! 1,000 households against the others' rates per 1,000 residents would rank burglary's
//! volume by a denominator three times smaller.)

/// The factor names, in the order of [`Factors`] and [`Weights`].
pub const FACTORS: [&str; 5] = ["volume", "trend", "harm", "concentration", "concern"];

/// What the volume factor counts: the same for every priority ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeBasis {
    /// Records per 1,000 residents of the area.
    PerThousandResidents,
    /// Records (the area's residents are not known).
    Records,
}

impl VolumeBasis {
    pub fn unit(self) -> &'static str {
        match self {
            VolumeBasis::PerThousandResidents => "per 1,000 residents",
            VolumeBasis::Records => "records",
        }
    }
}

/// The volume factor of each priority from its record count, on one basis for all: per
/// 1,000 `residents` when known (and above 0), else the counts themselves.
pub fn volume_factors(counts: &[u64], residents: Option<f64>) -> (Vec<f64>, VolumeBasis) {
    match residents.filter(|r| r.is_finite() && *r > 0.0) {
        Some(r) => (
            counts.iter().map(|&c| 1000.0 * c as f64 / r).collect(),
            VolumeBasis::PerThousandResidents,
        ),
        None => (counts.iter().map(|&c| c as f64).collect(), VolumeBasis::Records),
    }
}

/// A priority's measures (see the module header); `None` = not available.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Factors {
    pub volume: Option<f64>,
    pub trend: Option<f64>,
    pub harm: Option<f64>,
    pub concentration: Option<f64>,
    pub concern: Option<f64>,
}

impl Factors {
    fn get(&self, i: usize) -> Option<f64> {
        [self.volume, self.trend, self.harm, self.concentration, self.concern][i]
            .filter(|v| v.is_finite())
    }
}

/// Weights of the factors (non-negative; at least one above 0).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Weights {
    pub volume: f64,
    pub trend: f64,
    pub harm: f64,
    pub concentration: f64,
    pub concern: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights { volume: 1.0, trend: 1.0, harm: 1.0, concentration: 1.0, concern: 1.0 }
    }
}

impl Weights {
    pub fn get_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "volume" => Some(&mut self.volume),
            "trend" => Some(&mut self.trend),
            "harm" => Some(&mut self.harm),
            "concentration" => Some(&mut self.concentration),
            "concern" => Some(&mut self.concern),
            _ => None,
        }
    }
    fn get(&self, i: usize) -> f64 {
        [self.volume, self.trend, self.harm, self.concentration, self.concern][i]
    }
    pub fn total(&self) -> f64 {
        (0..5).map(|i| self.get(i)).sum()
    }
}

/// One ranked priority.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ranked {
    pub priority: String,
    pub rank: usize,
    pub factors: Factors,
    /// Scores 1..=5 per factor, in [`FACTORS`] order.
    pub scores: [Option<f64>; 5],
    /// Weighted mean of the available scores.
    pub total: f64,
    pub reason: String,
}

/// Ranks `items` (priority name, factors) with `weights`; `basis` names the volume's unit in
/// the reasons.
pub fn rank(items: &[(String, Factors)], weights: &Weights, basis: VolumeBasis) -> Vec<Ranked> {
    let mut ranges = [(f64::INFINITY, f64::NEG_INFINITY); 5];
    for (_, f) in items {
        for (i, r) in ranges.iter_mut().enumerate() {
            if let Some(v) = f.get(i) {
                *r = (r.0.min(v), r.1.max(v));
            }
        }
    }
    let score = |i: usize, v: f64| {
        let (lo, hi) = ranges[i];
        if hi > lo {
            1.0 + 4.0 * (v - lo) / (hi - lo)
        } else {
            3.0
        }
    };
    let mut out: Vec<Ranked> = items
        .iter()
        .map(|(name, f)| {
            let exact: [Option<f64>; 5] = std::array::from_fn(|i| f.get(i).map(|v| score(i, v)));
            let scores: [Option<f64>; 5] = exact.map(|s| s.map(|s| (s * 100.0).round() / 100.0));
            let (mut num, mut den) = (0.0, 0.0);
            for (i, s) in exact.iter().enumerate() {
                if let Some(s) = s {
                    num += s * weights.get(i);
                    den += weights.get(i);
                }
            }
            let total = if den > 0.0 { (num / den * 100.0).round() / 100.0 } else { 0.0 };
            let mut lifts: Vec<(f64, usize)> = (0..5)
                .filter_map(|i| scores[i].map(|s| (s * weights.get(i), i)))
                .filter(|(v, _)| *v > 0.0)
                .collect();
            lifts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let describe = |i: usize| {
                let v = f.get(i).unwrap_or(0.0);
                let s = scores[i].unwrap_or(0.0);
                match i {
                    0 => format!("volume {v:.1} {} (score {s:.1})", basis.unit()),
                    1 if v > 0.0 => format!("trend: a rise of at least {v:.1}% (score {s:.1})"),
                    1 if v < 0.0 => format!("trend: a fall of at least {:.1}% (score {s:.1})", -v),
                    1 => format!("trend: no clear change (score {s:.1})"),
                    2 => format!("harm {v:.0} CSS (score {s:.1})"),
                    3 => format!("concentration {v:.1}% (score {s:.1})"),
                    _ => format!("public concern {v:.1}% (score {s:.1})"),
                }
            };
            let mut reason = format!(
                "highest factors: {}",
                lifts.iter().take(2).map(|(_, i)| describe(*i)).collect::<Vec<_>>().join("; ")
            );
            let missing: Vec<&str> = (0..5)
                .filter(|&i| scores[i].is_none() && weights.get(i) > 0.0)
                .map(|i| FACTORS[i])
                .collect();
            if !missing.is_empty() {
                reason.push_str(&format!("; not scored (no data): {}", missing.join(", ")));
            }
            Ranked { priority: name.clone(), rank: 0, factors: *f, scores, total, reason }
        })
        .collect();
    out.sort_by(|a, b| {
        b.total
            .total_cmp(&a.total)
            .then(b.factors.volume.unwrap_or(0.0).total_cmp(&a.factors.volume.unwrap_or(0.0)))
            .then(a.priority.cmp(&b.priority))
    });
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(volume: f64, trend: Option<f64>, harm: f64, concern: Option<f64>) -> Factors {
        Factors { volume: Some(volume), trend, harm: Some(harm), concentration: None, concern }
    }

    #[test]
    fn scores_and_order_by_hand() {
        let items = vec![
            ("Burglary".to_string(), f(10.0, Some(20.0), 4000.0, Some(30.0))),
            ("Robbery".to_string(), f(2.0, Some(-10.0), 1600.0, Some(10.0))),
            ("ASB".to_string(), f(30.0, Some(5.0), 0.0, None)),
        ];
        let r = rank(&items, &Weights::default(), VolumeBasis::Records);
        // volume 2..30: burglary 1 + 4 x 8/28 = 2.14, robbery 1, ASB 5
        // trend -10..20: burglary 5, robbery 1, ASB 1 + 4 x 15/30 = 3
        // harm 0..4000: burglary 5, robbery 1 + 4 x 0.4 = 2.6, ASB 1
        // concern 10..30: burglary 5, robbery 1; ASB none
        // totals: burglary (2.1429 + 5 + 5 + 5) / 4 = 4.29; robbery (1 + 1 + 2.6 + 1) / 4 = 1.4;
        // ASB (5 + 3 + 1) / 3 = 3
        let by: std::collections::BTreeMap<&str, &Ranked> =
            r.iter().map(|x| (x.priority.as_str(), x)).collect();
        assert_eq!(by["Burglary"].scores, [Some(2.14), Some(5.0), Some(5.0), None, Some(5.0)]);
        assert_eq!(by["Burglary"].total, 4.29);
        assert_eq!(by["Robbery"].total, 1.4);
        assert_eq!(by["ASB"].total, 3.0);
        assert_eq!(
            r.iter().map(|x| x.priority.as_str()).collect::<Vec<_>>(),
            vec!["Burglary", "ASB", "Robbery"]
        );
        assert_eq!(r[0].rank, 1);
        assert!(
            by["ASB"].reason.contains("not scored (no data): concentration, concern"),
            "{}",
            by["ASB"].reason
        );
        assert!(
            by["Burglary"].reason.starts_with(
                "highest factors: trend: a rise of at least 20.0% (score 5.0); harm 4000 CSS (score 5.0)"
            ),
            "{}",
            by["Burglary"].reason
        );
        // weights move the order: harm only -> burglary, robbery, ASB
        let w = Weights { volume: 0.0, trend: 0.0, harm: 1.0, concentration: 0.0, concern: 0.0 };
        let r = rank(&items, &w, VolumeBasis::Records);
        assert_eq!(
            r.iter().map(|x| x.priority.as_str()).collect::<Vec<_>>(),
            vec!["Burglary", "Robbery", "ASB"]
        );
        // one priority: every factor scores 3
        let one = rank(&items[..1], &Weights::default(), VolumeBasis::Records);
        assert_eq!(one[0].total, 3.0);
    }

    #[test]
    fn one_denominator_for_the_volume_factor() {
        // Coventry: 345,312 residents, 140,000 households (a round figure for the test).
        // Burglary 2,201 records = 15.72 per 1,000 households, but 6.37 per 1,000 residents;
        // robbery 2,500 and vehicle crime 4,000 per 1,000 residents: 7.24 and 11.58.
        let residents = 345_312.0;
        assert!((1000.0 * 2_201.0 / 140_000.0 - 15.72f64).abs() < 0.005);
        let (v, basis) = volume_factors(&[2_201, 2_500, 4_000], Some(residents));
        assert_eq!(basis, VolumeBasis::PerThousandResidents);
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        assert_eq!(v.iter().map(|x| r2(*x)).collect::<Vec<_>>(), vec![6.37, 7.24, 11.58]);
        let only_volume =
            Weights { volume: 1.0, trend: 0.0, harm: 0.0, concentration: 0.0, concern: 0.0 };
        let items: Vec<(String, Factors)> = ["Burglary", "Robbery", "Vehicle"]
            .iter()
            .zip(&v)
            .map(|(n, x)| (n.to_string(), Factors { volume: Some(*x), ..Factors::default() }))
            .collect();
        let r = rank(&items, &only_volume, basis);
        // on households burglary (15.72) would have come first; on residents it is last
        assert_eq!(
            r.iter().map(|x| x.priority.as_str()).collect::<Vec<_>>(),
            vec!["Vehicle", "Robbery", "Burglary"]
        );
        assert!(r[0].reason.contains("volume 11.6 per 1,000 residents"), "{}", r[0].reason);
        // no residents: counts for all, never a mix
        let (v, basis) = volume_factors(&[2_201, 2_500], None);
        assert_eq!((v, basis), (vec![2_201.0, 2_500.0], VolumeBasis::Records));
        assert_eq!(volume_factors(&[3], Some(0.0)).1, VolumeBasis::Records);
    }
}
