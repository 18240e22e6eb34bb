//! The Serious Violence Duty section of the pack and the standalone needs-assessment report
//! `serious-violence.html` beside `report.html` (self-contained the same way: inline CSS, no
//! request of any kind). The figures are [`csa_analysis::serious_violence`]'s (definition,
//! young people, partner hospital and ambulance data, night-time economy, hot spots).
//!
//! Tables and their protection in the public edition ([`crate::table`]):
//!
//! | table | rows | protection |
//! |---|---|---|
//! | `serious_violence_summary` | one per measure (crimes, with a weapon, in the NTE, victim and offender records, partner attendances, in the NTE, with a weapon) | each count on its own (`Primary`): the rows overlap and no complement is published |
//! | `serious_violence_definition_parts` | one per part of the definition (they overlap) | `Primary` |
//! | `serious_violence_young_people` | age bands: under 18, 18-24, 25 and over, unknown | each column a list adding up to its total (`Columns`) |
//!
//! The under-25 counts are the first two bands of `serious_violence_young_people` and are
//! published nowhere else: a total of them beside the bands (in the summary) would be a
//! partial sum the protection does not know of, from which a hidden band could be worked out.
//! | `serious_violence_by_ward` | every ward of the area | each column a list adding up to the area (`Columns`); restricted edition only (below) |
//! | `serious_violence_hot_cells` | Gi* hot cells (95% and 99%) | `Primary`; cell centres and Gi* z are not counts; restricted edition only (below) |
//!
//! The ward and hot cell tables are left out of the public edition: ward by ward and cell by
//! cell, serious violence overlaps the priorities' own ward and hot cell tables (robbery,
//! weapon possession, violence), and the disclosure model does not yet key serious violence as
//! a population related to theirs, so differencing could narrow a hidden count. The area-level
//! tables above carry totals of hundreds on any CSP, related to the priorities' totals by
//! inequalities only.
//!
//! Every % change is derived from its row's counts and hidden with them.

use std::fmt::Write as _;

use csa_analysis::hotspots::{Area, HotspotOptions, Method};
use csa_analysis::serious_violence::{analyse, hot_cells, SeriousViolence};
use csa_analysis::{names, Assessment, Result};

use crate::html::{esc, note, table_html, CSS};
use crate::ids::serious_violence as id;
use crate::table::{find, Cell, Protect, Role, Table};

/// What the report says in the section besides its tables.
#[derive(Debug, Clone, Default)]
pub struct SvSection {
    pub definition: String,
    pub nte: String,
    pub young_under: i16,
    pub partner_sources: Vec<String>,
    pub notes: Vec<String>,
    /// The tables, in report order.
    pub tables: Vec<String>,
}

fn int(v: u64) -> Cell {
    Cell::Int(v as i64)
}

fn change(cur: u64, cmp: Option<u64>) -> Cell {
    match cmp.and_then(|c| csa_analysis::breakdown::change_pct(cur as f64, c as f64)) {
        Some(v) => Cell::Float(csa_analysis::breakdown::round2(v)),
        None => Cell::Null,
    }
}

