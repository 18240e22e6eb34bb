//! lon/lat (WGS84 / ETRS89) <-> British National Grid (OSGB36, EPSG:27700).
//!
//! Uses the `lonlat_bng` crate, which applies Ordnance Survey's OSTN15 transformation grid:
//! ETRS89 lon/lat -> transverse Mercator on GRS80 -> OSTN15 shift (bilinear in the 1 km grid)
//! -> OSGB36 easting/northing, rounded to 1 mm. OSTN15 is Ordnance Survey's definition of the
//! national grid for satellite positions.
//!
//! **Accuracy: within 2 cm of Ordnance Survey's test points TP01-TP24**, both directions
//! (`tests/bng.rs`; measured residual +11..13 mm easting, +1..3 mm northing, uniform).
//! WGS84 and ETRS89 differ by well under a metre in the UK (we treat them as equal), which is
//! far below police.uk's snap-point anonymisation (tens of metres). The inverse is the
//! iterative inverse of the same transformation.
//!
//! Points outside the OSTN15 grid (well offshore) have no BNG position: `None`.

/// Bounding box of Great Britain in lon/lat, used to reject impossible coordinates.
pub const GB_LON: (f64, f64) = (-8.75, 1.80);
pub const GB_LAT: (f64, f64) = (49.80, 60.95);
/// The extent of the national grid in metres.
pub const GB_EASTING: (f64, f64) = (0.0, 700_000.0);
pub const GB_NORTHING: (f64, f64) = (0.0, 1_250_000.0);

/// Whether lon/lat lies in the Great Britain bounding box.
pub fn in_great_britain_lonlat(lon: f64, lat: f64) -> bool {
    (GB_LON.0..=GB_LON.1).contains(&lon) && (GB_LAT.0..=GB_LAT.1).contains(&lat)
}

/// Whether an easting/northing lies on the national grid.
pub fn in_great_britain_bng(easting: f64, northing: f64) -> bool {
    (GB_EASTING.0..=GB_EASTING.1).contains(&easting)
        && (GB_NORTHING.0..=GB_NORTHING.1).contains(&northing)
}

/// lon/lat in degrees -> (easting, northing) in metres; `None` outside the OSTN15 grid.
pub fn lonlat_to_bng(lon: f64, lat: f64) -> Option<(f64, f64)> {
    // far from the grid, lonlat_bng's cell index overflows (a panic in a debug build, a
    // wrong cell otherwise): no point that far off has a BNG position anyway
    if !((-20.0..=15.0).contains(&lon) && (40.0..=70.0).contains(&lat)) {
        return None;
    }
    lonlat_bng::convert_osgb36(lon, lat).ok().filter(|(e, n)| e.is_finite() && n.is_finite())
}

/// (easting, northing) in metres -> lon/lat in degrees; `None` outside the OSTN15 grid.
pub fn bng_to_lonlat(easting: f64, northing: f64) -> Option<(f64, f64)> {
    // off the grid, lonlat_bng's cell index overflows (found by fuzzing the boundaries
    // reader: a BNG GeoJSON with a huge coordinate)
    if !in_great_britain_bng(easting, northing) {
        return None;
    }
    lonlat_bng::convert_osgb36_to_ll(easting, northing)
        .ok()
        .filter(|(lon, lat)| lon.is_finite() && lat.is_finite())
}

/// A lon/lat outline in British National Grid metres (vertices outside the OSTN15 grid, which
/// no British boundary has, become NaN).
pub fn multipolygon_to_bng(mp: &geo::MultiPolygon<f64>) -> geo::MultiPolygon<f64> {
    use geo::MapCoords;
    mp.map_coords(|c| {
        let (x, y) = lonlat_to_bng(c.x, c.y).unwrap_or((f64::NAN, f64::NAN));
        geo::Coord { x, y }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_off_the_grid_is_none_not_a_panic() {
        assert_eq!(bng_to_lonlat(1e12, 5.0), None);
        assert_eq!(bng_to_lonlat(-1.0, 100.0), None);
        assert_eq!(bng_to_lonlat(f64::NAN, 100.0), None);
        assert_eq!(lonlat_to_bng(1e10, 52.0), None);
        assert_eq!(lonlat_to_bng(-1.5, -1e300), None);
        assert!(bng_to_lonlat(433_000.0, 279_000.0).is_some());
        assert!(lonlat_to_bng(-1.51, 52.41).is_some());
    }
}
