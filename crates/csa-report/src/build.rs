//! Running every analysis of the pack: one call per table into the analysis API
//! ([`csa_analysis`]), nothing re-computed here. The tables come out with exact figures; the
//! public edition is made from them by [`crate::table::Table::publish`].
//!
//! Per priority (every configured one, `all` for the overview): monthly trend against the
//! comparison year, wards (count, rate, change), location types, top locations, day of week
//! x hour, and with people: victims and offenders by age band x sex and by ethnicity,
//! repeats (and for domestic abuse the 12-month repeat rule and the relationship), the most
//! prolific offenders (restricted edition only), equalities; hotspots (Gi* with the
//! configured cell, band and permutations, and KDE) where it has enough located crimes.
//!
//! Hotspot clusters are the connected groups (8-neighbour) of Gi* hot cells at 95% or more
//! (FDR bins +2, +3); the hotspot share of a priority is the share of its located crimes in
//! those cells, one half of the "concentration" ranking factor.

use std::collections::BTreeMap;

use csa_analysis::breakdown::{breakdown, Breakdown};
use csa_analysis::config::{same_name, Priority};
use csa_analysis::hotspots::{self, HotspotOptions, HotspotRun, Method};
use csa_analysis::ranking::{rank, volume_factors, Factors, Ranked};
use csa_analysis::repeats::{prolific_offenders, repeat_within, repeats};
use csa_analysis::survey::Survey;
use csa_analysis::{names, Assessment, Dim, Result, Side};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::table::{find, Cell, Protect, Role, Table};

/// One priority's part of the pack.
#[derive(Debug, Clone)]
pub struct PriorityPart {
    pub priority: Priority,
    pub slug: String,
    /// Names of its tables, in report order.
    pub tables: Vec<String>,
    pub notes: Vec<String>,
    pub hotspots: Option<Hotspots>,
    /// Located crimes in Gi* hot cells (95%), as a % of its located crimes.
    pub hot_share_pct: Option<f64>,
    /// % of its crimes suffered by repeat victims.
    pub repeat_victim_crimes_pct: Option<f64>,
    /// False when its definition needs columns the data does not record and nothing matches.
    pub measurable: bool,
}

/// A priority's hotspot runs.
#[derive(Debug, Clone)]
pub struct Hotspots {
    pub gi: HotspotRun,
    pub kde: HotspotRun,
    /// Cells of each cluster (indices into the Gi* grid), largest cluster first.
    pub clusters: Vec<Vec<usize>>,
}

/// Everything the pack reports, before publication.
pub struct Built {
    pub assessment: Assessment,
    pub area: Option<hotspots::Area>,
    pub tables: Vec<Table>,
    pub parts: Vec<PriorityPart>,
    pub ranking: Vec<Ranked>,
    pub survey: Option<(Survey, std::path::PathBuf)>,
    pub manifest: serde_json::Value,
    pub notes: Vec<String>,
    /// The Reducing Re-offending section.
    pub reoffending: crate::reoffending::ReoffendingSection,
}

/// `Violence with injury` -> `violence_with_injury` (file stems of the pack).
pub fn slug(name: &str) -> String {
    csa_analysis::config::slug(name, '_')
}

fn bd_table(b: &Breakdown, name: &str, title: &str, protect: Protect) -> Result<Table> {
    Table::from_df(name, title, &b.table, protect)
}

fn one_way() -> Protect {
    Protect::Columns { group: Vec::new() }
}

/// Age band x sex as a matrix with totals, from a two-dimension breakdown.
fn age_sex_matrix(
    b: &Breakdown,
    name: &str,
    title: &str,
    age_col: &str,
    sex_col: &str,
) -> Result<Table> {
    let t = Table::from_df(name, title, &b.table, Protect::Primary)?;
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
    columns.push("total".into());
    let mut roles = vec![Role::Key];
    roles.extend(std::iter::repeat_n(Role::Count, sexes.len() + 1));
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut m = Table::new(name, title, &cols, &roles, Protect::Matrix { total_row: true });
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
    let mut last = vec![Cell::Text("Total".into())];
    last.extend(totals.into_iter().map(Cell::Int));
    m.rows.push(last);
    Ok(m)
}

