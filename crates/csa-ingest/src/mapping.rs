//! The TOML column mapping for force extracts whose columns differ from the canonical ones:
//! renames, date formats and code lists. `data/demo/mapping-example.toml` documents every key.
//!
//! ```toml
//! force = "Example Constabulary"
//! [files]
//! crimes = "CRIMES_2025.csv"
//! [crimes.columns]            # canonical name = column in your file
//! crime_ref = "CRIME_NO"
//! [crimes.date_formats]       # chrono strftime patterns, tried in order
//! recorded_date = ["%d/%m/%Y"]
//! [crimes.codes.location_type]  # your value = canonical value
//! "RES" = "dwelling"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use csa_model::Col;

use crate::error::{IngestError, Result};
use crate::record::Table;

/// Mapping for one table.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMapping {
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub date_formats: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
}

/// File names inside the extract folder.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    pub crimes: Option<String>,
    pub victims: Option<String>,
    pub offenders: Option<String>,
}

/// Mapping for one partner's incidents file (`[incidents.NAME]`): the usual columns, date
/// formats and code lists, and the role of the person an incident's age and sex describe.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentMapping {
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub date_formats: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    /// `victim` (default: ambulance, emergency department) or `offender` (youth justice).
    pub person: Option<String>,
}

impl IncidentMapping {
    /// The columns, date formats and codes as a [`TableMapping`].
    pub fn table(&self) -> TableMapping {
        TableMapping {
            columns: self.columns.clone(),
            date_formats: self.date_formats.clone(),
            codes: self.codes.clone(),
        }
    }

    /// The table the incident's person goes to.
    pub fn person_table(&self) -> Table {
        match self.person.as_deref() {
            Some("offender") => Table::Offenders,
            _ => Table::Victims,
        }
    }
}

/// A whole mapping file.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Force name written to every crime that has no `force` column.
    pub force: Option<String>,
    #[serde(default)]
    pub files: Files,
    #[serde(default)]
    pub crimes: TableMapping,
    #[serde(default)]
    pub victims: TableMapping,
    #[serde(default)]
    pub offenders: TableMapping,
    /// Partner incidents files by dataset name (`[incidents.ambulance]`).
    #[serde(default)]
    pub incidents: BTreeMap<String, IncidentMapping>,
}

/// Canonical input columns of each extract table.
pub fn input_columns(table: Table) -> &'static [Col] {
    match table {
        Table::Crimes => &[
            Col::CrimeRef,
            Col::RecordedDate,
            Col::CommittedFrom,
            Col::CommittedTo,
            Col::OffenceCode,
            Col::CrimeType,
            Col::Longitude,
            Col::Latitude,
            Col::Easting,
            Col::Northing,
            Col::LocationType,
            Col::LocationDesc,
            Col::LsoaCode,
            Col::LsoaName,
            Col::DomesticAbuse,
            Col::HateRace,
            Col::HateReligion,
            Col::HateSexualOrientation,
            Col::HateDisability,
            Col::HateTransgender,
            Col::AlcoholRelated,
            Col::Weapon,
            Col::Outcome,
            Col::Force,
        ],
        Table::Victims => &[Col::CrimeRef, Col::PersonId, Col::Age, Col::Sex, Col::Ethnicity],
        Table::Incidents => INCIDENT_COLUMNS,
        Table::Offenders => &[
            Col::CrimeRef,
            Col::PersonId,
            Col::Age,
            Col::Sex,
            Col::Ethnicity,
            Col::RelationshipToVictim,
        ],
    }
}

