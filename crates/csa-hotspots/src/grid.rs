//! Square grid cells aligned to the British National Grid origin, clipped to a study area.
//!
//! Cell (c, r) covers easting [c s, (c+1) s) and northing [r s, (r+1) s) for cell size s, so
//! grids of the same size from different runs, periods or forces line up exactly. A cell is
//! kept when its square overlaps the study area (a cell that only touches the boundary along an
//! edge or at a corner does not); cells wholly outside are dropped, and points falling in no kept cell are counted as `outside`. Without a study area
//! the grid is every cell of the points' bounding box.
//!
//! **Automatic cell size**: s = sqrt(10 A / N), rounded up to a multiple of 25 m and held to
//! 50..=2,000 m, for N points over a study area of A square metres: the size at which an
//! evenly spread pattern would put ten crimes in each cell, so that counts are large enough
//! for Gi*'s normal approximation without washing out street-level detail.

use geo::{BoundingRect, Contains, Intersects, MultiPolygon, Polygon, Rect};
use rayon::prelude::*;
use rstar::{RTree, RTreeObject, AABB};

use crate::HotspotError;

/// A study area in BNG metres: one or more polygons (wards) and an R-tree of their boxes.
#[derive(Debug, Clone)]
pub struct StudyArea {
    pub polygons: Vec<Polygon<f64>>,
    tree: RTree<Boxed>,
}

#[derive(Debug, Clone)]
struct Boxed {
    index: usize,
    bbox: AABB<[f64; 2]>,
}

impl RTreeObject for Boxed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox
    }
}

impl StudyArea {
    /// From outlines already in BNG metres.
    pub fn new(outlines: impl IntoIterator<Item = MultiPolygon<f64>>) -> StudyArea {
        let polygons: Vec<Polygon<f64>> = outlines.into_iter().flat_map(|m| m.0).collect();
        let boxes = polygons
            .iter()
            .enumerate()
            .filter_map(|(index, p)| {
                p.bounding_rect().map(|r| Boxed {
                    index,
                    bbox: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                })
            })
            .collect();
        StudyArea { polygons, tree: RTree::bulk_load(boxes) }
    }

    /// Square metres covered (polygons are taken not to overlap, as wards do not).
    pub fn area_m2(&self) -> f64 {
        use geo::Area;
        self.polygons.iter().map(|p| p.unsigned_area()).sum()
    }

    /// Bounding box (min x, min y, max x, max y); `None` when empty.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        let e = self.tree.root().envelope();
        (self.tree.size() > 0).then(|| [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]])
    }

    /// Whether the square overlaps the area (touching only its boundary does not count: the
    /// square is shrunk by a millimetre first).
    pub fn intersects(&self, rect: &Rect<f64>) -> bool {
        let rect = &Rect::new(
            geo::coord! { x: rect.min().x + 1e-3, y: rect.min().y + 1e-3 },
            geo::coord! { x: rect.max().x - 1e-3, y: rect.max().y - 1e-3 },
        );
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree.locate_in_envelope_intersecting(&env).any(|b| {
            let p = &self.polygons[b.index];
            p.contains(&rect.center()) || p.intersects(rect)
        })
    }

    /// Whether the point lies inside the area.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let pt = geo::Point::new(x, y);
        let at = AABB::from_point([x, y]);
        self.tree
            .locate_in_envelope_intersecting(&at)
            .any(|b| self.polygons[b.index].intersects(&pt))
    }
}

/// Kept cells of a grid and a dense lookup from (column, row) to cell number.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Cell size in metres.
    pub cell: f64,
    /// (column, row) of each kept cell, row by row from the south-west.
    pub cells: Vec<(i64, i64)>,
    /// Whether cells were clipped to a study area.
    pub clipped: bool,
    col0: i64,
    row0: i64,
    cols: usize,
    rows: usize,
    /// u32::MAX = no kept cell.
    lookup: Vec<u32>,
}

/// Counts per kept cell.
#[derive(Debug, Clone)]
pub struct CellCounts {
    pub counts: Vec<u32>,
    /// Points in no kept cell (outside the study area, or without a position).
    pub outside: usize,
}

impl Grid {
    /// Every cell of the bounding box [min x, min y, max x, max y], kept where `keep` says.
    fn build(
        cell: f64,
        bbox: [f64; 4],
        clipped: bool,
        keep: impl Fn(&Rect<f64>) -> bool + Sync,
    ) -> Result<Grid, HotspotError> {
        if !(cell.is_finite() && cell > 0.0) {
            return Err(HotspotError::Parameter(format!(
                "cell size must be a positive number of metres, not {cell}"
            )));
        }
        let col0 = (bbox[0] / cell).floor() as i64;
        let row0 = (bbox[1] / cell).floor() as i64;
        let cols = ((bbox[2] / cell).floor() as i64 - col0 + 1).max(0) as usize;
        let rows = ((bbox[3] / cell).floor() as i64 - row0 + 1).max(0) as usize;
        if cols.saturating_mul(rows) > 50_000_000 {
            return Err(HotspotError::Parameter(format!(
                "a {cell} m grid over this area has {cols} x {rows} cells; choose a larger cell size"
            )));
        }
        let kept: Vec<Vec<(i64, i64)>> = (0..rows)
            .into_par_iter()
            .map(|r| {
                let row = row0 + r as i64;
                (0..cols)
                    .map(|c| (col0 + c as i64, row))
                    .filter(|&(c, r)| keep(&cell_rect(cell, c, r)))
                    .collect()
            })
            .collect();
        let cells: Vec<(i64, i64)> = kept.into_iter().flatten().collect();
        let mut lookup = vec![u32::MAX; cols * rows];
        for (i, &(c, r)) in cells.iter().enumerate() {
            lookup[(r - row0) as usize * cols + (c - col0) as usize] = i as u32;
        }
        Ok(Grid { cell, cells, clipped, col0, row0, cols, rows, lookup })
    }

