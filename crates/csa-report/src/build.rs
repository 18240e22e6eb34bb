//! Running every analysis of the pack: one call per table into the analysis API
//! ([`csa_analysis`]), nothing re-computed here. The tables come out with exact figures; the
//! public edition is made from them by [`crate::publish`].
//!
//! [`build`] runs one function per section: the priority volumes and crime types, every
//! priority's part ([`crate::part`], in parallel), equalities, ward profiles, trends and
//! forecasts ([`crate::trends`]), the ranking, the survey and the data quality tables.
//! Priorities the data cannot measure are noted, not drawn or ranked.

use csa_analysis::breakdown::breakdown;
use csa_analysis::config::{same_name, Priority};
use csa_analysis::hotspots;
use csa_analysis::ranking::{rank, volume_factors, Factors, Ranked};
use csa_analysis::survey::Survey;
use csa_analysis::{names, Assessment, Dim, Result, Side};
use csa_model::Manifest;
use rayon::prelude::*;

use crate::ids::{self, col, Kind, Who};
use crate::part::{priority_part, PriorityPart};
use crate::table::{table, Cell, Protect, Role, Table};

pub use crate::part::{slug, title_of, Hotspots, REPEAT_COLUMNS};

/// Everything the pack reports, before publication.
pub struct Built {
    pub assessment: Assessment,
    pub area: Option<hotspots::Area>,
    pub tables: Vec<Table>,
    pub parts: Vec<PriorityPart>,
    pub ranking: Vec<Ranked>,
    pub survey: Option<(Survey, std::path::PathBuf)>,
    pub notes: Vec<String>,
    /// The Reducing Re-offending section.
    pub reoffending: crate::reoffending::ReoffendingSection,
    /// The Trends and forecasts section.
    pub trends: crate::trends::TrendSection,
    /// The peer comparison section.
    pub peers: crate::peers::PeersSection,
    /// The recommendations and the review of last year's priorities.
    pub review: crate::review::ReviewSection,
    /// The Serious Violence Duty section.
    pub serious_violence: crate::serious_violence::SvSection,
}

/// Whether the data has any people on `side` (an extract may come with victims but no
/// offenders, or the other way round).
pub(crate) fn has_side(a: &Assessment, side: Side) -> bool {
    match side {
        Side::Victim => a.data.info.victims > 0,
        Side::Offender => a.data.info.offenders > 0,
        Side::Crime => true,
    }
}

/// Runs every analysis of the pack.
pub fn build(a: Assessment, survey: Option<(Survey, std::path::PathBuf)>) -> Result<Built> {
    let area = hotspots::study_area(&a, None)?;
    let has_people = a.data.info.has_people();
    let mut notes = Vec::new();
    if !has_people {
        notes.push("The data has no victims or offenders (police.uk data carries none): the victim, offender, repeat and equalities sections need a force extract.".to_string());
    }
    if !a.covers(a.periods.comparison) {
        notes.push(format!("The data does not cover the whole comparison period ({}), so changes against it are not shown.", a.periods.comparison));
    }
    let priorities = a.config.all_priorities();
    let mut tables = overview_tables(&a, &priorities)?;
    let parts: Vec<(PriorityPart, Vec<Table>)> = priorities
        .par_iter()
        .map(|p| priority_part(&a, p, area.as_ref(), has_people))
        .collect::<Result<_>>()?;
    if has_people {
        for who in Who::BOTH {
            if !has_side(&a, who.side()) {
                let w = who.name();
                notes.push(format!("The data has no {w} (its extracts had no {w} file): the equalities of {w} need them."));
                continue;
            }
            tables.extend(equalities_table(&a, &priorities, who)?);
        }
    }
    if has_side(&a, Side::Victim) {
        tables.extend(crate::equalities::ward_table(&a, &priorities)?);
    }
    let mut out_parts = Vec::new();
    for (part, t) in parts {
        tables.extend(t);
        out_parts.push(part);
    }
    let profiles = ward_profiles(&tables, &out_parts)?;
    tables.push(profiles);
    let (trends, trend_tables) = crate::trends::section(&a, &out_parts)?;
    tables.extend(trend_tables);
    let ranking = ranking(&a, survey.as_ref().map(|s| &s.0), &tables, &out_parts)?;
    let unranked: Vec<&str> =
        out_parts.iter().filter(|p| !p.measurable).map(|p| p.priority.name.as_str()).collect();
    if !unranked.is_empty() {
        notes.push(format!("Not measurable on this data, so not ranked: {}.", unranked.join(", ")));
    }
    tables.push(ranking_table(&ranking, &tables, &out_parts)?);
    if let Some((s, _)) = &survey {
        tables.extend(survey_tables(s)?);
    }
    tables.extend(data_quality_tables(&a.data.info.manifest));
    let (reoffending, reoffending_tables) = crate::reoffending::section(&a)?;
    tables.extend(reoffending_tables);
    let (peers, peer_tables) = crate::peers::section(&a)?;
    tables.extend(peer_tables);
    let (review, review_tables) = crate::review::section(&a, &ranking, &tables)?;
    tables.extend(review_tables);
    let (serious_violence, sv_tables) = crate::serious_violence::section(&a, area.as_ref())?;
    tables.extend(sv_tables);
    Ok(Built {
        assessment: a,
        area,
        tables,
        parts: out_parts,
        ranking,
        survey,
        notes,
        reoffending,
        trends,
        peers,
        review,
        serious_violence,
    })
}

