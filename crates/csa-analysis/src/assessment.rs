//! The analysis context: a configuration, its population denominators, the periods and the
//! loaded slice of a dataset. Every breakdown takes an [`Assessment`].
//!
//! Periods: the current period is the one asked for, else the config's, else the default
//! rule of [`crate::period`]; the comparison period is the config's, else the same length
//! immediately before. Loaded months run from 12 months before the current period (the
//! look-back of the domestic abuse repeat rule) or the comparison start, whichever is
//! earlier, to the end of the current period.
//!
//! Area: with `[assessment] boundaries`, the partnership's area is the wards of that file:
//! every priority is restricted to records in those wards, rates divide by their population
//! and ward tables list every one of them (zero rows included). Without it, the area is the
//! wards that have at least one record in the loaded data, and records outside every ward
//! are kept (as their own "outside the wards" group).

use std::path::Path;

use csa_model::Col;
use rustc_hash::FxHashMap;

use crate::config::{Config, Filter, Priority};
use crate::data::{Data, DatasetInfo, Needs};
use crate::error::{AnalysisError, Result};
use crate::period::{default_period, Period, Periods};
use crate::population::Population;
use crate::select::Selector;
use crate::store::Crimes;

pub struct Assessment {
    pub config: Config,
    pub population: Population,
    /// Shared: a server answers many queries from one slice.
    pub data: std::sync::Arc<Data>,
    pub periods: Periods,
    /// Cambridge Crime Harm Index weight by offence code, when configured.
    pub chi: Option<FxHashMap<String, f64>>,
    /// Key of the keyed hash that pseudonymises person ids: the configured one, else
    /// [`DatasetInfo::people_key`] (worked out on first use: it reads the people files).
    pseudonym_key: std::sync::OnceLock<String>,
    pub area: Area,
    /// Selections over `data.crimes` worked out once: the filter as applied (its `Debug`
    /// text, the area's wards included) and its bitmap ([`Selector::bitmap`]). The sections of
    /// a pack ask for each priority many times over millions of rows.
    selections: std::sync::Mutex<FxHashMap<String, std::sync::Arc<Vec<u64>>>>,
    /// Each priority's rows in the two periods, worked out once (its `Debug` text): the
    /// breakdowns, volumes and locations of a pack ask for them again and again.
    chosen: std::sync::Mutex<FxHashMap<String, std::sync::Arc<crate::breakdown::Selection>>>,
}

/// The partnership's area: its wards, in the order of the boundaries file or by code.
#[derive(Debug, Clone)]
pub struct Area {
    /// (ward code, ward name)
    pub wards: Vec<(String, String)>,
    /// The boundaries file, when the area was configured (records are then restricted to it).
    pub boundaries: Option<std::path::PathBuf>,
}

/// What an assessment reads besides the dataset, once per configuration: the population
/// denominators, the harm weights and the configured area. `csa serve` keeps one for every
/// query instead of reading the files again.
#[derive(Debug, Clone)]
pub struct Setting {
    pub population: Population,
    pub chi: Option<FxHashMap<String, f64>>,
    /// The area of the configured boundaries; `None` = the wards of the loaded data.
    pub area: Option<Area>,
}

impl Setting {
    pub fn load(config: &Config) -> Result<Setting> {
        let population = Population::load(
            config.ward_population.as_deref(),
            config.group_population.as_deref(),
        )?;
        let chi = match &config.chi_weights {
            None => None,
            Some(p) => Some(crate::harm::load_chi(p)?),
        };
        let area = match &config.boundaries {
            Some(path) => Some(area_of_boundaries(
                path,
                &config.ward_code_property,
                &config.ward_name_property,
            )?),
            None => None,
        };
        Ok(Setting { population, chi, area })
    }
}

impl Assessment {
    /// Opens `dataset` for `config`; `period` overrides the configured period.
    pub fn open(
        dataset: &Path,
        config: Config,
        period: Option<Period>,
        needs: &Needs,
    ) -> Result<Assessment> {
        let info = DatasetInfo::open(dataset)?;
        let periods = Assessment::periods(&info, &config, period, || info.latest_complete())?;
        Assessment::with_months(&info, config, periods, Assessment::months_to_load(periods), needs)
    }

    /// The current and comparison periods of an assessment of `info` (see the module header);
    /// `latest_complete` says whether the latest month is complete (asked only when the
    /// default period rule needs it; [`DatasetInfo::latest_complete`] reads it).
    pub fn periods(
        info: &DatasetInfo,
        config: &Config,
        period: Option<Period>,
        latest_complete: impl FnOnce() -> Result<bool>,
    ) -> Result<Periods> {
        let current = match period.or(config.period) {
            Some(p) => p,
            None => {
                let latest = info.latest().ok_or_else(|| AnalysisError::Dataset {
                    path: info.dir.clone(),
                    detail: "the dataset has no crime records".into(),
                })?;
                default_period(latest, latest_complete()?, 12)
            }
        };
        let comparison = match (period, config.comparison) {
            // an explicit period on the command line gets its own comparison period
            (None, Some(c)) => c,
            _ => current.previous(),
        };
        Ok(Periods { current, comparison })
    }

    /// The months an assessment over `periods` loads: from 12 months before the current
    /// period (the repeat rule's look-back) or the comparison start, to the later end.
    pub fn months_to_load(periods: Periods) -> Period {
        let (current, comparison) = (periods.current, periods.comparison);
        Period {
            from: comparison.from.min(current.from.plus(-12)),
            to: current.to.max(comparison.to),
        }
    }

    /// Opens `dataset` for `config` with the periods given and the months `load` loaded (an
    /// analysis that looks beyond the usual span, such as a re-offending cohort's follow-up).
    pub fn open_months(
        dataset: &Path,
        config: Config,
        periods: Periods,
        load: Period,
        needs: &Needs,
    ) -> Result<Assessment> {
        Assessment::with_months(&DatasetInfo::open(dataset)?, config, periods, load, needs)
    }

