//! `manifest.json`: the typed structure lives in `csa-model` ([`csa_model::manifest`]), shared
//! with every reader; this module re-exports it and builds its reference-file records.

pub use csa_model::manifest::{
    AppendRecord, AreaProperties, Counts, InputReport, Manifest, Partition, Reconciliation,
    ReferenceFile, SourceKind, MANIFEST_FILE,
};

use crate::source::InputMeta;

/// The record of a reference file: its size and SHA-256, what was read (`description`, for
/// people) and, for boundaries, the properties read.
pub fn reference_file(
    meta: &InputMeta,
    description: String,
    properties: Option<AreaProperties>,
) -> ReferenceFile {
    ReferenceFile {
        path: meta.path.clone(),
        bytes: meta.bytes,
        sha256: meta.sha256.clone(),
        description,
        properties,
    }
}
