//! Emerging hot spots, as ArcGIS Pro's Emerging Hot Spot Analysis defines them.
//!
//! **Space-time Gi\*.** The counts form a cube: one bin per grid cell and time step (month
//! or quarter). A bin's neighbourhood is the cells within the distance band (see
//! [`crate::weights`]) in its own step and in the `time_window` steps before it (ArcGIS's
//! *neighborhood time step*, default 1); the first steps have fewer earlier steps. Gi* (the
//! formula of [`crate::gistar`]) is computed with the bin's neighbourhood against the whole
//! cube (ArcGIS's default *global window*, "entire cube"): n = cells x steps, Xbar and S over
//! every bin, and K = k_i (w_t + 1) neighbours for w_t = min(t, time_window) earlier steps:
//!
//! ```text
//! Gi*(i, t) = (sum_{s=t-w_t..t} sum_{j in N(i)} x_js - Xbar K) / (S sqrt((n K - K^2) / (n - 1)))
//! ```
//!
//! p is two-sided normal; the bins get Benjamini-Hochberg FDR confidence bins over the whole
//! cube ([`crate::fdr`]). A bin is **hot** when significant at 95% after FDR (bin +2 or +3),
//! **cold** at -2 or -3.
//!
//! **Trend.** The Mann-Kendall test ([`crate::mann_kendall`]) on each cell's Gi* z-scores over
//! the steps; a trend counts when p < 0.05.
//!
//! **Categories** (8 hot, 8 cold mirroring them, and no pattern: ArcGIS's 17). With s steps,
//! h of them hot, c cold, the final one last:
//!
//! | category | rule (hot; cold mirrors it, "up" becoming "down") |
//! |---|---|
//! | historical | h >= 90% of s, final step not hot |
//! | intensifying | h >= 90% of s, final hot, trend significantly up |
//! | diminishing | h >= 90% of s, final hot, trend significantly down |
//! | persistent | h >= 90% of s, final hot, no significant trend |
//! | oscillating | h < 90% of s, final hot, cold at some earlier step |
//! | new | h < 90% of s, final hot, never hot nor cold before |
//! | consecutive | h < 90% of s, one uninterrupted run of >= 2 hot steps at the end, never hot nor cold before it |
//! | sporadic | h < 90% of s, final hot, on and off before, never cold |
//!
//! ArcGIS's definitions overlap in two places; csa decides them as follows. A series with
//! earlier cold steps that ends hot is oscillating (not new or consecutive: those "have never
//! been" significant before, which a cold spot was). A cell that is a historical hot spot and
//! also ends cold (oscillating cold) is classed by its final step: oscillating cold.
//!
//! Remaining differences from ArcGIS: ArcGIS's documentation does not state the confidence
//! level of "statistically significant" in these rules (csa: 95% after FDR for a step, p <
//! 0.05 for the trend); without a study area (polygon mask) ArcGIS analyses only the
//! locations with at least one crime in some step, while csa analyses every cell of the
//! grid over the points; and ArcGIS offers other conceptualisations of space (k nearest,
//! contiguity) and global windows, which csa does not.

use rayon::prelude::*;

use crate::fdr::fdr_bins_ln;
use crate::mann_kendall::{mann_kendall, MannKendall};
use crate::stats::{ln_two_sided_p, two_sided_p};
use crate::weights::Neighbours;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    New,
    Consecutive,
    Intensifying,
    Persistent,
    Diminishing,
    Sporadic,
    Oscillating,
    Historical,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Pattern::New => "new",
            Pattern::Consecutive => "consecutive",
            Pattern::Intensifying => "intensifying",
            Pattern::Persistent => "persistent",
            Pattern::Diminishing => "diminishing",
            Pattern::Sporadic => "sporadic",
            Pattern::Oscillating => "oscillating",
            Pattern::Historical => "historical",
        }
    }
}

/// A cell's category: a pattern of hot or cold spots, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub hot: bool,
    pub pattern: Pattern,
}

impl Category {
    /// e.g. "intensifying hot spot".
    pub fn label(self) -> String {
        format!("{} {} spot", self.pattern.name(), if self.hot { "hot" } else { "cold" })
    }
}

/// Space-time Gi* of a cube (see the module header), indexed `[step][cell]`.
#[derive(Debug, Clone)]
pub struct SpaceTimeGi {
    pub z: Vec<Vec<f64>>,
    pub p: Vec<Vec<f64>>,
    /// FDR confidence bins -3..=3 over the whole cube.
    pub bin: Vec<Vec<i8>>,
    /// k_i: cells within the band, the cell itself included (per step).
    pub n_neighbours: Vec<u32>,
    /// Earlier steps in each bin's neighbourhood (at most; fewer in the first steps).
    pub time_window: usize,
}

