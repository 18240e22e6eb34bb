//! `summary.json`: the pack in figures for machines: key figures and the ranking (from the
//! published tables, so the public edition's summary is as protected as its tables), every
//! parameter used, the inputs with their SHA-256, and the files written.

use std::path::Path;

use csa_analysis::{names, Result};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::build::Built;
use crate::edition::{Edition, PackOptions};
use crate::figures::Figure;
use crate::ids;
use crate::layers::json_cell;
use crate::table::{table, Table};
use crate::write::EditionTables;

/// SHA-256 of a file, hex; `None` when it cannot be read.
pub fn sha256_file(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| format!("{:x}", Sha256::digest(&b)))
}

/// A table as a list of JSON records.
pub fn records(t: &Table) -> Value {
    Value::Array(
        t.rows
            .iter()
            .map(|r| {
                Value::Object(
                    t.columns.iter().zip(r).map(|(c, v)| (c.clone(), json_cell(v))).collect::<Map<
                        String,
                        Value,
                    >>(
                    ),
                )
            })
            .collect(),
    )
}

/// The file name of a path (inputs are named by file, not by where they lay on the machine
/// that ran the pack, so two machines give the same summary).
fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

pub fn summary(
    b: &Built,
    o: &PackOptions,
    ed: &EditionTables,
    figures: &[Figure],
    layers: &[String],
    suppressed: (usize, usize),
) -> Result<Value> {
    let a = &b.assessment;
    let tables = &ed.tables;
    let mut key = Map::new();
    {
        let v = table(tables, ids::PRIORITY_VOLUMES)?;
        for i in 0..v.rows.len() {
            let mut m = Map::new();
            for c in [
                names::COUNT,
                names::COMPARISON,
                names::CHANGE,
                names::CHANGE_PCT,
                names::RATE_PER_1000,
                names::HARM_CSS,
            ] {
                m.insert(c.into(), json_cell(v.get(i, c)));
            }
            key.insert(v.get(i, names::PRIORITY).text(), Value::Object(m));
        }
    }
    let hotspot_params: Map<String, Value> = b
        .parts
        .iter()
        .filter_map(|p| {
            p.hotspots
                .as_ref()
                .map(|h| (p.priority.name.clone(), Value::Object(without_paths(&h.gi.parameters))))
        })
        .collect();
    let inputs: Vec<Value> = b
        .assessment
        .data
        .info
        .manifest
        .inputs
        .iter()
        .map(|i| json!({"file": i.file_name(), "sha256": i.sha256, "bytes": i.bytes}))
        .collect();
    let survey = b.survey.as_ref().map(|(s, path)| {
        json!({"file": file_name(path), "sha256": sha256_file(path), "rows_read": s.rows_read, "respondents": s.responses.len(), "rejected": s.rejected.len()})
    });
    let config =
        o.config_file.as_ref().map(|p| json!({"file": file_name(p), "sha256": sha256_file(p)}));
    let c = &a.config;
    Ok(json!({
        "tool": format!("csa {}", env!("CARGO_PKG_VERSION")),
        "generated_at": o.generated_at,
        "edition": o.edition.name(),
        "title": c.name.clone().unwrap_or_else(|| "Community Safety Partnership strategic assessment".into()),
        "period": {
            "current": a.periods.current.to_string(),
            "comparison": a.periods.comparison.to_string(),
            "comparison_covered": a.covers(a.periods.comparison),
        },
        "area": {
            "wards": a.area.wards.len(),
            "residents": a.area_population(false),
            "households": a.area_population(true),
            "boundaries": c.boundaries.as_deref().map(file_name),
        },
        "key_figures": key,
        "ranking": records(table(tables, ids::PRIORITY_RANKING)?),
        "trends": trends_summary(tables),
        "peers": crate::table::find(tables, ids::PEER_RATES).map(records),
        "recommendations": crate::table::find(tables, ids::RECOMMENDATIONS).map(records),
        "review": crate::table::find(tables, ids::PRIORITY_REVIEW).map(records),
        "serious_violence": serious_violence_summary(tables),
        "parameters": {
            "age_bands": c.age_bands,
            "top_n": c.top_n,
            "ranking_weights": c.ranking,
            "ranking_method": "each factor scored 1-5 across the priorities (1 + 4 (x - min) / (max - min)); total = weighted mean of the available scores",
            "hotspots": c.hotspots,
            "trend_years": c.trend_years,
            "hotspot_runs": hotspot_params,
            "population": a.population.source,
            "population_groups": a.population.groups_source(),
            "harm": if a.chi.is_some() { "ONS Crime Severity Score and Cambridge Crime Harm Index" } else { "ONS Crime Severity Score" },
            "pseudonyms": "keyed SHA-256 of the person id (key: the configured pseudonym_key, else a hash of the dataset's person records), first 10 hex digits",
            "disclosure": if o.edition == Edition::Public {
                json!({
                    "threshold": csa_disclosure::THRESHOLD,
                    "<5": "0 to 4: a count of 1 to 4, or a 0 hidden so that a <5 cannot be worked out",
                    "*": "1 or more: a count of 5 or more hidden so that no <5 can be worked out (from totals, other tables, linked priorities or the bounds of the symbols), or a count of 1 to 4 whose <5 would say too much; also changes, shares, rates and scores computed from a hidden count",
                    "rule": "given everything this pack publishes, every <5 can still be anything from 1 to 4, and no * is pinned (disclosure.json, csa audit)",
                    "ranking": "computed from published figures only: a factor whose figure is hidden is left out of that priority's mean",
                    "left_out": "person-level tables (prolific offenders), point coordinates of locations, top locations and free-text answers with 1 to 4 records",
                })
            } else {
                json!("restricted edition: exact figures, for partners only")
            },
        },
        "inputs": {
            "config": config,
            "files": inputs,
            "survey": survey,
        },
        "suppressed": {"primary": suppressed.0, "secondary": suppressed.1},
        "information_loss": ed.published.as_ref().map(|p| information_loss(&p.loss)),
        "tables": tables.iter().map(|t| json!({
            "name": t.name,
            "title": t.title,
            "rows": t.rows.len(),
            "count_columns": t.count_columns(),
            "suppressed": {"primary": t.suppressed.0, "secondary": t.suppressed.1},
        })).collect::<Vec<_>>(),
        "figures": figures.iter().map(|f| json!({"name": f.name, "title": f.title})).collect::<Vec<_>>(),
        "layers": layers,
        "notes": b.notes,
    }))
}

