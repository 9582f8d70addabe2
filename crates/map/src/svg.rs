//! The SVG text: the map area (800 × 600) with the boundary, cameras and signs, and below it
//! the legend with the north arrow and the scale bar.
//!
//! Why only presentation attributes (`fill`, `stroke`, `font-size`, …): the public page's
//! Content Security Policy forbids `style` attributes and `<style>` elements, and typst's SVG
//! reader needs nothing more. Why every number through [`num`]: one decimal is far below what
//! the eye sees, and it keeps the output the same bytes for the same input.

use crate::geometry::{cone_path, num, Frame, Projection};
use crate::{LatLon, MapCamera, MapInput, MapSign};

/// The drawing's width.
pub(crate) const WIDTH: f64 = 800.0;
/// The map area's height; the legend is below it.
pub(crate) const MAP_HEIGHT: f64 = 600.0;
/// The legend's height.
pub(crate) const LEGEND_HEIGHT: f64 = 130.0;
/// The space kept free around what the map shows.
pub(crate) const MARGIN: f64 = 30.0;

/// The camera's colour (dark red, 6.6:1 on white) and its cone's.
const CAMERA: &str = "#b2182b";
/// The sign's colour (dark blue, 8.6:1 on white).
const SIGN: &str = "#1f4e9c";
/// Text and lines.
const INK: &str = "#1a1a1a";
/// The boundary's line and fill.
const BOUNDARY_LINE: &str = "#4d4d4d";
const BOUNDARY_FILL: &str = "#f3f1ea";

/// The fitted projection for everything the input shows: each camera with its whole range
/// around it, each sign, each boundary position.
pub(crate) fn projection(input: &MapInput) -> Projection {
    let mut circles: Vec<(LatLon, f64)> = Vec::new();
    circles.extend(input.cameras.iter().map(|c| (c.at, c.range_m)));
    circles.extend(input.signs.iter().map(|s| (s.at, 0.0)));
    if let Some(boundary) = input.boundary {
        circles.extend(boundary.rings().iter().flatten().map(|p| (*p, 0.0)));
    }
    let frame = Frame {
        x: MARGIN,
        y: MARGIN,
        width: WIDTH - 2.0 * MARGIN,
        height: MAP_HEIGHT - 2.0 * MARGIN,
    };
    Projection::fit(&circles, frame)
}

/// The whole document. The input has been checked.
pub(crate) fn render(input: &MapInput) -> String {
    let projection = projection(input);
    let legend = input.legend;
    let height = num(MAP_HEIGHT + LEGEND_HEIGHT);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" \
         height=\"{height}\" role=\"img\" aria-labelledby=\"map-title map-desc\">\n\
         <title id=\"map-title\">{}</title>\n<desc id=\"map-desc\">{}</desc>\n\
         <rect class=\"map-area\" x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\" \
         stroke=\"#767676\" stroke-width=\"1\"/>\n",
        esc(&legend.title),
        esc(&legend.description),
        w = num(WIDTH),
        h = num(MAP_HEIGHT),
    );
    if let Some(boundary) = input.boundary {
        let mut d = String::new();
        for ring in boundary.rings() {
            d.push_str(&ring_path(&projection, ring));
        }
        out.push_str(&format!(
            "<path class=\"boundary\" fill-rule=\"evenodd\" fill=\"{BOUNDARY_FILL}\" \
             stroke=\"{BOUNDARY_LINE}\" stroke-width=\"2\" stroke-dasharray=\"8 4\" d=\"{}\"/>\n",
            d.trim_end()
        ));
    }
    for camera in input.cameras {
        out.push_str(&camera_group(&projection, camera));
    }
    for sign in input.signs {
        out.push_str(&sign_group(&projection, sign));
    }
    out.push_str(&legend_group(&projection, input));
    out.push_str("</svg>\n");
    out
}

/// One ring as `M … L … Z`, leaving out points that round to the one before, and the closing
/// position GeoJSON repeats (`Z` closes the ring).
fn ring_path(projection: &Projection, ring: &[LatLon]) -> String {
    let mut points: Vec<(String, String)> = Vec::with_capacity(ring.len());
    for p in ring {
        let (x, y) = projection.to_svg(*p);
        let point = (num(x), num(y));
        if points.last() != Some(&point) {
            points.push(point);
        }
    }
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        d.push_str(&format!("{} {x} {y} ", if i == 0 { "M" } else { "L" }));
    }
    if !points.is_empty() {
        d.push_str("Z ");
    }
    d
}

/// A camera: its accessible name, its cone, its dot and its label.
fn camera_group(projection: &Projection, camera: &MapCamera) -> String {
    let (x, y) = projection.to_svg(camera.at);
    let id = esc(&camera.id);
    let cone = cone_path(
        (x, y),
        camera.bearing_deg,
        camera.fov_deg,
        projection.metres_to_px(camera.range_m),
    );
    format!(
        "<g class=\"camera\" id=\"camera-{id}\" data-camera=\"{id}\" data-bearing=\"{}\" \
         data-fov=\"{}\" data-range-m=\"{}\">\n<title>{}</title>\n\
         <path class=\"cone\" d=\"{cone}\" fill=\"{CAMERA}\" fill-opacity=\"0.3\" \
         stroke=\"{CAMERA}\" stroke-width=\"1\"/>\n\
         <circle class=\"camera-dot\" cx=\"{cx}\" cy=\"{cy}\" r=\"5\" fill=\"{CAMERA}\" \
         stroke=\"#ffffff\" stroke-width=\"1.5\"/>\n{}</g>\n",
        num(camera.bearing_deg),
        num(camera.fov_deg),
        num(camera.range_m),
        esc(&camera.title),
        label(x + 7.0, y - 7.0, &camera.label),
        cx = num(x),
        cy = num(y),
    )
}

