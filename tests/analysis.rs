//! Breakdowns with known answers: a hand-built force extract where every count, rate, repeat
//! figure and ratio below is worked out by hand in the comments, ingested with `csa ingest`
//! and analysed through the library API and the CLI.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::path::Path;

use common::{csa, csa_ok};
use csa_analysis::export::cell;
use csa_analysis::{breakdown, equalities, location, repeats, volume};
use csa_analysis::{Assessment, Config, Dim, Needs, Side};
use polars::prelude::*;

// Two Coventry wards; a point inside each (checked below through the ingested ward codes).
const BABLAKE: (&str, &str) = ("429889", "282478");
const FOLESHILL: (&str, &str) = ("434252", "281315");

const CRIMES_HEADER: &str = "crime_ref,recorded_date,committed_from,committed_to,offence_code,crime_type,easting,northing,location_type,location_desc,domestic_abuse,hate_race,hate_religion,hate_sexual_orientation,hate_disability,hate_transgender,alcohol_related,outcome";

/// The fixture. Current period 2025, comparison 2024.
///
/// | ref | recorded | committed (weekday) | code | ward | DA | victim | offenders |
/// |-----|----------|--------------------|------|------|----|--------|-----------|
/// | C1 | 2025-01-10 | Fri 21:30 | 8N (violence with injury) | Bablake, dwelling "1 Oak Road" | Y | V1 | O1 partner |
/// | C2 | 2025-03-05 | Wed 02:00 | 8N | Bablake, "1 Oak Road" | Y | V1 | O1 partner |
/// | C3 | 2025-06-20 | Fri 14:00 | 105A (violence without injury) | Foleshill, licensed premises | Y | V2 | O2 ex-partner |
/// | C4 | 2025-07-01 | Tue 10:00 | 28E (residential burglary) | Foleshill | N | V3 | O3, O4 |
/// | C5 | 2025-08-15 | Fri 03:00 | 28E | Foleshill | N | V3 | O3 |
/// | C6 | 2025-09-09 | Tue 16:00 | 46 (shoplifting) | Bablake, shop | N | - | O5 |
/// | C7 | 2025-11-30 | Sun 01:30 | 8N | Bablake, "1 Oak Road" | Y | V1 | O1 partner |
/// | P1 | 2024-02-10 | Sat 11:00 | 28E | Foleshill | N | V4 | - |
/// | P2 | 2024-12-20 | Fri 10:00 | 8N | Bablake, "1 Oak Road" | Y | V1 | O1 partner |
///
/// plus one ASB incident on the 15th of every month of 2024 and 2025 in Foleshill (so the
/// dataset covers both periods). People: V1 female 30 White, V2 female 22 Asian, V3 male 50
/// White, V4 female 70 White; O1 male 35, O2 male 40, O3 male 19, O4 male 24, O5 female 17.
fn write_fixture(dir: &Path) {
    let crime = |r: &str,
                 date: &str,
                 time: &str,
                 code: &str,
                 (e, n): (&str, &str),
                 lt: &str,
                 desc: &str,
                 da: &str| {
        format!("{r},{date},{date}T{time},,{code},,{e},{n},{lt},{desc},{da},N,N,N,N,N,N,\n")
    };
    let mut crimes = format!("{CRIMES_HEADER}\n");
    crimes += &crime("C1", "2025-01-10", "21:30", "8N", BABLAKE, "dwelling", "1 Oak Road", "Y");
    crimes += &crime("C2", "2025-03-05", "02:00", "8N", BABLAKE, "dwelling", "1 Oak Road", "Y");
    crimes += &crime(
        "C3",
        "2025-06-20",
        "14:00",
        "105A",
        FOLESHILL,
        "licensed premises",
        "The Anchor",
        "Y",
    );
    crimes += &crime("C4", "2025-07-01", "10:00", "28E", FOLESHILL, "dwelling", "2 Elm Road", "N");
    crimes += &crime("C5", "2025-08-15", "03:00", "28E", FOLESHILL, "dwelling", "3 Elm Road", "N");
    crimes += &crime("C6", "2025-09-09", "16:00", "46", BABLAKE, "shop", "Corner Shop", "N");
    crimes += &crime("C7", "2025-11-30", "01:30", "8N", BABLAKE, "dwelling", "1 Oak Road", "Y");
    crimes += &crime("P1", "2024-02-10", "11:00", "28E", FOLESHILL, "dwelling", "4 Elm Road", "N");
    crimes += &crime("P2", "2024-12-20", "10:00", "8N", BABLAKE, "dwelling", "1 Oak Road", "Y");
    for year in [2024, 2025] {
        for month in 1..=12 {
            crimes += &format!(
                "ASB-{year}-{month:02},{year}-{month:02}-15,{year}-{month:02}-15T12:00,,,Anti-social behaviour,{},{},street,Park Lane,N,N,N,N,N,N,N,\n",
                FOLESHILL.0, FOLESHILL.1
            );
        }
    }
    let victims = "crime_ref,person_id,age,sex,ethnicity\n\
        C1,V1,30,female,White\nC2,V1,30,female,White\nC3,V2,22,female,Asian\nC4,V3,50,male,White\n\
        C5,V3,50,male,White\nC7,V1,30,female,White\nP1,V4,70,female,White\nP2,V1,29,female,White\n";
    let offenders = "crime_ref,person_id,age,sex,ethnicity,relationship_to_victim\n\
        C1,O1,35,male,White,partner\nC2,O1,35,male,White,partner\nC3,O2,40,male,Asian,ex-partner\n\
        C4,O3,19,male,White,\nC4,O4,24,male,White,\nC5,O3,19,male,White,\nC6,O5,17,female,White,\n\
        C7,O1,35,male,White,partner\nP2,O1,34,male,White,partner\n";
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("crimes.csv"), crimes).unwrap();
    std::fs::write(dir.join("victims.csv"), victims).unwrap();
    std::fs::write(dir.join("offenders.csv"), offenders).unwrap();
}

