//! csa synth: deterministic synthetic force extracts (crimes, victims, offenders) and
//! police.uk months over Coventry's real May 2025 wards, with known structure planted for
//! later analyses to find, written down in `ground_truth.json`:
//!
//! - offence mix in proportion to West Midlands Police's recorded crime 2017/18
//!   (`data/reference/offence_mix_west_midlands_2017-18.csv`), plus ASB incidents;
//! - seasonality (violence and ASB peak in summer, burglary in the dark months) and
//!   hour-of-day profiles per crime type;
//! - domestic abuse with repeat victims (a heavy-tailed victim pool) and, usually, the same
//!   perpetrator again;
//! - repeat and prolific offenders (heavy-tailed offender pool);
//! - night-time-economy violence on Friday and Saturday nights 22:00-03:00 around licensed
//!   premises in the city centre;
//! - a weapon flag on every possession of weapons offence, a quarter of robberies and some
//!   violence ([`weapon_of`]);
//! - near-repeat burglaries: follow-ons within 200 m and 14 days of an earlier burglary;
//! - planted hotspots per crime type (centre, radius, extra count);
//! - demographics close to Coventry's Census 2021 ethnic mix; a person keeps the same age,
//!   sex and ethnicity on every crime;
//! - a partner extract: ambulance assault attendances, most of them from the night-time
//!   economy violence ([`partner`]);
//! - re-offending: a panel of offenders per quarter and age band on a fixed schedule across
//!   years, and the exact proven re-offending of every cohort quarter ([`reoffending`]).
//!   People outside the panel are keyed by seed and year, so they never link across years.
//!
//! Records are generated in fixed-size chunks, each with its own stream of a seeded
//! generator, so the output is the same for a given seed whatever the thread count.

pub use csa_model::rng;
pub mod partner;
pub mod reoffending;
pub mod survey;
mod write;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use csa_geo::{AreaIndex, Boundaries};
use csa_model::{CrimeType, Ethnicity, LocationType, OffenceTable, Sex};
use geo::{BoundingRect, Intersects, Point};
use rayon::prelude::*;
use rng::{cumulative, splitmix, Rng};

pub use write::{write_extract, write_ground_truth, write_police_uk};

const WARDS: &str = include_str!("../../../data/boundaries/coventry-wards-2025.geojson");
const LSOAS: &str = include_str!("../../../data/boundaries/coventry-lsoa-2021.geojson");
const MIX: &str = include_str!("../../../data/reference/offence_mix_west_midlands_2017-18.csv");

/// Coventry city centre (Broadgate), lon/lat.
pub const CITY_CENTRE: (f64, f64) = (-1.5106, 52.4081);
const M_PER_DEG_LAT: f64 = 111_250.0;
const M_PER_DEG_LON: f64 = 67_950.0; // at 52.4 N
const CHUNK: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("shipped data is broken: {0}")]
    Shipped(String),
    #[error("--crimes must be at least 1")]
    NoCrimes,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub crimes: usize,
    pub asb: usize,
    pub seed: u64,
    pub year: i32,
}

/// A generated person on one crime.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub age: Option<i16>,
    pub sex: Sex,
    pub ethnicity: Ethnicity,
    pub relationship: Option<&'static str>,
}

/// A generated crime or ASB incident.
#[derive(Debug, Clone)]
pub struct SynthCrime {
    pub crime_ref: String,
    pub offence_code: Option<String>,
    pub crime_type: CrimeType,
    pub recorded_date: NaiveDate,
    pub committed_from: NaiveDateTime,
    pub committed_to: Option<NaiveDateTime>,
    pub lon: f64,
    pub lat: f64,
    pub easting: f64,
    pub northing: f64,
    pub ward: usize,
    pub location_type: LocationType,
    pub street: &'static str,
    pub domestic_abuse: bool,
    pub hate: [bool; 5],
    pub alcohol_related: bool,
    /// A weapon used or present (the extract's `weapon` column; [`weapon_of`]).
    pub weapon: bool,
    pub outcome: &'static str,
    pub victims: Vec<Person>,
    pub offenders: Vec<Person>,
    /// Index into [`GroundTruth::hotspots`] when planted there.
    pub hotspot: Option<usize>,
    pub nte: bool,
    pub near_repeat_of: Option<usize>,
}

/// A hotspot planted on purpose.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hotspot {
    pub crime_type: String,
    pub lon: f64,
    pub lat: f64,
    pub easting: f64,
    pub northing: f64,
    pub radius_m: f64,
    pub extra_count: u64,
}

