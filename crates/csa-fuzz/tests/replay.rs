//! Every fuzz harness on its seed corpus (made from the repository's data) and on every input
//! that once crashed it (`regressions/<target>/`, kept after the fix): in the ordinary test
//! suite, without AFL++.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn seeds_pass_every_harness() {
    let tmp = tempfile::tempdir().expect("tempdir");
    csa_fuzz::seeds::write(&root(), tmp.path()).unwrap_or_else(|e| panic!("seeds: {e}"));
    for (name, harness) in csa_fuzz::TARGETS {
        let seeds = files(&tmp.path().join(name));
        assert!(!seeds.is_empty(), "no seeds for {name}");
        for s in seeds {
            harness(&std::fs::read(&s).expect("read seed"));
        }
    }
}

#[test]
fn inputs_that_once_crashed_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    for (name, harness) in csa_fuzz::TARGETS {
        for f in files(&dir.join(name)) {
            let data = std::fs::read(&f).expect("read");
            if std::panic::catch_unwind(|| harness(&data)).is_err() {
                panic!("{} crashes the {name} harness again", f.display());
            }
        }
    }
    let loose = files(&dir);
    assert!(loose.is_empty(), "{loose:?}: regressions go in a folder named after their target");
}

/// Random mutations of the seeds (bit flips, byte changes, cuts, repeats, splices), without
/// coverage feedback: a quick look for shallow crashes where AFL++ is not at hand, not a
/// substitute for `fuzz.sh`. Ignored by default; `CSA_SMOKE_SECONDS` (default 10) per target,
/// `CSA_SMOKE_TARGET` to run one. Inputs that crash are written to `target/smoke/<target>/`.
#[test]
#[ignore]
fn smoke_mutations() {
    let secs: u64 =
        std::env::var("CSA_SMOKE_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let only = std::env::var("CSA_SMOKE_TARGET").ok();
    let tmp = tempfile::tempdir().expect("tempdir");
    csa_fuzz::seeds::write(&root(), tmp.path()).unwrap_or_else(|e| panic!("seeds: {e}"));
    let out = root().join("target").join("smoke");
    std::panic::set_hook(Box::new(|_| {}));
    let mut crashed = Vec::new();
    for (name, harness) in csa_fuzz::TARGETS {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        let seeds: Vec<Vec<u8>> = files(&tmp.path().join(name))
            .iter()
            .map(|s| std::fs::read(s).expect("read seed"))
            .collect();
        let mut rng = csa_model::rng::Rng::new(2025, name.len() as u64);
        let started = std::time::Instant::now();
        let mut runs = 0u64;
        while started.elapsed().as_secs() < secs {
            let mut d = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(8) {
                let n = d.len().max(1);
                match rng.below(6) {
                    0 if !d.is_empty() => {
                        let i = rng.below(d.len());
                        d[i] ^= 1 << rng.below(8);
                    }
                    1 if !d.is_empty() => {
                        let i = rng.below(d.len());
                        d[i] = [0, 0xff, b',', b'"', b'\n', b'\r', b'-', b'9', 0x7f, 0x80]
                            [rng.below(10)];
                    }
                    2 => {
                        let (a, b) = (rng.below(n), rng.below(n));
                        let (a, b) = (a.min(b).min(d.len()), a.max(b).min(d.len()));
                        d.drain(a..b.min(a + 64));
                    }
                    3 => {
                        let (a, len) = (rng.below(n).min(d.len()), 1 + rng.below(32));
                        let chunk: Vec<u8> = d[a..(a + len).min(d.len())].to_vec();
                        let at = rng.below(d.len() + 1);
                        d.splice(at..at, chunk);
                    }
                    4 => {
                        let other = &seeds[rng.below(seeds.len())];
                        let cut = rng.below(other.len() + 1);
                        let at = rng.below(d.len() + 1);
                        d.truncate(at);
                        d.extend_from_slice(&other[cut..]);
                    }
                    _ => {
                        let at = rng.below(d.len() + 1);
                        d.insert(at, rng.below(256) as u8);
                    }
                }
            }
            runs += 1;
            if std::panic::catch_unwind(|| harness(&d)).is_err() {
                let dir = out.join(name);
                std::fs::create_dir_all(&dir).expect("mkdir");
                let f = dir.join(format!("crash-{runs}"));
                std::fs::write(&f, &d).expect("write");
                crashed.push(f);
            }
        }
        eprintln!("{name}: {runs} mutated inputs in {secs} s");
    }
    let _ = std::panic::take_hook();
    assert!(crashed.is_empty(), "inputs that crash: {crashed:?}");
}
