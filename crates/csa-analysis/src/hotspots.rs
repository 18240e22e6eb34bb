//! Hotspots and near repeats of a priority: its crimes as British National Grid points, the
//! study area they are analysed over, and each method of `csa-hotspots` run on them, with the
//! parameters actually used recorded next to the result (`parameters`, written out as JSON).
//!
//! - **Points**: the priority's records in the period (restricted to the area like every
//!   breakdown) with an easting and northing; records without one are counted and reported.
//!   Days (for near repeats) are the committed date when recorded, else the recorded date;
//!   records dated to the month only (police.uk) are left out of near-repeat analysis.
//! - **Study area**: the wards of the boundaries file (given, configured, or the one the
//!   dataset was built with), restricted to the assessment area's wards, converted to BNG.
//!   Without one, grids cover the points' bounding box.
//! - **Grid methods** (Gi*, KDE, emerging) share one grid: cell size given or automatic (see
//!   `csa_hotspots::grid`), clipped to the study area. Gi* also evaluates the comparison
//!   period's hot cells against the current period's crimes (PAI) and their persistence.
//! - One function per method: `grid_method` makes the grid and counts, then `gi_cells`,
//!   `kde_cells` or `emerging_cells` adds the method's columns; `cluster_method` runs
//!   `dbscan_clusters` or `nnh_clusters` and tabulates the clusters and repeat locations.
//!   `hotspots()` only records the common parameters and picks the method.

use std::path::{Path, PathBuf};

use csa_hotspots::clusters::{repeat_locations, Cluster};
use csa_hotspots::emerging::emerging;
use csa_hotspots::gistar::gi_star;
use csa_hotspots::grid::auto_cell_size;
use csa_hotspots::knox::{knox, Knox, KnoxOptions};
use csa_hotspots::{dbscan, kde, nnh, pai, Grid, Neighbours, StudyArea};
use csa_model::Col;
use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, text_col};
use crate::config::Priority;
use crate::error::{internal, AnalysisError, Result};
use crate::names;
use crate::needs::Needs;
use crate::period::{Month, Period};

/// The crime columns hotspot and near-repeat analysis reads (besides the priority's filter).
pub const SPATIAL_COLUMNS: &[Col] = &[
    Col::Easting,
    Col::Northing,
    Col::CommittedFrom,
    Col::DatePrecision,
    Col::WardCode,
    Col::WardName,
];

/// A priority's crimes with a position.
#[derive(Debug, Clone, Default)]
pub struct Points {
    /// [easting, northing] in metres.
    pub xy: Vec<[f64; 2]>,
    /// Day of the crime (days since 1970-01-01): committed date if recorded, else recorded.
    pub day: Vec<i64>,
    /// Whether `day` is a true day (false: police.uk month-only dates).
    pub day_precise: Vec<bool>,
    pub month: Vec<Month>,
    /// Records of the priority in the period, with or without a position.
    pub selected: usize,
    pub without_position: usize,
}

/// What the hotspot and near-repeat methods on `p` need loaded: its filter and the points
/// with their dates.
pub fn needs(p: &Priority) -> Needs {
    Needs::for_priorities([p]).with(SPATIAL_COLUMNS.iter().copied())
}

/// The priority's points in `period`.
pub fn points(a: &Assessment, p: &Priority, period: Period) -> Result<Points> {
    let crimes = &a.data.crimes;
    let sel = a.selector(p)?;
    let (e, n) = (crimes.float(Col::Easting)?, crimes.float(Col::Northing)?);
    let committed = crimes.day.get(&Col::CommittedFrom).filter(|v| v.len() == crimes.len);
    let precision = crimes.text.get(&Col::DatePrecision);
    let month_code = precision.and_then(|t| t.code_of("month"));
    let mut out = Points::default();
    let rows = sel.rows(crimes, period);
    out.xy.reserve(rows.len());
    out.day.reserve(rows.len());
    out.day_precise.reserve(rows.len());
    out.month.reserve(rows.len());
    for r in rows {
        let r = r as usize;
        out.selected += 1;
        if !(e[r].is_finite() && n[r].is_finite()) {
            out.without_position += 1;
            continue;
        }
        out.xy.push([e[r], n[r]]);
        let day = committed.map(|c| c[r]).filter(|d| *d != i32::MIN).unwrap_or(crimes.date[r]);
        out.day.push(i64::from(day));
        out.day_precise.push(month_code.is_none_or(|m| precision.is_none_or(|t| t.codes[r] != m)));
        out.month.push(crimes.month[r]);
    }
    Ok(out)
}

