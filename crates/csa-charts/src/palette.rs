//! The one palette of every csa chart and map. All schemes are colour-blind safe:
//! ColorBrewer RdBu (diverging, 7 classes) for hot and cold spots, ColorBrewer YlOrRd
//! (sequential, 6 classes) for densities and rates, Okabe-Ito for categories.

use plotters::style::RGBColor;

/// Gi* bins -3..=3 (index bin + 3); bin 0 is not drawn on maps.
pub const DIVERGING: [RGBColor; 7] = [
    RGBColor(0x21, 0x66, 0xac),
    RGBColor(0x67, 0xa9, 0xcf),
    RGBColor(0xd1, 0xe5, 0xf0),
    RGBColor(0xf7, 0xf7, 0xf7),
    RGBColor(0xfd, 0xdb, 0xc7),
    RGBColor(0xef, 0x8a, 0x62),
    RGBColor(0xb2, 0x18, 0x2b),
];

/// Low to high.
pub const SEQUENTIAL: [RGBColor; 6] = [
    RGBColor(0xff, 0xff, 0xb2),
    RGBColor(0xfe, 0xd9, 0x76),
    RGBColor(0xfe, 0xb2, 0x4c),
    RGBColor(0xfd, 0x8d, 0x3c),
    RGBColor(0xf0, 0x3b, 0x20),
    RGBColor(0xbd, 0x00, 0x26),
];

/// Okabe-Ito, for categories (black last).
pub const CATEGORICAL: [RGBColor; 8] = [
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xf0, 0xe4, 0x42),
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0x00, 0x00, 0x00),
];

/// Outlines and text.
pub const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
pub const OUTLINE: RGBColor = RGBColor(0x80, 0x80, 0x80);
pub const MUTED: RGBColor = RGBColor(0xa0, 0xa0, 0xa0);
/// Suppressed counts (hatched over this grey).
pub const SUPPRESSED: RGBColor = RGBColor(0xc8, 0xc8, 0xc8);
