//! The forecast fan: a priority's monthly counts over the trend's look-back, then the next
//! months' forecast (mean, blue with open dots) inside its 80% (darker) and 95% (lighter) prediction
//! intervals.
//!
//! A suppressed monthly count is `None`: the history line breaks there (never drawn to
//! scale, as in [`crate::charts`]). A forecast whose figures are hidden is not given: the
//! chart then shows the history alone.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::palette::{CATEGORICAL, INK, MUTED, OUTLINE};
use crate::render::{err, Chart};
use crate::FONT_FAMILY;

/// One forecast month: label, mean, and the 95% and 80% intervals (low, high).
#[derive(Debug, Clone, PartialEq)]
pub struct FanMonth {
    pub month: String,
    pub mean: f64,
    pub low95: f64,
    pub high95: f64,
    pub low80: f64,
    pub high80: f64,
}

/// History and forecast of one series.
#[derive(Debug, Clone)]
pub struct Fan {
    pub title: String,
    /// (month label, count or `None` when suppressed)
    pub history: Vec<(String, Option<u64>)>,
    pub forecast: Vec<FanMonth>,
}

impl Fan {
    fn labels(&self) -> Vec<String> {
        self.history
            .iter()
            .map(|h| h.0.clone())
            .chain(self.forecast.iter().map(|f| f.month.clone()))
            .collect()
    }
}

impl Chart for Fan {
    fn size(&self) -> (u32, u32) {
        (1000, 480)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        root.draw(&Text::new(
            self.title.clone(),
            (20, 12),
            (FONT_FAMILY, 22).into_font().color(&INK),
        ))
        .map_err(err)?;
        let labels = self.labels();
        let n = labels.len().max(1);
        let top = self
            .history
            .iter()
            .filter_map(|h| h.1.map(|v| v as f64))
            .chain(self.forecast.iter().map(|f| f.high95))
            .fold(1.0, f64::max)
            * 1.1;
        let area = root.margin(45, 10, 10, 10);
        let mut ch = ChartBuilder::on(&area)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
            .map_err(err)?;
        // a label every 6 months (January and July of a calendar series)
        let every = |x: f64| -> String {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 || !(i as usize).is_multiple_of(6) {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        };
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| every(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT_FAMILY, 13).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        let h = self.history.len();
        let x = |i: usize| (h + i) as f64;
        let band = |lo: &dyn Fn(&FanMonth) -> f64, hi: &dyn Fn(&FanMonth) -> f64| {
            let mut pts: Vec<(f64, f64)> =
                self.forecast.iter().enumerate().map(|(i, f)| (x(i), hi(f))).collect();
            pts.extend(self.forecast.iter().enumerate().rev().map(|(i, f)| (x(i), lo(f))));
            pts
        };
        let blue = CATEGORICAL[4];
        if !self.forecast.is_empty() {
            ch.draw_series(std::iter::once(Polygon::new(
                band(&|f| f.low95, &|f| f.high95),
                blue.mix(0.15).filled(),
            )))
            .map_err(err)?
            .label("95% prediction interval")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], blue.mix(0.15).filled())
            });
            ch.draw_series(std::iter::once(Polygon::new(
                band(&|f| f.low80, &|f| f.high80),
                blue.mix(0.35).filled(),
            )))
            .map_err(err)?
            .label("80% prediction interval")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], blue.mix(0.35).filled())
            });
            let mean: Vec<(f64, f64)> =
                self.forecast.iter().enumerate().map(|(i, f)| (x(i), f.mean)).collect();
            ch.draw_series(std::iter::once(PathElement::new(mean.clone(), blue.stroke_width(2))))
                .map_err(err)?
                .label("forecast")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2))
                });
            ch.draw_series(mean.into_iter().map(|p| Circle::new(p, 3, blue.stroke_width(1))))
                .map_err(err)?;
        }
        // the history, broken where a count is suppressed
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut run = Vec::new();
        for (i, (_, v)) in self.history.iter().enumerate() {
            match v {
                Some(v) => run.push((i as f64, *v as f64)),
                None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        ch.draw_series(runs.iter().map(|r| PathElement::new(r.clone(), INK.stroke_width(2))))
            .map_err(err)?
            .label("recorded")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], INK.stroke_width(2)));
        if h > 0 && !self.forecast.is_empty() {
            let edge = h as f64 - 0.5;
            ch.draw_series(std::iter::once(PathElement::new(
                vec![(edge, 0.0), (edge, top)],
                MUTED.stroke_width(1),
            )))
            .map_err(err)?;
        }
        ch.configure_series_labels()
            .border_style(OUTLINE)
            .background_style(WHITE.mix(0.9))
            .label_font((FONT_FAMILY, 14).into_font().color(&INK))
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn draws_history_gaps_and_the_fan() {
        let fan = Fan {
            title: "Robbery: recorded and forecast".into(),
            history: (0..24)
                .map(|i| (format!("2024-{:02}", i % 12 + 1), (i != 5).then_some(40 + i as u64)))
                .collect(),
            forecast: (0..12)
                .map(|i| FanMonth {
                    month: format!("2026-{:02}", i + 1),
                    mean: 60.0,
                    low95: 45.0,
                    high95: 77.0,
                    low80: 50.0,
                    high80: 70.0,
                })
                .collect(),
        };
        let svg = crate::render::svg_string(&fan).unwrap();
        assert!(svg.contains("Robbery: recorded and forecast"));
        assert!(svg.contains("80% prediction interval") && svg.contains("95% prediction interval"));
        // the labels every 6 months: 2024-01, 2024-07, then the forecast's 2026-01, 2026-07
        assert!(svg.contains("2024-07") && svg.contains("2026-07"), "labels");
        assert!(!svg.contains("2024-02"));
    }
}
