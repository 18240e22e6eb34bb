//! Writing the pack: publication (public edition), figures, layers, tables in three formats,
//! the report and the summary, all into `.<DIR>.assess-<pid>` beside the output folder,
//! which then replaces `DIR` (`csa_ingest::dataset::replace_dir`: one atomic exchange where
//! the file system allows). A run that fails removes its staging folder; a killed one leaves
//! it beside `DIR` (named by its pid) and `DIR` untouched, and the next run removes it.
//!
//! Layout of the pack:
//!
//! ```text
//! report.html          self-contained (inline CSS and SVG; no request of any kind)
//! summary.json         key figures, ranking, parameters, input hashes, files
//! tables.xlsx          every table, one sheet each
//! tables/NAME.csv      every table as CSV ...
//! tables/NAME.parquet  ... and Parquet
//! charts/NAME.png|svg  every chart and map
//! maps/*.geojson       wards, hotspot cells, hotspot clusters (EPSG:4326)
//! disclosure.json      public edition: what every count is, where it is shown, how the
//!                      counts relate (read by `csa audit`)
//! ```
//!
//! A public pack is audited from its files alone once written ([`crate::public::spec`]);
//! when the audit fails, the pack is not swapped in and the previous one stays.

use std::path::{Path, PathBuf};

use csa_analysis::{AnalysisError, Result};
use serde::Serialize;

use crate::build::Built;
use crate::edition::{Edition, PackOptions};
use crate::table::Table;

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct PackSummary {
    pub out: PathBuf,
    pub tables: usize,
    pub figures: usize,
    /// Public edition: counts of 1 to 4 hidden, and further cells hidden (counts and the
    /// figures derived from hidden counts).
    pub primary_suppressed: usize,
    pub secondary_suppressed: usize,
    /// The priorities, highest rank first.
    pub ranking: Vec<String>,
    /// Public edition: the audit of the written pack.
    pub audit: Option<AuditSummary>,
}

/// The public pack's audit, in figures.
#[derive(Debug, Clone, Serialize)]
pub struct AuditSummary {
    /// Hidden or latent counts audited.
    pub cells: usize,
    /// Independent components and the largest one's cells.
    pub components: usize,
    pub largest: usize,
    /// Integer programmes solved (protection and audit).
    pub solves: usize,
    /// Of which in the audit from the files.
    pub audit_solves: usize,
    /// Seconds spent making the public tables (protection included) and auditing the files.
    pub protect_s: f64,
    pub audit_s: f64,
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Write { path: path.to_path_buf(), detail: e.to_string() }
}

/// The tables of an edition and its ranking: everything as built (restricted), or the
/// published form (public).
pub struct EditionTables {
    pub tables: Vec<Table>,
    pub ranking: Vec<csa_analysis::ranking::Ranked>,
    pub published: Option<crate::public::Published>,
}

/// The tables of `edition`.
pub fn edition_tables(
    b: &Built,
    edition: Edition,
    primary_only: bool,
    previous_public: Option<&std::path::Path>,
) -> Result<EditionTables> {
    Ok(match edition {
        Edition::Restricted => {
            EditionTables { tables: b.tables.clone(), ranking: b.ranking.clone(), published: None }
        }
        Edition::Public => {
            let p = crate::public::publish(b, primary_only, previous_public)?;
            EditionTables {
                tables: p.tables.clone(),
                ranking: p.ranking.clone(),
                published: Some(p),
            }
        }
    })
}

/// Unique sheet names of at most 31 characters.
fn sheet_names(tables: &[Table]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tables {
        let base = csa_analysis::export::sheet_name(&t.name);
        let mut name = base.clone();
        let mut k = 2;
        while out.contains(&name) {
            let suffix = format!("~{k}");
            name = format!("{}{suffix}", base.chars().take(31 - suffix.len()).collect::<String>());
            k += 1;
        }
        out.push(name);
    }
    out
}

