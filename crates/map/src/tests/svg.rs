//! The document: its structure, what it must never contain, escaping, determinism and the
//! scale bar.

use super::*;
use crate::geometry::num;
use crate::svg::{esc, scale_bar_metres};

#[test]
fn each_camera_and_sign_has_its_group_title_marker_and_label() {
    let (cameras, signs, boundary) = tokyo_ward();
    let svg = render(&cameras[..1], &signs[..1], Some(&boundary));
    assert!(svg.contains(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 800 730\" width=\"800\" height=\"730\" \
         role=\"img\" aria-labelledby=\"map-title map-desc\">\n<title id=\"map-title\">防犯カメラ配置図</title>\n\
         <desc id=\"map-desc\">区内の防犯カメラと表示板の位置</desc>"
    ));
    let g = tags(&svg, "<g class=\"camera\"")[0];
    assert_eq!(attr(&svg, g, "id"), "camera-cam0");
    assert_eq!(attr(&svg, g, "data-camera"), "cam0");
    assert_eq!(
        (
            attr(&svg, g, "data-bearing"),
            attr(&svg, g, "data-fov"),
            attr(&svg, g, "data-range-m")
        ),
        ("0", "40", "20")
    );
    let group = &svg[g..g + svg[g..].find("</g>").unwrap()];
    for part in [
        "<title>cam0 駅前交差点</title>",
        "<path class=\"cone\"",
        "<circle class=\"camera-dot\"",
        ">0</text>",
    ] {
        assert!(group.contains(part), "{part} in {group}");
    }
    let s = tags(&svg, "<g class=\"sign\"")[0];
    assert_eq!(
        (attr(&svg, s, "id"), attr(&svg, s, "data-sign")),
        ("sign-s0", "s0")
    );
    let group = &svg[s..s + svg[s..].find("</g>").unwrap()];
    assert!(group.contains("<title>表示板 s0</title>") && group.contains("class=\"sign-marker\""));
    assert!(svg.contains("<path class=\"boundary\" fill-rule=\"evenodd\""));
    for word in [
        ">防犯カメラ<",
        ">撮影範囲<",
        ">表示板<",
        ">区の境界<",
        ">北<",
        ">縮尺 ",
    ] {
        assert!(svg.contains(word), "legend {word}");
    }
}

#[test]
fn no_style_no_script_no_outside_reference() {
    let (cameras, signs, boundary) = tokyo_ward();
    let svg = render(&cameras, &signs, Some(&boundary));
    for banned in [
        "style",
        "<script",
        "href",
        "url(",
        "@import",
        "javascript:",
        "<foreignObject",
    ] {
        assert!(!svg.contains(banned), "{banned}");
    }
}

#[test]
fn every_text_is_escaped() {
    let mut c = camera("a\"b&c", 35.7, 139.77, 10.0, 90.0, 50.0);
    c.title = "<script>alert(1)</script>".into();
    c.label = "'1'\u{1}".into();
    let mut s = sign("<s>", 35.7, 139.771);
    s.title = "x\"><script>alert(2)</script>".into();
    let mut legend = legend();
    legend.title = "A & B <map>".into();
    legend.scale = "</text><script>".into();
    let input = MapInput {
        cameras: &[c],
        signs: &[s],
        boundary: None,
        legend: &legend,
    };
    let svg = render_svg(&input).unwrap();
    assert!(!svg.contains("<script"), "{svg}");
    assert!(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    assert!(svg.contains("id=\"camera-a&quot;b&amp;c\" data-camera=\"a&quot;b&amp;c\""));
    assert!(svg.contains(">&#39;1&#39;\u{FFFD}</text>"));
    assert!(svg.contains("id=\"sign-&lt;s&gt;\""));
    assert!(svg.contains("<title id=\"map-title\">A &amp; B &lt;map&gt;</title>"));
    assert_eq!(
        esc("&<>\"'\t\u{0}\u{FFFF}日"),
        "&amp;&lt;&gt;&quot;&#39;\t\u{FFFD}\u{FFFD}日"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes_with_at_most_one_decimal() {
    let (cameras, signs, boundary) = tokyo_ward();
    let first = render(&cameras, &signs, Some(&boundary));
    assert_eq!(first, render(&cameras, &signs, Some(&boundary)));
    let bytes = first.as_bytes();
    for (i, _) in first.match_indices('.') {
        if i > 0 && bytes[i - 1].is_ascii_digit() {
            let decimals = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            assert!(decimals <= 1, "{}", &first[i.saturating_sub(10)..i + 10]);
        }
    }
    assert_eq!(
        (num(-0.04), num(2.0), num(2.25), num(-3.96)),
        ("0".into(), "2".into(), "2.2".into(), "-4".into())
    );
}

#[test]
fn the_scale_bar_is_a_round_length_of_about_a_fifth_of_the_width() {
    for (width, bar) in [
        (444.0, 50.0),
        (1000.0, 200.0),
        (2500.0, 500.0),
        (5000.0, 1000.0),
        (99.0, 10.0),
        (4999.0, 500.0),
    ] {
        assert_eq!(scale_bar_metres(width), bar, "{width}");
    }
    assert_eq!(scale_bar_metres(0.0), 1.0);
    assert_eq!(scale_bar_metres(f64::INFINITY), 1.0);
    let (cameras, signs, boundary) = tokyo_ward();
    let svg = render(&cameras, &signs, Some(&boundary));
    let metres: f64 = attr(&svg, tags(&svg, "<g class=\"scale\"")[0], "data-metres")
        .parse()
        .unwrap();
    assert!(svg.contains(&format!(">縮尺 {metres} m</text>")));
    assert!(
        [200.0, 500.0].contains(&metres),
        "a ward about 3 km wide: {metres}"
    );
}
