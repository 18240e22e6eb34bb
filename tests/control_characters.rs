//! Control characters in text fields (data/README.md, "Control characters"): the same rule in
//! the police.uk reader, the extract reader (CSV and Parquet) and the survey reader. A line
//! break inside a quoted field becomes one space, a tab is kept, any other C0 character or
//! DEL in a column csa reads quarantines the row naming the column, and a column csa does not
//! read is not looked at. What is written about a rejected row shows the character escaped.

mod common;

use std::path::Path;

use common::{data, read_table, strings};
use polars::prelude::*;

fn ingest(req: csa_ingest::IngestRequest) -> csa_ingest::Manifest {
    csa_ingest::ingest(&req, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn request(out: &Path) -> csa_ingest::IngestRequest {
    csa_ingest::IngestRequest::new(data("data/boundaries/coventry-wards-2025.geojson"), out.into())
}

/// (source_line, field, value, reason) of every quarantined row, sorted.
fn quarantine(ds: &Path) -> Vec<(i64, String, String, String)> {
    let q = read_table(ds, "quarantine");
    let lines: Vec<i64> =
        q.column("source_line").expect("line").i64().expect("i64").iter().flatten().collect();
    let mut v: Vec<_> = lines
        .into_iter()
        .zip(strings(&q, "field"))
        .zip(strings(&q, "value"))
        .zip(strings(&q, "reason"))
        .map(|(((l, f), v), r)| (l, f, v, r))
        .collect();
    v.sort();
    v
}

fn column(ds: &Path, table: &str, col: &str) -> Vec<String> {
    strings(&read_table(ds, table), col)
}

#[test]
fn police_uk_rows() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("puk");
    std::fs::create_dir(&dir).expect("mkdir");
    let header = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";
    let row = |id: &str, location: &str, outcome: &str, context: &str| {
        format!("{id},2025-01,Warwickshire Police,Warwickshire Police,-1.512,52.408,{location},E01009563,Coventry 001A,Burglary,{outcome},{context}\n")
    };
    let mut f = format!("{header}\n");
    f += &row("a1", "\"On or near Flat 2\r\n12 High Street\"", "Under investigation", ""); // lines 2-3
    f += &row("a2", "On or near Park\0Road", "Under investigation", ""); // line 4
    f += &row("a3", "On or near Broadgate", "Court\tresult", ""); // line 5
    f += &row("a4", "On or near Broadgate", "Under investigation", "\x1a"); // line 6: Context is not read
    f += &row("a5", "On or near Broadgate", "Unable to prosecute\x7f", ""); // line 7
    std::fs::write(dir.join("2025-01-test-street.csv"), f).expect("write");
    let ds = tmp.path().join("ds");
    let mut req = request(&ds);
    req.police_uk.push(dir);
    let m = ingest(req);
    assert_eq!((m.reconciliation.rows_read, m.reconciliation.quarantined), (5, 2));
    assert_eq!(
        quarantine(&ds),
        vec![
            (4, "Location".into(), "On or near Park\\x00Road".into(), "control_character".into()),
            (
                7,
                "Last outcome category".into(),
                "Unable to prosecute\\x7f".into(),
                "control_character".into()
            ),
        ]
    );
    let mut loc = column(&ds, "crimes", "location_desc");
    loc.sort();
    assert_eq!(
        loc,
        ["On or near Broadgate", "On or near Broadgate", "On or near Flat 2 12 High Street"]
    );
    assert!(column(&ds, "crimes", "outcome").contains(&"Court\tresult".to_string()));
    // the detail names the character; raw shows it escaped
    let q = read_table(&ds, "quarantine");
    let detail = strings(&q, "detail");
    assert!(detail[0].contains("Location holds the control character \\x00 (NUL)"), "{detail:?}");
    assert!(strings(&q, "raw")[0].contains("Park\\x00Road"));
}

#[test]
fn extract_rows_csv_and_parquet_alike() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let crimes = [
        ("C1", "Park\0Road", "V1"),
        ("C2", "\"Flat 2\nHigh Street\"", "V\x1b2"),
        ("C3", "Broad\tgate", "V3"),
    ];
    // CSV, with the location column renamed by a mapping (the field is named as in the file)
    let ex = tmp.path().join("ex");
    std::fs::create_dir(&ex).expect("mkdir");
    let mut c = "crime_ref,recorded_date,crime_type,easting,northing,LOC_DESC,NOTES\n".to_string();
    let mut v = "crime_ref,person_id,age\n".to_string();
    for (i, (r, loc, victim)) in crimes.iter().enumerate() {
        // NOTES is not mapped to anything: a NUL there is not looked at
        c += &format!("{r},2025-03-0{},burglary,433000,279000,{loc},n\0te\n", i + 1);
        v += &format!("{r},{victim},30\n");
    }
    std::fs::write(ex.join("crimes.csv"), c).expect("write");
    std::fs::write(ex.join("victims.csv"), v).expect("write");
    let mapping = tmp.path().join("m.toml");
    std::fs::write(&mapping, "[crimes.columns]\nlocation_desc = \"LOC_DESC\"\n").expect("write");
    let ds = tmp.path().join("ds");
    let mut req = request(&ds);
    req.extracts.push(ex);
    req.mapping = Some(mapping);
    ingest(req);
    let want = vec![
        (2, "LOC_DESC".to_string(), "Park\\x00Road".to_string(), "control_character".to_string()),
        (2, "crime_ref".into(), "C1".into(), "unknown_crime".into()),
        (3, "person_id".into(), "V\\x1b2".into(), "control_character".into()),
    ];
    assert_eq!(quarantine(&ds), want);
    let mut loc = column(&ds, "crimes", "location_desc");
    loc.sort();
    assert_eq!(loc, ["Broad\tgate", "Flat 2 High Street"]);

    // the same rows as Parquet: the same verdicts
    let px = tmp.path().join("px");
    std::fs::create_dir(&px).expect("mkdir");
    let text = |name: &str, v: Vec<&str>| Column::new(name.into(), v);
    let mut cdf = DataFrame::new(
        3,
        vec![
            text("crime_ref", crimes.iter().map(|c| c.0).collect()),
            text("recorded_date", vec!["2025-03-01", "2025-03-02", "2025-03-03"]),
            text("crime_type", vec!["burglary"; 3]),
            text("easting", vec!["433000"; 3]),
            text("northing", vec!["279000"; 3]),
            text("LOC_DESC", vec!["Park\0Road", "Flat 2\nHigh Street", "Broad\tgate"]),
            text("NOTES", vec!["n\0te"; 3]),
        ],
    )
    .expect("frame");
    let mut vdf = DataFrame::new(
        3,
        vec![
            text("crime_ref", crimes.iter().map(|c| c.0).collect()),
            text("person_id", crimes.iter().map(|c| c.2).collect()),
            text("age", vec!["30"; 3]),
        ],
    )
    .expect("frame");
    for (name, df) in [("crimes", &mut cdf), ("victims", &mut vdf)] {
        let f = std::fs::File::create(px.join(format!("{name}.parquet"))).expect("create");
        ParquetWriter::new(f).finish(df).expect("parquet");
    }
    let ds2 = tmp.path().join("ds2");
    let mut req = request(&ds2);
    req.extracts.push(px);
    req.mapping = Some(tmp.path().join("m.toml"));
    ingest(req);
    // Parquet rows are numbered from 1 (no header line)
    let shifted: Vec<_> = want.into_iter().map(|(l, f, v, r)| (l - 1, f, v, r)).collect();
    assert_eq!(quarantine(&ds2), shifted);
    let mut loc = column(&ds2, "crimes", "location_desc");
    loc.sort();
    assert_eq!(loc, ["Broad\tgate", "Flat 2 High Street"]);
}

