//! The review of last year's priorities: what happened to each priority of last year's pack,
//! read from its `summary.json` (`[assessment] previous_summary`; written by `csa assess`,
//! csa-report's `summary.rs`: `period.current`, `key_figures.<priority>.count`, `ranking[]`
//! with `rank` and `priority`).
//!
//! For each priority ranked last year, in last year's rank order:
//!
//! - its count then (last year's pack) and now (this assessment's current period), and rank
//!   then and now; **still a priority** = still configured and ranked this year;
//! - the change tested with the exact conditional Poisson test over the two periods' days
//!   ([`crate::significance::poisson_test`]: given n = x1 + x0, x1 ~ Binomial(n, d1 / (d1 +
//!   d0)) when the daily rate is unchanged), its rate ratio with the Clopper-Pearson interval,
//!   and the finding: a significant rise or fall at `alpha`, or no significant change.
//!
//! A count last year's public pack hid (`<5`, `*`) has no test.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::same_name;
use crate::error::{AnalysisError, Result};
use crate::period::{Month, Period};
use crate::significance::{poisson_test, PoissonTest};

/// A priority of last year's pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Previous {
    pub priority: String,
    pub rank: u32,
    /// `None` when the summary hides it (a public edition's `<5` or `*`).
    pub count: Option<u64>,
}

/// What the review reads of last year's `summary.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousSummary {
    pub source: PathBuf,
    pub title: String,
    pub edition: String,
    pub period: Period,
    /// Ranked priorities, by rank.
    pub priorities: Vec<Previous>,
}

impl PreviousSummary {
    pub fn load(path: &Path) -> Result<PreviousSummary> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        PreviousSummary::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<PreviousSummary> {
        let bad = |detail: String| AnalysisError::Dataset {
            path: path.to_path_buf(),
            detail: format!("{detail} (expected the summary.json of a csa assess pack)"),
        };
        let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let period_text =
            v["period"]["current"].as_str().ok_or_else(|| bad("no period.current".into()))?;
        let period = period_text
            .split_once(" to ")
            .and_then(|(a, b)| Some((Month::parse(a)?, Month::parse(b)?)))
            .and_then(|(a, b)| Period::new(a, b).ok())
            .ok_or_else(|| {
                bad(format!("period.current {period_text:?} is not \"YYYY-MM to YYYY-MM\""))
            })?;
        let ranking = v["ranking"].as_array().ok_or_else(|| bad("no ranking".into()))?;
        let mut priorities = Vec::new();
        for (i, r) in ranking.iter().enumerate() {
            let name = r["priority"]
                .as_str()
                .ok_or_else(|| bad(format!("ranking[{i}] has no priority")))?;
            let rank = r["rank"]
                .as_u64()
                .ok_or_else(|| bad(format!("ranking[{i}] ({name}) has no rank")))?;
            priorities.push(Previous {
                priority: name.to_string(),
                rank: rank as u32,
                count: v["key_figures"][name]["count"].as_u64(),
            });
        }
        priorities.sort_by_key(|p| p.rank);
        Ok(PreviousSummary {
            source: path.to_path_buf(),
            title: v["title"].as_str().unwrap_or("").to_string(),
            edition: v["edition"].as_str().unwrap_or("").to_string(),
            period,
            priorities,
        })
    }
}

/// A priority this year: its name, rank (when ranked) and current count.
#[derive(Debug, Clone, PartialEq)]
pub struct Now {
    pub priority: String,
    pub rank: Option<u32>,
    pub count: Option<u64>,
}

/// One reviewed priority.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviewed {
    pub priority: String,
    pub rank_then: u32,
    pub rank_now: Option<u32>,
    pub still_a_priority: bool,
    pub count_then: Option<u64>,
    pub count_now: Option<u64>,
    pub test: Option<PoissonTest>,
    pub significant: bool,
    pub finding: String,
}

impl Reviewed {
    pub fn change(&self) -> Option<i64> {
        Some(self.count_now? as i64 - self.count_then? as i64)
    }
    pub fn change_pct(&self) -> Option<f64> {
        let (n, t) = (self.count_now?, self.count_then?);
        (t > 0).then(|| crate::breakdown::round2(100.0 * (n as f64 - t as f64) / t as f64))
    }
}

/// Each of last year's priorities against this year's figures (module header).
pub fn review(prev: &PreviousSummary, now: &[Now], period: Period, alpha: f64) -> Vec<Reviewed> {
    prev.priorities
        .iter()
        .map(|p| {
            let here = now.iter().find(|n| same_name(&n.priority, &p.priority));
            let count_now = here.and_then(|n| n.count);
            let test = match (count_now, p.count) {
                (Some(x1), Some(x0)) => Some(poisson_test(
                    x1,
                    x0,
                    period.days() as f64,
                    prev.period.days() as f64,
                    alpha,
                )),
                _ => None,
            };
            let significant = test.is_some_and(|t| t.p < alpha);
            let finding = match (test, count_now, p.count) {
                (Some(_), Some(a), Some(b)) if significant && a > b => "significant rise",
                (Some(_), Some(a), Some(b)) if significant && a < b => "significant fall",
                (Some(_), ..) => "no significant change",
                (None, None, _) if here.is_none() => "no longer configured",
                _ => "no test (a count is hidden or missing)",
            };
            Reviewed {
                priority: p.priority.clone(),
                rank_then: p.rank,
                rank_now: here.and_then(|n| n.rank),
                still_a_priority: here.is_some_and(|n| n.rank.is_some()),
                count_then: p.count,
                count_now,
                test,
                significant,
                finding: finding.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_summary() {
        let s = PreviousSummary::parse(
            r#"{"title":"T","edition":"restricted","period":{"current":"2024-01 to 2024-12"},
               "key_figures":{"Robbery":{"count":40},"Drugs":{"count":"<5"}},
               "ranking":[{"rank":2,"priority":"Drugs"},{"rank":1,"priority":"Robbery"}]}"#,
            Path::new("s.json"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.period.to_string(), "2024-01 to 2024-12");
        assert_eq!(
            s.priorities,
            vec![
                Previous { priority: "Robbery".into(), rank: 1, count: Some(40) },
                Previous { priority: "Drugs".into(), rank: 2, count: None },
            ]
        );
        let e = PreviousSummary::parse("{}", Path::new("s.json")).err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("period.current"));
    }
}
