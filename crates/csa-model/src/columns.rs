//! Column names of the canonical dataset, spelled once.
//!
//! polars addresses columns by string, so a typo would only fail at run time. Every physical
//! column name lives in [`Col`]; other crates call [`Col::name`] and never write the literal.
//! The per-table lists ([`CRIMES`], [`VICTIMS`], [`OFFENDERS`], [`QUARANTINE`]) fix the column
//! order of the Parquet files and are what `data/README.md` documents.

/// One physical column of the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    // crimes
    CrimeRef,
    RecordKind,
    Force,
    RecordedDate,
    DatePrecision,
    CommittedFrom,
    CommittedTo,
    DayOfWeek,
    Hour,
    OffenceCode,
    OffenceDescription,
    CrimeType,
    OffenceSubgroup,
    OffenceGroup,
    Longitude,
    Latitude,
    Easting,
    Northing,
    LocationType,
    LocationDesc,
    LsoaCode,
    LsoaName,
    WardCode,
    WardName,
    GeoMethod,
    InArea,
    DomesticAbuse,
    HateCrime,
    HateRace,
    HateReligion,
    HateSexualOrientation,
    HateDisability,
    HateTransgender,
    AlcoholRelated,
    Weapon,
    Source,
    Category,
    Outcome,
    SourceFile,
    SourceLine,
    // people
    PersonId,
    Age,
    Sex,
    Ethnicity,
    RelationshipToVictim,
    // quarantine
    Table,
    Field,
    Value,
    Reason,
    Detail,
    Raw,
    // hive partition keys (in the folder names, not inside the files)
    Year,
    Month,
}

impl Col {
    /// The column's physical name.
    pub const fn name(self) -> &'static str {
        use Col::*;
        match self {
            CrimeRef => "crime_ref",
            RecordKind => "record_kind",
            Force => "force",
            RecordedDate => "recorded_date",
            DatePrecision => "date_precision",
            CommittedFrom => "committed_from",
            CommittedTo => "committed_to",
            DayOfWeek => "day_of_week",
            Hour => "hour",
            OffenceCode => "offence_code",
            OffenceDescription => "offence_description",
            CrimeType => "crime_type",
            OffenceSubgroup => "offence_subgroup",
            OffenceGroup => "offence_group",
            Longitude => "longitude",
            Latitude => "latitude",
            Easting => "easting",
            Northing => "northing",
            LocationType => "location_type",
            LocationDesc => "location_desc",
            LsoaCode => "lsoa_code",
            LsoaName => "lsoa_name",
            WardCode => "ward_code",
            WardName => "ward_name",
            GeoMethod => "geo_method",
            InArea => "in_area",
            DomesticAbuse => "domestic_abuse",
            HateCrime => "hate_crime",
            HateRace => "hate_race",
            HateReligion => "hate_religion",
            HateSexualOrientation => "hate_sexual_orientation",
            HateDisability => "hate_disability",
            HateTransgender => "hate_transgender",
            AlcoholRelated => "alcohol_related",
            Weapon => "weapon",
            Source => "source",
            Category => "category",
            Outcome => "outcome",
            SourceFile => "source_file",
            SourceLine => "source_line",
            PersonId => "person_id",
            Age => "age",
            Sex => "sex",
            Ethnicity => "ethnicity",
            RelationshipToVictim => "relationship_to_victim",
            Table => "table",
            Field => "field",
            Value => "value",
            Reason => "reason",
            Detail => "detail",
            Raw => "raw",
            Year => "year",
            Month => "month",
        }
    }

    /// How the column is stored in the dataset's Parquet files: the one place that says it
    /// (ingest writes by it, analysis loads by it, data/README.md documents it).
    pub const fn storage(self) -> Storage {
        use Col::*;
        match self {
            CrimeRef | RecordKind | Force | DatePrecision | OffenceCode | OffenceDescription
            | CrimeType | OffenceSubgroup | OffenceGroup | LocationType | LocationDesc
            | LsoaCode | LsoaName | WardCode | WardName | GeoMethod | Source | Category
            | Outcome | SourceFile | PersonId | Sex | Ethnicity | RelationshipToVictim | Table
            | Field | Value | Reason | Detail | Raw => Storage::Text,
            RecordedDate => Storage::Date,
            CommittedFrom | CommittedTo => Storage::DateTime,
            DayOfWeek | Hour => Storage::SmallInt,
            Age => Storage::Age,
            Longitude | Latitude | Easting | Northing => Storage::Float,
            InArea
            | DomesticAbuse
            | HateCrime
            | HateRace
            | HateReligion
            | HateSexualOrientation
            | HateDisability
            | HateTransgender
            | AlcoholRelated
            | Weapon => Storage::Flag,
            SourceLine => Storage::Int,
            Year | Month => Storage::PartitionKey,
        }
    }

    /// Looks a column up by its physical name.
    pub fn from_name(name: &str) -> Option<Col> {
        all().find(|c| c.name() == name)
    }
}

