//! Footage for outside bodies: provisions (N10.1, T6.2), emergency retrievals and Form 3
//! (N11.1, N11.2), a terminal's history (N11.3).

use super::*;

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
    // Stage 1: the police are delegated to, with an officer and a terminal of their own; the
    // officer sets a password with the enrolment code and pledges like anyone (N3.3.1, N12).
    let (yamada, _) = delegate_to_the_police(&w, night).await;

    // Stage 3: the emergency retrieval, refused where N10.4 and N11.1 refuse it.
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
    let alerts = w.office.db.alerts(10).await.unwrap();
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

    // Stage 4: at noon on a weekday, the same request is refused: the Manager orders then.
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

    // Stage 5: Form 3 is chased once overdue, if the retrieval happened; mark it retrieved directly
    // (the retrieval of real footage is the end-to-end test's).
    let id = mimamori_policy::RequestId::new(id);
    let row = w.office.db.request(id).await.unwrap().unwrap();
    w.office
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
                    further_clips: Vec::new(),
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
        .find(|r| r["serial"] == id.get())
        .unwrap();
    assert_eq!(row["emergency"], true);
    assert_eq!(row["form3"]["document"], "様式第3号");
}

async fn open_form3_alerts(w: &World) -> usize {
    let alerts = w.office.db.alerts(10).await.unwrap();
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
        request: 1.into(),
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
        further_clips: Vec::new(),
    };
    let done = mimamori_db::Event::by("sato", mimamori_db::EventBody::RetrievalDone(done))
        .at(w.now())
        .at_terminal("pc-1");
    w.office.db.append_event(&done).await.unwrap();
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
    let alerts = w.office.db.alerts(10).await.unwrap();
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

/// N10.2–N10.4: the Manager records a delegation to the police, the Administrator opens the
/// officer's account under it, the officer enrols, the Manager appoints them delegated staff,
/// and the Operations lead registers the police terminal (and a ward terminal, pc-1). Returns
/// the officer's session and the police terminal's key.
pub(super) async fn delegate_to_the_police(w: &World, night: Timestamp) -> (String, TerminalKey) {
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
                         "scope": "夜間・休日の緊急時の取り出し", "cameras": ["cam1"],
                         "from": (night - SignedDuration::from_hours(24 * 30)).to_string(),
                         "until": (night + SignedDuration::from_hours(24 * 300)).to_string() }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{delegation}");
    let delegation = delegation["id"].as_i64().unwrap();
    let code = w
        .open_account(
            &admin,
            "yamada",
            json!({ "name": "山田", "unit": "西淀川警察署 刑事課", "delegation_id": delegation }),
        )
        .await;
    let yamada = w.enrol("yamada", &code, "yamada-new-pass").await;
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
    (yamada, police_key)
}

/// N11.1 (issue 11, #5) says 夜間、休日**など**: a closed list of hours hard-refused a real
/// weekday emergency. In office hours the officer may still retrieve with a stated reason; the
/// Manager's alert says it was outside the listed hours, and the ledger keeps the reason.
#[tokio::test]
async fn n11_1_an_emergency_in_office_hours_needs_a_reason_and_is_flagged() {
    // A Tuesday noon in the ward's zone, not a holiday.
    let noon: Timestamp = "2026-11-24T12:00:00+09:00".parse().unwrap();
    let clock = Arc::new(ShiftedClock::starting_at(noon));
    let w = World::with_clock(clock.clone()).await;
    let (yamada, _) = delegate_to_the_police(&w, noon).await;
    let emergency = |reason: Option<&str>| {
        let mut body = json!({ "camera": "cam1",
            "from": (noon - SignedDuration::from_mins(40)).to_string(),
            "to": (noon - SignedDuration::from_mins(30)).to_string(),
            "purpose": "ひき逃げ事件の車両特定", "urgency": "車両が逃走中",
            "terminal": "police-1" });
        if let Some(r) = reason {
            body["outside_hours_reason"] = json!(r);
        }
        body
    };
    let (status, body) = emergency_retrieval(&w, &yamada, emergency(None)).await;
    assert_refused(status, &body, "not_an_emergency_hour", "N11.1");
    let (status, body) = emergency_retrieval(&w, &yamada, emergency(Some(" "))).await;
    assert_refused(status, &body, "not_an_emergency_hour", "N11.1");
    let why = "逃走車両が区外へ出る前に特定する必要があり、区の指示を待てない";
    let (status, body) = emergency_retrieval(&w, &yamada, emergency(Some(why))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let alerts = w.office.db.alerts(50).await.unwrap();
    assert!(
        alerts.iter().any(|a| a
            .message
            .contains("outside nights and holidays, with a reason")),
        "{alerts:?}"
    );
    let events = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::EmergencyAuthorized))
        .await
        .unwrap();
    let vocabulary::EventBody::EmergencyAuthorized(e) = events[0].body().unwrap() else {
        panic!("not an emergency");
    };
    assert_eq!(e.outside_hours_reason.as_deref(), Some(why));
}