/// What was planted, for tests and for checking analyses.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub year: i32,
    pub crimes: u64,
    pub asb: u64,
    pub hotspots: Vec<Hotspot>,
    pub nte_centre_lon: f64,
    pub nte_centre_lat: f64,
    pub nte_radius_m: f64,
    pub nte_crimes: u64,
    pub near_repeat_max_distance_m: f64,
    pub near_repeat_max_days: i64,
    pub near_repeat_burglaries: u64,
    pub domestic_abuse_crimes: u64,
    /// Crimes with the weapon flag ([`weapon_of`]).
    pub weapon_crimes: u64,
    /// The planted re-offending and every cohort quarter's proven re-offending.
    pub reoffending: reoffending::ReoffendingTruth,
    /// The synthetic ambulance attendances (`ambulance.csv`, [`partner`]).
    pub ambulance: partner::AmbulanceTruth,
}

/// The names of Coventry's wards (the areas of synthetic survey respondents).
pub fn ward_names() -> Result<Vec<String>, SynthError> {
    let wards = Boundaries::from_geojson(WARDS, "WD25CD", "WD25NM")
        .map_err(|e| SynthError::Shipped(e.to_string()))?;
    Ok(wards.areas.into_iter().map(|a| a.name).collect())
}

/// A whole synthetic year.
pub struct Synthetic {
    pub records: Vec<SynthCrime>,
    pub truth: GroundTruth,
    pub wards: Boundaries,
    pub lsoas: Boundaries,
}

struct World {
    wards: Boundaries,
    ward_boxes: Vec<(f64, f64, f64, f64)>,
    ward_cum: Vec<f64>,
    mix: Vec<(String, CrimeType, String)>,
    mix_cum: Vec<f64>,
    /// The offences of panel crimes (property and drug offences: never domestic abuse or
    /// night-time violence, whose own patterns are planted elsewhere): indices into `mix`.
    panel_mix: Vec<usize>,
    panel_cum: Vec<f64>,
    hotspots: Vec<(Hotspot, CrimeType, f64)>,
    pubs: Vec<(f64, f64)>,
    year: i32,
    seed: u64,
    n_total: usize,
}

