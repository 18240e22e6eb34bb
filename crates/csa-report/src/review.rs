//! The Recommendations and review section of the pack: the partnership's recommendations
//! ([`csa_analysis::recommendations`], `[assessment] recommendations`) and the review of last
//! year's priorities from last year's `summary.json` ([`csa_analysis::review`],
//! `[assessment] previous_summary`).
//!
//! | table | rows | protection |
//! |---|---|---|
//! | `recommendations` | one per recommendation | no counts (text only) |
//! | `priority_review` | one per priority ranked last year | `count_now` is the priority's total of this period and `count_then` its total of last year's period: the same cells as `priority_volumes` where they hold the same count (else cells of their own); the change, its test and the finding are derived from both; `rank_now` is in the restricted edition only (the public ranking is recomputed from published figures) |

use csa_analysis::config::same_name;
use csa_analysis::names;
use csa_analysis::ranking::Ranked;
use csa_analysis::recommendations::Recommendations;
use csa_analysis::review::{review, Now, PreviousSummary};
use csa_analysis::{Assessment, Result};

use crate::ids;
use crate::table::{table, Cell, Protect, Role, Table};

/// Significance level of the review's tests.
pub const ALPHA: f64 = 0.05;

/// What the section says besides its tables.
#[derive(Debug, Clone, Default)]
pub struct ReviewSection {
    pub recommendations: Option<Recommendations>,
    pub previous: Option<PreviousSummary>,
    pub notes: Vec<String>,
}

/// The section's tables, after the ranking (`tables` holds `priority_volumes`).
pub fn section(
    a: &Assessment,
    ranking: &[Ranked],
    tables: &[Table],
) -> Result<(ReviewSection, Vec<Table>)> {
    let mut s = ReviewSection::default();
    let mut out = Vec::new();
    match &a.config.recommendations {
        None => s
            .notes
            .push("No recommendations file is configured ([assessment] recommendations).".into()),
        Some(path) => {
            let r = Recommendations::load(path, &a.config)?;
            out.push(recommendations_table(&r, ranking));
            s.recommendations = Some(r);
        }
    }
    match &a.config.previous_summary {
        None => s.notes.push("Last year's summary is not configured ([assessment] previous_summary), so last year's priorities are not reviewed.".into()),
        Some(path) => {
            let prev = PreviousSummary::load(path)?;
            let vol = table(tables, ids::PRIORITY_VOLUMES)?;
            let now: Vec<Now> = a
                .config
                .all_priorities()
                .iter()
                .map(|p| Now {
                    priority: p.name.clone(),
                    rank: ranking
                        .iter()
                        .find(|r| same_name(&r.priority, &p.name))
                        .map(|r| r.rank as u32),
                    count: vol
                        .find(names::PRIORITY, &p.name)
                        .and_then(|i| vol.get(i, names::COUNT).as_i64())
                        .map(|v| v.max(0) as u64),
                })
                .collect();
            if prev.period.to >= a.periods.current.from {
                s.notes.push(format!("Last year's period ({}) overlaps this one ({}): the review's test assumes separate periods.", prev.period, a.periods.current));
            }
            out.push(review_table(&prev, &now, a));
            s.previous = Some(prev);
        }
    }
    Ok((s, out))
}

fn recommendations_table(r: &Recommendations, ranking: &[Ranked]) -> Table {
    let cols = [
        names::RECOMMENDATION_ID,
        names::PRIORITY,
        col_rank(),
        names::RECOMMENDATION,
        names::OWNER,
        names::MEASURE,
    ];
    let mut t = Table::new(
        ids::RECOMMENDATIONS,
        "Recommendations: what the partnership will do, who owns it and how it is measured (tracked quarterly)",
        &cols,
        &[Role::Key, Role::Key, Role::Other, Role::Other, Role::Other, Role::Other],
        Protect::Primary,
    );
    // the restricted ranking's rank (the public ranking is recomputed from published figures)
    t.restricted_columns = vec![col_rank().into()];
    for x in &r.items {
        let rank = ranking.iter().find(|k| same_name(&k.priority, &x.priority)).map(|k| k.rank);
        t.rows.push(vec![
            Cell::Text(x.id.clone()),
            Cell::Text(x.priority.clone()),
            rank.map_or(Cell::Null, |k| Cell::Int(k as i64)),
            Cell::Text(x.text.clone()),
            Cell::Text(x.owner.name().into()),
            Cell::Text(x.measure_text()),
        ]);
    }
    t
}

