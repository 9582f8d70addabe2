//! Cases with several cameras (issue 13, N9.2 「対象となる防犯カメラ及び画像の日時」): an
//! incident spans adjacent cameras, so one instruction names several, each with its own range,
//! and one retrieval lets out one evidence package carrying a clip of each, every clip with its
//! own hash and ledger events. Over real footage from two demo cameras; refusals name the item
//! of the list at fault, on the API and on the form.

use mimamori_ledger::package::verify_package;
use mimamori_ledger::TrustedKeys;

use super::real_footage::filmed;
use super::screens::{form_time, location, page, sign_in_form};
use super::*;

/// The ward of these tests: `cam1` and an adjacent `cam2`, neither connected.
fn two_cameras() -> String {
    format!(
        "{POLICY}[[camera]]\nid = \"cam2\"\nname = \"公園\"\nsite = \"2丁目\"\n\
         url = \"rtsp://127.0.0.1:1/cam2\"\nwithout_credentials = \"テスト用\"\n"
    )
}

/// A camera of an instruction's `cameras`, with its range ending `ago` minutes ago.
fn item(camera: &str, now: Timestamp, (from_ago, to_ago): (i64, i64)) -> Value {
    json!({
        "camera": camera,
        "from": (now - SignedDuration::from_mins(from_ago)).to_string(),
        "to": (now - SignedDuration::from_mins(to_ago)).to_string(),
    })
}

