//! Ingest benchmark: validate + enrich + write synthetic police.uk months at several sizes
//! (the scaling curve), and two synthetic force extracts of 1M crimes each with their victims
//! and offenders.
//!
//! `cargo bench --bench ingest` (release profile). Each measured ingest is a run of the
//! release `csa ingest` binary under `/usr/bin/time`, so its peak memory (maximum RSS) and CPU
//! time (user + system) are the binary's own, allocator settings included; wall time is the
//! median of the runs. The inputs of each size are generated in a temporary
//! folder (a year of synthetic crimes per 6M rows, so 60M rows are ten years) and deleted
//! before the next size. Environment: `CSA_BENCH_SIZES` (police.uk rows, comma-separated;
//! default `1000000,6000000,60000000`), `CSA_BENCH_RUNS` (default 3), `CSA_BENCH_EXTRACT`
//! (crimes per extract, default 1000000; 0 skips the extracts), `CSA_BENCH_GZIP=1` (write the
//! police.uk inputs gzipped, for a disk too small for 12 GB of CSV), `CSA_BENCH_BUDGET`
//! (bytes, passed as the memory budget), `CSA_BENCH_APPEND=0` (skip the append: by default,
//! after each police.uk size, one more month, January of the following year with a twelfth of
//! a year's rows, is appended to the last run's dataset with `csa ingest --append`, timed the
//! same way).
//! Targets (2 cores): 6M police.uk rows in at most 5 s, 60M in at most 10x that, peak
//! memory under 1.5 GB at every size.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The same allocator as the `csa` binary, for generating the inputs.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Rows of one synthetic year at most (csa-synth builds a year in memory).
const YEAR_ROWS: usize = 6_000_000;

fn env_or<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("CSA_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,6000000,60000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = env_or("CSA_BENCH_RUNS", 3);
    let extract: usize = env_or("CSA_BENCH_EXTRACT", 1_000_000);
    let gzip = std::env::var("CSA_BENCH_GZIP").is_ok_and(|v| v == "1");
    println!("| case | input MB | rows read | runs | median wall s | min s | max s | CPU s (user+sys) | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for rows in sizes {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let t = Instant::now();
        let mut left = rows;
        let mut year = 2025;
        while left > 0 {
            let n = left.min(YEAR_ROWS);
            let puk = csa_synth::generate(&csa_synth::SynthOptions {
                crimes: n * 4 / 5,
                asb: n - n * 4 / 5,
                seed: year as u64,
                year,
            })
            .expect("synth");
            csa_synth::write_police_uk(&puk, &dir.join("police-uk"), gzip)
                .expect("write police.uk");
            left -= n;
            year -= 1;
        }
        eprintln!("generated {rows} police.uk rows in {:.1} s", t.elapsed().as_secs_f64());
        let append = std::env::var("CSA_BENCH_APPEND").map_or(true, |v| v != "0");
        measure("police-uk", &format!("police.uk {rows} rows"), dir, runs, append);
        if append {
            let n = rows.min(YEAR_ROWS);
            let next = csa_synth::generate(&csa_synth::SynthOptions {
                crimes: n * 4 / 5,
                asb: n - n * 4 / 5,
                seed: 2026,
                year: 2026,
            })
            .expect("synth");
            let files = csa_synth::write_police_uk(&next, &dir.join("next"), gzip)
                .expect("write police.uk");
            std::fs::create_dir_all(dir.join("append")).expect("mkdir");
            let jan = &files[0];
            std::fs::rename(jan, dir.join("append").join(jan.file_name().expect("name")))
                .expect("move");
            drop(next);
            measure("append", &format!("append 1 month to police.uk {rows} rows"), dir, 1, false);
        }
    }
    if extract > 0 {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        for (k, seed) in [(0, 2), (1, 3)] {
            let ex = csa_synth::generate(&csa_synth::SynthOptions {
                crimes: extract,
                asb: 0,
                seed,
                year: 2025 - k,
            })
            .expect("synth");
            csa_synth::write_extract(&ex, &dir.join(format!("extract-{k}")), false)
                .expect("write extract");
        }
        measure("extract", &format!("2 extracts x {extract} crimes + people"), dir, runs, false);
    }
}

fn dir_mb(dir: &Path) -> u64 {
    fn walk(d: &Path) -> u64 {
        std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    walk(&p)
                } else {
                    e.metadata().map_or(0, |m| m.len())
                }
            })
            .sum()
    }
    walk(dir) >> 20
}

/// Runs `csa ingest` (or `--append`) for `which` `runs` times and prints its row of the
/// table; `keep` leaves the last run's dataset in place (for the append).
fn measure(which: &str, label: &str, dir: &Path, runs: usize, keep: bool) {
    let input_mb = dir_mb(dir.join(if which == "extract" { "." } else { which }).as_path());
    let (mut times, mut cpus) = (Vec::new(), Vec::new());
    let mut peak = 0u64;
    let mut read = 0u64;
    let ds = dir.join(if which == "append" { "ds-police-uk" } else { "ds" });
    for run in 0..runs {
        let (secs, kb, cpu) = run_csa(which, dir, &ds);
        times.push(secs);
        cpus.push(cpu);
        peak = peak.max(kb);
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(ds.join("manifest.json")).expect("manifest"))
                .expect("json");
        read = if which == "append" {
            m["appends"].as_array().and_then(|a| a.last()).expect("append record")["rows_read"]
                .as_u64()
                .expect("rows")
        } else {
            m["reconciliation"]["rows_read"].as_u64().expect("rows")
        };
        if keep && run + 1 == runs {
            std::fs::rename(&ds, dir.join(format!("ds-{which}"))).expect("keep");
        } else if which != "append" {
            let _ = std::fs::remove_dir_all(&ds);
        }
    }
    times.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    println!(
        "| {label} | {input_mb} | {read} | {runs} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        cpus[cpus.len() / 2],
        peak / 1024
    );
}

/// One `csa` process under `/usr/bin/time`: (wall s, peak RSS kB, user + system CPU s).
fn run_csa(which: &str, dir: &Path, ds: &Path) -> (f64, u64, f64) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "csa-bench %e %M %U %S", env!("CARGO_BIN_EXE_csa"), "--quiet", "ingest"]);
    c.arg("--boundaries").arg(root.join("data/boundaries/coventry-wards-2025.geojson"));
    c.arg("--out").arg(ds);
    match which {
        "police-uk" | "append" => {
            c.arg("--police-uk").arg(dir.join(which));
            c.arg("--lsoa-lookup").arg(root.join("data/lookups/lsoa21-wd25.csv.gz"));
        }
        _ => {
            c.arg("--extract").arg(dir.join("extract-0")).arg(dir.join("extract-1"));
        }
    }
    if which == "append" {
        c.arg("--append");
    }
    if let Ok(b) = std::env::var("CSA_BENCH_BUDGET") {
        c.arg("--memory-budget").arg(b);
    }
    let out = c.output().expect("run /usr/bin/time csa");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let line = err.lines().rev().find(|l| l.starts_with("csa-bench ")).expect("time's line");
    let f: Vec<f64> = line.split_whitespace().skip(1).map(|v| v.parse().expect("number")).collect();
    (f[0], f[1] as u64, f[2] + f[3])
}
