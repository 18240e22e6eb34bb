//! `csa synth`: same seed, same bytes; and the structure it promises is really there
//! (checked on the generated records against ground truth, independently of any analysis).

mod common;

use std::collections::HashMap;

use chrono::{Datelike, Timelike, Weekday};
use common::*;
use csa_model::{CrimeType, LocationType};

#[test]
fn same_seed_same_bytes_different_seed_different_data() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |name: &str, seed: &str, format: &str| {
        let out = tmp.path().join(name);
        csa_ok(&[
            "synth",
            "--crimes",
            "3000",
            "--seed",
            seed,
            "--format",
            format,
            "--out",
            out.to_str().expect("utf8"),
        ]);
        out
    };
    for format in ["extract", "police-uk"] {
        let a = run(&format!("{format}-a"), "7", format);
        let b = run(&format!("{format}-b"), "7", format);
        let c = run(&format!("{format}-c"), "8", format);
        let mut names: Vec<_> =
            std::fs::read_dir(&a).expect("ls").map(|e| e.expect("entry").file_name()).collect();
        names.sort();
        assert!(names.len() >= 4, "{names:?}");
        for n in &names {
            assert_eq!(
                std::fs::read(a.join(n)).expect("a"),
                std::fs::read(b.join(n)).expect("b"),
                "{format} {n:?} differs for the same seed"
            );
        }
        let first = names.iter().find(|n| n.to_string_lossy().ends_with(".csv")).expect("a csv");
        assert_ne!(
            std::fs::read(a.join(first)).expect("a"),
            std::fs::read(c.join(first)).expect("c")
        );
    }
}

#[test]
fn shipped_demo_extracts_are_what_synth_writes() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (year, seed, folder) in [
        ("2025", "2025", "data/demo/coventry-extract"),
        ("2024", "2024", "data/demo/coventry-extract-2024"),
        ("2023", "2027", "data/demo/coventry-extract-2023"),
    ] {
        let out = tmp.path().join(year);
        csa_ok(&[
            "synth",
            "--crimes",
            "20000",
            "--seed",
            seed,
            "--year",
            year,
            "--gzip",
            "--out",
            out.to_str().expect("utf8"),
        ]);
        for f in [
            "crimes.csv.gz",
            "victims.csv.gz",
            "offenders.csv.gz",
            "ambulance.csv.gz",
            "ground_truth.json",
        ] {
            assert!(
                std::fs::read(out.join(f)).expect("new")
                    == std::fs::read(data(folder).join(f)).expect("shipped"),
                "{folder}/{f} is stale: regenerate it with the command in data/README.md"
            );
        }
    }
}

