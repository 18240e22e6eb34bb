//! DBSCAN (Ester et al. 1996) in BNG metres.
//!
//! A point is a **core** point when at least `min_points` points (itself included, as in
//! scikit-learn) lie within `eps` metres of it. Core points within `eps` of each other share
//! a cluster (connected components, union-find); a non-core point within `eps` of a core point
//! is a **border** point and joins the cluster of its nearest core point (ties: the lowest
//! index), which makes the result independent of visiting order, unlike the textbook
//! expansion; every other point is **noise**.
//!
//! Neighbour counts and core links come from R-tree radius queries run in parallel; the links
//! are merged in blocks, so memory stays at one block of links.

use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::clusters::{summarise, Cluster, UnionFind};

/// DBSCAN labels and cluster summaries.
#[derive(Debug, Clone)]
pub struct Dbscan {
    pub clusters: Vec<Cluster>,
    /// Cluster id of each point, 0 = noise.
    pub cluster_of: Vec<u32>,
    pub core: Vec<bool>,
}

pub fn dbscan(points: &[[f64; 2]], eps: f64, min_points: usize) -> Dbscan {
    let tree = RTree::bulk_load(
        points.iter().enumerate().map(|(i, p)| GeomWithData::new(*p, i as u32)).collect(),
    );
    let e2 = eps * eps;
    let core: Vec<bool> = points
        .par_iter()
        .map(|p| tree.locate_within_distance(*p, e2).take(min_points).count() >= min_points)
        .collect();
    let mut uf = UnionFind::new(points.len());
    const BLOCK: usize = 65_536;
    for start in (0..points.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(points.len());
        let links: Vec<(u32, u32)> = (start..end)
            .into_par_iter()
            .filter(|&i| core[i])
            .flat_map_iter(|i| {
                tree.locate_within_distance(points[i], e2)
                    .filter(|g| g.data as usize > i && core[g.data as usize])
                    .map(|g| (i as u32, g.data))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (a, b) in links {
            uf.union(a, b);
        }
    }
    let border_core: Vec<Option<u32>> = points
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            if core[i] {
                return Some(i as u32);
            }
            tree.locate_within_distance(*p, e2)
                .filter(|g| core[g.data as usize])
                .map(|g| ((g.geom()[0] - p[0]).powi(2) + (g.geom()[1] - p[1]).powi(2), g.data))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(_, j)| j)
        })
        .collect();
    let labels: Vec<Option<u32>> = border_core.iter().map(|c| c.map(|c| uf.find(c))).collect();
    let (clusters, cluster_of) = summarise(points, &labels);
    Dbscan { clusters, cluster_of, core }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructed_clusters() {
        // two tight blobs (a 5 x 5 lattice, 10 m apart, and a 3 x 3 one), a border point
        // 25 m off the first blob's corner, and isolated noise
        let mut pts = Vec::new();
        for i in 0..25 {
            pts.push([1000.0 + (i % 5) as f64 * 10.0, 1000.0 + (i / 5) as f64 * 10.0]);
        }
        for i in 0..9 {
            pts.push([5000.0 + (i % 3) as f64 * 10.0, 5000.0 + (i / 3) as f64 * 10.0]);
        }
        pts.push([1040.0 + 15.0, 1040.0 + 20.0]); // 25 m from (1040, 1040): border
        pts.push([3000.0, 3000.0]); // noise
        let d = dbscan(&pts, 15.0, 4);
        assert_eq!(d.clusters.len(), 2);
        assert_eq!(d.clusters[0].count, 25);
        assert_eq!(d.clusters[1].count, 9);
        assert!(d.cluster_of[..25].iter().all(|&c| c == 1));
        assert!(d.cluster_of[25..34].iter().all(|&c| c == 2));
        // 25 m is beyond eps: the far point is noise, as is the isolated one
        assert_eq!(d.cluster_of[34], 0);
        assert_eq!(d.cluster_of[35], 0);
        // a point 12 m from the corner with no other near point is a border point
        pts.push([1052.0, 1040.0]);
        let d = dbscan(&pts, 15.0, 4);
        assert!(!d.core[36]);
        assert_eq!(d.cluster_of[36], 1);
        assert_eq!(d.clusters[0].count, 26);
    }
}
