//! Offender cohorts (integrated offender management, IOM): how a named group of offenders'
//! offending changed from the year before they joined the scheme to the year after.
//!
//! Input: a CSV with `person_id`, `entry_date` and optionally `exit_date` (dates as
//! `YYYY-MM-DD` or `DD/MM/YYYY`; other columns are ignored). Each person once; an exit before
//! the entry, a missing id or an unreadable date is an error naming the line and field.
//!
//! For each person, with N months (default 12) and the crimes (`record_kind = crime`) linked
//! to their `person_id` anywhere in the dataset, by offence date (`committed_from`, else
//! `recorded_date`):
//!
//! ```text
//! before = offence dates in (entry - N months, entry]          (the entry day counts before)
//! after  = offence dates in (entry, min(entry + N months, exit, data end)]
//! each window is cut to the months the data cover (first day of the first month to the last
//! day of the last complete month), and its exposure is its length in days / 365.25:
//!   offences_per_year = offences / years,  harm_css = sum of CSS weights of the offences
//! cohort: offences and years summed over people, rate = sum offences / sum years;
//!   rate_change_pct = 100 (rate_after - rate_before) / rate_before;
//!   rate_ratio = rate_after / rate_before with the exact conditional test and the
//!   Clopper-Pearson interval of [`crate::rates`] (unequal exposure)
//! ```
//!
//! Person ids leave only as keyed pseudonyms (`IOM-` + 10 hex digits, the key of
//! [`crate::repeats::pseudonym`]). The output carries the regression-to-the-mean caveat: people
//! join a scheme when their offending is high, and high offending tends to fall back without
//! any intervention, so a fall after entry is not on its own evidence that the scheme worked.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::json;

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, round2, text_col};
use crate::error::{internal, AnalysisError, Result};
use crate::needs::Needs;
use crate::period::{Month, Period};
use crate::rates::{rate_test, RateTest};
use crate::reoffending::{add_months, covered_months, day_number, Offences};
use crate::reoffending_table::Output;
use crate::{names, repeats};

/// The regression-to-the-mean caveat every offender-cohort output carries.
pub const REGRESSION_TO_THE_MEAN: &str = "Regression to the mean: people are chosen for an offender cohort when their offending is high, and unusually high offending tends to fall back towards its usual level without any intervention. A fall after entry is therefore expected even if the scheme did nothing; judge the scheme against a comparable group not in it (or a longer history), not on this before-and-after change alone.";

/// One person of the cohort file.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub person_id: String,
    pub entry: NaiveDate,
    pub exit: Option<NaiveDate>,
}

