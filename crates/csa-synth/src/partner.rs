//! A synthetic partner extract: ambulance attendances (`ambulance.csv[.gz]`), written beside
//! the synthetic force extract and read by `csa ingest --incidents ambulance=...` through
//! the `[incidents.ambulance]` mapping of `data/demo/partner-mapping.toml` (the columns are
//! named as an ambulance trust might name them, to exercise the mapping).
//!
//! What is planted, with its truth in `ground_truth.json` (member `ambulance`):
//! - an `ASSAULT` attendance for 40% of the night-time-economy violence crimes (Friday and
//!   Saturday nights near city-centre pubs), at the crime's point, 5 to 34 minutes after
//!   it was committed, the patient the crime's first victim (age, sex);
//! - an `ASSAULT` attendance for 4% of the other violence crimes (not domestic abuse);
//! - one in five assault attendances records a weapon (`WEAPON = Y`: stab or blunt injury);
//! - `FALL`, `BREATHING` and `CHEST PAIN` attendances (non-assault) at the points of a 6%
//!   sample of all records, at random times of the year, ages 0 to 95.
//!
//! Draws are hashes of (seed, record index, purpose), not the generator's streams, so the
//! force extract is the same bytes with or without the partner file.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike};
use csa_model::{CrimeType, Sex};

use crate::rng::splitmix;
use crate::Synthetic;

/// One attendance.
#[derive(Debug, Clone)]
pub struct Attendance {
    pub id: String,
    pub at: NaiveDateTime,
    pub category: &'static str,
    pub easting: f64,
    pub northing: f64,
    pub age: Option<i16>,
    pub sex: Option<Sex>,
    pub weapon: bool,
    /// The crime it was planted from, and whether that was night-time-economy violence.
    pub from_nte: bool,
}

/// What the ambulance file holds, counted here from the attendances themselves.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AmbulanceTruth {
    pub attendances: u64,
    pub assaults: u64,
    /// Assaults planted from night-time-economy violence.
    pub assaults_from_nte: u64,
    /// Assaults in the night-time-economy window: Friday or Saturday 20:00 to 04:00 the
    /// next morning (a time before 04:00 on Saturday or Sunday).
    pub assaults_in_nte_window: u64,
    /// Assaults with a weapon recorded.
    pub assaults_with_weapon: u64,
    /// Assault patients under 25.
    pub assaults_under_25: u64,
}

/// Whether a date-time falls in the default night-time-economy window (Friday or Saturday
/// 20:00 to 04:00 the next morning), written out here without csa-analysis.
pub fn in_nte_window(t: NaiveDateTime) -> bool {
    let (dow, hour) = (t.weekday().number_from_monday(), t.hour());
    (matches!(dow, 5 | 6) && hour >= 20) || (matches!(dow, 6 | 7) && hour < 4)
}

fn unit(seed: u64, i: usize, salt: u64) -> f64 {
    (splitmix(seed ^ splitmix((i as u64) ^ (salt << 48))) >> 11) as f64 / (1u64 << 53) as f64
}

/// The attendances of a synthetic year, in time order, and their truth.
pub fn ambulance(s: &Synthetic) -> (Vec<Attendance>, AmbulanceTruth) {
    let seed = s.truth.seed ^ 0xA3B1_0000_0000_0000;
    let year = s.truth.year;
    let yy = year.rem_euclid(100);
    let mut out = Vec::new();
    for (i, r) in s.records.iter().enumerate() {
        let violent = r.crime_type == CrimeType::ViolenceAndSexualOffences && !r.domestic_abuse;
        let p = if r.nte {
            0.40
        } else if violent {
            0.04
        } else {
            0.0
        };
        if unit(seed, i, 1) < p {
            let victim = r.victims.first();
            out.push(Attendance {
                id: String::new(),
                at: r.committed_from + Duration::minutes(5 + (unit(seed, i, 2) * 30.0) as i64),
                category: "ASSAULT",
                easting: r.easting,
                northing: r.northing,
                age: victim.and_then(|v| v.age),
                sex: victim.map(|v| v.sex),
                weapon: unit(seed, i, 3) < 0.2,
                from_nte: r.nte,
            });
        }
        if unit(seed, i, 4) < 0.06 {
            let day = (unit(seed, i, 5) * 365.0) as i64;
            let minute = (unit(seed, i, 6) * 1440.0) as i64;
            let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default();
            let at = (start + Duration::days(day) + Duration::minutes(minute))
                .min(start + Duration::days(364) + Duration::minutes(1439));
            let category =
                ["FALL", "BREATHING", "CHEST PAIN"][(unit(seed, i, 7) * 3.0) as usize % 3];
            out.push(Attendance {
                id: String::new(),
                at,
                category,
                easting: r.easting,
                northing: r.northing,
                age: Some((unit(seed, i, 8) * 96.0) as i16),
                sex: Some(if unit(seed, i, 9) < 0.5 { Sex::Female } else { Sex::Male }),
                weapon: false,
                from_nte: false,
            });
        }
    }
    // planted times may run past the year's end by minutes: kept in the year
    let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 0))
        .unwrap_or_default();
    for a in &mut out {
        a.at = a.at.min(last);
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.easting.total_cmp(&b.easting)));
    let mut truth = AmbulanceTruth::default();
    for (k, a) in out.iter_mut().enumerate() {
        a.id = format!("AMB{yy:02}-{:06}", k + 1);
        truth.attendances += 1;
        if a.category == "ASSAULT" {
            truth.assaults += 1;
            truth.assaults_from_nte += u64::from(a.from_nte);
            truth.assaults_in_nte_window += u64::from(in_nte_window(a.at));
            truth.assaults_with_weapon += u64::from(a.weapon);
            truth.assaults_under_25 += u64::from(a.age.is_some_and(|x| x < 25));
        }
    }
    (out, truth)
}

/// The file's text: the columns an ambulance trust might use (see the module header).
pub fn ambulance_csv(rows: &[Attendance]) -> String {
    let mut s = String::from(
        "INCIDENT_NO,CALL_DATETIME,CATEGORY,EASTING,NORTHING,PATIENT_AGE,PATIENT_SEX,WEAPON\n",
    );
    for a in rows {
        let sex = match a.sex {
            Some(Sex::Male) => "M",
            Some(Sex::Female) => "F",
            _ => "",
        };
        s.push_str(&format!(
            "{},{},{},{:.0},{:.0},{},{},{}\n",
            a.id,
            a.at.format("%d/%m/%Y %H:%M"),
            a.category,
            a.easting,
            a.northing,
            a.age.map(|x| x.to_string()).unwrap_or_default(),
            sex,
            if a.weapon { "Y" } else { "N" }
        ));
    }
    s
}
