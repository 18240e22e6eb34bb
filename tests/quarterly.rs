//! `csa quarterly` with known answers: a hand-built extract whose monthly counts are chosen so
//! every figure of the performance table can be worked out by hand; unattended operation
//! (lock, atomic replacement, JSON logs, exit codes); and the Home Office's published 2017/18
//! quarterly totals for West Midlands Police reproduced exactly from a record-level extract
//! built from them (skipped when ../shared is absent).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use common::{csa, csa_ok};

/// `performance.csv` as indicator -> column -> value.
fn table(out: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join("performance.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: BTreeMap<String, String> =
                header.iter().cloned().zip(rec.iter().map(str::to_string)).collect();
            (row["indicator"].clone(), row)
        })
        .collect()
}

fn last_day(y: i32, m: u32) -> u32 {
    chrono::NaiveDate::from_ymd_opt(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    )
    .unwrap()
    .pred_opt()
    .unwrap()
    .day0()
        + 1
}

use chrono::Datelike;

/// Monthly counts 2023-07 .. 2025-06 (24 months) per offence code.
fn write_extract(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let months: Vec<(i32, u32)> =
        (0..24).map(|i| (2023 + (6 + i) / 12, ((6 + i) % 12 + 1) as u32)).collect();
    // residential burglary (28E): 30 a month, but 2024-06: 40 (2024Q2 = 100),
    // 2025-01..03: 35, 35, 40 (2025Q1 = 110), 2025-04..06: 40, 50, 50 (2025Q2 = 140)
    let burglary = |y: i32, m: u32| match (y, m) {
        (2024, 6) => 40,
        (2025, 1) | (2025, 2) => 35,
        (2025, 3) | (2025, 4) => 40,
        (2025, 5) | (2025, 6) => 50,
        _ => 30,
    };
    // robbery (34B): 20 a month throughout
    // vehicle crime (45): 40 a month, but 2024-04..06: 50 (150) and 2025-04..06: 30 (90)
    let vehicle = |y: i32, m: u32| match (y, m) {
        (2024, 4..=6) => 50,
        (2025, 4..=6) => 30,
        _ => 40,
    };
    let mut s = String::from("crime_ref,recorded_date,offence_code,easting,northing\n");
    let mut n = 0;
    for &(y, m) in &months {
        for (code, count) in [("28E", burglary(y, m)), ("34B", 20), ("45", vehicle(y, m))] {
            for k in 0..count {
                // the last record of a month falls on its last day, so the month is complete
                let day = if k == count - 1 { last_day(y, m) } else { 1 + k % 27 };
                n += 1;
                writeln!(s, "Q{n},{y}-{m:02}-{day:02},{code},433866,279103").unwrap();
            }
        }
    }
    std::fs::write(dir.join("crimes.csv"), s).unwrap();
}

const TARGETS: &str = r#"
[defaults]
target_pct = 5

[[indicator]]
priority = "Residential burglary"
target_pct = 10

[[indicator]]
priority = "Robbery"

[[indicator]]
priority = "Vehicle crime"
"#;

