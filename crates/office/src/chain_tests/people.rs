//! Attacks by one person on the chain's separation of people (issue 11, #1; N7, N9): an
//! Administrator alone, or with accounts it made, must not complete the chain. Each test is
//! named after what it tries.

use super::*;

/// Where the replay stopped: the step, and the office's answer.
#[derive(Debug)]
struct Stopped {
    step: &'static str,
    status: StatusCode,
    body: Value,
}

/// One call of the replay, which must succeed for the replay to go on.
async fn step(
    w: &World,
    step: &'static str,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> Result<Value, Stopped> {
    let (status, body) = w.call(method, uri, Some(token), body).await;
    if status.is_success() {
        Ok(body)
    } else {
        Err(Stopped { step, status, body })
    }
}

/// The hostile review's steps, as the Administrator took them against the demo: appoint itself
/// Manager, open two accounts with passwords it chose, appoint them Operations lead and Image
/// handler, register a terminal whose key it made, then order, instruct and retrieve.
/// Reaching the end means footage left (here `no_footage`: the test records none, but the
/// grant was good and was spent).
async fn lone_administrator(w: &World) -> Result<(), Stopped> {
    let admin = w.sign_in("admin").await;
    let appoint = |login: &str| format!("/api/v1/staff/{login}/appointments");
    step(
        w,
        "appoint itself Manager",
        Method::POST,
        &appoint("admin"),
        &admin,
        Some(json!({ "role": "manager" })),
    )
    .await?;
    let mut puppets = Vec::new();
    for login in ["p1", "p2"] {
        let chosen = format!("{login}-chosen-by-admin");
        step(
            w,
            "open an account with a chosen password",
            Method::POST,
            "/api/v1/staff",
            &admin,
            Some(json!({ "login": login, "name": login, "password": chosen })),
        )
        .await?;
        let (status, body) = w
            .call(
                Method::POST,
                "/api/v1/sessions",
                None,
                Some(json!({ "login": login, "password": chosen })),
            )
            .await;
        if !status.is_success() {
            return Err(Stopped {
                step: "sign in as the puppet",
                status,
                body,
            });
        }
        let token = body["token"].as_str().unwrap().to_owned();
        let own = format!("{login}-also-chosen-by-admin");
        step(
            w,
            "change the puppet's password",
            Method::POST,
            "/api/v1/me/password",
            &token,
            Some(json!({ "current": chosen, "new": own })),
        )
        .await?;
        let pledge = step(
            w,
            "read the pledge",
            Method::GET,
            "/api/v1/me/pledge",
            &token,
            None,
        )
        .await?;
        step(
            w,
            "pledge as the puppet",
            Method::POST,
            "/api/v1/me/pledge",
            &token,
            Some(json!({ "sha256": pledge["sha256"] })),
        )
        .await?;
        puppets.push(token);
    }
    let (p1, p2) = (&puppets[0], &puppets[1]);
    step(
        w,
        "appoint the first puppet Operations lead",
        Method::POST,
        &appoint("p1"),
        &admin,
        Some(json!({ "role": "operations_lead" })),
    )
    .await?;
    step(
        w,
        "appoint the second puppet Image handler",
        Method::POST,
        &appoint("p2"),
        &admin,
        Some(json!({ "role": "image_handler" })),
    )
    .await?;
    let key = TerminalKey::generate("pc-9");
    step(
        w,
        "register a terminal",
        Method::POST,
        "/api/v1/terminals",
        p1,
        Some(
            json!({ "id": "pc-9", "name": "端末", "location": "執務室", "custodian": "p1",
            "public_key": key.public_key() }),
        ),
    )
    .await?;
    let order = step(
        w,
        "order",
        Method::POST,
        "/api/v1/orders",
        &admin,
        Some(json!({ "purpose": "確認", "reason": "理由", "basis": { "kind": "t6_1_e" } })),
    )
    .await?;
    let id = order["id"].as_i64().unwrap();
    step(
        w,
        "instruct the second puppet",
        Method::POST,
        &format!("/api/v1/requests/{id}/instruction"),
        p1,
        Some(instruction(w.now(), "p2", "pc-9")),
    )
    .await?;
    let grant = step(
        w,
        "ask for a grant",
        Method::POST,
        &format!("/api/v1/requests/{id}/grants"),
        p2,
        Some(json!({ "terminal": "pc-9" })),
    )
    .await?;
    let note = grant["grant"].as_str().unwrap();
    let body = json!({ "grant": note, "signature": key.sign_grant(note) });
    match step(
        w,
        "retrieve",
        Method::POST,
        "/api/v1/retrievals",
        p2,
        Some(body),
    )
    .await
    {
        Err(stopped) if stopped.body["error"]["code"] == "no_footage" => Ok(()),
        other => other.map(drop),
    }
}

