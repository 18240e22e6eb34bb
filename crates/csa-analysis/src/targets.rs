//! Performance targets (TOML): which priorities are the partnership's indicators, which way
//! each should move, and by how much against which baseline.
//!
//! ```toml
//! [defaults]
//! aim = "reduce"         # or "increase" (e.g. more reporting of hate crime)
//! target_pct = 5         # 5% fewer (or more) than the baseline quarter; leave out for none
//! alpha = 0.05           # significance level of the change tests
//!
//! [[indicator]]
//! priority = "Residential burglary"
//! target_pct = 10
//! baseline_year = 2024   # the same quarter of 2024 (FY2024 for a financial quarter);
//!                        # default: the same quarter a year before
//!
//! [[indicator]]
//! priority = "Robbery"
//! target_pct = 0         # a target: no more than the baseline quarter
//!
//! [[indicator]]
//! priority = "Hate crime"
//! aim = "increase"
//! target_pct = "none"    # no target (the default's does not apply): judged on significant
//!                        # movements only
//! ```
//!
//! An indicator without `target_pct` takes the default's (none when `[defaults]` has none).
//! Target count = baseline x (1 - target_pct/100) to reduce, x (1 + target_pct/100) to
//! increase; met when the quarter's count is at or below (reduce) or at or above (increase)
//! it, so 0 is a target too: hold the baseline. Mistakes are reported as FILE:LINE:COLUMN.
//!
//! A re-offending indicator (the proven re-offending rate of the latest cohort whose
//! follow-up the quarter completes; [`crate::reoffending_indicator`]):
//!
//! ```toml
//! [[reoffending]]
//! name = "Proven re-offending"   # default; shown as the indicator
//! priority = "Domestic abuse"    # optional: the cohort's index offences (default: all crime)
//! target_pct = 5                 # a rate 5% (relative) below the baseline cohort's
//! aim = "reduce"                 # the default for re-offending
//! baseline_year = 2023           # default: the cohort a year before
//! follow_up_months = 12          # the defaults of the measure
//! waiting_months = 6
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::config::{line_col, Config, Priority};
use crate::error::{AnalysisError, Result};

/// Which way an indicator should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aim {
    Reduce,
    Increase,
}

impl Aim {
    pub fn name(self) -> &'static str {
        match self {
            Aim::Reduce => "reduce",
            Aim::Increase => "increase",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub priority: Priority,
    pub aim: Aim,
    /// Percentage below (reduce) or above (increase) the baseline; `None` = no target.
    pub target_pct: Option<f64>,
    /// Year whose same quarter is the baseline; `None` = the year before.
    pub baseline_year: Option<i32>,
    /// The recommendation whose measure this is ([`crate::recommendations`]), if any.
    pub tracks: Option<crate::recommendations::Tracked>,
}

#[derive(Debug, Clone)]
pub struct Targets {
    pub source: PathBuf,
    pub indicators: Vec<Indicator>,
    pub alpha: f64,
    /// Re-offending rate indicators (`[[reoffending]]`).
    pub reoffending: Vec<ReoffendingIndicator>,
}

/// A `[[reoffending]]` indicator: the proven re-offending rate of a quarter's cohort.
#[derive(Debug, Clone)]
pub struct ReoffendingIndicator {
    pub name: String,
    /// Restricts the cohort's index offences; `all` by default.
    pub priority: Priority,
    pub aim: Aim,
    /// Relative %: target rate = baseline rate x (1 -/+ target_pct/100); `None` = no target.
    pub target_pct: Option<f64>,
    /// Year whose same cohort quarter is the baseline; `None` = the cohort a year before.
    pub baseline_year: Option<i32>,
    pub spec: crate::reoffending::Spec,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    aim: Option<Spanned<String>>,
    target_pct: Option<Spanned<toml::Value>>,
    alpha: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    priority: Spanned<String>,
    aim: Option<Spanned<String>>,
    target_pct: Option<Spanned<toml::Value>>,
    baseline_year: Option<Spanned<i32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReoffending {
    name: Option<String>,
    priority: Option<Spanned<String>>,
    aim: Option<Spanned<String>>,
    target_pct: Option<Spanned<toml::Value>>,
    baseline_year: Option<Spanned<i32>>,
    follow_up_months: Option<Spanned<u32>>,
    waiting_months: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    defaults: Option<RawDefaults>,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
    #[serde(default)]
    reoffending: Vec<RawReoffending>,
}

impl Targets {
    pub fn load(path: &Path, config: &Config) -> Result<Targets> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        Targets::parse(&text, path, config)
    }

