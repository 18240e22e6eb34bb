//! The monthly series of the priorities for the trend and the forecast ([`crate::trend`],
//! [`crate::forecast`]): records per month, counted with the priority's selector (its filter
//! within the configured area: the same records as every other table of the pack), from
//! `[trends] years` years before the end of the assessment period to its end.
//!
//! An assessment loads only the months its periods need ([`Assessment::months_to_load`]); the
//! earlier months of the look-back are loaded here, with only the columns the priorities'
//! filters read. The series starts at the first month the dataset has on or after the month
//! asked for: when the data cover fewer months than asked, the series is shorter and
//! [`Series::short`] says so. A month inside the series with no partition in the dataset
//! counts 0 (the dataset's months are listed so a report can say which).

use crate::assessment::Assessment;
use crate::config::Priority;
use crate::data::Data;
use crate::error::Result;
use crate::needs::Needs;
use crate::period::{Month, Period};

/// The priorities' monthly counts over one span.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The months asked for: `years` x 12 ending with the assessment period.
    pub asked: Period,
    /// The months counted (`None` when the dataset has no month in `asked`).
    pub period: Option<Period>,
    /// Months inside `period` with no data in the dataset.
    pub gaps: Vec<Month>,
    /// (priority name, one count per month of `period`).
    pub counts: Vec<(String, Vec<u64>)>,
}

impl Series {
    /// Whether the data cover fewer months than asked.
    pub fn short(&self) -> bool {
        self.period != Some(self.asked)
    }

    pub fn months(&self) -> usize {
        self.period.map_or(0, |p| p.months() as usize)
    }
}

/// The months asked for: `years` years ending with the assessment period.
pub fn asked(a: &Assessment, years: u32) -> Period {
    let to = a.periods.current.to;
    Period { from: to.plus(1 - 12 * years as i32), to }
}

/// The monthly counts of `priorities` over the `years` years to the end of the assessment
/// period (module header).
pub fn series(a: &Assessment, priorities: &[Priority], years: u32) -> Result<Series> {
    let asked = asked(a, years);
    let months = &a.data.info.months;
    let first = months.iter().copied().find(|m| asked.contains(*m));
    let Some(first) = first else {
        return Ok(Series { asked, period: None, gaps: Vec::new(), counts: Vec::new() });
    };
    let period = Period { from: first, to: asked.to };
    let gaps: Vec<Month> = period.iter().filter(|m| months.binary_search(m).is_err()).collect();
    let n = period.months() as usize;
    let mut counts: Vec<(String, Vec<u64>)> =
        priorities.iter().map(|p| (p.name.clone(), vec![0u64; n])).collect();
    let loaded = a.data.months;
    // the months before those loaded, read now with the filters' columns only
    if period.from < loaded.from {
        let extra = Period { from: period.from, to: loaded.from.plus(-1).min(period.to) };
        let needs = Needs::for_priorities(priorities);
        let data = Data::load(&a.data.info, extra, &needs)?;
        tally(a, &data, priorities, period, &mut counts)?;
    }
    tally(a, &a.data, priorities, period, &mut counts)?;
    Ok(Series { asked, period: Some(period), gaps, counts })
}

/// Adds the records of `data` in `period` to each priority's counts.
fn tally(
    a: &Assessment,
    data: &Data,
    priorities: &[Priority],
    period: Period,
    counts: &mut [(String, Vec<u64>)],
) -> Result<()> {
    let crimes = &data.crimes;
    for (p, (_, c)) in priorities.iter().zip(counts.iter_mut()) {
        let sel = a.selector_on(p, crimes)?;
        for r in sel.rows(crimes, period) {
            let m = crimes.month[r as usize];
            c[(m.0 - period.from.0) as usize] += 1;
        }
    }
    Ok(())
}
