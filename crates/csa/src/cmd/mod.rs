//! One file per subcommand.

pub mod breakdown;
pub mod ingest;
pub mod synth;
