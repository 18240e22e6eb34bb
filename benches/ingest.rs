//! Ingest benchmark: validate + enrich + write synthetic police.uk months at several sizes
//! (the scaling curve), and two synthetic force extracts of 1M crimes each with their victims
//! and offenders.
//!
//! `cargo bench --bench ingest` (release profile). Each measured ingest runs in a fresh
//! child process so its peak memory (VmHWM) and CPU time (user + system) are its own; wall
//! time is the median of the runs. The inputs of each size are generated in a temporary
//! folder (a year of synthetic crimes per 6M rows, so 60M rows are ten years) and deleted
//! before the next size. Environment: `CSA_BENCH_SIZES` (police.uk rows, comma-separated;
//! default `1000000,6000000,60000000`), `CSA_BENCH_RUNS` (default 3), `CSA_BENCH_EXTRACT`
//! (crimes per extract, default 1000000; 0 skips the extracts), `CSA_BENCH_GZIP=1` (write the
//! police.uk inputs gzipped, for a disk too small for 12 GB of CSV), `CSA_BENCH_BUDGET`
//! (bytes, passed as the memory budget).
//! Targets (2 cores): 6M police.uk rows in at most 5 s, 60M in at most 10x that, peak
//! memory under 1.5 GB at every size.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The same allocator as the `csa` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Rows of one synthetic year at most (csa-synth builds a year in memory).
const YEAR_ROWS: usize = 6_000_000;

fn env_or<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

fn main() {
    if let Ok(which) = std::env::var("CSA_BENCH_CHILD") {
        child(&which, Path::new(&std::env::var("CSA_BENCH_DIR").expect("CSA_BENCH_DIR")));
        return;
    }
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
        measure("police-uk", &format!("police.uk {rows} rows"), dir, runs);
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
        measure("extract", &format!("2 extracts x {extract} crimes + people"), dir, runs);
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

fn measure(which: &str, label: &str, dir: &Path, runs: usize) {
    let input_mb = dir_mb(dir);
    let (mut times, mut cpus) = (Vec::new(), Vec::new());
    let mut peak = 0u64;
    let mut read = 0u64;
    for _ in 0..runs {
        let out = Command::new(std::env::current_exe().expect("exe"))
            .env("CSA_BENCH_CHILD", which)
            .env("CSA_BENCH_DIR", dir)
            .output()
            .expect("child");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let f: Vec<&str> = line.split_whitespace().collect();
        times.push(f[0].parse::<f64>().expect("secs"));
        peak = peak.max(f[1].parse().expect("kb"));
        read = f[2].parse().expect("rows");
        cpus.push(f[3].parse::<f64>().expect("cpu"));
        let _ = std::fs::remove_dir_all(dir.join(format!("ds-{which}")));
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

fn child(which: &str, dir: &Path) {
    let mut req = csa_ingest::IngestRequest::new(
        csa_bench_root().join("data/boundaries/coventry-wards-2025.geojson"),
        dir.join(format!("ds-{which}")),
    );
    if which == "police-uk" {
        req.police_uk = vec![dir.join("police-uk")];
        req.lsoa_lookup = Some(csa_bench_root().join("data/lookups/lsoa21-wd25.csv.gz"));
    } else {
        req.extracts = vec![dir.join("extract-0"), dir.join("extract-1")];
    }
    req.memory_budget = std::env::var("CSA_BENCH_BUDGET").ok().and_then(|v| v.parse().ok());
    let t = Instant::now();
    let m = csa_ingest::ingest(&req, &|_| {}).expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    println!("{secs:.3} {} {} {:.2}", peak_kb(), m.reconciliation.rows_read, cpu_secs());
}

/// User + system CPU time of this process so far, in seconds (Linux, 100 ticks a second).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn csa_bench_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Peak resident set size of this process, in kB (Linux).
fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
