//! LSOA -> ward lookup (CSV, plain or gzip), used for rows that have an LSOA code but no
//! coordinates. The shipped lookup is ONS LSOA 2021 -> ward (May 2025 boundaries).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::{IngestError, Result};
use crate::source::InputMeta;

/// Column names to read from a lookup file (matched ignoring case).
#[derive(Debug, Clone)]
pub struct LookupColumns {
    pub lsoa: String,
    pub ward_code: String,
    pub ward_name: String,
}

impl Default for LookupColumns {
    fn default() -> Self {
        LookupColumns {
            lsoa: "LSOA21CD".into(),
            ward_code: "WD25CD".into(),
            ward_name: "WD25NM".into(),
        }
    }
}

/// LSOA code -> (ward code, ward name).
#[derive(Debug, Default)]
pub struct LsoaLookup {
    map: HashMap<String, (Arc<str>, Arc<str>)>,
    pub meta: Option<InputMeta>,
}

impl LsoaLookup {
    pub fn load(path: &Path, cols: &LookupColumns) -> Result<LsoaLookup> {
        let (data, meta) = crate::source::read_input(path)?;
        Ok(LsoaLookup { meta: Some(meta), ..LsoaLookup::parse(&data, cols, path)? })
    }

    /// Reads a lookup from its (decompressed) bytes; `path` names it in errors.
    pub fn parse(data: &[u8], cols: &LookupColumns, path: &Path) -> Result<LsoaLookup> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(data);
        let bad = |detail: String| IngestError::BadLookup { path: path.to_path_buf(), detail };
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let find = |name: &str| {
            header.iter().position(|h| h.eq_ignore_ascii_case(name)).ok_or_else(|| IngestError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                hint: format!(" (columns present: {}; choose others with --lookup-lsoa-col / --lookup-ward-col / --lookup-ward-name-col)", header.join(", ")),
            })
        };
        let (li, wi, ni) = (find(&cols.lsoa)?, find(&cols.ward_code)?, find(&cols.ward_name)?);
        let mut map = HashMap::new();
        let mut wards: HashMap<(String, String), (Arc<str>, Arc<str>)> = HashMap::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| bad(e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            let (Some(l), Some(w), Some(n)) = (rec.get(li), rec.get(wi), rec.get(ni)) else {
                return Err(bad(format!("line {line} has too few fields")));
            };
            // a reference file is whole or refused: no control character (tab aside) in a
            // code or name it gives (csa_model::text)
            for (col, v) in [(li, l), (wi, w), (ni, n)] {
                if let Some(c) = v.chars().find(|c| c.is_ascii_control() && *c != '\t') {
                    return Err(bad(format!(
                        "line {line}: column {} {}",
                        header[col],
                        csa_model::text::describe(c)
                    )));
                }
            }
            if l.trim().is_empty() {
                continue;
            }
            let key = (w.trim().to_string(), n.trim().to_string());
            let ward = wards
                .entry(key)
                .or_insert_with_key(|(w, n)| (Arc::from(w.as_str()), Arc::from(n.as_str())))
                .clone();
            map.insert(l.trim().to_string(), ward);
        }
        if map.is_empty() {
            return Err(bad("no rows".into()));
        }
        Ok(LsoaLookup { map, meta: None })
    }

    pub fn ward(&self, lsoa: &str) -> Option<&(Arc<str>, Arc<str>)> {
        self.map.get(lsoa.trim())
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
