//! The public role's figures: the public edition **as published**, nothing computed on the
//! fly. Every table a `public` user gets (page, download or API) is a table of a public pack
//! written by `csa assess --edition public` (`csa serve --public-pack DIR`), read from its
//! files, with its `<5` and `*` exactly as the pack has them. That pack was protected as one
//! set of linked tables and audited (`csa_report::public`, `csa-disclosure`), and it is
//! audited again here when the server loads it: a pack that fails is refused.
//!
//! Why no ad-hoc public breakdowns: answers computed per request, each protected on its
//! own, can be differenced against each other and against the pack (one month range minus
//! another, serious acquisitive crime minus its three parts, a two-way table against its
//! one-way margins), which is exactly the attack the public edition is protected against
//! (data/README.md, "Public edition"). So a public query is answered only where the pack
//! publishes the same table for the same periods, and refused (403, saying what is
//! published) otherwise.
//!
//! | view (public) | table of the pack |
//! |---|---|
//! | volume | `priority_volumes` |
//! | counts, no dimension | the priority's row of `priority_volumes` |
//! | counts by month / ward / location type | `{priority}_months` / `_wards` / `_location_types` |
//! | counts by victim or offender ethnicity | `{priority}_victims_ethnicity` / `_offenders_ethnicity` |
//! | counts by offender relationship | `{priority}_relationship` (domestic abuse priorities) |
//! | day-hour | `{priority}_day_hour` |
//! | top-locations | `{priority}_top_locations` (places with 1 to 4 records left out, no points) |
//! | anything else (two dimensions, other dimensions, custom periods, repeats, equalities, prolific, quarterly, hot spot maps) | refused |
//!
//! A query's totals are the priority's row of `priority_volumes`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use csa_analysis::views::{Answer, View};
use csa_analysis::{names, Dim, Periods};
use csa_disclosure::Symbol;
use csa_report::ids::{self, Kind, Who};
use csa_report::table::{role_of, Cell, Protect, Table};

use crate::error::{Result, ServeError};
use crate::query::ViewQuery;

/// At most this many dimensions in a public breakdown (the pack's tables are one-way).
pub const MAX_PUBLIC_DIMS: usize = 1;

/// Why a public user gets nothing without a pack.
pub const NO_PACK: &str = "this server publishes no public edition: an administrator starts csa serve with --public-pack DIR (a pack written by csa assess --edition public)";

/// A table as the public edition publishes it, with the priority's totals.
#[derive(Debug, Clone)]
pub struct Published {
    pub table: Table,
    /// Total and comparison total as published (`<5`, `*` or a number).
    pub totals: Option<(Cell, Cell)>,
    /// The pack's table id (file `tables/{id}.csv`).
    pub id: String,
}

/// A public pack read from its files.
#[derive(Debug, Clone)]
pub struct PublicPack {
    pub dir: PathBuf,
    /// The pack's assessment period and comparison period, as `summary.json` names them.
    pub current: String,
    pub comparison: String,
    tables: BTreeMap<String, Table>,
}

fn file_err(path: &Path, detail: impl std::fmt::Display) -> ServeError {
    ServeError::File { path: path.to_path_buf(), detail: detail.to_string() }
}

/// A cell of a published CSV: `<5` and `*` hidden, numbers, text.
fn parse_cell(s: &str) -> Cell {
    if s.is_empty() {
        return Cell::Null;
    }
    if let Some(sym) = Symbol::parse(s) {
        return Cell::Hidden(sym);
    }
    if let Ok(v) = s.parse::<i64>() {
        return Cell::Int(v);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Cell::Float(v),
        _ => Cell::Text(s.to_string()),
    }
}

