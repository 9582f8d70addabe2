//! Attacks on the way out (issue 11), each named after what it tries. Each one passed before
//! its fix; each must now be refused, with the rule that refuses it.

use super::*;

/// An order instructed to sato at terminal pc-1: sato's session, pc-1's key, the request.
async fn instructed_for_sato(w: &World) -> (String, TerminalKey, i64) {
    let (mayor, lead, sato) = (
        w.sign_in("mayor").await,
        w.sign_in("lead").await,
        w.sign_in("sato").await,
    );
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    (sato, key, id)
}

/// The handler's grant for an instructed request: the ward-signed note.
async fn grant(w: &World, handler: &str, id: i64) -> String {
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/grants"),
            Some(handler),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["grant"].as_str().unwrap().to_owned()
}

async fn retrieve(w: &World, handler: &str, key: &TerminalKey, grant: &str) -> (StatusCode, Value) {
    let body = json!({ "grant": grant, "signature": key.sign_grant(grant) });
    w.call(
        Method::POST,
        "/api/v1/retrievals",
        Some(handler),
        Some(body),
    )
    .await
}

/// #12 (N9.4): two grants for one request were both used, and two exports left for one instruction.
/// A newer grant now supersedes the older one, which no longer opens anything.
#[tokio::test]
async fn attack_a_second_grant_for_one_request_makes_the_first_useless() {
    let w = World::new().await;
    let (sato, key, id) = instructed_for_sato(&w).await;
    let first = grant(&w, &sato, id).await;
    let second = grant(&w, &sato, id).await;
    let refused = w.refused_events().await;
    let (status, body) = retrieve(&w, &sato, &key, &first).await;
    assert_refused(status, &body, "grant_superseded", "N9.4");
    assert_eq!(
        w.refused_events().await,
        refused + 1,
        "the attempt is on record"
    );
    // The newest grant works (here it finds no footage: this test records none).
    let (status, body) = retrieve(&w, &sato, &key, &second).await;
    assert_eq!(body["error"]["code"], "no_footage", "{status} {body}");
}

/// #12 (N9.4): a retrieval that made no package marks its grant failed, so the request is not lost:
/// a new grant may retrieve it. Only a retrieval that let footage out closes the request to
/// other grants (`mimamori_db` tests the race of two grants in one transaction).
#[tokio::test]
async fn a_failed_retrieval_leaves_the_request_retrievable_with_a_new_grant() {
    let w = World::new().await;
    let (sato, key, id) = instructed_for_sato(&w).await;
    let first = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &first).await;
    assert_eq!(body["error"]["code"], "no_footage", "{body}");
    let again = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &again).await;
    assert_eq!(body["error"]["code"], "no_footage", "not refused: {body}");
}

/// #13 (N9.4): a grant signed with a key the ward has since retired (rotated, perhaps because it
/// leaked) still opened. Only the current key opens a grant now.
#[tokio::test]
async fn attack_a_grant_signed_by_a_retired_ward_key_opens_nothing() {
    let w = World::new().await;
    let (sato, key, id) = instructed_for_sato(&w).await;
    let old = grant(&w, &sato, id).await;
    w.office.notary.rotate_key("system:test").await.unwrap();
    let (status, body) = retrieve(&w, &sato, &key, &old).await;
    assert_refused(status, &body, "grant_invalid", "N9.4");
    let fresh = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &fresh).await;
    assert_eq!(
        body["error"]["code"], "no_footage",
        "the new key's grant opens: {body}"
    );
}

/// The answer and the refusals recorded for a sign-in attempt.
async fn try_sign_in(w: &World, login: &str, password: &str, totp: Option<&str>) -> Value {
    let body = json!({ "login": login, "password": password, "totp": totp });
    let (_, answer) = w
        .call(Method::POST, "/api/v1/sessions", None, Some(body))
        .await;
    answer
}

