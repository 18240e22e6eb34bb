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
