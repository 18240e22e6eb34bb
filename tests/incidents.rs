//! Partner incidents and the Serious Violence Duty with known answers: a hand-built force
//! extract and a hand-built ambulance file (every figure worked out by hand in the comments),
//! ingested with `csa ingest --incidents` and analysed through the library API.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::path::Path;

use common::csa_ok;
use csa_analysis::serious_violence::{analyse, Figures, PartnerFigures};
use csa_analysis::{breakdown, Assessment, Config, Dim, Needs};

// Two Coventry wards; a point inside each (as in tests/analysis.rs).
const BABLAKE: (&str, &str) = ("429889", "282478");
const FOLESHILL: (&str, &str) = ("434252", "281315");

/// The force extract. Weekdays: 2025-03-07 Fri, 03-08 Sat, 04-02 Wed, 05-10 Sat, 06-15 Sun,
/// 07-01 Tue; 2024-06-14 Fri.
///
/// | ref | committed | code | ward | weapon | serious violence (default definition) | NTE (Fri/Sat 20-04) |
/// |-----|-----------|------|------|--------|----------------------|-----|
/// | C1 | 2025-03-07 22:30 | 5D | Bablake | Y | yes (code, weapon) | yes |
/// | C2 | 2025-03-08 02:00 | 8N | Foleshill | Y | yes (weapon) | yes (Friday night) |
/// | C3 | 2025-04-02 23:00 | 8N | Bablake | N | no | - |
/// | C4 | 2025-05-10 14:00 | 34B | Foleshill | (blank = no) | yes (code) | no |
/// | C5 | 2025-06-15 03:30 | 10D | Bablake | N | yes (code) | yes (Saturday night) |
/// | C6 | 2025-07-01 10:00 | 28E | Foleshill | N | no | - |
/// | P1 | 2024-06-14 21:00 | 5D | Bablake | N | yes (code), comparison | yes |
///
/// plus an ASB incident on the 15th of every month of 2024 and 2025 in Foleshill (so both
/// periods are covered). Victims: C1 V1 19, C2 V2 30, C4 V3 17, C5 V4 (age unknown), P1 V5
/// 22. Offenders: C1 O1 21 and O2 26, C3 O5 20, C4 O3 16, C5 O4 24.
fn write_extract(dir: &Path) {
    let mut c = "crime_ref,recorded_date,committed_from,offence_code,crime_type,easting,northing,location_type,weapon\n".to_string();
    let row = |r: &str, at: &str, code: &str, (e, n): (&str, &str), w: &str| {
        format!("{r},{},{at},{code},,{e},{n},street,{w}\n", &at[..10])
    };
    c += &row("C1", "2025-03-07T22:30", "5D", BABLAKE, "Y");
    c += &row("C2", "2025-03-08T02:00", "8N", FOLESHILL, "Y");
    c += &row("C3", "2025-04-02T23:00", "8N", BABLAKE, "N");
    c += &row("C4", "2025-05-10T14:00", "34B", FOLESHILL, "");
    c += &row("C5", "2025-06-15T03:30", "10D", BABLAKE, "N");
    c += &row("C6", "2025-07-01T10:00", "28E", FOLESHILL, "N");
    c += &row("P1", "2024-06-14T21:00", "5D", BABLAKE, "N");
    for year in [2024, 2025] {
        for month in 1..=12 {
            c += &format!(
                "ASB-{year}-{month:02},{year}-{month:02}-15,{year}-{month:02}-15T12:00,,Anti-social behaviour,{},{},street,\n",
                FOLESHILL.0, FOLESHILL.1
            );
        }
    }
    let v = "crime_ref,person_id,age,sex\nC1,V1,19,male\nC2,V2,30,female\nC4,V3,17,male\nC5,V4,,male\nP1,V5,22,male\n";
    let o = "crime_ref,person_id,age,sex\nC1,O1,21,male\nC1,O2,26,male\nC3,O5,20,male\nC4,O3,16,male\nC5,O4,24,male\n";
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("crimes.csv"), c).unwrap();
    std::fs::write(dir.join("victims.csv"), v).unwrap();
    std::fs::write(dir.join("offenders.csv"), o).unwrap();
}

