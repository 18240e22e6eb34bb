//! Request parameters: read from the raw query string (or a form body) with limits, checked
//! against the configuration, and turned into a typed [`ViewQuery`]. Pages, downloads and
//! the API read the same parameters, so every view is a shareable URL:
//!
//! | parameter | meaning | as on the command line |
//! |---|---|---|
//! | `priority` | priority name (case, spaces and hyphens ignored; default `all`) | `--priority` |
//! | `by` | up to four dimensions, comma-separated or repeated | `--by` |
//! | `view` | `counts` (default), `volume`, `repeat-victims`, ... | `--view` |
//! | `from`, `to` | first and last month, `YYYY-MM` (one alone: 12 months) | `--from`, `--to` |
//! | `top` | length of top-N lists, 1 to 100 (default: the config's) | `--top` |
//! | `compare` | `previous` (default: the months just before) or `year` (a year earlier) | (pages only) |
//! | `format` | API: `json` (default) or `csv`; downloads: `csv` or `xlsx` | `--format` |
//!
//! Anything else gets a 400 that says what was wrong: unknown parameters, a parameter given
//! twice, values longer than [`MAX_VALUE`], control characters, a query string over
//! [`MAX_QUERY`] bytes, more than four dimensions, months outside 1900-2100 or a period
//! over ten years.

use csa_analysis::views::View;
use csa_analysis::{Config, Dim, Month, Period, Priority};

use crate::error::{Result, ServeError};

pub const MAX_QUERY: usize = 2048;
pub const MAX_VALUE: usize = 200;
const MAX_PAIRS: usize = 32;
const MAX_MONTHS: i32 = 120;

/// Decoded `key=value` pairs of a query string or form body.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub pairs: Vec<(String, String)>,
}

fn bad(msg: impl Into<String>) -> ServeError {
    ServeError::BadRequest(msg.into())
}

impl Params {
    /// Parses `raw` (`a=1&b=2`, percent-encoded), refusing what is too long or not text.
    pub fn parse(raw: &[u8]) -> Result<Params> {
        if raw.len() > MAX_QUERY {
            return Err(bad(format!(
                "the parameters are {} bytes long; at most {MAX_QUERY} are accepted",
                raw.len()
            )));
        }
        let mut pairs = Vec::new();
        for (k, v) in form_urlencoded::parse(raw) {
            if pairs.len() >= MAX_PAIRS {
                return Err(bad(format!("more than {MAX_PAIRS} parameters")));
            }
            for s in [&k, &v] {
                if s.contains('\u{fffd}') {
                    return Err(bad("a parameter is not valid UTF-8 text"));
                }
                if s.chars().any(|c| c.is_control()) {
                    return Err(bad("a parameter contains control characters"));
                }
            }
            if v.chars().count() > MAX_VALUE {
                return Err(bad(format!(
                    "parameter {:?} is longer than {MAX_VALUE} characters",
                    k.chars().take(40).collect::<String>()
                )));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params { pairs })
    }

    /// Refuses parameters not in `known`.
    pub fn only(&self, known: &[&str]) -> Result<()> {
        match self.pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(bad(format!(
                "unknown parameter {:?}; this address takes {}",
                k.chars().take(40).collect::<String>(),
                known.join(", ")
            ))),
        }
    }

    /// The one value of `key` (`None` when absent or empty); given twice is an error.
    pub fn get(&self, key: &str) -> Result<Option<&str>> {
        let mut vals = self.pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let first = vals.next();
        if vals.next().is_some() {
            return Err(bad(format!("parameter {key:?} is given more than once")));
        }
        Ok(first.map(str::trim).filter(|v| !v.is_empty()))
    }

    /// Every value of `key`, comma lists split, empty ones dropped.
    pub fn list(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// The comparison period a page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compare {
    /// The months just before (or the configured comparison): what the command line does.
    Previous,
    /// The same months a year earlier.
    YearBefore,
}

impl Compare {
    pub fn name(self) -> &'static str {
        match self {
            Compare::Previous => "previous",
            Compare::YearBefore => "year",
        }
    }
}

/// One view of one priority, as asked for.
#[derive(Debug, Clone)]
pub struct ViewQuery {
    pub priority: Priority,
    pub view: View,
    pub dims: Vec<Dim>,
    pub period: Option<Period>,
    pub compare: Compare,
    pub top: usize,
}

impl ViewQuery {
    /// A key that is equal for queries with the same answer (for caches).
    pub fn key(&self) -> String {
        let dims: Vec<&str> = self.dims.iter().map(|d| d.name()).collect();
        format!(
            "{}|{}|{}|{:?}|{}|{}",
            self.view.name(),
            self.priority.name,
            dims.join(","),
            self.period.map(|p| (p.from.0, p.to.0)),
            self.compare.name(),
            self.top
        )
    }

    /// The parameters that ask for this view (for links: every view is a URL).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("priority", csa_analysis::config::slug(&self.priority.name, '-'))];
        if self.view != View::Counts {
            v.push(("view", self.view.name().to_string()));
        }
        if !self.dims.is_empty() {
            v.push(("by", self.dims.iter().map(|d| d.name()).collect::<Vec<_>>().join(",")));
        }
        if let Some(p) = self.period {
            v.push(("from", p.from.to_string()));
            v.push(("to", p.to.to_string()));
        }
        if self.compare != Compare::Previous {
            v.push(("compare", self.compare.name().to_string()));
        }
        if matches!(self.view, View::TopLocations | View::Prolific) {
            v.push(("top", self.top.to_string()));
        }
        v
    }
}