/// The study area: the area's wards from a boundaries file, in lon/lat and in BNG.
#[derive(Debug, Clone)]
pub struct Area {
    pub source: PathBuf,
    /// The wards (lon/lat outlines), in file order.
    pub wards: csa_geo::Boundaries,
    /// The same outlines in BNG metres.
    pub study: StudyArea,
}

/// The study area from `file`, else the configured boundaries, else the boundaries file the
/// dataset was built with (when it is still where the manifest says); `None` when there is
/// none of these.
pub fn study_area(a: &Assessment, file: Option<&Path>) -> Result<Option<Area>> {
    let c = &a.config;
    let (path, code, name) = match (file, &c.boundaries, &a.data.info.boundaries) {
        (Some(f), _, _) => {
            (f.to_path_buf(), c.ward_code_property.clone(), c.ward_name_property.clone())
        }
        (None, Some(f), _) => {
            (f.clone(), c.ward_code_property.clone(), c.ward_name_property.clone())
        }
        (None, None, Some(b)) if b.path.exists() => {
            (b.path.clone(), b.code_property.clone(), b.name_property.clone())
        }
        _ => return Ok(None),
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|source| AnalysisError::Read { path: path.clone(), source })?;
    let mut wards = csa_geo::Boundaries::from_geojson(&text, &code, &name)
        .map_err(|e| AnalysisError::Dataset { path: path.clone(), detail: e.to_string() })?;
    let keep: rustc_hash::FxHashSet<&str> = a.area.wards.iter().map(|w| w.0.as_str()).collect();
    if !keep.is_empty() {
        wards.areas.retain(|w| keep.contains(w.code.as_str()));
    }
    if wards.areas.is_empty() {
        return Err(AnalysisError::Dataset {
            path: path.clone(),
            detail: format!("none of its areas (property {code}) is a ward of the assessment area; is it the right boundaries file?"),
        });
    }
    let study =
        StudyArea::new(wards.areas.iter().map(|w| csa_geo::multipolygon_to_bng(&w.geometry)));
    Ok(Some(Area { source: path, wards, study }))
}

/// Which hotspot method to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Gi,
    Kde,
    Nnh,
    Dbscan,
    Emerging,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Gi => "gi",
            Method::Kde => "kde",
            Method::Nnh => "nnh",
            Method::Dbscan => "dbscan",
            Method::Emerging => "emerging",
        }
    }
}

/// Time step of emerging hotspot analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Month,
    Quarter,
}

/// Parameters of a hotspot run; `None` = the documented default.
#[derive(Debug, Clone)]
pub struct HotspotOptions {
    pub method: Method,
    /// Cell size in metres; `None` = 250 m; `Some(0.0)` = automatic.
    pub cell: Option<f64>,
    /// Gi* distance band in metres; `None` = 500 m (twice the cell size with an automatic cell).
    pub band: Option<f64>,
    /// Gi* conditional permutations (0 = analytic p only).
    pub permutations: usize,
    pub seed: u64,
    /// KDE bandwidth in metres; `None` = the ArcGIS default rule.
    pub bandwidth: Option<f64>,
    /// DBSCAN radius in metres.
    pub eps: f64,
    /// Minimum points of a DBSCAN core neighbourhood or an NNH cluster.
    pub min_points: usize,
    /// NNH one-tailed probability of the linking threshold.
    pub nnh_p: f64,
    /// NNH orders at most.
    pub nnh_orders: usize,
    pub step: Step,
    /// Emerging hot spots: earlier time steps in each bin's neighbourhood (ArcGIS's
    /// neighborhood time step; default 1).
    pub time_window: usize,
}

impl Default for HotspotOptions {
    fn default() -> HotspotOptions {
        HotspotOptions {
            method: Method::Gi,
            cell: None,
            band: None,
            permutations: 0,
            seed: 1,
            bandwidth: None,
            eps: 100.0,
            min_points: 10,
            nnh_p: 0.05,
            nnh_orders: 3,
            step: Step::Month,
            time_window: 1,
        }
    }
}

/// How a grid layer is coloured on a map.
#[derive(Debug, Clone, PartialEq)]
pub enum Shading {
    /// Gi* confidence bins -3..=3.
    Bins(Vec<i8>),
    /// A continuous value (density).
    Continuous(Vec<f64>),
    /// A category label per cell (`None` = no pattern).
    Categories(Vec<Option<String>>),
}

