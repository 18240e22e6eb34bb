//! The public role's adapter to the public edition: every table a `public` user gets (page,
//! download or API) goes through [`publish`], which hands it to the publication entry point
//! of `csa assess --edition public` ([`csa_report::table::Table::publish`], disclosure control
//! in [`csa_analysis::disclosure`]) with the roles and protection the pack gives the same
//! table. Nothing else in the server decides what the public may see, so when the public
//! edition's rules change (linked tables, interval audits) this module is the one place to
//! re-point.
//!
//! | view | protection (as in the pack) |
//! |---|---|
//! | counts, no dimension | primary: a total of 1 to 4 shows as `<5` |
//! | counts, one dimension | a list with its published total: primary `<5` and secondary `*` in `count` and in `comparison` |
//! | counts, two dimensions | each count column as a two-way table with its margins (the pack's age x sex matrices); cells the margins would give back are hidden too, zero cells included (they then get a row) |
//! | counts, three or four dimensions | refused: the pack publishes no table of more than two dimensions |
//! | volume | primary, per priority |
//! | repeat-victims, repeat-offenders | primary on the counts; every share hidden when a count is |
//! | prolific | refused: person-level (pseudonymised offenders are not in the public edition) |
//! | top-locations | places with 1 to 4 records left out; no easting or northing |
//! | day-hour | the day x hour matrix with its totals |
//! | equalities | a list per dimension; people per group protected against the known total |
//! | quarterly | primary on every count; a row's derived figures and its exception hidden with them |
//!
//! Derived figures (change, %, rates, ratios) of a hidden count are hidden with it.

use csa_analysis::disclosure::THRESHOLD;
use csa_analysis::names;
use csa_analysis::views::{Answer, View};
use csa_analysis::Dim;
use csa_report::table::{Cell, Protect, Role, Table};
use polars::prelude::DataFrame;

use crate::error::{Result, ServeError};

/// At most this many dimensions in a public breakdown.
pub const MAX_PUBLIC_DIMS: usize = 2;

/// A table as the public edition publishes it, with the answer's totals.
#[derive(Debug, Clone)]
pub struct Published {
    pub table: Table,
    /// Total and comparison total, `<5` when 1 to 4.
    pub totals: Option<(Cell, Cell)>,
}

/// Whether the public edition carries `view` by `dims` at all (403 otherwise, saying why).
pub fn allowed(view: View, dims: &[Dim]) -> Result<()> {
    if view == View::Prolific {
        return Err(ServeError::Forbidden(
            "the prolific offenders table is person-level and not part of the public edition"
                .into(),
        ));
    }
    if dims.len() > MAX_PUBLIC_DIMS {
        return Err(ServeError::Forbidden(format!(
            "the public edition publishes breakdowns by at most {MAX_PUBLIC_DIMS} dimensions ({} asked for)",
            dims.len()
        )));
    }
    Ok(())
}

/// A count as published alone (primary rule only).
pub fn count_cell(v: u64) -> Cell {
    if (1..THRESHOLD).contains(&v) {
        Cell::Hidden(csa_analysis::disclosure::Shown::Primary)
    } else {
        Cell::Int(v as i64)
    }
}

/// The published form of `answer` (the answer of `view` by `dims`).
pub fn publish(view: View, dims: &[Dim], answer: &Answer) -> Result<Published> {
    allowed(view, dims)?;
    let name = view.name();
    let df = &answer.table;
    let mut t = match view {
        View::Counts => match dims.len() {
            0 => Table::from_df(name, &answer.title, df, Protect::Primary)?,
            1 => Table::from_df(name, &answer.title, df, Protect::Columns { group: vec![] })?,
            _ => two_way(name, &answer.title, df, dims)?,
        },
        View::Volume => Table::from_df(name, &answer.title, df, Protect::Primary)?,
        View::RepeatVictims | View::RepeatOffenders => measures(name, &answer.title, df)?,
        View::TopLocations => {
            let mut t = Table::from_df(name, &answer.title, df, Protect::Primary)?;
            t.restricted_columns = vec![names::EASTING.into(), names::NORTHING.into()];
            t.drop_small_rows = true;
            t
        }
        View::DayHour => day_hour(name, &answer.title, df)?,
        View::EqualitiesVictims | View::EqualitiesOffenders => {
            let mut t = Table::from_df(
                name,
                &answer.title,
                df,
                Protect::Columns { group: vec![names::DIMENSION.into()] },
            )?;
            t.set_role(names::PEOPLE, Role::Count);
            t
        }
        View::Prolific => unreachable!("refused by allowed()"),
    };
    t.publish();
    let totals = answer.totals.map(|(c, p)| (count_cell(c), p.map_or(Cell::Null, count_cell)));
    Ok(Published { table: t, totals })
}

