//! `csa breakdown` and `csa priorities`: thin wrappers over csa-analysis.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use csa_analysis::breakdown::text_col;
use csa_analysis::views::{self, Answer};
use csa_analysis::{export, names, Assessment, Config, Dim, Month, Period, Priority};
use polars::prelude::DataFrame;

use crate::cli::{BreakdownArgs, PrioritiesArgs, Scope, TableFormat, View};
use crate::exit::UsageError;

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
    let from = from.map(|f| month(f, "--from")).transpose()?;
    let to = to.map(|t| month(t, "--to")).transpose()?;
    Ok(Period::from_bounds(from, to)?)
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

/// The library's view for the command line's `--view`.
fn library_view(v: View) -> views::View {
    match v {
        View::Counts => views::View::Counts,
        View::Volume => views::View::Volume,
        View::RepeatVictims => views::View::RepeatVictims,
        View::RepeatOffenders => views::View::RepeatOffenders,
        View::Prolific => views::View::Prolific,
        View::TopLocations => views::View::TopLocations,
        View::DayHour => views::View::DayHour,
        View::EqualitiesVictims => views::View::EqualitiesVictims,
        View::EqualitiesOffenders => views::View::EqualitiesOffenders,
    }
}

pub fn run(a: BreakdownArgs) -> anyhow::Result<()> {
    if matches!(a.format, TableFormat::Xlsx | TableFormat::Parquet) && a.out.is_none() {
        return Err(
            UsageError("--format xlsx and parquet write a file: give --out FILE".into()).into()
        );
    }
    let Resolved { config, dataset, priority, period } = resolve(&a.scope)?;
    let dims = Dim::parse_list(&a.by)?;
    let top = a.top.unwrap_or(config.top_n);

    let view = library_view(a.view);
    let needs = view.needs(&config, &priority, &dims)?;
    let asmt = Assessment::open(&dataset, config, period, &needs)?;
    let answer = view.answer(&asmt, &priority, &dims, top)?;
    emit(&answer, a.format, a.out.as_deref())
}

fn emit(ans: &Answer, format: TableFormat, out: Option<&Path>) -> anyhow::Result<()> {
    let about = || ans.about();
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
            let mut b = serde_json::to_vec_pretty(&ans.json())?;
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
