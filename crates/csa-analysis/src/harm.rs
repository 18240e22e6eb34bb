//! Harm weights.
//!
//! - **ONS Crime Severity Score**: weight per Home Office offence code (the `css_weight` of
//!   `data/reference/offence_codes.csv`). Harm of a set of crimes = sum of weights; the
//!   score per 1,000 residents = 1000 * harm / residents.
//! - **Cambridge Crime Harm Index** (days of imprisonment of the sentencing starting point),
//!   when a weight table is configured: a CSV `offence_code,weight` or
//!   `offence_subgroup,weight`. `data/reference/cambridge_chi_by_subgroup.csv` holds the
//!   indicative values quoted in the domain brief by offence subgroup; subgroups it does
//!   not list (drugs, bicycle theft, theft from the person, miscellaneous, fraud) get no
//!   weight and lower the coverage.
//!
//! - **Estimated CSS for rows without an offence code** (police.uk data): the mean weight of
//!   the offence codes of the row's police.uk crime type, weighted by how often each code
//!   is recorded (the West Midlands 2017/18 offence mix of
//!   `data/reference/offence_mix_west_midlands_2017-18.csv`):
//!   `w(type) = sum_c n_c w_c / sum_c n_c` over the codes `c` of that type with a weight.
//!   Such rows are counted apart (`harm_estimated_pct`), since a type average hides the mix
//!   within the type.
//!
//! ASB incidents carry no weight; each harm figure comes with its coverage, the share of
//! crimes that carry a weight (exact or estimated).

use std::path::Path;

use csa_model::offences::normalise_code;
use csa_model::{CrimeType, OffenceTable};
use rustc_hash::FxHashMap;

use crate::error::{AnalysisError, Result};

/// Offence code -> CHI weight.
pub fn load_chi(path: &Path) -> Result<FxHashMap<String, f64>> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
    parse_chi(&text, path, OffenceTable::shipped())
}

pub fn parse_chi(
    text: &str,
    path: &Path,
    offences: &OffenceTable,
) -> Result<FxHashMap<String, f64>> {
    let err = |line: u64, detail: String| AnalysisError::Population {
        path: path.to_path_buf(),
        line,
        detail,
    };
    let mut rdr = crate::population::csv_text(text);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| err(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let by_subgroup = match header.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["offence_code", "weight"] => false,
        ["offence_subgroup", "weight"] => true,
        _ => {
            return Err(err(
                1,
                "the header must be offence_code,weight or offence_subgroup,weight".into(),
            ))
        }
    };
    let mut out = FxHashMap::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let key = rec.get(0).unwrap_or("").trim();
        let w: f64 = rec
            .get(1)
            .unwrap_or("")
            .trim()
            .parse()
            .map_err(|_| err(line, "weight is not a number".into()))?;
        if by_subgroup {
            let codes: Vec<String> = offences
                .iter()
                .filter(|o| o.subgroup.eq_ignore_ascii_case(key))
                .map(|o| o.code.clone())
                .collect();
            if codes.is_empty() {
                return Err(err(
                    line,
                    format!("offence subgroup {key:?} is not in the offence reference table"),
                ));
            }
            for c in codes {
                out.insert(c, w);
            }
        } else {
            let code =
                offences.get(key).map(|o| o.code.clone()).unwrap_or_else(|| normalise_code(key));
            out.insert(code, w);
        }
    }
    Ok(out)
}

/// The offence mix the type averages are weighted by (offence_code,offences).
const MIX: &str = include_str!("../../../data/reference/offence_mix_west_midlands_2017-18.csv");

/// Crime type -> mix-weighted mean CSS weight of its offence codes.
pub fn css_by_crime_type() -> &'static FxHashMap<CrimeType, f64> {
    static TABLE: std::sync::OnceLock<FxHashMap<CrimeType, f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| type_averages(MIX, OffenceTable::shipped()))
}

fn type_averages(mix: &str, offences: &OffenceTable) -> FxHashMap<CrimeType, f64> {
    let mut sums: FxHashMap<CrimeType, (f64, f64)> = FxHashMap::default();
    // the shipped mix is checked by a unit test; a malformed line would only be skipped
    for line in mix.lines().skip(1) {
        let Some((code, n)) = line.split_once(',') else { continue };
        let (Some(o), Ok(n)) = (offences.get(code.trim()), n.trim().parse::<f64>()) else {
            continue;
        };
        if let Some(w) = o.css_weight {
            let e = sums.entry(o.crime_type).or_default();
            e.0 += n * w;
            e.1 += n;
        }
    }
    sums.into_iter().filter(|(_, (_, n))| *n > 0.0).map(|(t, (wn, n))| (t, wn / n)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_chi_table_maps_subgroups_to_codes() {
        let text = include_str!("../../../data/reference/cambridge_chi_by_subgroup.csv");
        let t = parse_chi(text, Path::new("chi.csv"), OffenceTable::shipped()).unwrap();
        assert_eq!(t["28E"], 273.5); // residential burglary
        assert_eq!(t["1"], 5475.0); // murder
        assert_eq!(t["46"], 1.0); // shoplifting
        assert!(!t.contains_key("92E")); // drugs: no weight given
        let e = parse_chi(
            "offence_subgroup,weight\nBurgalry,1\n",
            Path::new("c.csv"),
            OffenceTable::shipped(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("c.csv: line 2"), "{e}");
    }

    #[test]
    fn type_average_is_the_mix_weighted_mean() {
        let offences = OffenceTable::shipped();
        let w = |c: &str| offences.get(c).unwrap().css_weight.unwrap();
        // two robbery codes, 3 and 1 offences: (3 w34B + 1 w34A) / 4
        let t = type_averages("offence_code,offences\n34B,3\n34A,1\nnot-a-code,9\n", offences);
        let expected = (3.0 * w("34B") + w("34A")) / 4.0;
        assert!((t[&CrimeType::Robbery] - expected).abs() < 1e-9);
        assert_eq!(t.len(), 1);
        // the shipped mix covers every crime type but ASB
        let shipped = css_by_crime_type();
        for ty in CrimeType::ALL.iter().filter(|t| **t != CrimeType::AntiSocialBehaviour) {
            assert!(shipped.get(ty).is_some_and(|w| *w > 0.0), "{ty}");
        }
    }
}
