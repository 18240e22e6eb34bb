//! Which area contains a point: an rstar R-tree over the bounding boxes of every polygon,
//! then an exact point-in-polygon test on the candidates.
//!
//! A point on a shared edge or vertex belongs to the first area in file order that touches
//! it; [`AreaIndex::locate_brute_force`] applies the same rule without the tree, and the
//! tests check both agree on every point.

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{BoundingRect, Coord, Intersects, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::boundaries::{Area, Boundaries};

/// A polygon part's bounding box with (area index, part index).
type Entry = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// R-tree index over a set of boundaries (coordinates in lon/lat).
#[derive(Debug)]
pub struct AreaIndex {
    boundaries: Boundaries,
    tree: RTree<Entry>,
}

impl AreaIndex {
    /// Bulk-loads the tree: one entry per polygon part, carrying its area's index.
    pub fn new(boundaries: Boundaries) -> AreaIndex {
        let mut entries = Vec::new();
        for (i, area) in boundaries.areas.iter().enumerate() {
            for (k, poly) in area.geometry.0.iter().enumerate() {
                if let Some(r) = poly.bounding_rect() {
                    let rect =
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                    entries.push(GeomWithData::new(rect, (i, k)));
                }
            }
        }
        AreaIndex { boundaries, tree: RTree::bulk_load(entries) }
    }

    pub fn boundaries(&self) -> &Boundaries {
        &self.boundaries
    }

    pub fn areas(&self) -> &[Area] {
        &self.boundaries.areas
    }

    /// Index of the area containing (lon, lat), or `None` outside every area.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        let c = Coord { x: lon, y: lat };
        let mut best: Option<usize> = None;
        for cand in self.tree.locate_in_envelope_intersecting(&AABB::from_point([lon, lat])) {
            let (i, k) = cand.data;
            if best.is_some_and(|b| b <= i) {
                continue;
            }
            // only the candidate part (its box holds the point), boundary included
            if self.boundaries.areas[i].geometry.0[k].coordinate_position(&c) != CoordPos::Outside {
                best = Some(i);
            }
        }
        best
    }

    /// The same answer as [`AreaIndex::locate`], by testing every area in order.
    pub fn locate_brute_force(&self, lon: f64, lat: f64) -> Option<usize> {
        let p = Point::new(lon, lat);
        self.boundaries.areas.iter().position(|a| a.geometry.intersects(&p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_containing_square_and_nothing_outside() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"c":"A","n":"a"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]],[[0.5,0.5],[1,0.5],[1,1],[0.5,1],[0.5,0.5]]]}},
          {"type":"Feature","properties":{"c":"B","n":"b"},"geometry":{"type":"Polygon","coordinates":[[[2,0],[4,0],[4,2],[2,2],[2,0]]]}}]}"#;
        let idx = AreaIndex::new(Boundaries::from_geojson(text, "c", "n").expect("parse"));
        assert_eq!(idx.locate(1.5, 1.5), Some(0));
        assert_eq!(idx.locate(0.75, 0.75), None, "inside the hole");
        assert_eq!(idx.locate(3.0, 1.0), Some(1));
        assert_eq!(idx.locate(2.0, 1.0), Some(0), "shared edge goes to the first area");
        assert_eq!(idx.locate(5.0, 1.0), None);
        for (x, y) in [(1.5, 1.5), (0.75, 0.75), (2.0, 1.0), (3.9, 0.1), (-1.0, 0.0)] {
            assert_eq!(idx.locate(x, y), idx.locate_brute_force(x, y));
        }
    }
}
