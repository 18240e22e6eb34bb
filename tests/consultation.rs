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

    // weighting: every margin met; unweighted share of 65+ far above its population share
    let w = rows(&out.join("consultation_weighting.csv"));
    for r in &w {
        assert!((num(r, "weighted_share_pct") - num(r, "target_share_pct")).abs() < 0.05, "{r:?}");
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