/// The Trends and forecasts section in figures (from the edition's tables: hidden ones as
/// the tables show them): each priority's change, the next 12 months' forecast, the
/// backtest, and the priorities flagged emerging.
fn trends_summary(tables: &[Table]) -> Value {
    let find = |n: &str| crate::table::find(tables, n);
    let next_12 = find(ids::FORECASTS).map(|t| {
        let mut totals = t.clone();
        totals.rows.retain(|r| r.get(1).is_some_and(|c| c.text() == names::NEXT_12_MONTHS));
        records(&totals)
    });
    json!({
        "change": find(ids::TRENDS).map(records),
        "forecast_next_12_months": next_12,
        "forecast_accuracy": find(ids::FORECAST_ACCURACY).map(records),
        "emerging": crate::trends::emerging(tables),
    })
}

/// The Serious Violence Duty section's tables this edition carries (the ward and hot cell
/// tables are in the restricted edition only).
fn serious_violence_summary(tables: &[Table]) -> Value {
    use ids::serious_violence as sv;
    let find = |n: &str| crate::table::find(tables, n).map(records);
    json!({
        "summary": find(sv::SUMMARY),
        "definition_parts": find(sv::PARTS),
        "young_people": find(sv::AGES),
        "by_ward": find(sv::WARDS),
        "hot_cells": find(sv::HOT_CELLS),
    })
}

/// Hotspot parameters without machine-specific paths.
fn without_paths(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| match (k.as_str(), v.as_str()) {
            ("study_area", Some(p)) => (k.clone(), json!(file_name(Path::new(p)))),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}

/// Cells hidden per table and the share of the counts they hold, with the pack's totals.
pub fn information_loss(loss: &[crate::public::TableLoss]) -> Value {
    let sum = |f: &dyn Fn(&crate::public::TableLoss) -> i64| loss.iter().map(f).sum::<i64>();
    let (counts, hidden) = (sum(&|l| l.counts as i64), sum(&|l| (l.primary + l.secondary) as i64));
    let (total, hidden_total) = (sum(&|l| l.total), sum(&|l| l.hidden_total));
    json!({
        "count_cells": counts,
        "hidden_cells": hidden,
        "hidden_cells_pct": if counts > 0 { csa_analysis::breakdown::round2(100.0 * hidden as f64 / counts as f64) } else { 0.0 },
        "derived_hidden": sum(&|l| l.derived as i64),
        "hidden_count_pct": if total > 0 { csa_analysis::breakdown::round2(100.0 * hidden_total as f64 / total as f64) } else { 0.0 },
        "tables": loss.iter().filter(|l| l.counts > 0).map(|l| json!({
            "table": l.table,
            "count_cells": l.counts,
            "primary": l.primary,
            "secondary": l.secondary,
            "derived": l.derived,
            "hidden_count_pct": l.hidden_pct(),
        })).collect::<Vec<_>>(),
    })
}
