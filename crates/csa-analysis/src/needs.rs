//! What an analysis needs loaded from a dataset: crime columns, victims, offenders, the
//! relationship column, and which crimes' people. Each analysis declares its own (e.g.
//! [`crate::breakdown::needs`], [`crate::repeats::needs`], [`crate::views::View::needs`]); the
//! CLI and the report only combine them.

use csa_model::Col;
use rustc_hash::FxHashSet;

use crate::config::Priority;
use crate::select::filter_columns;

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub columns: FxHashSet<Col>,
    pub victims: bool,
    pub offenders: bool,
    pub relationship: bool,
    /// When set, victims and offenders are linked only for crimes this filter matches (a
    /// query about one priority never looks at the people of other crimes, and linking them
    /// is most of the loading time). Its columns must be in `columns`.
    pub people_filter: Option<crate::config::Filter>,
}

/// Every crime column the analyses can read.
pub const ANALYSIS_COLUMNS: &[Col] = &[
    Col::RecordKind,
    Col::DatePrecision,
    Col::DayOfWeek,
    Col::Hour,
    Col::OffenceCode,
    Col::CrimeType,
    Col::OffenceSubgroup,
    Col::OffenceGroup,
    Col::Easting,
    Col::Northing,
    Col::LocationType,
    Col::LocationDesc,
    Col::LsoaCode,
    Col::LsoaName,
    Col::WardCode,
    Col::WardName,
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
    Col::CommittedFrom,
];

impl Needs {
    pub fn add(&mut self, cols: impl IntoIterator<Item = Col>) {
        self.columns.extend(cols);
    }

    /// Adds columns, returning self (for building in one expression).
    pub fn with(mut self, cols: impl IntoIterator<Item = Col>) -> Needs {
        self.add(cols);
        self
    }

    /// Victims linked too.
    pub fn with_victims(mut self) -> Needs {
        self.victims = true;
        self
    }

    /// Offenders linked too.
    pub fn with_offenders(mut self) -> Needs {
        self.offenders = true;
        self
    }

    /// What both need. Two different people filters need the people of every crime.
    pub fn merge(mut self, other: Needs) -> Needs {
        self.columns.extend(other.columns);
        self.victims |= other.victims;
        self.offenders |= other.offenders;
        self.relationship |= other.relationship;
        self.people_filter = match (self.people_filter.take(), other.people_filter) {
            (Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        };
        self
    }

    /// What an analysis of one priority needs: its filter's columns and wards, and the
    /// people of its crimes only (when people are asked for).
    pub fn for_priority(p: &Priority) -> Needs {
        let mut n = Needs::for_priorities([p]);
        n.people_filter = Some(p.filter.clone());
        n
    }
    /// Everything: for the full assessment build.
    pub fn everything() -> Needs {
        let mut n =
            Needs { victims: true, offenders: true, relationship: true, ..Needs::default() };
        n.add(ANALYSIS_COLUMNS.iter().copied());
        n
    }

    /// What filtering by these priorities needs (plus wards, for rates).
    pub fn for_priorities<'a>(priorities: impl IntoIterator<Item = &'a Priority>) -> Needs {
        let mut n = Needs::default();
        n.add([Col::WardCode, Col::WardName, Col::RecordKind]);
        for p in priorities {
            n.add(filter_columns(&p.filter));
        }
        n
    }
}
