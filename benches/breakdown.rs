//! Breakdown benchmark: the sub-group lead's query, `csa breakdown`, on a force-year dataset
//! (300,000 crimes and 60,000 ASB incidents a year, with victims and offenders), timed as
//! process wall time from start to exit of the release `csa` binary.
//!
//! `cargo bench --bench breakdown` (release profile). The dataset holds two synthetic years
//! (2024 and 2025), so every query also loads and counts its comparison year. Each query
//! runs `CSA_BENCH_RUNS` times (default 15) after one warm-up run; the table gives the
//! median, min and max wall time. `CSA_BENCH_CRIMES` changes the size of a year.
//! Target (2 cores): at most 200 ms each.

#[path = "common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

const QUERIES: &[&[&str]] = &[
    &["--priority", "domestic abuse", "--by", "victim_age_band,ward"],
    &["--priority", "all", "--by", "ward"],
    &["--priority", "all", "--by", "month"],
    &["--priority", "residential burglary", "--by", "lsoa"],
    &[
        "--priority",
        "violence with injury",
        "--by",
        "offender_age_band,offender_sex,offender_ethnicity",
    ],
    &["--priority", "night-time economy violence", "--by", "day_of_week,hour"],
    &["--priority", "all", "--by", "crime_type,victim_sex", "--format", "csv"],
    &["--view", "volume"],
    &["--priority", "domestic abuse", "--view", "repeat-victims"],
    &["--priority", "all", "--view", "prolific"],
];

fn main() {
    let crimes: usize =
        std::env::var("CSA_BENCH_CRIMES").ok().and_then(|v| v.parse().ok()).unwrap_or(300_000);
    let runs: usize =
        std::env::var("CSA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let csa = env!("CARGO_BIN_EXE_csa");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let ds = common::synth_dataset(
        dir,
        crimes,
        &[(2024, 24), (2025, 25)],
        &["--lsoa-boundaries", "data/boundaries/coventry-lsoa-2021.geojson"],
    );

    println!("| query | runs | median ms | min ms | max ms | output rows |");
    println!("|---|---:|---:|---:|---:|---:|");
    for q in QUERIES {
        let run = || {
            let t = Instant::now();
            let out = Command::new(csa)
                .arg("breakdown")
                .arg("--dataset")
                .arg(&ds)
                .args(*q)
                .stderr(Stdio::piped())
                .output()
                .expect("csa");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            assert!(out.status.success(), "{q:?}: {}", String::from_utf8_lossy(&out.stderr));
            (ms, String::from_utf8_lossy(&out.stdout).lines().count())
        };
        run(); // warm the page cache
        let mut times = Vec::new();
        let mut lines = 0;
        for _ in 0..runs {
            let (ms, n) = run();
            times.push(ms);
            lines = n;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| `csa breakdown {}` | {runs} | {:.0} | {:.0} | {:.0} | {lines} |",
            q.iter()
                .map(|a| if a.contains(' ') { format!("\"{a}\"") } else { a.to_string() })
                .collect::<Vec<_>>()
                .join(" "),
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
}
