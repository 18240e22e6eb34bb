//! The public consultation: who responded against who lives in the area (representativeness),
//! respondents weighted to the population ([`crate::raking`]), responses over the weeks of
//! the consultation, free-text themes ([`crate::codebook`]) and the partnership's "you said,
//! we did" table; the tables of `csa consultation` and the consultation report.
//!
//! **Population** (Census 2021 by default, see [`crate::population`]): residents of the area
//! by ward (aged at least the first configured age band, 16 by default), age band, sex and
//! ethnic group. The area is the configured ward or local-authority codes, else every local
//! authority a respondent's ward lies in. A respondent's `area` is matched to a ward by name
//! or code (case, spaces and punctuation ignored). Census sex and ethnicity are for all ages
//! (the group table has no age by sex), so those margins are shares of all residents.
//!
//! **Representativeness** of a group `g` (a ward, age band, sex or ethnic group):
//!
//! ```text
//! ratio = (k_g / n) / (N_g / N)     k_g respondents of the group, n respondents who said,
//!                                   N_g residents of the group, N residents of the area
//! ```
//!
//! with the 95% Wilson interval of `k_g / n` divided by `N_g / N` (the census is taken as
//! exact). A group is *under-represented* when the interval's top is below 1 and
//! *over-represented* when its bottom is above 1. The response rate of a ward is
//! `k_w / N_w * 1000` residents.
//!
//! **Weighting**: raking to the configured margins, each one dimension or several crossed
//! (`"age_band x sex"`: its residents from the joint table of `[population] joint`, see
//! [`crate::joint_population`]; a respondent's category is then every label together). A
//! respondent who did not say (or whose
//! answer is not a category of the population, e.g. a ward outside the area) is kept in a
//! "(not answered)" category whose target is its share of respondents, the population's
//! shares being scaled to the rest; a population category without respondents is dropped
//! from the margin (noted: the other categories then stand for its residents).
//!
//! **Weighted shares** ([`crate::survey::WeightedShare`]) use the Wilson interval at the
//! Kish effective sample size of the question's base.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Deserialize;

use crate::breakdown::{float_col, int_col, round2, text_col};
use crate::codebook::{Codebook, Coded};
use crate::error::{internal, AnalysisError, Result};
use crate::joint_population::{JointPopulation, Labels, WardMatch};
use crate::names;
use crate::population::{GroupDim, Population};
use crate::raking::{self, Margin, RakeSettings, Raked};
use crate::survey::{Response, Share, Survey, WeightedShare, CHANNELS, PRIORITY_OPTIONS};

/// Label of respondents who did not give a dimension.
pub const NOT_ANSWERED: &str = "(not answered)";

/// A dimension respondents are compared and weighted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Ward,
    AgeBand,
    Sex,
    Ethnicity,
}

impl Dimension {
    pub const ALL: [Dimension; 4] =
        [Dimension::Ward, Dimension::AgeBand, Dimension::Sex, Dimension::Ethnicity];

    pub const fn name(self) -> &'static str {
        match self {
            Dimension::Ward => "ward",
            Dimension::AgeBand => "age_band",
            Dimension::Sex => "sex",
            Dimension::Ethnicity => "ethnicity",
        }
    }

    pub(crate) fn of(self, r: &Response) -> Option<&str> {
        match self {
            Dimension::Ward => r.area.as_deref(),
            Dimension::AgeBand => r.age_band.as_deref(),
            Dimension::Sex => r.sex.as_deref(),
            Dimension::Ethnicity => r.ethnicity.as_deref(),
        }
    }
}

/// A raking margin: one dimension, or several crossed (`"age_band x sex"`), whose
/// residents come from the joint population table ([`crate::joint_population`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarginSpec(pub Vec<Dimension>);

impl MarginSpec {
    /// Its name in tables: the dimensions joined by `" x "`.
    pub fn name(&self) -> String {
        self.0.iter().map(|d| d.name()).collect::<Vec<_>>().join(" x ")
    }

    /// A respondent's category: the labels joined by `" x "`; `None` when one is not given.
    fn of(&self, r: &Response) -> Option<String> {
        let parts: Option<Vec<&str>> = self.0.iter().map(|d| d.of(r)).collect();
        parts.map(|p| p.join(" x "))
    }

    /// `"ward"`, `"age_band x sex"` (also `*` or `×` between the names).
    pub fn parse(text: &str) -> std::result::Result<MarginSpec, String> {
        let spaced = text.replace(['*', '×'], " x ");
        let mut dims = Vec::new();
        for word in spaced.split_whitespace().filter(|w| *w != "x") {
            let d = Dimension::ALL.iter().find(|d| d.name() == word).ok_or_else(|| {
                format!(
                    "margin {text:?}: {word:?} is not a dimension; use {} or several joined by \" x \" (e.g. \"age_band x sex\")",
                    Dimension::ALL.map(|d| d.name()).join(", ")
                )
            })?;
            if dims.contains(d) {
                return Err(format!("margin {text:?} names {word} twice"));
            }
            dims.push(*d);
        }
        if dims.is_empty() {
            return Err("an empty margin: name a dimension such as \"ward\"".into());
        }
        Ok(MarginSpec(dims))
    }
}

