//! One drawing, two formats: every chart implements [`Chart`] once, generically over the
//! plotters backend, and is written as PNG (bitmap) and SVG from the same code.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{register_font, ChartError};

pub trait Chart {
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`; the error text says what could not be drawn.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn finish<DB: DrawingBackend>(
    path: &Path,
    root: DrawingArea<DB, Shift>,
    chart: &impl Chart,
) -> Result<(), ChartError> {
    chart.draw(&root).map_err(|detail| ChartError::Draw { path: path.to_path_buf(), detail })?;
    root.present().map_err(|e| ChartError::Draw { path: path.to_path_buf(), detail: e.to_string() })
}

pub fn write_png(path: &Path, chart: &impl Chart) -> Result<(), ChartError> {
    register_font()?;
    finish(path, BitMapBackend::new(path, chart.size()).into_drawing_area(), chart)
}

pub fn write_svg(path: &Path, chart: &impl Chart) -> Result<(), ChartError> {
    register_font()?;
    finish(path, SVGBackend::new(path, chart.size()).into_drawing_area(), chart)
}

/// `base.png` and `base.svg`.
pub fn write_both(base: &Path, chart: &impl Chart) -> Result<[PathBuf; 2], ChartError> {
    let png = base.with_extension("png");
    let svg = base.with_extension("svg");
    write_png(&png, chart)?;
    write_svg(&svg, chart)?;
    Ok([png, svg])
}

/// plotters' drawing errors as text.
pub fn err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// The label of category axis position `x` (categories at 0, 1, 2, ...): the label at a whole
/// position, nothing between.
pub fn category_label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 {
        labels.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// The SVG of `chart` as text (for inlining in a report); identical to what [`write_svg`]
/// writes.
pub fn svg_string(chart: &impl Chart) -> Result<String, ChartError> {
    register_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        finish(Path::new("<svg>"), root, chart)?;
    }
    Ok(text)
}
