//! One priority's part of the pack ([`PriorityPart`] and its tables), one function per
//! section: whether the data measures it, time (months, day x hour), place (wards, location
//! types, top locations), people (victims and offenders by age x sex and ethnicity, repeats,
//! relationship, prolific offenders) and hotspots (Gi* and KDE, clusters of hot cells).
//!
//! Hotspot clusters are the connected groups (8-neighbour) of Gi* hot cells at 95% or more
//! (FDR bins +2, +3), found with csa-hotspots' union-find; the hotspot share of a priority is
//! the share of its located crimes in those cells, one half of the "concentration" ranking
//! factor.

use std::collections::BTreeMap;

use csa_analysis::breakdown::{breakdown, Breakdown, Selection};
use csa_analysis::config::{same_name, Priority};
use csa_analysis::hotspots::{self, HotspotOptions, HotspotRun, Method};
use csa_analysis::repeats::{prolific_offenders, repeat_within, repeats};
use csa_analysis::{names, Assessment, Dim, Result, Side};
use csa_hotspots::clusters::UnionFind;
use csa_model::Col;
use rustc_hash::FxHashMap;

use crate::ids::{col, Kind, Who};
use crate::table::{Cell, Protect, Role, Table};

/// One priority's part of the pack.
#[derive(Debug, Clone)]
pub struct PriorityPart {
    pub priority: Priority,
    pub slug: String,
    /// Its tables, in report order (ids: [`Kind::id`] of `slug`).
    pub kinds: Vec<Kind>,
    pub notes: Vec<String>,
    pub hotspots: Option<Hotspots>,
    /// Located crimes in Gi* hot cells (95%), as a % of its located crimes.
    pub hot_share_pct: Option<f64>,
    /// % of its crimes suffered by repeat victims.
    pub repeat_victim_crimes_pct: Option<f64>,
    /// False when its definition needs columns the data does not record and nothing matches.
    pub measurable: bool,
    /// True when part of its definition needs columns the data does not record (that part
    /// matches nothing) but the rest matches records.
    pub partly_measured: bool,
    /// The columns its definition needs that the data does not record.
    pub unrecorded: Vec<Col>,
}

impl PriorityPart {
    fn new(p: &Priority) -> PriorityPart {
        PriorityPart {
            priority: p.clone(),
            slug: slug(&p.name),
            kinds: Vec::new(),
            notes: Vec::new(),
            hotspots: None,
            hot_share_pct: None,
            repeat_victim_crimes_pct: None,
            measurable: true,
            partly_measured: false,
            unrecorded: Vec::new(),
        }
    }

    /// Whether the part has a table of `kind`.
    pub fn has(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The id of its table of `kind`.
    pub fn id(&self, kind: Kind) -> String {
        kind.id(&self.slug)
    }

    /// True for the all-crime overview (`all`).
    pub fn is_all(&self) -> bool {
        same_name(&self.priority.name, csa_analysis::config::ALL)
    }
}

/// A priority's hotspot runs.
#[derive(Debug, Clone)]
pub struct Hotspots {
    pub gi: HotspotRun,
    pub kde: HotspotRun,
    /// Cells of each cluster (indices into the Gi* grid), largest cluster first.
    pub clusters: Vec<Vec<usize>>,
}

/// `Violence with injury` -> `violence_with_injury` (file stems of the pack).
pub fn slug(name: &str) -> String {
    csa_analysis::config::slug(name, '_')
}

/// The name of a priority in titles (`all` reads "All crime and ASB").
pub fn title_of(p: &Priority) -> String {
    if same_name(&p.name, csa_analysis::config::ALL) {
        "All crime and ASB".into()
    } else {
        p.name.clone()
    }
}

/// Columns of a priority's repeats table (the last four for domestic abuse only: the MARAC
/// rule, again within 365 days).
pub const REPEAT_COLUMNS: [(&str, Role); 12] = [
    (col::SIDE, Role::Key),
    ("people", Role::Small),
    ("repeat_people", Role::Small),
    ("repeat_people_pct", Role::Derived),
    ("crimes", Role::Small),
    ("crimes_with_repeat_people", Role::Small),
    ("crimes_with_repeat_people_pct", Role::Derived),
    ("most_crimes_for_one_person", Role::Small),
    ("victim_records_again_within_365_days", Role::Small),
    ("victim_records_again_within_365_days_pct", Role::Derived),
    ("same_victim_and_offender_again_within_365_days", Role::Small),
    ("same_victim_and_offender_again_within_365_days_pct", Role::Derived),
];

/// What the sections of one part write into.
struct Builder<'a> {
    a: &'a Assessment,
    p: &'a Priority,
    /// The priority's name in titles.
    name: String,
    part: PriorityPart,
    tables: Vec<Table>,
}

