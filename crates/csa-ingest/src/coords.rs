//! Reading coordinates from text fields and checking they lie in Great Britain. Whichever of
//! lon/lat or easting/northing is given, the other is derived (see `csa_geo::bng`).

use csa_model::Reason;

/// A located point in both coordinate systems.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub lon: f64,
    pub lat: f64,
    pub easting: f64,
    pub northing: f64,
}

/// Why coordinates were rejected: reason, field, value, detail.
pub type CoordProblem = (Reason, &'static str, String, String);

fn number(field: &'static str, s: &str) -> Result<f64, CoordProblem> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
        (
            Reason::NonNumericCoordinates,
            field,
            s.to_string(),
            format!("{field} `{s}` is not a number"),
        )
    })
}

/// Parses lon/lat given as text. `Ok(None)` when both are empty.
pub fn from_lonlat(
    lon: &str,
    lat: &str,
    lon_field: &'static str,
    lat_field: &'static str,
) -> Result<Option<Position>, CoordProblem> {
    let (lon_s, lat_s) = (lon.trim(), lat.trim());
    if lon_s.is_empty() && lat_s.is_empty() {
        return Ok(None);
    }
    if lon_s.is_empty() || lat_s.is_empty() {
        let (field, other) =
            if lon_s.is_empty() { (lon_field, lat_field) } else { (lat_field, lon_field) };
        return Err((
            Reason::MissingCoordinates,
            field,
            String::new(),
            format!("{field} is empty but {other} is not"),
        ));
    }
    let lon = number(lon_field, lon_s)?;
    let lat = number(lat_field, lat_s)?;
    if !csa_geo::in_great_britain_lonlat(lon, lat) {
        return Err((
            Reason::OutsideGreatBritain,
            lon_field,
            format!("{lon_s} {lat_s}"),
            format!("lon {lon_s}, lat {lat_s} is outside Great Britain (swapped columns?)"),
        ));
    }
    let (easting, northing) = csa_geo::lonlat_to_bng(lon, lat).ok_or_else(|| {
        (
            Reason::OutsideGreatBritain,
            lon_field,
            format!("{lon_s} {lat_s}"),
            format!("lon {lon_s}, lat {lat_s} is off the national grid"),
        )
    })?;
    Ok(Some(Position { lon, lat, easting, northing }))
}

/// Parses easting/northing given as text. `Ok(None)` when both are empty.
pub fn from_bng(e: &str, n: &str) -> Result<Option<Position>, CoordProblem> {
    let (e_s, n_s) = (e.trim(), n.trim());
    if e_s.is_empty() && n_s.is_empty() {
        return Ok(None);
    }
    if e_s.is_empty() || n_s.is_empty() {
        let field = if e_s.is_empty() { "easting" } else { "northing" };
        return Err((
            Reason::MissingCoordinates,
            field,
            String::new(),
            format!("{field} is empty but the other is not"),
        ));
    }
    let easting = number("easting", e_s)?;
    let northing = number("northing", n_s)?;
    if !csa_geo::in_great_britain_bng(easting, northing) {
        return Err((
            Reason::OutsideGreatBritain,
            "easting",
            format!("{e_s} {n_s}"),
            format!("easting {e_s}, northing {n_s} is off the British National Grid"),
        ));
    }
    let (lon, lat) = csa_geo::bng_to_lonlat(easting, northing).ok_or_else(|| {
        (
            Reason::OutsideGreatBritain,
            "easting",
            format!("{e_s} {n_s}"),
            format!("easting {e_s}, northing {n_s} is outside the OSTN15 grid"),
        )
    })?;
    if !csa_geo::in_great_britain_lonlat(lon, lat) {
        return Err((
            Reason::OutsideGreatBritain,
            "easting",
            format!("{e_s} {n_s}"),
            format!("easting {e_s}, northing {n_s} is outside Great Britain"),
        ));
    }
    Ok(Some(Position { lon, lat, easting, northing }))
}
