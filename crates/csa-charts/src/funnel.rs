//! A funnel plot: each area's rate against its population, with the centre (the pooled rate
//! of the comparison areas) and control limits that narrow as the population grows (the
//! limits are worked out by the caller, e.g. `csa_analysis::funnel`, and passed in as
//! curves). The partnership's own area is drawn large in orange and labelled, peer-group
//! areas in blue, others in grey; every area outside the 95% limits is labelled.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::palette::{CATEGORICAL, DIVERGING, INK, MUTED, OUTLINE};
use crate::render::{err, Chart};
use crate::FONT_FAMILY;

/// One area.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelPoint {
    pub label: String,
    pub population: f64,
    pub rate: f64,
    /// The partnership's own area.
    pub own: bool,
    pub peer: bool,
    /// Outside the 95% limits (labelled).
    pub outside: bool,
}

/// The chart's data; rates in the unit of `y_label` (e.g. per 1,000 residents).
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelPlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub centre: f64,
    /// (population, [lower 99.8%, lower 95%, upper 95%, upper 99.8%]), by population.
    pub curve: Vec<(f64, [f64; 4])>,
    pub points: Vec<FunnelPoint>,
    /// A line under the chart (what the centre is, the method).
    pub legend: String,
}

impl Chart for FunnelPlot {
    fn size(&self) -> (u32, u32) {
        (1000, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        if self.points.is_empty() || self.curve.is_empty() {
            return Err(format!("{}: nothing to draw", self.title));
        }
        let xs = self.points.iter().map(|p| p.population).chain(self.curve.iter().map(|c| c.0));
        let (xmin, xmax) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let (xmin, xmax) = (xmin * 0.95, xmax * 1.05);
        let ys = self
            .points
            .iter()
            .map(|p| p.rate)
            .chain(self.curve.iter().flat_map(|c| [c.1[0], c.1[3]]))
            .chain(std::iter::once(self.centre))
            .filter(|v| v.is_finite());
        let (ylo, yhi) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
        let pad = (yhi - ylo).max(1e-9) * 0.08;
        let (ymin, ymax) = ((ylo - pad).max(0.0), yhi + pad);
        root.fill(&WHITE).map_err(err)?;
        let (plot, foot) = root.split_vertically(520);
        let mut ch = ChartBuilder::on(&plot)
            .caption(&self.title, (FONT_FAMILY, 20).into_font().color(&INK))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(xmin..xmax, ymin..ymax)
            .map_err(err)?;
        ch.configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|x| crate::charts::fmt_count(*x))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .label_style((FONT_FAMILY, 13).into_font().color(&INK))
            .axis_desc_style((FONT_FAMILY, 14).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        let line = |k: usize| -> Vec<(f64, f64)> {
            self.curve.iter().map(|(n, l)| (*n, l[k].clamp(ymin, ymax))).collect()
        };
        let style = |k: usize| match k {
            0 => DIVERGING[0].stroke_width(2),
            3 => DIVERGING[6].stroke_width(2),
            _ => OUTLINE.stroke_width(1),
        };
        for k in 0..4 {
            ch.draw_series(std::iter::once(PathElement::new(line(k), style(k)))).map_err(err)?;
        }
        ch.draw_series(std::iter::once(PathElement::new(
            vec![(xmin, self.centre), (xmax, self.centre)],
            INK.stroke_width(2),
        )))
        .map_err(err)?;
        // others first, then peers, then the own area on top
        let mut order: Vec<&FunnelPoint> = self.points.iter().collect();
        order.sort_by_key(|p| (p.own, p.peer));
        for p in order {
            let (colour, size) = if p.own {
                (CATEGORICAL[5], 8)
            } else if p.peer {
                (CATEGORICAL[4], 5)
            } else {
                (MUTED, 5)
            };
            ch.draw_series(std::iter::once(Circle::new(
                (p.population, p.rate.min(ymax)),
                size,
                colour.filled(),
            )))
            .map_err(err)?;
            if p.own || p.outside {
                ch.draw_series(std::iter::once(Text::new(
                    p.label.clone(),
                    (p.population, p.rate.min(ymax)),
                    (FONT_FAMILY, 13).into_font().color(&INK),
                )))
                .map_err(err)?;
            }
        }
        foot.draw(&Text::new(
            self.legend.clone(),
            (20, 10),
            (FONT_FAMILY, 13).into_font().color(&INK),
        ))
        .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_png_and_svg() {
        let chart = FunnelPlot {
            title: "Test".into(),
            x_label: "residents".into(),
            y_label: "per 1,000".into(),
            centre: 20.0,
            curve: (1..=20)
                .map(|i| {
                    let n = i as f64 * 10_000.0;
                    let s = 1000.0 * (0.02 / n).sqrt();
                    (n, [20.0 - 3.0 * s, 20.0 - 2.0 * s, 20.0 + 2.0 * s, 20.0 + 3.0 * s])
                })
                .collect(),
            points: vec![
                FunnelPoint {
                    label: "Own".into(),
                    population: 100_000.0,
                    rate: 25.0,
                    own: true,
                    peer: false,
                    outside: true,
                },
                FunnelPoint {
                    label: "Peer".into(),
                    population: 150_000.0,
                    rate: 19.0,
                    own: false,
                    peer: true,
                    outside: false,
                },
            ],
            legend: "centre 20".into(),
        };
        let svg = crate::render::svg_string(&chart).unwrap_or_else(|e| panic!("{e}"));
        assert!(svg.contains("Own") && !svg.contains(">Peer<"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("f.png");
        crate::render::write_png(&p, &chart).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&std::fs::read(&p).unwrap_or_default()[..4], b"\x89PNG");
    }
}
