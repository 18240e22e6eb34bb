//! Fuzz harnesses, one per input reader. Each takes arbitrary bytes, runs the reader exactly
//! as `csa` does, and checks what the reader promises besides not panicking:
//!
//! - a file is either refused with an error, or every row read is accepted or quarantined
//!   (`rows_read = accepted + quarantined`), with a line number inside the file;
//! - nothing accepted holds a control character other than tab (`csa_model::text`), and what
//!   is written about a rejected row holds none either;
//! - an accepted boundary file locates points the same way with and without its R-tree.
//!
//! A broken promise panics, which AFL++ records as a crash. The harnesses are plain
//! functions: `src/bin/afl.rs` hands them to AFL++ (feature `afl`), `tests/replay.rs` runs
//! every seed and every input that once crashed through them in the ordinary test suite.
//! See `README.md` beside this file for the runs.

pub mod seeds;

use std::path::Path;
use std::sync::OnceLock;

use csa_analysis::config::Config;
use csa_analysis::survey::Survey;
use csa_analysis::targets::Targets;
use csa_geo::{AreaIndex, Boundaries};
use csa_ingest::mapping::Mapping;
use csa_ingest::record::{CrimeRow, PersonRow, Quarantined, Table};
use csa_ingest::{FileOutcome, IngestError, LookupColumns, LsoaLookup, ParseContext};
use csa_model::text::forbidden_in;
use csa_model::OffenceTable;

/// A harness: the bytes of one input file.
pub type Harness = fn(&[u8]);

/// Every target, by the name `fuzz.sh` and the corpus folders use.
pub const TARGETS: &[(&str, Harness)] = &[
    ("police_uk", police_uk),
    ("extract_csv", extract_csv),
    ("extract_parquet", extract_parquet),
    ("mapping", mapping),
    ("config", config),
    ("targets", targets),
    ("boundaries", boundaries),
    ("survey", survey),
    ("lsoa_lookup", lsoa_lookup),
];

/// The harness called `name`.
pub fn target(name: &str) -> Option<Harness> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, h)| *h)
}

/// The target names.
pub fn names() -> Vec<&'static str> {
    TARGETS.iter().map(|(n, _)| *n).collect()
}

/// A small LSOA lookup, so rows without coordinates can be placed (or fail to be).
const LOOKUP: &str =
    "LSOA21CD,WD25CD,WD25NM\nE01009563,E05001218,Earlsdon\nE01009564,E05001219,Foleshill\n";

fn lookup() -> &'static LsoaLookup {
    static L: OnceLock<LsoaLookup> = OnceLock::new();
    L.get_or_init(|| {
        LsoaLookup::parse(LOOKUP.as_bytes(), &LookupColumns::default(), Path::new("lookup.csv"))
            .expect("the harness lookup parses")
    })
}

fn context() -> ParseContext<'static> {
    ParseContext { offences: OffenceTable::shipped(), lookup: Some(lookup()) }
}

/// No control character other than tab (line breaks were cleaned away).
fn clean(what: &str, s: &str) {
    assert!(
        !s.chars().any(|c| c.is_ascii_control() && c != '\t'),
        "{what} passed on a control character: {s:?}"
    );
}

fn check_crime(c: &CrimeRow) {
    clean("crime_ref", &c.crime_ref);
    for (what, v) in [
        ("force", c.force.as_deref()),
        ("location_desc", c.location_desc.as_deref()),
        ("lsoa_code", c.lsoa_code.as_deref()),
        ("lsoa_name", c.lsoa_name.as_deref()),
        ("outcome", c.outcome.as_deref()),
        ("category", c.category.as_deref()),
    ] {
        if let Some(v) = v {
            clean(what, v);
        }
    }
    assert!(!c.crime_ref.trim().is_empty(), "accepted crime without a reference");
}

fn check_person(p: &PersonRow) {
    clean("crime_ref", &p.crime_ref);
    clean("person_id", &p.person_id);
    if let Some(r) = &p.relationship {
        clean("relationship", r);
    }
    assert!(!p.person_id.trim().is_empty(), "accepted person without an id");
    if let Some(a) = p.age {
        assert!((0..=120).contains(&a), "accepted age {a}");
    }
}

