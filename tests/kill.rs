//! Kill anywhere: `csa ingest`, `csa ingest --append`, `csa assess` and `csa quarterly`, each
//! killed with SIGKILL at 20 moments drawn from a seeded generator across the length of a
//! whole run. After every kill the previous output must be whole (the same files, byte for
//! byte, as before the killed run started) and the next run must succeed and leave nothing
//! of the killed run behind (no work folder beside the output, no lock).
//!
//! Inputs are small (two synthetic years of 300 crimes) so that the 160 runs stay within a
//! minute or two. A kill that comes after the run has already finished is no kill: the run
//! must then have succeeded, and what it wrote becomes the previous output. Most moments do
//! land (the test checks that at least half of them did).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{csa_ok, data};

/// Every file under `dir` (relative path -> bytes); empty when `dir` is missing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("list") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("under base").to_path_buf();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Two synthetic years of a small Coventry extract (2024, 2025), made once per test.
fn extracts(dir: &Path) -> (PathBuf, PathBuf) {
    let (e24, e25) = (dir.join("e24"), dir.join("e25"));
    for (out, seed, year) in [(&e24, "1", "2024"), (&e25, "2", "2025")] {
        csa_ok(&[
            "--quiet",
            "synth",
            "--crimes",
            "300",
            "--seed",
            seed,
            "--year",
            year,
            "--out",
            out.to_str().expect("utf-8 path"),
        ]);
    }
    (e24, e25)
}

fn wards() -> String {
    data("data/boundaries/coventry-wards-2025.geojson").to_string_lossy().into_owned()
}

/// Kills `args` at 20 seeded moments; `out` is the output folder the command replaces,
/// which must exist already.
fn kill_anywhere(name: &str, seed: u64, args: &[String], out: &Path, lock: Option<&Path>) {
    let parent = out.parent().expect("output has a parent");
    let beside = names(parent);
    let run = || {
        let started = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_csa")).args(args).output().expect("run csa");
        assert!(
            o.status.success(),
            "{name}: the run after a kill failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        started.elapsed()
    };
    // how long a whole run takes here (the longer of two, so moments span the whole run)
    let whole = run().max(run());
    let mut rng = csa_model::rng::Rng::new(seed, 0);
    let mut landed = 0;
    for k in 0..20 {
        let before = snapshot(out);
        assert!(!before.is_empty(), "{name}: no output before kill {k}");
        let at = whole.mul_f64(rng.f64());
        let mut child = Command::new(env!("CARGO_BIN_EXE_csa"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn csa");
        std::thread::sleep(at);
        let finished = child.try_wait().expect("poll");
        if finished.is_none() {
            child.kill().expect("SIGKILL");
            landed += 1;
        }
        let status = child.wait().expect("wait");
        if finished.is_some() {
            assert!(status.success(), "{name}: run {k} (not killed) failed");
        } else {
            assert_eq!(
                snapshot(out),
                before,
                "{name}: killed at {at:?} of {whole:?} (kill {k}), the previous output changed"
            );
        }
        // the next run succeeds, and clears up after the killed one
        run();
        assert_eq!(names(parent), beside, "{name}: work folders left beside after kill {k}");
        if let Some(lock) = lock {
            assert!(!lock.exists(), "{name}: lock left after kill {k}");
        }
    }
    assert!(landed >= 10, "{name}: only {landed} of 20 kills came before the run ended");
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn ingest_killed_anywhere() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (e24, _) = extracts(tmp.path());
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).expect("mkdir");
    let ds = runs.join("ds");
    let args: Vec<String> =
        ["--quiet", "ingest", "--extract", &s(&e24), "--boundaries", &wards(), "--out", &s(&ds)]
            .map(String::from)
            .to_vec();
    csa_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    kill_anywhere("ingest", 11, &args, &ds, None);
}

#[test]
fn append_killed_anywhere() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (e24, e25) = extracts(tmp.path());
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).expect("mkdir");
    let ds = runs.join("ds");
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        &s(&e24),
        "--boundaries",
        &wards(),
        "--out",
        &s(&ds),
    ]);
    // appending the same year again replaces its crimes: every run changes the dataset
    let args: Vec<String> = [
        "--quiet",
        "ingest",
        "--extract",
        &s(&e25),
        "--boundaries",
        &wards(),
        "--out",
        &s(&ds),
        "--append",
    ]
    .map(String::from)
    .to_vec();
    csa_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    kill_anywhere("append", 12, &args, &ds, None);
}

/// A dataset of both years, for the analyses.
fn two_years(tmp: &Path) -> PathBuf {
    let (e24, e25) = extracts(tmp);
    let ds = tmp.join("ds");
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        &s(&e24),
        "--extract",
        &s(&e25),
        "--boundaries",
        &wards(),
        "--out",
        &s(&ds),
    ]);
    ds
}

#[test]
fn assess_killed_anywhere() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ds = two_years(tmp.path());
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).expect("mkdir");
    let pack = runs.join("pack");
    let args: Vec<String> = [
        "--quiet",
        "assess",
        "--config",
        &s(&data("data/demo/assessment.toml")),
        "--dataset",
        &s(&ds),
        "--out",
        &s(&pack),
    ]
    .map(String::from)
    .to_vec();
    csa_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    kill_anywhere("assess", 13, &args, &pack, None);
}

#[test]
fn quarterly_killed_anywhere() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ds = two_years(tmp.path());
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).expect("mkdir");
    let q = runs.join("q");
    let args: Vec<String> = [
        "--quiet",
        "quarterly",
        "--dataset",
        &s(&ds),
        "--quarter",
        "2025Q2",
        "--targets",
        &s(&data("data/demo/targets.toml")),
        "--out",
        &s(&q),
    ]
    .map(String::from)
    .to_vec();
    csa_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    kill_anywhere("quarterly", 14, &args, &q, Some(&runs.join("q.lock")));
}