/// #1 (N7.1): one Administrator ran the whole chain alone. The replay now stops at its first
/// step: the Administrator holds no other role.
#[tokio::test]
async fn attack_one_administrator_runs_the_whole_chain_alone() {
    let w = World::new().await;
    let refused = w.refused_events().await;
    let stopped = lone_administrator(&w)
        .await
        .expect_err("one Administrator completed the chain alone");
    assert_eq!(stopped.step, "appoint itself Manager", "{stopped:?}");
    assert_refused(
        stopped.status,
        &stopped.body,
        "administrator_separate",
        "N7.1",
    );
    assert_eq!(
        w.refused_events().await,
        refused + 1,
        "the attempt is on record"
    );
    let admin = w.sign_in("admin").await;
    let (_, me) = w.call(Method::GET, "/api/v1/me", Some(&admin), None).await;
    assert_eq!(me["roles"], json!(["administrator"]));
}

/// #1 (N7.1): an account that holds the Administrator role beside a chain role (as an older
/// release let it be appointed) acts in neither chain role; it may still end the appointment.
#[tokio::test]
async fn attack_an_account_holding_administrator_and_manager_cannot_order() {
    let w = World::new().await;
    let seed = Seed {
        login: "boss",
        name: "boss",
        unit: "防犯係",
        password: PASSWORD,
        roles: &[Role::Administrator, Role::Manager],
        ready: true,
        delegation_id: None,
    };
    seed_account(
        &w.office.db,
        &seed,
        "system:test",
        w.now() - SignedDuration::from_secs(1),
    )
    .await
    .unwrap();
    let boss = w.sign_in("boss").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/orders",
            Some(&boss),
            Some(json!({ "purpose": "確認", "reason": "理由", "basis": { "kind": "t6_1_e" } })),
        )
        .await;
    assert_refused(status, &body, "administrator_not_in_chain", "N7.1");
    // The Administrator's own work goes on.
    let (status, body) = w
        .call(Method::GET, "/api/v1/staff", Some(&boss), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// #1 (N7.1): the Manager cannot make an Auditor part of the chain, nor the Auditor's
/// appointer put a handler in the Auditor's seat.
#[tokio::test]
async fn attack_the_auditor_is_made_an_image_handler() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/auditor/appointments",
            Some(&mayor),
            Some(json!({ "role": "image_handler" })),
        )
        .await;
    assert_refused(status, &body, "auditor_separate", "N7.1");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/sato/appointments",
            Some(&mayor),
            Some(json!({ "role": "auditor" })),
        )
        .await;
    assert_refused(status, &body, "auditor_separate", "N7.1");
}

/// #1 (N9.2): an Operations lead who is also an Image handler instructed himself and retrieved
/// alone. The lead now names someone else, and the refusal is on record.
#[tokio::test]
async fn attack_the_operations_lead_instructs_himself() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/lead/appointments",
            Some(&mayor),
            Some(json!({ "role": "image_handler" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let lead = w.sign_in("lead").await;
    w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    let refused = w.refused_events().await;
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/instruction"),
            Some(&lead),
            Some(instruction(w.now(), "lead", "pc-1")),
        )
        .await;
    assert_refused(status, &body, "second_person_required", "N9.2");
    assert_eq!(w.refused_events().await, refused + 1);
    w.instruct(&lead, id, "sato", "pc-1").await;
}

/// #1 (N7, N8): every appointment and every terminal registration alerts the Manager and the
/// Auditor, who see it in full; the public health page neither shows nor counts it.
#[tokio::test]
async fn n7_n8_appointments_and_terminals_alert_the_manager_and_the_auditor() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let auditor = w.sign_in("auditor").await;
    let (_, me) = w
        .call(Method::GET, "/api/v1/me", Some(&auditor), None)
        .await;
    assert_eq!(me["open_alerts"], 0, "{me}");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/staff/suzuki/appointments",
            Some(&mayor),
            Some(json!({ "role": "operations_lead" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let lead = w.sign_in("lead").await;
    w.terminal(&lead, "pc-7").await;
    for token in [&auditor, &mayor] {
        let (_, me) = w.call(Method::GET, "/api/v1/me", Some(token), None).await;
        assert_eq!(me["open_alerts"], 2, "{me}");
    }
    let (_, me) = w.call(Method::GET, "/api/v1/me", Some(&lead), None).await;
    assert_eq!(me["open_alerts"], 0, "not addressed to the lead: {me}");
    let (status, alerts) = w
        .call(Method::GET, "/api/v1/alerts", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = alerts.to_string();
    assert!(
        text.contains("appointed: suzuki as operations_lead by mayor"),
        "{text}"
    );
    assert!(text.contains("terminal registered: pc-7"), "{text}");
    let (status, list) = w
        .call(Method::GET, "/api/v1/appointments", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["login"], "suzuki");
    assert_eq!(list[0]["role"], "operations_lead");
    assert_eq!(list[0]["appointed_by"], "mayor");
    let (_, health) = w.call(Method::GET, "/api/v1/health", None, None).await;
    let public = health.to_string();
    assert!(
        !public.contains("suzuki") && !public.contains("pc-7"),
        "{public}"
    );
}