/// A hotspot run's results.
#[derive(Debug, Clone)]
pub struct HotspotRun {
    pub method: Method,
    pub priority: String,
    pub period: Period,
    /// The parameters actually used, and evaluation figures (Gi*).
    pub parameters: Map<String, Value>,
    /// Grid methods: the grid, one table row per cell, and its map shading.
    pub grid: Option<Grid>,
    pub cells: Option<DataFrame>,
    pub shading: Option<Shading>,
    /// Clustering methods: the clusters (NNH: of every order) and their table.
    pub clusters: Vec<(usize, Cluster)>,
    pub cluster_table: Option<DataFrame>,
    /// Clustering methods: crimes per exact point, for points with two or more.
    pub repeat_locations: Option<DataFrame>,
    /// The points analysed.
    pub points: Points,
    pub notes: Vec<String>,
}

fn param_err(e: csa_hotspots::HotspotError) -> AnalysisError {
    AnalysisError::Usage(e.to_string())
}

/// Runs `o.method` for priority `p` over the current period.
pub fn hotspots(
    a: &Assessment,
    p: &Priority,
    area: Option<&Area>,
    o: &HotspotOptions,
) -> Result<HotspotRun> {
    let period = a.periods.current;
    let pts = points(a, p, period)?;
    let mut notes = Vec::new();
    if pts.without_position > 0 {
        notes.push(format!(
            "{} of {} records have no position and are left out",
            pts.without_position, pts.selected
        ));
    }
    let mut params = Map::new();
    params.insert("method".into(), json!(o.method.name()));
    params.insert("priority".into(), json!(p.name));
    params.insert("period".into(), json!(period.to_string()));
    params.insert(
        "crs".into(),
        json!("EPSG:27700 (British National Grid) for computation; EPSG:4326 in GeoJSON"),
    );
    params.insert("points".into(), json!(pts.xy.len()));
    params.insert("points_without_position".into(), json!(pts.without_position));
    params.insert("study_area".into(), json!(area.map(|s| s.source.display().to_string())));
    params.insert("study_area_wards".into(), json!(area.map(|s| s.wards.areas.len())));
    let mut run = HotspotRun {
        method: o.method,
        priority: p.name.clone(),
        period,
        parameters: Map::new(),
        grid: None,
        cells: None,
        shading: None,
        clusters: Vec::new(),
        cluster_table: None,
        repeat_locations: None,
        points: Points::default(),
        notes: Vec::new(),
    };
    if pts.xy.is_empty() {
        return Err(AnalysisError::Usage(format!(
            "the priority {:?} has no records with a position in {period}",
            p.name
        )));
    }
    match o.method {
        Method::Gi | Method::Kde | Method::Emerging => {
            let mut ctx = Ctx { a, p, o, pts: &pts, params: &mut params, notes: &mut notes };
            let (grid, cells, shading) = grid_method(&mut ctx, area)?;
            run.grid = Some(grid);
            run.cells = Some(cells);
            run.shading = Some(shading);
        }
        Method::Nnh | Method::Dbscan => cluster_method(&mut run, area, o, &pts, &mut params)?,
    }
    run.parameters = params;
    run.points = pts;
    run.notes = notes;
    Ok(run)
}

/// What each method's function reads and adds to.
struct Ctx<'c> {
    a: &'c Assessment,
    p: &'c Priority,
    o: &'c HotspotOptions,
    pts: &'c Points,
    params: &'c mut Map<String, Value>,
    notes: &'c mut Vec<String>,
}

