//! `manifest.json`: what went into a dataset and what came out, so that any later output can
//! be traced to its inputs (sizes, SHA-256) and every input row is accounted for.

use std::collections::BTreeMap;

use crate::dataset::Partition;
use crate::source::InputMeta;

/// One input file's reconciliation: rows_read = accepted + quarantined.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InputReport {
    pub path: String,
    /// police_uk, extract_crimes, extract_victims or extract_offenders
    pub kind: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
}

/// A reference file used for enrichment.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReferenceFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// What was read: e.g. "18 areas, code WD25CD, name WD25NM" or "35672 LSOAs".
    pub description: String,
}

impl ReferenceFile {
    pub fn new(meta: &InputMeta, description: String) -> ReferenceFile {
        ReferenceFile {
            path: meta.path.clone(),
            bytes: meta.bytes,
            sha256: meta.sha256.clone(),
            description,
        }
    }
}

/// Row counts of the written tables.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub crimes: u64,
    pub asb: u64,
    pub victims: u64,
    pub offenders: u64,
    pub quarantined: u64,
    pub in_area: u64,
    pub outside_area: u64,
    pub ward_by_lsoa_lookup: u64,
    pub crimes_by_type: BTreeMap<String, u64>,
    pub first_month: Option<String>,
    pub last_month: Option<String>,
}

/// Totals over all inputs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Reconciliation {
    pub rows_read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// rows_read == accepted + quarantined for every input and in total.
    pub balanced: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub tool: String,
    pub created_at: String,
    pub inputs: Vec<InputReport>,
    pub boundaries: ReferenceFile,
    pub lsoa_boundaries: Option<ReferenceFile>,
    pub lsoa_lookup: Option<ReferenceFile>,
    pub mapping: Option<ReferenceFile>,
    pub offence_reference: String,
    pub counts: Counts,
    pub reconciliation: Reconciliation,
    pub partitions: Vec<Partition>,
    /// One record per `csa ingest --append`, oldest first.
    #[serde(default)]
    pub appends: Vec<AppendRecord>,
}

/// What one `csa ingest --append` added.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AppendRecord {
    pub at: String,
    pub inputs: Vec<String>,
    pub rows_read: u64,
    /// Crime and ASB records of the new inputs (accepted).
    pub crimes_added: u64,
    /// Earlier records whose crime_ref came again and were replaced by the new version.
    pub replaced: u64,
    pub victims_added: u64,
    pub offenders_added: u64,
    pub quarantined: u64,
    /// Months (YYYY-MM) the new records fall in.
    pub months: Vec<String>,
}

/// File name of the manifest inside a dataset folder.
pub const MANIFEST_FILE: &str = "manifest.json";
