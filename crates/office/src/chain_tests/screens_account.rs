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
    let (status, headers, _) = page(&w, Method::GET, "/", Some(&elsewhere), None, &[]).await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/signin"),
        "the other browser is signed out"
    );
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