/// A sign: its accessible name, a triangle (unlike a camera's dot) and its label.
fn sign_group(projection: &Projection, sign: &MapSign) -> String {
    let (x, y) = projection.to_svg(sign.at);
    let id = esc(&sign.id);
    format!(
        "<g class=\"sign\" id=\"sign-{id}\" data-sign=\"{id}\">\n<title>{}</title>\n\
         <path class=\"sign-marker\" d=\"{}\" fill=\"{SIGN}\" stroke=\"#ffffff\" \
         stroke-width=\"1.5\"/>\n{}</g>\n",
        esc(&sign.title),
        triangle(x, y),
        label(x + 8.0, y - 6.0, &sign.label),
    )
}

/// A triangle pointing up, centred on a point.
fn triangle(x: f64, y: f64) -> String {
    format!(
        "M {} {} L {} {} L {} {} Z",
        num(x),
        num(y - 7.0),
        num(x + 7.0),
        num(y + 5.0),
        num(x - 7.0),
        num(y + 5.0)
    )
}

/// A label on the map, with a white halo so it reads over cones and the boundary.
fn label(x: f64, y: f64, text: &str) -> String {
    format!(
        "<text class=\"label\" x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"13\" \
         font-weight=\"bold\" fill=\"{INK}\" stroke=\"#ffffff\" stroke-width=\"3\" \
         paint-order=\"stroke\">{}</text>\n",
        num(x),
        num(y),
        esc(text)
    )
}

/// The legend below the map: a swatch and a word for each kind of mark, the north arrow and
/// the scale bar.
fn legend_group(projection: &Projection, input: &MapInput) -> String {
    let legend = input.legend;
    let top = MAP_HEIGHT;
    let row = |i: f64| top + 25.0 + 25.0 * i;
    let text = |y: f64, words: &str| {
        format!(
            "<text x=\"54\" y=\"{}\" font-family=\"sans-serif\" font-size=\"14\" fill=\"{INK}\">{}</text>\n",
            num(y + 5.0),
            esc(words)
        )
    };
    let mut out = format!(
        "<g class=\"legend\">\n<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
        num(top),
        num(WIDTH),
        num(LEGEND_HEIGHT)
    );
    out.push_str(&format!(
        "<circle class=\"legend-camera\" cx=\"32\" cy=\"{}\" r=\"5\" fill=\"{CAMERA}\"/>\n{}",
        num(row(0.0)),
        text(row(0.0), &legend.camera)
    ));
    out.push_str(&format!(
        "<path class=\"legend-cone\" d=\"{}\" fill=\"{CAMERA}\" fill-opacity=\"0.3\" stroke=\"{CAMERA}\" \
         stroke-width=\"1\"/>\n{}",
        cone_path((22.0, row(1.0)), 90.0, 60.0, 22.0),
        text(row(1.0), &legend.cone)
    ));
    out.push_str(&format!(
        "<path class=\"legend-sign\" d=\"{}\" fill=\"{SIGN}\"/>\n{}",
        triangle(32.0, row(2.0)),
        text(row(2.0), &legend.sign)
    ));
    out.push_str(&format!(
        "<rect class=\"legend-boundary\" x=\"20\" y=\"{}\" width=\"24\" height=\"14\" fill=\"{BOUNDARY_FILL}\" \
         stroke=\"{BOUNDARY_LINE}\" stroke-width=\"2\" stroke-dasharray=\"8 4\"/>\n{}",
        num(row(3.0) - 7.0),
        text(row(3.0), &legend.boundary)
    ));
    // The north arrow: up is true north in this projection.
    out.push_str(&format!(
        "<g class=\"north\">\n<text x=\"590\" y=\"{}\" font-family=\"sans-serif\" font-size=\"14\" \
         font-weight=\"bold\" fill=\"{INK}\" text-anchor=\"middle\">{}</text>\n\
         <path d=\"M 590 {} L 599 {} L 590 {} L 581 {} Z\" fill=\"{INK}\"/>\n</g>\n",
        num(top + 32.0),
        esc(&legend.north),
        num(top + 40.0),
        num(top + 75.0),
        num(top + 66.0),
        num(top + 75.0),
    ));
    let metres = scale_bar_metres(WIDTH / projection.scale());
    let length = projection.metres_to_px(metres);
    let (x0, x1, y) = (num(630.0), num(630.0 + length), num(top + 70.0));
    let tick = num(top + 62.0);
    out.push_str(&format!(
        "<g class=\"scale\" data-metres=\"{}\">\n<text x=\"630\" y=\"{}\" font-family=\"sans-serif\" \
         font-size=\"14\" fill=\"{INK}\">{} {} m</text>\n\
         <path d=\"M {x0} {tick} L {x0} {y} L {x1} {y} L {x1} {tick}\" fill=\"none\" \
         stroke=\"{INK}\" stroke-width=\"2\"/>\n</g>\n</g>\n",
        num(metres),
        num(top + 52.0),
        esc(&legend.scale),
        num(metres),
    ));
    out
}

/// A round length (1, 2 or 5 times a power of ten, at least 1 m) no longer than a fifth of the
/// map's width, so the bar is between 2/25 and 1/5 of it.
pub(crate) fn scale_bar_metres(map_width_m: f64) -> f64 {
    let target = map_width_m / 5.0;
    if !(target.is_finite() && target >= 1.0) {
        return 1.0;
    }
    let power = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&m| m <= target)
        .unwrap_or(power)
}

/// Text for XML content and attributes: `& < > " '` escaped, and the characters XML 1.0 does
/// not allow (most C0 controls, U+FFFE, U+FFFF) replaced by U+FFFD.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
