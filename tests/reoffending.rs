//! Proven re-offending with known answers: the hand-worked extract `tests/data/reoffending/`
//! (every figure below worked out by hand from the table in `tests/data/README.md`), the
//! offender-cohort file, the quarterly indicator, and `csa synth`'s planted re-offending
//! recovered exactly.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{csa, csa_ok, data};

/// The fixture ingested once (2023-01 to 2025-09, every month complete).
fn fixture() -> &'static Path {
    static DS: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DS.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("ds");
        csa_ok(&[
            "--quiet",
            "ingest",
            "--extract",
            data("tests/data/reoffending").to_str().unwrap(),
            "--boundaries",
            data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap(),
            "--out",
            ds.to_str().unwrap(),
        ]);
        (tmp, ds)
    })
    .1
}

/// CSV text as records keyed by column name.
fn records(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|x| h.iter().cloned().zip(x.unwrap().iter().map(str::to_string)).collect())
        .collect()
}

fn run(args: &[&str]) -> String {
    let ds = fixture().to_str().unwrap().to_string();
    let mut all = vec!["reoffending", "--dataset", ds.as_str()];
    all.extend_from_slice(args);
    csa_ok(&all)
}

fn num(r: &BTreeMap<String, String>, c: &str) -> f64 {
    r[c].parse().unwrap_or_else(|_| panic!("{c} = {:?}", r[c]))
}

/// The 2024Q1 cohort: A, B, C, D, E, F, I, L, M (G's only record is an ASB incident; E's
/// crime of 2023-12-30 is before the quarter, C's crime of 2024-03-31 is recorded in April).
/// Re-offences: A 1 (A3 exactly 12 months later; A1 is the same day, A4 a day too late),
/// B 1 (B2 recorded exactly 18 months after the index date; B3 a day later does not count),
/// C 1 (C2 committed exactly 12 months later and recorded on the last day allowed), D 2
/// (D2, D3; D's crimes have no committed_from, so their recorded dates are the offence
/// dates), E 1 (D2, shared with D, counts for both), I 1; F, L, M none (M2 is after the
/// follow-up).
#[test]
fn hand_worked_cohort_with_every_boundary() {
    let rows = records(&run(&["--cohort", "2024Q1", "--format", "csv"]));
    let find = |d: &str, g: &str| {
        rows.iter()
            .find(|r| r["dimension"] == d && r["group"] == g)
            .unwrap_or_else(|| panic!("no row {d} {g}"))
    };
    // (dimension, group, cohort, reoffenders, reoffences, comparison cohort, comparison
    // reoffenders); the comparison is the 2023Q1 cohort: F (3 re-offences), J (none), K (1)
    #[rustfmt::skip]
    let expected: &[(&str, &str, u64, u64, u64, u64, u64)] = &[
        ("all", "all", 9, 6, 7, 3, 2),
        ("age_band", "10-17", 2, 2, 2, 0, 0), // A 16, I 17 (18 on a later crime: the index record counts)
        ("age_band", "18-24", 1, 1, 1, 0, 0),
        ("age_band", "25-34", 3, 1, 1, 2, 1), // F, C, M; a year earlier F, J
        ("age_band", "35-44", 1, 1, 2, 0, 0),
        ("age_band", "45-54", 1, 1, 1, 1, 1), // E; a year earlier K
        ("age_band", "55-64", 1, 0, 0, 0, 0),
        ("sex", "female", 3, 1, 1, 1, 1),
        ("sex", "male", 5, 4, 5, 2, 1),
        ("sex", "unknown", 1, 1, 1, 0, 0),
        ("ethnicity", "White", 3, 2, 3, 3, 2),
        ("ethnicity", "Asian", 2, 2, 2, 0, 0),
        ("ethnicity", "Black", 2, 1, 1, 0, 0),
        ("ethnicity", "Mixed", 1, 1, 1, 0, 0),
        ("ethnicity", "Other", 1, 0, 0, 0, 0),
        // A's index offence is A2 (8N, CSS 189) not A1 (shoplifting, CSS 12), same day
        ("offence_group", "Violence against the person", 3, 3, 4, 0, 0),
        ("offence_group", "Theft offences", 4, 2, 2, 2, 1),
        ("offence_group", "Drug offences", 1, 1, 1, 0, 0),
        ("offence_group", "Criminal damage and arson", 1, 0, 0, 1, 1),
        ("ward", "Foleshill", 4, 3, 4, 0, 0), // A (A2), B, D, M
        ("ward", "Bablake", 5, 3, 3, 3, 2),
        // F has 3 crimes in the 12 months before 2024-02-01 (2023-01-15 is just outside)
        ("prolific", "prolific", 1, 0, 0, 0, 0),
        ("prolific", "not prolific", 8, 6, 7, 3, 2),
    ];
    for &(d, g, n, r, k, n0, r0) in expected {
        let row = find(d, g);
        let got = [&row["cohort"], &row["reoffenders"], &row["reoffences"]];
        assert_eq!(got, [&n.to_string(), &r.to_string(), &k.to_string()], "{d} {g}");
        assert_eq!(
            [&row["comparison_cohort"], &row["comparison_reoffenders"]],
            [&n0.to_string(), &r0.to_string()],
            "{d} {g} a year earlier"
        );
    }
    // every dimension adds up to the cohort
    for d in ["age_band", "sex", "ethnicity", "offence_group", "ward", "prolific"] {
        let sum: f64 = rows.iter().filter(|r| r["dimension"] == d).map(|r| num(r, "cohort")).sum();
        assert_eq!(sum, 9.0, "{d}");
    }
    assert_eq!(rows.first().unwrap()["dimension"], "all");
    assert_eq!(find("ward", "Foleshill")["code"], "E05001222");
    let all = find("all", "all");
    // 6/9; frequency 7/9 and 7/6; harm 13.510542 (A3) + 465.381473 (B2) + 189.153887 (C2)
    // + 201.009426 (D2 + D3) + 189.153887 (D2 for E) + 11.855539 (I2) = 1070.064754
    assert_eq!(num(all, "rate_pct"), 66.67);
    assert_eq!((num(all, "frequency"), num(all, "frequency_per_reoffender")), (0.7778, 1.1667));
    assert_eq!(num(all, "harm_css"), 1070.06);
    // days to first re-offence: E 92, D 133, I 209, B 290, C 365, A 366: median (209+290)/2
    assert_eq!(num(all, "median_days_to_first"), 249.5);
    // statsmodels 0.15: proportion_confint(6, 9, method="wilson") = (0.35420, 0.87942);
    // confint_proportions_2indep(6, 9, 2, 3, method="newcomb") = (-0.41416, 0.50591);
    // scipy fisher_exact([[6, 3], [2, 1]]) = 1.0
    assert_eq!((num(all, "rate_ci_low_pct"), num(all, "rate_ci_high_pct")), (35.42, 87.94));
    assert_eq!((num(all, "change_ci_low_pts"), num(all, "change_ci_high_pts")), (-41.42, 50.59));
    assert_eq!(
        (num(all, "comparison_rate_pct"), num(all, "change_pts"), num(all, "p")),
        (66.67, 0.0, 1.0)
    );
}