/// N10.2 (issue 11, #4): the delegation's scope was free text nobody checked, and delegated
/// staff got an emergency grant for a camera the scope excluded. The cameras are data now, and
/// a withdrawn delegation lets nothing out.
#[tokio::test]
async fn attack_delegated_staff_retrieve_a_camera_outside_their_delegation() {
    let night: Timestamp = "2026-11-23T23:30:00+09:00".parse().unwrap();
    let clock = Arc::new(ShiftedClock::starting_at(night));
    let policy = format!(
        "{POLICY}[[camera]]\nid = \"cam2\"\nname = \"公園\"\nsite = \"2丁目\"\n\
         url = \"rtsp://127.0.0.1:1/cam2\"\nwithout_credentials = \"テスト用\"\n"
    );
    let w = World::with_policy(&policy, clock.clone()).await;
    let (yamada, _) = delegate_to_the_police(&w, night).await;
    let emergency = |camera: &str| {
        json!({ "camera": camera, "from": (night - SignedDuration::from_mins(40)).to_string(),
                "to": (night - SignedDuration::from_mins(30)).to_string(),
                "purpose": "強盗事件の被疑者追跡", "urgency": "被疑者が逃走中",
                "terminal": "police-1" })
    };
    let refused = w.refused_events().await;
    let (status, body) = emergency_retrieval(&w, &yamada, emergency("cam2")).await;
    assert_refused(status, &body, "camera_outside_delegation", "N10.2");
    assert_eq!(w.refused_events().await, refused + 1);
    let (status, body) = emergency_retrieval(&w, &yamada, emergency("cam1")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The Manager withdraws the delegation: nothing more under it.
    let mayor = w.sign_in("mayor").await;
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/delegations/1/withdraw",
            Some(&mayor),
            Some(json!({ "reason": "捜査の終結" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["withdrawn_by"], "mayor");
    let (status, body) = emergency_retrieval(&w, &yamada, emergency("cam1")).await;
    assert_refused(status, &body, "delegation_not_in_force", "N10.2");
    // A delegation names its cameras.
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/delegations",
            Some(&mayor),
            Some(
                json!({ "body": "西淀川警察署", "document_ref": "第8号", "scope": "緊急時",
                         "from": night.to_string(),
                         "until": (night + SignedDuration::from_hours(24)).to_string() }),
            ),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "N10.2");
}

/// Delegated staff ask for an emergency retrieval (N11.1).
async fn emergency_retrieval(w: &World, token: &str, body: Value) -> (StatusCode, Value) {
    w.call(
        Method::POST,
        "/api/v1/emergency-retrievals",
        Some(token),
        Some(body),
    )
    .await
}

/// N11.3 (issue 11, #4): a delegated terminal whose monthly history had not arrived went
/// unnoticed. From the policy's day (the 10th) of the next month it raises an alert for the
/// Manager, once, and the history's arrival resolves it.
#[tokio::test]
async fn n11_3_a_delegated_terminals_overdue_history_alerts_the_manager() {
    use crate::workflow::history::check_history_deadlines;
    let november: Timestamp = "2026-11-20T23:00:00+09:00".parse().unwrap();
    let clock = Arc::new(ShiftedClock::starting_at(november));
    let w = World::with_clock(clock.clone()).await;
    let (_, police_key) = delegate_to_the_police(&w, november).await;
    let overdue = || async {
        w.office
            .db
            .alerts(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.kind == AlertKind::HistoryOverdue && a.resolved_us.is_none())
            .count()
    };
    // Before the 10th of December, November's history is not yet due.
    clock.set("2026-12-09T12:00:00+09:00".parse().unwrap());
    assert!(check_history_deadlines(&w.office).await.unwrap().is_empty());
    clock.set("2026-12-10T09:00:00+09:00".parse().unwrap());
    assert_eq!(
        check_history_deadlines(&w.office).await.unwrap(),
        ["police-1"]
    );
    assert!(
        check_history_deadlines(&w.office).await.unwrap().is_empty(),
        "raised once"
    );
    assert_eq!(overdue().await, 1);
    let mayor = w.sign_in("mayor").await;
    let (_, me) = w.call(Method::GET, "/api/v1/me", Some(&mayor), None).await;
    assert!(me["open_alerts"].as_i64().unwrap() >= 1, "{me}");
    // The history arrives: the alert is resolved.
    let (status, body) = submit_history(&w, &police_key, "2026-11", json!([])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(overdue().await, 0);
    assert!(check_history_deadlines(&w.office).await.unwrap().is_empty());
}

/// N11.3: the Operations lead submits `key`'s terminal's history of `month`, signed by its key
/// as `mimamori terminal history` signs it.
pub(super) async fn submit_history(
    w: &World,
    key: &TerminalKey,
    month: &str,
    entries: Value,
) -> (StatusCode, Value) {
    let terminal = key.terminal_id.clone();
    let history = json!({ "terminal": terminal, "month": month, "entries": entries });
    let bytes = mimamori_ledger::canonical::canonical_json(&history).unwrap();
    let signature = key.sign(crate::grant::HISTORY_CONTEXT, bytes.as_bytes());
    let lead = w.sign_in("lead").await;
    w.call(
        Method::POST,
        &format!("/api/v1/terminals/{terminal}/history"),
        Some(&lead),
        Some(json!({ "history": history, "signature": signature })),
    )
    .await
}
