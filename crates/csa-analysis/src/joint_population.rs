//! Residents cross-classified by several dimensions at once: the targets of a joint raking
//! margin such as `"age_band x sex"` ([`crate::consultation`]).
//!
//! Census 2021's shipped group table gives age, sex and ethnic group each on its own, so a
//! joint margin needs a table the analyst supplies (`[population] joint`), e.g. ONS TS009
//! (sex by single year of age) for the area. Format (CSV, header names any case):
//!
//! ```text
//! ward?, age | age_band?, sex?, ethnicity?, residents
//! ```
//!
//! at least one dimension column and `residents` (a number >= 0). `ward` is a ward code or
//! name (rows of wards outside the area are left out; without the column the table is the
//! area's); `age` is a single year (`0`..`120`, `100+` for an open top group) banded into the
//! survey's age bands (ages under the youngest band are left out); `age_band` is a label of
//! those bands (`25-34`, `65+`); `sex` is female or male; `ethnicity` one of the five ONS
//! groups (census names and police codes accepted). A margin's residents per combined
//! category (`"25-34 x Female"`) are the sum of its rows over the dimensions it does not
//! name:
//!
//! ```text
//! N(a, s) = sum over rows r with age band a and sex s of residents_r
//! ```

use std::path::{Path, PathBuf};

use csa_model::{Ethnicity, Sex};

use crate::consultation::{Dimension, MarginSpec};
use crate::error::{AnalysisError, Result};

/// Joint population rows, labels already as respondents give them.
#[derive(Debug, Clone, PartialEq)]
pub struct JointPopulation {
    pub path: PathBuf,
    /// The table's dimension columns, in file order.
    pub dims: Vec<Dimension>,
    /// Per row: one label per dimension of `dims`, and the residents.
    pub rows: Vec<(Vec<String>, f64)>,
}

/// How the table's rows are read into respondents' labels.
pub struct Labels<'a> {
    /// Bands of the survey, from the youngest age asked (e.g. 16, 25, ... 65).
    pub age_bands: &'a [u8],
    /// The ward name a code or name stands for, when the ward is of the area.
    pub ward: &'a dyn Fn(&str) -> WardMatch,
}

/// What a `ward` cell names.
pub enum WardMatch {
    /// A ward of the area, by the name respondents' answers are matched to.
    InArea(String),
    /// A known ward outside the area (its rows are left out).
    Outside,
    Unknown,
}

