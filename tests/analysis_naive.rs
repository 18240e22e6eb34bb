//! On a synthetic force extract, every breakdown dimension's counts equal a deliberately
//! naive computation: plain iteration over the dataset's rows read back with polars, with
//! labels worked out here from the raw values (dates parsed with chrono, age bands by
//! comparison), not with the library's keyers.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use csa_analysis::repeats;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use common::{csa_ok, read_table};
use csa_analysis::export::cell;
use csa_analysis::{breakdown, Assessment, Config, Dim, Needs};
use polars::prelude::*;

/// Column `name` of `df` as text cells ("" for null).
fn text(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap_or_else(|_| panic!("no column {name}"));
    (0..df.height()).map(|r| cell(c, r).0).collect()
}

fn or_unrecorded(s: &str) -> String {
    if s.is_empty() {
        "(not recorded)".into()
    } else {
        s.to_string()
    }
}

fn age_band(age: &str) -> String {
    let Ok(a) = age.parse::<i64>() else { return "(not recorded)".into() };
    let label = match a {
        0..=9 => "0-9",
        10..=17 => "10-17",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    };
    label.into()
}

/// Crime columns by name, as text cells.
type CrimeCols<'a> = HashMap<&'a str, Vec<String>>;
/// Which crime rows a priority keeps.
type Keep<'k> = &'k dyn Fn(&CrimeCols, usize) -> bool;

struct Rows {
    crimes: DataFrame,
    victims: DataFrame,
    offenders: DataFrame,
}

/// The label cells (joined with "|") of crime row `r` for a crime dimension.
fn crime_label(c: &CrimeCols, r: usize, dim: Dim) -> String {
    let recorded =
        NaiveDate::parse_from_str(&c["recorded_date"][r], "%Y-%m-%d").expect("recorded_date");
    let committed =
        NaiveDateTime::parse_from_str(&c["committed_from"][r], "%Y-%m-%d %H:%M:%S").ok();
    match dim {
        Dim::Ward => {
            let code = &c["ward_code"][r];
            let name = if code.is_empty() {
                "(outside the wards)".to_string()
            } else {
                c["ward_name"][r].clone()
            };
            format!("{code}|{name}")
        }
        Dim::Lsoa => format!("{}|{}", c["lsoa_code"][r], or_unrecorded(&c["lsoa_name"][r])),
        Dim::Month => format!("{}-{:02}", recorded.year(), recorded.month()),
        Dim::Quarter => format!("{}Q{}", recorded.year(), (recorded.month() - 1) / 3 + 1),
        Dim::DayOfWeek => committed.map_or("(not recorded)".into(), |d| d.format("%A").to_string()),
        Dim::Hour => committed.map_or(String::new(), |d| d.hour().to_string()),
        Dim::LocationType => or_unrecorded(&c["location_type"][r]),
        Dim::CrimeType => or_unrecorded(&c["crime_type"][r]),
        Dim::OffenceSubgroup => or_unrecorded(&c["offence_subgroup"][r]),
        Dim::OffenceGroup => or_unrecorded(&c["offence_group"][r]),
        d => panic!("{d:?} is a person dimension"),
    }
}

fn person_label(p: &HashMap<&str, Vec<String>>, i: usize, dim: Dim) -> String {
    match dim {
        Dim::VictimAgeBand | Dim::OffenderAgeBand => age_band(&p["age"][i]),
        Dim::VictimSex | Dim::OffenderSex => or_unrecorded(&p["sex"][i]),
        Dim::VictimEthnicity | Dim::OffenderEthnicity => or_unrecorded(&p["ethnicity"][i]),
        Dim::OffenderRelationship => or_unrecorded(&p["relationship_to_victim"][i]),
        d => panic!("{d:?} is a crime dimension"),
    }
}

/// Naive counts of records in 2025 matching `keep` by `dims` (one per crime row, or one per
/// person record when a dimension is a person's).
fn naive(rows: &Rows, dims: &[Dim], keep: Keep) -> BTreeMap<String, u64> {
    let crime_cols = [
        "crime_ref",
        "recorded_date",
        "committed_from",
        "ward_code",
        "ward_name",
        "lsoa_code",
        "lsoa_name",
        "location_type",
        "crime_type",
        "offence_subgroup",
        "offence_group",
        "domestic_abuse",
    ];
    let c: CrimeCols = crime_cols.iter().map(|n| (*n, text(&rows.crimes, n))).collect();
    let in_period = |r: usize| c["recorded_date"][r].starts_with("2025-") && keep(&c, r);
    let mut out = BTreeMap::new();
    let person_dims: Vec<Dim> =
        dims.iter().copied().filter(|d| d.side() != csa_analysis::Side::Crime).collect();
    if person_dims.is_empty() {
        for r in 0..rows.crimes.height() {
            if in_period(r) {
                let key: Vec<String> = dims.iter().map(|d| crime_label(&c, r, *d)).collect();
                *out.entry(key.join("|")).or_insert(0) += 1;
            }
        }
        return out;
    }
    let people = if person_dims[0].side() == csa_analysis::Side::Victim {
        &rows.victims
    } else {
        &rows.offenders
    };
    let mut cols = vec!["crime_ref", "age", "sex", "ethnicity"];
    if people.column("relationship_to_victim").is_ok() {
        cols.push("relationship_to_victim");
    }
    let p: HashMap<&str, Vec<String>> = cols.iter().map(|n| (*n, text(people, n))).collect();
    let row_of: HashMap<&str, usize> =
        c["crime_ref"].iter().enumerate().map(|(i, r)| (r.as_str(), i)).collect();
    for i in 0..people.height() {
        let r = row_of[p["crime_ref"][i].as_str()];
        if in_period(r) {
            let key: Vec<String> = dims
                .iter()
                .map(|d| {
                    if d.side() == csa_analysis::Side::Crime {
                        crime_label(&c, r, *d)
                    } else {
                        person_label(&p, i, *d)
                    }
                })
                .collect();
            *out.entry(key.join("|")).or_insert(0) += 1;
        }
    }
    out
}

