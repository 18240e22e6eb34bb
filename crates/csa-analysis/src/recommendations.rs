//! The partnership's recommendations (TOML): per priority, what it will do, which sub-group
//! owns it, and the measure it is judged by. The pack lists them ([`crate::config::Config`]'s
//! `[assessment] recommendations`); `csa quarterly` tracks each measure as an indicator
//! ([`Recommendations::indicators`], shown with its recommendation and owner).
//!
//! ```toml
//! [[recommendation]]
//! id = "R1"                              # optional; default R1, R2, ... in file order
//! priority = "Residential burglary"      # a priority of the configuration
//! recommendation = "Target-harden the homes of repeat victims within 48 hours"
//! owner = "City Tasking"                 # the owning sub-group
//! measure = "Residential burglary"       # the priority counted (default: `priority`)
//! aim = "reduce"                         # or "increase"; default "reduce"
//! target_pct = 10                        # % below (above) the baseline quarter, or "none"
//! baseline_year = 2024                   # default: the same quarter a year before
//! ```
//!
//! The measure is a quarterly indicator exactly as a `[[indicator]]` of the targets file
//! ([`crate::targets`]): count of the measure's priority in the quarter against the same
//! quarter of the baseline year, its target and RAG. Mistakes are reported as
//! FILE:LINE:COLUMN with the field named.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::config::{line_col, Config, SubGroup};
use crate::error::{AnalysisError, Result};
use crate::targets::{Aim, Indicator};

/// One recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub id: String,
    /// The priority it answers (the configuration's name).
    pub priority: String,
    pub text: String,
    pub owner: SubGroup,
    /// The priority counted as its measure.
    pub measure: String,
    pub aim: Aim,
    /// `None` = no target (judged on significant movements only).
    pub target_pct: Option<f64>,
    pub baseline_year: Option<i32>,
    /// Line of the entry in the file.
    pub line: usize,
}

impl Recommendation {
    /// The measure in words: "Residential burglary: reduce by 10% on the same quarter of 2024".
    pub fn measure_text(&self) -> String {
        let base = match self.baseline_year {
            Some(y) => format!("the same quarter of {y}"),
            None => "the same quarter a year before".into(),
        };
        match self.target_pct {
            Some(t) => format!("{}: {} by {t}% on {base}", self.measure, self.aim.name()),
            None => format!(
                "{}: {} (no target; significant changes on {base})",
                self.measure,
                self.aim.name()
            ),
        }
    }
}

/// What a quarterly indicator carries of the recommendation it tracks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tracked {
    pub id: String,
    pub recommendation: String,
    pub owner: String,
}

#[derive(Debug, Clone)]
pub struct Recommendations {
    pub source: PathBuf,
    pub items: Vec<Recommendation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    recommendation: Vec<RawRecommendation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecommendation {
    id: Option<Spanned<String>>,
    priority: Spanned<String>,
    recommendation: Spanned<String>,
    owner: Spanned<String>,
    measure: Option<Spanned<String>>,
    aim: Option<Spanned<String>>,
    target_pct: Option<Spanned<toml::Value>>,
    baseline_year: Option<Spanned<i32>>,
}

impl Recommendations {
    pub fn load(path: &Path, config: &Config) -> Result<Recommendations> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        Recommendations::parse(&text, path, config)
    }

    pub fn parse(text: &str, path: &Path, config: &Config) -> Result<Recommendations> {
        let at = |span: Option<Range<usize>>, message: String| {
            let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
            AnalysisError::Config { path: path.to_path_buf(), line, column, message }
        };
        let raw: RawFile =
            toml::from_str(text).map_err(|e| at(e.span(), e.message().to_string()))?;
        if raw.recommendation.is_empty() {
            return Err(at(None, "no [[recommendation]] entries".into()));
        }
        let mut items: Vec<Recommendation> = Vec::new();
        for (i, r) in raw.recommendation.iter().enumerate() {
            let priority = |s: &Spanned<String>, field: &str| {
                config
                    .priority(s.get_ref())
                    .map(|p| p.name)
                    .map_err(|e| at(Some(s.span()), format!("{field}: {e}")))
            };
            let words = r.recommendation.get_ref().trim().to_string();
            if words.is_empty() {
                return Err(at(
                    Some(r.recommendation.span()),
                    "recommendation: the text is empty".into(),
                ));
            }
            let owner = SubGroup::parse(r.owner.get_ref()).ok_or_else(|| {
                let valid: Vec<&str> = SubGroup::ALL.iter().map(|g| g.name()).collect();
                at(
                    Some(r.owner.span()),
                    format!(
                        "owner: unknown sub-group {:?}; the sub-groups are: {}",
                        r.owner.get_ref(),
                        valid.join(", ")
                    ),
                )
            })?;
            let aim = match &r.aim {
                None => Aim::Reduce,
                Some(s) => match s.get_ref().trim().to_ascii_lowercase().as_str() {
                    "reduce" => Aim::Reduce,
                    "increase" => Aim::Increase,
                    other => {
                        return Err(at(
                            Some(s.span()),
                            format!("aim: {other:?}: write \"reduce\" or \"increase\""),
                        ))
                    }
                },
            };
            let target_pct = match &r.target_pct {
                None => None,
                Some(t) => match t.get_ref() {
                    toml::Value::Integer(v) if (0..100).contains(v) => Some(*v as f64),
                    toml::Value::Float(v) if (0.0..100.0).contains(v) => Some(*v),
                    toml::Value::String(w) if w.trim().eq_ignore_ascii_case("none") => None,
                    other => {
                        return Err(at(
                            Some(t.span()),
                            format!("target_pct: {other}: give a percentage at least 0 and below 100, or \"none\""),
                        ))
                    }
                },
            };
            let id = match &r.id {
                Some(s) if s.get_ref().trim().is_empty() => {
                    return Err(at(Some(s.span()), "id: empty".into()))
                }
                Some(s) => s.get_ref().trim().to_string(),
                None => format!("R{}", i + 1),
            };
            if items.iter().any(|x| x.id == id) {
                let span = r.id.as_ref().map_or(r.priority.span(), |s| s.span());
                return Err(at(Some(span), format!("id: {id:?} is used twice")));
            }
            let p = priority(&r.priority, "priority")?;
            items.push(Recommendation {
                id,
                measure: match &r.measure {
                    Some(m) => priority(m, "measure")?,
                    None => p.clone(),
                },
                priority: p,
                text: words,
                owner,
                aim,
                target_pct,
                baseline_year: r.baseline_year.as_ref().map(|y| *y.get_ref()),
                line: line_col(text, r.priority.span().start).0,
            });
        }
        Ok(Recommendations { source: path.to_path_buf(), items })
    }

