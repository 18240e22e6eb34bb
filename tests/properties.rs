//! Property tests (proptest) of the readers: on generated files mixing good rows with every
//! kind of bad one (wrong field counts, invalid UTF-8, control characters, line breaks inside
//! quoted fields, bad months, types, coordinates, unknown LSOAs), no reader panics, every row
//! written is accounted for exactly once (accepted or quarantined, at its own line), the
//! totals reconcile, and the verdict of each row is the one worked out here independently:
//! a wrong field count, then invalid UTF-8, then a control character in a field csa reads
//! quarantine the row; otherwise a row built only from good values is accepted, with its text
//! trimmed and its line breaks made one space.
//!
//! The whole pipeline (`ingest` to Parquet and back) is checked on generated extracts too:
//! the manifest balances and the tables hold what it says. Cases are few and small so the
//! file runs in seconds.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use csa_ingest::record::Table;
use csa_ingest::{LookupColumns, LsoaLookup, ParseContext};
use csa_model::{OffenceTable, Reason};
use proptest::prelude::*;

/// A field value and whether it is good for its column.
#[derive(Debug, Clone)]
struct Field {
    text: String,
    good: bool,
}

fn good(s: &str) -> Field {
    Field { text: s.into(), good: true }
}

fn bad(s: &str) -> Field {
    Field { text: s.into(), good: false }
}

/// Free text: letters, spaces, commas, quotes, tabs, and now and then a line break or a
/// control character (which makes the row one to quarantine).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => "[a-zA-Z0-9 ]{1,6}",
            1 => Just(",".to_string()),
            1 => Just("\"".to_string()),
            1 => Just("\t".to_string()),
            1 => Just("\r\n".to_string()),
            1 => Just("\n".to_string()),
            1 => Just("é".to_string()),
        ],
        0..4,
    )
    .prop_map(|v| v.concat())
}

/// Text that holds a forbidden control character somewhere.
fn controlled() -> impl Strategy<Value = String> {
    (
        text(),
        prop::sample::select(vec!['\0', '\x01', '\x0b', '\x0c', '\x1a', '\x1b', '\x7f']),
        text(),
    )
        .prop_map(|(a, c, b)| format!("{a}{c}{b}"))
}

/// `v` with a forbidden control character put in when `ctl`.
fn with_control(v: Field, ctl: Option<String>) -> Field {
    match ctl {
        Some(c) => Field { text: format!("{}{c}", v.text), good: v.good },
        None => v,
    }
}

/// How a row goes wrong before its values are looked at.
#[derive(Debug, Clone)]
enum Shape {
    Fine,
    ExtraField,
    MissingField,
    InvalidUtf8,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        12 => Just(Shape::Fine),
        1 => Just(Shape::ExtraField),
        1 => Just(Shape::MissingField),
        1 => Just(Shape::InvalidUtf8),
    ]
}

/// One police.uk row: the 12 fields, its shape, and in which read field (if any) a control
/// character was put.
#[derive(Debug, Clone)]
struct PukRow {
    fields: Vec<Field>,
    shape: Shape,
    control_in: Option<usize>,
}

fn puk_row() -> impl Strategy<Value = PukRow> {
    let id = prop_oneof![
        Just(good("")),
        "[a-f0-9]{8}".prop_map(|s| good(&s)),
        text().prop_map(|s| good(&s)),
    ];
    let month = prop_oneof![
        6 => Just(good("2025-01")),
        2 => Just(good("2024-12")),
        1 => Just(bad("2025-13")),
        1 => Just(bad("Jan 2025")),
        1 => Just(bad("")),
    ];
    let coords = prop_oneof![
        6 => Just((good("-1.512"), good("52.408"))),
        2 => Just((good(""), good(""))),
        1 => Just((bad("abc"), good("52.4"))),
        1 => Just((bad("-1.5"), bad(""))),
        1 => Just((bad("10.0"), bad("10.0"))),
    ];
    let lsoa = prop_oneof![Just(good("E01009563")), Just(bad("E01999999")), Just(bad("")),];
    let crime_type = prop_oneof![
        4 => Just(good("Burglary")),
        2 => Just(good("Anti-social behaviour")),
        2 => Just(good("violence and sexual offences")),
        1 => Just(bad("Jaywalking")),
        1 => Just(bad("")),
    ];
    (
        (id, month, coords, text(), lsoa, text(), crime_type, text(), text()),
        shape(),
        prop::option::weighted(0.15, (0usize..11, controlled())),
    )
        .prop_map(
            |(
                (id, month, (lon, lat), location, lsoa, lsoa_name, ty, outcome, context),
                shape,
                ctl,
            )| {
                let no_coords = lon.text.is_empty() && lat.text.is_empty();
                // without coordinates only a known LSOA places a row
                let lsoa = if no_coords { lsoa } else { Field { good: true, ..lsoa } };
                let mut fields = vec![
                    id,
                    month,
                    good("Warwickshire Police"),
                    good("Warwickshire Police"),
                    lon,
                    lat,
                    good(&location),
                    lsoa,
                    good(&lsoa_name),
                    ty,
                    good(&outcome),
                    good(&context),
                ];
                let control_in = ctl.as_ref().map(|(i, _)| *i);
                if let Some((i, c)) = ctl {
                    fields[i] = with_control(fields[i].clone(), Some(c));
                }
                PukRow { fields, shape, control_in }
            },
        )
}

