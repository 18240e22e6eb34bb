//! `disclosure.json`: what the public pack's counts are and how they relate, and the audit of
//! a pack from its files alone ([`audit_packs`], `csa audit`).
//!
//! The file lists every **key** (what a count counts, [`super::cells`]), where each one is
//! shown (`cells`: a table's CSV row and column; `copies`: a GeoJSON feature's property or a
//! place in `summary.json`), every **constraint** between keys, every **derived** figure and
//! the keys it is computed from, the population relations of each period, the rule and the
//! information lost. Nothing in it is a count: the counts are read from the tables.
//!
//! The audit reads the files, sets every key to what its places show (a number, `<5`, `*`;
//! published nowhere: latent), and checks:
//! 1. every place of a key shows the same thing (else the pack gives a hidden count away);
//! 2. no derived figure is shown while a key it is computed from is not;
//! 3. the interval audit ([`csa_disclosure::audit`]): every hidden and latent key's range
//!    given all the constraints meets the rule.
//!
//! Several packs audit as one set (two years of the same tool share their common year's
//! keys): their keys, places and constraints are merged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use csa_analysis::{names, AnalysisError, Result};
use csa_disclosure::{audit, AuditOptions, CellId, Constraint, Model, Outcome, State, Symbol};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cells::{period_text, DerivedAt, Place};
use super::relations::Relations;
use super::TableLoss;
use crate::build::Built;
use crate::ids::{self, Kind};
use crate::table::Table;

/// The file name in the pack.
pub const FILE: &str = "disclosure.json";

/// Where a key (or a derived figure) is shown outside the tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Copy {
    /// File in the pack (`maps/wards.geojson`, `summary.json`).
    pub file: String,
    /// GeoJSON: the feature's index; JSON: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<usize>,
    /// GeoJSON: the property; JSON: a JSON pointer.
    pub at: String,
    /// The key shown there (a count), or none for a derived figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<usize>,
    /// A derived figure's keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<usize>,
}

/// One constraint: `lo <= sum(coefficient * key) <= hi` (no bound: none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecConstraint {
    pub terms: Vec<(usize, f64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lo: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hi: Option<f64>,
    pub label: String,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub rule: BTreeMap<String, String>,
    pub threshold: i64,
    /// Period texts (`2025-01..2025-12`).
    pub current: String,
    pub comparison: String,
    pub keys: Vec<String>,
    /// (key, table, row, column): the key is shown in `tables/TABLE.csv`, data row `row`
    /// (0 = the first after the header), column `column`.
    pub cells: Vec<(usize, String, usize, String)>,
    pub copies: Vec<Copy>,
    pub constraints: Vec<SpecConstraint>,
    /// (table, row, column, keys): a derived figure and the keys it is computed from.
    pub derived: Vec<(String, usize, String, Vec<usize>)>,
    pub relations: BTreeMap<String, Relations>,
    pub information_loss: Vec<TableLoss>,
}

