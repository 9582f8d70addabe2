//! Reading the boundary from GeoJSON: the four shapes accepted, and every malformed input an
//! error, never a panic.

use super::*;

const SQUARE: &str = "[[139.76,35.69],[139.78,35.69],[139.78,35.71],[139.76,35.71],[139.76,35.69]]";
const HOLE: &str = "[[139.765,35.695,12.5],[139.765,35.7,0],[139.77,35.7],[139.765,35.695]]";

fn polygon() -> String {
    format!(r#"{{"type":"Polygon","coordinates":[{SQUARE},{HOLE}]}}"#)
}

#[test]
fn a_polygon_is_read_lon_lat_with_its_hole() {
    let b = Boundary::from_geojson(&polygon()).unwrap();
    assert_eq!(b.rings().len(), 2);
    assert_eq!(b.rings()[0].len(), 5);
    assert_eq!(
        b.rings()[0][1],
        LatLon {
            lat: 35.69,
            lon: 139.78
        },
        "GeoJSON is [lon, lat]"
    );
    assert_eq!(
        b.rings()[1][0],
        LatLon {
            lat: 35.695,
            lon: 139.765
        },
        "altitude ignored"
    );
}

#[test]
fn a_multipolygon_a_feature_and_a_feature_collection_are_read() {
    let multi =
        format!(r#"{{"type":"MultiPolygon","coordinates":[[{SQUARE},{HOLE}],[{SQUARE}]]}}"#);
    assert_eq!(Boundary::from_geojson(&multi).unwrap().rings().len(), 3);
    let feature = format!(
        r#"{{"type":"Feature","properties":{{"name":"千代田区"}},"geometry":{}}}"#,
        polygon()
    );
    assert_eq!(Boundary::from_geojson(&feature).unwrap().rings().len(), 2);
    let collection = format!(
        r#"{{"type":"FeatureCollection","features":[{feature},{{"type":"Feature","properties":null,"geometry":{multi}}}]}}"#
    );
    let b = Boundary::from_geojson(&collection).unwrap();
    assert_eq!(b.rings().len(), 5);
    assert_eq!(
        b.rings()[4][2],
        LatLon {
            lat: 35.71,
            lon: 139.78
        }
    );
    // Drawn with the even-odd rule: the hole is a ring of its own in one path.
    let svg = render(&[], &[], Some(&Boundary::from_geojson(&polygon()).unwrap()));
    let d = attr(&svg, tags(&svg, "<path class=\"boundary\"")[0], "d");
    assert_eq!(
        (d.matches('M').count(), d.matches('Z').count()),
        (2, 2),
        "{d}"
    );
}

#[test]
fn other_geometry_types_are_refused_by_name() {
    for (text, kind) in [
        (r#"{"type":"Point","coordinates":[139.7,35.7]}"#, "Point"),
        (
            r#"{"type":"LineString","coordinates":[[139.7,35.7],[139.8,35.7]]}"#,
            "LineString",
        ),
        (
            r#"{"type":"GeometryCollection","geometries":[]}"#,
            "GeometryCollection",
        ),
        (
            r#"{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[]}}"#,
            "MultiLineString",
        ),
        (
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]}}]}"#,
            "Point",
        ),
    ] {
        let e = Boundary::from_geojson(text).unwrap_err();
        assert_eq!(e, MapError::UnsupportedGeometry(kind.into()));
        assert!(
            e.to_string()
                .starts_with(&format!("geometry type {kind} is not supported")),
            "{e}"
        );
        assert!(e
            .to_string()
            .contains("(区域の境界はPolygonかMultiPolygonで指定してください)"));
    }
}

