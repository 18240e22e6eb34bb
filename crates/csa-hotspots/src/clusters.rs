//! What NNH and DBSCAN share: union-find over point indices, cluster summaries with their
//! convex hulls, and repeat-location counts.
//!
//! A cluster summary gives the number of points, their mean centre and the convex hull of
//! the points (`geo::ConvexHull`, QuickHull); clusters are numbered from 1 by descending
//! size, ties by their lowest point index, so numbering is deterministic.

use geo::{ConvexHull, MultiPoint, Point, Polygon};
use rustc_hash::FxHashMap;

/// Disjoint sets with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    pub fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let g = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = g;
            i = g;
        }
        i
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// One cluster of points.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// 1 = largest.
    pub id: usize,
    pub count: usize,
    /// Mean centre, BNG metres.
    pub centre: [f64; 2],
    /// Convex hull of the members (degenerate for fewer than three distinct points).
    pub hull: Polygon<f64>,
    /// Point indices, ascending.
    pub members: Vec<u32>,
}

/// Clusters from a label per point (`None` = noise or unclustered), numbered by size.
/// Returns the clusters and each point's cluster id (0 = none).
pub fn summarise(points: &[[f64; 2]], labels: &[Option<u32>]) -> (Vec<Cluster>, Vec<u32>) {
    let mut groups: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for (i, l) in labels.iter().enumerate() {
        if let Some(l) = l {
            groups.entry(*l).or_default().push(i as u32);
        }
    }
    let mut groups: Vec<Vec<u32>> = groups.into_values().collect();
    groups.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    let mut id_of = vec![0u32; points.len()];
    let clusters = groups
        .into_iter()
        .enumerate()
        .map(|(k, members)| {
            let n = members.len() as f64;
            let cx = members.iter().map(|&i| points[i as usize][0]).sum::<f64>() / n;
            let cy = members.iter().map(|&i| points[i as usize][1]).sum::<f64>() / n;
            for &i in &members {
                id_of[i as usize] = k as u32 + 1;
            }
            let mp: MultiPoint<f64> = members
                .iter()
                .map(|&i| Point::new(points[i as usize][0], points[i as usize][1]))
                .collect();
            Cluster {
                id: k + 1,
                count: members.len(),
                centre: [cx, cy],
                hull: mp.convex_hull(),
                members,
            }
        })
        .collect();
    (clusters, id_of)
}

/// A point where more than one crime was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatLocation {
    pub x: f64,
    pub y: f64,
    pub count: usize,
}

/// Crimes per exact point (positions equal to the metre), for points with two or more,
/// most first (ties west to east, then south to north).
pub fn repeat_locations(points: &[[f64; 2]]) -> Vec<RepeatLocation> {
    let mut counts: FxHashMap<(i64, i64), usize> = FxHashMap::default();
    for p in points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
        *counts.entry((p[0].round() as i64, p[1].round() as i64)).or_default() += 1;
    }
    let mut out: Vec<RepeatLocation> = counts
        .into_iter()
        .filter(|(_, c)| *c >= 2)
        .map(|((x, y), count)| RepeatLocation { x: x as f64, y: y as f64, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.x.total_cmp(&b.x)).then(a.y.total_cmp(&b.y)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_and_summaries() {
        let mut uf = UnionFind::new(5);
        uf.union(0, 1);
        uf.union(3, 4);
        uf.union(1, 4);
        assert_eq!(uf.find(0), uf.find(3));
        assert_ne!(uf.find(2), uf.find(0));
        let pts =
            [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [100.0, 100.0], [100.0, 100.0], [50.0, 50.0]];
        let (c, ids) = summarise(&pts, &[Some(7), Some(7), Some(7), Some(2), Some(2), None]);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].id, c[0].count, c[1].count), (1, 3, 2));
        assert_eq!(ids, vec![1, 1, 1, 2, 2, 0]);
        assert!((c[0].centre[0] - 10.0 / 3.0).abs() < 1e-12);
        use geo::Area;
        assert!((c[0].hull.unsigned_area() - 50.0).abs() < 1e-9);
        let r = repeat_locations(&pts);
        assert_eq!(r, vec![RepeatLocation { x: 100.0, y: 100.0, count: 2 }]);
    }
}