/// Gi*, KDE and emerging hot spots: one grid (cell size given, default or automatic,
/// clipped to the study area), the points counted in its cells, then the method's columns.
fn grid_method(c: &mut Ctx, area: Option<&Area>) -> Result<(Grid, DataFrame, Shading)> {
    let (o, pts) = (c.o, c.pts);
    let study_m2 = area.map(|s| s.study.area_m2());
    let (cell, rule) = match o.cell {
        Some(0.0) => {
            let area_m2 = study_m2.unwrap_or_else(|| {
                csa_hotspots::grid::bbox_of(&pts.xy).map_or(0.0, |b| (b[2] - b[0]) * (b[3] - b[1]))
            });
            (
                auto_cell_size(pts.xy.len(), area_m2),
                "automatic: sqrt(10 A / N) rounded up to 25 m, 50..2000 m",
            )
        }
        Some(c) => (c, "given"),
        None => (250.0, "default"),
    };
    let grid = match area {
        Some(s) => Grid::over_area(cell, &s.study),
        None => Grid::over_points(cell, &pts.xy),
    }
    .map_err(param_err)?;
    let counts = grid.count(&pts.xy);
    let params = &mut *c.params;
    params.insert("cell_m".into(), json!(cell));
    params.insert("cell_rule".into(), json!(rule));
    params.insert("cells".into(), json!(grid.len()));
    params.insert("grid_clipped_to_study_area".into(), json!(grid.clipped));
    params.insert("grid_origin".into(), json!("cells aligned to the BNG origin (0, 0)"));
    params.insert("points_outside_grid".into(), json!(counts.outside));
    if counts.outside > 0 {
        c.notes.push(format!(
            "{} points fall outside the study area's cells and are not counted",
            counts.outside
        ));
    }
    let mut cols = vec![
        float_col(names::CELL_X, (0..grid.len()).map(|i| Some(grid.centre(i)[0]))),
        float_col(names::CELL_Y, (0..grid.len()).map(|i| Some(grid.centre(i)[1]))),
        int_col(names::COUNT, counts.counts.iter().map(|&c| Some(i64::from(c)))),
    ];
    let (extra, shading) = match o.method {
        Method::Gi => gi_cells(c, &grid, &counts, cell)?,
        Method::Kde => kde_cells(c, &grid)?,
        _ => emerging_cells(c, &grid, cell)?,
    };
    cols.extend(extra);
    let cells = DataFrame::new(grid.len(), cols).map_err(internal)?;
    Ok((grid, cells, shading))
}

/// The distance band of Gi* and emerging hot spots: given, or 500 m (twice the cell with an
/// automatic cell).
fn band_of(o: &HotspotOptions, cell: f64) -> Result<f64> {
    let band = o.band.unwrap_or(if o.cell == Some(0.0) { 2.0 * cell } else { 500.0 });
    check_band(band, cell)?;
    Ok(band)
}