/// Generates `opts.crimes` crimes and `opts.asb` ASB incidents.
pub fn generate(opts: &SynthOptions) -> Result<Synthetic, SynthError> {
    if opts.crimes == 0 {
        return Err(SynthError::NoCrimes);
    }
    let wards = Boundaries::from_geojson(WARDS, "WD25CD", "WD25NM")
        .map_err(|e| SynthError::Shipped(e.to_string()))?;
    let lsoas = Boundaries::from_geojson(LSOAS, "LSOA21CD", "LSOA21NM")
        .map_err(|e| SynthError::Shipped(e.to_string()))?;
    let offences = OffenceTable::shipped();
    let mut mix = Vec::new();
    let mut weights = Vec::new();
    for line in MIX.lines().skip(1) {
        let (code, n) = line
            .split_once(',')
            .ok_or_else(|| SynthError::Shipped(format!("offence mix line `{line}`")))?;
        let n: f64 = n
            .trim()
            .parse()
            .map_err(|_| SynthError::Shipped(format!("offence mix line `{line}`")))?;
        let info = offences.get(code).ok_or_else(|| {
            SynthError::Shipped(format!("offence mix code {code} not in reference"))
        })?;
        mix.push((info.code.clone(), info.crime_type, info.subgroup.clone()));
        weights.push(n);
    }
    let ward_boxes: Vec<_> = wards
        .areas
        .iter()
        .map(|a| {
            a.geometry
                .bounding_rect()
                .map_or((0.0, 0.0, 0.0, 0.0), |r| (r.min().x, r.min().y, r.max().x, r.max().y))
        })
        .collect();
    // residents are spread fairly evenly over Coventry's wards; the centre draws more crime
    let ward_cum =
        cumulative(wards.areas.iter().map(|a| if a.name == "St Michael's" { 2.0 } else { 1.0 }));
    let mut setup = Rng::new(opts.seed, u64::MAX);
    let n_total = opts.crimes + opts.asb;
    let panel_types = [
        CrimeType::Shoplifting,
        CrimeType::OtherTheft,
        CrimeType::Burglary,
        CrimeType::VehicleCrime,
        CrimeType::Drugs,
        CrimeType::TheftFromThePerson,
        CrimeType::BicycleTheft,
        CrimeType::PossessionOfWeapons,
    ];
    let panel_mix: Vec<usize> =
        (0..mix.len()).filter(|&i| panel_types.contains(&mix[i].1)).collect();
    let panel_cum = cumulative(panel_mix.iter().map(|&i| weights[i]));
    let mut w = World {
        wards,
        ward_boxes,
        ward_cum,
        mix_cum: cumulative(weights),
        mix,
        panel_mix,
        panel_cum,
        hotspots: Vec::new(),
        pubs: (0..8)
            .map(|_| offset(CITY_CENTRE, 350.0 * setup.f64().sqrt(), setup.f64()))
            .collect(),
        year: opts.year,
        seed: opts.seed,
        n_total,
    };
    // two hotspots per major type, each taking ~3% of that type
    let planted = [
        (CrimeType::Burglary, 0.035),
        (CrimeType::VehicleCrime, 0.035),
        (CrimeType::ViolenceAndSexualOffences, 0.02),
        (CrimeType::Robbery, 0.04),
        (CrimeType::CriminalDamageArson, 0.03),
        (CrimeType::AntiSocialBehaviour, 0.03),
        (CrimeType::Shoplifting, 0.03),
    ];
    for (t, share) in planted {
        for _ in 0..2 {
            let ward = setup.weighted(&w.ward_cum);
            let (lon, lat) = w.point_in_ward(ward, &mut setup);
            let (easting, northing) = csa_geo::lonlat_to_bng(lon, lat).unwrap_or((0.0, 0.0));
            let radius = 150.0 + 100.0 * setup.f64();
            let h = Hotspot {
                crime_type: t.name().into(),
                lon,
                lat,
                easting,
                northing,
                radius_m: radius.round(),
                extra_count: 0,
            };
            w.hotspots.push((h, t, share));
        }
    }
    // the panel crimes recorded this year count within --crimes
    let panel = reoffending::Panel::new(opts.crimes, opts.year);
    let planted: Vec<&reoffending::PanelEvent> =
        panel.events.iter().filter(|e| e.recorded.year() == opts.year).collect();
    let n_panel = planted.len().min(opts.crimes);
    let n_main = n_total - n_panel;
    let chunks = n_main.div_ceil(CHUNK);
    let mut records: Vec<SynthCrime> = (0..chunks)
        .into_par_iter()
        .flat_map_iter(|c| {
            let start = c * CHUNK;
            let end = (start + CHUNK).min(n_main);
            w.chunk(c as u64, start, end, opts.crimes - n_panel)
        })
        .collect();
    records.par_extend(
        planted[..n_panel]
            .par_iter()
            .enumerate()
            .map(|(j, e)| w.panel_crime(&panel, e, n_total + j)),
    );
    // crime references increase with the recorded date, as a force's would
    records.par_sort_by(|a, b| {
        (a.recorded_date, a.committed_from).cmp(&(b.recorded_date, b.committed_from))
    });
    let yy = opts.year.rem_euclid(100);
    for (i, r) in records.iter_mut().enumerate() {
        r.crime_ref = format!("CV{yy:02}/{:07}", i + 1);
        r.weapon = weapon_of(opts.seed, i, r);
    }
    let mut truth = GroundTruth {
        seed: opts.seed,
        year: opts.year,
        crimes: opts.crimes as u64,
        asb: opts.asb as u64,
        hotspots: w.hotspots.iter().map(|h| h.0.clone()).collect(),
        nte_centre_lon: CITY_CENTRE.0,
        nte_centre_lat: CITY_CENTRE.1,
        nte_radius_m: 600.0,
        nte_crimes: 0,
        near_repeat_max_distance_m: 200.0,
        near_repeat_max_days: 14,
        near_repeat_burglaries: 0,
        domestic_abuse_crimes: 0,
        weapon_crimes: 0,
        reoffending: reoffending::truth(&records, &panel, opts.year),
        ambulance: partner::AmbulanceTruth::default(),
    };
    for r in &records {
        if let Some(h) = r.hotspot {
            truth.hotspots[h].extra_count += 1;
        }
        truth.nte_crimes += r.nte as u64;
        truth.near_repeat_burglaries += r.near_repeat_of.is_some() as u64;
        truth.domestic_abuse_crimes += r.domestic_abuse as u64;
        truth.weapon_crimes += r.weapon as u64;
    }
    let wards = w.wards;
    let mut s = Synthetic { records, truth, wards, lsoas };
    s.truth.ambulance = partner::ambulance(&s).1;
    Ok(s)
}

