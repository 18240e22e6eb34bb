//! The Kaplan-Meier estimate of a survival curve from right-censored times (time to first
//! re-offence, where people still followed when the data end are censored).
//!
//! ```text
//! At each distinct time t with d_t events among the n_t still at risk (censored at t are
//! at risk at t and leave after it):
//!   S(t)     = prod_{s <= t} (1 - d_s / n_s)
//!   Var S(t) = S(t)^2 sum_{s <= t} d_s / (n_s (n_s - d_s))               (Greenwood)
//!   interval (log-log, the default of lifelines and of scipy's method="log-log"):
//!     theta = ln(-ln S), se = sqrt(sum d/(n(n-d))) / |ln S|,
//!     S^exp(+z se) <= S <= S^exp(-z se)
//!   median   = the smallest t with S(t) <= 0.5 (None while S stays above 0.5)
//! ```
//!
//! Edges: no one at risk gives an empty curve; where S = 1 (no event yet) or S = 0 (everyone
//! has had the event) the interval collapses to S. Checked against scipy 1.17
//! `ecdf(CensoredData(...)).sf` and its `confidence_interval(method="log-log")`.

/// One observation: its time and whether the event happened then (false: censored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
}

/// The curve at one distinct time.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Step {
    pub time: f64,
    pub at_risk: u64,
    pub events: u64,
    pub censored: u64,
    pub survival: f64,
    /// Greenwood standard error of the survival.
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// A fitted curve.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KaplanMeier {
    pub steps: Vec<Step>,
    pub observations: u64,
    pub events: u64,
}

impl KaplanMeier {
    /// Fits the curve, with a two-sided interval at `z` (1.96 for 95%).
    pub fn fit(observations: &[Observation], z: f64) -> KaplanMeier {
        let mut obs: Vec<Observation> =
            observations.iter().copied().filter(|o| o.time.is_finite()).collect();
        obs.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut steps = Vec::new();
        let mut at_risk = obs.len() as u64;
        let (mut s, mut greenwood) = (1.0f64, 0.0f64);
        let mut i = 0;
        while i < obs.len() {
            let t = obs[i].time;
            let mut j = i;
            let (mut d, mut c) = (0u64, 0u64);
            while j < obs.len() && obs[j].time == t {
                if obs[j].event {
                    d += 1
                } else {
                    c += 1
                }
                j += 1;
            }
            if d > 0 {
                s *= 1.0 - d as f64 / at_risk as f64;
                if at_risk > d {
                    greenwood += d as f64 / (at_risk as f64 * (at_risk - d) as f64);
                }
            }
            let (ci_low, ci_high) = if s > 0.0 && s < 1.0 && greenwood > 0.0 {
                let se_theta = greenwood.sqrt() / s.ln().abs();
                (s.powf((z * se_theta).exp()), s.powf((-z * se_theta).exp()))
            } else {
                (s, s)
            };
            steps.push(Step {
                time: t,
                at_risk,
                events: d,
                censored: c,
                survival: s,
                se: s * greenwood.sqrt(),
                ci_low,
                ci_high,
            });
            at_risk -= d + c;
            i = j;
        }
        let events = obs.iter().filter(|o| o.event).count() as u64;
        KaplanMeier { steps, observations: obs.len() as u64, events }
    }

    /// S(t): the survival just after time t (1 before the first event).
    pub fn survival_at(&self, t: f64) -> f64 {
        self.steps.iter().take_while(|s| s.time <= t).last().map_or(1.0, |s| s.survival)
    }

    /// The step in force at time t (None before the first time).
    pub fn step_at(&self, t: f64) -> Option<&Step> {
        self.steps.iter().take_while(|s| s.time <= t).last()
    }

    /// The smallest time with S(t) <= 0.5.
    pub fn median(&self) -> Option<f64> {
        self.steps.iter().find(|s| s.survival <= 0.5).map(|s| s.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn against_scipy_ecdf() {
        let times = [3., 3., 5., 7., 7., 7., 10., 12., 12., 15., 2., 20., 20., 9.];
        let events = [1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1];
        let obs: Vec<Observation> = times
            .iter()
            .zip(events)
            .map(|(&time, e)| Observation { time, event: e == 1 })
            .collect();
        let km = KaplanMeier::fit(&obs, 1.959_963_984_540_054);
        let t: Vec<f64> = km.steps.iter().map(|s| s.time).collect();
        assert_eq!(t, vec![2., 3., 5., 7., 9., 10., 12., 15., 20.]);
        #[rustfmt::skip]
        let (sf, low, high) = (
            [0.9285714285714286, 0.8571428571428572, 0.7792207792207793, 0.6233766233766235, 0.5343228200371059, 0.5343228200371059, 0.3205936920222635, 0.3205936920222635, 0.3205936920222635],
            [0.5907668674267579, 0.539448177623169, 0.45896042240836155, 0.31657654785073475, 0.23884944031230496, 0.23884944031230496, 0.08432969085700112, 0.08432969085700112, 0.08432969085700112],
            [0.9896198231368499, 0.9622318564063291, 0.9232023848740561, 0.8235017874854912, 0.7600797134698637, 0.7600797134698637, 0.5925719632373284, 0.5925719632373284, 0.5925719632373284],
        );
        for (k, s) in km.steps.iter().enumerate() {
            assert!((s.survival - sf[k]).abs() < 1e-12, "S({}) {}", s.time, s.survival);
            assert!((s.ci_low - low[k]).abs() < 1e-9, "low({}) {}", s.time, s.ci_low);
            assert!((s.ci_high - high[k]).abs() < 1e-9, "high({}) {}", s.time, s.ci_high);
        }
        // by hand: 14 at risk at 2; at 3 one event and one censored leave; 10 at risk at 7
        assert_eq!((km.steps[0].at_risk, km.steps[1].at_risk, km.steps[3].at_risk), (14, 13, 10));
        assert_eq!((km.steps[1].events, km.steps[1].censored), (1, 1));
        assert_eq!(km.median(), Some(12.0));
        assert_eq!(km.survival_at(1.0), 1.0);
        assert_eq!(km.survival_at(8.0), sf[3]);
        assert_eq!(km.events, 8);
    }

    #[test]
    fn edges() {
        let km = KaplanMeier::fit(&[], 1.96);
        assert!(km.steps.is_empty() && km.median().is_none());
        // nobody has the event: S stays 1, no median
        let none = [Observation { time: 365.0, event: false }; 3];
        let km = KaplanMeier::fit(&none, 1.96);
        assert_eq!(km.steps.len(), 1);
        assert_eq!((km.steps[0].survival, km.steps[0].ci_low), (1.0, 1.0));
        assert_eq!(km.median(), None);
        // everyone at once: S = 0, median at that time
        let all = [Observation { time: 4.0, event: true }; 2];
        let km = KaplanMeier::fit(&all, 1.96);
        assert_eq!((km.steps[0].survival, km.median()), (0.0, Some(4.0)));
    }
}
