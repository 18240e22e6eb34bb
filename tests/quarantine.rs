//! Bad rows land in quarantine with the right reason, good rows are kept, and the counts
//! reconcile. Fixtures: tests/data/bad-police-uk and tests/data/bad-extract (see the
//! comments in tests/data/README.md for what each line is).

mod common;

use common::*;

fn quarantine_lines(dataset: &std::path::Path) -> Vec<(String, i64, String)> {
    let q = read_table(dataset, "quarantine");
    let tables = strings(&q, "table");
    let reasons = strings(&q, "reason");
    let lines: Vec<i64> = q
        .column("source_line")
        .expect("line")
        .i64()
        .expect("i64")
        .iter()
        .map(|v| v.expect("line"))
        .collect();
    let mut out: Vec<_> =
        tables.into_iter().zip(lines).zip(reasons).map(|((t, l), r)| (t, l, r)).collect();
    out.sort();
    out
}

#[test]
fn police_uk_bad_rows_are_quarantined_with_reasons() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    let stdout = csa_ok(&[
        "ingest",
        "--quiet",
        "--police-uk",
        data("tests/data/bad-police-uk").to_str().expect("utf8"),
        "--boundaries",
        data("data/boundaries/coventry-wards-2025.geojson").to_str().expect("utf8"),
        "--lsoa-lookup",
        data("data/lookups/lsoa21-wd25.csv.gz").to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(stdout.contains("total"), "{stdout}");
    let expected: Vec<(String, i64, String)> = [
        (4, "unparseable_month"),
        (5, "non_numeric_coordinates"),
        (6, "outside_great_britain"),
        (7, "unknown_crime_type"),
        (8, "duplicate_crime_ref"),
        (10, "missing_coordinates"),
        (11, "wrong_field_count"),
        (13, "missing_coordinates"),
        (14, "invalid_utf8"),
    ]
    .iter()
    .map(|(l, r)| ("crimes".to_string(), *l, r.to_string()))
    .collect();
    assert_eq!(quarantine_lines(&out), expected);

    let crimes = read_table(&out, "crimes");
    let mut refs = strings(&crimes, "crime_ref");
    refs.sort();
    assert_eq!(refs, vec!["ASB:2025-03-test-street:3", "aaa1", "aaa6", "aaa9"]);
    let wards = strings(&crimes, "ward_name");
    let methods = strings(&crimes, "geo_method");
    let in_area: Vec<bool> = crimes
        .column("in_area")
        .expect("in_area")
        .bool()
        .expect("bool")
        .iter()
        .map(|v| v.expect("set"))
        .collect();
    let by_ref = |r: &str| strings(&crimes, "crime_ref").iter().position(|x| x == r).expect("ref");
    // Broadgate is in St Michael's ward
    assert_eq!(wards[by_ref("aaa1")], "St Michael's");
    assert_eq!(methods[by_ref("aaa6")], "lsoa_lookup");
    assert!(in_area[by_ref("aaa6")]);
    // Whitehall is kept but outside the Coventry boundaries
    assert_eq!(
        (methods[by_ref("aaa9")].as_str(), in_area[by_ref("aaa9")], wards[by_ref("aaa9")].as_str()),
        ("none", false, "")
    );

    let m = manifest(&out);
    let input = &m["inputs"][0];
    assert_eq!(
        (input["rows_read"].as_u64(), input["accepted"].as_u64(), input["quarantined"].as_u64()),
        (Some(13), Some(4), Some(9))
    );
    assert_eq!(m["reconciliation"]["balanced"], true);
}

#[test]
fn extract_bad_rows_are_quarantined_with_reasons() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    csa_ok(&[
        "ingest",
        "--quiet",
        "--extract",
        data("tests/data/bad-extract").to_str().expect("utf8"),
        "--boundaries",
        data("data/boundaries/coventry-wards-2025.geojson").to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let q = |t: &str, l: i64, r: &str| (t.to_string(), l, r.to_string());
    let mut expected = vec![
        q("crimes", 3, "unparseable_date"),
        q("crimes", 4, "unknown_offence_code"),
        q("crimes", 5, "crime_type_mismatch"),
        q("crimes", 6, "unknown_code"),
        q("crimes", 7, "missing_value"),
        q("crimes", 8, "unknown_code"),
        q("crimes", 10, "missing_coordinates"),
        q("crimes", 12, "duplicate_crime_ref"),
        q("victims", 3, "impossible_age"),
        q("victims", 4, "impossible_age"),
        q("victims", 6, "unknown_code"),
        q("victims", 7, "unknown_crime"),
        q("victims", 8, "missing_value"),
        q("victims", 9, "duplicate_person"),
        q("offenders", 3, "unknown_crime"),
    ];
    expected.sort();
    assert_eq!(quarantine_lines(&out), expected);

    let crimes = read_table(&out, "crimes");
    let mut refs = strings(&crimes, "crime_ref");
    refs.sort();
    assert_eq!(refs, vec!["T1", "T7", "T9"]);
    let i = strings(&crimes, "crime_ref").iter().position(|r| r == "T1").expect("T1");
    assert_eq!(strings(&crimes, "offence_subgroup")[i], "Violence with injury");
    assert_eq!(strings(&crimes, "crime_type")[i], "Violence and sexual offences");
    let hours = crimes.column("hour").expect("hour").i8().expect("i8").get(i);
    assert_eq!(hours, Some(23));
    // committed Tuesday 1 April 2025
    assert_eq!(crimes.column("day_of_week").expect("dow").i8().expect("i8").get(i), Some(2));
    let victims = read_table(&out, "victims");
    let mut ids = strings(&victims, "person_id");
    ids.sort();
    assert_eq!(ids, vec!["V1", "V4"]);
    let v4 = strings(&victims, "person_id").iter().position(|p| p == "V4").expect("V4");
    assert_eq!(
        (strings(&victims, "sex")[v4].as_str(), strings(&victims, "ethnicity")[v4].as_str()),
        ("unknown", "Black")
    );
    let m = manifest(&out);
    for (i, (read, acc, qu)) in [(11, 3, 8), (8, 2, 6), (2, 1, 1)].into_iter().enumerate() {
        let input = &m["inputs"][i];
        assert_eq!(
            (
                input["rows_read"].as_u64(),
                input["accepted"].as_u64(),
                input["quarantined"].as_u64()
            ),
            (Some(read), Some(acc), Some(qu)),
            "{input}"
        );
    }
}

#[test]
fn bad_input_files_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bounds = data("data/boundaries/coventry-wards-2025.geojson");
    let bounds = bounds.to_str().expect("utf8");
    // a police.uk file with a renamed column
    let dir = tmp.path().join("puk");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("2025-01-x-street.csv"), "Crime ID,Month,Reported by,Falls within,Lon,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n").expect("write");
    let out = tmp.path().join("ds");
    let r = csa(&[
        "ingest",
        "--police-uk",
        dir.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("2025-01-x-street.csv")
            && err.contains("`Lon`")
            && err.contains("`Longitude`"),
        "{err}"
    );
    assert!(!out.exists());

    // an extract without recorded_date
    let ex = tmp.path().join("ex");
    std::fs::create_dir_all(&ex).expect("mkdir");
    std::fs::write(ex.join("crimes.csv"), "crime_ref,offence_code\nA,8N\n").expect("write");
    let r = csa(&[
        "ingest",
        "--extract",
        ex.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("crimes.csv") && err.contains("`recorded_date`"), "{err}");
    assert!(!out.exists());

    // an empty file
    std::fs::write(ex.join("crimes.csv"), "").expect("write");
    let r = csa(&[
        "ingest",
        "--extract",
        ex.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("empty"));

    // a bad mapping
    std::fs::write(
        ex.join("crimes.csv"),
        "crime_ref,recorded_date,offence_code\nA,2025-01-01,8N\n",
    )
    .expect("write");
    let map = tmp.path().join("map.toml");
    std::fs::write(&map, "[crimes.columns]\ncrime_number = \"A\"\n").expect("write");
    let r = csa(&[
        "ingest",
        "--extract",
        ex.to_str().expect("utf8"),
        "--mapping",
        map.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("map.toml") && err.contains("crime_number"), "{err}");
    assert!(!out.exists());

    // boundaries without the ward property
    let r = csa(&[
        "ingest",
        "--extract",
        ex.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--ward-code-prop",
        "WD99CD",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("WD99CD"));
    assert!(!out.exists());

    // a good run, then a failing one: the first dataset survives whole
    csa_ok(&[
        "ingest",
        "--quiet",
        "--extract",
        ex.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let before = std::fs::read(out.join("manifest.json")).expect("manifest");
    std::fs::write(ex.join("crimes.csv"), "crime_ref\nA\n").expect("write");
    let r = csa(&[
        "ingest",
        "--extract",
        ex.to_str().expect("utf8"),
        "--boundaries",
        bounds,
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read(out.join("manifest.json")).expect("manifest"), before);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary folders left: {leftovers:?}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(csa(&["ingest", "--boundaries", "x.geojson"]).status.code(), Some(2));
    assert_eq!(csa(&["frobnicate"]).status.code(), Some(2));
    let r = csa(&[
        "ingest",
        "--boundaries",
        "/nonexistent/wards.geojson",
        "--police-uk",
        "/nonexistent",
        "--out",
        "/tmp/never",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent"));
}

#[test]
fn mapped_force_extract_is_read_through_the_example_mapping() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("ds");
    csa_ok(&[
        "ingest",
        "--quiet",
        "--extract",
        data("data/demo/example-force-extract").to_str().expect("utf8"),
        "--mapping",
        data("data/demo/mapping-example.toml").to_str().expect("utf8"),
        "--boundaries",
        data("data/boundaries/coventry-wards-2025.geojson").to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let m = manifest(&out);
    assert_eq!(m["reconciliation"]["quarantined"], 0, "{}", m["inputs"]);
    assert_eq!(m["counts"]["crimes"], 8);
    assert_eq!(m["counts"]["victims"], 7);
    assert_eq!(m["counts"]["offenders"], 5);
    let c = read_table(&out, "crimes");
    let i = strings(&c, "crime_ref").iter().position(|r| r == "EX/25/0001").expect("first crime");
    assert_eq!(strings(&c, "offence_code")[i], "8N", "008N normalised");
    assert_eq!(strings(&c, "offence_subgroup")[i], "Violence with injury");
    assert_eq!(strings(&c, "location_type")[i], "licensed premises");
    assert_eq!(strings(&c, "force")[i], "Example Constabulary");
    assert_eq!(strings(&c, "ward_name")[i], "St Michael's");
    assert_eq!(c.column("hour").expect("hour").i8().expect("i8").get(i), Some(23));
    // lon/lat derived from easting/northing: (433866, 279103) is ONS's St Michael's ward
    // centroid, which ONS publishes as LONG -1.503571, LAT 52.40891; ONS rounds BNG to the
    // metre, so agreement is within about a metre (1e-5 degrees)
    let lon = c.column("longitude").expect("lon").f64().expect("f64").get(i).expect("lon");
    let lat = c.column("latitude").expect("lat").f64().expect("f64").get(i).expect("lat");
    assert!((lon + 1.503571).abs() < 1e-5 && (lat - 52.40891).abs() < 1e-5, "{lon} {lat}");
    let o = read_table(&out, "offenders");
    let j = strings(&o, "person_id").iter().position(|r| r == "S201").expect("S201");
    assert_eq!(strings(&o, "relationship_to_victim")[j], "partner");
    assert_eq!(strings(&o, "ethnicity")[j], "Asian");
}
