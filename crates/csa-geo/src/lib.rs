//! csa geometry: lon/lat <-> British National Grid, boundary polygons from GeoJSON, and
//! point-in-polygon lookup through an R-tree. Works on values in memory; reading files is
//! the caller's job.

pub mod bng;
pub mod boundaries;
pub mod geojson;
pub mod locate;

pub use bng::{
    bng_to_lonlat, in_great_britain_bng, in_great_britain_lonlat, lonlat_to_bng,
    multipolygon_to_bng,
};
pub use boundaries::{Area, Boundaries, BoundaryError};
pub use locate::AreaIndex;
