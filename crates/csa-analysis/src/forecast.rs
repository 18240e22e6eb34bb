//! The next 12 months of a priority: a seasonal quasi-Poisson model with a linear trend, its
//! 80% and 95% prediction intervals, a rolling-origin backtest against the seasonal naive
//! forecast, and the "emerging" flag.
//!
//! **Model** ([`crate::glm`]; the seasonal Poisson regression of [`crate::trend`] with a
//! trend in place of the step):
//!
//! ```text
//! log E[y_t] = log days_t + b0 + b1 (t - t_last) / 12 + sum_m g_m [month of t = m]
//! ```
//!
//! fitted to the whole series (at least 24 months; without month-of-year terms when a month
//! of the year has no records). A future month h has x_h, mean mu_h = days_h exp(x_h' b).
//!
//! **Prediction interval** of a month, or of a sum of months S (the next 12 months' total):
//! the predictive distribution carries the Poisson noise scaled by the dispersion and the
//! uncertainty of the fitted mean (delta method, Var(mu_S) = g' (phi C) g with
//! g = sum_{h in S} mu_h x_h):
//!
//! ```text
//! m = sum mu_h,   V = phi m + g' (phi C) g,   phi = X^2 / df
//! ```
//!
//! and is taken as the negative binomial with that mean and variance (size r = m^2 / (V - m),
//! P(Y <= k) = I_{m/V}(r, k + 1); V at least m, i.e. Poisson, when an underdispersed fit
//! gives less): the interval runs from its a/2 to its 1 - a/2 quantile
//! (the smallest k with P(Y <= k) >= q; a = 0.2 and 0.05). (A quasi-Poisson count with a
//! gamma-distributed mean is negative binomial; matching two moments is the usual
//! approximation, e.g. Hyndman & Athanasopoulos, *Forecasting: principles and practice*,
//! 3rd ed., section 5.5 on intervals that include parameter uncertainty.)
//!
//! **Backtest** (rolling origin, Hyndman & Athanasopoulos section 5.10): every origin o from
//! max(24, n - 12) to n - 1 fits the months before o and forecasts months o to n - 1 (at most
//! 12 ahead); the seasonal naive forecast of month t is y_{t-12}. Reported: MAE of each,
//! MASE (each MAE over the in-sample MAE of the seasonal naive one-year-ahead forecast on the
//! months before the first origin, Hyndman & Koehler 2006), and the share of the backtest's
//! actual counts inside the model's 80% and 95% intervals. No backtest below 25 months.
//!
//! **Emerging** ([`Emerging`]): a priority is flagged when (a) the total of its latest 3
//! months lies above the 95% interval forecast for them from the 3 months before (the model
//! fitted without them), or (b) the 80% interval of the next 12 months' total lies wholly
//! above the latest 12 months' count (the forecast leaves last year's level). (a) needs 27
//! months of history.

use crate::glm::{fit_poisson, Fit};
use crate::period::Month;
use crate::significance::beta_inc;
use crate::trend::{days, push_season, seasonal_ok};

/// The months a forecast looks ahead.
pub const HORIZON: usize = 12;
/// The fewest months the model is fitted to.
pub const MIN_MONTHS: usize = 24;
/// The latest months judged against the forecast made before them (emerging rule (a)).
pub const RECENT: usize = 3;

/// A forecast of one month (or of a sum of months): mean and prediction intervals.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Predicted {
    pub mean: f64,
    pub low80: u64,
    pub high80: u64,
    pub low95: u64,
    pub high95: u64,
}

impl Predicted {
    fn covers(&self, y: u64, level: u8) -> bool {
        match level {
            80 => self.low80 <= y && y <= self.high80,
            _ => self.low95 <= y && y <= self.high95,
        }
    }
}

