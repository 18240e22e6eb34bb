//! Quartic (biweight) kernel density on grid cell centres.
//!
//! ```text
//! density(p) = sum_i (3 / (pi h^2)) (1 - d_i^2 / h^2)^2   over points i with d_i < h
//! ```
//!
//! in points per square metre (reported per square kilometre, x 1e6), where d_i is the
//! distance from p to point i and h the bandwidth. The kernel integrates to 1, so the density
//! summed over a fine grid times the cell area gives back the number of points (less what
//! falls outside the grid).
//!
//! **Default bandwidth** (ArcGIS Kernel Density's rule, a spatial Silverman rule):
//! h = 0.9 min(SD, sqrt(1 / ln 2) Dm) n^-0.2, where SD is the standard distance
//! sqrt(sum ((x - xbar)^2 + (y - ybar)^2) / n) and Dm the median distance to the mean centre.
//!
//! Points near each cell centre come from an R-tree radius query; cells run in parallel.

use rayon::prelude::*;
use rstar::RTree;

use crate::grid::Grid;

/// Density per square kilometre at each cell centre of `grid`.
pub fn density(points: &[[f64; 2]], grid: &Grid, bandwidth: f64) -> Vec<f64> {
    let tree = RTree::bulk_load(
        points.iter().copied().filter(|p| p[0].is_finite() && p[1].is_finite()).collect(),
    );
    let h2 = bandwidth * bandwidth;
    let norm = 3.0 / (std::f64::consts::PI * h2) * 1e6;
    (0..grid.len()).into_par_iter().map(|i| density_at(&tree, grid.centre(i), h2, norm)).collect()
}

fn density_at(tree: &RTree<[f64; 2]>, c: [f64; 2], h2: f64, norm: f64) -> f64 {
    let mut sum = 0.0;
    for p in tree.locate_within_distance(c, h2) {
        let d2 = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
        if d2 < h2 {
            let u = 1.0 - d2 / h2;
            sum += u * u;
        }
    }
    sum * norm
}

/// The ArcGIS default bandwidth (module header); `None` for fewer than two distinct points.
pub fn default_bandwidth(points: &[[f64; 2]]) -> Option<f64> {
    let pts: Vec<[f64; 2]> =
        points.iter().copied().filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let mx = pts.iter().map(|p| p[0]).sum::<f64>() / n;
    let my = pts.iter().map(|p| p[1]).sum::<f64>() / n;
    let mut d: Vec<f64> =
        pts.iter().map(|p| ((p[0] - mx).powi(2) + (p[1] - my).powi(2)).sqrt()).collect();
    let sd = (d.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
    d.sort_by(f64::total_cmp);
    let m = d.len();
    let median = if m % 2 == 1 { d[m / 2] } else { (d[m / 2 - 1] + d[m / 2]) / 2.0 };
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * median) * n.powf(-0.2);
    (h > 0.0).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn against_the_direct_formula() {
        // three points; grid of 100 m cells over them
        let pts = [[1000.0, 1000.0], [1150.0, 1000.0], [1000.0, 1300.0]];
        let grid = Grid::over_points(100.0, &pts).unwrap_or_else(|e| panic!("{e}"));
        let h = 250.0;
        let d = density(&pts, &grid, h);
        for i in [0, 1, grid.len() / 2, grid.len() - 1] {
            let c = grid.centre(i);
            let direct: f64 = pts
                .iter()
                .map(|p| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt())
                .filter(|d| *d < h)
                .map(|d| 3.0 / (std::f64::consts::PI * h * h) * (1.0 - d * d / (h * h)).powi(2))
                .sum();
            assert!((d[i] - direct * 1e6).abs() < 1e-9, "cell {i}: {} vs {}", d[i], direct * 1e6);
        }
        // the cell centre (1050, 1050): squared distances 5,000, 12,500 and 65,000 (beyond h^2)
        let i = grid.cell_of([1050.0, 1050.0]).unwrap_or(0);
        let k = |d2: f64| (1.0 - d2 / 62_500.0).powi(2);
        let by_hand = 3.0 / (std::f64::consts::PI * 62_500.0) * (k(5_000.0) + k(12_500.0)) * 1e6;
        assert!((d[i] - by_hand).abs() < 1e-9);
    }

    #[test]
    fn mass_is_conserved_on_a_fine_grid() {
        let pts: Vec<[f64; 2]> = (0..50)
            .map(|i| [5000.0 + (i * 37 % 400) as f64, 5000.0 + (i * 91 % 300) as f64])
            .collect();
        let mut padded = pts.clone();
        padded.extend([[4000.0, 4000.0], [6500.0, 6500.0]]);
        let grid = Grid::over_points(10.0, &padded).unwrap_or_else(|e| panic!("{e}"));
        let d = density(&pts, &grid, 300.0);
        let mass: f64 = d.iter().sum::<f64>() * 100.0 / 1e6;
        assert!((mass - 50.0).abs() < 0.05, "{mass}");
    }

    #[test]
    fn bandwidth_rule() {
        // four points on a 200 m square around (100, 100): SD = Dm = sqrt(2) 100
        let pts = [[0.0, 0.0], [200.0, 0.0], [0.0, 200.0], [200.0, 200.0]];
        let h = default_bandwidth(&pts).unwrap_or(0.0);
        let expected = 0.9 * (2f64.sqrt() * 100.0) * 4f64.powf(-0.2);
        assert!((h - expected).abs() < 1e-9);
        assert_eq!(default_bandwidth(&[[1.0, 1.0]]), None);
    }
}