/// Gi* of the cell counts (analytic, and conditional permutations when asked), with the
/// comparison period's hot cells evaluated against this period's crimes (PAI, persistence).
fn gi_cells(
    c: &mut Ctx,
    grid: &Grid,
    counts: &csa_hotspots::grid::CellCounts,
    cell: f64,
) -> Result<(Vec<Column>, Shading)> {
    let (a, p, o) = (c.a, c.p, c.o);
    let (params, notes) = (&mut *c.params, &mut *c.notes);
    let mut cols = Vec::new();
    let band = band_of(o, cell)?;
    let w = Neighbours::distance_band(&grid.centres(), band);
    let x: Vec<f64> = counts.counts.iter().map(|&c| f64::from(c)).collect();
    let g = gi_star(&x, &w, o.permutations, o.seed);
    describe_weights(params, band, &g.n_neighbours);
    params.insert("permutations".into(), json!(o.permutations));
    if o.permutations > 0 {
        params.insert("seed".into(), json!(o.seed));
        params.insert(
            "permutation_scheme".into(),
            json!("conditional (site fixed); two-sided pseudo p = 2 (min(G, L) + 1) / (R + 1), G and L the draws at least and at most the observed sum (ties on both sides)"),
        );
        let cold = |b: &[i8]| b.iter().filter(|v| **v <= -2).count();
        // the smallest two-sided pseudo p is 2 / (R + 1); BH at 95% passes it
        // only when at least p_min m / 0.05 cells reach it
        let p_min = 2.0 / (o.permutations as f64 + 1.0);
        params.insert("permutation_smallest_p".into(), json!(p_min));
        params.insert(
            "permutation_cells_needed_at_smallest_p_for_fdr_95".into(),
            json!((p_min * grid.len() as f64 / 0.05).ceil()),
        );
        if let Some(pb) = &g.perm_bin {
            params.insert(
                "permutation_hot_cells_95".into(),
                json!(pb.iter().filter(|b| **b >= 2).count()),
            );
            params.insert("permutation_cold_cells_95".into(), json!(cold(pb)));
        }
    }
    params
        .insert("fdr".into(), json!("Benjamini-Hochberg at q = 0.10, 0.05, 0.01 -> bins 1, 2, 3"));
    // can the analytic test call a cold spot on these counts at all?
    let k_max = g.n_neighbours.iter().copied().max().unwrap_or(0) as usize;
    if let Some(floor) = csa_hotspots::gistar::lowest_z(&x, k_max) {
        params
            .insert("analytic_lowest_possible_z".into(), json!((floor * 1000.0).round() / 1000.0));
        // an empty neighbourhood not significant at 95% even before FDR:
        // no analytic cold spot is possible (skewed counts)
        params.insert(
            "analytic_can_find_cold_spots".into(),
            json!(csa_hotspots::stats::two_sided_p(floor) <= 0.05),
        );
    }
    params.insert("hot_cells_95".into(), json!(g.bin.iter().filter(|b| **b >= 2).count()));
    params.insert("cold_cells_95".into(), json!(g.bin.iter().filter(|b| **b <= -2).count()));
    cols.push(float_col(names::GI_Z, g.z.iter().map(|v| Some(*v))));
    cols.push(float_col(names::GI_P, g.p.iter().map(|v| Some(*v))));
    cols.push(float_col(
        names::GI_LOG10_P,
        g.ln_p.iter().map(|v| Some(v / std::f64::consts::LN_10)),
    ));
    cols.push(int_col(names::GI_BIN, g.bin.iter().map(|v| Some(i64::from(*v)))));
    cols.push(int_col(names::N_NEIGHBOURS, g.n_neighbours.iter().map(|v| Some(i64::from(*v)))));
    if let (Some(pp), Some(pb)) = (&g.perm_p, &g.perm_bin) {
        cols.push(float_col(names::GI_PERM_P, pp.iter().map(|v| Some(*v))));
        cols.push(int_col(names::GI_PERM_BIN, pb.iter().map(|v| Some(i64::from(*v)))));
    }
    // evaluation: the comparison period's hot cells against this period's crimes
    if a.covers(a.periods.comparison) {
        let before = grid.count(&points(a, p, a.periods.comparison)?.xy);
        let xb: Vec<f64> = before.counts.iter().map(|&c| f64::from(c)).collect();
        let gb = gi_star(&xb, &w, 0, o.seed);
        let hot_before: Vec<bool> = gb.bin.iter().map(|b| *b >= 2).collect();
        let hot_now: Vec<bool> = g.bin.iter().map(|b| *b >= 2).collect();
        let evaluation = json!({
            "comparison_period": a.periods.comparison.to_string(),
            "hot_means": "Gi* bin +2 or +3 (95% under FDR)",
            "pai_of_comparison_hotspots_on_current_crimes": pai::pai(&hot_before, &counts.counts),
            "persistence": pai::persistence(&hot_before, &hot_now),
        });
        params.insert("evaluation".into(), evaluation);
    } else {
        notes.push("the comparison period is not fully covered, so there is no PAI or persistence evaluation".into());
    }
    Ok((cols, Shading::Bins(g.bin)))
}

/// Quartic kernel density over the grid's cells.
fn kde_cells(c: &mut Ctx, grid: &Grid) -> Result<(Vec<Column>, Shading)> {
    let (o, pts, params) = (c.o, c.pts, &mut *c.params);
    let mut cols = Vec::new();
    let (h, rule) = match o.bandwidth {
        Some(h) if h > 0.0 => (h, "given"),
        Some(h) => {
            return Err(AnalysisError::Usage(format!(
                "--bandwidth must be a positive number of metres, not {h}"
            )))
        }
        None => (
            kde::default_bandwidth(&pts.xy).ok_or_else(|| {
                AnalysisError::Usage("kernel density needs at least two distinct points".into())
            })?,
            "ArcGIS default: 0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2",
        ),
    };
    let d = kde::density(&pts.xy, grid, h);
    params.insert("kernel".into(), json!("quartic (biweight)"));
    params.insert("bandwidth_m".into(), json!(h));
    params.insert("bandwidth_rule".into(), json!(rule));
    params.insert("density_unit".into(), json!("crimes per square kilometre"));
    cols.push(float_col(names::DENSITY_PER_KM2, d.iter().map(|v| Some(*v))));
    Ok((cols, Shading::Continuous(d)))
}