const CONFIG: &str = r#"
[assessment]
name = "Fixture"
period = { from = "2025-01", to = "2025-12" }
pseudonym_key = "fixture-key"

[population]
wards = "wards.csv"
groups = "groups.csv"
"#;

/// Ingests the fixture into `tmp/ds` and opens it with the default priorities plus the
/// fixture's population (Bablake 2,000 residents / 800 households, Foleshill 5,000 / 2,000;
/// 3,600 female and 3,400 male residents).
fn fixture(tmp: &Path) -> Assessment {
    let ds = tmp.join("ds");
    write_fixture(&tmp.join("extract"));
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        tmp.join("extract").to_str().unwrap(),
        "--boundaries",
        common::data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
    ]);
    // Earlsdon (E05001221) has no records; it only counts when the area is configured
    std::fs::write(
        tmp.join("wards.csv"),
        "ward_code,residents,households\nE05001218,2000,800\nE05001222,5000,2000\nE05001221,3000,1000\n",
    )
    .unwrap();
    std::fs::write(
        tmp.join("groups.csv"),
        "dimension,group,residents\nsex,female,3600\nsex,male,3400\n",
    )
    .unwrap();
    let cfg_path = tmp.join("assessment.toml");
    std::fs::write(&cfg_path, CONFIG).unwrap();
    let config = Config::load(&cfg_path).unwrap();
    Assessment::open(&ds, config, None, &Needs::everything()).unwrap()
}

/// Rows of a table as text cells ("" for null), keyed by the first `keys` columns joined
/// with "|".
fn rows(df: &DataFrame, keys: usize) -> std::collections::BTreeMap<String, Vec<String>> {
    let cols = df.columns();
    (0..df.height())
        .map(|r| {
            let cells: Vec<String> = cols.iter().map(|c| cell(c, r).0).collect();
            (cells[..keys].join("|"), cells[keys..].to_vec())
        })
        .collect()
}