/// The section's figures and tables.
pub fn section(a: &Assessment, area: Option<&Area>) -> Result<(SvSection, Vec<Table>)> {
    let d = &a.config.serious_violence;
    let sv = analyse(a, d)?;
    let mut s = SvSection {
        definition: d.describe(),
        nte: d.nte.describe(),
        young_under: d.young_under,
        partner_sources: sv.partner_sources.clone(),
        notes: sv.notes.clone(),
        tables: Vec::new(),
    };
    let mut tables = vec![summary_table(&sv), parts_table(&sv), ages_table(&sv), wards_table(&sv)];
    let h = &a.config.hotspots;
    let o = HotspotOptions {
        method: Method::Gi,
        cell: Some(h.cell_m),
        band: Some(h.band_m),
        permutations: h.permutations,
        seed: h.seed,
        ..HotspotOptions::default()
    };
    match hot_cells(a, d, area, &o, h.min_crimes)? {
        Ok(cells) => {
            let mut t = Table::new(
                id::HOT_CELLS,
                "Serious violence: Gi* hot cells (95% and 99% confidence), their night-time economy part and partner attendances in the same cells",
                &[
                    names::CELL_X,
                    names::CELL_Y,
                    names::GI_Z,
                    names::GI_BIN,
                    names::COUNT,
                    names::SV_NTE,
                    names::SV_PARTNER,
                ],
                &[Role::Other, Role::Other, Role::Other, Role::Other, Role::Count, Role::Count, Role::Count],
                Protect::Primary,
            );
            for c in &cells {
                t.rows.push(vec![
                    Cell::Float(c.x),
                    Cell::Float(c.y),
                    Cell::Float(csa_analysis::breakdown::round2(c.gi_z)),
                    Cell::Int(i64::from(c.gi_bin)),
                    int(c.crimes),
                    int(c.nte),
                    int(c.partner),
                ]);
            }
            if cells.is_empty() {
                s.notes.push("Gi* finds no hot cell of serious violence at 95% confidence.".into());
            }
            tables.push(t);
        }
        Err(why) => s.notes.push(format!("No hot spot analysis of serious violence: {why}.")),
    }
    // the small-area tables stay out of the public edition: serious violence overlaps the
    // priorities (robbery, weapon possession, violence with injury...) ward by ward and cell by
    // cell, and the disclosure model does not link its population to theirs, so a hidden ward
    // or cell count of a priority could be narrowed by differencing against them
    for t in tables.iter_mut().filter(|t| [id::WARDS, id::HOT_CELLS].contains(&t.name.as_str())) {
        t.public = false;
    }
    if tables.iter().any(|t| !t.public && !t.rows.is_empty()) {
        s.notes.push("Serious violence by ward and its hot cells are in the restricted edition only: ward by ward and cell by cell serious violence overlaps the priorities' own tables (robbery, weapon possession, violence), which the public edition's protection does not link to it.".into());
    }
    s.tables = tables.iter().map(|t| t.name.clone()).collect();
    Ok((s, tables))
}

fn summary_table(sv: &SeriousViolence) -> Table {
    let mut t = Table::new(
        id::SUMMARY,
        &format!(
            "Serious violence: the assessment period ({}) against the comparison period ({})",
            sv.periods[0], sv.periods[1]
        ),
        &[names::MEASURE, names::COUNT, names::COMPARISON, names::CHANGE_PCT],
        &[Role::Key, Role::Count, Role::Count, Role::Derived],
        Protect::Primary,
    );
    let [p, q] = &sv.police;
    let [pp, pq] = &sv.partner;
    let rows: Vec<(String, u64, u64)> = vec![
        ("serious violence crimes".into(), p.crimes, q.crimes),
        ("with a weapon recorded".into(), p.weapon, q.weapon),
        ("in the night-time economy".into(), p.nte, q.nte),
        ("victim records".into(), p.victims, q.victims),
        ("offender records".into(), p.offenders, q.offenders),
        ("partner attendances (hospital, ambulance)".into(), pp.attendances, pq.attendances),
        ("partner attendances in the night-time economy".into(), pp.nte, pq.nte),
        ("partner attendances with a weapon recorded".into(), pp.weapon, pq.weapon),
    ];
    for (m, cur, cmp) in rows {
        let cmp = sv.comparison_covered.then_some(cmp);
        t.rows.push(vec![Cell::Text(m), int(cur), cmp.map_or(Cell::Null, int), change(cur, cmp)]);
    }
    t
}

fn parts_table(sv: &SeriousViolence) -> Table {
    let mut t = Table::new(
        id::PARTS,
        "Serious violence by part of the local definition (a crime may meet several parts)",
        &[names::SV_PART, names::COUNT, names::COMPARISON, names::CHANGE_PCT],
        &[Role::Key, Role::Count, Role::Count, Role::Derived],
        Protect::Primary,
    );
    for (label, cur, cmp) in &sv.parts {
        let cmp = sv.comparison_covered.then_some(*cmp);
        t.rows.push(vec![
            Cell::Text(label.clone()),
            int(*cur),
            cmp.map_or(Cell::Null, int),
            change(*cur, cmp),
        ]);
    }
    t
}

