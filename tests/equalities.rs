//! Equalities ratios and intervals against hand computations: a small force extract of 15
//! victims in two Coventry wards and a hand-written population table per ward (single years
//! of age banded as configured), through the library, `csa breakdown` and the public pack.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::path::Path;

use common::{csa, csa_ok};
use csa_analysis::equalities::{equalities, equalities_by_ward};
use csa_analysis::{Assessment, Config, Needs, Priority, Side};
use polars::prelude::*;

const BABLAKE: (&str, &str) = ("429889", "282478");
const FOLESHILL: (&str, &str) = ("434252", "281315");
const CRIMES_HEADER: &str = "crime_ref,recorded_date,committed_from,committed_to,offence_code,crime_type,easting,northing,location_type,location_desc,domestic_abuse,hate_race,hate_religion,hate_sexual_orientation,hate_disability,hate_transgender,alcohol_related,outcome";

/// 15 domestic-abuse crimes of 2025, one victim each:
///
/// | victims | ward | sex | ethnicity | age (bands 0-17, 18-64, 65+) |
/// |---|---|---|---|---|
/// | B1-B3 | Bablake | female | White | 10 |
/// | B4-B6 | Bablake | female | White | 30 |
/// | B7-B9 | Bablake | female | Asian | 30 |
/// | B10 | Bablake | male | Asian | 30 |
/// | B11-B12 | Bablake | male | Not stated | 70 |
/// | F1-F3 | Foleshill | female | White | 40 |
///
/// Each crime has one offender (male, 35, White, partner). Residents: Bablake 1,000 (female 500, male 500; White 800, Asian 100, Black 50, Mixed
/// 25, Other 25; 10 of each single year 0-99, none 100+: 0-17 180, 18-64 470, 65+ 350);
/// Foleshill 3,000 (1,500 / 1,500; White 1,500, Asian 1,200, Black 150, Mixed 75, Other 75;
/// 30 of each year: 540, 1,410, 1,050).
fn write_fixture(tmp: &Path) {
    let dir = tmp.join("extract");
    std::fs::create_dir_all(&dir).unwrap();
    let mut crimes = format!("{CRIMES_HEADER}\n");
    let mut victims = "crime_ref,person_id,age,sex,ethnicity\n".to_string();
    let mut offenders =
        "crime_ref,person_id,age,sex,ethnicity,relationship_to_victim\n".to_string();
    // (ward letter, point in the ward, sex, ethnic group, age)
    type Victim = (&'static str, (&'static str, &'static str), &'static str, &'static str, u32);
    let people: Vec<Victim> = (1..=12)
        .map(|i| {
            let (sex, eth, age) = match i {
                1..=3 => ("female", "White", 10),
                4..=6 => ("female", "White", 30),
                7..=9 => ("female", "Asian", 30),
                10 => ("male", "Asian", 30),
                _ => ("male", "Not stated", 70),
            };
            ("B", BABLAKE, sex, eth, age)
        })
        .chain((1..=3).map(|_| ("F", FOLESHILL, "female", "White", 40)))
        .collect();
    for (k, (w, (e, n), sex, eth, age)) in people.iter().enumerate() {
        let r = format!("C{k}");
        let day = k % 28 + 1;
        crimes += &format!(
            "{r},2025-05-{day:02},2025-05-{day:02}T20:00,,8N,,{e},{n},dwelling,,Y,N,N,N,N,N,N,\n"
        );
        victims += &format!("{r},{w}{k},{age},{sex},{eth}\n");
        offenders += &format!("{r},O{k},35,male,White,partner\n");
    }
    // one ASB incident a month so the dataset covers the year
    for m in 1..=12 {
        crimes += &format!(
            "ASB-{m},2025-{m:02}-15,2025-{m:02}-15T12:00,,,Anti-social behaviour,{},{},street,,N,N,N,N,N,N,N,\n",
            FOLESHILL.0, FOLESHILL.1
        );
    }
    std::fs::write(dir.join("crimes.csv"), crimes).unwrap();
    std::fs::write(dir.join("victims.csv"), victims).unwrap();
    std::fs::write(dir.join("offenders.csv"), offenders).unwrap();
    std::fs::write(
        tmp.join("wards.csv"),
        "ward_code,residents,households\nE05001218,1000,400\nE05001222,3000,1200\n",
    )
    .unwrap();
    let mut g = "area_code,area_type,lad_code,dimension,group,residents,source\n".to_string();
    for (w, sex, eth, per_year) in [
        ("E05001218", [500, 500], [800, 100, 50, 25, 25], 10),
        ("E05001222", [1500, 1500], [1500, 1200, 150, 75, 75], 30),
    ] {
        for (s, n) in ["female", "male"].iter().zip(sex) {
            g += &format!("{w},ward,E08000026,sex,{s},{n},test sex\n");
        }
        for (e, n) in ["White", "Asian", "Black", "Mixed", "Other"].iter().zip(eth) {
            g += &format!("{w},ward,E08000026,ethnicity,{e},{n},test ethnicity\n");
        }
        for y in 0..100 {
            g += &format!("{w},ward,E08000026,age,{y},{per_year},test age\n");
        }
        g += &format!("{w},ward,E08000026,age,100+,0,test age\n");
    }
    std::fs::write(tmp.join("groups.csv"), g).unwrap();
    std::fs::write(
        tmp.join("assessment.toml"),
        "[assessment]\nname = \"Equalities fixture\"\nperiod = { from = \"2025-01\", to = \"2025-12\" }\nage_bands = [0, 18, 65]\n\n[population]\nwards = \"wards.csv\"\ngroups = \"groups.csv\"\n",
    )
    .unwrap();
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        dir.to_str().unwrap(),
        "--boundaries",
        common::data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap(),
        "--out",
        tmp.join("ds").to_str().unwrap(),
    ]);
}