/// A field as CSV text, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A file: the header, then the rows; returns the bytes and each row's first line.
fn write_csv(header: &str, rows: &[(Vec<String>, &Shape)]) -> (Vec<u8>, Vec<u64>) {
    let mut out = format!("{header}\n").into_bytes();
    let mut line = 2u64;
    let mut lines = Vec::new();
    for (fields, shape) in rows {
        lines.push(line);
        let mut fs: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        match shape {
            Shape::ExtraField => fs.push("extra".into()),
            Shape::MissingField => {
                fs.pop();
            }
            _ => {}
        }
        if matches!(shape, Shape::InvalidUtf8) {
            // the last field becomes `x` and an invalid byte
            fs.pop();
            fs.push("x".into());
        }
        let text = fs.join(",");
        line += text.matches('\n').count() as u64 + 1;
        out.extend_from_slice(text.as_bytes());
        if matches!(shape, Shape::InvalidUtf8) {
            out.push(0xff);
        }
        out.push(b'\n');
    }
    (out, lines)
}

/// The text csa keeps: line breaks made one space, then trimmed.
fn kept(s: &str) -> String {
    csa_model::text::clean_line_breaks(s).trim().to_string()
}

fn lookup() -> LsoaLookup {
    LsoaLookup::parse(
        b"LSOA21CD,WD25CD,WD25NM\nE01009563,E05001218,Earlsdon\n",
        &LookupColumns::default(),
        Path::new("lookup.csv"),
    )
    .expect("lookup")
}

/// The verdict worked out here: `Ok(())` accepted, `Err(Some(reason))` quarantined for that
/// reason, `Err(None)` quarantined for some reason about its values.
fn expected(shape: &Shape, control: bool, all_good: bool) -> Result<(), Option<Reason>> {
    match shape {
        Shape::ExtraField | Shape::MissingField => Err(Some(Reason::WrongFieldCount)),
        Shape::InvalidUtf8 => Err(Some(Reason::InvalidUtf8)),
        Shape::Fine if control => Err(Some(Reason::ControlCharacter)),
        Shape::Fine if all_good => Ok(()),
        Shape::Fine => Err(None),
    }
}

/// Checks a reader's outcome against the verdicts: each row once, at its line.
fn check_verdicts(
    outcome_lines: &[(u64, Result<(), Reason>)],
    lines: &[u64],
    verdicts: &[Result<(), Option<Reason>>],
) {
    let got: BTreeMap<u64, Result<(), Reason>> = outcome_lines.iter().cloned().collect();
    assert_eq!(got.len(), outcome_lines.len(), "a line accounted for twice: {outcome_lines:?}");
    let want: Vec<u64> = lines.to_vec();
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), want, "every row once, at its line");
    for (line, v) in lines.iter().zip(verdicts) {
        match (v, &got[line]) {
            (Ok(()), Ok(())) => {}
            (Err(None), Err(_)) => {}
            (Err(Some(r)), Err(g)) if r == g => {}
            (v, g) => panic!("line {line}: expected {v:?}, got {g:?}"),
        }
    }
}

