//! Nearest-neighbour hierarchical clustering (NNH) in the manner of CrimeStat.
//!
//! The linking threshold comes from the nearest-neighbour distance expected under complete
//! spatial randomness for N points on an area A:
//!
//! ```text
//! E(d) = 0.5 sqrt(A / N)          mean random nearest-neighbour distance
//! SE(d) = 0.26136 sqrt(A / N^2)   its standard error
//! threshold = E(d) + z_p SE(d)    z_p = Phi^-1(p), p the one-tailed probability chosen
//! ```
//!
//! so that with p = 0.05 a pair is linked only when closer than all but 5% of mean random
//! nearest-neighbour distances would be (smaller p: tighter clusters). Points closer than the
//! threshold are linked (single linkage, found with R-tree radius queries); a linked group of
//! at least `min_points` points is a first-order cluster. Higher orders cluster the mean
//! centres of the clusters of the order below the same way (N = their number, same A), each
//! higher cluster covering every crime of its members, until fewer than `min_points`
//! clusters remain or no cluster forms.

use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::clusters::{summarise, Cluster, UnionFind};
use crate::stats::normal_quantile;

/// One order of clusters.
#[derive(Debug, Clone)]
pub struct NnhOrder {
    pub order: usize,
    /// Points clustered at this order (crimes at order 1, cluster centres above).
    pub n: usize,
    pub threshold_m: f64,
    /// Members are crime indices at every order.
    pub clusters: Vec<Cluster>,
}

/// The linking threshold for `n` points on `area_m2` at one-tailed probability `p`.
pub fn threshold(n: usize, area_m2: f64, p: f64) -> f64 {
    let n = n as f64;
    0.5 * (area_m2 / n).sqrt() + normal_quantile(p) * 0.26136 * (area_m2 / (n * n)).sqrt()
}

/// Clusters of `points` (groups of linked points with at least `min_points`).
fn link(points: &[[f64; 2]], d: f64, min_points: usize) -> Vec<Option<u32>> {
    let tree = RTree::bulk_load(
        points.iter().enumerate().map(|(i, p)| GeomWithData::new(*p, i as u32)).collect(),
    );
    let d2 = d * d;
    let links: Vec<(u32, u32)> = points
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, p)| {
            tree.locate_within_distance(*p, d2)
                .filter(|g| g.data as usize > i)
                .filter(|g| (g.geom()[0] - p[0]).powi(2) + (g.geom()[1] - p[1]).powi(2) < d2)
                .map(|g| (i as u32, g.data))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut uf = UnionFind::new(points.len());
    for (a, b) in links {
        uf.union(a, b);
    }
    let roots: Vec<u32> = (0..points.len() as u32).map(|i| uf.find(i)).collect();
    let mut size = vec![0usize; points.len()];
    for r in &roots {
        size[*r as usize] += 1;
    }
    roots.iter().map(|&r| (size[r as usize] >= min_points).then_some(r)).collect()
}

/// NNH up to `max_orders` orders.
pub fn nnh(
    points: &[[f64; 2]],
    area_m2: f64,
    p: f64,
    min_points: usize,
    max_orders: usize,
) -> Vec<NnhOrder> {
    let mut orders = Vec::new();
    // at each order: the points clustered, and the crimes behind each of them
    let mut sites: Vec<[f64; 2]> = points.to_vec();
    let mut crimes_of: Vec<Vec<u32>> = (0..points.len() as u32).map(|i| vec![i]).collect();
    for order in 1..=max_orders {
        if sites.len() < min_points.max(2) {
            break;
        }
        let t = threshold(sites.len(), area_m2, p);
        let labels = link(&sites, t, min_points);
        // expand to crimes: every crime takes its site's label
        let mut crime_labels: Vec<Option<u32>> = vec![None; points.len()];
        for (s, l) in labels.iter().enumerate() {
            for &c in &crimes_of[s] {
                crime_labels[c as usize] = *l;
            }
        }
        let (clusters, _) = summarise(points, &crime_labels);
        if clusters.is_empty() {
            break;
        }
        sites = clusters.iter().map(|c| c.centre).collect();
        crimes_of = clusters.iter().map(|c| c.members.clone()).collect();
        orders.push(NnhOrder { order, n: labels.len(), threshold_m: t, clusters });
    }
    orders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_formula() {
        // A = 1e8 m2, N = 10,000: E = 0.5 sqrt(1e4) = 50, SE = 0.26136 sqrt(1e8 / 1e8) = 0.26136
        let t = threshold(10_000, 1e8, 0.5);
        assert!((t - 50.0).abs() < 1e-9);
        let t = threshold(10_000, 1e8, 0.05);
        assert!((t - (50.0 - 1.644_853_626_951_472 * 0.26136)).abs() < 1e-9);
    }

    #[test]
    fn finds_tight_groups_and_their_parents() {
        // on 1 km2 with 40 points, threshold ~ 0.5 sqrt(1e6/40) = 79 m at p = 0.5
        let mut pts = Vec::new();
        // four groups of 5 points 10 m apart; groups 0-1 and 2-3 are 60 m apart, the pairs far apart
        for (gx, gy) in [(100.0, 100.0), (160.0, 100.0), (800.0, 800.0), (860.0, 800.0)] {
            for k in 0..5 {
                pts.push([gx + k as f64 * 2.0, gy]);
            }
        }
        // 20 scattered points, far from each other
        for k in 0..20 {
            pts.push([(k % 5) as f64 * 190.0 + 30.0, 300.0 + (k / 5) as f64 * 120.0]);
        }
        let orders = nnh(&pts, 1e6, 0.5, 5, 3);
        // at 79 m groups 0 and 1 (60 m apart) link into one 10-point cluster, likewise 2 and 3
        assert_eq!(orders[0].clusters.len(), 2);
        assert_eq!(orders[0].clusters[0].count, 10);
        // two centres are fewer than min_points: no second order
        assert_eq!(orders.len(), 1);
        // a stricter p (tighter threshold) splits them only if the threshold falls below 60 m
        let tight = nnh(&pts, 1e6, 1e-9, 5, 1);
        assert!(tight[0].threshold_m < 60.0);
        assert_eq!(tight[0].clusters.len(), 4);
    }
}
