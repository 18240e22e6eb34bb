//! Annual pack benchmark: `csa assess` on synthetic Coventry force extracts of two years (the
//! assessment year and its comparison year, N crimes and N/5 ASB incidents each, with victims
//! and offenders), every default priority, the shipped demo survey, Gi* with 99 permutations
//! and KDE per priority, both editions. Timed as process wall time of the release binary from
//! start to exit, the pack fully written (report, 267 tables x 3 formats, ~120 charts and maps
//! as PNG and SVG, GeoJSON); peak memory from /usr/bin/time when it is installed.
//!
//! `cargo bench --bench assess`. `CSA_BENCH_SIZES` (comma-separated yearly crime counts,
//! default `300000,1000000`), `CSA_BENCH_RUNS` (default 3, after one warm-up) and
//! `CSA_BENCH_EDITIONS` (default `restricted,public`).
//! Targets (2 cores): 300,000 crimes at most 5 s; 1,000,000 at most 15 s; a national year
//! (`CSA_BENCH_SIZES=5416667`: 5.4M crimes + 1.1M ASB = 6.5M records a year, with people) at
//! most 30 s and 4 GB.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    let sizes: Vec<usize> = std::env::var("CSA_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![300_000, 1_000_000]);
    let runs: usize =
        std::env::var("CSA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let csa = env!("CARGO_BIN_EXE_csa");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tmp");
    let has_time = Path::new("/usr/bin/time").exists();
    println!("| case | edition | runs | median s | min s | max s | peak RSS MB |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for crimes in sizes {
        let dir = tmp.path().join(format!("n{crimes}"));
        let ds = common::synth_dataset(&dir, crimes, &[(2024, 24), (2025, 25)], &[]);
        let boundaries = root.join("data/boundaries/coventry-wards-2025.geojson");
        let config = dir.join("assessment.toml");
        std::fs::write(
            &config,
            format!(
                "[assessment]\nname = \"bench\"\ndataset = {:?}\nboundaries = {:?}\nsurvey = {:?}\nperiod = {{ from = \"2025-01\", to = \"2025-12\" }}\ncomparison = {{ from = \"2024-01\", to = \"2024-12\" }}\n",
                ds.display().to_string(),
                boundaries.display().to_string(),
                root.join("data/demo/survey/survey.csv").display().to_string()
            ),
        )
        .expect("config");
        let editions =
            std::env::var("CSA_BENCH_EDITIONS").unwrap_or_else(|_| "restricted,public".into());
        for edition in editions.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let out = dir.join(format!("pack-{edition}"));
            let run = || {
                let mut c = if has_time {
                    let mut c = Command::new("/usr/bin/time");
                    c.args(["-f", "%M"]).arg(csa);
                    c
                } else {
                    Command::new(csa)
                };
                c.args(["assess", "--config"])
                    .arg(&config)
                    .arg("--out")
                    .arg(&out)
                    .args(["--edition", edition]);
                let t = Instant::now();
                let o = c.output().expect("csa");
                let secs = t.elapsed().as_secs_f64();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                let kb: u64 = String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .and_then(|l| l.trim().parse().ok())
                    .unwrap_or(0);
                (secs, kb)
            };
            run();
            let mut results: Vec<(f64, u64)> = (0..runs).map(|_| run()).collect();
            results.sort_by(|a, b| a.0.total_cmp(&b.0));
            let peak = results.iter().map(|r| r.1).max().unwrap_or(0);
            println!(
                "| csa assess, 2 x {crimes} crimes + ASB, 20 priorities | {edition} | {runs} | {:.2} | {:.2} | {:.2} | {} |",
                results[runs / 2].0,
                results[0].0,
                results[runs - 1].0,
                if peak > 0 { (peak / 1024).to_string() } else { "-".into() }
            );
        }
    }
}
