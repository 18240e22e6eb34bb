//! The map of a hotspot run: Gi* cells by confidence bin, density classes, emerging hotspot
//! categories or cluster hulls, over the study area's ward outlines.
//!
//! Density classes are multiples of the mean density over the grid (1-2x, 2-4x, 4-8x, 8-16x,
//! 16x and over; cells below the mean are not shaded), a scale that reads the same whatever
//! the crime type and that analysts can state in words ("over four times the average").

use csa_analysis::hotspots::{Area, HotspotRun, Method, Shading};
use plotters::style::RGBColor;

use crate::map::MapSpec;
use crate::palette::{CATEGORICAL, DIVERGING, SEQUENTIAL};

/// Source line of every map over ONS ward boundaries.
pub const BOUNDARY_SOURCE: &str =
    "Boundaries: Office for National Statistics, contains OS data (c) Crown copyright and database right. Open Government Licence v3.0.";

/// Emerging hotspot categories in legend order, with their colours: hot ones in reds and
/// oranges, cold in blues, from the one palette.
const CATEGORY_COLOURS: [(&str, RGBColor); 16] = [
    ("intensifying hot spot", DIVERGING[6]),
    ("persistent hot spot", DIVERGING[5]),
    ("new hot spot", CATEGORICAL[5]),
    ("consecutive hot spot", CATEGORICAL[0]),
    ("sporadic hot spot", DIVERGING[4]),
    ("oscillating hot spot", CATEGORICAL[6]),
    ("diminishing hot spot", CATEGORICAL[3]),
    ("historical hot spot", RGBColor(0xbd, 0xbd, 0xbd)),
    ("intensifying cold spot", DIVERGING[0]),
    ("persistent cold spot", DIVERGING[1]),
    ("new cold spot", CATEGORICAL[4]),
    ("consecutive cold spot", CATEGORICAL[1]),
    ("sporadic cold spot", DIVERGING[2]),
    ("oscillating cold spot", CATEGORICAL[2]),
    ("diminishing cold spot", RGBColor(0x99, 0xd8, 0xc9)),
    ("historical cold spot", RGBColor(0x73, 0x73, 0x73)),
];

const BIN_LABELS: [&str; 7] = [
    "Cold spot, 99% confidence",
    "Cold spot, 95% confidence",
    "Cold spot, 90% confidence",
    "Not significant",
    "Hot spot, 90% confidence",
    "Hot spot, 95% confidence",
    "Hot spot, 99% confidence",
];

/// The map of `run` over `area` (ward outlines), or over the points' extent without one.
pub fn hotspot_map(run: &HotspotRun, area: Option<&Area>) -> MapSpec {
    let mut spec = MapSpec {
        title: format!("{}: {}", run.priority, method_title(run.method)),
        subtitle: subtitle(run),
        outlines: area
            .map(|a| {
                a.wards.areas.iter().map(|w| csa_geo::multipolygon_to_bng(&w.geometry)).collect()
            })
            .unwrap_or_default(),
        footer: format!("csa. {BOUNDARY_SOURCE}"),
        ..MapSpec::default()
    };
    let cells = |spec: &mut MapSpec, colour_of: &dyn Fn(usize) -> Option<RGBColor>| {
        if let Some(g) = &run.grid {
            spec.cells =
                (0..g.len()).filter_map(|i| colour_of(i).map(|c| (g.rect(i), c))).collect();
        }
    };
    match &run.shading {
        Some(Shading::Bins(bins)) => {
            spec.legend_title = "Getis-Ord Gi* (FDR)".into();
            cells(&mut spec, &|i| (bins[i] != 0).then(|| DIVERGING[(bins[i] + 3) as usize]));
            spec.legend = (0..7)
                .rev()
                .filter(|&k| k != 3)
                .map(|k| (BIN_LABELS[k].to_string(), DIVERGING[k]))
                .collect();
        }
        Some(Shading::Continuous(v)) => {
            let mean = if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
            let class = |x: f64| -> Option<usize> {
                if mean.is_nan() || mean <= 0.0 || x < mean {
                    return None;
                }
                Some(((x / mean).log2().floor().max(0.0) as usize).min(4))
            };
            spec.legend_title = format!("Density (mean {:.0} per km2)", mean);
            cells(&mut spec, &|i| class(v[i]).map(|k| SEQUENTIAL[k + 1]));
            spec.legend =
                ["1-2x mean", "2-4x mean", "4-8x mean", "8-16x mean", "16x mean and over"]
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (l.to_string(), SEQUENTIAL[k + 1]))
                    .collect();
        }
        Some(Shading::Categories(labels)) => {
            spec.legend_title = "Emerging hot spots".into();
            let colour = |l: &str| CATEGORY_COLOURS.iter().find(|(n, _)| *n == l).map(|(_, c)| *c);
            cells(&mut spec, &|i| labels[i].as_deref().and_then(colour));
            spec.legend = CATEGORY_COLOURS
                .iter()
                .filter(|(n, _)| labels.iter().flatten().any(|l| l == n))
                .map(|(n, c)| (n.to_string(), *c))
                .collect();
            if spec.legend.is_empty() {
                spec.legend_title = "Emerging hot spots: no pattern found".into();
            }
        }
        None => {
            spec.points = run.points.xy.clone();
            // the top order's clusters would hide the first; show first-order clusters
            let first: Vec<_> = run.clusters.iter().filter(|(o, _)| *o == 1).collect();
            spec.hulls = first
                .iter()
                .map(|(_, c)| {
                    (c.hull.clone(), DIVERGING[6], (c.id <= 10).then(|| c.id.to_string()))
                })
                .collect();
            spec.legend_title = format!("{} clusters", first.len());
            spec.legend = vec![
                ("Cluster hull (largest 10 numbered)".into(), DIVERGING[6]),
                ("Crime".into(), crate::palette::MUTED),
            ];
        }
    }
    spec
}

fn method_title(m: Method) -> &'static str {
    match m {
        Method::Gi => "hot spots (Getis-Ord Gi*)",
        Method::Kde => "kernel density",
        Method::Nnh => "nearest-neighbour hierarchical clusters",
        Method::Dbscan => "DBSCAN clusters",
        Method::Emerging => "emerging hot spots",
    }
}

fn subtitle(run: &HotspotRun) -> String {
    let p = &run.parameters;
    let get = |k: &str| {
        p.get(k).map(|v| {
            v.as_f64()
                .map_or_else(|| v.to_string().trim_matches('"').to_string(), |f| format!("{f}"))
        })
    };
    let mut parts = vec![run.period.to_string(), format!("{} crimes", run.points.xy.len())];
    if let Some(c) = get("cell_m") {
        parts.push(format!("{c} m cells"));
    }
    if let Some(b) = get("band_m") {
        parts.push(format!("{b} m band"));
    }
    if let Some(h) = p.get("bandwidth_m").and_then(|v| v.as_f64()) {
        parts.push(format!("bandwidth {h:.0} m"));
    }
    if let Some(e) = get("eps_m") {
        parts.push(format!("eps {e} m"));
    }
    if let Some(m) = get("min_points") {
        parts.push(format!("min {m} points"));
    }
    parts.join(", ")
}