/// #8 (N3.3.1): wrong passwords sent in parallel all read the same failure count, none locked the
/// account, and the right password after them signed in. Failures are now counted in the
/// statement that reads the count (the test policy locks at 3).
#[tokio::test]
async fn attack_parallel_wrong_passwords_then_the_right_one_finds_the_account_locked() {
    let w = World::new().await;
    let wrong = || try_sign_in(&w, "sato", "not the password", None);
    let answers = tokio::join!(wrong(), wrong(), wrong(), wrong(), wrong(), wrong());
    let codes = [
        answers.0, answers.1, answers.2, answers.3, answers.4, answers.5,
    ]
    .map(|a| a["error"]["code"].as_str().unwrap_or_default().to_owned());
    assert!(codes.iter().any(|c| c == "account_locked"), "{codes:?}");
    let answer = try_sign_in(&w, "sato", PASSWORD, None).await;
    assert_eq!(answer["error"]["code"], "account_locked", "{answer}");
}

/// #7 (N3.3.1): with the password known, wrong TOTP codes could be guessed without end, and the answer
/// (`second_factor_failed`) told that the password was right. They now count towards the
/// lockout and are answered like a wrong password.
#[tokio::test]
async fn attack_guessing_totp_codes_with_the_password_locks_the_account() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let secret = enable_totp(&w, &mayor).await;
    let answer = try_sign_in(&w, "mayor", PASSWORD, Some("000000")).await;
    assert_eq!(
        answer["error"]["code"], "bad_credentials",
        "no oracle: {answer}"
    );
    try_sign_in(&w, "mayor", PASSWORD, Some("111111")).await;
    let answer = try_sign_in(&w, "mayor", PASSWORD, Some("222222")).await;
    assert_eq!(answer["error"]["code"], "account_locked", "{answer}");
    let code = super::signin::totp_code(&secret, w.now());
    let answer = try_sign_in(&w, "mayor", PASSWORD, Some(&code)).await;
    assert_eq!(answer["error"]["code"], "account_locked", "{answer}");
}

/// #9 (N3.3.1): an unauthenticated 60 KB login became the actor of a permanent ledger event. A login or
/// password beyond a sane length is refused before anything is hashed or recorded.
#[tokio::test]
async fn attack_a_huge_login_leaves_nothing_in_the_ledger() {
    let w = World::new().await;
    let before = w.office.db.ledger_size().await.unwrap();
    let answer = try_sign_in(&w, &"a".repeat(60_000), "x", None).await;
    assert_eq!(answer["error"]["code"], "bad_credentials", "{answer}");
    assert_eq!(w.office.db.ledger_size().await.unwrap(), before);
}

/// #11 (N3.3.1): a session in use never ended; a stolen token lived as long as someone kept it busy.
/// A session now ends `session_max_hours` after sign-in, however busy.
#[tokio::test]
async fn attack_a_busy_stolen_session_still_ends_after_its_lifetime() {
    let start = fixed_clock().now();
    let clock = Arc::new(ShiftedClock::starting_at(start));
    let policy = POLICY.replace("[office]\n", "[office]\nsession_minutes = 1440\n");
    let w = World::with_policy(&policy, clock.clone()).await;
    let sato = w.sign_in("sato").await;
    clock.set(start + SignedDuration::from_hours(11));
    let (status, _) = w.call(Method::GET, "/api/v1/me", Some(&sato), None).await;
    assert_eq!(status, StatusCode::OK, "busy and within its lifetime");
    clock.set(start + SignedDuration::from_mins(12 * 60 + 1));
    let (status, body) = w.call(Method::GET, "/api/v1/me", Some(&sato), None).await;
    assert_refused(status, &body, "session_ended", "N3.3.1");
}

/// #12 (T5.2): a retrieval's package could stay in the work directory after a failure or a crash
/// (T5.2: no copy stays behind). The directory is emptied when the office starts, is the
/// office's alone, and every retrieval removes its files whatever happens.
#[tokio::test]
async fn attack_nothing_of_a_retrieval_stays_in_the_work_directory() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new().await;
    let work = w.office.work_dir.clone();
    let (sato, key, id) = instructed_for_sato(&w).await;
    let note = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &note).await;
    assert_eq!(body["error"]["code"], "no_footage", "{body}");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "nothing left");
    let mode = std::fs::metadata(&work).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    // What a crash left is gone when the office starts again.
    std::fs::write(work.join("request-1-left.zip"), b"plaintext footage").unwrap();
    let again = crate::OfficeState::new(
        w.office.recorder().clone(),
        w.office.notary.clone(),
        work.clone(),
    )
    .unwrap();
    assert_eq!(std::fs::read_dir(&again.work_dir).unwrap().count(), 0);
}

