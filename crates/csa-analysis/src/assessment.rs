//! The analysis context: a configuration, its population denominators, the periods and the
//! loaded slice of a dataset. Every breakdown takes an [`Assessment`].
//!
//! Periods: the current period is the one asked for, else the config's, else the default
//! rule of [`crate::period`]; the comparison period is the config's, else the same length
//! immediately before. Loaded months run from 12 months before the current period (the
//! look-back of the domestic abuse repeat rule) or the comparison start, whichever is
//! earlier, to the end of the current period.

use std::path::Path;

use csa_model::Col;
use rustc_hash::FxHashMap;

use crate::config::{Config, Priority};
use crate::data::{Data, DatasetInfo, Needs};
use crate::error::{AnalysisError, Result};
use crate::period::{default_period, Period, Periods};
use crate::population::Population;
use crate::select::filter_columns;

pub struct Assessment {
    pub config: Config,
    pub population: Population,
    pub data: Data,
    pub periods: Periods,
    /// Cambridge Crime Harm Index weight by offence code, when configured.
    pub chi: Option<FxHashMap<String, f64>>,
    /// Key of the keyed hash that pseudonymises person ids.
    pub pseudonym_key: String,
}

/// Every crime column the analyses can read.
pub const ANALYSIS_COLUMNS: &[Col] = &[
    Col::CrimeRef,
    Col::RecordKind,
    Col::DatePrecision,
    Col::DayOfWeek,
    Col::Hour,
    Col::OffenceCode,
    Col::CrimeType,
    Col::OffenceSubgroup,
    Col::OffenceGroup,
    Col::Easting,
    Col::Northing,
    Col::LocationType,
    Col::LocationDesc,
    Col::LsoaCode,
    Col::LsoaName,
    Col::WardCode,
    Col::WardName,
    Col::InArea,
    Col::DomesticAbuse,
    Col::HateCrime,
    Col::HateRace,
    Col::HateReligion,
    Col::HateSexualOrientation,
    Col::HateDisability,
    Col::HateTransgender,
    Col::AlcoholRelated,
];

impl Needs {
    /// Everything: for the full assessment build.
    pub fn everything() -> Needs {
        let mut n = Needs { victims: true, offenders: true, relationship: true, ..Needs::default() };
        n.add(ANALYSIS_COLUMNS.iter().copied());
        n
    }

    /// What filtering by these priorities needs (plus wards, for rates).
    pub fn for_priorities<'a>(priorities: impl IntoIterator<Item = &'a Priority>) -> Needs {
        let mut n = Needs::default();
        n.add([Col::WardCode, Col::RecordKind]);
        for p in priorities {
            n.add(filter_columns(&p.filter));
            if p.filter.needs_offence_codes() {
                n.add([Col::OffenceCode]);
            }
        }
        n
    }
}

impl Assessment {
    /// Opens `dataset` for `config`; `period` overrides the configured period.
    pub fn open(dataset: &Path, config: Config, period: Option<Period>, needs: &Needs) -> Result<Assessment> {
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
        let load = Period { from: comparison.from.min(current.from.plus(-12)), to: current.to.max(comparison.to) };
        let data = Data::load(&info, load, needs)?;
        let population = Population::load(config.ward_population.as_deref(), config.group_population.as_deref())?;
        let chi = match &config.chi_weights {
            None => None,
            Some(p) => Some(crate::harm::load_chi(p)?),
        };
        let pseudonym_key = config.pseudonym_key.clone().unwrap_or_else(|| info.manifest_sha256.clone());
        Ok(Assessment { config, population, data, periods, chi, pseudonym_key })
    }

    /// Whether the dataset has records in every month of `p` (a partial comparison period
    /// would understate the comparison, so its figures are then left out).
    pub fn covers(&self, p: Period) -> bool {
        p.iter().all(|m| self.data.info.months.binary_search(&m).is_ok())
    }

    /// Residents (or households) of the area: the wards with at least one record loaded.
    pub fn area_population(&self, households: bool) -> Option<f64> {
        let wards = self.data.crimes.text.get(&Col::WardCode)?;
        let mut seen = vec![false; wards.cardinality()];
        for c in &wards.codes {
            seen[*c as usize] = true;
        }
        let mut total = 0.0;
        let mut any = false;
        for (i, code) in wards.values.iter().enumerate() {
            if !seen[i + 1] {
                continue;
            }
            if let Some(w) = self.population.wards.get(code) {
                if let Some(n) = if households { w.households } else { w.residents } {
                    total += n;
                    any = true;
                }
            }
        }
        any.then_some(total)
    }
}
