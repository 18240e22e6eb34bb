//! The pack's charts and maps, drawn from the *published* tables (so a suppressed count is
//! never drawn to scale; see [`csa_charts::charts`]) and written as PNG and SVG under
//! `charts/`. The SVG text is kept for inlining in the report.

use std::path::Path;

use csa_analysis::names;
use csa_charts::charts::{Bars, HeatMap, Pyramid, Trend};
use csa_charts::map::MapSpec;
use csa_charts::render::{svg_string, write_png, Chart};
use csa_charts::ChartError;
use plotters::coord::Shift;
use plotters::prelude::*;
use rayon::prelude::*;

use crate::build::Built;
use crate::ids::{self, figure, Kind, Who};
use crate::table::{table, Cell, Table};

/// A drawn figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem under `charts/`.
    pub name: String,
    pub title: String,
    pub svg: String,
}

/// Any chart of the pack.
enum AnyChart {
    Trend(Trend),
    Bars(Bars),
    Heat(Box<HeatMap>),
    Pyramid(Pyramid),
    Map(MapSpec),
    Fan(csa_charts::fan::Fan),
    Funnel(Box<csa_charts::funnel::FunnelPlot>),
}

impl Chart for AnyChart {
    fn size(&self) -> (u32, u32) {
        match self {
            AnyChart::Trend(c) => c.size(),
            AnyChart::Bars(c) => c.size(),
            AnyChart::Heat(c) => c.size(),
            AnyChart::Pyramid(c) => c.size(),
            AnyChart::Map(c) => c.size(),
            AnyChart::Fan(c) => c.size(),
            AnyChart::Funnel(c) => c.size(),
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        match self {
            AnyChart::Trend(c) => c.draw(root),
            AnyChart::Bars(c) => c.draw(root),
            AnyChart::Heat(c) => c.draw(root),
            AnyChart::Pyramid(c) => c.draw(root),
            AnyChart::Map(c) => c.draw(root),
            AnyChart::Fan(c) => c.draw(root),
            AnyChart::Funnel(c) => c.draw(root),
        }
    }
}

fn count(c: &Cell) -> Option<u64> {
    c.as_i64().map(|v| v.max(0) as u64)
}

/// "1,204 (+12.5%)", "<5", "1,204".
pub fn count_label(c: &Cell, change_pct: &Cell) -> String {
    let n = c.display();
    match change_pct.as_f64() {
        Some(p) => format!("{n} ({p:+.1}%)"),
        None => n,
    }
}

fn trend(t: &Table, title: &str, current: &str, previous: &str) -> Trend {
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
    Trend {
        title: title.into(),
        months,
        current_label: current.into(),
        previous_label: previous.into(),
    }
}

fn bars(t: &Table, key: &str, title: &str, skip: &[&str]) -> Bars {
    // rows that count nothing because the data lacks what they need are left out
    let unmeasured = |i: usize| {
        t.get(i, names::COUNT).as_i64() == Some(0) && !matches!(t.get(i, names::NOTE), Cell::Null)
    };
    let mut rows: Vec<(String, Option<f64>, String)> = (0..t.rows.len())
        .filter(|&i| !skip.contains(&t.get(i, key).text().as_str()) && !unmeasured(i))
        .map(|i| {
            (
                t.get(i, key).text(),
                t.get(i, names::COUNT).as_f64(),
                count_label(t.get(i, names::COUNT), t.get(i, names::CHANGE_PCT)),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.1.unwrap_or(-1.0).total_cmp(&a.1.unwrap_or(-1.0)).then(a.0.cmp(&b.0)));
    Bars { title: title.into(), rows }
}

fn heat(t: &Table, title: &str) -> HeatMap {
    let mut counts = [[Some(0u64); 24]; 7];
    for (d, row) in counts.iter_mut().enumerate() {
        for (h, c) in row.iter_mut().enumerate() {
            *c = t.rows.get(d).and_then(|_| count(t.get(d, &ids::col::hour(h))));
        }
    }
    HeatMap { title: title.into(), counts }
}

fn pyramid(t: &Table, title: &str) -> Option<Pyramid> {
    let (m, f) = (t.col("male")?, t.col("female")?);
    let bands = t
        .rows
        .iter()
        .filter(
            |r| !matches!(&r[0], Cell::Text(s) if s == ids::col::TOTAL_ROW || s.starts_with('(')),
        )
        .map(|r| (r[0].text(), (count(&r[m]), r[m].display()), (count(&r[f]), r[f].display())))
        .collect::<Vec<_>>();
    (!bands.is_empty()).then(|| Pyramid { title: title.into(), bands })
}

/// The forecast fan of priority `name` from the published `trend_months` and `forecasts`
/// tables: a hidden month breaks the line, a hidden forecast leaves the fan out.
fn fan(tables: &[Table], name: &str, title: &str) -> Option<csa_charts::fan::Fan> {
    let months = crate::table::find(tables, ids::TREND_MONTHS)?;
    let history: Vec<(String, Option<u64>)> = (0..months.rows.len())
        .filter(|&i| months.get(i, names::PRIORITY).text() == name)
        .map(|i| (months.get(i, names::MONTH).text(), count(months.get(i, names::COUNT))))
        .collect();
    if history.is_empty() {
        return None;
    }
    let forecast = crate::table::find(tables, ids::FORECASTS)
        .map(|f| {
            (0..f.rows.len())
                .filter(|&i| {
                    f.get(i, names::PRIORITY).text() == name
                        && f.get(i, names::MONTH).text() != names::NEXT_12_MONTHS
                })
                .map(|i| {
                    let v = |c: &str| f.get(i, c).as_f64();
                    Some(csa_charts::fan::FanMonth {
                        month: f.get(i, names::MONTH).text(),
                        mean: v(names::FORECAST)?,
                        low95: v(names::LOW_95)?,
                        high95: v(names::HIGH_95)?,
                        low80: v(names::LOW_80)?,
                        high80: v(names::HIGH_80)?,
                    })
                })
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default()
        })
        .unwrap_or_default();
    Some(csa_charts::fan::Fan { title: title.into(), history, forecast })
}

/// The file stem of a priority's forecast fan.
pub fn fan_name(slug: &str) -> String {
    format!("{slug}_forecast")
}

/// Draws every figure of the pack into `dir` (PNG and SVG), in parallel.
pub fn figures(b: &Built, tables: &[Table], dir: &Path) -> csa_analysis::Result<Vec<Figure>> {
    let p = &b.assessment.periods;
    let (cur, prev) = (p.current.to_string(), p.comparison.to_string());
    let mut jobs: Vec<(String, String, AnyChart)> = Vec::new();
    let all = b.parts.iter().find(|p| p.is_all());
    if let Some(all) = all.filter(|p| p.has(Kind::Months)) {
        let t = table(tables, &all.id(Kind::Months))?;
        let title = format!("All crime and ASB per month, {cur} against {prev}");
        jobs.push((
            figure::ALL_TREND.into(),
            title.clone(),
            AnyChart::Trend(trend(t, &title, &cur, &prev)),
        ));
    }
    let t = table(tables, ids::PRIORITY_VOLUMES)?;
    let title = format!("Priorities: records in {cur} (change on {prev})");
    jobs.push((
        figure::PRIORITY_VOLUMES.into(),
        title.clone(),
        AnyChart::Bars(bars(t, names::PRIORITY, &title, &[csa_analysis::config::ALL])),
    ));
    let t = table(tables, ids::CRIME_TYPES)?;
    let title = format!("All crime and ASB by type, {cur} (change on {prev})");
    jobs.push((
        figure::CRIME_TYPES.into(),
        title.clone(),
        AnyChart::Bars(bars(t, csa_analysis::Dim::CrimeType.name(), &title, &[])),
    ));
    if let (Some(all), Some(area)) = (all.filter(|p| p.has(Kind::Wards)), &b.area) {
        let t = table(tables, &all.id(Kind::Wards))?;
        let values: std::collections::HashMap<String, f64> = (0..t.rows.len())
            .filter_map(|i| {
                Some((
                    t.get(i, ids::col::WARD_CODE).text(),
                    t.get(i, names::RATE_PER_1000).as_f64()?,
                ))
            })
            .collect();
        let title = "All crime and ASB per 1,000 residents by ward".to_string();
        let spec = csa_charts::choropleth::choropleth(
            &title,
            &cur,
            "Per 1,000 residents (quintiles)",
            &area.wards,
            &values,
            "no figure (no population, or suppressed)",
        );
        jobs.push((figure::WARD_RATES.into(), title, AnyChart::Map(spec)));
    }
    for part in &b.parts {
        let s = &part.slug;
        let name = &crate::build::title_of(&part.priority);
        if part.has(Kind::Months) {
            let t = table(tables, &part.id(Kind::Months))?;
            let title = format!("{name} per month, {cur} against {prev}");
            jobs.push((
                format!("{s}_trend"),
                title.clone(),
                AnyChart::Trend(trend(t, &title, &cur, &prev)),
            ));
        }
        let title = format!("{name}: recorded per month and forecast (80% and 95% intervals)");
        if let Some(f) = fan(tables, &part.priority.name, &title) {
            jobs.push((fan_name(s), title, AnyChart::Fan(f)));
        }
        if part.has(Kind::DayHour) {
            let t = table(tables, &part.id(Kind::DayHour))?;
            let title = format!("{name}: day of week and hour committed");
            jobs.push((
                format!("{s}_day_hour"),
                title.clone(),
                AnyChart::Heat(Box::new(heat(t, &title))),
            ));
        }
        for who in Who::BOTH {
            if !part.has(Kind::AgeSex(who)) {
                continue;
            }
            let w = who.name();
            let t = table(tables, &part.id(Kind::AgeSex(who)))?;
            if let Some(py) = pyramid(t, &format!("{name}: {w} by age band and sex")) {
                jobs.push((format!("{s}_{w}_pyramid"), py.title.clone(), AnyChart::Pyramid(py)));
            }
        }
        if let Some(h) = &part.hotspots {
            let gi = csa_charts::hotspot_map::hotspot_map(&h.gi, b.area.as_ref());
            jobs.push((format!("{s}_hotspots"), gi.title.clone(), AnyChart::Map(gi)));
            let kde = csa_charts::hotspot_map::hotspot_map(&h.kde, b.area.as_ref());
            jobs.push((format!("{s}_density"), kde.title.clone(), AnyChart::Map(kde)));
        }
    }
    for (name, title, f) in crate::peers::funnels(&b.peers, tables) {
        jobs.push((name, title, AnyChart::Funnel(Box::new(f))));
    }
    jobs.into_par_iter()
        .map(|(name, title, chart)| {
            let svg = svg_string(&chart)?;
            let svg_path = dir.join(format!("{name}.svg"));
            std::fs::write(&svg_path, &svg)
                .map_err(|e| ChartError::Draw { path: svg_path.clone(), detail: e.to_string() })?;
            write_png(&dir.join(format!("{name}.png")), &chart)?;
            Ok(Figure { name, title, svg })
        })
        .collect::<Result<_, ChartError>>()
        .map_err(|e| csa_analysis::AnalysisError::Write {
            path: dir.to_path_buf(),
            detail: e.to_string(),
        })
}
