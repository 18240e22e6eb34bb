//! The assessment's charts, each a [`Chart`] written as PNG and SVG:
//!
//! - [`Trend`]: monthly counts of the period against the same months a year before;
//! - [`Bars`]: one horizontal bar per item (priority volumes) with a change label;
//! - [`HeatMap`]: day of week x hour, counts shaded on the sequential palette, with a key;
//! - [`Pyramid`]: age bands, male to the left and female to the right;
//! - [`PairedIntervals`]: two estimates per item (e.g. unweighted and weighted survey
//!   shares), each a dot with its interval, on one percentage scale.
//!
//! Labels use the bundled font at 13-16 px; colours come from [`crate::palette`].
//!
//! Counts may be **suppressed** (the public edition of the pack hides counts of 1 to 4 and
//! the cells that would give them away): a suppressed count is `None` with the label it is
//! published under ("<5" or "*"). It is never drawn to scale: the trend line breaks there,
//! bars and heat-map cells are drawn hatched grey with the label, so no position, length or
//! shade gives the number back.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::palette::{CATEGORICAL, INK, MUTED, OUTLINE, SEQUENTIAL, SUPPRESSED};
use crate::render::{err, Chart};
use crate::FONT_FAMILY;

fn caption<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    root.draw(&Text::new(title.to_string(), (20, 12), (FONT_FAMILY, 22).into_font().color(&INK)))
        .map_err(err)
}

/// Monthly counts, this period against the year before.
#[derive(Debug, Clone)]
pub struct Trend {
    pub title: String,
    /// (month label, count, count a year before); `None` = not available or suppressed
    pub months: Vec<(String, Option<u64>, Option<u64>)>,
    pub current_label: String,
    pub previous_label: String,
}

impl Chart for Trend {
    fn size(&self) -> (u32, u32) {
        (1000, 480)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        caption(root, &self.title)?;
        let n = self.months.len();
        let max =
            self.months.iter().map(|m| m.1.unwrap_or(0).max(m.2.unwrap_or(0))).max().unwrap_or(1)
                as f64
                * 1.15
                + 1.0;
        let area = root.margin(45, 10, 10, 10);
        let mut ch = ChartBuilder::on(&area)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..max)
            .map_err(err)?;
        let labels: Vec<String> = self.months.iter().map(|m| m.0.clone()).collect();
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(n.max(1))
            .x_label_formatter(&|x| crate::render::category_label(&labels, *x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT_FAMILY, 13).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        let prev = segments(self.months.iter().map(|m| m.2));
        if !prev.is_empty() {
            ch.draw_series(prev.into_iter().map(|s| PathElement::new(s, MUTED.stroke_width(2))))
                .map_err(err)?
                .label(self.previous_label.clone())
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], MUTED.stroke_width(2))
                });
        }
        let cur = segments(self.months.iter().map(|m| m.1));
        ch.draw_series(
            cur.iter().map(|s| PathElement::new(s.clone(), CATEGORICAL[4].stroke_width(3))),
        )
        .map_err(err)?
        .label(self.current_label.clone())
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], CATEGORICAL[4].stroke_width(3))
        });
        ch.draw_series(cur.iter().flatten().map(|&p| Circle::new(p, 3, CATEGORICAL[4].filled())))
            .map_err(err)?;
        ch.configure_series_labels()
            .border_style(OUTLINE)
            .background_style(WHITE.mix(0.9))
            .label_font((FONT_FAMILY, 14).into_font().color(&INK))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// The unbroken runs of a series with gaps, as (x, y) paths.
