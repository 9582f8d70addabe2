//! Signing in (N3.3.1): lockout, the first sign-in's password change and pledge, the second
//! factor; and who may be appointed what (T3).

use super::*;

#[tokio::test]
async fn n3_3_1_failed_sign_ins_lock_and_every_attempt_is_recorded() {
    let w = World::new().await;
    let bad = json!({ "login": "sato", "password": "wrong password!" });
    for _ in 0..2 {
        let (status, body) = w
            .call(Method::POST, "/api/v1/sessions", None, Some(bad.clone()))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "bad_credentials");
    }
    let (status, body) = w
        .call(Method::POST, "/api/v1/sessions", None, Some(bad.clone()))
        .await;
    assert_refused(status, &body, "account_locked", "N3.3.1");
    // Locked: even the right password is refused for now.
    let good = json!({ "login": "sato", "password": PASSWORD });
    let (status, body) = w
        .call(Method::POST, "/api/v1/sessions", None, Some(good))
        .await;
    assert_refused(status, &body, "account_locked", "N3.3.1");
    let unknown = json!({ "login": "nobody", "password": PASSWORD });
    let (status, _) = w
        .call(Method::POST, "/api/v1/sessions", None, Some(unknown))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refusals = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::SigninRefused))
        .await
        .unwrap();
    assert_eq!(refusals.len(), 5);
    assert!(refusals.iter().all(|e| e.rule.as_deref() == Some("N3.3.1")));
}

#[tokio::test]
async fn n3_3_1_a_new_account_changes_its_password_and_pledges_first() {
    let w = World::new().await;
    let admin = w.sign_in("admin").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff",
            Some(&admin),
            Some(json!({ "login": "tanaka", "name": "田中", "password": "initial-pass-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mayor = w.sign_in("mayor").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/tanaka/appointments",
            Some(&mayor),
            Some(json!({ "role": "image_handler" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "tanaka", "password": "initial-pass-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["password_change_due"], true);
    assert_eq!(body["pledge_required"], true);
    let tanaka = body["token"].as_str().unwrap().to_owned();
    let (status, body) = w
        .call(Method::GET, "/api/v1/requests", Some(&tanaka), None)
        .await;
    assert_refused(status, &body, "password_change_due", "N3.3.1");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(&tanaka),
            Some(json!({ "current": "initial-pass-1", "new": "short" })),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "N3.3.1");
    let (status, _) = w
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(&tanaka),
            Some(json!({ "current": "initial-pass-1", "new": "a much longer one" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = w
        .call(Method::GET, "/api/v1/requests", Some(&tanaka), None)
        .await;
    assert_refused(status, &body, "pledge_required", "N12");
    let (_, pledge) = w
        .call(Method::GET, "/api/v1/me/pledge", Some(&tanaka), None)
        .await;
    let (status, _) = w
        .call(
            Method::POST,
            "/api/v1/me/pledge",
            Some(&tanaka),
            Some(json!({ "sha256": pledge["sha256"] })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w
        .call(Method::GET, "/api/v1/requests", Some(&tanaka), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn n3_3_1_the_leads_sign_in_with_a_totp_code_when_the_policy_asks() {
    let policy = POLICY.replace("[office]\n", "[office]\nsecond_factor_for_leads = true\n");
    let clock = fixed_clock();
    let w = World::with_policy(&policy, clock.clone()).await;
    let (_, session) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "mayor", "password": PASSWORD })),
        )
        .await;
    assert_eq!(session["second_factor_required"], true);
    let mayor = session["token"].as_str().unwrap().to_owned();
    let order = json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_e" } });
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&mayor),
            Some(order.clone()),
        )
        .await;
    assert_refused(status, &body, "second_factor_required", "N3.3.1");
    // An image handler is not asked.
    w.sign_in("sato").await;

    let (status, setup) = w
        .call(Method::POST, "/api/v1/me/totp", Some(&mayor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let confirm = "/api/v1/me/totp/confirm";
    let (status, body) = w
        .call(
            Method::POST,
            confirm,
            Some(&mayor),
            Some(json!({ "code": "000000" })),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "N3.3.1");
    let (status, _) = w
        .call(
            Method::POST,
            confirm,
            Some(&mayor),
            Some(json!({ "code": totp_code(&secret, w.now()) })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // From now on the password alone is not enough, and a missing or wrong code is a failed
    // attempt, answered like a wrong password (the answer does not tell the password was right).
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "mayor", "password": PASSWORD })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
    // The code that confirmed the set-up was used; the next step's code signs in.
    clock.set(w.now() + SignedDuration::from_secs(30));
    let with_code =
        json!({ "login": "mayor", "password": PASSWORD, "totp": totp_code(&secret, w.now()) });
    let (status, session) = w
        .call(Method::POST, "/api/v1/sessions", None, Some(with_code))
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["second_factor_required"], false);
    let mayor = session["token"].as_str().unwrap();
    let (status, body) = w
        .call(Method::POST, "/api/v1/orders", Some(mayor), Some(order))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let refusals = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::SigninRefused))
        .await
        .unwrap();
    assert!(refusals
        .iter()
        .any(|e| e.detail.contains("bad_second_factor")));
}

pub(super) fn totp_code(secret: &str, now: Timestamp) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
    totp.generate(now.as_second() as u64)
}

#[tokio::test]
async fn t3_the_manager_is_not_appointed_handler_unless_the_policy_allows() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let admin = w.sign_in("admin").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/mayor/appointments",
            Some(&mayor),
            Some(json!({ "role": "image_handler" })),
        )
        .await;
    assert_refused(status, &body, "separation_of_duties", "T3");
    // N7.2: the Administrator records who the Manager is; the Manager appoints handlers.
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/sato/appointments",
            Some(&admin),
            Some(json!({ "role": "image_handler" })),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "N7.4");
}
