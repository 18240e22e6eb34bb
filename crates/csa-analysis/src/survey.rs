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

pub use csa_model::survey::{
    CHANNELS, MEASURE_OPTIONS, PRIORITY_OPTIONS, SURVEY_COLUMNS as COLUMNS,
    SURVEY_OPTIONAL_COLUMNS as OPTIONAL_COLUMNS,
};

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
    /// Optional columns (read when the file has them): ethnic group (one of the five ONS
    /// groups, as csa spells them), the date the response came in, the channel (one of
    /// [`CHANNELS`]) and a free-text comment.
    pub ethnicity: Option<String>,
    pub date: Option<chrono::NaiveDate>,
    pub channel: Option<String>,
    pub comment: Option<String>,
    /// Answers outside the options, as written: ("priority" or "measure", text).
    pub other_text: Vec<(&'static str, String)>,
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
    /// The optional columns the file carries.
    pub optional: Vec<&'static str>,
    /// Weights to the population, one per response (`crate::consultation`), when weighted:
    /// then the public concern of the ranking is the weighted share.
    pub weights: Option<Vec<f64>>,
    /// The "you said, we did" table the partnership fills in, when there is one.
    pub you_said: Vec<crate::consultation::YouSaid>,
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
        let mut idx: Vec<usize> = COLUMNS.iter().map(|c| pos(c).unwrap_or(0)).collect();
        let mut s = Survey::default();
        let mut opt_idx: Vec<Option<usize>> = Vec::new();
        for c in OPTIONAL_COLUMNS {
            let p = pos(c);
            if let Some(p) = p {
                idx.push(p);
                s.optional.push(c);
            }
            opt_idx.push(p);
        }
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
            let mut other_text: Vec<(&'static str, String)> = Vec::new();
            let mut picks = |fields: &[&str],
                             options: &[&str],
                             question: &'static str,
                             out: &mut Vec<usize>| {
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
                        other_text.push((question, v.to_string()));
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
            resp.other_text = other_text;
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
            resp.sex = opt(f("sex")).map(|v| match csa_model::Sex::parse(&v) {
                Some(csa_model::Sex::Female) => "Female".to_string(),
                Some(csa_model::Sex::Male) => "Male".to_string(),
                _ => v,
            });
            let g = |k: usize| {
                opt_idx[k].and_then(|i| rec.get(i)).map(str::trim).filter(|v| !v.is_empty())
            };
            if let Some(v) = g(0) {
                match csa_model::Ethnicity::parse(v) {
                    Some(csa_model::Ethnicity::NotStated) => {}
                    Some(e) => resp.ethnicity = Some(e.name().to_string()),
                    None => s.problems.push(Problem {
                        line,
                        field: "ethnicity".into(),
                        value: v.into(),
                        reason: "not one of the five ONS ethnic groups (Asian, Black, Mixed, White, Other); treated as not answered".into(),
                    }),
                }
            }
            if let Some(v) = g(1) {
                match parse_date(v) {
                    Some(d) => resp.date = Some(d),
                    None => s.problems.push(Problem {
                        line,
                        field: "date".into(),
                        value: v.into(),
                        reason: "not a date (YYYY-MM-DD or DD/MM/YYYY); treated as not known"
                            .into(),
                    }),
                }
            }
            if let Some(v) = g(2) {
                match CHANNELS.iter().find(|c| c.eq_ignore_ascii_case(v)) {
                    Some(c) => resp.channel = Some((*c).to_string()),
                    None => s.problems.push(Problem {
                        line,
                        field: "channel".into(),
                        value: v.into(),
                        reason: format!("not one of {}; treated as not known", CHANNELS.join(", ")),
                    }),
                }
            }
            resp.comment = g(3).map(str::to_string);
            s.responses.push(resp);
        }
        Ok(s)
    }

    /// Share of respondents choosing each priority option (of those who chose any).
    pub fn priority_shares(&self) -> Vec<(&'static str, Share)> {
        shares(self.responses.iter().map(|r| r.priorities.as_slice()), PRIORITY_OPTIONS)
    }

    /// Public concern about a priority in percent, as the ranking uses it: the weighted share
    /// when the survey is weighted ([`Survey::weights`]), else the plain share.
    pub fn concern_pct(&self, options: &[String]) -> Option<f64> {
        match &self.weights {
            Some(w) => self.weighted_concern(options, w).pct(),
            None => self.concern(options).pct(),
        }
    }

    /// Weighted public concern (see [`Survey::concern`]), with weights per response.
    pub fn weighted_concern(&self, options: &[String], weights: &[f64]) -> WeightedShare {
        let wanted = wanted(options);
        self.weighted_priority(weights, |p| p.iter().any(|x| wanted.contains(x)))
    }

    /// Weighted share, of respondents who chose any priority, of those whose priorities
    /// satisfy `chose`.
    pub fn weighted_priority(
        &self,
        weights: &[f64],
        chose: impl Fn(&[usize]) -> bool,
    ) -> WeightedShare {
        WeightedShare::of(
            self.responses
                .iter()
                .zip(weights)
                .filter(|(r, _)| !r.priorities.is_empty())
                .map(|(r, w)| (*w, chose(&r.priorities))),
        )
    }

    /// Public concern about a priority: respondents choosing any of `options` (canonical
    /// option names), of those who chose any priority.
    pub fn concern(&self, options: &[String]) -> Share {
        let wanted = wanted(options);
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
        if let Some(w) = &self.weights {
            out.push(("survey_priorities_weighted".into(), self.weighted_table(w)?));
        }
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
        if !self.you_said.is_empty() {
            out.push((
                names::T_YOU_SAID_WE_DID.into(),
                crate::consultation::you_said_table(&self.you_said)?,
            ));
        }
        Ok(out)
    }

    /// Priority shares unweighted and weighted to the population, side by side.
    fn weighted_table(&self, w: &[f64]) -> Result<DataFrame> {
        let plain = self.priority_shares();
        let ws: Vec<WeightedShare> = (0..PRIORITY_OPTIONS.len())
            .map(|i| self.weighted_priority(w, |p| p.contains(&i)))
            .collect();
        DataFrame::new(
            plain.len(),
            vec![
                text_col(names::OPTION, plain.iter().map(|p| Some(p.0.to_string()))),
                int_col(names::RESPONDENTS, plain.iter().map(|p| Some(p.1.k as i64))),
                int_col(names::BASE, plain.iter().map(|p| Some(p.1.n as i64))),
                float_col(names::SHARE_PCT, plain.iter().map(|p| p.1.pct())),
                float_col(names::WEIGHTED_SHARE_PCT, ws.iter().map(|w| w.pct())),
                float_col(names::WEIGHTED_CI_LOW_PCT, ws.iter().map(|w| w.low_pct())),
                float_col(names::WEIGHTED_CI_HIGH_PCT, ws.iter().map(|w| w.high_pct())),
            ],
        )
        .map_err(internal)
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

fn wanted(options: &[String]) -> Vec<usize> {
    options
        .iter()
        .map(|o| option_index(PRIORITY_OPTIONS, o))
        .filter(|&i| i + 1 < PRIORITY_OPTIONS.len())
        .collect()
}

/// A date as `YYYY-MM-DD` (a time after it is ignored) or `DD/MM/YYYY`.
pub fn parse_date(v: &str) -> Option<chrono::NaiveDate> {
    let v = v.trim();
    let day = v.get(..10).unwrap_or(v);
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .ok()
}

/// A weighted share: the weight of respondents choosing, of the weight of the base, with the
/// Wilson interval at the base's Kish effective sample size
/// (`n_eff = (sum w)^2 / sum w^2`, [`crate::raking`]): with equal weights it is the plain
/// Wilson interval; unequal weights widen it by the design effect.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WeightedShare {
    /// Respondents choosing, and in the base (unweighted counts).
    pub k: u64,
    pub n: u64,
    /// Weight choosing, and of the base.
    pub wk: f64,
    pub wn: f64,
    /// Effective sample size of the base.
    pub n_eff: f64,
}

impl WeightedShare {
    /// From (weight, chose) per respondent of the base.
    pub fn of(items: impl Iterator<Item = (f64, bool)>) -> WeightedShare {
        let mut s = WeightedShare::default();
        let mut w2 = 0.0;
        for (w, chose) in items {
            s.n += 1;
            s.wn += w;
            w2 += w * w;
            if chose {
                s.k += 1;
                s.wk += w;
            }
        }
        s.n_eff = if w2 > 0.0 { s.wn * s.wn / w2 } else { 0.0 };
        s
    }
    pub fn p(self) -> Option<f64> {
        (self.wn > 0.0).then(|| self.wk / self.wn)
    }
    /// 95% Wilson interval at the effective sample size.
    pub fn wilson(self) -> Option<(f64, f64)> {
        let p = self.p()?;
        wilson(p, self.n_eff)
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

/// 95% Wilson score interval of a share `p` of `n` (which may be an effective size).
pub fn wilson(p: f64, n: f64) -> Option<(f64, f64)> {
    if n.is_nan() || n <= 0.0 {
        return None;
    }
    let z = 1.959_963_984_540_054;
    let d = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / d;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
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
        wilson(self.p()?, self.n as f64)
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
    DataFrame::new(rows.len(), share_columns(rows)).map_err(internal)
}

/// The columns of a share table: option, respondents, base, share and its interval.
pub(crate) fn share_columns(rows: &[(&'static str, Share)]) -> Vec<Column> {
    vec![
        text_col(names::OPTION, rows.iter().map(|r| Some(r.0.to_string()))),
        int_col(names::RESPONDENTS, rows.iter().map(|r| Some(r.1.k as i64))),
        int_col(names::BASE, rows.iter().map(|r| Some(r.1.n as i64))),
        float_col(names::SHARE_PCT, rows.iter().map(|r| r.1.pct())),
        float_col(names::CI_LOW_PCT, rows.iter().map(|r| r.1.low_pct())),
        float_col(names::CI_HIGH_PCT, rows.iter().map(|r| r.1.high_pct())),
    ]
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

    #[test]
    fn weighted_share_at_the_effective_size() {
        // weights 1, 1, 2, 2, the 1st and 3rd chose: p = 3/6; n_eff = 6^2 / 10 = 3.6;
        // Wilson at 3.6 (Python): 0.140756388 to 0.859243612
        let w =
            WeightedShare::of([(1.0, true), (1.0, false), (2.0, true), (2.0, false)].into_iter());
        assert_eq!((w.k, w.n, w.p()), (2, 4, Some(0.5)));
        assert!((w.n_eff - 3.6).abs() < 1e-12);
        let (lo, hi) = w.wilson().unwrap_or_default();
        assert!((lo - 0.140_756_388).abs() < 1e-8 && (hi - 0.859_243_612).abs() < 1e-8);
        // equal weights: the plain Wilson interval
        let e = WeightedShare::of([(3.0, true), (3.0, false)].into_iter());
        assert_eq!(e.wilson(), Share::of(1, 2).wilson());
    }

    #[test]
    fn optional_columns() {
        let text = format!(
            "{}ethnicity,date,channel,comment\n\
             1,Y,Y,N,Burglary,,,,,,,,,,,,Foleshill,25-34,f,IC4,2025-01-07,Online,dark alley\n\
             2,Y,Y,N,Burglary,,,,,,,,,,,,Foleshill,25-34,M,purple,07/01/2025,fax,\n\
             3,Y,Y,N,Burglary,,,,,,,,,,,,Foleshill,25-34,M,,someday,,\n",
            HEADER.trim_end().to_string() + ","
        );
        let s =
            Survey::parse(text.as_bytes(), Path::new("s.csv")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.optional, vec!["ethnicity", "date", "channel", "comment"]);
        let r = &s.responses;
        assert_eq!(r[0].sex.as_deref(), Some("Female"));
        assert_eq!(r[0].ethnicity.as_deref(), Some("Asian"));
        assert_eq!(r[0].date, chrono::NaiveDate::from_ymd_opt(2025, 1, 7));
        assert_eq!(r[1].date, chrono::NaiveDate::from_ymd_opt(2025, 1, 7));
        assert_eq!(r[0].channel.as_deref(), Some("online"));
        assert_eq!(r[0].comment.as_deref(), Some("dark alley"));
        // purple, fax and someday are problems, treated as not known
        let fields: Vec<&str> = s.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["ethnicity", "channel", "date"]);
        assert_eq!((r[1].ethnicity.clone(), r[1].channel.clone(), r[2].date), (None, None, None));
    }
}
