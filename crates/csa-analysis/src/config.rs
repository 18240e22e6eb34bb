//! The assessment configuration: a TOML file naming the dataset, the periods, population
//! denominators, harm weights and the **priorities** (each a filter over crime records, owned
//! by one or more sub-groups). `data/config/priorities.toml` is the documented default and is
//! compiled in, so every command works without a config; `data/README.md` lists every key.
//!
//! Mistakes are reported as `FILE:LINE:COLUMN: message`: TOML syntax and unknown keys by the
//! TOML parser, and misspelt vocabulary (crime types, offence groups, location types, hate
//! strands, sub-groups, weekdays) here, from the span of the offending value.

use std::ops::Range;
use std::path::{Path, PathBuf};

use csa_model::taxonomy::fold;
use csa_model::{CrimeType, HateStrand, LocationType, OffenceTable, RecordKind};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{AnalysisError, Result};
use crate::period::{Month, Period};

/// The compiled-in default configuration.
pub const DEFAULT_CONFIG: &str = include_str!("../../../data/config/priorities.toml");
/// The compiled-in ward population (Census 2021 residents, Census 2011 households).
pub const DEFAULT_WARD_POPULATION: &str = include_str!("../../../data/population/wards-2025.csv");
/// The compiled-in residents by age, sex and ethnic group per ward and local authority
/// (Census 2021, gzip; see [`crate::population`]).
pub const DEFAULT_GROUP_POPULATION: &[u8] =
    include_bytes!("../../../data/population/groups-2025.csv.gz");
/// Name of the priority that always exists and matches every record.
pub const ALL: &str = "all";
/// Default age bands: lower bounds of `0-9, 10-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+`.
pub const DEFAULT_AGE_BANDS: &[u8] = &[0, 10, 18, 25, 35, 45, 55, 65];

/// A configuration, read and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from (`<default>` for the compiled-in one).
    pub source: PathBuf,
    pub name: Option<String>,
    pub dataset: Option<PathBuf>,
    /// The partnership's area as ward boundaries (GeoJSON); `None` = the wards the data has.
    pub boundaries: Option<PathBuf>,
    /// GeoJSON properties holding the ward code and name (default `WD25CD`, `WD25NM`).
    pub ward_code_property: String,
    pub ward_name_property: String,
    pub period: Option<Period>,
    pub comparison: Option<Period>,
    pub age_bands: Vec<u8>,
    pub top_n: usize,
    pub pseudonym_key: Option<String>,
    /// Ward population CSV; `None` = the compiled-in Census figures.
    pub ward_population: Option<PathBuf>,
    /// Residents by age, sex and ethnicity (see [`crate::population`]); `None` = the
    /// compiled-in Census figures.
    pub group_population: Option<PathBuf>,
    /// Cambridge Crime Harm Index weights (`offence_code,weight`), when given.
    pub chi_weights: Option<PathBuf>,
    /// The configured priorities; [`Config::priority`] adds `all`.
    pub priorities: Vec<Priority>,
    /// Weights of the priority ranking factors (`[ranking] weights`).
    pub ranking: crate::ranking::Weights,
    /// The public consultation survey (`[assessment] survey`), when there is one.
    pub survey: Option<PathBuf>,
    /// Consultation settings (`[assessment] consultation`, see [`crate::consultation`]): the
    /// survey is then weighted to the population for the ranking's public concern, and the
    /// "you said, we did" table joins the pack's survey section.
    pub consultation: Option<PathBuf>,
    /// Inputs `csa assess` ingests itself when no dataset is named (`[inputs]`).
    pub inputs: Inputs,
    /// Hotspot parameters of the annual pack (`[hotspots]`).
    pub hotspots: HotspotSettings,
    /// Years of monthly counts the trends and forecasts look back over (`[trends] years`,
    /// default [`crate::trend::DEFAULT_YEARS`]).
    pub trend_years: u32,
    /// The peer comparison (`[peers]`, see [`crate::peers`]).
    pub peers: Option<crate::peers::PeerSettings>,
    /// The partnership's recommendations file (`[assessment] recommendations`, see
    /// [`crate::recommendations`]).
    pub recommendations: Option<PathBuf>,
    /// Last year's pack's `summary.json` (`[assessment] previous_summary`, see
    /// [`crate::review`]).
    pub previous_summary: Option<PathBuf>,
    /// Last year's public pack (`[assessment] previous_public`, or `csa assess
    /// --previous-public`): the public edition publishes the comparison year exactly as it did.
    pub previous_public: Option<PathBuf>,
    /// The local definition of serious violence (`[serious_violence]`, else the default of
    /// [`crate::serious_violence`]).
    pub serious_violence: crate::serious_violence::Definition,
}