/// A cohort file, checked.
#[derive(Debug, Clone)]
pub struct CohortFile {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// `YYYY-MM-DD` (a time after it is ignored) or `DD/MM/YYYY`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some((d, rest)) = s.split_once('/') {
        let (m, y) = rest.split_once('/')?;
        return NaiveDate::from_ymd_opt(y.trim().parse().ok()?, m.parse().ok()?, d.parse().ok()?)
            .filter(|_| y.trim().len() == 4);
    }
    let date = s.get(..10)?;
    if s.len() > 10 && !s[10..].starts_with(['T', ' ']) {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

impl CohortFile {
    pub fn load(path: &Path) -> Result<CohortFile> {
        let bytes = std::fs::read(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        CohortFile::parse(&bytes, path)
    }

    pub fn parse(bytes: &[u8], path: &Path) -> Result<CohortFile> {
        let err = |line: u64, detail: String| AnalysisError::Input {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            err(1, format!("the file is not UTF-8 text ({e}); save it as CSV (UTF-8)"))
        })?;
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| err(1, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(id_col), Some(entry_col)) = (col("person_id"), col("entry_date")) else {
            return Err(err(
                1,
                format!(
                    "the header must name person_id and entry_date (and optionally exit_date); it has {}",
                    header.join(", ")
                ),
            ));
        };
        let exit_col = col("exit_date");
        let mut entries: Vec<Entry> = Vec::new();
        let mut problems: Vec<(u64, String)> = Vec::new();
        let mut seen: FxHashMap<String, u64> = FxHashMap::default();
        for (i, rec) in rdr.records().enumerate() {
            let line = i as u64 + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    problems.push((line, e.to_string()));
                    continue;
                }
            };
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let field = |j: usize| rec.get(j).unwrap_or("").trim();
            let id = field(id_col);
            if id.is_empty() {
                problems.push((line, "person_id is empty".into()));
                continue;
            }
            let Some(entry) = parse_date(field(entry_col)) else {
                problems.push((
                    line,
                    format!(
                        "entry_date {:?} is not a date; write YYYY-MM-DD or DD/MM/YYYY",
                        field(entry_col)
                    ),
                ));
                continue;
            };
            let exit = match exit_col.map(field).filter(|v| !v.is_empty()) {
                None => None,
                Some(v) => match parse_date(v) {
                    Some(d) if d < entry => {
                        problems
                            .push((line, format!("exit_date {d} is before entry_date {entry}")));
                        continue;
                    }
                    Some(d) => Some(d),
                    None => {
                        problems.push((
                            line,
                            format!(
                                "exit_date {v:?} is not a date; write YYYY-MM-DD or DD/MM/YYYY, or leave it empty"
                            ),
                        ));
                        continue;
                    }
                },
            };
            if let Some(first) = seen.insert(id.to_string(), line) {
                problems.push((
                    line,
                    format!(
                        "person_id {id:?} is listed again (first on line {first}); list each person once, with the entry you want tracked"
                    ),
                ));
                continue;
            }
            entries.push(Entry { line, person_id: id.to_string(), entry, exit });
        }
        if let Some((line, first)) = problems.first() {
            let more = if problems.len() > 1 {
                let rest: Vec<String> =
                    problems[1..].iter().take(9).map(|(l, p)| format!("line {l}: {p}")).collect();
                format!(
                    " (and {} more: {}{})",
                    problems.len() - 1,
                    rest.join("; "),
                    if problems.len() > 10 { "; ..." } else { "" }
                )
            } else {
                String::new()
            };
            return Err(err(*line, format!("{first}{more}")));
        }
        if entries.is_empty() {
            return Err(err(1, "the file lists nobody: one row per person is needed".into()));
        }
        Ok(CohortFile { path: path.to_path_buf(), entries })
    }

    /// The months the windows span: N months before the first entry to N months after the
    /// last (load to the end of the data: crimes committed in a window may be recorded later).
    pub fn span(&self, months: u32) -> Period {
        let first = self.entries.iter().map(|e| e.entry).min().unwrap_or_default();
        let last = self.entries.iter().map(|e| e.entry).max().unwrap_or_default();
        Period {
            from: Month::of(add_months(first, -(months as i32))),
            to: Month::of(add_months(last, months as i32)),
        }
    }
}

/// What tracking an offender cohort needs loaded: every offender and the harm and date
/// columns.
pub fn needs() -> Needs {
    Needs::default().with(crate::reoffending::COLUMNS.iter().copied()).with_offenders()
}

/// Offences in one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Window {
    /// Days of the window the data cover.
    pub days: i64,
    pub offences: u64,
    pub harm: f64,
}

impl Window {
    pub fn years(&self) -> f64 {
        self.days as f64 / 365.25
    }
    /// Offences per person-year; None without exposure.
    pub fn rate(&self) -> Option<f64> {
        (self.days > 0).then(|| self.offences as f64 / self.years())
    }
    pub fn harm_rate(&self) -> Option<f64> {
        (self.days > 0).then(|| self.harm / self.years())
    }
    fn add(&mut self, o: &Window) {
        self.days += o.days;
        self.offences += o.offences;
        self.harm += o.harm;
    }
}

/// One person's before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub pseudonym: String,
    pub entry: NaiveDate,
    pub exit: Option<NaiveDate>,
    /// Whether the person has any crime in the loaded data.
    pub found: bool,
    pub before: Window,
    pub after: Window,
}