    /// Each recommendation's measure as a quarterly indicator, carrying the recommendation.
    pub fn indicators(&self, config: &Config) -> Result<Vec<Indicator>> {
        self.items
            .iter()
            .map(|r| {
                Ok(Indicator {
                    priority: config.priority(&r.measure)?,
                    aim: r.aim,
                    target_pct: r.target_pct,
                    baseline_year: r.baseline_year,
                    tracks: Some(Tracked {
                        id: r.id.clone(),
                        recommendation: r.text.clone(),
                        owner: r.owner.name().to_string(),
                    }),
                })
            })
            .collect()
    }
}

/// Adds the measures of the configuration's recommendations (`[assessment]
/// recommendations`, when set) to `targets` as indicators; returns how many.
pub fn track(targets: &mut crate::targets::Targets, config: &Config) -> Result<usize> {
    let Some(path) = &config.recommendations else { return Ok(0) };
    let added = Recommendations::load(path, config)?.indicators(config)?;
    let n = added.len();
    targets.indicators.extend(added);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Recommendations, String> {
        Recommendations::parse(text, Path::new("rec.toml"), &Config::default_config())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_entries_and_defaults() {
        let r = parse("[[recommendation]]\npriority = \"residential burglary\"\nrecommendation = \"Target-harden\"\nowner = \"city tasking\"\ntarget_pct = 10\nbaseline_year = 2024\n\n[[recommendation]]\nid = \"H1\"\npriority = \"Hate crime\"\nrecommendation = \"Third-party reporting\"\nowner = \"Prevent\"\naim = \"increase\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let a = &r.items[0];
        assert_eq!(
            (a.id.as_str(), a.priority.as_str(), a.measure.as_str()),
            ("R1", "Residential burglary", "Residential burglary")
        );
        assert_eq!(
            (a.owner, a.aim, a.target_pct, a.baseline_year, a.line),
            (SubGroup::CityTasking, Aim::Reduce, Some(10.0), Some(2024), 2)
        );
        let b = &r.items[1];
        assert_eq!((b.id.as_str(), b.aim, b.target_pct, b.line), ("H1", Aim::Increase, None, 10));
        let ind = r.indicators(&Config::default_config()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ind[0].priority.name, "Residential burglary");
        assert_eq!(ind[1].tracks.as_ref().map(|t| t.owner.as_str()), Some("Prevent"));
    }

    #[test]
    fn mistakes_name_file_line_and_field() {
        let head = "[[recommendation]]\npriority = \"Robbery\"\nrecommendation = \"Patrols\"\n";
        for (extra, want) in [
            ("owner = \"Tasking\"\n", "rec.toml:4:9: owner: unknown sub-group \"Tasking\""),
            (
                "owner = \"Prevent\"\nmeasure = \"Robery\"\n",
                "rec.toml:5:11: measure: unknown priority \"Robery\"",
            ),
            ("owner = \"Prevent\"\naim = \"down\"\n", "rec.toml:5:7: aim: \"down\""),
            ("owner = \"Prevent\"\ntarget_pct = 120\n", "rec.toml:5:14: target_pct: 120"),
            ("owner = \"Prevent\"\nmeasures = \"x\"\n", "rec.toml:5:1: unknown field `measures`"),
        ] {
            let e = parse(&format!("{head}{extra}")).err().unwrap_or_default();
            assert!(e.starts_with(want), "{e}\nwanted {want}");
        }
        let e = parse("[[recommendation]]\npriority = \"Robbery\"\nowner = \"Prevent\"\n")
            .err()
            .unwrap_or_default();
        assert!(e.starts_with("rec.toml:") && e.contains("missing field `recommendation`"), "{e}");
        let e = parse("[[recommendation]]\npriority = \"Robber\"\nrecommendation = \"x\"\nowner = \"Prevent\"\n").err().unwrap_or_default();
        assert!(e.starts_with("rec.toml:2:12: priority: unknown priority"), "{e}");
    }
}