impl JointPopulation {
    /// Reads the table (see the module header), every bad cell an error naming its line.
    pub fn load(path: &Path, labels: &Labels) -> Result<JointPopulation> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path, labels)
    }

    pub fn parse(text: &str, path: &Path, labels: &Labels) -> Result<JointPopulation> {
        let err = |line: u64, detail: String| AnalysisError::Population {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let mut r = crate::population::csv_text(text);
        let header: Vec<String> = r
            .headers()
            .map_err(|e| err(1, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let mut cols: Vec<(Dimension, usize, bool)> = Vec::new(); // (dim, column, single-year age)
        let mut residents = None;
        for (j, h) in header.iter().enumerate() {
            let dim = match h.as_str() {
                "residents" => {
                    residents = Some(j);
                    continue;
                }
                "age" => Some((Dimension::AgeBand, true)),
                "age_band" => Some((Dimension::AgeBand, false)),
                "ward" | "ward_code" | "ward_name" => Some((Dimension::Ward, false)),
                "sex" => Some((Dimension::Sex, false)),
                "ethnicity" | "ethnic_group" => Some((Dimension::Ethnicity, false)),
                _ => None,
            };
            if let Some((d, single)) = dim {
                if cols.iter().any(|c| c.0 == d) {
                    return Err(err(1, format!("two columns give {}: keep one", d.name())));
                }
                cols.push((d, j, single));
            }
        }
        let Some(residents) = residents else {
            return Err(err(1, "the joint population needs a residents column".into()));
        };
        if cols.is_empty() {
            return Err(err(
                1,
                "the joint population needs dimension columns (ward, age or age_band, sex, ethnicity) beside residents".into(),
            ));
        }
        let band_labels = crate::dims::age_band_labels(labels.age_bands);
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| err(line, e.to_string()))?;
            let cell = |j: usize| rec.get(j).unwrap_or("").trim();
            let n: f64 = cell(residents)
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    err(
                        line,
                        format!(
                            "residents {:?}: give a number of residents, 0 or more",
                            cell(residents)
                        ),
                    )
                })?;
            let mut row = Vec::with_capacity(cols.len());
            let mut keep = true;
            for (dim, j, single) in &cols {
                let raw = cell(*j);
                let label = match (dim, single) {
                    (Dimension::AgeBand, true) => {
                        let (num, _open) =
                            raw.strip_suffix('+').map_or((raw, false), |n| (n, true));
                        let age: i16 = num.trim().parse().ok().filter(|a| (0..=120).contains(a)).ok_or_else(
                            || err(line, format!("age {raw:?}: write a whole year 0-120, or e.g. 100+ for the top group")),
                        )?;
                        match crate::dims::age_band(age, labels.age_bands) {
                            0 => None, // younger than the survey asks
                            b => Some(band_labels[b as usize - 1].clone()),
                        }
                    }
                    (Dimension::AgeBand, false) => {
                        if !band_labels.iter().any(|l| l == raw) {
                            return Err(err(
                                line,
                                format!(
                                    "age_band {raw:?} is not one of the survey's bands ({})",
                                    band_labels.join(", ")
                                ),
                            ));
                        }
                        Some(raw.to_string())
                    }
                    (Dimension::Sex, _) => match Sex::parse(raw) {
                        Some(Sex::Female) => Some("Female".to_string()),
                        Some(Sex::Male) => Some("Male".to_string()),
                        _ => return Err(err(line, format!("sex {raw:?}: use female or male"))),
                    },
                    (Dimension::Ethnicity, _) => match Ethnicity::parse(raw) {
                        Some(e) if e != Ethnicity::NotStated => Some(e.name().to_string()),
                        _ => {
                            return Err(err(
                                line,
                                format!("ethnic group {raw:?}: use one of the five ONS groups"),
                            ))
                        }
                    },
                    (Dimension::Ward, _) => match (labels.ward)(raw) {
                        WardMatch::InArea(name) => Some(name),
                        WardMatch::Outside => None,
                        WardMatch::Unknown => {
                            return Err(err(
                                line,
                                format!("ward {raw:?} is not a ward of the ward population table"),
                            ))
                        }
                    },
                };
                match label {
                    Some(l) => row.push(l),
                    None => keep = false,
                }
            }
            if keep {
                rows.push((row, n));
            }
        }
        Ok(JointPopulation {
            path: path.to_path_buf(),
            dims: cols.iter().map(|c| c.0).collect(),
            rows,
        })
    }

    /// Residents per combined category of `spec` (labels joined by `" x "`), in the order
    /// the categories first appear; an error when the table lacks one of its dimensions.
    pub fn margin(&self, spec: &MarginSpec) -> Result<Vec<(String, f64)>> {
        let idx: Vec<usize> = spec
            .0
            .iter()
            .map(|d| {
                self.dims.iter().position(|x| x == d).ok_or_else(|| {
                    AnalysisError::Usage(format!(
                        "weighting.margins has {} but the joint population {} has no {} column",
                        spec.name(),
                        self.path.display(),
                        d.name()
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let mut out: Vec<(String, f64)> = Vec::new();
        for (labels, n) in &self.rows {
            let key = idx.iter().map(|i| labels[*i].as_str()).collect::<Vec<_>>().join(" x ");
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, total)) => *total += n,
                None => out.push((key, *n)),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn labels_of(text: &str) -> Result<JointPopulation> {
        let ward = |w: &str| match w {
            "E05000001" | "Alpha" => WardMatch::InArea("Alpha".into()),
            "E05000002" | "Beta" => WardMatch::InArea("Beta".into()),
            "E05000009" => WardMatch::Outside,
            _ => WardMatch::Unknown,
        };
        let l = Labels { age_bands: &[16, 25, 65], ward: &ward };
        JointPopulation::parse(text, Path::new("joint.csv"), &l)
    }

    #[test]
    fn single_years_band_and_margins_sum_over_the_rest() {
        let t = "ward,age,sex,residents\n\
                 E05000001,15,female,100\n\
                 E05000001,16,female,10\n\
                 E05000001,30,F,20\n\
                 Beta,24,male,5\n\
                 Beta,100+,male,7\n\
                 E05000009,30,male,1000\n";
        let j = labels_of(t).unwrap();
        // the 15-year-old and the ward outside the area are left out
        assert_eq!(j.rows.len(), 4);
        let age_sex = j.margin(&MarginSpec(vec![Dimension::AgeBand, Dimension::Sex])).unwrap();
        assert_eq!(
            age_sex,
            vec![
                ("16-24 x Female".to_string(), 10.0),
                ("25-64 x Female".to_string(), 20.0),
                ("16-24 x Male".to_string(), 5.0),
                ("65+ x Male".to_string(), 7.0),
            ]
        );
        let ward = j.margin(&MarginSpec(vec![Dimension::Ward])).unwrap();
        assert_eq!(ward, vec![("Alpha".to_string(), 30.0), ("Beta".to_string(), 12.0)]);
        let e = j.margin(&MarginSpec(vec![Dimension::Ethnicity])).unwrap_err().to_string();
        assert!(e.contains("no ethnicity column"), "{e}");
    }

    #[test]
    fn bad_cells_name_the_line() {
        let e = labels_of("age_band,sex,residents\n16-24,female,3\n16-20,male,4\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("16-20"), "{e}");
        let e = labels_of("ward,sex,residents\nGamma,male,4\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("Gamma"), "{e}");
        let e = labels_of("sex,residents\nmale,-4\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("residents"), "{e}");
        let e = labels_of("sex,people\nmale,4\n").unwrap_err().to_string();
        assert!(e.contains("residents column"), "{e}");
    }
}
