//! `summary.json`: the pack in figures for machines: key figures and the ranking (from the
//! published tables, so the public edition's summary is as protected as its tables), every
//! parameter used, the inputs with their SHA-256, and the files written.

use std::path::Path;

use csa_analysis::{names, Result};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::build::Built;
use crate::figures::Figure;
use crate::layers::json_cell;
use crate::table::{find, Table};
use crate::write::PackOptions;

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
    tables: &[Table],
    figures: &[Figure],
    layers: &[String],
    suppressed: (usize, usize),
) -> Result<Value> {
    let a = &b.assessment;
    let mut key = Map::new();
    if let Some(v) = find(tables, "priority_volumes") {
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
        .manifest
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| {
            json!({
                "file": i.get("path").and_then(Value::as_str).map(|p| file_name(Path::new(p))),
                "sha256": i.get("sha256"),
                "bytes": i.get("bytes").or(i.get("size")),
            })
        })
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
        "ranking": find(tables, "priority_ranking").map(records),
        "parameters": {
            "age_bands": c.age_bands,
            "top_n": c.top_n,
            "ranking_weights": c.ranking,
            "ranking_method": "each factor scored 1-5 across the priorities (1 + 4 (x - min) / (max - min)); total = weighted mean of the available scores",
            "hotspots": c.hotspots,
            "hotspot_runs": hotspot_params,
            "population": a.population.source,
            "population_groups": a.population.groups_source(),
            "harm": if a.chi.is_some() { "ONS Crime Severity Score and Cambridge Crime Harm Index" } else { "ONS Crime Severity Score" },
            "pseudonyms": "keyed SHA-256 of the person id (key: the configured pseudonym_key, else a hash of the dataset's person records), first 10 hex digits",
            "disclosure": if o.edition == crate::write::Edition::Public {
                json!({"threshold": csa_analysis::disclosure::THRESHOLD, "primary": "counts of 1 to 4 shown as <5", "secondary": "cells hidden as * so that no <5 can be worked out from row or column totals", "derived": "changes, shares and rates of a hidden count hidden as *", "left_out": "person-level tables (prolific offenders), point coordinates of locations"})
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

/// Hotspot parameters without machine-specific paths.
fn without_paths(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| match (k.as_str(), v.as_str()) {
            ("study_area", Some(p)) => (k.clone(), json!(file_name(Path::new(p)))),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}