/// The ambulance file, in the trust's own columns (read through the mapping below).
///
/// | line | ref | when | category | location | person | outcome |
/// |------|-----|------|----------|----------|--------|---------|
/// | 2 | A1 | Fri 2025-03-07 23:00 | ASSAULT | Bablake point | 19 M, weapon Y | accepted; NTE |
/// | 3 | A2 | Sat 2025-03-08 01:10 | ASSAULT | LSOA E01009522 (Bablake, by lookup) | 30 F | accepted; NTE (Friday night) |
/// | 4 | A3 | Wed 2025-03-12 12:00 | Assault | ward code E05001222 (Foleshill) | none | accepted (by ward); not NTE |
/// | 5 | A4 | Fri 2025-03-14 09:00 | FALL | Foleshill point | 80 F | accepted; not an assault |
/// | 6 | A5 | 31/02/2025 | ASSAULT | point | | quarantined: unparseable_date |
/// | 7 | A6 | 2025-03-15 | ASSAULT | nothing | | quarantined: missing_coordinates |
/// | 8 | A7 | 2025-03-16 | ASSAULT | LSOA E01999999 (not in the lookup) | | quarantined: missing_coordinates |
/// | 9 | A8 | 2025-03-17 | ASSAULT | point | age 130 | quarantined: impossible_age |
/// | 10 | A1 | 2025-03-18 | ASSAULT | point | 40 M | quarantined: duplicate_crime_ref (its person goes too) |
/// | 11 | A9 | Thu 2024-06-20 22:00 | ASSAULT | Foleshill point | 23 M | accepted; comparison period; not NTE |
/// | 12 | A10 | 2025-03-19 | (empty) | point | | quarantined: missing_value |
///
/// Read 11, accepted 5 (A1 A2 A3 A4 A9), quarantined 6.
fn write_ambulance(path: &Path) {
    let (be, bn) = BABLAKE;
    let (fe, fn_) = FOLESHILL;
    let text = format!(
        "REF,WHEN,CAT,E,N,LSOA,WARD,AGE,SEX,WEAPON\n\
         A1,07/03/2025 23:00,ASSAULT,{be},{bn},,,19,M,Y\n\
         A2,08/03/2025 01:10,ASSAULT,,,E01009522,,30,F,N\n\
         A3,12/03/2025 12:00,Assault,,,,E05001222,,,\n\
         A4,14/03/2025 09:00,FALL,{fe},{fn_},,,80,F,\n\
         A5,31/02/2025 10:00,ASSAULT,{be},{bn},,,,,\n\
         A6,15/03/2025 10:00,ASSAULT,,,,,,,\n\
         A7,16/03/2025 10:00,ASSAULT,,,E01999999,,,,\n\
         A8,17/03/2025 10:00,ASSAULT,{be},{bn},,,130,M,\n\
         A1,18/03/2025 10:00,ASSAULT,{be},{bn},,,40,M,\n\
         A9,20/06/2024 22:00,ASSAULT,{fe},{fn_},,,23,M,\n\
         A10,19/03/2025 10:00,,{be},{bn},,,,,\n"
    );
    std::fs::write(path, text).unwrap();
}

const MAPPING: &str = r#"
[incidents.ambulance.columns]
crime_ref = "REF"
recorded_date = "WHEN"
category = "CAT"
easting = "E"
northing = "N"
lsoa_code = "LSOA"
ward_code = "WARD"
age = "AGE"
sex = "SEX"
weapon = "WEAPON"
[incidents.ambulance.date_formats]
recorded_date = ["%d/%m/%Y %H:%M"]
"#;

const CONFIG: &str = r#"
[assessment]
name = "Partner fixture"
period = { from = "2025-01", to = "2025-12" }
comparison = { from = "2024-01", to = "2024-12" }

[serious_violence]
partner_sources = ["ambulance"]
partner_categories = ["assault"]

[[priority]]
name = "Ambulance assaults"
filter = { source = ["ambulance"], category = ["assault"] }

[[priority]]
name = "Partner incidents at night"
filter = { record_kind = "incident", any = [{ night_of = ["Friday", "Saturday"], hour = [20, 21, 22, 23, 0, 1, 2, 3] }] }

[[priority]]
name = "Violence"
filter = { offence_group = ["Violence against the person"] }

[[priority]]
name = "Weapon crimes"
filter = { weapon = true }
"#;

