//! The ward's boundary, read from GeoJSON (RFC 7946) as the ward's GIS or the national land
//! data give it.
//!
//! Why by hand over `serde_json::Value`: the file comes from outside, so it is read defensively —
//! bounded in size and positions, every number checked, every wrong shape an error rather than
//! a panic — and only the few shapes a boundary can take are accepted.

use serde_json::{Map, Value};

use crate::{check_point, short, LatLon, MapError};

/// The largest boundary file read, in bytes (5 MiB).
pub const MAX_GEOJSON_BYTES: usize = 5 * 1024 * 1024;

/// The most positions a boundary may have, over all its rings.
pub const MAX_POSITIONS: usize = 200_000;

/// The ward's boundary: one or more rings, outer rings and holes alike. They are drawn with the
/// even-odd rule, so a hole inside an outer ring is left out whichever way it winds.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    /// Each ring's positions, at least three; the ring is closed when drawn.
    rings: Vec<Vec<LatLon>>,
}

impl Boundary {
    /// Reads a boundary from GeoJSON text: a bare Polygon or MultiPolygon geometry, a Feature
    /// with such a geometry, or a FeatureCollection of such Features. Positions are
    /// `[lon, lat]` (GeoJSON's order); elements after the second (altitude) are ignored.
    ///
    /// Refuses text over [`MAX_GEOJSON_BYTES`], more than [`MAX_POSITIONS`] positions, other
    /// geometry types (naming the type), rings of fewer than three positions, coordinates out
    /// of range, and a boundary without any ring.
    pub fn from_geojson(text: &str) -> Result<Boundary, MapError> {
        if text.len() > MAX_GEOJSON_BYTES {
            return Err(MapError::TooLarge { bytes: text.len() });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| MapError::Json(e.to_string()))?;
        let mut reader = Reader::default();
        let object = reader.typed(&value)?;
        match kind(object)? {
            "FeatureCollection" => {
                let features = object
                    .get("features")
                    .and_then(Value::as_array)
                    .ok_or_else(|| malformed("a FeatureCollection has no \"features\" array"))?;
                for feature in features {
                    reader.feature(feature)?;
                }
            }
            "Feature" => reader.feature(&value)?,
            _ => reader.geometry(&value)?,
        }
        Boundary::from_rings(reader.rings)
    }

    /// A boundary from rings already in degrees, checked as [`Boundary::from_geojson`] checks
    /// them (at least one ring, three positions or more each, coordinates in range, at most
    /// [`MAX_POSITIONS`] positions).
    pub fn from_rings(rings: Vec<Vec<LatLon>>) -> Result<Boundary, MapError> {
        if rings.is_empty() {
            return Err(MapError::EmptyBoundary);
        }
        if rings.iter().map(Vec::len).sum::<usize>() > MAX_POSITIONS {
            return Err(MapError::TooManyPositions {
                limit: MAX_POSITIONS,
            });
        }
        for (i, ring) in rings.iter().enumerate() {
            if ring.len() < 3 {
                return Err(malformed(&format!(
                    "ring {} has {} positions, fewer than 3",
                    i + 1,
                    ring.len()
                )));
            }
            for p in ring {
                check_point(&format!("boundary ring {}", i + 1), *p)?;
            }
        }
        Ok(Boundary { rings })
    }

    /// The rings, in the order read.
    pub fn rings(&self) -> &[Vec<LatLon>] {
        &self.rings
    }
}

/// The rings read so far, and how many positions they hold.
#[derive(Default)]
struct Reader {
    rings: Vec<Vec<LatLon>>,
    positions: usize,
}

impl Reader {
    /// A GeoJSON object: a JSON object with a string `type`.
    fn typed<'v>(&self, value: &'v Value) -> Result<&'v Map<String, Value>, MapError> {
        let object = value
            .as_object()
            .ok_or_else(|| malformed("expected an object with a \"type\""))?;
        kind(object)?;
        Ok(object)
    }

    /// A Feature whose geometry is a Polygon or a MultiPolygon.
    fn feature(&mut self, value: &Value) -> Result<(), MapError> {
        let object = self.typed(value)?;
        if kind(object)? != "Feature" {
            return Err(malformed(&format!(
                "expected a Feature, found {}",
                short(kind(object)?)
            )));
        }
        match object.get("geometry") {
            None | Some(Value::Null) => Err(malformed("a Feature has no geometry")),
            Some(geometry) => self.geometry(geometry),
        }
    }

    /// A Polygon or MultiPolygon geometry.
    fn geometry(&mut self, value: &Value) -> Result<(), MapError> {
        let object = self.typed(value)?;
        let kind = kind(object)?;
        let coordinates = || {
            object
                .get("coordinates")
                .and_then(Value::as_array)
                .ok_or_else(|| malformed(&format!("a {kind} has no \"coordinates\" array")))
        };
        match kind {
            "Polygon" => self.polygon(coordinates()?),
            "MultiPolygon" => {
                for polygon in coordinates()? {
                    let polygon = polygon
                        .as_array()
                        .ok_or_else(|| malformed("a MultiPolygon's polygon is not an array"))?;
                    self.polygon(polygon)?;
                }
                Ok(())
            }
            other => Err(MapError::UnsupportedGeometry(short(other))),
        }
    }

    /// A polygon's rings: arrays of `[lon, lat, …]` positions.
    fn polygon(&mut self, rings: &[Value]) -> Result<(), MapError> {
        for ring in rings {
            let ring = ring
                .as_array()
                .ok_or_else(|| malformed("a ring is not an array"))?;
            self.positions += ring.len();
            if self.positions > MAX_POSITIONS {
                return Err(MapError::TooManyPositions {
                    limit: MAX_POSITIONS,
                });
            }
            let ring = ring.iter().map(position).collect::<Result<Vec<_>, _>>()?;
            self.rings.push(ring);
        }
        Ok(())
    }
}

/// One position, `[lon, lat]` plus anything after, which is ignored.
fn position(value: &Value) -> Result<LatLon, MapError> {
    let numbers = value
        .as_array()
        .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)))
        .ok_or_else(|| malformed("a position is not an array of at least two numbers"))?;
    Ok(LatLon {
        lon: numbers.0,
        lat: numbers.1,
    })
}

/// An object's `type`.
fn kind(object: &Map<String, Value>) -> Result<&str, MapError> {
    object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("expected an object with a string \"type\""))
}

fn malformed(what: &str) -> MapError {
    MapError::Malformed(what.to_string())
}
