//! Proven re-offending, the Ministry of Justice measure adapted to police recorded crime: who
//! is in a period's offender cohort, when each person's follow-up starts, and which of their
//! later crimes count as re-offences.
//!
//! - **Cohort** of a period P (a quarter `2024Q1`, `FY2024Q1`, or a financial year `FY2024`):
//!   every distinct offender `person_id` linked to at least one crime (`record_kind = crime`)
//!   whose offence date falls in P. Offence date = the date of `committed_from`, or
//!   `recorded_date` when `committed_from` is null. **Index date** = that person's earliest
//!   offence date in P.
//! - **Re-offence**: another crime (a different `crime_ref`) linked to the same person, with an
//!   offence date strictly after the index date and no later than the index date plus the
//!   follow-up (default 12 calendar months), recorded no later than the index date plus the
//!   follow-up plus the waiting period (default 6 months). A crime with two cohort members
//!   counts once for each of them.
//! - Binary rate, frequency, harm and time to first re-offence: [`crate::reoffending_table`].
//! - A period whose follow-up plus waiting period the dataset does not cover is refused
//!   ([`AnalysisError::Usage`] naming the months and the latest covered cohort), or with
//!   [`Spec::provisional`] reported as provisional: follow-up is cut at the last complete
//!   month of the data and the time to first re-offence censored there.
//!
//! What the definition leaves open, decided here (and in data/README.md):
//!
//! | question | rule |
//! |---|---|
//! | adding months | calendar months: the same day of the month, or the month's last day when it is shorter (2024-01-31 + 1 month = 2024-02-29; 2024-02-29 + 12 months = 2025-02-28); the recording limit is the index date + (follow-up + waiting) months |
//! | the index offence | of the person's crimes in P on the index date, the one with the highest Crime Severity Score weight (then the first in the data); the person's record on it gives the age (age band at the index date), sex and ethnicity, the crime its offence group and ward |
//! | covered | every month from P's first to the month of the last possible recording limit (P's last day + follow-up + waiting) is in the data, the last of them complete (a record on its last day, or month-precision data) |
//! | a priority | `--priority` (or a configured area) restricts the crimes that put someone in the cohort; re-offences are any crime in the dataset, anywhere |
//! | prolific | at least `prolific_previous` (default 3) other crimes with offence dates in the 12 months before the index date (the index date itself not included) |
//! | crimes read | months from 24 before P (the cohort a year earlier and its look-back) to the last recording limit; a crime with an offence date in P recorded after that limit is not seen |

use chrono::{Months, NaiveDate};
use csa_model::{Col, CrimeType, OffenceTable};
use rayon::prelude::*;

use crate::assessment::Assessment;
use crate::config::Priority;
use crate::error::{AnalysisError, Result};
use crate::harm::css_by_crime_type;
use crate::needs::Needs;
use crate::period::{Month, Period};
use crate::quarter::Quarter;
use crate::store::{day_to_date, People};

/// The crime columns the measure reads (besides the priority's filter).
pub const COLUMNS: &[Col] = &[
    Col::RecordKind,
    Col::CommittedFrom,
    Col::OffenceCode,
    Col::CrimeType,
    Col::OffenceGroup,
    Col::WardCode,
    Col::WardName,
];

/// What a re-offending cohort of priority `p` needs loaded: every offender (a re-offence can
/// be any crime), and [`COLUMNS`].
pub fn needs(p: &Priority) -> Needs {
    Needs::for_priorities([p]).with(COLUMNS.iter().copied()).with_offenders()
}

/// The period a cohort is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortPeriod {
    /// A calendar (`2024Q1`) or financial-year (`FY2024Q1`) quarter.
    Quarter(Quarter),
    /// April of the year to March of the next (`FY2024` = April 2024 to March 2025).
    FinancialYear(i32),
}

impl CohortPeriod {
    /// Parses `2024Q1`, `FY2024Q1` or `FY2024` (case and spaces ignored).
    pub fn parse(s: &str) -> Result<CohortPeriod> {
        let t: String =
            s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let bad = || {
            AnalysisError::Usage(format!(
                "{s:?} is not a cohort period; write a quarter (2024Q1, or FY2024Q1 for April-June 2024) or a financial year (FY2024 = April 2024 to March 2025)"
            ))
        };
        if let Some(y) = t.strip_prefix("FY").filter(|y| !y.contains('Q')) {
            let year: i32 = y.parse().map_err(|_| bad())?;
            if !(1900..=2200).contains(&year) {
                return Err(bad());
            }
            return Ok(CohortPeriod::FinancialYear(year));
        }
        Quarter::parse(&t).map(CohortPeriod::Quarter).map_err(|_| bad())
    }