#[test]
fn quarter_by_hand_and_unattended_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let extract = tmp.path().join("extract");
    write_extract(&extract);
    let ds = tmp.path().join("ds");
    let wards = common::data("data/boundaries/coventry-wards-2025.geojson");
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        extract.to_str().unwrap(),
        "--boundaries",
        wards.to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
    ]);
    let targets = tmp.path().join("targets.toml");
    std::fs::write(&targets, TARGETS).unwrap();
    let out = tmp.path().join("q");
    let (ds, t, o) = (ds.to_str().unwrap(), targets.to_str().unwrap(), out.to_str().unwrap());

    // `latest` is 2025Q2: the data end on 2025-06-30
    let run =
        csa(&["quarterly", "--dataset", ds, "--quarter", "latest", "--targets", t, "--out", o]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(log.contains("quarter=2025Q2") && log.contains("exceptions=3"), "{log}");
    let tb = table(&out);
    let b = &tb["Residential burglary"];
    // 2025Q2 140 against 2024Q2 100: +40, +40%; exact test p = 2 P(X >= 140 | 240, 1/2) = 0.011664
    assert_eq!(
        (
            b["count"].as_str(),
            b["same_quarter_last_year"].as_str(),
            b["change"].as_str(),
            b["change_pct"].as_str()
        ),
        ("140", "100", "40", "40")
    );
    assert!(
        (b["p"].parse::<f64>().unwrap() - 0.011_664_092_317_677_663).abs() < 1e-9,
        "{}",
        b["p"]
    );
    assert_eq!(b["rate_ratio"], "1.4");
    // previous quarter 2025Q1 = 110: +30, +27.27%
    assert_eq!(
        (
            b["previous_quarter"].as_str(),
            b["change_on_previous_quarter"].as_str(),
            b["change_pct_on_previous_quarter"].as_str()
        ),
        ("110", "30", "27.27")
    );
    // rolling 12 to 2025-06: 6 x 30 + 110 + 140 = 430; the 12 before: 9 x 30 + 100 = 370;
    // over 365 and 366 days (2024-02 has 29): X ~ Binomial(800, 365/731), scipy's binomtest
    // p = 0.031053 (equal days would have given 0.036916)
    assert_eq!(
        (
            b["rolling_12_months"].as_str(),
            b["rolling_12_months_before"].as_str(),
            b["rolling_12_change_pct"].as_str()
        ),
        ("430", "370", "16.22")
    );
    assert!((b["rolling_12_p"].parse::<f64>().unwrap() - 0.031_053_179_458_468_427).abs() < 1e-9);
    // 2025Q2 and 2024Q2 both have 91 days
    assert_eq!((b["days"].as_str(), b["same_quarter_last_year_days"].as_str()), ("91", "91"));
    // financial year to date (April to June): 140 against 100
    assert_eq!(
        (b["financial_year_to_date"].as_str(), b["financial_year_to_date_last_year"].as_str()),
        ("140", "100")
    );
    // target: 10% below 100 = 90; 140 is off target and significantly up: red, first exception
    assert_eq!(
        (
            b["baseline"].as_str(),
            b["target"].as_str(),
            b["on_target"].as_str(),
            b["rag"].as_str(),
            b["exception_rank"].as_str()
        ),
        ("100", "90", "no", "red", "1")
    );
    // robbery: 60 against 60, p = 1; target 57: off target, not significant: amber
    let r = &tb["Robbery"];
    assert_eq!(
        (
            r["count"].as_str(),
            r["change"].as_str(),
            r["p"].as_str(),
            r["target"].as_str(),
            r["rag"].as_str()
        ),
        ("60", "0", "1", "57", "amber")
    );
    // vehicle crime: 90 against 150 (p = 0.00013), on target (142.5): green, but a significant
    // favourable movement, so the third exception
    let v = &tb["Vehicle crime"];
    assert_eq!(
        (
            v["count"].as_str(),
            v["change_pct"].as_str(),
            v["on_target"].as_str(),
            v["rag"].as_str(),
            v["exception_rank"].as_str()
        ),
        ("90", "-40", "yes", "green", "3")
    );
    let md = std::fs::read_to_string(out.join("exceptions.md")).unwrap();
    assert!(md.contains("1. **RED**: Residential burglary up 40% (+40) on the same quarter last year (140 against 100); significant (p = 0.012); off target (target 90)."), "{md}");
    assert!(md.contains("2. **AMBER**: Robbery unchanged on the same quarter last year (60); not significant (p = 1.00); off target (target 57)."), "{md}");
    assert!(md.contains("3. **GREEN**: Vehicle crime down 40% (-60) on the same quarter last year (90 against 150); significant (p < 0.001); on target (target 142.5)."), "{md}");
    for f in ["performance.xlsx", "charts/residential-burglary.png", "charts/vehicle-crime.png"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("performance.json")).unwrap())
            .unwrap();
    assert_eq!(j["quarter"], "2025Q2");
    assert_eq!(j["exceptions"][0]["indicator"], "Residential burglary");
    assert_eq!(j["indicators"][0]["monthly"].as_array().unwrap().len(), 24);

    // 2025Q1 (90 days) against 2024Q1 (91, a leap year): burglary 110 against 90 is
    // X ~ Binomial(200, 90/181), p = 0.138147 (scipy's binomtest; 0.178964 with the days
    // ignored), rate ratio per day (110/90)/(90/91) = 1.236; robbery opts out of the default
    // target ("none"), so it has none; alpha 0.1 from the file
    let t1 = tmp.path().join("targets-q1.toml");
    std::fs::write(
        &t1,
        "[defaults]\ntarget_pct = 5\nalpha = 0.1\n[[indicator]]\npriority = \"Residential burglary\"\n[[indicator]]\npriority = \"Robbery\"\ntarget_pct = \"none\"\n",
    )
    .unwrap();
    let q1 = tmp.path().join("q1");
    csa_ok(&[
        "quarterly",
        "--dataset",
        ds,
        "--quarter",
        "2025Q1",
        "--targets",
        t1.to_str().unwrap(),
        "--out",
        q1.to_str().unwrap(),
    ]);
    let tb = table(&q1);
    let b = &tb["Residential burglary"];
    assert_eq!((b["days"].as_str(), b["same_quarter_last_year_days"].as_str()), ("90", "91"));
    assert!((b["p"].parse::<f64>().unwrap() - 0.138_146_898_680_950_76).abs() < 1e-9, "{}", b["p"]);
    assert_eq!(b["rate_ratio"], "1.236");
    assert_eq!((b["target"].as_str(), b["rag"].as_str()), ("85.5", "amber"));
    let r = &tb["Robbery"];
    assert_eq!(
        (r["target"].as_str(), r["on_target"].as_str(), r["rag"].as_str()),
        ("", "", "green")
    );
    let md = std::fs::read_to_string(q1.join("exceptions.md")).unwrap();
    assert!(md.contains("not significant (p = 0.14)") && md.contains("alpha = 0.1"), "{md}");

    // the financial-year name of the same months gives the same figures
    let fy = tmp.path().join("fy");
    csa_ok(&[
        "quarterly",
        "--dataset",
        ds,
        "--quarter",
        "FY2025Q1",
        "--targets",
        t,
        "--out",
        fy.to_str().unwrap(),
    ]);
    assert_eq!(table(&fy)["Residential burglary"]["count"], "140");

    // 2024Q2: the data start in 2023-07, so there is no same quarter last year and no
    // baseline: every indicator is grey (not rated), and there are no exceptions
    let early = tmp.path().join("early");
    csa_ok(&[
        "quarterly",
        "--dataset",
        ds,
        "--quarter",
        "2024Q2",
        "--targets",
        t,
        "--out",
        early.to_str().unwrap(),
    ]);
    let te = table(&early);
    assert!(
        te.values()
            .all(|r| r["rag"] == "grey" && r["p"].is_empty() && r["exception_rank"].is_empty()),
        "{te:?}"
    );
    assert_eq!(te["Residential burglary"]["count"], "100");
    assert!(
        te["Residential burglary"]["note"].contains("no data for all of 2023-04 to 2023-06"),
        "{}",
        te["Residential burglary"]["note"]
    );
    assert!(std::fs::read_to_string(early.join("exceptions.md"))
        .unwrap()
        .contains("No indicator could be rated"));

    // a re-run replaces the folder whole: a stray file disappears, nothing is left beside it
    std::fs::write(out.join("stray.txt"), "x").unwrap();
    let run = csa(&[
        "quarterly",
        "--dataset",
        ds,
        "--quarter",
        "2025Q2",
        "--targets",
        t,
        "--out",
        o,
        "--log-format",
        "json",
        "--exceptions-exit-code",
        "3",
    ]);
    assert_eq!(run.status.code(), Some(3), "exceptions exist");
    assert!(!out.join("stray.txt").exists());
    let siblings: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        siblings
            .iter()
            .all(|n| !n.contains(".partial") && !n.contains(".old") && !n.ends_with(".lock")),
        "{siblings:?}"
    );
    // JSON log lines on stderr
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&run.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.first().map(|l| l["msg"].clone()), Some("start".into()));
    assert_eq!(lines.last().map(|l| l["exceptions"].clone()), Some(3.into()));

    // a lock held by a live process stops a second run, naming the lock; a stale one is taken over
    let lock = tmp.path().join("q.lock");
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let run =
        csa(&["quarterly", "--dataset", ds, "--quarter", "2025Q2", "--targets", t, "--out", o]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("is locked by another run"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::write(&lock, "4000000000\n").unwrap();
    csa_ok(&["quarterly", "--dataset", ds, "--quarter", "2025Q2", "--targets", t, "--out", o]);
    assert!(!lock.exists());

    // bad input: exit 2, as a JSON log line when asked
    std::fs::write(&targets, "[[indicator]]\npriority = \"burglery\"\n").unwrap();
    let run = csa(&[
        "quarterly",
        "--dataset",
        ds,
        "--quarter",
        "2025Q2",
        "--targets",
        t,
        "--out",
        o,
        "--log-format",
        "json",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let err: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&run.stderr).lines().last().unwrap()).unwrap();
    assert_eq!(err["level"], "error");
    assert!(err["msg"].as_str().unwrap().contains("targets.toml:2:12"), "{err}");
    let run =
        csa(&["quarterly", "--dataset", ds, "--quarter", "2027Q5", "--targets", t, "--out", o]);
    assert_eq!(run.status.code(), Some(2));
    // a quarter the data do not cover
    std::fs::write(&targets, TARGETS).unwrap();
    let run =
        csa(&["quarterly", "--dataset", ds, "--quarter", "2025Q3", "--targets", t, "--out", o]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("does not cover all of 2025Q3"));
}

#[test]
fn reproduces_home_office_quarters_for_west_midlands() {
    let Some(src) = common::shared("home_office/prc-pfa-2017-18-by-quarter.csv") else {
        eprintln!("skipped: ../shared/data/real/home_office/prc-pfa-2017-18-by-quarter.csv is not beside the clone");
        return;
    };
    // published totals per (quarter, offence group), and one record per counted offence
    let mut published: BTreeMap<(u32, String), u64> = BTreeMap::new();
    let mut s = String::from("crime_ref,recorded_date,offence_code,easting,northing\n");
    let mut r = csv::Reader::from_path(&src).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (force, q, group, code, n) = (
        col("Force_Name"),
        col("Financial_Quarter"),
        col("Offence_Group"),
        col("Offence_Code"),
        col("Number_of_Offences"),
    );
    let mut id = 0u64;
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[force] != "West Midlands" {
            continue;
        }
        let quarter: u32 = rec[q].parse().unwrap();
        let count: u64 = rec[n].parse().unwrap();
        *published.entry((quarter, rec[group].to_string())).or_default() += count;
        // FY2017 quarter 1 = April-June 2017 ... quarter 4 = January-March 2018
        let first = 4 + 3 * (quarter - 1);
        for i in 0..count {
            let m = first + (i % 3) as u32;
            let (y, m) = if m > 12 { (2018, m - 12) } else { (2017, m) };
            id += 1;
            writeln!(s, "WM{id},{y}-{m:02}-{:02},{},433866,279103", 1 + i % 28, &rec[code])
                .unwrap();
        }
    }
    let groups: Vec<String> = published
        .keys()
        .map(|k| k.1.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let extract = tmp.path().join("wm");
    std::fs::create_dir_all(&extract).unwrap();
    std::fs::write(extract.join("crimes.csv"), s).unwrap();
    let ds = tmp.path().join("ds");
    let wards = common::data("data/boundaries/coventry-wards-2025.geojson");
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        extract.to_str().unwrap(),
        "--boundaries",
        wards.to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
    ]);
    // one priority and one indicator per offence group
    let mut config = String::new();
    let mut targets = String::new();
    for g in &groups {
        writeln!(config, "[[priority]]\nname = \"{g}\"\nsubgroups = [\"Cross-cutting\"]\nfilter = {{ offence_group = [\"{g}\"] }}\n").unwrap();
        writeln!(targets, "[[indicator]]\npriority = \"{g}\"\n").unwrap();
    }
    let (cfg, tg) = (tmp.path().join("groups.toml"), tmp.path().join("targets.toml"));
    std::fs::write(&cfg, config).unwrap();
    std::fs::write(&tg, targets).unwrap();
    for quarter in 1..=4u32 {
        let out = tmp.path().join(format!("q{quarter}"));
        csa_ok(&[
            "quarterly",
            "--dataset",
            ds.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--quarter",
            &format!("FY2017Q{quarter}"),
            "--targets",
            tg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let t = table(&out);
        for g in &groups {
            let want = published[&(quarter, g.clone())];
            assert_eq!(t[g]["count"], want.to_string(), "{g}, quarter {quarter}");
            if quarter > 1 {
                let before = published[&(quarter - 1, g.clone())];
                assert_eq!(t[g]["previous_quarter"], before.to_string(), "{g}, quarter {quarter}");
                assert_eq!(
                    t[g]["change_on_previous_quarter"],
                    (want as i64 - before as i64).to_string(),
                    "{g}, quarter {quarter}"
                );
            } else {
                assert_eq!(t[g]["previous_quarter"], "", "no data before April 2017");
            }
        }
    }
    let total: u64 = published.values().sum();
    assert_eq!(
        total, 233_393,
        "West Midlands recorded 233,393 offences (fraud excluded) in 2017/18"
    );
}

/// `csa quarterly` reads its span a batch of months at a time (memory bounded whatever the
/// dataset's size): the table is the same as from one load of the whole span, for batches of
/// one month, of a few months and of everything.
#[test]
fn batches_of_months_give_the_table_of_one_load() {
    use csa_analysis::config::Config;
    use csa_analysis::data::month_batches;
    use csa_analysis::performance::{performance, performance_in_batches, span};
    use csa_analysis::quarter::Quarter;
    use csa_analysis::targets::Targets;
    use csa_analysis::{Assessment, Needs, Period, Periods};

    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    let demo = |d: &str| common::data(&format!("data/demo/{d}")).display().to_string();
    let wards = common::data("data/boundaries/coventry-wards-2025.geojson").display().to_string();
    let out = ds.display().to_string();
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        &demo("coventry-extract-2023"),
        &demo("coventry-extract-2024"),
        &demo("coventry-extract"),
        "--boundaries",
        &wards,
        "--out",
        &out,
    ]);
    let config = Config::default_config();
    let targets = Targets::load(&common::data("data/demo/targets.toml"), &config).unwrap();
    let q = Quarter::parse("2025Q4").unwrap();
    let span = span(q, &targets);
    let periods = Periods { current: span, comparison: span };
    let mut needs = Needs::for_priorities(targets.indicators.iter().map(|i| &i.priority));
    needs.victims = false;
    let whole = Assessment::open_months(&ds, config.clone(), periods, span, &needs).unwrap();
    let expected = performance(&whole, &targets, q).unwrap();
    let table = |p: &csa_analysis::performance::Performance| {
        let monthly: Vec<_> = p.rows.iter().map(|r| r.monthly.clone()).collect();
        (serde_json::to_value(&p.rows).unwrap(), monthly)
    };
    let counted: u64 = expected.rows.iter().flat_map(|r| &r.monthly).map(|(_, n)| n).sum();
    assert!(counted > 10_000, "the demo's indicators count {counted} crimes");
    let bare =
        Assessment::open_months(&ds, config, periods, Period::empty_at(span.from), &needs).unwrap();
    assert_eq!(bare.data.crimes.len, 0);
    for rows in [1, 3_000, 20_000, u64::MAX] {
        let batches = month_batches(&bare.data.info, span, rows);
        assert_eq!(batches.iter().map(|b| b.months()).sum::<i32>(), span.months());
        if rows == 1 {
            assert_eq!(batches.len(), span.months() as usize);
        }
        let got = performance_in_batches(&bare, &targets, q, &needs, rows).unwrap();
        assert!(table(&got) == table(&expected), "{} batches of up to {rows} rows", batches.len());
    }
}
