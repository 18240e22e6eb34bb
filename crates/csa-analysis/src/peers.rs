//! Peer comparison: each priority's rate per 1,000 residents (or households) in the
//! partnership's area (the **CSP**, one local authority district) against all the areas
//! compared, the other districts (CSPs) and a configured peer group (a Most Similar Group the
//! analyst enters), each with its exact Poisson interval, and where every district lies on a
//! funnel plot.
//!
//! Configuration (`[peers]`, see data/README.md):
//!
//! ```toml
//! [peers]
//! csp = "Warwick"                         # LAD name or code; default: the one district
//!                                         # that holds every ward of the area
//! group = ["Rugby", "E07000218"]          # the peer group (LAD names or codes)
//! police_uk = ["../police-uk/warwickshire-2025"]  # comparison data to ingest, or
//! dataset = "..."                         # a comparison dataset; neither: the assessment's
//! boundaries = "../boundaries/coventry-warwickshire-wards-2025.geojson"  # for police_uk
//! ```
//!
//! **Districts and residents.** A crime's district is the local authority of its ward
//! (`ward_code` of the dataset -> `lad_code` of the ward population table, the shipped
//! `data/population/wards-2025.csv` unless `[population] wards` names another); a
//! district's residents (households) are the sum of its wards' (Census 2021 usual residents,
//! Census 2011 households), so they add up to the Census figure of the district. Crimes in no
//! ward of the table (outside the boundaries, no location) are counted nowhere and reported.
//!
//! **Data.** Without `dataset` or `police_uk`, every district is counted from the
//! assessment's own data (the whole dataset, not only the area: a force's police.uk months
//! give every district of the force). With one, the other districts are counted from the
//! comparison data and the CSP from the assessment's data (its own district left out of the
//! comparison data), over the same current period. A priority is compared only when every
//! column its filter uses is recorded in the data of both.
//!
//! **Rows** per priority: the CSP; `all areas` = the CSP and every other district with
//! residents (on one force's data, the force); `other CSPs` = every other district pooled;
//! `peer group` = the peer districts pooled; then each other district. A pooled rate is the
//! pooled count over the pooled residents (so `all areas` = CSP + `other CSPs`).
//!
//! ```text
//! rate per 1,000     = 1000 O / n
//! 95% interval       = 1000 [G^-1(0.025; O), G^-1(0.975; O + 1)] / n   (Garwood, exact)
//! funnel centre      = theta = the pooled rate of the comparison areas: the peer group when
//!                      one is configured, else the other CSPs
//! funnel limits      = Spiegelhalter (2005) exact Poisson limits around theta at 95% and
//!                      99.8% ([`crate::funnel`]); each district's and the CSP's position
//! ```

use std::path::{Path, PathBuf};

use csa_model::taxonomy::fold;
use csa_model::Col;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use toml::Spanned;

use crate::assessment::Assessment;
use crate::breakdown::unrecorded_cols;
use crate::config::{line_col, Config, Denominator, Filter, Priority};
use crate::data::{Data, DatasetInfo};
use crate::error::{AnalysisError, Result};
use crate::funnel::{poisson_interval, Position};
use crate::needs::Needs;
use crate::period::Period;
use crate::select::{filter_columns, Selector};

/// A name in the configuration with where it is written (for errors found later, once the
/// districts are known).
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub text: String,
    pub line: usize,
    pub column: usize,
}

