//! The shipped population tables (`data/population/`) against the census: every ward has a
//! figure, every dimension of a ward adds up to its residents, the wards of each local
//! authority add up to the authority's own census tables, and (with `../shared`) the tables
//! sum to the Census 2021 totals within the published perturbation.
//!
//! Census 2021 tables are perturbed independently ("counts perturbed by small amounts"), by
//! about one person per cell: per LSOA the TS008 total differs from TS001's with a standard
//! deviation of 0.8 and the five-cell TS021 total with 2.0 (see data/README.md). A sum over
//! k perturbed cells may therefore differ from another table's by about sqrt(k); the bound
//! used here is 4 sqrt(k).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::io::Read;

const LADS: [&str; 6] =
    ["E08000026", "E07000218", "E07000219", "E07000220", "E07000221", "E07000222"];

struct Ward {
    lad: String,
    residents: f64,
    households: f64,
    lsoas: f64,
}

fn wards() -> BTreeMap<String, Ward> {
    let mut r = csv::Reader::from_path(common::data("data/population/wards-2025.csv")).unwrap();
    r.deserialize::<BTreeMap<String, String>>()
        .map(|x| {
            let x = x.unwrap();
            let n = |c: &str| x[c].parse::<f64>().unwrap();
            (
                x["ward_code"].clone(),
                Ward {
                    lad: x["lad_code"].clone(),
                    residents: n("residents_2021"),
                    households: n("households_2011"),
                    lsoas: n("lsoas"),
                },
            )
        })
        .collect()
}

/// (area_code, area_type, lad_code, dimension, group, residents, source)
type GroupRow = (String, String, String, String, String, f64, String);

fn groups() -> Vec<GroupRow> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(common::data("data/population/groups-2025.csv.gz")).unwrap(),
    )
    .read_to_string(&mut text)
    .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["area_code", "area_type", "lad_code", "dimension", "group", "residents", "source"]
    );
    r.deserialize().map(|x| x.unwrap()).collect()
}

/// Sum of `residents` per (area, dimension).
fn sums(rows: &[GroupRow]) -> BTreeMap<(String, String), f64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry((r.0.clone(), r.3.clone())).or_default() += r.5;
    }
    out
}

#[test]
fn every_ward_has_figures_that_add_up_to_its_residents() {
    let w = wards();
    let g = groups();
    assert_eq!(w.len(), 126, "Coventry's 18 wards and the Warwickshire districts' 108");
    for (code, ward) in &w {
        assert!(ward.residents > 0.0 && ward.households > 0.0 && ward.lsoas >= 1.0, "{code}");
    }
    // the three wards that were no LSOA's largest overlap now have a figure
    for code in ["E05015108", "E05015110", "E05015137"] {
        assert!(w[code].residents > 2000.0, "{code}");
    }
    // every dimension of every ward adds up to the ward's residents, exactly
    let s = sums(&g);
    for (code, ward) in &w {
        for d in ["ethnicity", "sex", "age"] {
            assert_eq!(s[&(code.clone(), d.to_string())], ward.residents, "{code} {d}");
        }
    }
    // the groups are the ones csa labels: 5 ethnic groups, 2 sexes, single years 0-99, 100+
    let ward_rows: Vec<&GroupRow> = g.iter().filter(|r| r.0 == "E05001218").collect();
    let groups_of = |d: &str| -> Vec<&str> {
        ward_rows.iter().filter(|r| r.3 == d).map(|r| r.4.as_str()).collect()
    };
    assert_eq!(groups_of("ethnicity"), ["Asian", "Black", "Mixed", "White", "Other"]);
    assert_eq!(groups_of("sex"), ["female", "male"]);
    let ages = groups_of("age");
    assert_eq!((ages.len(), ages[0], ages[100]), (101, "0", "100+"));
    // age is labelled as coming from MSOAs in every ward, from the authority's table for it
    assert!(g.iter().filter(|r| r.3 == "age").all(|r| {
        (r.1 == "ward" && r.6 == "TS007 MSOA") || (r.1 == "lad" && r.6 == "TS007 LA")
    }));
}

#[test]
fn wards_add_up_to_their_local_authority_within_the_perturbation() {
    let w = wards();
    let g = groups();
    let s = sums(&g);
    for lad in LADS {
        let ws: Vec<&Ward> = w.values().filter(|x| x.lad == lad).collect();
        let lsoas: f64 = ws.iter().map(|x| x.lsoas).sum();
        let residents: f64 = ws.iter().map(|x| x.residents).sum();
        for d in ["ethnicity", "sex", "age"] {
            let la = s[&(lad.to_string(), d.to_string())];
            // ward side: the LSOA cells summed (at most 6 per LSOA: 5 groups and a total);
            // authority side: at most 101 cells
            let k = lsoas * 6.0 + 101.0;
            assert!(
                (residents - la).abs() <= 4.0 * k.sqrt(),
                "{lad} {d}: wards {residents} against the authority's {la}"
            );
        }
    }
}

