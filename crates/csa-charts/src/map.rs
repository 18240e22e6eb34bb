//! A thematic map in British National Grid metres: ward outlines, shaded grid cells, cluster
//! hulls and points, with a title, a legend, a scale bar, a north arrow and a source line.
//!
//! The projection is BNG itself (a conformal projection: one metre is the same number of
//! pixels east-west and north-south), scaled to fit the map panel; the scale bar length is
//! the largest of 100 m, 200 m, 500 m, 1, 2, 5, 10, 20, 50 km that fits a fifth of the panel.
//! Drawn identically to PNG (bitmap) and SVG.

use geo::{MultiPolygon, Polygon, Rect};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::palette::{INK, MUTED, OUTLINE};
use crate::render::Chart;
use crate::FONT_FAMILY;

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct MapSpec {
    pub title: String,
    pub subtitle: String,
    /// Ward (or other area) outlines, BNG metres.
    pub outlines: Vec<MultiPolygon<f64>>,
    /// Filled areas (a choropleth's wards), BNG metres.
    pub areas: Vec<(MultiPolygon<f64>, RGBColor)>,
    /// Shaded squares (grid cells), BNG metres.
    pub cells: Vec<(Rect<f64>, RGBColor)>,
    /// Cluster hulls with an optional label (drawn by the hull's northernmost vertex).
    pub hulls: Vec<(Polygon<f64>, RGBColor, Option<String>)>,
    /// Crime points, drawn small and muted under the hulls.
    pub points: Vec<[f64; 2]>,
    pub legend_title: String,
    pub legend: Vec<(String, RGBColor)>,
    /// Source and copyright line.
    pub footer: String,
}

/// Pixel size of written maps.
pub const SIZE: (u32, u32) = (1200, 900);

impl Chart for MapSpec {
    fn size(&self) -> (u32, u32) {
        SIZE
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw(root, self)
    }
}

/// BNG -> pixel transform of the map panel.
struct View {
    min_x: f64,
    max_y: f64,
    scale: f64,
    left: f64,
    top: f64,
}

impl View {
    fn px(&self, x: f64, y: f64) -> (i32, i32) {
        (
            (self.left + (x - self.min_x) * self.scale).round() as i32,
            (self.top + (self.max_y - y) * self.scale).round() as i32,
        )
    }
}