/// Whether a weapon is recorded on record `i`: every possession of weapons offence, a
/// quarter of robberies, a tenth of night-time-economy violence, 3% of other violence outside
/// domestic abuse. Drawn from a hash of (seed, record), not the generator's streams, so the
/// other columns are the same with or without it.
pub fn weapon_of(seed: u64, i: usize, r: &SynthCrime) -> bool {
    let u = (splitmix(seed ^ 0x5EA9_0000_0000_0000 ^ splitmix(i as u64)) >> 11) as f64
        / (1u64 << 53) as f64;
    match r.crime_type {
        CrimeType::PossessionOfWeapons => true,
        CrimeType::Robbery => u < 0.25,
        CrimeType::ViolenceAndSexualOffences if r.nte => u < 0.10,
        CrimeType::ViolenceAndSexualOffences if !r.domestic_abuse => u < 0.03,
        _ => false,
    }
}

/// The point `metres` from `from` in direction `turn` (fraction of a full circle).
fn offset(from: (f64, f64), metres: f64, turn: f64) -> (f64, f64) {
    let a = turn * std::f64::consts::TAU;
    (from.0 + metres * a.cos() / M_PER_DEG_LON, from.1 + metres * a.sin() / M_PER_DEG_LAT)
}

const STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Avenue",
    "Mill Lane",
    "Queens Road",
    "London Road",
    "Holyhead Road",
    "Foleshill Road",
    "Walsgrave Road",
    "Binley Road",
    "Stoney Stanton Road",
    "Earlsdon Avenue",
    "Radford Road",
    "Allesley Old Road",
    "Tile Hill Lane",
    "Hearsall Lane",
    "Far Gosford Street",
    "Jubilee Crescent",
    "Broad Lane",
    "Sewall Highway",
    "Ansty Road",
    "Hipswell Highway",
    "Clay Lane",
    "Daventry Road",
    "Green Lane",
    "Kenilworth Road",
    "Spon End",
    "Longford Road",
    "Bell Green Road",
    "Tamworth Road",
    "Sutton Avenue",
];

const OUTCOMES: &[&str] = &[
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Status update unavailable",
    "Awaiting court outcome",
    "Offender given a caution",
    "Local resolution",
    "Further investigation is not in the public interest",
    "Action to be taken by another organisation",
];

impl World {
    fn point_in_ward(&self, ward: usize, rng: &mut Rng) -> (f64, f64) {
        let (x0, y0, x1, y1) = self.ward_boxes[ward];
        let geom = &self.wards.areas[ward].geometry;
        for _ in 0..1000 {
            let p = (x0 + (x1 - x0) * rng.f64(), y0 + (y1 - y0) * rng.f64());
            if geom.intersects(&Point::new(p.0, p.1)) {
                return p;
            }
        }
        ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    }

    /// A point uniform in the disc of `radius` metres round `centre`, clipped to Coventry.
    fn near(&self, centre: (f64, f64), radius: f64, rng: &mut Rng) -> (f64, f64) {
        for _ in 0..50 {
            let p = offset(centre, radius * rng.f64().sqrt(), rng.f64());
            if self.in_city(p) {
                return p;
            }
        }
        centre
    }

    fn in_city(&self, p: (f64, f64)) -> bool {
        self.wards.areas.iter().any(|a| a.geometry.intersects(&Point::new(p.0, p.1)))
    }

    fn random_date(&self, t: CrimeType, rng: &mut Rng) -> NaiveDate {
        // month weights: violence and ASB peak in summer; burglary and vehicle crime in winter
        let summer = [0.85, 0.85, 0.95, 1.0, 1.08, 1.15, 1.2, 1.15, 1.0, 0.95, 0.9, 0.92];
        let winter = [1.15, 1.05, 0.95, 0.85, 0.8, 0.8, 0.85, 0.9, 0.95, 1.1, 1.25, 1.3];
        let flat = [1.0; 12];
        let w = match t {
            CrimeType::ViolenceAndSexualOffences
            | CrimeType::AntiSocialBehaviour
            | CrimeType::PublicOrder => &summer,
            CrimeType::Burglary | CrimeType::VehicleCrime | CrimeType::Robbery => &winter,
            _ => &flat,
        };
        let days: Vec<f64> = (1..=12).map(|m| days_in_month(self.year, m) as f64).collect();
        let cum = cumulative((0..12).map(|i| w[i] * days[i]));
        let m = rng.weighted(&cum) as u32 + 1;
        let d = rng.below(days_in_month(self.year, m) as usize) as u32 + 1;
        NaiveDate::from_ymd_opt(self.year, m, d).unwrap_or_default()
    }