impl Builder<'_> {
    fn push(&mut self, kind: Kind, mut t: Table) {
        t.name = self.part.id(kind);
        self.part.kinds.push(kind);
        self.tables.push(t);
    }
}

/// The part of priority `p`: its tables and what the report says about it.
pub(crate) fn priority_part(
    a: &Assessment,
    p: &Priority,
    area: Option<&hotspots::Area>,
    has_people: bool,
) -> Result<(PriorityPart, Vec<Table>)> {
    let sel = csa_analysis::breakdown::select(a, p)?;
    let mut b = Builder { a, p, name: title_of(p), part: PriorityPart::new(p), tables: Vec::new() };
    measurability(&mut b, &sel);
    if !b.part.measurable {
        return Ok((b.part, b.tables));
    }
    months_table(&mut b)?;
    place_tables(&mut b)?;
    day_hour_table(&mut b)?;
    if has_people {
        people_tables(&mut b)?;
    }
    hotspot_tables(&mut b, area)?;
    b.part.notes.sort();
    b.part.notes.dedup();
    Ok((b.part, b.tables))
}

/// Whether the data records what the priority's definition needs (its note says so).
fn measurability(b: &mut Builder, sel: &Selection) {
    if sel.unrecorded.is_empty() {
        return;
    }
    let name = &b.name;
    let cols: Vec<&str> = sel.unrecorded.iter().map(|c| c.name()).collect();
    b.part.unrecorded = sel.unrecorded.clone();
    if sel.current.is_empty() && sel.comparison.is_empty() {
        b.part.measurable = false;
        b.part.notes.push(format!("{name} cannot be measured on this data: its definition needs {}, which the data does not record (police.uk data has no offence codes, flags or times). A force extract measures it.", cols.join(", ")));
    } else {
        b.part.partly_measured = true;
        b.part.notes.push(format!("{name} is only partly measured on this data: the part of its definition that needs {} matches nothing, because the data does not record it.", cols.join(", ")));
    }
}

fn bd_table(b: &Breakdown, title: &str, protect: Protect) -> Result<Table> {
    Table::from_df("", title, &b.table, protect)
}

fn one_way() -> Protect {
    Protect::Columns { group: Vec::new() }
}

fn months_table(b: &mut Builder) -> Result<()> {
    let months = breakdown(b.a, b.p, &[Dim::Month])?;
    b.part.notes.extend(months.notes.iter().cloned());
    let t = bd_table(
        &months,
        &format!("{}: month by month against the year before", b.name),
        one_way(),
    )?;
    b.push(Kind::Months, t);
    Ok(())
}

/// Wards, location types (when recorded) and the top locations.
fn place_tables(b: &mut Builder) -> Result<()> {
    let (a, p) = (b.a, b.p);
    let wards = breakdown(a, p, &[Dim::Ward])?;
    let t = bd_table(&wards, &format!("{}: wards", b.name), one_way())?;
    b.push(Kind::Wards, t);
    let unrecorded_location =
        csa_analysis::breakdown::unrecorded_cols(&a.data.crimes, &[Col::LocationType]);
    if unrecorded_location.is_empty() {
        let lt = breakdown(a, p, &[Dim::LocationType])?;
        let t = bd_table(&lt, &format!("{}: location types", b.name), one_way())?;
        b.push(Kind::LocationTypes, t);
    } else {
        b.part.notes.push("location type is not recorded in this data (police.uk data has none), so there is no location-type table".into());
    }
    let top = csa_analysis::location::top_locations(a, p, a.config.top_n)?;
    let mut top = Table::from_df(
        "",
        &format!("{}: top {} locations", b.name, a.config.top_n),
        &top,
        Protect::Primary,
    )?;
    top.restricted_columns = vec![names::EASTING.into(), names::NORTHING.into()];
    top.drop_small_rows = true;
    b.push(Kind::TopLocations, top);
    Ok(())
}

