//! Shared by the bench binaries that time the release `csa` on synthetic data.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Generates one synthetic Coventry year per `(year, seed)` (N crimes and N/5 ASB incidents
/// with victims and offenders) under `dir`, ingests them all with the release `csa` over the
/// Coventry wards (plus `extra` ingest arguments) into `dir/ds`, and returns that folder.
pub fn synth_dataset(dir: &Path, crimes: usize, years: &[(i32, u64)], extra: &[&str]) -> PathBuf {
    let csa = env!("CARGO_BIN_EXE_csa");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = Instant::now();
    let mut ingest = Command::new(csa);
    ingest.args(["--quiet", "ingest"]);
    for &(year, seed) in years {
        let ex =
            csa_synth::generate(&csa_synth::SynthOptions { crimes, asb: crimes / 5, seed, year })
                .expect("synth");
        let out = dir.join(format!("extract-{year}"));
        csa_synth::write_extract(&ex, &out, false).expect("write extract");
        ingest.arg("--extract").arg(&out);
    }
    let ds = dir.join("ds");
    ingest.arg("--boundaries").arg(root.join("data/boundaries/coventry-wards-2025.geojson"));
    for a in extra {
        // paths under data/ are given relative to the repository
        if a.starts_with("data/") {
            ingest.arg(root.join(a))
        } else {
            ingest.arg(a)
        };
    }
    ingest.arg("--out").arg(&ds).stdout(std::process::Stdio::null());
    assert!(ingest.status().expect("ingest").success(), "ingest failed");
    eprintln!(
        "generated and ingested {} x {crimes} crimes in {:.1} s",
        years.len(),
        t.elapsed().as_secs_f64()
    );
    ds
}
