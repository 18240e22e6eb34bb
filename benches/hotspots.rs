//! Hotspot benchmark: the spatial methods of `csa-hotspots` in process, on synthetic county-
//! and city-sized point sets (a fixed seed, so every run measures the same work).
//!
//! `cargo bench --bench hotspots` (release profile). Cases (issue 4's targets):
//! - Gi* with 999 conditional permutations on 50,000 cells (250 m cells over 62.5 x 50 km,
//!   counts of 1M points, 500 m band): weights + z + permutations;
//! - kernel density of 1M points on the same 250 m county grid, ArcGIS default bandwidth;
//! - DBSCAN on 1M points (eps 50 m, 20 points);
//! - Knox test of 10,000 burglaries in a 10 x 10 km city with 999 permutations (bands
//!   0, 1, 100, ..., 400 m x 0, 7, ..., 28 days); target at most 5 s on 2 cores.
//!
//! The county points: 80% from 14 Gaussian towns (sd 0.8-3 km, uneven weights), 20% uniform.
//! Each case runs `CSA_BENCH_RUNS` times (default 3); the table gives median, min and max
//! wall seconds. `RAYON_NUM_THREADS` sets the thread count.

use std::time::Instant;

use csa_hotspots::gistar::gi_star;
use csa_hotspots::knox::{knox, KnoxOptions, Metric};
use csa_hotspots::{dbscan, kde, Grid, Neighbours, StudyArea};
use csa_model::rng::Rng;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const X0: f64 = 420_000.0;
const Y0: f64 = 240_000.0;
const W: f64 = 62_500.0;
const H: f64 = 50_000.0;

fn county_points(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = Rng::new(seed, 0);
    let towns: Vec<([f64; 2], f64, f64)> = (0..14)
        .map(|_| {
            let c = [
                X0 + 5_000.0 + rng.f64() * (W - 10_000.0),
                Y0 + 5_000.0 + rng.f64() * (H - 10_000.0),
            ];
            (c, 800.0 + rng.f64() * 2_200.0, 0.2 + rng.f64())
        })
        .collect();
    let cum = csa_model::rng::cumulative(towns.iter().map(|t| t.2));
    let mut pts = Vec::with_capacity(n);
    while pts.len() < n {
        let p = if rng.chance(0.8) {
            let (c, sd, _) = towns[rng.weighted(&cum)];
            [c[0] + rng.normal() * sd, c[1] + rng.normal() * sd]
        } else {
            [X0 + rng.f64() * W, Y0 + rng.f64() * H]
        };
        if p[0] >= X0 && p[0] < X0 + W && p[1] >= Y0 && p[1] < Y0 + H {
            pts.push(p);
        }
    }
    pts
}

/// 10,000 burglaries over a 10 km city, a fifth of them follow-ons within 200 m and 14 days.
fn burglaries(n: usize, seed: u64) -> (Vec<[f64; 2]>, Vec<i64>) {
    let mut rng = Rng::new(seed, 1);
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(n);
    let mut days = Vec::with_capacity(n);
    while pts.len() < n {
        if !pts.is_empty() && rng.chance(0.2) {
            let k = rng.below(pts.len());
            let (a, r) = (rng.f64() * std::f64::consts::TAU, 200.0 * rng.f64().sqrt());
            pts.push([pts[k][0] + r * a.cos(), pts[k][1] + r * a.sin()]);
            days.push(days[k] + rng.below(15) as i64);
        } else {
            pts.push([430_000.0 + rng.f64() * 10_000.0, 275_000.0 + rng.f64() * 10_000.0]);
            days.push(rng.below(365) as i64);
        }
    }
    (pts, days)
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut secs = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        secs.push(t.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    (secs, last.expect("at least one run"))
}

fn row(case: &str, size: &str, secs: &[f64], result: &str) {
    println!(
        "| {case} | {size} | {} | {:.2} | {:.2} | {:.2} | {result} |",
        secs.len(),
        secs[secs.len() / 2],
        secs[0],
        secs[secs.len() - 1]
    );
}

fn main() {
    let runs: usize =
        std::env::var("CSA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let t = Instant::now();
    let pts = county_points(1_000_000, 2025);
    eprintln!(
        "generated 1M county points in {:.1} s; {} threads",
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let rect =
        geo::Rect::new(geo::coord! {x: X0, y: Y0}, geo::coord! {x: X0 + W, y: Y0 + H}).to_polygon();
    let area = StudyArea::new([geo::MultiPolygon(vec![rect])]);
    let grid = Grid::over_area(250.0, &area).expect("grid");
    assert_eq!(grid.len(), 50_000);

    println!("| case | size | runs | median s | min s | max s | result |");
    println!("|---|---|---:|---:|---:|---:|---|");
    let x: Vec<f64> = grid.count(&pts).counts.iter().map(|&c| f64::from(c)).collect();
    let (secs, g) = time(runs, || {
        let w = Neighbours::distance_band(&grid.centres(), 500.0);
        gi_star(&x, &w, 999, 1)
    });
    let hot = g.perm_bin.as_ref().map_or(0, |b| b.iter().filter(|b| **b >= 2).count());
    row(
        "Gi*, 999 permutations",
        "50,000 cells, 500 m band (13 neighbours)",
        &secs,
        &format!("{hot} hot cells (95%, permutation p, FDR)"),
    );

    let h = kde::default_bandwidth(&pts).expect("bandwidth");
    let (secs, d) = time(runs, || kde::density(&pts, &grid, h));
    let mass = d.iter().sum::<f64>() * 0.0625;
    row(
        "kernel density",
        &format!("1,000,000 points, 50,000 cells of 250 m, h = {h:.0} m"),
        &secs,
        &format!("mass {mass:.0} of 1,000,000 inside the grid"),
    );

    let (secs, db) = time(runs, || dbscan::dbscan(&pts, 50.0, 20));
    let noise = db.cluster_of.iter().filter(|c| **c == 0).count();
    row(
        "DBSCAN",
        "1,000,000 points, eps 50 m, 20 points",
        &secs,
        &format!("{} clusters, {noise} noise points", db.clusters.len()),
    );

    let (bp, bd) = burglaries(10_000, 7);
    let o = KnoxOptions {
        space_edges: vec![0.0, 1.0, 100.0, 200.0, 300.0, 400.0],
        time_edges: vec![0, 7, 14, 21, 28],
        metric: Metric::Euclidean,
        permutations: 999,
        seed: 1,
    };
    let (secs, k) = time(runs, || knox(&bp, &bd, &o).expect("knox"));
    let c = k.cells.iter().find(|c| c.space_from == 1.0 && c.time_from == 0).expect("cell");
    row(
        "Knox near-repeat, 999 permutations",
        "10,000 burglaries, 6 x 5 bands",
        &secs,
        &format!("1-100 m, 0-6 days: ratio {:.2}, p {:.3}", c.knox_ratio, c.p),
    );
}
