//! Each form is read back by the tools an outsider would use: poppler's `pdfinfo` (A4, pages),
//! `pdffonts` (every font embedded), `pdftotext` (the fields are there, as text) and
//! `qpdf --check` (the file's structure). The test command installs them.

use std::process::Command;

use super::*;

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn application(emergency: bool) -> Document {
    let application = Application {
        ward: "大阪市西淀川区".into(),
        addressee: "大阪市西淀川区長".into(),
        request: "12".into(),
        body: "大阪府西淀川警察署".into(),
        applicant: "署長 山田 太郎".into(),
        rows: pairs(&[
            ("事件名", "御幣島駅前ひったくり事件"),
            ("利用目的", "被疑者の足取りの確認"),
            ("対象の防犯カメラ", "cam-001 御幣島駅前（御幣島1丁目）"),
            ("対象の日時", "令和8年11月23日 21時00分 〜 21時30分"),
        ]),
        pledge: "提供を受けた画像は、上記の利用目的以外には使用しません。".into(),
        office_rows: pairs(&[
            ("受付日", "令和8年11月24日"),
            ("本人確認", "警察手帳 A-1234"),
        ]),
    };
    if emergency {
        Document::EmergencyApplication(application)
    } else {
        Document::Application(application)
    }
}

fn register(rows: usize) -> Document {
    let columns = [
        "番号",
        "取出日時",
        "カメラ・設置場所",
        "目的",
        "取扱者",
        "媒体・部数",
    ];
    Document::Register(Register {
        ward: "大阪市西淀川区".into(),
        period: "令和8年11月1日〜令和8年11月30日".into(),
        printed: "令和8年12月1日 9時00分".into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        widths: vec![0.5, 1.6, 1.6, 2.0, 1.0, 1.0],
        rows: (1..=rows)
            .map(|n| {
                vec![
                    n.to_string(),
                    "令和8年11月24日 10時01分".into(),
                    "cam-001 御幣島駅前".into(),
                    format!("窃盗事件の捜査（その{n}）"),
                    "佐藤 花子".into(),
                    "DVD-R × 1".into(),
                ]
            })
            .collect(),
    })
}

fn delegation() -> Document {
    Document::Delegation(Delegation {
        ward: "大阪市西淀川区".into(),
        number: "西淀川区第7号".into(),
        dated: "令和8年11月20日".into(),
        body: "大阪府西淀川警察署".into(),
        manager: "区長 鈴木 一郎".into(),
        rows: pairs(&[
            ("対象の防犯カメラ", "cam-001、cam-002"),
            ("期間", "令和8年11月20日〜令和9年3月31日"),
        ]),
        text: "要領第10条第2項の規定により、下記のとおり事務を行わせることを確認します。".into(),
    })
}

/// Runs a tool on the PDF; its standard output.
fn tool(name: &str, args: &[&str], pdf: &[u8]) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mimamori-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{n}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(name)
        .args(args)
        .arg(&path)
        .args(if name == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} (poppler-utils / qpdf, installed by scripts/test): {e}")
        });
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// With `MIMAMORI_FORMS_OUT=<dir>`, the tests leave their PDFs there to look at.
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("MIMAMORI_FORMS_OUT") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
    }
}

fn check(pdf: &[u8], pages: usize, landscape: bool) {
    // PDF/A-2b, as its XMP metadata declares it.
    let text = String::from_utf8_lossy(pdf);
    assert!(text.contains("<pdfaid:part>2</pdfaid:part>"), "PDF/A-2");
    assert!(
        text.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "…b"
    );
    let info = tool("pdfinfo", &[], pdf);
    assert!(
        info.contains(&format!("Pages:           {pages}\n")),
        "{info}"
    );
    let size = if landscape {
        "841.89 x 595.276 pts (A4)"
    } else {
        "595.276 x 841.89 pts (A4)"
    };
    assert!(info.contains(size), "{info}");
    assert!(info.contains("Creator:         mimamori"), "{info}");
    let fonts = tool("pdffonts", &[], pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        assert!(
            row.contains("BIZUD"),
            "only the embedded BIZ UD fonts: {row}"
        );
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding…] emb sub uni object ID: `emb` is the fifth from the end.
        assert_eq!(cols[cols.len() - 5], "yes", "embedded: {row}");
    }
    let qpdf = tool("qpdf", &["--check"], pdf);
    assert!(
        qpdf.contains("No syntax or stream encoding errors"),
        "{qpdf}"
    );
}

#[test]
fn form2_and_form3_are_a4_with_their_fields_as_text_and_fonts_embedded() {
    for (emergency, title) in [
        (false, "防犯カメラ画像利用申請書兼誓約書"),
        (true, "防犯カメラ画像緊急利用申請書兼誓約書"),
    ] {
        let pdf = render(&application(emergency), at("2026-11-24T01:00:00Z")).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        keep(if emergency { "form3.pdf" } else { "form2.pdf" }, &pdf);
        check(&pdf, 1, false);
        let text = tool("pdftotext", &["-layout"], &pdf);
        let flat: String = text.split_whitespace().collect();
        for field in [
            title,
            "大阪府西淀川警察署",
            "署長山田太郎",
            "御幣島駅前ひったくり事件",
            "cam-001御幣島駅前（御幣島1丁目）",
            "上記の利用目的以外には使用しません",
            "受付番号12",
        ] {
            assert!(flat.contains(field), "{field} in {text}");
        }
        let form = if emergency {
            "様式第3号"
        } else {
            "様式第2号"
        };
        assert!(flat.contains(form), "{text}");
    }
}

