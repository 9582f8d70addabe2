//! The staff screens (issue 13) over the same router as the API: sign-in with a cookie, the
//! home page's work list from the same workflow, the language switch, and cross-site posts
//! refused. Browser tests with Chromium are in `crates/mimamori/tests/browser.rs`.

use super::*;

/// A form post or a page fetch from a browser: the answer's status, headers and body.
pub(super) async fn page(
    w: &World,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match form {
        Some(f) => req
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let response = crate::router(w.office.clone()).oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

pub(super) fn location(headers: &axum::http::HeaderMap) -> &str {
    headers[header::LOCATION].to_str().unwrap()
}

/// The `name=value` part of a Set-Cookie header naming `name`.
fn set_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// Signs `login` in through the form; returns the session cookie as a Cookie header value.
pub(super) async fn sign_in_form(w: &World, login: &str) -> String {
    let form = format!("login={login}&password={}", crate::testutil::PASSWORD);
    let (status, headers, body) = page(w, Method::POST, "/signin", None, Some(&form), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/");
    let cookie = set_cookie(&headers, "__Host-mimamori-session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn n3_3_1_the_screens_sign_in_with_a_cookie_and_show_the_work_waiting() {
    let w = World::new().await;
    // Without a session, `/` is the public page with the staff's sign-in as a link on it
    // (issue 14), and every staff screen leads to the sign-in page, in Japanese first.
    let (status, _, body) = page(&w, Method::GET, "/", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("の防犯カメラ</h1>"), "{body}");
    assert!(body.contains(r#"<a href="/signin">"#), "{body}");
    let (status, headers, _) = page(&w, Method::GET, "/requests", None, None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/signin");
    let (status, headers, body) = page(&w, Method::GET, "/signin", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"<html lang="ja">"#), "{body}");
    assert!(body.contains(r#"<label for="password">パスワード</label>"#));
    assert!(headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    // A wrong password: the page again, the reason in Japanese, the login kept.
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/signin",
        None,
        Some("login=sato&password=wrong-password"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("サインインできませんでした"), "{body}");
    assert!(
        body.contains(r#"value="sato""#),
        "the login is kept: {body}"
    );
    assert!(body.contains("N3.3.1"), "the rule is named: {body}");

    // The handler's home page: nothing waits until an instruction names them.
    let sato = sign_in_form(&w, "sato").await;
    let (status, _, body) = page(&w, Method::GET, "/", Some(&sato), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("画像取扱員"), "{body}");
    assert!(
        body.contains("あなたの手続を待っている依頼はありません"),
        "{body}"
    );

    // The Manager orders, the Operations lead instructs sato: it waits for sato, not suzuki.
    let (mayor, lead) = (w.sign_in("mayor").await, w.sign_in("lead").await);
    w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    let (_, _, lead_home) = page(
        &w,
        Method::GET,
        "/",
        Some(&sign_in_form(&w, "lead").await),
        None,
        &[],
    )
    .await;
    assert!(
        lead_home.contains("取り出しの指示（運用責任者）"),
        "{lead_home}"
    );
    w.instruct(&lead, id, "sato", "pc-1").await;
    let (_, _, body) = page(&w, Method::GET, "/", Some(&sato), None, &[]).await;
    assert!(body.contains("取り出し（専用端末）"), "{body}");
    assert!(body.contains("ひったくり事件の確認"), "{body}");
    let suzuki = sign_in_form(&w, "suzuki").await;
    let (_, _, body) = page(&w, Method::GET, "/", Some(&suzuki), None, &[]).await;
    assert!(
        body.contains("あなたの手続を待っている依頼はありません"),
        "{body}"
    );

    // The Administrator's page says what the role is for and lists no request (N7.1).
    let admin = sign_in_form(&w, "admin").await;
    let (_, _, body) = page(&w, Method::GET, "/", Some(&admin), None, &[]).await;
    assert!(body.contains("アカウントの管理だけ"), "{body}");
    assert!(!body.contains("ひったくり"), "{body}");

    // Signing out ends the session itself, not only the cookie.
    let (status, headers, _) = page(&w, Method::POST, "/signout", Some(&sato), None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&headers, "__Host-mimamori-session").is_some());
    let (status, headers, _) = page(&w, Method::GET, "/requests", Some(&sato), None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/signin");
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_stays_on_this_site() {
    let w = World::new().await;
    let (status, headers, _) = page(
        &w,
        Method::POST,
        "/lang",
        None,
        Some("lang=en&back=%2Fsignin"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/signin");
    let cookie = set_cookie(&headers, "mimamori-lang").unwrap();
    assert!(cookie.starts_with("mimamori-lang=en"), "{cookie}");
    let (_, _, body) = page(
        &w,
        Method::GET,
        "/signin",
        Some("mimamori-lang=en"),
        None,
        &[],
    )
    .await;
    assert!(body.contains(r#"<html lang="en">"#), "{body}");
    assert!(body.contains("Sign in"));
    // Japanese first: a browser that prefers English still gets Japanese until the switch.
    let (_, _, body) = page(
        &w,
        Method::GET,
        "/signin",
        None,
        None,
        &[("accept-language", "en-GB,en;q=0.9")],
    )
    .await;
    assert!(body.contains(r#"<html lang="ja">"#));
    // The way back is a path of this site, never another host.
    for back in ["%2F%2Fevil.example%2F", "https%3A%2F%2Fevil.example%2F"] {
        let form = format!("lang=ja&back={back}");
        let (_, headers, _) = page(&w, Method::POST, "/lang", None, Some(&form), &[]).await;
        assert_eq!(location(&headers), "/", "{back}");
    }
}

#[tokio::test]
async fn n3_3_1_a_form_posted_from_another_site_is_refused() {
    let w = World::new().await;
    let form = format!("login=sato&password={}", crate::testutil::PASSWORD);
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("origin", "http://evil.example")][..],
    ] {
        let (status, _, body) = page(&w, Method::POST, "/signin", None, Some(&form), headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(
            body.contains("別のサイトからの送信は受け付けません"),
            "{body}"
        );
    }
    // The same form from the page itself is taken.
    let (status, _, _) = page(
        &w,
        Method::POST,
        "/signin",
        None,
        Some(&form),
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// A moment as the instruction form's `datetime-local` inputs take it (Japan time).
pub(super) fn form_time(t: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M").to_string()
}

#[tokio::test]
async fn n9_1_n9_2_the_order_and_the_instruction_as_forms() {
    let w = World::new().await;
    let mayor = sign_in_form(&w, "mayor").await;
    let (status, _, body) = page(&w, Method::GET, "/orders/new", Some(&mayor), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("T6.1b"),
        "the bases are offered with their rules: {body}"
    );

    // T6.1(b) needs the request document: refused, the message next to that field, and what
    // was typed kept.
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/orders",
        Some(&mayor),
        Some("purpose=駅前の事件の確認&reason=通報あり&basis.kind=t6_1_b"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains(r#"value="駅前の事件の確認""#), "kept: {body}");
    assert!(body.contains("照会文書等"), "{body}");
    assert!(
        body.contains(r#"<option value="t6_1_b" selected>"#),
        "{body}"
    );
    let at_field = body.find("name=\"basis.document\"").unwrap();
    let message = body.find("field-error").unwrap();
    assert!(
        message > at_field,
        "the message is next to the document field"
    );

    // Complete, it is an order: the request's page.
    let (status, headers, body) = page(
        &w,
        Method::POST,
        "/orders",
        Some(&mayor),
        Some("purpose=駅前の事件の確認&reason=通報あり&basis.kind=t6_1_b&basis.document=照会書 第12号"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let request = location(&headers).to_owned();
    assert!(request.starts_with("/requests/"), "{request}");
    let (_, _, body) = page(&w, Method::GET, &request, Some(&mayor), None, &[]).await;
    assert!(body.contains("指示（管理責任者）済み"), "{body}");
    assert!(body.contains("駅前の事件の確認"));

    // An image handler cannot order (N9.1): the form says so, and posting is refused.
    let sato = sign_in_form(&w, "sato").await;
    let (_, _, body) = page(&w, Method::GET, "/orders/new", Some(&sato), None, &[]).await;
    assert!(body.contains("管理責任者が行います"), "{body}");
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/orders",
        Some(&sato),
        Some("purpose=私用&reason=見たい&basis.kind=t6_1_e"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("N9.1"), "{body}");

    // The Operations lead instructs sato at a terminal, the range typed in Japan time.
    let lead_api = w.sign_in("lead").await;
    w.terminal(&lead_api, "pc-1").await;
    let lead = sign_in_form(&w, "lead").await;
    let (_, _, body) = page(&w, Method::GET, &request, Some(&lead), None, &[]).await;
    assert!(body.contains(&format!("{request}/instruct")), "{body}");
    let form = format!(
        "cameras.0.camera=cam1&cameras.0.from=not-a-time&cameras.0.to={}&handler=sato&terminal=pc-1",
        form_time(w.now() - SignedDuration::from_mins(20))
    );
    let uri = format!("{request}/instruct");
    let (status, _, body) = page(&w, Method::POST, &uri, Some(&lead), Some(&form), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("日時を入力してください"), "{body}");
    assert!(
        body.contains(r#"<option value="pc-1" selected>"#),
        "kept: {body}"
    );
    let form = format!(
        "cameras.0.camera=cam1&cameras.0.from={}&cameras.0.to={}&handler=sato&terminal=pc-1",
        form_time(w.now() - SignedDuration::from_mins(30)),
        form_time(w.now() - SignedDuration::from_mins(20))
    );
    let (status, headers, body) = page(&w, Method::POST, &uri, Some(&lead), Some(&form), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), request);
    let (_, _, body) = page(&w, Method::GET, &request, Some(&lead), None, &[]).await;
    assert!(body.contains("指示（運用責任者）済み"), "{body}");
    assert!(body.contains("pc-1"));
    // And it waits for sato.
    let (_, _, body) = page(&w, Method::GET, "/", Some(&sato), None, &[]).await;
    assert!(body.contains("取り出し（専用端末）"), "{body}");
}

#[tokio::test]
async fn n3_3_1_the_second_factor_is_set_up_on_screen() {
    let w = World::new().await;
    let mayor = sign_in_form(&w, "mayor").await;
    let (status, _, body) = page(&w, Method::POST, "/me/totp", Some(&mayor), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at = body.find(r#"id="secret">"#).unwrap() + r#"id="secret">"#.len();
    let secret: String = body[at..]
        .chars()
        .take_while(|c| *c != '<')
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = totp_rs::Secret::Encoded(secret).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes).unwrap();
    // A wrong code: refused with the rule, nothing switched on.
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/me/totp/confirm",
        Some(&mayor),
        Some("code=000000"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("N3.3.1"), "{body}");
    let code = totp.generate(w.now().as_second() as u64);
    let (status, headers, body) = page(
        &w,
        Method::POST,
        "/me/totp/confirm",
        Some(&mayor),
        Some(&format!("code={code}")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/");
    // Now a sign-in without a code is refused; with the next code it is taken.
    let form = format!("login=mayor&password={}", crate::testutil::PASSWORD);
    let (status, _, _) = page(&w, Method::POST, "/signin", None, Some(&form), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let next = totp.generate(w.now().as_second() as u64 + 30);
    let form = format!("{form}&totp={next}");
    let (status, _, body) = page(&w, Method::POST, "/signin", None, Some(&form), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
}

#[tokio::test]
async fn n9_3_form_1_as_a_table_with_filters_and_as_csv_for_excel() {
    let w = World::new().await;
    let mayor_api = w.sign_in("mayor").await;
    w.order(&mayor_api).await;
    let auditor = sign_in_form(&w, "auditor").await;
    let (status, _, body) = page(&w, Method::GET, "/form1", Some(&auditor), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("ひったくり事件の確認"), "{body}");
    assert!(body.contains("T6.1e"), "{body}");
    // Filtered by another basis, or a period before it: nothing.
    let (_, _, body) = page(
        &w,
        Method::GET,
        "/form1?basis=t6_1_a",
        Some(&auditor),
        None,
        &[],
    )
    .await;
    assert!(body.contains("該当する記録はありません"), "{body}");
    assert!(
        body.contains(r#"<option value="t6_1_a" selected>"#),
        "kept: {body}"
    );
    let (_, _, body) = page(
        &w,
        Method::GET,
        "/form1?from=2000-01-01&to=2000-01-31",
        Some(&auditor),
        None,
        &[],
    )
    .await;
    assert!(body.contains("該当する記録はありません"), "{body}");
    // By the request's state now: the order waits for its instruction.
    let by_state = |state: &'static str| {
        let (w, auditor) = (&w, auditor.clone());
        async move {
            let uri = format!("/form1?state={state}");
            page(w, Method::GET, &uri, Some(&auditor), None, &[]).await
        }
    };
    let (_, _, body) = by_state("ordered").await;
    assert!(body.contains("ひったくり事件の確認"), "{body}");
    assert!(
        body.contains(r#"<option value="ordered" selected>"#),
        "kept: {body}"
    );
    assert!(
        body.contains("form1.csv?state=ordered"),
        "the CSV keeps it: {body}"
    );
    let (_, _, body) = by_state("reported").await;
    assert!(body.contains("該当する記録はありません"), "{body}");
    let (status, _, body) = by_state("lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = page(
        &w,
        Method::GET,
        "/form1?from=yesterday",
        Some(&auditor),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("YYYY-MM-DD"), "{body}");
    // CSV: a BOM, the header in Japanese, the row.
    let (status, headers, body) =
        page(&w, Method::GET, "/form1.csv", Some(&auditor), None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(body.starts_with("\u{feff}\"番号\",\"指示日時\""), "{body}");
    assert!(body.contains("\"ひったくり事件の確認\""), "{body}");
    // The Administrator reads no records (T4): refused with the rule.
    let admin = sign_in_form(&w, "admin").await;
    let (status, _, body) = page(&w, Method::GET, "/form1", Some(&admin), None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("T4"), "{body}");
}

#[tokio::test]
async fn n5_the_cameras_page_shows_state_and_todays_gaps_without_any_image() {
    let w = World::new().await;
    let lead = sign_in_form(&w, "lead").await;
    let (status, _, body) = page(&w, Method::GET, "/cameras", Some(&lead), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("cam1"), "{body}");
    assert!(body.contains("未接続"), "{body}");
    assert!(body.contains("本日の欠落はありません"), "{body}");
    assert!(
        !body.contains("<img") && !body.contains("<video"),
        "N6.3: no image"
    );
    // A gap this morning is a red stretch on the day's bar, with its cause.
    let camera = mimamori_policy::CameraId::new("cam1").unwrap();
    let start = w.now() - SignedDuration::from_mins(90);
    w.office
        .db
        .open_gap(&camera, start, "stream: connection refused")
        .await
        .unwrap();
    w.office
        .db
        .close_gap(&camera, w.now() - SignedDuration::from_mins(60))
        .await
        .unwrap();
    let (_, _, body) = page(&w, Method::GET, "/cameras", Some(&lead), None, &[]).await;
    assert!(body.contains(r#"class="gap""#), "{body}");
    assert!(body.contains("connection refused"), "{body}");
    assert!(
        !body.contains(r#"class="recorded""#),
        "nothing recorded yet: {body}"
    );
    // The segment being written is recorded time on the bar.
    let db = &w.office.db;
    let state = mimamori_db::CameraState::Recording;
    db.set_camera_state(&camera, state, None, None, w.now())
        .await
        .unwrap();
    let since = w.now() - SignedDuration::from_mins(30);
    let last = w.now() - SignedDuration::from_mins(1);
    db.set_recording_progress(&camera, Some(since), Some(last), w.now())
        .await
        .unwrap();
    let (_, _, body) = page(&w, Method::GET, "/cameras", Some(&lead), None, &[]).await;
    assert!(body.contains(r#"class="recorded""#), "{body}");
    assert!(body.contains("録画中"), "{body}");
}

#[tokio::test]
async fn n3_2_1_the_ledger_page_lists_events_and_says_how_to_verify() {
    let w = World::new().await;
    let mayor_api = w.sign_in("mayor").await;
    w.order(&mayor_api).await;
    let auditor = sign_in_form(&w, "auditor").await;
    let (status, _, body) = page(&w, Method::GET, "/ledger", Some(&auditor), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("改ざん検知の記録"), "{body}");
    assert!(body.contains("order_issued"), "{body}");
    assert!(body.contains("mimamori ledger verify"), "{body}");
    // Filtered by a kind: only those.
    let (_, _, body) = page(
        &w,
        Method::GET,
        "/ledger?filter=order_issued",
        Some(&auditor),
        None,
        &[],
    )
    .await;
    assert!(body.contains("order_issued"), "{body}");
    assert!(!body.contains("<td>signed_in</td>"), "{body}");
    // The Administrator reads no records (T4).
    let admin = sign_in_form(&w, "admin").await;
    let (status, _, body) = page(&w, Method::GET, "/ledger", Some(&admin), None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("T4"), "{body}");

    // An event's page: its inclusion proof in the latest signed checkpoint, checked; an event
    // after it waits for the next; the list links to each.
    w.office.notary.sign_checkpoint().await.unwrap();
    let (_, _, body) = page(&w, Method::GET, "/ledger", Some(&auditor), None, &[]).await;
    assert!(body.contains("href=\"/ledger/events/1\""), "{body}");
    let (status, _, body) = page(
        &w,
        Method::GET,
        "/ledger/events/1",
        Some(&auditor),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("証明を検証しました"), "{body}");
    assert!(body.contains("proof/inclusion?index=0"), "{body}");
    let newest = w.office.db.recent_events(None, 1).await.unwrap()[0].id;
    let uri = format!("/ledger/events/{}", newest + 1);
    let (status, _, _) = page(&w, Method::GET, &uri, Some(&auditor), None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    w.order(&mayor_api).await;
    let newest = w.office.db.recent_events(None, 1).await.unwrap()[0].id;
    let uri = format!("/ledger/events/{newest}");
    let (_, _, body) = page(&w, Method::GET, &uri, Some(&auditor), None, &[]).await;
    assert!(
        body.contains("まだ署名付きチェックポイントに含まれていません"),
        "{body}"
    );
}

#[tokio::test]
async fn n7_n8_the_staff_and_terminals_pages_list_who_holds_what() {
    let w = World::new().await;
    let lead_api = w.sign_in("lead").await;
    w.terminal(&lead_api, "pc-1").await;
    for login in ["auditor", "admin"] {
        let cookie = sign_in_form(&w, login).await;
        let (status, _, body) = page(&w, Method::GET, "/staff", Some(&cookie), None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
        assert!(
            body.contains("sato") && body.contains("画像取扱員"),
            "{body}"
        );
        assert!(body.contains("利用中"), "{body}");
    }
    let auditor = sign_in_form(&w, "auditor").await;
    let (status, _, body) = page(&w, Method::GET, "/terminals", Some(&auditor), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("pc-1") && body.contains("防犯係 執務室"),
        "{body}"
    );
    // The Administrator keeps accounts, not terminals' records (T4).
    let admin = sign_in_form(&w, "admin").await;
    let (status, _, body) = page(&w, Method::GET, "/terminals", Some(&admin), None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("T4"), "{body}");
}
