//! The peer comparison section of the pack ([`csa_analysis::peers`]): one table of every
//! compared priority's rates (the CSP, all areas, the other CSPs, the peer group, each other
//! district) and a funnel plot per priority drawn from the *published* table.
//!
//! | table | rows | protection |
//! |---|---|---|
//! | `peer_rates` | per priority: CSP, all areas, other CSPs, peer group, each district | `all areas` = CSP + `other CSPs`, `other CSPs` = the districts, `peer group` = its districts (constraints in [`crate::public::cells`]); the CSP's count is the priority's total cell when it is the same count. In the public edition only when the CSP is the whole area (else a district is a sum of the area's ward counts: restricted edition only) |
//!
//! Rates, intervals and funnel positions are derived from the row's count (hidden with it);
//! a funnel point whose count is hidden is not drawn, and a funnel whose centre is hidden is
//! not drawn at all.

use csa_analysis::funnel;
use csa_analysis::names;
use csa_analysis::peers::{compare, Peers, RowKind};
use csa_analysis::{Assessment, Result};
use csa_charts::funnel::{FunnelPlot, FunnelPoint};

use crate::ids;
use crate::table::{Cell, Protect, Role, Table};

/// What the section says besides its table.
#[derive(Debug, Clone, Default)]
pub struct PeersSection {
    pub peers: Option<Peers>,
    pub notes: Vec<String>,
}

impl PeersSection {
    /// The priorities with a comparison, in table order.
    pub fn compared(&self) -> Vec<&str> {
        self.peers
            .iter()
            .flat_map(|p| &p.priorities)
            .filter(|p| !p.rows.is_empty())
            .map(|p| p.priority.as_str())
            .collect()
    }
}

const COLUMNS: [(&str, Role); 12] = [
    (names::PRIORITY, Role::Key),
    (names::AREA_KIND, Role::Key),
    (names::AREA, Role::Key),
    (names::CODE, Role::Key),
    (names::IN_PEER_GROUP, Role::Key),
    (names::COUNT, Role::Count),
    (names::DENOMINATOR, Role::Other),
    (names::POPULATION, Role::Other),
    (names::RATE_PER_1000, Role::Derived),
    (names::RATE_CI_LOW_PER_1000, Role::Derived),
    (names::RATE_CI_HIGH_PER_1000, Role::Derived),
    (names::FUNNEL, Role::Derived),
];

/// The section and its table (none when `[peers]` is not configured).
pub fn section(a: &Assessment) -> Result<(PeersSection, Vec<Table>)> {
    let Some(settings) = &a.config.peers else {
        return Ok((
            PeersSection {
                peers: None,
                notes: vec!["No peer comparison is configured ([peers] in the configuration: the CSP's district and a peer group).".into()],
            },
            Vec::new(),
        ));
    };
    let peers = compare(a, settings)?;
    let (cols, roles): (Vec<&str>, Vec<Role>) = COLUMNS.iter().copied().unzip();
    let mut t = Table::new(
        ids::PEER_RATES,
        &format!(
            "Peer comparison, {}: records per 1,000 with exact 95% intervals, and funnel positions around {}",
            peers.period, peers.centre_of
        ),
        &cols,
        &roles,
        Protect::Columns { group: vec![names::PRIORITY.into(), names::AREA_KIND.into()] },
    );
    let r2 = |v: f64| Cell::Float(csa_analysis::breakdown::round2(v));
    let mut notes = peers.notes.clone();
    for p in &peers.priorities {
        if let Some(why) = &p.skipped {
            notes.push(format!("{}: {why}.", p.priority));
        }
        for r in &p.rows {
            t.rows.push(vec![
                Cell::Text(p.priority.clone()),
                Cell::Text(r.kind.label().into()),
                Cell::Text(r.name.clone()),
                r.code.clone().map_or(Cell::Null, Cell::Text),
                match r.kind {
                    RowKind::District => Cell::Text(if r.in_group { "yes" } else { "no" }.into()),
                    _ => Cell::Null,
                },
                Cell::Int(r.count as i64),
                Cell::Text(p.denominator.name().into()),
                Cell::Float(r.population),
                r2(r.rate),
                r2(r.ci.0),
                r2(r.ci.1),
                r.position.map_or(Cell::Null, |x| Cell::Text(x.label().into())),
            ]);
        }
    }
    // the public edition carries the table only when the CSP is the assessment's area: its
    // counts are then the priorities' totals, and every other district lies outside the
    // area; a district inside the area is a sum of published ward counts, which the table
    // would give away where one of those is hidden
    t.public = peers.csp_is_area;
    if !t.public && !t.rows.is_empty() {
        notes.push(format!("The peer comparison is in the restricted edition only: the CSP ({}) is part of the assessment's area, so its counts are sums of ward counts that the public edition protects.", peers.csp.name));
    }
    let tables = if t.rows.is_empty() { Vec::new() } else { vec![t] };
    Ok((PeersSection { peers: Some(peers), notes }, tables))
}