/// The day x hour matrix with a total row.
fn day_hour_table(b: &mut Builder) -> Result<()> {
    let df = csa_analysis::location::day_hour(b.a, b.p)?;
    let mut t = Table::from_df(
        "",
        &format!("{}: day of week x hour committed", b.name),
        &df,
        Protect::Matrix { total_row: true },
    )?;
    for j in 1..t.columns.len() {
        t.roles[j] = Role::Count;
    }
    let mut total = vec![Cell::Text(col::ALL_DAYS_ROW.into())];
    for j in 1..t.columns.len() {
        total.push(Cell::Int(t.rows.iter().map(|r| r[j].as_i64().unwrap_or(0)).sum()));
    }
    t.rows.push(total);
    b.push(Kind::DayHour, t);
    Ok(())
}

/// Age band x sex as a matrix with totals, from a two-dimension breakdown.
fn age_sex_matrix(b: &Breakdown, title: &str, age_col: &str, sex_col: &str) -> Result<Table> {
    let t = Table::from_df("", title, &b.table, Protect::Primary)?;
    let mut ages: Vec<String> = Vec::new();
    let mut sexes: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(String, String), i64> = BTreeMap::new();
    for i in 0..t.rows.len() {
        let a = t.get(i, age_col).text();
        let s = t.get(i, sex_col).text();
        if !ages.contains(&a) {
            ages.push(a.clone());
        }
        if !sexes.contains(&s) {
            sexes.push(s.clone());
        }
        *cells.entry((a, s)).or_default() += t.get(i, names::COUNT).as_i64().unwrap_or(0);
    }
    // age bands in breakdown order are by key (youngest first, "not recorded" last)
    let order = |s: &String| match s.to_ascii_lowercase().as_str() {
        "female" => 0,
        "male" => 1,
        x if x.starts_with('(') => 9,
        _ => 5,
    };
    sexes.sort_by(|a, b| order(a).cmp(&order(b)).then(a.cmp(b)));
    let mut columns: Vec<String> = vec![age_col.to_string()];
    columns.extend(sexes.iter().map(|s| s.to_lowercase()));
    columns.push(col::TOTAL.into());
    let mut roles = vec![Role::Key];
    roles.extend(std::iter::repeat_n(Role::Count, sexes.len() + 1));
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut m = Table::new("", title, &cols, &roles, Protect::Matrix { total_row: true });
    let mut totals = vec![0i64; sexes.len() + 1];
    for a in &ages {
        let mut row = vec![Cell::Text(a.clone())];
        let mut sum = 0;
        for (k, s) in sexes.iter().enumerate() {
            let v = cells.get(&(a.clone(), s.clone())).copied().unwrap_or(0);
            sum += v;
            totals[k] += v;
            row.push(Cell::Int(v));
        }
        totals[sexes.len()] += sum;
        row.push(Cell::Int(sum));
        m.rows.push(row);
    }
    let mut last = vec![Cell::Text(col::TOTAL_ROW.into())];
    last.extend(totals.into_iter().map(Cell::Int));
    m.rows.push(last);
    Ok(m)
}