/// Sets up and confirms a TOTP second factor for `token`'s account; returns its secret.
async fn enable_totp(w: &World, token: &str) -> String {
    let (_, setup) = w
        .call(Method::POST, "/api/v1/me/totp", Some(token), None)
        .await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let code = super::signin::totp_code(&secret, w.now());
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/me/totp/confirm",
            Some(token),
            Some(json!({ "code": code })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    secret
}

/// #7 (N3.3.1): a one-time code could be replayed within its 30-second window (RFC 6238 §5.2 forbids
/// it). An accepted code's time step is recorded; the same code again is a failed attempt.
#[tokio::test]
async fn attack_a_one_time_code_seen_over_a_shoulder_is_refused_the_second_time() {
    let clock = fixed_clock();
    let w = World::with_clock(clock.clone()).await;
    let mayor = w.sign_in("mayor").await;
    let secret = enable_totp(&w, &mayor).await;
    clock.set(w.now() + SignedDuration::from_secs(30));
    let code = super::signin::totp_code(&secret, w.now());
    let answer = try_sign_in(&w, "mayor", PASSWORD, Some(&code)).await;
    assert!(
        answer["token"].is_string(),
        "the first use signs in: {answer}"
    );
    let answer = try_sign_in(&w, "mayor", PASSWORD, Some(&code)).await;
    assert_eq!(answer["error"]["code"], "bad_credentials", "{answer}");
}

/// #7 (N3.3.1): `POST /me/totp` on a stolen session switched the second factor off until re-confirmed,
/// and the thief could confirm a secret of their own. The factor in force now stays in force,
/// and replacing it takes a code from it.
#[tokio::test]
async fn attack_a_stolen_session_cannot_replace_the_second_factor() {
    let clock = fixed_clock();
    let w = World::with_clock(clock.clone()).await;
    let mayor = w.sign_in("mayor").await;
    let secret = enable_totp(&w, &mayor).await;
    // The thief, with the session, starts a set-up with their own authenticator.
    let (_, setup) = w
        .call(Method::POST, "/api/v1/me/totp", Some(&mayor), None)
        .await;
    let theirs = setup["secret"].as_str().unwrap().to_owned();
    // The password alone still does not sign in: the owner's factor is in force.
    let answer = try_sign_in(&w, "mayor", PASSWORD, None).await;
    assert_eq!(answer["error"]["code"], "bad_credentials", "{answer}");
    let code = super::signin::totp_code(&theirs, w.now());
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/me/totp/confirm",
            Some(&mayor),
            Some(json!({ "code": code })),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "N3.3.1");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("current"), "{body}");
    // The owner's code still signs in.
    clock.set(w.now() + SignedDuration::from_secs(30));
    let code = super::signin::totp_code(&secret, w.now());
    let answer = try_sign_in(&w, "mayor", PASSWORD, Some(&code)).await;
    assert!(answer["token"].is_string(), "{answer}");
}

