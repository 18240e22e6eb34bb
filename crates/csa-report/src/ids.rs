//! The names of the pack's tables and of the columns the report adds to the analyses' own
//! (those are in [`csa_analysis::names`]), spelled once here. A section looks its table up by
//! these ids, and a table it expects but does not find is an error, never a silently absent
//! section (see [`crate::table::table`]).
//!
//! Pack-level tables have a fixed id; a priority's tables are `{slug}_{kind}` ([`Kind::id`]).

/// One row per priority (and `all`): count, comparison, change, rate, harm.
pub const PRIORITY_VOLUMES: &str = "priority_volumes";
/// All crime and ASB by police.uk crime type.
pub const CRIME_TYPES: &str = "crime_types";
/// The ranked priorities: factors, scores, total, reason.
pub const PRIORITY_RANKING: &str = "priority_ranking";
/// Every priority in every ward.
pub const WARD_PROFILES: &str = "ward_profiles";
/// Every input file's rows, accepted or quarantined.
pub const DATA_QUALITY_INPUTS: &str = "data_quality_inputs";
/// Quarantined rows by reason.
pub const DATA_QUALITY_QUARANTINE: &str = "data_quality_quarantine";
/// Every priority's monthly counts over the trend's look-back (`[trends] years`).
pub const TREND_MONTHS: &str = "trend_months";
/// One row per priority: the latest 12 months' change, seasonally adjusted, with its test.
pub const TRENDS: &str = "trends";
/// Every priority's next 12 months with 80% and 95% prediction intervals.
pub const FORECASTS: &str = "forecasts";
/// The forecasts' backtest accuracy and the emerging flag.
pub const FORECAST_ACCURACY: &str = "forecast_accuracy";
/// The prefix of the survey's tables (named by [`csa_analysis::survey::Survey::tables`]).
pub const SURVEY_PREFIX: &str = "survey_";
/// The survey tables with one row per free-text answer.
pub const SURVEY_FREE_TEXT: [&str; 2] = ["survey_ways_to_help", "survey_other_answers"];
/// The survey's yes / no questions (a two-way table once its row totals are added).
pub const SURVEY_YES_NO: &str = "survey_yes_no";

/// The peer comparison: every compared priority's rates by area ([`crate::peers`]).
pub const PEER_RATES: &str = "peer_rates";
/// The partnership's recommendations ([`crate::review`]).
pub const RECOMMENDATIONS: &str = "recommendations";
/// Last year's priorities reviewed ([`crate::review`]).
pub const PRIORITY_REVIEW: &str = "priority_review";

/// The slug of the all-crime overview (`all_months`, `all_wards`, ...).
pub const ALL: &str = "all";

/// Equalities of every priority, one table per side.
pub fn equalities(who: Who) -> String {
    format!("equalities_{}", who.name())
}

/// Victims or offenders (the people sections of the pack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    Victims,
    Offenders,
}

impl Who {
    pub const BOTH: [Who; 2] = [Who::Victims, Who::Offenders];

    pub fn name(self) -> &'static str {
        match self {
            Who::Victims => "victims",
            Who::Offenders => "offenders",
        }
    }

    pub fn side(self) -> csa_analysis::Side {
        match self {
            Who::Victims => csa_analysis::Side::Victim,
            Who::Offenders => csa_analysis::Side::Offender,
        }
    }
}

/// A priority's table kinds, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Months,
    Wards,
    LocationTypes,
    TopLocations,
    DayHour,
    AgeSex(Who),
    Ethnicity(Who),
    Repeats,
    Relationship,
    ProlificOffenders,
    HotspotCells,
}

impl Kind {
    /// The table id's suffix.
    pub fn suffix(self) -> String {
        match self {
            Kind::Months => "months".into(),
            Kind::Wards => "wards".into(),
            Kind::LocationTypes => "location_types".into(),
            Kind::TopLocations => "top_locations".into(),
            Kind::DayHour => "day_hour".into(),
            Kind::AgeSex(w) => format!("{}_age_sex", w.name()),
            Kind::Ethnicity(w) => format!("{}_ethnicity", w.name()),
            Kind::Repeats => "repeats".into(),
            Kind::Relationship => "relationship".into(),
            Kind::ProlificOffenders => "prolific_offenders".into(),
            Kind::HotspotCells => "hotspot_cells".into(),
        }
    }

