//! csa charts: maps (and, with the annual pack, charts) drawn with plotters as PNG and SVG.
//!
//! Text uses DejaVu Sans, compiled in from `data/fonts/` (Bitstream Vera licence, in
//! `data/fonts/DejaVu-LICENSE.txt`), so output looks the same on any machine and needs no
//! system fonts. Colours come from [`palette`] only: colour-blind-safe schemes
//! (ColorBrewer RdBu and YlOrRd, Okabe-Ito).

pub mod charts;
pub mod choropleth;
pub mod control_chart;
pub mod fan;
pub mod funnel;
pub mod hotspot_map;
pub mod map;
pub mod palette;
pub mod render;

use std::path::PathBuf;

const FONT: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans.ttf");
/// The family name every chart asks for.
pub const FONT_FAMILY: &str = "sans-serif";

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("cannot draw {}: {detail}", path.display())]
    Draw { path: PathBuf, detail: String },
    #[error("the bundled font could not be loaded")]
    Font,
    #[error("nothing to draw: {0}")]
    Empty(String),
}

/// Registers the bundled font with plotters (once per process).
pub fn register_font() -> Result<(), ChartError> {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *ONCE.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, plotters::style::FontStyle::Normal, FONT)
            .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}
