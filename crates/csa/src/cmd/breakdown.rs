//! `csa breakdown` and `csa priorities`: thin wrappers over csa-analysis.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use csa_analysis::breakdown::text_col;
use csa_analysis::{export, names, Assessment, Config, Dim, Month, Needs, Period, Priority, Side};
use csa_model::Col;
use polars::prelude::DataFrame;

use crate::cli::{BreakdownArgs, PrioritiesArgs, Scope, TableFormat, View};
use crate::exit::UsageError;

/// One answer: a table and what it counts.
struct Answer {
    title: String,
    unit: String,
    periods: Option<csa_analysis::Periods>,
    totals: Option<(u64, Option<u64>)>,
    notes: Vec<String>,
    table: DataFrame,
}

pub(crate) fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(p) => Config::load(p)?,
        None => Config::default_config(),
    })
}

fn period(from: Option<&str>, to: Option<&str>) -> anyhow::Result<Option<Period>> {
    let month = |s: &str, flag: &str| {
        Month::parse(s)
            .ok_or_else(|| UsageError(format!("{flag} {s:?} is not a month; write YYYY-MM")))
    };
    Ok(match (from, to) {
        (None, None) => None,
        (Some(f), None) => {
            let from = month(f, "--from")?;
            Some(Period::new(from, from.plus(11))?)
        }
        (None, Some(t)) => Some(Period::ending(month(t, "--to")?, 12)),
        (Some(f), Some(t)) => Some(Period::new(month(f, "--from")?, month(t, "--to")?)?),
    })
}

/// What a command's [`Scope`] resolves to.
pub(crate) struct Resolved {
    pub config: Config,
    pub dataset: std::path::PathBuf,
    pub priority: Priority,
    pub period: Option<Period>,
}

/// The configuration (or the shipped one), the dataset (flag or config), the priority and the
/// period asked for.
pub(crate) fn resolve(scope: &Scope) -> anyhow::Result<Resolved> {
    let config = load_config(scope.config.as_deref())?;
    let dataset = crate::cmd::dataset_of(scope.dataset.as_deref(), &config)?;
    let priority = config.priority(&scope.priority)?;
    let period = period(scope.from.as_deref(), scope.to.as_deref())?;
    Ok(Resolved { config, dataset, priority, period })
}