/// The cohort's before and after.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub source: PathBuf,
    pub months: u32,
    pub people: Vec<Tracked>,
    pub before: Window,
    pub after: Window,
    pub test: Option<RateTest>,
    pub data_start: NaiveDate,
    pub data_end: NaiveDate,
    pub notes: Vec<String>,
}

/// Tracks the people of `file` over `months` before and after entry, on an assessment opened
/// with [`needs`] over [`CohortFile::span`].
pub fn track(a: &Assessment, file: &CohortFile, months: u32) -> Result<Tracking> {
    if months == 0 || months > 120 {
        return Err(AnalysisError::Usage(format!(
            "the window is {months} months; give 1 to 120 (12 is usual)"
        )));
    }
    let offences = Offences::new(a)?;
    let covered = covered_months(a)?;
    let (Some(first), Some(last)) = (covered.first(), covered.last()) else {
        return Err(AnalysisError::Usage(format!(
            "{} has no complete month of data in {} (the windows of the cohort file)",
            a.data.info.dir.display(),
            a.data.months
        )));
    };
    let (data_start, data_end) = (first.first_day(), last.last_day());
    let (start, end) = (day_number(data_start), day_number(data_end));
    // person code of each id in the file
    let ids = &offences.offenders.person;
    let wanted: FxHashMap<&str, usize> =
        file.entries.iter().enumerate().map(|(i, e)| (e.person_id.as_str(), i)).collect();
    let mut code_of: Vec<Option<u32>> = vec![None; file.entries.len()];
    for code in 1..=ids.distinct() as u32 {
        if let Some(&i) = ids.id(code).and_then(|id| wanted.get(id)) {
            code_of[i] = Some(code);
        }
    }
    let key = a.pseudonym_key()?;
    let window = |events: &[crate::reoffending::Event], lo: i32, hi: i32| {
        let mut w = Window { days: i64::from((hi - lo).max(0)), ..Window::default() };
        let mut last_row = u32::MAX;
        for e in events {
            if e.row != last_row && e.day > lo && e.day <= hi {
                w.offences += 1;
                w.harm += offences.weight[e.row as usize];
            }
            last_row = e.row;
        }
        w
    };
    let mut people: Vec<Tracked> = file
        .entries
        .iter()
        .zip(&code_of)
        .map(|(e, code)| {
            let events = code.map_or(&[][..], |c| offences.of(c));
            let entry = day_number(e.entry);
            let n = months as i32;
            let before =
                window(events, day_number(add_months(e.entry, -n)).max(start - 1), entry.min(end));
            let mut after_end = day_number(add_months(e.entry, n)).min(end);
            if let Some(x) = e.exit {
                after_end = after_end.min(day_number(x));
            }
            let after = window(events, entry.max(start - 1), after_end);
            Tracked {
                pseudonym: repeats::pseudonym("IOM-", key, &e.person_id),
                entry: e.entry,
                exit: e.exit,
                found: code.is_some(),
                before,
                after,
            }
        })
        .collect();
    people.sort_by(|x, y| x.entry.cmp(&y.entry).then(x.pseudonym.cmp(&y.pseudonym)));
    let mut before = Window::default();
    let mut after = Window::default();
    for p in &people {
        before.add(&p.before);
        after.add(&p.after);
    }
    let test = rate_test(after.offences, after.years(), before.offences, before.years(), 0.05);
    let mut notes = vec![REGRESSION_TO_THE_MEAN.to_string()];
    let missing = people.iter().filter(|p| !p.found).count();
    if missing > 0 {
        notes.push(format!(
            "{missing} of the {} people have no crime in the data read ({} to {}): they count with no offences",
            people.len(),
            a.data.months.from,
            a.data.months.to
        ));
    }
    let n = months as i32;
    let short_before = file
        .entries
        .iter()
        .filter(|e| add_months(e.entry, -n) < data_start.pred_opt().unwrap_or(data_start))
        .count();
    if short_before > 0 {
        notes.push(format!(
            "the data start {data_start}: for {short_before} of the {} people the {months} months before entry are only partly covered (their rates use the covered days)",
            people.len()
        ));
    }
    let short_after = people
        .iter()
        .filter(|p| add_months(p.entry, n) > data_end && p.exit.is_none_or(|x| x > data_end))
        .count();
    if short_after > 0 {
        notes.push(format!(
            "the data end {data_end}: for {short_after} of the {} people the {months} months after entry are not over yet (their rates use the days so far; recent crimes may not be recorded yet)",
            people.len()
        ));
    }
    let exited =
        people.iter().filter(|p| p.exit.is_some_and(|x| x < add_months(p.entry, n))).count();
    if exited > 0 {
        notes.push(format!(
            "{exited} of the {} people left the scheme within {months} months of entry: their after-period ends at the exit date",
            people.len()
        ));
    }
    Ok(Tracking {
        source: file.path.clone(),
        months,
        people,
        before,
        after,
        test,
        data_start,
        data_end,
        notes,
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Tracking {
    /// The cohort row ("all"), then one row per person (by entry date).
    pub fn table(&self) -> Result<DataFrame> {
        struct R<'a> {
            person: String,
            people: i64,
            entry: Option<NaiveDate>,
            exit: Option<NaiveDate>,
            before: &'a Window,
            after: &'a Window,
            test: Option<&'a RateTest>,
        }
        let mut rows = vec![R {
            person: "all".into(),
            people: self.people.len() as i64,
            entry: None,
            exit: None,
            before: &self.before,
            after: &self.after,
            test: self.test.as_ref(),
        }];
        rows.extend(self.people.iter().map(|p| R {
            person: p.pseudonym.clone(),
            people: 1,
            entry: Some(p.entry),
            exit: p.exit,
            before: &p.before,
            after: &p.after,
            test: None,
        }));
        let f = |g: &dyn Fn(&R) -> Option<f64>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
        let i = |g: &dyn Fn(&R) -> Option<i64>| rows.iter().map(g).collect::<Vec<_>>().into_iter();
        let change = |r: &R| match (r.after.rate(), r.before.rate()) {
            (Some(a), Some(b)) if b > 0.0 => Some(round2(100.0 * (a - b) / b)),
            _ => None,
        };
        DataFrame::new(
            rows.len(),
            vec![
                text_col(names::PERSON, rows.iter().map(|r| Some(r.person.clone()))),
                int_col(names::PEOPLE, i(&|r| Some(r.people))),
                text_col(names::ENTRY_DATE, rows.iter().map(|r| r.entry.map(|d| d.to_string()))),
                text_col(names::EXIT_DATE, rows.iter().map(|r| r.exit.map(|d| d.to_string()))),
                float_col(names::YEARS_BEFORE, f(&|r| Some(round3(r.before.years())))),
                int_col(names::OFFENCES_BEFORE, i(&|r| Some(r.before.offences as i64))),
                float_col(names::HARM_CSS_BEFORE, f(&|r| Some(round2(r.before.harm)))),
                float_col(names::RATE_BEFORE, f(&|r| r.before.rate().map(round3))),
                float_col(names::YEARS_AFTER, f(&|r| Some(round3(r.after.years())))),
                int_col(names::OFFENCES_AFTER, i(&|r| Some(r.after.offences as i64))),
                float_col(names::HARM_CSS_AFTER, f(&|r| Some(round2(r.after.harm)))),
                float_col(names::RATE_AFTER, f(&|r| r.after.rate().map(round3))),
                float_col(names::RATE_CHANGE_PCT, f(&change)),
                float_col(names::RATE_RATIO, f(&|r| r.test.and_then(|t| t.rate_ratio).map(round3))),
                float_col(names::RATIO_LOW, f(&|r| r.test.map(|t| round3(t.ci_low)))),
                float_col(
                    names::RATIO_HIGH,
                    f(&|r| r.test.map(|t| t.ci_high).filter(|v| v.is_finite()).map(round3)),
                ),
                float_col(names::P_VALUE, f(&|r| r.test.map(|t| t.p))),
            ],
        )
        .map_err(internal)
    }

    pub fn output(&self) -> Result<Output> {
        let title = format!(
            "Offender cohort: {} people, {} months before and after entry",
            self.people.len(),
            self.months
        );
        let mut about = vec![
            ("table".to_string(), title.clone()),
            ("counts".into(), "crimes linked to each person (offences), by offence date".into()),
            ("cohort file".into(), self.source.display().to_string()),
            (
                "windows".into(),
                format!(
                    "before: the {m} months up to and including the entry date; after: the {m} months after it (to the exit date when earlier)",
                    m = self.months
                ),
            ),
            ("data".into(), format!("{} to {}", self.data_start, self.data_end)),
            ("people".into(), "keyed pseudonyms (IOM-...), never person ids".into()),
        ];
        for n in &self.notes {
            about.push(("note".into(), n.clone()));
        }
        let table = self.table()?;
        let rate = |w: &Window| w.rate().map(round3);
        let json = json!({
            "table": title,
            "cohort_file": self.source.display().to_string(),
            "months": self.months,
            "people": self.people.len(),
            "data": {"from": self.data_start.to_string(), "to": self.data_end.to_string()},
            "before": {"years": round3(self.before.years()), "offences": self.before.offences, "harm_css": round2(self.before.harm), "offences_per_year": rate(&self.before)},
            "after": {"years": round3(self.after.years()), "offences": self.after.offences, "harm_css": round2(self.after.harm), "offences_per_year": rate(&self.after)},
            "test": self.test,
            "regression_to_the_mean": REGRESSION_TO_THE_MEAN,
            "notes": self.notes,
            "rows": crate::export::json_records(&table),
        });
        Ok(Output { title, about, notes: self.notes.clone(), table, sheets: Vec::new(), json })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn reads_a_cohort_file_and_names_every_mistake() {
        let f = CohortFile::parse(
            b"\xef\xbb\xbfPerson_ID,entry_date,exit_date,name\nA1,2024-03-01,,x\nB2,15/04/2024,2024-10-01,y\n\n",
            Path::new("iom.csv"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.entries.len(), 2);
        assert_eq!((f.entries[1].entry, f.entries[1].exit), (d(2024, 4, 15), Some(d(2024, 10, 1))));
        assert_eq!(f.span(12).to_string(), "2023-03 to 2025-04");
        let e = CohortFile::parse(
            b"person_id,entry_date,exit_date\nA1,2024-02-30,\n,2024-01-01,\nB2,2024-05-01,2024-04-01\nC3,2024-01-01,\nC3,2024-02-01,\n",
            Path::new("iom.csv"),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.starts_with("iom.csv: line 2: entry_date \"2024-02-30\" is not a date"), "{e}");
        assert!(e.contains("and 3 more: line 3: person_id is empty"), "{e}");
        assert!(e.contains("line 4: exit_date 2024-04-01 is before entry_date 2024-05-01"), "{e}");
        assert!(e.contains("line 6: person_id \"C3\" is listed again (first on line 5)"), "{e}");
        let e = CohortFile::parse(b"id,date\n1,2024-01-01\n", Path::new("x.csv"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("x.csv: line 1: the header must name person_id and entry_date"), "{e}");
        assert!(CohortFile::parse(b"person_id,entry_date\n", Path::new("x.csv")).is_err());
        assert_eq!(parse_date("2024-03-04T10:00"), Some(d(2024, 3, 4)));
        assert_eq!(parse_date("4/3/2024"), Some(d(2024, 3, 4)));
        assert_eq!(parse_date("2024-03-04x"), None);
        assert_eq!(parse_date("04/03/24"), None);
    }
}
