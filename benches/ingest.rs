//! Ingest benchmark: validate + enrich + write 1M synthetic police.uk rows, and a 1M-crime
//! synthetic force extract (with its victims and offenders).
//!
//! `cargo bench --bench ingest` (release profile). Each measured ingest runs in a fresh
//! child process so its peak memory (VmHWM) is its own; wall time is the median of the
//! runs. `CSA_BENCH_ROWS` (default 1000000) and `CSA_BENCH_RUNS` (default 3) change the size.
//! Targets (2 cores): at most 3 s and under 1.5 GB peak each.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The same allocator as the `csa` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    if let Ok(which) = std::env::var("CSA_BENCH_CHILD") {
        child(&which, Path::new(&std::env::var("CSA_BENCH_DIR").expect("CSA_BENCH_DIR")));
        return;
    }
    let rows: usize =
        std::env::var("CSA_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runs: usize =
        std::env::var("CSA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let t = Instant::now();
    let puk = csa_synth::generate(&csa_synth::SynthOptions {
        crimes: rows * 4 / 5,
        asb: rows - rows * 4 / 5,
        seed: 1,
        year: 2025,
    })
    .expect("synth");
    csa_synth::write_police_uk(&puk, &dir.join("police-uk"), false).expect("write police.uk");
    drop(puk);
    let ex =
        csa_synth::generate(&csa_synth::SynthOptions { crimes: rows, asb: 0, seed: 2, year: 2025 })
            .expect("synth");
    csa_synth::write_extract(&ex, &dir.join("extract"), false).expect("write extract");
    drop(ex);
    eprintln!("generated inputs in {:.1} s", t.elapsed().as_secs_f64());
    println!("| case | input rows | runs | median wall s | min s | max s | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for which in ["police-uk", "extract"] {
        let mut times = Vec::new();
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
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {which} ingest+enrich+write | {read} | {runs} | {:.2} | {:.2} | {:.2} | {} |",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            peak / 1024
        );
    }
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
        req.extracts = vec![dir.join("extract")];
    }
    let t = Instant::now();
    let m = csa_ingest::ingest(&req, &|_| {}).expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    println!("{secs:.3} {} {}", peak_kb(), m.reconciliation.rows_read);
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