/// Raw inputs named in the configuration (`[inputs]`); paths relative to the config file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    pub police_uk: Vec<PathBuf>,
    pub extract: Vec<PathBuf>,
    /// Partner incidents files by dataset name (`incidents = { ambulance = "..." }`).
    pub incidents: Vec<(String, PathBuf)>,
    pub mapping: Option<PathBuf>,
}

impl Inputs {
    pub fn is_empty(&self) -> bool {
        self.police_uk.is_empty() && self.extract.is_empty() && self.incidents.is_empty()
    }
}

/// Hotspot parameters of the annual pack (`[hotspots]`; see data/README.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HotspotSettings {
    /// Grid cell size in metres.
    pub cell_m: f64,
    /// Gi* distance band in metres.
    pub band_m: f64,
    /// Gi* conditional permutations (0 = analytic p only).
    pub permutations: usize,
    pub seed: u64,
    /// Priorities with fewer located crimes than this get no hotspot analysis.
    pub min_crimes: usize,
}

impl Default for HotspotSettings {
    fn default() -> HotspotSettings {
        HotspotSettings { cell_m: 250.0, band_m: 500.0, permutations: 99, seed: 1, min_crimes: 30 }
    }
}

/// Owning sub-groups of the partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum SubGroup {
    CityTasking,
    HarmAndAbuseReduction,
    ReducingReoffending,
    Prevent,
    CrossCutting,
}

impl SubGroup {
    pub const ALL: &'static [SubGroup] = &[
        SubGroup::CityTasking,
        SubGroup::HarmAndAbuseReduction,
        SubGroup::ReducingReoffending,
        SubGroup::Prevent,
        SubGroup::CrossCutting,
    ];
    pub fn name(self) -> &'static str {
        match self {
            SubGroup::CityTasking => "City Tasking",
            SubGroup::HarmAndAbuseReduction => "Harm and Abuse Reduction",
            SubGroup::ReducingReoffending => "Reducing Re-offending",
            SubGroup::Prevent => "Prevent",
            SubGroup::CrossCutting => "Cross-cutting",
        }
    }
    pub fn parse(s: &str) -> Option<SubGroup> {
        let f = fold(s).replace("re offending", "reoffending");
        match f.as_str() {
            "harp" => Some(SubGroup::HarmAndAbuseReduction),
            "harm and abuse reduction partnership" => Some(SubGroup::HarmAndAbuseReduction),
            _ => SubGroup::ALL
                .iter()
                .copied()
                .find(|g| fold(g.name()).replace("re offending", "reoffending") == f),
        }
    }
}

/// Rate denominator of a priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Denominator {
    Residents,
    Households,
}

impl Denominator {
    pub fn name(self) -> &'static str {
        match self {
            Denominator::Residents => "residents",
            Denominator::Households => "households",
        }
    }
}

/// One priority: a named filter with owners.
#[derive(Debug, Clone)]
pub struct Priority {
    pub name: String,
    pub subgroups: Vec<SubGroup>,
    pub description: Option<String>,
    pub denominator: Denominator,
    pub filter: Filter,
    /// Survey options that express concern about this priority (canonical option names).
    pub survey: Vec<String>,
    /// Whether the pack gives its equalities ward by ward (`ward_equalities = true`).
    pub ward_equalities: bool,
}

impl Priority {
    pub fn all() -> Priority {
        Priority {
            name: ALL.to_string(),
            subgroups: vec![SubGroup::CrossCutting],
            description: Some("all recorded crime and ASB".into()),
            denominator: Denominator::Residents,
            filter: Filter::default(),
            survey: Vec::new(),
            ward_equalities: false,
        }
    }
}