fn check_quarantined(q: &Quarantined, lines: u64) {
    for (what, v) in [("value", &q.value), ("raw", &q.raw), ("detail", &q.detail)] {
        assert!(forbidden_in(v).is_none(), "quarantine {what} holds a control character: {v:?}");
    }
    assert!(!q.detail.is_empty(), "quarantined without a detail");
    assert!(q.line <= lines, "quarantined at line {} of a {lines}-line file", q.line);
}

/// The reconciliation every reader promises, and what the rows may hold.
fn check_outcome(o: &FileOutcome, lines: u64) {
    let accepted = (o.crimes.len() + o.victims.len() + o.offenders.len()) as u64;
    assert_eq!(
        o.rows_read,
        accepted + o.quarantined.len() as u64,
        "rows read = accepted + quarantined"
    );
    o.crimes.iter().for_each(check_crime);
    o.victims.iter().chain(&o.offenders).for_each(check_person);
    for q in &o.quarantined {
        check_quarantined(q, lines);
    }
    for c in &o.crimes {
        assert!(c.source_line >= 1 && c.source_line <= lines, "line {}", c.source_line);
    }
}

/// Lines in a text file as an editor counts them (an upper bound for any row's line).
fn line_count(data: &[u8]) -> u64 {
    data.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// police.uk street-level CSV.
pub fn police_uk(data: &[u8]) {
    if let Ok(o) = csa_ingest::police_uk::parse_bytes(data, 0, "2025-01-test-street", &context()) {
        check_outcome(&o, line_count(data));
    }
}

/// A mapping that exercises date formats, code lists and a force name (selected by the
/// extract harness's first byte).
const MAPPING: &str = r#"
force = "Fuzz Constabulary"
[crimes.date_formats]
recorded_date = ["%d/%m/%Y", "%Y%m%d"]
committed_from = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
[crimes.codes.location_type]
RES = "dwelling"
[victims.codes.sex]
M = "male"
F = "female"
[offenders.codes.ethnicity]
W1 = "white"
"#;

fn rich_mapping() -> &'static Mapping {
    static M: OnceLock<Mapping> = OnceLock::new();
    M.get_or_init(|| Mapping::parse(MAPPING).expect("the harness mapping parses"))
}

fn extract(data: &[u8], table: Table, mapping: &Mapping) -> Result<FileOutcome, IngestError> {
    csa_ingest::extract::parse_table_bytes(data, Path::new("t.csv"), table, 0, mapping, &context())
}

/// Force extract CSV: the first byte picks the table (crimes, victims, offenders) and the
/// mapping (none, or one with date formats and code lists); the rest is the file.
pub fn extract_csv(data: &[u8]) {
    let Some((&sel, file)) = data.split_first() else { return };
    let table = [Table::Crimes, Table::Victims, Table::Offenders][usize::from(sel % 3)];
    let default = Mapping::default();
    let mapping = if (sel / 3) % 2 == 1 { rich_mapping() } else { &default };
    if file.starts_with(b"PAR1") {
        return; // the Parquet harness's business
    }
    if let Ok(o) = extract(file, table, mapping) {
        check_outcome(&o, line_count(file));
    }
}

/// Force extract Parquet: the file is read as each table in turn until one fits its columns.
pub fn extract_parquet(data: &[u8]) {
    if !data.starts_with(b"PAR1") {
        return;
    }
    for table in [Table::Crimes, Table::Victims, Table::Offenders] {
        match extract(data, table, &Mapping::default()) {
            Ok(o) => {
                check_outcome(&o, o.rows_read + 1);
                return;
            }
            Err(IngestError::MissingColumn { .. }) => continue,
            Err(e) => {
                assert!(e.is_bad_input(), "a bad Parquet file is bad input: {e}");
                return;
            }
        }
    }
}

/// A small crimes file the mapping harness reads with each mapping it accepts.
const MAPPED_CRIMES: &str = "crime_ref,recorded_date,committed_from,crime_type,location_type,longitude,latitude\nA1,2025-01-03,03/01/2025 22:15,burglary,RES,-1.51,52.40\nA2,14/02/2025,,robbery,,-1.52,52.41\nA3,20250301,2025-03-01T09:00,shoplifting,dwelling,,\n";

