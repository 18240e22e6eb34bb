//! Why an input row was quarantined. Every rejected row carries one [`Reason`]; the code
//! string is what the `reason` column of `quarantine/` holds and what the ingest summary
//! counts.

/// A reason for quarantining an input row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A date or date-time that does not parse with the configured formats.
    UnparseableDate,
    /// A police.uk `Month` that is not `YYYY-MM`.
    UnparseableMonth,
    /// No coordinates, and no LSOA code that the lookup maps to a ward.
    MissingCoordinates,
    /// A coordinate that is not a number.
    NonNumericCoordinates,
    /// Coordinates that lie outside Great Britain.
    OutsideGreatBritain,
    /// A crime type that is not one of the 14 police.uk types.
    UnknownCrimeType,
    /// An offence code that is not in the reference table.
    UnknownOffenceCode,
    /// Offence code and crime type given, and they disagree.
    CrimeTypeMismatch,
    /// A crime_ref already accepted earlier in the same ingest.
    DuplicateCrimeRef,
    /// A victim or offender row whose crime_ref matches no accepted crime.
    UnknownCrime,
    /// An age below 0, above 120, or not a whole number.
    ImpossibleAge,
    /// A row with more or fewer fields than the header.
    WrongFieldCount,
    /// A row whose bytes are not valid UTF-8.
    InvalidUtf8,
    /// A required value (crime_ref, person_id, date) is empty.
    MissingValue,
    /// A value outside its code list (location type, sex, ethnicity, flag).
    UnknownCode,
    /// The same person listed twice on the same crime in the same role.
    DuplicatePerson,
    /// A field csa reads holds a control character other than tab or a line break
    /// (see `crate::text`).
    ControlCharacter,
}

impl Reason {
    pub const ALL: &'static [Reason] = &[
        Reason::UnparseableDate,
        Reason::UnparseableMonth,
        Reason::MissingCoordinates,
        Reason::NonNumericCoordinates,
        Reason::OutsideGreatBritain,
        Reason::UnknownCrimeType,
        Reason::UnknownOffenceCode,
        Reason::CrimeTypeMismatch,
        Reason::DuplicateCrimeRef,
        Reason::UnknownCrime,
        Reason::ImpossibleAge,
        Reason::WrongFieldCount,
        Reason::InvalidUtf8,
        Reason::MissingValue,
        Reason::UnknownCode,
        Reason::DuplicatePerson,
        Reason::ControlCharacter,
    ];

    /// Stable machine-readable code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::UnparseableDate => "unparseable_date",
            Reason::UnparseableMonth => "unparseable_month",
            Reason::MissingCoordinates => "missing_coordinates",
            Reason::NonNumericCoordinates => "non_numeric_coordinates",
            Reason::OutsideGreatBritain => "outside_great_britain",
            Reason::UnknownCrimeType => "unknown_crime_type",
            Reason::UnknownOffenceCode => "unknown_offence_code",
            Reason::CrimeTypeMismatch => "crime_type_mismatch",
            Reason::DuplicateCrimeRef => "duplicate_crime_ref",
            Reason::UnknownCrime => "unknown_crime",
            Reason::ImpossibleAge => "impossible_age",
            Reason::WrongFieldCount => "wrong_field_count",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::MissingValue => "missing_value",
            Reason::UnknownCode => "unknown_code",
            Reason::DuplicatePerson => "duplicate_person",
            Reason::ControlCharacter => "control_character",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == code)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
