//! Population denominators.
//!
//! - **Wards**: a CSV with `ward_code`, a `residents…` column and optionally a `households…`
//!   column (the shipped `data/population/wards-2025.csv`: Census 2021 usual residents and
//!   Census 2011 households per May 2025 ward, see data/README.md). The rate of an area is
//!   `count / population * 1000`; the population of the area is the sum over its wards (see
//!   [`crate::assessment`]: the configured boundaries, else the wards with records), so a
//!   dataset built over Coventry's 18 wards is divided by Coventry's residents.
//! - **Groups**: residents by age, sex and ethnicity, the denominators of the equalities
//!   ratios ([`crate::equalities`]). Two layouts (plain CSV or `.csv.gz`), told apart by the
//!   header:
//!   - `dimension,group,residents`: the whole area at once;
//!   - `area_code,dimension,group,residents` plus optional `area_type` (`ward`, the default,
//!     or `lad`), `lad_code` and `source`: per ward and per local authority. The shipped
//!     `data/population/groups-2025.csv.gz` (compiled in, used when none is configured) is
//!     Census 2021 for Coventry's and the Warwickshire districts' wards and the six
//!     authorities.
//!
//!   `dimension` is `age` (single years `0`, `1`, ... and an open top group such as `100+`:
//!   banded here into the configured `age_bands`, so the victims' and offenders' bands and
//!   the denominators always agree), `age_band` (already banded: the labels must be the
//!   configured bands', e.g. `25-34`, `65+`), `sex` (`female`, `male`) or `ethnicity` (the
//!   five ONS groups; census names and police codes are accepted as in the dataset).
//!
//! The residents of an area by group ([`Population::area_groups`]): a whole-area table as
//! it is; otherwise each local authority whose wards all lie in the area counts with its
//! own row (the census's local-authority table), and every other ward of the area with its
//! ward row. A ward without a figure for the dimension leaves the area without one, and the
//! reason says which.

use std::io::Read;
use std::path::{Path, PathBuf};

use csa_model::{Ethnicity, Sex};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::dims::{age_band, age_band_labels};
use crate::error::{internal, AnalysisError, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WardPopulation {
    pub residents: Option<f64>,
    pub households: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Population {
    pub source: String,
    pub wards: FxHashMap<String, WardPopulation>,
    /// Residents by group, when a table is configured or shipped.
    pub groups: Option<GroupTable>,
}

/// A dimension of the equalities tables: what people and residents are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupDim {
    /// Age bands as configured (`age_bands`).
    AgeBand,
    Sex,
    Ethnicity,
}

impl GroupDim {
    /// Every dimension, in table order.
    pub const ALL: [GroupDim; 3] = [GroupDim::AgeBand, GroupDim::Sex, GroupDim::Ethnicity];

    /// Its name in tables (`dimension` column) and in group population files.
    pub const fn name(self) -> &'static str {
        match self {
            GroupDim::AgeBand => "age_band",
            GroupDim::Sex => "sex",
            GroupDim::Ethnicity => "ethnicity",
        }
    }

    /// Its name in sentences ("no residents by age").
    pub const fn noun(self) -> &'static str {
        match self {
            GroupDim::AgeBand => "age",
            GroupDim::Sex => "sex",
            GroupDim::Ethnicity => "ethnicity",
        }
    }

    /// Whether a label means "not recorded" in this dimension (left out of shares).
    pub fn is_unknown(self, label: &str) -> bool {
        match self {
            GroupDim::Sex => label.eq_ignore_ascii_case("unknown"),
            GroupDim::Ethnicity => label.eq_ignore_ascii_case("not stated"),
            GroupDim::AgeBand => false,
        }
    }
}

/// Dimensions of the equalities tables, in order.
pub const GROUP_DIMENSIONS: [GroupDim; 3] = GroupDim::ALL;
/// Dimensions a group table may hold (`age` is banded into `age_band`).
pub const TABLE_DIMENSIONS: &[&str] = &["age", "age_band", "sex", "ethnicity"];
/// The shipped group table's name in notes and parameters.
pub const SHIPPED_GROUPS: &str = "data/population/groups-2025.csv.gz";

