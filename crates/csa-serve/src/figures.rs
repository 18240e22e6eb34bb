//! The figures of a page, drawn with `csa-charts` (the annual pack's charts) from the table
//! the user is shown, so a published (public) figure never draws a suppressed count to
//! scale: hidden counts are left out of bars and lines and wards with a hidden rate are grey.

use std::collections::HashMap;

use csa_analysis::names;
use csa_charts::charts::{Bars, HeatMap, Trend};
use csa_charts::render::svg_string;
use csa_report::figures::count_label;
use csa_report::table::{Cell, Table};

use crate::error::{internal, Result};

/// Bars at most (the table below has every row).
const MAX_BARS: usize = 25;

fn count(c: &Cell) -> Option<u64> {
    c.as_i64().map(|v| v.max(0) as u64)
}

/// Monthly counts against the comparison (a breakdown by month).
pub fn trend(t: &Table, title: &str, current: &str, previous: &str) -> Result<String> {
    let months = (0..t.rows.len())
        .filter(|&i| !t.get(i, names::MONTH).text().starts_with('('))
        .map(|i| {
            (
                t.get(i, names::MONTH).text(),
                count(t.get(i, names::COUNT)),
                count(t.get(i, names::COMPARISON)),
            )
        })
        .collect();
    svg_string(&Trend {
        title: title.into(),
        months,
        current_label: current.into(),
        previous_label: previous.into(),
    })
    .map_err(internal)
}

/// Horizontal bars of `value` by the label columns `keys` (the largest first).
pub fn bars(t: &Table, keys: &[&str], value: &str, title: &str) -> Result<Option<String>> {
    let mut rows: Vec<(String, Option<f64>, String)> = (0..t.rows.len())
        .map(|i| {
            let label: Vec<String> =
                keys.iter().map(|k| t.get(i, k).text()).filter(|s| !s.is_empty()).collect();
            let v = t.get(i, value);
            (label.join(" "), v.as_f64(), count_label(v, t.get(i, names::CHANGE_PCT)))
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by(|a, b| b.1.unwrap_or(-1.0).total_cmp(&a.1.unwrap_or(-1.0)).then(a.0.cmp(&b.0)));
    rows.truncate(MAX_BARS);
    Ok(Some(svg_string(&Bars { title: title.into(), rows }).map_err(internal)?))
}

/// The day x hour heat map.
pub fn heat(t: &Table, title: &str) -> Result<String> {
    let mut counts = [[Some(0u64); 24]; 7];
    for (d, row) in counts.iter_mut().enumerate() {
        for (h, c) in row.iter_mut().enumerate() {
            *c = t.rows.get(d).and_then(|_| count(t.get(d, &format!("h{h:02}"))));
        }
    }
    svg_string(&HeatMap { title: title.into(), counts }).map_err(internal)
}

/// Wards shaded by rate per 1,000 (quintiles); wards without a shown rate are grey.
pub fn ward_map(
    t: &Table,
    wards: &csa_geo::Boundaries,
    title: &str,
    subtitle: &str,
    legend: &str,
) -> Result<String> {
    let values: HashMap<String, f64> = (0..t.rows.len())
        .filter_map(|i| {
            Some((t.get(i, "ward_code").text(), t.get(i, names::RATE_PER_1000).as_f64()?))
        })
        .collect();
    let spec = csa_charts::choropleth::choropleth(
        title,
        subtitle,
        legend,
        wards,
        &values,
        "no figure (no population, or suppressed)",
    );
    svg_string(&spec).map_err(internal)
}
