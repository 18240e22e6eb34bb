//! Binary distance-band weights: w_ij = 1 when centre j lies within the band of centre i
//! (distance <= band, i itself included: w_ii = 1, the Gi* convention), else 0.
//!
//! Found with an R-tree radius query per site (`rstar::RTree::locate_within_distance`, which
//! compares squared distances), in parallel; stored as compressed rows (CSR), each row sorted.

use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Neighbour lists: the neighbours of site i are `idx[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone)]
pub struct Neighbours {
    pub offsets: Vec<usize>,
    pub idx: Vec<u32>,
}

impl Neighbours {
    /// Sites within `band` metres of each site (itself included).
    pub fn distance_band(sites: &[[f64; 2]], band: f64) -> Neighbours {
        let tree = RTree::bulk_load(
            sites.iter().enumerate().map(|(i, p)| GeomWithData::new(*p, i as u32)).collect(),
        );
        // a hair over the band, so that centres exactly one band apart on a grid are not lost
        // to rounding
        let r2 = band * band * (1.0 + 1e-12);
        let rows: Vec<Vec<u32>> = sites
            .par_iter()
            .map(|p| {
                let mut row: Vec<u32> =
                    tree.locate_within_distance(*p, r2).map(|g| g.data).collect();
                row.sort_unstable();
                row
            })
            .collect();
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let mut idx = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for row in rows {
            idx.extend(row);
            offsets.push(idx.len());
        }
        Neighbours { offsets, idx }
    }

    pub fn of(&self, i: usize) -> &[u32] {
        &self.idx[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_includes_self_and_the_band_edge() {
        // a 3 x 3 grid of 250 m cells; a 250 m band reaches the four edge neighbours only
        let sites: Vec<[f64; 2]> =
            (0..9).map(|i| [(i % 3) as f64 * 250.0, (i / 3) as f64 * 250.0]).collect();
        let w = Neighbours::distance_band(&sites, 250.0);
        assert_eq!(w.of(4), &[1, 3, 4, 5, 7]);
        assert_eq!(w.of(0), &[0, 1, 3]);
        // 500 m reaches all nine from the centre (diagonal 354 m) and 6 from a corner
        let w = Neighbours::distance_band(&sites, 500.0);
        assert_eq!(w.of(4).len(), 9);
        assert_eq!(w.of(0), &[0, 1, 2, 3, 4, 6]);
    }
}