/// Ingests the extract (and the ambulance file when `partner`) into `tmp/NAME`.
fn ingest(tmp: &Path, name: &str, partner: bool) -> std::path::PathBuf {
    ingest_with(tmp, name, partner, &[])
}

fn ingest_with(tmp: &Path, name: &str, partner: bool, more: &[&str]) -> std::path::PathBuf {
    let ds = tmp.join(name);
    let extract = tmp.join("extract");
    if !extract.exists() {
        write_extract(&extract);
        write_ambulance(&tmp.join("ambulance.csv"));
        std::fs::write(tmp.join("mapping.toml"), MAPPING).unwrap();
        std::fs::write(tmp.join("assessment.toml"), CONFIG).unwrap();
    }
    let amb = format!("ambulance={}", tmp.join("ambulance.csv").display());
    let mut args = vec![
        "--quiet".to_string(),
        "ingest".into(),
        "--extract".into(),
        extract.display().to_string(),
        "--mapping".into(),
        tmp.join("mapping.toml").display().to_string(),
        "--boundaries".into(),
        common::data("data/boundaries/coventry-wards-2025.geojson").display().to_string(),
        "--lsoa-lookup".into(),
        common::data("data/lookups/lsoa21-wd25.csv.gz").display().to_string(),
        "--out".into(),
        ds.display().to_string(),
    ];
    if partner {
        args.extend(["--incidents".into(), amb]);
    }
    args.extend(more.iter().map(|s| s.to_string()));
    csa_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    ds
}

fn open(tmp: &Path, ds: &Path) -> Assessment {
    let config = Config::load(&tmp.join("assessment.toml")).unwrap();
    Assessment::open(ds, config, None, &Needs::everything()).unwrap()
}

#[test]
fn partner_rows_are_accepted_or_quarantined_with_reasons_and_reconcile() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ingest(tmp.path(), "ds", true);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ds.join("manifest.json")).unwrap()).unwrap();
    let amb = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("ambulance.csv"))
        .unwrap();
    assert_eq!(amb["kind"], "incidents");
    assert_eq!((amb["rows_read"].as_u64(), amb["accepted"].as_u64()), (Some(11), Some(5)));
    assert_eq!(amb["quarantined"].as_u64(), Some(6));
    let reasons = &amb["quarantined_by_reason"];
    for (r, n) in [
        ("unparseable_date", 1),
        ("missing_coordinates", 2),
        ("impossible_age", 1),
        ("duplicate_crime_ref", 1),
        ("missing_value", 1),
    ] {
        assert_eq!(reasons[r].as_u64(), Some(n), "{r}: {reasons}");
    }
    assert_eq!(m["reconciliation"]["balanced"], true);
    // 5 incidents; victims: 5 of the extract + the persons of A1, A2, A4, A9 (A3 has none,
    // the duplicate A1's person went with it)
    assert_eq!(m["counts"]["incidents"].as_u64(), Some(5));
    assert_eq!(m["counts"]["victims"].as_u64(), Some(9));
    assert_eq!(m["counts"]["crimes"].as_u64(), Some(7));
    assert_eq!(m["counts"]["asb"].as_u64(), Some(24));
    // the quarantined rows name their reasons in the quarantine table
    let q = common::read_table(&ds, "quarantine");
    let reasons = common::strings(&q, "reason");
    assert_eq!(reasons.len(), 6, "{reasons:?}");
    let details = common::strings(&q, "detail");
    assert!(
        details.iter().any(|d| d.contains("E01999999") && d.contains("not in the lookup")),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d.contains("no location")), "{details:?}");
    // streaming within a tiny memory budget (refs and people checked in several hash buckets)
    // gives the same dataset: the duplicate's person is still dropped with it
    let small = ingest_with(tmp.path(), "small", true, &["--memory-budget", "16K"]);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(small.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(s["counts"], m["counts"]);
    for (a, b) in s["inputs"].as_array().unwrap().iter().zip(m["inputs"].as_array().unwrap()) {
        for k in ["rows_read", "accepted", "quarantined", "quarantined_by_reason"] {
            assert_eq!(a[k], b[k], "{k}");
        }
    }
}