fn ages_table(sv: &SeriousViolence) -> Table {
    let mut t = Table::new(
        id::AGES,
        &format!(
            "Serious violence in {}: victim and offender records, and partner patients, by age",
            sv.periods[0]
        ),
        &[names::SV_AGE_BAND, names::SV_VICTIMS, names::SV_OFFENDERS, names::SV_PARTNER],
        &[Role::Key, Role::Count, Role::Count, Role::Count],
        Protect::Columns { group: Vec::new() },
    );
    for (band, v, o, p) in &sv.ages {
        t.rows.push(vec![Cell::Text(band.clone()), int(*v), int(*o), int(*p)]);
    }
    t
}

fn wards_table(sv: &SeriousViolence) -> Table {
    let mut t = Table::new(
        id::WARDS,
        "Serious violence and partner attendances by ward",
        &[
            names::SV_WARD_CODE,
            names::SV_WARD_NAME,
            names::COUNT,
            names::COMPARISON,
            names::CHANGE_PCT,
            names::SV_PARTNER,
        ],
        &[Role::Key, Role::Key, Role::Count, Role::Count, Role::Derived, Role::Count],
        Protect::Columns { group: Vec::new() },
    );
    for w in &sv.wards {
        let cmp = sv.comparison_covered.then_some(w.comparison);
        t.rows.push(vec![
            Cell::Text(w.code.clone()),
            Cell::Text(w.name.clone()),
            int(w.current),
            cmp.map_or(Cell::Null, int),
            change(w.current, cmp),
            int(w.partner),
        ]);
    }
    t
}

/// The section's body (without its heading): definitions, notes and tables.
pub fn body(h: &mut String, s: &SvSection, tables: &[Table]) {
    let _ = write!(
        h,
        "<p>The Serious Violence Duty asks the partnership for a strategic needs assessment of serious violence. <b>Local definition</b>: {}. <b>Young people</b>: victims and offenders aged under {} at the crime, counted as records (a person on two crimes counts twice). <b>Night-time economy</b>: {}; records without a time of day count only through their location type. <b>Hospital and ambulance data</b>: partner incidents{} counted apart from police figures, never added to them. <b>Hot spots</b>: Gi* on the police records with the pack's hot spot settings; each hot cell shows the serious violence in it, its night-time economy part and the partner attendances in the same cell.</p>",
        esc(&s.definition),
        s.young_under,
        esc(&s.nte),
        if s.partner_sources.is_empty() {
            String::new()
        } else {
            format!(" ({})", esc(&s.partner_sources.join(", ")))
        }
    );
    // key figures, from the (published) summary table: hidden cells show as hidden
    if let Some(t) = find(tables, id::SUMMARY) {
        h.push_str("<div class=\"figures\">");
        for (i, r) in t.rows.iter().enumerate().take(8) {
            let label = r[0].text();
            let change = match t.get(i, names::CHANGE_PCT) {
                Cell::Float(v) => format!(" ({v:+.1}% on the comparison period)"),
                _ => String::new(),
            };
            let _ = write!(
                h,
                "<div class=\"figure-card\"><div class=\"v\">{}</div><div class=\"l\">{}{}</div></div>",
                esc(&t.get(i, names::COUNT).display()),
                esc(&label),
                esc(&change)
            );
        }
        h.push_str("</div>");
    }
    for n in &s.notes {
        note(h, n);
    }
    for name in &s.tables {
        if let Some(t) = find(tables, name) {
            table_html(h, t, 60, &[]);
        }
    }
}

/// `serious-violence.html`: the needs assessment on its own page.
pub fn standalone(title: &str, meta: &str, s: &SvSection, tables: &[Table]) -> String {
    let mut h = String::with_capacity(1 << 16);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} - serious violence needs assessment</title><style>{CSS}</style></head><body><header><h1>Serious violence: strategic needs assessment</h1><p class=\"meta\">{}</p><p class=\"meta\">{}</p></header><section id=\"serious-violence\">",
        esc(title),
        esc(title),
        meta
    );
    body(&mut h, s, tables);
    h.push_str("</section></body></html>\n");
    h
}