/// #18 (N12): the unauthenticated health page published emergency retrievals with camera, time and
/// request number (N12). It now counts them; signed-in staff read them in full.
#[tokio::test]
async fn attack_the_public_health_page_tells_no_retrieval_details() {
    let w = World::new().await;
    let alert = mimamori_db::NewAlert {
        kind: AlertKind::EmergencyRetrieval,
        camera: Some(mimamori_policy::CameraId::new("cam1").unwrap()),
        message: "緊急時の取り出し 依頼 7 / emergency retrieval, request 7".into(),
    };
    let event =
        mimamori_db::Event::system("test", vocabulary::EventBody::SignedIn(Default::default()));
    w.office
        .db
        .record_with_alert(&event, Some(&alert), w.now())
        .await
        .unwrap();
    let (status, health) = w.call(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!health.to_string().contains("依頼 7"), "{health}");
    assert_eq!(
        health["retrieval_alerts"]["emergency_retrieval"], 1,
        "{health}"
    );
    let (status, _) = w.call(Method::GET, "/api/v1/alerts", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mayor = w.sign_in("mayor").await;
    let (status, alerts) = w
        .call(Method::GET, "/api/v1/alerts", Some(&mayor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    assert!(alerts.to_string().contains("依頼 7"), "{alerts}");
}

/// #17 (N9.4): a forged grant was refused without a record, so probing left no trace. Every refused
/// retrieval is now in the ledger with its rule.
#[tokio::test]
async fn attack_a_forged_grant_is_refused_on_the_record() {
    let w = World::new().await;
    let (sato, key, id) = instructed_for_sato(&w).await;
    let note = grant(&w, &sato, id).await;
    let forged = note.replace("\"cam1\"", "\"cam2\"");
    let before = w.refused_events().await;
    let (status, body) = retrieve(&w, &sato, &key, &forged).await;
    assert_refused(status, &body, "grant_invalid", "N9.4");
    assert_eq!(w.refused_events().await, before + 1);
}

/// #19 (N3.3.1): TOTP secrets were in the database in plain text, so a copy of the database
/// gave away every second factor. They are sealed with the KEK; one an older release stored in
/// plain text is sealed at start, and still works.
#[tokio::test]
async fn attack_a_copy_of_the_database_gives_away_the_second_factors() {
    let clock = Arc::new(ShiftedClock::starting_at(fixed_clock().now()));
    let w = World::with_clock(clock.clone()).await;
    let mayor = w.sign_in("mayor").await;
    let secret = enable_totp(&w, &mayor).await;
    let row = w.office.db.staff_by_login("mayor").await.unwrap().unwrap();
    let stored = row.totp_secret.clone().unwrap();
    assert!(stored.starts_with("kek1:"), "{stored}");
    assert!(!stored.contains(&secret));
    // As an older release left it: in plain text. The start seals it, and the code still works.
    w.office
        .db
        .restore_totp_secrets(row.id, (Some(&secret), None))
        .await
        .unwrap();
    assert_eq!(w.office.seal_stored_secrets().await.unwrap(), 1);
    let row = w.office.db.staff_by_login("mayor").await.unwrap().unwrap();
    assert!(row.totp_secret.unwrap().starts_with("kek1:"));
    clock.set(w.now() + SignedDuration::from_secs(60));
    let code = super::signin::totp_code(&secret, w.now());
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "mayor", "password": PASSWORD, "totp": code })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// #17 (N3.2.1): every refusal was a ledger event, so a signed-in script could grow the ledger
/// without bound. A person's refusals are recorded up to `refusals_recorded_per_minute`; the
/// first one over it says so on the ledger, and the rest of the minute are refused unrecorded.
#[tokio::test]
async fn attack_a_signed_in_script_floods_the_ledger_with_refusals() {
    let policy = POLICY.replace(
        "[office]\n",
        "[office]\nrefusals_recorded_per_minute = 10\n",
    );
    let w = World::with_policy(&policy, fixed_clock()).await;
    let sato = w.sign_in("sato").await;
    let before = w.refused_events().await;
    for _ in 0..15 {
        let (status, body) = w
            .call(
                Method::POST,
                "/api/v1/orders",
                Some(&sato),
                Some(json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_e" } })),
            )
            .await;
        assert_refused(status, &body, "role_not_permitted", "N9.1");
    }
    assert_eq!(w.refused_events().await, before + 11);
    let last = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::Refused))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(
        last.detail.contains("refusals_no_longer_recorded"),
        "{}",
        last.detail
    );
    // Another person's refusals are still recorded.
    let suzuki = w.sign_in("suzuki").await;
    let (status, _) = w
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&suzuki),
            Some(json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_e" } })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(w.refused_events().await, before + 12);
}
