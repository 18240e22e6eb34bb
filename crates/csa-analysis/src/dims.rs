//! Breakdown dimensions: what `--by` accepts, which columns each needs, how a record maps to
//! a key and a key to its label.
//!
//! Crime dimensions key a crime row; victim_* and offender_* dimensions key a victim or
//! offender record (one per person per crime), and crime dimensions then take the values of
//! that person's crime. Age bands come from the configured lower bounds
//! (`[0, 10, 18, ...]` gives `0-9, 10-17, ..., 65+`). Key 0 is always "not recorded".

use csa_model::taxonomy::fold;
use csa_model::Col;
use rustc_hash::FxHashMap;

use crate::config::weekday_name;
use crate::error::{AnalysisError, Result};
use crate::names;
use crate::period::Month;
use crate::store::{Crimes, People, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    Ward,
    Lsoa,
    Month,
    Quarter,
    DayOfWeek,
    Hour,
    LocationType,
    CrimeType,
    OffenceSubgroup,
    OffenceGroup,
    VictimAgeBand,
    VictimSex,
    VictimEthnicity,
    OffenderAgeBand,
    OffenderSex,
    OffenderEthnicity,
    OffenderRelationship,
}

/// Whose records a breakdown counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Side {
    Crime,
    Victim,
    Offender,
}

impl Side {
    pub fn unit(self) -> &'static str {
        match self {
            Side::Crime => "crimes and ASB incidents",
            Side::Victim => "victim records (one per victim per crime)",
            Side::Offender => "offender records (one per offender per crime)",
        }
    }
}

impl Dim {
    pub const ALL: &'static [Dim] = &[
        Dim::Ward,
        Dim::Lsoa,
        Dim::Month,
        Dim::Quarter,
        Dim::DayOfWeek,
        Dim::Hour,
        Dim::LocationType,
        Dim::CrimeType,
        Dim::OffenceSubgroup,
        Dim::OffenceGroup,
        Dim::VictimAgeBand,
        Dim::VictimSex,
        Dim::VictimEthnicity,
        Dim::OffenderAgeBand,
        Dim::OffenderSex,
        Dim::OffenderEthnicity,
        Dim::OffenderRelationship,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dim::Ward => "ward",
            Dim::Lsoa => "lsoa",
            Dim::Month => "month",
            Dim::Quarter => "quarter",
            Dim::DayOfWeek => "day_of_week",
            Dim::Hour => "hour",
            Dim::LocationType => "location_type",
            Dim::CrimeType => "crime_type",
            Dim::OffenceSubgroup => "offence_subgroup",
            Dim::OffenceGroup => "offence_group",
            Dim::VictimAgeBand => "victim_age_band",
            Dim::VictimSex => "victim_sex",
            Dim::VictimEthnicity => "victim_ethnicity",
            Dim::OffenderAgeBand => "offender_age_band",
            Dim::OffenderSex => "offender_sex",
            Dim::OffenderEthnicity => "offender_ethnicity",
            Dim::OffenderRelationship => "offender_relationship",
        }
    }

    /// Parses one name (case, `-` and `_` ignored; `dow` for day_of_week).
    pub fn parse(s: &str) -> Result<Dim> {
        let f = fold(s);
        if f == "dow" || f == "weekday" {
            return Ok(Dim::DayOfWeek);
        }
        Dim::ALL.iter().copied().find(|d| fold(d.name()) == f).ok_or_else(|| {
            AnalysisError::UnknownDimension {
                name: s.trim().to_string(),
                valid: Dim::ALL.iter().map(|d| d.name().to_string()).collect(),
            }
        })
    }

    /// Parses a comma-separated list.
    pub fn parse_list(s: &str) -> Result<Vec<Dim>> {
        s.split(',').filter(|p| !p.trim().is_empty()).map(Dim::parse).collect()
    }

    pub fn side(self) -> Side {
        match self {
            Dim::VictimAgeBand | Dim::VictimSex | Dim::VictimEthnicity => Side::Victim,
            Dim::OffenderAgeBand
            | Dim::OffenderSex
            | Dim::OffenderEthnicity
            | Dim::OffenderRelationship => Side::Offender,
            _ => Side::Crime,
        }
    }

    /// Crime columns this dimension reads.
    pub fn columns(self) -> Vec<Col> {
        match self {
            Dim::Ward => vec![Col::WardCode, Col::WardName],
            Dim::Lsoa => vec![Col::LsoaCode, Col::LsoaName],
            Dim::DayOfWeek => vec![Col::DayOfWeek],
            Dim::Hour => vec![Col::Hour],
            Dim::LocationType => vec![Col::LocationType],
            Dim::CrimeType => vec![Col::CrimeType],
            Dim::OffenceSubgroup => vec![Col::OffenceSubgroup],
            Dim::OffenceGroup => vec![Col::OffenceGroup],
            _ => vec![],
        }
    }

    /// Output column names of this dimension.
    pub fn output_columns(self) -> Vec<&'static str> {
        match self {
            Dim::Ward => vec![Col::WardCode.name(), Col::WardName.name()],
            Dim::Lsoa => vec![Col::LsoaCode.name(), Col::LsoaName.name()],
            Dim::Month => vec![names::MONTH],
            Dim::Quarter => vec![names::QUARTER],
            Dim::DayOfWeek => vec![names::DAY_OF_WEEK],
            Dim::Hour => vec![names::HOUR],
            d => vec![d.name()],
        }
    }

    /// Ordered dimensions sort by key (time order, age order); the others by volume.
    pub fn ordinal(self) -> bool {
        matches!(
            self,
            Dim::Month
                | Dim::Quarter
                | Dim::DayOfWeek
                | Dim::Hour
                | Dim::VictimAgeBand
                | Dim::OffenderAgeBand
        )
    }
}