impl Spec {
    /// The file of the pack `b` whose tables are `tables` (published) and model `model`.
    pub fn new(
        b: &Built,
        tables: &[Table],
        model: &Model,
        places: &[Place],
        derived: &[DerivedAt],
        rel: &BTreeMap<String, Relations>,
        loss: &[TableLoss],
    ) -> Spec {
        let a = &b.assessment;
        let cur = period_text(&a.periods.current);
        let cmp = period_text(&a.periods.comparison);
        let mut rule = BTreeMap::new();
        rule.insert(
            "<5".into(),
            "0 to 4: a count of 1 to 4, or a 0 hidden so that a <5 cannot be worked out".into(),
        );
        rule.insert("*".into(), "1 or more: a count of 5 or more hidden so that a <5 cannot be worked out, or a count of 1 to 4 whose <5 would say too much".into());
        rule.insert("rule".into(), "given everything published, a <5 can still be anything from 1 to 4; a * is not pinned and not known to be 1 to 4 any better; a count published nowhere is not known to be 1 to 4 any better".into());
        let mut s = Spec {
            rule,
            threshold: csa_disclosure::THRESHOLD,
            current: cur.clone(),
            comparison: cmp.clone(),
            keys: model.cells.iter().map(|c| c.key.clone()).collect(),
            relations: rel.clone(),
            information_loss: loss.to_vec(),
            ..Spec::default()
        };
        for p in places {
            let t = &tables[p.table];
            s.cells.push((p.cell, t.name.clone(), p.row, t.columns[p.col].clone()));
        }
        for d in derived {
            let t = &tables[d.table];
            s.derived.push((t.name.clone(), d.row, t.columns[d.col].clone(), d.inputs.clone()));
        }
        for c in &model.constraints {
            s.constraints.push(SpecConstraint {
                terms: c.terms.clone(),
                lo: c.lo.is_finite().then_some(c.lo),
                hi: c.hi.is_finite().then_some(c.hi),
                label: c.label.clone(),
            });
        }
        let key = |period: &str, pop: &str, coords: &str| -> Option<usize> {
            let pop = rel.get(period).map_or(pop, |r| r.name(pop));
            model.find(&format!("crimes|{period}|{pop}|{coords}"))
        };
        // maps/wards.geojson: all crime's and each priority's ward figures
        if let Some(area) = &b.area {
            let all = csa_analysis::config::ALL;
            let profiles = tables.iter().find(|t| t.name == ids::WARD_PROFILES);
            for (f, w) in area.wards.areas.iter().enumerate() {
                let coords = format!("ward={}", w.code);
                let (c, p) = (key(&cur, all, &coords), key(&cmp, all, &coords));
                let mut copy = |at: &str, key: Option<usize>, inputs: Vec<Option<usize>>| {
                    s.copies.push(Copy {
                        file: "maps/wards.geojson".into(),
                        feature: Some(f),
                        at: at.into(),
                        key,
                        inputs: inputs.into_iter().flatten().collect(),
                    });
                };
                copy(names::COUNT, c, vec![]);
                copy(names::COMPARISON, p, vec![]);
                copy(names::CHANGE, None, vec![c, p]);
                copy(names::CHANGE_PCT, None, vec![c, p]);
                copy(names::RATE_PER_1000, None, vec![c]);
                for part in b.parts.iter().filter(|p| !p.is_all() && p.has(Kind::Wards)) {
                    if !profiles.is_some_and(|t| {
                        (0..t.rows.len()).any(|i| {
                            t.get(i, ids::col::WARD_CODE).text() == w.code
                                && t.get(i, names::PRIORITY).text() == part.priority.name
                        })
                    }) {
                        continue;
                    }
                    let pc = key(&cur, &part.priority.name, &coords);
                    let pp = key(&cmp, &part.priority.name, &coords);
                    let sl = &part.slug;
                    copy(&format!("{sl}_{}", names::COUNT), pc, vec![]);
                    copy(&format!("{sl}_{}", names::RATE_PER_1000), None, vec![pc]);
                    copy(&format!("{sl}_{}", names::CHANGE_PCT), None, vec![pc, pp]);
                }
            }
        }
        // maps/hotspot_cells.geojson and hotspot_clusters.geojson, in the layers' order
        let (mut f_cell, mut f_cluster) = (0, 0);
        for part in &b.parts {
            if part.hotspots.is_none() || !part.has(Kind::HotspotCells) {
                continue;
            }
            let Some(t) = tables.iter().find(|t| t.name == part.id(Kind::HotspotCells)) else {
                continue;
            };
            if part.hotspots.as_ref().is_some_and(|h| h.gi.grid.is_none()) {
                continue;
            }
            let mut by_cluster: BTreeMap<i64, Vec<Option<usize>>> = BTreeMap::new();
            for i in 0..t.rows.len() {
                if t.get(i, names::CELL_X).as_f64().is_none()
                    || t.get(i, names::CELL_Y).as_f64().is_none()
                {
                    continue;
                }
                let coords = format!(
                    "grid_cell={},{}",
                    t.get(i, names::CELL_X).text(),
                    t.get(i, names::CELL_Y).text()
                );
                let k = key(&cur, &part.priority.name, &coords);
                s.copies.push(Copy {
                    file: "maps/hotspot_cells.geojson".into(),
                    feature: Some(f_cell),
                    at: names::COUNT.into(),
                    key: k,
                    inputs: vec![],
                });
                f_cell += 1;
                by_cluster
                    .entry(t.get(i, names::CLUSTER).as_i64().unwrap_or(0))
                    .or_default()
                    .push(k);
            }
            for (_, members) in by_cluster {
                let inputs: Vec<usize> = members.into_iter().flatten().collect();
                for at in ["crimes", "share_pct"] {
                    s.copies.push(Copy {
                        file: "maps/hotspot_clusters.geojson".into(),
                        feature: Some(f_cluster),
                        at: at.into(),
                        key: None,
                        inputs: inputs.clone(),
                    });
                }
                f_cluster += 1;
            }
        }
        // summary.json: key figures
        if let Some(v) = tables.iter().find(|t| t.name == ids::PRIORITY_VOLUMES) {
            for i in 0..v.rows.len() {
                let pop = v.get(i, names::PRIORITY).text();
                let ptr = format!("/key_figures/{}", pop.replace('~', "~0").replace('/', "~1"));
                let (c, p) = (key(&cur, &pop, ""), key(&cmp, &pop, ""));
                let mut copy = |at: &str, key: Option<usize>, inputs: Vec<Option<usize>>| {
                    s.copies.push(Copy {
                        file: "summary.json".into(),
                        feature: None,
                        at: format!("{ptr}/{at}"),
                        key,
                        inputs: inputs.into_iter().flatten().collect(),
                    });
                };
                copy(names::COUNT, c, vec![]);
                copy(names::COMPARISON, p, vec![]);
                copy(names::CHANGE, None, vec![c, p]);
                copy(names::CHANGE_PCT, None, vec![c, p]);
                copy(names::RATE_PER_1000, None, vec![c]);
                copy(names::HARM_CSS, None, vec![c]);
            }
        }
        s
    }
}