impl PublicPack {
    /// Reads the public pack at `dir` and audits it from its files (every hidden count's
    /// range, as `csa audit`): not a public pack, or one that fails, is an error.
    pub fn load(dir: &Path) -> Result<PublicPack> {
        if !dir.join("disclosure.json").is_file() {
            return Err(file_err(
                dir,
                "not a public pack (no disclosure.json): write one with csa assess --edition public",
            ));
        }
        let audit = csa_report::public::spec::audit_packs(&[dir.to_path_buf()], false)
            .map_err(|e| file_err(dir, format!("the public pack cannot be audited: {e}")))?;
        if !audit.passed() {
            return Err(file_err(
                dir,
                format!(
                    "the public pack fails its audit, so it is not served: {}",
                    csa_report::public::spec::describe(&audit, 5)
                ),
            ));
        }
        let summary_path = dir.join("summary.json");
        let summary: serde_json::Value = std::fs::read(&summary_path)
            .map_err(|e| file_err(&summary_path, e))
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| file_err(&summary_path, e)))?;
        let period = |k: &str| -> Result<String> {
            summary["period"][k].as_str().map(str::to_string).ok_or_else(|| {
                file_err(&summary_path, format!("no period.{k}: not a pack of csa assess"))
            })
        };
        let (current, comparison) = (period("current")?, period("comparison")?);
        let tdir = dir.join("tables");
        let mut tables = BTreeMap::new();
        let entries = std::fs::read_dir(&tdir).map_err(|e| file_err(&tdir, e))?;
        for e in entries {
            let path = e.map_err(|e| file_err(&tdir, e))?.path();
            if path.extension().and_then(|x| x.to_str()) != Some("csv") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                continue;
            };
            let mut r = csv::Reader::from_path(&path).map_err(|e| file_err(&path, e))?;
            let columns: Vec<String> =
                r.headers().map_err(|e| file_err(&path, e))?.iter().map(str::to_string).collect();
            let roles = columns.iter().map(|c| role_of(c)).collect::<Vec<_>>();
            let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
            let mut t = Table::new(&name, &name.replace('_', " "), &cols, &roles, Protect::Primary);
            for (i, rec) in r.records().enumerate() {
                let rec = rec.map_err(|e| file_err(&path, format!("row {}: {e}", i + 2)))?;
                t.rows.push(rec.iter().map(parse_cell).collect());
            }
            tables.insert(name, t);
        }
        if !tables.contains_key(ids::PRIORITY_VOLUMES) {
            return Err(file_err(&tdir, "no priority_volumes.csv: not a pack of csa assess"));
        }
        Ok(PublicPack { dir: dir.to_path_buf(), current, comparison, tables })
    }

    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.get(id)
    }

    /// The published total and comparison total of priority `name`.
    fn totals(&self, name: &str) -> Option<(Cell, Cell)> {
        let v = self.tables.get(ids::PRIORITY_VOLUMES)?;
        let i = v.find(names::PRIORITY, name)?;
        Some((v.get(i, names::COUNT).clone(), v.get(i, names::COMPARISON).clone()))
    }
}

/// The pack's table for `view` by `dims` of a priority with slug `slug`, or why there is none.
fn table_id(view: View, dims: &[Dim], slug: &str) -> Result<String> {
    let kind = match (view, dims) {
        (View::Volume, _) | (View::Counts, []) => return Ok(ids::PRIORITY_VOLUMES.to_string()),
        (View::Counts, [Dim::Month]) => Kind::Months,
        (View::Counts, [Dim::Ward]) => Kind::Wards,
        (View::Counts, [Dim::LocationType]) => Kind::LocationTypes,
        (View::Counts, [Dim::VictimEthnicity]) => Kind::Ethnicity(Who::Victims),
        (View::Counts, [Dim::OffenderEthnicity]) => Kind::Ethnicity(Who::Offenders),
        (View::Counts, [Dim::OffenderRelationship]) => Kind::Relationship,
        (View::DayHour, _) => Kind::DayHour,
        (View::TopLocations, _) => Kind::TopLocations,
        (View::Prolific, _) => {
            return Err(ServeError::Forbidden(
                "the prolific offenders table is person-level and not part of the public edition"
                    .into(),
            ))
        }
        _ => {
            let by: Vec<&str> = dims.iter().map(|d| d.name()).collect();
            return Err(ServeError::Forbidden(format!(
                "the public edition does not publish {}{}: public figures are the public pack's tables only (volume; counts in all or by month, ward, location type, victim or offender ethnicity, offender relationship; day-hour; top-locations), since figures computed per request could be differenced against each other",
                view.name(),
                if by.is_empty() { String::new() } else { format!(" by {}", by.join(", ")) }
            )));
        }
    };
    Ok(kind.id(slug))
}