/// What an area code of a group table stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    /// The whole area (a `dimension,group,residents` table).
    Whole,
    Ward,
    /// A local authority district.
    Lad,
}

/// Residents by group of one area.
#[derive(Debug, Clone)]
pub struct AreaGroups {
    pub kind: AreaKind,
    /// The local authority a ward lies in (a district's own code for a district).
    pub lad: Option<String>,
    /// dimension -> (group, residents) in file order
    pub rows: FxHashMap<String, Vec<(Group, f64)>>,
    /// dimension -> where its figures come from (the file's `source` column)
    pub sources: FxHashMap<String, String>,
}

/// A group of a table row, checked and spelled as csa labels people.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Group {
    /// Single year of age, or an open top group (`100+`: `open`).
    Age {
        from: u16,
        open: bool,
    },
    Label(String),
}

/// A group population table (see the module header).
#[derive(Debug, Clone)]
pub struct GroupTable {
    pub source: String,
    /// By area code ("" for a whole-area table).
    pub areas: FxHashMap<String, AreaGroups>,
}

/// Residents of each group of one dimension in an area or a ward.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCounts {
    /// group label (as csa labels people) -> residents
    pub residents: FxHashMap<String, f64>,
    /// Where the figures come from, e.g. "TS021 ward; TS021 LSOA best fit".
    pub source: String,
}

impl Population {
    /// The compiled-in ward population.
    pub fn shipped() -> Population {
        // checked by a unit test
        Population::parse_wards(
            crate::config::DEFAULT_WARD_POPULATION,
            Path::new("data/population/wards-2025.csv"),
        )
        .unwrap_or_else(|e| panic!("shipped population: {e}"))
    }