/// `[peers]`, read (paths relative to the configuration file).
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSettings {
    /// The configuration file (errors name it).
    pub source: PathBuf,
    pub csp: Option<Named>,
    pub group: Vec<Named>,
    /// A comparison dataset (`csa assess` sets it to where it ingested `police_uk`).
    pub dataset: Option<PathBuf>,
    /// police.uk inputs `csa assess` ingests as the comparison dataset.
    pub police_uk: Vec<PathBuf>,
    /// Ward boundaries to place `police_uk` records in.
    pub boundaries: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPeers {
    csp: Option<Spanned<String>>,
    #[serde(default)]
    group: Vec<Spanned<String>>,
    dataset: Option<Spanned<String>>,
    #[serde(default)]
    police_uk: Vec<Spanned<String>>,
    boundaries: Option<Spanned<String>>,
}

impl PeerSettings {
    pub(crate) fn from_raw(raw: &RawPeers, text: &str, path: &Path) -> Result<PeerSettings> {
        let named = |s: &Spanned<String>| {
            let (line, column) = line_col(text, s.span().start);
            Named { text: s.get_ref().trim().to_string(), line, column }
        };
        let err = |s: &Spanned<String>, message: String| {
            let (line, column) = line_col(text, s.span().start);
            AnalysisError::Config { path: path.to_path_buf(), line, column, message }
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let rel = |s: &Spanned<String>| base.join(s.get_ref());
        if let (true, Some(p)) = (raw.dataset.is_some(), raw.police_uk.first()) {
            return Err(err(
                p,
                "[peers] takes a comparison dataset or police_uk inputs, not both".into(),
            ));
        }
        if let (Some(p), None) = (raw.police_uk.first(), &raw.boundaries) {
            return Err(err(
                p,
                "[peers] police_uk needs [peers] boundaries (the ward boundaries of every district compared)".into(),
            ));
        }
        let group: Vec<Named> = raw.group.iter().map(named).collect();
        for (i, g) in group.iter().enumerate() {
            if g.text.is_empty() {
                return Err(err(&raw.group[i], "a peer group member needs a name or code".into()));
            }
        }
        Ok(PeerSettings {
            source: path.to_path_buf(),
            csp: raw.csp.as_ref().map(named),
            group,
            dataset: raw.dataset.as_ref().map(rel),
            police_uk: raw.police_uk.iter().map(rel).collect(),
            boundaries: raw.boundaries.as_ref().map(rel),
        })
    }

    /// The comparison data in words, by file name (so that a report does not depend on where
    /// the run put its working folders).
    pub fn describe(&self) -> String {
        let name = |p: &PathBuf| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
        };
        if !self.police_uk.is_empty() {
            format!("police.uk: {}", self.police_uk.iter().map(name).collect::<Vec<_>>().join(", "))
        } else if let Some(d) = &self.dataset {
            format!("dataset {}", name(d))
        } else {
            "the assessment's data".into()
        }
    }

    fn error(&self, at: &Named, message: String) -> AnalysisError {
        AnalysisError::Config {
            path: self.source.clone(),
            line: at.line,
            column: at.column,
            message,
        }
    }
}

/// A local authority district.
#[derive(Debug, Clone, PartialEq)]
pub struct Lad {
    pub code: String,
    pub name: String,
    pub residents: f64,
    /// `None` when a ward of it has no households figure.
    pub households: Option<f64>,
}

/// The districts of the ward population table and the district of each ward.
#[derive(Debug, Clone)]
pub struct Lads {
    pub lads: Vec<Lad>,
    pub of_ward: FxHashMap<String, usize>,
    pub source: String,
}

impl Lads {
    /// The districts of the configured ward population table, else the shipped one.
    pub fn load(config: &Config) -> Result<Lads> {
        match &config.ward_population {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| AnalysisError::Read { path: p.clone(), source })?;
                Lads::parse(&text, p)
            }
            None => Lads::parse(
                crate::config::DEFAULT_WARD_POPULATION,
                Path::new("data/population/wards-2025.csv"),
            ),
        }
    }

    /// Reads `ward_code`, `lad_code`, `lad_name`, `residents…` and optional `households…`.
    pub fn parse(text: &str, path: &Path) -> Result<Lads> {
        let err = |line: u64, detail: String| AnalysisError::Population {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let mut rdr = crate::population::csv_text(text);
        let headers = rdr.headers().map_err(|e| err(1, e.to_string()))?.clone();
        let find = |p: &str| headers.iter().position(|h| h.trim().starts_with(p));
        let need = |p: &str| {
            find(p).ok_or_else(|| {
                err(1, format!("no {p} column: the peer comparison needs each ward's local authority (ward_code, lad_code, lad_name, residents)"))
            })
        };
        let (ward, code, name, residents) =
            (need("ward_code")?, need("lad_code")?, need("lad_name")?, need("residents")?);
        let households = find("households");
        let mut lads: Vec<Lad> = Vec::new();
        let mut index: FxHashMap<String, usize> = FxHashMap::default();
        let mut of_ward = FxHashMap::default();
        for (i, rec) in rdr.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| err(line, e.to_string()))?;
            let field = |j: usize| rec.get(j).unwrap_or("").trim();
            let num = |j: usize, what: &str| -> Result<Option<f64>> {
                match field(j) {
                    "" => Ok(None),
                    v => v
                        .replace(',', "")
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| err(line, format!("{what} {v:?} is not a number"))),
                }
            };
            let lad_code = field(code);
            if lad_code.is_empty() {
                return Err(err(line, "lad_code is empty".into()));
            }
            let next = lads.len();
            let k = *index.entry(lad_code.to_string()).or_insert(next);
            if k == next {
                lads.push(Lad {
                    code: lad_code.to_string(),
                    name: field(name).to_string(),
                    residents: 0.0,
                    households: Some(0.0),
                });
            }
            let l = &mut lads[k];
            l.residents += num(residents, "residents")?.unwrap_or(0.0);
            let h = match households {
                Some(j) => num(j, "households")?,
                None => None,
            };
            l.households = l.households.zip(h).map(|(a, b)| a + b);
            of_ward.insert(field(ward).to_string(), k);
        }
        Ok(Lads { lads, of_ward, source: path.display().to_string() })
    }

    /// The district named `s` (code, or name ignoring case and punctuation as priorities).
    pub fn find(&self, s: &str) -> Option<usize> {
        let f = fold(&s.replace('&', "and"));
        self.lads.iter().position(|l| {
            l.code.eq_ignore_ascii_case(s.trim()) || fold(&l.name.replace('&', "and")) == f
        })
    }

    fn names(&self) -> String {
        self.lads.iter().map(|l| format!("{} ({})", l.name, l.code)).collect::<Vec<_>>().join(", ")
    }
}