/// The quarterly performance table as published: every count primary-suppressed; the
/// derived figures, RAG and target judgement of a row with a hidden count hidden with it.
pub fn publish_performance(df: &DataFrame) -> Result<Table> {
    let mut t = Table::from_df("performance", "Quarterly performance", df, Protect::Primary)?;
    for (j, c) in t.columns.clone().iter().enumerate() {
        t.roles[j] = match c.as_str() {
            names::INDICATOR | names::AIM => Role::Key,
            names::COUNT
            | names::SAME_QUARTER_LAST_YEAR
            | names::PREVIOUS_QUARTER
            | names::ROLLING_12
            | names::ROLLING_12_BEFORE
            | names::YEAR_TO_DATE
            | names::YEAR_TO_DATE_LAST_YEAR
            | names::BASELINE => Role::Count,
            _ => Role::Derived,
        };
    }
    t.publish();
    Ok(t)
}

/// A long table of two dimensions, each count column protected as a matrix (rows: the
/// first dimension's groups, columns: the second's) with its margins.
fn two_way(name: &str, title: &str, df: &DataFrame, dims: &[Dim]) -> Result<Table> {
    let mut t = Table::from_df(name, title, df, Protect::Primary)?;
    let n1 = dims[0].output_columns().len();
    let n2 = dims[1].output_columns().len();
    let (k1, k2): (Vec<usize>, Vec<usize>) = ((0..n1).collect(), (n1..n1 + n2).collect());
    let key =
        |r: &[Cell], cols: &[usize]| -> Vec<String> { cols.iter().map(|&j| r[j].text()).collect() };
    // distinct groups in table order, with their key cells
    let mut g1: Vec<(Vec<String>, Vec<Cell>)> = Vec::new();
    let mut g2: Vec<(Vec<String>, Vec<Cell>)> = Vec::new();
    let mut at: std::collections::HashMap<(usize, usize), usize> = Default::default();
    for (i, r) in t.rows.iter().enumerate() {
        let index = |g: &mut Vec<(Vec<String>, Vec<Cell>)>, cols: &[usize]| {
            let k = key(r, cols);
            match g.iter().position(|(x, _)| *x == k) {
                Some(p) => p,
                None => {
                    g.push((k, cols.iter().map(|&j| r[j].clone()).collect()));
                    g.len() - 1
                }
            }
        };
        let (a, b) = (index(&mut g1, &k1), index(&mut g2, &k2));
        at.insert((a, b), i);
    }
    let mut extra: Vec<(usize, usize)> = Vec::new();
    let mut hide: Vec<((usize, usize), usize, Cell)> = Vec::new();
    let mut protected: Vec<usize> = Vec::new();
    for col in [names::COUNT, names::COMPARISON] {
        let Some(j) = t.col(col) else { continue };
        if t.rows.iter().all(|r| matches!(r[j], Cell::Null)) {
            continue; // no comparison data: nothing shown, nothing to protect
        }
        protected.push(j);
        let mut m = Table::new(
            "matrix",
            "",
            &std::iter::once("key")
                .chain(g2.iter().map(|_| "c"))
                .chain(std::iter::once("total"))
                .collect::<Vec<_>>(),
            &std::iter::once(Role::Key)
                .chain(std::iter::repeat_n(Role::Count, g2.len() + 1))
                .collect::<Vec<_>>(),
            Protect::Matrix { total_row: true },
        );
        let mut totals = vec![0i64; g2.len() + 1];
        for a in 0..g1.len() {
            let mut row = vec![Cell::Text(a.to_string())];
            let mut sum = 0;
            for (b, tot) in totals.iter_mut().enumerate().take(g2.len()) {
                let v = at.get(&(a, b)).and_then(|&i| t.rows[i][j].as_i64()).unwrap_or(0);
                sum += v;
                *tot += v;
                row.push(Cell::Int(v));
            }
            totals[g2.len()] += sum;
            row.push(Cell::Int(sum));
            m.rows.push(row);
        }
        m.rows.push(
            std::iter::once(Cell::Text("total".into()))
                .chain(totals.into_iter().map(Cell::Int))
                .collect(),
        );
        m.publish();
        for a in 0..g1.len() {
            for b in 0..g2.len() {
                let c = &m.rows[a][b + 1];
                if c.is_hidden() {
                    if !at.contains_key(&(a, b)) && !extra.contains(&(a, b)) {
                        extra.push((a, b));
                    }
                    hide.push(((a, b), j, c.clone()));
                }
            }
        }
    }
    // hidden zero cells get a row of their own (absent, they would read as 0)
    for &(a, b) in &extra {
        let mut row = vec![Cell::Null; t.columns.len()];
        for (x, &j) in k1.iter().enumerate() {
            row[j] = g1[a].1[x].clone();
        }
        for (x, &j) in k2.iter().enumerate() {
            row[j] = g2[b].1[x].clone();
        }
        for &j in &protected {
            row[j] = Cell::Int(0);
        }
        at.insert((a, b), t.rows.len());
        t.rows.push(row);
    }
    for ((a, b), j, c) in hide {
        if let Some(&i) = at.get(&(a, b)) {
            t.rows[i][j] = c;
        }
    }
    Ok(t)
}

