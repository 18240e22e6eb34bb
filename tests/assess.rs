//! `csa assess`, the annual pack, on the shipped demo configuration (two synthetic Coventry
//! years with victims and offenders):
//!
//! - every section of the report is there and its figures equal the breakdown API's;
//! - the public edition: no count of 1 to 4 in any file, no crime reference, person id or
//!   pseudonym, no point; no suppressed cell can be worked out from the published totals
//!   (by elimination along every row and column);
//! - same inputs, same bytes (apart from the one timestamp);
//! - a killed run leaves the previous pack whole;
//! - the report renders in headless Chromium without console errors (screenshot kept under
//!   the target folder); skipped with a message when Chromium is not installed, unless
//!   CSA_REQUIRE_CHROMIUM=1 (set by .ci/run, which installs it).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{csa, csa_ok, data};
use csa_analysis::{breakdown, Assessment, Config, Dim, Needs};
use polars::prelude::SerReader;

struct Packs {
    _tmp: tempfile::TempDir,
    restricted: PathBuf,
    public: PathBuf,
    public_again: PathBuf,
    dataset: PathBuf,
}

/// The demo config's restricted and public packs (built once for all tests).
fn packs() -> &'static Packs {
    static P: OnceLock<Packs> = OnceLock::new();
    P.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let config = data("data/demo/assessment.toml");
        let c = config.to_str().unwrap();
        let restricted = tmp.path().join("restricted");
        let dataset = tmp.path().join("dataset");
        csa_ok(&[
            "assess",
            "--config",
            c,
            "--out",
            restricted.to_str().unwrap(),
            "--keep-dataset",
            dataset.to_str().unwrap(),
        ]);
        let public = tmp.path().join("public");
        let public_again = tmp.path().join("public-again");
        let ds = dataset.to_str().unwrap();
        csa_ok(&[
            "assess",
            "--config",
            c,
            "--dataset",
            ds,
            "--out",
            public.to_str().unwrap(),
            "--edition",
            "public",
        ]);
        csa_ok(&[
            "assess",
            "--config",
            c,
            "--dataset",
            ds,
            "--out",
            public_again.to_str().unwrap(),
            "--edition",
            "public",
        ]);
        Packs { _tmp: tmp, restricted, public, public_again, dataset }
    })
}