const PUK_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn police_uk_rows_are_accepted_or_quarantined(rows in prop::collection::vec(puk_row(), 0..25)) {
        let written: Vec<(Vec<String>, &Shape)> =
            rows.iter().map(|r| (r.fields.iter().map(|f| f.text.clone()).collect(), &r.shape)).collect();
        let (bytes, lines) = write_csv(PUK_HEADER, &written);
        let lookup = lookup();
        let ctx = ParseContext { offences: OffenceTable::shipped(), lookup: Some(&lookup) };
        let o = csa_ingest::police_uk::parse_bytes(&bytes, 0, "2025-01-test-street", &ctx).expect("header is right");
        prop_assert_eq!(o.rows_read, rows.len() as u64);
        prop_assert_eq!(o.rows_read, (o.crimes.len() + o.quarantined.len()) as u64);
        let mut seen: Vec<(u64, Result<(), Reason>)> = o.crimes.iter().map(|c| (c.source_line, Ok(()))).collect();
        seen.extend(o.quarantined.iter().map(|q| (q.line, Err(q.reason))));
        let verdicts: Vec<_> = rows.iter().map(|r| {
            // the Context column (11) is not read: a control character there is ignored
            let control = r.control_in.is_some_and(|i| i < 11);
            expected(&r.shape, control, r.fields.iter().all(|f| f.good))
        }).collect();
        check_verdicts(&seen, &lines, &verdicts);
        // accepted text is the written text, trimmed, line breaks made spaces
        for c in &o.crimes {
            let i = lines.iter().position(|&l| l == c.source_line).expect("a written line");
            let f = &rows[i].fields;
            prop_assert_eq!(c.location_desc.clone().unwrap_or_default(), kept(&f[6].text));
            prop_assert_eq!(c.outcome.clone().unwrap_or_default(), kept(&f[10].text));
            if !kept(&f[0].text).is_empty() {
                prop_assert_eq!(&c.crime_ref, &kept(&f[0].text));
            }
        }
        for q in &o.quarantined {
            prop_assert!(csa_model::text::forbidden_in(&q.raw).is_none(), "raw {:?}", q.raw);
            prop_assert!(csa_model::text::forbidden_in(&q.value).is_none());
        }
    }
}

/// One victim row of a generated extract: (crime_ref, person_id, age, sex), shape, control.
#[derive(Debug, Clone)]
struct PersonSpec {
    fields: Vec<Field>,
    shape: Shape,
    control: bool,
    /// The crime it names, by index into the crimes (None: a crime that does not exist).
    crime: Option<usize>,
}

#[derive(Debug, Clone)]
struct CrimeSpec {
    fields: Vec<Field>,
    shape: Shape,
    control: bool,
}

const CRIME_HEADER: &str =
    "crime_ref,recorded_date,crime_type,easting,northing,location_desc,domestic_abuse";
const VICTIM_HEADER: &str = "crime_ref,person_id,age,sex";

fn crime_spec() -> impl Strategy<Value = CrimeSpec> {
    let date = prop_oneof![
        6 => Just(good("2025-03-04")),
        2 => Just(good("04/03/2025")),
        1 => Just(bad("2025-02-30")),
        1 => Just(bad("")),
    ];
    let ty = prop_oneof![4 => Just(good("Burglary")), 2 => Just(good("robbery")), 1 => Just(bad("Jaywalking"))];
    let en = prop_oneof![
        6 => Just((good("433000"), good("279000"))),
        1 => Just((bad("x"), good("279000"))),
        1 => Just((bad("-5"), bad("-5"))),
    ];
    let flag = prop_oneof![4 => Just(good("N")), 2 => Just(good("y")), 1 => Just(bad("maybe"))];
    (date, ty, en, text(), flag, shape(), prop::option::weighted(0.12, (1usize..7, controlled())))
        .prop_map(|(date, ty, (e, n), desc, flag, shape, ctl)| {
            let mut fields = vec![good(""), date, ty, e, n, good(&desc), flag];
            let control = ctl.is_some();
            if let Some((i, c)) = ctl {
                fields[i] = with_control(fields[i].clone(), Some(c));
            }
            CrimeSpec { fields, shape, control }
        })
}

