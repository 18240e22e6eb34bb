//! Knox test for near repeats (the Near Repeat Calculator's method), seeded and without an
//! n x n distance matrix.
//!
//! Every pair of events {i, j} falls in one spatial band and one time band, bands being
//! [a, b) intervals from the edges given (distance in metres, Euclidean or Manhattan; time
//! gap in whole days), plus a last open band [last edge, infinity) of each. The observed
//! table counts pairs per (space band, time band). Monte Carlo: the event days are shuffled
//! among the events (positions fixed) and the table re-counted, R times (default 999), each
//! permutation from its own stream of the seeded generator.
//!
//! ```text
//! expected = mean of the R simulated counts
//! Knox ratio = observed / expected
//! p = (number of simulations with count >= observed + 1) / (R + 1)
//! ```
//!
//! Only pairs closer than the last spatial edge are enumerated (R-tree radius queries); the
//! open spatial band is a difference: pairs in a time band overall (which shuffling does not
//! change: the multiset of pairwise gaps is the same) minus those within the edges.

use csa_model::rng::Rng;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// How distance between two events is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Euclidean,
    Manhattan,
}

/// Knox test parameters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KnoxOptions {
    /// Spatial band edges in metres, ascending from 0 (e.g. 0, 1, 100, 200: same place,
    /// 1-100 m, 100-200 m, then 200 m and over).
    pub space_edges: Vec<f64>,
    /// Time band edges in days, ascending from 0 (e.g. 0, 7, 14: 0-6 days, 7-13, then 14+).
    pub time_edges: Vec<i64>,
    pub metric: Metric,
    pub permutations: usize,
    pub seed: u64,
}

/// One cell of the Knox table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KnoxCell {
    /// [from, to) metres; `to` is None for the open band.
    pub space_from: f64,
    pub space_to: Option<f64>,
    /// [from, to) days; `to` is None for the open band.
    pub time_from: i64,
    pub time_to: Option<i64>,
    pub observed: u64,
    pub expected: f64,
    pub knox_ratio: f64,
    pub p: f64,
}

#[derive(Debug, Clone)]
pub struct Knox {
    pub events: usize,
    pub pairs: u64,
    pub cells: Vec<KnoxCell>,
}

/// Checks edges: 1 to 64 of them, the first 0, strictly ascending.
pub fn check_edges<T: PartialOrd + Copy + Default + std::fmt::Debug>(
    edges: &[T],
    what: &str,
) -> Result<(), String> {
    if edges.is_empty() || edges[0] != T::default() {
        return Err(format!("{what} edges must start at 0, got {edges:?}"));
    }
    if edges.windows(2).any(|w| w[1] <= w[0]) {
        return Err(format!("{what} edges must be strictly ascending, got {edges:?}"));
    }
    if edges.len() > 64 {
        return Err(format!("at most 64 {what} edges, got {}", edges.len()));
    }
    Ok(())
}