/// A CSV as header + rows of text.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn assessment(dataset: &Path) -> Assessment {
    let config = Config::load(&data("data/demo/assessment.toml")).unwrap();
    Assessment::open(dataset, config, None, &Needs::everything()).unwrap()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn restricted_pack_has_every_part_and_the_api_figures() {
    let p = packs();
    let out = &p.restricted;
    for f in [
        "report.html",
        "summary.json",
        "tables.xlsx",
        "maps/wards.geojson",
        "maps/hotspot_cells.geojson",
        "maps/hotspot_clusters.geojson",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert_eq!(&std::fs::read(out.join("tables.xlsx")).unwrap()[..2], b"PK");
    let s = summary(out);
    // every table as CSV and Parquet, every figure as PNG and SVG
    for t in s["tables"].as_array().unwrap() {
        let n = t["name"].as_str().unwrap();
        assert!(out.join("tables").join(format!("{n}.csv")).is_file(), "{n}.csv");
        assert!(out.join("tables").join(format!("{n}.parquet")).is_file(), "{n}.parquet");
    }
    for f in s["figures"].as_array().unwrap() {
        let n = f["name"].as_str().unwrap();
        assert_eq!(
            &std::fs::read(out.join("charts").join(format!("{n}.png"))).unwrap()[..4],
            b"\x89PNG",
            "{n}"
        );
        assert!(
            std::fs::read_to_string(out.join("charts").join(format!("{n}.svg")))
                .unwrap()
                .starts_with("<svg"),
            "{n}"
        );
    }
    let a = assessment(&p.dataset);
    let priorities = a.config.all_priorities();
    // volumes: the table equals the API
    let vol = csa_analysis::volume::volume(&a, &priorities).unwrap();
    let api_counts: Vec<i64> =
        vol.column("count").unwrap().i64().unwrap().into_no_null_iter().collect();
    let (h, rows) = read_csv(&out.join("tables/priority_volumes.csv"));
    let counts: Vec<i64> = rows.iter().map(|r| r[col(&h, "count")].parse().unwrap()).collect();
    assert_eq!(counts, api_counts);
    assert!(
        api_counts[0] > 20_000
            && vol.column("comparison").unwrap().i64().unwrap().get(0).unwrap() > 20_000,
        "two years of demo data load"
    );
    // wards, months and victims of two priorities against the breakdown API
    for name in ["Domestic abuse", "Residential burglary"] {
        let pr = a.config.priority(name).unwrap();
        let slug = csa_report::build::slug(name);
        let b = breakdown(&a, &pr, &[Dim::Ward]).unwrap();
        let codes: Vec<String> = b
            .table
            .column("ward_code")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap_or("").to_string())
            .collect();
        let n: Vec<i64> =
            b.table.column("count").unwrap().i64().unwrap().into_no_null_iter().collect();
        let (h, rows) = read_csv(&out.join(format!("tables/{slug}_wards.csv")));
        let got: BTreeMap<String, i64> = rows
            .iter()
            .map(|r| (r[col(&h, "ward_code")].clone(), r[col(&h, "count")].parse().unwrap()))
            .collect();
        assert_eq!(got, codes.into_iter().zip(n).collect::<BTreeMap<_, _>>(), "{name} wards");
        let b = breakdown(&a, &pr, &[Dim::VictimAgeBand, Dim::VictimSex]).unwrap();
        let (h, rows) = read_csv(&out.join(format!("tables/{slug}_victims_age_sex.csv")));
        let t = &b.table;
        let ages = t.column("victim_age_band").unwrap().str().unwrap().clone();
        let sexes = t.column("victim_sex").unwrap().str().unwrap().clone();
        let counts = t.column("count").unwrap().i64().unwrap().clone();
        let mut checked = 0;
        for i in 0..t.height() {
            let (age, sex, n) =
                (ages.get(i).unwrap(), sexes.get(i).unwrap(), counts.get(i).unwrap());
            let row =
                rows.iter().find(|r| r[0] == age).unwrap_or_else(|| panic!("{name}: no row {age}"));
            assert_eq!(
                row[col(&h, &sex.to_lowercase())].parse::<i64>().unwrap(),
                n,
                "{name} {age} {sex}"
            );
            checked += 1;
        }
        assert!(checked >= 10);
        let total = rows.iter().find(|r| r[0] == "Total").unwrap();
        assert_eq!(
            total[col(&h, "total")].parse::<u64>().unwrap(),
            b.total,
            "{name} victims total"
        );
    }
    // day x hour of all crime
    let dh = csa_analysis::location::day_hour(&a, &csa_analysis::Priority::all()).unwrap();
    let (h, rows) = read_csv(&out.join("tables/all_day_hour.csv"));
    let h23: Vec<i64> = dh.column("h23").unwrap().i64().unwrap().into_no_null_iter().collect();
    assert_eq!(
        rows.iter().take(8).map(|r| r[col(&h, "h23")].parse::<i64>().unwrap()).collect::<Vec<_>>(),
        h23
    );
    // ranking: every measurable configured priority, ranks 1..n, scores 1..5
    let ranking = s["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), a.config.priorities.len());
    for (i, r) in ranking.iter().enumerate() {
        assert_eq!(r["rank"].as_i64().unwrap(), i as i64 + 1);
        let t = r["total_score"].as_f64().unwrap();
        assert!((1.0..=5.0).contains(&t), "{r}");
        assert!(r["reason"].as_str().unwrap().starts_with("highest factors"));
    }
    // one denominator for the volume factor (issue 14): residential burglary is counted per
    // household (about 15.8 per 1,000), but ranked on residents like every other priority,
    // with its household rate beside it; on households it ranked 2nd, on residents it is 5th
    let residents = a.area_population(false).unwrap();
    let households = a.area_population(true).unwrap();
    let (h, rows) = read_csv(&out.join("tables/priority_ranking.csv"));
    let burglary = rows.iter().find(|r| r[col(&h, "priority")] == "Residential burglary").unwrap();
    let n: f64 = burglary[col(&h, "count")].parse().unwrap();
    let volume: f64 = burglary[col(&h, "volume")].parse().unwrap();
    assert!((volume - 1000.0 * n / residents).abs() < 0.005, "{volume}");
    let household_rate: f64 = burglary[col(&h, "household_rate_per_1000")].parse().unwrap();
    assert!((household_rate - 1000.0 * n / households).abs() < 0.005, "{household_rate}");
    assert!(household_rate > 15.0 && household_rate < 17.0, "{household_rate}");
    assert_eq!(burglary[col(&h, "rank")], "5");
    for r in &rows {
        if r[col(&h, "priority")] != "Residential burglary" {
            assert_eq!(r[col(&h, "household_rate_per_1000")], "", "{:?}", r);
        }
    }
    // public concern is scored exactly for the priorities mapped to survey options
    for r in ranking {
        let pr = a.config.priority(r["priority"].as_str().unwrap()).unwrap();
        assert_eq!(r["concern_score"].is_null(), pr.survey.is_empty(), "{}", pr.name);
    }
    // the report: every section, the key figures as in the tables, charts inline, no requests
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in
        ["summary", "overview", "ranking", "wards", "equalities", "survey", "quality", "method"]
    {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    for pr in &a.config.priorities {
        assert!(
            html.contains(&format!("id=\"p-{}\"", csa_report::build::slug(&pr.name))),
            "section of {}",
            pr.name
        );
    }
    let fmt = |n: i64| {
        let s = n.to_string();
        let mut o = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                o.push(',');
            }
            o.push(c);
        }
        o
    };
    let all_current: i64 = read_csv(&out.join("tables/all_months.csv"))
        .1
        .iter()
        .map(|r| r[1].parse::<i64>().unwrap())
        .sum();
    assert_eq!(all_current, api_counts[0]);
    assert!(
        html.contains(&format!("<div class=\"v\">{}</div>", fmt(api_counts[0]))),
        "headline count in the summary"
    );
    for (id, _) in &a.area.wards {
        assert!(html.contains(&format!("id=\"ward-{id}\"")), "ward profile {id}");
    }
    assert!(html.matches("<svg").count() >= 60, "charts inline");
    for bad in [" src=", "<link", "<script", "@import", "url("] {
        assert!(!html.contains(bad), "the report must not request anything: found {bad:?}");
    }
    assert!(html.contains("Generated at "), "timestamp");
    // wards layer: 18 Coventry wards in lon/lat with the all-crime counts
    let w: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("maps/wards.geojson")).unwrap()).unwrap();
    let feats = w["features"].as_array().unwrap();
    assert_eq!(feats.len(), 18);
    let sum: i64 = feats.iter().map(|f| f["properties"]["count"].as_i64().unwrap()).sum();
    assert_eq!(sum, api_counts[0], "ward counts add up to all crime (every record is in a ward)");
    let first = &feats[0]["geometry"]["coordinates"][0][0][0];
    let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    assert!((-1.7..-1.3).contains(&lon) && (52.3..52.5).contains(&lat), "{lon} {lat}");
    // the restricted edition keeps pseudonymised offender lists, never raw ids
    let (h, rows) = read_csv(&out.join("tables/all_prolific_offenders.csv"));
    assert!(rows.iter().all(|r| r[col(&h, "pseudonym")].starts_with("OFF-")));
}

#[test]
fn demo_equalities_ratios_all_have_a_value_and_an_interval() {
    let p = packs();
    let a = assessment(&p.dataset);
    // the configured bands on both sides: 0-9, 10-15, 16-17, 18-24, 25-34, 35-49, 50-64, 65+
    assert_eq!(a.config.age_bands, [0, 10, 16, 18, 25, 35, 50, 65]);
    let bands = ["0-9", "10-15", "16-17", "18-24", "25-34", "35-49", "50-64", "65+"];
    for who in ["victims", "offenders"] {
        let (h, rows) = read_csv(&p.restricted.join(format!("tables/equalities_{who}.csv")));
        assert!(rows.len() > 100, "{who}: {} rows", rows.len());
        for r in &rows {
            for c in ["ratio", "ratio_ci_low", "ratio_ci_high", "population", "finding"] {
                assert!(!r[col(&h, c)].is_empty(), "{who}: {c} empty in {r:?}");
            }
            let (lo, ratio, hi) = (
                r[col(&h, "ratio_ci_low")].parse::<f64>().unwrap(),
                r[col(&h, "ratio")].parse::<f64>().unwrap(),
                r[col(&h, "ratio_ci_high")].parse::<f64>().unwrap(),
            );
            assert!(lo <= ratio && ratio <= hi && hi > 0.0, "{who}: {r:?}");
            if r[col(&h, "dimension")] == "age_band" {
                assert!(bands.contains(&r[col(&h, "group")].as_str()), "{who}: {r:?}");
            }
        }
        // Coventry's residents from its own census tables: TS008 173,137 female
        let female = rows
            .iter()
            .find(|r| r[0] == "all" && r[col(&h, "group")] == "female")
            .unwrap_or_else(|| panic!("{who}: no female row"));
        assert_eq!(female[col(&h, "population")], "173137");
        // and the CLI gives the same table
        let view = format!("equalities-{who}");
        let csv = csa_ok(&[
            "breakdown",
            "--config",
            data("data/demo/assessment.toml").to_str().unwrap(),
            "--dataset",
            p.dataset.to_str().unwrap(),
            "--view",
            &view,
            "--format",
            "csv",
        ]);
        let all: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "all").collect();
        assert_eq!(csv.lines().count(), all.len() + 1, "{who}:\n{csv}");
        for (line, r) in csv.lines().skip(1).zip(&all) {
            assert_eq!(line, r[1..].join(","), "{who}");
        }
    }
    // ward by ward: four priorities, 18 wards each, small wards without a ratio
    let (h, rows) = read_csv(&p.restricted.join("tables/equalities_wards_victims.csv"));
    let priorities: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        priorities.into_iter().collect::<Vec<_>>(),
        ["Domestic abuse", "Hate crime", "Hate crime - race", "Sexual offences"]
    );
    let wards: BTreeSet<&str> = rows.iter().map(|r| r[col(&h, "ward_code")].as_str()).collect();
    assert_eq!(wards.len(), 18);
    for r in &rows {
        let known: u64 = r[col(&h, "known")].parse().unwrap();
        let has_ratio = !r[col(&h, "ratio")].is_empty();
        assert_eq!(has_ratio, known >= 10, "{r:?}");
        assert_eq!(r[col(&h, "note")].is_empty(), has_ratio, "{r:?}");
    }
    let html = std::fs::read_to_string(p.restricted.join("report.html")).unwrap();
    assert!(html.contains("Ward by ward") && html.contains("residents by group from"));
}