fn person_spec() -> impl Strategy<Value = PersonSpec> {
    let age = prop_oneof![4 => Just(good("34")), 1 => Just(good("")), 1 => Just(bad("130"))];
    let sex = prop_oneof![3 => Just(good("female")), 1 => Just(bad("martian"))];
    (
        prop::option::weighted(0.9, 0usize..40),
        "[A-Z][0-9]{2}",
        age,
        sex,
        shape(),
        prop::option::weighted(0.1, (1usize..4, controlled())),
    )
        .prop_map(|(crime, id, age, sex, shape, ctl)| {
            let mut fields = vec![good(""), good(&id), age, sex];
            let control = ctl.is_some();
            if let Some((i, c)) = ctl {
                fields[i] = with_control(fields[i].clone(), Some(c));
            }
            PersonSpec { fields, shape, control, crime }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Force extract crimes and victims through the readers: verdicts as worked out here; a
    /// victim is then accepted by ingest only if its crime was (checked in the next test).
    #[test]
    fn extract_rows_are_accepted_or_quarantined(
        crimes in prop::collection::vec(crime_spec(), 0..20),
        victims in prop::collection::vec(person_spec(), 0..20),
    ) {
        let crimes: Vec<CrimeSpec> = crimes.into_iter().enumerate().map(|(i, mut c)| {
            c.fields[0] = good(&format!("C{i}"));
            c
        }).collect();
        let written: Vec<(Vec<String>, &Shape)> =
            crimes.iter().map(|r| (r.fields.iter().map(|f| f.text.clone()).collect(), &r.shape)).collect();
        let (bytes, lines) = write_csv(CRIME_HEADER, &written);
        let lookup = lookup();
        let ctx = ParseContext { offences: OffenceTable::shipped(), lookup: Some(&lookup) };
        let mapping = csa_ingest::Mapping::default();
        let o = csa_ingest::extract::parse_table_bytes(&bytes, Path::new("crimes.csv"), Table::Crimes, 0, &mapping, &ctx)
            .expect("header is right");
        prop_assert_eq!(o.rows_read, crimes.len() as u64);
        let mut seen: Vec<(u64, Result<(), Reason>)> = o.crimes.iter().map(|c| (c.source_line, Ok(()))).collect();
        seen.extend(o.quarantined.iter().map(|q| (q.line, Err(q.reason))));
        let verdicts: Vec<_> = crimes.iter()
            .map(|c| expected(&c.shape, c.control, c.fields.iter().all(|f| f.good)))
            .collect();
        check_verdicts(&seen, &lines, &verdicts);
        for c in &o.crimes {
            let i = lines.iter().position(|&l| l == c.source_line).expect("a written line");
            prop_assert_eq!(c.location_desc.clone().unwrap_or_default(), kept(&crimes[i].fields[5].text));
        }

        let vs: Vec<PersonSpec> = victims.into_iter().map(|mut v| {
            v.fields[0] = good(&v.crime.map_or("NOPE".to_string(), |i| format!("C{i}")));
            v
        }).collect();
        let written: Vec<(Vec<String>, &Shape)> =
            vs.iter().map(|r| (r.fields.iter().map(|f| f.text.clone()).collect(), &r.shape)).collect();
        let (bytes, lines) = write_csv(VICTIM_HEADER, &written);
        let o = csa_ingest::extract::parse_table_bytes(&bytes, Path::new("victims.csv"), Table::Victims, 1, &mapping, &ctx)
            .expect("header is right");
        prop_assert_eq!(o.rows_read, vs.len() as u64);
        let mut seen: Vec<(u64, Result<(), Reason>)> = o.victims.iter().map(|p| (p.source_line, Ok(()))).collect();
        seen.extend(o.quarantined.iter().map(|q| (q.line, Err(q.reason))));
        let verdicts: Vec<_> = vs.iter()
            .map(|v| expected(&v.shape, v.control, v.fields.iter().all(|f| f.good)))
            .collect();
        check_verdicts(&seen, &lines, &verdicts);
    }
}

/// Writes a generated extract folder (crimes with unique refs, victims naming them or not).
fn write_extract(dir: &Path, crimes: &[CrimeSpec], victims: &[PersonSpec]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let written: Vec<(Vec<String>, &Shape)> = crimes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut f: Vec<String> = r.fields.iter().map(|f| f.text.clone()).collect();
            f[0] = format!("C{i}");
            (f, &r.shape)
        })
        .collect();
    std::fs::write(dir.join("crimes.csv"), write_csv(CRIME_HEADER, &written).0).expect("write");
    let written: Vec<(Vec<String>, &Shape)> = victims
        .iter()
        .map(|r| {
            let mut f: Vec<String> = r.fields.iter().map(|f| f.text.clone()).collect();
            f[0] = r.crime.map_or("NOPE".to_string(), |i| format!("C{i}"));
            (f, &r.shape)
        })
        .collect();
    std::fs::write(dir.join("victims.csv"), write_csv(VICTIM_HEADER, &written).0).expect("write");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    /// The whole pipeline: the manifest balances for every file, and the dataset's tables
    /// hold exactly the rows it counts.
    #[test]
    fn ingest_reconciles_and_writes_what_it_counts(
        crimes in prop::collection::vec(crime_spec(), 1..15),
        victims in prop::collection::vec(person_spec(), 0..15),
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let ex = tmp.path().join("ex");
        write_extract(&ex, &crimes, &victims);
        let mut req = csa_ingest::IngestRequest::new(
            common::data("data/boundaries/coventry-wards-2025.geojson"),
            tmp.path().join("ds"),
        );
        req.extracts.push(ex);
        let m = csa_ingest::ingest(&req, &|_| {}).expect("ingest");
        prop_assert!(m.reconciliation.balanced);
        for i in &m.inputs {
            prop_assert_eq!(i.rows_read, i.accepted + i.quarantined, "{}", i.path);
        }
        prop_assert_eq!(m.inputs[0].rows_read, crimes.len() as u64);
        prop_assert_eq!(m.inputs[1].rows_read, victims.len() as u64);
        let height = |t: &str| common::read_table(&tmp.path().join("ds"), t).height() as u64;
        prop_assert_eq!(height("crimes"), m.counts.crimes + m.counts.asb);
        prop_assert_eq!(height("victims"), m.counts.victims);
        prop_assert_eq!(height("quarantine"), m.counts.quarantined);
        prop_assert_eq!(m.reconciliation.rows_read, m.reconciliation.accepted + m.reconciliation.quarantined);
    }
}

