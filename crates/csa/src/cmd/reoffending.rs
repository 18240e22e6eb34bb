//! `csa reoffending`: a period's proven re-offending cohort (`--cohort`), or an offender cohort
//! file tracked before and after entry (`--cohort-file`). A thin wrapper over csa-analysis
//! (`reoffending_table`, `iom`).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use csa_analysis::iom::{self, CohortFile};
use csa_analysis::reoffending::{self, CohortPeriod, Spec};
use csa_analysis::reoffending_table::{reoffending, Dimension, Output};
use csa_analysis::{export, Assessment, Config, DatasetInfo, Period, Periods};

use crate::cli::{ReoffendingArgs, TableFormat};
use crate::cmd::breakdown::load_config;
use crate::exit::UsageError;

/// Sheets longer than this are left out of the text format (they are in JSON and xlsx).
const TEXT_ROWS: usize = 40;

pub fn run(a: ReoffendingArgs) -> anyhow::Result<()> {
    if matches!(a.format, TableFormat::Xlsx | TableFormat::Parquet) && a.out.is_none() {
        return Err(
            UsageError("--format xlsx and parquet write a file: give --out FILE".into()).into()
        );
    }
    let config = load_config(a.config.as_deref())?;
    let dataset = crate::cmd::dataset_of(a.dataset.as_deref(), &config)?;
    let output = match (&a.cohort, &a.cohort_file) {
        (Some(c), _) => cohort(&a, c, config, &dataset)?,
        (None, Some(f)) => offender_cohort(&a, f, config, &dataset)?,
        (None, None) => {
            return Err(UsageError(
                "give --cohort PERIOD (e.g. 2024Q1, FY2024) or --cohort-file FILE.csv".into(),
            )
            .into())
        }
    };
    emit(&output, a.format, a.out.as_deref())
}

fn cohort(a: &ReoffendingArgs, c: &str, config: Config, dataset: &Path) -> anyhow::Result<Output> {
    let period = CohortPeriod::parse(c)?;
    let priority = config.priority(&a.priority)?;
    let dims = Dimension::parse_list(&a.by)?;
    let spec = Spec {
        follow_up_months: a.follow_up_months,
        waiting_months: a.waiting_months,
        prolific_previous: a.prolific_crimes,
        provisional: a.provisional,
    };
    spec.check()?;
    let periods = Periods { current: period.months(), comparison: period.year_earlier().months() };
    let asmt = Assessment::open_months(
        dataset,
        config,
        periods,
        spec.load(period),
        &reoffending::needs(&priority),
    )?;
    Ok(reoffending(&asmt, &priority, period, &spec, &dims)?.output()?)
}

fn offender_cohort(
    a: &ReoffendingArgs,
    file: &Path,
    config: Config,
    dataset: &Path,
) -> anyhow::Result<Output> {
    let file = CohortFile::load(file)?;
    let span = file.span(a.follow_up_months);
    // to the end of the data: a crime committed in a window may be recorded later
    let latest = DatasetInfo::open(dataset)?.latest().unwrap_or(span.to);
    let load = Period { from: span.from, to: span.to.max(latest) };
    let periods = Periods { current: span, comparison: span };
    let asmt = Assessment::open_months(dataset, config, periods, load, &iom::needs())?;
    Ok(iom::track(&asmt, &file, a.follow_up_months)?.output()?)
}

fn emit(o: &Output, format: TableFormat, out: Option<&Path>) -> anyhow::Result<()> {
    let bytes: Vec<u8> = match format {
        TableFormat::Table => {
            let mut s = String::new();
            for (k, v) in &o.about {
                s.push_str(&format!("{k}: {v}\n"));
            }
            s.push('\n');
            s.push_str(&export::text_table(&o.table));
            for (name, df) in &o.sheets {
                if df.height() > TEXT_ROWS {
                    s.push_str(&format!(
                        "\n{name}: {} rows (in --format json or xlsx)\n",
                        df.height()
                    ));
                } else {
                    s.push_str(&format!("\n{name}:\n{}", export::text_table(df)));
                }
            }
            s.into_bytes()
        }
        TableFormat::Csv => {
            for n in &o.notes {
                eprintln!("note: {n}");
            }
            let mut buf = Vec::new();
            export::write_csv(&o.table, &mut buf)?;
            buf
        }
        TableFormat::Json => {
            let mut b = serde_json::to_vec_pretty(&o.json)?;
            b.push(b'\n');
            b
        }
        TableFormat::Xlsx => {
            let path = out.context("--format xlsx needs --out")?;
            let about = export::about_table(&o.about)?;
            let mut sheets: Vec<(String, &polars::prelude::DataFrame)> =
                vec![("table".into(), &o.table)];
            sheets.extend(o.sheets.iter().map(|(n, df)| (n.clone(), df)));
            sheets.push(("about".into(), &about));
            let tmp = path.with_extension("xlsx.partial");
            export::write_xlsx(&tmp, &sheets, None)?;
            return std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()));
        }
        TableFormat::Parquet => {
            let path = out.context("--format parquet needs --out")?;
            let tmp = path.with_extension("parquet.partial");
            export::write_parquet(&o.table, &tmp)?;
            return std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()));
        }
    };
    match out {
        None => {
            std::io::stdout().lock().write_all(&bytes).context("cannot write to standard output")
        }
        Some(path) => crate::cmd::write_atomic(path, &bytes),
    }
}