/// Column mapping TOML; an accepted mapping is then used to read a small extract.
pub fn mapping(data: &[u8]) {
    let Ok(m) = Mapping::load(Path::new("mapping.toml"), data) else { return };
    if let Some(f) = &m.force {
        assert!(forbidden_in(f).is_none(), "mapping force name passed on: {f:?}");
    }
    match extract(MAPPED_CRIMES.as_bytes(), Table::Crimes, &m) {
        Ok(o) => check_outcome(&o, line_count(MAPPED_CRIMES.as_bytes())),
        Err(e) => assert!(e.is_bad_input(), "{e}"),
    }
}

/// Assessment configuration TOML.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = Config::parse(text, Path::new("/cfg/assessment.toml")) {
        for p in c.all_priorities() {
            assert!(!p.name.trim().is_empty(), "a priority without a name");
            assert!(c.priority(&p.name).is_ok(), "priority {:?} cannot be found by name", p.name);
        }
    }
}

/// Quarterly targets TOML (against the default configuration's priorities).
pub fn targets(data: &[u8]) {
    static C: OnceLock<Config> = OnceLock::new();
    let c = C.get_or_init(Config::default_config);
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(t) = Targets::parse(text, Path::new("targets.toml"), c) {
        assert!(!t.indicators.is_empty());
        assert!(t.alpha > 0.0 && t.alpha < 0.5);
    }
}

/// Ward or LSOA boundaries GeoJSON: read as ingest does (UTF-8, then the FeatureCollection
/// with the ward, then the LSOA property names); an accepted file is indexed, and points
/// across its extent are located with and without the R-tree.
pub fn boundaries(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let b = match Boundaries::from_geojson(text, "WD25CD", "WD25NM") {
        Ok(b) => b,
        Err(_) => match Boundaries::from_geojson(text, "LSOA21CD", "LSOA21NM") {
            Ok(b) => b,
            Err(_) => return,
        },
    };
    for a in &b.areas {
        clean("area code", &a.code);
        clean("area name", &a.name);
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for a in &b.areas {
        for p in &a.geometry.0 {
            for c in p.exterior().coords() {
                lo = [lo[0].min(c.x), lo[1].min(c.y)];
                hi = [hi[0].max(c.x), hi[1].max(c.y)];
            }
        }
    }
    let index = AreaIndex::new(b);
    if !(lo[0].is_finite() && hi[0].is_finite() && lo[1].is_finite() && hi[1].is_finite()) {
        return;
    }
    for i in 0..=4 {
        for j in 0..=4 {
            let x = lo[0] + (hi[0] - lo[0]) * f64::from(i) / 4.0;
            let y = lo[1] + (hi[1] - lo[1]) * f64::from(j) / 4.0;
            assert_eq!(index.locate(x, y), index.locate_brute_force(x, y), "at ({x}, {y})");
        }
    }
}

/// Consultation survey CSV; an accepted survey is also tabulated.
pub fn survey(data: &[u8]) {
    let Ok(s) = Survey::parse(data, Path::new("survey.csv")) else { return };
    assert_eq!(
        s.rows_read,
        (s.responses.len() + s.rejected.len()) as u64,
        "rows read = accepted + rejected"
    );
    for r in &s.responses {
        clean("respondent_id", &r.id);
        for v in r.help.iter().chain(&r.news).chain(r.area.iter()) {
            clean("answer", v);
        }
        for v in r.age_band.iter().chain(r.sex.iter()) {
            clean("answer", v);
        }
    }
    for (_, answer) in s.other_answers.keys() {
        clean("other answer", answer);
    }
    for p in s.rejected.iter().chain(&s.problems) {
        assert!(forbidden_in(&p.value).is_none(), "problem value passed on: {:?}", p.value);
    }
    s.tables().expect("an accepted survey tabulates");
}

/// LSOA -> ward lookup CSV.
pub fn lsoa_lookup(data: &[u8]) {
    let cols = LookupColumns::default();
    if let Ok(l) = LsoaLookup::parse(data, &cols, Path::new("lookup.csv")) {
        assert!(!l.is_empty());
    }
}