#[test]
fn priority_filters_count_incidents_only_when_asked_and_crime_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let with = open(tmp.path(), &ingest(tmp.path(), "with", true));
    let without = open(tmp.path(), &ingest(tmp.path(), "without", false));
    let cfg = &with.config;
    // ambulance assaults: 2025 A1 A2 A3 (A3's "Assault" matches, case ignored); 2024 A9.
    // Bablake A1 A2, Foleshill A3.
    let amb = cfg.priority("ambulance assaults").unwrap();
    let b = breakdown(&with, &amb, &[Dim::Ward]).unwrap();
    assert_eq!((b.total, b.comparison_total), (3, Some(1)));
    let b = breakdown(&without, &amb, &[Dim::Ward]).unwrap();
    assert_eq!(b.total, 0);
    // incidents on Friday or Saturday nights 20:00-04:00: A1 (Fri 23:00), A2 (Sat 01:10)
    let night = cfg.priority("partner incidents at night").unwrap();
    assert_eq!(breakdown(&with, &night, &[Dim::Ward]).unwrap().total, 2);
    // every police priority, "all" included, counts the same with and without partner data
    let defaults = Config::default_config().all_priorities();
    for p in cfg.all_priorities().into_iter().chain(defaults) {
        if p.filter.mentions_incidents() {
            continue;
        }
        let x = breakdown(&with, &p, &[Dim::Ward]).unwrap();
        let y = breakdown(&without, &p, &[Dim::Ward]).unwrap();
        assert_eq!((x.total, x.comparison_total), (y.total, y.comparison_total), "{}", p.name);
        let x = breakdown(&with, &p, &[Dim::VictimSex]).unwrap();
        let y = breakdown(&without, &p, &[Dim::VictimSex]).unwrap();
        assert_eq!((x.total, x.comparison_total), (y.total, y.comparison_total), "{}", p.name);
    }
    // all: 2025 C1-C6 + 12 ASB = 18; 2024 P1 + 12 ASB = 13
    let all = cfg.priority("all").unwrap();
    let b = breakdown(&with, &all, &[Dim::Ward]).unwrap();
    assert_eq!((b.total, b.comparison_total), (18, Some(13)));
    // weapon crimes: C1, C2 (the weapon flag of A1 is a partner incident's)
    let w = cfg.priority("weapon crimes").unwrap();
    assert_eq!(breakdown(&with, &w, &[Dim::Ward]).unwrap().total, 2);
}

#[test]
fn serious_violence_matches_the_hand_count() {
    let tmp = tempfile::tempdir().unwrap();
    let a = open(tmp.path(), &ingest(tmp.path(), "ds", true));
    let sv = analyse(&a, &a.config.serious_violence).unwrap();
    // police: C1 C2 C4 C5; weapon C1 C2 (all six... every row records the flag: 4); NTE C1 C2 C5;
    // victims V1 19, V2 30, V3 17, V4 unknown: under 25 V1 V3; offenders O1 21, O2 26, O3 16,
    // O4 24: under 25 O1 O3 O4. Comparison: P1 (NTE), V5 22.
    assert_eq!(
        sv.police[0],
        Figures {
            crimes: 4,
            weapon: 2,
            weapon_recorded: 4,
            nte: 3,
            nte_known: 4,
            victims: 4,
            victims_young: 2,
            victims_age_known: 3,
            offenders: 4,
            offenders_young: 3,
            offenders_age_known: 4,
        }
    );
    assert_eq!(
        sv.police[1],
        Figures {
            crimes: 1,
            weapon: 0,
            weapon_recorded: 1,
            nte: 1,
            nte_known: 1,
            victims: 1,
            victims_young: 1,
            victims_age_known: 1,
            ..Figures::default()
        }
    );
    // partner: 2025 A1 A2 A3; NTE A1 A2; under 25 A1; ages known A1 A2; weapon A1.
    // 2024: A9 (23, Thursday).
    assert_eq!(
        sv.partner[0],
        PartnerFigures { attendances: 3, nte: 2, nte_known: 3, young: 1, age_known: 2, weapon: 1 }
    );
    assert_eq!(
        sv.partner[1],
        PartnerFigures { attendances: 1, nte: 0, nte_known: 1, young: 1, age_known: 1, weapon: 0 }
    );
    assert_eq!(sv.partner_sources, vec!["ambulance".to_string()]);
    // parts: offence codes C1 C4 C5 (P1); weapon C1 C2
    let parts: Vec<(u64, u64)> = sv.parts.iter().map(|p| (p.1, p.2)).collect();
    assert_eq!(parts, vec![(3, 1), (2, 0)]);
    assert!(sv.parts[1].0.contains("weapon"));
    // ages (victims, offenders, partner): under 18 V3 O3; 18-24 V1, O1 O4, A1; 25+ V2, O2,
    // A2; unknown V4, A3
    let ages: Vec<(u64, u64, u64)> = sv.ages.iter().map(|r| (r.1, r.2, r.3)).collect();
    assert_eq!(ages, vec![(1, 1, 0), (1, 2, 1), (1, 1, 1), (1, 0, 1)]);
    assert_eq!(sv.ages[1].0, "18-24");
    // wards: Bablake C1 C5 / P1 / A1 A2; Foleshill C2 C4 / - / A3
    let w = |code: &str| sv.wards.iter().find(|w| w.code == code).unwrap();
    let b = w("E05001218");
    assert_eq!((b.current, b.comparison, b.partner), (2, 1, 2));
    let f = w("E05001222");
    assert_eq!((f.current, f.comparison, f.partner), (2, 0, 1));
}

