//! Months, quarters and assessment periods.
//!
//! A [`Month`] is a count of months since January of year 0 (`year * 12 + month - 1`), so
//! month arithmetic is integer arithmetic. A [`Period`] is an inclusive run of months. Crimes
//! fall in a period by their **recorded date** (the Home Office counting rule, and the
//! partition key of the dataset).
//!
//! Default assessment period: the last 12 **complete** months of the data. The latest month
//! in the data counts as complete when the data are month-precision (police.uk) or a record
//! is dated on its last day; otherwise the period ends the month before. The comparison
//! period is the same number of months immediately before.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::error::{AnalysisError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Month {
        Month(year * 12 + month as i32 - 1)
    }
    pub fn of(date: NaiveDate) -> Month {
        Month::new(date.year(), date.month())
    }
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }
    /// 1..=12
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }
    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }
    /// Calendar quarter 1..=4.
    pub fn quarter(self) -> u32 {
        (self.month() - 1) / 3 + 1
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).expect("valid month")
    }
    pub fn last_day(self) -> NaiveDate {
        self.plus(1).first_day().pred_opt().expect("valid date")
    }
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
        ((1..=12).contains(&m) && (1900..=2200).contains(&y)).then(|| Month::new(y, m))
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// Inclusive run of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Month,
    pub to: Month,
}

impl Period {
    pub fn new(from: Month, to: Month) -> Result<Period> {
        if to < from {
            return Err(AnalysisError::Usage(format!(
                "the period {from} to {to} ends before it starts"
            )));
        }
        Ok(Period { from, to })
    }
    /// The period of a query's first and last month: both, from one to the other; the first
    /// alone, the 12 months from it; the last alone, the 12 months to it; neither, `None`
    /// (the configured period or the default rule applies). `csa breakdown --from --to` and
    /// `csa serve` read periods with it.
    pub fn from_bounds(from: Option<Month>, to: Option<Month>) -> Result<Option<Period>> {
        Ok(match (from, to) {
            (None, None) => None,
            (Some(f), None) => Some(Period::new(f, f.plus(11))?),
            (None, Some(t)) => Some(Period::ending(t, 12)),
            (Some(f), Some(t)) => Some(Period::new(f, t)?),
        })
    }
    /// No months: the empty run that starts at `from` (what an analysis that reads its own
    /// months a batch at a time has loaded up front).
    pub fn empty_at(from: Month) -> Period {
        Period { from, to: from.plus(-1) }
    }
    pub fn months(&self) -> i32 {
        self.to.0 - self.from.0 + 1
    }
    /// Days from the first day of `from` to the last day of `to`, both included.
    pub fn days(&self) -> i64 {
        (self.to.last_day() - self.from.first_day()).num_days() + 1
    }
    pub fn contains(&self, m: Month) -> bool {
        self.from <= m && m <= self.to
    }
    /// The same number of months immediately before.
    pub fn previous(&self) -> Period {
        let n = self.months();
        Period { from: self.from.plus(-n), to: self.to.plus(-n) }
    }
    /// The last `n` months ending with `last`.
    pub fn ending(last: Month, n: i32) -> Period {
        Period { from: last.plus(1 - n), to: last }
    }
    pub fn iter(&self) -> impl Iterator<Item = Month> {
        (self.from.0..=self.to.0).map(Month)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.from, self.to)
    }
}

/// The assessment period and the period it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub current: Period,
    pub comparison: Period,
}

impl Periods {
    /// Months to shift a comparison month by to line it up with the current period.
    pub fn offset(&self) -> i32 {
        self.current.from.0 - self.comparison.from.0
    }
    /// Every month either period covers.
    pub fn span(&self) -> Period {
        Period {
            from: self.current.from.min(self.comparison.from),
            to: self.current.to.max(self.comparison.to),
        }
    }
}

/// The default period rule of the module header: `latest` is the latest month with data,
/// `latest_complete` whether that month is complete.
pub fn default_period(latest: Month, latest_complete: bool, months: i32) -> Period {
    let last = if latest_complete { latest } else { latest.plus(-1) };
    Period::ending(last, months)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn month_arithmetic() {
        let m = Month::new(2025, 1);
        assert_eq!(m.plus(-1).to_string(), "2024-12");
        assert_eq!(m.plus(11).to_string(), "2025-12");
        assert_eq!(Month::parse("2025-03"), Some(Month::new(2025, 3)));
        assert_eq!(Month::parse("2025-13"), None);
        assert_eq!(Month::parse("25-01"), None);
        assert_eq!(Month::parse("2025-1"), None);
        assert_eq!(Month::new(2024, 2).last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(Month::new(2025, 5).quarter(), 2);
    }

    #[test]
    fn default_periods() {
        let p = default_period(Month::new(2025, 12), true, 12);
        assert_eq!(p.to_string(), "2025-01 to 2025-12");
        assert_eq!(p.previous().to_string(), "2024-01 to 2024-12");
        let p = default_period(Month::new(2025, 12), false, 12);
        assert_eq!(p.to_string(), "2024-12 to 2025-11");
        let ps = Periods { current: p, comparison: p.previous() };
        assert_eq!(ps.offset(), 12);
        assert_eq!(ps.span().to_string(), "2023-12 to 2025-11");
    }
}