/// Counts of 1 to 4 in a text cell ("3", "3.0"); "<5", "*", "" and others are fine.
fn small(v: &str) -> bool {
    let v = v.trim().replace(',', "");
    v.parse::<f64>().is_ok_and(|x| x.fract() == 0.0 && (1.0..5.0).contains(&x))
}

/// Column names that hold counts in every table of the pack.
const COUNT_NAMES: &[&str] = &[
    "count",
    "comparison",
    "people",
    "points",
    "respondents",
    "base",
    "known",
    "unknown",
    "crimes",
    "yes",
    "no",
    "not_answered",
    "rows",
    "accepted",
    "quarantined",
    "rows_read",
    "value",
    "repeat_people",
    "crimes_with_repeat_people",
    "most_crimes_for_one_person",
    "total",
    "female",
    "male",
];

/// Tables whose every column after the first is a count (matrices).
fn matrix(name: &str) -> bool {
    name.ends_with("_age_sex") || name.ends_with("_day_hour")
}

#[test]
fn public_edition_hides_small_counts_ids_and_points() {
    let p = packs();
    let out = &p.public;
    let s = summary(out);
    assert_eq!(s["edition"], "public");
    assert!(
        s["suppressed"]["primary"].as_u64().unwrap() > 100,
        "the demo has small cells to hide: {}",
        s["suppressed"]
    );
    assert!(s["suppressed"]["secondary"].as_u64().unwrap() > 0);
    let declared: BTreeMap<String, BTreeSet<String>> = s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["count_columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    // every CSV: no count of 1 to 4
    let mut cells = 0;
    for f in
        all_files(&out.join("tables")).iter().filter(|f| f.extension().is_some_and(|e| e == "csv"))
    {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains("prolific"), "{name}: person-level tables are not published");
        let (h, rows) = read_csv(f);
        assert!(!h.iter().any(|c| c == "easting" || c == "northing"), "{name}: point coordinates");
        for (j, c) in h.iter().enumerate() {
            let is_count = COUNT_NAMES.contains(&c.as_str())
                || declared.get(&name).is_some_and(|d| d.contains(c))
                || (matrix(&name) && j > 0);
            if !is_count {
                continue;
            }
            for r in &rows {
                cells += 1;
                assert!(!small(&r[j]), "{name}.csv column {c}: {} shown", r[j]);
            }
        }
    }
    assert!(cells > 10_000, "{cells} count cells scanned");
    // Parquet holds the same published values
    let df = polars::prelude::ParquetReader::new(
        std::fs::File::open(out.join("tables/domestic_abuse_wards.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    let (_, rows) = read_csv(&out.join("tables/domestic_abuse_wards.csv"));
    let pq: Vec<String> = df
        .column("count")
        .unwrap()
        .cast(&polars::prelude::DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect();
    assert_eq!(pq, rows.iter().map(|r| r[2].clone()).collect::<Vec<_>>());
    // the report's count cells
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let mut n = 0;
    for piece in html.split("<td class=\"n c\">").skip(1) {
        let v = &piece[..piece.find('<').unwrap()];
        n += 1;
        assert!(!small(v), "report count cell {v:?}");
    }
    assert!(n > 1000, "{n} count cells in the report");
    assert!(html.contains("&lt;5"), "the report shows suppressed cells");
    assert!(html.contains("Disclosure control"), "the report states what was suppressed");
    // GeoJSON: counts, no points
    for f in all_files(&out.join("maps")) {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for feat in v["features"].as_array().unwrap() {
            let g = feat["geometry"]["type"].as_str().unwrap();
            assert!(g == "Polygon" || g == "MultiPolygon", "{}: {g}", f.display());
            for (k, val) in feat["properties"].as_object().unwrap() {
                if k == "count" || k == "comparison" || k == "crimes" || k.ends_with("_count") {
                    assert!(
                        !small(val.to_string().trim_matches('"')),
                        "{} {k} = {val}",
                        f.display()
                    );
                }
            }
        }
    }
    // summary key figures
    for (k, v) in s["key_figures"].as_object().unwrap() {
        for c in ["count", "comparison"] {
            assert!(!small(v[c].to_string().trim_matches('"')), "summary {k} {c} = {}", v[c]);
        }
    }
    // no crime reference, person id or pseudonym anywhere (text files; PNGs are pictures)
    let ids = person_ids(&p.dataset);
    assert!(ids.len() > 10_000);
    for f in all_files(out)
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e != "png" && e != "parquet" && e != "xlsx"))
    {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            !text.contains("CV24/") && !text.contains("CV25/"),
            "{}: crime reference",
            f.display()
        );
        for (i, _) in text.match_indices("OFF-") {
            let tail: String = text[i + 4..].chars().take(10).collect();
            assert!(
                !(tail.len() == 10 && tail.chars().all(|c| c.is_ascii_hexdigit())),
                "{}: pseudonym OFF-{tail}",
                f.display()
            );
        }
        for tok in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            assert!(
                !(tok.len() == 13 && tok.starts_with('P') && ids.contains(tok)),
                "{}: person id {tok}",
                f.display()
            );
        }
    }
}

fn person_ids(dataset: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in ["victims", "offenders"] {
        let df = common::read_table(dataset, t);
        out.extend(
            df.column("person_id").unwrap().str().unwrap().iter().flatten().map(str::to_string),
        );
    }
    out
}

