//! The consultation survey: `csa synth --survey` is deterministic and the shipped demo is its
//! output; `csa survey` tallies it, reconciles rows, writes every table, and names what is
//! wrong with a bad file. (Counts and intervals by hand: unit tests in csa-analysis/survey.rs.)
#![allow(clippy::unwrap_used)]

mod common;

use common::{csa, csa_ok};

#[test]
fn synthetic_survey_tallies_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    csa_ok(&["synth", "--survey", "800", "--seed", "2025", "--out", a.to_str().unwrap()]);
    csa_ok(&["synth", "--survey", "800", "--seed", "2025", "--out", b.to_str().unwrap()]);
    let text = std::fs::read_to_string(a.join("survey.csv")).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(b.join("survey.csv")).unwrap(),
        "same seed, same bytes"
    );
    assert_eq!(
        text,
        std::fs::read_to_string(common::data("data/demo/survey/survey.csv")).unwrap(),
        "the shipped demo survey is `csa synth --survey 800 --seed 2025`"
    );
    let out = tmp.path().join("out");
    let printed = csa_ok(&[
        "survey",
        "--file",
        a.join("survey.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(printed.contains("800 rows read, 800 accepted, 0 rejected"), "{printed}");
    // every respondent who chose a priority chose 1 to 3: the counts add up to between base and 3 x base
    let pri = std::fs::read_to_string(out.join("survey_priorities.csv")).unwrap();
    let rows: Vec<Vec<String>> =
        pri.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    let base: u64 = rows[0][2].parse().unwrap();
    let picks: u64 = rows.iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    assert!(base > 700 && picks >= base && picks <= 3 * base, "{base} {picks}");
    // free-text "Other" answers are listed
    let other = std::fs::read_to_string(out.join("survey_other_answers.csv")).unwrap();
    assert!(
        other.contains("priority,Fly-tipping,") || other.contains("priority,Speeding,"),
        "{other}"
    );
    for f in ["survey.xlsx", "survey_priorities_by_area.csv", "survey_yes_no.csv", "problems.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // a file without the questionnaire's columns: exit 2, naming them
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "respondent_id,area\n1,Foleshill\n").unwrap();
    let e = csa(&["survey", "--file", bad.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("missing column(s) victim_12m"),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
}