fn open(tmp: &Path) -> Assessment {
    let config = Config::load(&tmp.join("assessment.toml")).unwrap();
    Assessment::open(&tmp.join("ds"), config, None, &Needs::everything()).unwrap()
}

/// The row of `df` whose key columns (joined with "|") are `key`.
fn row(df: &DataFrame, keys: &[&str], key: &str) -> usize {
    (0..df.height())
        .find(|&i| {
            keys.iter()
                .map(|k| df.column(k).unwrap().str().unwrap().get(i).unwrap_or(""))
                .collect::<Vec<_>>()
                .join("|")
                == key
        })
        .unwrap_or_else(|| panic!("no row {key}"))
}

fn num(df: &DataFrame, i: usize, c: &str) -> Option<f64> {
    let col = df.column(c).unwrap();
    match col.dtype() {
        DataType::Float64 => col.f64().unwrap().get(i),
        _ => col.cast(&DataType::Float64).unwrap().f64().unwrap().get(i),
    }
}

fn text(df: &DataFrame, i: usize, c: &str) -> Option<String> {
    df.column(c).unwrap().str().unwrap().get(i).map(str::to_string)
}

/// (people, share %, population, population share %, ratio, low, high, finding)
type Expect = (f64, f64, f64, f64, f64, f64, f64, &'static str);

fn check(df: &DataFrame, keys: &[&str], key: &str, e: Expect) {
    let i = row(df, keys, key);
    let got = [
        num(df, i, "people"),
        num(df, i, "group_share_pct"),
        num(df, i, "population"),
        num(df, i, "population_share_pct"),
        num(df, i, "ratio"),
        num(df, i, "ratio_ci_low"),
        num(df, i, "ratio_ci_high"),
    ];
    let want = [e.0, e.1, e.2, e.3, e.4, e.5, e.6];
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let g = g.unwrap_or_else(|| panic!("{key}: column {k} is empty"));
        assert!((g - w).abs() <= 0.0015, "{key}: column {k} is {g}, not {w}");
    }
    assert_eq!(text(df, i, "finding").as_deref(), Some(e.7), "{key} finding");
}