/// A filter over crime records: AND across the given keys, OR within a list; `any` holds
/// sub-filters of which at least one must match. An empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub record_kind: Option<RecordKind>,
    pub crime_type: Vec<CrimeType>,
    /// Canonical Home Office codes (`8N`, `28E`).
    pub offence_code: Vec<String>,
    pub offence_subgroup: Vec<String>,
    pub offence_group: Vec<String>,
    pub location_type: Vec<LocationType>,
    pub hate_strand: Vec<HateStrand>,
    pub domestic_abuse: Option<bool>,
    pub hate_crime: Option<bool>,
    pub alcohol_related: Option<bool>,
    /// Hours of the day committed, 0..=23.
    pub hour: Vec<u8>,
    /// ISO weekday 1 (Monday)..=7 of the day committed.
    pub day_of_week: Vec<u8>,
    /// ISO weekday of the *night* committed: a time before 06:00 belongs to the day before.
    pub night_of: Vec<u8>,
    pub ward_code: Vec<String>,
    /// Partner datasets by name (`source = ["ambulance"]`): selects partner incidents.
    pub source: Vec<String>,
    /// Partner incident categories (`category = ["assault"]`, case ignored): selects
    /// partner incidents.
    pub category: Vec<String>,
    /// A weapon recorded as used or present (extract column `weapon`; null = not recorded).
    pub weapon: Option<bool>,
    pub any: Vec<Filter>,
}

impl Filter {
    /// Whether this filter itself (not its `any` branches) asks for partner incidents:
    /// `record_kind = "incident"`, or a `source` or `category` condition.
    pub fn asks_for_incidents(&self) -> bool {
        self.record_kind == Some(RecordKind::Incident)
            || !self.source.is_empty()
            || !self.category.is_empty()
    }

    /// Whether it or any of its branches, at any depth, asks for partner incidents.
    pub fn mentions_incidents(&self) -> bool {
        self.asks_for_incidents() || self.any.iter().any(Filter::mentions_incidents)
    }
}

/// The filter in the configuration's own words (`csa priorities`, the report's methodology).
impl std::fmt::Display for Filter {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let list = |name: &str, v: Vec<String>| {
            (!v.is_empty()).then(|| format!("{name} in [{}]", v.join(", ")))
        };
        let names = |v: &[u8]| v.iter().map(|d| weekday_name(*d).to_string()).collect();
        parts.extend(self.record_kind.map(|k| format!("record_kind = {}", k.name())));
        parts.extend(list(
            "crime_type",
            self.crime_type.iter().map(|t| t.name().to_string()).collect(),
        ));
        parts.extend(list("offence_code", self.offence_code.clone()));
        parts.extend(list("offence_subgroup", self.offence_subgroup.clone()));
        parts.extend(list("offence_group", self.offence_group.clone()));
        parts.extend(list(
            "location_type",
            self.location_type.iter().map(|t| t.name().to_string()).collect(),
        ));
        parts.extend(list(
            "hate_strand",
            self.hate_strand.iter().map(|t| t.name().to_string()).collect(),
        ));
        for (name, v) in [
            ("domestic_abuse", self.domestic_abuse),
            ("hate_crime", self.hate_crime),
            ("alcohol_related", self.alcohol_related),
        ] {
            parts.extend(v.map(|v| format!("{name} = {v}")));
        }
        parts.extend(list("hour", self.hour.iter().map(|h| h.to_string()).collect()));
        parts.extend(list("day_of_week", names(&self.day_of_week)));
        parts.extend(list("night_of", names(&self.night_of)));
        parts.extend(list("ward_code", self.ward_code.clone()));
        parts.extend(list("source", self.source.clone()));
        parts.extend(list("category", self.category.clone()));
        parts.extend(self.weapon.map(|v| format!("weapon = {v}")));
        if !self.any.is_empty() {
            parts.push(format!(
                "any of ({})",
                self.any.iter().map(|s| format!("{{{s}}}")).collect::<Vec<_>>().join(" or ")
            ));
        }
        if parts.is_empty() {
            out.write_str("everything")
        } else {
            out.write_str(&parts.join(" and "))
        }
    }
}

const WEEKDAYS: [&str; 7] =
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// ISO weekday number of a day name (`Fri`, `friday`), 1 = Monday.
pub fn weekday(s: &str) -> Option<u8> {
    let f = fold(s);
    if f.len() < 3 {
        return None;
    }
    WEEKDAYS.iter().position(|d| d.starts_with(&f)).map(|i| i as u8 + 1)
}

pub fn weekday_name(d: u8) -> &'static str {
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        .get(d as usize - 1)
        .copied()
        .unwrap_or("?")
}

/// Priority names match ignoring case, with spaces, hyphens and underscores alike.
pub fn same_name(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// A priority's name as a file name: lower-case ASCII letters and digits, every other run of
/// characters one `sep` (`slug("Hate crime - race", '_')` = `hate_crime_race`).
pub fn slug(name: &str, sep: char) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with(sep) {
            out.push(sep);
        }
    }
    out.trim_matches(sep).to_string()
}