/// Age band labels of lower bounds `bands`.
pub fn age_band_labels(bands: &[u8]) -> Vec<String> {
    bands
        .iter()
        .enumerate()
        .map(|(i, lo)| match bands.get(i + 1) {
            Some(hi) => format!("{lo}-{}", hi - 1),
            None => format!("{lo}+"),
        })
        .collect()
}

/// Band key of an age: 0 unknown, else 1-based band index.
pub fn age_band(age: i16, bands: &[u8]) -> u32 {
    if age < 0 {
        return 0;
    }
    bands.iter().rposition(|lo| age >= i16::from(*lo)).map_or(0, |i| i as u32 + 1)
}

/// A label cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    Text(Option<String>),
    Int(Option<i64>),
}

/// One dimension bound to loaded data.
pub struct Keyer<'a> {
    pub dim: Dim,
    source: Source<'a>,
    /// Ward or LSOA names by code key.
    names: FxHashMap<u32, String>,
    bands: &'a [u8],
}

enum Source<'a> {
    CrimeText(&'a Text),
    Month,
    Quarter,
    Int(&'a [i8]),
    Age(&'a People),
    PersonText(&'a Text),
}

pub const NOT_RECORDED: &str = "(not recorded)";

impl<'a> Keyer<'a> {
    pub fn new(
        dim: Dim,
        crimes: &'a Crimes,
        people: Option<&'a People>,
        bands: &'a [u8],
    ) -> Result<Keyer<'a>> {
        let person = || {
            people.ok_or_else(|| {
                AnalysisError::Internal(format!(
                    "{} needs people, which were not loaded",
                    dim.name()
                ))
            })
        };
        let mut names = FxHashMap::default();
        let source = match dim {
            Dim::Ward | Dim::Lsoa => {
                let (code, name) = if dim == Dim::Ward {
                    (Col::WardCode, Col::WardName)
                } else {
                    (Col::LsoaCode, Col::LsoaName)
                };
                let codes = crimes.text(code)?;
                let n = crimes.text(name)?;
                for (row, c) in codes.codes.iter().enumerate() {
                    if *c != 0 && !names.contains_key(c) {
                        if let Some(v) = n.get(row) {
                            names.insert(*c, v.to_string());
                        }
                    }
                }
                Source::CrimeText(codes)
            }
            Dim::Month => Source::Month,
            Dim::Quarter => Source::Quarter,
            Dim::DayOfWeek => Source::Int(crimes.int(Col::DayOfWeek)?),
            Dim::Hour => Source::Int(crimes.int(Col::Hour)?),
            Dim::LocationType => Source::CrimeText(crimes.text(Col::LocationType)?),
            Dim::CrimeType => Source::CrimeText(crimes.text(Col::CrimeType)?),
            Dim::OffenceSubgroup => Source::CrimeText(crimes.text(Col::OffenceSubgroup)?),
            Dim::OffenceGroup => Source::CrimeText(crimes.text(Col::OffenceGroup)?),
            Dim::VictimAgeBand | Dim::OffenderAgeBand => Source::Age(person()?),
            Dim::VictimSex | Dim::OffenderSex => Source::PersonText(&person()?.sex),
            Dim::VictimEthnicity | Dim::OffenderEthnicity => {
                Source::PersonText(&person()?.ethnicity)
            }
            Dim::OffenderRelationship => Source::PersonText(
                person()?
                    .relationship
                    .as_ref()
                    .ok_or_else(|| AnalysisError::Internal("relationship was not loaded".into()))?,
            ),
        };
        Ok(Keyer { dim, source, names, bands })
    }

    /// Key of crime row `crime` (and person record `person` for person dimensions).
    /// `shift` moves month and quarter keys (months; comparison rows line up with the
    /// current period). Month keys are offset so that a real month is never 0.
    pub fn key(&self, crimes: &Crimes, crime: usize, person: usize, shift: i32) -> u32 {
        match &self.source {
            Source::CrimeText(t) => t.codes[crime],
            Source::Month => (crimes.month[crime].0 + shift + 1) as u32,
            Source::Quarter => {
                if shift % 3 != 0 {
                    return u32::MAX;
                }
                let m = crimes.month[crime].plus(shift);
                (m.year() * 4 + m.quarter() as i32) as u32
            }
            Source::Int(v) => (v[crime] + 1) as u32,
            Source::Age(p) => age_band(p.age[person], self.bands),
            Source::PersonText(t) => t.codes[person],
        }
    }

    /// Every key of this dimension is below this bound; 0 when there is none to give
    /// (months and quarters).
    pub fn bound(&self) -> u32 {
        match &self.source {
            Source::CrimeText(t) | Source::PersonText(t) => t.values.len() as u32 + 1,
            // an i8 plus one (a value below -1 would not be, and is checked where used)
            Source::Int(_) => 129,
            Source::Age(_) => self.bands.len() as u32 + 1,
            Source::Month | Source::Quarter => 0,
        }
    }

    /// Label cells of a key, one per output column.
    pub fn labels(&self, key: u32) -> Vec<Label> {
        let text = |s: Option<&str>| Label::Text(Some(s.unwrap_or(NOT_RECORDED).to_string()));
        match &self.source {
            Source::CrimeText(t) | Source::PersonText(t) => {
                let v = (key != 0).then(|| t.values[key as usize - 1].as_str());
                match self.dim {
                    Dim::Ward | Dim::Lsoa => {
                        let name = if key == 0 {
                            Some(if self.dim == Dim::Ward {
                                "(outside the wards)"
                            } else {
                                NOT_RECORDED
                            })
                        } else {
                            self.names.get(&key).map(String::as_str)
                        };
                        vec![
                            Label::Text(v.map(str::to_string)),
                            Label::Text(name.map(str::to_string)),
                        ]
                    }
                    _ => vec![text(v)],
                }
            }
            Source::Month => vec![Label::Text(Some(Month(key as i32 - 1).to_string()))],
            Source::Quarter => {
                let k = key as i32 - 1;
                vec![Label::Text(Some(format!("{}Q{}", k.div_euclid(4), k.rem_euclid(4) + 1)))]
            }
            Source::Int(_) => match self.dim {
                Dim::DayOfWeek => vec![text((key > 0).then(|| weekday_name(key as u8 - 1)))],
                _ => vec![Label::Int((key > 0).then(|| i64::from(key) - 1))],
            },
            Source::Age(_) => {
                let labels = age_band_labels(self.bands);
                vec![text((key > 0).then(|| labels[key as usize - 1].as_str()))]
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        let b = crate::config::DEFAULT_AGE_BANDS;
        assert_eq!(
            age_band_labels(b),
            vec!["0-9", "10-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
        );
        assert_eq!(age_band(-1, b), 0);
        assert_eq!(age_band(0, b), 1);
        assert_eq!(age_band(17, b), 2);
        assert_eq!(age_band(18, b), 3);
        assert_eq!(age_band(99, b), 8);
    }

    #[test]
    fn names_parse() {
        assert_eq!(Dim::parse("Victim-Age-Band").unwrap(), Dim::VictimAgeBand);
        assert_eq!(Dim::parse_list("ward, month").unwrap(), vec![Dim::Ward, Dim::Month]);
        let e = Dim::parse("wards").unwrap_err().to_string();
        assert!(e.contains("\"wards\"") && e.contains("victim_ethnicity"), "{e}");
    }
}
