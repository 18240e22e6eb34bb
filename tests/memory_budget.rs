//! Ingest under a memory budget: the dataset must not depend on the budget.
//!
//! A budget of 1 KiB forces every spill path of `csa_ingest::ingest`: spilled records are
//! appended to their files almost one by one (a 64-byte buffer), the crime-ref index and
//! the people are split into the most hash buckets (256), and months are written one at a
//! time. The inputs make every rule meet a spill: two police.uk months and a bad one
//! (quarantine partitioned by the file's month), a force extract twice (every crime_ref of
//! the second copy a duplicate of the first, its people duplicates or linked to crimes of
//! other months), a bad extract (unknown crimes, bad rows naming a crime).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{csa_ok, data};

fn ingest(out: &Path, budget: Option<&str>) -> String {
    let p = |rel: &str| data(rel).to_str().expect("utf-8 path").to_string();
    let inputs = [
        "--police-uk".into(),
        p("data/police-uk/warwickshire-2025/2025-01-warwickshire-street.csv.gz"),
        p("data/police-uk/warwickshire-2025/2025-02-warwickshire-street.csv.gz"),
        p("tests/data/bad-police-uk"),
        "--extract".into(),
        p("data/demo/coventry-extract"),
        p("tests/data/bad-extract"),
        p("data/demo/coventry-extract"),
    ];
    ingest_with(&inputs, "data/boundaries/coventry-warwickshire-wards-2025.geojson", out, budget)
}