#[test]
fn area_ratios_and_intervals_match_hand_computation() {
    let tmp = tempfile::tempdir().unwrap();
    write_fixture(tmp.path());
    let a = open(tmp.path());
    let e = equalities(&a, &Priority::all(), Side::Victim).unwrap();
    let k = ["dimension", "group"];
    // The area is the two wards with records: 4,000 residents. 15 victims, all with sex and
    // age, 13 with an ethnic group.
    // female: 12 of 15 (80%) against 2,000 of 4,000 (50%): ratio 1.6; Katz
    // se = sqrt(1/12 - 1/15 + 1/2000 - 1/4000) = sqrt(0.0169167) = 0.130064, so
    // 1.6 exp(-+1.96 x 0.130064) = 1.240 .. 2.065: over-represented.
    check(&e, &k, "sex|female", (12.0, 80.0, 2000.0, 50.0, 1.6, 1.240, 2.065, "over-represented"));
    // male: 3 of 15 against 50%: 0.4; se = sqrt(1/3 - 1/15 + 1/2000 - 1/4000) = 0.516640:
    // 0.145 .. 1.101
    check(&e, &k, "sex|male", (3.0, 20.0, 2000.0, 50.0, 0.4, 0.145, 1.101, "no clear difference"));
    // White: 9 of 13 against 2,300 of 4,000: (9/13) / 0.575 = 1.204; se = sqrt(1/9 - 1/13 +
    // 1/2300 - 1/4000) = 0.185399: 0.837 .. 1.732
    check(
        &e,
        &k,
        "ethnicity|White",
        (9.0, 69.23, 2300.0, 57.5, 1.204, 0.837, 1.732, "no clear difference"),
    );
    check(
        &e,
        &k,
        "ethnicity|Asian",
        (4.0, 30.77, 1300.0, 32.5, 0.947, 0.418, 2.142, "no clear difference"),
    );
    // Black: none of 13 against 5%: ratio 0; exact upper bound (1 - 0.025^(1/13)) / 0.05 =
    // 0.247036 / 0.05 = 4.941
    check(
        &e,
        &k,
        "ethnicity|Black",
        (0.0, 0.0, 200.0, 5.0, 0.0, 0.0, 4.941, "no clear difference"),
    );
    // ages banded [0, 18, 65] on both sides: 0-17 720, 18-64 1,880, 65+ 1,400 residents
    // (10 and 30 per single year); victims 3, 10, 2
    check(
        &e,
        &k,
        "age_band|0-17",
        (3.0, 20.0, 720.0, 18.0, 1.111, 0.403, 3.064, "no clear difference"),
    );
    check(
        &e,
        &k,
        "age_band|18-64",
        (10.0, 66.67, 1880.0, 47.0, 1.418, 0.990, 2.032, "no clear difference"),
    );
    check(
        &e,
        &k,
        "age_band|65+",
        (2.0, 13.33, 1400.0, 35.0, 0.381, 0.105, 1.385, "no clear difference"),
    );
    // every row has a ratio and an interval
    for c in ["ratio", "ratio_ci_low", "ratio_ci_high"] {
        assert_eq!(e.column(c).unwrap().null_count(), 0, "{c}");
    }
    let i = row(&e, &k, "ethnicity|White");
    assert_eq!((num(&e, i, "known"), num(&e, i, "unknown")), (Some(13.0), Some(2.0)));
    // a priority without victims in the period has no rows (no share or ratio to give)
    let robbery = a.config.priority("Robbery").unwrap();
    assert_eq!(equalities(&a, &robbery, Side::Victim).unwrap().height(), 0);
}

