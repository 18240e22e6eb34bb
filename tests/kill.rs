//! Kill anywhere: `csa ingest`, `csa ingest --append`, `csa assess` and `csa quarterly`, each
//! killed with SIGKILL at 20 moments drawn from a seeded generator across the length of a
//! whole run. After every kill the previous output must be whole (the same files, byte for
//! byte, as before the killed run started, or, when the kill came after the swap, what a
//! whole run makes) and the next run must succeed and leave nothing of the killed run behind
//! (no work folder beside the output, no lock). Time stamps are the one thing compared loosely.
//!
//! Inputs are small (two synthetic years of 300 crimes) so that the 160 runs stay within a
//! minute or two. A kill that comes after the run has already finished is no kill: the run
//! must then have succeeded, and what it wrote becomes the previous output. Most moments do
//! land (the test checks that at least half of them did).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// A snapshot with every RFC 3339 time stamp (`2025-01-02T03:04:05`...) written as `TIME`:
/// the only bytes in which two runs on the same inputs may differ.
fn normalised(snap: BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, Vec<u8>> {
    let stamp = |w: &[u8]| {
        let d = |i: usize| w[i].is_ascii_digit();
        w.len() >= 19
            && (0..4).all(d)
            && w[4] == b'-'
            && d(5)
            && d(6)
            && w[7] == b'-'
            && d(8)
            && d(9)
            && w[10] == b'T'
            && d(11)
            && d(12)
            && w[13] == b':'
            && d(14)
            && d(15)
            && w[16] == b':'
            && d(17)
            && d(18)
    };
    snap.into_iter()
        .map(|(p, bytes)| {
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if stamp(&bytes[i..]) {
                    out.extend_from_slice(b"TIME");
                    i += 19;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            (p, out)
        })
        .collect()
}

/// Files that differ between two snapshots (for the failure message).
fn differing(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = a
        .iter()
        .filter(|(p, x)| b.get(*p) != Some(x))
        .map(|(p, _)| p.clone())
        .chain(b.keys().filter(|p| !a.contains_key(*p)).cloned())
        .collect();
    v.dedup();
    v
}

fn csa_cmd(args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_csa"));
    // the pack's one time stamp fixed, so two whole packs are the same bytes
    c.args(args).env("SOURCE_DATE_EPOCH", "1767225600");
    c
}

/// Kills `args` at 20 seeded moments; `out` is the output folder the command replaces, which
/// must exist already. After a kill, `out` must be byte for byte what it was before the run
/// (time stamps aside), or, where the kill came after the new output was swapped in, what a
/// whole run makes: for a command whose run changes nothing when repeated (`idempotent`),
/// that is the same; for an append it is worked out by a whole run on a copy.
fn kill_anywhere(name: &str, seed: u64, args: &[String], out: &Path, idempotent: bool) {
    let parent = out.parent().expect("output has a parent");
    let beside = names(parent);
    // the fastest whole run seen so far: the moments of the kills are drawn within it, so
    // they fall inside a run however busy the machine is (other tests run beside this one and
    // a run's time varies several-fold)
    let fastest = std::cell::Cell::new(Duration::MAX);
    let run = |args: &[String]| {
        let started = Instant::now();
        let o = csa_cmd(args).output().expect("run csa");
        assert!(o.status.success(), "{name}: a run failed: {}", String::from_utf8_lossy(&o.stderr));
        let took = started.elapsed();
        fastest.set(fastest.get().min(took));
        took
    };
    run(args);
    run(args);
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut rng = csa_model::rng::Rng::new(seed, 0);
    let mut landed = 0;
    for k in 0..20 {
        let before = normalised(snapshot(out));
        assert!(!before.is_empty(), "{name}: no output before kill {k}");
        let whole_new = if idempotent {
            before.clone()
        } else {
            // the same run, whole, on a copy of the output
            let copy = scratch.path().join(format!("k{k}")).join(out.file_name().expect("name"));
            std::fs::create_dir_all(&copy).expect("mkdir");
            for (rel, bytes) in snapshot(out) {
                let to = copy.join(rel);
                std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                std::fs::write(to, bytes).expect("copy");
            }
            let at = out.to_string_lossy();
            let args: Vec<String> = args
                .iter()
                .map(|a| if *a == at { copy.to_string_lossy().into_owned() } else { a.clone() })
                .collect();
            run(&args);
            normalised(snapshot(&copy))
        };
        let whole = fastest.get();
        let at = whole.mul_f64(rng.f64());
        let err_path = scratch.path().join(format!("stderr-{k}"));
        let err_file = std::fs::File::create(&err_path).expect("stderr file");
        let mut child =
            csa_cmd(args).stdout(Stdio::null()).stderr(err_file).spawn().expect("spawn");
        std::thread::sleep(at);
        let finished = child.try_wait().expect("poll");
        if finished.is_none() {
            child.kill().expect("SIGKILL");
            landed += 1;
        }
        let status = child.wait().expect("wait");
        if finished.is_some() {
            assert!(
                status.success(),
                "{name}: run {k} (not killed) failed ({status}): {}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        let after = normalised(snapshot(out));
        assert!(
            after == before || after == whole_new,
            "{name}: killed at {at:?} of {whole:?} (kill {k}), the output is neither the previous \
             one nor a whole new one; differing from the previous: {:?}; from a whole new one: {:?}",
            differing(&before, &after),
            differing(&whole_new, &after)
        );
        // the next run succeeds, and clears up after the killed one
        run(args);
        assert_eq!(names(parent), beside, "{name}: left beside the output after kill {k}");
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
    kill_anywhere("ingest", 11, &args, &ds, true);
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
    kill_anywhere("append", 12, &args, &ds, false);
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
    // two priorities, no survey, few permutations: a small pack that still has every part
    let config = tmp.path().join("assessment.toml");
    std::fs::write(
        &config,
        format!(
            "[assessment]\nname = \"Kill test\"\nboundaries = {:?}\n\
             period = {{ from = \"2025-01\", to = \"2025-12\" }}\n\
             comparison = {{ from = \"2024-01\", to = \"2024-12\" }}\n\
             [hotspots]\ncell_m = 250\nband_m = 500\npermutations = 9\nseed = 1\nmin_crimes = 30\n\
             [[priority]]\nname = \"Burglary\"\nfilter = {{ crime_type = [\"Burglary\"] }}\n\
             [[priority]]\nname = \"Violence\"\nfilter = {{ crime_type = [\"Violence and sexual offences\"] }}\n",
            wards()
        ),
    )
    .expect("write config");
    let args: Vec<String> =
        ["--quiet", "assess", "--config", &s(&config), "--dataset", &s(&ds), "--out", &s(&pack)]
            .map(String::from)
            .to_vec();
    csa_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    kill_anywhere("assess", 13, &args, &pack, true);
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
    kill_anywhere("quarterly", 14, &args, &q, true);
}