fn extent(spec: &MapSpec) -> Option<[f64; 4]> {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut add = |x: f64, y: f64| {
        if x.is_finite() && y.is_finite() {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    };
    for m in &spec.outlines {
        for p in &m.0 {
            for c in p.exterior().coords() {
                add(c.x, c.y);
            }
        }
    }
    if spec.outlines.is_empty() {
        for (r, _) in &spec.cells {
            add(r.min().x, r.min().y);
            add(r.max().x, r.max().y);
        }
        for p in &spec.points {
            add(p[0], p[1]);
        }
    }
    (b[0] < b[2] && b[1] < b[3]).then_some(b)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &MapSpec) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    let title = (FONT_FAMILY, 26).into_font().color(&INK);
    let small = (FONT_FAMILY, 15).into_font().color(&INK);
    root.draw(&Text::new(spec.title.clone(), (20, 14), title)).map_err(e)?;
    root.draw(&Text::new(spec.subtitle.clone(), (20, 48), small.clone())).map_err(e)?;
    let Some(b) = extent(spec) else {
        return Err("the map has nothing with a position to draw".into());
    };
    // map panel
    let (left, top, right, bottom) = (20.0, 80.0, w - 290.0, h - 70.0);
    let (dx, dy) = ((b[2] - b[0]) * 1.04, (b[3] - b[1]) * 1.04);
    let scale = ((right - left) / dx).min((bottom - top) / dy);
    let view = View {
        min_x: b[0] - (b[2] - b[0]) * 0.02 - ((right - left) / scale - dx) / 2.0,
        max_y: b[3] + (b[3] - b[1]) * 0.02 + ((bottom - top) / scale - dy) / 2.0,
        scale,
        left,
        top,
    };
    for (m, c) in &spec.areas {
        for p in &m.0 {
            let pts: Vec<(i32, i32)> = p
                .exterior()
                .coords()
                .filter(|c| c.x.is_finite())
                .map(|c| view.px(c.x, c.y))
                .collect();
            root.draw(&plotters::element::Polygon::new(pts, c.filled())).map_err(e)?;
        }
    }
    for (r, c) in &spec.cells {
        let a = view.px(r.min().x, r.max().y);
        let z = view.px(r.max().x, r.min().y);
        root.draw(&Rectangle::new([a, z], c.filled())).map_err(e)?;
    }
    for p in &spec.points {
        root.draw(&Circle::new(view.px(p[0], p[1]), 1, MUTED.filled())).map_err(e)?;
    }
    for m in &spec.outlines {
        for p in &m.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                let pts: Vec<(i32, i32)> =
                    ring.coords().filter(|c| c.x.is_finite()).map(|c| view.px(c.x, c.y)).collect();
                root.draw(&PathElement::new(pts, OUTLINE.stroke_width(1))).map_err(e)?;
            }
        }
    }
    for (p, c, label) in &spec.hulls {
        let pts: Vec<(i32, i32)> = p.exterior().coords().map(|c| view.px(c.x, c.y)).collect();
        root.draw(&plotters::element::Polygon::new(pts.clone(), c.mix(0.35).filled()))
            .map_err(e)?;
        root.draw(&PathElement::new(pts.clone(), c.stroke_width(2))).map_err(e)?;
        if let (Some(l), Some(first)) = (label, pts.iter().min_by_key(|p| p.1)) {
            root.draw(&Text::new(
                l.clone(),
                (first.0 + 3, first.1 - 16),
                ("sans-serif", 14).into_font().color(&INK),
            ))
            .map_err(e)?;
        }
    }
    // legend
    let lx = (w - 270.0) as i32;
    let mut ly = 90;
    root.draw(&Text::new(
        spec.legend_title.clone(),
        (lx, ly),
        (FONT_FAMILY, 17).into_font().color(&INK),
    ))
    .map_err(e)?;
    ly += 30;
    for (label, c) in &spec.legend {
        root.draw(&Rectangle::new([(lx, ly), (lx + 22, ly + 16)], c.filled())).map_err(e)?;
        root.draw(&Rectangle::new([(lx, ly), (lx + 22, ly + 16)], OUTLINE.stroke_width(1)))
            .map_err(e)?;
        root.draw(&Text::new(label.clone(), (lx + 30, ly), small.clone())).map_err(e)?;
        ly += 24;
    }
    // scale bar
    let target = (right - left) / 5.0 / scale;
    let len = [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0, 50_000.0]
        .into_iter()
        .rev()
        .find(|l| *l <= target)
        .unwrap_or(100.0);
    let (sx, sy) = (left as i32 + 10, (bottom + 25.0) as i32);
    let sw = (len * scale).round() as i32;
    root.draw(&Rectangle::new([(sx, sy), (sx + sw, sy + 6)], INK.filled())).map_err(e)?;
    let label = if len >= 1000.0 { format!("{} km", len / 1000.0) } else { format!("{len} m") };
    root.draw(&Text::new(label, (sx + sw + 8, sy - 6), small.clone())).map_err(e)?;
    // north arrow
    let (nx, ny) = ((right - 20.0) as i32, (top + 10.0) as i32);
    root.draw(&plotters::element::Polygon::new(
        vec![(nx, ny), (nx - 8, ny + 22), (nx + 8, ny + 22)],
        INK.filled(),
    ))
    .map_err(e)?;
    root.draw(&Text::new("N", (nx - 5, ny + 25), small.clone())).map_err(e)?;
    root.draw(&Text::new(
        spec.footer.clone(),
        (20, (h - 28.0) as i32),
        (FONT_FAMILY, 12).into_font().color(&INK),
    ))
    .map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn draws_png_and_svg() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let square = polygon![(x: 0.0, y: 0.0), (x: 1000.0, y: 0.0), (x: 1000.0, y: 1000.0), (x: 0.0, y: 1000.0), (x: 0.0, y: 0.0)];
        let spec = MapSpec {
            title: "Test".into(),
            subtitle: "a square".into(),
            outlines: vec![MultiPolygon(vec![square.clone()])],
            areas: vec![(MultiPolygon(vec![square.clone()]), BLUE)],
            cells: vec![(
                Rect::new(geo::coord! {x: 0.0, y: 0.0}, geo::coord! {x: 250.0, y: 250.0}),
                RED,
            )],
            hulls: vec![(square, BLUE, Some("1".into()))],
            points: vec![[500.0, 500.0]],
            legend_title: "Legend".into(),
            legend: vec![("hot".into(), RED)],
            footer: "source".into(),
        };
        let [png, svg] = crate::render::write_both(&dir.path().join("m"), &spec)
            .unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(&png).unwrap_or_default();
        assert_eq!(&bytes[..4], b"\x89PNG");
        let text = std::fs::read_to_string(&svg).unwrap_or_default();
        assert!(text.contains("<svg") && text.contains("Legend"));
        assert!(crate::render::write_png(&png, &MapSpec::default()).is_err());
    }
}
