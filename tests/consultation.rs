//! The public consultation: on `csa synth --survey --survey-biased` (older residents and every
//! fourth ward over-represented, priorities that differ by age, the population's true shares
//! in survey_truth.json), `csa consultation` flags the groups the design under- and
//! over-represents, weighting moves the priority shares toward the truth, the weekly and
//! free-text tables add up, the report and workbook are written, the running check exits 3,
//! and raking that cannot converge names the margin. (Raking against an independent
//! implementation: unit tests in csa-analysis/src/raking.rs.)
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{csa, csa_ok};

fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| h.iter().cloned().zip(rec.unwrap().iter().map(str::to_string)).collect())
        .collect()
}

fn num(r: &HashMap<String, String>, c: &str) -> f64 {
    r[c].parse().unwrap_or_else(|_| panic!("{c} = {:?}", r[c]))
}

#[test]
fn weighting_a_biased_sample_moves_estimates_toward_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let d = dir.to_str().unwrap();
    csa_ok(&["synth", "--survey", "4000", "--survey-biased", "--seed", "11", "--out", d]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("survey_truth.json")).unwrap()).unwrap();
    let truth: HashMap<String, f64> = truth["population_priority_shares_pct"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
        .collect();
    // settings: a codebook, "you said, we did", a weekly minimum the late weeks miss
    std::fs::write(
        tmp.path().join("codebook.toml"),
        "[themes]\n\"Street lighting\" = [\"lighting\", \"dark\"]\nSpeeding = [\"speeding\"]\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("you-said.csv"),
        "theme,you_said,we_did\nASB,\"ASB matters most, above all to older residents\",\"ASB stays a priority, with patrols\"\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("consultation.toml"),
        "[tracking]\nstart = 2025-01-06\nend = 2025-03-30\nmin_per_week = 300\n[free_text]\ncodebook = \"codebook.toml\"\n[report]\nyou_said_we_did = \"you-said.csv\"\n",
    )
    .unwrap();
    let cfg = tmp.path().join("consultation.toml");
    let out = tmp.path().join("out");
    let file = dir.join("survey.csv");
    let printed = csa_ok(&[
        "consultation",
        "--file",
        file.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(printed.contains("4000 respondents"), "{printed}");
    assert!(printed.contains("weighted by raking to ward, age_band, sex"), "{printed}");

    // representativeness: 16-24 (propensity 0.35) under, 65+ (2.4) over; Bablake (the
    // first ward, a keen one) over
    let rep = rows(&out.join("consultation_representation.csv"));
    let flag = |dim: &str, g: &str| {
        rep.iter()
            .find(|r| r["dimension"] == dim && r["group"] == g)
            .map(|r| r["representation"].clone())
            .unwrap()
    };
    assert_eq!(flag("age_band", "16-24"), "under-represented");
    assert_eq!(flag("age_band", "65+"), "over-represented");
    assert_eq!(flag("ward", "Bablake"), "over-represented");
    // a ward's rate per 1,000 = respondents / residents x 1000
    let b = rep.iter().find(|r| r["group"] == "Bablake").unwrap();
    let rate = 1000.0 * num(b, "respondents") / num(b, "population");
    assert!((num(b, "responses_per_1000") - rate).abs() < 1e-3);

    // weighting: every margin met, but for what trimming (at 5 x the mean weight) leaves:
    // young men answer so rarely that their band stays a little short, and the method table
    // says by how much
    let method = rows(&out.join("consultation_method.csv"));
    let gap = method.iter().find(|r| r["item"] == "largest gap to a margin (points)").unwrap();
    let gap = num(gap, "value");
    assert!(gap < 0.5, "{gap}");
    let w = rows(&out.join("consultation_weighting.csv"));
    for r in &w {
        let off = (num(r, "weighted_share_pct") - num(r, "target_share_pct")).abs();
        assert!(off <= gap + 0.01, "{r:?} largest gap {gap}");
    }
    // priorities: for the options whose popularity changes most with age, the weighted
    // share is nearer the truth than the raw one, and the truth is inside the weighted interval
    let pri = rows(&out.join("consultation_priorities.csv"));
    for opt in ["Anti-social behaviour", "Robbery", "Youth violence/gangs", "Burglary"] {
        let r = pri.iter().find(|r| r["option"] == opt).unwrap();
        let t = truth[opt];
        let (raw, wt) = (num(r, "share_pct"), num(r, "weighted_share_pct"));
        assert!(
            (wt - t).abs() < (raw - t).abs() * 0.6,
            "{opt}: truth {t}, raw {raw}, weighted {wt}"
        );
        assert!(num(r, "weighted_ci_low_pct") <= t && t <= num(r, "weighted_ci_high_pct"), "{opt}");
        // the effective base is below the base (design effect above 1)
        assert!(num(r, "effective_base") < num(r, "base"));
    }

    // tracking: the weeks add up to the respondents, channel columns to the week's total
    let weeks = rows(&out.join("consultation_weeks.csv"));
    assert_eq!(weeks.len(), 12);
    let total: f64 = weeks.iter().map(|r| num(r, "responses")).sum();
    assert_eq!(total, 4000.0);
    for r in &weeks {
        let by: f64 =
            ["online", "paper", "event", "email", "not_known"].iter().map(|c| num(r, c)).sum();
        assert_eq!(by, num(r, "responses"));
    }
    assert_eq!(num(weeks.last().unwrap(), "cumulative"), 4000.0);

    // themes: the two lighting comments and the speeding one are coded; the rest listed
    let themes = rows(&out.join("consultation_themes.csv"));
    let lighting = themes.iter().find(|r| r["theme"] == "Street lighting").unwrap();
    assert!(num(lighting, "respondents") > 100.0);
    let uncoded = std::fs::read_to_string(out.join("consultation_uncoded.csv")).unwrap();
    assert!(uncoded.contains("Nothing to add"));
    assert!(!uncoded.contains("street lighting on our road"));

    // the report: self-contained, with the map and you-said table
    let html = std::fs::read_to_string(out.join("consultation.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("You said, we did"));
    assert!(html.contains("ASB stays a priority"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    assert!(out.join("consultation.xlsx").exists());

    // the public edition leaves out the uncoded answers and examples
    let pub_out = tmp.path().join("public");
    csa_ok(&[
        "consultation",
        "--file",
        file.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        pub_out.to_str().unwrap(),
        "--public",
    ]);
    assert!(!pub_out.join("consultation_uncoded.csv").exists());
    let pt = std::fs::read_to_string(pub_out.join("consultation_themes.csv")).unwrap();
    assert!(!pt.contains("street lighting on our road"), "{pt}");

    // the running check: under-represented groups and weeks below 300 -> exit 3, JSON
    let e = csa(&[
        "consultation",
        "--file",
        file.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--check",
        "--today",
        "2025-04-01",
    ]);
    assert_eq!(e.status.code(), Some(3));
    let status: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    assert_eq!(status["respondents"], 4000);
    let attention: Vec<String> = status["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert!(attention.iter().any(|a| a.contains("age_band 16-24")), "{attention:?}");
    assert!(attention.iter().any(|a| a.contains("below the minimum of 300")), "{attention:?}");
}

#[test]
fn raking_that_cannot_converge_names_the_margin() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_str().unwrap();
    csa_ok(&["synth", "--survey", "300", "--survey-biased", "--seed", "3", "--out", d]);
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[weighting]\nmax_iterations = 1\ntolerance = 1e-12\n").unwrap();
    let e = csa(&[
        "consultation",
        "--file",
        tmp.path().join("survey.csv").to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(2), "{err}");
    assert!(err.contains("did not converge after 1 iterations"), "{err}");
    assert!(err.contains("percentage points from its target"), "{err}");
    // a bad setting names the file and key
    std::fs::write(&cfg, "[weighting]\nmargins = [\"shoe_size\"]\n").unwrap();
    let e = csa(&[
        "consultation",
        "--file",
        tmp.path().join("survey.csv").to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(2), "{err}");
    assert!(err.contains("c.toml") && err.contains("shoe_size"), "{err}");
}

/// Runs `csa consultation` on `file` with the settings `toml` (written beside `dir`), writing
/// the tables to `dir`.
fn consult(file: &Path, dir: &Path, toml: &str) {
    let cfg = dir.with_extension("toml");
    std::fs::write(&cfg, toml).unwrap();
    csa_ok(&[
        "consultation",
        "--file",
        file.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
}

#[test]
fn a_joint_age_by_sex_margin_undoes_what_separate_margins_cannot() {
    // young men answer at half the rate of their age band's women (on top of the age and sex
    // propensities) and choose motor vehicle crime three times as often: raking to age and sex
    // separately meets both margins but leaves young men under-weighted; the joint margin
    // (residents by age band and sex from survey_population.csv) does not
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let d = dir.to_str().unwrap();
    csa_ok(&["synth", "--survey", "20000", "--survey-biased", "--seed", "5", "--out", d]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("survey_truth.json")).unwrap()).unwrap();
    let pairs = |key: &str| -> HashMap<String, f64> {
        truth[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap()))
            .collect()
    };
    let age_sex = pairs("population_age_sex_shares_pct");
    let shares = pairs("population_priority_shares_pct");
    let file = dir.join("survey.csv");
    let pop = dir.join("survey_population.csv");
    let separate = tmp.path().join("separate");
    consult(
        &file,
        &separate,
        "[weighting]\nmargins = [\"ward\", \"age_band\", \"sex\"]\ntrim = []\n",
    );
    let joint = tmp.path().join("joint");
    consult(
        &file,
        &joint,
        &format!(
            "[population]\njoint = {:?}\n[weighting]\nmargins = [\"ward\", \"age_band x sex\"]\ntrim = []\n",
            pop.to_str().unwrap()
        ),
    );
    // every joint cell meets its target, and the target is the population's share
    let w = rows(&joint.join("consultation_weighting.csv"));
    let cells: Vec<_> = w.iter().filter(|r| r["dimension"] == "age_band x sex").collect();
    assert_eq!(cells.len(), 12, "{w:?}");
    for r in &cells {
        let t = age_sex[&r["group"]];
        assert!((num(r, "target_share_pct") - t).abs() < 0.01, "{r:?} truth {t}");
        assert!((num(r, "weighted_share_pct") - t).abs() < 0.01, "{r:?} truth {t}");
    }
    // young men answered well below their share of residents
    let ym = cells.iter().find(|r| r["group"] == "16-24 x Male").unwrap();
    assert!(num(ym, "group_share_pct") < 0.3 * num(ym, "target_share_pct"), "{ym:?}");
    let method = std::fs::read_to_string(joint.join("consultation_method.csv")).unwrap();
    assert!(method.contains("population by age_band x sex"), "{method}");
    // motor vehicle crime: the joint margin lands nearer the truth than separate margins
    let opt = "Motor vehicle crime/theft";
    let t = shares[opt];
    let share = |dir: &Path| {
        let pri = rows(&dir.join("consultation_priorities.csv"));
        let r = pri.iter().find(|r| r["option"] == opt).unwrap().clone();
        (
            num(&r, "weighted_share_pct"),
            num(&r, "weighted_ci_low_pct"),
            num(&r, "weighted_ci_high_pct"),
        )
    };
    let (sep, _, _) = share(&separate);
    let (jt, lo, hi) = share(&joint);
    assert!(
        (jt - t).abs() < 0.5 * (sep - t).abs() && sep < t,
        "truth {t}, separate margins {sep}, joint {jt}"
    );
    assert!(lo <= t && t <= hi, "truth {t} outside [{lo}, {hi}]");

    // a joint margin without a joint table, and a misspelt margin, are errors saying what to do
    let cfg = tmp.path().join("bad.toml");
    for (toml, want) in [
        ("[weighting]\nmargins = [\"age_band x sex\"]\n", "[population] joint"),
        ("[weighting]\nmargins = [\"age x sex\"]\n", "\"age\" is not a dimension"),
    ] {
        std::fs::write(&cfg, toml).unwrap();
        let e = csa(&[
            "consultation",
            "--file",
            file.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&e.stderr);
        assert_eq!(e.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn the_assessment_pack_carries_the_weighted_survey_and_you_said_we_did() {
    // the demo assessment with a biased survey and the consultation settings named
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("s");
    csa_ok(&[
        "synth",
        "--survey",
        "2000",
        "--survey-biased",
        "--seed",
        "7",
        "--out",
        s.to_str().unwrap(),
    ]);
    std::fs::write(
        tmp.path().join("you-said.csv"),
        "theme,you_said,we_did\nRobbery,Robbery worries older residents,Robbery stays a priority\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("consultation.toml"),
        "[population]\narea = [\"E08000026\"]\n[report]\nyou_said_we_did = \"you-said.csv\"\n",
    )
    .unwrap();
    let demo = common::data("data/demo");
    let text = std::fs::read_to_string(demo.join("assessment.toml")).unwrap();
    let root = demo.to_str().unwrap();
    let config: String = text
        .lines()
        .map(|l| {
            if l.starts_with("survey = ") {
                format!(
                    "survey = {:?}\nconsultation = {:?}",
                    s.join("survey.csv").to_str().unwrap(),
                    tmp.path().join("consultation.toml").to_str().unwrap()
                )
            } else {
                // the demo's relative paths, from its folder
                l.replace("\"../", &format!("\"{root}/../"))
                    .replace("\"coventry-extract", &format!("\"{root}/coventry-extract"))
                    .replace("\"partner-mapping", &format!("\"{root}/partner-mapping"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let cfg = tmp.path().join("assessment.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = tmp.path().join("pack");
    csa_ok(&["assess", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let tables = out.join("tables");
    let weighted = rows(&tables.join("survey_priorities_weighted.csv"));
    let plain = rows(&tables.join("survey_priorities.csv"));
    let said = std::fs::read_to_string(tables.join("survey_you_said_we_did.csv")).unwrap();
    assert!(said.contains("Robbery stays a priority"), "{said}");
    // the ranking's public concern for Robbery is the weighted share, not the raw one
    let find = |t: &[HashMap<String, String>], col: &str| {
        let r = t.iter().find(|r| r["option"] == "Robbery").unwrap();
        num(r, col)
    };
    let (wt, raw) = (find(&weighted, "weighted_share_pct"), find(&plain, "share_pct"));
    assert!((wt - raw).abs() > 0.5, "weighting should move Robbery: raw {raw}, weighted {wt}");
    let ranking = rows(&tables.join("priority_ranking.csv"));
    let robbery = ranking.iter().find(|r| r["priority"] == "Robbery").unwrap();
    assert!((num(robbery, "concern_pct") - wt).abs() < 0.01, "{robbery:?} weighted {wt}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("You said, we did") && html.contains("Robbery stays a priority"));
}
