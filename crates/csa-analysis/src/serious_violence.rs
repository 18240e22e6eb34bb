//! The Serious Violence Duty's strategic needs assessment (Police, Crime, Sentencing and
//! Courts Act 2022, Part 2; Home Office statutory guidance, 2022): the partnership's local
//! definition of serious violence, its victims and offenders under 25, hospital or ambulance
//! data given as partner incidents, hot spots and the night-time economy overlap.
//!
//! **Definition** (`[serious_violence]`, all keys optional; `data/README.md`): a police
//! record is serious violence when it is a crime (`record_kind = crime`) and meets at least
//! one of
//! - its Home Office offence code is in `offence_codes` (default: homicide `1`, `4.1`,
//!   `4.10`, `4.2`; attempted murder `2`; assault with intent to cause serious harm `5D`;
//!   endangering life `5E`; robbery `34A`, `34B`; possession of weapons `10A`, `10B`, `10C`,
//!   `10D`, `81`, `90`),
//! - its police.uk crime type is in `crime_types` (default none),
//! - `weapon = true` (default) and the record's weapon flag is true (the extract's optional
//!   `weapon` column: a knife, firearm or other weapon used or present),
//!
//! and, when `location_types` is given, its location type is one of them. It is compiled
//! into an ordinary priority filter ([`Definition::priority`]), so its counts, wards and hot
//! spots are those of any priority (partner incidents excluded, area applied).
//!
//! **Young people**: victims and offenders of those crimes aged under `young_under`
//! (default 25) at the crime, counted as records (a person on two crimes counts twice) out
//! of the records with a known age.
//!
//! **Hospital and ambulance data**: partner incidents matching `partner` (a filter; default
//! `{ category = ["assault"] }`, any partner dataset), counted apart, never added to the
//! police figures: attendances, in the night-time economy, patients under 25, with a weapon.
//!
//! **Night-time economy (NTE) overlap**: a record is in the NTE when its time falls on one
//! of the `nte_nights` (default Friday, Saturday) from `nte_from_hour` (default 20:00) to
//! `nte_to_hour` (default 04:00) the next morning (a time before `nte_to_hour` belongs to
//! the night before, as in the `night_of` filter), or when its location type is one of
//! `nte_location_types` (default none), at any time. Records without a time of day (police.uk
//! months) are in the NTE only through their location type; the share is over the records
//! whose time is known.
//!
//! **Hot spots**: Gi* (`crate::hotspots`, the pack's `[hotspots]` settings) on the police
//! selection over the assessment period; for each hot cell (Gi* bin 2 or 3: 95% or 99%
//! confidence) its serious violence, the part of it in the NTE, and the partner attendances
//! in the same cell.

use csa_model::{Col, CrimeType, LocationType, RecordKind};
use serde::Deserialize;
use toml::Spanned;

use crate::assessment::Assessment;
use crate::config::{weekday, Filter, Priority, SubGroup};
use crate::error::Result;
use crate::period::Period;

/// Offence codes of the default definition (module header).
pub const DEFAULT_OFFENCE_CODES: &[&str] = &[
    "1/4.1/4.10/4.2",
    "1",
    "4.1",
    "4.10",
    "4.2",
    "2",
    "5D",
    "5E",
    "34A",
    "34B",
    "10A",
    "10B",
    "10C",
    "10D",
    "81",
    "90",
];

/// The night-time economy: nights and hours, and location types at any time.
#[derive(Debug, Clone, PartialEq)]
pub struct Nte {
    /// ISO weekdays (1 = Monday) of the nights.
    pub nights: Vec<u8>,
    pub from_hour: u8,
    pub to_hour: u8,
    pub location_types: Vec<LocationType>,
}

impl Default for Nte {
    fn default() -> Nte {
        Nte { nights: vec![5, 6], from_hour: 20, to_hour: 4, location_types: Vec::new() }
    }
}