/// The backtest's accuracy (module header).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Backtest {
    pub origins: usize,
    /// Month-ahead forecasts judged.
    pub forecasts: usize,
    pub mae: f64,
    pub mae_naive: f64,
    /// `None` when the seasonal naive in-sample error is 0.
    pub mase: Option<f64>,
    pub mase_naive: Option<f64>,
    /// Shares (%) of the actual counts inside the model's intervals.
    pub coverage80_pct: f64,
    pub coverage95_pct: f64,
}

/// Why a priority is flagged emerging (module header).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Emerging {
    /// The latest 3 months' total and the forecast made for it before them.
    pub recent: Option<(u64, Predicted)>,
    /// (a): the latest months above the 95% interval.
    pub recent_above: bool,
    /// (b): the next 12 months' 80% interval wholly above the latest 12 months' count.
    pub rising: bool,
}

impl Emerging {
    pub fn flagged(&self) -> bool {
        self.recent_above || self.rising
    }
}

/// The forecast of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The first month forecast (the month after the series).
    pub from: Month,
    pub months: Vec<Predicted>,
    /// The next 12 months together.
    pub total: Predicted,
    /// Records in the latest 12 months of the series.
    pub latest: u64,
    pub seasonal: bool,
    pub dispersion: Option<f64>,
    /// The trend term: rate ratio a year.
    pub yearly_ratio: f64,
    pub backtest: Option<Backtest>,
    pub emerging: Emerging,
}

/// A fitted forecasting model of a series.
struct Model {
    fit: Fit,
    from: Month,
    n: usize,
    seasonal: bool,
}

impl Model {
    fn row(&self, i: i64) -> Vec<f64> {
        let m = self.from.plus(i as i32);
        let mut row = vec![1.0, (i - (self.n as i64 - 1)) as f64 / 12.0];
        if self.seasonal {
            push_season(&mut row, self.from, m);
        }
        row
    }

    fn fit(counts: &[u64], from: Month) -> Option<Model> {
        let n = counts.len();
        if n < MIN_MONTHS {
            return None;
        }
        let seasonal = seasonal_ok(counts, from);
        let shell = Model { fit: empty_fit(), from, n, seasonal };
        let mut x = Vec::new();
        let mut p = 0;
        for i in 0..n {
            let r = shell.row(i as i64);
            p = r.len();
            x.extend(r);
        }
        let y: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let offset: Vec<f64> = (0..n).map(|i| days(from.plus(i as i32)).ln()).collect();
        let fit = fit_poisson(&y, &x, p, &offset)?;
        Some(Model { fit, ..shell })
    }

    /// The forecast of the sum of months `months` (indices from the series' start, after it).
    fn predict(&self, months: &[usize]) -> Predicted {
        let p = self.fit.beta.len();
        let mut mean = 0.0;
        let mut g = vec![0.0; p];
        for &i in months {
            let x = self.row(i as i64);
            let (eta, _) = self.fit.predict(&x);
            let mu = days(self.from.plus(i as i32)) * eta.exp();
            mean += mu;
            for (gj, xj) in g.iter_mut().zip(&x) {
                *gj += mu * xj;
            }
        }
        let (_, var_mu) = self.fit.predict(&g);
        // predict(g) gives g' (phi C) g with g in place of x
        let v = self.fit.scale() * mean + var_mu;
        let q = |prob: f64| nb_quantile(prob, mean, v);
        Predicted { mean, low80: q(0.1), high80: q(0.9), low95: q(0.025), high95: q(0.975) }
    }
}

fn empty_fit() -> Fit {
    Fit {
        beta: Vec::new(),
        cov: Vec::new(),
        mu: Vec::new(),
        deviance: 0.0,
        pearson: 0.0,
        df: 0,
        iterations: 0,
    }
}

