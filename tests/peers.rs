//! Peer comparison, recommendations and the review of last year's priorities, with known
//! answers on a small police.uk fixture written here: six months (2024-01..03, 2025-01..03)
//! of records placed at the centroids of chosen Warwickshire wards, so every district's
//! count is known by construction (the table below), and its residents are the sum of its
//! wards' in the shipped `data/population/wards-2025.csv`, added up here from the file.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{csa, data};
use csa_analysis::funnel::{limits, Position};
use csa_analysis::peers::{compare, RowKind};
use csa_analysis::{Assessment, Config, Needs};

/// (ward code, district, crime type, records per month in 2025, per month in 2024).
const PLAN: &[(&str, &str, &str, u32, u32)] = &[
    ("E05012622", "Warwick", "Anti-social behaviour", 10, 15), // Leamington Clarendon
    ("E05012622", "Warwick", "Burglary", 2, 1),
    ("E05012631", "Warwick", "Anti-social behaviour", 3, 0), // Whitnash
    ("E05008974", "Rugby", "Anti-social behaviour", 7, 0),   // Benn
    ("E05008974", "Rugby", "Burglary", 5, 10),
    ("E05008979", "Rugby", "Anti-social behaviour", 2, 0), // Hillmorton
    ("E05015127", "Stratford-on-Avon", "Anti-social behaviour", 4, 0), // Stratford Avenue
    ("E05015829", "Nuneaton and Bedworth", "Anti-social behaviour", 13, 0), // Bede
    ("E05007469", "North Warwickshire", "Anti-social behaviour", 1, 0), // Kingsbury
];

fn wards_geojson() -> PathBuf {
    data("data/boundaries/warwickshire-wards-2025.geojson")
}

/// The centroid (LONG, LAT) of each ward of the plan, from the boundaries file.
fn centroids() -> BTreeMap<String, (f64, f64)> {
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wards_geojson()).unwrap()).unwrap();
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["WD25CD"].as_str().unwrap().to_string(),
                (p["LONG"].as_f64().unwrap(), p["LAT"].as_f64().unwrap()),
            )
        })
        .collect()
}

/// Writes the six police.uk months (plus two records in Coventry, outside every ward of the
/// Warwickshire boundaries, in 2025-01).
fn write_fixture(dir: &Path) {
    let c = centroids();
    std::fs::create_dir_all(dir).unwrap();
    for (year, month) in [2024, 2025].iter().flat_map(|y| (1..=3).map(move |m| (*y, m))) {
        let m = format!("{year}-{month:02}");
        let mut s = String::from("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n");
        let mut id = 0;
        for (ward, _, kind, n25, n24) in PLAN {
            let n = if year == 2025 { *n25 } else { *n24 };
            let (lon, lat) = c[*ward];
            for _ in 0..n {
                id += 1;
                let crime_id = if *kind == "Anti-social behaviour" {
                    String::new()
                } else {
                    format!("{m}-{id:05}")
                };
                s.push_str(&format!("{crime_id},{m},Warwickshire Police,Warwickshire Police,{lon},{lat},On or near Test Street,,,{kind},,\n"));
            }
        }
        if m == "2025-01" {
            for _ in 0..2 {
                s.push_str(&format!(",{m},Warwickshire Police,Warwickshire Police,-1.5106,52.4081,On or near Coventry,,,Anti-social behaviour,,\n"));
            }
        }
        std::fs::write(dir.join(format!("{m}-warwickshire-street.csv")), s).unwrap();
    }
}