/// `csa --quiet ingest` of `inputs` (their flags and paths) over the boundaries at `bounds`
/// (relative to the repository) into `out`, under `budget` if one is given; what it printed.
fn ingest_with(inputs: &[String], bounds: &str, out: &Path, budget: Option<&str>) -> String {
    let mut args: Vec<String> = vec!["--quiet".into(), "ingest".into()];
    args.extend(inputs.iter().cloned());
    args.push("--boundaries".into());
    args.push(data(bounds).to_str().expect("utf-8 path").to_string());
    args.push("--out".into());
    args.push(out.to_str().expect("utf-8 path").to_string());
    if let Some(b) = budget {
        args.push("--memory-budget".into());
        args.push(b.into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    csa_ok(&args)
}

/// Every file of a dataset with its bytes; the manifest without its creation time.
fn files_of(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("inside").to_path_buf();
                let mut bytes = std::fs::read(&p).expect("read");
                if rel == Path::new("manifest.json") {
                    let mut m: serde_json::Value =
                        serde_json::from_slice(&bytes).expect("manifest json");
                    m["created_at"] = serde_json::Value::Null;
                    bytes = serde_json::to_vec_pretty(&m).expect("json");
                }
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn a_tiny_budget_gives_the_same_dataset_byte_for_byte() {
    let t = tempfile::tempdir().expect("tempdir");
    let (free, tight) = (t.path().join("free"), t.path().join("tight"));
    let said_free = ingest(&free, None);
    let said_tight = ingest(&tight, Some("1K"));
    let (a, b) = (files_of(&free), files_of(&tight));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{} differs under a 1 KiB budget", k.display());
    }
    // the reports differ only in the output folder named and the time taken
    let strip = |s: &str, out: &Path| {
        let s = s.replace(out.to_str().expect("utf-8 path"), "OUT");
        s.lines().map(|l| l.split(" (").next().unwrap_or("").to_string()).collect::<Vec<_>>()
    };
    assert_eq!(strip(&said_free, &free), strip(&said_tight, &tight));

    // every rule met a spill: duplicates across inputs, people checked across months,
    // quarantined rows in the police.uk file's month and in the unknown-month partition
    let m = common::manifest(&free);
    let reasons: BTreeMap<String, u64> = m["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .flat_map(|i| {
            i["quarantined_by_reason"]
                .as_object()
                .expect("reasons")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
                .collect::<Vec<_>>()
        })
        .fold(BTreeMap::new(), |mut acc, (k, v)| {
            *acc.entry(k).or_default() += v;
            acc
        });
    for r in ["duplicate_crime_ref", "duplicate_person", "unknown_crime"] {
        assert!(reasons.get(r).copied().unwrap_or(0) > 0, "no {r} in {reasons:?}");
    }
    let first_copy = &m["inputs"][3];
    let second_copy = &m["inputs"][9];
    assert_eq!(first_copy["path"], second_copy["path"], "the same extract twice");
    assert_eq!(
        second_copy["quarantined_by_reason"]["duplicate_crime_ref"], first_copy["accepted"],
        "every crime of the second copy is a duplicate of the first"
    );
    assert_eq!(second_copy["accepted"], 0);
    assert!(m["reconciliation"]["balanced"].as_bool().expect("balanced"));
    assert!(a.keys().any(|k| k.starts_with("quarantine/year=__HIVE_DEFAULT_PARTITION__")));
    // no work folder is left beside the output
    let left: Vec<String> = std::fs::read_dir(t.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

/// police.uk files are read side by side under the default budget and one at a time under a
/// tiny one; the dataset must be the same, with every rule decided in input order: the first
/// file's copy of a crime wins, a month written by two files keeps their rows in input order,
/// and a file's rows of another month join that month's partition in order.
#[test]
fn police_uk_files_read_side_by_side_give_the_dataset_read_in_order() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("police-uk");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let header = csa_ingest::police_uk::HEADER.join(",");
    let row = |id: u64, month: &str, i: u64| {
        format!(
            "{id:064x},{month},West Midlands Police,West Midlands Police,{:.6},{:.6},On or near Street {i},E01009592,Coventry 043B,Burglary,Under investigation,",
            -1.55 + (i % 97) as f64 * 0.001,
            52.38 + (i % 89) as f64 * 0.001
        )
    };
    let n = 40_000u64;
    // (file, month of its name, rows: (crime id, month))
    let files: [(&str, Vec<(u64, &str)>); 3] = [
        // January, with one February row in the middle
        (
            "2025-01-a-street.csv",
            (0..n).map(|i| (i, if i == n / 2 { "2025-02" } else { "2025-01" })).collect(),
        ),
        // January again (a second force): every tenth crime a copy of one of the first file's
        (
            "2025-01-b-street.csv",
            (0..n).map(|i| (if i % 10 == 0 { i } else { n + i }, "2025-01")).collect(),
        ),
        ("2025-02-b-street.csv", (0..n).map(|i| (2 * n + i, "2025-02")).collect()),
    ];
    for (name, rows) in &files {
        let mut text = format!("{header}\n");
        for (i, (id, month)) in rows.iter().enumerate() {
            text.push_str(&row(*id, month, i as u64));
            text.push('\n');
        }
        std::fs::write(dir.join(name), text).expect("write csv");
    }
    let inputs = ["--police-uk".to_string(), dir.to_str().expect("utf-8").to_string()];
    let run = |out: &Path, budget: &str| {
        ingest_with(&inputs, "data/boundaries/coventry-wards-2025.geojson", out, Some(budget))
    };
    let (free, tight) = (t.path().join("free"), t.path().join("tight"));
    run(&free, "1.5G");
    run(&tight, "1K");
    let (a, b) = (files_of(&free), files_of(&tight));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{} differs when the files are read one at a time", k.display());
    }
    let crimes = common::read_table(&free, "crimes");
    let refs = common::strings(&crimes, "crime_ref");
    let files_col = common::strings(&crimes, "source_file");
    // January: the first file's rows, then the second file's that are not copies
    let expected_jan: Vec<(String, usize)> = (0..n)
        .filter(|&i| i != n / 2)
        .map(|i| (format!("{i:064x}"), 0))
        .chain((0..n).filter(|i| i % 10 != 0).map(|i| (format!("{:064x}", n + i), 1)))
        .collect();
    // February: the first file's February row, then the third file's rows
    let expected_feb: Vec<(String, usize)> = std::iter::once((format!("{:064x}", n / 2), 0))
        .chain((0..n).map(|i| (format!("{:064x}", 2 * n + i), 2)))
        .collect();
    let got: Vec<(String, usize)> = refs
        .iter()
        .zip(&files_col)
        .map(|(r, f)| {
            (r.clone(), files.iter().position(|(name, _)| f.ends_with(name)).expect("a file"))
        })
        .collect();
    let mut want = expected_jan;
    want.extend(expected_feb);
    assert_eq!(got.len(), want.len());
    assert!(got == want, "rows are not in input order or the wrong copy won");
    let m = common::manifest(&free);
    assert_eq!(m["inputs"][1]["quarantined_by_reason"]["duplicate_crime_ref"], n / 10);
    assert_eq!(m["counts"]["crimes"], 3 * n - n / 10);
    assert!(m["reconciliation"]["balanced"].as_bool().expect("balanced"));
}
