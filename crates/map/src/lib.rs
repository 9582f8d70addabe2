//! The ward's public layout map (配置図) of street cameras and signs, as an SVG string: where
//! each camera stands, which way it looks and how far (T2.1), where the signs stand (T2.2), and
//! the ward's boundary — the attachment T-map asks for.
//!
//! Why SVG with presentation attributes only: the same drawing goes inline into the public page,
//! whose Content Security Policy forbids `style` attributes and `<style>` elements, and into the
//! printed notice, where typst embeds it in a PDF. So there is no CSS, no script and no external
//! reference (no map tiles either: they would be a third party's server and licence).
//!
//! Why a pure crate: no I/O, no clock, no randomness. What goes in is plain data already in
//! words ([`MapInput`], with a [`Legend`] in the reader's language); the same input gives the
//! same bytes, so a published map can be hashed and drawn again. Every number is checked
//! ([`MapError`]) and every text is escaped, so no input makes it panic or inject markup.
//!
//! Why a flat projection: at ward scale (a few kilometres) a local equirectangular projection
//! ([`Projection`]) is exact enough, and it keeps metres and pixels at one scale in x and y.

#![warn(missing_docs)]

mod boundary;
mod geometry;
mod svg;

use serde::{Deserialize, Serialize};

pub use boundary::{Boundary, MAX_GEOJSON_BYTES, MAX_POSITIONS};
pub use geometry::{cone_path, Frame, Projection, DEFAULT_SPAN_M};

/// A point on the earth, in degrees (WGS 84, as GPS and GeoJSON give it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude, −90 (south) to 90 (north).
    pub lat: f64,
    /// Longitude, −180 (west) to 180 (east).
    pub lon: f64,
}

/// A camera as the map shows it: a dot, a label and a cone for what it sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapCamera {
    /// The camera's id in the policy; it becomes the SVG id `camera-{id}`.
    pub id: String,
    /// The short label printed next to the dot, e.g. `"1"`.
    pub label: String,
    /// The accessible name, e.g. `"cam1 駅前交差点 北東向き"`.
    pub title: String,
    /// Where the camera stands.
    pub at: LatLon,
    /// The shooting direction, in degrees clockwise from true north, 0 ≤ b < 360.
    pub bearing_deg: f64,
    /// The horizontal field of view in degrees, 0 < fov ≤ 360 (360: all around).
    pub fov_deg: f64,
    /// How far the cone reaches on the map, in metres, 0 < range ≤ 2000.
    pub range_m: f64,
}

/// A sign announcing the cameras (T2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSign {
    /// The sign's id; it becomes the SVG id `sign-{id}`.
    pub id: String,
    /// The short label printed next to the marker.
    pub label: String,
    /// The accessible name.
    pub title: String,
    /// Where the sign stands.
    pub at: LatLon,
}

/// The map's words, in the reader's language: the caller translates, this crate only draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Legend {
    /// The map's accessible name (the SVG's `<title>`).
    pub title: String,
    /// The map's accessible description (the SVG's `<desc>`).
    pub description: String,
    /// The legend entry for a camera's dot.
    pub camera: String,
    /// The legend entry for a camera's cone (what it sees).
    pub cone: String,
    /// The legend entry for a sign.
    pub sign: String,
    /// The legend entry for the ward's boundary.
    pub boundary: String,
    /// The north arrow's letter or word, e.g. `"北"` or `"N"`.
    pub north: String,
    /// The scale bar's word, e.g. `"縮尺"`; the length (`"100 m"`) is added after it.
    pub scale: String,
}

/// Everything one map shows.
#[derive(Debug, Clone, Copy)]
pub struct MapInput<'a> {
    /// The cameras, drawn in this order.
    pub cameras: &'a [MapCamera],
    /// The signs, drawn in this order, above the cameras.
    pub signs: &'a [MapSign],
    /// The ward's boundary, if known.
    pub boundary: Option<&'a Boundary>,
    /// The words.
    pub legend: &'a Legend,
}