#[test]
fn planted_structure_is_present() {
    let s = csa_synth::generate(&csa_synth::SynthOptions {
        crimes: 40_000,
        asb: 10_000,
        seed: 11,
        year: 2025,
    })
    .expect("generate");
    let recs = &s.records;
    assert_eq!(recs.len(), 50_000);
    assert_eq!(
        recs.iter().filter(|r| r.crime_type == CrimeType::AntiSocialBehaviour).count(),
        10_000
    );

    // offence mix: the biggest codes within 1.5 points of West Midlands' 2017/18 shares
    let mix = std::fs::read_to_string(data("data/reference/offence_mix_west_midlands_2017-18.csv"))
        .expect("mix");
    let table: Vec<(String, f64)> = mix
        .lines()
        .skip(1)
        .map(|l| {
            let (c, n) = l.split_once(',').expect("two fields");
            (c.to_string(), n.parse().expect("number"))
        })
        .collect();
    let total: f64 = table.iter().map(|t| t.1).sum();
    // the re-offending panel is a stream of its own (property and drug offences on a fixed
    // schedule, ground_truth.json's "reoffending"): the mix is that of the other crimes
    let panel: std::collections::HashSet<String> =
        csa_synth::reoffending::Panel::new(40_000, 2025).people.into_iter().map(|p| p.id).collect();
    let in_panel = |r: &&csa_synth::SynthCrime| r.offenders.iter().any(|o| panel.contains(&o.id));
    let planted = recs.iter().filter(in_panel).count();
    assert!(planted > 100 && planted * 10 < recs.len(), "{planted} panel crimes");
    let crimes: Vec<_> = recs.iter().filter(|r| r.offence_code.is_some() && !in_panel(r)).collect();
    for (code, n) in table.iter().take(6) {
        let got = crimes.iter().filter(|r| r.offence_code.as_deref() == Some(code)).count() as f64
            / crimes.len() as f64;
        assert!((got - n / total).abs() < 0.015, "{code}: {got:.3} vs {:.3}", n / total);
    }

    // everything inside Coventry
    let idx = csa_geo::AreaIndex::new(s.wards.clone());
    assert!(recs.iter().all(|r| idx.locate(r.lon, r.lat).is_some()));

    // domestic abuse: repeat victims, usually with the same perpetrator again
    let mut da_victims: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in recs.iter().filter(|r| r.domestic_abuse) {
        let v = &r.victims[0].id;
        let o = r.offenders.first().map_or("", |o| o.id.as_str());
        da_victims.entry(v.as_str()).or_default().push(o);
    }
    let repeats: Vec<_> = da_victims.values().filter(|o| o.len() >= 2).collect();
    let share = repeats.len() as f64 / da_victims.len() as f64;
    assert!(share > 0.15 && share < 0.7, "repeat DA victim share {share:.2}");
    let same_again = repeats
        .iter()
        .filter(|o| {
            let named: Vec<_> = o.iter().filter(|x| !x.is_empty()).collect();
            named.len() >= 2 && named.iter().skip(1).any(|x| *x == named[0])
        })
        .count();
    assert!(
        same_again * 2 > repeats.len(),
        "{same_again} of {} repeat DA victims see the same offender again",
        repeats.len()
    );

    // prolific offenders: the top 1% of offenders are linked to more than 10% of offences
    let mut per: HashMap<&str, usize> = HashMap::new();
    for r in recs {
        for o in &r.offenders {
            *per.entry(o.id.as_str()).or_default() += 1;
        }
    }
    let mut counts: Vec<usize> = per.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let links: usize = counts.iter().sum();
    let top: usize = counts.iter().take(counts.len() / 100).sum();
    assert!(top * 10 > links, "top 1% of offenders: {top} of {links} links");

    // a person keeps the same age, sex and ethnicity on every crime
    let mut people: HashMap<&str, (Option<i16>, csa_model::Sex, csa_model::Ethnicity)> =
        HashMap::new();
    for p in recs.iter().flat_map(|r| r.victims.iter().chain(r.offenders.iter())) {
        let v = people.entry(p.id.as_str()).or_insert((p.age, p.sex, p.ethnicity));
        assert_eq!(*v, (p.age, p.sex, p.ethnicity), "person {}", p.id);
    }

    // night-time economy: Friday/Saturday nights 22:00-03:00 near licensed premises in the centre
    let nte: Vec<_> = recs.iter().filter(|r| r.nte).collect();
    assert_eq!(nte.len() as u64, s.truth.nte_crimes);
    assert!(nte.len() > 100);
    let (ce, cn) =
        csa_geo::lonlat_to_bng(s.truth.nte_centre_lon, s.truth.nte_centre_lat).expect("centre");
    for r in &nte {
        let (d, h) = (r.committed_from.weekday(), r.committed_from.hour());
        let friday_or_saturday_night = (matches!(d, Weekday::Fri | Weekday::Sat) && h >= 22)
            || (matches!(d, Weekday::Sat | Weekday::Sun) && h < 3);
        assert!(friday_or_saturday_night, "{} {d} {h}", r.crime_ref);
        assert!(
            ((r.easting - ce).powi(2) + (r.northing - cn).powi(2)).sqrt() < s.truth.nte_radius_m
        );
        assert!(
            matches!(r.location_type, LocationType::LicensedPremises | LocationType::Street)
                && r.alcohol_related
        );
    }

    // near repeats: within 200 m and 1..14 days of the burglary they follow
    let follow: Vec<_> = recs.iter().filter(|r| r.near_repeat_of.is_some()).collect();
    assert_eq!(follow.len() as u64, s.truth.near_repeat_burglaries);
    assert!(follow.len() > 50, "{} near repeats", follow.len());
    for r in &follow {
        assert_eq!(r.crime_type, CrimeType::Burglary);
        // the source is the nearest earlier dwelling burglary within the planted window
        let near = recs.iter().any(|b| {
            b.crime_type == CrimeType::Burglary && b.crime_ref != r.crime_ref && {
                let days = (r.committed_from - b.committed_from).num_days();
                let dist =
                    ((r.easting - b.easting).powi(2) + (r.northing - b.northing).powi(2)).sqrt();
                (1..=14).contains(&days) && dist <= 201.0
            }
        });
        assert!(near, "{} has no burglary within 200 m and 14 days before it", r.crime_ref);
    }

    // planted hotspots: counts recorded, every planted crime inside its radius
    for (k, h) in s.truth.hotspots.iter().enumerate() {
        let planted: Vec<_> = recs.iter().filter(|r| r.hotspot == Some(k)).collect();
        assert_eq!(planted.len() as u64, h.extra_count);
        assert!(h.extra_count >= 10, "hotspot {k} has {} crimes", h.extra_count);
        for r in planted {
            let d = ((r.easting - h.easting).powi(2) + (r.northing - h.northing).powi(2)).sqrt();
            assert!(
                d <= h.radius_m * 1.01 + 1.0,
                "hotspot {k}: crime {d:.0} m from centre, radius {}",
                h.radius_m
            );
            assert_eq!(r.crime_type.name(), h.crime_type);
        }
    }

    // seasonality: more violence per day in July than in February
    let per_day = |m: u32, days: f64| {
        recs.iter()
            .filter(|r| {
                r.crime_type == CrimeType::ViolenceAndSexualOffences
                    && r.committed_from.month() == m
            })
            .count() as f64
            / days
    };
    assert!(per_day(7, 31.0) > per_day(2, 28.0) * 1.15);

    // demographics near Coventry's census mix
    let victims: Vec<_> = recs.iter().flat_map(|r| r.victims.iter()).collect();
    let white = victims.iter().filter(|p| p.ethnicity == csa_model::Ethnicity::White).count()
        as f64
        / victims.len() as f64;
    assert!((0.55..0.72).contains(&white), "white share {white:.2}");
}