/// A priority on partner incidents is an indicator of the quarterly run and a priority of the
/// pack (its ward table, the ward profiles) like any other, and the pack's Serious violence
/// section and `serious-violence.html` carry the hand counts.
#[test]
fn partner_priorities_reach_the_quarterly_run_and_the_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = ingest(tmp.path(), "ds", true);
    let t = tmp.path().join("targets.toml");
    std::fs::write(
        &t,
        "[[indicator]]\npriority = \"Ambulance assaults\"\ntarget_pct = \"none\"\n[[indicator]]\npriority = \"Violence\"\ntarget_pct = \"none\"\n",
    )
    .unwrap();
    let (cfg, ds_s) = (tmp.path().join("assessment.toml"), ds.display().to_string());
    let q = tmp.path().join("q");
    csa_ok(&[
        "quarterly",
        "--config",
        cfg.to_str().unwrap(),
        "--dataset",
        &ds_s,
        "--quarter",
        "2025Q1",
        "--targets",
        t.to_str().unwrap(),
        "--out",
        q.to_str().unwrap(),
    ]);
    // 2025Q1: A1 A2 A3 (2024Q1: none); Violence (offence group): C1 C2 only, no incident
    let perf = std::fs::read_to_string(q.join("performance.csv")).unwrap();
    let row = |name: &str| -> Vec<String> {
        let mut r = csv::Reader::from_reader(perf.as_bytes());
        let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let rec = r.records().map(|x| x.unwrap()).find(|x| &x[0] == name).unwrap();
        let at = |c: &str| h.iter().position(|x| x == c).unwrap();
        vec![rec[at("count")].to_string(), rec[at("same_quarter_last_year")].to_string()]
    };
    assert_eq!(row("Ambulance assaults"), vec!["3", "0"]);
    assert_eq!(row("Violence"), vec!["2", "0"]);
    let pack = tmp.path().join("pack");
    csa_ok(&[
        "--quiet",
        "assess",
        "--config",
        cfg.to_str().unwrap(),
        "--dataset",
        &ds_s,
        "--out",
        pack.to_str().unwrap(),
    ]);
    // wards: Bablake A1 A2 (2024: none), Foleshill A3 (2024: A9)
    let wards = std::fs::read_to_string(pack.join("tables/ambulance_assaults_wards.csv")).unwrap();
    assert!(wards.contains("E05001218,Bablake,2,0,"), "{wards}");
    assert!(wards.contains("E05001222,Foleshill,1,1,"), "{wards}");
    let profiles = std::fs::read_to_string(pack.join("tables/ward_profiles.csv")).unwrap();
    assert!(profiles.contains("Ambulance assaults,E05001218,Bablake,2,"), "{profiles}");
    let summary =
        std::fs::read_to_string(pack.join("tables/serious_violence_summary.csv")).unwrap();
    assert!(summary.contains("serious violence crimes,4,1,300"), "{summary}");
    assert!(summary.contains("partner attendances in the night-time economy,2,0,"), "{summary}");
    let html = std::fs::read_to_string(pack.join("serious-violence.html")).unwrap();
    assert!(html.contains("t-serious_violence_by_ward") && html.contains("(ambulance)"));
}
