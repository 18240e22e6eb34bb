//! Boundary polygons (wards, LSOAs) read from a GeoJSON FeatureCollection.
//!
//! Each feature needs a code property and a name property (configurable; the shipped ward
//! files use `WD25CD` / `WD25NM`) and a Polygon or MultiPolygon geometry. Coordinates are
//! lon/lat (RFC 7946); a file that declares EPSG:27700 in a legacy `crs` member is read as
//! British National Grid and converted.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

/// One named area.
#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub name: String,
    /// Outline in lon/lat degrees.
    pub geometry: MultiPolygon<f64>,
}

/// A set of areas in file order.
#[derive(Debug, Clone)]
pub struct Boundaries {
    pub areas: Vec<Area>,
    pub code_property: String,
    pub name_property: String,
}

/// Why a boundary file could not be used. `feature` is the 0-based index in `features`.
#[derive(Debug, thiserror::Error)]
pub enum BoundaryError {
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a GeoJSON FeatureCollection (no `features` array)")]
    NotFeatureCollection,
    #[error("contains no features")]
    Empty,
    #[error("feature {feature} has no property `{property}` (properties present: {present}); pass the right name with --ward-code-prop / --ward-name-prop")]
    MissingProperty { feature: usize, property: String, present: String },
    #[error("feature {feature}: {message}")]
    BadGeometry { feature: usize, message: String },
    #[error("feature {feature}: property `{property}` holds a control character ({value:?})")]
    ControlCharacter { feature: usize, property: String, value: String },
    #[error("area code `{code}` appears in features {first} and {second}")]
    DuplicateCode { code: String, first: usize, second: usize },
}

impl Boundaries {
    /// Parses GeoJSON text.
    pub fn from_geojson(
        text: &str,
        code_property: &str,
        name_property: &str,
    ) -> Result<Boundaries, BoundaryError> {
        let root: Value = serde_json::from_str(text)?;
        let features = root
            .get("features")
            .and_then(Value::as_array)
            .ok_or(BoundaryError::NotFeatureCollection)?;
        if features.is_empty() {
            return Err(BoundaryError::Empty);
        }
        let is_bng = root
            .pointer("/crs/properties/name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.contains("27700"));
        let mut areas = Vec::with_capacity(features.len());
        let mut seen = std::collections::HashMap::new();
        for (i, f) in features.iter().enumerate() {
            let props = f.get("properties").and_then(Value::as_object);
            let prop = |p: &str| -> Result<String, BoundaryError> {
                let v = props.and_then(|m| m.get(p)).and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
                v.ok_or_else(|| BoundaryError::MissingProperty {
                    feature: i,
                    property: p.to_string(),
                    present: props.map_or_else(String::new, |m| {
                        m.keys().cloned().collect::<Vec<_>>().join(", ")
                    }),
                })
            };
            let code = prop(code_property)?;
            let name = prop(name_property)?;
            // codes and names go into every crime's ward columns: none may hold a control
            // character (tab aside)
            for (property, value) in [(code_property, &code), (name_property, &name)] {
                if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
                    return Err(BoundaryError::ControlCharacter {
                        feature: i,
                        property: property.to_string(),
                        value: value.clone(),
                    });
                }
            }
            let geometry = parse_geometry(f.get("geometry"), is_bng)
                .map_err(|message| BoundaryError::BadGeometry { feature: i, message })?;
            if let Some(first) = seen.insert(code.clone(), i) {
                return Err(BoundaryError::DuplicateCode { code, first, second: i });
            }
            areas.push(Area { code, name, geometry });
        }
        Ok(Boundaries {
            areas,
            code_property: code_property.to_string(),
            name_property: name_property.to_string(),
        })
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}

fn parse_geometry(g: Option<&Value>, is_bng: bool) -> Result<MultiPolygon<f64>, String> {
    let g = g.filter(|g| !g.is_null()).ok_or("geometry is missing")?;
    let kind = g.get("type").and_then(Value::as_str).ok_or("geometry has no type")?;
    let coords = g.get("coordinates").ok_or("geometry has no coordinates")?;
    let polys = match kind {
        "Polygon" => vec![parse_polygon(coords, is_bng)?],
        "MultiPolygon" => coords
            .as_array()
            .ok_or("MultiPolygon coordinates are not an array")?
            .iter()
            .map(|p| parse_polygon(p, is_bng))
            .collect::<Result<Vec<_>, _>>()?,
        other => return Err(format!("geometry type {other} is not a Polygon or MultiPolygon")),
    };
    Ok(MultiPolygon(polys))
}

fn parse_polygon(v: &Value, is_bng: bool) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon is not an array of rings")?;
    let mut rings = rings.iter().map(|r| parse_ring(r, is_bng));
    let exterior = rings.next().ok_or("polygon has no rings")??;
    let interiors = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn parse_ring(v: &Value, is_bng: bool) -> Result<LineString<f64>, String> {
    let pts = v.as_array().ok_or("ring is not an array of positions")?;
    if pts.len() < 4 {
        return Err(format!("ring has {} positions; a closed ring needs at least 4", pts.len()));
    }
    let mut coords = Vec::with_capacity(pts.len());
    for p in pts {
        let xy = p.as_array().filter(|a| a.len() >= 2).ok_or("position is not [x, y]")?;
        let x = xy[0].as_f64().ok_or("position x is not a number")?;
        let y = xy[1].as_f64().ok_or("position y is not a number")?;
        let (x, y) = if is_bng {
            crate::bng::bng_to_lonlat(x, y)
                .ok_or_else(|| format!("position ({x}, {y}) is off the national grid"))?
        } else {
            (x, y)
        };
        coords.push(Coord { x, y });
    }
    Ok(LineString::new(coords))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"CD":"E05000001","NM":"North"},
       "geometry":{"type":"Polygon","coordinates":[[[0,1],[1,1],[1,2],[0,2],[0,1]]]}},
      {"type":"Feature","properties":{"CD":"E05000002","NM":"South"},
       "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]]]}}]}"#;

    #[test]
    fn reads_polygons_and_multipolygons() {
        let b = Boundaries::from_geojson(SQUARE, "CD", "NM").expect("parse");
        assert_eq!(b.len(), 2);
        assert_eq!(b.areas[1].name, "South");
    }

    #[test]
    fn missing_property_lists_what_is_there() {
        let e = Boundaries::from_geojson(SQUARE, "WD25CD", "NM")
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains("WD25CD") && e.contains("CD, NM"), "{e}");
    }
}
