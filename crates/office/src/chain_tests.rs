//! The request chain over HTTP, without footage: each step by the right person, every refusal
//! naming its rule and leaving a refused event, bad input changing nothing. The retrieval of
//! real footage is tested end to end in `crates/mimamori/tests/chain.rs`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use mimamori_db::{vocabulary, AlertKind};
use mimamori_policy::access::Role;
use mimamori_policy::chain::RequestState;
use mimamori_recorder::{Clock, ShiftedClock};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::grant::TerminalKey;
use crate::setup::{seed_account, Seed};
use crate::tests::office_with;
use crate::Shared;

const POLICY: &str = r#"
[ward]
name = "テスト区"
operator = "テスト区役所"
[retention]
days = 10
[office]
lockout_attempts = 3
[[camera]]
id = "cam1"
name = "駅前"
site = "1丁目"
url = "rtsp://127.0.0.1:1/cam1"
"#;

const PASSWORD: &str = "correct horse battery";

struct World {
    office: Shared,
    clock: Arc<dyn mimamori_recorder::Clock>,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        Self::with_clock(fixed_clock()).await
    }

    async fn with_clock(clock: Arc<dyn mimamori_recorder::Clock>) -> World {
        Self::with_policy(POLICY, clock).await
    }

    async fn with_policy(policy: &str, clock: Arc<dyn mimamori_recorder::Clock>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let office = office_with(dir.path(), policy, clock.clone()).await;
        // Fixtures take their time from the test's clock, never the wall clock.
        let now = clock.now() - SignedDuration::from_secs(1);
        for (login, roles) in [
            ("admin", &[Role::Administrator][..]),
            ("mayor", &[Role::Manager]),
            ("lead", &[Role::OperationsLead]),
            ("sato", &[Role::ImageHandler]),
            ("suzuki", &[Role::ImageHandler]),
            ("auditor", &[Role::Auditor]),
        ] {
            let seed = Seed {
                login,
                name: login,
                unit: "防犯係",
                password: PASSWORD,
                roles,
                ready: true,
                delegation_id: None,
            };
            seed_account(&office.ctx.db, &seed, "system:test", now)
                .await
                .unwrap();
        }
        World {
            office,
            clock,
            _dir: dir,
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.raw(method, uri, token, body.map(|b| b.to_string()), &[])
            .await
    }

    async fn raw(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let response = crate::router(self.office.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn sign_in(&self, login: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/sessions",
                None,
                Some(json!({ "login": login, "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn refused_events(&self) -> usize {
        let events = self
            .office
            .ctx
            .db
            .events(Some(mimamori_db::EventKind::Refused))
            .await
            .unwrap();
        events.len()
    }

    /// Registers terminal `id` (by the Operations lead) and returns its key.
    async fn terminal(&self, lead: &str, id: &str) -> TerminalKey {
        let key = TerminalKey::generate(id);
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/terminals",
                Some(lead),
                Some(json!({
                    "id": id, "name": "専用端末", "location": "防犯係 執務室",
                    "custodian": "運用責任者", "public_key": key.public_key(),
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        key
    }

    async fn order(&self, mayor: &str) -> i64 {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/orders",
                Some(mayor),
                Some(json!({
                    "purpose": "ひったくり事件の確認", "reason": "駅前での通報",
                    "basis": { "kind": "t6_1_e" },
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["state"], "ordered");
        body["id"].as_i64().unwrap()
    }

    async fn instruct(&self, lead: &str, id: i64, handler: &str, terminal: &str) {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/v1/requests/{id}/instruction"),
                Some(lead),
                Some(instruction(self.now(), handler, terminal)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "instructed");
    }
}

/// A weekday morning in the ward (Monday 2026-11-23, 10:00 JST), running on from there: every
/// test's time comes from its world's clock, so no test depends on the real date.
fn fixed_clock() -> Arc<ShiftedClock> {
    Arc::new(ShiftedClock::starting_at(
        "2026-11-23T10:00:00+09:00".parse().unwrap(),
    ))
}

fn instruction(now: Timestamp, handler: &str, terminal: &str) -> Value {
    json!({
        "camera": "cam1",
        "from": (now - SignedDuration::from_mins(30)).to_string(),
        "to": (now - SignedDuration::from_mins(20)).to_string(),
        "handler": handler,
        "terminal": terminal,
    })
}

fn assert_refused(status: StatusCode, body: &Value, code: &str, rule: &str) {
    assert_eq!(body["error"]["code"], code, "{status} {body}");
    assert_eq!(body["error"]["rule"], rule, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{rule}: ")), "{message}");
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn n9_1_n9_2_n9_4_the_chain_goes_order_instruction_grant_and_refuses_every_shortcut() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let sato = w.sign_in("sato").await;
    let suzuki = w.sign_in("suzuki").await;
    w.terminal(&lead, "pc-1").await;
    w.terminal(&lead, "pc-2").await;

    // N9.1: only the Manager orders.
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&sato),
            Some(json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_e" } })),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "N9.1");
    let id = w.order(&mayor).await;

    // N9.4 / N9.2: nobody retrieves on an order alone.
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/grants"),
            Some(&sato),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    assert_refused(status, &body, "illegal_transition", "N9.4");
    // N9.2: only the Operations lead instructs.
    let uri = format!("/api/v1/requests/{id}/instruction");
    let (status, body) = w
        .call(
            Method::POST,
            &uri,
            Some(&mayor),
            Some(instruction(w.now(), "sato", "pc-1")),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "N9.2");
    // N7.4: the handler must be appointed.
    let (status, body) = w
        .call(
            Method::POST,
            &uri,
            Some(&lead),
            Some(instruction(w.now(), "mayor", "pc-1")),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "N7.4");
    w.instruct(&lead, id, "sato", "pc-1").await;
    // A step is taken once.
    let (status, body) = w
        .call(
            Method::POST,
            &uri,
            Some(&lead),
            Some(instruction(w.now(), "sato", "pc-1")),
        )
        .await;
    assert_refused(status, &body, "illegal_transition", "N9.2");

    let grants = format!("/api/v1/requests/{id}/grants");
    // N9.4: only the instructed handler; N8: only at the instructed terminal.
    let (status, body) = w
        .call(
            Method::POST,
            &grants,
            Some(&suzuki),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    assert_refused(status, &body, "not_the_instructed_handler", "N9.4");
    let (status, body) = w
        .call(
            Method::POST,
            &grants,
            Some(&sato),
            Some(json!({ "terminal": "pc-2" })),
        )
        .await;
    assert_refused(status, &body, "wrong_terminal", "N8");
    let (status, body) = w
        .call(
            Method::POST,
            &grants,
            Some(&sato),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["claims"]["camera"], "cam1");
    assert_eq!(body["claims"]["terminal"], "pc-1");

    // N9.3: no report before a retrieval.
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/report"),
            Some(&sato),
            Some(json!({ "media": "DVD-R", "copies": 1 })),
        )
        .await;
    assert_refused(status, &body, "illegal_transition", "N9.3");

    // Every refusal above is a refused event naming its actor and rule.
    let refused = w
        .office
        .ctx
        .db
        .events(Some(mimamori_db::EventKind::Refused))
        .await
        .unwrap();
    assert!(refused.len() >= 7, "{refused:?}");
    assert!(refused
        .iter()
        .all(|e| e.outcome == "refused" && e.rule.is_some()));
    assert!(refused
        .iter()
        .any(|e| e.actor == "suzuki" && e.rule.as_deref() == Some("N9.4")));
}

#[tokio::test]
async fn n9_4_a_grant_needs_the_ward_signature_the_terminal_key_and_is_used_once() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let sato = w.sign_in("sato").await;
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let (_, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/grants"),
            Some(&sato),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    let grant = body["grant"].as_str().unwrap().to_owned();
    let retrieve = |grant: String, signature: String| {
        w.call(
            Method::POST,
            "/api/v1/retrievals",
            Some(&sato),
            Some(json!({ "grant": grant, "signature": signature })),
        )
    };

    // A grant whose text was changed (here: another camera) no longer carries the ward's
    // signature.
    let forged = grant.replace("\"cam1\"", "\"cam2\"");
    let (status, body) = retrieve(forged.clone(), key.sign_grant(&forged)).await;
    assert_refused(status, &body, "grant_invalid", "N9.4");
    // Signed by another terminal's key.
    let stranger = TerminalKey::generate("pc-1");
    let (status, body) = retrieve(grant.clone(), stranger.sign_grant(&grant)).await;
    assert_refused(status, &body, "terminal_signature_invalid", "N3.3");
    let state = w.office.ctx.db.request(id).await.unwrap().unwrap().state;
    assert_eq!(state, RequestState::Instructed, "refusals change nothing");

    // The right signature: the grant is spent even though this test recorded no footage.
    let (status, body) = retrieve(grant.clone(), key.sign_grant(&grant)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "no_footage");
    let (status, body) = retrieve(grant.clone(), key.sign_grant(&grant)).await;
    assert_refused(status, &body, "grant_used", "N9.4");
    let failed = w
        .office
        .ctx
        .db
        .events(Some(mimamori_db::EventKind::RetrievalFailed))
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
}

#[tokio::test]
async fn n9_4_an_expired_grant_or_instruction_lets_nothing_out() {
    let clock = Arc::new(ShiftedClock::starting_at(fixed_clock().now()));
    let w = World::with_clock(clock.clone()).await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let sato = w.sign_in("sato").await;
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let (_, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/grants"),
            Some(&sato),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    let grant = body["grant"].as_str().unwrap().to_owned();
    // Eleven minutes later the ten-minute grant is dead (the session is 30 minutes idle).
    clock.advance(SignedDuration::from_mins(11));
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/retrievals",
            Some(&sato),
            Some(json!({ "grant": grant, "signature": key.sign_grant(&grant) })),
        )
        .await;
    assert_refused(status, &body, "grant_expired", "N9.4");
}

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
        .ctx
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

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_in_the_callers_language_and_changes_nothing() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let before = w.office.ctx.db.ledger_size().await.unwrap();
    let refused_before = w.refused_events().await;
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "/api/v1/orders",
            "{not json".into(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "/api/v1/orders",
            json!({ "purpose": 1 }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_json",
        ),
        (
            "/api/v1/orders",
            "x".repeat(crate::MAX_BODY_BYTES + 1),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "/api/v1/orders",
            json!({ "purpose": " ", "reason": "r", "basis": { "kind": "t6_1_e" } }).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "/api/v1/orders",
            json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_a" } }).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "/api/v1/orders",
            json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_z" } }).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
    ];
    for (uri, body, status, code) in cases {
        let (got, value) = w
            .raw(
                Method::POST,
                uri,
                Some(&mayor),
                Some(body),
                &[("accept-language", "en")],
            )
            .await;
        assert_eq!(
            (got, value["error"]["code"].as_str()),
            (status, Some(code)),
            "{value}"
        );
        assert!(value["error"]["message_ja"].is_string());
    }
    // English when asked, Japanese by default, both always present.
    let body = json!({ "purpose": "p", "reason": "r", "basis": { "kind": "t6_1_a" } });
    let (_, en) = w
        .raw(
            Method::POST,
            "/api/v1/orders",
            Some(&mayor),
            Some(body.to_string()),
            &[("accept-language", "en-GB")],
        )
        .await;
    assert!(
        en["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("T6.1a: "),
        "{en}"
    );
    assert!(
        en["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs law"),
        "{en}"
    );
    let (_, ja) = w
        .call(Method::POST, "/api/v1/orders", Some(&mayor), Some(body))
        .await;
    assert!(
        ja["error"]["message"]
            .as_str()
            .unwrap()
            .contains("根拠法令"),
        "{ja}"
    );

    let id = w.order(&mayor).await;
    let after_order = w.office.ctx.db.ledger_size().await.unwrap();
    assert_eq!(after_order, before + 1, "only the good order was recorded");
    let uri = format!("/api/v1/requests/{id}/instruction");
    let now = w.now();
    let eleven_days = SignedDuration::from_hours(24 * 11);
    for (edit, code, rule) in [
        (json!({ "camera": "cam9" }), "unknown_camera", Value::Null),
        (
            json!({ "terminal": "pc-9" }),
            "unknown_terminal",
            json!("N8"),
        ),
        (
            json!({ "from": (now - eleven_days).to_string(), "to": (now - eleven_days + SignedDuration::from_mins(5)).to_string() }),
            "invalid_input",
            json!("N6.1"),
        ),
        (
            json!({ "to": (now + SignedDuration::from_hours(1)).to_string() }),
            "invalid_input",
            Value::Null,
        ),
        (
            json!({ "from": (now - SignedDuration::from_hours(30)).to_string() }),
            "invalid_input",
            json!("T6.1"),
        ),
    ] {
        let mut body = instruction(w.now(), "sato", "pc-1");
        for (k, v) in edit.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, value) = w.call(Method::POST, &uri, Some(&lead), Some(body)).await;
        assert!(status.is_client_error(), "{value}");
        assert_eq!(value["error"]["code"], code, "{value}");
        assert_eq!(value["error"]["rule"], rule, "{value}");
    }
    let state = w.office.ctx.db.request(id).await.unwrap().unwrap().state;
    assert_eq!(state, RequestState::Ordered);
    assert_eq!(w.office.ctx.db.ledger_size().await.unwrap(), after_order);
    assert_eq!(w.refused_events().await, refused_before);
    let (status, body) = w
        .call(Method::GET, "/api/v1/requests/999", Some(&mayor), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_request"))
    );
    let (status, _) = w.call(Method::GET, "/api/v1/requests", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn n9_3_form1_is_a_view_of_the_log_and_corrections_are_new_events() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let auditor = w.sign_in("auditor").await;
    w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let (status, rows) = w
        .call(Method::GET, "/api/v1/form1", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let row = &rows[0];
    assert_eq!(row["serial"], id);
    assert_eq!(row["ordered_by"], "mayor");
    assert_eq!(row["instructed_by"], "lead");
    assert_eq!(
        (row["camera"].as_str(), row["site"].as_str()),
        (Some("cam1"), Some("1丁目"))
    );
    assert_eq!(row["ledger_leaves"].as_array().unwrap().len(), 2);
    let order_leaf = row["ledger_leaves"][0].clone();

    let uri = format!("/api/v1/form1/{id}/corrections");
    let fix =
        json!({ "field": "purpose", "value": "ひったくり事件（駅前）の確認", "reason": "誤記" });
    let (status, body) = w
        .call(Method::POST, &uri, Some(&mayor), Some(fix.clone()))
        .await;
    assert_refused(status, &body, "role_not_permitted", "N9.3");
    let (status, row) = w.call(Method::POST, &uri, Some(&lead), Some(fix)).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["purpose"], "ひったくり事件（駅前）の確認");
    assert_eq!(row["corrections"][0]["corrects_leaf"], order_leaf);
    assert_eq!(row["corrections"][0]["by"], "lead");
    // The original order event is untouched in the log.
    let order = w
        .office
        .ctx
        .db
        .events(Some(mimamori_db::EventKind::OrderIssued))
        .await
        .unwrap();
    assert!(order[0].detail.contains("ひったくり事件の確認"));
    let bad = json!({ "field": "camera", "value": "cam2", "reason": "x" });
    let (status, body) = w.call(Method::POST, &uri, Some(&lead), Some(bad)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
}

#[tokio::test]
async fn n10_1_a_provision_needs_its_document_the_managers_decision_and_t6_2_a_handover_record() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let sato = w.sign_in("sato").await;
    let provision = |document: Value| {
        json!({
            "body": "西淀川警察署", "applicant": "刑事課長",
            "purpose": "窃盗事件の捜査", "reason": "被疑者の足取り確認",
            "basis": { "kind": "t6_1_b", "document": "捜査関係事項照会書 第45号" },
            "document": document,
            "identity_check": { "document_type": "警察手帳", "document_number": "A-1234", "checked_by": "sato" },
        })
    };
    // A Form 2 without its pledge is refused (N10.1).
    let unpledged = json!({ "type": "form2", "case": "c", "offence": "窃盗", "purpose": "p",
                            "cameras": "cam1", "range": "11/20 10時", "pledged": false });
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/provisions",
            Some(&sato),
            Some(provision(unpledged)),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "N10.1");
    let inquiry = json!({ "type": "inquiry", "number": "第45号", "dated": "2026-11-20" });
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/provisions",
            Some(&sato),
            Some(provision(inquiry)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "received");
    assert_eq!(body["provision"]["document"]["number"], "第45号");
    let id = body["id"].as_i64().unwrap();

    // Only the Manager decides (N10.1); nothing is retrieved before.
    let accept = format!("/api/v1/requests/{id}/accept");
    let (status, body) = w.call(Method::POST, &accept, Some(&sato), None).await;
    assert_refused(status, &body, "role_not_permitted", "N10.1");
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/instruction"),
            Some(&w.sign_in("lead").await),
            Some(instruction(w.now(), "sato", "pc-1")),
        )
        .await;
    assert_refused(status, &body, "illegal_transition", "N9.2");
    let (status, body) = w.call(Method::POST, &accept, Some(&mayor), None).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("ordered")),
        "{body}"
    );
    assert_eq!(body["ordered_by"], "mayor");
    // T6.2: a hand-over comes after the report, not before.
    let handover = json!({ "recipient": "西淀川警察署 刑事課 山田", "purpose": "捜査", "content": "DVD-R 1枚",
                           "identity_check": { "document_type": "警察手帳", "document_number": "A-1234", "checked_by": "sato" } });
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/handover"),
            Some(&sato),
            Some(handover),
        )
        .await;
    assert_refused(status, &body, "illegal_transition", "T6.2");
    let (_, rows) = w
        .call(Method::GET, "/api/v1/form1", Some(&mayor), None)
        .await;
    assert_eq!(rows[0]["provision"]["body"], "西淀川警察署");
    assert_eq!(rows[0]["ordered_by"], "mayor");
}

#[tokio::test]
async fn n11_1_n11_2_emergency_retrieval_by_delegated_staff_alerts_the_manager_and_form3_is_chased()
{
    // A Monday night in the ward's zone.
    let night: Timestamp = "2026-11-23T23:30:00+09:00".parse().unwrap();
    let clock = Arc::new(ShiftedClock::starting_at(night));
    let w = World::with_clock(clock.clone()).await;
    let mayor = w.sign_in("mayor").await;
    let admin = w.sign_in("admin").await;
    let lead = w.sign_in("lead").await;
    let (status, delegation) = w
        .call(
            Method::POST,
            "/api/v1/delegations",
            Some(&mayor),
            Some(
                json!({ "body": "西淀川警察署", "document_ref": "西淀署発第7号",
                         "scope": "夜間・休日の緊急時の取り出し",
                         "from": (night - SignedDuration::from_hours(24 * 30)).to_string(),
                         "until": (night + SignedDuration::from_hours(24 * 300)).to_string() }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{delegation}");
    let delegation = delegation["id"].as_i64().unwrap();
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff",
            Some(&admin),
            Some(
                json!({ "login": "yamada", "name": "山田", "unit": "西淀川警察署 刑事課",
                         "password": "initial-pass-1", "delegation_id": delegation }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/yamada/appointments",
            Some(&mayor),
            Some(json!({ "role": "delegated_staff" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let police_key = TerminalKey::generate("police-1");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/terminals",
            Some(&lead),
            Some(
                json!({ "id": "police-1", "name": "警察署端末", "location": "西淀川警察署",
                         "custodian": "刑事課長", "public_key": police_key.public_key(),
                         "delegation_id": delegation }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    w.terminal(&lead, "pc-1").await;

    // The delegated officer signs in, changes the password and pledges like anyone else.
    let (_, session) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "yamada", "password": "initial-pass-1" })),
        )
        .await;
    let yamada = session["token"].as_str().unwrap().to_owned();
    w.call(
        Method::POST,
        "/api/v1/me/password",
        Some(&yamada),
        Some(json!({ "current": "initial-pass-1", "new": "yamada-new-pass" })),
    )
    .await;
    let (_, pledge) = w
        .call(Method::GET, "/api/v1/me/pledge", Some(&yamada), None)
        .await;
    w.call(
        Method::POST,
        "/api/v1/me/pledge",
        Some(&yamada),
        Some(json!({ "sha256": pledge["sha256"] })),
    )
    .await;

    let emergency = |terminal: &str| {
        json!({ "camera": "cam1", "from": (night - SignedDuration::from_mins(40)).to_string(),
                "to": (night - SignedDuration::from_mins(30)).to_string(),
                "purpose": "強盗事件の被疑者追跡", "urgency": "被疑者が逃走中で翌朝まで待てない",
                "terminal": terminal })
    };
    // Not at a ward terminal (N10.4), and not for ward staff (N11.1).
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/emergency-retrievals",
            Some(&yamada),
            Some(emergency("pc-1")),
        )
        .await;
    assert_refused(status, &body, "not_a_delegated_terminal", "N10.4");
    let sato = w.sign_in("sato").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/emergency-retrievals",
            Some(&sato),
            Some(emergency("police-1")),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "N11.1");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/emergency-retrievals",
            Some(&yamada),
            Some(emergency("police-1")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "emergency_authorized");
    let id = body["id"].as_i64().unwrap();
    // The Manager knows at once.
    let alerts = w.office.ctx.db.alerts(10).await.unwrap();
    assert!(alerts
        .iter()
        .any(|a| a.kind == AlertKind::EmergencyRetrieval && a.resolved_us.is_none()));
    // The grant goes to the officer at the police terminal only.
    let grants = format!("/api/v1/requests/{id}/grants");
    let (status, body) = w
        .call(
            Method::POST,
            &grants,
            Some(&yamada),
            Some(json!({ "terminal": "police-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = w
        .call(
            Method::POST,
            &grants,
            Some(&sato),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "N11.1");

    // At noon on a weekday, the same request is refused: the Manager orders then.
    clock.set("2026-11-24T12:00:00+09:00".parse().unwrap());
    let (_, session) = w
        .call(
            Method::POST,
            "/api/v1/sessions",
            None,
            Some(json!({ "login": "yamada", "password": "yamada-new-pass" })),
        )
        .await;
    let yamada = session["token"].as_str().unwrap().to_owned();
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/emergency-retrievals",
            Some(&yamada),
            Some(emergency("police-1")),
        )
        .await;
    assert_refused(status, &body, "not_an_emergency_hour", "N11.1");

    // Form 3 is chased once overdue, if the retrieval happened; mark it retrieved directly
    // (the retrieval of real footage is the end-to-end test's).
    let row = w.office.ctx.db.request(id).await.unwrap().unwrap();
    w.office
        .ctx
        .db
        .advance_request(
            id,
            (row.state, RequestState::EmergencyRetrieved),
            &mimamori_db::RequestUpdate::Retrieved {
                by: "yamada".into(),
                record: vocabulary::RetrievalDone {
                    request: id,
                    grant: "g-night".into(),
                    camera: "cam1".into(),
                    site: None,
                    from: night - SignedDuration::from_hours(1),
                    to: night,
                    terminal: "police-1".into(),
                    clip_sha256: String::new(),
                    clip_bytes: 0,
                    manifest_sha256: String::new(),
                    export_started_event: 0,
                    export_finished_event: 0,
                },
            },
            night,
            vec![],
        )
        .await
        .unwrap();
    clock.set(night + SignedDuration::from_hours(73));
    assert_eq!(
        crate::workflow::emergency::check_form3_deadlines(&w.office)
            .await
            .unwrap(),
        [id]
    );
    assert!(
        crate::workflow::emergency::check_form3_deadlines(&w.office)
            .await
            .unwrap()
            .is_empty(),
        "alerted once"
    );
    assert_eq!(open_form3_alerts(&w).await, 1);
    let handler = w.sign_in("suzuki").await;
    let form3 = json!({ "purpose": "強盗事件の被疑者追跡", "camera_site": "1丁目", "retrieval_date": "2026-11-23",
                        "urgency": "被疑者が逃走中", "pledged": true, "document": "様式第3号" });
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/form3"),
            Some(&handler),
            Some(form3),
        )
        .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("form3_recorded")),
        "{body}"
    );
    assert_eq!(
        open_form3_alerts(&w).await,
        0,
        "N11.2: received, the alert is resolved"
    );
    let mayor = w.sign_in("mayor").await;
    let (_, rows) = w
        .call(Method::GET, "/api/v1/form1", Some(&mayor), None)
        .await;
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serial"] == id)
        .unwrap();
    assert_eq!(row["emergency"], true);
    assert_eq!(row["form3"]["document"], "様式第3号");
}

#[tokio::test]
async fn t5_3_the_manager_holds_footage_for_a_recorded_reason() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let sato = w.sign_in("sato").await;
    let now = w.now();
    let hold = |reason: &str| {
        json!({ "camera": "cam1", "from": (now - SignedDuration::from_hours(2)).to_string(),
                "to": (now - SignedDuration::from_hours(1)).to_string(),
                "until": (now + SignedDuration::from_hours(24 * 30)).to_string(), "reason": reason })
    };
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/holds",
            Some(&sato),
            Some(hold("捜査のため")),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "T5.3");
    let (status, body) = w
        .call(Method::POST, "/api/v1/holds", Some(&mayor), Some(hold(" ")))
        .await;
    assert_refused(status, &body, "invalid_input", "T5.3");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/holds",
            Some(&mayor),
            Some(hold("公判のため保存期間を延長")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, holds) = w
        .call(Method::GET, "/api/v1/holds", Some(&mayor), None)
        .await;
    assert_eq!(holds[0]["held_by"], "mayor");
    let events = w
        .office
        .ctx
        .db
        .events(Some(mimamori_db::EventKind::HoldAdded))
        .await
        .unwrap();
    assert_eq!((events.len(), events[0].rule.as_deref()), (1, Some("T5.3")));
}

async fn open_form3_alerts(w: &World) -> usize {
    let alerts = w.office.ctx.db.alerts(10).await.unwrap();
    alerts
        .iter()
        .filter(|a| a.kind == AlertKind::Form3Overdue && a.resolved_us.is_none())
        .count()
}

#[tokio::test]
async fn n11_3_a_terminals_signed_history_is_reconciled_with_the_log() {
    let w = World::new().await;
    let lead = w.sign_in("lead").await;
    let sato = w.sign_in("sato").await;
    let key = w.terminal(&lead, "pc-1").await;
    let month = w
        .now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .strftime("%Y-%m")
        .to_string();
    // The office recorded one retrieval at pc-1 this month (grant g-1).
    let done = mimamori_db::vocabulary::RetrievalDone {
        request: 1,
        grant: "g-1".into(),
        camera: "cam1".into(),
        site: None,
        from: w.now() - SignedDuration::from_mins(30),
        to: w.now() - SignedDuration::from_mins(20),
        terminal: "pc-1".into(),
        clip_sha256: "00".repeat(32),
        clip_bytes: 1,
        manifest_sha256: "00".repeat(32),
        export_started_event: 1,
        export_finished_event: 2,
    };
    let done = mimamori_db::Event::by("sato", mimamori_db::EventBody::RetrievalDone(done))
        .at(w.now())
        .at_terminal("pc-1");
    w.office.ctx.db.append_event(&done).await.unwrap();
    let submit = |history: Value, signature: String| {
        w.call(
            Method::POST,
            "/api/v1/terminals/pc-1/history",
            Some(&lead),
            Some(json!({ "history": history, "signature": signature })),
        )
    };
    let signed = |history: &Value| {
        let bytes = mimamori_ledger::canonical::canonical_json(history).unwrap();
        key.sign(crate::grant::HISTORY_CONTEXT, bytes.as_bytes())
    };
    let matching = json!({ "terminal": "pc-1", "month": month,
                           "entries": [{ "request": 1, "grant": "g-1" }] });
    let (status, body) = submit(matching.clone(), signed(&matching)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["matched"].as_u64(), body["consistent"].as_bool()),
        (Some(1), Some(true))
    );

    // A retrieval the office never recorded, and one the terminal does not show: both flagged.
    let odd = json!({ "terminal": "pc-1", "month": month,
                      "entries": [{ "request": 9, "grant": "g-9" }] });
    let (_, body) = submit(odd.clone(), signed(&odd)).await;
    assert_eq!(body["consistent"], false);
    assert_eq!(body["only_on_terminal"], json!(["g-9"]));
    assert_eq!(body["only_on_server"], json!(["g-1"]));
    let alerts = w.office.ctx.db.alerts(10).await.unwrap();
    assert!(alerts.iter().any(|a| a.kind == AlertKind::HistoryMismatch));

    // An edited history no longer carries the terminal's signature.
    let mut edited = matching.clone();
    edited["entries"] = json!([]);
    let (status, body) = submit(edited, signed(&matching)).await;
    assert_refused(status, &body, "history_signature_invalid", "N11.3");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/terminals/pc-1/history",
            Some(&sato),
            Some(json!({ "history": matching, "signature": signed(&matching) })),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "N11.3");
}

fn totp_code(secret: &str, now: Timestamp) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
    totp.generate(now.as_second() as u64)
}

#[tokio::test]
async fn n3_3_1_the_leads_sign_in_with_a_totp_code_when_the_policy_asks() {
    let policy = POLICY.replace("[office]\n", "[office]\nsecond_factor_for_leads = true\n");
    let w = World::with_policy(&policy, fixed_clock()).await;
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

    // From now on the password alone is not enough, and a wrong code is a failed attempt.
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
        (StatusCode::UNAUTHORIZED, Some("second_factor_failed"))
    );
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
        .ctx
        .db
        .events(Some(mimamori_db::EventKind::SigninRefused))
        .await
        .unwrap();
    assert!(refusals
        .iter()
        .any(|e| e.detail.contains("bad_second_factor")));
}

#[tokio::test]
async fn n3_2_2_t2_t6_1_every_order_states_purpose_and_basis_and_takes_only_the_relevant_part() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    w.terminal(&lead, "pc-1").await;
    let order = |purpose: &str, basis: Value| json!({ "purpose": purpose, "reason": "通報", "basis": basis });
    // N3.2.2: no purpose, no order.
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&mayor),
            Some(order("", json!({ "kind": "t6_1_e" }))),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    // T6.1 (a)–(d): each basis with the fact it needs.
    for (basis, rule) in [
        (json!({ "kind": "t6_1_a" }), "T6.1a"),
        (json!({ "kind": "t6_1_b" }), "T6.1b"),
        (json!({ "kind": "t6_1_c" }), "T6.1c"),
        (json!({ "kind": "t6_1_d" }), "T6.1d"),
    ] {
        let (status, body) = w
            .call(
                Method::POST,
                "/api/v1/orders",
                Some(&mayor),
                Some(order("確認", basis)),
            )
            .await;
        assert_refused(status, &body, "invalid_input", rule);
    }
    let consent = json!({ "kind": "t6_1_d", "consent_of": "映像に写る本人（申出書あり）" });
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&mayor),
            Some(order("本人への開示", consent)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["basis"]["consent_of"], "映像に写る本人（申出書あり）");
    // T2, T6.1: one instruction covers at most a day of one camera.
    let id = body["id"].as_i64().unwrap();
    let mut wide = instruction(w.now(), "sato", "pc-1");
    wide["from"] = json!((w.now() - SignedDuration::from_hours(30)).to_string());
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/instruction"),
            Some(&lead),
            Some(wide),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "T6.1");
}
