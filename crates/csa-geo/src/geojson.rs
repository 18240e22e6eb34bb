//! Writing GeoJSON (RFC 7946: EPSG:4326 lon/lat, which QGIS and web maps read directly) from
//! geometries in British National Grid metres. Coordinates are converted with
//! [`crate::bng_to_lonlat`] and rounded to 7 decimals (about 1 cm).

use geo::{Geometry, LineString, Polygon};
use serde_json::{json, Map, Value};

fn position(x: f64, y: f64) -> Value {
    match crate::bng_to_lonlat(x, y) {
        Some((lon, lat)) => json!([round7(lon), round7(lat)]),
        None => Value::Null,
    }
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn ring(l: &LineString<f64>) -> Value {
    Value::Array(l.coords().map(|c| position(c.x, c.y)).collect())
}

fn polygon(p: &Polygon<f64>) -> Value {
    let mut rings = vec![ring(p.exterior())];
    rings.extend(p.interiors().iter().map(ring));
    Value::Array(rings)
}

/// A GeoJSON geometry object for a BNG geometry (points, lines, polygons and their multis;
/// anything else is null).
pub fn geometry(g: &Geometry<f64>) -> Value {
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": position(p.x(), p.y())}),
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": ring(l)}),
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": polygon(p)}),
        Geometry::MultiPolygon(m) => {
            json!({"type": "MultiPolygon", "coordinates": m.0.iter().map(polygon).collect::<Vec<_>>()})
        }
        Geometry::Rect(r) => geometry(&Geometry::Polygon(r.to_polygon())),
        Geometry::MultiPoint(m) => {
            json!({"type": "MultiPoint", "coordinates": m.0.iter().map(|p| position(p.x(), p.y())).collect::<Vec<_>>()})
        }
        _ => Value::Null,
    }
}

/// A FeatureCollection of BNG geometries with their properties.
pub fn feature_collection(
    features: impl IntoIterator<Item = (Geometry<f64>, Map<String, Value>)>,
) -> Value {
    let features: Vec<Value> = features
        .into_iter()
        .map(|(g, props)| json!({"type": "Feature", "geometry": geometry(&g), "properties": Value::Object(props)}))
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_in_lonlat() {
        // a 250 m cell near Coventry city centre
        let r = geo::Rect::new(
            geo::coord! {x: 433_250.0, y: 279_000.0},
            geo::coord! {x: 433_500.0, y: 279_250.0},
        );
        let mut props = Map::new();
        props.insert("count".into(), json!(3));
        let fc = feature_collection([(Geometry::Rect(r), props)]);
        let ring = &fc["features"][0]["geometry"]["coordinates"][0];
        assert_eq!(ring.as_array().map(Vec::len), Some(5));
        let lon = ring[0][0].as_f64().unwrap_or(0.0);
        let lat = ring[0][1].as_f64().unwrap_or(0.0);
        assert!((-1.53..-1.49).contains(&lon) && (52.39..52.42).contains(&lat), "{lon} {lat}");
        assert_eq!(fc["features"][0]["properties"]["count"], 3);
    }
}