/// Cells worked out by elimination: along every line (the rows and columns of `m` with
/// `row_totals` / `col_totals`), a line with exactly one unknown gives it. Repeats until
/// nothing new. `None` = hidden. Returns the positions recovered.
fn eliminate(mut m: Vec<Vec<Option<i64>>>, col_totals_known: bool) -> Vec<(usize, usize)> {
    let hidden: Vec<(usize, usize)> = (0..m.len())
        .flat_map(|i| (0..m[i].len()).map(move |j| (i, j)))
        .filter(|&(i, j)| m[i][j].is_none())
        .collect();
    // the last column is the row total; the last row, when known, the column totals
    let (rows, cols) = (m.len(), m[0].len());
    loop {
        let mut progress = false;
        for row in m.iter_mut() {
            let unknown: Vec<usize> = (0..cols).filter(|&j| row[j].is_none()).collect();
            if unknown.len() == 1 {
                let j = unknown[0];
                let inner: i64 = (0..cols - 1).filter(|&k| k != j).map(|k| row[k].unwrap()).sum();
                row[j] = Some(if j == cols - 1 { inner } else { row[cols - 1].unwrap() - inner });
                progress = true;
            }
        }
        if col_totals_known {
            #[allow(clippy::needless_range_loop)]
            for j in 0..cols {
                let unknown: Vec<usize> = (0..rows).filter(|&i| m[i][j].is_none()).collect();
                if unknown.len() == 1 {
                    let i = unknown[0];
                    let inner: i64 =
                        (0..rows - 1).filter(|&k| k != i).map(|k| m[k][j].unwrap()).sum();
                    m[i][j] =
                        Some(if i == rows - 1 { inner } else { m[rows - 1][j].unwrap() - inner });
                    progress = true;
                }
            }
        }
        if !progress {
            break;
        }
    }
    hidden.into_iter().filter(|&(i, j)| m[i][j].is_some()).collect()
}

fn parse_cell(v: &str) -> Option<i64> {
    v.parse().ok()
}

#[test]
fn suppressed_cells_cannot_be_recovered_from_the_margins() {
    // the attack works: one hidden cell in a line with its total is found
    assert_eq!(
        eliminate(
            vec![
                vec![Some(10), None, Some(13)],
                vec![Some(4), Some(5), Some(9)],
                vec![Some(14), Some(8), Some(22)]
            ],
            true
        ),
        vec![(0, 1)]
    );
    let out = &packs().public;
    let mut lists = 0;
    let mut matrices = 0;
    for f in
        all_files(&out.join("tables")).iter().filter(|f| f.extension().is_some_and(|e| e == "csv"))
    {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let (h, rows) = read_csv(f);
        if matrix(&name) {
            // rows + total row, count columns + total column
            let m: Vec<Vec<Option<i64>>> =
                rows.iter().map(|r| r[1..].iter().map(|v| parse_cell(v)).collect()).collect();
            let rec = eliminate(m, true);
            assert!(rec.is_empty(), "{name}: cells {rec:?} can be worked out");
            matrices += 1;
        } else if name == "trend_months" {
            // each priority's months of the assessment and comparison years add up to its
            // published count and comparison: no year with a single hidden month
            let (vh, vrows) = read_csv(&out.join("tables/priority_volumes.csv"));
            for v in &vrows {
                let pr = &v[col(&vh, "priority")];
                for (year, c) in [("2025", "count"), ("2024", "comparison")] {
                    if parse_cell(&v[col(&vh, c)]).is_none_or(|t| t < 5) {
                        continue;
                    }
                    let hidden = rows
                        .iter()
                        .filter(|r| &r[0] == pr && r[1].starts_with(year))
                        .filter(|r| r[2] == "<5" || r[2] == "*")
                        .count();
                    assert_ne!(hidden, 1, "trend_months of {pr} in {year}: one hidden month");
                    lists += 1;
                }
            }
        } else if ["_wards", "_months", "_location_types", "_ethnicity", "_relationship"]
            .iter()
            .any(|s| name.ends_with(s))
            || name == "crime_types"
        {
            // a list whose total (the priority's count) is published: one hidden cell alone
            // in a column could be worked out
            for c in ["count", "comparison"] {
                let j = col(&h, c);
                let total: i64 = read_total(&name, c);
                if (1..5).contains(&total) {
                    continue; // the total is itself "<5" wherever it is published
                }
                let hidden = rows.iter().filter(|r| r[j] == "<5" || r[j] == "*").count();
                assert_ne!(
                    hidden, 1,
                    "{name}.{c}: a single hidden cell is the total minus the rest"
                );
                let mut m: Vec<Vec<Option<i64>>> =
                    rows.iter().map(|r| vec![parse_cell(&r[j]), parse_cell(&r[j])]).collect();
                m.push(vec![Some(total), Some(total)]);
                assert!(eliminate(m, true).is_empty(), "{name}.{c}");
                lists += 1;
            }
        } else if name == "survey_yes_no" {
            let m: Vec<Vec<Option<i64>>> =
                rows.iter().map(|r| r[1..5].iter().map(|v| parse_cell(v)).collect()).collect();
            assert!(eliminate(m, false).is_empty(), "{name}");
        }
    }
    assert!(lists > 50 && matrices > 20, "{lists} lists, {matrices} matrices checked");
}

/// The published total of a list: the sum of its cells in the restricted pack (what the
/// priority's published count gives away).
fn read_total(name: &str, c: &str) -> i64 {
    let (h, rows) = read_csv(&packs().restricted.join("tables").join(format!("{name}.csv")));
    let j = col(&h, c);
    rows.iter().filter_map(|r| r[j].parse::<i64>().ok()).sum()
}

#[test]
fn same_inputs_same_bytes_apart_from_the_timestamp() {
    let p = packs();
    let (a, b) = (&p.public, &p.public_again);
    let fa = all_files(a);
    let fb = all_files(b);
    let rel = |base: &Path, v: &[PathBuf]| {
        v.iter().map(|f| f.strip_prefix(base).unwrap().to_path_buf()).collect::<Vec<_>>()
    };
    assert_eq!(rel(a, &fa), rel(b, &fb));
    let (ta, tb) = (
        summary(a)["generated_at"].as_str().unwrap().to_string(),
        summary(b)["generated_at"].as_str().unwrap().to_string(),
    );
    for (x, y) in fa.iter().zip(&fb) {
        let (mut bx, mut by) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        let name = x.file_name().unwrap().to_string_lossy();
        if name == "report.html" || name == "summary.json" {
            bx = String::from_utf8(bx).unwrap().replace(&ta, "TIMESTAMP").into_bytes();
            by = String::from_utf8(by).unwrap().replace(&tb, "TIMESTAMP").into_bytes();
        }
        assert!(bx == by, "{} differs between two runs", x.display());
    }
}

fn hashes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    all_files(dir)
        .into_iter()
        .map(|f| (f.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&f).unwrap()))
        .collect()
}

