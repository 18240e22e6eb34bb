//! The views of one priority that `csa breakdown --view` prints and `csa serve` shows: what each
//! needs loaded ([`View::needs`]) and the table it answers with ([`View::answer`]), so every
//! front end gives the same numbers from the same code.
//!
//! | view | table |
//! |---|---|
//! | `counts` | [`crate::breakdown`] by up to four dimensions against the comparison period |
//! | `volume` | [`crate::volume`]: every priority's count, change, rate and harm |
//! | `repeat-victims` | [`crate::repeats`] of victims, with the 365-day repeat rule |
//! | `repeat-offenders` | [`crate::repeats`] of offenders |
//! | `prolific` | the most prolific offenders, pseudonymised |
//! | `top-locations` | [`crate::location::top_locations`] |
//! | `day-hour` | [`crate::location::day_hour`] |
//! | `equalities-victims`, `equalities-offenders` | [`crate::equalities`] |

use csa_model::Col;
use polars::prelude::DataFrame;

use crate::assessment::Assessment;
use crate::config::{Config, Priority};
use crate::dims::{Dim, Side};
use crate::error::{AnalysisError, Result};
use crate::needs::Needs;
use crate::period::Periods;
use crate::{breakdown, equalities, location, repeats, volume};

/// One view of a priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Counts,
    Volume,
    RepeatVictims,
    RepeatOffenders,
    Prolific,
    TopLocations,
    DayHour,
    EqualitiesVictims,
    EqualitiesOffenders,
}

/// A view's answer: its table and what it counts.
#[derive(Debug, Clone)]
pub struct Answer {
    pub title: String,
    /// What one unit of the counts is ("crimes and ASB incidents", "victims (person ids)").
    pub unit: String,
    pub periods: Option<Periods>,
    /// Total and comparison total, for count views.
    pub totals: Option<(u64, Option<u64>)>,
    pub notes: Vec<String>,
    pub table: DataFrame,
}

impl Answer {
    /// What the table is, as (label, text) lines: the header of the text format and the
    /// "about" sheet of the workbook.
    pub fn about(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("table".to_string(), self.title.clone()),
            ("counts".to_string(), self.unit.clone()),
        ];
        if let Some(p) = self.periods {
            v.push(("period".into(), p.current.to_string()));
            v.push(("comparison period".into(), p.comparison.to_string()));
        }
        if let Some((t, c)) = self.totals {
            v.push(("total".into(), t.to_string()));
            v.push(("comparison total".into(), c.map_or("-".into(), |c| c.to_string())));
        }
        for n in &self.notes {
            v.push(("note".into(), n.clone()));
        }
        v
    }

    /// The answer as one JSON object: what it counts, the periods, totals, notes and the rows
    /// as records (`csa breakdown --format json`).
    pub fn json(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        let period =
            |p: crate::period::Period| json!({"from": p.from.to_string(), "to": p.to.to_string()});
        json!({
            "table": self.title,
            "counts": self.unit,
            "period": self.periods.map_or(Value::Null, |p| period(p.current)),
            "comparison_period": self.periods.map_or(Value::Null, |p| period(p.comparison)),
            "total": self.totals.map_or(Value::Null, |t| t.0.into()),
            "comparison_total": self.totals.and_then(|t| t.1).map_or(Value::Null, Into::into),
            "notes": self.notes,
            "rows": crate::export::json_records(&self.table),
        })
    }
}

impl View {
    pub const ALL: [View; 9] = [
        View::Counts,
        View::Volume,
        View::RepeatVictims,
        View::RepeatOffenders,
        View::Prolific,
        View::TopLocations,
        View::DayHour,
        View::EqualitiesVictims,
        View::EqualitiesOffenders,
    ];