#[test]
fn too_large_and_too_many_positions_are_refused() {
    let large = format!("{}{}", polygon(), " ".repeat(MAX_GEOJSON_BYTES));
    assert!(matches!(
        Boundary::from_geojson(&large),
        Err(MapError::TooLarge { .. })
    ));
    let positions = vec!["[139.7,35.7]"; MAX_POSITIONS + 1].join(",");
    let many = format!(r#"{{"type":"Polygon","coordinates":[[{positions}]]}}"#);
    assert!(many.len() < MAX_GEOJSON_BYTES);
    let e = Boundary::from_geojson(&many).unwrap_err();
    assert_eq!(
        e,
        MapError::TooManyPositions {
            limit: MAX_POSITIONS
        }
    );
    // The limit counts over all rings and polygons.
    let half = vec!["[139.7,35.7]"; MAX_POSITIONS / 2 + 1].join(",");
    let split = format!(r#"{{"type":"MultiPolygon","coordinates":[[[{half}]],[[{half}]]]}}"#);
    assert!(matches!(
        Boundary::from_geojson(&split),
        Err(MapError::TooManyPositions { .. })
    ));
    let exact = vec!["[139.7,35.7]"; MAX_POSITIONS].join(",");
    let exact = format!(r#"{{"type":"Polygon","coordinates":[[{exact}]]}}"#);
    assert_eq!(
        Boundary::from_geojson(&exact).unwrap().rings()[0].len(),
        MAX_POSITIONS
    );
}

#[test]
fn malformed_input_is_an_error_never_a_panic() {
    let deep_arrays = format!(
        r#"{{"type":"Polygon","coordinates":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_objects = format!(
        "{}{}",
        r#"{"type":"Feature","geometry":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    let inputs = [
        "", " ", "null", "[]", "{}", "42", "\"Polygon\"", "{\"type\":5}", "{\"type\":null}",
        "{\"type\":\"Polygon\"", "{\"type\":\"Polygon\"}", "{\"type\":\"Polygon\",\"coordinates\":\"x\"}",
        "{\"type\":\"Polygon\",\"coordinates\":[1,2]}", "{\"type\":\"Polygon\",\"coordinates\":[[1,2]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[[[1]]]}", "{\"type\":\"Polygon\",\"coordinates\":[[[\"139\",\"35\"]]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[[[139,35],[140,35]]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[[[139,95],[140,35],[140,36],[139,95]]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[[[190,35],[140,35],[140,36],[190,35]]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[[[1e400,35],[140,35],[140,36]]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[]}", "{\"type\":\"MultiPolygon\",\"coordinates\":[[]]}",
        "{\"type\":\"MultiPolygon\",\"coordinates\":[1]}", "{\"type\":\"Feature\"}",
        "{\"type\":\"Feature\",\"geometry\":null}", "{\"type\":\"Feature\",\"geometry\":[]}",
        "{\"type\":\"FeatureCollection\"}", "{\"type\":\"FeatureCollection\",\"features\":{}}",
        "{\"type\":\"FeatureCollection\",\"features\":[]}", "{\"type\":\"FeatureCollection\",\"features\":[1]}",
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"FeatureCollection\",\"features\":[]}]}",
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Polygon\",\"coordinates\":[]}]}",
        "\u{feff}{}", "{\"type\":\"Polygon\",\"coordinates\":[[[139,35],[140,35],[140,36]]]} trailing",
        &deep_arrays, &deep_objects,
    ];
    for text in inputs {
        let result = Boundary::from_geojson(text);
        assert!(result.is_err(), "{text:.80} gave {result:?}");
        let message = result.unwrap_err().to_string();
        assert!(
            message.ends_with(')') && message.contains(" ("),
            "{message}"
        );
    }
    assert_eq!(
        Boundary::from_geojson("{\"type\":\"Polygon\",\"coordinates\":[]}"),
        Err(MapError::EmptyBoundary)
    );
    assert_eq!(Boundary::from_rings(vec![]), Err(MapError::EmptyBoundary));
    let nan = vec![
        LatLon {
            lat: f64::NAN,
            lon: 0.0
        };
        3
    ];
    assert!(matches!(
        Boundary::from_rings(vec![nan]),
        Err(MapError::Latitude { .. })
    ));
}
