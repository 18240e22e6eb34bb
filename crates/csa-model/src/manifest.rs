//! `manifest.json`: what went into a dataset and what came out, so that any later output can
//! be traced to its inputs (sizes, SHA-256) and every input row is accounted for.
//!
//! Typed once, here: `csa-ingest` writes it, `csa-analysis` and `csa-report` read it with the
//! same structs (serde), so a renamed or missing field is an error where the file is read, not a
//! silently empty section. Fields added after the first release are `#[serde(default)]`, so
//! datasets written before them still open.

use std::collections::BTreeMap;
use std::path::Path;

/// File name of the manifest inside a dataset folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What kind of input a file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A police.uk street-level monthly CSV.
    PoliceUk,
    /// A force extract's crimes table (CSV or Parquet, through a mapping).
    ExtractCrimes,
    /// A force extract's victims table.
    ExtractVictims,
    /// A force extract's offenders table.
    ExtractOffenders,
    /// A partner's incidents file (`--incidents NAME=PATH`; one row per incident).
    Incidents,
}

impl SourceKind {
    /// The name written in the manifest (`police_uk`, `extract_crimes`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::PoliceUk => "police_uk",
            SourceKind::ExtractCrimes => "extract_crimes",
            SourceKind::ExtractVictims => "extract_victims",
            SourceKind::ExtractOffenders => "extract_offenders",
            SourceKind::Incidents => "incidents",
        }
    }
}

/// One input file's reconciliation: rows_read = accepted + quarantined.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputReport {
    pub path: String,
    pub kind: SourceKind,
    pub bytes: u64,
    pub sha256: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
}

impl InputReport {
    /// The file's name without its folder (what published outputs quote).
    pub fn file_name(&self) -> String {
        file_name(&self.path)
    }
}

/// The last component of a path as written in the manifest.
pub fn file_name(path: &str) -> String {
    Path::new(path).file_name().map_or(path.to_string(), |f| f.to_string_lossy().into_owned())
}

/// The feature properties of a boundaries file that hold each area's code and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AreaProperties {
    /// Number of areas read.
    pub areas: u64,
    /// e.g. `WD25CD`.
    pub code_property: String,
    /// e.g. `WD25NM`.
    pub name_property: String,
}

/// A reference file used for enrichment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferenceFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// What was read, for people: e.g. "18 areas, code property WD25CD, name property
    /// WD25NM" or "35672 LSOAs". Programs read the typed fields instead.
    pub description: String,
    /// For boundaries files: the properties read. Absent in datasets written before it was
    /// added (readers then assume the 2025 ward properties `WD25CD` / `WD25NM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<AreaProperties>,
}

impl ReferenceFile {
    /// The boundary properties, or the 2025 ward defaults for manifests written before they
    /// were recorded.
    pub fn area_properties(&self) -> AreaProperties {
        self.properties.clone().unwrap_or_else(|| AreaProperties {
            areas: 0,
            code_property: "WD25CD".into(),
            name_property: "WD25NM".into(),
        })
    }
}

/// Row counts of the written tables.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub crimes: u64,
    pub asb: u64,
    /// Partner incidents (`record_kind = incident`), counted apart from crimes and ASB.
    #[serde(default)]
    pub incidents: u64,
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reconciliation {
    pub rows_read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// rows_read == accepted + quarantined for every input and in total.
    pub balanced: bool,
}

/// One written Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub table: String,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub rows: u64,
    pub path: String,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

impl Manifest {
    /// Parses a manifest's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Quarantined rows by reason code, over every input.
    pub fn quarantined_by_reason(&self) -> BTreeMap<String, u64> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for i in &self.inputs {
            for (k, v) in &i.quarantined_by_reason {
                *out.entry(k.clone()).or_default() += v;
            }
        }
        out
    }
}

/// What one `csa ingest --append` added.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_without_the_later_fields_still_reads() {
        let json = r#"{"schema_version":1,"tool":"csa 0.1.0","created_at":"2026-01-01T00:00:00Z",
          "inputs":[{"path":"a/b.csv","kind":"police_uk","bytes":10,"sha256":"ab","rows_read":3,
            "accepted":2,"quarantined":1,"quarantined_by_reason":{"bad_date":1}}],
          "boundaries":{"path":"w.geojson","bytes":1,"sha256":"cd","description":"18 areas"},
          "lsoa_boundaries":null,"lsoa_lookup":null,"mapping":null,"offence_reference":"x",
          "counts":{"crimes":2,"asb":0,"victims":0,"offenders":0,"quarantined":1,"in_area":2,
            "outside_area":0,"ward_by_lsoa_lookup":0,"crimes_by_type":{},"first_month":null,
            "last_month":null},
          "reconciliation":{"rows_read":3,"accepted":2,"quarantined":1,"balanced":true},
          "partitions":[]}"#;
        let m = Manifest::from_json(json.as_bytes()).unwrap();
        assert_eq!(m.inputs[0].kind, SourceKind::PoliceUk);
        assert_eq!(m.inputs[0].file_name(), "b.csv");
        assert!(m.appends.is_empty());
        assert_eq!(m.boundaries.area_properties().code_property, "WD25CD");
        assert_eq!(m.quarantined_by_reason()["bad_date"], 1);
        // round trip
        let back = Manifest::from_json(&serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn an_unknown_input_kind_is_an_error() {
        let r: Result<SourceKind, _> = serde_json::from_str("\"extract_people\"");
        assert!(r.is_err());
    }
}