fn one_way() -> Protect {
    Protect::Columns { group: Vec::new() }
}

/// The priority volumes and all crime by type.
fn overview_tables(a: &Assessment, priorities: &[Priority]) -> Result<Vec<Table>> {
    let volume = csa_analysis::volume::volume(a, priorities)?;
    let ct = breakdown(a, &Priority::all(), &[Dim::CrimeType])?;
    Ok(vec![
        Table::from_df(
            ids::PRIORITY_VOLUMES,
            "Priorities: volume, change, rate and harm",
            &volume,
            Protect::Primary,
        )?,
        Table::from_df(ids::CRIME_TYPES, "All crime and ASB by type", &ct.table, one_way())?,
    ])
}

/// Equalities of every priority in one table per side (`None` when there are no priorities).
fn equalities_table(a: &Assessment, priorities: &[Priority], who: Who) -> Result<Option<Table>> {
    let w = who.name();
    let mut long: Option<Table> = None;
    // worked out side by side, assembled in the priorities' order
    let frames: Vec<_> = priorities
        .par_iter()
        .map(|p| csa_analysis::equalities::equalities(a, p, who.side()))
        .collect::<csa_analysis::Result<_>>()?;
    for (p, df) in priorities.iter().zip(frames) {
        let t = Table::from_df("eq", "", &df, one_way())?;
        let l = long.get_or_insert_with(|| {
            let mut cols = vec![names::PRIORITY];
            cols.extend(t.columns.iter().map(String::as_str));
            let mut roles = vec![Role::Key];
            roles.extend(t.roles.iter().copied());
            Table::new(
                &ids::equalities(who),
                &format!(
                    "Equalities: {w}' share of each group against the group's share of residents"
                ),
                &cols,
                &roles,
                Protect::Columns { group: vec![names::PRIORITY.into(), names::DIMENSION.into()] },
            )
        });
        for r in t.rows {
            let mut row = vec![Cell::Text(p.name.clone())];
            row.extend(r);
            l.rows.push(row);
        }
    }
    // people per group add up to `known`, which is published: a one-way list per priority
    // and dimension
    if let Some(l) = &mut long {
        l.set_role(names::PEOPLE, Role::Count);
    }
    Ok(long)
}

/// Every priority's ward rows, grouped by priority (the same lists as the priorities' ward
/// tables), with the priority's rate over the whole area and each ward's ratio to it.
fn ward_profiles(tables: &[Table], parts: &[PriorityPart]) -> Result<Table> {
    let mut profiles = Table::new(
        ids::WARD_PROFILES,
        "Ward profiles: every priority in every ward",
        &[
            names::PRIORITY,
            col::WARD_CODE,
            col::WARD_NAME,
            names::COUNT,
            names::COMPARISON,
            names::CHANGE_PCT,
            names::RATE_PER_1000,
            col::AREA_RATE_PER_1000,
            col::RATIO_TO_AREA,
        ],
        &[
            Role::Key,
            Role::Key,
            Role::Key,
            Role::Count,
            Role::Count,
            Role::Derived,
            Role::Derived,
            Role::Other,
            Role::Derived,
        ],
        Protect::Columns { group: vec![names::PRIORITY.into()] },
    );
    let vol = table(tables, ids::PRIORITY_VOLUMES)?;
    for part in parts.iter().filter(|p| p.has(Kind::Wards)) {
        let w = table(tables, &part.id(Kind::Wards))?;
        let area_rate = vol
            .find(names::PRIORITY, &part.priority.name)
            .map_or(Cell::Null, |i| vol.get(i, names::RATE_PER_1000).clone());
        for i in 0..w.rows.len() {
            let rate = w.get(i, names::RATE_PER_1000).clone();
            let ratio = match (rate.as_f64(), area_rate.as_f64()) {
                (Some(r), Some(ar)) if ar > 0.0 => {
                    Cell::Float(csa_analysis::breakdown::round2(r / ar))
                }
                _ => Cell::Null,
            };
            profiles.rows.push(vec![
                Cell::Text(part.priority.name.clone()),
                w.get(i, col::WARD_CODE).clone(),
                w.get(i, col::WARD_NAME).clone(),
                w.get(i, names::COUNT).clone(),
                w.get(i, names::COMPARISON).clone(),
                w.get(i, names::CHANGE_PCT).clone(),
                rate,
                area_rate.clone(),
                ratio,
            ]);
        }
    }
    Ok(profiles)
}

