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

/// An account the Administrator opened and enrolled itself (it saw the code): the puppet.
async fn puppet(w: &World, admin: &str, login: &str) -> String {
    let code = w.open_account(admin, login, json!({})).await;
    w.enrol(login, &code, &format!("{login}-password-chosen-by-admin"))
        .await
}

/// Proposes `login` for `role`; returns the proposal's id.
async fn propose(w: &World, admin: &str, login: &str, role: &str) -> i64 {
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/staff/{login}/appointments"),
            Some(admin),
            Some(json!({ "role": role })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending", "{body}");
    body["id"].as_i64().unwrap()
}

async fn confirm(w: &World, token: &str, proposal: i64) -> (StatusCode, Value) {
    w.call(
        Method::POST,
        &format!("/api/v1/appointment-proposals/{proposal}/confirm"),
        Some(token),
        None,
    )
    .await
}

async fn roles(w: &World, token: &str) -> Value {
    let (_, me) = w.call(Method::GET, "/api/v1/me", Some(token), None).await;
    me["roles"].clone()
}

/// #1 (N7.2): with itself barred, the Administrator made a puppet Manager instead: an account
/// it opened and enrolled. The appointment now waits for a second person, who is alerted, and
/// neither the Administrator nor the puppet can be that person.
#[tokio::test]
async fn attack_an_administrator_makes_a_puppet_manager() {
    let w = World::new().await;
    let admin = w.sign_in("admin").await;
    let p1 = puppet(&w, &admin, "p1").await;
    let proposal = propose(&w, &admin, "p1", "manager").await;
    assert_eq!(roles(&w, &p1).await, json!([]), "not in force");
    let (status, body) = confirm(&w, &admin, proposal).await;
    assert_refused(status, &body, "own_proposal", "N7.2");
    let (status, body) = confirm(&w, &p1, proposal).await;
    assert_refused(status, &body, "role_not_permitted", "N7.2");
    // The Manager and the Auditor see it, and the Manager says no.
    let auditor = w.sign_in("auditor").await;
    let (_, me) = w
        .call(Method::GET, "/api/v1/me", Some(&auditor), None)
        .await;
    assert_eq!(me["open_alerts"], 1, "the proposal: {me}");
    let (status, list) = w
        .call(
            Method::GET,
            "/api/v1/appointment-proposals",
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        (&list[0]["login"], &list[0]["role"]),
        (&json!("p1"), &json!("manager"))
    );
    let mayor = w.sign_in("mayor").await;
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/appointment-proposals/{proposal}/reject"),
            Some(&mayor),
            Some(json!({ "reason": "心当たりのない任命" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = confirm(&w, &mayor, proposal).await;
    assert_refused(status, &body, "proposal_closed", "N7.2");
    assert_eq!(roles(&w, &p1).await, json!([]));
}

/// #1 (N7.2): the Administrator ended the Manager's appointment, so that no Manager was in
/// force, and then appointed a puppet. A ward that has had a Manager still needs a second
/// person; with one Administrator there is none, which stops the chain rather than opening it.
#[tokio::test]
async fn attack_an_administrator_removes_the_manager_then_appoints_a_puppet() {
    let w = World::new().await;
    let admin = w.sign_in("admin").await;
    let (_, mayor) = w
        .call(Method::GET, "/api/v1/staff/mayor", Some(&admin), None)
        .await;
    let appointment = mayor["appointments"][0]["id"].as_i64().unwrap();
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/appointments/{appointment}/end"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let p1 = puppet(&w, &admin, "p1").await;
    let proposal = propose(&w, &admin, "p1", "manager").await;
    let (status, body) = confirm(&w, &admin, proposal).await;
    assert_refused(status, &body, "own_proposal", "N7.2");
    assert_eq!(roles(&w, &p1).await, json!([]));
}

/// #1 (N7.2): a second Administrator the first one made cannot confirm its maker's proposals:
/// a new Administrator is itself confirmed by the Manager, and one appointed after a proposal
/// cannot confirm that proposal.
#[tokio::test]
async fn attack_an_administrator_makes_a_second_administrator_to_confirm() {
    let clock = Arc::new(ShiftedClock::starting_at(fixed_clock().now()));
    let w = World::with_clock(clock.clone()).await;
    let tick = || clock.set(clock.now() + SignedDuration::from_mins(1));
    let admin = w.sign_in("admin").await;
    puppet(&w, &admin, "p1").await;
    let manager = propose(&w, &admin, "p1", "manager").await;
    tick();
    let p2 = puppet(&w, &admin, "p2").await;
    let second_admin = propose(&w, &admin, "p2", "administrator").await;
    // Another Administrator may not confirm a new Administrator while a Manager is in force.
    seed_account(
        &w.office.db,
        &Seed {
            login: "admin2",
            name: "admin2",
            unit: "情報政策課",
            password: PASSWORD,
            roles: &[Role::Administrator],
            ready: true,
            delegation_id: None,
        },
        "system:test",
        clock.now() - SignedDuration::from_hours(1),
    )
    .await
    .unwrap();
    let admin2 = w.sign_in("admin2").await;
    let (status, body) = confirm(&w, &admin2, second_admin).await;
    assert_refused(status, &body, "manager_confirms", "N7.2");
    // The Manager confirms it (knowingly: it is alerted and named in the record).
    tick();
    let mayor = w.sign_in("mayor").await;
    let (status, body) = confirm(&w, &mayor, second_admin).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["confirmed_by"], "mayor");
    assert_eq!(roles(&w, &p2).await, json!(["administrator"]));
    // The new Administrator was not one when the Manager was proposed.
    let (status, body) = confirm(&w, &p2, manager).await;
    assert_refused(status, &body, "administrator_too_recent", "N7.2");
}

/// N7.2: a new Manager is appointed when the Manager in force confirms; the appointment names
/// who proposed and who confirmed, and the Auditor sees both.
#[tokio::test]
async fn n7_2_a_new_manager_is_confirmed_by_the_manager_in_force() {
    let w = World::new().await;
    let admin = w.sign_in("admin").await;
    let code = w
        .open_account(&admin, "kawada", json!({ "name": "川田" }))
        .await;
    let kawada = w.enrol("kawada", &code, "kawada's own password").await;
    let proposal = propose(&w, &admin, "kawada", "manager").await;
    let mayor = w.sign_in("mayor").await;
    let (status, body) = confirm(&w, &mayor, proposal).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (&body["appointed_by"], &body["confirmed_by"]),
        (&json!("admin"), &json!("mayor"))
    );
    assert_eq!(roles(&w, &kawada).await, json!(["manager"]));
    let auditor = w.sign_in("auditor").await;
    let (_, list) = w
        .call(Method::GET, "/api/v1/appointments", Some(&auditor), None)
        .await;
    assert_eq!(
        (&list[0]["login"], &list[0]["confirmed_by"]),
        (&json!("kawada"), &json!("mayor"))
    );
    let (_, alerts) = w
        .call(Method::GET, "/api/v1/alerts", Some(&auditor), None)
        .await;
    let text = alerts.to_string();
    assert!(
        text.contains("appointed: kawada as manager, proposed by admin, confirmed by mayor"),
        "{text}"
    );
    let (status, body) = confirm(&w, &mayor, proposal).await;
    assert_refused(status, &body, "proposal_closed", "N7.2");
}