impl Nte {
    /// Whether a time (ISO weekday 1..=7, hour 0..=23) is in the window.
    pub fn in_window(&self, dow: u8, hour: u8) -> bool {
        let (from, to) = (self.from_hour, self.to_hour);
        if from < to {
            return self.nights.contains(&dow) && (from..to).contains(&hour);
        }
        let before = if dow == 1 { 7 } else { dow - 1 };
        (hour >= from && self.nights.contains(&dow)) || (hour < to && self.nights.contains(&before))
    }

    /// Whether a record is in the NTE; `None` when its time is unknown and its location type
    /// says nothing.
    pub fn contains(&self, dow: i8, hour: i8, location: Option<&str>) -> Option<bool> {
        if location.is_some_and(|l| self.location_types.iter().any(|t| t.name() == l)) {
            return Some(true);
        }
        if dow < 1 || hour < 0 {
            return None;
        }
        Some(self.in_window(dow as u8, hour as u8))
    }

    /// In words, for the report.
    pub fn describe(&self) -> String {
        let nights: Vec<&str> =
            self.nights.iter().map(|d| crate::config::weekday_name(*d)).collect();
        let mut s = format!(
            "{} nights from {:02}:00 to {:02}:00",
            nights.join(" and "),
            self.from_hour,
            self.to_hour
        );
        if !self.location_types.is_empty() {
            let l: Vec<&str> = self.location_types.iter().map(|l| l.name()).collect();
            s.push_str(&format!(", and at {} at any time", l.join(", ")));
        }
        s
    }
}

/// The local definition of serious violence (module header).
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub offence_codes: Vec<String>,
    pub crime_types: Vec<CrimeType>,
    pub weapon: bool,
    pub location_types: Vec<LocationType>,
    pub young_under: i16,
    pub nte: Nte,
    /// Which partner incidents are hospital or ambulance data on violence.
    pub partner: Filter,
}

impl Default for Definition {
    fn default() -> Definition {
        Definition {
            offence_codes: DEFAULT_OFFENCE_CODES.iter().map(|s| s.to_string()).collect(),
            crime_types: Vec::new(),
            weapon: true,
            location_types: Vec::new(),
            young_under: 25,
            nte: Nte::default(),
            partner: Filter { category: vec!["assault".into()], ..Filter::default() },
        }
    }
}

/// Name of the police selection as a priority.
pub const PRIORITY_NAME: &str = "Serious violence";
/// Name of the partner selection as a priority.
pub const PARTNER_NAME: &str = "Serious violence: hospital and ambulance data";

impl Definition {
    /// The parts of the definition, each a filter on its own (for the counts by part).
    pub fn parts(&self) -> Vec<(String, Filter)> {
        let base = Filter {
            record_kind: Some(RecordKind::Crime),
            location_type: self.location_types.clone(),
            ..Filter::default()
        };
        let mut parts = Vec::new();
        if !self.offence_codes.is_empty() {
            parts.push((
                format!("offence code in [{}]", self.offence_codes.join(", ")),
                Filter { offence_code: self.offence_codes.clone(), ..base.clone() },
            ));
        }
        if !self.crime_types.is_empty() {
            let t: Vec<&str> = self.crime_types.iter().map(|t| t.name()).collect();
            parts.push((
                format!("crime type in [{}]", t.join(", ")),
                Filter { crime_type: self.crime_types.clone(), ..base.clone() },
            ));
        }
        if self.weapon {
            parts.push(("weapon recorded".into(), Filter { weapon: Some(true), ..base }));
        }
        parts
    }

    /// The police selection as a priority.
    pub fn priority(&self) -> Priority {
        let filter = Filter {
            record_kind: Some(RecordKind::Crime),
            location_type: self.location_types.clone(),
            any: self.parts().into_iter().map(|(_, f)| f).collect(),
            ..Filter::default()
        };
        Priority {
            name: PRIORITY_NAME.into(),
            subgroups: vec![SubGroup::CrossCutting],
            description: Some("the partnership's local definition of serious violence".into()),
            filter,
            ..Priority::all()
        }
    }

    /// The partner selection as a priority.
    pub fn partner_priority(&self) -> Priority {
        Priority {
            name: PARTNER_NAME.into(),
            subgroups: vec![SubGroup::CrossCutting],
            description: Some("partner incidents on violence (hospital, ambulance)".into()),
            filter: self.partner.clone(),
            ..Priority::all()
        }
    }

