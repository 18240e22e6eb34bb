//! `csa hotspots` and `csa near-repeat`: thin wrappers over csa-analysis's hotspot module,
//! which runs csa-hotspots; maps come from csa-charts.

use std::path::{Path, PathBuf};

use anyhow::Context;
use csa_analysis::hotspots::{self, HotspotOptions, HotspotRun, Method, Step};
use csa_analysis::{export, Assessment, Priority};
use csa_hotspots::knox::{KnoxOptions, Metric};
use serde_json::{json, Map, Value};

use crate::cli::{HotspotMethod, HotspotsArgs, NearRepeatArgs, Scope, TimeStep};
use crate::cmd::breakdown::{resolve, Resolved};
use crate::exit::UsageError;

/// Opens the assessment of `scope` with what spatial analysis reads.
fn open(scope: &Scope) -> anyhow::Result<(Assessment, Priority)> {
    let Resolved { config, dataset, priority, period } = resolve(scope)?;
    let a = Assessment::open(&dataset, config, period, &hotspots::needs(&priority))?;
    Ok((a, priority))
}

/// Writes `bytes` to `dir/name` (atomically); returns the path.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    crate::cmd::write_atomic(&path, bytes)?;
    Ok(path)
}

fn csv_bytes(df: &polars::prelude::DataFrame) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    export::write_csv(df, &mut buf)?;
    Ok(buf)
}

fn json_bytes(v: &Value) -> anyhow::Result<Vec<u8>> {
    let mut b = serde_json::to_vec_pretty(v)?;
    b.push(b'\n');
    Ok(b)
}

fn parse_cell(s: &str) -> anyhow::Result<Option<f64>> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Some(0.0));
    }
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(Some(v)),
        _ => Err(UsageError(format!(
            "--cell {s:?}: give a cell size in metres (e.g. 250) or `auto`"
        ))
        .into()),
    }
}

pub fn run(a: HotspotsArgs) -> anyhow::Result<()> {
    let method = match a.method {
        HotspotMethod::Gi => Method::Gi,
        HotspotMethod::Kde => Method::Kde,
        HotspotMethod::Nnh => Method::Nnh,
        HotspotMethod::Dbscan => Method::Dbscan,
        HotspotMethod::Emerging => Method::Emerging,
    };
    let options = HotspotOptions {
        method,
        cell: parse_cell(&a.cell)?,
        band: a.band,
        permutations: a.permutations,
        seed: a.seed,
        bandwidth: a.bandwidth,
        eps: a.eps,
        min_points: a.min_points,
        nnh_p: a.nnh_p,
        nnh_orders: 3,
        step: match a.step {
            TimeStep::Month => Step::Month,
            TimeStep::Quarter => Step::Quarter,
        },
        time_window: a.time_window,
    };
    let (assessment, priority) = open(&a.scope)?;
    let area = hotspots::study_area(&assessment, a.boundaries.as_deref())?;
    if area.is_none() {
        let named = assessment.data.info.boundaries.as_ref().map_or(String::new(), |b| {
            format!(", and the dataset's {} is not there", b.path.display())
        });
        eprintln!("note: no ward boundaries (none given with --boundaries, none configured{named}); the grid covers the points' extent and the map has no ward outlines");
    }
    let run = hotspots::hotspots(&assessment, &priority, area.as_ref(), &options)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let written = write_run(&a.out, &run, area.as_ref())?;
    print_summary(&run, &written);
    Ok(())
}