/// Column `name` of the row whose key cells are `key`.
fn value(df: &DataFrame, keys: usize, key: &str, name: &str) -> String {
    let i = df
        .get_column_names()
        .iter()
        .position(|c| c.as_str() == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let r = rows(df, keys);
    let row = r
        .get(key)
        .unwrap_or_else(|| panic!("no row {key:?} in {:?}", r.keys().collect::<Vec<_>>()));
    row[i - keys].clone()
}

#[test]
fn fixture_breakdowns_match_hand_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fixture(tmp.path());
    let cfg = &a.config;
    assert_eq!(a.periods.current.to_string(), "2025-01 to 2025-12");
    assert_eq!(a.periods.comparison.to_string(), "2024-01 to 2024-12");

    // all by ward. Current: Bablake C1 C2 C6 C7 = 4; Foleshill C3 C4 C5 + 12 ASB = 15; total 19.
    // Comparison: Bablake P2 = 1; Foleshill P1 + 12 ASB = 13. Rates: 4 / 2,000 residents =
    // 2.0 per 1,000; 15 / 5,000 = 3.0; comparison 0.5 and 2.6. Shares 4/19 = 21.05%, 78.95%.
    let all = cfg.priority("all").unwrap();
    let b = breakdown(&a, &all, &[Dim::Ward]).unwrap();
    assert_eq!((b.total, b.comparison_total), (19, Some(14)));
    let t = &b.table;
    let bab = "E05001218|Bablake";
    let fol = "E05001222|Foleshill";
    assert_eq!(rows(t, 2).len(), 2, "every fixture point lies in Bablake or Foleshill");
    for (key, count, comp, change, pct, share, rate, comp_rate) in [
        (bab, "4", "1", "3", "300", "21.05", "2", "0.5"),
        (fol, "15", "13", "2", "15.38", "78.95", "3", "2.6"),
    ] {
        assert_eq!(value(t, 2, key, "count"), count, "{key}");
        assert_eq!(value(t, 2, key, "comparison"), comp, "{key}");
        assert_eq!(value(t, 2, key, "change"), change, "{key}");
        assert_eq!(value(t, 2, key, "change_pct"), pct, "{key}");
        assert_eq!(value(t, 2, key, "share_pct"), share, "{key}");
        assert_eq!(value(t, 2, key, "rate_per_1000"), rate, "{key}");
        assert_eq!(value(t, 2, key, "comparison_rate_per_1000"), comp_rate, "{key}");
    }

    // Domestic abuse victims by sex: C1 C2 C3 C7, all female victims; people V1 V2.
    let da = cfg.priority("domestic-ABUSE").unwrap();
    let b = breakdown(&a, &da, &[Dim::VictimSex]).unwrap();
    assert_eq!(b.side, Side::Victim);
    assert_eq!((b.total, b.comparison_total), (4, Some(1)));
    assert_eq!(value(&b.table, 1, "female", "count"), "4");
    assert_eq!(value(&b.table, 1, "female", "people"), "2");
    assert_eq!(value(&b.table, 1, "female", "comparison"), "1");

    // Domestic abuse by offender relationship: partner C1 C2 C7, ex-partner C3.
    let b = breakdown(&a, &da, &[Dim::OffenderRelationship]).unwrap();
    assert_eq!(value(&b.table, 1, "partner", "count"), "3");
    assert_eq!(value(&b.table, 1, "ex-partner", "count"), "1");

    // Victims by age band x sex over all crime: V1 (30) x3, V2 (22), V3 (50) x2; comparison
    // V4 (70, P1) and V1 (29, P2).
    let b = breakdown(&a, &all, &[Dim::VictimAgeBand, Dim::VictimSex]).unwrap();
    assert_eq!(b.total, 6);
    assert_eq!(value(&b.table, 2, "25-34|female", "count"), "3");
    assert_eq!(value(&b.table, 2, "18-24|female", "count"), "1");
    assert_eq!(value(&b.table, 2, "45-54|male", "count"), "2");
    assert_eq!(value(&b.table, 2, "45-54|male", "people"), "1");
    // groups seen only in the comparison period are listed too: V4 (70, P1)
    assert_eq!(value(&b.table, 2, "65+|female", "count"), "0");
    assert_eq!(value(&b.table, 2, "65+|female", "comparison"), "1");
    assert_eq!(rows(&b.table, 2).len(), 4);

    // Residential burglary (Domestic burglary subgroup) by month: Jul and Aug 2025, one each;
    // comparison aligned month by month: Feb 2024 (P1) lines up with Feb 2025.
    let burglary = cfg.priority("Residential Burglary").unwrap();
    let b = breakdown(&a, &burglary, &[Dim::Month]).unwrap();
    assert_eq!(value(&b.table, 1, "2025-07", "count"), "1");
    assert_eq!(value(&b.table, 1, "2025-02", "count"), "0");
    assert_eq!(value(&b.table, 1, "2025-02", "comparison"), "1");

    // Night-time economy violence: violence at licensed premises (C3) or on a Friday or
    // Saturday night 20:00-05:59 (C1 Fri 21:30; C7 Sun 01:30 = Saturday night). Not C2
    // (Wednesday 02:00 = Tuesday night), not P2 (Friday 10:00).
    let nte = cfg.priority("night time economy violence").unwrap();
    let b = breakdown(&a, &nte, &[Dim::DayOfWeek]).unwrap();
    assert_eq!((b.total, b.comparison_total), (3, Some(0)));
    assert_eq!(value(&b.table, 1, "Friday", "count"), "2");
    assert_eq!(value(&b.table, 1, "Sunday", "count"), "1");
}