    /// The cells of the study area.
    pub fn over_area(cell: f64, area: &StudyArea) -> Result<Grid, HotspotError> {
        let bbox = area
            .bbox()
            .ok_or_else(|| HotspotError::Parameter("the study area has no polygons".into()))?;
        Grid::build(cell, bbox, true, |r| area.intersects(r))
    }

    /// Every cell of the points' bounding box (no study area).
    pub fn over_points(cell: f64, points: &[[f64; 2]]) -> Result<Grid, HotspotError> {
        let bbox = bbox_of(points)
            .ok_or_else(|| HotspotError::Parameter("no points with a position".into()))?;
        Grid::build(cell, bbox, false, |_| true)
    }

    /// Number of kept cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Centre of cell `i` in BNG metres.
    pub fn centre(&self, i: usize) -> [f64; 2] {
        let (c, r) = self.cells[i];
        [(c as f64 + 0.5) * self.cell, (r as f64 + 0.5) * self.cell]
    }

    /// All cell centres.
    pub fn centres(&self) -> Vec<[f64; 2]> {
        (0..self.len()).map(|i| self.centre(i)).collect()
    }

    /// The square of cell `i`.
    pub fn rect(&self, i: usize) -> Rect<f64> {
        let (c, r) = self.cells[i];
        cell_rect(self.cell, c, r)
    }

    /// Kept cell holding the point, if any.
    pub fn cell_of(&self, p: [f64; 2]) -> Option<usize> {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return None;
        }
        let c = (p[0] / self.cell).floor() as i64 - self.col0;
        let r = (p[1] / self.cell).floor() as i64 - self.row0;
        if c < 0 || r < 0 || c as usize >= self.cols || r as usize >= self.rows {
            return None;
        }
        let i = self.lookup[r as usize * self.cols + c as usize];
        (i != u32::MAX).then_some(i as usize)
    }

    /// Points per kept cell.
    pub fn count(&self, points: &[[f64; 2]]) -> CellCounts {
        let mut counts = vec![0u32; self.len()];
        let mut outside = 0;
        for p in points {
            match self.cell_of(*p) {
                Some(i) => counts[i] += 1,
                None => outside += 1,
            }
        }
        CellCounts { counts, outside }
    }

    /// Area of the kept cells in square metres.
    pub fn area_m2(&self) -> f64 {
        self.len() as f64 * self.cell * self.cell
    }
}

fn cell_rect(cell: f64, c: i64, r: i64) -> Rect<f64> {
    Rect::new(
        geo::coord! { x: c as f64 * cell, y: r as f64 * cell },
        geo::coord! { x: (c + 1) as f64 * cell, y: (r + 1) as f64 * cell },
    )
}

/// [min x, min y, max x, max y] of the finite points.
pub fn bbox_of(points: &[[f64; 2]]) -> Option<[f64; 4]> {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in points.iter().filter(|p| p[0].is_finite() && p[1].is_finite()) {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    b[0].is_finite().then_some(b)
}

/// The automatic cell size (see the module header) for `n` points over `area_m2`.
pub fn auto_cell_size(n: usize, area_m2: f64) -> f64 {
    if n == 0 || area_m2.is_nan() || area_m2 <= 0.0 {
        return 250.0;
    }
    let s = (10.0 * area_m2 / n as f64).sqrt();
    ((s / 25.0).ceil() * 25.0).clamp(50.0, 2000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn cells_align_to_the_origin_and_clip() {
        // a triangle: the cell beyond its hypotenuse is dropped
        let tri: Polygon<f64> = polygon![(x: 1000.0, y: 1000.0), (x: 1500.0, y: 1000.0), (x: 1000.0, y: 1500.0), (x: 1000.0, y: 1000.0)];
        let area = StudyArea::new([MultiPolygon(vec![tri])]);
        let g = Grid::over_area(250.0, &area).unwrap_or_else(|e| panic!("{e}"));
        // cells (4..=6) x (4..=6) cover the box; (5, 5) and the row and column 6 only touch
        assert_eq!(g.cells, vec![(4, 4), (5, 4), (4, 5)]);
        assert!(g.clipped);
        assert_eq!(g.area_m2(), 3.0 * 62_500.0);
        assert_eq!(g.centre(0), [1125.0, 1125.0]);
        assert_eq!(g.cell_of([1000.0, 1000.0]), Some(0));
        assert_eq!(g.cell_of([999.9, 1000.0]), None);
        let c = g.count(&[[1100.0, 1100.0], [1200.0, 1200.0], [9000.0, 9000.0], [f64::NAN, 0.0]]);
        assert_eq!(c.counts[0], 2);
        assert_eq!(c.outside, 2);
    }

    #[test]
    fn auto_cell_size_rule() {
        // 100 km2, 16,000 points: sqrt(10 * 1e8 / 16000) = 250
        assert_eq!(auto_cell_size(16_000, 1e8), 250.0);
        assert_eq!(auto_cell_size(17_000, 1e8), 250.0);
        assert_eq!(auto_cell_size(15_000, 1e8), 275.0);
        assert_eq!(auto_cell_size(10_000_000, 1e8), 50.0);
    }
}