/// Kaplan-Meier of the 2024Q1 cohort: events at 92, 133, 209, 290, 365 and 366 days; M is
/// censored at 365 (2024-03-05 to 2025-03-05), F and L at 366. S(365) = 4/9 (at risk 5 at
/// 365: A, C, F, L, M), S(366) = 4/9 x 2/3 = 8/27; the median is 365 days.
#[test]
fn time_to_first_reoffence() {
    let j: serde_json::Value =
        serde_json::from_str(&run(&["--cohort", "2024Q1", "--by", "none", "--format", "json"]))
            .unwrap();
    assert_eq!(j["cohort_size"], 9);
    assert_eq!(j["rows"].as_array().unwrap().len(), 1);
    let km = j["time_to_first"]["kaplan_meier"].as_array().unwrap();
    let steps: Vec<(i64, i64, i64, i64)> = km
        .iter()
        .map(|s| {
            let i = |k: &str| s[k].as_i64().unwrap();
            (i("days"), i("at_risk"), i("events"), i("censored"))
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (92, 9, 1, 0),
            (133, 8, 1, 0),
            (209, 7, 1, 0),
            (290, 6, 1, 0),
            (365, 5, 1, 1),
            (366, 3, 1, 2)
        ]
    );
    assert_eq!(km[4]["survival"], 0.4444);
    assert_eq!(km[5]["survival"], 0.2963);
    assert_eq!(j["time_to_first"]["median_days_kaplan_meier"], 365.0);
    let month = &j["time_to_first"]["by_month"].as_array().unwrap()[11];
    assert_eq!(
        (month["days"].as_i64(), month["reoffended_pct"].as_f64()),
        (Some(365), Some(55.56))
    );
    assert_eq!(
        (j["first_index_date"].as_str(), j["last_index_date"].as_str()),
        (Some("2024-01-05"), Some("2024-03-31"))
    );
}