    /// In words, for the report.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.parts().into_iter().map(|(s, _)| s).collect();
        let mut s = format!("police-recorded crimes with {}", parts.join(", or "));
        if !self.location_types.is_empty() {
            let l: Vec<&str> = self.location_types.iter().map(|l| l.name()).collect();
            s.push_str(&format!(", at {}", l.join(", ")));
        }
        s
    }
}

/// `[serious_violence]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDefinition {
    offence_codes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    crime_types: Vec<Spanned<String>>,
    weapon: Option<bool>,
    #[serde(default)]
    location_types: Vec<Spanned<String>>,
    young_under: Option<Spanned<i64>>,
    nte_nights: Option<Vec<Spanned<String>>>,
    nte_from_hour: Option<Spanned<i64>>,
    nte_to_hour: Option<Spanned<i64>>,
    #[serde(default)]
    nte_location_types: Vec<Spanned<String>>,
    partner_sources: Option<Vec<String>>,
    partner_categories: Option<Vec<String>>,
}

type At<'a> = &'a dyn Fn(Option<std::ops::Range<usize>>, String) -> crate::AnalysisError;

impl RawDefinition {
    /// Checks the section; mistakes name their line.
    pub fn compile(&self, at: At) -> Result<Definition> {
        let mut d = Definition::default();
        let offences = csa_model::OffenceTable::shipped();
        if let Some(codes) = &self.offence_codes {
            d.offence_codes = codes
                .iter()
                .map(|c| {
                    offences.get(c.get_ref()).map(|o| o.code.clone()).ok_or_else(|| {
                        at(Some(c.span()), format!("unknown offence code {:?}", c.get_ref()))
                    })
                })
                .collect::<Result<_>>()?;
        }
        let types = |v: &[Spanned<String>]| -> Result<Vec<LocationType>> {
            v.iter()
                .map(|t| {
                    LocationType::parse(t.get_ref()).ok_or_else(|| {
                        at(Some(t.span()), format!("unknown location type {:?}", t.get_ref()))
                    })
                })
                .collect()
        };
        d.crime_types = self
            .crime_types
            .iter()
            .map(|t| {
                CrimeType::parse(t.get_ref()).ok_or_else(|| {
                    at(Some(t.span()), format!("unknown crime type {:?}", t.get_ref()))
                })
            })
            .collect::<Result<_>>()?;
        d.weapon = self.weapon.unwrap_or(true);
        d.location_types = types(&self.location_types)?;
        d.nte.location_types = types(&self.nte_location_types)?;
        if let Some(y) = &self.young_under {
            d.young_under = i16::try_from(*y.get_ref())
                .ok()
                .filter(|v| (1..=120).contains(v))
                .ok_or_else(|| at(Some(y.span()), "young_under must be 1 to 120".into()))?;
        }
        if let Some(n) = &self.nte_nights {
            d.nte.nights = n
                .iter()
                .map(|w| {
                    weekday(w.get_ref()).ok_or_else(|| {
                        at(Some(w.span()), format!("unknown weekday {:?}", w.get_ref()))
                    })
                })
                .collect::<Result<_>>()?;
        }
        let hour = |h: &Option<Spanned<i64>>, default: u8| -> Result<u8> {
            match h {
                None => Ok(default),
                Some(h) => u8::try_from(*h.get_ref()).ok().filter(|v| *v < 24).ok_or_else(|| {
                    at(Some(h.span()), format!("hour {} is not 0 to 23", h.get_ref()))
                }),
            }
        };
        d.nte.from_hour = hour(&self.nte_from_hour, 20)?;
        d.nte.to_hour = hour(&self.nte_to_hour, 4)?;
        if self.partner_sources.is_some() || self.partner_categories.is_some() {
            d.partner = Filter {
                record_kind: Some(RecordKind::Incident),
                source: self.partner_sources.clone().unwrap_or_default(),
                category: self.partner_categories.clone().unwrap_or_default(),
                ..Filter::default()
            };
        }
        if d.parts().is_empty() {
            return Err(at(
                None,
                "[serious_violence] defines nothing: give offence_codes, crime_types or weapon = true".into(),
            ));
        }
        Ok(d)
    }
}