#[test]
fn a_killed_run_leaves_the_previous_pack_whole() {
    let p = packs();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pack");
    let config = data("data/demo/assessment.toml");
    let ds = p.dataset.to_str().unwrap();
    csa_ok(&[
        "assess",
        "--config",
        config.to_str().unwrap(),
        "--dataset",
        ds,
        "--out",
        out.to_str().unwrap(),
    ]);
    let before = hashes(&out);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_csa"))
        .args([
            "assess",
            "--config",
            config.to_str().unwrap(),
            "--dataset",
            ds,
            "--out",
            out.to_str().unwrap(),
            "--edition",
            "public",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let staging = tmp.path().join(format!(".pack.assess-{}", child.id()));
    // kill it once it is writing its tables
    let started = std::time::Instant::now();
    while !(staging.join("tables").is_dir()
        && std::fs::read_dir(staging.join("tables")).map(|d| d.count()).unwrap_or(0) > 5)
    {
        // generous: protection comes before the first table, and a loaded machine is slow
        assert!(started.elapsed().as_secs() < 600, "the run never started writing");
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the run finished ({st}) before it could be killed");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed");
    assert_eq!(hashes(&out), before, "the previous pack changed");
    assert!(
        staging.exists(),
        "the killed run's staging folder is left beside (its pid is in the name)"
    );
    // the next run clears the dead run's staging folder and replaces the pack
    csa_ok(&[
        "assess",
        "--config",
        config.to_str().unwrap(),
        "--dataset",
        ds,
        "--out",
        out.to_str().unwrap(),
        "--edition",
        "public",
    ]);
    assert!(!staging.exists(), "stale staging folder removed");
    assert_eq!(summary(&out)["edition"], "public");
}

#[test]
fn config_without_data_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("a.toml");
    std::fs::write(&cfg, "[assessment]\nname = \"x\"\n").unwrap();
    let o = csa(&[
        "assess",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no data") && err.contains("a.toml"), "{err}");
    assert!(!tmp.path().join("o").exists());
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|b| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths).map(|d| d.join(b)).find(|p| p.is_file())
        })
    })
}

/// Console messages in Chromium's log of a page (`--v=1` logs every console message, a failed
/// load included, as `INFO:CONSOLE`; Chromium's own background fetches are not the page's).
fn render(browser: &Path, page: &Path, screenshot: &Path) -> (bool, Vec<String>) {
    let o = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=1",
            "--window-size=1240,1754",
        ])
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
    // the report has no scripts, so any console message (errors, failed loads) is a problem
    let problems: Vec<String> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Failed to load resource"))
        .map(str::to_string)
        .collect();
    (o.status.success(), problems)
}

#[test]
fn report_renders_in_headless_chromium_without_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var("CSA_REQUIRE_CHROMIUM").is_err(),
            "CSA_REQUIRE_CHROMIUM is set but no chromium is installed"
        );
        eprintln!(
            "skipped: no chromium on PATH (install the Debian package `chromium`; .ci/run does)"
        );
        return;
    };
    let art = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("assess");
    std::fs::create_dir_all(&art).unwrap();
    // the check catches console errors: a page that logs one
    let bad = art.join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><script>console.error('broken')</script></body></html>",
    )
    .unwrap();
    let (_, problems) = render(&browser, &bad, &art.join("bad.png"));
    assert!(!problems.is_empty(), "the console check must see an error on a page that logs one");
    for (edition, dir) in [("restricted", &packs().restricted), ("public", &packs().public)] {
        let shot = art.join(format!("report-{edition}.png"));
        let _ = std::fs::remove_file(&shot);
        let (ok, problems) = render(&browser, &dir.join("report.html"), &shot);
        assert!(ok, "chromium failed on the {edition} report");
        assert!(problems.is_empty(), "{edition} report: {problems:?}");
        let png = std::fs::read(&shot).unwrap();
        assert!(png.len() > 20_000 && &png[..4] == b"\x89PNG", "screenshot {}", shot.display());
        eprintln!("screenshot of the {edition} report: {}", shot.display());
    }
}

