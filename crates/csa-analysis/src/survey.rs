//! The public consultation survey: one CSV row per respondent, tallied with confidence
//! intervals, cross-tabulated by area and demographics. The share of respondents choosing
//! each priority is the "public concern" of priority setting.
//!
//! **Input** (`csa synth --survey N` writes an example), header names exact, any order:
//! `respondent_id, victim_12m, city_centre_day, city_centre_night, priority_1..priority_3,
//! measure_1..measure_5, help_1..help_3, news_channels, area, age_band, sex`.
//! Yes/no fields take Y/N/yes/no/true/false (any case) or blank; priorities and measures
//! take the questionnaire's options (case, spaces and punctuation ignored); anything else
//! counts as "Other" and is listed in the "other answers" table; `news_channels` is a list
//! separated by `;`; `help_*` are free text. A blank is "not answered" and is left out of
//! that question's base. A row with the wrong number of fields or no respondent id is
//! rejected with its line and reason, and so is one with a control character other than tab
//! in a column read here (line breaks inside an answer become one space: the rule of
//! `csa_model::text`, as for crime records); a yes/no value that is neither is recorded as a
//! problem (file, line, field, value) and treated as blank. Rows read = accepted + rejected.
//!
//! **Shares** are of respondents who answered the question (for multi-pick questions: who
//! picked at least one option), with the Wilson score interval at 95%:
//!
//! ```text
//! centre = (p + z^2/2n) / (1 + z^2/n),  half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n),  z = 1.96
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use csa_model::text;
use polars::prelude::*;

use crate::breakdown::{float_col, int_col, round2, text_col};
use crate::error::{internal, AnalysisError, Result};
use crate::names;

pub use csa_model::survey::{MEASURE_OPTIONS, PRIORITY_OPTIONS, SURVEY_COLUMNS as COLUMNS};

/// One respondent.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub id: String,
    pub victim_12m: Option<bool>,
    pub city_centre_day: Option<bool>,
    pub city_centre_night: Option<bool>,
    /// Indices into [`PRIORITY_OPTIONS`], distinct.
    pub priorities: Vec<usize>,
    /// Indices into [`MEASURE_OPTIONS`], distinct.
    pub measures: Vec<usize>,
    pub help: Vec<String>,
    pub news: Vec<String>,
    pub area: Option<String>,
    pub age_band: Option<String>,
    pub sex: Option<String>,
}

/// A field that could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: u64,
    pub field: String,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Survey {
    pub responses: Vec<Response>,
    pub rows_read: u64,
    /// Whole rows left out (wrong field count, no id), with the reason.
    pub rejected: Vec<Problem>,
    /// Fields treated as blank.
    pub problems: Vec<Problem>,
    /// Answers outside the options: (question, text) -> count.
    pub other_answers: BTreeMap<(String, String), u64>,
}

fn key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn option_index(options: &[&str], v: &str) -> usize {
    let k = key(v);
    options.iter().position(|o| key(o) == k).unwrap_or(options.len() - 1)
}

fn yes_no(v: &str) -> std::result::Result<Option<bool>, ()> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "y" | "yes" | "true" | "1" => Ok(Some(true)),
        "n" | "no" | "false" | "0" => Ok(Some(false)),
        _ => Err(()),
    }
}

