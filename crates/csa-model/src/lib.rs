//! The csa data model: every column name, the crime taxonomy, the offence reference table,
//! the quarantine reasons, and the seeded generator every random method uses. No I/O happens
//! here; other crates build on these definitions.

pub mod columns;
pub mod manifest;
pub mod offences;
pub mod quarantine;
pub mod rng;
pub mod survey;
pub mod taxonomy;
pub mod text;

pub use columns::{Col, Storage, CRIMES, OFFENDERS, QUARANTINE, VICTIMS};
pub use manifest::Manifest;
pub use offences::{OffenceInfo, OffenceTable};
pub use quarantine::Reason;
pub use taxonomy::{CrimeType, Ethnicity, HateStrand, LocationType, RecordKind, Sex};

/// Version of the on-disk dataset layout; bump when a column is added, removed or retyped.
pub const SCHEMA_VERSION: u32 = 2;
