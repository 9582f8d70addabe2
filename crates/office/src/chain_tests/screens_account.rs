//! The account's own upkeep on screen (issue 13; N3.3.1): the first-time enrolment with the
//! one-time code, the password change, and the sessions page that ends the others.

use super::screens::{location, page, sign_in_form};
use super::*;

#[tokio::test]
async fn n3_3_1_a_new_person_sets_their_password_on_screen_with_the_code() {
    let w = World::new().await;
    let admin = w.sign_in("admin").await;
    let code = w.open_account(&admin, "tanaka", json!({})).await;
    let (status, _, body) = page(&w, Method::GET, "/enrol", None, None, &[]).await;
    assert_eq!(status, StatusCode::OK, "no session is needed: {body}");
    assert!(body.contains("登録コード"), "{body}");

    // Typed twice differently: refused by the second field, and no password is shown again.
    let typed =
        format!("login=tanaka&code={code}&password=a-long-passphrase&again=a-long-passphrasf");
    let (status, _, body) = page(&w, Method::POST, "/enrol", None, Some(&typed), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("一致しません"), "{body}");
    assert!(
        !body.contains("a-long-passphras"),
        "a password is never echoed"
    );
    assert!(body.contains(r#"value="tanaka""#), "the login is kept");
    // A wrong code: the rule, nothing set.
    let wrong = "login=tanaka&code=AAAA-BBBB-CCCC-DDDD-EEEE&password=a-long-passphrase&again=a-long-passphrase";
    let (status, _, body) = page(&w, Method::POST, "/enrol", None, Some(wrong), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("N3.3.1"), "{body}");
    // The right one: the sign-in page says so, and the password works.
    let form =
        format!("login=tanaka&code={code}&password=a-long-passphrase&again=a-long-passphrase");
    let (status, _, body) = page(&w, Method::POST, "/enrol", None, Some(&form), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("パスワードを設定しました"), "{body}");
    let form = "login=tanaka&password=a-long-passphrase";
    let (status, headers, _) = page(&w, Method::POST, "/signin", None, Some(form), &[]).await;
    assert_eq!((status, location(&headers)), (StatusCode::SEE_OTHER, "/"));
}

#[tokio::test]
async fn n3_3_1_the_sessions_page_ends_the_others_and_the_password_changes_on_screen() {
    let w = World::new().await;
    let elsewhere = sign_in_form(&w, "sato").await;
    let here = sign_in_form(&w, "sato").await;
    let (_, _, body) = page(&w, Method::GET, "/me/sessions", Some(&here), None, &[]).await;
    assert_eq!(body.matches("<tr><td>").count(), 2, "{body}");
    assert_eq!(body.matches("<td>✓</td>").count(), 1, "this one is marked");

    let (status, headers, _) = page(
        &w,
        Method::POST,
        "/me/sessions/end-others",
        Some(&here),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/me/sessions")
    );
    let (_, _, body) = page(&w, Method::GET, "/me/sessions", Some(&here), None, &[]).await;
    assert_eq!(body.matches("<tr><td>").count(), 1, "{body}");
    let (status, headers, _) =
        page(&w, Method::GET, "/me/sessions", Some(&elsewhere), None, &[]).await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/signin"),
        "the other browser is signed out"
    );
    // At `/` it sees the public page, and its stale cookie is dropped.
    let (status, headers, body) = page(&w, Method::GET, "/", Some(&elsewhere), None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("の防犯カメラ</h1>"), "{body}");
    assert!(headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .any(|c| c.to_str().unwrap().contains("Max-Age=0")));
    let events = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::SignedOutElsewhere))
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "on the ledger");

    // The password: too short is refused by its field, with the rule; then changed.
    let short = format!(
        "current={}&new=short&again=short",
        crate::testutil::PASSWORD
    );
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/me/password",
        Some(&here),
        Some(&short),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("N3.3.1"), "{body}");
    let input = body.find(r#"name="new""#).unwrap();
    assert!(
        body.find("field-error").unwrap() > input,
        "by the new password"
    );
    let form = format!(
        "current={}&new=another-long-passphrase&again=another-long-passphrase",
        crate::testutil::PASSWORD
    );
    let (status, headers, body) = page(
        &w,
        Method::POST,
        "/me/password",
        Some(&here),
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/me/sessions");
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub(super) fn encoded(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

#[tokio::test]
async fn n7_n8_n11_3_accounts_appointments_and_terminals_on_screen() {
    let w = World::new().await;
    let admin = sign_in_form(&w, "admin").await;
    let sato = sign_in_form(&w, "sato").await;

    // N7.1: only the Administrator opens accounts; the code is shown once, and it works.
    let form = "login=tanaka&name=田中 一郎&unit=市民協働課";
    let (status, _, body) =
        page(&w, Method::POST, "/staff/new", Some(&sato), Some(form), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("N7.1"), "{body}");
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/staff/new",
        Some(&admin),
        Some(form),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("今だけ表示されます"), "{body}");
    let code = body
        .split("<td class=\"secret-cell\">")
        .nth(2)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 24, "{code}");
    let enrol =
        format!("login=tanaka&code={code}&password=tanaka-passphrase&again=tanaka-passphrase");
    let (status, _, body) = page(&w, Method::POST, "/enrol", None, Some(&enrol), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // N7.4: the Manager appoints a handler; the staff page shows the appointment.
    let mayor = sign_in_form(&w, "mayor").await;
    assert!(get_ok(&w, &mayor, "/staff")
        .await
        .contains("href=\"/staff/appoint\""));
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/staff/appoint",
        Some(&mayor),
        Some("login=tanaka&role=nobody"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, headers, body) = page(
        &w,
        Method::POST,
        "/staff/appoint",
        Some(&mayor),
        Some("login=tanaka&role=image_handler"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/staff");
    let body = get_ok(&w, &mayor, "/staff").await;
    let row = body.split("<tr><td>tanaka</td>").nth(1).unwrap();
    assert!(
        row[..row.find("</tr>").unwrap()].contains("画像取扱員"),
        "{body}"
    );

    // The Manager ends it; its record stays, with no way to end it twice.
    let at = row.find("/appointments/").expect("an end link");
    let end = &row[at..at + row[at..].find('"').unwrap()];
    let (status, headers, body) = page(&w, Method::POST, end, Some(&mayor), None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/staff");
    let body = get_ok(&w, &mayor, "/staff").await;
    let row = body.split("<tr><td>tanaka</td>").nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("画像取扱員") && !row.contains("/appointments/"),
        "{row}"
    );

    // N7.2: an Administrator proposes another; it waits until the Manager confirms it.
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/staff/appoint",
        Some(&admin),
        Some("login=tanaka&role=administrator"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let body = get_ok(&w, &mayor, "/proposals").await;
    assert!(body.contains("確認待ち"), "{body}");
    let at = body.find("/confirm\"").expect("a confirm link");
    let start = body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let confirm = format!("{}/confirm", &body[start..at]);
    let (status, _, body) = page(&w, Method::POST, &confirm, Some(&admin), Some(""), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not by the proposer: {body}");
    assert!(body.contains("N7.2"), "{body}");
    let (status, headers, body) =
        page(&w, Method::POST, &confirm, Some(&mayor), Some(""), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(location(&headers), "/proposals");
    assert!(get_ok(&w, &mayor, "/proposals").await.contains("確認済み"));

    // N8: the Operations lead registers a terminal with its public key; N3.3: revokes it.
    let lead = sign_in_form(&w, "lead").await;
    let key = crate::grant::TerminalKey::generate("pc-9");
    let form = encoded(&[
        ("id", "pc-9"),
        ("name", "防犯カメラ専用端末 2"),
        ("location", "市民協働課"),
        ("custodian", "lead"),
        ("public_key", &key.public_key()),
    ]);
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/terminals/new",
        Some(&sato),
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = page(
        &w,
        Method::POST,
        "/terminals/new",
        Some(&lead),
        Some(&form),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let body = get_ok(&w, &lead, "/terminals").await;
    assert!(body.contains("/terminals/pc-9/revoke"), "{body}");

    // N11.3: its signed history, pasted, is reconciled with the ward's record; a paste that
    // is not one is refused by its field.
    let reconcile = "/terminals/pc-9/history";
    let (status, _, body) = page(
        &w,
        Method::POST,
        reconcile,
        Some(&lead),
        Some("signed=hello"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("field-error"), "{body}");
    let month = {
        let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        w.now().to_zoned(tz).strftime("%Y-%m").to_string()
    };
    let history = json!({ "terminal": "pc-9", "month": month, "entries": [] });
    let bytes = mimamori_ledger::canonical::canonical_json(&history).unwrap();
    let signature = key.sign(crate::grant::HISTORY_CONTEXT, bytes.as_bytes());
    let signed = json!({ "history": history, "signature": signature }).to_string();
    let form = encoded(&[("signed", &signed)]);
    let (status, _, body) = page(&w, Method::POST, reconcile, Some(&lead), Some(&form), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("一致しました"), "{body}");

    let (status, headers, _) = page(
        &w,
        Method::POST,
        "/terminals/pc-9/revoke",
        Some(&lead),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/terminals")
    );
    let body = get_ok(&w, &lead, "/terminals").await;
    assert!(
        !body.contains("/terminals/pc-9/revoke"),
        "revoked once: {body}"
    );
}

async fn get_ok(w: &World, cookie: &str, uri: &str) -> String {
    let (status, _, body) = page(w, Method::GET, uri, Some(cookie), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}
