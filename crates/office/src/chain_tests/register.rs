//! The camera register over HTTP (issue 14): a camera from its chosen site to its removal, each
//! step by the role the guideline gives it, each refusal naming its rule; and what the public
//! page, the CSV and the GeoJSON tell everyone, and what they never do (N12).

use super::*;

fn site(camera: &str, name: &str) -> Value {
    json!({
        "camera": camera, "name": name, "address": "テスト区本町1-1",
        "lat": 35.681236, "lon": 139.767125,
        "bearing_deg": 45, "fov_deg": 90, "range_m": 30, "height_m": 4.5,
        "privacy_notes": "住宅の窓をマスク",
        "basis_document": "テスト署生安第12号", "basis_date": "2026-10-01",
        "basis_summary": "ひったくりが多い交差点"
    })
}

fn sign(cameras: &[&str], text: &str) -> Value {
    json!({ "lat": 35.6814, "lon": 139.7671, "text": text, "cameras": cameras,
            "on": "2026-11-21" })
}

fn on(date: &str) -> Value {
    json!({ "on": date })
}

/// N4.1, T2.1, N4.2, T7.2: the Manager chooses the site; the Operations lead records its
/// installation, its sign and its operation; a sign's removal leaves an alert until another
/// covers it; the Manager removes the camera with its sign. Steps out of order and out of role
/// are refused, recorded, and change nothing.
#[tokio::test]
async fn n4_1_t7_2_a_camera_from_its_site_to_its_removal() {
    let w = World::new().await;
    let (mayor, lead) = (w.sign_in("mayor").await, w.sign_in("lead").await);
    let post = |uri: &'static str, who: &str, body: Value| {
        let who = who.to_owned();
        let w = &w;
        async move { w.call(Method::POST, uri, Some(&who), Some(body)).await }
    };
    let register = || async {
        w.call(Method::GET, "/api/v1/register", Some(&mayor), None)
            .await
            .1
    };
    assert_eq!(register().await["unregistered"], json!(["cam1"]));

    let (status, body) = post("/api/v1/register/sites", &lead, site("cam1", "駅前")).await;
    assert_refused(status, &body, "role_not_permitted", "N4.1");
    let mut bad = site("cam1", "駅前");
    bad["bearing_deg"] = json!(360);
    let (status, body) = post("/api/v1/register/sites", &mayor, bad).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("bearing_deg"))
    );
    let mut future = site("cam1", "駅前");
    future["basis_date"] = json!("2026-11-24");
    let (status, body) = post("/api/v1/register/sites", &mayor, future).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("basis_date"))
    );
    let mut no_basis = site("cam1", "駅前");
    no_basis["basis_summary"] = json!(" ");
    let (status, body) = post("/api/v1/register/sites", &mayor, no_basis).await;
    assert_refused(status, &body, "invalid_input", "N4.1");
    assert!(register().await["cameras"].as_array().unwrap().is_empty());

    let (status, body) = post("/api/v1/register/sites", &mayor, site("cam1", "駅前")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let r = register().await;
    assert_eq!(r["unregistered"], json!([]));
    assert_eq!(r["cameras"][0]["state"], "planned");
    assert_eq!(r["cameras"][0]["lat"], 35.681236);
    assert_eq!(r["cameras"][0]["height_m"], 4.5);
    assert_eq!(r["cameras"][0]["chosen_by"], "mayor");

    let (status, body) = post(
        "/api/v1/register/cameras/cam1/operation",
        &lead,
        on("2026-11-21"),
    )
    .await;
    assert_refused(status, &body, "not_installed", "T2.1");
    let (status, body) = post(
        "/api/v1/register/cameras/cam1/installed",
        &lead,
        on("2026-11-20"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = post("/api/v1/register/sites", &mayor, site("cam1", "駅前")).await;
    assert_refused(status, &body, "site_fixed", "N4.1");
    let (status, body) = post(
        "/api/v1/register/cameras/cam1/operation",
        &lead,
        on("2026-11-21"),
    )
    .await;
    assert_refused(status, &body, "no_sign", "N4.2");
    let (status, body) = post(
        "/api/v1/register/signs",
        &lead,
        sign(&["cam1"], "カメラ作動中 テスト区"),
    )
    .await;
    assert_refused(status, &body, "sign_text", "T2.2");
    let (status, body) = post(
        "/api/v1/register/signs",
        &lead,
        sign(&["cam9"], "防犯カメラ作動中 テスト区"),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("camera_not_registered"))
    );
    let (status, body) = post(
        "/api/v1/register/signs",
        &lead,
        sign(&["cam1"], "防犯カメラ作動中 テスト区"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let first_sign = body["sign"].as_i64().unwrap();
    let (status, body) = post(
        "/api/v1/register/cameras/cam1/operation",
        &lead,
        on("2026-11-21"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(register().await["cameras"][0]["state"], "in_operation");

    // N4.2: the sign gone, the camera in operation is an alert until a sign covers it again.
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/register/signs/{first_sign}/removal"),
            Some(&lead),
            Some(json!({ "on": "2026-11-22", "reason": "台風で破損" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cameras_left_unsigned"], json!(["cam1"]));
    assert_eq!(register().await["unsigned"], json!(["cam1"]));
    let open = |alerts: Vec<mimamori_db::AlertRow>| {
        alerts
            .into_iter()
            .filter(|a| a.kind == AlertKind::SignMissing && a.resolved_us.is_none())
            .count()
    };
    assert_eq!(open(w.office.db.alerts(100).await.unwrap()), 1);
    let (status, body) = post(
        "/api/v1/register/signs",
        &lead,
        sign(&["cam1"], "防犯カメラ作動中 テスト区"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let second_sign = body["sign"].as_i64().unwrap();
    assert_eq!(open(w.office.db.alerts(100).await.unwrap()), 0);

    // T7.2: the Manager's decision; the sign that told only of it comes down with it.
    let removal = json!({ "on": "2026-11-23", "reason": "運用終了" });
    let (status, body) = post(
        "/api/v1/register/cameras/cam1/removal",
        &lead,
        removal.clone(),
    )
    .await;
    assert_refused(status, &body, "role_not_permitted", "T7.2");
    let (status, body) = post(
        "/api/v1/register/cameras/cam1/removal",
        &mayor,
        removal.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signs_removed"], json!([second_sign]));
    let (status, body) = post("/api/v1/register/cameras/cam1/removal", &mayor, removal).await;
    assert_refused(status, &body, "camera_removed", "T7.2");
    let r = register().await;
    assert_eq!(r["cameras"][0]["state"], "removed");
    assert_eq!(r["cameras"][0]["removed_on"], "2026-11-23");
    assert_eq!(r["unregistered"], json!([]));
    assert_eq!(
        r["removed_in_policy"],
        json!(["cam1"]),
        "removed, and still in the policy file: still recorded"
    );

    // Every step is an event by its person, in their role, under its rule.
    let events = w.office.db.events(None).await.unwrap();
    let of = |kind: &str| events.iter().filter(|e| e.kind == kind).collect::<Vec<_>>();
    let chosen = of("camera_site_chosen");
    assert_eq!(chosen.len(), 1);
    assert_eq!(
        (chosen[0].actor.as_str(), chosen[0].role.as_deref()),
        ("mayor", Some("manager"))
    );
    assert_eq!(chosen[0].rule.as_deref(), Some("N4.1"));
    assert_eq!(
        of("camera_operation_started")[0].rule.as_deref(),
        Some("N4.2")
    );
    assert_eq!(of("sign_placed").len(), 2);
    assert_eq!(of("camera_removed")[0].role.as_deref(), Some("manager"));
    let refused: Vec<&str> = of("refused")
        .iter()
        .filter_map(|e| e.rule.as_deref())
        .collect();
    for rule in ["N4.1", "T2.1", "N4.2", "T2.2", "T7.2"] {
        assert!(
            refused.contains(&rule),
            "{rule} refusal recorded: {refused:?}"
        );
    }
}

/// N3.1b, T2.1, N12: the public page, without sign-in, shows each camera in operation with its
/// cone on the map and in the table; text staff typed is escaped; it shows no stream URL, no
/// staff login, nothing of the police's document. The CSV has the standard head and a BOM; the
/// GeoJSON is [longitude, latitude].
#[tokio::test]
async fn n3_1b_the_public_page_tells_where_the_cameras_are_and_nothing_secret() {
    let w = World::new().await;
    let (mayor, lead) = (w.sign_in("mayor").await, w.sign_in("lead").await);
    let name = "<script>alert(1)</script>駅前";
    for (uri, who, body) in [
        ("/api/v1/register/sites", &mayor, site("cam1", name)),
        (
            "/api/v1/register/cameras/cam1/installed",
            &lead,
            on("2026-11-20"),
        ),
        (
            "/api/v1/register/signs",
            &lead,
            sign(&["cam1"], "防犯カメラ作動中 テスト区"),
        ),
        (
            "/api/v1/register/cameras/cam1/operation",
            &lead,
            on("2026-11-21"),
        ),
        (
            "/api/v1/register/sites",
            &mayor,
            site("cam2", "計画中の場所"),
        ),
    ] {
        let (status, body) = w.call(Method::POST, uri, Some(who), Some(body)).await;
        assert!(status.is_success(), "{uri}: {status} {body}");
    }
    let (status, html) = w.bytes(Method::GET, "/public", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html.to_vec()).unwrap();
    assert_eq!(
        html.matches(r#"<g class="camera""#).count(),
        1,
        "only the camera in operation"
    );
    assert!(html.contains(r#"data-camera="cam1""#));
    assert!(html.contains(r#"data-bearing="45""#), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;駅前"));
    assert!(
        !html.contains("<script"),
        "no script, and no input rendered as HTML"
    );
    for secret in [
        "rtsp://",
        "mayor",
        "テスト署生安第12号",
        "ひったくり",
        "計画中の場所",
    ] {
        assert!(!html.contains(secret), "{secret} is not public");
    }
    assert!(
        html.contains("10 日間保存"),
        "the retention days from the policy"
    );

    let (status, csv) = w
        .bytes(Method::GET, "/public/cameras.csv", None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    let csv = csv.strip_prefix('\u{feff}').expect("a BOM first");
    let mut lines = csv.split("\r\n");
    let head = lines.next().unwrap();
    assert!(
        head.starts_with(r#""全国地方公共団体コード","ID","地方公共団体名","名称""#),
        "{head}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(r#""cam1","テスト区","<script>alert(1)</script>駅前""#),
        "{row}"
    );
    assert!(row.contains(r#""35.681236","139.767125""#), "{row}");
    assert_eq!(lines.next(), Some(""), "one camera, then the end");

    // T-map: the printable layout map, typeset once while the register is unchanged.
    let (status, pdf) = w
        .bytes(Method::GET, "/public/map.pdf", None, None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let (_, again) = w
        .bytes(Method::GET, "/public/map.pdf", None, None, &[])
        .await;
    assert_eq!(pdf, again, "the same PDF, from the cache");

    let (status, geo) = w
        .call(Method::GET, "/public/cameras.geojson", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(geo["type"], "FeatureCollection");
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), 2, "one camera and one sign");
    assert_eq!(
        features[0]["geometry"]["coordinates"],
        json!([139.767125, 35.681236])
    );
    assert_eq!(features[1]["properties"]["kind"], "sign");
}

/// T3.3 (issue 14): the published statistics are counted at a signed checkpoint and agree with
/// a count of the log's canonical lines (what `mimamori ledger dump` writes) up to it; an event
/// after the checkpoint is not counted until the next one.
#[tokio::test]
async fn t3_3_the_published_statistics_agree_with_a_count_of_the_dump() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let now = w.now();
    let hold = || {
        json!({ "camera": "cam1", "from": (now - SignedDuration::from_hours(2)).to_string(),
                "to": (now - SignedDuration::from_hours(1)).to_string(),
                "until": (now + SignedDuration::from_hours(24 * 30)).to_string(),
                "reason": "公判のため" })
    };
    for _ in 0..2 {
        let (status, body) = w
            .call(Method::POST, "/api/v1/holds", Some(&mayor), Some(hold()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    w.office.notary.sign_checkpoint().await.unwrap();
    let (status, body) = w
        .call(Method::POST, "/api/v1/holds", Some(&mayor), Some(hold()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, stats) = w
        .call(Method::GET, "/public/statistics.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let size = stats["checkpoint_size"].as_u64().unwrap();

    // Count as an outsider would, from the canonical lines of the log.
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let mut by_month = std::collections::BTreeMap::<String, u64>::new();
    for row in w.office.db.event_page(1, 100_000).await.unwrap() {
        let line: Value = serde_json::from_slice(&row.canonical_bytes().unwrap()).unwrap();
        if line["seq"].as_u64().unwrap() >= size || line["kind"] != "hold_added" {
            continue;
        }
        let time: Timestamp = line["time"].as_str().unwrap().parse().unwrap();
        let local = time.to_zoned(tz.clone());
        *by_month
            .entry(format!("{:04}-{:02}", local.year(), local.month()))
            .or_default() += 1;
    }
    assert_eq!(
        by_month.values().sum::<u64>(),
        2,
        "the third hold is after the checkpoint"
    );
    let published: std::collections::BTreeMap<String, u64> = stats["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["holds"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(published, by_month);

    // The page shows the same figures, with the checkpoint they are counted at.
    let (_, html) = w.bytes(Method::GET, "/", None, None, &[]).await;
    let html = String::from_utf8(html.to_vec()).unwrap();
    assert!(html.contains(r#"<table id="stats-months">"#), "{html}");
    assert!(html.contains(&format!("最初の {size} 件")), "{html}");
}