    fn random_hour(t: CrimeType, rng: &mut Rng) -> u32 {
        const NIGHT: [f64; 24] = [
            4., 3., 2.5, 1.5, 1., 0.8, 0.8, 1., 1.5, 2., 2.5, 3., 3.5, 3.5, 3.5, 4., 4.5, 5., 5.5,
            6., 6., 6., 5.5, 5.,
        ];
        const DAY: [f64; 24] = [
            0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1., 2., 4., 5., 6., 6., 6., 6., 6., 6., 5.5, 4., 3.,
            2., 1., 0.6, 0.4,
        ];
        const HOME: [f64; 24] = [
            2., 1.5, 1., 0.8, 0.8, 1., 1.5, 2.5, 3., 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 4., 4.5, 5.,
            5.5, 5.5, 5., 4., 3., 2.5,
        ];
        let w = match t {
            CrimeType::Shoplifting | CrimeType::TheftFromThePerson | CrimeType::BicycleTheft => {
                &DAY
            }
            CrimeType::Burglary | CrimeType::OtherTheft => &HOME,
            _ => &NIGHT,
        };
        rng.weighted(&cumulative(w.iter().copied())) as u32
    }

    fn location_type(t: CrimeType, subgroup: &str, da: bool, rng: &mut Rng) -> LocationType {
        use LocationType::*;
        let pick = |opts: &[(LocationType, f64)], rng: &mut Rng| {
            opts[rng.weighted(&cumulative(opts.iter().map(|o| o.1)))].0
        };
        if da {
            return pick(&[(Dwelling, 0.85), (Street, 0.1), (Other, 0.05)], rng);
        }
        match t {
            CrimeType::Burglary if subgroup == "Domestic burglary" => Dwelling,
            CrimeType::Burglary => {
                pick(&[(Shop, 0.3), (Other, 0.4), (Education, 0.1), (Dwelling, 0.2)], rng)
            }
            CrimeType::Shoplifting => Shop,
            CrimeType::VehicleCrime => pick(&[(Street, 0.6), (CarPark, 0.3), (Vehicle, 0.1)], rng),
            CrimeType::Robbery if subgroup.contains("business") => Shop,
            CrimeType::Robbery | CrimeType::TheftFromThePerson => pick(
                &[(Street, 0.7), (Transport, 0.15), (LicensedPremises, 0.1), (OpenSpace, 0.05)],
                rng,
            ),
            CrimeType::BicycleTheft => {
                pick(&[(Street, 0.5), (Education, 0.2), (Transport, 0.2), (Dwelling, 0.1)], rng)
            }
            CrimeType::CriminalDamageArson => pick(
                &[(Dwelling, 0.4), (Street, 0.25), (Vehicle, 0.2), (Education, 0.05), (Other, 0.1)],
                rng,
            ),
            CrimeType::Drugs | CrimeType::PossessionOfWeapons => {
                pick(&[(Street, 0.7), (OpenSpace, 0.15), (Vehicle, 0.1), (Other, 0.05)], rng)
            }
            CrimeType::AntiSocialBehaviour => pick(
                &[
                    (Street, 0.5),
                    (OpenSpace, 0.2),
                    (Dwelling, 0.15),
                    (Transport, 0.1),
                    (Shop, 0.05),
                ],
                rng,
            ),
            CrimeType::PublicOrder => {
                pick(&[(Street, 0.55), (LicensedPremises, 0.1), (Shop, 0.15), (Dwelling, 0.2)], rng)
            }
            CrimeType::ViolenceAndSexualOffences => pick(
                &[
                    (Street, 0.45),
                    (Dwelling, 0.2),
                    (LicensedPremises, 0.08),
                    (Education, 0.06),
                    (Transport, 0.06),
                    (Shop, 0.05),
                    (OpenSpace, 0.1),
                ],
                rng,
            ),
            _ => pick(&[(Other, 0.5), (Dwelling, 0.3), (Street, 0.2)], rng),
        }
    }

