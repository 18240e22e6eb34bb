//! csa hotspots: the spatial and space-time methods of City Tasking, in British National Grid
//! metres, on plain point arrays (`[easting, northing]`), so they are tested and benchmarked
//! without any table machinery. One method per module, its formula in the header:
//!
//! - [`grid`]: square cells aligned to the BNG origin, clipped to a study area; automatic size.
//! - [`weights`]: binary distance-band neighbours (R-tree radius queries).
//! - [`gistar`]: Getis-Ord Gi*, analytic and conditional-permutation p; [`fdr`]: BH bins.
//! - [`kde`]: quartic kernel density, ArcGIS default bandwidth.
//! - [`nnh`]: CrimeStat-style nearest-neighbour hierarchical clustering; [`dbscan`]: DBSCAN;
//!   [`clusters`]: hulls, union-find, repeat locations.
//! - [`knox`]: the Knox near-repeat test with Monte Carlo p.
//! - [`emerging`]: Gi* per time step + [`mann_kendall`] trend -> emerging hotspot categories.
//! - [`pai`]: Predictive Accuracy Index and persistence between periods.
//!
//! Everything random takes a seed and draws from `csa_model::rng` streams keyed by the item
//! (site, permutation), so results do not depend on the number of threads.

pub mod clusters;
pub mod dbscan;
pub mod emerging;
pub mod fdr;
pub mod gistar;
pub mod grid;
pub mod kde;
pub mod knox;
pub mod mann_kendall;
pub mod nnh;
pub mod pai;
pub mod stats;
pub mod weights;

pub use grid::{Grid, StudyArea};
pub use weights::Neighbours;

#[derive(Debug, thiserror::Error)]
pub enum HotspotError {
    /// A parameter that cannot work (cell size, band, edges), with what to change.
    #[error("{0}")]
    Parameter(String),
}