/// TS001 usual residents of each authority, summed over its LSOAs.
fn ts001_by_lad() -> Option<BTreeMap<String, (f64, usize)>> {
    let lookup = common::shared("lookups/LSOA21_WD24_LAD24_EW_LU.csv")?;
    let ts001 = common::shared("population/census2021_TS001_usual_residents_LSOA21.csv")?;
    let text = std::fs::read_to_string(lookup).unwrap();
    let mut lad_of = BTreeMap::new();
    for r in csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .deserialize::<BTreeMap<String, String>>()
    {
        let r = r.unwrap();
        if LADS.contains(&r["LAD24CD"].as_str()) {
            lad_of.insert(r["LSOA21CD"].clone(), r["LAD24CD"].clone());
        }
    }
    let mut out: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for r in csv::Reader::from_path(ts001).unwrap().deserialize::<BTreeMap<String, String>>() {
        let r = r.unwrap();
        if let (Some(lad), Ok(n)) = (lad_of.get(&r["mnemonic"]), r["total"].parse::<f64>()) {
            let e = out.entry(lad.clone()).or_default();
            e.0 += n;
            e.1 += 1;
        }
    }
    Some(out)
}

#[test]
fn shipped_tables_sum_to_the_census_totals() {
    let Some(ts001) = ts001_by_lad() else {
        eprintln!("skipped: ../shared/data/real is not beside the clone");
        return;
    };
    // as published: Coventry 345,312 residents over 203 LSOAs
    assert_eq!(ts001["E08000026"], (345_312.0, 203));
    let w = wards();
    let s = sums(&groups());
    for lad in LADS {
        let (total, lsoas) = ts001[lad];
        let residents: f64 = w.values().filter(|x| x.lad == lad).map(|x| x.residents).sum();
        // wards: Coventry's census ward table (18 wards x 5 cells) or the LSOAs themselves
        let k = (lsoas * 5 + 90) as f64;
        assert!(
            (residents - total).abs() <= 4.0 * k.sqrt(),
            "{lad}: wards {residents}, TS001 {total}"
        );
        for d in ["ethnicity", "sex", "age"] {
            let la = s[&(lad.to_string(), d.to_string())];
            let k = (lsoas * 6 + 101) as f64;
            assert!((la - total).abs() <= 4.0 * k.sqrt(), "{lad} {d}: {la}, TS001 {total}");
        }
    }
    // the local-authority rows are the census's own tables, unchanged
    let Some(ts008) = common::shared("population/census2021_TS008_sex_LTLA_EW.csv") else {
        return;
    };
    let g = groups();
    for r in csv::Reader::from_path(ts008).unwrap().deserialize::<BTreeMap<String, String>>() {
        let r = r.unwrap();
        let code = &r["geography code"];
        if !LADS.contains(&code.as_str()) {
            continue;
        }
        for (sex, col) in
            [("female", "Sex: Female; measures: Value"), ("male", "Sex: Male; measures: Value")]
        {
            let shipped = g.iter().find(|x| &x.0 == code && x.3 == "sex" && x.4 == sex).unwrap();
            assert_eq!(shipped.5, r[col].parse::<f64>().unwrap(), "{code} {sex}");
        }
    }
    // Coventry's ward ethnic groups are the census ward table's, unchanged
    let Some(wt) =
        common::shared("population/census2021_TS021_ethnic_group_20cat_WD22_Coventry.csv")
    else {
        return;
    };
    let mut checked = 0;
    for r in csv::Reader::from_path(wt).unwrap().deserialize::<BTreeMap<String, String>>() {
        let r = r.unwrap();
        let code = &r["geography code"];
        let asian = r["Ethnic group: Asian, Asian British or Asian Welsh"].parse::<f64>().unwrap();
        let shipped =
            g.iter().find(|x| &x.0 == code && x.3 == "ethnicity" && x.4 == "Asian").unwrap();
        assert_eq!(shipped.5, asian, "{code}");
        assert_eq!(
            w[code].residents,
            r["Ethnic group: Total: All usual residents"].parse::<f64>().unwrap()
        );
        checked += 1;
    }
    assert_eq!(checked, 18);
}