/// A survey row: every column, the respondent id possibly blank, the answers free text.
#[derive(Debug, Clone)]
struct SurveyRow {
    fields: Vec<String>,
    shape: Shape,
    control: bool,
    blank_id: bool,
}

fn survey_row() -> impl Strategy<Value = SurveyRow> {
    let n = csa_analysis::survey::COLUMNS.len();
    (
        prop::collection::vec(text(), n),
        prop::bool::weighted(0.1),
        shape(),
        prop::option::weighted(0.12, (0..n, controlled())),
    )
        .prop_map(move |(mut fields, blank_id, shape, ctl)| {
            fields[0] = if blank_id { String::new() } else { "R1".into() };
            let control = ctl.is_some();
            if let Some((i, c)) = ctl {
                fields[i].push_str(&c);
            }
            SurveyRow { fields, shape, control, blank_id }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The survey reader: rows read = accepted + rejected, a control character rejects the
    /// row, answers keep no line break, and the tables are made.
    #[test]
    fn survey_rows_are_accepted_or_rejected(rows in prop::collection::vec(survey_row(), 0..20)) {
        let header = csa_analysis::survey::COLUMNS.join(",");
        let written: Vec<(Vec<String>, &Shape)> = rows.iter().map(|r| (r.fields.clone(), &r.shape)).collect();
        let (bytes, lines) = write_csv(&header, &written);
        let s = csa_analysis::survey::Survey::parse(&bytes, Path::new("survey.csv")).expect("header is right");
        prop_assert_eq!(s.rows_read, rows.len() as u64);
        prop_assert_eq!(s.rows_read, (s.responses.len() + s.rejected.len()) as u64);
        let rejected: Vec<u64> = s.rejected.iter().map(|p| p.line).collect();
        let want: Vec<u64> = rows.iter().zip(&lines)
            .filter(|(r, _)| !matches!(r.shape, Shape::Fine) || r.control || r.blank_id)
            .map(|(_, l)| *l)
            .collect();
        prop_assert_eq!(rejected, want);
        for r in &s.responses {
            for v in r.help.iter().chain(&r.news).chain(r.area.iter()) {
                prop_assert!(!v.contains(['\r', '\n']), "{:?}", v);
            }
        }
        s.tables().expect("tables");
    }
}
