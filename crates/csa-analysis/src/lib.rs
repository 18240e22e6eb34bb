//! csa analysis: the assessment configuration and every breakdown the annual assessment and
//! the quarterly run are built from. One library API; the CLI and the report only call it.
//!
//! ```text
//! Config (TOML, priorities)  ─┐
//! dataset folder (csa ingest) ─┼─> Assessment::open ─> breakdown / volume / repeats /
//! Population (wards, groups)  ─┘                        locations / equalities ─> DataFrame
//! ```
//!
//! Tables are polars DataFrames; [`export`] writes them as text, CSV, JSON or xlsx.
//! The library never prints.

pub mod assessment;
pub mod breakdown;
pub mod codebook;
pub mod config;
pub mod consultation;
pub mod data;
pub mod dataset;
pub mod dims;
pub mod equalities;
pub mod error;
pub mod export;
pub mod forecast;
pub mod funnel;
pub mod glm;
pub mod harm;
pub mod hotspots;
mod intern;
pub mod iom;
pub mod joint_population;
pub mod kaplan_meier;
pub mod location;
pub mod names;
pub mod needs;
pub mod peers;
pub mod performance;
pub mod period;
pub mod person_ids;
pub mod population;
pub mod proportions;
pub mod quarter;
pub mod quarterly;
pub mod raking;
pub mod ranking;
pub mod rates;
pub mod recommendations;
pub mod reoffending;
pub mod reoffending_indicator;
pub mod reoffending_table;
pub mod repeats;
pub mod review;
pub mod select;
pub mod series;
pub mod serious_violence;
pub mod significance;
pub mod slice;
pub mod store;
pub mod survey;
pub mod targets;
pub mod trend;
pub mod views;
pub mod volume;

pub use assessment::{Assessment, Setting};
pub use breakdown::{breakdown, Breakdown};
pub use config::{Config, Filter, Priority, SubGroup};
pub use data::{Data, DatasetInfo};
pub use dims::{Dim, Side};
pub use error::{AnalysisError, Result};
pub use needs::Needs;
pub use period::{Month, Period, Periods};
pub use population::Population;