    /// The months of the period.
    pub fn months(self) -> Period {
        match self {
            CohortPeriod::Quarter(q) => q.period(),
            CohortPeriod::FinancialYear(y) => {
                Period { from: Month::new(y, 4), to: Month::new(y + 1, 3) }
            }
        }
    }

    pub fn first_day(self) -> NaiveDate {
        self.months().from.first_day()
    }

    pub fn last_day(self) -> NaiveDate {
        self.months().to.last_day()
    }

    /// The same period a year earlier.
    pub fn year_earlier(self) -> CohortPeriod {
        match self {
            CohortPeriod::Quarter(q) => CohortPeriod::Quarter(q.plus(-4)),
            CohortPeriod::FinancialYear(y) => CohortPeriod::FinancialYear(y - 1),
        }
    }
}

impl std::fmt::Display for CohortPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CohortPeriod::Quarter(q) => write!(f, "{q}"),
            CohortPeriod::FinancialYear(y) => write!(f, "FY{y}"),
        }
    }
}

/// The parameters of the measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Spec {
    pub follow_up_months: u32,
    pub waiting_months: u32,
    /// Other crimes in the 12 months before the index date that make a person prolific.
    pub prolific_previous: u32,
    /// Report a period the data does not cover as provisional instead of refusing it.
    pub provisional: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec { follow_up_months: 12, waiting_months: 6, prolific_previous: 3, provisional: false }
    }
}

impl Spec {
    /// The last day a re-offence of anyone in cohort `p` may be recorded: P's last day +
    /// follow-up + waiting.
    pub fn recorded_by(&self, p: CohortPeriod) -> NaiveDate {
        add_months(p.last_day(), (self.follow_up_months + self.waiting_months) as i32)
    }

    /// The months to load for cohort `p` and the cohort a year earlier (with its look-back).
    pub fn load(&self, p: CohortPeriod) -> Period {
        Period { from: p.months().from.plus(-24), to: Month::of(self.recorded_by(p)) }
    }

    /// Checks the values a user can give.
    pub fn check(&self) -> Result<()> {
        if self.follow_up_months == 0 || self.follow_up_months > 120 {
            return Err(AnalysisError::Usage(format!(
                "the follow-up is {} months; give 1 to 120 (12 is the Ministry of Justice's)",
                self.follow_up_months
            )));
        }
        if self.waiting_months > 60 {
            return Err(AnalysisError::Usage(format!(
                "the waiting period is {} months; give 0 to 60 (6 is the Ministry of Justice's)",
                self.waiting_months
            )));
        }
        Ok(())
    }
}

/// `d` plus `n` calendar months (negative: minus), clamped to the month's last day.
pub fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let m = Months::new(n.unsigned_abs());
    let out = if n >= 0 { d.checked_add_months(m) } else { d.checked_sub_months(m) };
    out.unwrap_or(d)
}

/// Days since 1970-01-01 (the column store's day numbers).
pub fn day_number(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// Which months of what a cohort needs the loaded data covers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coverage {
    /// From P's first month to the month of the last recording limit.
    pub needed: (String, String),
    /// Months of `needed` the data does not cover (absent, not loaded, or the incomplete last
    /// month of the dataset).
    pub missing: Vec<String>,
    /// First day of the first month loaded with data.
    pub data_start: NaiveDate,
    /// Last day of the last complete month loaded.
    pub data_end: NaiveDate,
}