/// Writes the pack of `b` (see the module header) and swaps it in at `o.out`.
pub fn write_pack(b: &Built, o: &PackOptions) -> Result<PackSummary> {
    csa_ingest::dataset::remove_stale_siblings(&o.out);
    let staging = csa_ingest::dataset::sibling(&o.out, "assess");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| write_err(&staging, e))?;
    }
    let result = write_into(b, o, &staging);
    match result {
        Ok(mut s) => {
            csa_ingest::dataset::replace_dir(&staging, &o.out).map_err(|e| write_err(&o.out, e))?;
            s.out = o.out.clone();
            Ok(s)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn write_into(b: &Built, o: &PackOptions, dir: &Path) -> Result<PackSummary> {
    let mkdir = |p: &Path| std::fs::create_dir_all(p).map_err(|e| write_err(p, e));
    for d in ["tables", "charts", "maps"] {
        mkdir(&dir.join(d))?;
    }
    let started = std::time::Instant::now();
    let ed = edition_tables(b, o.edition, o.primary_only, o.previous_public.as_deref())?;
    let protect_s = started.elapsed().as_secs_f64();
    let tables = &ed.tables;
    // tables: CSV and Parquet each, all in one workbook
    use rayon::prelude::*;
    let frames: Vec<polars::prelude::DataFrame> =
        tables.par_iter().map(|t| t.to_df()).collect::<Result<_>>()?;
    tables.par_iter().zip(&frames).try_for_each(|(t, df)| -> Result<()> {
        let csv = dir.join("tables").join(format!("{}.csv", t.name));
        let mut buf = Vec::new();
        csa_analysis::export::write_csv(df, &mut buf)?;
        std::fs::write(&csv, buf).map_err(|e| write_err(&csv, e))
    })?;
    // Parquet one by one: polars' writer runs on polars' own thread pool, and a rayon worker
    // of ours waiting on it would take on more of our jobs and nest them until the stack runs out
    for (t, df) in tables.iter().zip(&frames) {
        csa_analysis::export::write_parquet(
            df,
            &dir.join("tables").join(format!("{}.parquet", t.name)),
        )?;
    }
    let sheets: Vec<(String, &polars::prelude::DataFrame)> =
        sheet_names(tables).into_iter().zip(&frames).collect();
    let end = b.assessment.periods.current.to.last_day();
    // the workbook's creation date is the period's last day, so the bytes do not change
    use chrono::Datelike;
    csa_analysis::export::write_xlsx(
        &dir.join("tables.xlsx"),
        &sheets,
        Some((end.year() as u16, end.month() as u8, end.day() as u8)),
    )?;
    // figures and layers
    let figures = crate::figures::figures(b, tables, &dir.join("charts"))?;
    let layers = crate::layers::layers(b, tables, o.edition == Edition::Public)?;
    for (name, v) in &layers {
        let path = dir.join("maps").join(name);
        let text = serde_json::to_vec(v).map_err(|e| write_err(&path, e))?;
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
    }
    let (primary, secondary) =
        tables.iter().fold((0, 0), |s, t| (s.0 + t.suppressed.0, s.1 + t.suppressed.1));
    let summary = crate::summary::summary(
        b,
        o,
        &ed,
        &figures,
        &layers.iter().map(|l| l.0.clone()).collect::<Vec<_>>(),
        (primary, secondary),
    )?;
    let summary_path = dir.join("summary.json");
    let mut text = serde_json::to_vec_pretty(&summary).map_err(|e| write_err(&summary_path, e))?;
    text.push(b'\n');
    std::fs::write(&summary_path, text).map_err(|e| write_err(&summary_path, e))?;
    let html = crate::html::report(b, o, &ed, &figures, &summary)?;
    let report = dir.join("report.html");
    std::fs::write(&report, html).map_err(|e| write_err(&report, e))?;
    let a = &b.assessment;
    let title = a.config.name.clone().unwrap_or_else(|| "Community Safety Partnership".into());
    let meta = format!(
        "Assessment period {} (compared with {}) &middot; {} edition &middot; the pack's tables/{}*.csv",
        a.periods.current,
        a.periods.comparison,
        match o.edition {
            Edition::Restricted => "RESTRICTED",
            Edition::Public => "PUBLIC (small numbers suppressed)",
        },
        "serious_violence_"
    );
    let sv = crate::serious_violence::standalone(&title, &meta, &b.serious_violence, tables);
    let sv_path = dir.join(crate::ids::serious_violence::REPORT_FILE);
    std::fs::write(&sv_path, sv).map_err(|e| write_err(&sv_path, e))?;
    // the public edition: its model, then its audit from the files just written
    let mut audit = None;
    if let Some(p) = &ed.published {
        let path = dir.join(crate::public::spec::FILE);
        let text = serde_json::to_vec(&p.spec).map_err(|e| write_err(&path, e))?;
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
        let started = std::time::Instant::now();
        let a = crate::public::spec::audit_packs_with(&[dir.to_path_buf()], false, Some(&p.truth))?;
        let audit_s = started.elapsed().as_secs_f64();
        if !a.passed() {
            return Err(AnalysisError::Internal(format!(
                "the public edition failed its audit, so it was not written: {}",
                crate::public::spec::describe(&a, 10)
            )));
        }
        audit = Some(AuditSummary {
            cells: a.outcome.ranges.len(),
            components: a.outcome.components,
            largest: a.outcome.largest,
            solves: a.outcome.solves + p.protection.solves,
            audit_solves: a.outcome.solves,
            protect_s,
            audit_s,
        });
    }
    Ok(PackSummary {
        out: dir.to_path_buf(),
        tables: tables.len(),
        figures: figures.len(),
        primary_suppressed: primary,
        secondary_suppressed: secondary,
        ranking: ed.ranking.iter().map(|r| r.priority.clone()).collect(),
        audit,
    })
}
