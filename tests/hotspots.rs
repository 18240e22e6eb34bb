//! Hotspot methods with known answers: Gi* on a small grid by hand, planted hotspots of
//! `csa synth` found, no more false hot spots than the FDR level under complete spatial
//! randomness, and `csa hotspots` / `csa near-repeat` end to end (files, GeoJSON, errors).
//! (Knox counts by hand, KDE against the direct formula, DBSCAN on constructed clusters and
//! the FDR, Mann-Kendall and PAI arithmetic are unit tests in `crates/csa-hotspots`.)
#![allow(clippy::unwrap_used)]

mod common;

use common::{csa, csa_ok};
use csa_hotspots::gistar::gi_star;
use csa_hotspots::{Grid, Neighbours, StudyArea};
use csa_model::rng::Rng;

#[test]
fn gi_star_on_a_three_by_three_grid_by_hand() {
    // 100 m cells; points at cell centres, as many as the count:
    //   row 2 (north)  3 0 1
    //   row 1          0 8 1
    //   row 0 (south)  1 0 2
    let counts = [1, 0, 2, 0, 8, 1, 3, 0, 1];
    let mut pts = Vec::new();
    for (i, &c) in counts.iter().enumerate() {
        for _ in 0..c {
            pts.push([50.0 + (i % 3) as f64 * 100.0, 50.0 + (i / 3) as f64 * 100.0]);
        }
    }
    let grid = Grid::over_points(100.0, &pts).unwrap();
    assert_eq!(grid.len(), 9);
    let x: Vec<f64> = grid.count(&pts).counts.iter().map(|&c| f64::from(c)).collect();
    assert_eq!(x, counts.map(f64::from).to_vec());
    // band 100 m: the cell and its four edge neighbours
    let w = Neighbours::distance_band(&grid.centres(), 100.0);
    let g = gi_star(&x, &w, 0, 0);
    // n = 9, sum = 16, Xbar = 16/9, sum x^2 = 80, S = sqrt(80/9 - 256/81) = sqrt(464)/9
    let s = 464f64.sqrt() / 9.0;
    // SW corner: neighbours {0, 1, 3}, lag 1, k 3:
    //   (1 - 3 * 16/9) / (S sqrt((27 - 9)/8)) = -26 / sqrt(464)
    assert!((g.z[0] - (1.0 - 48.0 / 9.0) / (s * 2.25f64.sqrt())).abs() < 1e-12);
    assert!((g.z[0] + 26.0 / 464f64.sqrt()).abs() < 1e-12);
    // centre: neighbours {1, 3, 4, 5, 7}, lag 9, k 5: (9 - 80/9) / (S sqrt(20/8)) = 1/sqrt(1160)
    assert!((g.z[4] - 1.0 / 1160f64.sqrt()).abs() < 1e-12);
    // NW corner: {3, 6, 7}: lag 3, k 3: (3 - 48/9) / (S 1.5) = -14 / sqrt(464)
    assert!((g.z[6] + 14.0 / 464f64.sqrt()).abs() < 1e-12);
    assert_eq!(g.n_neighbours, vec![3, 4, 3, 4, 5, 4, 3, 4, 3]);
    assert!(g.bin.iter().all(|b| *b == 0), "nothing is significant on nine cells");
}

/// Distance from `c` to the nearest point of the square of cell `i`.
fn distance_to_cell(grid: &Grid, i: usize, c: [f64; 2]) -> f64 {
    let r = grid.rect(i);
    let dx = (r.min().x - c[0]).max(0.0).max(c[0] - r.max().x);
    let dy = (r.min().y - c[1]).max(0.0).max(c[1] - r.max().y);
    (dx * dx + dy * dy).sqrt()
}

#[test]
fn planted_hotspots_are_found() {
    let mut planted = 0;
    let mut found = 0;
    let mut missed = Vec::new();
    for seed in [3, 5, 8] {
        let s = csa_synth::generate(&csa_synth::SynthOptions {
            crimes: 40_000,
            asb: 10_000,
            seed,
            year: 2025,
        })
        .unwrap();
        let area =
            StudyArea::new(s.wards.areas.iter().map(|w| csa_geo::multipolygon_to_bng(&w.geometry)));
        let grid = Grid::over_area(250.0, &area).unwrap();
        let w = Neighbours::distance_band(&grid.centres(), 500.0);
        for h in &s.truth.hotspots {
            let pts: Vec<[f64; 2]> = s
                .records
                .iter()
                .filter(|r| r.crime_type.name() == h.crime_type)
                .map(|r| [r.easting, r.northing])
                .collect();
            let x: Vec<f64> = grid.count(&pts).counts.iter().map(|&c| f64::from(c)).collect();
            let g = gi_star(&x, &w, 0, 0);
            planted += 1;
            let hit = (0..grid.len()).any(|i| {
                g.bin[i] >= 2 && distance_to_cell(&grid, i, [h.easting, h.northing]) <= h.radius_m
            });
            if hit {
                found += 1;
            } else {
                missed.push(format!(
                    "seed {seed}: {} at ({:.0}, {:.0}) r {} with {} planted",
                    h.crime_type, h.easting, h.northing, h.radius_m, h.extra_count
                ));
            }
        }
    }
    assert_eq!(planted, 42);
    assert!(
        found as f64 >= 0.95 * planted as f64,
        "{found} of {planted} found; missed: {missed:#?}"
    );
}