impl Coverage {
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// The months of the loaded data that are complete and present.
pub(crate) fn covered_months(a: &Assessment) -> Result<Vec<Month>> {
    let info = &a.data.info;
    let latest_complete = info.latest_complete()?;
    let latest = info.latest();
    Ok(info
        .months
        .iter()
        .copied()
        .filter(|m| a.data.months.contains(*m) && (Some(*m) != latest || latest_complete))
        .collect())
}

/// What of cohort `p`'s needs the loaded data covers.
pub fn coverage(a: &Assessment, p: CohortPeriod, spec: &Spec) -> Result<Coverage> {
    let months = covered_months(a)?;
    let needed = Period { from: p.months().from, to: Month::of(spec.recorded_by(p)) };
    let missing: Vec<String> =
        needed.iter().filter(|m| months.binary_search(m).is_err()).map(|m| m.to_string()).collect();
    let first = months.first().copied().unwrap_or(a.data.months.from);
    let last = months.last().copied().unwrap_or(a.data.months.from.plus(-1));
    Ok(Coverage {
        needed: (needed.from.to_string(), needed.to.to_string()),
        missing,
        data_start: first.first_day(),
        data_end: last.last_day(),
    })
}

/// The latest cohort of the same kind as `p` that the loaded data covers, if any.
pub fn latest_covered(
    a: &Assessment,
    p: CohortPeriod,
    spec: &Spec,
) -> Result<Option<CohortPeriod>> {
    let months = covered_months(a)?;
    let mut q = p;
    for _ in 0..400 {
        let needed = Period { from: q.months().from, to: Month::of(spec.recorded_by(q)) };
        if months.first().is_none_or(|f| needed.from < *f) {
            return Ok(None);
        }
        if needed.iter().all(|m| months.binary_search(&m).is_ok()) {
            return Ok(Some(q));
        }
        q = match q {
            CohortPeriod::Quarter(x) => CohortPeriod::Quarter(x.plus(-1)),
            CohortPeriod::FinancialYear(y) => CohortPeriod::FinancialYear(y - 1),
        };
    }
    Ok(None)
}

/// The calendar quarters whose cohorts the loaded data covers, oldest first.
pub fn covered_quarters(a: &Assessment, spec: &Spec) -> Result<Vec<Quarter>> {
    let months = covered_months(a)?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut q = Quarter::containing(*first);
    while q.from <= *last {
        let p = CohortPeriod::Quarter(q);
        let needed = Period { from: p.months().from, to: Month::of(spec.recorded_by(p)) };
        if needed.iter().all(|m| months.binary_search(&m).is_ok()) {
            out.push(q);
        }
        q = q.plus(1);
    }
    Ok(out)
}

/// One person's crime: offence day, crime row and the person's record on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Event {
    pub(crate) day: i32,
    pub(crate) row: u32,
    pub(crate) record: u32,
}

/// Every offender's crimes in offence-date order: built once from the loaded data, shared by
/// the cohort and the cohort a year earlier.
pub struct Offences<'a> {
    pub(crate) a: &'a Assessment,
    pub(crate) offenders: &'a People,
    /// Offence day of each crime row (days since 1970-01-01).
    pub(crate) offence_day: Vec<i32>,
    is_crime: Vec<bool>,
    /// CSS weight of each crime row (0 without one).
    pub(crate) weight: Vec<f64>,
    /// `events[start[p]..start[p + 1]]` are person code p's crimes.
    start: Vec<u32>,
    events: Vec<Event>,
}

/// The offenders of the loaded data, or a plain error when the dataset has none.
pub fn offenders(a: &Assessment) -> Result<&People> {
    match a.data.offenders.as_ref() {
        Some(o) if a.data.info.offenders > 0 => Ok(o),
        _ => Err(AnalysisError::Usage(format!(
            "{} has no offenders (police.uk data carries no people); re-offending needs a force extract with offenders and their person ids",
            a.data.info.dir.display()
        ))),
    }
}

