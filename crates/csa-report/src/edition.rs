//! Who a pack is for ([`Edition`]) and how it is written ([`PackOptions`]): what the writer
//! ([`crate::write`]) and the parts it writes (report, summary, figures, layers) share.

use std::path::PathBuf;

use serde::Serialize;

/// Who the pack is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// Partners: exact figures, pseudonymised offender lists, point-free maps.
    Restricted,
    /// Publication: small counts hidden so that no hidden count can be worked out from
    /// anything the pack publishes (see `data/README.md`, "Public edition"), no person-level
    /// tables, no point locations.
    Public,
}

impl Edition {
    pub fn name(self) -> &'static str {
        match self {
            Edition::Restricted => "restricted",
            Edition::Public => "public",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PackOptions {
    pub out: PathBuf,
    pub edition: Edition,
    /// The one timestamp of the pack (RFC 3339).
    pub generated_at: String,
    /// The configuration file (hashed into the summary); `None` for the built-in one.
    pub config_file: Option<PathBuf>,
    /// Public edition: hide only the counts of 1 to 4, nothing to protect them. Such a pack
    /// fails its audit and is never written; this exists to prove that gate (tests set it
    /// through `CSA_PUBLIC_PRIMARY_ONLY=1`).
    pub primary_only: bool,
    /// Public edition: last year's public pack, whose assessment period is this pack's
    /// comparison period: its cells of that year are published here exactly as there (so
    /// the two packs together reveal nothing either does not). `None`: the comparison year
    /// is protected from its own data (group 1).
    pub previous_public: Option<PathBuf>,
}
