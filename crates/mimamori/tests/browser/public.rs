//! Issue 14: the public page in a real browser, without signing in. The demo ward's cameras are
//! in the register; the map draws one cone per camera pointing the way the register says, the
//! table below it matches the register, the open data parses, the page switches to English and
//! fits a phone's width.

use super::*;

/// The numbers of an SVG path's `d`, in order.
fn numbers(d: &str) -> Vec<f64> {
    d.split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

/// The compass bearing (degrees clockwise from north) from `(cx, cy)` to `(x, y)` in SVG
/// coordinates (y grows downwards).
fn bearing(cx: f64, cy: f64, x: f64, y: f64) -> f64 {
    (x - cx).atan2(cy - y).to_degrees().rem_euclid(360.0)
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n3_1b_t2_1_the_public_map_points_each_camera_the_registered_way() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = demo(dir.path(), 3);
    let (_driver, c) = browser().await;

    c.goto(&format!("{base}/")).await.unwrap();
    page_with(&c, "西淀川区 (デモ)の防犯カメラ").await;
    assert!(c.find(Locator::Css("script")).await.is_err(), "no script");
    let svg = c.find(Locator::Css(".map svg")).await.unwrap();
    assert_eq!(svg.attr("role").await.unwrap().as_deref(), Some("img"));

    // One cone per camera, its arc's middle in the direction the camera looks.
    let groups = c.find_all(Locator::Css("svg g.camera")).await.unwrap();
    assert_eq!(groups.len(), 3);
    let mut from_map = Vec::new();
    for g in &groups {
        let id = g.attr("data-camera").await.unwrap().unwrap();
        let looks: f64 = g
            .attr("data-bearing")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        let fov: f64 = g.attr("data-fov").await.unwrap().unwrap().parse().unwrap();
        let d = g
            .find(Locator::Css("path.cone"))
            .await
            .unwrap()
            .attr("d")
            .await
            .unwrap()
            .unwrap();
        // M cx cy L ax ay A r r 0 large 1 bx by Z
        let n = numbers(&d);
        assert_eq!(n.len(), 11, "{d}");
        let (cx, cy, ax, ay, bx, by) = (n[0], n[1], n[2], n[3], n[9], n[10]);
        let (a, b) = (bearing(cx, cy, ax, ay), bearing(cx, cy, bx, by));
        assert!(
            angle_between(a, looks - fov / 2.0) < 1.0,
            "{id}: {a} vs {looks}∓{fov}/2"
        );
        assert!(
            angle_between(b, looks + fov / 2.0) < 1.0,
            "{id}: {b} vs {looks}±{fov}/2"
        );
        let middle = bearing(cx, cy, (ax + bx) / 2.0, (ay + by) / 2.0);
        assert!(
            angle_between(middle, looks) < 1.0,
            "{id}: the cone points {middle}, not {looks}"
        );
        let dot = g.find(Locator::Css("circle.camera-dot")).await.unwrap();
        let dot_x: f64 = dot.attr("cx").await.unwrap().unwrap().parse().unwrap();
        assert!((dot_x - cx).abs() < 0.11, "the cone starts at the camera");
        from_map.push((id, looks));
    }
    // The demo's cameras look different ways (45°, 180°, 270°).
    from_map.sort_by(|a, b| a.0.cmp(&b.0));
    let looks: Vec<f64> = from_map.iter().map(|(_, b)| *b).collect();
    assert_eq!(looks, vec![45.0, 180.0, 270.0]);
    assert_eq!(
        c.find_all(Locator::Css("svg g.sign")).await.unwrap().len(),
        3
    );

    // The table says the same as the map.
    let rows = c
        .find_all(Locator::Css("#camera-table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        let id = row.attr("data-camera").await.unwrap().unwrap();
        let cell = row.find(Locator::Css("td[data-bearing]")).await.unwrap();
        let b: f64 = cell
            .attr("data-bearing")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert!(from_map.contains(&(id.clone(), b)), "{id} {b}");
    }
    let page = text(&c).await;
    assert!(page.contains("御幣島駅前交差点"), "{page}");
    assert!(page.contains("10 日間保存"), "{page}");
    assert!(
        !page.contains("rtsp://"),
        "no stream address on the public page"
    );
    screenshot(&c, "public-ja").await;

    // Open data: the CSV has the standard head and one row per camera; the GeoJSON parses.
    let addr = base.trim_start_matches("http://");
    let csv = http_get(addr, "/public/cameras.csv").expect("the CSV");
    let csv = csv.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("\"全国地方公共団体コード\",\"ID\",\"地方公共団体名\",\"名称\""));
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with("\"271136\",\"cam-001\""),
        "{}",
        lines[1]
    );
    let geo: serde_json::Value =
        serde_json::from_str(&http_get(addr, "/public/cameras.geojson").unwrap()).unwrap();
    assert_eq!(geo["features"].as_array().unwrap().len(), 6);

    // English by the switch.
    c.find(Locator::Css("form[action='/lang'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_with(&c, "Security cameras of").await;
    screenshot(&c, "public-en").await;

    // A phone's width: the map scales down to fit.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/public")).await.unwrap();
    page_with(&c, "Layout map").await;
    let (_, _, width, _) = c
        .find(Locator::Css(".map svg"))
        .await
        .unwrap()
        .rectangle()
        .await
        .unwrap();
    assert!(
        width <= 390.0,
        "the map is {width} px wide on a 390 px phone"
    );
    screenshot(&c, "public-phone-en").await;
}

/// Issue 14 (T3.3 c, T8): a person sends a complaint from the public page and gets a receipt
/// with its code; the status page shows it received; the Operations lead answers it on screen;
/// the status page then shows the answer. A `<script>` in the message is shown as text on the
/// staff's page, never run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t8_an_inquiry_gets_a_receipt_an_answer_and_its_status_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = demo(dir.path(), 1);
    let (_driver, c) = browser().await;

    c.goto(&format!("{base}/public")).await.unwrap();
    c.find(Locator::Css("main a[href='/public/inquiry']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_with(&c, "お問い合わせ・苦情").await;
    screenshot(&c, "inquiry-form-ja").await;
    let message = "夜、カメラの横の照明がまぶしいです。<script>document.title='x'</script>";
    c.find(Locator::Id("category-complaint"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("message"))
        .await
        .unwrap()
        .send_keys(message)
        .await
        .unwrap();
    c.find(Locator::Css("#inquiry-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_with(&c, "受け付けました").await;
    let receipt = c
        .find(Locator::Id("receipt-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = c
        .find(Locator::Id("receipt-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(receipt.ends_with("-00001"), "{receipt}");
    assert_eq!(secret.len(), 19, "{secret}");
    screenshot(&c, "inquiry-receipt-ja").await;

    let status = async |expected: &str| {
        c.goto(&format!("{base}/public/inquiry/status"))
            .await
            .unwrap();
        let form = c.form(Locator::Css("form.card")).await.unwrap();
        form.set_by_name("receipt", &receipt).await.unwrap();
        form.set_by_name("secret", &secret).await.unwrap();
        form.submit().await.unwrap();
        page_with(&c, expected).await
    };
    status("受け付けました").await;

    // The Operations lead reads it as text and answers on screen.
    sign_in(&c, &base, "lead", "demo-lead-pass").await;
    c.goto(&format!("{base}/inquiries")).await.unwrap();
    c.find(Locator::Css(&format!("a[href='/inquiries/{receipt}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = page_with(&c, "<script>document.title='x'</script>").await;
    assert!(page.contains("受付"), "{page}");
    assert!(c.find(Locator::Css("script")).await.is_err(), "not run");
    assert_ne!(c.title().await.unwrap(), "x");
    screenshot(&c, "inquiry-staff-ja").await;
    c.find(Locator::Css(&format!(
        "a[href='/inquiries/{receipt}/answer']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let answer = "照明の向きを下向きに調整しました。ご連絡ありがとうございました。";
    let form = c.form(Locator::Css("form.card")).await.unwrap();
    form.set_by_name("text", answer).await.unwrap();
    form.submit().await.unwrap();
    path_when(&c, |p| p == format!("/inquiries/{receipt}")).await;
    page_with(&c, "回答済み").await;
    sign_out(&c).await;

    let page = status("回答しました").await;
    assert!(page.contains(answer), "{page}");
    assert!(
        !page.contains("lead"),
        "no staff names on the status page (N12)"
    );
    screenshot(&c, "inquiry-status-answered-ja").await;
}