fn col_rank() -> &'static str {
    names::RANK_NOW
}

fn review_table(prev: &PreviousSummary, now: &[Now], a: &Assessment) -> Table {
    let cols: [(&str, Role); 13] = [
        (names::PRIORITY, Role::Key),
        (names::RANK_THEN, Role::Key),
        (names::RANK_NOW, Role::Other),
        (names::STILL_A_PRIORITY, Role::Key),
        (names::COUNT_THEN, Role::Count),
        (names::COUNT_NOW, Role::Count),
        (names::CHANGE, Role::Derived),
        (names::CHANGE_PCT, Role::Derived),
        (names::RATE_RATIO, Role::Derived),
        (names::RATIO_LOW, Role::Derived),
        (names::RATIO_HIGH, Role::Derived),
        (names::P_VALUE, Role::Derived),
        (names::FINDING, Role::Derived),
    ];
    let (c, r): (Vec<&str>, Vec<Role>) = cols.iter().copied().unzip();
    let mut t = Table::new(
        ids::PRIORITY_REVIEW,
        &format!(
            "Last year's priorities reviewed: {} against {} (exact Poisson test over the days of each period)",
            a.periods.current, prev.period
        ),
        &c,
        &r,
        Protect::Columns { group: Vec::new() },
    );
    t.restricted_columns = vec![names::RANK_NOW.into()];
    let r3 = |v: f64| Cell::Float((v * 1000.0).round() / 1000.0);
    for x in review(prev, now, a.periods.current, ALPHA) {
        let test = x.test;
        t.rows.push(vec![
            Cell::Text(x.priority.clone()),
            Cell::Int(x.rank_then as i64),
            x.rank_now.map_or(Cell::Null, |k| Cell::Int(k as i64)),
            Cell::Text(if x.still_a_priority { "yes" } else { "no" }.into()),
            x.count_then.map_or(Cell::Null, |v| Cell::Int(v as i64)),
            x.count_now.map_or(Cell::Null, |v| Cell::Int(v as i64)),
            x.change().map_or(Cell::Null, Cell::Int),
            x.change_pct().map_or(Cell::Null, Cell::Float),
            test.and_then(|t| t.rate_ratio).map_or(Cell::Null, r3),
            test.map_or(Cell::Null, |t| r3(t.ci_low)),
            test.map(|t| t.ci_high).filter(|v| v.is_finite()).map_or(Cell::Null, r3),
            test.map_or(Cell::Null, |t| Cell::Float(t.p)),
            Cell::Text(x.finding.clone()),
        ]);
    }
    t
}

/// The section of `report.html`.
pub(crate) fn html(h: &mut String, b: &crate::build::Built, tables: &[Table]) {
    use crate::html::{esc, note, table_html};
    use std::fmt::Write;
    let s = &b.review;
    h.push_str("<section id=\"review\"><h2>Recommendations and review</h2>");
    if let Some(r) = &s.recommendations {
        let _ = write!(
            h,
            "<p>The partnership's {} recommendations, each with the sub-group that owns it and the measure it is judged by. <code>csa quarterly</code> tracks every measure as an indicator (count against the same quarter of the baseline year, target, RAG), shown beside its recommendation and owner.</p>",
            r.items.len()
        );
    }
    if let Some(t) = crate::table::find(tables, ids::RECOMMENDATIONS) {
        table_html(h, t, 200, &[]);
    }
    if let Some(p) = &s.previous {
        let _ = write!(
            h,
            "<p>Last year's priorities (<i>{}</i>, {}, {} edition): each priority's count then and now, the change tested with the exact conditional Poisson test over the days of the two periods (significant at {ALPHA}), its rate ratio with a 95% interval, and whether it is still a priority (configured and ranked this year).</p>",
            esc(&p.title),
            p.period,
            esc(&p.edition)
        );
    }
    for n in &s.notes {
        note(h, n);
    }
    if let Some(t) = crate::table::find(tables, ids::PRIORITY_REVIEW) {
        table_html(h, t, 200, &[]);
    }
    h.push_str("</section>");
}