/// Physical storage of a column (Parquet / Arrow type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Storage {
    /// UTF-8 string (dictionary-encoded by Parquet).
    Text,
    /// Calendar date (`Date`, days since 1970-01-01).
    Date,
    /// Local date and time without zone, milliseconds (`Datetime(ms)`).
    DateTime,
    /// Small integer (`Int8`): day of week 1..=7, hour 0..=23.
    SmallInt,
    /// Age in years (`Int16`).
    Age,
    /// 64-bit float: coordinates.
    Float,
    /// Boolean; null where not recorded.
    Flag,
    /// 64-bit integer: line numbers.
    Int,
    /// Hive partition key in the folder name, not inside the files.
    PartitionKey,
}

impl std::fmt::Display for Col {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every column: the tables' columns plus the hive partition keys.
fn all() -> impl Iterator<Item = Col> {
    [CRIMES, VICTIMS, OFFENDERS, QUARANTINE, &[Col::Year, Col::Month]]
        .into_iter()
        .flatten()
        .copied()
}

/// Columns of `crimes/` in file order.
pub const CRIMES: &[Col] = &[
    Col::CrimeRef,
    Col::RecordKind,
    Col::Force,
    Col::RecordedDate,
    Col::DatePrecision,
    Col::CommittedFrom,
    Col::CommittedTo,
    Col::DayOfWeek,
    Col::Hour,
    Col::OffenceCode,
    Col::OffenceDescription,
    Col::CrimeType,
    Col::OffenceSubgroup,
    Col::OffenceGroup,
    Col::Longitude,
    Col::Latitude,
    Col::Easting,
    Col::Northing,
    Col::LocationType,
    Col::LocationDesc,
    Col::LsoaCode,
    Col::LsoaName,
    Col::WardCode,
    Col::WardName,
    Col::GeoMethod,
    Col::InArea,
    Col::DomesticAbuse,
    Col::HateCrime,
    Col::HateRace,
    Col::HateReligion,
    Col::HateSexualOrientation,
    Col::HateDisability,
    Col::HateTransgender,
    Col::AlcoholRelated,
    Col::Weapon,
    Col::Source,
    Col::Category,
    Col::Outcome,
    Col::SourceFile,
    Col::SourceLine,
];

/// Columns of `victims/` in file order.
pub const VICTIMS: &[Col] = &[
    Col::CrimeRef,
    Col::PersonId,
    Col::Age,
    Col::Sex,
    Col::Ethnicity,
    Col::SourceFile,
    Col::SourceLine,
];

/// Columns of `offenders/` in file order.
pub const OFFENDERS: &[Col] = &[
    Col::CrimeRef,
    Col::PersonId,
    Col::Age,
    Col::Sex,
    Col::Ethnicity,
    Col::RelationshipToVictim,
    Col::SourceFile,
    Col::SourceLine,
];

/// Columns of `quarantine/` in file order.
pub const QUARANTINE: &[Col] = &[
    Col::Table,
    Col::SourceFile,
    Col::SourceLine,
    Col::Field,
    Col::Value,
    Col::Reason,
    Col::Detail,
    Col::Raw,
];

/// The hate-crime strand columns, in the order of [`crate::HateStrand::ALL`].
pub const HATE_STRANDS: [Col; 5] = [
    Col::HateRace,
    Col::HateReligion,
    Col::HateSexualOrientation,
    Col::HateDisability,
    Col::HateTransgender,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashMap::new();
        for c in all() {
            // a column shared by several tables is the same Col each time
            assert_eq!(*seen.entry(c.name()).or_insert(c), c, "two columns named {}", c.name());
            assert_eq!(Col::from_name(c.name()), Some(c));
        }
        // every Col is in some table (or is a partition key)
        assert_eq!(seen.len(), 53);
        assert_eq!(Col::from_name("no_such_column"), None);
    }
}