/// The API's non-zero counts keyed like [`naive`].
fn api(a: &Assessment, priority: &str, dims: &[Dim]) -> BTreeMap<String, u64> {
    let p = a.config.priority(priority).unwrap();
    let b = breakdown(a, &p, dims).unwrap();
    let t = &b.table;
    let key_cols: Vec<&str> = dims.iter().flat_map(|d| d.output_columns()).collect();
    let keys: Vec<Vec<String>> = key_cols.iter().map(|n| text(t, n)).collect();
    let counts = text(t, "count");
    let mut out = BTreeMap::new();
    for (r, n) in counts.iter().enumerate() {
        let n: u64 = n.parse().unwrap();
        if n > 0 {
            let key: Vec<&str> = keys.iter().map(|k| k[r].as_str()).collect();
            assert!(out.insert(key.join("|"), n).is_none(), "duplicate group {key:?}");
        }
    }
    let total: u64 = out.values().sum();
    assert_eq!(total, b.total, "{priority} by {dims:?}: groups add up to the total");
    out
}

#[test]
fn every_dimension_matches_a_naive_count() {
    let tmp = tempfile::tempdir().unwrap();
    let extract = tmp.path().join("extract");
    let ds = tmp.path().join("ds");
    csa_ok(&[
        "--quiet",
        "synth",
        "--crimes",
        "4000",
        "--seed",
        "11",
        "--out",
        extract.to_str().unwrap(),
    ]);
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        extract.to_str().unwrap(),
        "--boundaries",
        common::data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap(),
        "--lsoa-boundaries",
        common::data("data/boundaries/coventry-lsoa-2021.geojson").to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
    ]);
    let rows = Rows {
        crimes: read_table(&ds, "crimes"),
        victims: read_table(&ds, "victims"),
        offenders: read_table(&ds, "offenders"),
    };
    let a = Assessment::open(&ds, Config::default_config(), None, &Needs::everything()).unwrap();
    assert_eq!(a.periods.current.to_string(), "2025-01 to 2025-12");

    let everything = |_: &CrimeCols, _: usize| true;
    let domestic = |c: &CrimeCols, r: usize| c["domestic_abuse"][r] == "true";
    let burglary = |c: &CrimeCols, r: usize| c["offence_subgroup"][r] == "Domestic burglary";
    for (priority, keep) in [
        ("all", &everything as Keep),
        ("Domestic abuse", &domestic),
        ("Residential burglary", &burglary),
    ] {
        for dim in Dim::ALL {
            let expected = naive(&rows, &[*dim], keep);
            assert!(!expected.is_empty() || priority != "all", "{dim:?}: no records");
            assert_eq!(api(&a, priority, &[*dim]), expected, "{priority} by {dim:?}");
        }
        // crossings: crime x person, and two person dimensions of one side
        for dims in [
            [Dim::Ward, Dim::VictimAgeBand],
            [Dim::VictimAgeBand, Dim::VictimSex],
            [Dim::OffenderEthnicity, Dim::Month],
            [Dim::DayOfWeek, Dim::Hour],
        ] {
            assert_eq!(
                api(&a, priority, &dims),
                naive(&rows, &dims, keep),
                "{priority} by {dims:?}"
            );
        }
        // loading only the priority's people (what `csa breakdown` does) changes no figure
        let p = a.config.priority(priority).unwrap();
        let mut needs = Needs::everything();
        needs.people_filter = Some(p.filter.clone());
        let lean = Assessment::open(&ds, Config::default_config(), None, &needs).unwrap();
        if priority != "all" {
            assert!(
                lean.data.victims.as_ref().unwrap().len() < a.data.victims.as_ref().unwrap().len(),
                "{priority}: fewer victims linked"
            );
        }
        for dims in [[Dim::VictimAgeBand, Dim::Ward], [Dim::OffenderSex, Dim::OffenderEthnicity]] {
            assert_eq!(
                api(&lean, priority, &dims),
                api(&a, priority, &dims),
                "{priority} by {dims:?}, people of the priority only"
            );
        }
        for side in [csa_analysis::Side::Victim, csa_analysis::Side::Offender] {
            assert_eq!(
                repeats::repeats(&lean, &p, side).unwrap(),
                repeats::repeats(&a, &p, side).unwrap(),
                "{priority} repeats"
            );
        }
        assert_eq!(
            repeats::repeat_within(&lean, &p, 365).unwrap(),
            repeats::repeat_within(&a, &p, 365).unwrap(),
            "{priority} 12-month repeats"
        );
        assert_eq!(
            repeats::prolific_offenders(&lean, &p, 10).unwrap(),
            repeats::prolific_offenders(&a, &p, 10).unwrap(),
            "{priority} prolific"
        );
    }
}
