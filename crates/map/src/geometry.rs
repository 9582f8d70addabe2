//! From degrees to the drawing: a local equirectangular projection fitted to what the map
//! shows, and the cone of a camera's view.
//!
//! Why equirectangular: over a ward (a few kilometres) its error is far below a pixel, it needs
//! no library, and its scale is the same in x and y, so a camera's range in metres is a circle
//! of one radius in pixels.

use std::f64::consts::PI;

use crate::LatLon;

/// Metres per degree of latitude (and of longitude at the equator), on the mean earth radius.
const METRES_PER_DEGREE: f64 = 6_371_008.8 * PI / 180.0;

/// The smallest span the map shows, in metres, in x and in y: one point alone (or nothing at
/// all) is shown in a neighbourhood of this size, never at an infinite scale.
pub const DEFAULT_SPAN_M: f64 = 300.0;

/// A rectangle of the drawing, in SVG units (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width; a width that is not positive counts as 1.
    pub width: f64,
    /// Height; a height that is not positive counts as 1.
    pub height: f64,
}

/// A local equirectangular projection from degrees to SVG units, with one scale for x and y.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// The point the local metres are measured from.
    origin: LatLon,
    /// The cosine of the origin's latitude: how much shorter a degree of longitude is there.
    cos_lat0: f64,
    /// SVG units per metre.
    scale: f64,
    /// Where the origin lands in the drawing.
    x0: f64,
    /// Where the origin lands in the drawing.
    y0: f64,
}

impl Projection {
    /// The projection that fits every circle (a point and a radius in metres; 0 for a point)
    /// into `frame`, as large as possible and centred, with the same scale in x and y.
    ///
    /// Each direction spans at least [`DEFAULT_SPAN_M`], so a single point, or none, gets a
    /// sane scale. Circles with a coordinate or radius that is not finite are left out.
    pub fn fit(circles: &[(LatLon, f64)], frame: Frame) -> Projection {
        let usable = || {
            circles
                .iter()
                .filter(|(p, r)| p.lat.is_finite() && p.lon.is_finite() && r.is_finite())
        };
        let (mut lat, mut lon) = (Span::new(), Span::new());
        for (p, _) in usable() {
            lat.add(p.lat, 0.0);
            lon.add(p.lon, 0.0);
        }
        let origin = LatLon {
            lat: lat.mid().unwrap_or(0.0),
            lon: lon.mid().unwrap_or(0.0),
        };
        let mut projection = Projection {
            origin,
            cos_lat0: origin.lat.to_radians().cos(),
            scale: 1.0,
            x0: 0.0,
            y0: 0.0,
        };
        let (mut east, mut north) = (Span::new(), Span::new());
        for (p, r) in usable() {
            let (e, n) = projection.metres(*p);
            east.add(e, r.abs());
            north.add(n, r.abs());
        }
        let width = positive(frame.width);
        let height = positive(frame.height);
        let scale = (width / east.len()).min(height / north.len());
        projection.scale = if scale.is_finite() { scale } else { 0.0 };
        let centre_e = east.mid().unwrap_or(0.0);
        let centre_n = north.mid().unwrap_or(0.0);
        projection.x0 = frame.x + width / 2.0 - centre_e * projection.scale;
        projection.y0 = frame.y + height / 2.0 + centre_n * projection.scale;
        projection
    }

    /// The local metres (east, north) of a point from the projection's origin.
    fn metres(&self, p: LatLon) -> (f64, f64) {
        let east = (p.lon - self.origin.lon) * self.cos_lat0 * METRES_PER_DEGREE;
        let north = (p.lat - self.origin.lat) * METRES_PER_DEGREE;
        (east, north)
    }

    /// Where a point lands in the drawing (x to the right, y downwards).
    pub fn to_svg(&self, p: LatLon) -> (f64, f64) {
        let (east, north) = self.metres(p);
        (self.x0 + east * self.scale, self.y0 - north * self.scale)
    }

    /// A length on the ground, in metres, as SVG units (the same in x and y).
    pub fn metres_to_px(&self, m: f64) -> f64 {
        m * self.scale
    }

    /// SVG units per metre.
    pub fn scale(&self) -> f64 {
        self.scale
    }
}

/// The smallest and largest of some values, each widened by a radius.
struct Span {
    low: f64,
    high: f64,
}

impl Span {
    fn new() -> Span {
        Span {
            low: f64::INFINITY,
            high: f64::NEG_INFINITY,
        }
    }

    fn add(&mut self, value: f64, radius: f64) {
        self.low = self.low.min(value - radius);
        self.high = self.high.max(value + radius);
    }

    fn mid(&self) -> Option<f64> {
        (self.low <= self.high).then(|| (self.low + self.high) / 2.0)
    }

    /// The length, at least [`DEFAULT_SPAN_M`].
    fn len(&self) -> f64 {
        if self.low <= self.high {
            (self.high - self.low).max(DEFAULT_SPAN_M)
        } else {
            DEFAULT_SPAN_M
        }
    }
}

/// A width or height that is positive and finite, or 1.
fn positive(v: f64) -> f64 {
    if v > 0.0 && v.is_finite() {
        v
    } else {
        1.0
    }
}

/// The SVG path of a camera's view: a circular sector from `centre` (SVG units), centred on
/// `bearing_deg` (clockwise from north, so 0 points up), `fov_deg` wide, of radius `radius_px`.
///
/// `M c L p(b − fov/2) A r r 0 large 1 p(b + fov/2) Z`, with p(θ) = c + r·(sin θ, −cos θ) and
/// `large` = 1 when fov > 180. A fov of 360 or more — or one so close to 360 that the arc's
/// ends meet once rounded — is a full circle, drawn as two half arcs from the top. Numbers have
/// at most one decimal.
pub fn cone_path(centre: (f64, f64), bearing_deg: f64, fov_deg: f64, radius_px: f64) -> String {
    let (cx, cy) = centre;
    let r = radius_px.abs();
    let fov = fov_deg.clamp(0.0, 360.0);
    let point = |deg: f64| {
        let t = deg.to_radians();
        (num(cx + r * t.sin()), num(cy - r * t.cos()))
    };
    let (ax, ay) = point(bearing_deg - fov / 2.0);
    let (bx, by) = point(bearing_deg + fov / 2.0);
    let (c, rr) = ((num(cx), num(cy)), num(r));
    if fov >= 360.0 || (fov > 180.0 && (&ax, &ay) == (&bx, &by)) {
        let (top, bottom) = (num(cy - r), num(cy + r));
        return format!(
            "M {x} {top} A {rr} {rr} 0 1 1 {x} {bottom} A {rr} {rr} 0 1 1 {x} {top} Z",
            x = c.0
        );
    }
    let large = u8::from(fov > 180.0);
    format!(
        "M {} {} L {ax} {ay} A {rr} {rr} 0 {large} 1 {bx} {by} Z",
        c.0, c.1
    )
}

/// A number with at most one decimal, without a trailing `.0` or a negative zero, so the same
/// input always prints the same bytes.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}