#[test]
fn an_uncovered_follow_up_is_refused_or_provisional() {
    let ds = fixture().to_str().unwrap();
    // 2024Q2's last index date 2024-06-30 + 18 months: the data must reach 2025-12
    let out = csa(&["reoffending", "--dataset", ds, "--cohort", "2024Q2"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("2024-04 to 2025-12") && e.contains("2025-10, 2025-11, 2025-12"), "{e}");
    assert!(
        e.contains("the latest cohort the data cover is 2024Q1") && e.contains("--provisional"),
        "{e}"
    );
    let out = csa(&["reoffending", "--dataset", ds, "--cohort", "FY2024"]);
    assert_eq!(out.status.code(), Some(2));
    // provisional: D (index 2024-06-01, D3 a re-offence) and E (index 2024-06-01 via D2)
    let j: serde_json::Value =
        serde_json::from_str(&run(&["--cohort", "2024Q2", "--provisional", "--format", "json"]))
            .unwrap();
    assert_eq!(j["provisional"], true);
    assert!(j["table"].as_str().unwrap().contains("PROVISIONAL"));
    assert_eq!((j["cohort_size"].as_u64(), j["reoffenders"].as_u64()), (Some(2), Some(1)));
    assert!(j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().starts_with("PROVISIONAL")));
    // a cohort before the data starts is refused too
    let out = csa(&["reoffending", "--dataset", ds, "--cohort", "2022Q4"]);
    assert_eq!(out.status.code(), Some(2));
    for bad in ["2024Q5", "2024", "FY24x"] {
        let out = csa(&["reoffending", "--dataset", ds, "--cohort", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a cohort period"), "{bad}");
    }
    let out = csa(&["reoffending", "--dataset", ds, "--cohort", "2024Q1", "--by", "postcode"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("age_band, sex, ethnicity"));
}

/// "Violence with injury" (8N): only A's index offence A2 qualifies; A's re-offence A3 is
/// violence without injury and counts (a re-offence is any crime).
#[test]
fn a_priority_restricts_the_index_offences() {
    let rows = records(&run(&[
        "--cohort",
        "2024Q1",
        "--priority",
        "violence with injury",
        "--by",
        "age_band",
        "--format",
        "csv",
    ]));
    assert_eq!(
        [&rows[0]["cohort"], &rows[0]["reoffenders"], &rows[0]["reoffences"]],
        ["1", "1", "1"]
    );
    assert_eq!(rows[1]["group"], "10-17");
}

/// The offender cohort file: D (entry 2024-03-01), F (01/10/2023), B (2024-06-01, exit
/// 2024-12-01) and X (no crimes). Windows (entry - 12 months, entry] and (entry, entry + 12
/// months], cut at the data start 2023-01-01 and at the exit:
///
/// | person | days before | offences before | days after | offences after |
/// |---|---|---|---|---|
/// | D | 366 | 1 (D1) | 365 | 2 (D2, D3) |
/// | F | 274 (from 2023-01-01) | 4 (F0, F1p, F2p, F3p) | 366 | 1 (F1) |
/// | B | 366 | 1 (B1) | 183 | 1 (B2 on the exit date; B3 a day later is out) |
/// | X | 366 | 0 | 365 | 0 |
///
/// Cohort: 6 offences in 1372 days (3.756 years), 4 in 1279 (3.502): 1.597 and 1.142 a year.
#[test]
fn offender_cohort_before_and_after_entry() {
    let file = data("tests/data/reoffending/iom-cohort.csv");
    let text = run(&["--cohort-file", file.to_str().unwrap(), "--format", "csv"]);
    assert!(!text.contains("P-"), "person ids leave only as pseudonyms");
    let rows = records(&text);
    let all = &rows[0];
    assert_eq!(all["person"], "all");
    assert_eq!((num(all, "offences_before"), num(all, "offences_after")), (6.0, 4.0));
    assert_eq!((num(all, "years_before"), num(all, "years_after")), (3.756, 3.502));
    assert_eq!(
        (num(all, "offences_per_year_before"), num(all, "offences_per_year_after")),
        (1.597, 1.142)
    );
    // 13.510542 + 4 x 11.855539 + 11.855539; 189.153887 + 11.855539 + 11.855539 + 465.381473
    assert_eq!((num(all, "harm_css_before"), num(all, "harm_css_after")), (72.79, 678.25));
    // scipy: binomtest(4, 10, t1 / (t1 + t0)) p = 0.75541684510177; Clopper-Pearson ratio
    // interval (0.14843, 3.01571); ratio (4 / 3.50171) / (6 / 3.75633) = 0.71514
    assert!((num(all, "p") - 0.755_416_845_101_767_3).abs() < 1e-9);
    assert_eq!(
        (num(all, "rate_ratio"), num(all, "ratio_ci_low"), num(all, "ratio_ci_high")),
        (0.715, 0.148, 3.016)
    );
    assert_eq!(rows.len(), 5);
    let by_entry: Vec<(&str, f64, f64, f64, f64)> = rows[1..]
        .iter()
        .map(|r| {
            assert!(r["person"].starts_with("IOM-") && r["person"].len() == 14);
            (
                r["entry_date"].as_str(),
                num(r, "offences_before"),
                num(r, "years_before") * 365.25,
                num(r, "offences_after"),
                num(r, "years_after") * 365.25,
            )
        })
        .collect();
    let expected = [
        ("2023-10-01", 4.0, 274.0, 1.0, 366.0),
        ("2024-03-01", 1.0, 366.0, 2.0, 365.0),
        ("2024-05-01", 0.0, 366.0, 0.0, 365.0),
        ("2024-06-01", 1.0, 366.0, 1.0, 183.0),
    ];
    for (g, e) in by_entry.iter().zip(expected) {
        assert_eq!((g.0, g.1, g.3), (e.0, e.1, e.3));
        assert!((g.2 - e.2).abs() < 0.5 && (g.4 - e.4).abs() < 0.5, "{g:?} vs {e:?}");
    }
    // the caveat travels with every format
    let table = run(&["--cohort-file", file.to_str().unwrap()]);
    assert!(table.contains("Regression to the mean"), "{table}");
    let j: serde_json::Value =
        serde_json::from_str(&run(&["--cohort-file", file.to_str().unwrap(), "--format", "json"]))
            .unwrap();
    assert!(j["regression_to_the_mean"].as_str().unwrap().contains("fall"));
    assert!(j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("1 of the 4 people have no crime")));
}

#[test]
fn a_bad_cohort_file_names_its_lines_and_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("iom.csv");
    std::fs::write(
        &f,
        "person_id,entry_date,exit_date\nP-A,2024-13-01,\nP-B,2024-05-01,2024-04-30\n",
    )
    .unwrap();
    let ds = fixture().to_str().unwrap();
    let out = csa(&["reoffending", "--dataset", ds, "--cohort-file", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("iom.csv: line 2: entry_date \"2024-13-01\" is not a date"), "{e}");
    assert!(e.contains("line 3: exit_date 2024-04-30 is before entry_date 2024-05-01"), "{e}");
    // --cohort and --cohort-file are one or the other
    let out = csa(&[
        "reoffending",
        "--dataset",
        ds,
        "--cohort",
        "2024Q1",
        "--cohort-file",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = csa(&["reoffending", "--dataset", ds]);
    assert_eq!(out.status.code(), Some(2));
}

/// The quarter 2025Q3 completes the 2024Q1 cohort (six quarters back): 6 of 9 against 2 of 3
/// a year earlier; the target is 10% below the 2023Q1 rate, 66.67 x 0.9 = 60.0: off target,
/// not significant (p = 1): amber.
#[test]
fn quarterly_reoffending_indicator() {
    let tmp = tempfile::tempdir().unwrap();
    let targets = tmp.path().join("targets.toml");
    std::fs::write(
        &targets,
        "[[indicator]]\npriority = \"Shoplifting\"\n\n[[reoffending]]\ntarget_pct = 10\n",
    )
    .unwrap();
    let out = tmp.path().join("q");
    csa_ok(&[
        "quarterly",
        "--dataset",
        fixture().to_str().unwrap(),
        "--quarter",
        "2025Q3",
        "--targets",
        targets.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = records(&std::fs::read_to_string(out.join("reoffending.csv")).unwrap());
    let r = &rows[0];
    assert_eq!(r["indicator"], "Proven re-offending");
    assert_eq!(
        [&r["cohort_period"], &r["cohort"], &r["reoffenders"], &r["rate_pct"]],
        ["2024Q1", "9", "6", "66.67"]
    );
    assert_eq!(
        [&r["comparison_cohort_period"], &r["comparison_cohort"], &r["comparison_reoffenders"]],
        ["2023Q1", "3", "2"]
    );
    assert_eq!(
        [&r["target_rate_pct"], &r["on_target"], &r["rag"], &r["p"]],
        ["60", "no", "amber", "1"]
    );
    let md = std::fs::read_to_string(out.join("exceptions.md")).unwrap();
    assert!(
        md.contains("**AMBER**: Proven re-offending of the 2024Q1 cohort 66.7% against 66.7%"),
        "{md}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("performance.json")).unwrap())
            .unwrap();
    assert_eq!(j["reoffending"][0]["rate_pct"], 66.67);
}

/// Two synthetic years with the same seed (people outside the panel must still not link
/// across years): every covered cohort's figures by age band are the ground truth's, and
/// every panel person's outcome is recovered one by one, including re-offences in the next
/// year and those recorded inside the waiting period.
#[test]
fn synth_planted_reoffending_is_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ingest: Vec<String> = vec!["--quiet".into(), "ingest".into(), "--extract".into()];
    for year in ["2024", "2025"] {
        let dir = tmp.path().join(year);
        csa_ok(&[
            "synth",
            "--crimes",
            "12500",
            "--seed",
            "7",
            "--year",
            year,
            "--out",
            dir.to_str().unwrap(),
        ]);
        ingest.push(dir.to_str().unwrap().into());
    }
    let ds = tmp.path().join("ds");
    ingest.extend([
        "--boundaries".into(),
        data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap().into(),
        "--out".into(),
        ds.to_str().unwrap().into(),
    ]);
    csa_ok(&ingest.iter().map(String::as_str).collect::<Vec<_>>());
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("2024/ground_truth.json")).unwrap())
            .unwrap();
    let t = &truth["reoffending"];
    assert_eq!(t["panel_people_per_quarter_and_band"], 5);
    let mut covered = 0;
    for c in t["cohorts"].as_array().unwrap() {
        let period = c["period"].as_str().unwrap();
        let args = [
            "reoffending",
            "--dataset",
            ds.to_str().unwrap(),
            "--cohort",
            period,
            "--by",
            "age_band",
            "--format",
            "csv",
        ];
        if c["needs_data_to"].as_str().unwrap() > "2025-12" {
            assert_eq!(csa(&args).status.code(), Some(2), "{period} is not covered yet");
            continue;
        }
        covered += 1;
        let rows = records(&csa_ok(&args));
        let got = |r: &BTreeMap<String, String>| {
            [num(r, "cohort"), num(r, "reoffenders"), num(r, "reoffences")]
        };
        let want = |v: &serde_json::Value| {
            ["cohort", "reoffenders", "reoffences"].map(|k| v[k].as_f64().unwrap())
        };
        assert_eq!(got(&rows[0]), want(c), "{period}");
        let bands = c["by_age_band"].as_array().unwrap();
        assert_eq!(rows.len() - 1, bands.len(), "{period}");
        for b in bands {
            let r = rows.iter().find(|r| r["group"] == b["age_band"].as_str().unwrap()).unwrap();
            assert_eq!(got(r), want(b), "{period} {}", b["age_band"]);
        }
        assert!(
            c["reoffenders_next_year"].as_u64().unwrap() > 0,
            "{period}: someone re-offends in 2025"
        );
    }
    assert_eq!(covered, 2, "2024Q1 and 2024Q2 are covered by two years of data");
    // the panel one by one, through the library
    use csa_analysis::reoffending::{coverage, CohortPeriod, Offences, Spec};
    let spec = Spec::default();
    let p = CohortPeriod::parse("2024Q1").unwrap();
    let periods = csa_analysis::Periods { current: p.months(), comparison: p.months() };
    let all = csa_analysis::Priority::all();
    let a = csa_analysis::Assessment::open_months(
        &ds,
        csa_analysis::Config::default_config(),
        periods,
        spec.load(CohortPeriod::parse("2024Q2").unwrap()),
        &csa_analysis::reoffending::needs(&all),
    )
    .unwrap();
    let offences = Offences::new(&a).unwrap();
    let mut outcome: BTreeMap<(String, String), (u32, Option<i32>)> = BTreeMap::new();
    for q in ["2024Q1", "2024Q2"] {
        let cp = CohortPeriod::parse(q).unwrap();
        let cohort = offences.cohort(&all, cp, &spec, coverage(&a, cp, &spec).unwrap()).unwrap();
        assert!(!cohort.provisional);
        let people = &a.data.offenders.as_ref().unwrap().person;
        for m in &cohort.members {
            outcome.insert(
                (q.into(), people.id(m.person).unwrap().into()),
                (m.reoffences, m.first_days),
            );
        }
    }
    let mut checked = 0;
    let mut at_twelve_months = 0;
    let (mut young, mut old) = ((0, 0), (0, 0));
    for pt in t["panel"].as_array().unwrap() {
        let q = pt["cohort"].as_str().unwrap();
        let key = (q.to_string(), pt["person_id"].as_str().unwrap().to_string());
        let Some(&(n, first)) = outcome.get(&key) else {
            assert!(q == "2024Q3" || q == "2024Q4", "{key:?} not in its cohort");
            continue;
        };
        assert_eq!(u64::from(n), pt["reoffences"].as_u64().unwrap(), "{key:?}");
        assert_eq!(first.map(i64::from), pt["first_reoffence_days"].as_i64(), "{key:?}");
        if matches!(first, Some(365 | 366)) {
            at_twelve_months += 1;
        }
        checked += 1;
    }
    assert_eq!(checked, 2 * 7 * 5);
    assert!(at_twelve_months > 0, "a first re-offence exactly 12 months on is recovered");
    // every boundary is planted in the year's panel
    let pc = &t["panel_crimes"];
    for k in [
        "same_day",
        "reoffences_at_twelve_months",
        "reoffences_recorded_in_waiting_period",
        "reoffences_recorded_on_the_limit",
        "recorded_too_late",
        "after_follow_up",
    ] {
        assert!(pc[k].as_u64().unwrap() > 0, "{k}: {pc}");
    }
    // the planted gradient, in the truth of all four quarters: the young re-offend more
    for pt in t["panel"].as_array().unwrap() {
        let r = u64::from(pt["reoffences"].as_u64().unwrap() > 0);
        match pt["age_band"].as_str().unwrap() {
            "10-17" | "18-24" => young = (young.0 + r, young.1 + 1),
            "55-64" | "65+" => old = (old.0 + r, old.1 + 1),
            _ => {}
        }
    }
    assert!(young.0 * old.1 > 2 * old.0 * young.1, "young {young:?} old {old:?}");
}

/// `csa serve`'s quarterly page shows the `[[reoffending]]` indicators of its targets file
/// as `csa quarterly --quarter latest` writes them (the same cohort, counts, rate and RAG),
/// to those who see every priority and to the Reducing Re-offending sub-group, not to a
/// partner of another sub-group.
#[test]
fn serve_quarterly_page_shows_reoffending_indicators() {
    use common::serve::{add_user, users, Server, PASSWORD};
    let tmp = tempfile::tempdir().unwrap();
    let targets = tmp.path().join("targets.toml");
    std::fs::write(
        &targets,
        "[[indicator]]\npriority = \"Shoplifting\"\n\n[[reoffending]]\ntarget_pct = 10\n",
    )
    .unwrap();
    let out = tmp.path().join("q");
    let ds = fixture().to_str().unwrap();
    let t = targets.to_str().unwrap();
    csa_ok(&[
        "quarterly",
        "--dataset",
        ds,
        "--quarter",
        "latest",
        "--targets",
        t,
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = records(&std::fs::read_to_string(out.join("reoffending.csv")).unwrap());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    let u = users(tmp.path());
    let (code, err) = add_user(&u, "rrg", "partner", "Reducing Re-offending", PASSWORD);
    assert_eq!(code, 0, "{err}");
    let server = Server::start(fixture(), &u, &["--targets", t]);
    for (user, sees) in [("admin", true), ("analyst", true), ("rrg", true), ("harp", false)] {
        let cookie = server.sign_in(user, PASSWORD).expect("signs in");
        let page = server.get("/quarterly", Some(&cookie));
        assert_eq!(page.status, 200, "{user}");
        let text = page.text();
        assert_eq!(text.contains("<h2>Proven re-offending</h2>"), sees, "{user}: {text}");
        if !sees {
            continue;
        }
        for (k, class) in [
            ("indicator", ""),
            ("cohort_period", ""),
            ("cohort", " class=\"n\""),
            ("reoffenders", " class=\"n\""),
            ("comparison_cohort_period", ""),
            ("rag", ""),
        ] {
            let cell = format!("<td{class}>{}</td>", r[k]);
            assert!(text.contains(&cell), "{user}: {k} {cell} not on the page");
        }
    }
}