#[test]
fn complete_spatial_randomness_gives_few_hot_cells() {
    // 400 cells of 100 m, 2,000 points uniform on the square, 200 seeds
    let area = StudyArea::new([geo::MultiPolygon(vec![geo::Rect::new(
        geo::coord! {x: 0.0, y: 0.0},
        geo::coord! {x: 2000.0, y: 2000.0},
    )
    .to_polygon()])]);
    let grid = Grid::over_area(100.0, &area).unwrap();
    assert_eq!(grid.len(), 400);
    let w = Neighbours::distance_band(&grid.centres(), 200.0);
    let mut shares = Vec::new();
    let mut runs_with_any = 0;
    for seed in 0..200 {
        let mut rng = Rng::new(seed, 0);
        let pts: Vec<[f64; 2]> =
            (0..2000).map(|_| [rng.f64() * 2000.0, rng.f64() * 2000.0]).collect();
        let x: Vec<f64> = grid.count(&pts).counts.iter().map(|&c| f64::from(c)).collect();
        let g = gi_star(&x, &w, 0, 0);
        let hot = g.bin.iter().filter(|b| **b >= 2).count();
        runs_with_any += usize::from(hot > 0);
        shares.push(hot as f64 / 400.0);
    }
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    let worst = shares.iter().copied().fold(0.0, f64::max);
    assert!(mean <= 0.05, "mean share of cells hot at 95%: {mean}");
    assert!(worst <= 0.05, "worst seed: {worst}");
    // BH under the global null: P(any discovery) <= q, so about 10 runs in 200
    assert!(runs_with_any <= 20, "{runs_with_any} of 200 runs had a hot cell");
}