impl<'a> Offences<'a> {
    /// Indexes the loaded offenders' crimes.
    pub fn new(a: &'a Assessment) -> Result<Offences<'a>> {
        let offenders = offenders(a)?;
        let crimes = &a.data.crimes;
        let kinds = crimes.text(Col::RecordKind)?;
        let crime_code = kinds.code_of(csa_model::RecordKind::Crime.name()).unwrap_or(u32::MAX);
        let committed = crimes.day(Col::CommittedFrom)?;
        let offence_day: Vec<i32> = (0..crimes.len)
            .map(|r| match committed.get(r) {
                Some(&d) if d != i32::MIN => d,
                _ => crimes.date[r],
            })
            .collect();
        let is_crime: Vec<bool> = kinds.codes.iter().map(|&c| c == crime_code).collect();
        let weight = css_weights(a)?;
        let people = offenders.person.distinct();
        let mut start = vec![0u32; people + 2];
        for (i, &p) in offenders.person.codes.iter().enumerate() {
            if p != 0 && is_crime[offenders.crime[i] as usize] {
                start[p as usize + 1] += 1;
            }
        }
        for p in 1..start.len() {
            start[p] += start[p - 1];
        }
        let mut fill = start.clone();
        let mut events = vec![Event { day: 0, row: 0, record: 0 }; start[people + 1] as usize];
        for (i, &p) in offenders.person.codes.iter().enumerate() {
            let row = offenders.crime[i];
            if p != 0 && is_crime[row as usize] {
                let at = &mut fill[p as usize];
                events[*at as usize] =
                    Event { day: offence_day[row as usize], row, record: i as u32 };
                *at += 1;
            }
        }
        let mut slices: Vec<&mut [Event]> = Vec::with_capacity(people);
        let mut rest: &mut [Event] = &mut events;
        for p in 1..=people {
            let len = (start[p + 1] - start[p]) as usize;
            let (head, tail) = rest.split_at_mut(len);
            slices.push(head);
            rest = tail;
        }
        slices.par_iter_mut().for_each(|s| s.sort_unstable());
        Ok(Offences { a, offenders, offence_day, is_crime, weight, start, events })
    }

    pub(crate) fn of(&self, person: u32) -> &[Event] {
        let p = person as usize;
        &self.events[self.start[p] as usize..self.start[p + 1] as usize]
    }

    /// The cohort of `period` for priority `p` (index offences of the priority, in the area).
    pub fn cohort(
        &self,
        p: &Priority,
        period: CohortPeriod,
        spec: &Spec,
        coverage: Coverage,
    ) -> Result<Cohort> {
        let crimes = &self.a.data.crimes;
        let sel = self.a.selector(p)?;
        let (from, to) = (day_number(period.first_day()), day_number(period.last_day()));
        let index_ok: Vec<bool> = (0..crimes.len)
            .map(|r| {
                self.is_crime[r] && (from..=to).contains(&self.offence_day[r]) && sel.matches(r)
            })
            .collect();
        let truncated = !coverage.complete();
        let data_start = day_number(coverage.data_start);
        let data_end = day_number(coverage.data_end);
        let people = self.offenders.person.distinct() as u32;
        let members: Vec<(Member, bool)> = (1..=people)
            .into_par_iter()
            .filter_map(|person| {
                let ev = self.of(person);
                let first = ev.iter().position(|e| index_ok[e.row as usize])?;
                let index_day = ev[first].day;
                let index = ev[first..]
                    .iter()
                    .take_while(|e| e.day == index_day)
                    .filter(|e| index_ok[e.row as usize])
                    .max_by(|x, y| {
                        self.weight[x.row as usize]
                            .total_cmp(&self.weight[y.row as usize])
                            .then(y.row.cmp(&x.row))
                    })?;
                let date = day_to_date(index_day);
                let fu_end = day_number(add_months(date, spec.follow_up_months as i32));
                let follow_end = if truncated { fu_end.min(data_end) } else { fu_end };
                let recorded_by = day_number(add_months(
                    date,
                    (spec.follow_up_months + spec.waiting_months) as i32,
                ));
                let look_from = day_number(add_months(date, -12));
                let (mut previous, mut reoffences, mut harm, mut first_day) =
                    (0u32, 0u32, 0.0, None);
                let mut last_row = u32::MAX;
                for e in ev {
                    if e.row == last_row {
                        continue;
                    }
                    last_row = e.row;
                    if e.day >= look_from && e.day < index_day {
                        previous += 1;
                    } else if e.day > index_day
                        && e.day <= follow_end
                        && e.row != index.row
                        && crimes.date[e.row as usize] <= recorded_by
                    {
                        reoffences += 1;
                        harm += self.weight[e.row as usize];
                        first_day.get_or_insert(e.day);
                    }
                }
                Some((
                    Member {
                        person,
                        index_row: index.row,
                        index_record: index.record,
                        index_day,
                        previous,
                        reoffences,
                        harm,
                        first_days: first_day.map(|d| d - index_day),
                        followed_days: (follow_end - index_day).max(0),
                    },
                    look_from < data_start,
                ))
            })
            .collect();
        let lookback_partial = members.iter().any(|m| m.1);
        Ok(Cohort {
            period,
            spec: *spec,
            members: members.into_iter().map(|m| m.0).collect(),
            provisional: truncated,
            coverage,
            lookback_partial,
        })
    }
}

/// The CSS weight of every crime row: by offence code, else the mean of its crime type.
fn css_weights(a: &Assessment) -> Result<Vec<f64>> {
    let crimes = &a.data.crimes;
    let codes = crimes.text(Col::OffenceCode)?;
    let types = crimes.text(Col::CrimeType)?;
    let offences = OffenceTable::shipped();
    let by_code: Vec<Option<f64>> = std::iter::once(None)
        .chain(codes.values.iter().map(|c| offences.get(c).and_then(|o| o.css_weight)))
        .collect();
    let by_type_table = css_by_crime_type();
    let by_type: Vec<Option<f64>> = std::iter::once(None)
        .chain(
            types
                .values
                .iter()
                .map(|t| CrimeType::parse(t).and_then(|t| by_type_table.get(&t).copied())),
        )
        .collect();
    Ok((0..crimes.len)
        .map(|r| {
            let c = codes.codes.get(r).copied().unwrap_or(0) as usize;
            match by_code[c] {
                Some(w) => w,
                None if c == 0 => {
                    by_type[types.codes.get(r).copied().unwrap_or(0) as usize].unwrap_or(0.0)
                }
                None => 0.0,
            }
        })
        .collect())
}

/// A cohort member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Person code in the loaded offenders.
    pub person: u32,
    /// The index offence's crime row and the person's record on it.
    pub index_row: u32,
    pub index_record: u32,
    /// Days since 1970-01-01.
    pub index_day: i32,
    /// Other crimes in the 12 months before the index date.
    pub previous: u32,
    pub reoffences: u32,
    /// CSS weight of the re-offences.
    pub harm: f64,
    /// Days from the index date to the first re-offence.
    pub first_days: Option<i32>,
    /// Days of follow-up observed (the whole follow-up unless provisional).
    pub followed_days: i32,
}

