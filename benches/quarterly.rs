//! Quarterly run benchmark: `csa quarterly --quarter latest` over three force-years (2023 to
//! 2025, 300,000 crimes and 60,000 ASB incidents a year: about 900,000 crimes), with the
//! shipped demo targets (12 indicators), timed as process wall time of the release binary
//! from start to exit, every output written (CSV, xlsx, JSON, exceptions, 12 control charts).
//!
//! `cargo bench --bench quarterly`. `CSA_BENCH_CRIMES` (a year's crimes) and
//! `CSA_BENCH_RUNS` (default 7, after one warm-up) change the size and the runs.
//! Target (2 cores): at most 3 s.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    let crimes: usize =
        std::env::var("CSA_BENCH_CRIMES").ok().and_then(|v| v.parse().ok()).unwrap_or(300_000);
    let runs: usize =
        std::env::var("CSA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(7).max(1);
    let csa = env!("CARGO_BIN_EXE_csa");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let ds = common::synth_dataset(dir, crimes, &[(2023, 23), (2024, 24), (2025, 25)], &[]);
    let targets = root.join("data/demo/targets.toml");
    let out = dir.join("q");
    let run = || {
        let t = Instant::now();
        let o = Command::new(csa)
            .args(["quarterly", "--quarter", "latest", "--dataset"])
            .arg(&ds)
            .arg("--targets")
            .arg(&targets)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("csa");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        t.elapsed().as_secs_f64()
    };
    run();
    let mut secs: Vec<f64> = (0..runs).map(|_| run()).collect();
    secs.sort_by(f64::total_cmp);
    println!("| case | runs | median s | min s | max s |");
    println!("|---|---:|---:|---:|---:|");
    println!("| csa quarterly --quarter latest, 3 x {crimes} crimes + ASB, 12 indicators | {runs} | {:.2} | {:.2} | {:.2} |", secs[runs / 2], secs[0], secs[runs - 1]);
}