impl Survey {
    pub fn load(path: &Path) -> Result<Survey> {
        let bytes = std::fs::read(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        Survey::parse(&bytes, path)
    }

    pub fn parse(bytes: &[u8], path: &Path) -> Result<Survey> {
        let bad = |detail: String| AnalysisError::Dataset { path: path.to_path_buf(), detail };
        let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header: Vec<String> = r
            .headers()
            .map_err(|e| bad(format!("unreadable header: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(|h| h.is_empty()) {
            return Err(bad("empty file: no header line".into()));
        }
        let pos = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
        let missing: Vec<&str> = COLUMNS.iter().copied().filter(|c| pos(c).is_none()).collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "missing column(s) {} (the survey needs {})",
                missing.join(", "),
                COLUMNS.join(", ")
            )));
        }
        let idx: Vec<usize> = COLUMNS.iter().map(|c| pos(c).unwrap_or(0)).collect();
        let mut s = Survey::default();
        for rec in r.records() {
            s.rows_read += 1;
            let rec = match rec {
                Ok(rec) => rec,
                Err(e) => {
                    let line = e.position().map_or(s.rows_read + 1, |p| p.line());
                    s.rejected.push(Problem {
                        line,
                        field: String::new(),
                        value: String::new(),
                        reason: format!("unreadable row: {e}"),
                    });
                    continue;
                }
            };
            let line = rec.position().map_or(s.rows_read + 1, |p| p.line());
            if rec.len() != header.len() {
                s.rejected.push(Problem {
                    line,
                    field: String::new(),
                    value: String::new(),
                    reason: format!("{} fields, the header has {}", rec.len(), header.len()),
                });
                continue;
            }
            // control characters (csa_model::text): a forbidden one in a column the survey
            // reads rejects the row; line breaks in an answer become a space
            let rec = match text::check_record(&rec, |i| idx.contains(&i)) {
                Ok(None) => rec,
                Ok(Some(cleaned)) => cleaned,
                Err((i, c)) => {
                    s.rejected.push(Problem {
                        line,
                        field: header[i].clone(),
                        value: text::escape_forbidden(&rec[i]).into_owned(),
                        reason: format!("{} {}", header[i], text::describe(c)),
                    });
                    continue;
                }
            };
            let f = |name: &str| {
                rec.get(idx[COLUMNS.iter().position(|c| *c == name).unwrap_or(0)])
                    .unwrap_or("")
                    .trim()
            };
            let id = f("respondent_id");
            if id.is_empty() {
                s.rejected.push(Problem {
                    line,
                    field: "respondent_id".into(),
                    value: String::new(),
                    reason: "no respondent id".into(),
                });
                continue;
            }
            let mut resp = Response { id: id.to_string(), ..Response::default() };
            for (field, slot) in
                [("victim_12m", 0), ("city_centre_day", 1), ("city_centre_night", 2)]
            {
                let v = f(field);
                let parsed = yes_no(v).unwrap_or_else(|()| {
                    s.problems.push(Problem {
                        line,
                        field: field.into(),
                        value: v.into(),
                        reason: "not yes or no; treated as not answered".into(),
                    });
                    None
                });
                match slot {
                    0 => resp.victim_12m = parsed,
                    1 => resp.city_centre_day = parsed,
                    _ => resp.city_centre_night = parsed,
                }
            }
            let mut picks =
                |fields: &[&str], options: &[&str], question: &str, out: &mut Vec<usize>| {
                    for field in fields {
                        let v = f(field);
                        if v.is_empty() {
                            continue;
                        }
                        let i = option_index(options, v);
                        if i == options.len() - 1 && key(v) != "other" {
                            *s.other_answers
                                .entry((question.to_string(), v.to_string()))
                                .or_default() += 1;
                        }
                        if !out.contains(&i) {
                            out.push(i);
                        }
                    }
                };
            picks(
                &["priority_1", "priority_2", "priority_3"],
                PRIORITY_OPTIONS,
                "priority",
                &mut resp.priorities,
            );
            picks(
                &["measure_1", "measure_2", "measure_3", "measure_4", "measure_5"],
                MEASURE_OPTIONS,
                "measure",
                &mut resp.measures,
            );
            resp.help = ["help_1", "help_2", "help_3"]
                .iter()
                .map(|h| f(h))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect();
            resp.news = f("news_channels")
                .split(';')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect();
            let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
            resp.area = opt(f("area"));
            resp.age_band = opt(f("age_band"));
            resp.sex = opt(f("sex"));
            s.responses.push(resp);
        }
        Ok(s)
    }

    /// Share of respondents choosing each priority option (of those who chose any).
    pub fn priority_shares(&self) -> Vec<(&'static str, Share)> {
        shares(self.responses.iter().map(|r| r.priorities.as_slice()), PRIORITY_OPTIONS)
    }

    /// Public concern about a priority: respondents choosing any of `options` (canonical
    /// option names), of those who chose any priority.
    pub fn concern(&self, options: &[String]) -> Share {
        let wanted: Vec<usize> = options
            .iter()
            .map(|o| option_index(PRIORITY_OPTIONS, o))
            .filter(|&i| i + 1 < PRIORITY_OPTIONS.len())
            .collect();
        let answered = self.responses.iter().filter(|r| !r.priorities.is_empty());
        let (mut k, mut n) = (0, 0);
        for r in answered {
            n += 1;
            k += u64::from(r.priorities.iter().any(|p| wanted.contains(p)));
        }
        Share::of(k, n)
    }

    /// Every table of the survey, named.
    pub fn tables(&self) -> Result<Vec<(String, DataFrame)>> {
        let mut out = Vec::new();
        let yn = |name: &str, f: &dyn Fn(&Response) -> Option<bool>| -> (String, u64, u64, u64) {
            let (mut y, mut n, mut blank) = (0, 0, 0);
            for r in &self.responses {
                match f(r) {
                    Some(true) => y += 1,
                    Some(false) => n += 1,
                    None => blank += 1,
                }
            }
            (name.to_string(), y, n, blank)
        };
        let rows = [
            yn("victim of crime or ASB in the last 12 months", &|r| r.victim_12m),
            yn("visits the city centre by day", &|r| r.city_centre_day),
            yn("visits the city centre by night", &|r| r.city_centre_night),
        ];
        let w = |r: &(String, u64, u64, u64)| Share::of(r.1, r.1 + r.2);
        out.push((
            "survey_yes_no".to_string(),
            DataFrame::new(
                rows.len(),
                vec![
                    text_col(names::QUESTION, rows.iter().map(|r| Some(r.0.clone()))),
                    int_col(names::YES, rows.iter().map(|r| Some(r.1 as i64))),
                    int_col(names::NO, rows.iter().map(|r| Some(r.2 as i64))),
                    int_col(names::NOT_ANSWERED, rows.iter().map(|r| Some(r.3 as i64))),
                    float_col(names::SHARE_PCT, rows.iter().map(|r| w(r).pct())),
                    float_col(names::CI_LOW_PCT, rows.iter().map(|r| w(r).low_pct())),
                    float_col(names::CI_HIGH_PCT, rows.iter().map(|r| w(r).high_pct())),
                ],
            )
            .map_err(internal)?,
        ));
        out.push(("survey_priorities".into(), share_table(&self.priority_shares())?));
        out.push((
            "survey_measures".into(),
            share_table(&shares(
                self.responses.iter().map(|r| r.measures.as_slice()),
                MEASURE_OPTIONS,
            ))?,
        ));
        for (name, group) in [
            (
                "survey_priorities_by_area",
                &(|r: &Response| r.area.clone()) as &dyn Fn(&Response) -> Option<String>,
            ),
            ("survey_priorities_by_age", &|r: &Response| r.age_band.clone()),
            ("survey_priorities_by_sex", &|r: &Response| r.sex.clone()),
        ] {
            out.push((name.to_string(), self.cross_tab(group)?));
        }
        let counts = |items: &mut dyn Iterator<Item = String>| {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for i in items {
                *m.entry(i).or_default() += 1;
            }
            let mut v: Vec<(String, u64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        let news = counts(&mut self.responses.iter().flat_map(|r| r.news.iter().cloned()));
        let help = counts(
            &mut self.responses.iter().flat_map(|r| r.help.iter().map(|h| h.to_lowercase())),
        );
        for (name, v) in [("survey_news_channels", news), ("survey_ways_to_help", help)] {
            out.push((
                name.into(),
                DataFrame::new(
                    v.len(),
                    vec![
                        text_col(names::ANSWER, v.iter().map(|r| Some(r.0.clone()))),
                        int_col(names::RESPONDENTS, v.iter().map(|r| Some(r.1 as i64))),
                    ],
                )
                .map_err(internal)?,
            ));
        }
        let other: Vec<(&(String, String), &u64)> = self.other_answers.iter().collect();
        out.push((
            "survey_other_answers".into(),
            DataFrame::new(
                other.len(),
                vec![
                    text_col(names::QUESTION, other.iter().map(|r| Some(r.0 .0.clone()))),
                    text_col(names::ANSWER, other.iter().map(|r| Some(r.0 .1.clone()))),
                    int_col(names::RESPONDENTS, other.iter().map(|r| Some(*r.1 as i64))),
                ],
            )
            .map_err(internal)?,
        ));
        Ok(out)
    }

    /// Priority shares within each group (respondents of the group who chose any priority).
    fn cross_tab(&self, group: &dyn Fn(&Response) -> Option<String>) -> Result<DataFrame> {
        let mut by: BTreeMap<String, Vec<&[usize]>> = BTreeMap::new();
        for r in &self.responses {
            by.entry(group(r).unwrap_or_else(|| "(not answered)".into()))
                .or_default()
                .push(&r.priorities);
        }
        let mut rows: Vec<(String, &str, Share)> = Vec::new();
        for (g, picks) in &by {
            for (opt, share) in shares(picks.iter().copied(), PRIORITY_OPTIONS) {
                rows.push((g.clone(), opt, share));
            }
        }
        DataFrame::new(
            rows.len(),
            vec![
                text_col(names::GROUP, rows.iter().map(|r| Some(r.0.clone()))),
                text_col(names::OPTION, rows.iter().map(|r| Some(r.1.to_string()))),
                int_col(names::RESPONDENTS, rows.iter().map(|r| Some(r.2.k as i64))),
                int_col(names::BASE, rows.iter().map(|r| Some(r.2.n as i64))),
                float_col(names::SHARE_PCT, rows.iter().map(|r| r.2.pct())),
                float_col(names::CI_LOW_PCT, rows.iter().map(|r| r.2.low_pct())),
                float_col(names::CI_HIGH_PCT, rows.iter().map(|r| r.2.high_pct())),
            ],
        )
        .map_err(internal)
    }
}

/// k of n, with the Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub k: u64,
    pub n: u64,
}