/// What a place shows.
#[derive(Debug, Clone, PartialEq)]
enum Shows {
    Number(f64),
    Hidden(Symbol),
    Nothing,
}

fn shows_text(s: &str) -> Shows {
    let s = s.trim();
    if let Some(sym) = Symbol::parse(s) {
        return Shows::Hidden(sym);
    }
    match s.replace(',', "").parse::<f64>() {
        Ok(v) => Shows::Number(v),
        Err(_) => Shows::Nothing,
    }
}

fn shows_json(v: Option<&Value>) -> Shows {
    match v {
        Some(Value::Number(n)) => n.as_f64().map_or(Shows::Nothing, Shows::Number),
        Some(Value::String(s)) => shows_text(s),
        _ => Shows::Nothing,
    }
}

/// The audit of one or more packs.
#[derive(Debug)]
pub struct PackAudit {
    pub packs: Vec<PathBuf>,
    pub model: Model,
    pub outcome: Outcome,
    /// Places that disagree, derived figures shown over hidden keys.
    pub problems: Vec<String>,
}

impl PackAudit {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.outcome.passed()
    }
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Usage(format!("{}: {e}", path.display()))
}

/// One table's CSV as header + rows of text.
fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::Reader::from_path(path).map_err(|e| read_err(path, e))?;
    let header: Vec<String> =
        r.headers().map_err(|e| read_err(path, e))?.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(|e| read_err(path, e))?.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// What the public pack at `dir` publishes of each key in its tables: its assessment period
/// and, by key, shown or hidden (`<5`, `*`).
pub fn published_states(dir: &Path) -> Result<(String, BTreeMap<String, State>)> {
    let path = dir.join(FILE);
    let text = std::fs::read(&path)
        .map_err(|e| read_err(&path, format!("{e} (is this a public pack?)")))?;
    let spec: Spec = serde_json::from_slice(&text).map_err(|e| read_err(&path, e))?;
    let mut csvs: BTreeMap<String, (Vec<String>, Vec<Vec<String>>)> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (k, table, row, column) in &spec.cells {
        let Some(key) = spec.keys.get(*k) else {
            return Err(read_err(&path, format!("key {k} does not exist")));
        };
        if !csvs.contains_key(table) {
            let p = dir.join("tables").join(format!("{table}.csv"));
            csvs.insert(table.clone(), read_csv(&p)?);
        }
        let (h, rows) = &csvs[table];
        let text = h.iter().position(|c| c == column).and_then(|j| rows.get(*row).map(|r| &r[j]));
        let state = match text.map(|t| shows_text(t)) {
            Some(Shows::Hidden(s)) => State::Hidden(s),
            Some(Shows::Number(_)) => State::Shown,
            _ => continue,
        };
        // a number anywhere wins (whoever reads both knows it)
        let e = out.entry(key.clone()).or_insert(state);
        if state == State::Shown {
            *e = State::Shown;
        }
    }
    Ok((spec.current, out))
}