#[test]
fn fixture_volume_repeats_locations_and_equalities_match_hand_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fixture(tmp.path());
    let cfg = &a.config;

    // Volume. Residential burglary: 2 (C4 C5) against 1 (P1): +1, +100%; per 1,000 of the
    // area's 2,800 households = 0.71; comparison 0.36. Harm = 2 x CSS weight of 28E.
    // Shoplifting: 1 against 0, change_pct null. Domestic abuse 4 against 1: +300%, rate
    // 4 / 7,000 residents = 0.57 per 1,000.
    let v = volume::volume(&a, &cfg.all_priorities()).unwrap();
    let w28e = csa_model::OffenceTable::shipped().get("28E").unwrap().css_weight.unwrap();
    let rb = "Residential burglary";
    assert_eq!(value(&v, 1, rb, "count"), "2");
    assert_eq!(value(&v, 1, rb, "change"), "1");
    assert_eq!(value(&v, 1, rb, "change_pct"), "100");
    assert_eq!(value(&v, 1, rb, "denominator"), "households");
    assert_eq!(value(&v, 1, rb, "population"), "2800");
    assert_eq!(value(&v, 1, rb, "rate_per_1000"), "0.71");
    assert_eq!(value(&v, 1, rb, "comparison_rate_per_1000"), "0.36");
    let harm: f64 = value(&v, 1, rb, "harm_css").parse().unwrap();
    assert!((harm - 2.0 * w28e).abs() < 0.006, "{harm} vs {}", 2.0 * w28e);
    // ONS's Crime Severity Score is per head: 2 x w(28E) / 7,000 residents = 930.76 / 7,000
    // = 0.133 (the table keeps 4 decimals; text cells show 2)
    assert!((2.0 * w28e / 7_000.0 - 0.133).abs() < 0.0005);
    assert_eq!(value(&v, 1, rb, "harm_css_per_head"), "0.13");
    assert_eq!(value(&v, 1, rb, "harm_coverage_pct"), "100");
    assert_eq!(value(&v, 1, "Shoplifting", "count"), "1");
    assert_eq!(value(&v, 1, "Shoplifting", "change_pct"), "");
    assert_eq!(value(&v, 1, "Domestic abuse", "change_pct"), "300");
    assert_eq!(value(&v, 1, "Domestic abuse", "rate_per_1000"), "0.57");
    assert_eq!(value(&v, 1, "Anti-social behaviour", "count"), "12");

    // Repeat victims of domestic abuse: V1 (C1 C2 C7) and V2 (C3): 2 victims, 1 repeat (50%);
    // 3 of the 4 crimes involve the repeat victim (75%); most crimes for one victim 3.
    let da = cfg.priority("Domestic abuse").unwrap();
    let r = repeats::repeats(&a, &da, Side::Victim).unwrap();
    assert_eq!((r.people, r.repeat_people, r.repeat_share_pct), (2, 1, Some(50.0)));
    assert_eq!(
        (r.crimes, r.crimes_with_repeat, r.crimes_share_pct, r.max_crimes),
        (4, 3, Some(75.0), 3)
    );
    // Again within 365 days: C1 (P2 21 days before), C2 (C1), C7 (C2) but not C3: 3 of 4;
    // all three with the same offender O1.
    let w = repeats::repeat_within(&a, &da, 365).unwrap();
    assert_eq!(
        (w.victim_records, w.repeat_victim_records, w.repeat_victim_pct),
        (4, Some(3), Some(75.0))
    );
    assert_eq!((w.same_pair_records, w.same_pair_pct), (Some(3), Some(75.0)));
    assert!(w.look_back_covered && w.note().is_none());
    // 2024 as the period: its look-back (2023) has no data, so P2 (V1's first crime in the
    // data) would look like a first victimisation; the figures are refused, not undercounted
    let y2024 = csa_analysis::Period {
        from: csa_analysis::Month::new(2024, 1),
        to: csa_analysis::Month::new(2024, 12),
    };
    let a24 =
        Assessment::open(&a.data.info.dir, cfg.clone(), Some(y2024), &Needs::everything()).unwrap();
    let w = repeats::repeat_within(&a24, &da, 365).unwrap();
    assert_eq!(w.victim_records, 1);
    assert_eq!(
        (w.repeat_victim_records, w.repeat_victim_pct, w.same_pair_records),
        (None, None, None)
    );
    assert_eq!((w.look_back.as_str(), w.look_back_months_with_data), ("2023-01 to 2023-12", 0));
    assert!(w.note().is_some_and(|n| n.contains("2023-01 to 2023-12")), "{:?}", w.note());

    // Repeat offenders over all crime: O1 (3), O2 (1), O3 (2), O4 (1), O5 (1): 5 offenders,
    // 2 repeat (40%); crimes with offenders 7, of which C1 C2 C7 C4 C5 involve a repeat
    // offender (71.43%).
    let all = cfg.priority("all").unwrap();
    let r = repeats::repeats(&a, &all, Side::Offender).unwrap();
    assert_eq!((r.people, r.repeat_people, r.repeat_share_pct), (5, 2, Some(40.0)));
    assert_eq!(
        (r.crimes, r.crimes_with_repeat, r.crimes_share_pct, r.max_crimes),
        (7, 5, Some(71.43), 3)
    );

    // Prolific offenders: O1 with 3 crimes, then O3 with 2; ids pseudonymised with the key.
    let p = repeats::prolific_offenders(&a, &all, 2).unwrap();
    let r = rows(&p, 1);
    let o1 = repeats::pseudonym("OFF-", "fixture-key", "O1");
    let o3 = repeats::pseudonym("OFF-", "fixture-key", "O3");
    assert_eq!(r[&o1][0], "3");
    assert_eq!(r[&o3][0], "2");
    assert_eq!(r.len(), 2);
    let text = csa_analysis::export::text_table(&p);
    assert!(!text.contains("O1") && !text.contains("O3 "), "raw ids leaked:\n{text}");

    // Top location of domestic abuse: "1 Oak Road" in Bablake, 3 crimes at one point (75%).
    let t = location::top_locations(&a, &da, 5).unwrap();
    assert_eq!(value(&t, 2, "1 Oak Road|Bablake", "count"), "3");
    assert_eq!(value(&t, 2, "1 Oak Road|Bablake", "share_pct"), "75");
    assert_eq!(value(&t, 2, "1 Oak Road|Bablake", "points"), "1");

    // Day x hour of domestic abuse: Friday 21h (C1), Wednesday 02h (C2), Friday 14h (C3),
    // Sunday 01h (C7).
    let dh = location::day_hour(&a, &da).unwrap();
    assert_eq!(value(&dh, 1, "Friday", "h21"), "1");
    assert_eq!(value(&dh, 1, "Friday", "h14"), "1");
    assert_eq!(value(&dh, 1, "Friday", "count"), "2");
    assert_eq!(value(&dh, 1, "Wednesday", "h02"), "1");
    assert_eq!(value(&dh, 1, "Sunday", "h01"), "1");
    assert_eq!(value(&dh, 1, "Monday", "count"), "0");

    // Equalities of victims of all crime: V1 female, V2 female, V3 male (3 known people).
    // Female: 2/3 = 66.67% against 3,600/7,000 = 51.43%: ratio (2/3)/(3600/7000) = 1.296,
    // Katz 95% CI exp(ln 1.296 -+ 1.96 sqrt(1/2 - 1/3 + 1/3600 - 1/7000)) = 0.582 .. 2.886.
    // Male: 1/3 against 3,400/7,000: 0.686 (0.138 .. 3.401).
    let e = equalities::equalities(&a, &all, Side::Victim).unwrap();
    for (key, share, pshare, ratio, lo, hi) in [
        ("sex|female", "66.67", "51.43", "1.3", "0.58", "2.89"),
        ("sex|male", "33.33", "48.57", "0.69", "0.14", "3.4"),
    ] {
        assert_eq!(value(&e, 2, key, "group_share_pct"), share, "{key}");
        assert_eq!(value(&e, 2, key, "population_share_pct"), pshare, "{key}");
        // the text cell shows 2 decimals; the values themselves are checked to 3 below
        assert_eq!(value(&e, 2, key, "ratio"), ratio, "{key}");
        assert_eq!(value(&e, 2, key, "ratio_ci_low"), lo, "{key}");
        assert_eq!(value(&e, 2, key, "ratio_ci_high"), hi, "{key}");
    }
    let ratios: Vec<Option<f64>> = e.column("ratio").unwrap().f64().unwrap().iter().collect();
    assert!(ratios.contains(&Some(1.296)) && ratios.contains(&Some(0.686)), "{ratios:?}");
    // age bands have no population in the fixture: shares but no ratio
    assert_eq!(value(&e, 2, "age_band|25-34", "group_share_pct"), "33.33");
    assert_eq!(value(&e, 2, "age_band|25-34", "ratio"), "");
}