/// Runs the test on events at `points` (BNG metres) on `days` (any day count).
pub fn knox(points: &[[f64; 2]], days: &[i64], o: &KnoxOptions) -> Result<Knox, String> {
    check_edges(&o.space_edges, "space")?;
    check_edges(&o.time_edges, "time")?;
    if points.len() != days.len() {
        return Err("one day per event is needed".into());
    }
    let n = points.len();
    let ns = o.space_edges.len(); // bands: ns - 1 closed + 1 open
    let nt = o.time_edges.len();
    let max_d = *o.space_edges.last().unwrap_or(&0.0);
    // close pairs (distance < last edge) with their spatial band
    let tree = RTree::bulk_load(
        points.iter().enumerate().map(|(i, p)| GeomWithData::new(*p, i as u32)).collect(),
    );
    // a Manhattan distance below D implies a Euclidean one below D
    let r2 = max_d * max_d;
    let pairs: Vec<(u32, u32, u8)> = points
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, p)| {
            let mut v = Vec::new();
            for g in tree.locate_within_distance(*p, r2) {
                let j = g.data as usize;
                if j <= i {
                    continue;
                }
                let (dx, dy) = ((g.geom()[0] - p[0]).abs(), (g.geom()[1] - p[1]).abs());
                let d = match o.metric {
                    Metric::Euclidean => (dx * dx + dy * dy).sqrt(),
                    Metric::Manhattan => dx + dy,
                };
                if d < max_d {
                    let band = o.space_edges.partition_point(|e| *e <= d) - 1;
                    v.push((i as u32, j as u32, band as u8));
                }
            }
            v.into_iter()
        })
        .collect();
    // day gap -> time band, up to the last edge; beyond it, the open band
    let max_t = *o.time_edges.last().unwrap_or(&0);
    let band_of_gap: Vec<u8> =
        (0..max_t).map(|g| (o.time_edges.partition_point(|e| *e <= g) - 1) as u8).collect();
    let open_t = (nt - 1) as u8;
    let tb = |gap: i64| if gap < max_t { band_of_gap[gap as usize] } else { open_t };
    let table = |d: &[i64]| {
        let mut t = vec![0u64; ns * nt];
        for &(i, j, s) in &pairs {
            let gap = (d[i as usize] - d[j as usize]).abs();
            t[s as usize * nt + tb(gap) as usize] += 1;
        }
        t
    };
    let observed = table(days);
    let sims: Vec<Vec<u64>> = (0..o.permutations)
        .into_par_iter()
        .map(|r| {
            let mut rng = Rng::new(o.seed, r as u64);
            let mut d = days.to_vec();
            for k in (1..d.len()).rev() {
                d.swap(k, rng.below(k + 1));
            }
            table(&d)
        })
        .collect();
    // all pairs per time band (any distance), from the sorted days
    let mut sorted = days.to_vec();
    sorted.sort_unstable();
    let mut all_t = vec![0u64; nt];
    for (i, &d) in sorted.iter().enumerate() {
        let mut lo = i + 1;
        for (b, count) in all_t.iter_mut().enumerate() {
            let hi = if b + 1 < nt {
                sorted.partition_point(|&x| x < d + o.time_edges[b + 1])
            } else {
                n
            };
            let hi = hi.max(lo);
            *count += (hi - lo) as u64;
            lo = hi;
        }
    }
    let open_row = |t: &[u64]| -> Vec<u64> {
        (0..nt).map(|b| all_t[b] - (0..ns - 1).map(|s| t[s * nt + b]).sum::<u64>()).collect()
    };
    let fill = |t: &mut Vec<u64>| {
        let row = open_row(t);
        t[(ns - 1) * nt..].copy_from_slice(&row);
    };
    let mut observed = observed;
    fill(&mut observed);
    let sims: Vec<Vec<u64>> = sims
        .into_iter()
        .map(|mut s| {
            fill(&mut s);
            s
        })
        .collect();
    let r = o.permutations as f64;
    let mut cells = Vec::with_capacity(ns * nt);
    for s in 0..ns {
        for t in 0..nt {
            let k = s * nt + t;
            let obs = observed[k];
            let expected = if o.permutations > 0 {
                sims.iter().map(|v| v[k] as f64).sum::<f64>() / r
            } else {
                f64::NAN
            };
            let ge = sims.iter().filter(|v| v[k] >= obs).count();
            cells.push(KnoxCell {
                space_from: o.space_edges[s],
                space_to: o.space_edges.get(s + 1).copied(),
                time_from: o.time_edges[t],
                time_to: o.time_edges.get(t + 1).copied(),
                observed: obs,
                expected,
                knox_ratio: if expected > 0.0 { obs as f64 / expected } else { f64::NAN },
                p: (ge + 1) as f64 / (r + 1.0),
            });
        }
    }
    let pairs_total = (n as u64) * (n as u64).saturating_sub(1) / 2;
    Ok(Knox { events: n, pairs: pairs_total, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(metric: Metric) -> KnoxOptions {
        KnoxOptions {
            space_edges: vec![0.0, 100.0, 200.0],
            time_edges: vec![0, 7, 14],
            metric,
            permutations: 99,
            seed: 3,
        }
    }

    #[test]
    fn counted_by_hand() {
        // four events:            position      day
        //   A                     (0, 0)        0
        //   B                     (60, 80)      3     |AB| = 100 (Manhattan 140)
        //   C                     (0, 50)       10    |AC| = 50, |BC| = 67.1 (M 90)
        //   D                     (1000, 0)     30    far from all
        // pairs: AB d100 g3; AC d50 g10; AD d1000 g30; BC d67 g7; BD d~943 g27; CD d~1001 g20
        let pts = [[0.0, 0.0], [60.0, 80.0], [0.0, 50.0], [1000.0, 0.0]];
        let days = [0, 3, 10, 30];
        let k = knox(&pts, &days, &opts(Metric::Euclidean)).unwrap_or_else(|e| panic!("{e}"));
        let obs: Vec<u64> = k.cells.iter().map(|c| c.observed).collect();
        // rows: [0,100) [100,200) [200,inf); columns: [0,7) [7,14) [14,inf)
        // [0,100): AC g10 -> [7,14); BC g7 -> [7,14)      => 0 2 0
        // [100,200): AB (100 is in [100, 200)) g3 -> [0,7) => 1 0 0
        // [200,inf): AD g30, BD g27, CD g20 -> [14,inf)    => 0 0 3
        assert_eq!(obs, vec![0, 2, 0, 1, 0, 0, 0, 0, 3]);
        assert_eq!(k.pairs, 6);
        assert_eq!(k.cells.iter().map(|c| c.observed).sum::<u64>(), 6);
        // Manhattan: AB 140 -> [100,200); BC 90 -> [0,100); AC 50 -> [0,100): same table here
        let m = knox(&pts, &days, &opts(Metric::Manhattan)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.cells.iter().map(|c| c.observed).collect::<Vec<_>>(), obs);
        // every simulated table also sums to all pairs, so expectations sum to 6
        let e: f64 = k.cells.iter().map(|c| c.expected).sum();
        assert!((e - 6.0).abs() < 1e-9);
        // deterministic
        assert_eq!(
            knox(&pts, &days, &opts(Metric::Euclidean)).map(|k| k.cells).ok(),
            Some(k.cells.clone())
        );
        assert!(knox(
            &pts,
            &days,
            &KnoxOptions { space_edges: vec![10.0], ..opts(Metric::Euclidean) }
        )
        .is_err());
    }
}