    /// The view's name on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            View::Counts => "counts",
            View::Volume => "volume",
            View::RepeatVictims => "repeat-victims",
            View::RepeatOffenders => "repeat-offenders",
            View::Prolific => "prolific",
            View::TopLocations => "top-locations",
            View::DayHour => "day-hour",
            View::EqualitiesVictims => "equalities-victims",
            View::EqualitiesOffenders => "equalities-offenders",
        }
    }

    /// The view called `name`.
    pub fn parse(name: &str) -> Result<View> {
        View::ALL.into_iter().find(|v| v.name() == name).ok_or_else(|| {
            let names: Vec<&str> = View::ALL.iter().map(|v| v.name()).collect();
            AnalysisError::Usage(format!(
                "unknown view {name:?}; the views are {}",
                names.join(", ")
            ))
        })
    }

    /// Checks the dimensions a view takes: the equalities views take `--by ward` (ward by
    /// ward) or nothing (the whole area); counts take up to four; the rest ignore them.
    pub fn check_dims(self, dims: &[Dim]) -> Result<()> {
        match self {
            View::EqualitiesVictims | View::EqualitiesOffenders => {
                equalities_by_ward(dims).map(|_| ())
            }
            _ => Ok(()),
        }
    }

    /// Whether the view is about people (victims or offenders), so needs a force extract.
    pub fn side(self, dims: &[Dim]) -> Result<Side> {
        Ok(match self {
            View::Counts => breakdown::side_of(dims)?,
            View::RepeatVictims | View::EqualitiesVictims => Side::Victim,
            View::RepeatOffenders | View::Prolific | View::EqualitiesOffenders => Side::Offender,
            View::Volume | View::TopLocations | View::DayHour => Side::Crime,
        })
    }

    /// What the view of `priority` (by `dims`, for counts) needs loaded.
    pub fn needs(self, config: &Config, priority: &Priority, dims: &[Dim]) -> Result<Needs> {
        self.check_dims(dims)?;
        Ok(match self {
            View::Counts => breakdown::needs(priority, dims)?,
            View::Volume => volume::needs(&config.all_priorities()),
            View::RepeatVictims => repeats::needs(priority, Side::Victim),
            View::RepeatOffenders => repeats::needs(priority, Side::Offender),
            View::Prolific => repeats::prolific_needs(priority),
            View::TopLocations => location::top_locations_needs(priority),
            View::DayHour => location::day_hour_needs(priority),
            View::EqualitiesVictims => equalities::needs(priority, Side::Victim),
            View::EqualitiesOffenders => equalities::needs(priority, Side::Offender),
        })
    }

    /// The view's answer on an assessment opened with [`View::needs`]; `top` is the length of
    /// the top-N lists (prolific offenders, top locations).
    pub fn answer(
        self,
        a: &Assessment,
        priority: &Priority,
        dims: &[Dim],
        top: usize,
    ) -> Result<Answer> {
        let periods = Some(a.periods);
        let side = self.side(dims)?;
        breakdown::people_of(a, side)?;
        let answer = |title: String, unit: &str, notes: Vec<String>, table: DataFrame| Answer {
            title,
            unit: unit.to_string(),
            periods,
            totals: None,
            notes,
            table,
        };
        Ok(match self {
            View::Counts => {
                let b = breakdown::breakdown(a, priority, dims)?;
                let by = if dims.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> = dims.iter().map(|d| d.name()).collect();
                    format!(" by {}", names.join(", "))
                };
                Answer {
                    title: format!("{}{by}", b.priority),
                    unit: b.side.unit().into(),
                    periods,
                    totals: Some((b.total, b.comparison_total)),
                    notes: b.notes,
                    table: b.table,
                }
            }
            View::Volume => answer(
                "Volume, change, rate and harm of every priority".into(),
                "crimes and ASB incidents",
                vec![format!(
                    "rates per 1,000 of the area's residents or households ({})",
                    a.population.source
                )],
                volume::volume(a, &a.config.all_priorities())?,
            ),
            View::RepeatVictims => {
                let s = repeats::repeats(a, priority, Side::Victim)?;
                let w = repeats::repeat_within(a, priority, 365)?;
                let mut notes = vec!["\"again within 365 days\" looks back into the 12 months \
                                      before the period"
                    .to_string()];
                notes.extend(w.note());
                answer(
                    format!("{}: repeat victims", priority.name),
                    "victims (person ids)",
                    notes,
                    repeats::repeats_table(&s, Some(&w))?,
                )
            }
            View::RepeatOffenders => {
                let s = repeats::repeats(a, priority, Side::Offender)?;
                answer(
                    format!("{}: repeat offenders", priority.name),
                    "offenders (person ids)",
                    vec![],
                    repeats::repeats_table(&s, None)?,
                )
            }
            View::Prolific => answer(
                format!("{}: the {top} most prolific offenders", priority.name),
                "distinct crimes per offender",
                vec!["offender ids are pseudonymised with a keyed hash (set [assessment] pseudonym_key to keep them stable across datasets)".into()],
                repeats::prolific_offenders(a, priority, top)?,
            ),
            View::TopLocations => answer(
                format!("{}: the {top} busiest locations", priority.name),
                "crimes and ASB incidents",
                vec![],
                location::top_locations(a, priority, top)?,
            ),
            View::DayHour => answer(
                format!("{}: day of week x hour committed", priority.name),
                "crimes and ASB incidents",
                breakdown::unrecorded(
                    &a.data.crimes,
                    &[Col::Hour, Col::DayOfWeek],
                    "the day x hour table",
                ),
                location::day_hour(a, priority)?,
            ),
            View::EqualitiesVictims | View::EqualitiesOffenders => {
                let by_ward = equalities_by_ward(dims)?;
                let mut notes = vec!["people counted once, described by their latest record; unknown groups are left out of the shares".to_string()];
                if by_ward {
                    notes.push(format!("by ward: people counted in the ward where the crime happened (once per ward); no ratio where fewer than {} people of the ward have a known value", equalities::MIN_WARD_PEOPLE));
                }
                notes.extend(equalities::population_notes(a, by_ward));
                let who = if side == Side::Victim { "victims" } else { "offenders" };
                let table = if by_ward {
                    equalities::equalities_by_ward(a, priority, side)?
                } else {
                    equalities::equalities(a, priority, side)?
                };
                if table.height() == 0 {
                    notes.push(format!(
                        "{} has no {who} with a recorded age, sex or ethnic group in the period",
                        priority.name
                    ));
                }
                answer(
                    format!(
                        "{}: {who}{} against the resident population",
                        priority.name,
                        if by_ward { " by ward" } else { "" }
                    ),
                    "people (distinct ids)",
                    notes,
                    table,
                )
            }
        })
    }
}

/// Whether the equalities views are asked ward by ward (`--by ward`) or for the whole area.
fn equalities_by_ward(dims: &[Dim]) -> Result<bool> {
    match dims {
        [] => Ok(false),
        [Dim::Ward] => Ok(true),
        _ => Err(AnalysisError::Usage(
            "the equalities views take --by ward (ward by ward) or no --by (the whole area)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_the_choices() {
        for v in View::ALL {
            assert_eq!(View::parse(v.name()).ok(), Some(v));
        }
        let e = View::parse("victims").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("repeat-victims") && e.contains("day-hour"), "{e}");
    }
}