    /// The compiled-in group population (Census 2021 by ward and local authority).
    pub fn shipped_groups() -> GroupTable {
        // parsed once per process (14,256 rows); checked by a unit test
        static SHIPPED: std::sync::OnceLock<GroupTable> = std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                gunzip(crate::config::DEFAULT_GROUP_POPULATION, Path::new(SHIPPED_GROUPS))
                    .and_then(|t| GroupTable::parse(&t, Path::new(SHIPPED_GROUPS)))
                    .unwrap_or_else(|e| panic!("shipped group population: {e}"))
            })
            .clone()
    }

    /// Ward figures from `wards` (else the shipped ones) and group figures from `groups`
    /// (else the shipped ones).
    pub fn load(wards: Option<&Path>, groups: Option<&Path>) -> Result<Population> {
        let mut p = match wards {
            None => Population::shipped(),
            Some(path) => Population::parse_wards(&read(path)?, path)?,
        };
        p.groups = Some(match groups {
            None => Population::shipped_groups(),
            Some(path) => GroupTable::parse(&read(path)?, path)?,
        });
        Ok(p)
    }

    pub fn parse_wards(text: &str, path: &Path) -> Result<Population> {
        let err = |line: u64, detail: String| AnalysisError::Population {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let mut rdr = csv_text(text);
        let headers = rdr.headers().map_err(|e| err(1, e.to_string()))?.clone();
        let find = |p: &str| headers.iter().position(|h| h.trim().starts_with(p));
        let code = find("ward_code").ok_or_else(|| err(1, "no ward_code column".into()))?;
        let residents = find("residents")
            .ok_or_else(|| err(1, "no residents column (e.g. residents_2021)".into()))?;
        let households = find("households");
        let mut wards = FxHashMap::default();
        for (i, rec) in rdr.records().enumerate() {
            let line = i as u64 + 2;
            let rec = rec.map_err(|e| err(line, e.to_string()))?;
            let num = |idx: Option<usize>, what: &str| -> Result<Option<f64>> {
                match idx.and_then(|j| rec.get(j)).map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(v) => v
                        .replace(',', "")
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| err(line, format!("{what} {v:?} is not a number"))),
                }
            };
            let w = WardPopulation {
                residents: num(Some(residents), "residents")?,
                households: num(households, "households")?,
            };
            wards.insert(rec.get(code).unwrap_or("").trim().to_string(), w);
        }
        Ok(Population { source: path.display().to_string(), wards, groups: None })
    }

    /// Where the group figures come from, when there are any.
    pub fn groups_source(&self) -> Option<&str> {
        self.groups.as_ref().map(|g| g.source.as_str())
    }

    /// Residents by group of `dimension` (one of [`GROUP_DIMENSIONS`]) in the area made of
    /// `wards` (see the module header); `Err` says why there is no figure.
    pub fn area_groups(
        &self,
        wards: &[&str],
        dimension: GroupDim,
        bands: &[u8],
    ) -> std::result::Result<GroupCounts, String> {
        let t = self.groups.as_ref().ok_or_else(no_table)?;
        if let Some(whole) = t.areas.get("") {
            return t.counts(&[whole], dimension, bands);
        }
        let in_area: FxHashSet<&str> = wards.iter().copied().collect();
        // local authorities whose every ward (in the table) is in the area
        let mut lad_wards: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
        for (code, g) in &t.areas {
            if let (AreaKind::Ward, Some(lad)) = (g.kind, g.lad.as_deref()) {
                let e = lad_wards.entry(lad).or_default();
                e.0 += 1;
                e.1 += usize::from(in_area.contains(code.as_str()));
            }
        }
        let whole_lads: FxHashSet<&str> = lad_wards
            .iter()
            .filter(|(lad, (n, inside))| {
                n == inside
                    && t.areas.get(**lad).is_some_and(|g| {
                        g.kind == AreaKind::Lad
                            && g.rows.contains_key(table_dimension(g, dimension))
                    })
            })
            .map(|(lad, _)| *lad)
            .collect();
        let mut parts: Vec<&AreaGroups> = whole_lads.iter().map(|l| &t.areas[*l]).collect();
        let mut missing = Vec::new();
        for w in wards {
            match t.areas.get(*w) {
                Some(g) if g.lad.as_deref().is_some_and(|l| whole_lads.contains(l)) => {}
                Some(g) if g.rows.contains_key(table_dimension(g, dimension)) => parts.push(g),
                _ => missing.push(*w),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "{} of the area's {} wards have no residents by {} in {} (e.g. {})",
                missing.len(),
                wards.len(),
                dimension.noun(),
                t.source,
                missing[0]
            ));
        }
        if parts.is_empty() {
            return Err("the area has no wards".into());
        }
        t.counts(&parts, dimension, bands)
    }

    /// Residents by group of `dimension` in one ward; `Err` says why there is no figure.
    pub fn ward_groups(
        &self,
        ward: &str,
        dimension: GroupDim,
        bands: &[u8],
    ) -> std::result::Result<GroupCounts, String> {
        let t = self.groups.as_ref().ok_or_else(no_table)?;
        match t.areas.get(ward) {
            Some(g) if g.kind == AreaKind::Ward => t.counts(&[g], dimension, bands),
            _ => Err(format!("no residents by {} for this ward in {}", dimension.noun(), t.source)),
        }
    }
}

fn no_table() -> String {
    "no population by age, sex and ethnicity is configured ([population] groups)".into()
}

/// The table dimension that gives `dimension` for this area: `age_band` rows when it has
/// them, else single years (`age`).
fn table_dimension(g: &AreaGroups, dimension: GroupDim) -> &'static str {
    if dimension == GroupDim::AgeBand && !g.rows.contains_key(GroupDim::AgeBand.name()) {
        "age"
    } else {
        dimension.name()
    }
}