    /// Records `start..end` of the year; indices below `n_crimes` are crimes, the rest ASB.
    fn chunk(&self, c: u64, start: usize, end: usize, n_crimes: usize) -> Vec<SynthCrime> {
        let mut rng = Rng::new(self.seed, c);
        let mut out: Vec<SynthCrime> = Vec::with_capacity(end - start);
        let asb_type = [(String::new(), CrimeType::AntiSocialBehaviour, String::new())];
        while start + out.len() < end {
            let i = start + out.len();
            let (code, t, subgroup) =
                if i < n_crimes { &self.mix[rng.weighted(&self.mix_cum)] } else { &asb_type[0] };
            let prev = out.len().checked_sub(1);
            // a near-repeat follow-on: within 200 m and 1..14 days of the burglary just made
            if let Some(p) = prev.filter(|&p| {
                out[p].crime_type == CrimeType::Burglary
                    && out[p].location_type == LocationType::Dwelling
                    && out[p].near_repeat_of.is_none()
                    && i < n_crimes
                    && rng.chance(0.2)
            }) {
                let base = out[p].clone();
                let mut r = self.make(
                    &mut rng,
                    i,
                    base.offence_code.clone().unwrap_or_default(),
                    CrimeType::Burglary,
                    "Domestic burglary",
                );
                let pos = offset((base.lon, base.lat), 30.0 + 170.0 * rng.f64(), rng.f64());
                let days = 1 + rng.below(14) as i64;
                let from = base.committed_from + Duration::days(days);
                if from.year() == self.year && self.in_city(pos) {
                    r.committed_from = from;
                    r.recorded_date = from.date();
                    self.place(&mut r, pos);
                    r.near_repeat_of = Some(p);
                    r.hotspot = None;
                    out.push(r);
                    continue;
                }
            }
            let r = self.make(&mut rng, i, code.clone(), *t, subgroup);
            out.push(r);
        }
        out
    }

    /// A scheduled panel crime: its offence, place and hour from its own stream, its dates
    /// and offender from the schedule.
    fn panel_crime(
        &self,
        panel: &reoffending::Panel,
        e: &reoffending::PanelEvent,
        i: usize,
    ) -> SynthCrime {
        let mut rng = Rng::new(e.key, 0x0FF);
        let (code, t, subgroup) = &self.mix[self.panel_mix[rng.weighted(&self.panel_cum)]];
        let mut r = self.make(&mut rng, i, code.clone(), *t, subgroup);
        let hour = Self::random_hour(*t, &mut rng);
        let minute = rng.below(60) as u32;
        r.committed_from = e.committed.and_hms_opt(hour, minute, 0).unwrap_or_default();
        r.committed_to = None;
        r.recorded_date = e.recorded;
        let p = &panel.people[e.person];
        r.offenders = vec![Person {
            id: p.id.clone(),
            age: Some(p.age),
            sex: p.sex,
            ethnicity: p.ethnicity,
            relationship: None,
        }];
        r
    }

    fn place(&self, r: &mut SynthCrime, (lon, lat): (f64, f64)) {
        let (e, n) = csa_geo::lonlat_to_bng(lon, lat).unwrap_or((0.0, 0.0));
        r.lon = lon;
        r.lat = lat;
        r.easting = e.round();
        r.northing = n.round();
        r.ward = self
            .wards
            .areas
            .iter()
            .position(|a| a.geometry.intersects(&Point::new(lon, lat)))
            .unwrap_or(0);
    }