/// The smallest k with P(Y <= k) >= q, Y negative binomial with mean `m` and variance `v`
/// (v > m; Poisson-like when v is within 1e-9 of m).
pub fn nb_quantile(q: f64, m: f64, v: f64) -> u64 {
    if m <= 0.0 {
        return 0;
    }
    let v = v.max(m * (1.0 + 1e-9));
    let r = m * m / (v - m);
    let pr = m / v;
    let cdf = |k: u64| beta_inc(r, k as f64 + 1.0, pr);
    let mut hi = (m + 10.0 * v.sqrt() + 10.0).ceil() as u64;
    while cdf(hi) < q {
        hi *= 2;
    }
    let mut lo = 0u64;
    if cdf(0) >= q {
        return 0;
    }
    // cdf(lo) < q <= cdf(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if cdf(mid) >= q {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Forecasts the `HORIZON` months after the monthly `counts` (consecutive from `from`);
/// `None` below [`MIN_MONTHS`] months or when the model cannot be fitted.
pub fn forecast(counts: &[u64], from: Month) -> Option<Forecast> {
    let n = counts.len();
    let model = Model::fit(counts, from)?;
    let ahead: Vec<usize> = (n..n + HORIZON).collect();
    let months: Vec<Predicted> = ahead.iter().map(|&i| model.predict(&[i])).collect();
    let total = model.predict(&ahead);
    let latest: u64 = counts[n.saturating_sub(12)..].iter().sum();
    let recent = (n >= MIN_MONTHS + RECENT)
        .then(|| {
            let before = Model::fit(&counts[..n - RECENT], from)?;
            let idx: Vec<usize> = (n - RECENT..n).collect();
            let actual: u64 = counts[n - RECENT..].iter().sum();
            Some((actual, before.predict(&idx)))
        })
        .flatten();
    let emerging = Emerging {
        recent,
        recent_above: recent.is_some_and(|(a, p)| a > p.high95),
        rising: total.low80 > latest,
    };
    Some(Forecast {
        from: from.plus(n as i32),
        months,
        total,
        latest,
        seasonal: model.seasonal,
        dispersion: model.fit.dispersion(),
        yearly_ratio: model.fit.beta[1].exp(),
        backtest: backtest(counts, from),
        emerging,
    })
}

/// The rolling-origin backtest (module header); `None` below 25 months.
pub fn backtest(counts: &[u64], from: Month) -> Option<Backtest> {
    let n = counts.len();
    let first = MIN_MONTHS.max(n.saturating_sub(HORIZON));
    if n <= first {
        return None;
    }
    let (mut err, mut err_naive, mut in80, mut in95, mut k, mut origins) =
        (0.0, 0.0, 0usize, 0usize, 0usize, 0usize);
    for o in first..n {
        let Some(m) = Model::fit(&counts[..o], from) else { continue };
        origins += 1;
        for t in o..n.min(o + HORIZON) {
            let p = m.predict(&[t]);
            let y = counts[t];
            err += (p.mean - y as f64).abs();
            err_naive += (counts[t - 12] as f64 - y as f64).abs();
            in80 += usize::from(p.covers(y, 80));
            in95 += usize::from(p.covers(y, 95));
            k += 1;
        }
    }
    if k == 0 {
        return None;
    }
    let scale: f64 =
        (12..first).map(|t| (counts[t] as f64 - counts[t - 12] as f64).abs()).sum::<f64>()
            / (first - 12) as f64;
    let (mae, mae_naive) = (err / k as f64, err_naive / k as f64);
    let kf = k as f64;
    Some(Backtest {
        origins,
        forecasts: k,
        mae,
        mae_naive,
        mase: (scale > 0.0).then(|| mae / scale),
        mase_naive: (scale > 0.0).then(|| mae_naive / scale),
        coverage80_pct: 100.0 * in80 as f64 / kf,
        coverage95_pct: 100.0 * in95 as f64 / kf,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::trend::tests::{gamma, poisson, seasonal_mean};
    use csa_model::rng::Rng;

    /// Months from January 2023 of a seasonal series with a yearly trend `growth`.
    fn mean_at(level: f64, growth: f64, i: usize) -> f64 {
        let m = Month::new(2023, 1).plus(i as i32);
        seasonal_mean(level, m) * growth.powf(i as f64 / 12.0) * days(m) / 30.4375
    }

    #[test]
    fn negative_binomial_quantiles_by_hand() {
        // mean 2, variance 4: r = 2, p = 0.5: P(0) = 0.25, P(1) = 0.25, P(2) = 0.1875,
        // P(3) = 0.125, so the CDF is 0.25, 0.5, 0.6875, 0.8125
        assert_eq!(nb_quantile(0.2, 2.0, 4.0), 0);
        assert_eq!(nb_quantile(0.5, 2.0, 4.0), 1);
        assert_eq!(nb_quantile(0.6, 2.0, 4.0), 2);
        assert_eq!(nb_quantile(0.8, 2.0, 4.0), 3);
        assert_eq!(nb_quantile(0.82, 2.0, 4.0), 4);
        // near-Poisson, mean 100: the 2.5% and 97.5% quantiles of Poisson(100) are 81 and 120
        assert_eq!(nb_quantile(0.025, 100.0, 100.0), 81);
        assert_eq!(nb_quantile(0.975, 100.0, 100.0), 120);
        assert_eq!(nb_quantile(0.5, 0.0, 0.0), 0);
    }

    #[test]
    fn intervals_cover_the_truth_at_their_nominal_rate() {
        // 400 seeded series of 36 months (seasonal, +10% a year, ~150 a month), the next 12
        // months drawn from the same process: 4,800 forecasts. Months of one series share
        // the fitted parameters, so they are not independent; with the binomial SE of 4,800
        // draws (0.58 points at 80%, 0.31 at 95%) inflated about twofold, and the
        // discreteness of the quantiles (each bound is met or passed: up to ~1 point of
        // over-coverage at these means), 80% must come out within 77-84% and 95% within
        // 93-97.5%.
        let (mut in80, mut in95, mut k) = (0, 0, 0);
        let (mut t80, mut t95) = (0, 0);
        for seed in 0..400u64 {
            let mut rng = Rng::new(seed, 21);
            let y: Vec<u64> = (0..48).map(|i| poisson(&mut rng, mean_at(150.0, 1.1, i))).collect();
            let f = forecast(&y[..36], Month::new(2023, 1)).unwrap();
            assert!(f.seasonal);
            for (h, p) in f.months.iter().enumerate() {
                in80 += usize::from(p.covers(y[36 + h], 80));
                in95 += usize::from(p.covers(y[36 + h], 95));
                k += 1;
            }
            let total: u64 = y[36..].iter().sum();
            t80 += usize::from(f.total.covers(total, 80));
            t95 += usize::from(f.total.covers(total, 95));
        }
        let (c80, c95) = (100.0 * in80 as f64 / k as f64, 100.0 * in95 as f64 / k as f64);
        assert!((77.0..=84.0).contains(&c80), "80% intervals cover {c80:.1}%");
        assert!((93.0..=97.5).contains(&c95), "95% intervals cover {c95:.1}%");
        // the 12 months' total: 400 draws (SE 2 points at 80%, 1.1 at 95%)
        let (c80, c95) = (100.0 * t80 as f64 / 400.0, 100.0 * t95 as f64 / 400.0);
        assert!((73.0..=87.0).contains(&c80), "totals' 80% intervals cover {c80:.1}%");
        assert!((91.0..=98.5).contains(&c95), "totals' 95% intervals cover {c95:.1}%");
    }

    #[test]
    fn overdispersed_counts_are_still_covered() {
        // gamma-Poisson months (size 15, variance = mean + mean^2 / 15: 11x the mean at 150):
        // the dispersion widens the intervals enough (Poisson intervals would cover ~35%)
        let (mut in80, mut in95, mut k) = (0, 0, 0);
        for seed in 0..300u64 {
            let mut rng = Rng::new(seed, 22);
            let y: Vec<u64> = (0..48)
                .map(|i| {
                    let g = gamma(&mut rng, 15.0) / 15.0;
                    poisson(&mut rng, mean_at(150.0, 1.0, i) * g)
                })
                .collect();
            let f = forecast(&y[..36], Month::new(2023, 1)).unwrap();
            for (h, p) in f.months.iter().enumerate() {
                in80 += usize::from(p.covers(y[36 + h], 80));
                in95 += usize::from(p.covers(y[36 + h], 95));
                k += 1;
            }
        }
        let (c80, c95) = (100.0 * in80 as f64 / k as f64, 100.0 * in95 as f64 / k as f64);
        // the moment-matched negative binomial is an approximation here (the truth is a
        // gamma mixture): 74-86% and 91-98%
        assert!((74.0..=86.0).contains(&c80), "80% intervals cover {c80:.1}%");
        assert!((91.0..=98.0).contains(&c95), "95% intervals cover {c95:.1}%");
    }

    #[test]
    fn backtest_and_emerging_by_construction() {
        // flat seasonal series: origins 24..35, forecasts 12 + 11 + ... + 1 = 78 each. Over
        // 100 series the model's MAE is below the seasonal naive one's (which carries last
        // year's noise: its error has twice the Poisson variance) and its backtest intervals
        // cover near their rates (7,800 forecasts; months of a series share their fits)
        let (mut mae, mut naive, mut c80, mut c95) = (0.0, 0.0, 0.0, 0.0);
        for seed in 0..100u64 {
            let mut rng = Rng::new(seed, 23);
            let y: Vec<u64> = (0..36).map(|i| poisson(&mut rng, mean_at(120.0, 1.0, i))).collect();
            let b = backtest(&y, Month::new(2023, 1)).unwrap();
            assert_eq!((b.origins, b.forecasts), (12, 78));
            mae += b.mae / 100.0;
            naive += b.mae_naive / 100.0;
            c80 += b.coverage80_pct / 100.0;
            c95 += b.coverage95_pct / 100.0;
        }
        assert!(mae < naive, "model MAE {mae:.2}, seasonal naive {naive:.2}");
        assert!((76.0..=86.0).contains(&c80) && (92.0..=98.0).contains(&c95), "{c80} {c95}");
        let mut rng = Rng::new(5, 23);
        let y: Vec<u64> = (0..36).map(|i| poisson(&mut rng, mean_at(120.0, 1.0, i))).collect();
        let f = forecast(&y, Month::new(2023, 1)).unwrap();
        assert!(!f.emerging.flagged(), "{:?}", f.emerging);
        // the latest 3 months doubled: flagged by rule (a)
        let mut z = y.clone();
        for v in &mut z[33..] {
            *v *= 2;
        }
        let f = forecast(&z, Month::new(2023, 1)).unwrap();
        assert!(f.emerging.recent_above, "{:?}", f.emerging);
        let (actual, p) = f.emerging.recent.unwrap();
        assert_eq!(actual, z[33..].iter().sum::<u64>());
        assert!(actual > p.high95);
        // steady growth of 40% a year: the next year's total leaves last year's (rule (b))
        let mut rng = Rng::new(6, 23);
        let g: Vec<u64> = (0..36).map(|i| poisson(&mut rng, mean_at(120.0, 1.4, i))).collect();
        let f = forecast(&g, Month::new(2023, 1)).unwrap();
        assert!(f.emerging.rising, "{:?} {:?}", f.total, f.latest);
        assert!((f.yearly_ratio - 1.4).abs() < 0.1, "{}", f.yearly_ratio);
        // too short: no forecast, and no backtest at 24 months
        assert!(forecast(&y[..23], Month::new(2023, 1)).is_none());
        assert!(backtest(&y[..24], Month::new(2023, 1)).is_none());
    }
}
