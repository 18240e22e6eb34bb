//! Quarters as a scheduler or a board paper names them.
//!
//! - `2025Q2`: calendar quarter (April to June 2025);
//! - `FY2025Q1`: financial-year quarter, the year April 2025 to March 2026 being FY2025, so
//!   `FY2025Q1` = April-June 2025 and `FY2025Q4` = January-March 2026 (the police and local
//!   government year);
//! - `latest`: the last complete quarter in the data: the quarter of the latest month when
//!   that month ends a quarter and is complete, else the quarter before.
//!
//! The financial year of a month starts on the April on or before it.

use crate::error::{AnalysisError, Result};
use crate::period::{Month, Period};

/// A quarter: three months starting at `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub from: Month,
    /// Named as a financial-year quarter (`FY2025Q1`) rather than a calendar one.
    pub financial: bool,
}

impl Quarter {
    pub fn period(self) -> Period {
        Period { from: self.from, to: self.from.plus(2) }
    }

    /// The quarter starting `n` quarters later (negative: earlier), named the same way.
    pub fn plus(self, n: i32) -> Quarter {
        Quarter { from: self.from.plus(3 * n), financial: self.financial }
    }

    /// First month of the financial year holding this quarter.
    pub fn financial_year_start(self) -> Month {
        let m = self.from;
        if m.month() >= 4 {
            Month::new(m.year(), 4)
        } else {
            Month::new(m.year() - 1, 4)
        }
    }

    /// Calendar quarter containing month `m`.
    pub fn containing(m: Month) -> Quarter {
        Quarter { from: Month::new(m.year(), 3 * (m.quarter() - 1) + 1), financial: false }
    }

    /// Parses `2025Q2`, `FY2025Q1` (case and spaces ignored); `latest` needs the data, see
    /// [`Quarter::latest`].
    pub fn parse(s: &str) -> Result<Quarter> {
        let t: String =
            s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let bad = || {
            AnalysisError::Usage(format!("{s:?} is not a quarter; write 2025Q2 (calendar), FY2025Q1 (April-June 2025) or latest"))
        };
        let (financial, rest) = match t.strip_prefix("FY") {
            Some(r) => (true, r),
            None => (false, t.as_str()),
        };
        let (year, q) = rest.split_once('Q').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let q: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) || !(1900..=2200).contains(&year) {
            return Err(bad());
        }
        let from = if financial {
            Month::new(year, 4).plus(3 * (q as i32 - 1))
        } else {
            Month::new(year, 3 * (q - 1) + 1)
        };
        Ok(Quarter { from, financial })
    }

    /// The last complete quarter, given the latest month with data and whether it is complete.
    pub fn latest(latest_month: Month, latest_complete: bool) -> Quarter {
        let last_full = if latest_complete { latest_month } else { latest_month.plus(-1) };
        let q = Quarter::containing(last_full);
        if q.period().to == last_full {
            q
        } else {
            q.plus(-1)
        }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.financial {
            let fy = self.financial_year_start();
            write!(f, "FY{}Q{}", fy.year(), (self.from.0 - fy.0) / 3 + 1)
        } else {
            write!(f, "{}Q{}", self.from.year(), self.from.quarter())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_financial_and_latest() {
        let q = Quarter::parse("2025Q2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.period(), Period { from: Month::new(2025, 4), to: Month::new(2025, 6) });
        assert_eq!(q.to_string(), "2025Q2");
        let f = Quarter::parse("fy2025q1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.period(), q.period());
        assert_eq!(f.to_string(), "FY2025Q1");
        let f4 = Quarter::parse("FY2025Q4").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f4.period(), Period { from: Month::new(2026, 1), to: Month::new(2026, 3) });
        assert_eq!(f4.financial_year_start(), Month::new(2025, 4));
        assert_eq!(f4.plus(-4).to_string(), "FY2024Q4");
        assert_eq!(
            Quarter::parse("2025Q1").map(|q| q.financial_year_start()).ok(),
            Some(Month::new(2024, 4))
        );
        for bad in ["2025Q5", "2025", "Q2", "FY25Q1x", "latest"] {
            assert!(Quarter::parse(bad).is_err(), "{bad}");
        }
        // data to 2025-06 complete: 2025Q2; to 2025-06 still filling: 2025Q1; to 2025-08: Q2
        assert_eq!(Quarter::latest(Month::new(2025, 6), true).to_string(), "2025Q2");
        assert_eq!(Quarter::latest(Month::new(2025, 6), false).to_string(), "2025Q1");
        assert_eq!(Quarter::latest(Month::new(2025, 8), true).to_string(), "2025Q2");
        assert_eq!(Quarter::latest(Month::new(2025, 1), false).to_string(), "2024Q4");
    }
}