/// Emerging hot spots: space-time Gi* over the period's months or quarters and each cell's
/// ArcGIS category.
fn emerging_cells(c: &mut Ctx, grid: &Grid, cell: f64) -> Result<(Vec<Column>, Shading)> {
    let (o, pts, params) = (c.o, c.pts, &mut *c.params);
    let period = c.a.periods.current;
    let mut cols = Vec::new();
    let band = band_of(o, cell)?;
    let w = Neighbours::distance_band(&grid.centres(), band);
    let steps: Vec<Period> = match o.step {
        Step::Month => period.iter().map(|m| Period { from: m, to: m }).collect(),
        Step::Quarter => quarters(period),
    };
    if steps.len() < 3 {
        return Err(AnalysisError::Usage(format!(
            "emerging hotspots need at least 3 time steps; {period} has {} (use --step month or a longer period)",
            steps.len()
        )));
    }
    let series: Vec<Vec<f64>> = steps
        .iter()
        .map(|s| {
            let xy: Vec<[f64; 2]> = pts
                .xy
                .iter()
                .zip(&pts.month)
                .filter(|(_, m)| s.contains(**m))
                .map(|(p, _)| *p)
                .collect();
            grid.count(&xy).counts.iter().map(|&c| f64::from(c)).collect()
        })
        .collect();
    let em = emerging(&series, &w, o.time_window);
    describe_weights(params, band, &em.gi.n_neighbours);
    params.insert("time_window_steps".into(), json!(o.time_window));
    params.insert("space_time_neighbourhood".into(), json!(format!("cells within the band in the same step and the {} step(s) before it (ArcGIS's neighborhood time step); Gi* against the whole cube (global window: entire cube)", o.time_window)));
    params.insert(
        "time_step".into(),
        json!(match o.step {
            Step::Month => "month",
            Step::Quarter => "quarter",
        }),
    );
    params.insert(
        "time_steps".into(),
        json!(steps.iter().map(ToString::to_string).collect::<Vec<_>>()),
    );
    params.insert("significance".into(), json!("hot/cold per bin: space-time Gi* with Benjamini-Hochberg FDR over the whole cube, bin +-2 or +-3 (95%); trend: Mann-Kendall on each cell's z, p < 0.05"));
    let hot_steps = |i: usize, sign: i8| em.steps_significant(i, sign) as i64;
    let labels: Vec<Option<String>> = em.category.iter().map(|c| c.map(|c| c.label())).collect();
    cols.push(text_col(names::CATEGORY, labels.iter().cloned()));
    cols.push(float_col(names::TREND_Z, em.trend.iter().map(|t| Some(t.z))));
    cols.push(float_col(names::TREND_P, em.trend.iter().map(|t| Some(t.p))));
    cols.push(int_col(names::HOT_STEPS, (0..grid.len()).map(|i| Some(hot_steps(i, 1)))));
    cols.push(int_col(names::COLD_STEPS, (0..grid.len()).map(|i| Some(hot_steps(i, -1)))));
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    for l in labels.iter().flatten() {
        *tally.entry(l.clone()).or_default() += 1;
    }
    params.insert("cells_by_category".into(), json!(tally));
    Ok((cols, Shading::Categories(labels)))
}

/// NNH and DBSCAN: the clusters, their table and the repeat locations.
fn cluster_method(
    run: &mut HotspotRun,
    area: Option<&Area>,
    o: &HotspotOptions,
    pts: &Points,
    params: &mut Map<String, Value>,
) -> Result<()> {
    if o.min_points < 2 {
        return Err(AnalysisError::Usage(format!(
            "--min-points must be at least 2, not {}",
            o.min_points
        )));
    }
    params.insert("min_points".into(), json!(o.min_points));
    let clusters = if o.method == Method::Dbscan {
        dbscan_clusters(o, pts, params)?
    } else {
        nnh_clusters(area, o, pts, params)?
    };
    let lonlat: Vec<Option<(f64, f64)>> =
        clusters.iter().map(|(_, c)| csa_geo::bng_to_lonlat(c.centre[0], c.centre[1])).collect();
    use geo::Area as _;
    run.cluster_table = Some(
        DataFrame::new(
            clusters.len(),
            vec![
                int_col(names::ORDER, clusters.iter().map(|(o, _)| Some(*o as i64))),
                int_col(names::CLUSTER, clusters.iter().map(|(_, c)| Some(c.id as i64))),
                int_col(names::COUNT, clusters.iter().map(|(_, c)| Some(c.count as i64))),
                float_col(names::CENTRE_X, clusters.iter().map(|(_, c)| Some(c.centre[0].round()))),
                float_col(names::CENTRE_Y, clusters.iter().map(|(_, c)| Some(c.centre[1].round()))),
                float_col(names::CENTRE_LON, lonlat.iter().map(|l| l.map(|l| round6(l.0)))),
                float_col(names::CENTRE_LAT, lonlat.iter().map(|l| l.map(|l| round6(l.1)))),
                float_col(
                    names::HULL_AREA_M2,
                    clusters.iter().map(|(_, c)| Some(c.hull.unsigned_area().round())),
                ),
            ],
        )
        .map_err(internal)?,
    );
    params.insert("clusters".into(), json!(clusters.len()));
    let reps = repeat_locations(&pts.xy);
    run.repeat_locations = Some(
        DataFrame::new(
            reps.len(),
            vec![
                float_col(names::EASTING, reps.iter().map(|r| Some(r.x))),
                float_col(names::NORTHING, reps.iter().map(|r| Some(r.y))),
                int_col(names::COUNT, reps.iter().map(|r| Some(r.count as i64))),
            ],
        )
        .map_err(internal)?,
    );
    run.clusters = clusters;
    Ok(())
}

