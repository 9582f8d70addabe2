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
use crate::testutil::{fixed_clock, office_at, PASSWORD, POLICY};
use crate::Shared;

mod attacks;
mod form1;
mod holds;
mod input;
mod inquiries;
mod orders;
mod outside;
mod people;
mod real_footage;
mod register;
mod screens;
mod screens_account;
mod screens_steps;
mod several_cameras;
mod signin;

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
        let office = office_at(dir.path(), policy, clock.clone()).await;
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
            seed_account(&office.db, &seed, "system:test", now)
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
        let (status, bytes) = self.bytes(method, uri, token, body, headers).await;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// The answer's bytes, for the routes that answer other than JSON (an evidence package).
    async fn bytes(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::body::Bytes) {
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
        (status, bytes)
    }

    async fn sign_in(&self, login: &str) -> String {
        self.session(login, PASSWORD).await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A successful sign-in's answer.
    async fn session(&self, login: &str, password: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/sessions",
                None,
                Some(json!({ "login": login, "password": password })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// An Administrator opens an account (`extra` adds fields); returns its enrolment code.
    async fn open_account(&self, admin: &str, login: &str, extra: Value) -> String {
        let mut body = json!({ "login": login, "name": login });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, body) = self
            .call(Method::POST, "/api/v1/staff", Some(admin), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["enrolment"]["code"].as_str().unwrap().to_owned()
    }

    /// The holder sets `password` with the code, signs in and pledges (N3.3.1, N12).
    async fn enrol(&self, login: &str, code: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/enrol",
                None,
                Some(json!({ "login": login, "code": code, "password": password })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let session = self.session(login, password).await;
        assert_eq!(
            session["password_change_due"], false,
            "the password is the holder's"
        );
        let token = session["token"].as_str().unwrap().to_owned();
        let (_, pledge) = self
            .call(Method::GET, "/api/v1/me/pledge", Some(&token), None)
            .await;
        let (status, _) = self
            .call(
                Method::POST,
                "/api/v1/me/pledge",
                Some(&token),
                Some(json!({ "sha256": pledge["sha256"] })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        token
    }

    async fn refused_events(&self) -> usize {
        let events = self
            .office
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

    /// A request as `token` reads it through the API.
    async fn request(&self, token: &str, id: i64) -> Value {
        let uri = format!("/api/v1/requests/{id}");
        let (status, row) = self.call(Method::GET, &uri, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{row}");
        row
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