/// Police figures of one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub crimes: u64,
    /// With the weapon flag true, and with it recorded at all.
    pub weapon: u64,
    pub weapon_recorded: u64,
    /// In the NTE, and with a time of day or an NTE location type.
    pub nte: u64,
    pub nte_known: u64,
    pub victims: u64,
    pub victims_young: u64,
    pub victims_age_known: u64,
    pub offenders: u64,
    pub offenders_young: u64,
    pub offenders_age_known: u64,
}

/// Partner figures of one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartnerFigures {
    pub attendances: u64,
    pub nte: u64,
    pub nte_known: u64,
    /// Patients (the incident's person) under `young_under`, and with a known age.
    pub young: u64,
    pub age_known: u64,
    pub weapon: u64,
}

/// Age bands of the young-people table: under 18, 18 to `young_under - 1`, older, unknown.
pub fn age_bands(young_under: i16) -> [String; 4] {
    [
        "under 18".into(),
        format!("18-{}", young_under - 1),
        format!("{young_under} and over"),
        "unknown".into(),
    ]
}

fn band_of(age: i16, young_under: i16) -> usize {
    match age {
        a if a < 0 => 3,
        a if a < 18 => 0,
        a if a < young_under => 1,
        _ => 2,
    }
}

/// One ward's counts: serious violence now and in the comparison period, partner
/// attendances now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WardRow {
    pub code: String,
    pub name: String,
    pub current: u64,
    pub comparison: u64,
    pub partner: u64,
}

/// The whole section's figures.
#[derive(Debug, Clone)]
pub struct SeriousViolence {
    pub definition: Definition,
    pub periods: [Period; 2],
    pub comparison_covered: bool,
    /// [current, comparison].
    pub police: [Figures; 2],
    pub partner: [PartnerFigures; 2],
    /// Partner datasets (sources) among the matched incidents.
    pub partner_sources: Vec<String>,
    /// Each part of the definition: (label, current, comparison).
    pub parts: Vec<(String, u64, u64)>,
    /// Current period by age band: (band, victims, offenders, partner patients).
    pub ages: Vec<(String, u64, u64, u64)>,
    pub wards: Vec<WardRow>,
    pub notes: Vec<String>,
}

/// What the section needs loaded: the definition's filters, people, times and places.
pub fn needs(d: &Definition) -> crate::needs::Needs {
    crate::needs::Needs::for_priorities([&d.priority(), &d.partner_priority()])
        .with([
            Col::DayOfWeek,
            Col::Hour,
            Col::LocationType,
            Col::Weapon,
            Col::Source,
            Col::WardCode,
            Col::WardName,
        ])
        .with(crate::hotspots::SPATIAL_COLUMNS.iter().copied())
        .with_victims()
        .with_offenders()
}

