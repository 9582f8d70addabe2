//! The chain inside the ward (N9): order, instruction, grant, retrieval, and every shortcut
//! refused; what an order must state (N3.2.2, T2, T6.1).

use super::*;

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
    let state = w.office.db.request(id.into()).await.unwrap().unwrap().state;
    assert_eq!(state, RequestState::Instructed, "refusals change nothing");

    // The right signature: the grant is spent even though this test recorded no footage.
    let (status, body) = retrieve(grant.clone(), key.sign_grant(&grant)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "no_footage");
    let (status, body) = retrieve(grant.clone(), key.sign_grant(&grant)).await;
    assert_refused(status, &body, "grant_used", "N9.4");
    let failed = w
        .office
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