/// Records of `filter` recorded in `period`, per district of `lads`, and those in no district.
pub fn count_by_lad(
    data: &Data,
    filter: &Filter,
    period: Period,
    lads: &Lads,
) -> Result<(Vec<u64>, u64)> {
    let crimes = &data.crimes;
    let sel = Selector::new(filter, crimes)?;
    let wards = crimes.text(Col::WardCode)?;
    // district per ward dictionary code (0 = no ward)
    let lad_of: Vec<Option<usize>> = std::iter::once(None)
        .chain(wards.values.iter().map(|w| lads.of_ward.get(w).copied()))
        .collect();
    let mut counts = vec![0u64; lads.lads.len()];
    let mut nowhere = 0u64;
    for r in 0..crimes.len {
        if period.contains(crimes.month[r]) && sel.matches(r) {
            match lad_of[wards.codes[r] as usize] {
                Some(k) => counts[k] += 1,
                None => nowhere += 1,
            }
        }
    }
    Ok((counts, nowhere))
}

/// What a row of the comparison is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RowKind {
    Csp,
    AllAreas,
    OtherCsps,
    PeerGroup,
    District,
}

impl RowKind {
    pub fn label(self) -> &'static str {
        match self {
            RowKind::Csp => "CSP",
            RowKind::AllAreas => "all areas",
            RowKind::OtherCsps => "other CSPs",
            RowKind::PeerGroup => "peer group",
            RowKind::District => "district",
        }
    }
}

/// One row: an area's count, denominator, rate and interval, and its funnel position.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRate {
    pub kind: RowKind,
    pub name: String,
    /// The district's code (pooled rows: none).
    pub code: Option<String>,
    /// Whether the district is in the peer group.
    pub in_group: bool,
    pub count: u64,
    pub population: f64,
    /// Per 1,000.
    pub rate: f64,
    /// The 95% exact interval, per 1,000.
    pub ci: (f64, f64),
    /// Districts and the CSP only.
    pub position: Option<Position>,
}

impl AreaRate {
    fn new(kind: RowKind, name: &str, code: Option<&str>, count: u64, population: f64) -> Self {
        let (lo, hi) = poisson_interval(count, 0.05);
        AreaRate {
            kind,
            name: name.to_string(),
            code: code.map(str::to_string),
            in_group: false,
            count,
            population,
            rate: 1000.0 * count as f64 / population,
            ci: (1000.0 * lo / population, 1000.0 * hi / population),
            position: None,
        }
    }
}