/// Canonical input columns of a partner incidents file: `recorded_date` and `category`
/// required; a location as longitude/latitude, easting/northing, `lsoa_code` or `ward_code`;
/// the rest optional. `crime_ref` is the partner's own reference, `age`, `sex` and
/// `person_id` describe the incident's person (the patient, the young person).
pub const INCIDENT_COLUMNS: &[Col] = &[
    Col::CrimeRef,
    Col::RecordedDate,
    Col::CommittedFrom,
    Col::Category,
    Col::Longitude,
    Col::Latitude,
    Col::Easting,
    Col::Northing,
    Col::LsoaCode,
    Col::LsoaName,
    Col::WardCode,
    Col::LocationType,
    Col::LocationDesc,
    Col::Weapon,
    Col::AlcoholRelated,
    Col::DomesticAbuse,
    Col::PersonId,
    Col::Age,
    Col::Sex,
    Col::Ethnicity,
];

/// Date columns, which may carry `date_formats`.
pub const DATE_COLUMNS: [Col; 3] = [Col::RecordedDate, Col::CommittedFrom, Col::CommittedTo];

impl Mapping {
    /// Checks the bytes of a mapping file; every mistake names the file and the key.
    pub fn load(path: &Path, bytes: &[u8]) -> Result<Mapping> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| IngestError::NotUtf8 { path: path.to_path_buf() })?;
        Mapping::parse(text)
            .map_err(|detail| IngestError::BadMapping { path: path.to_path_buf(), detail })
    }

    /// Parses and checks mapping text.
    pub fn parse(text: &str) -> std::result::Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        // the force name and mapped codes are written into the dataset: no control character
        // (tab aside) may reach it from here (csa_model::text)
        let control = |s: &str| s.chars().any(|c| c.is_ascii_control() && c != '\t');
        if m.force.as_deref().is_some_and(control) {
            return Err("force: the name holds a control character".into());
        }
        for table in [Table::Crimes, Table::Victims, Table::Offenders] {
            for (col, codes) in &m.table(table).codes {
                if let Some((from, _)) = codes.iter().find(|(k, v)| control(k) || control(v)) {
                    return Err(format!(
                        "[{}.codes.{col}]: the code {:?} or its value holds a control character",
                        table.name(),
                        from
                    ));
                }
            }
        }
        for table in [Table::Crimes, Table::Victims, Table::Offenders] {
            let tm = m.table(table);
            let allowed = input_columns(table);
            let known = |k: &str| Col::from_name(k).is_some_and(|c| allowed.contains(&c));
            let list = || allowed.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ");
            for k in tm.columns.keys() {
                if !known(k) {
                    return Err(format!(
                        "[{}.columns]: `{k}` is not a canonical {} column (valid: {})",
                        table.name(),
                        table.name(),
                        list()
                    ));
                }
            }
            for (k, formats) in &tm.date_formats {
                if !Col::from_name(k).is_some_and(|c| DATE_COLUMNS.contains(&c))
                    || table != Table::Crimes
                {
                    return Err(format!("[{}.date_formats]: `{k}` is not a date column (valid: recorded_date, committed_from, committed_to in [crimes.date_formats])", table.name()));
                }
                if formats.is_empty() {
                    return Err(format!("[{}.date_formats]: `{k}` lists no formats", table.name()));
                }
                for f in formats {
                    check_format(f).map_err(|e| {
                        format!("[{}.date_formats]: `{k}` format `{f}`: {e}", table.name())
                    })?;
                }
            }
            for k in tm.codes.keys() {
                if !known(k) {
                    return Err(format!(
                        "[{}.codes]: `{k}` is not a canonical {} column (valid: {})",
                        table.name(),
                        table.name(),
                        list()
                    ));
                }
            }
        }
        for (name, im) in &m.incidents {
            check_incident_name(name).map_err(|e| format!("[incidents.{name}]: {e}"))?;
            let section = format!("incidents.{name}");
            let valid = || INCIDENT_COLUMNS.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ");
            let known = |k: &str| Col::from_name(k).is_some_and(|c| INCIDENT_COLUMNS.contains(&c));
            for k in im.columns.keys().chain(im.codes.keys()) {
                if !known(k) {
                    return Err(format!(
                        "[{section}]: `{k}` is not a canonical incidents column (valid: {})",
                        valid()
                    ));
                }
            }
            for (col, codes) in &im.codes {
                if let Some((from, _)) = codes.iter().find(|(k, v)| control(k) || control(v)) {
                    return Err(format!(
                        "[{section}.codes.{col}]: the code {from:?} or its value holds a control character"
                    ));
                }
            }
            for (k, formats) in &im.date_formats {
                if !matches!(k.as_str(), "recorded_date" | "committed_from") {
                    return Err(format!("[{section}.date_formats]: `{k}` is not a date column (valid: recorded_date, committed_from)"));
                }
                if formats.is_empty() {
                    return Err(format!("[{section}.date_formats]: `{k}` lists no formats"));
                }
                for f in formats {
                    check_format(f).map_err(|e| {
                        format!("[{section}.date_formats]: `{k}` format `{f}`: {e}")
                    })?;
                }
            }
            if let Some(p) = &im.person {
                if !matches!(p.as_str(), "victim" | "offender") {
                    return Err(format!(
                        "[{section}]: person = {p:?} is not \"victim\" or \"offender\""
                    ));
                }
            }
        }
        Ok(m)
    }

    /// The mapping of one of the three extract tables (partner incidents have their own,
    /// [`Mapping::incidents`]; asked for here, they get no renames).
    pub fn table(&self, table: Table) -> &TableMapping {
        static NONE: TableMapping = TableMapping {
            columns: BTreeMap::new(),
            date_formats: BTreeMap::new(),
            codes: BTreeMap::new(),
        };
        match table {
            Table::Crimes => &self.crimes,
            Table::Victims => &self.victims,
            Table::Offenders => &self.offenders,
            Table::Incidents => &NONE,
        }
    }

    /// The mapping of partner dataset `name` (none: the canonical column names).
    pub fn incidents(&self, name: &str) -> IncidentMapping {
        self.incidents.get(name).cloned().unwrap_or_default()
    }
}