#[test]
fn the_register_is_landscape_and_runs_onto_more_pages_with_its_header() {
    let pdf = render(&register(3), at("2026-12-01T00:00:00Z")).unwrap();
    keep("form1.pdf", &pdf);
    check(&pdf, 1, true);
    let text = tool("pdftotext", &["-layout"], &pdf);
    assert!(text.contains("様式第1号"), "{text}");
    assert!(text.contains("窃盗事件の捜査（その3）"), "{text}");
    let long = render(&register(120), at("2026-12-01T00:00:00Z")).unwrap();
    let info = tool("pdfinfo", &[], &long);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages > 1, "{info}");
    let text = tool(
        "pdftotext",
        &["-f", &pages.to_string(), "-l", &pages.to_string()],
        &long,
    );
    assert!(text.contains("取出日時"), "the header repeats: {text}");
    assert!(text.contains("その120"), "{text}");
}

#[test]
fn the_delegation_confirmation_reads_back() {
    let pdf = render(&delegation(), at("2026-11-20T00:00:00Z")).unwrap();
    keep("delegation.pdf", &pdf);
    check(&pdf, 1, false);
    let flat: String = tool("pdftotext", &[], &pdf).split_whitespace().collect();
    assert!(flat.contains("西淀川区第7号"), "{flat}");
    assert!(flat.contains("cam-001、cam-002"), "{flat}");
}

#[test]
fn the_same_record_gives_the_same_bytes() {
    let issued = at("2026-11-24T01:00:00Z");
    let a = render(&application(false), issued).unwrap();
    let b = render(&application(false), issued).unwrap();
    assert_eq!(a, b);
    let later = render(&application(false), at("2026-11-25T01:00:00Z")).unwrap();
    assert_ne!(a, later, "the issue time is in the metadata");
}

/// Issue 13: a case over several cameras lists them one per line in its cell; each line is
/// its own line in the PDF, not run together.
#[test]
fn a_cell_of_several_cameras_keeps_one_per_line() {
    let Document::Register(mut form) = register(1) else {
        unreachable!()
    };
    form.rows[0][2] = "cam-001 御幣島駅前\ncam-002 姫島駅南口".into();
    let pdf = render(&Document::Register(form), at("2026-12-01T00:00:00Z")).unwrap();
    check(&pdf, 1, true);
    let text = tool("pdftotext", &["-layout"], &pdf);
    let first = text.lines().position(|l| l.contains("cam-001 御幣島駅前"));
    let second = text.lines().position(|l| l.contains("cam-002 姫島駅南口"));
    match (first, second) {
        (Some(a), Some(b)) => assert!(b > a, "{text}"),
        _ => panic!("both cameras, each on a line of its own: {text}"),
    }
}

/// T-map: the layout map is landscape A4: the map on its page, then the camera and sign tables
/// as text; an SVG that does not parse is a layout error, not a panic.
#[test]
fn the_layout_map_is_landscape_with_its_tables_as_text() {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 800 600\" width=\"800\" \
               height=\"600\"><rect x=\"0\" y=\"0\" width=\"800\" height=\"600\" fill=\"#ffffff\" \
               stroke=\"#767676\"/><path d=\"M 400 300 L 450 250 A 70 70 0 0 1 470 300 Z\" \
               fill=\"#1565c0\" fill-opacity=\"0.3\"/><text x=\"410\" y=\"290\" \
               font-family=\"BIZ UDGothic\" font-size=\"14\">1</text></svg>";
    let map = |svg: &str| {
        Document::LayoutMap(LayoutMap {
            ward: "大阪市西淀川区".into(),
            title: "大阪市西淀川区 防犯カメラ配置図".into(),
            printed: "令和8年12月1日 9時00分".into(),
            map_svg: svg.into(),
            columns: ["番号", "名称", "所在地", "撮影方向"]
                .map(String::from)
                .to_vec(),
            widths: vec![0.5, 2.0, 2.0, 1.0],
            rows: vec![["1", "御幣島駅前交差点", "御幣島5丁目", "北東（45°）"]
                .map(String::from)
                .to_vec()],
            sign_columns: ["看板", "表示内容", "カメラ", "位置"]
                .map(String::from)
                .to_vec(),
            sign_rows: vec![
                ["S1", "防犯カメラ作動中 西淀川区", "1", "34.6968, 135.4744"]
                    .map(String::from)
                    .to_vec(),
            ],
        })
    };
    let pdf = render(&map(svg), at("2026-12-01T00:00:00Z")).unwrap();
    keep("layout-map.pdf", &pdf);
    check(&pdf, 2, true);
    let text = tool("pdftotext", &["-layout"], &pdf);
    let flat: String = text.split_whitespace().collect();
    for field in [
        "大阪市西淀川区防犯カメラ配置図",
        "御幣島駅前交差点",
        "北東（45°）",
        "防犯カメラ作動中西淀川区",
    ] {
        assert!(flat.contains(field), "{field} in {text}");
    }
    assert!(render(&map("<svg"), at("2026-12-01T00:00:00Z")).is_err());
}