    fn make(
        &self,
        rng: &mut Rng,
        i: usize,
        code: String,
        t: CrimeType,
        subgroup: &str,
    ) -> SynthCrime {
        let is_violence = t == CrimeType::ViolenceAndSexualOffences;
        let da = match t {
            CrimeType::ViolenceAndSexualOffences => {
                rng.chance(if subgroup == "Stalking and harassment" { 0.45 } else { 0.3 })
            }
            CrimeType::CriminalDamageArson => rng.chance(0.08),
            _ => false,
        };
        let nte = is_violence && !da && subgroup != "Stalking and harassment" && rng.chance(0.12);
        let mut date = self.random_date(t, rng);
        let mut hour = Self::random_hour(t, rng);
        let mut pos = None;
        let mut hotspot = None;
        if nte {
            // Friday or Saturday night, 22:00 to 03:00, near a pub in the centre
            while !matches!(date.weekday(), Weekday::Fri | Weekday::Sat) {
                date = self.random_date(t, rng);
            }
            hour = [22, 23, 0, 1, 2][rng.weighted(&[3.0, 7.0, 11.0, 14.0, 16.0])];
            if hour < 22 {
                date = date.succ_opt().unwrap_or(date);
            }
            let pub_ = self.pubs[rng.below(self.pubs.len())];
            pos = Some(self.near(pub_, 120.0, rng));
        } else {
            for (k, (h, ht, share)) in self.hotspots.iter().enumerate() {
                if *ht == t && rng.chance(*share) {
                    // uniform within the radius
                    pos = Some(self.near((h.lon, h.lat), h.radius_m, rng));
                    hotspot = Some(k);
                    break;
                }
            }
        }
        let pos = pos.unwrap_or_else(|| {
            let centre_pull = match t {
                CrimeType::Shoplifting => 0.45,
                CrimeType::TheftFromThePerson => 0.5,
                CrimeType::Robbery | CrimeType::PublicOrder => 0.2,
                _ => 0.05,
            };
            if rng.chance(centre_pull) {
                self.near(CITY_CENTRE, 700.0, rng)
            } else {
                let ward = rng.weighted(&self.ward_cum);
                self.point_in_ward(ward, rng)
            }
        });
        let minute = rng.below(60) as u32;
        let committed_from = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
        let committed_to = (matches!(t, CrimeType::Burglary | CrimeType::VehicleCrime)
            && rng.chance(0.35))
        .then(|| committed_from + Duration::minutes(60 + rng.below(11 * 60) as i64));
        let lag = if rng.chance(0.8) { rng.below(2) } else { rng.below(30) } as i64;
        let recorded = (committed_from.date() + Duration::days(lag))
            .min(NaiveDate::from_ymd_opt(self.year, 12, 31).unwrap_or(date));
        let location_type = if nte {
            if rng.chance(0.55) {
                LocationType::LicensedPremises
            } else {
                LocationType::Street
            }
        } else {
            Self::location_type(t, subgroup, da, rng)
        };
        let mut hate = [false; 5];
        if matches!(
            t,
            CrimeType::PublicOrder
                | CrimeType::ViolenceAndSexualOffences
                | CrimeType::CriminalDamageArson
        ) && !da
            && rng.chance(0.04)
        {
            hate[rng.weighted(&[0.75, 0.83, 0.92, 0.97, 1.0])] = true;
            if rng.chance(0.08) {
                hate[1] = true;
            }
        }
        let alcohol = nte
            || (is_violence && rng.chance(0.15))
            || (t == CrimeType::PublicOrder && rng.chance(0.2));
        let (victims, offenders) = self.people(rng, i, t, da);
        let mut r = SynthCrime {
            crime_ref: String::new(),
            offence_code: (!code.is_empty()).then_some(code),
            crime_type: t,
            recorded_date: recorded,
            committed_from,
            committed_to,
            lon: 0.0,
            lat: 0.0,
            easting: 0.0,
            northing: 0.0,
            ward: 0,
            location_type,
            street: STREETS[(splitmix(
                self.seed
                    ^ ((pos.0 * 2000.0) as i64 as u64)
                    ^ ((pos.1 * 3000.0) as i64 as u64).rotate_left(32),
            ) % STREETS.len() as u64) as usize],
            domestic_abuse: da,
            hate,
            alcohol_related: alcohol,
            weapon: false,
            outcome: if t == CrimeType::AntiSocialBehaviour {
                ""
            } else {
                OUTCOMES[rng.weighted(&[40.0, 55.0, 65.0, 70.0, 75.0, 80.0, 86.0, 90.0, 100.0])]
            },
            victims,
            offenders,
            hotspot,
            nte,
            near_repeat_of: None,
        };
        self.place(&mut r, pos);
        r
    }