/// A partner dataset's name is written into every row (`source`) and prefixes its refs:
/// letters, digits, `_` and `-`, 1 to 40 of them.
pub fn check_incident_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the partner dataset name {name:?} must be 1 to 40 letters, digits, `_` or `-`"
        ))
    }
}

fn check_format(f: &str) -> std::result::Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
        return Err("not a valid strftime pattern".into());
    }
    if !f.contains("%Y") && !f.contains("%y") && !f.contains("%F") && !f.contains("%D") {
        return Err("has no year (%Y)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_full_mapping() {
        let m = Mapping::parse(
            r#"
force = "Test"
[files]
crimes = "c.csv"
[crimes.columns]
crime_ref = "CRIME_NO"
[crimes.date_formats]
recorded_date = ["%d/%m/%Y"]
[crimes.codes.location_type]
RES = "dwelling"
[victims.columns]
person_id = "VICTIM_ID"
"#,
        )
        .expect("valid");
        assert_eq!(m.crimes.columns["crime_ref"], "CRIME_NO");
        assert_eq!(m.files.crimes.as_deref(), Some("c.csv"));
    }

    #[test]
    fn mistakes_are_named() {
        let e =
            Mapping::parse("[crimes.columns]\ncrime_rf = \"X\"\n").expect_err("must be refused");
        assert!(e.contains("`crime_rf` is not a canonical crimes column"), "{e}");
        let e = Mapping::parse("[crimes.date_formats]\nrecorded_date = [\"%d/%m\"]\n")
            .expect_err("must be refused");
        assert!(e.contains("has no year"), "{e}");
        let e = Mapping::parse("[crimez]\n").expect_err("must be refused");
        assert!(e.contains("crimez"), "{e}");
        let e = Mapping::parse("[victims.columns]\nrelationship_to_victim = \"R\"\n")
            .expect_err("must be refused");
        assert!(e.contains("relationship_to_victim"), "{e}");
        let e = Mapping::parse("[crimes.columns\n").expect_err("must be refused");
        assert!(e.contains("line 1"), "{e}");
    }
}