#[test]
fn configured_boundaries_restrict_the_area_and_list_every_ward() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fixture(tmp.path());
    // the area: Bablake and Earlsdon only (Foleshill's records fall outside it)
    let text = std::fs::read_to_string(common::data("data/boundaries/coventry-wards-2025.geojson"))
        .unwrap();
    let mut gj: serde_json::Value = serde_json::from_str(&text).unwrap();
    gj["features"]
        .as_array_mut()
        .unwrap()
        .retain(|f| matches!(f["properties"]["WD25CD"].as_str(), Some("E05001218" | "E05001221")));
    std::fs::write(tmp.path().join("area.geojson"), gj.to_string()).unwrap();
    let cfg = tmp.path().join("area.toml");
    std::fs::write(
        &cfg,
        CONFIG.replace("name = \"Fixture\"", "name = \"Fixture\"\nboundaries = \"area.geojson\""),
    )
    .unwrap();
    let config = Config::load(&cfg).unwrap();
    let b = Assessment::open(&tmp.path().join("ds"), config, None, &Needs::everything()).unwrap();
    assert_eq!(b.area.wards.len(), 2);

    // all by ward: Bablake 4 (comparison 1), Earlsdon 0 listed with its population; total 4
    let all = b.config.priority("all").unwrap();
    let t = breakdown(&b, &all, &[Dim::Ward]).unwrap();
    assert_eq!((t.total, t.comparison_total), (4, Some(1)));
    assert_eq!(rows(&t.table, 2).len(), 2);
    assert_eq!(value(&t.table, 2, "E05001221|Earlsdon", "count"), "0");
    assert_eq!(value(&t.table, 2, "E05001221|Earlsdon", "comparison"), "0");
    assert_eq!(value(&t.table, 2, "E05001221|Earlsdon", "rate_per_1000"), "0");
    assert_eq!(value(&t.table, 2, "E05001221|Earlsdon", "population"), "3000");
    // rate of the area: 4 / (2,000 + 3,000) residents = 0.8 per 1,000
    let v = volume::volume(&b, &[all]).unwrap();
    assert_eq!(value(&v, 1, "all", "population"), "5000");
    assert_eq!(value(&v, 1, "all", "rate_per_1000"), "0.8");

    // without boundaries, a ward with no record of the priority is still listed, with 0
    let burglary = a.config.priority("residential burglary").unwrap();
    let t = breakdown(&a, &burglary, &[Dim::Ward]).unwrap();
    assert_eq!(value(&t.table, 2, "E05001218|Bablake", "count"), "0");
    assert_eq!(value(&t.table, 2, "E05001222|Foleshill", "count"), "2");
}