/// DBSCAN clusters (one order).
fn dbscan_clusters(
    o: &HotspotOptions,
    pts: &Points,
    params: &mut Map<String, Value>,
) -> Result<Vec<(usize, Cluster)>> {
    if o.eps.is_nan() || o.eps <= 0.0 {
        return Err(AnalysisError::Usage(format!(
            "--eps must be a positive number of metres, not {}",
            o.eps
        )));
    }
    params.insert("eps_m".into(), json!(o.eps));
    params.insert("min_points_counts_the_point_itself".into(), json!(true));
    let d = dbscan::dbscan(&pts.xy, o.eps, o.min_points);
    params.insert("noise_points".into(), json!(d.cluster_of.iter().filter(|c| **c == 0).count()));
    Ok(d.clusters.into_iter().map(|c| (1, c)).collect())
}

/// Nearest-neighbour hierarchical clusters of every order, over the study area's (or the
/// points' bounding box's) area.
fn nnh_clusters(
    area: Option<&Area>,
    o: &HotspotOptions,
    pts: &Points,
    params: &mut Map<String, Value>,
) -> Result<Vec<(usize, Cluster)>> {
    if !(o.nnh_p > 0.0 && o.nnh_p < 1.0) {
        return Err(AnalysisError::Usage(format!(
            "--nnh-p must lie between 0 and 1, not {}",
            o.nnh_p
        )));
    }
    let area_m2 = match area {
        Some(s) => s.study.area_m2(),
        None => csa_hotspots::grid::bbox_of(&pts.xy).map_or(0.0, |b| (b[2] - b[0]) * (b[3] - b[1])),
    };
    let orders = nnh::nnh(&pts.xy, area_m2, o.nnh_p, o.min_points, o.nnh_orders.max(1));
    params.insert("area_m2".into(), json!(area_m2.round()));
    params.insert(
        "area_from".into(),
        json!(if area.is_some() { "study area polygons" } else { "bounding box of the points" }),
    );
    params.insert("threshold_probability".into(), json!(o.nnh_p));
    params.insert(
        "orders".into(),
        json!(orders.iter().map(|o| json!({"order": o.order, "points": o.n, "threshold_m": o.threshold_m, "clusters": o.clusters.len()})).collect::<Vec<_>>()),
    );
    Ok(orders.into_iter().flat_map(|o| o.clusters.into_iter().map(move |c| (o.order, c))).collect())
}

fn check_band(band: f64, cell: f64) -> Result<()> {
    if !(band.is_finite() && band >= cell) {
        return Err(AnalysisError::Usage(format!(
            "the distance band ({band} m) must be at least the cell size ({cell} m), or cells have no neighbours but themselves"
        )));
    }
    Ok(())
}

