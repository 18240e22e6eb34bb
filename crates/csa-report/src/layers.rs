//! GeoJSON layers of the pack (EPSG:4326, RFC 7946), built from the published tables:
//!
//! - `maps/wards.geojson`: every ward with all crime's count, comparison, change and rate,
//!   and each priority's count, rate and change (`<slug>_count`, ...);
//! - `maps/hotspot_cells.geojson`: the Gi* hot cells (95% or more) of every priority;
//! - `maps/hotspot_clusters.geojson`: each cluster of touching hot cells as the convex hull
//!   of its cells, with its cells, crimes and share of the priority's located crimes. A
//!   cluster's crimes are shown only when every cell's count is (else a hidden cell could be
//!   worked out from the cluster total).
//!
//! Never a point: the public edition aggregates to wards and grid cells only.

use csa_analysis::names;
use geo::{ConvexHull, Coord, Geometry, MultiPoint, Point};
use serde_json::{json, Map, Value};

use crate::build::Built;
use crate::ids::{self, col, Kind};
use crate::table::{table, Cell, Table};

/// A cell as a JSON value: numbers as numbers, hidden counts as their text ("<5", "*").
pub fn json_cell(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(v) => json!(v),
        Cell::Float(v) => json!(v),
        Cell::Text(s) => json!(s),
        Cell::Hidden(_) => json!(c.text()),
    }
}

/// (file name, GeoJSON) of every layer.
/// `public`: the public edition (a cluster of 1 to 4 crimes shows "<5").
pub fn layers(
    b: &Built,
    tables: &[Table],
    public: bool,
) -> csa_analysis::Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    if let Some(area) = &b.area {
        let all = match b.parts.iter().find(|p| p.is_all() && p.has(Kind::Wards)) {
            Some(p) => Some(table(tables, &p.id(Kind::Wards))?),
            None => None,
        };
        let profiles = Some(table(tables, ids::WARD_PROFILES)?);
        let features = area.wards.areas.iter().map(|w| {
            let mut props = Map::new();
            props.insert(col::WARD_CODE.into(), json!(w.code));
            props.insert(col::WARD_NAME.into(), json!(w.name));
            if let Some(t) = all {
                if let Some(i) = t.find(col::WARD_CODE, &w.code) {
                    for c in [
                        names::POPULATION,
                        names::COUNT,
                        names::COMPARISON,
                        names::CHANGE,
                        names::CHANGE_PCT,
                        names::RATE_PER_1000,
                    ] {
                        props.insert(c.into(), json_cell(t.get(i, c)));
                    }
                }
            }
            if let Some(t) = profiles {
                for i in 0..t.rows.len() {
                    if t.get(i, col::WARD_CODE).text() != w.code {
                        continue;
                    }
                    let s = crate::build::slug(&t.get(i, names::PRIORITY).text());
                    if s == ids::ALL {
                        continue;
                    }
                    for c in [names::COUNT, names::RATE_PER_1000, names::CHANGE_PCT] {
                        props.insert(format!("{s}_{c}"), json_cell(t.get(i, c)));
                    }
                }
            }
            (Geometry::MultiPolygon(csa_geo::multipolygon_to_bng(&w.geometry)), props)
        });
        out.push(("wards.geojson".to_string(), csa_geo::geojson::feature_collection(features)));
    }
    let mut cells = Vec::new();
    let mut clusters = Vec::new();
    for part in &b.parts {
        let Some(h) = &part.hotspots else { continue };
        if !part.has(Kind::HotspotCells) {
            continue;
        }
        let t = table(tables, &part.id(Kind::HotspotCells))?;
        let Some(grid) = &h.gi.grid else { continue };
        let half = grid.cell / 2.0;
        let located = h.gi.points.xy.len().max(1) as f64;
        let mut by_cluster: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
        for i in 0..t.rows.len() {
            let (Some(x), Some(y)) =
                (t.get(i, names::CELL_X).as_f64(), t.get(i, names::CELL_Y).as_f64())
            else {
                continue;
            };
            let rect = geo::Rect::new(
                Coord { x: x - half, y: y - half },
                Coord { x: x + half, y: y + half },
            );
            let mut props = Map::new();
            props.insert(names::PRIORITY.into(), json!(part.priority.name));
            for (j, c) in t.columns.iter().enumerate() {
                props.insert(c.clone(), json_cell(&t.rows[i][j]));
            }
            by_cluster.entry(t.get(i, names::CLUSTER).as_i64().unwrap_or(0)).or_default().push(i);
            cells.push((Geometry::Rect(rect), props));
        }
        for (k, rows) in by_cluster {
            let corners: Vec<Point<f64>> = rows
                .iter()
                .filter_map(|&i| {
                    Some((t.get(i, names::CELL_X).as_f64()?, t.get(i, names::CELL_Y).as_f64()?))
                })
                .flat_map(|(x, y)| {
                    [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
                        .map(|(dx, dy)| Point::new(x + dx * half, y + dy * half))
                })
                .collect();
            let hull = MultiPoint::from(corners).convex_hull();
            let any_hidden = rows.iter().any(|&i| t.get(i, names::COUNT).is_hidden());
            let crimes: i64 = rows.iter().filter_map(|&i| t.get(i, names::COUNT).as_i64()).sum();
            let mut props = Map::new();
            props.insert(names::PRIORITY.into(), json!(part.priority.name));
            props.insert("cluster".into(), json!(k));
            props.insert("cells".into(), json!(rows.len()));
            let small = public && (1..csa_disclosure::THRESHOLD).contains(&crimes);
            if any_hidden || small {
                props.insert("crimes".into(), json!(if small { "<5" } else { "*" }));
                props.insert("share_pct".into(), json!("*"));
            } else {
                props.insert("crimes".into(), json!(crimes));
                props.insert(
                    "share_pct".into(),
                    json!(csa_analysis::breakdown::round2(100.0 * crimes as f64 / located)),
                );
            }
            clusters.push((Geometry::Polygon(hull), props));
        }
    }
    out.push(("hotspot_cells.geojson".to_string(), csa_geo::geojson::feature_collection(cells)));
    out.push((
        "hotspot_clusters.geojson".to_string(),
        csa_geo::geojson::feature_collection(clusters),
    ));
    Ok(out)
}
