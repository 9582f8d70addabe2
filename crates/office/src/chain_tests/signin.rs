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

/// N3.3.1 (issue 11, #1): a new account's holder sets the password with the one-time code
/// the Administrator was shown; the Administrator never chooses it. The holder is appointed
/// once enrolled, and acknowledges the pledge before anything else (N12).
#[tokio::test]
async fn n3_3_1_a_new_account_enrols_with_its_code_and_pledges_first() {
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
    assert_refused(status, &body, "password_set_by_holder", "N3.3.1");
    let code = w
        .open_account(&admin, "tanaka", json!({ "name": "田中" }))
        .await;
    assert_eq!(code.len(), 24, "{code}");
    // Not yet enrolled: no password signs in, and no role is given.
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "tanaka", "password": "initial-pass-1" })),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNAUTHORIZED, &json!("bad_credentials"))
    );
    let mayor = w.sign_in("mayor").await;
    let appoint = |token: String| {
        let w = &w;
        async move {
            w.call(
                Method::POST,
                "/api/v1/staff/tanaka/appointments",
                Some(&token),
                Some(json!({ "role": "image_handler" })),
            )
            .await
        }
    };
    let (status, body) = appoint(mayor.clone()).await;
    assert_refused(status, &body, "not_enrolled", "N3.3.1");
    // The code sets a password of the holder's own, once.
    let enrol = |code: String, password: &'static str| {
        let w = &w;
        async move {
            w.call(
                Method::POST,
                "/api/v1/enrol",
                None,
                Some(json!({ "login": "tanaka", "code": code, "password": password })),
            )
            .await
        }
    };
    let (status, body) = enrol(code.clone(), "short").await;
    assert_refused(status, &body, "invalid_input", "N3.3.1");
    let (status, body) = enrol("AAAA-AAAA-AAAA-AAAA-AAAA".into(), "a much longer one").await;
    assert_refused(status, &body, "enrolment_refused", "N3.3.1");
    let tanaka = w
        .enrol("tanaka", &code.to_lowercase(), "a much longer one")
        .await;
    let (status, body) = enrol(code, "another long one").await;
    assert_refused(status, &body, "enrolment_refused", "N3.3.1");
    let (status, body) = appoint(mayor).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = w
        .call(Method::GET, "/api/v1/requests", Some(&tanaka), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // An account that enrolled keeps its holder's password: no new code replaces it.
    let (status, _) = w
        .call(
            Method::POST,
            "/api/v1/staff/tanaka/enrolment",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

/// N3.3.1: a code that expired is replaced by a new one from the Administrator.
#[tokio::test]
async fn n3_3_1_an_expired_enrolment_code_is_replaced() {
    let clock = Arc::new(ShiftedClock::starting_at(fixed_clock().now()));
    let w = World::with_clock(clock.clone()).await;
    let admin = w.sign_in("admin").await;
    let old = w.open_account(&admin, "tanaka", json!({})).await;
    // The policy's default lifetime is 72 hours.
    clock.set(w.now() + SignedDuration::from_hours(73));
    let later = &w;
    let (status, body) = later
        .call(
            Method::POST,
            "/api/v1/enrol",
            None,
            Some(json!({ "login": "tanaka", "code": old, "password": "a much longer one" })),
        )
        .await;
    assert_refused(status, &body, "enrolment_refused", "N3.3.1");
    let admin = later.sign_in("admin").await;
    let (status, body) = later
        .call(
            Method::POST,
            "/api/v1/staff/tanaka/enrolment",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let code = body["code"].as_str().unwrap();
    later.enrol("tanaka", code, "a much longer one").await;
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
