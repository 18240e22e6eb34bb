//! Re-offending benchmark: `csa reoffending` on two synthetic force-years of 1,000,000 crimes
//! each (with 200,000 ASB incidents a year, victims and offenders), timed as process wall
//! time from start to exit of the release `csa` binary.
//!
//! `cargo bench --bench reoffending` (release profile). The 2024Q1 cohort reads 2022-01 to
//! 2025-09 (its follow-up, waiting period and the cohort a year earlier): 21 months of the
//! data, every offender linked to them. Each query runs `CSA_BENCH_RUNS` times (default 9)
//! after one warm-up run; the table gives the median, min and max. `CSA_BENCH_CRIMES`
//! changes the size of a year. Target (2 cores): a cohort in at most 1 s.

#[path = "common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let crimes: usize =
        std::env::var("CSA_BENCH_CRIMES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runs: usize =
        std::env::var("CSA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(9);
    let csa = env!("CARGO_BIN_EXE_csa");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let ds = common::synth_dataset(dir, crimes, &[(2024, 24), (2025, 25)], &[]);
    // an offender cohort file: the first 1,000 offenders of 2024, entering on 2024-06-01
    let offenders = std::fs::read_to_string(dir.join("extract-2024/offenders.csv")).expect("csv");
    let mut ids: Vec<&str> =
        offenders.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut file = String::from("person_id,entry_date\n");
    for id in ids.iter().take(1000) {
        file.push_str(&format!("{id},2024-06-01\n"));
    }
    let cohort_file = dir.join("iom.csv");
    std::fs::write(&cohort_file, file).expect("write");
    let cf = cohort_file.to_str().expect("utf-8");
    let queries: Vec<Vec<&str>> = vec![
        vec!["--cohort", "2024Q1"],
        vec!["--cohort", "2024Q2", "--format", "json"],
        vec!["--cohort", "2024Q1", "--by", "none", "--format", "csv"],
        vec!["--cohort", "FY2024", "--provisional"],
        vec!["--cohort-file", cf],
    ];
    println!("| query | runs | median ms | min ms | max ms | output lines |");
    println!("|---|---:|---:|---:|---:|---:|");
    for q in &queries {
        let run = || {
            let t = Instant::now();
            let out = Command::new(csa)
                .arg("reoffending")
                .arg("--dataset")
                .arg(&ds)
                .args(q)
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
        let shown: Vec<&str> =
            q.iter().map(|a| if a.ends_with("iom.csv") { "iom.csv" } else { a }).collect();
        println!(
            "| `csa reoffending {}` | {runs} | {:.0} | {:.0} | {:.0} | {lines} |",
            shown.join(" "),
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
}
