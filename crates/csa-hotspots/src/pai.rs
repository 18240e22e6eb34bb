//! Evaluating hotspots: the Predictive Accuracy Index and persistence between periods.
//!
//! ```text
//! PAI = (n / N) / (a / A)
//! ```
//!
//! n = crimes of the later period inside the hot cells of the earlier one, N = all crimes of
//! the later period inside the grid, a = area of the hot cells, A = area of the grid (its
//! kept cells, so the study area rounded out to whole cells). PAI 1 = no better than chance;
//! higher = more crime captured per unit of area. Persistence counts the cells hot in both
//! periods; the Jaccard index is both / either.

/// PAI of `hot` cells (earlier period) against `later` counts per cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pai {
    pub hot_cells: usize,
    pub cells: usize,
    pub crimes_captured: u64,
    pub crimes: u64,
    /// n / N
    pub hit_rate: f64,
    /// a / A
    pub area_share: f64,
    /// NaN when there are no hot cells or no crimes.
    pub pai: f64,
}

pub fn pai(hot: &[bool], later: &[u32]) -> Pai {
    let hot_cells = hot.iter().filter(|h| **h).count();
    let crimes: u64 = later.iter().map(|&c| c as u64).sum();
    let crimes_captured: u64 =
        hot.iter().zip(later).filter(|(h, _)| **h).map(|(_, &c)| c as u64).sum();
    let hit_rate = if crimes > 0 { crimes_captured as f64 / crimes as f64 } else { f64::NAN };
    let area_share = if hot.is_empty() { f64::NAN } else { hot_cells as f64 / hot.len() as f64 };
    let pai = if hot_cells > 0 && crimes > 0 { hit_rate / area_share } else { f64::NAN };
    Pai { hot_cells, cells: hot.len(), crimes_captured, crimes, hit_rate, area_share, pai }
}

/// Cells hot in each of two periods and in both.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Persistence {
    pub hot_before: usize,
    pub hot_now: usize,
    pub hot_both: usize,
    /// both / either; NaN when neither period has a hot cell.
    pub jaccard: f64,
}

pub fn persistence(before: &[bool], now: &[bool]) -> Persistence {
    let hot_before = before.iter().filter(|h| **h).count();
    let hot_now = now.iter().filter(|h| **h).count();
    let hot_both = before.iter().zip(now).filter(|(a, b)| **a && **b).count();
    let either = hot_before + hot_now - hot_both;
    Persistence {
        hot_before,
        hot_now,
        hot_both,
        jaccard: if either > 0 { hot_both as f64 / either as f64 } else { f64::NAN },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // 10 cells, 2 hot; later crimes: 30 of 100 in the hot cells: (30/100)/(2/10) = 1.5
        let hot = [true, true, false, false, false, false, false, false, false, false];
        let later = [20, 10, 10, 10, 10, 10, 10, 10, 5, 5];
        let p = pai(&hot, &later);
        assert_eq!((p.crimes_captured, p.crimes), (30, 100));
        assert!((p.pai - 1.5).abs() < 1e-12);
        assert!(pai(&[false; 3], &[1, 2, 3]).pai.is_nan());
        let q = persistence(&[true, true, false, false], &[false, true, true, false]);
        assert_eq!((q.hot_before, q.hot_now, q.hot_both), (2, 2, 1));
        assert!((q.jaccard - 1.0 / 3.0).abs() < 1e-12);
    }
}
