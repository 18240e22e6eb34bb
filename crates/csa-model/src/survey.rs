//! The public consultation survey's vocabulary: its CSV columns and the questionnaire's
//! options (DOMAIN.md), spelled once for the writer (`csa synth --survey`) and the reader
//! (`csa-analysis::survey`).

/// The columns of a survey CSV, one row per respondent.
pub const SURVEY_COLUMNS: &[&str] = &[
    "respondent_id",
    "victim_12m",
    "city_centre_day",
    "city_centre_night",
    "priority_1",
    "priority_2",
    "priority_3",
    "measure_1",
    "measure_2",
    "measure_3",
    "measure_4",
    "measure_5",
    "help_1",
    "help_2",
    "help_3",
    "news_channels",
    "area",
    "age_band",
    "sex",
];

/// "Pick the 3 main priorities", "Other" last.
pub const PRIORITY_OPTIONS: &[&str] = &[
    "Anti-social behaviour",
    "Hate crime",
    "Motor vehicle crime/theft",
    "Robbery",
    "Burglary",
    "Theft",
    "Youth violence/gangs",
    "Violent crime",
    "Drugs offences",
    "Other",
];

/// "Pick the 5 most effective ways to reduce crime", "Other" last.
pub const MEASURE_OPTIONS: &[&str] = &[
    "High-visibility patrols",
    "Mediation",
    "Target hardening",
    "Victim support",
    "Family support",
    "Reoffending support",
    "Employment",
    "Community payback",
    "Community involvement",
    "Youth outreach",
    "Individual support",
    "Youth services",
    "Environmental improvements",
    "Law enforcement",
    "ASB enforcement",
    "More CCTV",
    "Other",
];

/// Columns a survey CSV may carry as well (read when present): the respondent's ethnic group
/// (the five ONS groups), when and how the response came in, and a free-text comment.
pub const SURVEY_OPTIONAL_COLUMNS: &[&str] = &["ethnicity", "date", "channel", "comment"];

/// How a response came in (`channel`), the consultation's four routes.
pub const CHANNELS: &[&str] = &["online", "paper", "event", "email"];