impl<'de> Deserialize<'de> for MarginSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        MarginSpec::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The consultation settings (`--config`, TOML; every key optional).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[population]`: where the denominators come from and the area.
    pub population: PopulationConfig,
    /// `[weighting]`
    pub weighting: WeightingConfig,
    /// `[tracking]`
    pub tracking: TrackingConfig,
    /// `[free_text]`
    pub free_text: FreeTextConfig,
    /// `[report]`
    pub report: ReportConfig,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationConfig {
    /// Ward population CSV (`ward_code`, `ward_name`, `lad_code`, `residents…`); default the
    /// shipped Census 2021 figures.
    pub wards: Option<PathBuf>,
    /// Residents by age, sex and ethnicity ([`crate::population`]); default the shipped table.
    pub groups: Option<PathBuf>,
    /// Residents by several dimensions at once ([`crate::joint_population`]), for joint
    /// margins such as `"age_band x sex"`.
    pub joint: Option<PathBuf>,
    /// Lower bounds of the survey's age bands (the first is the youngest age asked).
    pub age_bands: Vec<u8>,
    /// Ward or local-authority codes making the area; default the local authorities of
    /// respondents' wards.
    pub area: Vec<String>,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            wards: None,
            groups: None,
            joint: None,
            age_bands: vec![16, 25, 35, 45, 55, 65],
            area: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WeightingConfig {
    /// Margins to rake to; empty = no weighting.
    pub margins: Vec<MarginSpec>,
    /// Bounds of a weight relative to the mean, e.g. [0.2, 5.0]; `[]` = no trimming.
    pub trim: Vec<f64>,
    pub max_iterations: usize,
    pub tolerance: f64,
    /// Whether the ranking's public concern uses weighted shares.
    pub use_in_ranking: bool,
}

impl Default for WeightingConfig {
    fn default() -> Self {
        WeightingConfig {
            margins: [Dimension::Ward, Dimension::AgeBand, Dimension::Sex]
                .map(|d| MarginSpec(vec![d]))
                .to_vec(),
            trim: vec![0.2, 5.0],
            max_iterations: 100,
            tolerance: 1e-6,
            use_in_ranking: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TrackingConfig {
    /// First day of the consultation (weeks count from it); default the earliest date.
    #[serde(deserialize_with = "toml_date")]
    pub start: Option<NaiveDate>,
    /// Last day; responses after it are counted as late.
    #[serde(deserialize_with = "toml_date")]
    pub end: Option<NaiveDate>,
    /// The running check flags a complete week with fewer responses.
    pub min_per_week: Option<u64>,
}

/// A TOML date (`2025-01-06`) or a date in quotes.
fn toml_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<NaiveDate>, D::Error> {
    let bad = || serde::de::Error::custom("give a date such as 2025-01-06");
    match Option::<toml::Value>::deserialize(d)? {
        None => Ok(None),
        Some(toml::Value::Datetime(dt)) => dt
            .date
            .and_then(|x| {
                NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day))
            })
            .map(Some)
            .ok_or_else(bad),
        Some(toml::Value::String(t)) => crate::survey::parse_date(&t).map(Some).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FreeTextConfig {
    pub codebook: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    pub title: String,
    /// The "you said, we did" CSV the partnership fills in.
    pub you_said_we_did: Option<PathBuf>,
    /// Ward boundaries (GeoJSON, WD25CD/WD25NM) for the response-rate map.
    pub boundaries: Option<PathBuf>,
    /// Counts below this are suppressed in the public edition.
    pub suppress_below: u64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            title: "Public consultation report".into(),
            you_said_we_did: None,
            boundaries: None,
            suppress_below: 5,
        }
    }
}

impl Config {
    /// Reads a consultation TOML; relative paths in it are relative to its folder.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        let mut c: Config = toml::from_str(&text).map_err(|e| AnalysisError::Dataset {
            path: path.to_path_buf(),
            detail: e.to_string().trim().replace('\n', " "),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut c.population.wards,
            &mut c.population.groups,
            &mut c.population.joint,
            &mut c.free_text.codebook,
            &mut c.report.you_said_we_did,
            &mut c.report.boundaries,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
        let bad = |m: String| AnalysisError::Dataset { path: path.to_path_buf(), detail: m };
        let b = &c.population.age_bands;
        if b.is_empty() || b.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad(
                "population.age_bands must increase, e.g. [16, 25, 35, 45, 55, 65]".into()
            ));
        }
        match c.weighting.trim[..] {
            [] => {}
            [lo, hi] if lo > 0.0 && lo <= 1.0 && hi >= 1.0 => {}
            _ => {
                return Err(bad(format!(
                    "weighting.trim {:?}: give [low, high] with 0 < low <= 1 <= high, e.g. [0.2, 5.0], or [] for none",
                    c.weighting.trim
                )))
            }
        }
        if c.weighting.tolerance.is_nan()
            || c.weighting.tolerance <= 0.0
            || c.weighting.max_iterations == 0
        {
            return Err(bad("weighting.tolerance and max_iterations must be above 0".into()));
        }
        Ok(c)
    }
}

/// A row of the "you said, we did" table.
#[derive(Debug, Clone, PartialEq)]
pub struct YouSaid {
    pub you_said: String,
    pub we_did: String,
    /// Optional `theme` column (a priority or a codebook theme).
    pub theme: String,
}

/// Reads the "you said, we did" CSV: columns `you_said`, `we_did` and optionally `theme`;
/// a row with an empty `you_said` or `we_did` is an error naming its line.
pub fn load_you_said(path: &Path) -> Result<Vec<YouSaid>> {
    let bytes = std::fs::read(path)
        .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
    let err =
        |line: u64, detail: String| AnalysisError::Input { path: path.to_path_buf(), line, detail };
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let h: Vec<String> = r
        .headers()
        .map_err(|e| err(1, e.to_string()))?
        .iter()
        .map(|s| s.trim().to_lowercase())
        .collect();
    let pos = |n: &str| h.iter().position(|x| x == n);
    let (Some(ys), Some(wd)) = (pos("you_said"), pos("we_did")) else {
        return Err(err(
            1,
            "the header must have you_said and we_did (and optionally theme)".into(),
        ));
    };
    let th = pos("theme");
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let f = |j: Option<usize>| j.and_then(|j| rec.get(j)).unwrap_or("").trim().to_string();
        let row = YouSaid { you_said: f(Some(ys)), we_did: f(Some(wd)), theme: f(th) };
        if row.you_said.is_empty() || row.we_did.is_empty() {
            return Err(err(line, "you_said and we_did must both be filled in".into()));
        }
        out.push(row);
    }
    Ok(out)
}

/// Wards known to the population: code -> (name, local authority).
#[derive(Debug, Clone, Default)]
pub struct WardNames {
    pub wards: BTreeMap<String, (String, String)>,
    /// Folded code and folded name -> code.
    keys: BTreeMap<String, String>,
}

fn key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

impl WardNames {
    /// From a ward population CSV's `ward_code`, `ward_name` and `lad_code` columns.
    pub fn parse(text: &str, path: &Path) -> Result<WardNames> {
        let err = |detail: String| AnalysisError::Population {
            path: path.to_path_buf(),
            line: 1,
            detail,
        };
        let mut r = crate::population::csv_text(text);
        let h = r.headers().map_err(|e| err(e.to_string()))?.clone();
        let col = |n: &str| h.iter().position(|x| x.trim() == n);
        let (Some(c), Some(n)) = (col("ward_code"), col("ward_name")) else {
            return Err(err("the consultation needs ward_code and ward_name columns to match respondents' areas".into()));
        };
        let l = col("lad_code");
        let mut wards = BTreeMap::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| err(e.to_string()))?;
            let g = |j: Option<usize>| j.and_then(|j| rec.get(j)).unwrap_or("").trim().to_string();
            wards.insert(g(Some(c)), (g(Some(n)), g(l)));
        }
        let mut keys = BTreeMap::new();
        for (code, (name, _)) in &wards {
            keys.insert(key(name), code.clone());
        }
        for code in wards.keys() {
            keys.insert(key(code), code.clone());
        }
        Ok(WardNames { wards, keys })
    }

    /// The ward code an answer names (by code or name).
    pub fn code_of(&self, area: &str) -> Option<&str> {
        self.keys.get(&key(area)).map(String::as_str)
    }
}

/// Residents of the area by category of one dimension, in table order.
#[derive(Debug, Clone, PartialEq)]
pub struct PopMargin {
    pub dimension: Dimension,
    /// (label as respondents give it, residents)
    pub groups: Vec<(String, f64)>,
    pub source: String,
}

/// Everything the consultation computes.
#[derive(Debug, Clone)]
pub struct Consultation {
    pub config: Config,
    /// Ward codes of the area.
    pub area: Vec<String>,
    pub ward_names: WardNames,
    pub margins: Vec<PopMargin>,
    /// Why a dimension has no population figure.
    pub missing: Vec<String>,
    pub representation: Vec<Representation>,
    pub weighting: Option<Weighting>,
    pub coded: Option<Coded>,
    pub weeks: Vec<Week>,
}

/// One row of the representativeness table.
#[derive(Debug, Clone, PartialEq)]
pub struct Representation {
    pub dimension: Dimension,
    pub group: String,
    /// Ward code (wards only).
    pub code: Option<String>,
    pub respondents: u64,
    /// Respondents who gave this dimension.
    pub base: u64,
    pub residents: f64,
    pub population_share: f64,
    pub ratio: Option<f64>,
    pub ratio_ci: Option<(f64, f64)>,
    /// Respondents per 1,000 residents.
    pub rate_per_1000: Option<f64>,
    pub flag: &'static str,
}

/// The weights and how they were reached.
#[derive(Debug, Clone)]
pub struct Weighting {
    pub raked: Raked,
    pub margins: Vec<Margin>,
    pub design_effect: f64,
    pub effective_n: f64,
    pub notes: Vec<String>,
}

/// Responses of one week of the consultation.
#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    pub number: i64,
    pub start: NaiveDate,
    /// Per channel of [`CHANNELS`], then not known.
    pub by_channel: Vec<u64>,
    pub total: u64,
    pub cumulative: u64,
}

/// Under- and over-representation flags.
pub const UNDER: &str = "under-represented";
pub const OVER: &str = "over-represented";

impl Consultation {
    /// Representativeness, weights (attached to `survey`), tracking and themes.
    pub fn run(survey: &mut Survey, config: Config) -> Result<Consultation> {
        let (ward_text, ward_path) = match &config.population.wards {
            Some(p) => (
                std::fs::read_to_string(p)
                    .map_err(|source| AnalysisError::Read { path: p.clone(), source })?,
                p.clone(),
            ),
            None => (
                crate::config::DEFAULT_WARD_POPULATION.to_string(),
                PathBuf::from("data/population/wards-2025.csv"),
            ),
        };
        let ward_names = WardNames::parse(&ward_text, &ward_path)?;
        let pop = Population::load(
            config.population.wards.as_deref(),
            config.population.groups.as_deref(),
        )?;
        // respondents' areas as ward codes
        for r in &mut survey.responses {
            if let Some(code) = r.area.as_deref().and_then(|a| ward_names.code_of(a)) {
                r.area = Some(ward_names.wards[code].0.clone());
            }
        }
        let area = area_wards(survey, &config, &ward_names);
        let (margins, missing) =
            population_margins(&pop, &area, &ward_names, &config.population.age_bands);
        let representation = representation(survey, &margins, &ward_names);
        let joint = match &config.population.joint {
            Some(p) => {
                let ward = |w: &str| match ward_names.code_of(w) {
                    Some(code) if area.iter().any(|a| a == code) => {
                        WardMatch::InArea(ward_names.wards[code].0.clone())
                    }
                    Some(_) => WardMatch::Outside,
                    None => WardMatch::Unknown,
                };
                let labels = Labels { age_bands: &config.population.age_bands, ward: &ward };
                Some(JointPopulation::load(p, &labels)?)
            }
            None => None,
        };
        let weighting = if config.weighting.margins.is_empty() {
            None
        } else {
            Some(weight(survey, &margins, joint.as_ref(), &config.weighting)?)
        };
        survey.weights = weighting
            .as_ref()
            .filter(|_| config.weighting.use_in_ranking)
            .map(|w| w.raked.weights.clone());
        let coded = match &config.free_text.codebook {
            Some(p) => Some(Codebook::load(p)?.code(&crate::codebook::free_text(survey))),
            None => None,
        };
        if let Some(p) = &config.report.you_said_we_did {
            survey.you_said = load_you_said(p)?;
        }
        let weeks = weeks(survey, config.tracking.start);
        Ok(Consultation {
            config,
            area,
            ward_names,
            margins,
            missing,
            representation,
            weighting,
            coded,
            weeks,
        })
    }
}

/// The wards of the area (see the module header).
fn area_wards(s: &Survey, c: &Config, names: &WardNames) -> Vec<String> {
    let wanted: Vec<String> = if c.population.area.is_empty() {
        let mut lads: Vec<String> = s
            .responses
            .iter()
            .filter_map(|r| r.area.as_deref().and_then(|a| names.code_of(a)))
            .map(|code| names.wards[code].1.clone())
            .collect();
        lads.sort();
        lads.dedup();
        lads
    } else {
        c.population.area.clone()
    };
    names
        .wards
        .iter()
        .filter(|(code, (_, lad))| wanted.iter().any(|w| w == *code || w == lad))
        .map(|(code, _)| code.clone())
        .collect()
}

/// Residents by ward, age band, sex and ethnic group of the area.
fn population_margins(
    pop: &Population,
    area: &[String],
    names: &WardNames,
    bands: &[u8],
) -> (Vec<PopMargin>, Vec<String>) {
    // bands from 0 so that under the youngest asked age falls in a band left out
    let young = bands.first().copied().unwrap_or(0);
    let full: Vec<u8> = if young > 0 {
        std::iter::once(0).chain(bands.iter().copied()).collect()
    } else {
        bands.to_vec()
    };
    let labels = crate::dims::age_band_labels(&full);
    let skip = usize::from(young > 0);
    let wards: Vec<&str> = area.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    // wards: residents of the asked ages
    let mut ward_rows = Vec::new();
    let mut sources = Vec::new();
    for code in &wards {
        let name = names.wards.get(*code).map_or(code.to_string(), |w| w.0.clone());
        match pop.ward_groups(code, GroupDim::AgeBand, &full) {
            Ok(g) => {
                let n: f64 = labels[skip..].iter().filter_map(|l| g.residents.get(l)).sum();
                ward_rows.push((name, n));
                if !sources.contains(&g.source) {
                    sources.push(g.source);
                }
            }
            Err(_) => match pop.wards.get(*code).and_then(|w| w.residents) {
                Some(n) => {
                    ward_rows.push((name, n));
                    let s = format!("{} (all ages)", pop.source);
                    if !sources.contains(&s) {
                        sources.push(s);
                    }
                }
                None => missing.push(format!("ward {code} has no population figure")),
            },
        }
    }
    if !ward_rows.is_empty() {
        out.push(PopMargin {
            dimension: Dimension::Ward,
            groups: ward_rows,
            source: sources.join("; "),
        });
    }
    for (dim, gd) in [
        (Dimension::AgeBand, GroupDim::AgeBand),
        (Dimension::Sex, GroupDim::Sex),
        (Dimension::Ethnicity, GroupDim::Ethnicity),
    ] {
        match pop.area_groups(&wards, gd, &full) {
            Ok(g) => {
                let groups: Vec<(String, f64)> = match dim {
                    Dimension::AgeBand => labels[skip..]
                        .iter()
                        .map(|l| (l.clone(), g.residents.get(l).copied().unwrap_or(0.0)))
                        .collect(),
                    Dimension::Sex => ["female", "male"]
                        .iter()
                        .map(|l| {
                            let mut c = l.chars();
                            let label: String = c
                                .next()
                                .map(|f| f.to_ascii_uppercase())
                                .into_iter()
                                .chain(c)
                                .collect();
                            (label, g.residents.get(*l).copied().unwrap_or(0.0))
                        })
                        .collect(),
                    _ => {
                        let mut v: Vec<(String, f64)> =
                            g.residents.iter().map(|(k, n)| (k.clone(), *n)).collect();
                        v.sort_by(|a, b| a.0.cmp(&b.0));
                        v
                    }
                };
                out.push(PopMargin { dimension: dim, groups, source: g.source });
            }
            Err(e) => missing.push(format!("{}: {e}", dim.name())),
        }
    }
    (out, missing)
}

fn representation(s: &Survey, margins: &[PopMargin], names: &WardNames) -> Vec<Representation> {
    let mut out = Vec::new();
    for m in margins {
        let total: f64 = m.groups.iter().map(|g| g.1).sum();
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        let mut base = 0;
        let mut outside = 0;
        for r in &s.responses {
            match m.dimension.of(r) {
                Some(v) if m.groups.iter().any(|g| g.0 == v) => {
                    *counts.entry(v).or_default() += 1;
                    base += 1;
                }
                Some(_) => outside += 1,
                None => {}
            }
        }
        for (g, residents) in &m.groups {
            let k = counts.get(g.as_str()).copied().unwrap_or(0);
            let pshare = if total > 0.0 { residents / total } else { 0.0 };
            let share = Share::of(k, base);
            let ratio = share.p().filter(|_| pshare > 0.0).map(|p| p / pshare);
            let ci =
                share.wilson().filter(|_| pshare > 0.0).map(|(lo, hi)| (lo / pshare, hi / pshare));
            let flag = match ci {
                Some((_, hi)) if hi < 1.0 => UNDER,
                Some((lo, _)) if lo > 1.0 => OVER,
                _ => "",
            };
            let code = (m.dimension == Dimension::Ward)
                .then(|| names.code_of(g).map(str::to_string))
                .flatten();
            out.push(Representation {
                dimension: m.dimension,
                group: g.clone(),
                code,
                respondents: k,
                base,
                residents: *residents,
                population_share: pshare,
                ratio,
                ratio_ci: ci,
                rate_per_1000: (m.dimension == Dimension::Ward && *residents > 0.0)
                    .then(|| 1000.0 * k as f64 / residents),
                flag,
            });
        }
        let not_answered = s.responses.len() as u64 - base - outside;
        for (label, k) in
            [("(outside the area's categories)", outside), (NOT_ANSWERED, not_answered)]
        {
            if k > 0 {
                out.push(Representation {
                    dimension: m.dimension,
                    group: label.into(),
                    code: None,
                    respondents: k,
                    base,
                    residents: 0.0,
                    population_share: 0.0,
                    ratio: None,
                    ratio_ci: None,
                    rate_per_1000: None,
                    flag: "",
                });
            }
        }
    }
    out
}

/// Rakes the respondents to the configured margins (see the module header): a single
/// dimension's residents from `pop`, a joint margin's from `joint`.
fn weight(
    s: &Survey,
    pop: &[PopMargin],
    joint: Option<&JointPopulation>,
    c: &WeightingConfig,
) -> Result<Weighting> {
    let n = s.responses.len();
    let mut margins = Vec::new();
    let mut notes = Vec::new();
    for spec in &c.margins {
        let name = spec.name();
        let groups: Vec<(String, f64)> = match (&spec.0[..], joint) {
            ([dim], _) => match pop.iter().find(|m| m.dimension == *dim) {
                Some(pm) => pm.groups.clone(),
                None => {
                    return Err(AnalysisError::Usage(format!(
                        "weighting.margins has {name} but the population has no residents by it; remove it from the margins or configure [population] groups"
                    )))
                }
            },
            (_, Some(j)) => j.margin(spec)?,
            (_, None) => {
                return Err(AnalysisError::Usage(format!(
                    "weighting.margins has {name} but residents by {} together are not known (the Census tables shipped give each on its own): give [population] joint = a CSV with columns {}, residents (e.g. ONS TS009 sex by single year of age for the area), or rake to the dimensions separately",
                    spec.0.iter().map(|d| d.name()).collect::<Vec<_>>().join(" and "),
                    spec.0.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
                )))
            }
        };
        let answers: Vec<Option<String>> = s.responses.iter().map(|r| spec.of(r)).collect();
        let mut labels: Vec<String> = Vec::new();
        let mut targets: Vec<f64> = Vec::new();
        for (g, residents) in &groups {
            if *residents <= 0.0 {
                continue;
            }
            if answers.iter().any(|a| a.as_deref() == Some(g.as_str())) {
                labels.push(g.clone());
                targets.push(*residents);
            } else {
                notes.push(format!(
                    "{name} {g}: no respondent, so its {} residents are stood for by the other categories",
                    residents.round()
                ));
            }
        }
        let of_known: Vec<Option<usize>> = answers
            .iter()
            .map(|a| a.as_deref().and_then(|v| labels.iter().position(|l| l == v)))
            .collect();
        let unknown = of_known.iter().filter(|o| o.is_none()).count();
        let total: f64 = targets.iter().sum();
        if labels.is_empty() || total <= 0.0 {
            return Err(AnalysisError::Usage(format!(
                "cannot weight by {name}: no respondent gave one of the population's categories"
            )));
        }
        let known_share = 1.0 - unknown as f64 / n as f64;
        let mut targets: Vec<f64> = targets.iter().map(|t| t / total * known_share).collect();
        let of: Vec<usize> = of_known.iter().map(|o| o.unwrap_or(labels.len())).collect();
        if unknown > 0 {
            labels.push(NOT_ANSWERED.into());
            targets.push(1.0 - known_share);
            notes.push(format!(
                "{name}: {unknown} respondents did not say (or gave a category outside the population); they keep their share of the weight"
            ));
        }
        margins.push(Margin { name, labels, targets, of });
    }
    let settings = RakeSettings {
        max_iterations: c.max_iterations,
        tolerance: c.tolerance,
        trim: match c.trim[..] {
            [lo, hi] => Some((lo, hi)),
            _ => None,
        },
        trim_rounds: 10,
    };
    let raked =
        raking::rake(&margins, &settings).map_err(|e| AnalysisError::Usage(e.to_string()))?;
    let design_effect = raking::design_effect(&raked.weights).unwrap_or(1.0);
    let effective_n = raking::effective_n(&raked.weights);
    Ok(Weighting { raked, margins, design_effect, effective_n, notes })
}

/// Responses per week (weeks of 7 days from `start`, else from the earliest date) and channel.
fn weeks(s: &Survey, start: Option<NaiveDate>) -> Vec<Week> {
    let dates: Vec<NaiveDate> = s.responses.iter().filter_map(|r| r.date).collect();
    let Some(first) = start.or_else(|| dates.iter().min().copied()) else { return Vec::new() };
    let Some(last) = dates.iter().max().copied() else { return Vec::new() };
    let nweeks = ((last - first).num_days().max(0) / 7) + 1;
    let mut out: Vec<Week> = (0..nweeks)
        .map(|w| Week {
            number: w + 1,
            start: first + chrono::Duration::days(7 * w),
            by_channel: vec![0; CHANNELS.len() + 1],
            total: 0,
            cumulative: 0,
        })
        .collect();
    for r in &s.responses {
        let Some(d) = r.date else { continue };
        let w = (d - first).num_days();
        if w < 0 {
            continue;
        }
        let wk = &mut out[(w / 7) as usize];
        let c = r
            .channel
            .as_deref()
            .and_then(|c| CHANNELS.iter().position(|x| *x == c))
            .unwrap_or(CHANNELS.len());
        wk.by_channel[c] += 1;
        wk.total += 1;
    }
    let mut cum = 0;
    for w in &mut out {
        cum += w.total;
        w.cumulative = cum;
    }
    out
}

/// What the running check found: nothing when the consultation is on track.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    pub respondents: u64,
    pub weeks: u64,
    pub last_week_responses: Option<u64>,
    pub design_effect: Option<f64>,
    pub effective_n: Option<f64>,
    pub under_represented: Vec<String>,
    /// Reasons for attention, each a sentence.
    pub attention: Vec<String>,
}

impl Consultation {
    /// The running check: under-represented groups, complete weeks below the configured
    /// minimum, responses dated before the start or after the end.
    pub fn check(&self, s: &Survey, today: NaiveDate) -> Check {
        let under: Vec<String> = self
            .representation
            .iter()
            .filter(|r| r.flag == UNDER)
            .map(|r| format!("{} {}", r.dimension.name(), r.group))
            .collect();
        let mut attention = Vec::new();
        if !under.is_empty() {
            attention.push(format!(
                "{} groups under-represented: {}",
                under.len(),
                under.join(", ")
            ));
        }
        if let Some(min) = self.config.tracking.min_per_week {
            for w in &self.weeks {
                let complete = w.start + chrono::Duration::days(7) <= today;
                if complete && w.total < min {
                    attention.push(format!(
                        "week {} (from {}) had {} responses, below the minimum of {min}",
                        w.number, w.start, w.total
                    ));
                }
            }
        }
        if let Some(start) = self.config.tracking.start {
            let early = s.responses.iter().filter(|r| r.date.is_some_and(|d| d < start)).count();
            if early > 0 {
                attention.push(format!("{early} responses are dated before the start {start}"));
            }
        }
        if let Some(end) = self.config.tracking.end {
            let late = s.responses.iter().filter(|r| r.date.is_some_and(|d| d > end)).count();
            if late > 0 {
                attention.push(format!("{late} responses are dated after the end {end}"));
            }
        }
        Check {
            respondents: s.responses.len() as u64,
            weeks: self.weeks.len() as u64,
            last_week_responses: self.weeks.last().map(|w| w.total),
            design_effect: self.weighting.as_ref().map(|w| round2(w.design_effect)),
            effective_n: self.weighting.as_ref().map(|w| round2(w.effective_n)),
            under_represented: under,
            attention,
        }
    }

    /// Every table, named; `public` suppresses counts below `report.suppress_below` in the
    /// free-text tables and leaves out the uncoded answers and examples.
    pub fn tables(&self, s: &Survey, public: bool) -> Result<Vec<(&'static str, DataFrame)>> {
        let mut out = vec![
            (names::T_CONSULTATION_METHOD, self.method_table(s)?),
            (names::T_CONSULTATION_REPRESENTATION, self.representation_table()?),
        ];
        if let Some(w) = &self.weighting {
            out.push((names::T_CONSULTATION_WEIGHTING, weighting_table(w, s)?));
        }
        out.push((names::T_CONSULTATION_PRIORITIES, self.priorities_table(s)?));
        if !self.weeks.is_empty() {
            out.push((names::T_CONSULTATION_WEEKS, self.weeks_table()?));
        }
        if let Some(c) = &self.coded {
            out.push((names::T_CONSULTATION_THEMES, self.themes_table(c, public)?));
            if !public {
                out.push((names::T_CONSULTATION_UNCODED, uncoded_table(c)?));
            }
        }
        if !s.you_said.is_empty() {
            out.push((names::T_YOU_SAID_WE_DID, you_said_table(&s.you_said)?));
        }
        Ok(out)
    }

    fn method_table(&self, s: &Survey) -> Result<DataFrame> {
        let mut items: Vec<(String, String)> = vec![
            ("respondents".into(), s.responses.len().to_string()),
            ("rows rejected".into(), s.rejected.len().to_string()),
            ("area wards".into(), self.area.len().to_string()),
        ];
        for m in &self.margins {
            items.push((format!("population by {}", m.dimension.name()), m.source.clone()));
        }
        if let Some(p) = &self.config.population.joint {
            let file = p.file_name().map_or(p.display().to_string(), |f| {
                format!("{} (configured joint table)", f.to_string_lossy())
            });
            for spec in self.config.weighting.margins.iter().filter(|m| m.0.len() > 1) {
                items.push((format!("population by {}", spec.name()), file.clone()));
            }
        }
        for m in &self.missing {
            items.push(("population not available".into(), m.clone()));
        }
        match &self.weighting {
            Some(w) => {
                let dims: Vec<&str> = w.margins.iter().map(|m| m.name.as_str()).collect();
                items.push((
                    "weighting".into(),
                    format!("raking (iterative proportional fitting) to {}", dims.join(", ")),
                ));
                items.push(("raking iterations".into(), w.raked.iterations.to_string()));
                items.push((
                    "largest gap to a margin (points)".into(),
                    format!("{:.4}", 100.0 * w.raked.max_gap),
                ));
                let trim = match self.config.weighting.trim[..] {
                    [lo, hi] => format!(
                        "[{lo}, {hi}] x the mean weight, {} weights at a bound",
                        w.raked.trimmed
                    ),
                    _ => "none".to_string(),
                };
                items.push(("trimming".into(), trim));
                items.push(("design effect (Kish)".into(), format!("{:.3}", w.design_effect)));
                items.push(("effective sample size".into(), format!("{:.1}", w.effective_n)));
                items.push((
                    "ranking's public concern".into(),
                    if self.config.weighting.use_in_ranking {
                        "weighted shares"
                    } else {
                        "unweighted shares"
                    }
                    .into(),
                ));
                for n in &w.notes {
                    items.push(("weighting note".into(), n.clone()));
                }
            }
            None => items.push(("weighting".into(), "none (no margins configured)".into())),
        }
        items.push((
            "intervals".into(),
            "95% Wilson; weighted shares at the Kish effective sample size of the base".into(),
        ));
        crate::export::about_table(&items)
    }

    fn representation_table(&self) -> Result<DataFrame> {
        let r = &self.representation;
        DataFrame::new(
            r.len(),
            vec![
                text_col(names::DIMENSION, r.iter().map(|x| Some(x.dimension.name().to_string()))),
                text_col(names::GROUP, r.iter().map(|x| Some(x.group.clone()))),
                text_col(names::CONSULT_WARD_CODE, r.iter().map(|x| x.code.clone())),
                int_col(names::RESPONDENTS, r.iter().map(|x| Some(x.respondents as i64))),
                float_col(
                    names::GROUP_SHARE_PCT,
                    r.iter().map(|x| {
                        (x.residents > 0.0 && x.base > 0)
                            .then(|| round2(100.0 * x.respondents as f64 / x.base as f64))
                    }),
                ),
                float_col(
                    names::POPULATION,
                    r.iter().map(|x| (x.residents > 0.0).then_some(x.residents)),
                ),
                float_col(
                    names::POPULATION_SHARE_PCT,
                    r.iter()
                        .map(|x| (x.residents > 0.0).then(|| round2(100.0 * x.population_share))),
                ),
                float_col(names::RATIO, r.iter().map(|x| x.ratio.map(round3))),
                float_col(names::RATIO_LOW, r.iter().map(|x| x.ratio_ci.map(|c| round3(c.0)))),
                float_col(names::RATIO_HIGH, r.iter().map(|x| x.ratio_ci.map(|c| round3(c.1)))),
                float_col(names::RESPONSES_PER_1000, r.iter().map(|x| x.rate_per_1000.map(round3))),
                text_col(names::REPRESENTATION, r.iter().map(|x| Some(x.flag.to_string()))),
            ],
        )
        .map_err(internal)
    }

    fn priorities_table(&self, s: &Survey) -> Result<DataFrame> {
        let plain = s.priority_shares();
        let w = self.weighting.as_ref().map(|w| &w.raked.weights);
        let weighted: Vec<Option<WeightedShare>> = (0..PRIORITY_OPTIONS.len())
            .map(|i| w.map(|w| s.weighted_priority(w, |p| p.contains(&i))))
            .collect();
        let mut cols = crate::survey::share_columns(&plain);
        cols.extend([
            float_col(names::WEIGHTED_SHARE_PCT, weighted.iter().map(|w| w.and_then(|w| w.pct()))),
            float_col(
                names::WEIGHTED_CI_LOW_PCT,
                weighted.iter().map(|w| w.and_then(|w| w.low_pct())),
            ),
            float_col(
                names::WEIGHTED_CI_HIGH_PCT,
                weighted.iter().map(|w| w.and_then(|w| w.high_pct())),
            ),
            float_col(names::EFFECTIVE_BASE, weighted.iter().map(|w| w.map(|w| round2(w.n_eff)))),
        ]);
        DataFrame::new(plain.len(), cols).map_err(internal)
    }

    fn weeks_table(&self) -> Result<DataFrame> {
        let w = &self.weeks;
        let mut cols = vec![
            int_col(names::WEEK, w.iter().map(|x| Some(x.number))),
            text_col(names::WEEK_START, w.iter().map(|x| Some(x.start.to_string()))),
        ];
        for (i, c) in CHANNELS.iter().chain(&["not_known"]).enumerate() {
            cols.push(int_col(c, w.iter().map(|x| Some(x.by_channel[i] as i64))));
        }
        cols.push(int_col(names::RESPONSES, w.iter().map(|x| Some(x.total as i64))));
        cols.push(int_col(names::CUMULATIVE, w.iter().map(|x| Some(x.cumulative as i64))));
        DataFrame::new(w.len(), cols).map_err(internal)
    }

    fn themes_table(&self, c: &Coded, public: bool) -> Result<DataFrame> {
        let small = self.config.report.suppress_below;
        let t = &c.themes;
        let hide = |n: u64| public && n > 0 && n < small;
        DataFrame::new(
            t.len(),
            vec![
                text_col(names::THEME, t.iter().map(|x| Some(x.theme.clone()))),
                int_col(
                    names::ANSWERS,
                    t.iter().map(|x| (!hide(x.answers)).then_some(x.answers as i64)),
                ),
                int_col(
                    names::RESPONDENTS,
                    t.iter().map(|x| (!hide(x.respondents)).then_some(x.respondents as i64)),
                ),
                text_col(
                    names::EXAMPLES,
                    t.iter().map(|x| (!public).then(|| x.examples.join(" | "))),
                ),
            ],
        )
        .map_err(internal)
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn weighting_table(w: &Weighting, s: &Survey) -> Result<DataFrame> {
    // per margin and category: target, unweighted and weighted shares
    let mut rows: Vec<(String, String, f64, f64, f64)> = Vec::new();
    let n = s.responses.len() as f64;
    let total: f64 = w.raked.weights.iter().sum();
    for m in &w.margins {
        let tt: f64 = m.targets.iter().sum();
        for (ci, label) in m.labels.iter().enumerate() {
            let k = m.of.iter().filter(|c| **c == ci).count() as f64;
            let wk: f64 =
                m.of.iter().zip(&w.raked.weights).filter(|(c, _)| **c == ci).map(|(_, x)| x).sum();
            rows.push((m.name.clone(), label.clone(), m.targets[ci] / tt, k / n, wk / total));
        }
    }
    DataFrame::new(
        rows.len(),
        vec![
            text_col(names::DIMENSION, rows.iter().map(|r| Some(r.0.clone()))),
            text_col(names::GROUP, rows.iter().map(|r| Some(r.1.clone()))),
            float_col(names::TARGET_SHARE_PCT, rows.iter().map(|r| Some(round2(100.0 * r.2)))),
            float_col(names::GROUP_SHARE_PCT, rows.iter().map(|r| Some(round2(100.0 * r.3)))),
            float_col(names::WEIGHTED_SHARE_PCT, rows.iter().map(|r| Some(round2(100.0 * r.4)))),
        ],
    )
    .map_err(internal)
}

fn uncoded_table(c: &Coded) -> Result<DataFrame> {
    let u = &c.uncoded;
    DataFrame::new(
        u.len(),
        vec![
            text_col(names::QUESTION, u.iter().map(|x| Some(x.0.to_string()))),
            text_col(names::ANSWER, u.iter().map(|x| Some(x.1.clone()))),
        ],
    )
    .map_err(internal)
}

/// The "you said, we did" table (also in the assessment pack's survey section).
pub fn you_said_table(rows: &[YouSaid]) -> Result<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text_col(names::THEME, rows.iter().map(|x| Some(x.theme.clone()))),
            text_col(names::YOU_SAID, rows.iter().map(|x| Some(x.you_said.clone()))),
            text_col(names::WE_DID, rows.iter().map(|x| Some(x.we_did.clone()))),
        ],
    )
    .map_err(internal)
}

/// Residents of each ward of `lad` (a local-authority code) by the survey's age bands and
/// their female share, from the shipped Census tables: what `csa synth --survey-biased`
/// samples from. `bands` as `[population] age_bands` (16, 25, ... 65).
pub fn shipped_ward_residents(lad: &str, bands: &[u8]) -> Result<Vec<(String, Vec<f64>, f64)>> {
    let names = WardNames::parse(
        crate::config::DEFAULT_WARD_POPULATION,
        Path::new("data/population/wards-2025.csv"),
    )?;
    let pop = Population::load(None, None)?;
    let full: Vec<u8> = std::iter::once(0).chain(bands.iter().copied()).collect();
    let labels = crate::dims::age_band_labels(&full);
    let mut out = Vec::new();
    for (code, (name, l)) in &names.wards {
        if l != lad {
            continue;
        }
        let why =
            |e: String| AnalysisError::Internal(format!("shipped population, ward {code}: {e}"));
        let ages = pop.ward_groups(code, GroupDim::AgeBand, &full).map_err(why)?;
        let sex = pop.ward_groups(code, GroupDim::Sex, &full).map_err(why)?;
        let by_age: Vec<f64> =
            labels[1..].iter().map(|b| ages.residents.get(b).copied().unwrap_or(0.0)).collect();
        let f = sex.residents.get("female").copied().unwrap_or(0.0);
        let m = sex.residents.get("male").copied().unwrap_or(0.0);
        out.push((name.clone(), by_age, if f + m > 0.0 { f / (f + m) } else { 0.5 }));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