/// The parameters every view takes.
pub const VIEW_PARAMS: &[&str] = &["priority", "by", "view", "from", "to", "top", "compare"];

fn month(s: &str, key: &str) -> Result<Month> {
    let outside = || bad(format!("{key} {s:?} is outside the years 1900 to 2100"));
    let shaped = s.split_once('-').is_some_and(|(y, m)| {
        y.len() == 4
            && y.bytes().all(|b| b.is_ascii_digit())
            && m.len() == 2
            && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
    });
    match Month::parse(s) {
        Some(m) if (1900..=2100).contains(&m.year()) => Ok(m),
        // a well-formed month of a year csa does not read
        _ if shaped => Err(outside()),
        Some(_) => Err(outside()),
        None => Err(bad(format!("{key} {s:?} is not a month; write YYYY-MM"))),
    }
}

/// Reads a view query from `p`, checked against `config` (unknown priorities, views and
/// dimensions are 400s that list the valid ones).
pub fn view_query(p: &Params, config: &Config) -> Result<ViewQuery> {
    let priority = config.priority(p.get("priority")?.unwrap_or(csa_analysis::config::ALL))?;
    let view = match p.get("view")? {
        None => View::Counts,
        Some(v) => View::parse(v)?,
    };
    let by = p.list("by");
    if by.len() > csa_analysis::breakdown::MAX_DIMS {
        return Err(bad(format!(
            "{} dimensions asked for; at most {} at once",
            by.len(),
            csa_analysis::breakdown::MAX_DIMS
        )));
    }
    let mut dims = by.iter().map(|d| Dim::parse(d)).collect::<csa_analysis::Result<Vec<Dim>>>()?;
    if view != View::Counts {
        // as on the command line: the other views have their own rows and ignore `by`
        dims.clear();
    }
    let from = p.get("from")?.map(|s| month(s, "from")).transpose()?;
    let to = p.get("to")?.map(|s| month(s, "to")).transpose()?;
    let period = Period::from_bounds(from, to)?;
    if let Some(per) = period {
        if per.months() > MAX_MONTHS {
            return Err(bad(format!(
                "the period {per} is {} months long; at most {MAX_MONTHS}",
                per.months()
            )));
        }
    }
    let top = match p.get("top")? {
        None => config.top_n,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| bad(format!("top {t:?} is not a number from 1 to 100")))?,
    };
    let compare = match p.get("compare")? {
        None | Some("previous") => Compare::Previous,
        Some("year") => Compare::YearBefore,
        Some(c) => return Err(bad(format!("compare {c:?}: write previous or year"))),
    };
    Ok(ViewQuery { priority, view, dims, period, compare, top })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q(s: &str) -> Result<ViewQuery> {
        view_query(&Params::parse(s.as_bytes())?, &Config::default_config())
    }

    #[test]
    fn reads_what_the_command_line_reads() {
        let v =
            q("priority=Domestic-Abuse&by=victim_age_band,ward&from=2025-01&to=2025-06").unwrap();
        assert_eq!(v.priority.name, "Domestic abuse");
        assert_eq!(v.dims, vec![Dim::VictimAgeBand, Dim::Ward]);
        assert_eq!(v.period.unwrap().to_string(), "2025-01 to 2025-06");
        let v = q("by=ward&by=&by=hour&by=&from=2024-03").unwrap();
        assert_eq!(v.dims, vec![Dim::Ward, Dim::Hour]);
        assert_eq!(v.period.unwrap().to_string(), "2024-03 to 2025-02");
        assert_eq!(v.priority.name, "all");
        let v = q("view=top-locations&top=3&to=2025-12").unwrap();
        assert_eq!((v.view, v.top), (View::TopLocations, 3));
        assert_eq!(v.period.unwrap().to_string(), "2025-01 to 2025-12");
    }

    #[test]
    fn hostile_and_malformed_parameters_are_400_with_a_reason() {
        let e = |s: &str| match q(s) {
            Err(e) => {
                assert_eq!(e.status(), 400, "{s}: {e}");
                e.to_string()
            }
            Ok(_) => panic!("{s} accepted"),
        };
        assert!(e("priority=nope").contains("Domestic abuse"));
        assert!(e("by=ward,hour,month,lsoa,crime_type").contains("at most 4"));
        assert!(e("by=shoe_size").contains("victim_age_band"));
        assert!(e("from=2025-13").contains("not a month"));
        assert!(e("from=0001-01&to=0002-01").contains("1900"));
        assert!(e("from=1990-01&to=2025-01").contains("at most 120"));
        assert!(e("from=2025-06&to=2025-01").contains("ends before"));
        assert!(e("top=0").contains("1 to 100"));
        assert!(e("top=99999999999999999999999").contains("1 to 100"));
        assert!(e("priority=a&priority=b").contains("more than once"));
        assert!(e("priority=%00").contains("control"));
        assert!(e("priority=%ff%fe").contains("UTF-8"));
        assert!(e(&format!("priority={}", "x".repeat(300))).contains("longer than"));
        assert!(e(&"a=1&".repeat(600)).contains("bytes long"));
        assert!(q("view=day-hour&by=ward").unwrap().dims.is_empty(), "ignored, as --by is");
        assert!(e("view=day-hour&by=shoe").contains("ward"), "but still checked");
        assert!(e("compare=never").contains("previous or year"));
        let p = Params::parse(b"priority=x&evil=1").unwrap();
        assert!(p.only(VIEW_PARAMS).unwrap_err().to_string().contains("evil"));
    }
}
