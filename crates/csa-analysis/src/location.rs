//! Location tables beyond the ward breakdown: the top locations and the day-of-week x hour
//! matrix.
//!
//! **Top locations**: crimes of the priority in the current period grouped by location, where
//! a location is the recorded description within one ward ("Allesley Old Road" in Woodlands
//! and in Westwood are two places; police.uk's "On or near Parking Area" is many). Records
//! without a description are grouped by their exact point (to the metre); records with
//! neither are left out. Each location gets its count, share of the priority's records, the
//! number of distinct points and their centroid (mean easting, northing). Ranked by count,
//! then description.
//!
//! **Day x hour**: one row per weekday (Monday first) with the count per hour committed
//! `h00`..`h23`, `time_unknown` for crimes with a date but no time, and the row total; a last
//! row counts crimes with no committed date.

use csa_model::Col;
use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::assessment::Assessment;
use crate::breakdown::{float_col, int_col, round2, select, text_col};
use crate::config::{weekday_name, Priority};
use crate::error::{internal, Result};
use crate::names;
use crate::needs::Needs;

/// What [`top_locations`] of `p` needs loaded.
pub fn top_locations_needs(p: &Priority) -> Needs {
    Needs::for_priority(p).with([Col::LocationDesc, Col::Easting, Col::Northing, Col::WardName])
}

/// What [`day_hour`] of `p` needs loaded.
pub fn day_hour_needs(p: &Priority) -> Needs {
    Needs::for_priority(p).with([Col::DayOfWeek, Col::Hour])
}

pub fn top_locations(a: &Assessment, p: &Priority, n: usize) -> Result<DataFrame> {
    let crimes = &a.data.crimes;
    let s = select(a, p)?;
    let desc = crimes.text(Col::LocationDesc)?;
    let (e, no) = (crimes.float(Col::Easting)?, crimes.float(Col::Northing)?);
    let (ward_codes, wards) = (crimes.text(Col::WardCode)?, crimes.text(Col::WardName)?);
    #[derive(Default)]
    struct Place {
        count: u64,
        row: u32,
        sum_e: f64,
        sum_n: f64,
        located: u64,
        points: FxHashSet<(i64, i64)>,
    }
    // key: (description code, ward code) or, without a description, (0, 0, point)
    let mut groups: FxHashMap<(u32, u32, i64, i64), Place> = FxHashMap::default();
    for &r in &s.current {
        let r = r as usize;
        let has_point = !e[r].is_nan() && !no[r].is_nan();
        let point = if has_point {
            (e[r].round() as i64, no[r].round() as i64)
        } else {
            (i64::MIN, i64::MIN)
        };
        let key = match desc.codes[r] {
            0 if !has_point => continue,
            0 => (0, 0, point.0, point.1),
            d => (d, ward_codes.codes[r], 0, 0),
        };
        let g = groups.entry(key).or_insert_with(|| Place { row: r as u32, ..Place::default() });
        g.count += 1;
        if has_point {
            g.sum_e += e[r];
            g.sum_n += no[r];
            g.located += 1;
            g.points.insert(point);
        }
    }
    let total = s.current.len() as f64;
    let mut ranked: Vec<((u32, u32, i64, i64), Place)> = groups.into_iter().collect();
    let label = |code: u32| {
        if code == 0 {
            "(no description)".to_string()
        } else {
            desc.values[code as usize - 1].clone()
        }
    };
    ranked.sort_by(|x, y| {
        y.1.count
            .cmp(&x.1.count)
            .then_with(|| label(x.0 .0).cmp(&label(y.0 .0)))
            .then(x.0.cmp(&y.0))
    });
    ranked.truncate(n);
    let mean = |sum: f64, n: u64| (n > 0).then(|| (sum / n as f64).round() as i64);
    DataFrame::new(
        ranked.len(),
        vec![
            text_col(names::LOCATION, ranked.iter().map(|(k, _)| Some(label(k.0)))),
            text_col(
                Col::WardName.name(),
                ranked.iter().map(|(_, g)| wards.get(g.row as usize).map(str::to_string)),
            ),
            int_col(names::COUNT, ranked.iter().map(|(_, g)| Some(g.count as i64))),
            float_col(
                names::SHARE_PCT,
                ranked
                    .iter()
                    .map(|(_, g)| (total > 0.0).then(|| round2(100.0 * g.count as f64 / total))),
            ),
            int_col(names::POINTS, ranked.iter().map(|(_, g)| Some(g.points.len() as i64))),
            int_col(names::EASTING, ranked.iter().map(|(_, g)| mean(g.sum_e, g.located))),
            int_col(names::NORTHING, ranked.iter().map(|(_, g)| mean(g.sum_n, g.located))),
        ],
    )
    .map_err(internal)
}

pub fn day_hour(a: &Assessment, p: &Priority) -> Result<DataFrame> {
    let crimes = &a.data.crimes;
    let s = select(a, p)?;
    let (dow, hour) = (crimes.int(Col::DayOfWeek)?, crimes.int(Col::Hour)?);
    // rows 0..7 = Monday..Sunday, 7 = no date; columns 0..24 = hours, 24 = no time
    let mut m = [[0i64; 25]; 8];
    for &r in &s.current {
        let r = r as usize;
        let d = if dow[r] >= 1 { dow[r] as usize - 1 } else { 7 };
        let h = if hour[r] >= 0 { hour[r] as usize } else { 24 };
        m[d][h] += 1;
    }
    let mut columns = vec![text_col(
        names::DAY_OF_WEEK,
        (0..8).map(|d| {
            Some(if d < 7 {
                weekday_name(d as u8 + 1).to_string()
            } else {
                "(no date committed)".into()
            })
        }),
    )];
    for h in 0..24 {
        columns.push(int_col(&format!("h{h:02}"), m.iter().map(|row| Some(row[h]))));
    }
    columns.push(int_col("time_unknown", m.iter().map(|row| Some(row[24]))));
    columns.push(int_col(names::COUNT, m.iter().map(|row| Some(row.iter().sum()))));
    DataFrame::new(8, columns).map_err(internal)
}