#[test]
fn ward_ratios_match_hand_computation_and_small_wards_get_none() {
    let tmp = tempfile::tempdir().unwrap();
    write_fixture(tmp.path());
    let a = open(tmp.path());
    let w = equalities_by_ward(&a, &Priority::all(), Side::Victim).unwrap();
    let k = ["ward_code", "dimension", "group"];
    // Bablake: 12 victims (10 with an ethnic group) against the ward's 1,000 residents.
    // female 9 of 12 against 50%: 1.5; se = sqrt(1/9 - 1/12 + 1/500 - 1/1000) = 0.169640:
    // 1.076 .. 2.092
    check(
        &w,
        &k,
        "E05001218|sex|female",
        (9.0, 75.0, 500.0, 50.0, 1.5, 1.076, 2.092, "over-represented"),
    );
    // Asian 4 of 10 against 10%: 4; se = sqrt(1/4 - 1/10 + 1/100 - 1/1000) = 0.398748:
    // 4 exp(-+0.781546) = 1.831 .. 8.739
    check(
        &w,
        &k,
        "E05001218|ethnicity|Asian",
        (4.0, 40.0, 100.0, 10.0, 4.0, 1.831, 8.739, "over-represented"),
    );
    // Black none of 10 against 5%: (1 - 0.025^(1/10)) / 0.05 = 6.170
    check(
        &w,
        &k,
        "E05001218|ethnicity|Black",
        (0.0, 0.0, 50.0, 5.0, 0.0, 0.0, 6.170, "no clear difference"),
    );
    check(
        &w,
        &k,
        "E05001218|age_band|65+",
        (2.0, 16.67, 350.0, 35.0, 0.476, 0.134, 1.692, "no clear difference"),
    );
    // Foleshill: 3 victims, fewer than 10: shares and residents, but no ratio
    let i = row(&w, &k, "E05001222|sex|female");
    assert_eq!(num(&w, i, "people"), Some(3.0));
    assert_eq!(num(&w, i, "population"), Some(1500.0));
    assert_eq!(num(&w, i, "ratio"), None);
    assert!(text(&w, i, "note").unwrap().contains("fewer than 10"), "{:?}", text(&w, i, "note"));
    // the wards of the area only (the two with records: no boundaries configured)
    let wards: std::collections::BTreeSet<String> = w
        .column("ward_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    assert_eq!(wards.into_iter().collect::<Vec<_>>(), ["E05001218", "E05001222"]);
}

#[test]
fn cli_views_and_the_public_pack() {
    let tmp = tempfile::tempdir().unwrap();
    write_fixture(tmp.path());
    let cfg = tmp.path().join("assessment.toml");
    let ds = tmp.path().join("ds");
    let args = |view: &'static str, by: &'static str| {
        vec![
            "breakdown".to_string(),
            "--config".into(),
            cfg.to_str().unwrap().into(),
            "--dataset".into(),
            ds.to_str().unwrap().into(),
            "--view".into(),
            view.into(),
            "--by".into(),
            by.into(),
            "--format".into(),
            "csv".into(),
        ]
    };
    let run = |v: Vec<String>| csa_ok(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let area = run(args("equalities-victims", ""));
    assert!(
        area.lines()
            .any(|l| l.starts_with("sex,female,12,80,2000,50,1.6,1.24,2.065,over-represented")),
        "{area}"
    );
    let by_ward = run(args("equalities-victims", "ward"));
    assert!(
        by_ward.lines().any(|l| l.starts_with(
            "E05001218,Bablake,ethnicity,Asian,4,40,100,10,4,1.831,8.739,over-represented"
        )),
        "{by_ward}"
    );
    let bad = csa(&args("equalities-victims", "victim_sex")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--by ward"));

    // the pack: domestic abuse is in the ward table (a default priority with ward_equalities)
    let out = tmp.path().join("public");
    csa_ok(&[
        "--quiet",
        "assess",
        "--config",
        cfg.to_str().unwrap(),
        "--dataset",
        ds.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--edition",
        "public",
    ]);
    let mut r = csv::Reader::from_path(out.join("tables/equalities_wards_victims.csv")).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let rows: Vec<Vec<String>> =
        r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    let get = |p: &str, w: &str, g: &str| {
        rows.iter()
            .find(|r| r[c("priority")] == p && r[c("ward_code")] == w && r[c("group")] == g)
            .unwrap_or_else(|| panic!("no row {p} {w} {g}"))
    };
    // Bablake's 3 male victims show as <5, so the 9 female ones are hidden too (the list adds
    // up to the published 12), and so are their shares, ratios and findings
    let male = get("Domestic abuse", "E05001218", "male");
    assert_eq!(male[c("people")], "<5");
    let female = get("Domestic abuse", "E05001218", "female");
    assert_eq!(female[c("people")], "*");
    for col in ["group_share_pct", "ratio", "ratio_ci_low", "ratio_ci_high", "finding"] {
        assert_eq!(female[c(col)], "*", "{col}");
        assert_eq!(male[c(col)], "*", "{col}");
    }
    // residents are census figures, never hidden
    assert_eq!(female[c("population")], "500");
    for r in &rows {
        let v = &r[c("people")];
        assert!(!matches!(v.parse::<u32>(), Ok(1..=4)), "people {v} shown: {r:?}");
    }
}
