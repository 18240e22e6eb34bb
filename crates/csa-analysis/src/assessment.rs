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

pub struct Assessment {
    pub config: Config,
    pub population: Population,
    pub data: Data,
    pub periods: Periods,
    /// Cambridge Crime Harm Index weight by offence code, when configured.
    pub chi: Option<FxHashMap<String, f64>>,
    /// Key of the keyed hash that pseudonymises person ids: the configured one, else
    /// [`DatasetInfo::people_key`] (worked out on first use: it reads the people files).
    pseudonym_key: std::sync::OnceLock<String>,
    pub area: Area,
}

/// The partnership's area: its wards, in the order of the boundaries file or by code.
#[derive(Debug, Clone)]
pub struct Area {
    /// (ward code, ward name)
    pub wards: Vec<(String, String)>,
    /// The boundaries file, when the area was configured (records are then restricted to it).
    pub boundaries: Option<std::path::PathBuf>,
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
        let current = match period.or(config.period) {
            Some(p) => p,
            None => {
                let latest = info.latest().ok_or_else(|| AnalysisError::Dataset {
                    path: dataset.to_path_buf(),
                    detail: "the dataset has no crime records".into(),
                })?;
                default_period(latest, info.latest_complete()?, 12)
            }
        };
        let comparison = match (period, config.comparison) {
            // an explicit period on the command line gets its own comparison period
            (None, Some(c)) => c,
            _ => current.previous(),
        };
        let periods = Periods { current, comparison };
        let load = Period {
            from: comparison.from.min(current.from.plus(-12)),
            to: current.to.max(comparison.to),
        };
        Assessment::with_months(info, config, periods, load, needs)
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
        Assessment::with_months(DatasetInfo::open(dataset)?, config, periods, load, needs)
    }

    fn with_months(
        info: DatasetInfo,
        config: Config,
        periods: Periods,
        load: Period,
        needs: &Needs,
    ) -> Result<Assessment> {
        let data = Data::load(&info, load, needs)?;
        let population = Population::load(
            config.ward_population.as_deref(),
            config.group_population.as_deref(),
        )?;
        let chi = match &config.chi_weights {
            None => None,
            Some(p) => Some(crate::harm::load_chi(p)?),
        };
        let pseudonym_key = std::sync::OnceLock::new();
        if let Some(k) = &config.pseudonym_key {
            let _ = pseudonym_key.set(k.clone());
        }
        let area = match &config.boundaries {
            Some(path) => {
                area_of_boundaries(path, &config.ward_code_property, &config.ward_name_property)?
            }
            None => area_of_data(&data),
        };
        Ok(Assessment { config, population, data, periods, chi, pseudonym_key, area })
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
        match &self.area.boundaries {
            None => Selector::new(&p.filter, &self.data.crimes),
            Some(_) => {
                let f = Filter {
                    ward_code: self.area.wards.iter().map(|w| w.0.clone()).collect(),
                    any: vec![p.filter.clone()],
                    ..Filter::default()
                };
                Selector::new(&f, &self.data.crimes)
            }
        }
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
