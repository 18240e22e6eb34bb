//! One file per subcommand.

pub mod ingest;
pub mod synth;