/// A period's cohort with every member's outcome.
#[derive(Debug, Clone)]
pub struct Cohort {
    pub period: CohortPeriod,
    pub spec: Spec,
    /// In person-code order.
    pub members: Vec<Member>,
    /// The data do not cover the follow-up and waiting period: figures so far.
    pub provisional: bool,
    pub coverage: Coverage,
    /// Some member's 12-month look-back (prolific status) starts before the data.
    pub lookback_partial: bool,
}

impl Cohort {
    pub fn reoffenders(&self) -> u64 {
        self.members.iter().filter(|m| m.reoffences > 0).count() as u64
    }
    pub fn reoffences(&self) -> u64 {
        self.members.iter().map(|m| u64::from(m.reoffences)).sum()
    }
}

/// The message refusing a cohort the data do not cover.
pub fn uncovered(
    a: &Assessment,
    period: CohortPeriod,
    spec: &Spec,
    coverage: &Coverage,
) -> Result<AnalysisError> {
    let latest = latest_covered(a, period, spec)?;
    let months = &coverage.missing;
    let shown = if months.len() > 6 {
        format!("{} ... {} ({} months)", months[0], months[months.len() - 1], months.len())
    } else {
        months.join(", ")
    };
    Ok(AnalysisError::Usage(format!(
        "the cohort {period} needs recorded crime from {} to {} ({} months' follow-up and {} months' waiting after its last index date, {}), but the data do not cover {shown}; {}, or pass --provisional to report it as provisional",
        coverage.needed.0,
        coverage.needed.1,
        spec.follow_up_months,
        spec.waiting_months,
        period.last_day(),
        match latest {
            Some(l) => format!("the latest cohort the data cover is {l}"),
            None => "no cohort of this kind is covered yet".to_string(),
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn periods_and_calendar_months() {
        let q = CohortPeriod::parse("2024q1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.first_day(), q.last_day()), (d(2024, 1, 1), d(2024, 3, 31)));
        assert_eq!(q.year_earlier().to_string(), "2023Q1");
        let fy = CohortPeriod::parse("FY2024").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((fy.first_day(), fy.last_day()), (d(2024, 4, 1), d(2025, 3, 31)));
        assert_eq!(fy.to_string(), "FY2024");
        let fq = CohortPeriod::parse("FY2024Q4").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fq.first_day(), d(2025, 1, 1));
        for bad in ["2024", "FY24x", "2024Q5", "Q1"] {
            assert!(CohortPeriod::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2024, 2, 29), 12), d(2025, 2, 28));
        assert_eq!(add_months(d(2024, 2, 29), 18), d(2025, 8, 29));
        assert_eq!(add_months(d(2024, 3, 31), -1), d(2024, 2, 29));
        let s = Spec::default();
        // 2024Q1: last index date 2024-03-31, recorded by 2025-09-30
        assert_eq!(s.recorded_by(q), d(2025, 9, 30));
        assert_eq!(s.load(q).to_string(), "2022-01 to 2025-09");
        assert_eq!(day_number(d(1970, 1, 2)), 1);
    }
}
