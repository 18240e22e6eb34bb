//! A table of the pack: named columns with a role each, and how it is protected in the public
//! edition.
//!
//! Roles: a **key** labels the row (ward, month, group); a **count** counts records or
//! people and takes part in secondary suppression; a **small** count is only primary
//! suppressed (it adds up to no published total: distinct people, respondents of a multi-pick
//! question); a **derived** figure is computed from the row's counts (change, %, rate) and is
//! hidden with them; **other** figures (population, scores, z-values) are never hidden.
//!
//! Publication ([`Table::publish`], public edition only):
//! - `Protect::Primary`: every count and small count of 1 to 4 shows as "<5";
//! - `Protect::Columns { group }`: each count column, within each group of rows (rows with
//!   the same values in the `group` columns; all rows when it is empty), is a list whose total is published elsewhere: protected as a
//!   one-column table with [`csa_analysis::disclosure::protect`] (primary "<5" and secondary
//!   "*");
//! - `Protect::Matrix`: the count columns are a two-way table whose last count column is the
//!   row total; the last row is the column totals when `total_row`, and is assumed published
//!   either way (the safe assumption). Protected as a whole.
//!
//! Then, in every row with a hidden count, the derived figures that depend on a hidden count
//! are hidden too ("*"): `change` and `change_pct` on `count` and `comparison`,
//! `comparison_rate_per_1000` on `comparison`, the rest on any hidden count of the row.

use csa_analysis::disclosure::{protect, Shown, THRESHOLD};
use csa_analysis::error::internal;
use csa_analysis::Result;
use polars::prelude::*;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    /// A suppressed count (its real value is kept out of the published table).
    Hidden(Shown),
}

