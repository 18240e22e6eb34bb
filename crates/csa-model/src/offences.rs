//! The Home Office offence reference table: offence code -> description, subgroup, group,
//! police.uk crime type and ONS Crime Severity Score weight.
//!
//! The table is the file `data/reference/offence_codes.csv` (derived from the Home Office and
//! ONS tables, see `data/reference/README.md`), compiled into the binary so that a copied
//! `csa` needs no data folder. [`OffenceTable::from_csv`] loads a replacement table.

use std::collections::HashMap;

use crate::taxonomy::CrimeType;

const SHIPPED: &str = include_str!("../../../data/reference/offence_codes.csv");

/// What the reference table knows about one offence code.
#[derive(Debug, Clone, PartialEq)]
pub struct OffenceInfo {
    pub code: String,
    pub description: String,
    pub subgroup: String,
    pub group: String,
    pub crime_type: CrimeType,
    /// ONS Crime Severity Score weight; `None` where ONS gives none (fraud).
    pub css_weight: Option<f64>,
}

/// Lookup from offence code to [`OffenceInfo`].
#[derive(Debug, Clone)]
pub struct OffenceTable {
    by_code: HashMap<String, usize>,
    offences: Vec<OffenceInfo>,
}

/// A reference table that could not be read; `line` is 1-based in the CSV.
#[derive(Debug, thiserror::Error)]
#[error("offence reference table, line {line}: {message}")]
pub struct OffenceTableError {
    pub line: u64,
    pub message: String,
}

impl OffenceTable {
    /// The table shipped in `data/reference/offence_codes.csv`.
    pub fn shipped() -> &'static OffenceTable {
        static TABLE: std::sync::OnceLock<OffenceTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| {
            // The shipped file is checked by a unit test, so this cannot fail at run time.
            OffenceTable::from_csv(SHIPPED).unwrap_or_else(|e| panic!("shipped offence table: {e}"))
        })
    }

    /// Parses a table with the columns of `offence_codes.csv`.
    pub fn from_csv(text: &str) -> Result<OffenceTable, OffenceTableError> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| OffenceTableError { line: 1, message: e.to_string() })?
            .clone();
        let idx = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| OffenceTableError {
                line: 1,
                message: format!("missing column `{name}`"),
            })
        };
        let (c_code, c_desc, c_sub, c_group, c_type, c_w) = (
            idx("offence_code")?,
            idx("offence_description")?,
            idx("offence_subgroup")?,
            idx("offence_group")?,
            idx("police_uk_type")?,
            idx("css_weight")?,
        );
        let mut by_code = HashMap::new();
        let mut offences = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| OffenceTableError {
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            let err = |message: String| OffenceTableError { line, message };
            let crime_type = CrimeType::parse(&rec[c_type])
                .ok_or_else(|| err(format!("unknown police.uk type `{}`", &rec[c_type])))?;
            let css_weight = match rec[c_w].trim() {
                "" => None,
                w => Some(
                    w.parse::<f64>()
                        .map_err(|_| err(format!("css_weight `{w}` is not a number")))?,
                ),
            };
            let info = OffenceInfo {
                code: rec[c_code].trim().to_string(),
                description: rec[c_desc].trim().to_string(),
                subgroup: rec[c_sub].trim().to_string(),
                group: rec[c_group].trim().to_string(),
                crime_type,
                css_weight,
            };
            let key = normalise_code(&info.code);
            if by_code.contains_key(&key) {
                return Err(err(format!("offence code `{}` listed twice", info.code)));
            }
            by_code.insert(key, offences.len());
            offences.push(info);
        }
        Ok(OffenceTable { by_code, offences })
    }

    /// Looks up a code as written in an extract (`8N`, ` 8n`, `08N` all match `8N`).
    pub fn get(&self, code: &str) -> Option<&OffenceInfo> {
        self.index(code).map(|i| &self.offences[i])
    }

    /// Position of a code in the table (stable for the table's lifetime).
    pub fn index(&self, code: &str) -> Option<usize> {
        // most codes arrive already normalised: skip the allocation then
        self.by_code.get(code).or_else(|| self.by_code.get(&normalise_code(code))).copied()
    }

    /// The offence at a position returned by [`OffenceTable::index`].
    pub fn at(&self, index: usize) -> Option<&OffenceInfo> {
        self.offences.get(index)
    }

    /// All offences in file order.
    pub fn iter(&self) -> impl Iterator<Item = &OffenceInfo> {
        self.offences.iter()
    }

    pub fn len(&self) -> usize {
        self.offences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offences.is_empty()
    }
}

/// Upper case, inner spaces removed, leading zeros dropped (`08n` -> `8N`).
pub fn normalise_code(code: &str) -> String {
    let s: String = code.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let t = s.trim_start_matches('0');
    if t.starts_with(|c: char| c.is_ascii_digit()) {
        t.to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_loads_with_known_entries() {
        let t = OffenceTable::shipped();
        assert!(t.len() >= 130, "only {} codes", t.len());
        let gbh = t.get("8N").expect("8N");
        assert_eq!(gbh.subgroup, "Violence with injury");
        assert_eq!(gbh.crime_type, CrimeType::ViolenceAndSexualOffences);
        let burg = t.get("28e").expect("28E");
        assert_eq!(burg.subgroup, "Domestic burglary");
        assert_eq!(burg.crime_type, CrimeType::Burglary);
        assert_eq!(t.get("046").expect("46").crime_type, CrimeType::Shoplifting);
        // homicide carries the largest CSS weight (about 7,973), cannabis possession (92E) the smallest (1.77)
        let homicide = t.get("1").expect("1").css_weight.expect("weight");
        assert!(homicide > 7000.0);
        assert!((t.get("92E").expect("92E").css_weight.expect("weight") - 1.770623).abs() < 1e-6);
        let max = t.iter().filter_map(|o| o.css_weight).fold(0.0, f64::max);
        let min = t.iter().filter_map(|o| o.css_weight).fold(f64::MAX, f64::min);
        assert_eq!((max, min), (homicide, 1.770623));
        assert_eq!(t.get("AF").expect("AF").css_weight, None);
        assert!(t.get("ZZ9").is_none());
    }

    #[test]
    fn bad_table_names_the_line() {
        let bad = "offence_code,offence_description,offence_subgroup,offence_group,police_uk_type,css_weight\n8N,x,y,z,Violent crime,1\n";
        let e = OffenceTable::from_csv(bad).expect_err("must be refused");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("Violent crime"));
    }
}
