//! The cone and the projection, read back from the path strings and coordinates.

use super::*;

/// The bearing (clockwise from north) from `c` to `p` in SVG coordinates, and the distance.
fn polar(c: (f64, f64), p: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (p.0 - c.0, p.1 - c.1);
    (dx.atan2(-dy).to_degrees().rem_euclid(360.0), dx.hypot(dy))
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[test]
fn a_cone_points_the_way_of_its_bearing() {
    let c = (400.0, 300.0);
    for (bearing, way) in [
        (0.0, (0.0, -1.0)),
        (90.0, (1.0, 0.0)),
        (180.0, (0.0, 1.0)),
        (270.0, (-1.0, 0.0)),
    ] {
        let n = numbers(&cone_path(c, bearing, 60.0, 100.0));
        // M cx cy L ax ay A r r 0 large 1 bx by
        assert_eq!(n.len(), 11, "{n:?}");
        assert_eq!((n[0], n[1]), c);
        let mid = ((n[2] + n[9]) / 2.0 - c.0, (n[3] + n[10]) / 2.0 - c.1);
        let length = mid.0.hypot(mid.1);
        let dot = (mid.0 * way.0 + mid.1 * way.1) / length;
        assert!(dot > 0.999, "bearing {bearing}: arc's middle goes {mid:?}");
    }
    let n = numbers(&cone_path(c, 0.0, 60.0, 100.0));
    assert!(
        (n[3] + n[10]) / 2.0 < c.1,
        "bearing 0 points up (negative y)"
    );
}

#[test]
fn a_cones_arc_ends_at_bearing_minus_and_plus_half_the_fov_at_the_radius() {
    let c = (123.4, 456.7);
    for bearing in [0.0, 37.5, 123.0, 200.0, 359.0] {
        for fov in [1.0, 45.0, 90.0, 179.0, 180.0, 200.0, 300.0, 350.0] {
            let n = numbers(&cone_path(c, bearing, fov, 200.0));
            assert_eq!(n.len(), 11);
            assert_eq!(
                (n[4], n[5], n[6]),
                (200.0, 200.0, 0.0),
                "radii and rotation"
            );
            assert_eq!(n[8], 1.0, "sweep clockwise");
            let (a, ra) = polar(c, (n[2], n[3]));
            let (b, rb) = polar(c, (n[9], n[10]));
            assert!(
                angle_between(a, bearing - fov / 2.0) < 0.1,
                "{bearing} {fov}: {a}"
            );
            assert!(
                angle_between(b, bearing + fov / 2.0) < 0.1,
                "{bearing} {fov}: {b}"
            );
            assert!((ra - 200.0).abs() < 0.1 && (rb - 200.0).abs() < 0.1);
        }
    }
}

#[test]
fn the_large_arc_flag_is_set_iff_the_fov_is_over_180() {
    for (fov, large) in [
        (10.0, 0.0),
        (179.9, 0.0),
        (180.0, 0.0),
        (180.1, 1.0),
        (270.0, 1.0),
        (359.0, 1.0),
    ] {
        assert_eq!(
            numbers(&cone_path((0.0, 0.0), 45.0, fov, 50.0))[7],
            large,
            "fov {fov}"
        );
    }
}

#[test]
fn a_fov_of_360_is_a_full_circle() {
    // Also a fov so close to 360 that the arc's ends would round to one point.
    for (bearing, fov, r) in [(33.0, 360.0, 80.0), (0.0, 359.99, 80.0), (90.0, 359.9, 2.0)] {
        let d = cone_path((100.0, 100.0), bearing, fov, r);
        assert!(!d.contains('L'), "{d}");
        assert_eq!(d.matches('A').count(), 2, "{d}");
        let n = numbers(&d);
        assert_eq!((n[0], n[1]), (100.0, 100.0 - r), "starts at the top: {d}");
        assert_eq!((n[7], n[8]), (100.0, 100.0 + r), "then the bottom: {d}");
        assert_eq!((n[14], n[15]), (100.0, 100.0 - r), "and back: {d}");
        assert_eq!((n[5], n[12]), (1.0, 1.0), "both halves large: {d}");
    }
    let svg = render(&[camera("cam1", 35.7, 139.77, 0.0, 360.0, 50.0)], &[], None);
    let cone = attr(&svg, tags(&svg, "<path class=\"cone\"")[0], "d");
    assert_eq!(cone.matches('A').count(), 2, "{cone}");
}

#[test]
fn the_projection_has_one_scale_for_north_and_east() {
    let m = 6_371_008.8 * std::f64::consts::PI / 180.0;
    let (lat, lon) = (35.7, 139.77);
    let north = LatLon {
        lat: lat + 100.0 / m,
        lon,
    };
    let east = LatLon {
        lat,
        lon: lon + 100.0 / (m * lat.to_radians().cos()),
    };
    let origin = LatLon { lat, lon };
    let south_west = LatLon {
        lat: lat - 100.0 / m,
        lon: lon - 0.001,
    };
    let frame = Frame {
        x: 0.0,
        y: 0.0,
        width: 800.0,
        height: 600.0,
    };
    // Symmetric around the origin, so the projection's latitude is 35.7.
    let east_west = LatLon {
        lat,
        lon: lon - (east.lon - lon),
    };
    let p = Projection::fit(
        &[
            (north, 0.0),
            (south_west, 0.0),
            (east, 0.0),
            (east_west, 0.0),
        ],
        frame,
    );
    let s = p.scale();
    assert!(s > 0.0 && s.is_finite());
    let (x, y) = p.to_svg(origin);
    let (nx, ny) = p.to_svg(north);
    let (ex, ey) = p.to_svg(east);
    assert!(
        (nx - x).abs() < 1e-6 && (y - ny - 100.0 * s).abs() < 1e-6,
        "north is up"
    );
    assert!(
        (ey - y).abs() < 1e-6 && (ex - x - 100.0 * s).abs() < 1e-6,
        "east is right"
    );
    assert!((p.metres_to_px(100.0) - 100.0 * s).abs() < 1e-9);
}

#[test]
fn one_point_gets_the_default_span_and_nothing_gets_a_sane_scale() {
    let frame = Frame {
        x: 30.0,
        y: 30.0,
        width: 740.0,
        height: 540.0,
    };
    let at = LatLon {
        lat: 35.7,
        lon: 139.77,
    };
    let one = Projection::fit(&[(at, 0.0)], frame);
    assert!((one.scale() - 540.0 / DEFAULT_SPAN_M).abs() < 1e-9);
    let (x, y) = one.to_svg(at);
    assert!(
        (x - 400.0).abs() < 1e-9 && (y - 300.0).abs() < 1e-9,
        "centred"
    );
    assert_eq!(Projection::fit(&[], frame).scale(), one.scale());
    let empty = render(&[], &[], None);
    assert!(empty.starts_with("<svg ") && empty.ends_with("</svg>\n"));
    assert!(!empty.contains("NaN") && !empty.contains("inf"), "{empty}");
    assert!(
        empty.contains("data-metres=\"50\""),
        "444 m wide, a fifth is 89 m"
    );
    let lone = render(&[], &[sign("s1", 35.7, 139.77)], None);
    assert!(
        lone.contains("d=\"M 400 293 L 407 305 L 393 305 Z\""),
        "{lone}"
    );
}

#[test]
fn a_realistic_ward_fits_inside_the_map_area() {
    let (cameras, signs, boundary) = tokyo_ward();
    let svg = render(&cameras, &signs, Some(&boundary));
    let inside = |x: f64, y: f64| (0.0..=800.0).contains(&x) && (0.0..=600.0).contains(&y);
    let dots = tags(&svg, "<circle class=\"camera-dot\" cx");
    let cones = tags(&svg, "<path class=\"cone\"");
    assert_eq!((dots.len(), cones.len()), (12, 12), "none in the legend");
    for (dot, cone) in dots.iter().zip(&cones) {
        let (cx, cy): (f64, f64) = (
            attr(&svg, *dot, "cx").parse().unwrap(),
            attr(&svg, *dot, "cy").parse().unwrap(),
        );
        let r = numbers(attr(&svg, *cone, "d"))[4];
        assert!(r > 1.0, "a visible range");
        assert!(
            inside(cx - r, cy - r) && inside(cx + r, cy + r),
            "{cx} {cy} {r}"
        );
    }
    let b = numbers(attr(&svg, tags(&svg, "<path class=\"boundary\"")[0], "d"));
    assert_eq!(b.len(), 8, "four corners, the closing one left out: {b:?}");
    assert!(b
        .chunks(2)
        .all(|p| inside(p[0], p[1]) && p[0] > 25.0 && p[1] > 25.0));
    let markers = tags(&svg, "<path class=\"sign-marker\"");
    assert_eq!(markers.len(), 4);
    for &i in &markers {
        assert!(numbers(attr(&svg, i, "d"))
            .chunks(2)
            .all(|p| inside(p[0], p[1])));
    }
    assert!(svg.contains("viewBox=\"0 0 800 730\""));
}

#[test]
fn a_cameras_whole_range_is_inside_even_at_the_edge() {
    // Two cameras 2 km apart, east and west, each seeing 800 m all around: the map must widen
    // by their ranges, not only by their positions.
    let cameras = [
        camera("cam1", 35.70, 139.76, 270.0, 360.0, 800.0),
        camera("cam2", 35.70, 139.782, 90.0, 360.0, 800.0),
    ];
    let svg = render(&cameras, &[], None);
    for cone in tags(&svg, "<path class=\"cone\"") {
        let n = numbers(attr(&svg, cone, "d"));
        let (x, top, bottom, r) = (n[0], n[1], n[8], n[2]);
        assert!(x - r >= 29.9 && x + r <= 770.1, "{n:?}");
        assert!(top >= 29.9 && bottom <= 570.1, "{n:?}");
    }
}
