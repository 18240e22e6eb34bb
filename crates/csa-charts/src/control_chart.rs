//! A c-chart of monthly counts: is this month's count within what chance alone gives?
//!
//! Centre line c = the mean monthly count over the baseline months (the 12 months before the
//! quarter reported on, or as many as there are); for Poisson counts the standard deviation
//! is sqrt(c), so the control limits are c +- 3 sqrt(c) and the warning limits c +- 2 sqrt(c)
//! (lower limits held at 0). Months outside the control limits are drawn as filled red
//! (above) or blue (below) points; the quarter reported on is shaded.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::palette::{DIVERGING, INK, MUTED, OUTLINE};
use crate::render::{err, Chart};
use crate::FONT_FAMILY;

/// The chart's data.
#[derive(Debug, Clone)]
pub struct ControlChart {
    pub title: String,
    /// (label, count) per month, oldest first.
    pub months: Vec<(String, u64)>,
    /// Indices of `months` that form the baseline.
    pub baseline: std::ops::Range<usize>,
    /// Indices of `months` to shade (the quarter reported on).
    pub highlight: std::ops::Range<usize>,
}

impl From<&csa_analysis::quarterly::ControlSeries> for ControlChart {
    fn from(s: &csa_analysis::quarterly::ControlSeries) -> ControlChart {
        ControlChart {
            title: s.title.clone(),
            months: s.months.clone(),
            baseline: s.baseline.clone(),
            highlight: s.highlight.clone(),
        }
    }
}

/// Centre, warning and control limits: (c, lower warning, upper warning, lower control, upper control).
pub fn limits(baseline: &[u64]) -> Option<(f64, f64, f64, f64, f64)> {
    if baseline.is_empty() {
        return None;
    }
    let c = baseline.iter().sum::<u64>() as f64 / baseline.len() as f64;
    let s = c.sqrt();
    Some((c, (c - 2.0 * s).max(0.0), c + 2.0 * s, (c - 3.0 * s).max(0.0), c + 3.0 * s))
}

impl Chart for ControlChart {
    fn size(&self) -> (u32, u32) {
        (1000, 500)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let chart = self;
        let n = chart.months.len();
        if n == 0 {
            return Err(format!("{}: no months", chart.title));
        }
        let base: Vec<u64> = chart.months[chart.baseline.clone()].iter().map(|m| m.1).collect();
        let (c, lw, uw, lc, uc) =
            limits(&base).ok_or_else(|| format!("{}: no baseline months", chart.title))?;
        let max = chart.months.iter().map(|m| m.1 as f64).fold(uc, f64::max) * 1.1 + 1.0;
        root.fill(&WHITE).map_err(err)?;
        let mut ch = ChartBuilder::on(root)
            .caption(&chart.title, (FONT_FAMILY, 22).into_font().color(&INK))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..max)
            .map_err(err)?;
        let labels: Vec<String> = chart.months.iter().map(|m| m.0.clone()).collect();
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|x| crate::render::category_label(&labels, *x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .y_desc("crimes per month")
            .label_style((FONT_FAMILY, 13).into_font().color(&INK))
            .axis_desc_style((FONT_FAMILY, 14).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        let h = &chart.highlight;
        if !h.is_empty() {
            ch.draw_series(std::iter::once(Rectangle::new(
                [(h.start as f64 - 0.5, 0.0), (h.end as f64 - 0.5, max)],
                MUTED.mix(0.25).filled(),
            )))
            .map_err(err)?;
        }
        let hline = |y: f64, style: ShapeStyle| {
            PathElement::new(vec![(-0.5, y), (n as f64 - 0.5, y)], style)
        };
        ch.draw_series([
            hline(c, INK.stroke_width(2)),
            hline(uw, OUTLINE.stroke_width(1)),
            hline(lw, OUTLINE.stroke_width(1)),
            hline(uc, DIVERGING[6].stroke_width(2)),
            hline(lc, DIVERGING[0].stroke_width(2)),
        ])
        .map_err(err)?;
        let pts: Vec<(f64, f64)> =
            chart.months.iter().enumerate().map(|(i, m)| (i as f64, m.1 as f64)).collect();
        ch.draw_series(std::iter::once(PathElement::new(pts.clone(), INK.stroke_width(2))))
            .map_err(err)?;
        ch.draw_series(pts.iter().map(|&(x, y)| {
            let colour = if y > uc {
                DIVERGING[6]
            } else if y < lc {
                DIVERGING[0]
            } else {
                INK
            };
            Circle::new((x, y), 4, colour.filled())
        }))
        .map_err(err)?;
        let legend = format!("centre {c:.1} (mean of {} baseline months); warning {lw:.1}-{uw:.1}; control {lc:.1}-{uc:.1}", base.len());
        root.draw(&Text::new(legend, (80, 470), (FONT_FAMILY, 13).into_font().color(&INK)))
            .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_limits_and_png() {
        // baseline mean 16: sd 4, warning 8..24, control 4..28
        let (c, lw, uw, lc, uc) = limits(&[12, 20, 16, 16]).unwrap_or_default();
        assert_eq!((c, lw, uw, lc, uc), (16.0, 8.0, 24.0, 4.0, 28.0));
        assert_eq!(limits(&[1]).map(|l| l.3), Some(0.0));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("c.png");
        let chart = ControlChart {
            title: "Test".into(),
            months: (0..24)
                .map(|i| (format!("2025-{:02}", i % 12 + 1), 10 + (i % 5) as u64 * 3))
                .collect(),
            baseline: 9..21,
            highlight: 21..24,
        };
        crate::render::write_png(&p, &chart).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&std::fs::read(&p).unwrap_or_default()[..4], b"\x89PNG");
    }
}