    /// `{slug}_{suffix}`.
    pub fn id(self, slug: &str) -> String {
        format!("{slug}_{}", self.suffix())
    }
}

/// The Serious Violence Duty section's tables ([`crate::serious_violence`]).
pub mod serious_violence {
    pub const SUMMARY: &str = "serious_violence_summary";
    pub const PARTS: &str = "serious_violence_definition_parts";
    pub const AGES: &str = "serious_violence_young_people";
    pub const WARDS: &str = "serious_violence_by_ward";
    pub const HOT_CELLS: &str = "serious_violence_hot_cells";
    /// The standalone needs-assessment report in the pack folder.
    pub const REPORT_FILE: &str = "serious-violence.html";
}

/// Figures (charts and maps) with a fixed name.
pub mod figure {
    pub const ALL_TREND: &str = "all_trend";
    pub const PRIORITY_VOLUMES: &str = super::PRIORITY_VOLUMES;
    pub const CRIME_TYPES: &str = super::CRIME_TYPES;
    pub const WARD_RATES: &str = "ward_rates";
}

/// Columns the report adds (the analyses' columns are in [`csa_analysis::names`]).
pub mod col {
    /// Ward code and name, as the ward breakdown labels them.
    pub const WARD_CODE: &str = "ward_code";
    pub const WARD_NAME: &str = "ward_name";
    /// Ward profiles: the priority's rate over the whole area, and the ward's rate over it.
    pub const AREA_RATE_PER_1000: &str = "area_rate_per_1000";
    pub const RATIO_TO_AREA: &str = "ratio_to_area";
    /// Age x sex matrices: the row total; the last row is labelled [`TOTAL_ROW`].
    pub const TOTAL: &str = "total";
    pub const TOTAL_ROW: &str = "Total";
    /// Day x hour: the total row's label, and the columns of hours 00..23 and unknown time.
    pub const ALL_DAYS_ROW: &str = "All days";
    pub const TIME_UNKNOWN: &str = "time_unknown";
    /// A priority's repeats table: whose records a row counts (victims / offenders).
    pub const SIDE: &str = "side";
    /// The ranking table.
    pub const RANK: &str = "rank";
    pub const VOLUME: &str = "volume";
    /// A per-household priority's own rate, beside the common volume factor.
    pub const HOUSEHOLD_RATE_PER_1000: &str = "household_rate_per_1000";
    pub const TREND_PCT: &str = "trend_pct";
    pub const HARM: &str = "harm_css";
    pub const CONCENTRATION_PCT: &str = "concentration_pct";
    pub const CONCERN_PCT: &str = "concern_pct";
    pub const SCORES: [&str; 5] =
        ["volume_score", "trend_score", "harm_score", "concentration_score", "concern_score"];
    pub const TOTAL_SCORE: &str = "total_score";
    pub const REASON: &str = "reason";
    /// Data quality.
    pub const INPUT: &str = "input";
    pub const SHA256: &str = "sha256";
    pub const ACCEPTED: &str = "accepted";
    pub const QUARANTINED: &str = "quarantined";
    pub const ROWS_READ: &str = "rows_read";
    pub const REASON_CODE: &str = "reason";
    pub const ROWS: &str = "rows";

    /// `h00` .. `h23`: the hour columns of a day x hour table.
    pub fn hour(h: usize) -> String {
        format!("h{h:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(Kind::AgeSex(Who::Victims).id("robbery"), "robbery_victims_age_sex");
        assert_eq!(Kind::DayHour.id(ALL), "all_day_hour");
        assert_eq!(equalities(Who::Offenders), "equalities_offenders");
        assert_eq!(col::hour(7), "h07");
    }
}