pub fn run(a: BreakdownArgs) -> anyhow::Result<()> {
    if matches!(a.format, TableFormat::Xlsx | TableFormat::Parquet) && a.out.is_none() {
        return Err(
            UsageError("--format xlsx and parquet write a file: give --out FILE".into()).into()
        );
    }
    let Resolved { config, dataset, priority, period } = resolve(&a.scope)?;
    let dims = Dim::parse_list(&a.by)?;
    let side = csa_analysis::breakdown::side_of(&dims)?;
    let top = a.top.unwrap_or(config.top_n);

    let all = config.all_priorities();
    let mut needs = match a.view {
        View::Volume => Needs::for_priorities(&all),
        _ => Needs::for_priorities([&priority]),
    };
    // every view but volume is about this one priority: only its crimes' people are needed
    if a.view != View::Volume {
        needs.people_filter = Some(priority.filter.clone());
    }
    match a.view {
        View::Counts => {
            needs.add(dims.iter().flat_map(|d| d.columns()));
            needs.victims = side == Side::Victim;
            needs.offenders = side == Side::Offender;
            needs.relationship = dims.contains(&Dim::OffenderRelationship);
        }
        View::Volume => needs.add(csa_analysis::volume::HARM_COLUMNS.iter().copied()),
        View::RepeatVictims => {
            needs.victims = true;
            needs.offenders = true;
        }
        View::RepeatOffenders => needs.offenders = true,
        View::Prolific => {
            needs.offenders = true;
            needs.add([Col::OffenceGroup, Col::CrimeType]);
        }
        View::TopLocations => {
            needs.add([Col::LocationDesc, Col::Easting, Col::Northing, Col::WardName])
        }
        View::DayHour => needs.add([Col::DayOfWeek, Col::Hour]),
        View::EqualitiesVictims => needs.victims = true,
        View::EqualitiesOffenders => needs.offenders = true,
    }
    let asmt = Assessment::open(&dataset, config, period, &needs)?;
    let periods = Some(asmt.periods);
    let people_side = |s: Side| csa_analysis::breakdown::people_of(&asmt, s).map(|_| ());
    let answer = match a.view {
        View::Counts => {
            let b = csa_analysis::breakdown(&asmt, &priority, &dims)?;
            let by = if dims.is_empty() {
                String::new()
            } else {
                format!(" by {}", dims.iter().map(|d| d.name()).collect::<Vec<_>>().join(", "))
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
        View::Volume => Answer {
            title: "Volume, change, rate and harm of every priority".into(),
            unit: "crimes and ASB incidents".into(),
            periods,
            totals: None,
            notes: vec![format!(
                "rates per 1,000 of the area's residents or households ({})",
                asmt.population.source
            )],
            table: csa_analysis::volume::volume(&asmt, &all)?,
        },
        View::RepeatVictims => {
            people_side(Side::Victim)?;
            let s = csa_analysis::repeats::repeats(&asmt, &priority, Side::Victim)?;
            let w = csa_analysis::repeats::repeat_within(&asmt, &priority, 365)?;
            let mut notes =
                vec!["\"again within 365 days\" looks back into the 12 months before the period"
                    .to_string()];
            notes.extend(w.note());
            Answer {
                title: format!("{}: repeat victims", priority.name),
                unit: "victims (person ids)".into(),
                periods,
                totals: None,
                notes,
                table: csa_analysis::repeats::repeats_table(&s, Some(&w))?,
            }
        }
        View::RepeatOffenders => {
            people_side(Side::Offender)?;
            let s = csa_analysis::repeats::repeats(&asmt, &priority, Side::Offender)?;
            Answer {
                title: format!("{}: repeat offenders", priority.name),
                unit: "offenders (person ids)".into(),
                periods,
                totals: None,
                notes: vec![],
                table: csa_analysis::repeats::repeats_table(&s, None)?,
            }
        }
        View::Prolific => {
            people_side(Side::Offender)?;
            Answer {
                title: format!("{}: the {top} most prolific offenders", priority.name),
                unit: "distinct crimes per offender".into(),
                periods,
                totals: None,
                notes: vec!["offender ids are pseudonymised with a keyed hash (set [assessment] pseudonym_key to keep them stable across datasets)".into()],
                table: csa_analysis::repeats::prolific_offenders(&asmt, &priority, top)?,
            }
        }
        View::TopLocations => Answer {
            title: format!("{}: the {top} busiest locations", priority.name),
            unit: "crimes and ASB incidents".into(),
            periods,
            totals: None,
            notes: vec![],
            table: csa_analysis::location::top_locations(&asmt, &priority, top)?,
        },
        View::DayHour => Answer {
            title: format!("{}: day of week x hour committed", priority.name),
            unit: "crimes and ASB incidents".into(),
            periods,
            totals: None,
            notes: csa_analysis::breakdown::unrecorded(
                &asmt.data.crimes,
                &[Col::Hour, Col::DayOfWeek],
                "the day x hour table",
            ),
            table: csa_analysis::location::day_hour(&asmt, &priority)?,
        },
        View::EqualitiesVictims | View::EqualitiesOffenders => {
            let side =
                if a.view == View::EqualitiesVictims { Side::Victim } else { Side::Offender };
            people_side(side)?;
            let mut notes = vec!["people counted once, described by their latest record; unknown groups are left out of the shares".to_string()];
            if asmt.population.groups.is_empty() {
                notes.push("no population by age, sex and ethnicity is configured ([population] groups), so there are shares but no ratios".into());
            }
            Answer {
                title: format!(
                    "{}: {} against the resident population",
                    priority.name,
                    if side == Side::Victim { "victims" } else { "offenders" }
                ),
                unit: "people (distinct ids)".into(),
                periods,
                totals: None,
                notes,
                table: csa_analysis::equalities::equalities(&asmt, &priority, side)?,
            }
        }
    };
    emit(&answer, a.format, a.out.as_deref())
}

fn emit(ans: &Answer, format: TableFormat, out: Option<&Path>) -> anyhow::Result<()> {
    let about = || -> Vec<(String, String)> {
        let mut v = vec![
            ("table".to_string(), ans.title.clone()),
            ("counts".to_string(), ans.unit.clone()),
        ];
        if let Some(p) = ans.periods {
            v.push(("period".into(), p.current.to_string()));
            v.push(("comparison period".into(), p.comparison.to_string()));
        }
        if let Some((t, c)) = ans.totals {
            v.push(("total".into(), t.to_string()));
            v.push(("comparison total".into(), c.map_or("-".into(), |c| c.to_string())));
        }
        for n in &ans.notes {
            v.push(("note".into(), n.clone()));
        }
        v
    };
    let bytes: Vec<u8> = match format {
        TableFormat::Table => {
            let mut s = String::new();
            for (k, v) in about() {
                s.push_str(&format!("{k}: {v}\n"));
            }
            s.push('\n');
            s.push_str(&export::text_table(&ans.table));
            s.into_bytes()
        }
        TableFormat::Csv => {
            for n in &ans.notes {
                eprintln!("note: {n}");
            }
            let mut buf = Vec::new();
            export::write_csv(&ans.table, &mut buf)?;
            buf
        }
        TableFormat::Json => {
            let meta: serde_json::Map<String, serde_json::Value> = serde_json::Map::from_iter([
                ("table".into(), ans.title.clone().into()),
                ("counts".into(), ans.unit.clone().into()),
                ("period".into(), ans.periods.map(|p| serde_json::json!({"from": p.current.from.to_string(), "to": p.current.to.to_string()})).unwrap_or_default()),
                ("comparison_period".into(), ans.periods.map(|p| serde_json::json!({"from": p.comparison.from.to_string(), "to": p.comparison.to.to_string()})).unwrap_or_default()),
                ("total".into(), ans.totals.map(|t| t.0.into()).unwrap_or_default()),
                ("comparison_total".into(), ans.totals.and_then(|t| t.1).map(Into::into).unwrap_or_default()),
                ("notes".into(), ans.notes.clone().into()),
                ("rows".into(), export::json_records(&ans.table)),
            ]);
            let mut b = serde_json::to_vec_pretty(&serde_json::Value::Object(meta))?;
            b.push(b'\n');
            b
        }
        TableFormat::Xlsx => {
            let path = out.expect("checked above");
            let about_df = export::about_table(&about())?;
            let tmp = path.with_extension("xlsx.partial");
            export::write_xlsx(
                &tmp,
                &[("table".into(), &ans.table), ("about".into(), &about_df)],
                None,
            )?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(());
        }
        TableFormat::Parquet => {
            let path = out.expect("checked above");
            let tmp = path.with_extension("parquet.partial");
            export::write_parquet(&ans.table, &tmp)?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(());
        }
    };
    match out {
        None => {
            std::io::stdout().lock().write_all(&bytes).context("cannot write to standard output")
        }
        Some(path) => crate::cmd::write_atomic(path, &bytes),
    }
}

pub fn priorities(a: PrioritiesArgs) -> anyhow::Result<()> {
    if matches!(a.format, TableFormat::Xlsx | TableFormat::Parquet) {
        return Err(UsageError("csa priorities writes table, csv or json".into()).into());
    }
    let config = load_config(a.config.as_deref())?;
    let all: Vec<Priority> = config.all_priorities();
    let text = |f: &dyn Fn(&Priority) -> String| {
        all.iter().map(|p| Some(f(p))).collect::<Vec<_>>().into_iter()
    };
    let table = DataFrame::new(
        all.len(),
        vec![
            text_col(names::PRIORITY, text(&|p| p.name.clone())),
            text_col(
                names::SUBGROUPS,
                text(&|p| p.subgroups.iter().map(|g| g.name()).collect::<Vec<_>>().join("; ")),
            ),
            text_col(names::DENOMINATOR, text(&|p| p.denominator.name().to_string())),
            text_col(names::FILTER, text(&|p| p.filter.to_string())),
            text_col(names::SURVEY_OPTIONS, text(&|p| p.survey.join("; "))),
        ],
    )?;
    let ans = Answer {
        title: format!("priorities of {}", config.source.display()),
        unit: "priorities".into(),
        periods: None,
        totals: None,
        notes: vec![],
        table,
    };
    emit(&ans, a.format, None)
}
