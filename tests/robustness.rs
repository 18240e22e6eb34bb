//! No input makes csa panic: randomly damaged copies of the fixtures are either ingested
//! (bad rows quarantined, counts balanced) or refused with a bad-input error.

use std::path::Path;

/// Deterministic damage: flip, insert or delete bytes, or cut the file short.
fn damage(bytes: &[u8], seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = bytes.to_vec();
    for _ in 0..(1 + next() % 8) {
        if out.is_empty() {
            break;
        }
        let i = (next() % out.len() as u64) as usize;
        match next() % 5 {
            0 => out[i] = (next() & 0xff) as u8,
            1 => out.insert(i, b",\"\n\r\xff0-"[(next() % 7) as usize]),
            2 => {
                out.remove(i);
            }
            3 => out.truncate(i),
            _ => out[i] = b'"',
        }
    }
    out
}

fn run(police_uk: Option<&Path>, extract: Option<&Path>, out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut req = csa_ingest::IngestRequest::new(
        root.join("data/boundaries/coventry-wards-2025.geojson"),
        out.to_path_buf(),
    );
    req.lsoa_lookup = Some(root.join("data/lookups/lsoa21-wd25.csv.gz"));
    req.police_uk = police_uk.map(|p| vec![p.to_path_buf()]).unwrap_or_default();
    req.extracts = extract.map(|p| vec![p.to_path_buf()]).unwrap_or_default();
    match csa_ingest::ingest(&req, &|_| {}) {
        Ok(m) => assert!(m.reconciliation.balanced),
        Err(e) => assert!(e.is_bad_input(), "internal error on damaged input: {e}"),
    }
}

#[test]
fn damaged_inputs_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let puk = std::fs::read(root.join("tests/data/bad-police-uk/2025-03-test-street.csv"))
        .expect("fixture");
    let crimes = std::fs::read(root.join("tests/data/bad-extract/crimes.csv")).expect("fixture");
    let victims = std::fs::read(root.join("tests/data/bad-extract/victims.csv")).expect("fixture");
    let tmp = tempfile::tempdir().expect("tmp");
    for seed in 0..60u64 {
        let dir = tmp.path().join(format!("case{seed}"));
        let p = dir.join("puk");
        let e = dir.join("ex");
        std::fs::create_dir_all(&p).expect("mkdir");
        std::fs::create_dir_all(&e).expect("mkdir");
        std::fs::write(p.join("2025-03-x-street.csv"), damage(&puk, seed)).expect("write");
        std::fs::write(e.join("crimes.csv"), damage(&crimes, seed + 1000)).expect("write");
        std::fs::write(e.join("victims.csv"), damage(&victims, seed + 2000)).expect("write");
        run(Some(&p), None, &dir.join("out1"));
        run(None, Some(&e), &dir.join("out2"));
    }
}
