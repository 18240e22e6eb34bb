//! Emerging hotspots (the categories of ArcGIS Emerging Hot Spot Analysis).
//!
//! Gi* is computed for every cell at every time step (month or quarter) on the same grid and
//! weights (see [`crate::gistar`]); a cell is **hot** at a step when its FDR bin is +2 or +3
//! (significant at 95%) and **cold** at -2 or -3. The Mann-Kendall test (see
//! [`crate::mann_kendall`]) on the cell's z-scores gives the trend (significant at p < 0.05).
//! With s steps, h of them hot, the final one last:
//!
//! | category | rule (hot; cold mirrors it) |
//! |---|---|
//! | intensifying | h >= 90% of s, final hot, trend significantly up |
//! | diminishing | h >= 90% of s, final hot, trend significantly down |
//! | persistent | h >= 90% of s, final hot, no significant trend |
//! | historical | h >= 90% of s, final not hot |
//! | new | final hot, never hot before |
//! | consecutive | final hot, one uninterrupted run of >= 2 hot steps at the end, never hot before it |
//! | oscillating | final hot, cold at some earlier step |
//! | sporadic | final hot, on and off before, never cold |
//!
//! A cell matching no hot category is tested against the cold ones (trend down = intensifying
//! cold); otherwise it has no pattern.

use crate::gistar::{gi_star, GiStar};
use crate::mann_kendall::{mann_kendall, MannKendall};
use crate::weights::Neighbours;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    New,
    Consecutive,
    Intensifying,
    Persistent,
    Diminishing,
    Sporadic,
    Oscillating,
    Historical,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Pattern::New => "new",
            Pattern::Consecutive => "consecutive",
            Pattern::Intensifying => "intensifying",
            Pattern::Persistent => "persistent",
            Pattern::Diminishing => "diminishing",
            Pattern::Sporadic => "sporadic",
            Pattern::Oscillating => "oscillating",
            Pattern::Historical => "historical",
        }
    }
}

/// A cell's category: a pattern of hot or cold spots, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub hot: bool,
    pub pattern: Pattern,
}

impl Category {
    /// e.g. "intensifying hot spot".
    pub fn label(self) -> String {
        format!("{} {} spot", self.pattern.name(), if self.hot { "hot" } else { "cold" })
    }
}

/// The result per cell.
#[derive(Debug, Clone)]
pub struct Emerging {
    /// One Gi* per time step.
    pub steps: Vec<GiStar>,
    pub trend: Vec<MannKendall>,
    pub category: Vec<Option<Category>>,
}

/// Classifies one cell from its bins per step (hot: +1, cold: -1, else 0) and its trend.
pub fn classify(state: &[i8], trend: MannKendall) -> Option<Category> {
    pattern(state, trend.p < 0.05, trend.z, 1)
        .map(|pattern| Category { hot: true, pattern })
        .or_else(|| {
            pattern(state, trend.p < 0.05, trend.z, -1)
                .map(|pattern| Category { hot: false, pattern })
        })
}

/// The pattern of `sign` spots (1 hot, -1 cold); the trend runs towards `sign` when its z
/// has that sign.
fn pattern(state: &[i8], significant: bool, z: f64, sign: i8) -> Option<Pattern> {
    let s = state.len();
    let on = |v: i8| v == sign;
    let h = state.iter().filter(|&&v| on(v)).count();
    let last = *state.last()?;
    if h == 0 {
        return None;
    }
    let mostly = h as f64 >= 0.9 * s as f64;
    let toward = z * sign as f64 > 0.0;
    if mostly {
        return Some(match (on(last), significant, toward) {
            (false, _, _) => Pattern::Historical,
            (true, true, true) => Pattern::Intensifying,
            (true, true, false) => Pattern::Diminishing,
            (true, false, _) => Pattern::Persistent,
        });
    }
    if !on(last) {
        return None;
    }
    if h == 1 {
        return Some(Pattern::New);
    }
    let run = state.iter().rev().take_while(|&&v| on(v)).count();
    if run == h {
        return Some(Pattern::Consecutive);
    }
    if state.iter().any(|&v| v == -sign) {
        Some(Pattern::Oscillating)
    } else {
        Some(Pattern::Sporadic)
    }
}

/// Gi* per step (`counts[step][cell]`) with weights `w`, trends and categories.
pub fn emerging(counts: &[Vec<f64>], w: &Neighbours) -> Emerging {
    let steps: Vec<GiStar> = counts.iter().map(|x| gi_star(x, w, 0, 0)).collect();
    let cells = w.len();
    let mut trend = Vec::with_capacity(cells);
    let mut category = Vec::with_capacity(cells);
    for i in 0..cells {
        let z: Vec<f64> = steps.iter().map(|g| g.z[i]).collect();
        let state: Vec<i8> =
            steps.iter().map(|g| (g.bin[i] >= 2) as i8 - (g.bin[i] <= -2) as i8).collect();
        let t = mann_kendall(&z);
        trend.push(t);
        category.push(classify(&state, t));
    }
    Emerging { steps, trend, category }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk(z: f64, p: f64) -> MannKendall {
        MannKendall { s: 0, z, p }
    }

    #[test]
    fn categories() {
        let none = mk(0.0, 1.0);
        let up = mk(3.0, 0.001);
        let down = mk(-3.0, 0.001);
        let c = |s: &[i8], t| classify(s, t).map(|c| c.label());
        let all = [1i8; 10];
        assert_eq!(c(&all, up).as_deref(), Some("intensifying hot spot"));
        assert_eq!(c(&all, down).as_deref(), Some("diminishing hot spot"));
        assert_eq!(c(&all, none).as_deref(), Some("persistent hot spot"));
        // 9 of 10 hot (90%), final not hot
        assert_eq!(
            c(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 0], none).as_deref(),
            Some("historical hot spot")
        );
        assert_eq!(c(&[0, 0, 0, 0, 1], none).as_deref(), Some("new hot spot"));
        assert_eq!(c(&[0, 0, 0, 1, 1], none).as_deref(), Some("consecutive hot spot"));
        assert_eq!(c(&[0, 1, 0, 1, 1], none).as_deref(), Some("sporadic hot spot"));
        assert_eq!(c(&[-1, 0, 1, 0, 1], none).as_deref(), Some("oscillating hot spot"));
        assert_eq!(c(&[0, 1, 0, 0, 0], none), None);
        // cold mirrors: a falling cold series is intensifying cold
        assert_eq!(c(&[-1; 10], down).as_deref(), Some("intensifying cold spot"));
        assert_eq!(c(&[0, 0, 0, 0, -1], none).as_deref(), Some("new cold spot"));
        assert_eq!(c(&[1, 0, -1, 0, -1], none).as_deref(), Some("oscillating cold spot"));
        assert_eq!(c(&[0, 0, 0, 0, 0], up), None);
    }
}