impl GroupTable {
    /// Reads either layout (see the module header); every row is checked.
    pub fn parse(text: &str, path: &Path) -> Result<GroupTable> {
        let err = |line: u64, detail: String| AnalysisError::Population {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let mut rdr = csv_text(text);
        let headers = rdr.headers().map_err(|e| err(1, e.to_string()))?.clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(dim_col), Some(group_col), Some(res_col)) =
            (col("dimension"), col("group"), col("residents"))
        else {
            return Err(err(
                1,
                format!(
                    "the header must be dimension,group,residents (the whole area) or area_code,dimension,group,residents[,area_type,lad_code,source], not {}",
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            ));
        };
        let (area_col, type_col, lad_col, source_col) =
            (col("area_code"), col("area_type"), col("lad_code"), col("source"));
        let mut areas: FxHashMap<String, AreaGroups> = FxHashMap::default();
        // (area, dimension, group) already given: allocation-free for single years
        let mut seen: FxHashSet<(usize, usize, Group)> = FxHashSet::default();
        let mut area_index: FxHashMap<String, usize> = FxHashMap::default();
        let mut rec = csv::StringRecord::new();
        let mut line = 1u64;
        loop {
            line += 1;
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(err(line, e.to_string())),
            }
            let field = |j: Option<usize>| j.and_then(|j| rec.get(j)).unwrap_or("").trim();
            let code = field(area_col);
            if area_col.is_some() && code.is_empty() {
                return Err(err(line, "area_code is empty".into()));
            }
            let kind = match (area_col, field(type_col)) {
                (None, _) => AreaKind::Whole,
                (Some(_), "" | "ward") => AreaKind::Ward,
                (Some(_), "lad") => AreaKind::Lad,
                (_, t) => {
                    return Err(err(line, format!("area_type {t:?}: use ward or lad")));
                }
            };
            let dim = field(Some(dim_col));
            let Some(dim_index) = TABLE_DIMENSIONS.iter().position(|d| *d == dim) else {
                return Err(err(
                    line,
                    format!("dimension {dim:?}: use one of {}", TABLE_DIMENSIONS.join(", ")),
                ));
            };
            let group = parse_group(dim, field(Some(group_col))).map_err(|d| err(line, d))?;
            let raw = field(Some(res_col));
            let n: f64 = raw
                .parse()
                .ok()
                .or_else(|| raw.replace(',', "").parse().ok())
                .filter(|n: &f64| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| {
                    err(line, format!("residents {raw:?} is not a number of 0 or more"))
                })?;
            let next = area_index.len();
            let area = match area_index.get(code) {
                Some(k) => *k,
                None => *area_index.entry(code.to_string()).or_insert(next),
            };
            if !seen.insert((area, dim_index, group.clone())) {
                let key = group_key(&group);
                return Err(err(line, format!("{dim} {key} of {code:?} is given twice")));
            }
            let lad = match field(lad_col) {
                "" if kind == AreaKind::Lad => Some(code),
                "" => None,
                l => Some(l),
            };
            if !areas.contains_key(code) {
                areas.insert(
                    code.to_string(),
                    AreaGroups {
                        kind,
                        lad: lad.map(str::to_string),
                        rows: FxHashMap::default(),
                        sources: FxHashMap::default(),
                    },
                );
            }
            let a = areas.get_mut(code).ok_or_else(|| internal("area just inserted"))?;
            if a.kind != kind || a.lad.as_deref() != lad {
                return Err(err(
                    line,
                    format!("{code} has another area_type or lad_code on an earlier line"),
                ));
            }
            match a.rows.get_mut(dim) {
                Some(v) => v.push((group, n)),
                None => {
                    a.rows.insert(dim.to_string(), vec![(group, n)]);
                }
            }
            let src = field(source_col);
            if !src.is_empty() && !a.sources.contains_key(dim) {
                a.sources.insert(dim.to_string(), src.to_string());
            }
        }
        if areas.contains_key("") && areas.len() > 1 {
            return Err(err(1, "mixes whole-area rows with area_code rows".into()));
        }
        Ok(GroupTable { source: path.display().to_string(), areas })
    }

