//! Coding free-text answers against a codebook the analyst writes: "Other" answers to the
//! priority and measure questions, the `help_*` answers and the `comment` column.
//!
//! **Codebook** (TOML): one table `[themes]` mapping a theme to its words and phrases:
//!
//! ```toml
//! [themes]
//! "Street lighting" = ["lighting", "street light", "dark"]
//! "Speeding" = ["speeding", "speed", "racing"]
//! ```
//!
//! **Matching**: an answer and a phrase are both folded to lower-case words (letters and
//! digits; everything else separates words); the phrase matches when its words occur
//! consecutively in the answer's words, so `dark` matches "too dark at night" but not
//! "darker". An answer may carry several themes; one with none is *uncoded* and listed for
//! review (to add a phrase or a theme). Counts are of answers and of respondents (a
//! respondent counts once per theme however many of their answers carry it).

use std::path::Path;

use crate::error::{AnalysisError, Result};
use crate::survey::Survey;

/// Themes and their phrases, each phrase already split into folded words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Codebook {
    pub themes: Vec<(String, Vec<Vec<String>>)>,
}

/// One free-text answer: who gave it, to which question, what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeText {
    pub respondent: usize,
    pub question: &'static str,
    pub text: String,
}

/// A theme's counts and up to three example answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeCount {
    pub theme: String,
    pub answers: u64,
    pub respondents: u64,
    pub examples: Vec<String>,
}

/// The coded answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coded {
    /// In alphabetical order of theme (as the TOML table is read).
    pub themes: Vec<ThemeCount>,
    /// Answers no theme matched: (question, text).
    pub uncoded: Vec<(&'static str, String)>,
    pub answers: u64,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Codebook {
    pub fn load(path: &Path) -> Result<Codebook> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
        Codebook::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Codebook> {
        let bad = |detail: String| AnalysisError::Dataset { path: path.to_path_buf(), detail };
        let v: toml::Table = text.parse().map_err(|e| bad(format!("not valid TOML: {e}")))?;
        if let Some(k) = v.keys().find(|k| *k != "themes") {
            return Err(bad(format!("unknown key {k:?}: the codebook has one table, [themes]")));
        }
        let themes = v
            .get("themes")
            .and_then(|t| t.as_table())
            .ok_or_else(|| bad("no [themes] table (theme = [\"word\", \"phrase\"])".into()))?;
        let mut out = Vec::new();
        for (theme, phrases) in themes {
            let list = phrases
                .as_array()
                .ok_or_else(|| bad(format!("theme {theme:?}: give a list of words and phrases")))?;
            let mut ph = Vec::new();
            for p in list {
                let s = p.as_str().ok_or_else(|| {
                    bad(format!("theme {theme:?}: {p} is not a word or phrase in quotes"))
                })?;
                let w = words(s);
                if w.is_empty() {
                    return Err(bad(format!("theme {theme:?}: {s:?} has no letters or digits")));
                }
                ph.push(w);
            }
            if ph.is_empty() {
                return Err(bad(format!("theme {theme:?} has no words or phrases")));
            }
            out.push((theme.clone(), ph));
        }
        Ok(Codebook { themes: out })
    }

    /// The themes `text` carries (indices into `themes`).
    pub fn themes_of(&self, text: &str) -> Vec<usize> {
        let w = words(text);
        self.themes
            .iter()
            .enumerate()
            .filter(|(_, (_, phrases))| {
                phrases.iter().any(|p| w.windows(p.len()).any(|win| win == p.as_slice()))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Codes every answer.
    pub fn code(&self, answers: &[FreeText]) -> Coded {
        let mut themes: Vec<ThemeCount> = self
            .themes
            .iter()
            .map(|(t, _)| ThemeCount {
                theme: t.clone(),
                answers: 0,
                respondents: 0,
                examples: Vec::new(),
            })
            .collect();
        let mut who: Vec<std::collections::BTreeSet<usize>> =
            vec![Default::default(); themes.len()];
        let mut uncoded = Vec::new();
        for a in answers {
            let t = self.themes_of(&a.text);
            if t.is_empty() {
                uncoded.push((a.question, a.text.clone()));
            }
            for i in t {
                themes[i].answers += 1;
                who[i].insert(a.respondent);
                if themes[i].examples.len() < 3 && !themes[i].examples.contains(&a.text) {
                    themes[i].examples.push(a.text.clone());
                }
            }
        }
        for (t, w) in themes.iter_mut().zip(&who) {
            t.respondents = w.len() as u64;
        }
        Coded { themes, uncoded, answers: answers.len() as u64 }
    }
}

/// The free-text answers of a survey: "Other" priorities and measures (as written), the
/// `help_*` answers and the comment, in file order.
pub fn free_text(s: &Survey) -> Vec<FreeText> {
    let mut out = Vec::new();
    for (i, r) in s.responses.iter().enumerate() {
        for (q, t) in &r.other_text {
            out.push(FreeText { respondent: i, question: q, text: t.clone() });
        }
        for h in &r.help {
            out.push(FreeText { respondent: i, question: "help", text: h.clone() });
        }
        if let Some(c) = &r.comment {
            out.push(FreeText { respondent: i, question: "comment", text: c.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_by_whole_words_and_lists_the_rest() {
        let cb = Codebook::parse(
            "[themes]\n\"Street lighting\" = [\"lighting\", \"street light\", \"dark\"]\nSpeeding = [\"speeding\", \"boy racers\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let a = |r: usize, t: &str| FreeText { respondent: r, question: "comment", text: t.into() };
        let coded = cb.code(&[
            a(0, "Too DARK on the street-light-less alley"),
            a(0, "better lighting"),
            a(1, "Boy racers and speeding"),
            a(2, "darker evenings"),
            a(3, "street lights broken"),
        ]);
        // themes in alphabetical order: Speeding, then Street lighting
        assert_eq!(coded.themes[0].theme, "Speeding");
        // lighting: answers 0, 1 (respondent 0 twice); "darker" and "lights" are other words
        assert_eq!((coded.themes[1].answers, coded.themes[1].respondents), (2, 1));
        assert_eq!((coded.themes[0].answers, coded.themes[0].respondents), (1, 1));
        assert_eq!(coded.uncoded.len(), 2);
        assert_eq!(coded.answers, 5);
        assert!(Codebook::parse("[themes]\nx = \"a\"\n", Path::new("c.toml")).is_err());
        assert!(Codebook::parse("[other]\n", Path::new("c.toml")).is_err());
    }
}