impl Cell {
    /// The text of the cell in CSV and the report: numbers plain, hidden as "<5" or "*".
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(v) => csa_analysis::export::fmt_float(*v),
            Cell::Text(s) => s.clone(),
            Cell::Hidden(s) => hidden_text(*s),
        }
    }

    /// The text for reading: thousands separators, 2 decimals at most, "-" for nothing.
    pub fn display(&self) -> String {
        match self {
            Cell::Null => "-".into(),
            Cell::Int(v) => csa_charts::charts::fmt_count(*v as f64),
            Cell::Float(v) if v.abs() >= 1000.0 => csa_charts::charts::fmt_count(v.round()),
            Cell::Float(v) => {
                let s = format!("{v:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            other => other.text(),
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(*v),
            Cell::Float(v) if v.fract() == 0.0 => Some(*v as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(v) => Some(*v as f64),
            Cell::Float(v) => Some(*v),
            _ => None,
        }
    }

    pub fn is_hidden(&self) -> bool {
        matches!(self, Cell::Hidden(_))
    }
}

/// How a hidden count is published.
pub fn hidden_text(s: Shown) -> String {
    match s {
        Shown::Primary => format!("<{THRESHOLD}"),
        _ => "*".into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Key,
    Count,
    Small,
    Derived,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protect {
    Primary,
    Columns { group: Vec<String> },
    Matrix { total_row: bool },
}

#[derive(Debug, Clone)]
pub struct Table {
    /// File stem and sheet name: lower case, underscores.
    pub name: String,
    pub title: String,
    pub columns: Vec<String>,
    pub roles: Vec<Role>,
    pub rows: Vec<Vec<Cell>>,
    pub protect: Protect,
    /// Columns left out of the public edition (point locations).
    pub restricted_columns: Vec<String>,
    /// Whether the public edition carries the table at all (no person-level tables).
    pub public: bool,
    /// Public edition: rows whose `count` (or `respondents`) is 1 to 4 are left out, not
    /// shown as "<5" (a named place or a free-text answer with a small count says too much).
    pub drop_small_rows: bool,
    /// Hidden cells after publication: (primary, secondary including derived).
    pub suppressed: (usize, usize),
}

/// The table called `name`.
pub fn find<'a>(tables: &'a [Table], name: &str) -> Option<&'a Table> {
    tables.iter().find(|t| t.name == name)
}

/// The role a column of an analysis table has, by its name (see [`csa_analysis::names`]).
pub fn role_of(name: &str) -> Role {
    use csa_analysis::names as n;
    match name {
        n::COUNT | n::COMPARISON | n::YES | n::NO | n::NOT_ANSWERED => Role::Count,
        n::PEOPLE | n::POINTS | n::RESPONDENTS | n::BASE | n::KNOWN | n::UNKNOWN | n::CRIMES => {
            Role::Small
        }
        n::CHANGE
        | n::CHANGE_PCT
        | n::SHARE_PCT
        | n::RATE_PER_1000
        | n::COMPARISON_RATE_PER_1000
        | n::HARM_CSS
        | n::HARM_CSS_PER_HEAD
        | n::HARM_CHI
        | n::GROUP_SHARE_PCT
        | n::RATIO
        | n::RATIO_LOW
        | n::RATIO_HIGH
        | n::FINDING
        | n::CI_LOW_PCT
        | n::CI_HIGH_PCT => Role::Derived,
        n::POPULATION
        | n::DENOMINATOR
        | n::HARM_COVERAGE_PCT
        | n::HARM_ESTIMATED_PCT
        | n::POPULATION_SHARE_PCT
        | n::NOTE => Role::Other,
        _ if name.ends_with("_pct") => Role::Derived,
        _ => Role::Key,
    }
}

impl Table {
    pub fn new(
        name: &str,
        title: &str,
        columns: &[&str],
        roles: &[Role],
        protect: Protect,
    ) -> Table {
        Table {
            name: name.into(),
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            roles: roles.to_vec(),
            rows: Vec::new(),
            protect,
            restricted_columns: Vec::new(),
            public: true,
            drop_small_rows: false,
            suppressed: (0, 0),
        }
    }

    /// A table from an analysis DataFrame, roles by column name.
    pub fn from_df(name: &str, title: &str, df: &DataFrame, protect: Protect) -> Result<Table> {
        let columns: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
        let roles: Vec<Role> = columns.iter().map(|c| role_of(c)).collect();
        let mut rows = vec![Vec::with_capacity(columns.len()); df.height()];
        for c in df.columns() {
            let cells: Vec<Cell> = match c.dtype() {
                DataType::Int64
                | DataType::Int32
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Int8
                | DataType::UInt8 => {
                    let ca = c.cast(&DataType::Int64).map_err(internal)?;
                    ca.i64()
                        .map_err(internal)?
                        .iter()
                        .map(|v| v.map_or(Cell::Null, Cell::Int))
                        .collect()
                }
                DataType::Float64 | DataType::Float32 => {
                    let ca = c.cast(&DataType::Float64).map_err(internal)?;
                    ca.f64()
                        .map_err(internal)?
                        .iter()
                        .map(|v| v.filter(|x| x.is_finite()).map_or(Cell::Null, Cell::Float))
                        .collect()
                }
                _ => (0..df.height())
                    .map(|r| {
                        let (s, null) = csa_analysis::export::cell(c, r);
                        if null {
                            Cell::Null
                        } else {
                            Cell::Text(s)
                        }
                    })
                    .collect(),
            };
            for (r, cell) in cells.into_iter().enumerate() {
                rows[r].push(cell);
            }
        }
        Ok(Table {
            rows,
            ..Table::new(
                name,
                title,
                &columns.iter().map(String::as_str).collect::<Vec<_>>(),
                &roles,
                protect,
            )
        })
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cell of `row` in column `name`.
    pub fn get(&self, row: usize, name: &str) -> &Cell {
        static NULL: Cell = Cell::Null;
        self.col(name).and_then(|j| self.rows.get(row).map(|r| &r[j])).unwrap_or(&NULL)
    }

    /// The first row whose column `key` has the text `value`.
    pub fn find(&self, key: &str, value: &str) -> Option<usize> {
        let j = self.col(key)?;
        self.rows.iter().position(|r| matches!(&r[j], Cell::Text(s) if s == value))
    }

    pub fn set_role(&mut self, name: &str, role: Role) {
        if let Some(j) = self.col(name) {
            self.roles[j] = role;
        }
    }

    /// Removes column `name` (when present).
    pub fn drop_column(&mut self, name: &str) {
        if let Some(j) = self.col(name) {
            self.columns.remove(j);
            self.roles.remove(j);
            for r in &mut self.rows {
                r.remove(j);
            }
        }
    }

    /// The columns with the count roles (what the public edition protects).
    pub fn count_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .zip(&self.roles)
            .filter(|(_, r)| matches!(r, Role::Count | Role::Small))
            .map(|(c, _)| c.as_str())
            .collect()
    }

    /// Applies disclosure control (see the module header). Restricted columns are dropped.
    pub fn publish(&mut self) {
        for c in self.restricted_columns.clone() {
            self.drop_column(&c);
        }
        if self.drop_small_rows {
            let j = self
                .col(csa_analysis::names::COUNT)
                .or_else(|| self.col(csa_analysis::names::RESPONDENTS));
            if let Some(j) = j {
                self.rows.retain(
                    |r| !matches!(r[j].as_i64(), Some(v) if (1..THRESHOLD as i64).contains(&v)),
                );
            }
        }
        let counts: Vec<usize> =
            (0..self.columns.len()).filter(|&j| self.roles[j] == Role::Count).collect();
        let smalls: Vec<usize> =
            (0..self.columns.len()).filter(|&j| self.roles[j] == Role::Small).collect();
        let value = |c: &Cell| c.as_i64().unwrap_or(0).max(0) as u64;
        let mut hide: Vec<(usize, usize, Shown)> = Vec::new();
        let primary_only =
            |rows: &[Vec<Cell>], cols: &[usize], hide: &mut Vec<(usize, usize, Shown)>| {
                for (i, r) in rows.iter().enumerate() {
                    for &j in cols {
                        if matches!(r[j].as_i64(), Some(v) if (1..THRESHOLD as i64).contains(&v)) {
                            hide.push((i, j, Shown::Primary));
                        }
                    }
                }
            };
        match &self.protect {
            Protect::Primary => primary_only(&self.rows, &counts, &mut hide),
            Protect::Columns { group } => {
                let g: Vec<usize> = group.iter().filter_map(|g| self.col(g)).collect();
                let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
                for (i, r) in self.rows.iter().enumerate() {
                    let key: Vec<String> = g.iter().map(|&g| r[g].text()).collect();
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, v)) => v.push(i),
                        None => groups.push((key, vec![i])),
                    }
                }
                for &j in &counts {
                    for (_, members) in &groups {
                        let cells: Vec<Vec<u64>> =
                            members.iter().map(|&i| vec![value(&self.rows[i][j])]).collect();
                        let p = protect(&cells);
                        for (k, &i) in members.iter().enumerate() {
                            let (_, s) = p.at(k, 0);
                            if s.is_hidden() && self.rows[i][j].as_i64().is_some() {
                                hide.push((i, j, s));
                            }
                        }
                    }
                }
            }
            Protect::Matrix { total_row } => {
                if let Some((&total_col, inner)) = counts.split_last() {
                    let body = if *total_row {
                        self.rows.len().saturating_sub(1)
                    } else {
                        self.rows.len()
                    };
                    let cells: Vec<Vec<u64>> = (0..body)
                        .map(|i| inner.iter().map(|&j| value(&self.rows[i][j])).collect())
                        .collect();
                    let p = protect(&cells);
                    for i in 0..=body {
                        if i == body && !*total_row {
                            continue;
                        }
                        for (k, &j) in inner.iter().chain(std::iter::once(&total_col)).enumerate() {
                            let (_, s) = p.at(i, k);
                            if s.is_hidden() {
                                hide.push((i, j, s));
                            }
                        }
                    }
                }
            }
        }
        primary_only(&self.rows, &smalls, &mut hide);
        let (mut primary, mut secondary) = (0, 0);
        for (i, j, s) in hide {
            if !self.rows[i][j].is_hidden() {
                if s == Shown::Primary {
                    primary += 1
                } else {
                    secondary += 1
                }
                self.rows[i][j] = Cell::Hidden(s);
            }
        }
        // derived figures of hidden counts
        let count_col = self.col(csa_analysis::names::COUNT);
        let comparison_col = self.col(csa_analysis::names::COMPARISON);
        for r in &mut self.rows {
            let any = counts.iter().chain(&smalls).any(|&j| r[j].is_hidden());
            if !any {
                continue;
            }
            let hidden = |c: Option<usize>| c.is_some_and(|j| r[j].is_hidden());
            let (count_hidden, comparison_hidden) = (hidden(count_col), hidden(comparison_col));
            for (j, cell) in r.iter_mut().enumerate() {
                if self.roles[j] != Role::Derived || matches!(cell, Cell::Null | Cell::Hidden(_)) {
                    continue;
                }
                use csa_analysis::names as n;
                let hide = match self.columns[j].as_str() {
                    n::CHANGE | n::CHANGE_PCT
                        if count_col.is_some() && comparison_col.is_some() =>
                    {
                        count_hidden || comparison_hidden
                    }
                    n::COMPARISON_RATE_PER_1000 if comparison_col.is_some() => comparison_hidden,
                    n::RATE_PER_1000 | n::SHARE_PCT | n::HARM_CSS | n::HARM_CSS_PER_HEAD
                        if count_col.is_some() =>
                    {
                        count_hidden
                    }
                    _ => true,
                };
                if hide {
                    *cell = Cell::Hidden(Shown::Secondary);
                    secondary += 1;
                }
            }
        }
        self.suppressed = (primary, secondary);
    }

    /// The table as a DataFrame: a column of numbers only stays numeric; a column with a
    /// hidden cell becomes text.
    pub fn to_df(&self) -> Result<DataFrame> {
        let mut cols = Vec::with_capacity(self.columns.len());
        for (j, name) in self.columns.iter().enumerate() {
            let cells = self.rows.iter().map(|r| &r[j]);
            let all = |f: &dyn Fn(&Cell) -> bool| {
                self.rows.iter().all(|r| matches!(r[j], Cell::Null) || f(&r[j]))
            };
            let col = if all(&|c| matches!(c, Cell::Int(_)))
                && self.rows.iter().any(|r| matches!(r[j], Cell::Int(_)))
            {
                Column::new(name.into(), cells.map(Cell::as_i64).collect::<Vec<_>>())
            } else if all(&|c| matches!(c, Cell::Int(_) | Cell::Float(_)))
                && self.rows.iter().any(|r| !matches!(r[j], Cell::Null))
            {
                Column::new(name.into(), cells.map(Cell::as_f64).collect::<Vec<_>>())
            } else {
                Column::new(
                    name.into(),
                    cells
                        .map(|c| if matches!(c, Cell::Null) { None } else { Some(c.text()) })
                        .collect::<Vec<_>>(),
                )
            };
            cols.push(col);
        }
        DataFrame::new(self.rows.len(), cols).map_err(internal)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ward_table() -> Table {
        let mut t = Table::new(
            "wards",
            "Wards",
            &["ward", "count", "comparison", "change", "rate_per_1000", "population"],
            &[Role::Key, Role::Count, Role::Count, Role::Derived, Role::Derived, Role::Other],
            Protect::Columns { group: vec![] },
        );
        for (w, c, p) in [("A", 3i64, 10i64), ("B", 40, 38), ("C", 25, 2), ("D", 12, 12)] {
            t.rows.push(vec![
                Cell::Text(w.into()),
                Cell::Int(c),
                Cell::Int(p),
                Cell::Int(c - p),
                Cell::Float(c as f64 / 2.0),
                Cell::Float(2000.0),
            ]);
        }
        t
    }

    #[test]
    fn columns_hide_small_counts_a_partner_and_their_derived_figures() {
        let mut t = ward_table();
        t.publish();
        // count column: A (3) is primary; the cheapest partner is D (12)
        assert_eq!(t.rows[0][1], Cell::Hidden(Shown::Primary));
        assert_eq!(t.rows[3][1], Cell::Hidden(Shown::Secondary));
        assert_eq!(t.rows[1][1], Cell::Int(40));
        // comparison column: C (2) is primary; its partner is the next smallest, A (10)
        assert_eq!(t.rows[2][2], Cell::Hidden(Shown::Primary));
        assert_eq!(t.rows[0][2], Cell::Hidden(Shown::Secondary));
        // change hidden where either count is; the rate only where the count is
        assert!(t.rows[0][3].is_hidden() && t.rows[2][3].is_hidden() && t.rows[3][3].is_hidden());
        assert_eq!(t.rows[1][3], Cell::Int(2));
        assert!(t.rows[0][4].is_hidden());
        assert_eq!(t.rows[2][4], Cell::Float(12.5));
        // population is never hidden
        assert!(t.rows.iter().all(|r| r[5] == Cell::Float(2000.0)));
        let df = t.to_df().unwrap();
        assert_eq!(df.column("count").unwrap().dtype(), &DataType::String);
        assert_eq!(df.column("population").unwrap().dtype(), &DataType::Float64);
        assert_eq!(t.rows[0][1].text(), "<5");
        assert_eq!(t.rows[3][1].text(), "*");
    }

    #[test]
    fn small_rows_can_be_left_out_instead() {
        let mut t = Table::new(
            "top",
            "Top",
            &["location", "count"],
            &[Role::Key, Role::Count],
            Protect::Primary,
        );
        t.drop_small_rows = true;
        for (l, c) in [("High Street", 12i64), ("Mill Lane", 3), ("Park", 5)] {
            t.rows.push(vec![Cell::Text(l.into()), Cell::Int(c)]);
        }
        t.publish();
        assert_eq!(
            t.rows.iter().map(|r| r[0].text()).collect::<Vec<_>>(),
            vec!["High Street", "Park"]
        );
        assert_eq!(t.suppressed, (0, 0));
    }

    #[test]
    fn matrix_with_totals() {
        let mut t = Table::new(
            "m",
            "M",
            &["age", "female", "male", "total"],
            &[Role::Key, Role::Count, Role::Count, Role::Count],
            Protect::Matrix { total_row: true },
        );
        for (a, f, m) in [("0-17", 2i64, 20i64), ("18-64", 30, 35), ("65+", 9, 11)] {
            t.rows.push(vec![Cell::Text(a.into()), Cell::Int(f), Cell::Int(m), Cell::Int(f + m)]);
        }
        t.rows.push(vec![Cell::Text("Total".into()), Cell::Int(41), Cell::Int(66), Cell::Int(107)]);
        t.publish();
        assert_eq!(t.rows[0][1], Cell::Hidden(Shown::Primary));
        // no row or column with exactly one hidden cell
        for r in &t.rows {
            assert_ne!(r[1..].iter().filter(|c| c.is_hidden()).count(), 1);
        }
        for j in 1..4 {
            assert_ne!(t.rows.iter().filter(|r| r[j].is_hidden()).count(), 1);
        }
    }
}