/// A Python with polars for the notebook test: `CSA_PYTHON`, else `python3` when it has polars,
/// else a virtual environment under `target/tmp` with `notebooks/requirements.txt` installed
/// from the package registry (once; later runs reuse it). `Err` says why none is available.
fn python_with_polars() -> Result<String, String> {
    let has_polars = |python: &str| {
        std::process::Command::new(python)
            .args(["-c", "import polars"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Ok(python) = std::env::var("CSA_PYTHON") {
        return if has_polars(&python) {
            Ok(python)
        } else {
            Err(format!("CSA_PYTHON={python} has no polars module"))
        };
    }
    if has_polars("python3") {
        return Ok("python3".into());
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("notebook-venv");
    let python = venv.join("bin").join("python3");
    let python_s = python.to_string_lossy().into_owned();
    if has_polars(&python_s) {
        return Ok(python_s);
    }
    let run = |cmd: &mut std::process::Command, what: &str| -> Result<(), String> {
        let o = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!("{what} failed: {}", String::from_utf8_lossy(&o.stderr).trim()))
        }
    };
    run(std::process::Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv")?;
    run(
        std::process::Command::new(&python)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(data("notebooks/requirements.txt")),
        "pip install -r notebooks/requirements.txt (the package registry)",
    )?;
    if has_polars(&python_s) {
        Ok(python_s)
    } else {
        Err("polars did not import after pip install".into())
    }
}

#[test]
fn notebook_reproduces_two_report_tables() {
    // the notebook's code cells, run in order as one script against the demo pack
    let python = match python_with_polars() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("skipped: no Python with polars ({why})");
            return;
        }
    };
    let nb: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data("notebooks/assessment.ipynb")).unwrap())
            .unwrap();
    let code: Vec<String> = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(|c| {
            c["source"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect::<String>()
        })
        .collect();
    assert!(code.len() >= 4);
    let p = packs();
    let o = std::process::Command::new(&python)
        .args(["-c", &code.join("\n\n")])
        .env("CSA_PACK", &p.restricted)
        .env("CSA_DATASET", &p.dataset)
        .output()
        .unwrap();
    assert!(o.status.success(), "the notebook failed:\n{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn police_uk_demo_says_what_public_data_cannot_show() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("warks");
    let stdout = csa_ok(&[
        "assess",
        "--config",
        data("data/demo/warwickshire-police-uk.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("priorities by rank"), "{stdout}");
    let s = summary(&out);
    let notes = s["notes"].to_string();
    assert!(notes.contains("no victims or offenders"), "{notes}");
    assert!(notes.contains("does not cover the whole comparison period"), "{notes}");
    assert!(
        notes.contains("Not measurable on this data, so not ranked")
            && notes.contains("Domestic abuse"),
        "{notes}"
    );
    let ranked: Vec<&str> =
        s["ranking"].as_array().unwrap().iter().map(|r| r["priority"].as_str().unwrap()).collect();
    assert!(
        ranked.contains(&"Anti-social behaviour") && ranked.contains(&"Shoplifting"),
        "{ranked:?}"
    );
    assert!(
        !ranked.contains(&"Domestic abuse") && !ranked.contains(&"Violence with injury"),
        "{ranked:?}"
    );
    // no charts of people, no empty charts of unmeasurable priorities
    let figures: Vec<&str> =
        s["figures"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(!figures.iter().any(|f| f.contains("pyramid")), "{figures:?}");
    assert!(!figures.iter().any(|f| f.starts_with("domestic_abuse")), "{figures:?}");
    assert!(
        figures.contains(&"anti_social_behaviour_hotspots") && figures.contains(&"ward_rates"),
        "{figures:?}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Domestic abuse cannot be measured on this data"));
    assert!(html.contains("this data has none (police.uk data carries no people)"));
    let w: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("maps/wards.geojson")).unwrap()).unwrap();
    assert_eq!(w["features"].as_array().unwrap().len(), 108, "Warwickshire's wards");
    // every ward has a population now (the three that had none get the LSOAs best-fitted to
    // them), so every ward has a rate and the choropleth no "no figure" ward
    for f in w["features"].as_array().unwrap() {
        assert!(f["properties"]["population"].as_f64().unwrap() > 1000.0, "{}", f["properties"]);
        assert!(f["properties"]["rate_per_1000"].is_number(), "{}", f["properties"]);
    }
}

/// The Reducing Re-offending section: the demo's two years cover the 2024Q1 and 2024Q2
/// cohorts, whose figures are synth's ground truth; the public edition hides small counts as
/// matrices nobody can undo, and leaves out the change against another cohort.
#[test]
fn reoffending_section_is_the_truth_and_published_protected() {
    let p = packs();
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data("data/demo/coventry-extract-2024/ground_truth.json")).unwrap(),
    )
    .unwrap();
    let cohorts = truth["reoffending"]["cohorts"].as_array().unwrap();
    let (h, rows) = read_csv(&p.restricted.join("tables/reoffending_cohorts.csv"));
    let periods: Vec<&str> = rows.iter().map(|r| r[col(&h, "cohort_period")].as_str()).collect();
    assert_eq!(periods, ["2024Q1", "2024Q2"]);
    for (r, t) in rows.iter().zip(cohorts) {
        for c in ["cohort", "reoffenders", "reoffences"] {
            assert_eq!(r[col(&h, c)], t[c].to_string(), "{} {c}", t["period"]);
        }
    }
    // the latest cohort by age band: synth's truth too (the total row last). synth bands ages
    // its own way (0, 10, 18, ..., 65+) and the demo config the census's way (..., 16, 18,
    // ..., 35, 50, 65+): both are summed over the bands' common boundaries and compared there
    let (h, rows) = read_csv(&p.restricted.join("tables/reoffending_by_age_band.csv"));
    assert_eq!(rows.last().unwrap()[0], "Total");
    let lower = |label: &str| -> Option<u32> {
        label.split(['-', '+']).next().and_then(|l| l.trim().parse().ok())
    };
    let truth_bands: Vec<(String, u64, u64)> = cohorts[1]["by_age_band"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let n = |k: &str| b[k].as_u64().unwrap();
            (b["age_band"].as_str().unwrap().to_string(), n("cohort"), n("reoffenders"))
        })
        .collect();
    let pack_bands: Vec<(String, u64, u64)> = rows[..rows.len() - 1]
        .iter()
        .map(|r| {
            let n = |k: &str| r[col(&h, k)].parse::<u64>().unwrap();
            (r[0].clone(), n("cohort"), n("reoffenders"))
        })
        .collect();
    let bounds = |bands: &[(String, u64, u64)]| -> std::collections::BTreeSet<u32> {
        bands.iter().filter_map(|b| lower(&b.0)).collect()
    };
    let common: Vec<u32> =
        bounds(&truth_bands).intersection(&bounds(&pack_bands)).copied().collect();
    assert!(common.len() >= 4, "common band boundaries {common:?}");
    // (cohort, reoffenders) per common group; key None = not recorded
    let grouped = |bands: &[(String, u64, u64)]| {
        let mut g: std::collections::BTreeMap<Option<u32>, (u64, u64)> = Default::default();
        for (label, c, r) in bands {
            let key = lower(label).map(|lo| *common.iter().rev().find(|b| **b <= lo).unwrap_or(&0));
            let e = g.entry(key).or_default();
            e.0 += c;
            e.1 += r;
        }
        g
    };
    assert_eq!(grouped(&pack_bands), grouped(&truth_bands));
    let html = std::fs::read_to_string(p.restricted.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"reoffending\"><h2>Reducing Re-offending</h2>"));
    assert!(html.contains("t-reoffending_by_ward"));
    // public: no change columns, small counts hidden, no hidden cell recoverable
    let mut hidden = 0;
    for name in [
        "cohorts",
        "by_age_band",
        "by_sex",
        "by_ethnic_group",
        "by_offence_group",
        "by_ward",
        "by_prior_offending",
    ] {
        let f = p.public.join(format!("tables/reoffending_{name}.csv"));
        let (h, rows) = read_csv(&f);
        assert!(!h.iter().any(|c| c == "p" || c == "change_pts"), "{name}: {h:?}");
        let counts: Vec<usize> =
            ["reoffenders", "non_reoffenders", "cohort"].iter().map(|c| col(&h, c)).collect();
        for r in &rows {
            for &j in &counts {
                assert!(!small(&r[j]), "reoffending_{name}: {} shown", r[j]);
                hidden += usize::from(r[j] == "<5" || r[j] == "*");
            }
            if r[counts[0]] == "<5" || r[counts[0]] == "*" {
                assert_eq!(
                    r[col(&h, "rate_pct")],
                    "*",
                    "reoffending_{name}: a hidden count's rate"
                );
            }
        }
        let m: Vec<Vec<Option<i64>>> =
            rows.iter().map(|r| counts.iter().map(|&j| parse_cell(&r[j])).collect()).collect();
        let rec = eliminate(m, name != "cohorts");
        assert!(rec.is_empty(), "reoffending_{name}: cells {rec:?} can be worked out");
    }
    assert!(hidden > 0, "the demo has small re-offending groups to hide");
    let (h, rows) = read_csv(&p.public.join("tables/reoffending_time_to_first.csv"));
    assert!(!h.iter().any(|c| c == "reoffended_by_then_pct"));
    assert!(rows.iter().all(|r| !small(&r[col(&h, "first_reoffences")])));
}