#[test]
fn cli_hotspots_and_near_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let extract = tmp.path().join("extract");
    let ds = tmp.path().join("ds");
    csa_ok(&[
        "--quiet",
        "synth",
        "--crimes",
        "6000",
        "--seed",
        "4",
        "--out",
        extract.to_str().unwrap(),
    ]);
    let wards = common::data("data/boundaries/coventry-wards-2025.geojson");
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        extract.to_str().unwrap(),
        "--boundaries",
        wards.to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
    ]);
    let ds = ds.to_str().unwrap();
    let out = tmp.path().join("hs");
    let o = out.to_str().unwrap();
    let text = csa_ok(&[
        "hotspots",
        "--dataset",
        ds,
        "--priority",
        "residential burglary",
        "--permutations",
        "99",
        "--seed",
        "5",
        "--out",
        o,
    ]);
    assert!(text.contains("hot and") && text.contains("gi_map.png"), "{text}");
    assert!(text.contains("note: with 99 permutations the smallest pseudo p is 0.02"), "{text}");
    // cells: CSV and GeoJSON agree, in Coventry's lon/lat, with the columns
    let csv = std::fs::read_to_string(out.join("gi_cells.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "cell_x,cell_y,count,gi_z,gi_p,gi_log10_p,gi_bin,n_neighbours,gi_perm_p,gi_perm_bin"
    );
    let gj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gi_cells.geojson")).unwrap())
            .unwrap();
    let features = gj["features"].as_array().unwrap();
    assert_eq!(features.len(), csv.lines().count() - 1);
    let lon = features[0]["geometry"]["coordinates"][0][0][0].as_f64().unwrap();
    let lat = features[0]["geometry"]["coordinates"][0][0][1].as_f64().unwrap();
    assert!((-1.65..-1.4).contains(&lon) && (52.33..52.5).contains(&lat), "{lon} {lat}");
    assert!(features[0]["properties"]["gi_z"].is_number());
    // cell centres sit on the 250 m lattice of the national grid
    let x: f64 = csv.lines().nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
    assert_eq!((x - 125.0) % 250.0, 0.0);
    // the parameters actually used are written down
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gi_parameters.json")).unwrap())
            .unwrap();
    assert_eq!(p["cell_m"], 250.0);
    assert_eq!(p["band_m"], 500.0);
    assert_eq!(p["permutations"], 99);
    assert_eq!(p["seed"], 5);
    assert_eq!(p["grid_clipped_to_study_area"], true);
    assert!(p["n_neighbours"]["max"].as_u64().unwrap() == 13);
    // 99 permutations over ~1,700 cells: too few for a permutation bin under FDR, and said so
    assert!(p["analytic_lowest_possible_z"].as_f64().unwrap() < 0.0, "{p}");
    assert_eq!(p["permutation_smallest_p"], 0.02);
    assert!(p["permutation_cells_needed_at_smallest_p_for_fdr_95"].as_f64().unwrap() > 100.0);
    let png = std::fs::read(out.join("gi_map.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    // same seed, same permutation p-values
    let again = tmp.path().join("hs2");
    csa_ok(&[
        "hotspots",
        "--dataset",
        ds,
        "--priority",
        "residential burglary",
        "--permutations",
        "99",
        "--seed",
        "5",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(again.join("gi_cells.csv")).unwrap(), csv);
    // `--permutations` alone means the usual 999
    let bare = tmp.path().join("hs3");
    csa_ok(&[
        "hotspots",
        "--dataset",
        ds,
        "--priority",
        "robbery",
        "--permutations",
        "--out",
        bare.to_str().unwrap(),
    ]);
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bare.join("gi_parameters.json")).unwrap())
            .unwrap();
    assert_eq!(p["permutations"], 999);
    // the other methods write their files
    for (method, file) in [
        ("kde", "kde_cells.csv"),
        ("nnh", "nnh_clusters.csv"),
        ("dbscan", "dbscan_clusters.csv"),
        ("emerging", "emerging_cells.csv"),
    ] {
        csa_ok(&[
            "hotspots",
            "--dataset",
            ds,
            "--priority",
            "all",
            "--method",
            method,
            "--cell",
            "auto",
            "--out",
            o,
        ]);
        let t = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(t.lines().count() > 1, "{method}: {t}");
        assert!(out.join(format!("{method}_map.svg")).exists());
    }
    // emerging hot spots: the space-time neighbourhood reaches one step back by default
    let p: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("emerging_parameters.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(p["time_window_steps"], 1);
    assert!(p["cells_by_category"].is_object(), "{p}");
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("kde_parameters.json")).unwrap())
            .unwrap();
    assert!(p["bandwidth_m"].as_f64().unwrap() > 0.0);
    assert!(p["cell_rule"].as_str().unwrap().starts_with("automatic"));
    // bad parameters are usage errors naming the flag
    let e = csa(&["hotspots", "--dataset", ds, "--cell", "big", "--out", o]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("--cell"));
    let e = csa(&["hotspots", "--dataset", ds, "--band", "100", "--out", o]);
    assert_eq!(e.status.code(), Some(2));
    // near repeat: the synthetic follow-on burglaries (within 200 m and 14 days) show
    let nr = tmp.path().join("nr");
    let text = csa_ok(&[
        "near-repeat",
        "--dataset",
        ds,
        "--priority",
        "residential burglary",
        "--permutations",
        "199",
        "--out",
        nr.to_str().unwrap(),
    ]);
    assert!(text.contains("Knox test"), "{text}");
    let k: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(nr.join("knox.json")).unwrap()).unwrap();
    let rows = k["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6 * 5);
    let close = rows.iter().find(|r| r["space_from_m"] == 1.0 && r["time_from_days"] == 0).unwrap();
    assert!(
        close["knox_ratio"].as_f64().unwrap() > 1.3 && close["p"].as_f64().unwrap() <= 0.01,
        "{close}"
    );
    let pairs: u64 = rows.iter().map(|r| r["observed"].as_u64().unwrap()).sum();
    assert_eq!(pairs, k["pairs"].as_u64().unwrap());
    let e = csa(&[
        "near-repeat",
        "--dataset",
        ds,
        "--space-bands",
        "5,10",
        "--out",
        nr.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("start at 0"));
}

#[test]
fn near_repeat_on_police_uk_months_says_days_are_needed() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    common::ingest_police_uk_march(&ds);
    let e = csa(&[
        "near-repeat",
        "--dataset",
        ds.to_str().unwrap(),
        "--priority",
        "all",
        "--out",
        tmp.path().join("nr").to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(msg.contains("months, not days"), "{msg}");
    // hotspots work on police.uk points, over the dataset's own boundaries
    let out = tmp.path().join("hs");
    csa_ok(&[
        "hotspots",
        "--dataset",
        ds.to_str().unwrap(),
        "--priority",
        "anti-social behaviour",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("gi_cells.geojson").exists());
}