    pub fn parse(text: &str, path: &Path, config: &Config) -> Result<Targets> {
        let at = |span: Option<Range<usize>>, message: String| {
            let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
            AnalysisError::Config { path: path.to_path_buf(), line, column, message }
        };
        let raw: RawTargets =
            toml::from_str(text).map_err(|e| at(e.span(), e.message().to_string()))?;
        let d = raw.defaults.unwrap_or_default();
        let aim = |s: &Spanned<String>| match s.get_ref().to_ascii_lowercase().as_str() {
            "reduce" => Ok(Aim::Reduce),
            "increase" => Ok(Aim::Increase),
            other => {
                Err(at(Some(s.span()), format!("aim {other:?}: write \"reduce\" or \"increase\"")))
            }
        };
        let default_aim = d.aim.as_ref().map(aim).transpose()?.unwrap_or(Aim::Reduce);
        let alpha = match &d.alpha {
            Some(a) if *a.get_ref() > 0.0 && *a.get_ref() < 0.5 => *a.get_ref(),
            Some(a) => {
                return Err(at(
                    Some(a.span()),
                    format!("alpha {} must lie between 0 and 0.5 (0.05 is usual)", a.get_ref()),
                ))
            }
            None => 0.05,
        };
        // a percentage in [0, 100), or "none"
        let target = |t: &Spanned<toml::Value>| -> Result<Option<f64>> {
            let bad = |what: String| {
                at(Some(t.span()), format!("target_pct {what}: give a percentage at least 0 and below 100, or \"none\" for no target"))
            };
            match t.get_ref() {
                toml::Value::Integer(i) if (0..100).contains(i) => Ok(Some(*i as f64)),
                toml::Value::Float(f) if (0.0..100.0).contains(f) => Ok(Some(*f)),
                toml::Value::String(w) if w.trim().eq_ignore_ascii_case("none") => Ok(None),
                toml::Value::String(w) => Err(bad(format!("{w:?}"))),
                other => Err(bad(other.to_string())),
            }
        };
        let default_target = d.target_pct.as_ref().map(&target).transpose()?.flatten();
        if raw.indicator.is_empty() && raw.reoffending.is_empty() {
            return Err(at(
                None,
                "no [[indicator]] or [[reoffending]] entries: name at least one priority".into(),
            ));
        }
        let mut indicators = Vec::new();
        for r in &raw.indicator {
            let priority = config
                .priority(r.priority.get_ref())
                .map_err(|e| at(Some(r.priority.span()), e.to_string()))?;
            let target_pct = match &r.target_pct {
                Some(t) => target(t)?,
                None => default_target,
            };
            indicators.push(Indicator {
                priority,
                aim: r.aim.as_ref().map(aim).transpose()?.unwrap_or(default_aim),
                target_pct,
                baseline_year: r.baseline_year.as_ref().map(|y| *y.get_ref()),
                tracks: None,
            });
        }
        let mut reoffending = Vec::new();
        for r in &raw.reoffending {
            let priority = match &r.priority {
                Some(p) => {
                    config.priority(p.get_ref()).map_err(|e| at(Some(p.span()), e.to_string()))?
                }
                None => Priority::all(),
            };
            // the same percentage (or "none") as an indicator's; the default's is for counts,
            // not rates, so it does not apply
            let target_pct = r.target_pct.as_ref().map(&target).transpose()?.flatten();
            let defaults = crate::reoffending::Spec::default();
            let spec = crate::reoffending::Spec {
                follow_up_months: r
                    .follow_up_months
                    .as_ref()
                    .map_or(defaults.follow_up_months, |m| *m.get_ref()),
                waiting_months: r
                    .waiting_months
                    .as_ref()
                    .map_or(defaults.waiting_months, |m| *m.get_ref()),
                ..defaults
            };
            spec.check().map_err(|e| {
                let span =
                    r.follow_up_months.as_ref().or(r.waiting_months.as_ref()).map(|m| m.span());
                at(span, e.to_string())
            })?;
            reoffending.push(ReoffendingIndicator {
                name: r.name.clone().unwrap_or_else(|| {
                    if crate::config::same_name(&priority.name, crate::config::ALL) {
                        "Proven re-offending".into()
                    } else {
                        format!("Proven re-offending ({})", priority.name)
                    }
                }),
                priority,
                aim: r.aim.as_ref().map(aim).transpose()?.unwrap_or(Aim::Reduce),
                target_pct,
                baseline_year: r.baseline_year.as_ref().map(|y| *y.get_ref()),
                spec,
            });
        }
        Ok(Targets { source: path.to_path_buf(), indicators, alpha, reoffending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_points_at_mistakes() {
        let c = Config::default_config();
        let t = Targets::parse(
            "[defaults]\ntarget_pct = 5\n[[indicator]]\npriority = \"residential burglary\"\nbaseline_year = 2024\n[[indicator]]\npriority = \"Hate crime\"\naim = \"increase\"\n",
            Path::new("t.toml"),
            &c,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.indicators.len(), 2);
        assert_eq!(t.indicators[0].priority.name, "Residential burglary");
        assert_eq!(
            (t.indicators[0].target_pct, t.indicators[0].baseline_year),
            (Some(5.0), Some(2024))
        );
        assert_eq!(t.indicators[1].aim, Aim::Increase);
        assert_eq!(t.alpha, 0.05);
        let e = Targets::parse("[[indicator]]\npriority = \"burglery\"\n", Path::new("t.toml"), &c)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("t.toml:2:12: unknown priority"), "{e}");
        let e = Targets::parse(
            "[[indicator]]\npriority = \"robbery\"\naim = \"down\"\n",
            Path::new("t.toml"),
            &c,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.starts_with("t.toml:3:7: aim \"down\""), "{e}");
        let e = Targets::parse(
            "[[indicator]]\npriority = \"robbery\"\ntarget = 5\n",
            Path::new("t.toml"),
            &c,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("t.toml:3:1") && e.contains("unknown field"), "{e}");
    }

    #[test]
    fn zero_is_a_target_and_none_opts_out_of_the_default() {
        let c = Config::default_config();
        let t = Targets::parse(
            "[defaults]\ntarget_pct = 5\n[[indicator]]\npriority = \"robbery\"\ntarget_pct = 0\n[[indicator]]\npriority = \"Hate crime\"\ntarget_pct = \"none\"\n[[indicator]]\npriority = \"Vehicle crime\"\n",
            Path::new("t.toml"),
            &c,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pct: Vec<Option<f64>> = t.indicators.iter().map(|i| i.target_pct).collect();
        assert_eq!(pct, vec![Some(0.0), None, Some(5.0)]);
        // no [defaults] target: none unless the indicator sets one
        let t = Targets::parse("[[indicator]]\npriority = \"robbery\"\n", Path::new("t.toml"), &c)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.indicators[0].target_pct, None);
        for bad in
            ["target_pct = 100", "target_pct = -1", "target_pct = \"never\"", "target_pct = true"]
        {
            let e = Targets::parse(
                &format!("[[indicator]]\npriority = \"robbery\"\n{bad}\n"),
                Path::new("t.toml"),
                &c,
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
            assert!(
                e.starts_with("t.toml:3:14: target_pct") && e.contains("\"none\""),
                "{bad}: {e}"
            );
        }
        let e = Targets::parse(
            "[defaults]\ntarget_pct = 150\n[[indicator]]\npriority = \"robbery\"\n",
            Path::new("t.toml"),
            &c,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.starts_with("t.toml:2:14"), "{e}");
    }
}