/// Why a map could not be drawn or a boundary not read. Each message is in English followed by
/// Japanese in parentheses, so it can be shown to staff as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MapError {
    /// A latitude outside −90…90, or not a number.
    #[error("{subject}: latitude {value} is not in −90–90 (緯度は−90〜90度で指定してください)")]
    Latitude {
        /// What it belongs to, e.g. `camera cam1`.
        subject: String,
        /// The value given.
        value: f64,
    },
    /// A longitude outside −180…180, or not a number.
    #[error(
        "{subject}: longitude {value} is not in −180–180 (経度は−180〜180度で指定してください)"
    )]
    Longitude {
        /// What it belongs to.
        subject: String,
        /// The value given.
        value: f64,
    },
    /// A bearing outside 0…360 (360 itself is written 0), or not a number.
    #[error("{subject}: bearing {value} is not in 0–360 (撮影方向は0〜360度で指定してください)")]
    Bearing {
        /// What it belongs to.
        subject: String,
        /// The value given.
        value: f64,
    },
    /// A field of view not above 0 or above 360, or not a number.
    #[error(
        "{subject}: field of view {value} is not in 0–360 (画角は0度より大きく360度以下で指定してください)"
    )]
    FieldOfView {
        /// What it belongs to.
        subject: String,
        /// The value given.
        value: f64,
    },
    /// A range not above 0 or above 2000 m, or not a number.
    #[error(
        "{subject}: range {value} m is not in 0–2000 m (撮影範囲は0mより大きく2000m以下で指定してください)"
    )]
    Range {
        /// What it belongs to.
        subject: String,
        /// The value given.
        value: f64,
    },
    /// The boundary file is larger than [`MAX_GEOJSON_BYTES`].
    #[error("boundary is {bytes} bytes, over the 5 MiB limit (区域の境界データが大きすぎます。5MiB以下にしてください)")]
    TooLarge {
        /// The file's size.
        bytes: usize,
    },
    /// The boundary has more than [`MAX_POSITIONS`] positions.
    #[error("boundary has more than {limit} positions (区域の境界データの座標が多すぎます。{limit}点以下にしてください)")]
    TooManyPositions {
        /// The limit.
        limit: usize,
    },
    /// The boundary is not JSON.
    #[error("boundary is not valid JSON: {0} (区域の境界データがJSONとして読めません)")]
    Json(String),
    /// The boundary is JSON but not the GeoJSON expected.
    #[error("boundary GeoJSON is malformed: {0} (区域の境界データの形式が正しくありません)")]
    Malformed(String),
    /// A geometry of another type than Polygon or MultiPolygon.
    #[error("geometry type {0} is not supported, only Polygon and MultiPolygon (区域の境界はPolygonかMultiPolygonで指定してください)")]
    UnsupportedGeometry(String),
    /// The boundary has no ring at all.
    #[error("boundary has no polygon (区域の境界データに区域がありません)")]
    EmptyBoundary,
}

/// Draws the layout map: an SVG document (no XML declaration, so it can go inline into HTML
/// as well as into typst) with a map area of 800 × 600 and the legend below it.
///
/// Every camera and sign is checked first; the first bad value is the error.
pub fn render_svg(input: &MapInput) -> Result<String, MapError> {
    for camera in input.cameras {
        check_camera(camera)?;
    }
    for sign in input.signs {
        check_point(&format!("sign {}", short(&sign.id)), sign.at)?;
    }
    Ok(svg::render(input))
}

/// Checks one camera's numbers.
fn check_camera(camera: &MapCamera) -> Result<(), MapError> {
    let subject = format!("camera {}", short(&camera.id));
    check_point(&subject, camera.at)?;
    let b = camera.bearing_deg;
    if !(0.0..360.0).contains(&b) {
        return Err(MapError::Bearing { subject, value: b });
    }
    let fov = camera.fov_deg;
    if !(fov > 0.0 && fov <= 360.0) {
        return Err(MapError::FieldOfView {
            subject,
            value: fov,
        });
    }
    let r = camera.range_m;
    if !(r > 0.0 && r <= 2000.0) {
        return Err(MapError::Range { subject, value: r });
    }
    Ok(())
}

/// Checks a latitude and longitude (NaN and infinities fail the range checks).
fn check_point(subject: &str, at: LatLon) -> Result<(), MapError> {
    if !(-90.0..=90.0).contains(&at.lat) {
        return Err(MapError::Latitude {
            subject: subject.to_string(),
            value: at.lat,
        });
    }
    if !(-180.0..=180.0).contains(&at.lon) {
        return Err(MapError::Longitude {
            subject: subject.to_string(),
            value: at.lon,
        });
    }
    Ok(())
}

/// An outside text cut to at most 60 characters, for an error message.
fn short(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests;