fn write_run(
    dir: &Path,
    run: &HotspotRun,
    area: Option<&hotspots::Area>,
) -> anyhow::Result<Vec<PathBuf>> {
    let m = run.method.name();
    let mut written = Vec::new();
    if let (Some(grid), Some(cells)) = (&run.grid, &run.cells) {
        written.push(write(dir, &format!("{m}_cells.csv"), &csv_bytes(cells)?)?);
        let rows = export::json_records(cells);
        let features =
            (0..grid.len()).map(|i| (geo::Geometry::Rect(grid.rect(i)), as_map(&rows[i])));
        written.push(write(
            dir,
            &format!("{m}_cells.geojson"),
            &json_bytes(&csa_geo::geojson::feature_collection(features))?,
        )?);
    }
    if let Some(table) = &run.cluster_table {
        written.push(write(dir, &format!("{m}_clusters.csv"), &csv_bytes(table)?)?);
        let rows = export::json_records(table);
        let features = run
            .clusters
            .iter()
            .enumerate()
            .map(|(k, (_, c))| (geo::Geometry::Polygon(c.hull.clone()), as_map(&rows[k])));
        written.push(write(
            dir,
            &format!("{m}_clusters.geojson"),
            &json_bytes(&csa_geo::geojson::feature_collection(features))?,
        )?);
    }
    if let Some(reps) = &run.repeat_locations {
        written.push(write(dir, "repeat_locations.csv", &csv_bytes(reps)?)?);
    }
    let mut params = run.parameters.clone();
    params.insert("notes".into(), json!(run.notes));
    params.insert("tool".into(), json!(format!("csa {}", env!("CARGO_PKG_VERSION"))));
    written.push(write(
        dir,
        &format!("{m}_parameters.json"),
        &json_bytes(&Value::Object(params))?,
    )?);
    let spec = csa_charts::hotspot_map::hotspot_map(run, area);
    let tmp = dir.join(format!(".{m}_map.partial"));
    for made in csa_charts::render::write_both(&tmp, &spec)? {
        let path = dir.join(format!(
            "{m}_map.{}",
            made.extension().and_then(|e| e.to_str()).unwrap_or("png")
        ));
        std::fs::rename(&made, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn as_map(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn print_summary(run: &HotspotRun, written: &[PathBuf]) {
    let p = &run.parameters;
    println!(
        "{} ({}), {}: {} crimes with a position",
        run.priority,
        run.method.name(),
        run.period,
        run.points.xy.len()
    );
    let show = |k: &str| {
        p.get(k)
            .map(|v| v.as_f64().map_or_else(|| v.to_string(), |f| format!("{f}")))
            .unwrap_or_default()
    };
    match run.method {
        Method::Gi => {
            println!(
                "  {} cells of {} m, band {} m: {} hot and {} cold at 95% (FDR)",
                show("cells"),
                show("cell_m"),
                show("band_m"),
                show("hot_cells_95"),
                show("cold_cells_95")
            );
            if p.contains_key("permutation_hot_cells_95") {
                println!(
                    "  with permutation p: {} hot and {} cold at 95% (FDR)",
                    show("permutation_hot_cells_95"),
                    show("permutation_cold_cells_95")
                );
            }
            let needed = p
                .get("permutation_cells_needed_at_smallest_p_for_fdr_95")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            if needed > 1.0 {
                println!(
                    "  note: with {} permutations the smallest pseudo p is {}; under FDR at 95% a cell is a permutation hot or cold spot only when at least {needed} cells reach it (more permutations give finer bins)",
                    show("permutations"),
                    show("permutation_smallest_p")
                );
            }
            if p.get("analytic_can_find_cold_spots") == Some(&Value::Bool(false)) {
                println!(
                    "  note: the analytic test cannot find a cold spot on these counts: a neighbourhood of {} cells with no crimes has z = {} only{}",
                    p.get("n_neighbours").and_then(|n| n.get("max")).map_or(String::new(), ToString::to_string),
                    show("analytic_lowest_possible_z"),
                    if p.get("permutation_cold_cells_95").and_then(Value::as_u64).unwrap_or(0) > 0 {
                        "; the permutation cold spots are areas of empty or near-empty cells that random allocations rarely produce"
                    } else {
                        ""
                    }
                );
            } else if p.get("cold_cells_95").and_then(Value::as_u64) == Some(0)
                && p.get("permutation_cold_cells_95").and_then(Value::as_u64).unwrap_or(0) > 0
            {
                println!(
                    "  note: the permutation cold spots have no analytic counterpart: on skewed counts (most cells empty, a few busy) random allocations rarely leave a neighbourhood empty, while the normal approximation puts an empty neighbourhood at z = {} at the lowest, which no cell passes under FDR; read them as areas with fewer crimes than random allocation gives",
                    show("analytic_lowest_possible_z"),
                );
            }
        }
        Method::Kde => println!(
            "  {} cells of {} m, bandwidth {:.0} m",
            show("cells"),
            show("cell_m"),
            p.get("bandwidth_m").and_then(Value::as_f64).unwrap_or(0.0)
        ),
        Method::Emerging => println!(
            "  {} cells of {} m; by category: {}",
            show("cells"),
            show("cell_m"),
            show("cells_by_category")
        ),
        Method::Nnh | Method::Dbscan => println!("  {} clusters", run.clusters.len()),
    }
    if let Some(e) = p.get("evaluation") {
        let pai =
            e.pointer("/pai_of_comparison_hotspots_on_current_crimes/pai").and_then(Value::as_f64);
        let both = e.pointer("/persistence/hot_both").map(|v| v.to_string()).unwrap_or_default();
        println!("  comparison-period hot spots: PAI {} on this period's crimes; {both} hot cells persist", pai.map_or("-".into(), |v| format!("{v:.2}")));
    }
    for n in &run.notes {
        println!("  note: {n}");
    }
    for w in written {
        println!("  wrote {}", w.display());
    }
}

fn edges<T: std::str::FromStr>(s: &str, flag: &str) -> anyhow::Result<Vec<T>> {
    s.split(',')
        .map(|v| {
            v.trim().parse::<T>().map_err(|_| {
                UsageError(format!("{flag} {s:?}: give comma-separated numbers, e.g. 0,7,14"))
                    .into()
            })
        })
        .collect()
}

pub fn near_repeat(a: NearRepeatArgs) -> anyhow::Result<()> {
    let o = KnoxOptions {
        space_edges: edges(&a.space_bands, "--space-bands")?,
        time_edges: edges(&a.time_bands, "--time-bands")?,
        metric: match a.metric {
            crate::cli::Metric::Euclidean => Metric::Euclidean,
            crate::cli::Metric::Manhattan => Metric::Manhattan,
        },
        permutations: a.permutations,
        seed: a.seed,
    };
    csa_hotspots::knox::check_edges(&o.space_edges, "--space-bands").map_err(UsageError)?;
    csa_hotspots::knox::check_edges(&o.time_edges, "--time-bands").map_err(UsageError)?;
    if o.permutations == 0 {
        return Err(UsageError("--permutations must be at least 1 (999 is usual)".into()).into());
    }
    let (assessment, priority) = open(&a.scope)?;
    let nr = hotspots::near_repeat(&assessment, &priority, &o)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut doc = nr.parameters.clone();
    doc.insert("notes".into(), json!(nr.notes));
    doc.insert("rows".into(), export::json_records(&nr.table));
    let csv = write(&a.out, "knox.csv", &csv_bytes(&nr.table)?)?;
    let js = write(&a.out, "knox.json", &json_bytes(&Value::Object(doc))?)?;
    println!(
        "Knox test, {} ({}): {} events, {} pairs, {} permutations (seed {})",
        priority.name,
        assessment.periods.current,
        nr.knox.events,
        nr.knox.pairs,
        o.permutations,
        o.seed
    );
    print!("{}", export::text_table(&nr.table));
    for n in &nr.notes {
        println!("note: {n}");
    }
    println!("wrote {}\nwrote {}", csv.display(), js.display());
    Ok(())
}
