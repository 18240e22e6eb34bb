//! `csa quarterly`: the scheduled performance run. Unattended by design: no prompts, logs on
//! stderr (text or JSON lines), a lock file beside the output folder, and the output written
//! into a fresh folder that replaces the old one only when everything is written. What is
//! written, and each control chart's baseline, is csa-analysis's `quarterly` module.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use csa_analysis::performance::{performance_in_batches, span, BATCH_ROWS};
use csa_analysis::period::Period;
use csa_analysis::quarter::Quarter;
use csa_analysis::quarterly::{write_outputs, ControlSeries, RunInfo};
use csa_analysis::targets::Targets;
use csa_analysis::{reoffending_indicator, Assessment, DatasetInfo, Needs, Periods};
use csa_charts::control_chart::ControlChart;
use serde_json::{json, Map, Value};

use crate::cli::{LogFormat, QuarterlyArgs};
use crate::cmd::breakdown::load_config;
use crate::exit::{Reported, UsageError};

/// Log lines on stderr.
struct Log {
    json: bool,
}

impl Log {
    fn event(&self, level: &str, msg: &str, fields: Value) {
        let mut err = std::io::stderr().lock();
        if self.json {
            let mut o = Map::new();
            o.insert(
                "ts".into(),
                json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            );
            o.insert("level".into(), json!(level));
            o.insert("msg".into(), json!(msg));
            if let Value::Object(f) = fields {
                o.extend(f);
            }
            let _ = writeln!(err, "{}", Value::Object(o));
        } else {
            let extra = match &fields {
                Value::Object(f) if !f.is_empty() => {
                    format!(
                        " ({})",
                        f.iter()
                            .map(|(k, v)| format!(
                                "{k}={}",
                                v.as_str().map_or_else(|| v.to_string(), str::to_string)
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                _ => String::new(),
            };
            let _ = writeln!(err, "csa quarterly: {level}: {msg}{extra}");
        }
    }
}

/// `OUT.lock`, created exclusively; removed when dropped. A lock left by a process that no
/// longer runs (its pid is gone from /proc) is taken over.
struct Lock {
    path: PathBuf,
}

impl Lock {
    fn acquire(out: &Path) -> anyhow::Result<Lock> {
        let path = lock_path(out);
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder =
                        std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
                    let alive = holder
                        .parse::<u32>()
                        .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
                    if alive || !Path::new("/proc/self").exists() {
                        return Err(UsageError(format!(
                            "{} is locked by another run (pid {holder}); wait for it, or remove the lock file if no run is going",
                            path.display()
                        ))
                        .into());
                    }
                    std::fs::remove_file(&path).with_context(|| {
                        format!("cannot remove the stale lock {}", path.display())
                    })?;
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot create the lock file {}", path.display()))
                }
            }
        }
        Err(UsageError(format!("cannot take the lock {}", path.display())).into())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `OUT.lock` next to `out`.
fn lock_path(out: &Path) -> PathBuf {
    let name =
        out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    out.with_file_name(format!("{name}.lock"))
}

pub fn run(a: QuarterlyArgs) -> anyhow::Result<()> {
    let log = Log { json: a.log_format == LogFormat::Json };
    match run_logged(&a, &log) {
        Ok(exceptions) => {
            if exceptions > 0 {
                if let Some(code) = a.exceptions_exit_code {
                    return Err(Reported(code).into());
                }
            }
            Ok(())
        }
        Err(e) if log.json => {
            let code = crate::exit::code_for(&e);
            log.event("error", &format!("{e:#}"), json!({"exit_code": code}));
            Err(Reported(code).into())
        }
        Err(e) => Err(e),
    }
}

/// The run; returns the number of exceptions.
fn run_logged(a: &QuarterlyArgs, log: &Log) -> anyhow::Result<usize> {
    let started = std::time::Instant::now();
    let config = load_config(a.config.as_deref())?;
    let dataset = crate::cmd::dataset_of(a.dataset.as_deref(), &config)?;
    let mut targets = Targets::load(&a.targets, &config)?;
    // the measures of the partnership's recommendations ([assessment] recommendations)
    csa_analysis::recommendations::track(&mut targets, &config)?;
    let info = DatasetInfo::open(&dataset)?;
    let quarter = if a.quarter.trim().eq_ignore_ascii_case("latest") {
        let latest = info.latest().ok_or_else(|| {
            UsageError(format!("{}: the dataset has no records", dataset.display()))
        })?;
        Quarter::latest(latest, info.latest_complete()?)
    } else {
        Quarter::parse(&a.quarter)?
    };
    let _lock = Lock::acquire(&a.out)?;
    log.event("info", "start", json!({"quarter": quarter.to_string(), "dataset": dataset.display().to_string(), "indicators": targets.indicators.len()}));
    let mut needs = Needs::for_priorities(targets.indicators.iter().map(|i| &i.priority));
    needs.victims = false;
    // the re-offending indicators read older cohorts and every offender: loaded on their own
    let reoffending = match reoffending_indicator::span(quarter, &targets) {
        Some(load) => {
            let periods = Periods { current: load, comparison: load };
            let needs = reoffending_indicator::needs(&targets);
            let a = Assessment::open_months(&dataset, config.clone(), periods, load, &needs)?;
            reoffending_indicator::indicators(&a, &targets, quarter)?
        }
        None => Vec::new(),
    };
    // opened without rows: the performance table reads the span's months a batch at a time,
    // so memory does not grow with the span or the dataset
    let span = span(quarter, &targets);
    let periods = Periods { current: span, comparison: span };
    let assessment =
        Assessment::open_months(&dataset, config, periods, Period::empty_at(span.from), &needs)?;
    if !assessment.covers(quarter.period()) {
        return Err(UsageError(format!(
            "the dataset does not cover all of {quarter} ({} to {}); its months run {} to {}",
            quarter.period().from,
            quarter.period().to,
            info.months.first().map_or("-".into(), ToString::to_string),
            info.months.last().map_or("-".into(), ToString::to_string)
        ))
        .into());
    }
    let perf = performance_in_batches(&assessment, &targets, quarter, &needs, BATCH_ROWS)?;
    csa_ingest::dataset::remove_stale_siblings(&a.out);
    let tmp = csa_ingest::dataset::sibling(&a.out, "partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot clear {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let info = RunInfo {
        dataset: dataset.clone(),
        targets: targets.source.clone(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tool: format!("csa {}", env!("CARGO_PKG_VERSION")),
    };
    let draw = |s: &ControlSeries, path: &Path| {
        csa_charts::render::write_png(path, &ControlChart::from(s)).map_err(|e| {
            csa_analysis::AnalysisError::Write { path: path.to_path_buf(), detail: e.to_string() }
        })
    };
    let written =
        write_outputs(&tmp, &perf, &reoffending, &assessment, &info, &draw).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&tmp);
        })?;
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // the same swap as a dataset's (atomic where the file system can exchange)
    csa_ingest::dataset::replace_dir(&tmp, &a.out)?;
    let exceptions = perf.exceptions().len() + reoffending.iter().filter(|r| r.exception).count();
    log.event(
        "info",
        "done",
        json!({"quarter": quarter.to_string(), "out": a.out.display().to_string(), "files": written, "exceptions": exceptions,
               "seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0}),
    );
    Ok(exceptions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_path_beside_the_output() {
        assert_eq!(lock_path(Path::new("/srv/q")), PathBuf::from("/srv/q.lock"));
    }
}