impl Config {
    /// The compiled-in default.
    pub fn default_config() -> Config {
        // The shipped file is checked by a unit test, so this cannot fail at run time.
        Config::parse(DEFAULT_CONFIG, Path::new("<default>"))
            .unwrap_or_else(|e| panic!("shipped default config: {e}"))
    }

    /// Reads a configuration file; relative paths inside it are taken from its folder.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        Config::parse(&text, path)
    }

    /// Parses configuration text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let at = |span: Option<Range<usize>>, message: String| {
            let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
            AnalysisError::Config { path: path.to_path_buf(), line, column, message }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            at(e.span(), msg)
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let rel = |p: &Spanned<String>| base.join(p.get_ref());
        let a = raw.assessment.unwrap_or_default();
        let period = |p: &Option<RawPeriod>| -> Result<Option<Period>> {
            let Some(p) = p else { return Ok(None) };
            let month = |s: &Spanned<String>| {
                Month::parse(s.get_ref()).ok_or_else(|| {
                    at(Some(s.span()), format!("{:?} is not a month; write YYYY-MM", s.get_ref()))
                })
            };
            let (from, to) = (month(&p.from)?, month(&p.to)?);
            Period::new(from, to).map(Some).map_err(|e| at(Some(p.from.span()), e.to_string()))
        };
        let age_bands = match &a.age_bands {
            None => DEFAULT_AGE_BANDS.to_vec(),
            Some(b) => {
                let v = b.get_ref().clone();
                if v.first() != Some(&0) || v.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(at(Some(b.span()), "age_bands must start at 0 and increase, e.g. [0, 10, 18, 25, 35, 45, 55, 65]".into()));
                }
                v
            }
        };
        let offences = OffenceTable::shipped();
        let mut priorities: Vec<Priority> = Vec::new();
        for p in &raw.priority {
            let name = p.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(at(Some(p.name.span()), "a priority needs a name".into()));
            }
            if same_name(&name, ALL) {
                return Err(at(
                    Some(p.name.span()),
                    format!("{ALL:?} is built in (all crime and ASB); choose another name"),
                ));
            }
            if priorities.iter().any(|q| same_name(&q.name, &name)) {
                return Err(at(Some(p.name.span()), format!("priority {name:?} is defined twice")));
            }
            let mut subgroups = Vec::new();
            for s in &p.subgroups {
                let g = SubGroup::parse(s.get_ref()).ok_or_else(|| {
                    let valid: Vec<&str> = SubGroup::ALL.iter().map(|g| g.name()).collect();
                    at(
                        Some(s.span()),
                        format!(
                            "unknown sub-group {:?}; the sub-groups are: {}",
                            s.get_ref(),
                            valid.join(", ")
                        ),
                    )
                })?;
                subgroups.push(g);
            }
            if subgroups.is_empty() {
                subgroups.push(SubGroup::CrossCutting);
            }
            let denominator = match &p.denominator {
                None => Denominator::Residents,
                Some(d) => match fold(d.get_ref()).as_str() {
                    "residents" => Denominator::Residents,
                    "households" => Denominator::Households,
                    _ => {
                        return Err(at(
                            Some(d.span()),
                            format!(
                                "denominator {:?}: use \"residents\" or \"households\"",
                                d.get_ref()
                            ),
                        ))
                    }
                },
            };
            let filter = compile_filter(&p.filter, offences, &at)?;
            let mut survey = Vec::new();
            for o in &p.survey {
                let opt = csa_model::survey::PRIORITY_OPTIONS
                    .iter()
                    .find(|x| fold(x) == fold(o.get_ref()) && **x != "Other")
                    .ok_or_else(|| {
                        at(
                            Some(o.span()),
                            format!(
                                "survey option {:?} is not one of: {}",
                                o.get_ref(),
                                csa_model::survey::PRIORITY_OPTIONS
                                    [..csa_model::survey::PRIORITY_OPTIONS.len() - 1]
                                    .join(", ")
                            ),
                        )
                    })?;
                survey.push(opt.to_string());
            }
            priorities.push(Priority {
                name,
                subgroups,
                description: p.description.clone(),
                denominator,
                filter,
                survey,
                ward_equalities: p.ward_equalities.unwrap_or(false),
            });
        }
        if raw.priority.is_empty() {
            priorities = Config::default_config().priorities;
        }
        let mut ranking = crate::ranking::Weights::default();
        if let Some(w) = raw.ranking.and_then(|r| r.weights) {
            for (factor, v) in w.get_ref() {
                let slot = ranking.get_mut(factor).ok_or_else(|| {
                    at(
                        Some(w.span()),
                        format!(
                            "unknown ranking factor {factor:?}; the factors are: {}",
                            crate::ranking::FACTORS.join(", ")
                        ),
                    )
                })?;
                if !(v.is_finite() && *v >= 0.0) {
                    return Err(at(
                        Some(w.span()),
                        format!("ranking weight {factor} = {v} must be 0 or more"),
                    ));
                }
                *slot = *v;
            }
            if ranking.total() <= 0.0 {
                return Err(at(
                    Some(w.span()),
                    "at least one ranking weight must be above 0".into(),
                ));
            }
        }
        let pop = raw.population.unwrap_or_default();
        let inputs = match &raw.inputs {
            None => Inputs::default(),
            Some(i) => Inputs {
                police_uk: i.police_uk.iter().map(rel).collect(),
                extract: i.extract.iter().map(rel).collect(),
                incidents: i
                    .incidents
                    .iter()
                    .flat_map(|(k, v)| v.iter().map(|p| (k.clone(), rel(p))))
                    .collect(),
                mapping: i.mapping.as_ref().map(rel),
            },
        };
        let mut hotspots = HotspotSettings::default();
        if let Some(h) = &raw.hotspots {
            let positive = |v: &Spanned<f64>, what: &str| -> Result<f64> {
                let x = *v.get_ref();
                if x.is_finite() && x > 0.0 {
                    Ok(x)
                } else {
                    Err(at(Some(v.span()), format!("{what} must be above 0 metres")))
                }
            };
            if let Some(c) = &h.cell_m {
                hotspots.cell_m = positive(c, "cell_m")?;
            }
            if let Some(b) = &h.band_m {
                hotspots.band_m = positive(b, "band_m")?;
            }
            if hotspots.band_m < hotspots.cell_m {
                return Err(at(
                    h.band_m.as_ref().or(h.cell_m.as_ref()).map(|s| s.span()),
                    "band_m must be at least cell_m (a cell's own neighbours)".into(),
                ));
            }
            hotspots.permutations = h.permutations.unwrap_or(hotspots.permutations);
            hotspots.seed = h.seed.unwrap_or(hotspots.seed);
            hotspots.min_crimes = h.min_crimes.unwrap_or(hotspots.min_crimes);
        }
        let trend_years = match raw.trends.as_ref().and_then(|t| t.years.as_ref()) {
            None => crate::trend::DEFAULT_YEARS,
            Some(y) if (2..=10).contains(y.get_ref()) => *y.get_ref(),
            Some(y) => {
                return Err(at(
                    Some(y.span()),
                    format!(
                        "[trends] years = {} must be 2 to 10 (a trend needs the latest year and at least one before it)",
                        y.get_ref()
                    ),
                ))
            }
        };
        let serious_violence = match &raw.serious_violence {
            Some(sv) => sv.compile(&at)?,
            None => crate::serious_violence::Definition::default(),
        };
        Ok(Config {
            source: path.to_path_buf(),
            name: a.name.clone(),
            dataset: a.dataset.as_ref().map(rel),
            boundaries: a.boundaries.as_ref().map(rel),
            ward_code_property: a.ward_code_property.clone().unwrap_or_else(|| "WD25CD".into()),
            ward_name_property: a.ward_name_property.clone().unwrap_or_else(|| "WD25NM".into()),
            period: period(&a.period)?,
            comparison: period(&a.comparison)?,
            age_bands,
            top_n: a.top_n.unwrap_or(10),
            pseudonym_key: a.pseudonym_key.clone(),
            ward_population: pop.wards.as_ref().map(rel),
            group_population: pop.groups.as_ref().map(rel),
            chi_weights: raw.harm.and_then(|h| h.chi).as_ref().map(rel),
            priorities,
            ranking,
            survey: a.survey.as_ref().map(rel),
            consultation: a.consultation.as_ref().map(rel),
            inputs,
            hotspots,
            trend_years,
            peers: raw
                .peers
                .as_ref()
                .map(|p| crate::peers::PeerSettings::from_raw(p, text, path))
                .transpose()?,
            recommendations: a.recommendations.as_ref().map(rel),
            previous_summary: a.previous_summary.as_ref().map(rel),
            previous_public: a.previous_public.as_ref().map(rel),
            serious_violence,
        })
    }

    /// Every priority, `all` first.
    pub fn all_priorities(&self) -> Vec<Priority> {
        std::iter::once(Priority::all()).chain(self.priorities.iter().cloned()).collect()
    }

    /// Finds a priority by name (see [`same_name`]).
    pub fn priority(&self, name: &str) -> Result<Priority> {
        self.all_priorities().into_iter().find(|p| same_name(&p.name, name)).ok_or_else(|| {
            AnalysisError::UnknownPriority {
                name: name.to_string(),
                valid: self.all_priorities().iter().map(|p| p.name.clone()).collect(),
            }
        })
    }
}

pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn compile_filter(
    raw: &RawFilter,
    offences: &OffenceTable,
    at: &dyn Fn(Option<Range<usize>>, String) -> AnalysisError,
) -> Result<Filter> {
    fn list<T>(
        values: &[Spanned<String>],
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
        valid: &[String],
        at: &dyn Fn(Option<Range<usize>>, String) -> AnalysisError,
    ) -> Result<Vec<T>> {
        values
            .iter()
            .map(|v| {
                parse(v.get_ref()).ok_or_else(|| {
                    let hint = if valid.len() <= 40 {
                        format!("; valid: {}", valid.join(", "))
                    } else {
                        String::new()
                    };
                    at(Some(v.span()), format!("unknown {what} {:?}{hint}", v.get_ref()))
                })
            })
            .collect()
    }
    let names = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut subgroups: Vec<String> = offences.iter().map(|o| o.subgroup.clone()).collect();
    subgroups.sort();
    subgroups.dedup();
    let mut groups: Vec<String> = offences.iter().map(|o| o.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let find_in = |set: &[String]| {
        let set = set.to_vec();
        move |s: &str| set.iter().find(|x| fold(x) == fold(s)).cloned()
    };
    let weekdays =
        names(&["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]);
    let record_kind = match &raw.record_kind {
        None => None,
        Some(k) => Some(
            list(
                std::slice::from_ref(k),
                "record kind",
                RecordKind::parse,
                &names(&["crime", "asb", "incident"]),
                at,
            )?[0],
        ),
    };
    let hour =
        raw.hour
            .iter()
            .map(|h| {
                u8::try_from(*h.get_ref()).ok().filter(|h| *h < 24).ok_or_else(|| {
                    at(Some(h.span()), format!("hour {} is not 0 to 23", h.get_ref()))
                })
            })
            .collect::<Result<Vec<u8>>>()?;
    Ok(Filter {
        record_kind,
        crime_type: list(
            &raw.crime_type,
            "crime type",
            CrimeType::parse,
            &CrimeType::ALL.iter().map(|t| t.name().to_string()).collect::<Vec<_>>(),
            at,
        )?,
        offence_code: list(
            &raw.offence_code,
            "offence code",
            |s| offences.get(s).map(|o| o.code.clone()),
            &[],
            at,
        )?,
        offence_subgroup: list(
            &raw.offence_subgroup,
            "offence subgroup",
            find_in(&subgroups),
            &subgroups,
            at,
        )?,
        offence_group: list(&raw.offence_group, "offence group", find_in(&groups), &groups, at)?,
        location_type: list(
            &raw.location_type,
            "location type",
            LocationType::parse,
            &LocationType::ALL.iter().map(|t| t.name().to_string()).collect::<Vec<_>>(),
            at,
        )?,
        hate_strand: list(
            &raw.hate_strand,
            "hate strand",
            HateStrand::parse,
            &HateStrand::ALL.iter().map(|t| t.name().to_string()).collect::<Vec<_>>(),
            at,
        )?,
        domestic_abuse: raw.domestic_abuse,
        hate_crime: raw.hate_crime,
        alcohol_related: raw.alcohol_related,
        hour,
        day_of_week: list(&raw.day_of_week, "weekday", weekday, &weekdays, at)?,
        night_of: list(&raw.night_of, "weekday", weekday, &weekdays, at)?,
        ward_code: raw.ward_code.iter().map(|w| w.get_ref().trim().to_string()).collect(),
        source: raw.source.iter().map(|w| w.get_ref().trim().to_string()).collect(),
        category: raw.category.iter().map(|w| w.get_ref().trim().to_string()).collect(),
        weapon: raw.weapon,
        any: raw.any.iter().map(|f| compile_filter(f, offences, at)).collect::<Result<_>>()?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    assessment: Option<RawAssessment>,
    population: Option<RawPopulation>,
    harm: Option<RawHarm>,
    ranking: Option<RawRanking>,
    inputs: Option<RawInputs>,
    hotspots: Option<RawHotspots>,
    trends: Option<RawTrends>,
    peers: Option<crate::peers::RawPeers>,
    serious_violence: Option<crate::serious_violence::RawDefinition>,
    #[serde(default)]
    priority: Vec<RawPriority>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTrends {
    years: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInputs {
    #[serde(default)]
    police_uk: Vec<Spanned<String>>,
    #[serde(default)]
    extract: Vec<Spanned<String>>,
    /// Partner dataset name -> its files (a list, as `--incidents NAME=FILE` repeated).
    #[serde(default)]
    incidents: std::collections::BTreeMap<String, Vec<Spanned<String>>>,
    mapping: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHotspots {
    cell_m: Option<Spanned<f64>>,
    band_m: Option<Spanned<f64>>,
    permutations: Option<usize>,
    seed: Option<u64>,
    min_crimes: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRanking {
    weights: Option<Spanned<std::collections::BTreeMap<String, f64>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAssessment {
    name: Option<String>,
    dataset: Option<Spanned<String>>,
    boundaries: Option<Spanned<String>>,
    ward_code_property: Option<String>,
    ward_name_property: Option<String>,
    period: Option<RawPeriod>,
    comparison: Option<RawPeriod>,
    age_bands: Option<Spanned<Vec<u8>>>,
    top_n: Option<usize>,
    pseudonym_key: Option<String>,
    survey: Option<Spanned<String>>,
    consultation: Option<Spanned<String>>,
    recommendations: Option<Spanned<String>>,
    previous_summary: Option<Spanned<String>>,
    previous_public: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    wards: Option<Spanned<String>>,
    groups: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHarm {
    chi: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    name: Spanned<String>,
    #[serde(default)]
    subgroups: Vec<Spanned<String>>,
    description: Option<String>,
    denominator: Option<Spanned<String>>,
    #[serde(default)]
    filter: RawFilter,
    #[serde(default)]
    survey: Vec<Spanned<String>>,
    ward_equalities: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    record_kind: Option<Spanned<String>>,
    #[serde(default)]
    crime_type: Vec<Spanned<String>>,
    #[serde(default)]
    offence_code: Vec<Spanned<String>>,
    #[serde(default)]
    offence_subgroup: Vec<Spanned<String>>,
    #[serde(default)]
    offence_group: Vec<Spanned<String>>,
    #[serde(default)]
    location_type: Vec<Spanned<String>>,
    #[serde(default)]
    hate_strand: Vec<Spanned<String>>,
    domestic_abuse: Option<bool>,
    hate_crime: Option<bool>,
    alcohol_related: Option<bool>,
    #[serde(default)]
    hour: Vec<Spanned<i64>>,
    #[serde(default)]
    day_of_week: Vec<Spanned<String>>,
    #[serde(default)]
    night_of: Vec<Spanned<String>>,
    #[serde(default)]
    ward_code: Vec<Spanned<String>>,
    #[serde(default)]
    source: Vec<Spanned<String>>,
    #[serde(default)]
    category: Vec<Spanned<String>>,
    weapon: Option<bool>,
    #[serde(default)]
    any: Vec<RawFilter>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Hate crime - race", '-'), "hate-crime-race");
        assert_eq!(slug("Hate crime - sexual orientation", '_'), "hate_crime_sexual_orientation");
        assert_eq!(slug("  Criminal damage & arson ", '_'), "criminal_damage_arson");
        assert_eq!(slug("all", '_'), "all");
    }

    #[test]
    fn shipped_default_has_the_usual_priorities() {
        let c = Config::default_config();
        for name in [
            "Violence with injury",
            "Violence without injury",
            "Domestic abuse",
            "Sexual offences",
            "Hate crime",
            "Hate crime - race",
            "Serious acquisitive crime",
            "Residential burglary",
            "Vehicle crime",
            "Robbery",
            "Criminal damage and arson",
            "Anti-social behaviour",
            "Night-time economy violence",
            "Weapon possession",
            "Drugs",
            "Shoplifting",
        ] {
            c.priority(name).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(c.priority("domestic-ABUSE").unwrap().name, "Domestic abuse");
        assert_eq!(c.priority("ALL").unwrap().filter, Filter::default());
        assert_eq!(
            c.priority("residential burglary").unwrap().denominator,
            Denominator::Households
        );
        let nte = c.priority("night time economy violence").unwrap().filter;
        assert_eq!(nte.offence_group, vec!["Violence against the person".to_string()]);
        assert_eq!(nte.any[1].night_of, vec![5, 6]);
        let e = c.priority("burglary").unwrap_err().to_string();
        assert!(e.contains("Residential burglary") && e.contains("all"), "{e}");
    }

    #[test]
    fn trend_years_default_set_and_checked() {
        let path = Path::new("a.toml");
        assert_eq!(Config::parse("", path).unwrap().trend_years, 3);
        assert_eq!(Config::parse("[trends]\nyears = 5\n", path).unwrap().trend_years, 5);
        let e = Config::parse("[trends]\nyears = 1\n", path).unwrap_err().to_string();
        assert!(e.contains("a.toml:2:") && e.contains("must be 2 to 10"), "{e}");
        let e = Config::parse("[trends]\nyear = 3\n", path).unwrap_err().to_string();
        assert!(e.contains("a.toml:2:") && e.contains("year"), "{e}");
    }

    #[test]
    fn mistakes_name_the_line() {
        let text = "[[priority]]\nname = \"Burglary\"\nsubgroups = [\"City Tasking\"]\nfilter = { crime_type = [\"Burgalry\"] }\n";
        let e = Config::parse(text, Path::new("my.toml")).unwrap_err().to_string();
        assert!(e.starts_with("my.toml:4:"), "{e}");
        assert!(e.contains("unknown crime type \"Burgalry\"") && e.contains("Burglary"), "{e}");

        let e = Config::parse(
            "[[priority]]\nname = \"X\"\nsubgroup = [\"City Tasking\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3:") && e.contains("subgroup"), "{e}");

        let e = Config::parse(
            "[[priority]]\nname = \"X\"\nsubgroups = [\"Tasking\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3:") && e.contains("City Tasking"), "{e}");

        let e = Config::parse(
            "[assessment]\nperiod = { from = \"2025-1\", to = \"2025-12\" }\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:2:") && e.contains("YYYY-MM"), "{e}");

        let e = Config::parse(
            "[[priority]]\nname = \"A\"\n[[priority]]\nname = \"a\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:4:") && e.contains("twice"), "{e}");

        let e = Config::parse(
            "[[priority]]\nname = \"Late\"\nfilter = { hour = [24] }\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3:") && e.contains("hour 24"), "{e}");

        let e = Config::parse(
            "[[priority]]\nname = \"B\"\nsurvey = [\"Burglaries\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3:11") && e.contains("survey option \"Burglaries\""), "{e}");
        let e = Config::parse("[ranking]\nweights = { harm = 2, fear = 1 }\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2:") && e.contains("unknown ranking factor \"fear\""), "{e}");
        let c = Config::parse("[ranking]\nweights = { harm = 2 }\n[[priority]]\nname = \"B\"\nsurvey = [\"burglary\"]\n", Path::new("c.toml")).unwrap();
        assert_eq!((c.ranking.harm, c.ranking.volume), (2.0, 1.0));
        assert_eq!(c.priorities[0].survey, vec!["Burglary".to_string()]);
        assert_eq!(
            Config::default_config().priority("serious acquisitive crime").unwrap().survey.len(),
            3
        );
    }

    #[test]
    fn relative_paths_and_periods() {
        let text = "[assessment]\ndataset = \"ds\"\nprevious_public = \"../packs/2024\"\nperiod = { from = \"2025-04\", to = \"2026-03\" }\n[population]\nwards = \"pop.csv\"\n";
        let c = Config::parse(text, Path::new("conf/a.toml")).unwrap();
        assert_eq!(c.dataset, Some(PathBuf::from("conf/ds")));
        assert_eq!(c.previous_public, Some(PathBuf::from("conf/../packs/2024")));
        assert_eq!(c.ward_population, Some(PathBuf::from("conf/pop.csv")));
        assert_eq!(c.period.unwrap().to_string(), "2025-04 to 2026-03");
        assert_eq!(c.priorities.len(), Config::default_config().priorities.len());
    }

    #[test]
    fn names_and_weekdays() {
        assert!(same_name("Night-time economy violence", "night time ECONOMY_violence"));
        assert_eq!(weekday("Fri"), Some(5));
        assert_eq!(weekday("sunday"), Some(7));
        assert_eq!(weekday("S"), None);
        assert_eq!(SubGroup::parse("reducing reoffending"), Some(SubGroup::ReducingReoffending));
        assert_eq!(SubGroup::parse("HARP"), Some(SubGroup::HarmAndAbuseReduction));
    }
}