#[test]
fn cli_breakdown_formats_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let ds = tmp.path().join("ds");
    let ds = ds.to_str().unwrap();
    let cfg = tmp.path().join("assessment.toml");
    let cfg = cfg.to_str().unwrap();

    // CSV: header and the two wards with their counts
    let out =
        csa_ok(&["breakdown", "--dataset", ds, "--config", cfg, "--by", "ward", "--format", "csv"]);
    let mut lines = out.lines();
    assert!(
        lines.next().unwrap().starts_with("ward_code,ward_name,count,comparison,change"),
        "{out}"
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 2, "{out}");
    assert!(body[0].starts_with("E05001222,Foleshill,15,13,2,"), "{out}");

    // JSON records
    let out = csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--config",
        cfg,
        "--priority",
        "Domestic Abuse",
        "--by",
        "victim_sex",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(rows[0]["victim_sex"], "female");
    assert_eq!(rows[0]["count"], 4);

    // xlsx: a zip with a worksheet
    let x = tmp.path().join("b.xlsx");
    csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--config",
        cfg,
        "--by",
        "month",
        "--format",
        "xlsx",
        "--out",
        x.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&x).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // parquet: typed columns, the same rows as the CSV
    let pq = tmp.path().join("b.parquet");
    csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--config",
        cfg,
        "--by",
        "month",
        "--format",
        "parquet",
        "--out",
        pq.to_str().unwrap(),
    ]);
    let df =
        polars::prelude::ParquetReader::new(std::fs::File::open(&pq).unwrap()).finish().unwrap();
    let csv = csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--config",
        cfg,
        "--by",
        "month",
        "--format",
        "csv",
    ]);
    assert_eq!(df.height(), csv.lines().count() - 1);
    assert_eq!(df.column("count").unwrap().dtype(), &polars::prelude::DataType::Int64);

    // --from/--to narrow the period: 2025-07..2025-09 holds C4 C5 C6 and 3 ASB
    let out = csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--config",
        cfg,
        "--by",
        "crime_type",
        "--from",
        "2025-07",
        "--to",
        "2025-09",
        "--format",
        "csv",
    ]);
    assert!(out.contains("Burglary,2,"), "{out}");
    assert!(out.contains("Anti-social behaviour,3,"), "{out}");

    // errors: exit 2 and list the valid names
    let e = csa(&["breakdown", "--dataset", ds, "--priority", "burglary"]);
    assert_eq!(e.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(
        msg.contains("unknown priority \"burglary\"") && msg.contains("Residential burglary"),
        "{msg}"
    );
    let e = csa(&["breakdown", "--dataset", ds, "--by", "ward,colour"]);
    assert_eq!(e.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(
        msg.contains("unknown dimension \"colour\"") && msg.contains("victim_age_band"),
        "{msg}"
    );
    let e = csa(&["breakdown", "--dataset", tmp.path().join("nope").to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));

    // a config mistake names its line and column
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[[priority]]\nname = \"X\"\nfilter = { crime_type = [\"Burglarly\"] }\n")
        .unwrap();
    let e = csa(&["priorities", "--config", bad.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(msg.contains("bad.toml:3:") && msg.contains("Burglarly"), "{msg}");

    // priorities lists the shipped defaults with their sub-groups
    let out = csa_ok(&["priorities"]);
    assert!(
        out.contains("Night-time economy violence") && out.contains("Harm and Abuse Reduction"),
        "{out}"
    );
    // filters are shown in the configuration's own words
    assert!(out.contains("offence_subgroup in [Domestic burglary]"), "{out}");
    assert!(out.contains("night_of in [Friday, Saturday]"), "{out}");
}

#[test]
fn police_uk_dataset_says_it_has_no_people() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    common::ingest_police_uk_march(&ds);
    let ds = ds.to_str().unwrap();
    // crime dimensions work, with the shipped default priorities
    let out = csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--priority",
        "Anti-Social-Behaviour",
        "--by",
        "ward",
        "--format",
        "csv",
    ]);
    assert!(out.lines().count() > 10, "{out}");
    // person dimensions say plainly that the data has no people
    let e = csa(&["breakdown", "--dataset", ds, "--by", "victim_age_band"]);
    assert_eq!(e.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(msg.contains("no victims or offenders"), "{msg}");
    // a priority needing offence codes is measured as zero with a note saying why
    let out = csa_ok(&[
        "breakdown",
        "--dataset",
        ds,
        "--priority",
        "violence with injury",
        "--by",
        "ward",
    ]);
    assert!(out.contains("offence_subgroup is not recorded"), "{out}");
}