    /// Sums `parts` for one dimension, banding single years into `bands`.
    fn counts(
        &self,
        parts: &[&AreaGroups],
        dimension: GroupDim,
        bands: &[u8],
    ) -> std::result::Result<GroupCounts, String> {
        let mut residents: FxHashMap<String, f64> = FxHashMap::default();
        let mut sources: Vec<String> = Vec::new();
        for g in parts {
            let dim = table_dimension(g, dimension);
            let rows = g.rows.get(dim).ok_or_else(|| {
                format!("no residents by {} in {}", dimension.noun(), self.source)
            })?;
            let add = match dim {
                "age" => band_years(rows, bands)?,
                "age_band" => {
                    let labels = age_band_labels(bands);
                    let mut out = Vec::new();
                    for (grp, n) in rows {
                        let l = group_key(grp);
                        if !labels.contains(&l) {
                            return Err(format!(
                                "the population's age band {l} is not one of the configured age bands ({}): configure matching age_bands or give single years (dimension age)",
                                labels.join(", ")
                            ));
                        }
                        out.push((l, *n));
                    }
                    out
                }
                _ => rows.iter().map(|(grp, n)| (group_key(grp), *n)).collect(),
            };
            for (l, n) in add {
                *residents.entry(l).or_default() += n;
            }
            let s = g.sources.get(dim).cloned().unwrap_or_else(|| self.source.clone());
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        sources.sort();
        Ok(GroupCounts { residents, source: sources.join("; ") })
    }
}

/// Single years (and one open top group) into the configured bands. The years must run
/// from 0 without a gap to an open top group that lies in the last band.
fn band_years(
    rows: &[(Group, f64)],
    bands: &[u8],
) -> std::result::Result<Vec<(String, f64)>, String> {
    let labels = age_band_labels(bands);
    let mut years: Vec<(u16, bool, f64)> = rows
        .iter()
        .filter_map(|(g, n)| match g {
            Group::Age { from, open } => Some((*from, *open, *n)),
            Group::Label(_) => None,
        })
        .collect();
    years.sort_by_key(|y| y.0);
    let top = match years.last() {
        Some(&(t, true, _)) => t,
        _ => {
            return Err("the single years of age end without an open top group such as 100+".into())
        }
    };
    for (i, y) in years.iter().enumerate() {
        if usize::from(y.0) != i || (y.1 && y.0 != top) {
            return Err(format!("the single years of age are not 0, 1, ... {top}+ without a gap"));
        }
    }
    let last = bands.last().copied().unwrap_or(0);
    if top < u16::from(last) {
        return Err(format!(
            "the census's oldest age group {top}+ spans more than one configured age band (the last starts at {last})"
        ));
    }
    let mut out: Vec<(String, f64)> = labels.iter().map(|l| (l.clone(), 0.0)).collect();
    for (from, _, n) in years {
        let k = age_band(from as i16, bands);
        if k > 0 {
            out[k as usize - 1].1 += n;
        }
    }
    Ok(out)
}

fn group_key(g: &Group) -> String {
    match g {
        Group::Age { from, open: true } => format!("{from}+"),
        Group::Age { from, open: false } => from.to_string(),
        Group::Label(l) => l.clone(),
    }
}

fn parse_group(dim: &str, raw: &str) -> std::result::Result<Group, String> {
    match dim {
        "age" => {
            let (num, open) = match raw.strip_suffix('+') {
                Some(n) => (n.trim(), true),
                None => (raw, false),
            };
            num.parse::<u16>()
                .ok()
                .filter(|a| *a <= 120)
                .map(|from| Group::Age { from, open })
                .ok_or_else(|| {
                    format!("age {raw:?}: write a whole year 0-120, or e.g. 100+ for the top group")
                })
        }
        "age_band" => {
            let ok = match raw.strip_suffix('+') {
                Some(n) => n.parse::<u8>().is_ok(),
                None => raw
                    .split_once('-')
                    .is_some_and(|(a, b)| a.parse::<u8>().is_ok() && b.parse::<u8>().is_ok()),
            };
            if ok {
                Ok(Group::Label(raw.to_string()))
            } else {
                Err(format!("age band {raw:?}: write it as csa labels bands, e.g. 25-34 or 65+"))
            }
        }
        "sex" => match Sex::parse(raw) {
            Some(s) if s != Sex::Unknown => Ok(Group::Label(s.name().to_string())),
            _ => Err(format!("sex {raw:?}: use female or male")),
        },
        _ => match Ethnicity::parse(raw) {
            Some(e) if e != Ethnicity::NotStated => Ok(Group::Label(e.name().to_string())),
            _ => Err(format!(
                "ethnic group {raw:?}: use one of {}",
                Ethnicity::ALL
                    .iter()
                    .filter(|e| **e != Ethnicity::NotStated)
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
    }
}

fn gunzip(bytes: &[u8], path: &Path) -> Result<String> {
    let mut s = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut s)
        .map_err(|source| AnalysisError::Read { path: path.to_path_buf(), source })?;
    Ok(s)
}

fn read(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|source| AnalysisError::Read { path: PathBuf::from(path), source })?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return gunzip(&bytes, path);
    }
    String::from_utf8(bytes).map_err(|e| AnalysisError::Read {
        path: PathBuf::from(path),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// A CSV reader over `text` with headers, a leading byte order mark (Excel's) dropped.
pub(crate) fn csv_text(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const BANDS: &[u8] = &[0, 10, 18, 25, 35, 45, 55, 65];

    #[test]
    fn shipped_wards_have_coventry_and_every_ward_a_figure() {
        let p = Population::shipped();
        let coventry: f64 = p
            .wards
            .iter()
            .filter(|(c, _)| {
                c.starts_with("E0500121") || c.starts_with("E0500122") || c.starts_with("E0500123")
            })
            .filter_map(|(_, w)| w.residents)
            .sum();
        // the census ward table (TS021): 345,315 (TS001 by LSOA: 345,312)
        assert_eq!(coventry, 345_315.0);
        assert_eq!(
            p.wards["E05001218"],
            WardPopulation { residents: Some(17127.0), households: Some(6909.0) }
        );
        assert_eq!(p.wards.len(), 126);
        assert!(p.wards.values().all(|w| w.residents > Some(0.0) && w.households > Some(0.0)));
        // the three wards that are no LSOA's largest overlap (ONS best fit: their LSOAs)
        for w in ["E05015108", "E05015110", "E05015137"] {
            assert!(p.wards[w].residents > Some(1000.0), "{w}");
        }
    }

    #[test]
    fn shipped_groups_add_up_per_ward_and_band_into_any_bands() {
        let mut p = Population::shipped();
        p.groups = Some(Population::shipped_groups());
        // Bablake from the census ward table: 1,298 Asian, 406 Black, 433 Mixed,
        // 14,446 White, 544 Other = 17,127
        let e = p.ward_groups("E05001218", GroupDim::Ethnicity, BANDS).unwrap();
        assert_eq!(e.residents["Asian"], 1298.0);
        assert_eq!(e.residents["White"], 14446.0);
        assert_eq!(e.source, "TS021 ward");
        for (code, w) in &p.wards {
            for d in GROUP_DIMENSIONS {
                let g = p.ward_groups(code, d, &[0, 16, 18, 65]).unwrap();
                let sum: f64 = g.residents.values().sum();
                assert_eq!(Some(sum), w.residents, "{code} {}", d.name());
            }
        }
        // Coventry as a whole is its local authority's own tables: TS008 F 173,137 M 172,187
        let cov: Vec<&str> =
            p.wards.keys().filter(|c| c.as_str() < "E05001236").map(String::as_str).collect();
        assert_eq!(cov.len(), 18);
        let s = p.area_groups(&cov, GroupDim::Sex, BANDS).unwrap();
        assert_eq!((s.residents["female"], s.residents["male"]), (173_137.0, 172_187.0));
        assert_eq!(s.source, "TS008 LA");
        // part of Coventry: the wards' own rows
        let s = p.area_groups(&cov[..2], GroupDim::AgeBand, &[0, 18]).unwrap();
        assert_eq!(s.source, "TS007 MSOA");
        assert_eq!(s.residents.len(), 2);
    }

    #[test]
    fn group_files_are_checked() {
        let e = |text: &str| GroupTable::parse(text, Path::new("g.csv")).unwrap_err().to_string();
        let m = e("dimension,group,residents\nage,18-24,5\n");
        assert!(m.contains("g.csv: line 2") && m.contains("100+"), "{m}");
        let m = e("dimension,group,residents\nhair,red,5\n");
        assert!(m.contains("line 2") && m.contains("age_band"), "{m}");
        let m = e("dimension,group,residents\nsex,female,-3\n");
        assert!(m.contains("line 2") && m.contains("-3"), "{m}");
        let m = e("dimension,group,residents\nsex,female,3\nsex,F,4\n");
        assert!(m.contains("line 3") && m.contains("twice"), "{m}");
        let m = e("area_code,dimension,group,residents\nW1,ethnicity,Martian,4\n");
        assert!(m.contains("line 2") && m.contains("Asian"), "{m}");
        let m = e("ward,sex,n\n");
        assert!(m.contains("line 1") && m.contains("header"), "{m}");
        let g =
            GroupTable::parse("dimension,group,residents\nsex,Female,\"1,000\"\n", Path::new("g"))
                .unwrap();
        assert_eq!(g.areas[""].rows["sex"], vec![(Group::Label("female".into()), 1000.0)]);
    }

    #[test]
    fn single_years_band_as_configured_and_need_a_top_group() {
        let rows: Vec<(Group, f64)> =
            (0..=20).map(|a| (Group::Age { from: a, open: a == 20 }, f64::from(a))).collect();
        // 0-15: 0+1+...+15 = 120; 16-17: 33; 18+: 18+19+20 = 57
        let b = band_years(&rows, &[0, 16, 18]).unwrap();
        assert_eq!(b, vec![("0-15".into(), 120.0), ("16-17".into(), 33.0), ("18+".into(), 57.0)]);
        // a band above the open top group cannot be formed
        assert!(band_years(&rows, &[0, 16, 25]).unwrap_err().contains("20+"));
        // a gap
        let gap: Vec<(Group, f64)> = rows
            .iter()
            .filter(|(g, _)| *g != Group::Age { from: 7, open: false })
            .cloned()
            .collect();
        assert!(band_years(&gap, &[0, 18]).unwrap_err().contains("gap"));
    }

    #[test]
    fn area_of_wards_and_whole_authorities() {
        let text = "area_code,area_type,lad_code,dimension,group,residents,source\n\
            W1,ward,L1,sex,female,10,s1\nW1,ward,L1,sex,male,20,s1\n\
            W2,ward,L1,sex,female,30,s1\nW2,ward,L1,sex,male,40,s1\n\
            L1,lad,L1,sex,female,41,s2\nL1,lad,L1,sex,male,59,s2\n\
            W3,ward,L2,sex,female,5,s1\n";
        let p = Population {
            groups: Some(GroupTable::parse(text, Path::new("g.csv")).unwrap()),
            ..Population::default()
        };
        // all of L1: the authority's row
        let a = p.area_groups(&["W1", "W2"], GroupDim::Sex, BANDS).unwrap();
        assert_eq!(
            (a.residents["female"], a.residents["male"], a.source.as_str()),
            (41.0, 59.0, "s2")
        );
        // part of L1 plus W3: the wards' rows
        let a = p.area_groups(&["W1", "W3"], GroupDim::Sex, BANDS).unwrap();
        assert_eq!((a.residents["female"], a.residents["male"]), (15.0, 20.0));
        // a ward without figures
        let m = p.area_groups(&["W1", "W9"], GroupDim::Sex, BANDS).unwrap_err();
        assert!(m.contains("1 of the area's 2 wards") && m.contains("W9"), "{m}");
        assert!(p.area_groups(&["W1"], GroupDim::Ethnicity, BANDS).is_err());
        assert!(p.ward_groups("L1", GroupDim::Sex, BANDS).is_err());
    }
}
