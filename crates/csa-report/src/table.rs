//! A table of the pack: named columns with a role each, and how it is protected in the public
//! edition.
//!
//! Roles: a **key** labels the row (ward, month, group); a **count** counts records or
//! people; a **small** count too, but adds up to no published total (distinct people,
//! respondents of a multi-pick question); a **derived** figure is computed from counts
//! (change, %, rate) and is hidden with them; **other** figures (population, scores, z-values)
//! are never hidden.
//!
//! The public edition ([`crate::public`]) keys every count and small count (what it counts),
//! protects them all together and writes `<5` and `*` into the tables
//! ([`Cell::Hidden`]). [`Protect`] says how a table the public edition does not know adds up
//! (a list per column and group of rows, or a two-way table with its margins); the tables it
//! knows are linked by what they count.

use csa_analysis::error::internal;
use csa_analysis::Result;
use csa_disclosure::{Symbol, THRESHOLD};
use polars::prelude::*;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    /// A suppressed count or derived figure (its real value is kept out of the published
    /// table).
    Hidden(Symbol),
}

impl Cell {
    /// The text of the cell in CSV and the report: numbers plain, hidden as "<5" or "*".
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(v) => csa_analysis::export::fmt_float(*v),
            Cell::Text(s) => s.clone(),
            Cell::Hidden(s) => s.text().to_string(),
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

/// The table called `name`, when the pack has one.
pub fn find<'a>(tables: &'a [Table], name: &str) -> Option<&'a Table> {
    tables.iter().find(|t| t.name == name)
}

/// The table called `name`, which a section expects: an error when the pack has none (a
/// renamed or lost table must not drop a section silently).
pub fn table<'a>(tables: &'a [Table], name: &str) -> Result<&'a Table> {
    find(tables, name).ok_or_else(|| {
        csa_analysis::AnalysisError::Internal(format!(
            "the pack has no table {name:?}, which the report expects"
        ))
    })
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

    /// The public edition's form before protection: restricted columns dropped, and rows
    /// left out whose count (or respondents) is 1 to 4 when `drop_small_rows`.
    pub fn prepare_public(&mut self) {
        for c in self.restricted_columns.clone() {
            self.drop_column(&c);
        }
        if self.drop_small_rows {
            let j = self
                .col(csa_analysis::names::COUNT)
                .or_else(|| self.col(csa_analysis::names::RESPONDENTS));
            if let Some(j) = j {
                self.rows
                    .retain(|r| !matches!(r[j].as_i64(), Some(v) if (1..THRESHOLD).contains(&v)));
            }
        }
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

    #[test]
    fn hidden_cells_are_text_and_columns_with_them_too() {
        let mut t = Table::new(
            "wards",
            "Wards",
            &["ward", "count", "population"],
            &[Role::Key, Role::Count, Role::Other],
            Protect::Columns { group: vec![] },
        );
        for (w, c) in [("A", 3i64), ("B", 40)] {
            t.rows.push(vec![Cell::Text(w.into()), Cell::Int(c), Cell::Float(2000.0)]);
        }
        t.rows[0][1] = Cell::Hidden(Symbol::Small);
        let df = t.to_df().unwrap();
        assert_eq!(df.column("count").unwrap().dtype(), &DataType::String);
        assert_eq!(df.column("population").unwrap().dtype(), &DataType::Float64);
        assert_eq!(t.rows[0][1].text(), "<5");
        assert_eq!(Cell::Hidden(Symbol::Star).text(), "*");
        assert_eq!(t.count_columns(), vec!["count"]);
    }

    #[test]
    fn small_rows_can_be_left_out_instead() {
        let mut t = Table::new(
            "top",
            "Top",
            &["location", "count", "easting"],
            &[Role::Key, Role::Count, Role::Other],
            Protect::Primary,
        );
        t.drop_small_rows = true;
        t.restricted_columns = vec!["easting".into()];
        for (l, c) in [("High Street", 12i64), ("Mill Lane", 3), ("Park", 5)] {
            t.rows.push(vec![Cell::Text(l.into()), Cell::Int(c), Cell::Int(1)]);
        }
        t.prepare_public();
        assert_eq!(
            t.rows.iter().map(|r| r[0].text()).collect::<Vec<_>>(),
            vec!["High Street", "Park"]
        );
        assert_eq!(t.columns, vec!["location", "count"]);
    }
}
