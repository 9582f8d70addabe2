//! The geometry is read back from the SVG text (paths and attributes parsed into numbers), so
//! each test checks what a viewer would draw, not what the code meant to write.

use super::*;

mod boundary;
mod geometry;
mod svg;

fn legend() -> Legend {
    Legend {
        title: "防犯カメラ配置図".into(),
        description: "区内の防犯カメラと表示板の位置".into(),
        camera: "防犯カメラ".into(),
        cone: "撮影範囲".into(),
        sign: "表示板".into(),
        boundary: "区の境界".into(),
        north: "北".into(),
        scale: "縮尺".into(),
    }
}

fn camera(id: &str, lat: f64, lon: f64, bearing: f64, fov: f64, range: f64) -> MapCamera {
    MapCamera {
        id: id.into(),
        label: id.trim_start_matches("cam").into(),
        title: format!("{id} 駅前交差点"),
        at: LatLon { lat, lon },
        bearing_deg: bearing,
        fov_deg: fov,
        range_m: range,
    }
}

fn sign(id: &str, lat: f64, lon: f64) -> MapSign {
    MapSign {
        id: id.into(),
        label: id.into(),
        title: format!("表示板 {id}"),
        at: LatLon { lat, lon },
    }
}

fn render(cameras: &[MapCamera], signs: &[MapSign], boundary: Option<&Boundary>) -> String {
    let legend = legend();
    let input = MapInput {
        cameras,
        signs,
        boundary,
        legend: &legend,
    };
    render_svg(&input).unwrap()
}

/// The numbers of a path, in order, with its commands left out.
fn numbers(d: &str) -> Vec<f64> {
    d.split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// The value of `name` in the first tag starting at `at`.
fn attr<'s>(svg: &'s str, at: usize, name: &str) -> &'s str {
    let tag = &svg[at..at + svg[at..].find('>').unwrap()];
    let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    &tag[start..start + tag[start..].find('"').unwrap()]
}

/// Every tag that starts with `prefix`, as the offset where it starts.
fn tags(svg: &str, prefix: &str) -> Vec<usize> {
    svg.match_indices(prefix).map(|(i, _)| i).collect()
}

/// Twelve cameras and four signs over about 2 km around 35.70, 139.77, inside a boundary.
fn tokyo_ward() -> (Vec<MapCamera>, Vec<MapSign>, Boundary) {
    let cameras = (0..12)
        .map(|i| {
            let i = f64::from(i);
            let (lat, lon) = (35.691 + 0.0016 * i, 139.759 + 0.002 * (i * 7.0 % 11.0));
            camera(
                &format!("cam{i}"),
                lat,
                lon,
                i * 29.0,
                40.0 + 25.0 * i,
                20.0 + 15.0 * i,
            )
        })
        .collect();
    let signs = (0..4)
        .map(|i| {
            sign(
                &format!("s{i}"),
                35.69 + 0.006 * f64::from(i),
                139.781 - 0.007 * f64::from(i),
            )
        })
        .collect();
    let boundary = Boundary::from_geojson(
        r#"{"type":"Polygon","coordinates":[[[139.755,35.687],[139.785,35.688],[139.786,35.712],
        [139.756,35.711],[139.755,35.687]]]}"#,
    )
    .unwrap();
    (cameras, signs, boundary)
}

#[test]
fn bad_numbers_are_refused_with_english_and_japanese() {
    let ok = camera("cam1", 35.7, 139.77, 0.0, 90.0, 50.0);
    let with = |f: &dyn Fn(&mut MapCamera)| {
        let mut c = ok.clone();
        f(&mut c);
        let legend = legend();
        render_svg(&MapInput {
            cameras: &[c],
            signs: &[],
            boundary: None,
            legend: &legend,
        })
    };
    let e = with(&|c| c.bearing_deg = 400.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "camera cam1: bearing 400 is not in 0–360 (撮影方向は0〜360度で指定してください)"
    );
    for bad in [360.0, -0.1, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                with(&|c| c.bearing_deg = bad),
                Err(MapError::Bearing { .. })
            ),
            "{bad}"
        );
    }
    for bad in [0.0, -10.0, 360.1, f64::NAN] {
        assert!(
            matches!(
                with(&|c| c.fov_deg = bad),
                Err(MapError::FieldOfView { .. })
            ),
            "{bad}"
        );
    }
    for bad in [0.0, -1.0, 2000.1, f64::INFINITY, f64::NAN] {
        assert!(
            matches!(with(&|c| c.range_m = bad), Err(MapError::Range { .. })),
            "{bad}"
        );
    }
    for bad in [90.1, -91.0, f64::NAN, f64::NEG_INFINITY] {
        assert!(
            matches!(with(&|c| c.at.lat = bad), Err(MapError::Latitude { .. })),
            "{bad}"
        );
    }
    for bad in [180.5, -181.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(with(&|c| c.at.lon = bad), Err(MapError::Longitude { .. })),
            "{bad}"
        );
    }
    let edges: [fn(&mut MapCamera); 5] = [
        |c| c.fov_deg = 360.0,
        |c| c.range_m = 2000.0,
        |c| c.bearing_deg = 359.9,
        |c| c.at.lat = -90.0,
        |c| c.at.lon = 180.0,
    ];
    for edge in edges {
        assert!(with(&edge).is_ok());
    }
    let legend = legend();
    let signs = [sign("s9", 35.7, 200.0)];
    let e = render_svg(&MapInput {
        cameras: &[],
        signs: &signs,
        boundary: None,
        legend: &legend,
    })
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("sign s9: longitude 200 is not in −180–180 (経度は"),
        "{e}"
    );
    let long = camera(&"x".repeat(500), 95.0, 0.0, 0.0, 90.0, 50.0);
    let e = render_svg(&MapInput {
        cameras: &[long],
        signs: &[],
        boundary: None,
        legend: &legend,
    })
    .unwrap_err();
    assert!(
        e.to_string().len() < 200,
        "an outside id is cut short in messages"
    );
}