/// The day x hour matrix with a total row.
fn day_hour_table(a: &Assessment, p: &Priority, name: &str, title: &str) -> Result<Table> {
    let df = csa_analysis::location::day_hour(a, p)?;
    let mut t = Table::from_df(
        name,
        &format!("{title}: day of week x hour committed"),
        &df,
        Protect::Matrix { total_row: true },
    )?;
    for j in 1..t.columns.len() {
        t.roles[j] = Role::Count;
    }
    let mut total = vec![Cell::Text("All days".into())];
    for j in 1..t.columns.len() {
        total.push(Cell::Int(t.rows.iter().map(|r| r[j].as_i64().unwrap_or(0)).sum()));
    }
    t.rows.push(total);
    Ok(t)
}

/// Connected groups (8-neighbour) of the hot cells, largest (most crimes) first.
fn hot_clusters(run: &HotspotRun) -> Vec<Vec<usize>> {
    let (Some(grid), Some(csa_analysis::hotspots::Shading::Bins(bins))) = (&run.grid, &run.shading)
    else {
        return Vec::new();
    };
    let counts = grid.count(&run.points.xy).counts;
    let hot: FxHashMap<(i64, i64), usize> =
        (0..grid.len()).filter(|&i| bins[i] >= 2).map(|i| (grid.cells[i], i)).collect();
    let mut seen: FxHashMap<usize, bool> = FxHashMap::default();
    let mut order: Vec<usize> = hot.values().copied().collect();
    order.sort_unstable();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for start in order {
        if seen.contains_key(&start) {
            continue;
        }
        let mut stack = vec![start];
        seen.insert(start, true);
        let mut members = Vec::new();
        while let Some(i) = stack.pop() {
            members.push(i);
            let (c, r) = grid.cells[i];
            for dc in -1..=1 {
                for dr in -1..=1 {
                    if let Some(&k) = hot.get(&(c + dc, r + dr)) {
                        if seen.insert(k, true).is_none() {
                            stack.push(k);
                        }
                    }
                }
            }
        }
        members.sort_unstable();
        out.push(members);
    }
    let crimes = |m: &Vec<usize>| m.iter().map(|&i| u64::from(counts[i])).sum::<u64>();
    out.sort_by(|a, b| crimes(b).cmp(&crimes(a)).then(a[0].cmp(&b[0])));
    out
}