/// The repeats table (`measure`, `value`): the counts and shares of one side, published as
/// the pack publishes them (one row of counts, primary; the shares hidden with any count).
fn measures(name: &str, title: &str, df: &DataFrame) -> Result<Table> {
    let long = Table::from_df(name, title, df, Protect::Primary)?;
    let (Some(m), Some(v)) = (long.col(names::MEASURE), long.col(names::VALUE)) else {
        return Err(crate::error::internal("the repeats table has no measure or value column"));
    };
    let labels: Vec<String> = long.rows.iter().map(|r| r[m].text()).collect();
    let roles: Vec<Role> =
        labels.iter().map(|l| if l.contains('%') { Role::Derived } else { Role::Small }).collect();
    let mut wide = Table::new(
        name,
        title,
        &labels.iter().map(String::as_str).collect::<Vec<_>>(),
        &roles,
        Protect::Primary,
    );
    wide.rows.push(long.rows.iter().map(|r| r[v].clone()).collect());
    wide.publish();
    let mut out = long.clone();
    for (i, r) in out.rows.iter_mut().enumerate() {
        r[v] = wide.rows[0][i].clone();
    }
    out.suppressed = wide.suppressed;
    Ok(out)
}

/// The day x hour table with its "All days" total row, protected as a matrix (as the pack).
fn day_hour(name: &str, title: &str, df: &DataFrame) -> Result<Table> {
    let mut t = Table::from_df(name, title, df, Protect::Matrix { total_row: true })?;
    for j in 1..t.columns.len() {
        t.roles[j] = Role::Count;
    }
    let mut total = vec![Cell::Text("All days".into())];
    for j in 1..t.columns.len() {
        total.push(Cell::Int(t.rows.iter().map(|r| r[j].as_i64().unwrap_or(0)).sum()));
    }
    t.rows.push(total);
    Ok(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use csa_analysis::breakdown::{float_col, int_col, text_col};

    fn answer(table: DataFrame, totals: Option<(u64, Option<u64>)>) -> Answer {
        Answer { title: "t".into(), unit: "u".into(), periods: None, totals, notes: vec![], table }
    }

    fn numbers(t: &Table) -> Vec<i64> {
        t.rows.iter().flatten().filter_map(|c| c.as_i64()).collect()
    }

    #[test]
    fn one_way_list_hides_small_counts_and_a_partner() {
        let df = DataFrame::new(
            4,
            vec![
                text_col("crime_type", ["A", "B", "C", "D"].iter().map(|s| Some(s.to_string()))),
                int_col("count", [40i64, 3, 12, 25].iter().map(|v| Some(*v))),
                int_col("comparison", [38i64, 10, 12, 2].iter().map(|v| Some(*v))),
                float_col("share_pct", [50.0, 3.75, 15.0, 31.25].iter().map(|v| Some(*v))),
            ],
        )
        .unwrap();
        let p =
            publish(View::Counts, &[Dim::CrimeType], &answer(df, Some((80, Some(62))))).unwrap();
        let t = &p.table;
        assert_eq!(t.get(1, "count").text(), "<5");
        assert_eq!(t.get(2, "count").text(), "*", "the cheapest partner of 3 is 12");
        assert!(t.get(1, "share_pct").is_hidden() && t.get(2, "share_pct").is_hidden());
        assert_eq!(t.get(3, "comparison").text(), "<5");
        assert!(numbers(t).iter().all(|v| !(1..5).contains(v)));
        assert_eq!(p.totals.unwrap().0, Cell::Int(80));
    }

    #[test]
    fn two_way_protects_rows_and_columns_and_shows_hidden_zeros() {
        // sex x age: a 2 in (F, 0-17); (M, 0-17) absent = 0
        let df = DataFrame::new(
            5,
            vec![
                text_col(
                    "victim_sex",
                    ["F", "F", "F", "M", "M"].iter().map(|s| Some(s.to_string())),
                ),
                text_col(
                    "victim_age_band",
                    ["0-17", "18-64", "65+", "18-64", "65+"].iter().map(|s| Some(s.to_string())),
                ),
                int_col("count", [2i64, 30, 9, 35, 11].iter().map(|v| Some(*v))),
                int_col("comparison", [None, None, None, None, None].into_iter()),
            ],
        )
        .unwrap();
        let p = publish(
            View::Counts,
            &[Dim::VictimSex, Dim::VictimAgeBand],
            &answer(df, Some((87, None))),
        )
        .unwrap();
        let t = &p.table;
        assert_eq!(t.get(0, "count").text(), "<5");
        // the margins an attacker has are the one-way breakdowns (published by the same code):
        // sex F 41, M 46 shown; age 0-17 <5 (2), 65+ * (20, its cheapest partner), 18-64 65
        let one_way = |col: &str, keys: &[&str], counts: &[i64]| {
            let df = DataFrame::new(
                keys.len(),
                vec![
                    text_col(col, keys.iter().map(|s| Some(s.to_string()))),
                    int_col("count", counts.iter().map(|v| Some(*v))),
                ],
            )
            .unwrap();
            let d = if col == "victim_sex" { Dim::VictimSex } else { Dim::VictimAgeBand };
            publish(View::Counts, &[d], &answer(df, Some((87, None)))).unwrap().table
        };
        let sexes = one_way("victim_sex", &["F", "M"], &[41, 46]);
        let ages = one_way("victim_age_band", &["0-17", "18-64", "65+"], &[2, 65, 20]);
        assert_eq!(
            ages.rows.iter().map(|r| r[1].text()).collect::<Vec<_>>(),
            vec!["<5", "65", "*"]
        );
        // no line (a sex or an age band) has exactly one unknown among its cells and its
        // published margin: no hidden cell is given back by subtraction
        let hidden = |f: &dyn Fn(&Vec<Cell>) -> bool| {
            t.rows.iter().filter(|r| f(r) && r[2].is_hidden()).count()
        };
        for (i, sex) in ["F", "M"].iter().enumerate() {
            let margin = usize::from(sexes.rows[i][1].is_hidden());
            assert_ne!(hidden(&|r: &Vec<Cell>| r[0].text() == *sex) + margin, 1, "{sex}");
        }
        for (i, age) in ["0-17", "18-64", "65+"].iter().enumerate() {
            let margin = usize::from(ages.rows[i][1].is_hidden());
            assert_ne!(hidden(&|r: &Vec<Cell>| r[1].text() == *age) + margin, 1, "{age}");
        }
        assert!(t.rows.iter().filter(|r| r[2].is_hidden()).count() >= 2);
        assert!(numbers(t).iter().all(|v| !(1..5).contains(v)));
        assert!(publish(
            View::Counts,
            &[Dim::Ward, Dim::Hour, Dim::Month],
            &answer(DataFrame::empty(), None)
        )
        .is_err());
        assert_eq!(allowed(View::Prolific, &[]).unwrap_err().status(), 403);
    }

    #[test]
    fn repeats_hide_shares_with_counts() {
        let df = DataFrame::new(
            3,
            vec![
                text_col(
                    "measure",
                    ["victims", "repeat victims (2+ crimes)", "repeat victims, % of victims"]
                        .iter()
                        .map(|s| Some(s.to_string())),
                ),
                float_col("value", [50.0, 3.0, 6.0].iter().map(|v| Some(*v))),
            ],
        )
        .unwrap();
        let p = publish(View::RepeatVictims, &[], &answer(df, None)).unwrap();
        let v: Vec<String> = p.table.rows.iter().map(|r| r[1].text()).collect();
        assert_eq!(v, vec!["50", "<5", "*"]);
    }
}