impl Share {
    pub fn of(k: u64, n: u64) -> Share {
        Share { k, n }
    }
    pub fn p(self) -> Option<f64> {
        (self.n > 0).then(|| self.k as f64 / self.n as f64)
    }
    /// 95% Wilson score interval.
    pub fn wilson(self) -> Option<(f64, f64)> {
        let p = self.p()?;
        let (n, z) = (self.n as f64, 1.959_963_984_540_054);
        let d = 1.0 + z * z / n;
        let centre = (p + z * z / (2.0 * n)) / d;
        let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
        Some(((centre - half).max(0.0), (centre + half).min(1.0)))
    }
    pub fn pct(self) -> Option<f64> {
        self.p().map(|p| round2(100.0 * p))
    }
    pub fn low_pct(self) -> Option<f64> {
        self.wilson().map(|w| round2(100.0 * w.0))
    }
    pub fn high_pct(self) -> Option<f64> {
        self.wilson().map(|w| round2(100.0 * w.1))
    }
}

/// Per option: respondents choosing it, of those who chose anything.
fn shares<'a>(
    picks: impl Iterator<Item = &'a [usize]>,
    options: &[&'static str],
) -> Vec<(&'static str, Share)> {
    let mut counts = vec![0u64; options.len()];
    let mut base = 0;
    for p in picks {
        if p.is_empty() {
            continue;
        }
        base += 1;
        for &i in p {
            counts[i] += 1;
        }
    }
    options.iter().zip(counts).map(|(o, k)| (*o, Share::of(k, base))).collect()
}