fn segments(values: impl Iterator<Item = Option<u64>>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    for (i, v) in values.enumerate() {
        match v {
            Some(v) => run.push((i as f64, v as f64)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Horizontal bars, largest first as given, with a label after each bar.
#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    /// (name, value or `None` when suppressed, label written after the bar, e.g. "1,204 +12%")
    pub rows: Vec<(String, Option<f64>, String)>,
}

impl Chart for Bars {
    fn size(&self) -> (u32, u32) {
        (1000, (90 + 30 * self.rows.len() as u32).max(200))
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        caption(root, &self.title)?;
        let (w, _) = root.dim_in_pixel();
        let name_w: i32 = 300;
        let max = self.rows.iter().filter_map(|r| r.1).fold(0.0, f64::max).max(1.0);
        let scale = (f64::from(w) - f64::from(name_w) - 200.0) / max;
        for (i, (name, v, label)) in self.rows.iter().enumerate() {
            let y = 55 + 30 * i as i32;
            root.draw(&Text::new(
                name.clone(),
                (20, y + 4),
                (FONT_FAMILY, 15).into_font().color(&INK),
            ))
            .map_err(err)?;
            let x1 = match v {
                Some(v) => {
                    let x1 = name_w + (v.max(0.0) * scale).round() as i32;
                    root.draw(&Rectangle::new(
                        [(name_w, y), (x1.max(name_w + 1), y + 22)],
                        CATEGORICAL[4].filled(),
                    ))
                    .map_err(err)?;
                    x1
                }
                None => suppressed_box(root, (name_w, y), (name_w + 24, y + 22))?,
            };
            root.draw(&Text::new(
                label.clone(),
                (x1 + 8, y + 4),
                (FONT_FAMILY, 14).into_font().color(&INK),
            ))
            .map_err(err)?;
        }
        Ok(())
    }
}

/// One estimate in percent with its interval: (value, low, high).
pub type Estimate = (f64, f64, f64);

/// Two estimates per item, each a dot on its interval line, the first series above the
/// second; items as given, top to bottom. A missing estimate draws nothing.
#[derive(Debug, Clone)]
pub struct PairedIntervals {
    pub title: String,
    /// Names of the two series, in the key (e.g. "As answered", "Weighted to the population").
    pub series: [String; 2],
    pub rows: Vec<(String, [Option<Estimate>; 2])>,
}

impl Chart for PairedIntervals {
    fn size(&self) -> (u32, u32) {
        (1000, (110 + 36 * self.rows.len() as u32).max(200))
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        caption(root, &self.title)?;
        let (w, h) = root.dim_in_pixel();
        let (left, right) = (300_i32, w as i32 - 40);
        let top_value = self
            .rows
            .iter()
            .flat_map(|r| r.1.iter().flatten().map(|e| e.2))
            .fold(0.0_f64, f64::max);
        // axis to the next multiple of 10 percent
        let max = ((top_value / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
        let x =
            |v: f64| left + ((v.clamp(0.0, max) / max) * f64::from(right - left)).round() as i32;
        let font = (FONT_FAMILY, 14).into_font().color(&INK);
        let small = (FONT_FAMILY, 13).into_font().color(&INK);
        let colours = [CATEGORICAL[0], CATEGORICAL[4]];
        // key
        for (i, (name, c)) in self.series.iter().zip(colours).enumerate() {
            let kx = left + 260 * i as i32;
            root.draw(&Circle::new((kx, 50), 5, c.filled())).map_err(err)?;
            root.draw(&Text::new(name.clone(), (kx + 12, 43), small.clone())).map_err(err)?;
        }
        let bottom = h as i32 - 40;
        // grid and axis labels every 10 points
        let mut v = 0.0;
        while v <= max + 1e-9 {
            let gx = x(v);
            root.draw(&PathElement::new(vec![(gx, 70), (gx, bottom)], MUTED.stroke_width(1)))
                .map_err(err)?;
            root.draw(&Text::new(format!("{v:.0}%"), (gx - 12, bottom + 8), small.clone()))
                .map_err(err)?;
            v += 10.0;
        }
        for (i, (name, est)) in self.rows.iter().enumerate() {
            let y = 80 + 36 * i as i32;
            root.draw(&Text::new(name.clone(), (20, y + 6), font.clone())).map_err(err)?;
            for (j, (e, c)) in est.iter().zip(colours).enumerate() {
                let Some((v, lo, hi)) = e else { continue };
                let yy = y + 6 + 14 * j as i32;
                root.draw(&PathElement::new(vec![(x(*lo), yy), (x(*hi), yy)], c.stroke_width(2)))
                    .map_err(err)?;
                root.draw(&Circle::new((x(*v), yy), 5, c.filled())).map_err(err)?;
            }
        }
        root.draw(&PathElement::new(
            vec![(left, bottom), (right, bottom)],
            OUTLINE.stroke_width(1),
        ))
        .map_err(err)?;
        Ok(())
    }
}

/// A hatched grey box: where a suppressed count would be drawn. Returns its right edge.
fn suppressed_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
) -> Result<i32, String> {
    root.draw(&Rectangle::new([a, b], SUPPRESSED.filled())).map_err(err)?;
    let mut x = a.0;
    while x < b.0 {
        root.draw(&PathElement::new(
            vec![(x, b.1), ((x + (b.1 - a.1)).min(b.0), a.1)],
            WHITE.stroke_width(1),
        ))
        .map_err(err)?;
        x += 6;
    }
    Ok(b.0)
}

/// Whole numbers with thousands separators ("15,978"); others with one decimal.
pub fn fmt_count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        let s = format!("{}", v.round() as i64);
        // thousands separators
        let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else {
        format!("{v:.1}")
    }
}

/// Day of week (rows, Monday first) x hour (columns).
#[derive(Debug, Clone)]
pub struct HeatMap {
    pub title: String,
    /// `None` = suppressed (drawn hatched grey, never shaded by its value).
    pub counts: [[Option<u64>; 24]; 7],
}

impl Chart for HeatMap {
    fn size(&self) -> (u32, u32) {
        (1000, 380)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        caption(root, &self.title)?;
        let max = self.counts.iter().flatten().flatten().copied().max().unwrap_or(0).max(1) as f64;
        let any_hidden = self.counts.iter().flatten().any(Option::is_none);
        let (x0, y0, cw, chh) = (70, 60, 36, 34);
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let font = (FONT_FAMILY, 13).into_font().color(&INK);
        for (d, row) in self.counts.iter().enumerate() {
            let y = y0 + d as i32 * chh;
            root.draw(&Text::new(days[d], (20, y + 10), font.clone())).map_err(err)?;
            for (h, &c) in row.iter().enumerate() {
                let x = x0 + h as i32 * cw;
                let Some(c) = c else {
                    suppressed_box(root, (x, y), (x + cw - 2, y + chh - 2))?;
                    continue;
                };
                let k = ((c as f64 / max) * (SEQUENTIAL.len() - 1) as f64).round() as usize;
                let colour = if c == 0 { WHITE } else { SEQUENTIAL[k.min(SEQUENTIAL.len() - 1)] };
                root.draw(&Rectangle::new([(x, y), (x + cw - 2, y + chh - 2)], colour.filled()))
                    .map_err(err)?;
            }
        }
        for h in (0..24).step_by(2) {
            root.draw(&Text::new(
                format!("{h:02}"),
                (x0 + h * cw + 8, y0 + 7 * chh + 6),
                font.clone(),
            ))
            .map_err(err)?;
        }
        // key
        let ky = y0 + 7 * chh + 30;
        root.draw(&Text::new("fewer", (x0, ky + 2), font.clone())).map_err(err)?;
        for (i, c) in SEQUENTIAL.iter().enumerate() {
            let x = x0 + 50 + i as i32 * 30;
            root.draw(&Rectangle::new([(x, ky), (x + 28, ky + 16)], c.filled())).map_err(err)?;
        }
        root.draw(&Text::new(
            format!("more (most: {} in one hour slot)", fmt_count(max)),
            (x0 + 60 + 30 * SEQUENTIAL.len() as i32, ky + 2),
            font.clone(),
        ))
        .map_err(err)?;
        if any_hidden {
            let kx = x0 + 430 + 30 * SEQUENTIAL.len() as i32;
            suppressed_box(root, (kx, ky), (kx + 28, ky + 16))?;
            root.draw(&Text::new("suppressed", (kx + 36, ky + 2), font)).map_err(err)?;
        }
        Ok(())
    }
}

/// One side of a pyramid band: the count (`None` = suppressed) and its label.
pub type Side = (Option<u64>, String);

/// Age-sex pyramid.
#[derive(Debug, Clone)]
pub struct Pyramid {
    pub title: String,
    /// (age band, male, female), youngest first (drawn at the bottom); a count is its value
    /// (`None` = suppressed) and its label.
    pub bands: Vec<(String, Side, Side)>,
}

impl Chart for Pyramid {
    fn size(&self) -> (u32, u32) {
        (900, (110 + 30 * self.bands.len() as u32).max(220))
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        caption(root, &self.title)?;
        let (w, h) = root.dim_in_pixel();
        let mid = (w / 2) as i32;
        let max = self
            .bands
            .iter()
            .map(|b| b.1 .0.unwrap_or(0).max(b.2 .0.unwrap_or(0)))
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let half = f64::from(w) / 2.0 - 140.0;
        let font = (FONT_FAMILY, 13).into_font().color(&INK);
        root.draw(&Text::new("Male", (mid - 120, 45), (FONT_FAMILY, 15).into_font().color(&INK)))
            .map_err(err)?;
        root.draw(&Text::new("Female", (mid + 70, 45), (FONT_FAMILY, 15).into_font().color(&INK)))
            .map_err(err)?;
        let bottom = h as i32 - 30;
        for (i, (band, m, f)) in self.bands.iter().enumerate() {
            let y = bottom - 30 * (i as i32 + 1);
            let lm = match m.0 {
                Some(v) => {
                    let l = (v as f64 / max * half).round() as i32;
                    root.draw(&Rectangle::new(
                        [(mid - 40 - l, y), (mid - 40, y + 24)],
                        CATEGORICAL[4].filled(),
                    ))
                    .map_err(err)?;
                    l
                }
                None => mid - 40 - suppressed_box(root, (mid - 64, y), (mid - 40, y + 24))? + 24,
            };
            let lf = match f.0 {
                Some(v) => {
                    let l = (v as f64 / max * half).round() as i32;
                    root.draw(&Rectangle::new(
                        [(mid + 40, y), (mid + 40 + l, y + 24)],
                        CATEGORICAL[5].filled(),
                    ))
                    .map_err(err)?;
                    l
                }
                None => suppressed_box(root, (mid + 40, y), (mid + 64, y + 24))? - mid - 40,
            };
            root.draw(&Text::new(band.clone(), (mid - 25, y + 5), font.clone())).map_err(err)?;
            root.draw(&Text::new(m.1.clone(), (mid - 40 - lm - 50, y + 5), font.clone()))
                .map_err(err)?;
            root.draw(&Text::new(f.1.clone(), (mid + 45 + lf, y + 5), font.clone()))
                .map_err(err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::write_both;

    #[test]
    fn every_chart_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let months: Vec<(String, Option<u64>, Option<u64>)> = (1..=12)
            .map(|m| (format!("2025-{m:02}"), (m != 6).then_some(100 + m * 3), Some(110 + m)))
            .collect();
        let trend = Trend {
            title: "All crime".into(),
            months,
            current_label: "2025".into(),
            previous_label: "2024".into(),
        };
        let bars = Bars {
            title: "Priorities".into(),
            rows: vec![
                ("ASB".into(), Some(15_978.0), format!("{} +3%", fmt_count(15_978.0))),
                ("Robbery".into(), None, "<5".into()),
            ],
        };
        let mut counts = [[Some(0u64); 24]; 7];
        counts[5][23] = Some(40);
        counts[0][9] = None;
        let heat = HeatMap { title: "Day and hour".into(), counts };
        let pyr = Pyramid {
            title: "Victims".into(),
            bands: vec![
                ("0-9".into(), (Some(10), "10".into()), (None, "<5".into())),
                ("10-17".into(), (Some(40), "40".into()), (Some(35), "35".into())),
            ],
        };
        for (name, svg_text) in [
            (
                "trend",
                write_both(&dir.path().join("trend"), &trend)
                    .map(|p| std::fs::read_to_string(&p[1]).unwrap_or_default()),
            ),
            (
                "bars",
                write_both(&dir.path().join("bars"), &bars)
                    .map(|p| std::fs::read_to_string(&p[1]).unwrap_or_default()),
            ),
            (
                "heat",
                write_both(&dir.path().join("heat"), &heat)
                    .map(|p| std::fs::read_to_string(&p[1]).unwrap_or_default()),
            ),
            (
                "pyramid",
                write_both(&dir.path().join("pyramid"), &pyr)
                    .map(|p| std::fs::read_to_string(&p[1]).unwrap_or_default()),
            ),
        ] {
            let svg = svg_text.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(svg.starts_with("<svg"), "{name}");
            let png = std::fs::read(dir.path().join(format!("{name}.png"))).unwrap_or_default();
            assert_eq!(&png[..4], b"\x89PNG", "{name}");
        }
        // labels are real text in the SVG (readable, searchable)
        let bars_svg = std::fs::read_to_string(dir.path().join("bars.svg")).unwrap_or_default();
        assert!(bars_svg.contains("15,978 +3%"), "thousands separators and change label");
        assert_eq!(fmt_count(1_234_567.0), "1,234,567");
        assert_eq!(fmt_count(-1200.0), "-1,200");
        assert_eq!(fmt_count(2.5), "2.5");
    }
}