/// An extract may come with victims but no offenders file (or the other way round): the pack
/// is built, the missing side's sections say why they are absent, the other side's are there.
#[test]
fn extract_with_one_side_of_people_builds_a_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let wards = data("data/boundaries/coventry-wards-2025.geojson");
    let wards = wards.to_str().unwrap();
    for (keep, missing) in [("victims", "offenders"), ("offenders", "victims")] {
        let mut extracts = Vec::new();
        for (year, seed) in [("2024", "1"), ("2025", "2")] {
            let e = tmp.path().join(format!("{keep}-{year}"));
            let out = e.to_str().unwrap().to_string();
            csa_ok(&[
                "--quiet", "synth", "--crimes", "400", "--seed", seed, "--year", year, "--out",
                &out,
            ]);
            std::fs::remove_file(e.join(format!("{missing}.csv"))).unwrap();
            extracts.push(out);
        }
        let ds = tmp.path().join(format!("{keep}-ds"));
        let ds = ds.to_str().unwrap();
        csa_ok(&[
            "--quiet",
            "ingest",
            "--extract",
            &extracts[0],
            "--extract",
            &extracts[1],
            "--boundaries",
            wards,
            "--out",
            ds,
        ]);
        let config = tmp.path().join(format!("{keep}.toml"));
        std::fs::write(
            &config,
            format!(
                "[assessment]\nname = \"One side\"\nboundaries = {wards:?}\n\
                 period = {{ from = \"2025-01\", to = \"2025-12\" }}\n\
                 comparison = {{ from = \"2024-01\", to = \"2024-12\" }}\n\
                 [hotspots]\npermutations = 9\nmin_crimes = 30\n\
                 [[priority]]\nname = \"Burglary\"\nfilter = {{ crime_type = [\"Burglary\"] }}\n\
                 [[priority]]\nname = \"Domestic abuse\"\nfilter = {{ domestic_abuse = true }}\n",
            ),
        )
        .unwrap();
        let pack = tmp.path().join(format!("{keep}-pack"));
        let o = csa(&[
            "--quiet",
            "assess",
            "--config",
            config.to_str().unwrap(),
            "--dataset",
            ds,
            "--out",
            pack.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{keep} only: {}", String::from_utf8_lossy(&o.stderr));
        let tables = pack.join("tables");
        assert!(tables.join(format!("burglary_{keep}_age_sex.csv")).exists(), "{keep} only");
        assert!(!tables.join(format!("burglary_{missing}_age_sex.csv")).exists(), "{keep} only");
        assert!(tables.join(format!("equalities_{keep}.csv")).exists(), "{keep} only");
        assert!(!tables.join(format!("equalities_{missing}.csv")).exists(), "{keep} only");
        let html = std::fs::read_to_string(pack.join("report.html")).unwrap();
        assert!(
            html.contains(&format!(
                "The data has no {missing} (its extracts had no {missing} file)"
            )),
            "{keep} only: the report says why there are no {missing} figures"
        );
        // the breakdown of the missing side is refused with a message naming it
        let by = format!("{}_sex", &missing[..missing.len() - 1]);
        let cfg = config.to_str().unwrap();
        let o = csa(&[
            "breakdown",
            "--dataset",
            ds,
            "--config",
            cfg,
            "--priority",
            "Burglary",
            "--by",
            &by,
        ]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("has no {missing}")), "{err}");
    }
}

/// A published cell that hides a figure.
fn suppressed(v: &str) -> bool {
    v == "<5" || v == "*"
}

#[test]
fn trends_and_forecasts_agree_with_the_api_and_follow_their_months_in_public() {
    let p = packs();
    let out = &p.restricted;
    // three synthetic years: 2023-01 to 2025-12 for every measurable priority
    let (mh, months) = read_csv(&out.join("tables/trend_months.csv"));
    let (pc, mc, cc) = (col(&mh, "priority"), col(&mh, "month"), col(&mh, "count"));
    let all: Vec<&Vec<String>> = months.iter().filter(|r| r[pc] == "all").collect();
    assert_eq!(all.len(), 36, "all: {} months", all.len());
    assert_eq!((all[0][mc].as_str(), all[35][mc].as_str()), ("2023-01", "2025-12"));
    // the earlier year's months are the API's count of that year (loaded apart)
    let config = Config::load(&data("data/demo/assessment.toml")).unwrap();
    let y2023 = csa_analysis::Period::new(
        csa_analysis::Month::new(2023, 1),
        csa_analysis::Month::new(2023, 12),
    )
    .unwrap();
    let a = Assessment::open(&p.dataset, config, Some(y2023), &Needs::everything()).unwrap();
    let b = breakdown(&a, &csa_analysis::Priority::all(), &[Dim::Month]).unwrap();
    let bm = b.table.column("month").unwrap().str().unwrap().clone();
    let bn = b.table.column("count").unwrap().i64().unwrap().clone();
    assert_eq!(bm.len(), 12);
    for i in 0..12 {
        let m = bm.get(i).unwrap();
        let row = all.iter().find(|r| r[mc] == m).unwrap();
        assert_eq!(row[cc].parse::<i64>().unwrap(), bn.get(i).unwrap(), "all, {m}");
    }
    // and the assessment year's months are the priority's month table's
    let (h25, r25) = read_csv(&out.join("tables/all_months.csv"));
    for r in &r25 {
        let row = all.iter().find(|x| x[mc] == r[col(&h25, "month")]).unwrap();
        assert_eq!(row[cc], r[col(&h25, "count")]);
    }
    // the change: evidence is the interval's end nearest 0, and the ranking's trend factor
    let (th, trends) = read_csv(&out.join("tables/trends.csv"));
    let f = |r: &Vec<String>, c: &str| r[col(&th, c)].parse::<f64>().ok();
    let (rh, ranking) = read_csv(&out.join("tables/priority_ranking.csv"));
    assert!(trends.len() >= 10, "{} trends", trends.len());
    for r in &trends {
        let (lo, ev) = (f(r, "change_ci_low_pct").unwrap(), f(r, "evidence_pct").unwrap());
        let hi = f(r, "change_ci_high_pct").unwrap_or(f64::INFINITY);
        let want = if lo > 0.0 {
            lo
        } else if hi < 0.0 {
            hi
        } else {
            0.0
        };
        assert!((ev - want).abs() < 0.011, "{r:?}");
        assert_eq!(r[col(&th, "significant")] == "yes", ev != 0.0);
        assert_eq!(f(r, "months"), Some(36.0));
        if let Some(k) = ranking.iter().find(|k| k[col(&rh, "priority")] == r[0]) {
            assert_eq!(k[col(&rh, "trend_pct")].parse::<f64>().ok(), Some(ev), "{}", r[0]);
        }
        // a small-number trend says so
        let latest = f(r, "latest_12_months").unwrap();
        if latest < 60.0 {
            assert_eq!(r[col(&th, "small_numbers")], "yes", "{r:?}");
        }
    }
    // forecasts: 12 months and the total per priority, intervals nested, the mean inside the
    // 95% one (not always the 80% one: a mean of 0.07 has 0 to 0 as its 80% interval)
    let (fh, fc) = read_csv(&out.join("tables/forecasts.csv"));
    let g = |r: &Vec<String>, c: &str| r[col(&fh, c)].parse::<f64>().unwrap();
    assert_eq!(fc.iter().filter(|r| r[0] == "all").count(), 13);
    for r in &fc {
        let v = [g(r, "low_95"), g(r, "low_80"), g(r, "high_80"), g(r, "high_95")];
        assert!(v.windows(2).all(|w| w[0] <= w[1]), "{r:?}");
        assert!(v[0] <= g(r, "forecast") && g(r, "forecast") <= v[3], "{r:?}");
    }
    assert!(fc.iter().any(|r| r[0] == "all" && r[1] == "2026-12"));
    let (ah, acc) = read_csv(&out.join("tables/forecast_accuracy.csv"));
    let all_acc = acc.iter().find(|r| r[0] == "all").unwrap();
    // origins 24..35: 12 + 11 + ... + 1 backtest forecasts
    assert_eq!(
        (all_acc[col(&ah, "origins")].as_str(), all_acc[col(&ah, "backtest_forecasts")].as_str()),
        ("12", "78")
    );
    let s = summary(out);
    assert!(s["trends"]["change"].as_array().is_some_and(|a| a.len() == trends.len()));
    assert_eq!(s["parameters"]["trend_years"], 3);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"trends\"") && html.contains("Trends and forecasts"));
    assert!(html.contains("t-trends") && html.contains("80% prediction interval"));
    assert!(out.join("charts/all_forecast.svg").exists());

    // public: a figure is shown only when every month it is computed from is published
    let (mh, months) = read_csv(&p.public.join("tables/trend_months.csv"));
    let hidden_months: BTreeSet<String> = months
        .iter()
        .filter(|r| suppressed(&r[col(&mh, "count")]))
        .map(|r| r[col(&mh, "priority")].clone())
        .collect();
    let mut shown_checked = 0;
    for (name, derived) in [
        ("trends", &["rate_ratio", "change_pct", "p", "evidence_pct", "latest_12_months"][..]),
        ("forecasts", &["forecast", "low_80", "high_95"][..]),
        ("forecast_accuracy", &["mae", "coverage_95_pct", "emerging"][..]),
    ] {
        let (h, rows) = read_csv(&p.public.join(format!("tables/{name}.csv")));
        for r in &rows {
            let pr = &r[col(&h, "priority")];
            for c in derived {
                let v = &r[col(&h, c)];
                if hidden_months.contains(pr) {
                    assert!(
                        v == "*" || v.is_empty(),
                        "{name} {c} of {pr} shown over a hidden month: {v}"
                    );
                } else {
                    assert!(!suppressed(v), "{name} {c} of {pr} hidden with every month shown");
                    shown_checked += 1;
                }
            }
        }
    }
    assert!(shown_checked > 0, "no trend figure published at all");
    assert!(!hidden_months.is_empty(), "no month hidden: the check above tested nothing hidden");
}