#[test]
fn survey_rows() {
    use csa_analysis::survey::{Survey, COLUMNS};
    let header = COLUMNS.join(",");
    let row = |id: &str, help: &str| {
        COLUMNS
            .iter()
            .map(|c| match *c {
                "respondent_id" => id.to_string(),
                "help_1" => help.to_string(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let text = format!(
        "{header}\n{}\n{}\n{}\n",
        row("R1", "\"More patrols\r\nat night\""),
        row("R2", "Street\0lights"),
        row("R3", "CCTV\tplease")
    );
    let s = Survey::parse(text.as_bytes(), Path::new("s.csv")).expect("parse");
    assert_eq!((s.rows_read, s.responses.len(), s.rejected.len()), (3, 2, 1));
    let r = &s.rejected[0];
    assert_eq!((r.line, r.field.as_str(), r.value.as_str()), (4, "help_1", "Street\\x00lights"));
    assert!(r.reason.contains("help_1 holds the control character \\x00 (NUL)"), "{}", r.reason);
    assert_eq!(s.responses[0].help, ["More patrols at night"]);
    assert_eq!(s.responses[1].help, ["CCTV\tplease"]);
}

#[test]
fn reference_files_with_control_characters_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let lookup = tmp.path().join("l.csv");
    std::fs::write(
        &lookup,
        "LSOA21CD,WD25CD,WD25NM\nE01000001,E05000001,Ward\nE01000002,E05000002,Wa\0rd\n",
    )
    .expect("write");
    let e = csa_ingest::LsoaLookup::load(&lookup, &Default::default()).expect_err("refused");
    assert!(
        e.to_string().contains("line 3: column WD25NM holds the control character \\x00"),
        "{e}"
    );

    let geo = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"WD25CD":"E05000001","WD25NM":"Ward\u0007"},"geometry":{"type":"Polygon","coordinates":[[[0,50],[1,50],[1,51],[0,50]]]}}]}"#;
    let e = csa_geo::Boundaries::from_geojson(geo, "WD25CD", "WD25NM").expect_err("refused");
    assert!(
        e.to_string().contains("feature 0: property `WD25NM` holds a control character"),
        "{e}"
    );

    let e = csa_ingest::Mapping::parse("force = \"Test\\u0000 Police\"\n").expect_err("refused");
    assert!(e.contains("force"), "{e}");
    let e = csa_ingest::Mapping::parse(
        "[crimes.codes.outcome]\n\"X\" = \"No further action\\u001b\"\n",
    )
    .expect_err("refused");
    assert!(e.contains("[crimes.codes.outcome]"), "{e}");
}