/// The result per cell.
#[derive(Debug, Clone)]
pub struct Emerging {
    pub gi: SpaceTimeGi,
    pub trend: Vec<MannKendall>,
    pub category: Vec<Option<Category>>,
}

impl Emerging {
    /// Steps at which cell `i` is hot (`sign` 1) or cold (`sign` -1) at 95%.
    pub fn steps_significant(&self, i: usize, sign: i8) -> usize {
        self.gi.bin.iter().filter(|b| b[i] * sign >= 2).count()
    }
}

/// Space-time Gi* of `counts[step][cell]` with spatial weights `w` and `time_window` earlier
/// steps in each neighbourhood.
pub fn space_time_gi(counts: &[Vec<f64>], w: &Neighbours, time_window: usize) -> SpaceTimeGi {
    let cells = w.len();
    let steps = counts.len();
    let n = (cells * steps) as f64;
    let all = || counts.iter().flat_map(|s| s.iter().copied());
    let mean = all().sum::<f64>() / n;
    let s = (all().map(|v| v * v).sum::<f64>() / n - mean * mean).max(0.0).sqrt();
    // spatial lag per step, then summed over each bin's time window
    let lag: Vec<Vec<f64>> = counts
        .par_iter()
        .map(|x| (0..cells).map(|i| w.of(i).iter().map(|&j| x[j as usize]).sum()).collect())
        .collect();
    let z: Vec<Vec<f64>> = (0..steps)
        .map(|t| {
            let first = t.saturating_sub(time_window);
            let width = (t - first + 1) as f64;
            (0..cells)
                .map(|i| {
                    let k = w.of(i).len() as f64 * width;
                    let sum: f64 = lag[first..=t].iter().map(|l| l[i]).sum();
                    let var = (n * k - k * k) / (n - 1.0);
                    if s > 0.0 && var > 0.0 {
                        (sum - mean * k) / (s * var.sqrt())
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let p: Vec<Vec<f64>> =
        z.iter().map(|row| row.iter().map(|&v| two_sided_p(v)).collect()).collect();
    let flat_z: Vec<f64> = z.iter().flatten().copied().collect();
    let flat_ln: Vec<f64> = flat_z.iter().map(|&v| ln_two_sided_p(v)).collect();
    let flat_bin = fdr_bins_ln(&flat_z, &flat_ln);
    let bin: Vec<Vec<i8>> = if cells == 0 {
        vec![Vec::new(); steps]
    } else {
        flat_bin.chunks(cells).map(<[i8]>::to_vec).collect()
    };
    let n_neighbours = (0..cells).map(|i| w.of(i).len() as u32).collect();
    SpaceTimeGi { z, p, bin, n_neighbours, time_window }
}

/// Classifies one cell from its state per step (hot: 1, cold: -1, else 0) and its trend.
pub fn classify(state: &[i8], trend: MannKendall) -> Option<Category> {
    let significant = trend.p < 0.05;
    let hot = pattern(state, significant, trend.z, 1);
    let cold = pattern(state, significant, trend.z, -1);
    match (hot, cold) {
        // historical hot that ends cold: the final step decides (see the header)
        (Some(Pattern::Historical), Some(c)) => Some(Category { hot: false, pattern: c }),
        (Some(h), _) => Some(Category { hot: true, pattern: h }),
        (None, Some(c)) => Some(Category { hot: false, pattern: c }),
        (None, None) => None,
    }
}

/// The pattern of `sign` spots (1 hot, -1 cold); the trend runs towards `sign` when its z
/// has that sign.
fn pattern(state: &[i8], significant: bool, z: f64, sign: i8) -> Option<Pattern> {
    let s = state.len();
    let on = |v: i8| v == sign;
    let h = state.iter().filter(|&&v| on(v)).count();
    let last = *state.last()?;
    if h == 0 {
        return None;
    }
    if h as f64 >= 0.9 * s as f64 {
        let toward = z * f64::from(sign) > 0.0;
        return Some(match (on(last), significant, toward) {
            (false, _, _) => Pattern::Historical,
            (true, true, true) => Pattern::Intensifying,
            (true, true, false) => Pattern::Diminishing,
            (true, false, _) => Pattern::Persistent,
        });
    }
    if !on(last) {
        return None;
    }
    if state.iter().any(|&v| v == -sign) {
        return Some(Pattern::Oscillating);
    }
    if h == 1 {
        return Some(Pattern::New);
    }
    let run = state.iter().rev().take_while(|&&v| on(v)).count();
    Some(if run == h { Pattern::Consecutive } else { Pattern::Sporadic })
}

/// Space-time Gi* of `counts[step][cell]` with weights `w` and `time_window` earlier steps,
/// each cell's trend and category.
pub fn emerging(counts: &[Vec<f64>], w: &Neighbours, time_window: usize) -> Emerging {
    let gi = space_time_gi(counts, w, time_window);
    let cells = w.len();
    let mut trend = Vec::with_capacity(cells);
    let mut category = Vec::with_capacity(cells);
    for i in 0..cells {
        let z: Vec<f64> = gi.z.iter().map(|row| row[i]).collect();
        let state: Vec<i8> =
            gi.bin.iter().map(|b| i8::from(b[i] >= 2) - i8::from(b[i] <= -2)).collect();
        let t = mann_kendall(&z);
        trend.push(t);
        category.push(classify(&state, t));
    }
    Emerging { gi, trend, category }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk(z: f64, p: f64) -> MannKendall {
        MannKendall { s: 0, z, p }
    }

    #[test]
    fn categories_and_their_precedence() {
        let none = mk(0.0, 1.0);
        let up = mk(3.0, 0.001);
        let down = mk(-3.0, 0.001);
        let c = |s: &[i8], t| classify(s, t).map(|c| c.label());
        let all = [1i8; 10];
        assert_eq!(c(&all, up).as_deref(), Some("intensifying hot spot"));
        assert_eq!(c(&all, down).as_deref(), Some("diminishing hot spot"));
        assert_eq!(c(&all, none).as_deref(), Some("persistent hot spot"));
        // 9 of 10 hot (90%), final not hot
        assert_eq!(
            c(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 0], none).as_deref(),
            Some("historical hot spot")
        );
        // ... and final cold: the final step decides
        assert_eq!(
            c(&[1, 1, 1, 1, 1, 1, 1, 1, 1, -1], none).as_deref(),
            Some("oscillating cold spot")
        );
        assert_eq!(c(&[0, 0, 0, 0, 1], none).as_deref(), Some("new hot spot"));
        assert_eq!(c(&[0, 0, 0, 1, 1], none).as_deref(), Some("consecutive hot spot"));
        assert_eq!(c(&[0, 1, 0, 1, 1], none).as_deref(), Some("sporadic hot spot"));
        assert_eq!(c(&[-1, 0, 1, 0, 1], none).as_deref(), Some("oscillating hot spot"));
        // earlier cold steps ending hot: oscillating, not new nor consecutive
        assert_eq!(c(&[-1, 0, 0, 0, 1], none).as_deref(), Some("oscillating hot spot"));
        assert_eq!(c(&[0, -1, 0, 1, 1], none).as_deref(), Some("oscillating hot spot"));
        assert_eq!(c(&[0, 1, 0, 0, 0], none), None);
        // cold mirrors: a falling cold series is intensifying cold
        assert_eq!(c(&[-1; 10], down).as_deref(), Some("intensifying cold spot"));
        assert_eq!(c(&[-1; 10], up).as_deref(), Some("diminishing cold spot"));
        assert_eq!(c(&[0, 0, 0, 0, -1], none).as_deref(), Some("new cold spot"));
        assert_eq!(c(&[1, 0, -1, 0, -1], none).as_deref(), Some("oscillating cold spot"));
        assert_eq!(c(&[0, 0, 0, 0, 0], up), None);
    }

    /// A hand-built cube: one cell per category (16 and no pattern) among 1,000 cells that
    /// never change, 10 steps, time window 1, each cell its only spatial neighbour. Each
    /// designed cell's bin sums (its count plus the step before) sit 8 above (hot), 8 below
    /// (cold) or at twice the background count of 20; the counts follow from those sums.
    /// Categories, states and z-scores checked against an independent numpy/scipy run.
    #[test]
    fn one_cell_per_category() {
        let (b, d) = (20.0, 8.0);
        let flat =
            |states: &[i8]| -> Vec<f64> { states.iter().map(|&s| f64::from(s) * d).collect() };
        let ramp = |from: f64, step: f64| -> Vec<f64> {
            (0..10).map(|t| from + step * t as f64).collect()
        };
        let mut designed: Vec<(&str, Vec<f64>)> = vec![
            ("new hot spot", flat(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ("consecutive hot spot", flat(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1])),
            ("intensifying hot spot", ramp(6.0, 1.0)),
            ("persistent hot spot", flat(&[1; 10])),
            ("diminishing hot spot", ramp(15.0, -1.0)),
            ("sporadic hot spot", flat(&[0, 1, 0, 0, 1, 0, 1, 0, 0, 1])),
            ("oscillating hot spot", flat(&[0, -1, 0, 0, 1, 0, -1, 0, 0, 1])),
            ("historical hot spot", flat(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 0])),
        ];
        let cold: Vec<(String, Vec<f64>)> = designed
            .iter()
            .map(|(l, v)| (l.replace("hot", "cold"), v.iter().map(|x| -x).collect()))
            .collect();
        let cold_labels: Vec<String> = cold.iter().map(|c| c.0.clone()).collect();
        for (i, (_, v)) in cold.into_iter().enumerate() {
            designed.push((cold_labels[i].as_str(), v));
        }
        designed.push(("no pattern", flat(&[0, 0, 1, 0, 0, 0, 0, 0, 0, 0])));
        // counts from the bin sums: x_0 = b + d_0, x_t = 2b + d_t - x_(t-1)
        let series: Vec<Vec<f64>> = designed
            .iter()
            .map(|(_, dev)| {
                let mut x: Vec<f64> = Vec::new();
                for (t, dv) in dev.iter().enumerate() {
                    let v = if t == 0 { b + dv } else { 2.0 * b + dv - x[t - 1] };
                    x.push(v);
                }
                x
            })
            .collect();
        assert!(series.iter().flatten().all(|v| *v >= 0.0));
        assert_eq!(series[6], vec![20.0, 12.0, 28.0, 12.0, 36.0, 4.0, 28.0, 12.0, 28.0, 20.0]);
        let cells = designed.len() + 1000;
        let counts: Vec<Vec<f64>> = (0..10)
            .map(|t| (0..cells).map(|i| series.get(i).map_or(b, |x| x[t])).collect())
            .collect();
        // cells 100 m apart, band 1 m: each its own only neighbour
        let sites: Vec<[f64; 2]> = (0..cells).map(|i| [i as f64 * 100.0, 0.0]).collect();
        let w = Neighbours::distance_band(&sites, 1.0);
        let e = emerging(&counts, &w, 1);
        for (i, (label, _)) in designed.iter().enumerate() {
            let got = e.category[i].map_or("no pattern".to_string(), |c| c.label());
            assert_eq!(&got, label, "cell {i}");
        }
        assert!(e.category[designed.len()..].iter().all(Option::is_none));
        // numpy: mean 20, S 0.8561191620713233; z of the new hot spot's last step (K = 2) and
        // of the persistent hot spot's first (K = 1, no earlier step) and second steps
        assert!((e.gi.z[9][0] - 6.607_879_676_973_682).abs() < 1e-9, "{}", e.gi.z[9][0]);
        assert!((e.gi.z[0][3] - 9.344_493_564_008_697).abs() < 1e-9);
        assert!((e.gi.z[1][3] - 6.607_879_676_973_682).abs() < 1e-9);
        // scipy Mann-Kendall z of the intensifying and historical hot spots' Gi* series
        assert!((e.trend[2].z - 3.578).abs() < 1e-3 && e.trend[2].p < 0.05);
        assert!((e.trend[7].z + 2.071).abs() < 1e-3);
        assert_eq!(e.steps_significant(6, 1), 2);
        assert_eq!(e.steps_significant(6, -1), 2);
        // time window 0 (each step alone) sees different sums: the counts alternate, so the
        // persistent hot spot is hot only every other step
        let alone = emerging(&counts, &w, 0);
        assert_ne!(alone.category[3], e.category[3]);
    }

    /// Space-time Gi* with real spatial neighbours (a 4 x 4 grid, the four edge cells and
    /// itself) over 4 steps, for time windows 0, 1 and 2: z against numpy.
    #[test]
    fn space_time_z_by_an_independent_implementation() {
        let cells = 16;
        let counts: Vec<Vec<f64>> = (0..4)
            .map(|t| (0..cells).map(|i| ((i * 7 + t * 3 + i * t) % 5) as f64).collect())
            .collect();
        let sites: Vec<[f64; 2]> = (0..cells).map(|i| [(i % 4) as f64, (i / 4) as f64]).collect();
        let w = Neighbours::distance_band(&sites, 1.0);
        for (cell, step, window, z) in [
            (0, 0, 1, -0.934_957_807_460_109),
            (5, 2, 1, -3.322_215_577_813_625_8),
            (15, 3, 1, 0.052_830_954_926_253_684),
            (5, 3, 2, -1.363_219_158_069_421),
            (10, 1, 2, -2.191_248_572_600_476_7),
            (6, 3, 0, 2.343_051_900_352_417_5),
        ] {
            let g = space_time_gi(&counts, &w, window);
            assert!(
                (g.z[step][cell] - z).abs() < 1e-12,
                "{cell} {step} {window}: {}",
                g.z[step][cell]
            );
        }
    }
}