/// The ranking factors of the measurable priorities (not `all`), ranked.
fn ranking(
    a: &Assessment,
    survey: Option<&Survey>,
    tables: &[Table],
    parts: &[PriorityPart],
) -> Result<Vec<Ranked>> {
    let concern = |p: &Priority| -> Option<f64> {
        if p.survey.is_empty() {
            return None;
        }
        // weighted to the population when the consultation settings say so
        survey?.concern_pct(&p.survey)
    };
    let vol = table(tables, ids::PRIORITY_VOLUMES)?;
    let ranked_parts: Vec<&PriorityPart> =
        parts.iter().filter(|part| part.measurable && !part.is_all()).collect();
    // one denominator for every priority's volume (residents; counts when unknown)
    let counts: Vec<u64> = ranked_parts
        .iter()
        .map(|part| {
            vol.find(names::PRIORITY, &part.priority.name)
                .and_then(|i| vol.get(i, names::COUNT).as_i64())
                .map_or(0, |c| c.max(0) as u64)
        })
        .collect();
    let (volumes, volume_basis) = volume_factors(&counts, a.area_population(false));
    let items: Vec<(String, Factors)> = ranked_parts
        .iter()
        .zip(volumes)
        .map(|(part, volume)| {
            let i = vol.find(names::PRIORITY, &part.priority.name);
            let g = |c: &str| i.and_then(|i| vol.get(i, c).as_f64());
            let conc: Vec<f64> =
                [part.repeat_victim_crimes_pct, part.hot_share_pct].into_iter().flatten().collect();
            let f = Factors {
                volume: Some(volume),
                // the strength of evidence for a change, not the raw % change
                trend: crate::trends::evidence(tables, &part.priority.name),
                harm: g(names::HARM_CSS),
                concentration: (!conc.is_empty())
                    .then(|| conc.iter().sum::<f64>() / conc.len() as f64),
                concern: concern(&part.priority),
            };
            (part.priority.name.clone(), f)
        })
        .collect();
    let mut ranking = rank(&items, &a.config.ranking, volume_basis);
    for r in &mut ranking {
        if parts.iter().any(|p| p.priority.name == r.priority && p.partly_measured) {
            r.reason.push_str("; only partly measured on this data");
        }
    }
    Ok(ranking)
}

/// The ranking as a table: factors, scores and total.
pub(crate) fn ranking_table(
    ranking: &[Ranked],
    tables: &[Table],
    parts: &[PriorityPart],
) -> Result<Table> {
    let mut columns = vec![
        col::RANK,
        names::PRIORITY,
        names::SUBGROUPS,
        names::COUNT,
        col::VOLUME,
        col::HOUSEHOLD_RATE_PER_1000,
        col::TREND_PCT,
        col::HARM,
        col::CONCENTRATION_PCT,
        col::CONCERN_PCT,
    ];
    columns.extend(col::SCORES);
    columns.extend([col::TOTAL_SCORE, col::REASON]);
    let mut roles = vec![
        Role::Key,
        Role::Key,
        Role::Key,
        Role::Count,
        Role::Derived,
        Role::Derived,
        Role::Derived,
        Role::Derived,
        Role::Other,
        Role::Other,
    ];
    roles.extend([Role::Other; 6]);
    // the reason quotes the factors: hidden with a hidden count
    roles.push(Role::Derived);
    let mut rt = Table::new(
        ids::PRIORITY_RANKING,
        "Priority ranking: factors, scores (1-5) and weighted total",
        &columns,
        &roles,
        Protect::Primary,
    );
    let vol = table(tables, ids::PRIORITY_VOLUMES)?;
    let num =
        |v: Option<f64>| v.map_or(Cell::Null, |x| Cell::Float(csa_analysis::breakdown::round2(x)));
    for r in ranking {
        let part = parts.iter().find(|p| p.priority.name == r.priority);
        let i = vol.find(names::PRIORITY, &r.priority);
        let mut row = vec![
            Cell::Int(r.rank as i64),
            Cell::Text(r.priority.clone()),
            Cell::Text(
                part.map(|p| {
                    p.priority.subgroups.iter().map(|g| g.name()).collect::<Vec<_>>().join("; ")
                })
                .unwrap_or_default(),
            ),
            i.map_or(Cell::Null, |i| vol.get(i, names::COUNT).clone()),
            num(r.factors.volume),
            // the priority's own rate where it is per household (beside the common factor)
            match part.map(|p| p.priority.denominator) {
                Some(csa_analysis::config::Denominator::Households) => {
                    i.map_or(Cell::Null, |i| vol.get(i, names::RATE_PER_1000).clone())
                }
                _ => Cell::Null,
            },
            num(r.factors.trend),
            num(r.factors.harm),
            num(r.factors.concentration),
            num(r.factors.concern),
        ];
        row.extend(r.scores.iter().map(|s| num(*s)));
        row.push(Cell::Float(r.total));
        row.push(Cell::Text(r.reason.clone()));
        rt.rows.push(row);
    }
    Ok(rt)
}