/// District residents: the sum of their wards' in the shipped ward table.
fn residents() -> BTreeMap<String, f64> {
    let mut r = csv::Reader::from_path(data("data/population/wards-2025.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (lad, res) = (col("lad_name"), col("residents_2021"));
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        *out.entry(rec[lad].to_string()).or_insert(0.0) += rec[res].parse::<f64>().unwrap();
    }
    out
}

/// The plan's count of `kind` in 2025 Q1 per district.
fn planned(kind: &str) -> BTreeMap<&'static str, u64> {
    let mut out = BTreeMap::new();
    for (_, lad, k, n25, _) in PLAN {
        if *k == kind {
            *out.entry(*lad).or_insert(0) += 3 * *n25 as u64;
        }
    }
    out
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    dataset: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    write_fixture(&dir.join("police"));
    let dataset = dir.join("ds");
    let o = csa(&[
        "--quiet",
        "ingest",
        "--police-uk",
        dir.join("police").to_str().unwrap(),
        "--boundaries",
        wards_geojson().to_str().unwrap(),
        "--out",
        dataset.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Fixture { _tmp: tmp, dir, dataset }
}

const PRIORITIES: &str = "[[priority]]\nname = \"ASB\"\nsubgroups = [\"City Tasking\"]\nfilter = { record_kind = \"asb\" }\n\n[[priority]]\nname = \"Burglary\"\nsubgroups = [\"City Tasking\"]\nfilter = { crime_type = [\"Burglary\"] }\n\n[[priority]]\nname = \"Domestic abuse\"\nfilter = { domestic_abuse = true }\n";

fn config(f: &Fixture, extra: &str) -> PathBuf {
    let path = f.dir.join("assessment.toml");
    std::fs::write(
        &path,
        format!(
            "[assessment]\nname = \"Peers test\"\ndataset = \"ds\"\nboundaries = {:?}\nperiod = {{ from = \"2025-01\", to = \"2025-03\" }}\ncomparison = {{ from = \"2024-01\", to = \"2024-03\" }}\n{extra}\n[hotspots]\npermutations = 0\nmin_crimes = 1000\n\n{PRIORITIES}",
            wards_geojson().to_str().unwrap()
        ),
    )
    .unwrap();
    path
}

#[test]
fn peer_rates_against_hand_counts() {
    let f = fixture();
    let cfg = config(&f, "[peers]\ncsp = \"warwick\"\ngroup = [\"Rugby\", \"E07000221\"]\n");
    let c = Config::load(&cfg).unwrap();
    let settings = c.peers.clone().unwrap();
    let a = Assessment::open(&f.dataset, c, None, &Needs::everything()).unwrap();
    let p = compare(&a, &settings).unwrap();
    assert_eq!((p.csp.name.as_str(), p.csp.code.as_str()), ("Warwick", "E07000222"));
    assert_eq!(
        p.group.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["Rugby", "Stratford-on-Avon"]
    );
    assert!(
        p.notes.iter().any(|n| n.starts_with("2 records of the comparison data lie in no ward")),
        "{:?}",
        p.notes
    );
    let pop = residents();
    for (name, kind) in [("ASB", "Anti-social behaviour"), ("Burglary", "Burglary")] {
        let want = planned(kind);
        let c = p.priorities.iter().find(|x| x.priority == name).unwrap();
        let row = |k: RowKind, area: &str| {
            c.rows
                .iter()
                .find(|r| r.kind == k && r.name == area)
                .unwrap_or_else(|| panic!("{name}: no {area}"))
        };
        let count = |d: &str| want.get(d).copied().unwrap_or(0);
        let csp = row(RowKind::Csp, "Warwick");
        assert_eq!(csp.count, count("Warwick"), "{name}");
        assert!((csp.population - pop["Warwick"]).abs() < 1e-6);
        assert!((csp.rate - 1000.0 * csp.count as f64 / pop["Warwick"]).abs() < 1e-9);
        let others = ["North Warwickshire", "Nuneaton and Bedworth", "Rugby", "Stratford-on-Avon"];
        // every other district is listed, a zero count too (it has other records)
        for d in others {
            let r = row(RowKind::District, d);
            assert_eq!(
                (r.count, r.in_group),
                (count(d), d == "Rugby" || d == "Stratford-on-Avon"),
                "{name} {d}"
            );
            assert!((r.population - pop[d]).abs() < 1e-6);
        }
        let sum = |ds: &[&str]| -> (u64, f64) {
            ds.iter().fold((0, 0.0), |(c, n), d| (c + count(d), n + pop[*d]))
        };
        let (oc, on) = sum(&others);
        let (pc, pn) = sum(&["Rugby", "Stratford-on-Avon"]);
        let o = row(RowKind::OtherCsps, "other CSPs");
        assert_eq!(o.count, oc);
        assert!((o.population - on).abs() < 1e-6);
        let g = row(RowKind::PeerGroup, "peer group");
        assert_eq!(g.count, pc);
        let all = row(RowKind::AllAreas, "all areas");
        assert_eq!(all.count, count("Warwick") + oc);
        assert!((all.rate - 1000.0 * all.count as f64 / (on + pop["Warwick"])).abs() < 1e-9);
        // the funnel's centre is the peer group's pooled rate; each position against it
        let theta = pc as f64 / pn;
        assert!((c.centre.unwrap() - theta).abs() < 1e-15);
        for r in c.rows.iter().filter(|r| matches!(r.kind, RowKind::Csp | RowKind::District)) {
            let l = limits(theta, r.population);
            let rate = r.count as f64 / r.population;
            let want = if rate > l.high_998 {
                Position::Above998
            } else if rate > l.high_95 {
                Position::Above95
            } else if rate < l.low_998 {
                Position::Below998
            } else if rate < l.low_95 {
                Position::Below95
            } else {
                Position::Within
            };
            assert_eq!(r.position, Some(want), "{name} {}", r.name);
        }
    }
    // ASB: Warwick 39 against the peer group's 27 + 12 = 39 over its residents
    let asb = &p.priorities.iter().find(|x| x.priority == "ASB").unwrap().rows;
    assert_eq!((asb[0].count, asb[3].count), (39, 39));
    // against the peer group's 39 ASB records over 249,090 residents, Spiegelhalter's limits
    // by scipy (r = poisson.ppf(p, lam), r - (cdf(r) - p) / (cdf(r) - cdf(r - 1))) at p =
    // 0.001, 0.025, 0.975, 0.999: North Warwickshire (lam 10.18) 1.294, 3.942, 16.43, 20.89,
    // and has 3; Nuneaton and Bedworth (lam 21.01) 7.861, 12.03, 29.95, 36.01, and has 39;
    // Warwick (lam 23.24) 9.303, 13.77, 32.68, 38.98, and has 39 (just above the 99.8% limit,
    // though P(X >= 39) = 0.0017: the interpolated limits are continuous)
    let at = |d: &str| asb.iter().find(|r| r.name == d).unwrap().position;
    assert_eq!(at("North Warwickshire"), Some(Position::Below95));
    assert_eq!(at("Nuneaton and Bedworth"), Some(Position::Above998));
    assert_eq!(at("Warwick"), Some(Position::Above998));
    // a priority the data cannot measure is not compared
    let da = p.priorities.iter().find(|x| x.priority == "Domestic abuse").unwrap();
    assert!(da.rows.is_empty() && da.skipped.as_deref().unwrap_or("").contains("domestic_abuse"));
}

#[test]
fn a_comparison_dataset_and_mistakes() {
    let f = fixture();
    // the same data as a separate comparison dataset: the CSP from the assessment's data
    let cfg = config(&f, "[peers]\ncsp = \"Warwick\"\ndataset = \"ds\"\n");
    let c = Config::load(&cfg).unwrap();
    let settings = c.peers.clone().unwrap();
    let a = Assessment::open(&f.dataset, c, None, &Needs::everything()).unwrap();
    let p = compare(&a, &settings).unwrap();
    let asb = &p.priorities.iter().find(|x| x.priority == "ASB").unwrap();
    assert_eq!(asb.rows[0].count, 39);
    // no peer group: the funnel's centre is the other CSPs'
    assert_eq!(p.centre_of, "the other CSPs");
    assert!(p.notes.iter().any(|n| n.contains("CSP's counts come from the assessment's data")));
    // mistakes name the file, line and column
    let cfg = config(&f, "[peers]\ncsp = \"Warwik\"\n");
    let c = Config::load(&cfg).unwrap();
    let settings = c.peers.clone().unwrap();
    let a = Assessment::open(&f.dataset, c, None, &Needs::everything()).unwrap();
    let e = compare(&a, &settings).err().unwrap().to_string();
    assert!(
        e.contains("assessment.toml:8:7: unknown local authority \"Warwik\"")
            && e.contains("Warwick (E07000222)"),
        "{e}"
    );
    let cfg = config(&f, "[peers]\npolice_uk = [\"police\"]\n");
    let e = Config::load(&cfg).err().unwrap().to_string();
    assert!(e.contains("assessment.toml:8:14: [peers] police_uk needs [peers] boundaries"), "{e}");
    // without csp, the area (five districts) names no single district
    let cfg = config(&f, "[peers]\ngroup = [\"Rugby\"]\n");
    let c = Config::load(&cfg).unwrap();
    let settings = c.peers.clone().unwrap();
    let a = Assessment::open(&f.dataset, c, None, &Needs::everything()).unwrap();
    let e = compare(&a, &settings).err().unwrap().to_string();
    assert!(e.contains("[peers] needs csp") && e.contains("5 districts"), "{e}");
}

/// `csa assess` with the three sections, both editions; then `csa quarterly` tracking the
/// recommendations' measures.
#[test]
fn pack_sections_review_and_quarterly_tracking() {
    let f = fixture();
    std::fs::write(
        f.dir.join("recommendations.toml"),
        "[[recommendation]]\nid = \"B1\"\npriority = \"Burglary\"\nrecommendation = \"Target-harden repeat victims' homes\"\nowner = \"City Tasking\"\ntarget_pct = 10\n\n[[recommendation]]\npriority = \"ASB\"\nrecommendation = \"Youth outreach\"\nowner = \"Prevent\"\naim = \"increase\"\n",
    )
    .unwrap();
    // last year's summary: 2024 Q1 by the plan (ASB 45, Burglary 33), ranked ASB, Burglary
    std::fs::write(
        f.dir.join("summary-2024.json"),
        r#"{"title":"Peers test 2024","edition":"restricted","period":{"current":"2024-01 to 2024-03"},
            "key_figures":{"ASB":{"count":45},"Burglary":{"count":33},"Shoplifting":{"count":7}},
            "ranking":[{"rank":1,"priority":"ASB"},{"rank":2,"priority":"Burglary"},{"rank":3,"priority":"Shoplifting"}]}"#,
    )
    .unwrap();
    let cfg = config(
        &f,
        "recommendations = \"recommendations.toml\"\nprevious_summary = \"summary-2024.json\"\n[peers]\ncsp = \"Warwick\"\ngroup = [\"Rugby\", \"Stratford-on-Avon\"]\n",
    );
    let out = f.dir.join("pack");
    let o = csa(&["assess", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = |name: &str| -> Vec<BTreeMap<String, String>> {
        let mut r = csv::Reader::from_path(out.join(format!("tables/{name}.csv"))).unwrap();
        let h = r.headers().unwrap().clone();
        r.records()
            .map(|x| {
                h.iter()
                    .zip(x.unwrap().iter())
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect()
            })
            .collect()
    };
    let peers = table("peer_rates");
    let csp =
        peers.iter().find(|r| r["priority"] == "Burglary" && r["area_kind"] == "CSP").unwrap();
    assert_eq!(csp["count"], "6");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for s in [
        "id=\"peers\"",
        "id=\"review\"",
        "t-peer_rates",
        "t-recommendations",
        "t-priority_review",
        "Target-harden repeat victims",
    ] {
        assert!(html.contains(s), "report.html lacks {s}");
    }
    assert!(
        out.join("charts/peers_asb_funnel.svg").exists()
            && out.join("charts/peers_burglary_funnel.png").exists()
    );
    // the review: ASB 45 -> 2025 Q1's 3 x (10+3+7+2+4+13+1) = 120 in the area; Burglary 33 -> 21
    let review = table("priority_review");
    let row = |p: &str| review.iter().find(|r| r["priority"] == p).unwrap().clone();
    let asb = row("ASB");
    assert_eq!(
        (asb["count_then"].as_str(), asb["count_now"].as_str(), asb["change"].as_str()),
        ("45", "120", "75")
    );
    assert_eq!((asb["rank_then"].as_str(), asb["still_a_priority"].as_str()), ("1", "yes"));
    assert_eq!(asb["finding"], "significant rise");
    let b = row("Burglary");
    assert_eq!((b["count_then"].as_str(), b["count_now"].as_str()), ("33", "21"));
    // the exact conditional test by hand: x1 = 21 of n = 54 ~ Binomial(54, 90 / (90 + 91))
    // (2025 Q1 has 90 days, 2024 Q1 91); p = the sum of P(X = i) <= P(X = 21)
    let p_hand = {
        let (n, pi) = (54u64, 90.0 / 181.0);
        let ln_c = |k: u64| (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum::<f64>();
        let pmf =
            |k: u64| (ln_c(k) + k as f64 * f64::ln(pi) + (n - k) as f64 * f64::ln(1.0 - pi)).exp();
        let at = pmf(21);
        (0..=n).map(pmf).filter(|q| *q <= at * (1.0 + 1e-7)).sum::<f64>()
    };
    let p: f64 = b["p"].parse().unwrap();
    assert!((p - p_hand).abs() < 1e-9, "{p} vs {p_hand}");
    assert_eq!(
        b["finding"],
        if p_hand < 0.05 { "significant fall" } else { "no significant change" }
    );
    let rr: f64 = b["rate_ratio"].parse().unwrap();
    assert!((rr - (21.0 / 90.0) / (33.0 / 91.0)).abs() < 5e-4);
    let s = row("Shoplifting");
    assert_eq!(
        (s["still_a_priority"].as_str(), s["finding"].as_str()),
        ("no", "no longer configured")
    );
    let rec = table("recommendations");
    assert_eq!(
        rec.iter()
            .map(|r| (r["recommendation_id"].as_str(), r["owner"].as_str()))
            .collect::<Vec<_>>(),
        [("B1", "City Tasking"), ("R2", "Prevent")]
    );

    // the CSP is one district of the area: its counts are sums of the area's ward counts,
    // so the public edition leaves the comparison out (and says so)
    let public = f.dir.join("public");
    let o = csa(&[
        "assess",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        public.to_str().unwrap(),
        "--edition",
        "public",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!public.join("tables/peer_rates.csv").exists());
    let html = std::fs::read_to_string(public.join("report.html")).unwrap();
    assert!(html.contains("The peer comparison is in the restricted edition only"));
    // with the area the CSP (Warwick's wards), the public edition carries it, protected and
    // audited (the run fails otherwise)
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wards_geojson()).unwrap()).unwrap();
    let mut warwick = fc.clone();
    warwick["features"] = serde_json::Value::Array(
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["properties"]["LAD25CD"] == "E07000222")
            .cloned()
            .collect(),
    );
    std::fs::write(f.dir.join("warwick.geojson"), warwick.to_string()).unwrap();
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        wards_geojson().to_str().unwrap(),
        f.dir.join("warwick.geojson").to_str().unwrap(),
    );
    let cfg_w = f.dir.join("warwick.toml");
    std::fs::write(&cfg_w, text).unwrap();
    let public = f.dir.join("public-warwick");
    let o = csa(&[
        "assess",
        "--config",
        cfg_w.to_str().unwrap(),
        "--out",
        public.to_str().unwrap(),
        "--edition",
        "public",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(public.join("tables/peer_rates.csv")).unwrap();
    // the CSP's count is the priority's total (39 ASB records in Warwick's wards)
    assert!(text.lines().any(|l| l.starts_with("ASB,CSP,Warwick,E07000222,,39,")), "{text}");
    // North Warwickshire's 3 ASB records are hidden, and its rate with them
    let nw = text.lines().find(|l| l.starts_with("ASB,district,North Warwickshire")).unwrap();
    assert!(nw.contains("<5") && !nw.contains(",3,"), "{nw}");

    // csa quarterly: the targets file's indicator and both recommendations' measures
    std::fs::write(f.dir.join("targets.toml"), "[[indicator]]\npriority = \"ASB\"\n").unwrap();
    let q = f.dir.join("q");
    let o = csa(&[
        "quarterly",
        "--config",
        cfg.to_str().unwrap(),
        "--quarter",
        "2025Q1",
        "--targets",
        f.dir.join("targets.toml").to_str().unwrap(),
        "--out",
        q.to_str().unwrap(),
        "--log-format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the files the run says it wrote are the files there: a priority tracked twice (the
    // targets file's ASB and recommendation R2's) has one control chart, drawn once
    let said = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["files"].as_u64())
        .expect("a log line with the files written");
    let there = std::fs::read_dir(&q).unwrap().count() - 1
        + std::fs::read_dir(q.join("charts")).unwrap().count();
    assert_eq!(said as usize, there);
    let mut r = csv::Reader::from_path(q.join("performance.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let rows: Vec<BTreeMap<String, String>> = r
        .records()
        .map(|x| {
            h.iter().zip(x.unwrap().iter()).map(|(a, b)| (a.to_string(), b.to_string())).collect()
        })
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[0]["indicator"].as_str(), rows[0]["recommendation_id"].as_str()), ("ASB", ""));
    let b = &rows[1];
    // Burglary 2025 Q1 = 3 x (2 + 5) = 21 against 2024 Q1 = 3 x (1 + 10) = 33; target 10% below
    assert_eq!(
        (b["indicator"].as_str(), b["recommendation_id"].as_str(), b["owner"].as_str()),
        ("Burglary", "B1", "City Tasking")
    );
    assert_eq!(
        (
            b["count"].as_str(),
            b["same_quarter_last_year"].as_str(),
            b["target"].as_str(),
            b["on_target"].as_str()
        ),
        ("21", "33", "29.7", "yes")
    );
    assert_eq!(
        (rows[2]["recommendation_id"].as_str(), rows[2]["aim"].as_str()),
        ("R2", "increase")
    );
    // its sentence names the recommendation and owner
    let json = std::fs::read_to_string(q.join("performance.json")).unwrap();
    assert!(
        json.contains("Burglary (B1, City Tasking) down 36% (-12) on the same quarter last year (21 against 33)"),
        "{json}"
    );
}
