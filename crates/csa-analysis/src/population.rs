//! Population denominators.
//!
//! - **Wards**: a CSV with `ward_code`, a `residents…` column and optionally a `households…`
//!   column (the shipped `data/population/wards-2025.csv`: Census 2021 usual residents and
//!   Census 2011 households aggregated from LSOAs to May 2025 wards, see data/README.md).
//!   The rate of an area is `count / population * 1000`; the population of the area is the
//!   sum over its wards (see [`crate::assessment`]: the configured boundaries, else the
//!   wards with records), so a dataset built over Coventry's 18 wards is divided by
//!   Coventry's residents.
//! - **Groups** (optional): residents by age band, sex and ethnicity as
//!   `dimension,group,residents` rows (`dimension` one of `age_band`, `sex`, `ethnicity`;
//!   `group` spelled as csa labels it). Equalities ratios need it; the shipped data has no
//!   such table (no census-by-group file was available), so they are only computed when one
//!   is configured.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::error::{AnalysisError, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WardPopulation {
    pub residents: Option<f64>,
    pub households: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Population {
    pub source: String,
    pub wards: FxHashMap<String, WardPopulation>,
    /// (dimension, group) -> residents
    pub groups: FxHashMap<(String, String), f64>,
    pub groups_source: Option<String>,
}

/// Dimensions a group population may be given for.
pub const GROUP_DIMENSIONS: &[&str] = &["age_band", "sex", "ethnicity"];

impl Population {
    /// The compiled-in ward population.
    pub fn shipped() -> Population {
        // checked by a unit test
        Population::parse_wards(
            crate::config::DEFAULT_WARD_POPULATION,
            Path::new("data/population/wards-2025.csv"),
        )
        .unwrap_or_else(|e| panic!("shipped population: {e}"))
    }

    pub fn load(wards: Option<&Path>, groups: Option<&Path>) -> Result<Population> {
        let mut p = match wards {
            None => Population::shipped(),
            Some(path) => Population::parse_wards(&read(path)?, path)?,
        };
        if let Some(path) = groups {
            p.groups = parse_groups(&read(path)?, path)?;
            p.groups_source = Some(path.display().to_string());
        }
        Ok(p)
    }

    pub fn parse_wards(text: &str, path: &Path) -> Result<Population> {
        let err = |line: u64, detail: String| AnalysisError::Population {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let mut rdr =
            csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = rdr.headers().map_err(|e| err(1, e.to_string()))?.clone();
        let find = |p: &str| headers.iter().position(|h| h.trim().starts_with(p));
        let code = find("ward_code").ok_or_else(|| err(1, "no ward_code column".into()))?;
        let residents = find("residents")
            .ok_or_else(|| err(1, "no residents column (e.g. residents_2021)".into()))?;
        let households = find("households");
        let mut wards = FxHashMap::default();
        for (i, rec) in rdr.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| err(line, e.to_string()))?;
            let num = |idx: Option<usize>, what: &str| -> Result<Option<f64>> {
                match idx.and_then(|j| rec.get(j)).map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(v) => v
                        .replace(',', "")
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| err(line, format!("{what} {v:?} is not a number"))),
                }
            };
            let w = WardPopulation {
                residents: num(Some(residents), "residents")?,
                households: num(households, "households")?,
            };
            wards.insert(rec.get(code).unwrap_or("").trim().to_string(), w);
        }
        Ok(Population { source: path.display().to_string(), wards, ..Population::default() })
    }

    /// Group population of one dimension: group -> residents.
    pub fn groups_of(&self, dimension: &str) -> FxHashMap<&str, f64> {
        self.groups
            .iter()
            .filter(|((d, _), _)| d == dimension)
            .map(|((_, g), n)| (g.as_str(), *n))
            .collect()
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|source| AnalysisError::Read { path: PathBuf::from(path), source })
}

fn parse_groups(text: &str, path: &Path) -> Result<FxHashMap<(String, String), f64>> {
    let err = |line: u64, detail: String| AnalysisError::Population {
        path: path.to_path_buf(),
        line,
        detail,
    };
    let mut rdr =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr.headers().map_err(|e| err(1, e.to_string()))?.clone();
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    if names != ["dimension", "group", "residents"] {
        return Err(err(
            1,
            format!("the header must be dimension,group,residents, not {}", names.join(",")),
        ));
    }
    let mut out = FxHashMap::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let dim = rec.get(0).unwrap_or("").trim();
        if !GROUP_DIMENSIONS.contains(&dim) {
            return Err(err(
                line,
                format!("dimension {dim:?}: use one of {}", GROUP_DIMENSIONS.join(", ")),
            ));
        }
        let n: f64 = rec
            .get(2)
            .unwrap_or("")
            .trim()
            .replace(',', "")
            .parse()
            .map_err(|_| err(line, "residents is not a number".into()))?;
        out.insert((dim.to_string(), rec.get(1).unwrap_or("").trim().to_string()), n);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_wards_have_coventry() {
        let p = Population::shipped();
        let coventry: f64 = p
            .wards
            .iter()
            .filter(|(c, _)| {
                c.starts_with("E0500121") || c.starts_with("E0500122") || c.starts_with("E0500123")
            })
            .filter_map(|(_, w)| w.residents)
            .sum();
        assert_eq!(coventry, 345_312.0);
        assert_eq!(
            p.wards["E05001218"],
            WardPopulation { residents: Some(17995.0), households: Some(6909.0) }
        );
    }

    #[test]
    fn group_file_is_checked() {
        let e = parse_groups("dimension,group,residents\nage,18-24,5\n", Path::new("g.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("g.csv: line 2") && e.contains("age_band"), "{e}");
        let g =
            parse_groups("dimension,group,residents\nsex,Female,\"1,000\"\n", Path::new("g.csv"))
                .unwrap();
        assert_eq!(g[&("sex".to_string(), "Female".to_string())], 1000.0);
    }
}