/// A priority's comparison.
#[derive(Debug, Clone)]
pub struct PriorityPeers {
    pub priority: String,
    pub denominator: Denominator,
    /// CSP, all areas, other CSPs, peer group (when configured), then each other district
    /// by name. Empty when the priority is not compared (`skipped` says why).
    pub rows: Vec<AreaRate>,
    /// The funnel's centre, per resident (or household).
    pub centre: Option<f64>,
    pub skipped: Option<String>,
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Peers {
    pub csp: Lad,
    pub group: Vec<Lad>,
    /// The comparison data in words when it is not the assessment's.
    pub comparison_data: Option<String>,
    /// Whether the CSP's wards are exactly the assessment area's (its counts are then the
    /// area's totals, as in the priority volumes).
    pub csp_is_area: bool,
    /// What the funnel centre is ("the peer group" / "the other CSPs").
    pub centre_of: &'static str,
    pub period: Period,
    pub priorities: Vec<PriorityPeers>,
    pub notes: Vec<String>,
    pub districts_source: String,
}

/// The comparison of every priority of `a` (see the module header).
pub fn compare(a: &Assessment, settings: &PeerSettings) -> Result<Peers> {
    let lads = Lads::load(&a.config)?;
    let period = a.periods.current;
    let priorities = a.config.all_priorities();
    let mut notes = Vec::new();
    let mut loaded = None;
    let what = settings.describe();
    if let Some(dir) = &settings.dataset {
        let info = DatasetInfo::open(dir)?;
        let have = period.iter().filter(|m| info.months.binary_search(m).is_ok()).count();
        if have < period.months() as usize {
            notes.push(format!(
                "The comparison data ({what}) cover {have} of the {} months of {period}, so there is no peer comparison for this period.",
                period.months()
            ));
        } else {
            let needs = Needs::for_priorities(&priorities).with([Col::WardCode]);
            loaded = Some(Data::load(&info, period, &needs)?);
        }
    }
    let comparison: &Data = loaded.as_ref().unwrap_or(&a.data);
    let covered = notes.is_empty();
    let separate = settings.dataset.is_some();
    // the CSP: configured, else the one district of the area's wards
    let csp = match &settings.csp {
        Some(n) => lads.find(&n.text).ok_or_else(|| {
            settings.error(
                n,
                format!(
                    "unknown local authority {:?}; the districts of {} are: {}",
                    n.text,
                    lads.source,
                    lads.names()
                ),
            )
        })?,
        None => {
            let mut of_area: Vec<usize> =
                a.area.wards.iter().filter_map(|(w, _)| lads.of_ward.get(w).copied()).collect();
            of_area.sort_unstable();
            of_area.dedup();
            match of_area[..] {
                [k] => k,
                _ => {
                    return Err(AnalysisError::Usage(format!(
                        "{}: [peers] needs csp = \"<district>\": the area's wards lie in {} districts ({})",
                        settings.source.display(),
                        of_area.len(),
                        of_area.iter().map(|&k| lads.lads[k].name.clone()).collect::<Vec<_>>().join(", ")
                    )))
                }
            }
        }
    };
    let mut group: Vec<usize> = Vec::new();
    for n in &settings.group {
        let k = lads.find(&n.text).ok_or_else(|| {
            settings.error(
                n,
                format!(
                    "unknown local authority {:?} in the peer group; the districts of {} are: {}",
                    n.text,
                    lads.source,
                    lads.names()
                ),
            )
        })?;
        if k == csp {
            notes.push(format!("The peer group names the CSP itself ({}); it is compared with the others, not with itself.", lads.lads[k].name));
        } else if !group.contains(&k) {
            group.push(k);
        }
    }
    let csp_wards: Vec<&str> =
        lads.of_ward.iter().filter(|(_, k)| **k == csp).map(|(w, _)| w.as_str()).collect();
    let csp_is_area = csp_wards.len() == a.area.wards.len()
        && a.area.wards.iter().all(|(w, _)| csp_wards.contains(&w.as_str()));
    let mut out = Vec::new();
    // the districts the comparison data covers: any record in the period
    let (any, nowhere_total) = count_by_lad(comparison, &Filter::default(), period, &lads)?;
    let present: Vec<bool> = any.iter().map(|n| *n > 0).collect();
    for p in priorities.iter().filter(|_| covered) {
        out.push(compare_priority(a, comparison, separate, p, &lads, csp, &group, &present)?);
    }
    for &k in group.iter().filter(|_| covered) {
        if !present[k] {
            notes.push(format!("The peer group's {} has no records in the comparison data for {period}, so it is left out.", lads.lads[k].name));
        }
    }
    if covered && nowhere_total > 0 {
        notes.push(format!("{nowhere_total} records of the comparison data lie in no ward of {} (no location, or outside the boundaries): they count in no district.", lads.source));
    }
    if separate {
        notes.push(format!(
            "The CSP's counts come from the assessment's data and the other districts' from the comparison data ({what}), {period}; the CSP's own district is left out of the comparison data."
        ));
    }
    Ok(Peers {
        csp: lads.lads[csp].clone(),
        group: group.iter().map(|&k| lads.lads[k].clone()).collect(),
        comparison_data: separate.then(|| what.clone()),
        csp_is_area,
        centre_of: if group.is_empty() { "the other CSPs" } else { "the peer group" },
        period,
        priorities: out,
        notes,
        districts_source: lads.source.clone(),
    })
}

#[allow(clippy::too_many_arguments)]
fn compare_priority(
    a: &Assessment,
    comparison: &Data,
    separate: bool,
    p: &Priority,
    lads: &Lads,
    csp: usize,
    group: &[usize],
    present: &[bool],
) -> Result<PriorityPeers> {
    let period = a.periods.current;
    let mut out = PriorityPeers {
        priority: p.name.clone(),
        denominator: p.denominator,
        rows: Vec::new(),
        centre: None,
        skipped: None,
    };
    let cols = filter_columns(&p.filter);
    let mut missing = unrecorded_cols(&comparison.crimes, &cols);
    if separate {
        missing.extend(unrecorded_cols(&a.data.crimes, &cols));
    }
    missing.sort_by_key(|c| c.name());
    missing.dedup();
    if !missing.is_empty() {
        out.skipped = Some(format!(
            "not compared: the data do not record {}",
            missing.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
        ));
        return Ok(out);
    }
    let pop = |k: usize| match p.denominator {
        Denominator::Residents => Some(lads.lads[k].residents),
        Denominator::Households => lads.lads[k].households,
    };
    let (counts, _) = count_by_lad(comparison, &p.filter, period, lads)?;
    let csp_count =
        if separate { count_by_lad(&a.data, &p.filter, period, lads)?.0[csp] } else { counts[csp] };
    let Some(csp_pop) = pop(csp).filter(|n| *n > 0.0) else {
        out.skipped = Some(format!("not compared: the CSP has no {}", p.denominator.name()));
        return Ok(out);
    };
    // the other districts with data and a denominator
    let mut others: Vec<usize> = (0..lads.lads.len())
        .filter(|&k| k != csp && present[k] && pop(k).is_some_and(|n| n > 0.0))
        .collect();
    others.sort_by(|x, y| lads.lads[*x].name.cmp(&lads.lads[*y].name));
    if others.is_empty() {
        out.skipped = Some("not compared: the data have no other district".into());
        return Ok(out);
    }
    let sum = |ks: &[usize]| -> (u64, f64) {
        ks.iter().fold((0, 0.0), |(c, n), &k| (c + counts[k], n + pop(k).unwrap_or(0.0)))
    };
    let (oc, on) = sum(&others);
    let peers: Vec<usize> = others.iter().copied().filter(|k| group.contains(k)).collect();
    let (pc, pn) = sum(&peers);
    let theta = if peers.is_empty() { oc as f64 / on } else { pc as f64 / pn };
    let csp_lad = &lads.lads[csp];
    let mut me =
        AreaRate::new(RowKind::Csp, &csp_lad.name, Some(&csp_lad.code), csp_count, csp_pop);
    me.position = Some(Position::of(csp_count, csp_pop, theta));
    out.rows.push(me);
    out.rows.push(AreaRate::new(
        RowKind::AllAreas,
        "all areas",
        None,
        csp_count + oc,
        csp_pop + on,
    ));
    out.rows.push(AreaRate::new(RowKind::OtherCsps, "other CSPs", None, oc, on));
    if !peers.is_empty() {
        out.rows.push(AreaRate::new(RowKind::PeerGroup, "peer group", None, pc, pn));
    }
    for &k in &others {
        let l = &lads.lads[k];
        let n = pop(k).unwrap_or(0.0);
        let mut r = AreaRate::new(RowKind::District, &l.name, Some(&l.code), counts[k], n);
        r.in_group = group.contains(&k);
        r.position = Some(Position::of(counts[k], n, theta));
        out.rows.push(r);
    }
    out.centre = Some(theta);
    Ok(out)
}
