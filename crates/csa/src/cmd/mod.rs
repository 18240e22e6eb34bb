//! One file per subcommand.

pub mod breakdown;
pub mod hotspots;
pub mod ingest;
pub mod quarterly;
pub mod survey;
pub mod synth;
