//! Bad input gets a clear 4xx in the caller's language and changes nothing.

use super::*;

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_in_the_callers_language_and_changes_nothing() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let before = w.office.db.ledger_size().await.unwrap();
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
    let after_order = w.office.db.ledger_size().await.unwrap();
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
    let state = w.office.db.request(id.into()).await.unwrap().unwrap().state;
    assert_eq!(state, RequestState::Ordered);
    assert_eq!(w.office.db.ledger_size().await.unwrap(), after_order);
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