/// Victims and offenders: age x sex, ethnicity, repeats, relationship (domestic abuse) and
/// the most prolific offenders (restricted edition only).
fn people_tables(b: &mut Builder) -> Result<()> {
    let (a, p) = (b.a, b.p);
    let domestic = p.filter.domestic_abuse == Some(true);
    let mut repeat_rows = Vec::new();
    for who in Who::BOTH {
        let (age, sex, eth) = match who {
            Who::Victims => (Dim::VictimAgeBand, Dim::VictimSex, Dim::VictimEthnicity),
            Who::Offenders => (Dim::OffenderAgeBand, Dim::OffenderSex, Dim::OffenderEthnicity),
        };
        let w = who.name();
        if !crate::build::has_side(a, who.side()) {
            b.part.notes.push(format!(
                "The data has no {w} (its extracts had no {w} file), so {} has no {w} figures.",
                b.name
            ));
            continue;
        }
        let by_age_sex = breakdown(a, p, &[age, sex])?;
        let t = age_sex_matrix(
            &by_age_sex,
            &format!("{}: {w} by age band and sex (records, one per person per crime)", b.name),
            age.name(),
            sex.name(),
        )?;
        b.push(Kind::AgeSex(who), t);
        let e = breakdown(a, p, &[eth])?;
        let t = bd_table(&e, &format!("{}: {w} by ethnicity", b.name), one_way())?;
        b.push(Kind::Ethnicity(who), t);
        let side = who.side();
        let r = repeats(a, p, side)?;
        if side == Side::Victim {
            b.part.repeat_victim_crimes_pct = r.crimes_share_pct;
        }
        let within =
            if side == Side::Victim && domestic { Some(repeat_within(a, p, 365)?) } else { None };
        b.part.notes.extend(within.as_ref().and_then(|w| w.note()));
        let count = |v: u64| Cell::Int(v as i64);
        let pct = |v: Option<f64>| v.map_or(Cell::Null, Cell::Float);
        repeat_rows.push(vec![
            Cell::Text(w.to_string()),
            count(r.people),
            count(r.repeat_people),
            pct(r.repeat_share_pct),
            count(r.crimes),
            count(r.crimes_with_repeat),
            pct(r.crimes_share_pct),
            count(r.max_crimes),
            within.as_ref().and_then(|w| w.repeat_victim_records).map_or(Cell::Null, count),
            within.as_ref().map_or(Cell::Null, |w| pct(w.repeat_victim_pct)),
            within.as_ref().and_then(|w| w.same_pair_records).map_or(Cell::Null, count),
            within.as_ref().map_or(Cell::Null, |w| pct(w.same_pair_pct)),
        ]);
    }
    let mut t = Table::new(
        "",
        &format!("{}: repeat victims and offenders (2 or more crimes in the period)", b.name),
        &REPEAT_COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>(),
        &REPEAT_COLUMNS.iter().map(|c| c.1).collect::<Vec<_>>(),
        Protect::Primary,
    );
    t.rows = repeat_rows;
    if !domestic {
        for c in &REPEAT_COLUMNS[8..] {
            t.drop_column(c.0);
        }
    }
    b.push(Kind::Repeats, t);
    let has_offenders = crate::build::has_side(a, Side::Offender);
    if domestic && has_offenders {
        let rel = breakdown(a, p, &[Dim::OffenderRelationship])?;
        let t = bd_table(
            &rel,
            &format!("{}: offender's relationship to the victim", b.name),
            one_way(),
        )?;
        b.push(Kind::Relationship, t);
    }
    if has_offenders {
        let pro = prolific_offenders(a, p, a.config.top_n)?;
        let mut pro = Table::from_df(
            "",
            &format!("{}: the {} most prolific offenders (pseudonymised)", b.name, a.config.top_n),
            &pro,
            Protect::Primary,
        )?;
        pro.public = false;
        b.push(Kind::ProlificOffenders, pro);
    }
    Ok(())
}

