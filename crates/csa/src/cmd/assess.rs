//! `csa assess`: the annual strategic assessment pack. Reads (or ingests) the data the
//! configuration names, runs every analysis through csa-report and writes the pack.

use std::path::{Path, PathBuf};

use anyhow::Context;
use csa_analysis::survey::Survey;
use csa_analysis::{Assessment, Config, Needs};
use csa_report::{Edition, PackOptions};

use crate::cli::{AssessArgs, EditionArg};
use crate::exit::UsageError;

/// The one timestamp of the pack: `SOURCE_DATE_EPOCH` (seconds) when set, else now.
fn generated_at() -> anyhow::Result<String> {
    let t = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s.trim().parse().map_err(|_| {
                UsageError(format!("SOURCE_DATE_EPOCH={s:?} is not a number of seconds"))
            })?;
            chrono::DateTime::from_timestamp(secs, 0)
                .ok_or_else(|| UsageError(format!("SOURCE_DATE_EPOCH={s} is out of range")))?
        }
        Err(_) => chrono::Utc::now(),
    };
    Ok(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Ingests the configuration's `[inputs]` into `dir`.
fn ingest(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let boundaries = config.boundaries.clone().ok_or_else(|| {
        UsageError(format!("{}: [inputs] needs [assessment] boundaries (the ward boundaries to place the records in)", config.source.display()))
    })?;
    let mut req = csa_ingest::IngestRequest::new(boundaries, dir.to_path_buf());
    req.police_uk = config.inputs.police_uk.clone();
    req.extracts = config.inputs.extract.clone();
    req.incidents = config.inputs.incidents.clone();
    req.mapping = config.inputs.mapping.clone();
    req.ward_code_prop = config.ward_code_property.clone();
    req.ward_name_prop = config.ward_name_property.clone();
    let m = csa_ingest::ingest(&req, &|_| {})
        .with_context(|| format!("ingesting the inputs of {} failed", config.source.display()))?;
    if !m.reconciliation.balanced {
        anyhow::bail!("reconciliation failed while ingesting the inputs: rows read do not equal accepted + quarantined");
    }
    Ok(())
}

/// Ingests `[peers] police_uk` (the peer comparison's data) into `dir`.
fn ingest_peers(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let Some(p) = &config.peers else { return Ok(()) };
    let Some(boundaries) = p.boundaries.clone() else { return Ok(()) };
    let mut req = csa_ingest::IngestRequest::new(boundaries, dir.to_path_buf());
    req.police_uk = p.police_uk.clone();
    req.ward_code_prop = config.ward_code_property.clone();
    req.ward_name_prop = config.ward_name_property.clone();
    let m = csa_ingest::ingest(&req, &|_| {}).with_context(|| {
        format!("ingesting the [peers] inputs of {} failed", config.source.display())
    })?;
    if !m.reconciliation.balanced {
        anyhow::bail!("reconciliation failed while ingesting the [peers] inputs: rows read do not equal accepted + quarantined");
    }
    Ok(())
}

pub fn run(a: AssessArgs, quiet: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // the pack's sections free what they build: pages unused for a second go back
    // (crate::alloc), or a national year's pack holds twice the memory it uses
    crate::alloc::return_idle_pages().map_err(|e| anyhow::anyhow!("csa assess: {e}"))?;
    let mut config = Config::load(&a.config)?;
    let generated_at = generated_at()?;
    let edition = match a.edition {
        EditionArg::Restricted => Edition::Restricted,
        EditionArg::Public => Edition::Public,
    };
    // last year's public pack: --previous-public, else the config's
    let previous_public = a.previous_public.clone().or_else(|| config.previous_public.clone());
    if edition == Edition::Public && previous_public.is_none() && !quiet {
        eprintln!(
            "csa assess: no last year's public pack given (--previous-public DIR or [assessment] previous_public): the comparison year is protected from this year's data alone; give it whenever last year's pack was published, so that the two packs together reveal nothing more"
        );
    }
    // the data: --dataset, else the config's dataset, else its inputs ingested now
    let mut temporary: Option<PathBuf> = None;
    let dataset = match (&a.dataset, &config.dataset) {
        (Some(d), _) | (None, Some(d)) => d.clone(),
        (None, None) if !config.inputs.is_empty() => {
            let dir = match &a.keep_dataset {
                Some(k) => k.clone(),
                None => {
                    let t = csa_ingest::dataset::sibling(&a.out, "dataset");
                    temporary = Some(t.clone());
                    t
                }
            };
            if !quiet {
                eprintln!("csa assess: ingesting the inputs of {} into {}", a.config.display(), dir.display());
            }
            ingest(&config, &dir)?;
            dir
        }
        (None, None) => {
            return Err(UsageError(format!(
                "{}: no data: name a dataset ([assessment] dataset, or --dataset DIR) or inputs to ingest ([inputs] police_uk / extract)",
                a.config.display()
            ))
            .into())
        }
    };
    // the peer comparison's police.uk inputs, ingested beside the output for this run
    let mut peers_temporary: Option<PathBuf> = None;
    if let Some(p) =
        config.peers.as_mut().filter(|p| p.dataset.is_none() && !p.police_uk.is_empty())
    {
        let dir = csa_ingest::dataset::sibling(&a.out, "peers");
        if !quiet {
            eprintln!("csa assess: ingesting the [peers] inputs into {}", dir.display());
        }
        peers_temporary = Some(dir.clone());
        p.dataset = Some(dir);
    }
    let result = (|| -> anyhow::Result<csa_report::PackSummary> {
        if peers_temporary.is_some() {
            ingest_peers(
                &config,
                config.peers.as_ref().and_then(|p| p.dataset.as_deref()).unwrap_or(Path::new("")),
            )?;
        }
        let survey = match &config.survey {
            Some(p) => {
                let mut s = Survey::load(p)?;
                // weights for the ranking's public concern, and "you said, we did"
                if let Some(c) = &config.consultation {
                    let settings = csa_analysis::consultation::Config::load(c)?;
                    csa_analysis::consultation::Consultation::run(&mut s, settings)
                        .with_context(|| format!("consultation settings {}", c.display()))?;
                }
                Some((s, p.clone()))
            }
            None => None,
        };
        let assessment = Assessment::open(&dataset, config.clone(), None, &Needs::everything())?;
        let built = csa_report::build(assessment, survey)?;
        let opts = PackOptions {
            out: a.out.clone(),
            edition,
            generated_at,
            config_file: Some(a.config.clone()),
            // testing the audit gate only (see PackOptions::primary_only)
            primary_only: std::env::var("CSA_PUBLIC_PRIMARY_ONLY").is_ok_and(|v| v == "1"),
            previous_public,
        };
        Ok(csa_report::write_pack(&built, &opts)?)
    })();
    for t in temporary.iter().chain(&peers_temporary) {
        let _ = std::fs::remove_dir_all(t);
    }
    let s = result?;
    println!(
        "wrote the {} edition to {}: report.html, summary.json, {} tables (CSV, Parquet, tables.xlsx), {} charts and maps (PNG, SVG), GeoJSON layers ({:.1} s)",
        edition.name(),
        s.out.display(),
        s.tables,
        s.figures,
        started.elapsed().as_secs_f64()
    );
    if edition == Edition::Public {
        println!(
            "suppressed: {} counts of 1 to 4 shown as <5, {} further cells hidden (counts and figures derived from them)",
            s.primary_suppressed, s.secondary_suppressed
        );
        if let Some(au) = &s.audit {
            println!(
                "audited from its files: {} hidden or implied counts in {} independent parts (largest {}), every range meets the rule",
                au.cells, au.components, au.largest
            );
            println!(
                "time: public tables with their protection {:.1} s ({} integer programmes), audit from the files {:.1} s ({})",
                au.protect_s,
                au.solves - au.audit_solves,
                au.audit_s,
                au.audit_solves
            );
        }
    }
    if !s.ranking.is_empty() {
        println!(
            "priorities by rank: {}",
            s.ranking
                .iter()
                .take(5)
                .enumerate()
                .map(|(i, p)| format!("{}. {p}", i + 1))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
