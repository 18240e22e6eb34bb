//! A ward choropleth: each ward filled by the class of its value (e.g. crimes per 1,000
//! residents), drawn as a [`MapSpec`] (PNG and SVG, scale bar, north arrow).
//!
//! Classes are quintiles of the wards' values (five classes with about as many wards each;
//! fewer when values repeat), coloured on the sequential palette from light to dark; wards
//! without a value (no population figure) are grey and say so in the legend. Quintiles keep
//! the map readable when one ward (usually the city centre) is far above the rest.

use std::collections::HashMap;

use crate::hotspot_map::BOUNDARY_SOURCE;
use crate::map::MapSpec;
use crate::palette::{MUTED, SEQUENTIAL};

/// Upper bounds of up to five quantile classes of `values` (ascending, distinct).
pub fn quintile_breaks(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return Vec::new();
    }
    let mut breaks: Vec<f64> = (1..=5)
        .map(|k| v[((k * v.len()).div_ceil(5)).saturating_sub(1).min(v.len() - 1)])
        .collect();
    breaks.dedup();
    breaks
}

/// The map of `values` (ward code -> value) over `wards`; wards without a value are grey,
/// labelled `missing` in the legend (e.g. "no population figure").
pub fn choropleth(
    title: &str,
    subtitle: &str,
    legend_title: &str,
    wards: &csa_geo::Boundaries,
    values: &HashMap<String, f64>,
    missing: &str,
) -> MapSpec {
    let present: Vec<f64> =
        wards.areas.iter().filter_map(|w| values.get(&w.code).copied()).collect();
    let breaks = quintile_breaks(&present);
    let class =
        |x: f64| breaks.iter().position(|b| x <= *b).unwrap_or(breaks.len().saturating_sub(1));
    let colour = |k: usize| SEQUENTIAL[(k + 1).min(SEQUENTIAL.len() - 1)];
    let outlines: Vec<geo::MultiPolygon<f64>> =
        wards.areas.iter().map(|w| csa_geo::multipolygon_to_bng(&w.geometry)).collect();
    let areas = wards
        .areas
        .iter()
        .zip(&outlines)
        .map(|(w, o)| {
            (
                o.clone(),
                values
                    .get(&w.code)
                    .copied()
                    .filter(|x| x.is_finite())
                    .map_or(MUTED, |x| colour(class(x))),
            )
        })
        .collect();
    let mut legend: Vec<(String, plotters::style::RGBColor)> = Vec::new();
    let mut lower = present.iter().copied().fold(f64::INFINITY, f64::min);
    for (k, b) in breaks.iter().enumerate() {
        legend.push((format!("{lower:.1} to {b:.1}"), colour(k)));
        lower = *b;
    }
    if present.len() < wards.areas.len() {
        legend.push((missing.into(), MUTED));
    }
    MapSpec {
        title: title.into(),
        subtitle: subtitle.into(),
        outlines,
        areas,
        legend_title: legend_title.into(),
        legend,
        footer: format!("csa. {BOUNDARY_SOURCE}"),
        ..MapSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        // 10 values: classes of two: upper bounds 2, 4, 6, 8, 10
        assert_eq!(quintile_breaks(&v), vec![2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(quintile_breaks(&[5.0, 5.0, 5.0]), vec![5.0]);
        assert!(quintile_breaks(&[]).is_empty());
        let wards = csa_geo::Boundaries::from_geojson(
            include_str!("../../../data/boundaries/coventry-wards-2025.geojson"),
            "WD25CD",
            "WD25NM",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let values: HashMap<String, f64> = wards
            .areas
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, w)| (w.code.clone(), i as f64))
            .collect();
        let spec = choropleth("Rate", "2025", "per 1,000", &wards, &values, "no figure");
        assert_eq!(spec.areas.len(), 18);
        assert_eq!(spec.areas[0].1, MUTED, "the ward without a figure is grey");
        assert_eq!(spec.legend.last().map(|l| l.0.as_str()), Some("no figure"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        crate::render::write_both(&dir.path().join("c"), &spec).unwrap_or_else(|e| panic!("{e}"));
    }
}