/// The Serious violence section on the demo: the synthetic ambulance file's planted truth
/// (`ground_truth.json` member `ambulance`, counted by csa-synth from the attendances it
/// wrote) is what the pack reports, and the standalone report is there in both editions.
#[test]
fn serious_violence_section_finds_the_planted_ambulance_assaults() {
    let p = packs();
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data("data/demo/coventry-extract/ground_truth.json")).unwrap(),
    )
    .unwrap();
    let amb = &truth["ambulance"];
    let (h, rows) = read_csv(&p.restricted.join("tables/serious_violence_summary.csv"));
    let (m, c) = (col(&h, "measure"), col(&h, "count"));
    let get = |measure: &str| -> i64 {
        rows.iter().find(|r| r[m] == measure).unwrap_or_else(|| panic!("no row {measure}"))[c]
            .parse()
            .unwrap()
    };
    assert_eq!(get("partner attendances (hospital, ambulance)"), amb["assaults"].as_i64().unwrap());
    assert_eq!(
        get("partner attendances in the night-time economy"),
        amb["assaults_in_nte_window"].as_i64().unwrap()
    );
    assert_eq!(
        get("partner attendances with a weapon recorded"),
        amb["assaults_with_weapon"].as_i64().unwrap()
    );
    // patients under 25: the under-18 and 18-24 bands of the young people table
    let (h2, ages) = read_csv(&p.restricted.join("tables/serious_violence_young_people.csv"));
    let pc = col(&h2, "partner_attendances");
    let young: i64 = ages[..2].iter().map(|r| r[pc].parse::<i64>().unwrap()).sum();
    assert_eq!(young, amb["assaults_under_25"].as_i64().unwrap());
    // the planted night-time-economy assaults are most of the NTE ones
    assert!(
        amb["assaults_in_nte_window"].as_i64().unwrap() * 2 > amb["assaults"].as_i64().unwrap()
    );
    // every weapon-flagged synthetic crime is serious violence by the weapon part
    assert_eq!(get("with a weapon recorded"), truth["weapon_crimes"].as_i64().unwrap());
    assert!(get("serious violence crimes") >= get("with a weapon recorded"));
    for pack in [&p.restricted, &p.public] {
        let html = std::fs::read_to_string(pack.join("serious-violence.html")).unwrap();
        assert!(html.contains("Serious violence: strategic needs assessment"));
        assert!(html.contains("t-serious_violence_summary"));
        assert!(!html.contains("src=\"http"), "self-contained");
        let report = std::fs::read_to_string(pack.join("report.html")).unwrap();
        assert!(report.contains("id=\"serious-violence\""));
        // summary.json carries the section, the peer comparison and the review; the ward and
        // hot cell tables of serious violence only in the restricted edition
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(pack.join("summary.json")).unwrap()).unwrap();
        let restricted = pack == &p.restricted;
        assert_eq!(has_table(pack, "serious_violence_by_ward"), restricted);
        let sv = &s["serious_violence"];
        assert!(sv["summary"].as_array().is_some_and(|r| !r.is_empty()));
        assert_eq!(sv["by_ward"].is_array(), restricted);
        assert_eq!(sv["hot_cells"].is_array(), restricted);
        assert!(s["peers"].as_array().is_some_and(|r| !r.is_empty()));
        assert!(s["review"].as_array().is_some_and(|r| !r.is_empty()));
        assert!(s["recommendations"].as_array().is_some_and(|r| !r.is_empty()));
        let total = sv["summary"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["measure"] == "serious violence crimes"));
        assert_eq!(total.and_then(|r| r["count"].as_i64()), Some(get("serious violence crimes")));
    }
    // partner incidents are in the dataset but never in the crime totals
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.dataset.join("manifest.json")).unwrap()).unwrap();
    let attendances: u64 = ["coventry-extract-2023", "coventry-extract-2024", "coventry-extract"]
        .iter()
        .map(|dir| {
            let t: serde_json::Value = serde_json::from_slice(
                &std::fs::read(data(&format!("data/demo/{dir}/ground_truth.json"))).unwrap(),
            )
            .unwrap();
            t["ambulance"]["attendances"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(m["counts"]["incidents"].as_u64(), Some(attendances));
}

/// Whether a pack has the table `name` (its CSV).
fn has_table(pack: &Path, name: &str) -> bool {
    pack.join("tables").join(format!("{name}.csv")).exists()
}