/// The funnel plot of each compared priority, from the (published) table: (file stem, title,
/// chart).
pub fn funnels(s: &PeersSection, tables: &[Table]) -> Vec<(String, String, FunnelPlot)> {
    let (Some(peers), Some(t)) = (&s.peers, crate::table::find(tables, ids::PEER_RATES)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in s.compared() {
        let rows: Vec<usize> =
            (0..t.rows.len()).filter(|&i| t.get(i, names::PRIORITY).text() == name).collect();
        let kind = |i: usize| t.get(i, names::AREA_KIND).text();
        let centre_kind =
            if peers.group.is_empty() { RowKind::OtherCsps } else { RowKind::PeerGroup };
        let Some(c) = rows.iter().copied().find(|&i| kind(i) == centre_kind.label()) else {
            continue;
        };
        let (Some(cn), Some(cp)) =
            (t.get(c, names::COUNT).as_f64(), t.get(c, names::POPULATION).as_f64())
        else {
            continue; // the centre's count is hidden
        };
        let theta = cn / cp;
        let unit = t.get(c, names::DENOMINATOR).text();
        let areas: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| kind(i) == RowKind::Csp.label() || kind(i) == RowKind::District.label())
            .collect();
        let points: Vec<FunnelPoint> = areas
            .iter()
            .copied()
            .filter_map(|i| {
                let rate = t.get(i, names::RATE_PER_1000).as_f64()?;
                let population = t.get(i, names::POPULATION).as_f64()?;
                let pos = t.get(i, names::FUNNEL).text();
                Some(FunnelPoint {
                    label: t.get(i, names::AREA).text(),
                    population,
                    rate,
                    own: kind(i) == RowKind::Csp.label(),
                    peer: t.get(i, names::IN_PEER_GROUP).text() == "yes",
                    outside: !pos.is_empty() && pos != funnel::Position::Within.label(),
                })
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        // the limits over the districts' range of populations (and a little either side)
        let hi = points.iter().map(|p| p.population).fold(0.0, f64::max) * 1.05;
        let lo = (points.iter().map(|p| p.population).fold(f64::INFINITY, f64::min) * 0.6).max(1.0);
        let curve: Vec<(f64, [f64; 4])> = (0..=80)
            .map(|k| {
                let n = lo + (hi - lo) * k as f64 / 80.0;
                let l = funnel::limits(theta, n);
                (n, [l.low_998, l.low_95, l.high_95, l.high_998].map(|v| 1000.0 * v))
            })
            .collect();
        let hidden = areas.len() - points.len();
        let shown = if csa_analysis::config::same_name(name, csa_analysis::config::ALL) {
            "All crime and ASB"
        } else {
            name
        };
        let title = format!("{shown}: funnel plot of records per 1,000 {unit}, {}", peers.period);
        let legend = format!(
            "Centre {:.2} per 1,000 ({}); exact Poisson limits at 95% (grey) and 99.8% (red/blue), Spiegelhalter (2005){}",
            1000.0 * theta,
            peers.centre_of,
            if hidden > 0 {
                "; areas with a suppressed count are not drawn"
            } else {
                ""
            }
        );
        out.push((
            format!("peers_{}_funnel", csa_analysis::config::slug(name, '_')),
            title.clone(),
            FunnelPlot {
                title,
                x_label: unit.clone(),
                y_label: format!("records per 1,000 {unit}"),
                centre: 1000.0 * theta,
                curve,
                points,
                legend,
            },
        ));
    }
    out
}

/// The section of `report.html`.
pub(crate) fn html(
    h: &mut String,
    b: &crate::build::Built,
    tables: &[Table],
    figures: &[crate::figures::Figure],
) {
    use crate::html::{esc, figure_html, note, table_html};
    use std::fmt::Write;
    let s = &b.peers;
    h.push_str("<section id=\"peers\"><h2>Peer comparison</h2>");
    if let Some(p) = &s.peers {
        let group = if p.group.is_empty() {
            "none configured".to_string()
        } else {
            p.group.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
        };
        let _ = write!(
            h,
            "<p>Each priority's records per 1,000 residents (per 1,000 households where the priority is counted per household) in {period} for the CSP (<b>{csp}</b>, {code}) against <b>all areas</b> (the CSP and every other district of the data: on one force's data, the force), the <b>other CSPs</b> (the other districts pooled) and the <b>peer group</b> (the configured Most Similar Group: {group}). A district is a local authority (its wards' Census 2021 residents, {src}). Intervals are exact Poisson (Garwood) 95% intervals. The <b>funnel plot</b> shows each district's rate against its residents around {centre}'s pooled rate, with exact Poisson control limits at 95% and 99.8% (Spiegelhalter 2005, Statistics in Medicine 24:1185-1202, with his interpolation); districts beyond the 95% limits are named, and a district beyond the 99.8% limits differs by more than chance would plausibly give. Police.uk data count ASB and crime types alike across forces; a priority whose filter needs fields a dataset lacks is not compared.</p>",
            period = p.period,
            csp = esc(&p.csp.name),
            code = esc(&p.csp.code),
            group = esc(&group),
            src = esc(&p.districts_source),
            centre = p.centre_of,
        );
    }
    for n in &s.notes {
        note(h, n);
    }
    if let Some(t) = crate::table::find(tables, ids::PEER_RATES) {
        table_html(h, t, 400, &[names::DENOMINATOR]);
    }
    for name in s.compared() {
        figure_html(h, figures, &format!("peers_{}_funnel", csa_analysis::config::slug(name, '_')));
    }
    h.push_str("</section>");
}