/// Connected groups (8-neighbour) of the hot cells, largest (most crimes) first.
fn hot_clusters(run: &HotspotRun) -> Vec<Vec<usize>> {
    let (Some(grid), Some(csa_analysis::hotspots::Shading::Bins(bins))) = (&run.grid, &run.shading)
    else {
        return Vec::new();
    };
    let counts = grid.count(&run.points.xy).counts;
    let hot: Vec<usize> = (0..grid.len()).filter(|&i| bins[i] >= 2).collect();
    let index: FxHashMap<(i64, i64), u32> =
        hot.iter().enumerate().map(|(k, &i)| (grid.cells[i], k as u32)).collect();
    let mut sets = UnionFind::new(hot.len());
    for (k, &i) in hot.iter().enumerate() {
        let (c, r) = grid.cells[i];
        for (dc, dr) in [(1, -1), (1, 0), (1, 1), (0, 1)] {
            if let Some(&m) = index.get(&(c + dc, r + dr)) {
                sets.union(k as u32, m);
            }
        }
    }
    let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (k, &i) in hot.iter().enumerate() {
        groups.entry(sets.find(k as u32)).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_values()
        .map(|mut m| {
            m.sort_unstable();
            m
        })
        .collect();
    let crimes = |m: &Vec<usize>| m.iter().map(|&i| u64::from(counts[i])).sum::<u64>();
    out.sort_by(|a, b| crimes(b).cmp(&crimes(a)).then(a[0].cmp(&b[0])));
    out
}

/// Gi* and KDE with the configured cell, band and permutations, the clusters of hot cells
/// and their table; a note instead when too few crimes have a position.
fn hotspot_tables(b: &mut Builder, area: Option<&hotspots::Area>) -> Result<()> {
    let (a, p) = (b.a, b.p);
    let pts = hotspots::points(a, p, a.periods.current)?;
    let s = &a.config.hotspots;
    if pts.xy.len() < s.min_crimes {
        b.part.notes.push(format!(
            "{} crimes with a position in the period (fewer than {}), so no hotspot analysis",
            pts.xy.len(),
            s.min_crimes
        ));
        return Ok(());
    }
    let base = HotspotOptions {
        method: Method::Gi,
        cell: Some(s.cell_m),
        band: Some(s.band_m),
        permutations: s.permutations,
        seed: s.seed,
        ..HotspotOptions::default()
    };
    let gi = hotspots::hotspots(a, p, area, &base)?;
    let kde =
        hotspots::hotspots(a, p, area, &HotspotOptions { method: Method::Kde, ..base.clone() })?;
    let clusters = hot_clusters(&gi);
    if let (Some(grid), Some(cells)) = (&gi.grid, &gi.cells) {
        let counts = grid.count(&gi.points.xy).counts;
        let located: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        let in_hot: u64 = clusters.iter().flatten().map(|&i| u64::from(counts[i])).sum();
        b.part.hot_share_pct = (located > 0)
            .then(|| csa_analysis::breakdown::round2(100.0 * in_hot as f64 / located as f64));
        let all = Table::from_df("cells", "", cells, Protect::Primary)?;
        let mut t = Table::new(
            "",
            &format!("{}: Gi* hot cells (95% or more, FDR), {} m cells", b.name, s.cell_m),
            &[
                names::CLUSTER,
                names::CELL_X,
                names::CELL_Y,
                names::COUNT,
                names::GI_Z,
                names::GI_P,
                names::GI_BIN,
            ],
            &[Role::Key, Role::Key, Role::Key, Role::Count, Role::Other, Role::Other, Role::Other],
            Protect::Primary,
        );
        for (k, members) in clusters.iter().enumerate() {
            for &i in members {
                t.rows.push(vec![
                    Cell::Int(k as i64 + 1),
                    all.get(i, names::CELL_X).clone(),
                    all.get(i, names::CELL_Y).clone(),
                    all.get(i, names::COUNT).clone(),
                    all.get(i, names::GI_Z).clone(),
                    all.get(i, names::GI_P).clone(),
                    all.get(i, names::GI_BIN).clone(),
                ]);
            }
        }
        b.push(Kind::HotspotCells, t);
    }
    b.part.notes.extend(gi.notes.iter().cloned());
    b.part.hotspots = Some(Hotspots { gi, kde, clusters });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_titles() {
        assert_eq!(slug("Hate crime - race"), "hate_crime_race");
        assert_eq!(title_of(&Priority::all()), "All crime and ASB");
    }
}