/// Columns of a priority's repeats table (the last four for domestic abuse only: the MARAC
/// rule, again within 365 days).
pub const REPEAT_COLUMNS: [(&str, Role); 12] = [
    ("side", Role::Key),
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

/// The name of a priority in titles (`all` reads "All crime and ASB").
pub fn title_of(p: &Priority) -> String {
    if same_name(&p.name, csa_analysis::config::ALL) {
        "All crime and ASB".into()
    } else {
        p.name.clone()
    }
}

fn priority_part(
    a: &Assessment,
    p: &Priority,
    area: Option<&hotspots::Area>,
    has_people: bool,
) -> Result<(PriorityPart, Vec<Table>)> {
    let slug = slug(&p.name);
    let name = title_of(p);
    let mut tables = Vec::new();
    let mut notes = Vec::new();
    let sel = csa_analysis::breakdown::select(a, p)?;
    if !sel.unrecorded.is_empty() {
        let cols: Vec<&str> = sel.unrecorded.iter().map(|c| c.name()).collect();
        if sel.current.is_empty() && sel.comparison.is_empty() {
            notes.push(format!("{name} cannot be measured on this data: its definition needs {}, which the data does not record (police.uk data has no offence codes, flags or times). A force extract measures it.", cols.join(", ")));
            let part = PriorityPart {
                priority: p.clone(),
                slug,
                tables: Vec::new(),
                notes,
                hotspots: None,
                hot_share_pct: None,
                repeat_victim_crimes_pct: None,
                measurable: false,
            };
            return Ok((part, tables));
        }
        notes.push(format!("{name} is only partly measured on this data: the part of its definition that needs {} matches nothing, because the data does not record it.", cols.join(", ")));
    }
    let months = breakdown(a, p, &[Dim::Month])?;
    notes.extend(months.notes.iter().cloned());
    tables.push(bd_table(
        &months,
        &format!("{slug}_months"),
        &format!("{name}: month by month against the year before"),
        one_way(),
    )?);
    let wards = breakdown(a, p, &[Dim::Ward])?;
    tables.push(bd_table(&wards, &format!("{slug}_wards"), &format!("{name}: wards"), one_way())?);
    let unrecorded_location =
        csa_analysis::breakdown::unrecorded_cols(&a.data.crimes, &[csa_model::Col::LocationType]);
    if unrecorded_location.is_empty() {
        let lt = breakdown(a, p, &[Dim::LocationType])?;
        tables.push(bd_table(
            &lt,
            &format!("{slug}_location_types"),
            &format!("{name}: location types"),
            one_way(),
        )?);
    } else {
        notes.push("location type is not recorded in this data (police.uk data has none), so there is no location-type table".into());
    }
    let top = csa_analysis::location::top_locations(a, p, a.config.top_n)?;
    let mut top = Table::from_df(
        &format!("{slug}_top_locations"),
        &format!("{name}: top {} locations", a.config.top_n),
        &top,
        Protect::Primary,
    )?;
    top.restricted_columns = vec![names::EASTING.into(), names::NORTHING.into()];
    top.drop_small_rows = true;
    tables.push(top);
    tables.push(day_hour_table(a, p, &format!("{slug}_day_hour"), &name)?);
    let mut repeat_victim_crimes_pct = None;
    if has_people {
        let mut repeat_rows = Vec::new();
        for (side, who, age, sex, eth) in [
            (Side::Victim, "victims", Dim::VictimAgeBand, Dim::VictimSex, Dim::VictimEthnicity),
            (
                Side::Offender,
                "offenders",
                Dim::OffenderAgeBand,
                Dim::OffenderSex,
                Dim::OffenderEthnicity,
            ),
        ] {
            if !has_side(a, side) {
                notes.push(format!("The data has no {who} (its extracts had no {who} file), so {name} has no {who} figures."));
                continue;
            }
            let b = breakdown(a, p, &[age, sex])?;
            tables.push(age_sex_matrix(
                &b,
                &format!("{slug}_{who}_age_sex"),
                &format!("{name}: {who} by age band and sex (records, one per person per crime)"),
                age.name(),
                sex.name(),
            )?);
            let e = breakdown(a, p, &[eth])?;
            tables.push(bd_table(
                &e,
                &format!("{slug}_{who}_ethnicity"),
                &format!("{name}: {who} by ethnicity"),
                one_way(),
            )?);
            let r = repeats(a, p, side)?;
            if side == Side::Victim {
                repeat_victim_crimes_pct = r.crimes_share_pct;
            }
            let within = if side == Side::Victim && p.filter.domestic_abuse == Some(true) {
                Some(repeat_within(a, p, 365)?)
            } else {
                None
            };
            notes.extend(within.as_ref().and_then(|w| w.note()));
            let count = |v: u64| Cell::Int(v as i64);
            let pct = |v: Option<f64>| v.map_or(Cell::Null, Cell::Float);
            repeat_rows.push(vec![
                Cell::Text(who.to_string()),
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
            &format!("{slug}_repeats"),
            &format!("{name}: repeat victims and offenders (2 or more crimes in the period)"),
            &REPEAT_COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>(),
            &REPEAT_COLUMNS.iter().map(|c| c.1).collect::<Vec<_>>(),
            Protect::Primary,
        );
        t.rows = repeat_rows;
        if p.filter.domestic_abuse != Some(true) {
            for c in &REPEAT_COLUMNS[8..] {
                t.drop_column(c.0);
            }
        }
        tables.push(t);
        if p.filter.domestic_abuse == Some(true) && has_side(a, Side::Offender) {
            let rel = breakdown(a, p, &[Dim::OffenderRelationship])?;
            tables.push(bd_table(
                &rel,
                &format!("{slug}_relationship"),
                &format!("{name}: offender's relationship to the victim"),
                one_way(),
            )?);
        }
        if has_side(a, Side::Offender) {
            let pro = prolific_offenders(a, p, a.config.top_n)?;
            let mut pro = Table::from_df(
                &format!("{slug}_prolific_offenders"),
                &format!("{name}: the {} most prolific offenders (pseudonymised)", a.config.top_n),
                &pro,
                Protect::Primary,
            )?;
            pro.public = false;
            tables.push(pro);
        }
    }
    // hotspots
    let mut hot = None;
    let mut hot_share_pct = None;
    let pts = hotspots::points(a, p, a.periods.current)?;
    let s = &a.config.hotspots;
    if pts.xy.len() >= s.min_crimes {
        let base = HotspotOptions {
            method: Method::Gi,
            cell: Some(s.cell_m),
            band: Some(s.band_m),
            permutations: s.permutations,
            seed: s.seed,
            ..HotspotOptions::default()
        };
        let gi = hotspots::hotspots(a, p, area, &base)?;
        let kde = hotspots::hotspots(
            a,
            p,
            area,
            &HotspotOptions { method: Method::Kde, ..base.clone() },
        )?;
        let clusters = hot_clusters(&gi);
        if let (Some(grid), Some(cells)) = (&gi.grid, &gi.cells) {
            let counts = grid.count(&gi.points.xy).counts;
            let located: u64 = counts.iter().map(|&c| u64::from(c)).sum();
            let in_hot: u64 = clusters.iter().flatten().map(|&i| u64::from(counts[i])).sum();
            hot_share_pct = (located > 0)
                .then(|| csa_analysis::breakdown::round2(100.0 * in_hot as f64 / located as f64));
            let all = Table::from_df("cells", "", cells, Protect::Primary)?;
            let mut t = Table::new(
                &format!("{slug}_hotspot_cells"),
                &format!("{name}: Gi* hot cells (95% or more, FDR), {} m cells", s.cell_m),
                &[
                    names::CLUSTER,
                    names::CELL_X,
                    names::CELL_Y,
                    names::COUNT,
                    names::GI_Z,
                    names::GI_P,
                    names::GI_BIN,
                ],
                &[
                    Role::Key,
                    Role::Key,
                    Role::Key,
                    Role::Count,
                    Role::Other,
                    Role::Other,
                    Role::Other,
                ],
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
            tables.push(t);
        }
        notes.extend(gi.notes.iter().cloned());
        hot = Some(Hotspots { gi, kde, clusters });
    } else {
        notes.push(format!(
            "{} crimes with a position in the period (fewer than {}), so no hotspot analysis",
            pts.xy.len(),
            s.min_crimes
        ));
    }
    notes.sort();
    notes.dedup();
    let part = PriorityPart {
        priority: p.clone(),
        slug,
        tables: tables.iter().map(|t| t.name.clone()).collect(),
        notes,
        hotspots: hot,
        hot_share_pct,
        repeat_victim_crimes_pct,
        measurable: true,
    };
    Ok((part, tables))
}

/// Whether the data has any people on `side` (an extract may come with victims but no
/// offenders, or the other way round).
fn has_side(a: &Assessment, side: Side) -> bool {
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
    let mut tables = Vec::new();
    let volume = csa_analysis::volume::volume(&a, &priorities)?;
    tables.push(Table::from_df(
        "priority_volumes",
        "Priorities: volume, change, rate and harm",
        &volume,
        Protect::Primary,
    )?);
    let all = Priority::all();
    let ct = breakdown(&a, &all, &[Dim::CrimeType])?;
    tables.push(bd_table(&ct, "crime_types", "All crime and ASB by type", one_way())?);
    let parts: Vec<(PriorityPart, Vec<Table>)> = priorities
        .par_iter()
        .map(|p| priority_part(&a, p, area.as_ref(), has_people))
        .collect::<Result<_>>()?;
    // equalities of every priority in one table per side
    if has_people {
        for (side, who) in [(Side::Victim, "victims"), (Side::Offender, "offenders")] {
            if !has_side(&a, side) {
                notes.push(format!("The data has no {who} (its extracts had no {who} file): the equalities of {who} need them."));
                continue;
            }
            let mut long: Option<Table> = None;
            for p in &priorities {
                let df = csa_analysis::equalities::equalities(&a, p, side)?;
                let t = Table::from_df("eq", "", &df, one_way())?;
                let l = long.get_or_insert_with(|| {
                    let mut cols = vec![names::PRIORITY];
                    cols.extend(t.columns.iter().map(String::as_str));
                    let mut roles = vec![Role::Key];
                    roles.extend(t.roles.iter().copied());
                    Table::new(
                        &format!("equalities_{who}"),
                        &format!("Equalities: {who}' share of each group against the group's share of residents"),
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
            if let Some(mut l) = long {
                // people per group add up to `known`, which is published: a one-way list per
                // priority and dimension
                l.set_role(names::PEOPLE, Role::Count);
                tables.push(l);
            }
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
    // ward profiles: every priority's ward rows, grouped by priority (the same lists as the
    // priorities' ward tables, so published the same way)
    let mut profiles = Table::new(
        "ward_profiles",
        "Ward profiles: every priority in every ward",
        &[
            names::PRIORITY,
            "ward_code",
            "ward_name",
            names::COUNT,
            names::COMPARISON,
            names::CHANGE_PCT,
            names::RATE_PER_1000,
            "area_rate_per_1000",
            "ratio_to_area",
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
    let vol = find(&tables, "priority_volumes").cloned();
    for part in &out_parts {
        let Some(w) = find(&tables, &format!("{}_wards", part.slug)) else { continue };
        let area_rate = vol
            .as_ref()
            .and_then(|v| {
                v.find(names::PRIORITY, &part.priority.name)
                    .map(|i| v.get(i, names::RATE_PER_1000).clone())
            })
            .unwrap_or(Cell::Null);
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
                w.get(i, "ward_code").clone(),
                w.get(i, "ward_name").clone(),
                w.get(i, names::COUNT).clone(),
                w.get(i, names::COMPARISON).clone(),
                w.get(i, names::CHANGE_PCT).clone(),
                rate,
                area_rate.clone(),
                ratio,
            ]);
        }
    }
    tables.push(profiles);
    // ranking of the configured priorities
    let concern = |p: &Priority| -> Option<f64> {
        let (s, _) = survey.as_ref()?;
        if p.survey.is_empty() {
            return None;
        }
        // weighted to the population when the consultation settings say so
        s.concern_pct(&p.survey)
    };
    let vol_t =
        vol.ok_or_else(|| csa_analysis::AnalysisError::Internal("no volume table".into()))?;
    let ranked_parts: Vec<_> = out_parts
        .iter()
        .filter(|part| {
            part.measurable && !same_name(&part.priority.name, csa_analysis::config::ALL)
        })
        .collect();
    // one denominator for every priority's volume (residents; counts when unknown)
    let counts: Vec<u64> = ranked_parts
        .iter()
        .map(|part| {
            vol_t
                .find(names::PRIORITY, &part.priority.name)
                .and_then(|i| vol_t.get(i, names::COUNT).as_i64())
                .map_or(0, |c| c.max(0) as u64)
        })
        .collect();
    let (volumes, volume_basis) = volume_factors(&counts, a.area_population(false));
    let items: Vec<(String, Factors)> = ranked_parts
        .iter()
        .zip(volumes)
        .map(|(part, volume)| {
            let i = vol_t.find(names::PRIORITY, &part.priority.name);
            let g = |c: &str| i.and_then(|i| vol_t.get(i, c).as_f64());
            let conc: Vec<f64> =
                [part.repeat_victim_crimes_pct, part.hot_share_pct].into_iter().flatten().collect();
            let f = Factors {
                volume: Some(volume),
                trend: g(names::CHANGE_PCT),
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
        if out_parts.iter().any(|p| {
            p.priority.name == r.priority
                && p.notes.iter().any(|n| n.contains("only partly measured"))
        }) {
            r.reason.push_str("; only partly measured on this data");
        }
    }
    let unranked: Vec<&str> =
        out_parts.iter().filter(|p| !p.measurable).map(|p| p.priority.name.as_str()).collect();
    if !unranked.is_empty() {
        notes.push(format!("Not measurable on this data, so not ranked: {}.", unranked.join(", ")));
    }
    let mut rt = Table::new(
        "priority_ranking",
        "Priority ranking: factors, scores (1-5) and weighted total",
        &[
            "rank",
            names::PRIORITY,
            names::SUBGROUPS,
            names::COUNT,
            "volume",
            "household_rate_per_1000",
            "trend_pct",
            "harm_css",
            "concentration_pct",
            "concern_pct",
            "volume_score",
            "trend_score",
            "harm_score",
            "concentration_score",
            "concern_score",
            "total_score",
            "reason",
        ],
        &[
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
            Role::Other,
            Role::Other,
            Role::Other,
            Role::Other,
            Role::Other,
            Role::Other,
            // the reason quotes the factors: hidden with a hidden count
            Role::Derived,
        ],
        Protect::Primary,
    );
    let num =
        |v: Option<f64>| v.map_or(Cell::Null, |x| Cell::Float(csa_analysis::breakdown::round2(x)));
    for r in &ranking {
        let part = out_parts.iter().find(|p| p.priority.name == r.priority);
        let i = vol_t.find(names::PRIORITY, &r.priority);
        let mut row = vec![
            Cell::Int(r.rank as i64),
            Cell::Text(r.priority.clone()),
            Cell::Text(
                part.map(|p| {
                    p.priority.subgroups.iter().map(|g| g.name()).collect::<Vec<_>>().join("; ")
                })
                .unwrap_or_default(),
            ),
            i.map_or(Cell::Null, |i| vol_t.get(i, names::COUNT).clone()),
            num(r.factors.volume),
            // the priority's own rate where it is per household (beside the common factor)
            match part.map(|p| p.priority.denominator) {
                Some(csa_analysis::config::Denominator::Households) => {
                    i.map_or(Cell::Null, |i| vol_t.get(i, names::RATE_PER_1000).clone())
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
    tables.push(rt);
    // survey
    if let Some((s, _)) = &survey {
        for (name, df) in s.tables()? {
            let mut t = Table::from_df(&name, &survey_title(&name), &df, Protect::Primary)?;
            // free text: an answer given by fewer than 5 people is not published
            t.drop_small_rows = name == "survey_ways_to_help" || name == "survey_other_answers";
            if name == "survey_yes_no" {
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
            tables.push(t);
        }
    }
    // data quality, from the dataset's manifest
    let manifest: serde_json::Value = std::fs::read(a.data.info.dir.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut inputs = Table::new(
        "data_quality_inputs",
        "Data quality: every input file's rows, accepted or quarantined",
        &["input", "sha256", "accepted", "quarantined", "rows_read"],
        &[Role::Key, Role::Key, Role::Count, Role::Count, Role::Count],
        Protect::Matrix { total_row: false },
    );
    let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
    for i in manifest.get("inputs").and_then(|v| v.as_array()).into_iter().flatten() {
        let n = |k: &str| Cell::Int(i.get(k).and_then(|v| v.as_i64()).unwrap_or(0));
        let path = i.get("path").and_then(|v| v.as_str()).unwrap_or("");
        let file = std::path::Path::new(path)
            .file_name()
            .map_or(path.to_string(), |f| f.to_string_lossy().into_owned());
        inputs.rows.push(vec![
            Cell::Text(file),
            Cell::Text(i.get("sha256").and_then(|v| v.as_str()).unwrap_or("").into()),
            n("accepted"),
            n("quarantined"),
            n("rows_read"),
        ]);
        for (k, v) in
            i.get("quarantined_by_reason").and_then(|v| v.as_object()).into_iter().flatten()
        {
            *reasons.entry(k.clone()).or_default() += v.as_i64().unwrap_or(0);
        }
    }
    tables.push(inputs);
    let mut qt = Table::new(
        "data_quality_quarantine",
        "Data quality: quarantined rows by reason",
        &["reason", "rows"],
        &[Role::Key, Role::Count],
        one_way(),
    );
    for (k, v) in reasons {
        qt.rows.push(vec![Cell::Text(k), Cell::Int(v)]);
    }
    tables.push(qt);
    let (reoffending, reoffending_tables) = crate::reoffending::section(&a)?;
    tables.extend(reoffending_tables);
    Ok(Built {
        assessment: a,
        area,
        tables,
        parts: out_parts,
        ranking,
        survey,
        manifest,
        notes,
        reoffending,
    })
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