#[tokio::test]
async fn n9_2_one_instruction_names_adjacent_cameras_and_one_package_carries_each_clip() {
    let at: Timestamp = "2026-11-24T14:00:00+09:00".parse().unwrap();
    let f = filmed(at, &["cam1", "cam2"]).await;
    let w = &f.w;
    let (mayor, lead, sato) = (
        w.sign_in("mayor").await,
        w.sign_in("lead").await,
        w.sign_in("sato").await,
    );
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    // cam1 over everything filmed; cam2, where the person walked on to, over its second half.
    let (from, to) = f.range();
    // To the microsecond, as the database keeps times.
    let micro = |t: &str| {
        let t: Timestamp = t.parse().unwrap();
        Timestamp::from_microsecond(t.as_microsecond()).unwrap()
    };
    let (from, to) = (micro(&from), micro(&to));
    let cam2_from = to - SignedDuration::from_secs(4);
    let cameras = json!([
        { "camera": "cam1", "from": from, "to": to },
        { "camera": "cam2", "from": cam2_from, "to": to },
    ]);
    let (status, row) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/instruction"),
            Some(&lead),
            Some(json!({ "cameras": cameras, "handler": "sato", "terminal": "pc-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    let named: Vec<(String, Timestamp, Timestamp)> = row["instruction"]["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let at = |k: &str| c[k].as_str().unwrap().parse::<Timestamp>().unwrap();
            (
                c["camera"].as_str().unwrap().to_owned(),
                at("from"),
                at("to"),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("cam1".to_owned(), from, to),
            ("cam2".to_owned(), cam2_from, to)
        ],
        "{row}"
    );
    assert_eq!(row["instruction"]["camera"], "cam1", "the first, as before");

    let (grant, package) = f.retrieve(&sato, id, &key).await;
    let trusted = TrustedKeys::parse(&w.office.notary.verifier_key().await).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("package.zip");
    std::fs::write(&zip, &package).unwrap();
    let verified = verify_package(&zip, &trusted).expect("the package verifies");
    let clips = &verified.manifest.clips;
    let got: Vec<(&str, &str)> = clips
        .iter()
        .map(|c| (c.file.as_str(), c.camera_id.as_str()))
        .collect();
    assert_eq!(got, [("clip-1.mp4", "cam1"), ("clip-2.mp4", "cam2")]);
    // Each clip covers its own camera's range, not the other's.
    let utc = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string();
    assert_eq!(clips[1].requested_start.utc, utc(cam2_from));
    assert_eq!(clips[0].requested_start.utc, utc(from));
    // Each clip has its own pair of ledger events, and both are MP4 files.
    let events: Vec<_> = clips
        .iter()
        .map(|c| (c.started_event.unwrap(), c.finished_event.unwrap()))
        .collect();
    assert_ne!(events[0], events[1]);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    for c in clips {
        let mut head = [0u8; 8];
        std::io::Read::read_exact(&mut archive.by_name(&c.file).unwrap(), &mut head).unwrap();
        assert_eq!(&head[4..8], b"ftyp", "{} is an MP4", c.file);
    }

    // The request's record and Form 1 name both cameras with both clips' hashes.
    let row = w.request(&mayor, id).await;
    let retrieval = &row["retrieval"];
    assert_eq!(retrieval["grant"], grant);
    assert_eq!(retrieval["camera"], "cam1");
    assert_eq!(retrieval["further_clips"][0]["camera"], "cam2", "{row}");
    let file_hash = |name: &str| {
        let entry = verified.manifest.files.iter().find(|e| e.path == name);
        entry.unwrap().sha256.clone()
    };
    assert_eq!(retrieval["clip_sha256"], file_hash("clip-1.mp4"));
    assert_eq!(
        retrieval["further_clips"][0]["clip_sha256"],
        file_hash("clip-2.mp4")
    );
    let (_, rows) = w
        .call(Method::GET, "/api/v1/form1?camera=cam2", Some(&mayor), None)
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.len(),
        1,
        "the filter finds the case by its second camera"
    );
    let form1 = &rows[0];
    assert_eq!(form1["cameras"].as_array().unwrap().len(), 2, "{form1}");
    assert_eq!(
        form1["clips_sha256"],
        json!([file_hash("clip-1.mp4"), file_hash("clip-2.mp4")])
    );

    // The request page shows both cameras and both clips.
    let cookie = sign_in_form(w, "mayor").await;
    let (_, _, body) = page(
        w,
        Method::GET,
        &format!("/requests/{id}"),
        Some(&cookie),
        None,
        &[],
    )
    .await;
    assert!(body.contains("cam1 駅前"), "{body}");
    assert!(body.contains("cam2 隣接1"), "{body}");
    assert!(body.contains(&format!("cam2: SHA-256 {}", file_hash("clip-2.mp4"))));

    // A package of several clips resists changes as a package of one does.
    super::real_footage::verifies_and_resists_changes(w, &package).await;
    f.recorder.stop().await;
}

/// N9.2, T6.1: the list is checked item by item, and a refusal names the item at fault, so the
/// form can show it by that camera's inputs. Nothing is recorded but the refusal.
#[tokio::test]
async fn n9_2_a_refused_camera_of_several_is_named_by_its_place_in_the_list() {
    let w = World::with_policy(&two_cameras(), fixed_clock()).await;
    let (mayor, lead) = (w.sign_in("mayor").await, w.sign_in("lead").await);
    w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    let now = w.now();
    let instruct = |body: Value| {
        let (w, lead) = (&w, lead.clone());
        async move {
            w.call(
                Method::POST,
                &format!("/api/v1/requests/{id}/instruction"),
                Some(&lead),
                Some(body),
            )
            .await
        }
    };
    let with =
        |cameras: Value| json!({ "cameras": cameras, "handler": "sato", "terminal": "pc-1" });
    let cases = [
        (
            // Both ways of naming cameras at once.
            json!({ "camera": "cam1", "from": (now - SignedDuration::from_mins(9)).to_string(),
                    "to": now.to_string(), "cameras": [item("cam2", now, (9, 1))],
                    "handler": "sato", "terminal": "pc-1" }),
            "cameras",
            "N9.2",
        ),
        (with(json!([])), "camera", "N9.2"),
        (
            with(json!([
                item("cam1", now, (30, 20)),
                item("cam9", now, (30, 20))
            ])),
            "cameras.1.camera",
            "",
        ),
        (
            with(json!([
                item("cam1", now, (30, 20)),
                item("cam1", now, (25, 10))
            ])),
            "cameras.1.camera",
            "T6.1",
        ),
        (
            with(json!([
                item("cam2", now, (30, 20)),
                item("cam1", now, (26 * 60, 20))
            ])),
            "cameras.1.to",
            "T6.1",
        ),
        (
            with(json!((0..9)
                .map(|n| item("cam1", now, (10 * n + 10, 10 * n + 5)))
                .collect::<Vec<_>>())),
            "cameras",
            "T6.1",
        ),
    ];
    for (body, field, rule) in cases {
        let (status, answer) = instruct(body.clone()).await;
        assert!(status.is_client_error(), "{body}: {status} {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        if !rule.is_empty() {
            assert_eq!(answer["error"]["rule"], rule, "{answer}");
        }
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    // The same camera twice for ranges that do not meet is one case, not a sweep: allowed.
    let (status, row) = instruct(with(json!([
        item("cam1", now, (60, 50)),
        item("cam2", now, (55, 45)),
        item("cam1", now, (30, 20)),
    ])))
    .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["instruction"]["cameras"].as_array().unwrap().len(), 3);
}

/// The instruction form takes a case over two cameras; a refusal of the second camera's range
/// is shown by that camera's inputs, with everything typed kept.
#[tokio::test]
async fn n9_2_the_instruction_form_names_several_cameras() {
    let w = World::with_policy(&two_cameras(), fixed_clock()).await;
    let mayor = w.sign_in("mayor").await;
    let lead_api = w.sign_in("lead").await;
    w.terminal(&lead_api, "pc-1").await;
    let id = w.order(&mayor).await;
    let lead = sign_in_form(&w, "lead").await;
    let uri = format!("/requests/{id}/instruct");
    let (status, _, body) = page(&w, Method::GET, &uri, Some(&lead), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for n in 0..4 {
        assert!(
            body.contains(&format!(r#"name="cameras.{n}.camera""#)),
            "{body}"
        );
    }
    // The handler is chosen from the appointed image handlers (N7.4).
    assert!(
        body.contains(r#"<select id="handler" name="handler" required"#),
        "{body}"
    );
    assert!(body.contains(r#"<option value="sato">"#), "{body}");
    assert!(!body.contains(r#"<option value="mayor">"#), "{body}");
    let t = |mins: i64| form_time(w.now() - SignedDuration::from_mins(mins));
    // cam2's range ends before it starts.
    let form = format!(
        "cameras.0.camera=cam1&cameras.0.from={}&cameras.0.to={}&cameras.1.camera=cam2&\
         cameras.1.from={}&cameras.1.to={}&cameras.2.camera=&cameras.2.from=&cameras.2.to=&\
         handler=sato&terminal=pc-1",
        t(30),
        t(20),
        t(20),
        t(25)
    );
    let (status, _, body) = page(&w, Method::POST, &uri, Some(&lead), Some(&form), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains(r#"id="cameras.1.to-error""#), "{body}");
    assert!(
        body.contains(&format!(r#"value="{}""#, t(25))),
        "kept: {body}"
    );
    assert!(
        body.contains(r#"<option value="cam2" selected>"#),
        "kept: {body}"
    );
    // Corrected, it is taken, and the request names both cameras.
    let form = form.replace(
        &format!("cameras.1.to={}", t(25)),
        &format!("cameras.1.to={}", t(15)),
    );
    let (status, headers, body) = page(&w, Method::POST, &uri, Some(&lead), Some(&form), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), format!("/requests/{id}"));
    let row = w.request(&mayor, id).await;
    let cameras: Vec<&str> = row["instruction"]["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["camera"].as_str().unwrap())
        .collect();
    assert_eq!(cameras, ["cam1", "cam2"]);
}