/// Counts the section's figures.
pub fn analyse(a: &Assessment, d: &Definition) -> Result<SeriousViolence> {
    let crimes = &a.data.crimes;
    let police = a.selector(&d.priority())?;
    let partner = a.selector(&d.partner_priority())?;
    let dow = crimes.int(Col::DayOfWeek)?;
    let hour = crimes.int(Col::Hour)?;
    let loc = crimes.text(Col::LocationType)?;
    let weapon = crimes.flag(Col::Weapon)?;
    let source = crimes.text(Col::Source)?;
    let wards = crimes.text(Col::WardCode)?;
    let periods = [a.periods.current, a.periods.comparison];
    let comparison_covered = a.covers(a.periods.comparison);
    let mut s = SeriousViolence {
        definition: d.clone(),
        periods,
        comparison_covered,
        police: [Figures::default(); 2],
        partner: [PartnerFigures::default(); 2],
        partner_sources: Vec::new(),
        parts: Vec::new(),
        ages: Vec::new(),
        wards: Vec::new(),
        notes: Vec::new(),
    };
    let mut ward_counts: rustc_hash::FxHashMap<u32, [u64; 3]> = Default::default();
    // (rows of serious violence, rows of partner attendances) per period
    let mut sv_rows: [Vec<bool>; 2] = [vec![false; crimes.len], vec![false; crimes.len]];
    let mut partner_rows: [Vec<bool>; 2] = [vec![false; crimes.len], vec![false; crimes.len]];
    let mut sources = std::collections::BTreeSet::new();
    for r in 0..crimes.len {
        let m = crimes.month[r];
        for (k, p) in periods.iter().enumerate() {
            if !p.contains(m) {
                continue;
            }
            let nte = d.nte.contains(dow[r], hour[r], loc.get(r));
            if police.matches(r) {
                sv_rows[k][r] = true;
                let f = &mut s.police[k];
                f.crimes += 1;
                f.weapon += u64::from(weapon[r] == 1);
                f.weapon_recorded += u64::from(weapon[r] != 2);
                f.nte += u64::from(nte == Some(true));
                f.nte_known += u64::from(nte.is_some());
                ward_counts.entry(wards.codes[r]).or_default()[k] += 1;
            }
            if partner.matches(r) {
                partner_rows[k][r] = true;
                let f = &mut s.partner[k];
                f.attendances += 1;
                f.nte += u64::from(nte == Some(true));
                f.nte_known += u64::from(nte.is_some());
                f.weapon += u64::from(weapon[r] == 1);
                if k == 0 {
                    ward_counts.entry(wards.codes[r]).or_default()[2] += 1;
                }
                if let Some(src) = source.get(r) {
                    sources.insert(src.to_string());
                }
            }
        }
    }
    s.partner_sources = sources.into_iter().collect();
    // people: victims and offenders of serious violence, partner patients
    let young = d.young_under;
    let mut ages = [[0u64; 3]; 4];
    for (role, people) in [(0, &a.data.victims), (1, &a.data.offenders)] {
        let Some(people) = people else { continue };
        for i in 0..people.len() {
            let r = people.crime[i] as usize;
            let age = people.age[i];
            for (k, rows) in sv_rows.iter().enumerate() {
                if rows[r] {
                    let f = &mut s.police[k];
                    let (n, y, known) = if role == 0 {
                        (&mut f.victims, &mut f.victims_young, &mut f.victims_age_known)
                    } else {
                        (&mut f.offenders, &mut f.offenders_young, &mut f.offenders_age_known)
                    };
                    *n += 1;
                    *known += u64::from(age >= 0);
                    *y += u64::from((0..young).contains(&age));
                    if k == 0 {
                        ages[band_of(age, young)][role] += 1;
                    }
                }
            }
            // a partner incident's person (victim or offender, as its mapping says)
            for (k, rows) in partner_rows.iter().enumerate() {
                if rows[r] {
                    let f = &mut s.partner[k];
                    f.age_known += u64::from(age >= 0);
                    f.young += u64::from((0..young).contains(&age));
                    if k == 0 {
                        ages[band_of(age, young)][2] += 1;
                    }
                }
            }
        }
    }
    // partner attendances without a person: unknown age
    let with_person = ages.iter().map(|b| b[2]).sum::<u64>();
    ages[3][2] += s.partner[0].attendances.saturating_sub(with_person);
    s.ages = age_bands(young).into_iter().zip(ages).map(|(b, [v, o, p])| (b, v, o, p)).collect();
    // the parts of the definition
    for (label, f) in d.parts() {
        let p = Priority { filter: f, ..d.priority() };
        let sel = a.selector(&p)?;
        let cur = sel.rows(crimes, periods[0]).len() as u64;
        let cmp = sel.rows(crimes, periods[1]).len() as u64;
        s.parts.push((label, cur, cmp));
    }
    // wards of the area, every one listed
    for (code, name) in &a.area.wards {
        let c = wards.code_of(code).and_then(|c| ward_counts.get(&c)).copied().unwrap_or([0; 3]);
        s.wards.push(WardRow {
            code: code.clone(),
            name: name.clone(),
            current: c[0],
            comparison: c[1],
            partner: c[2],
        });
    }
    if s.police[0].weapon_recorded == 0 && d.weapon {
        s.notes.push("No police record in the assessment period has the weapon flag recorded (the extract's optional `weapon` column), so the weapon part of the definition finds nothing; the offence codes still apply.".into());
    }
    if s.partner[0].attendances == 0 {
        s.notes.push(format!(
            "No partner incidents match the hospital and ambulance selection ({}) in the assessment period; ingest them with `csa ingest --incidents NAME=FILE` (or `[inputs] incidents`).",
            d.partner
        ));
    }
    if !comparison_covered {
        s.notes.push(format!(
            "The data do not cover the whole comparison period {}, so no comparison is shown.",
            periods[1]
        ));
    }
    let unknown_time = s.police[0].crimes - s.police[0].nte_known;
    if unknown_time > 0 {
        s.notes.push(format!(
            "{unknown_time} serious violence records have no time of day; the night-time economy share is of the {} that have one (or an NTE location type).",
            s.police[0].nte_known
        ));
    }
    Ok(s)
}