/// Audits the public packs in `dirs` from their files alone, as one set. `ranges`: compute
/// every hidden cell's exact range (else the verdict only).
pub fn audit_packs(dirs: &[PathBuf], ranges: bool) -> Result<PackAudit> {
    audit_packs_with(dirs, ranges, None)
}

/// [`audit_packs`], given the values the pack's maker knows (`truth`, by key). The audit then
/// starts from that point, but only once it has checked that the point meets every
/// constraint and every symbol read from the files (else it audits without it): a point
/// that meets them is one of the integer points the audit ranges over, whoever supplied it,
/// so the verdict stays the files' alone; it only needs fewer integer programmes to reach it.
pub fn audit_packs_with(
    dirs: &[PathBuf],
    ranges: bool,
    truth: Option<&rustc_hash::FxHashMap<String, i64>>,
) -> Result<PackAudit> {
    let mut model = Model::new();
    let mut problems = Vec::new();
    let mut shown_at: BTreeMap<CellId, (Shows, String)> = BTreeMap::new();
    let mut seen_constraints: std::collections::BTreeSet<String> = Default::default();
    // (keys, place) of every derived figure shown as a number
    let mut derived_all: Vec<(Vec<CellId>, String)> = Vec::new();
    for dir in dirs {
        let path = dir.join(FILE);
        let text = std::fs::read(&path)
            .map_err(|e| read_err(&path, format!("{e} (is this a public pack?)")))?;
        let spec: Spec = serde_json::from_slice(&text).map_err(|e| read_err(&path, e))?;
        let ids: Vec<CellId> = spec.keys.iter().map(|k| model.cell(k)).collect();
        let key = |k: usize| -> Result<CellId> {
            ids.get(k).copied().ok_or_else(|| read_err(&path, format!("key {k} does not exist")))
        };
        // what every place shows
        let mut note = |id: CellId, what: Shows, place: String, problems: &mut Vec<String>| {
            match shown_at.get(&id) {
                None => {
                    shown_at.insert(id, (what, place));
                }
                Some((prev, prev_place)) if *prev != what => {
                    // a number wins: whoever reads both knows it
                    problems.push(format!(
                        "{} shows {:?} at {} and {:?} at {}",
                        model.cells[id].key, prev, prev_place, what, place
                    ));
                    if matches!(what, Shows::Number(_)) {
                        shown_at.insert(id, (what, place));
                    }
                }
                _ => {}
            }
        };
        let mut csvs: BTreeMap<String, (Vec<String>, Vec<Vec<String>>)> = BTreeMap::new();
        let mut cell_text = |table: &str, row: usize, column: &str| -> Result<Option<String>> {
            if !csvs.contains_key(table) {
                let p = dir.join("tables").join(format!("{table}.csv"));
                csvs.insert(table.to_string(), read_csv(&p)?);
            }
            let (h, rows) = &csvs[table];
            Ok(h.iter().position(|c| c == column).and_then(|j| rows.get(row).map(|r| r[j].clone())))
        };
        for (k, table, row, column) in &spec.cells {
            let id = key(*k)?;
            let what = cell_text(table, *row, column)?.map_or(Shows::Nothing, |t| shows_text(&t));
            note(id, what, format!("{}: {table} row {row} {column}", dir.display()), &mut problems);
        }
        let mut jsons: BTreeMap<String, Value> = BTreeMap::new();
        for c in &spec.copies {
            if !jsons.contains_key(&c.file) {
                let p = dir.join(&c.file);
                let v: Value = match std::fs::read(&p) {
                    Ok(b) => serde_json::from_slice(&b).map_err(|e| read_err(&p, e))?,
                    Err(_) => Value::Null,
                };
                jsons.insert(c.file.clone(), v);
            }
            let doc = &jsons[&c.file];
            let v = match c.feature {
                Some(f) => {
                    doc.pointer(&format!("/features/{f}/properties")).and_then(|p| p.get(&c.at))
                }
                None => doc.pointer(&c.at),
            };
            let what = shows_json(v);
            let place = format!(
                "{}: {} {}",
                dir.display(),
                c.file,
                c.feature.map_or(c.at.clone(), |f| format!("feature {f} {}", c.at))
            );
            match c.key {
                Some(k) => {
                    if what != Shows::Nothing {
                        note(key(k)?, what, place, &mut problems);
                    }
                }
                None => {
                    if matches!(what, Shows::Number(_)) {
                        let inputs =
                            c.inputs.iter().map(|&k| key(k)).collect::<Result<Vec<_>>>()?;
                        derived_all.push((inputs, place));
                    }
                }
            }
        }
        for (table, row, column, inputs) in &spec.derived {
            if let Some(t) = cell_text(table, *row, column)? {
                if matches!(shows_text(&t), Shows::Number(_)) {
                    let inputs = inputs.iter().map(|&k| key(k)).collect::<Result<Vec<_>>>()?;
                    derived_all
                        .push((inputs, format!("{}: {table} row {row} {column}", dir.display())));
                }
            }
        }
        for c in &spec.constraints {
            let terms: Vec<(CellId, f64)> =
                c.terms.iter().map(|&(k, a)| Ok((key(k)?, a))).collect::<Result<_>>()?;
            let lo = c.lo.unwrap_or(f64::NEG_INFINITY);
            let hi = c.hi.unwrap_or(f64::INFINITY);
            let mut sig: Vec<String> =
                terms.iter().map(|(i, a)| format!("{}*{a}", model.cells[*i].key)).collect();
            sig.sort();
            sig.push(format!("{lo}..{hi}"));
            if seen_constraints.insert(sig.join(" ")) {
                model.add(Constraint { terms, lo, hi, label: c.label.clone() });
            }
        }
    }
    for (id, (what, place)) in &shown_at {
        let c = &mut model.cells[*id];
        match what {
            Shows::Number(v) => {
                c.state = State::Shown;
                c.value = Some(v.round() as i64);
                if (1..csa_disclosure::THRESHOLD).contains(&(v.round().max(0.0) as i64)) {
                    problems.push(format!(
                        "{place} shows {}, a count of 1 to 4 ({})",
                        v.round(),
                        c.key
                    ));
                }
            }
            Shows::Hidden(s) => c.state = State::Hidden(*s),
            Shows::Nothing => {
                // an empty cell where a count should be: published nowhere
                let _ = place;
            }
        }
    }
    for (inputs, place) in &derived_all {
        let hidden: Vec<&str> = inputs
            .iter()
            .filter(|&&i| model.cells[i].state != State::Shown)
            .map(|&i| model.cells[i].key.as_str())
            .collect();
        if !hidden.is_empty() {
            problems.push(format!(
                "{place} shows a figure derived from {}, which is not published",
                hidden.join(", ")
            ));
        }
    }
    // the maker's point, where it covers every cell and meets what the files say
    let witnessed = truth.and_then(|t| {
        let mut m = model.clone();
        for c in &mut m.cells {
            if c.value.is_none() {
                c.value = t.get(&c.key).copied();
            }
        }
        (m.values().is_some() && m.check_values().is_ok()).then_some(m)
    });
    let opts = AuditOptions { ranges, witness: witnessed.is_some(), ..Default::default() };
    let outcome = audit(witnessed.as_ref().unwrap_or(&model), &opts).map_err(|e| {
        AnalysisError::Usage(format!(
            "auditing {}: {e}",
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    Ok(PackAudit { packs: dirs.to_vec(), model, outcome, problems })
}

/// The first `n` problems and failing cells of an audit, in words.
pub fn describe(a: &PackAudit, n: usize) -> String {
    let mut out: Vec<String> = a.problems.iter().take(n).cloned().collect();
    for f in a.outcome.failures.iter().take(n.saturating_sub(out.len())) {
        let c = &a.model.cells[f.cell];
        let sym = match c.state {
            State::Hidden(s) => s.text().to_string(),
            _ => "published nowhere".into(),
        };
        out.push(format!(
            "{} ({sym}) can only be {}..{}",
            c.key,
            f.range.lo,
            f.range.hi.map_or("".into(), |h| h.to_string())
        ));
    }
    let more = a.problems.len() + a.outcome.failures.len();
    if more > out.len() {
        out.push(format!("and {} more", more - out.len()));
    }
    out.join("; ")
}