/// Whether the public edition carries `view` by `dims` at all (403 otherwise, saying why).
pub fn allowed(view: View, dims: &[Dim]) -> Result<()> {
    table_id(view, dims, "x").map(|_| ())
}

/// Refuses a public query whose periods are not the pack's.
fn same_periods(pack: &PublicPack, periods: Option<Periods>) -> Result<()> {
    let ok = periods.is_some_and(|p| {
        p.current.to_string() == pack.current && p.comparison.to_string() == pack.comparison
    });
    if ok {
        Ok(())
    } else {
        Err(ServeError::Forbidden(format!(
            "the public edition covers {} against {}; figures for other periods are not published",
            pack.current, pack.comparison
        )))
    }
}

/// The published form of the answer `a` to `q`: the pack's table.
pub fn publish(pack: Option<&PublicPack>, q: &ViewQuery, a: &Answer) -> Result<Published> {
    allowed(q.view, &q.dims)?;
    let pack = pack.ok_or_else(|| ServeError::Forbidden(NO_PACK.into()))?;
    same_periods(pack, a.periods)?;
    let id = table_id(q.view, &q.dims, &csa_report::part::slug(&q.priority.name))?;
    let Some(t) = pack.table(&id) else {
        return Err(ServeError::Forbidden(format!(
            "the public edition has no table {id} ({} by {} is not published for this data)",
            q.priority.name,
            q.dims.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
        )));
    };
    let mut table = t.clone();
    table.title = a.title.clone();
    if q.view == View::Counts && q.dims.is_empty() {
        // the priority's own row of the volumes
        let col = table.col(names::PRIORITY);
        table.rows.retain(|r| col.is_some_and(|j| r[j].text() == q.priority.name));
    }
    let totals = if q.view == View::Volume { None } else { pack.totals(&q.priority.name) };
    Ok(Published { table, totals, id })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_a_published_csv() {
        assert_eq!(parse_cell("<5"), Cell::Hidden(Symbol::Small));
        assert_eq!(parse_cell("*"), Cell::Hidden(Symbol::Star));
        assert_eq!(parse_cell("12"), Cell::Int(12));
        assert_eq!(parse_cell("-3.5"), Cell::Float(-3.5));
        assert_eq!(parse_cell(""), Cell::Null);
        assert_eq!(parse_cell("Foleshill"), Cell::Text("Foleshill".into()));
        assert_eq!(parse_cell("NaN"), Cell::Text("NaN".into()));
    }

    #[test]
    fn only_the_packs_tables_are_public() {
        assert_eq!(table_id(View::Counts, &[Dim::Ward], "robbery").unwrap(), "robbery_wards");
        assert_eq!(table_id(View::DayHour, &[], "robbery").unwrap(), "robbery_day_hour");
        assert_eq!(table_id(View::Volume, &[], "all").unwrap(), "priority_volumes");
        assert_eq!(table_id(View::Counts, &[], "robbery").unwrap(), "priority_volumes");
        assert_eq!(
            table_id(View::Counts, &[Dim::VictimEthnicity], "hate_crime").unwrap(),
            "hate_crime_victims_ethnicity"
        );
        for (v, d) in [
            (View::Counts, vec![Dim::Ward, Dim::Month]),
            (View::Counts, vec![Dim::Hour]),
            (View::RepeatVictims, vec![]),
            (View::EqualitiesVictims, vec![]),
            (View::Prolific, vec![]),
        ] {
            let e = allowed(v, &d).unwrap_err();
            assert_eq!(e.status(), 403, "{v:?} {d:?}");
        }
        assert!(allowed(View::Prolific, &[]).unwrap_err().to_string().contains("person-level"));
    }
}