    fn with_months(
        info: &DatasetInfo,
        config: Config,
        periods: Periods,
        load: Period,
        needs: &Needs,
    ) -> Result<Assessment> {
        let data = Data::load(info, load, needs)?;
        let setting = Setting::load(&config)?;
        Ok(Assessment::assemble(config, setting, periods, std::sync::Arc::new(data), None))
    }

    /// An assessment over data already loaded for `periods` (what [`Assessment::open`] builds
    /// after loading; a server passes a [`Data::slice`] of the data it holds). `pseudonym_key`
    /// is the dataset's default key when already known (the configured key wins).
    pub fn assemble(
        config: Config,
        setting: Setting,
        periods: Periods,
        data: std::sync::Arc<Data>,
        pseudonym_key: Option<String>,
    ) -> Assessment {
        let key = std::sync::OnceLock::new();
        if let Some(k) = config.pseudonym_key.clone().or(pseudonym_key) {
            let _ = key.set(k);
        }
        let area = setting.area.unwrap_or_else(|| area_of_data(&data));
        Assessment {
            config,
            population: setting.population,
            data,
            periods,
            chi: setting.chi,
            pseudonym_key: key,
            area,
            selections: Default::default(),
            chosen: Default::default(),
        }
    }

    /// The key of the person-id pseudonyms (see the field).
    pub fn pseudonym_key(&self) -> Result<&str> {
        if let Some(k) = self.pseudonym_key.get() {
            return Ok(k);
        }
        let k = self.data.info.people_key()?;
        Ok(self.pseudonym_key.get_or_init(|| k))
    }

    /// The selector of priority `p`, restricted to the configured area.
    pub fn selector(&self, p: &Priority) -> Result<Selector<'_>> {
        self.selector_on(p, &self.data.crimes)
    }

    /// The selector of priority `p` over other loaded crimes (months loaded apart, such as
    /// the trend's earlier years), restricted to the configured area.
    pub fn selector_on<'c>(&self, p: &Priority, crimes: &'c Crimes) -> Result<Selector<'c>> {
        let area;
        let f = match &self.area.boundaries {
            None => &p.filter,
            Some(_) => {
                area = Filter {
                    ward_code: self.area.wards.iter().map(|w| w.0.clone()).collect(),
                    any: vec![p.filter.clone()],
                    ..Filter::default()
                };
                &area
            }
        };
        if !std::ptr::eq(crimes, &self.data.crimes) {
            return Selector::new(f, crimes);
        }
        let key = format!("{f:?}");
        let cache = || self.selections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(bits) = cache().get(&key) {
            return Ok(Selector::from_bitmap(bits.clone()));
        }
        let bits = std::sync::Arc::new(Selector::new(f, crimes)?.bitmap(crimes.len));
        cache().insert(key, bits.clone());
        Ok(Selector::from_bitmap(bits))
    }

    /// The selection of priority `p`, made by `make` the first time it is asked for.
    pub fn chosen(
        &self,
        p: &Priority,
        make: impl FnOnce() -> Result<crate::breakdown::Selection>,
    ) -> Result<std::sync::Arc<crate::breakdown::Selection>> {
        let key = format!("{p:?}");
        let cache = || self.chosen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = cache().get(&key) {
            return Ok(s.clone());
        }
        let s = std::sync::Arc::new(make()?);
        cache().insert(key, s.clone());
        Ok(s)
    }

    /// Whether the dataset has records in every month of `p` (a partial comparison period
    /// would understate the comparison, so its figures are then left out).
    pub fn covers(&self, p: Period) -> bool {
        p.iter().all(|m| self.data.info.months.binary_search(&m).is_ok())
    }

    /// Residents (or households) of the area; `None` when no ward of it has a figure.
    pub fn area_population(&self, households: bool) -> Option<f64> {
        let figures: Vec<f64> = self
            .area
            .wards
            .iter()
            .filter_map(|(code, _)| self.population.wards.get(code))
            .filter_map(|w| if households { w.households } else { w.residents })
            .collect();
        (!figures.is_empty()).then(|| figures.iter().sum())
    }
}

fn area_of_boundaries(path: &Path, code: &str, name: &str) -> Result<Area> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
    let b = csa_geo::Boundaries::from_geojson(&text, code, name)
        .map_err(|e| AnalysisError::Dataset { path: path.to_path_buf(), detail: e.to_string() })?;
    if b.is_empty() {
        return Err(AnalysisError::Dataset {
            path: path.to_path_buf(),
            detail: "the boundaries file has no wards".into(),
        });
    }
    Ok(Area {
        wards: b.areas.into_iter().map(|a| (a.code, a.name)).collect(),
        boundaries: Some(path.to_path_buf()),
    })
}

/// The wards with at least one record loaded, by code.
fn area_of_data(data: &Data) -> Area {
    let mut wards = Vec::new();
    if let (Some(codes), Some(names)) =
        (data.crimes.text.get(&Col::WardCode), data.crimes.text.get(&Col::WardName))
    {
        let mut name_of: Vec<Option<&str>> = vec![None; codes.cardinality() + 1];
        for (row, c) in codes.codes.iter().enumerate() {
            if *c != 0 && name_of[*c as usize].is_none() {
                name_of[*c as usize] = Some(names.get(row).unwrap_or(""));
            }
        }
        for (i, code) in codes.values.iter().enumerate() {
            if let Some(n) = name_of[i + 1] {
                wards.push((code.clone(), n.to_string()));
            }
        }
        wards.sort();
    }
    Area { wards, boundaries: None }
}