/// The survey's tables.
fn survey_tables(s: &Survey) -> Result<Vec<Table>> {
    let mut out = Vec::new();
    for (name, df) in s.tables()? {
        let mut t = Table::from_df(&name, &survey_title(&name), &df, Protect::Primary)?;
        // free text: an answer given by fewer than 5 people is not published
        t.drop_small_rows = ids::SURVEY_FREE_TEXT.contains(&name.as_str());
        if name == ids::SURVEY_YES_NO {
            // yes + no + not answered = respondents: a two-way table with its row totals
            // (columns question, yes, no, not_answered, then the total)
            t.columns.insert(4, names::RESPONDENTS.into());
            t.roles.insert(4, Role::Count);
            for r in &mut t.rows {
                let total: i64 = r[1..4].iter().filter_map(Cell::as_i64).sum();
                r.insert(4, Cell::Int(total));
            }
            t.protect = Protect::Matrix { total_row: false };
        }
        out.push(t);
    }
    Ok(out)
}

/// Every input file's rows and the quarantine reasons, from the dataset's manifest.
///
/// Published as they are in both editions (data/README.md, "Public edition": deliberately
/// published): they count rows of input files, whatever their period or area, and rows turned
/// away by a reason, not people or crimes of an area, so their figures are `Role::Other` and
/// never enter the disclosure model.
fn data_quality_tables(manifest: &Manifest) -> [Table; 2] {
    let mut inputs = Table::new(
        ids::DATA_QUALITY_INPUTS,
        "Data quality: every input file's rows, accepted or quarantined",
        &[col::INPUT, col::SHA256, col::ACCEPTED, col::QUARANTINED, col::ROWS_READ],
        &[Role::Key, Role::Key, Role::Other, Role::Other, Role::Other],
        Protect::Primary,
    );
    let count = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
    for i in &manifest.inputs {
        inputs.rows.push(vec![
            Cell::Text(i.file_name()),
            Cell::Text(i.sha256.clone()),
            count(i.accepted),
            count(i.quarantined),
            count(i.rows_read),
        ]);
    }
    let mut qt = Table::new(
        ids::DATA_QUALITY_QUARANTINE,
        "Data quality: quarantined rows by reason",
        &[col::REASON_CODE, col::ROWS],
        &[Role::Key, Role::Other],
        Protect::Primary,
    );
    for (k, v) in manifest.quarantined_by_reason() {
        qt.rows.push(vec![Cell::Text(k), count(v)]);
    }
    [inputs, qt]
}

fn survey_title(name: &str) -> String {
    match name {
        "survey_yes_no" => "Survey: victimisation and visits to the city centre",
        "survey_priorities" => "Survey: which crime and ASB should be the priorities (up to three)",
        "survey_measures" => "Survey: the most effective measures (up to five)",
        "survey_priorities_by_area" => "Survey: priorities chosen, by area",
        "survey_priorities_by_age" => "Survey: priorities chosen, by age band",
        "survey_priorities_by_sex" => "Survey: priorities chosen, by sex",
        "survey_news_channels" => "Survey: where respondents get local news",
        "survey_ways_to_help" => "Survey: ways respondents would help",
        "survey_other_answers" => "Survey: answers outside the listed options",
        "survey_priorities_weighted" => {
            "Survey: priorities, unweighted and weighted to the population"
        }
        names::T_YOU_SAID_WE_DID => "You said, we did",
        _ => name,
    }
    .to_string()
}

/// Whether `name` is the all-crime overview.
pub fn is_all(name: &str) -> bool {
    same_name(name, csa_analysis::config::ALL)
}