fn share_table(rows: &[(&'static str, Share)]) -> Result<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text_col(names::OPTION, rows.iter().map(|r| Some(r.0.to_string()))),
            int_col(names::RESPONDENTS, rows.iter().map(|r| Some(r.1.k as i64))),
            int_col(names::BASE, rows.iter().map(|r| Some(r.1.n as i64))),
            float_col(names::SHARE_PCT, rows.iter().map(|r| r.1.pct())),
            float_col(names::CI_LOW_PCT, rows.iter().map(|r| r.1.low_pct())),
            float_col(names::CI_HIGH_PCT, rows.iter().map(|r| r.1.high_pct())),
        ],
    )
    .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "respondent_id,victim_12m,city_centre_day,city_centre_night,priority_1,priority_2,priority_3,measure_1,measure_2,measure_3,measure_4,measure_5,help_1,help_2,help_3,news_channels,area,age_band,sex\n";

    #[test]
    fn tallies_by_hand() {
        let text = format!(
            "{HEADER}\
             1,Y,Y,N,Burglary,anti social behaviour,,More CCTV,,,,,lighting,,,Facebook; Radio,Foleshill,25-34,Female\n\
             2,n,Y,,burglary,Burglary,Litter,mediation,,,,,,,,Radio,Foleshill,35-44,Male\n\
             3,maybe,,,,,,,,,,,,,,,,,\n\
             ,Y,Y,Y,Burglary,,,,,,,,,,,,,,\n\
             5,Y,N\n"
        );
        let s =
            Survey::parse(text.as_bytes(), Path::new("s.csv")).unwrap_or_else(|e| panic!("{e}"));
        // 5 rows read: 3 accepted, 2 rejected (no id on line 5, short row on line 6)
        assert_eq!((s.rows_read, s.responses.len(), s.rejected.len()), (5, 3, 2));
        assert_eq!((s.rejected[0].line, s.rejected[1].line), (5, 6));
        // "maybe" is a problem on line 4, treated as not answered
        assert_eq!(
            s.problems,
            vec![Problem {
                line: 4,
                field: "victim_12m".into(),
                value: "maybe".into(),
                reason: "not yes or no; treated as not answered".into()
            }]
        );
        // priorities: respondents 1 and 2 chose (base 2); Burglary twice (respondent 2 named it
        // twice: counted once), ASB once, "Litter" -> Other once
        let p: BTreeMap<&str, Share> = s.priority_shares().into_iter().collect();
        assert_eq!(p["Burglary"], Share::of(2, 2));
        assert_eq!(p["Anti-social behaviour"], Share::of(1, 2));
        assert_eq!(p["Other"], Share::of(1, 2));
        assert_eq!(s.other_answers.get(&("priority".to_string(), "Litter".to_string())), Some(&1));
        // concern about burglary or ASB: both respondents who chose; about robbery: none
        assert_eq!(
            s.concern(&["Burglary".into(), "Anti-social behaviour".into()]),
            Share::of(2, 2)
        );
        assert_eq!(s.concern(&["Robbery".into()]), Share::of(0, 2));
        // Wilson 95% for 1 of 2: centre (0.5 + 0.960) / 2.921 = 0.5; half 0.4334... -> 9.45% to 90.55%
        let (lo, hi) = Share::of(1, 2).wilson().unwrap_or_default();
        assert!((lo - 0.094_531).abs() < 1e-5 && (hi - 0.905_469).abs() < 1e-5, "{lo} {hi}");
        let t = s.tables().unwrap_or_default();
        let yn = &t[0].1;
        // victim: 1 yes, 1 no, 1 not answered
        let col = |df: &DataFrame, c: &str| {
            df.column(c).map(|c| c.i64().map(|v| v.get(0)).ok().flatten()).ok().flatten()
        };
        assert_eq!(
            (col(yn, "yes"), col(yn, "no"), col(yn, "not_answered")),
            (Some(1), Some(1), Some(1))
        );
        assert!(t.iter().any(|(n, df)| n == "survey_news_channels" && df.height() == 2));
        assert!(Survey::parse(b"respondent_id,area\n1,x\n", Path::new("s.csv")).is_err());
    }
}