    fn people(
        &self,
        rng: &mut Rng,
        i: usize,
        t: CrimeType,
        da: bool,
    ) -> (Vec<Person>, Vec<Person>) {
        let n = self.n_total.max(1);
        let how_many = |rng: &mut Rng| {
            if rng.chance(0.88) {
                1
            } else if rng.chance(0.83) {
                2
            } else {
                3
            }
        };
        let victim_share = match t {
            CrimeType::ViolenceAndSexualOffences
            | CrimeType::Robbery
            | CrimeType::Burglary
            | CrimeType::TheftFromThePerson
            | CrimeType::BicycleTheft
            | CrimeType::VehicleCrime => 1.0,
            CrimeType::CriminalDamageArson => 0.7,
            CrimeType::OtherTheft | CrimeType::PublicOrder => 0.5,
            CrimeType::AntiSocialBehaviour => 0.25,
            _ => 0.0,
        };
        let offender_share = match t {
            _ if da => 0.8,
            CrimeType::ViolenceAndSexualOffences => 0.5,
            CrimeType::Drugs => 0.97,
            CrimeType::PossessionOfWeapons => 0.9,
            CrimeType::Shoplifting => 0.45,
            CrimeType::PublicOrder => 0.5,
            CrimeType::AntiSocialBehaviour => 0.3,
            CrimeType::Robbery => 0.2,
            CrimeType::CriminalDamageArson => 0.2,
            CrimeType::Burglary => 0.12,
            CrimeType::VehicleCrime => 0.08,
            _ => 0.1,
        };
        let mut victims = Vec::new();
        let mut offenders = Vec::new();
        let mut da_pool_index = None;
        if da {
            // heavy-tailed pool: some victims suffer many incidents in the year
            // about a third of DA victims suffer two or more incidents in the year
            let pool = (n / 8).max(10);
            let k = rng.zipf_like(pool, 1.5);
            da_pool_index = Some(k);
            victims.push(self.person(0xDA, k as u64, Role::DaVictim, None));
        } else if rng.chance(victim_share) {
            for v in 0..how_many(rng) {
                let (ns, k) = if rng.chance(0.12) {
                    (0x5E, rng.zipf_like((n / 15).max(10), 2.0) as u64)
                } else {
                    (0x11, (i as u64) * 4 + v)
                };
                victims.push(self.person(ns, k, Role::Victim, None));
            }
        }
        if rng.chance(offender_share) {
            if let Some(k) = da_pool_index {
                // usually the same (ex-)partner again
                let who = if rng.chance(0.85) { k as u64 } else { (i as u64) << 8 };
                let rel =
                    ["partner", "ex-partner", "family member"][rng.weighted(&[0.45, 0.85, 1.0])];
                offenders.push(self.person(0xD0, who, Role::DaOffender, Some(rel)));
            } else {
                for o in 0..how_many(rng) {
                    let (ns, k) = if rng.chance(0.55) {
                        (0x0F, rng.zipf_like((n / 8).max(10), 2.5) as u64)
                    } else {
                        (0x12, (i as u64) * 4 + o)
                    };
                    let rel = if victims.is_empty() {
                        None
                    } else {
                        Some(
                            ["stranger", "acquaintance", "unknown"][rng.weighted(&[0.5, 0.8, 1.0])],
                        )
                    };
                    offenders.push(self.person(ns, k, Role::Offender, rel));
                }
            }
        }
        (victims, offenders)
    }

    /// A person whose id, age, sex and ethnicity depend only on (namespace, index), the seed
    /// and the year (so two years never share a person by chance, whatever their seeds).
    fn person(&self, ns: u64, k: u64, role: Role, relationship: Option<&'static str>) -> Person {
        let year = splitmix(0x7EA2 ^ self.year as u64);
        let h = splitmix(self.seed ^ splitmix(ns << 56 ^ k) ^ year);
        let mut r = Rng::new(h, ns);
        let id = format!("P{:012X}", h >> 16);
        let female = match role {
            Role::DaVictim => 0.78,
            Role::DaOffender => 0.18,
            Role::Victim => 0.46,
            Role::Offender => 0.16,
        };
        let sex = if r.chance(0.02) {
            Sex::Unknown
        } else if r.chance(female) {
            Sex::Female
        } else {
            Sex::Male
        };
        let age = match role {
            Role::Victim | Role::DaVictim => 34.0 + 15.0 * r.normal(),
            Role::Offender | Role::DaOffender => 29.0 + 10.0 * r.normal(),
        };
        let min_age = if matches!(role, Role::Offender | Role::DaOffender) { 10.0 } else { 0.0 };
        let age = (!r.chance(0.04)).then_some(age.clamp(min_age, 95.0).round() as i16);
        // Coventry, Census 2021: White 65.5%, Asian 18.5%, Black 8.9%, Mixed 3.4%, Other 3.7%
        let eth = [
            Ethnicity::White,
            Ethnicity::Asian,
            Ethnicity::Black,
            Ethnicity::Mixed,
            Ethnicity::Other,
            Ethnicity::NotStated,
        ][r.weighted(&cumulative([63.5, 18.0, 8.6, 3.3, 3.6, 3.0]))];
        Person { id, age, sex, ethnicity: eth, relationship }
    }
}

#[derive(Clone, Copy)]
enum Role {
    Victim,
    Offender,
    DaVictim,
    DaOffender,
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

/// LSOA (code, name) of each record, by point in polygon over the shipped Coventry LSOAs.
pub fn lsoa_of(s: &Synthetic) -> Vec<Option<(String, String)>> {
    let idx = AreaIndex::new(s.lsoas.clone());
    s.records
        .par_iter()
        .map(|r| {
            idx.locate(r.lon, r.lat)
                .map(|i| (idx.areas()[i].code.clone(), idx.areas()[i].name.clone()))
        })
        .collect()
}

/// Coventry's ward boundaries (compiled in): the default map of `csa consultation`.
pub fn shipped_ward_boundaries() -> Result<Boundaries, SynthError> {
    Boundaries::from_geojson(WARDS, "WD25CD", "WD25NM")
        .map_err(|e| SynthError::Shipped(e.to_string()))
}