/// A hot cell of serious violence.
#[derive(Debug, Clone, PartialEq)]
pub struct HotCell {
    pub x: f64,
    pub y: f64,
    pub gi_z: f64,
    pub gi_bin: i8,
    pub crimes: u64,
    pub nte: u64,
    pub partner: u64,
}

/// Gi* hot cells of the police selection (bin 2 or 3), with their NTE part and the partner
/// attendances in the same cells; `None` with a reason when there are too few records.
pub fn hot_cells(
    a: &Assessment,
    d: &Definition,
    area: Option<&crate::hotspots::Area>,
    o: &crate::hotspots::HotspotOptions,
    min_crimes: usize,
) -> Result<std::result::Result<Vec<HotCell>, String>> {
    use crate::hotspots::{hotspots, points};
    let p = d.priority();
    let pts = points(a, &p, a.periods.current)?;
    if pts.xy.len() < min_crimes.max(1) {
        return Ok(Err(format!(
            "{} serious violence records with a position in {} (hot spots need {})",
            pts.xy.len(),
            a.periods.current,
            min_crimes.max(1)
        )));
    }
    let run = hotspots(a, &p, area, o)?;
    let (Some(grid), Some(cells)) = (&run.grid, &run.cells) else {
        return Ok(Err("the hot spot run has no grid".into()));
    };
    let crimes = &a.data.crimes;
    let (e, n) = (crimes.float(Col::Easting)?, crimes.float(Col::Northing)?);
    let (dow, hour, loc) =
        (crimes.int(Col::DayOfWeek)?, crimes.int(Col::Hour)?, crimes.text(Col::LocationType)?);
    let at = |rows: Vec<u32>, keep: &dyn Fn(usize) -> bool| -> Vec<[f64; 2]> {
        rows.into_iter()
            .map(|r| r as usize)
            .filter(|&r| e[r].is_finite() && n[r].is_finite() && keep(r))
            .map(|r| [e[r], n[r]])
            .collect()
    };
    let police = a.selector(&p)?.rows(crimes, a.periods.current);
    let nte_pts = at(police, &|r| d.nte.contains(dow[r], hour[r], loc.get(r)) == Some(true));
    let partner_pts =
        at(a.selector(&d.partner_priority())?.rows(crimes, a.periods.current), &|_| true);
    let nte_counts = grid.count(&nte_pts).counts;
    let partner_counts = grid.count(&partner_pts).counts;
    let col_f = |name: &str| -> Result<Vec<f64>> {
        let c = cells.column(name).map_err(crate::error::internal)?;
        let c = c.cast(&polars::prelude::DataType::Float64).map_err(crate::error::internal)?;
        Ok(c.f64().map_err(crate::error::internal)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    };
    let (z, bin, count) =
        (col_f(crate::names::GI_Z)?, col_f(crate::names::GI_BIN)?, col_f(crate::names::COUNT)?);
    let mut out = Vec::new();
    for i in 0..grid.len() {
        if bin[i] >= 2.0 {
            let c = grid.centre(i);
            out.push(HotCell {
                x: c[0],
                y: c[1],
                gi_z: z[i],
                gi_bin: bin[i] as i8,
                crimes: count[i] as u64,
                nte: u64::from(nte_counts[i]),
                partner: u64::from(partner_counts[i]),
            });
        }
    }
    out.sort_by(|a, b| b.gi_z.total_cmp(&a.gi_z).then(a.x.total_cmp(&b.x)));
    Ok(Ok(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> std::result::Result<Definition, String> {
        Config::parse(text, std::path::Path::new("sv.toml"))
            .map(|c| c.serious_violence)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_definition_is_read_and_checked() {
        let d = parse("[serious_violence]\noffence_codes = [\"5d\", \"34B\"]\nweapon = false\nlocation_types = [\"street\", \"pub\"]\nyoung_under = 18\nnte_nights = [\"Sat\"]\nnte_from_hour = 22\nnte_to_hour = 3\nnte_location_types = [\"licensed premises\"]\npartner_sources = [\"ed\"]\n").unwrap();
        assert_eq!(d.offence_codes, vec!["5D".to_string(), "34B".to_string()]);
        assert!(!d.weapon);
        assert_eq!(d.location_types, vec![LocationType::Street, LocationType::LicensedPremises]);
        assert_eq!(
            (d.young_under, d.nte.nights.clone(), d.nte.from_hour, d.nte.to_hour),
            (18, vec![6], 22, 3)
        );
        assert_eq!(d.partner.source, vec!["ed".to_string()]);
        assert_eq!(d.partner.record_kind, Some(RecordKind::Incident));
        // one part (codes), restricted to the location types, crimes only
        let f = d.priority().filter;
        assert_eq!((f.record_kind, f.any.len()), (Some(RecordKind::Crime), 1));
        assert_eq!(f.location_type, d.location_types);
        assert!(!f.mentions_incidents() && d.partner.asks_for_incidents());
        assert_eq!(
            d.nte.describe(),
            "Saturday nights from 22:00 to 03:00, and at licensed premises at any time"
        );
        // the default: codes and the weapon flag, any partner "assault"
        let d = Definition::default();
        assert_eq!(d.parts().len(), 2);
        assert_eq!(d.partner.category, vec!["assault".to_string()]);
        // mistakes name their line
        let e = parse("[serious_violence]\noffence_codes = [\"ZZ9\"]\n").unwrap_err();
        assert!(e.starts_with("sv.toml:2:") && e.contains("unknown offence code"), "{e}");
        let e = parse("[serious_violence]\nnte_to_hour = 24\n").unwrap_err();
        assert!(e.starts_with("sv.toml:2:") && e.contains("hour 24"), "{e}");
        let e = parse("[serious_violence]\noffence_codes = []\nweapon = false\n").unwrap_err();
        assert!(e.contains("defines nothing"), "{e}");
        let e = parse("[serious_violence]\nknife = true\n").unwrap_err();
        assert!(e.contains("knife"), "{e}");
    }

    #[test]
    fn night_time_economy_window() {
        let n = Nte::default();
        // Friday 20:00 in, Friday 19:59 out, Saturday 03:00 in (Friday night), Saturday
        // 04:00 out, Sunday 03:59 in (Saturday night), Monday 01:00 out (Sunday night)
        assert!(n.in_window(5, 20));
        assert!(!n.in_window(5, 19));
        assert!(n.in_window(6, 3));
        assert!(!n.in_window(6, 4));
        assert!(n.in_window(7, 3));
        assert!(!n.in_window(1, 1));
        assert!(n.in_window(6, 23));
        assert_eq!(n.contains(-1, -1, Some("licensed premises")), None);
        let pubs = Nte { location_types: vec![LocationType::LicensedPremises], ..Nte::default() };
        assert_eq!(pubs.contains(-1, -1, Some("licensed premises")), Some(true));
        assert_eq!(pubs.contains(2, 14, Some("street")), Some(false));
        let evening = Nte { nights: vec![3], from_hour: 18, to_hour: 22, location_types: vec![] };
        assert!(evening.in_window(3, 18) && !evening.in_window(3, 22) && !evening.in_window(4, 19));
    }
}