fn describe_weights(params: &mut Map<String, Value>, band: f64, k: &[u32]) {
    params.insert(
        "weights".into(),
        json!("binary distance band between cell centres, the cell itself included (w_ii = 1)"),
    );
    params.insert("band_m".into(), json!(band));
    let (min, max) = (k.iter().min().copied().unwrap_or(0), k.iter().max().copied().unwrap_or(0));
    let mean = if k.is_empty() {
        0.0
    } else {
        k.iter().map(|&v| f64::from(v)).sum::<f64>() / k.len() as f64
    };
    params.insert(
        "n_neighbours".into(),
        json!({"min": min, "mean": (mean * 100.0).round() / 100.0, "max": max}),
    );
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Calendar quarters wholly or partly inside `p`, clipped to it.
fn quarters(p: Period) -> Vec<Period> {
    let mut out: Vec<Period> = Vec::new();
    for m in p.iter() {
        match out.last_mut() {
            Some(q) if q.from.year() == m.year() && q.from.quarter() == m.quarter() => q.to = m,
            _ => out.push(Period { from: m, to: m }),
        }
    }
    out
}

/// Near-repeat parameters beyond the Knox options: nothing else; the points are the priority's
/// day-dated records of the current period.
pub struct NearRepeat {
    pub knox: Knox,
    pub table: DataFrame,
    pub parameters: Map<String, Value>,
    pub notes: Vec<String>,
}

/// The Knox near-repeat test for priority `p` over the current period.
pub fn near_repeat(a: &Assessment, p: &Priority, o: &KnoxOptions) -> Result<NearRepeat> {
    let period = a.periods.current;
    let pts = points(a, p, period)?;
    let mut notes = Vec::new();
    if pts.without_position > 0 {
        notes.push(format!(
            "{} of {} records have no position and are left out",
            pts.without_position, pts.selected
        ));
    }
    let keep: Vec<usize> = (0..pts.xy.len()).filter(|&i| pts.day_precise[i]).collect();
    let month_only = pts.xy.len() - keep.len();
    if month_only > 0 {
        notes.push(format!("{month_only} records are dated to the month only (police.uk) and are left out: near repeats need days"));
    }
    if keep.len() < 2 {
        return Err(AnalysisError::Usage(format!(
            "the priority {:?} has {} records with a position and a day in {period}; the Knox test needs at least two{}",
            p.name,
            keep.len(),
            if month_only > 0 { " (police.uk data gives months, not days)" } else { "" }
        )));
    }
    let xy: Vec<[f64; 2]> = keep.iter().map(|&i| pts.xy[i]).collect();
    let days: Vec<i64> = keep.iter().map(|&i| pts.day[i]).collect();
    let k = knox(&xy, &days, o).map_err(AnalysisError::Usage)?;
    let c = &k.cells;
    let table = DataFrame::new(
        c.len(),
        vec![
            float_col(names::SPACE_FROM_M, c.iter().map(|c| Some(c.space_from))),
            float_col(names::SPACE_TO_M, c.iter().map(|c| c.space_to)),
            int_col(names::TIME_FROM_DAYS, c.iter().map(|c| Some(c.time_from))),
            int_col(names::TIME_TO_DAYS, c.iter().map(|c| c.time_to)),
            int_col(names::OBSERVED, c.iter().map(|c| Some(c.observed as i64))),
            float_col(
                names::EXPECTED,
                c.iter().map(|c| Some((c.expected * 100.0).round() / 100.0)),
            ),
            float_col(
                names::KNOX_RATIO,
                c.iter().map(|c| {
                    c.knox_ratio.is_finite().then(|| (c.knox_ratio * 1000.0).round() / 1000.0)
                }),
            ),
            float_col(names::P_VALUE, c.iter().map(|c| Some(c.p))),
        ],
    )
    .map_err(internal)?;
    let mut params = Map::new();
    params.insert("method".into(), json!("knox"));
    params.insert("priority".into(), json!(p.name));
    params.insert("period".into(), json!(period.to_string()));
    params.insert("events".into(), json!(k.events));
    params.insert("pairs".into(), json!(k.pairs));
    params.insert("space_edges_m".into(), json!(o.space_edges));
    params.insert("time_edges_days".into(), json!(o.time_edges));
    params.insert("bands".into(), json!("[a, b) intervals; the last band of each is open-ended"));
    params.insert("metric".into(), json!(o.metric));
    params.insert("permutations".into(), json!(o.permutations));
    params.insert("seed".into(), json!(o.seed));
    params.insert("day".into(), json!("committed date where recorded, else recorded date"));
    params.insert("p".into(), json!("(simulations with count >= observed + 1) / (R + 1)"));
    Ok(NearRepeat { knox: k, table, parameters: params, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_clip_to_the_period() {
        let p = Period { from: Month::new(2025, 2), to: Month::new(2025, 8) };
        let q: Vec<String> = quarters(p).iter().map(ToString::to_string).collect();
        assert_eq!(q.len(), 3);
        assert_eq!(quarters(p)[0], Period { from: Month::new(2025, 2), to: Month::new(2025, 3) });
        assert_eq!(quarters(p)[2], Period { from: Month::new(2025, 7), to: Month::new(2025, 8) });
    }
}
