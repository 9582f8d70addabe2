//! Footage for outside bodies (N10, N11, T6): provision requests with their documents and the
//! recipient's identity check, the hand-over record, delegations to an investigative body,
//! emergency retrievals by its registered staff, Form 3 and its deadline; and the Manager's
//! holds (T5.3). The chain steps themselves are those of `requests`.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary::{
    self, Basis, Document, Form3Recorded, HandedOver, IdentityCheck, Provision,
};
use mimamori_db::{
    AlertKind, Closing, DelegationRow, EmergencyOrigin, EventBody, EventKind, Instruction,
    NewAlert, NewDelegation, NewHold, NewRequest, Origin, RequestAlert, RequestUpdate,
};
use mimamori_policy::access::{decide_emergency, decide_history, Action};
use mimamori_policy::chain::{LegalBasis, Step};
use mimamori_policy::Rule;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::requests::{
    advance, check_basis, check_camera, check_range, close_with_reason, load, may_step,
    record_step, row, terminal_facts, BasisInput, ReasonInput, RequestView,
};
use crate::staff::required_text;
use crate::terminals::unknown_terminal;
use crate::{OfficeState, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/provisions", post(register_provision))
        .route("/api/v1/requests/{id}/accept", post(accept))
        .route("/api/v1/requests/{id}/decline", post(decline))
        .route("/api/v1/requests/{id}/handover", post(hand_over))
        .route(
            "/api/v1/delegations",
            get(delegations).post(record_delegation),
        )
        .route("/api/v1/emergency-retrievals", post(authorize_emergency))
        .route("/api/v1/requests/{id}/form3", post(record_form3))
        .route("/api/v1/holds", get(holds).post(place_hold))
        .route("/api/v1/terminals/{id}/history", post(reconcile_history))
}

// ---- provision (N10.1, T6.1, T6.2) --------------------------------------------------------

#[derive(Deserialize)]
struct ProvisionInput {
    body: String,
    /// The applicant: the body's head or the officer who asks.
    applicant: String,
    purpose: String,
    reason: String,
    basis: BasisInput,
    document: Document,
    identity_check: IdentityCheck,
}

/// T6.2: every field of the identity check is required.
fn check_identity(check: &IdentityCheck) -> Result<IdentityCheck, ApiError> {
    let field = |name: &str, value: &str| {
        required_text(&format!("identity_check.{name}"), value, 100).map_err(|e| e.rule(Rule::T6_2))
    };
    Ok(IdentityCheck {
        document_type: field("document_type", &check.document_type)?,
        document_number: field("document_number", &check.document_number)?,
        checked_by: field("checked_by", &check.checked_by)?,
    })
}

fn check_document(doc: &Document) -> Result<Document, ApiError> {
    let rule = |e: ApiError| e.rule(Rule::N10_1);
    Ok(match doc {
        Document::Inquiry { number, dated } => Document::Inquiry {
            number: required_text("document.number", number, 100).map_err(rule)?,
            dated: required_text("document.dated", dated, 40).map_err(rule)?,
        },
        Document::Form2 {
            case,
            offence,
            purpose,
            cameras,
            range,
            pledged,
        } => {
            if !pledged {
                return Err(ApiError::invalid(
                    "document.pledged",
                    "Form 2 carries the pledge not to use the images for anything else",
                    "様式第2号には目的外利用をしない旨の誓約が必要です",
                )
                .rule(Rule::N10_1));
            }
            Document::Form2 {
                case: required_text("document.case", case, 200).map_err(rule)?,
                offence: required_text("document.offence", offence, 200).map_err(rule)?,
                purpose: required_text("document.purpose", purpose, 500).map_err(rule)?,
                cameras: required_text("document.cameras", cameras, 500).map_err(rule)?,
                range: required_text("document.range", range, 200).map_err(rule)?,
                pledged: true,
            }
        }
    })
}

/// `POST /api/v1/provisions`: N10.1, an outside body's request with its document, waiting for
/// the Manager.
async fn register_provision(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<ProvisionInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    caller
        .may(&office, Action::RegisterProvision, "provision_registered")
        .await?;
    let (basis, basis_record) = check_basis(&req.basis)?;
    let provision = Provision {
        body: required_text("body", &req.body, 200)?,
        applicant: required_text("applicant", &req.applicant, 200)?,
        document: check_document(&req.document)?,
        identity_check: check_identity(&req.identity_check)?,
    };
    let new = NewRequest {
        origin: Origin::Provision(Box::new(provision.clone())),
        purpose: required_text("purpose", &req.purpose, 200)?,
        basis: basis_record.clone(),
        reason: required_text("reason", &req.reason, 2000)?,
        created_by: caller.login().to_owned(),
        scope: None,
        alert: None,
    };
    let now = office.ctx.clock.now();
    let id = office
        .ctx
        .db
        .create_request(&new, now, |request| {
            caller.event(EventBody::ProvisionRegistered(
                vocabulary::ProvisionRegistered {
                    request,
                    provision: provision.clone(),
                    basis: basis_record.clone(),
                    basis_rule: basis.rule(),
                    purpose: new.purpose.clone(),
                },
            ))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(load(&office, id).await?)))
}

/// `POST /api/v1/requests/{id}/accept`: N10.1, the Manager decides to provide; the request
/// becomes an order and goes through the chain.
async fn accept(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RequestView>, ApiError> {
    let row = row(&office, id).await?;
    let next = may_step(&office, &caller, &row, Step::Accept, None).await?;
    let event = caller.event(EventBody::ProvisionAccepted(
        vocabulary::ProvisionAccepted {
            request: id,
            purpose: row.purpose.clone(),
            reason: row.reason.clone(),
            basis: row.basis.clone(),
        },
    ));
    let update = RequestUpdate::Ordered {
        by: caller.login().to_owned(),
    };
    Ok(Json(
        advance(&office, &row, next, update, vec![event]).await?,
    ))
}

/// `POST /api/v1/requests/{id}/decline`: T6.1, the Manager declines, with the reason.
async fn decline(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<RequestView>, ApiError> {
    let body = EventBody::ProvisionDeclined;
    close_with_reason(&office, &caller, id, Step::Decline, body, req).await
}

#[derive(Deserialize)]
struct HandOverInput {
    recipient: String,
    purpose: String,
    /// What was handed over (media, clip, range).
    content: String,
    identity_check: IdentityCheck,
}

/// `POST /api/v1/requests/{id}/handover`: T6.2, the record of giving footage to the recipient.
async fn hand_over(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<HandOverInput>,
) -> Result<Json<RequestView>, ApiError> {
    let row = row(&office, id).await?;
    let next = may_step(&office, &caller, &row, Step::HandOver, None).await?;
    let t62 = |e: ApiError| e.rule(Rule::T6_2);
    let record = HandedOver {
        request: id,
        handed_over: office.ctx.clock.now(),
        recipient: required_text("recipient", &req.recipient, 200).map_err(t62)?,
        purpose: required_text("purpose", &req.purpose, 500).map_err(t62)?,
        content: required_text("content", &req.content, 1000).map_err(t62)?,
        identity_check: check_identity(&req.identity_check)?,
    };
    let update = RequestUpdate::Closed(Closing::HandedOver(record.clone()));
    let step = (&row, next, Step::HandOver);
    let view = record_step(
        &office,
        &caller,
        step,
        EventBody::HandedOver(record),
        update,
    );
    Ok(Json(view.await?))
}

// ---- delegation and emergency (N10.2–N11.3) -----------------------------------------------

#[derive(Deserialize)]
struct DelegationInput {
    body: String,
    /// The written confirmation (N10.2).
    document_ref: String,
    scope: String,
    from: Timestamp,
    until: Timestamp,
}

/// `POST /api/v1/delegations`: N10.2, the Manager records a written delegation.
async fn record_delegation(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<DelegationInput>,
) -> Result<(StatusCode, Json<DelegationRow>), ApiError> {
    caller
        .may(&office, Action::RecordDelegation, "delegation_recorded")
        .await?;
    if req.until <= req.from {
        return Err(ApiError::invalid(
            "until",
            "must be after from",
            "終了日は開始日より後にしてください",
        ));
    }
    let new = NewDelegation {
        body: required_text("body", &req.body, 200)?,
        document_ref: required_text("document_ref", &req.document_ref, 200)
            .map_err(|e| e.rule(Rule::N10_2))?,
        scope: required_text("scope", &req.scope, 1000)?,
        from: req.from,
        until: req.until,
        recorded_by: caller.login().to_owned(),
    };
    let db = &office.ctx.db;
    let id = db
        .create_delegation(&new, office.ctx.clock.now(), |delegation| {
            caller.event(EventBody::DelegationRecorded(
                vocabulary::DelegationRecorded {
                    delegation,
                    body: new.body.clone(),
                    document_ref: new.document_ref.clone(),
                    scope: new.scope.clone(),
                    from: new.from,
                    until: new.until,
                },
            ))
        })
        .await?;
    let row = db
        .delegation(id)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// `GET /api/v1/delegations`.
async fn delegations(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<DelegationRow>>, ApiError> {
    caller
        .may(&office, Action::ReadRecords, "delegations_read")
        .await?;
    Ok(Json(office.ctx.db.delegations().await?))
}

#[derive(Deserialize)]
struct EmergencyInput {
    camera: String,
    from: Timestamp,
    to: Timestamp,
    purpose: String,
    /// Why it could not wait for the office to open (Form 3 asks the same).
    urgency: String,
    terminal: String,
}

/// `POST /api/v1/emergency-retrievals`: N11.1, delegated staff at their terminal, at night or
/// on a holiday, without a prior order. Allowed and at once known: the Manager is alerted, and
/// Form 3 is due within the policy's deadline.
async fn authorize_emergency(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<EmergencyInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let db = &office.ctx.db;
    let now = office.ctx.clock.now();
    let terminal = db.terminal(&req.terminal).await?;
    let facts = terminal.as_ref().map(terminal_facts);
    let policy = &office.ctx.policy;
    let delegation_in_force = delegation_in_force(
        &office,
        &caller,
        terminal.as_ref().and_then(|t| t.delegation_id),
        now,
    )
    .await?;
    let verdict = decide_emergency(
        &policy.office,
        &policy.ward.time_zone,
        &caller.actor(),
        facts.as_ref(),
        delegation_in_force,
        now,
    );
    caller
        .record_refusal(
            &office,
            Action::EmergencyRetrieve,
            "emergency_retrieval",
            verdict,
        )
        .await?;
    let terminal = terminal.ok_or_else(|| unknown_terminal(&req.terminal))?;
    let camera = check_camera(&office, &req.camera)?;
    check_range(&office, req.from, req.to, now)?;
    let purpose = required_text("purpose", &req.purpose, 200)?;
    let urgency = required_text("urgency", &req.urgency, 2000).map_err(|e| e.rule(Rule::N11_1))?;
    let lifetime =
        SignedDuration::try_from(policy.office.grant_lifetime).map_err(ApiError::internal)?;
    let new = NewRequest {
        origin: Origin::Emergency(EmergencyOrigin {
            delegation_id: terminal.delegation_id,
        }),
        purpose,
        basis: Basis {
            kind: LegalBasis::Investigation,
            facts: [("document".to_owned(), "様式第3号（事後提出）".to_owned())].into(),
        },
        reason: urgency,
        created_by: caller.login().to_owned(),
        // N11.1: the Manager learns of it at once. Alerts are shown on the public health
        // page: the request number only, no names (N12).
        alert: Some(RequestAlert {
            kind: AlertKind::EmergencyRetrieval,
            camera: Some(camera.clone()),
            message: |id| format!("緊急時の取り出し 依頼 {id} / emergency retrieval, request {id}"),
        }),
        scope: Some(Instruction {
            camera_id: camera.to_string(),
            start: req.from,
            end: req.to,
            handler: caller.login().to_owned(),
            terminal_id: terminal.id.clone(),
            expires: now + lifetime,
            instructed_by: caller.login().to_owned(),
        }),
    };
    let site = policy.camera(&camera).map(|c| c.site.clone());
    let id = db
        .create_request(&new, now, |request| {
            let body = EventBody::EmergencyAuthorized(vocabulary::EmergencyAuthorized {
                request,
                purpose: new.purpose.clone(),
                reason: new.reason.clone(),
                camera: camera.as_str().to_owned(),
                site: site.clone(),
                from: req.from,
                to: req.to,
                handler: caller.login().to_owned(),
                terminal: terminal.id.clone(),
                delegation_id: terminal.delegation_id,
            });
            caller.event(body).at_terminal(&terminal.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(load(&office, id).await?)))
}

/// N10.3, N10.4: an account or terminal names a delegation that is on record.
pub(crate) async fn check_delegation(
    office: &OfficeState,
    delegation_id: Option<i64>,
    rule: Rule,
) -> Result<(), ApiError> {
    let Some(id) = delegation_id else {
        return Ok(());
    };
    if office.ctx.db.delegation(id).await?.is_some() {
        return Ok(());
    }
    Err(ApiError::not_found(
        "unknown_delegation",
        format!("no delegation {id}"),
        format!("委任 {id} は登録されていません"),
    )
    .rule(rule))
}

/// N10.2: the terminal's delegation exists, is within its dates, and is the caller's own.
async fn delegation_in_force(
    office: &OfficeState,
    caller: &Caller,
    delegation_id: Option<i64>,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let delegation = match delegation_id {
        Some(id) => office.ctx.db.delegation(id).await?,
        None => None,
    };
    Ok(delegation.is_some_and(|d| {
        mimamori_db::from_us(d.from_us) <= now && now < mimamori_db::from_us(d.until_us)
    }) && caller.staff.delegation_id == delegation_id)
}

#[derive(Deserialize)]
struct Form3Input {
    /// 様式第3号 fields: purpose, camera site, retrieval date, why it could not wait.
    purpose: String,
    camera_site: String,
    retrieval_date: String,
    urgency: String,
    /// The pledge not to use the images for anything else.
    pledged: bool,
    /// The document received: "様式第3号" or an inquiry's number.
    document: String,
}

/// `POST /api/v1/requests/{id}/form3`: N11.2, an image handler records the Form 3 received
/// for an emergency retrieval; its overdue alert (if any) is resolved.
async fn record_form3(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<Form3Input>,
) -> Result<Json<RequestView>, ApiError> {
    let row = row(&office, id).await?;
    let next = may_step(&office, &caller, &row, Step::RecordForm3, None).await?;
    if !req.pledged {
        return Err(ApiError::invalid(
            "pledged",
            "Form 3 carries the pledge not to use the images for anything else",
            "様式第3号には目的外利用をしない旨の誓約が必要です",
        )
        .rule(Rule::N11_1));
    }
    let record = Form3Recorded {
        request: id,
        purpose: required_text("purpose", &req.purpose, 500)?,
        camera_site: required_text("camera_site", &req.camera_site, 200)?,
        retrieval_date: required_text("retrieval_date", &req.retrieval_date, 40)?,
        urgency: required_text("urgency", &req.urgency, 2000)?,
        document: required_text("document", &req.document, 200)?,
        pledged: true,
        received: office.ctx.clock.now(),
    };
    // The overdue alert, if any, is resolved in the same transaction (N11.2).
    let update = RequestUpdate::Closed(Closing::Form3(record.clone()));
    let step = (&row, next, Step::RecordForm3);
    let view = record_step(
        &office,
        &caller,
        step,
        EventBody::Form3Recorded(record),
        update,
    );
    Ok(Json(view.await?))
}

/// N11.1, N11.2: raises an alert for each emergency retrieval whose Form 3 is overdue. The
/// alert stays open until the Form 3 is recorded. Returns the requests newly alerted.
pub async fn check_form3_deadlines(office: &OfficeState) -> Result<Vec<i64>, mimamori_db::DbError> {
    let now = office.ctx.clock.now();
    let deadline = SignedDuration::try_from(office.ctx.policy.office.emergency.form3_deadline)
        .unwrap_or(SignedDuration::from_hours(72));
    let db = &office.ctx.db;
    let mut alerted = Vec::new();
    for row in db.form3_overdue(now - deadline).await? {
        let message = format!(
            "様式第3号が期限を過ぎても未提出です 依頼 {} / Form 3 overdue, request {}",
            row.id, row.id
        );
        let camera = row
            .instruction
            .as_ref()
            .and_then(|i| mimamori_policy::CameraId::new(&i.camera_id).ok());
        let alert = NewAlert {
            kind: AlertKind::Form3Overdue,
            camera,
            message,
        };
        let request = row.id;
        db.raise_form3_alert(request, &alert, now, |alert| {
            let body = EventBody::Form3Overdue(vocabulary::Form3Overdue { request, alert });
            mimamori_db::Event::system("office", body).at(now)
        })
        .await?;
        alerted.push(row.id);
    }
    Ok(alerted)
}

/// Checks Form 3 deadlines every `interval` until the task is dropped.
pub async fn watch_form3(office: Shared, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        if let Err(e) = check_form3_deadlines(&office).await {
            tracing::error!(error = %e, "form 3 deadline check failed");
        }
    }
}

#[derive(Deserialize)]
struct SubmittedHistory {
    /// `{terminal, month, entries: [{request, grant, …}]}` as `mimamori terminal history`
    /// prints it.
    history: Value,
    /// The terminal key's signature over the history's RFC 8785 form.
    signature: String,
}

/// `POST /api/v1/terminals/{id}/history`: N11.3, the month's retrieval history recorded on the
/// terminal, signed by its key, compared with the office's own record. Any retrieval on one
/// side only is flagged and raises an alert.
async fn reconcile_history(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<SubmittedHistory>,
) -> Result<Json<vocabulary::HistoryReconciled>, ApiError> {
    caller
        .may(&office, Action::ReconcileHistory, "history_reconciled")
        .await?;
    let db = &office.ctx.db;
    let terminal = db
        .terminal(&id)
        .await?
        .ok_or_else(|| unknown_terminal(&id))?;
    let bytes = mimamori_ledger::canonical::canonical_json(&req.history).map_err(|e| {
        ApiError::invalid("history", e.to_string(), "履歴の形式が不正です").rule(Rule::N11_3)
    })?;
    let signed = crate::grant::terminal_signed_record(
        &terminal.public_key,
        crate::grant::HISTORY_CONTEXT,
        bytes.as_bytes(),
        &req.signature,
    );
    let month = req.history["month"].as_str().unwrap_or_default().to_owned();
    let valid_month = month.len() == 7
        && month.as_bytes()[4] == b'-'
        && month
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    let verdict = decide_history(signed && req.history["terminal"] == id.as_str());
    caller
        .record_refusal(
            &office,
            Action::ReconcileHistory,
            "history_reconciled",
            verdict,
        )
        .await?;
    if !valid_month {
        return Err(ApiError::invalid(
            "history.month",
            "a month such as \"2026-11\" (print it with --month)",
            "「2026-11」のような月を指定してください（--month）",
        )
        .rule(Rule::N11_3));
    }
    let on_terminal: std::collections::BTreeSet<String> = req.history["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["grant"].as_str().map(str::to_owned))
        .collect();
    let tz = office.ctx.policy.ward.time_zone.clone();
    let mut on_server = std::collections::BTreeSet::new();
    for e in db.events_of_kinds(&[EventKind::RetrievalDone]).await? {
        let in_month = mimamori_db::from_us(e.time_us)
            .to_zoned(tz.clone())
            .strftime("%Y-%m")
            .to_string()
            == month;
        if e.terminal.as_deref() != Some(id.as_str()) || !in_month {
            continue;
        }
        if let EventBody::RetrievalDone(done) = e.body().map_err(ApiError::internal)? {
            on_server.insert(done.grant);
        }
    }
    let only_on_terminal: Vec<String> = on_terminal.difference(&on_server).cloned().collect();
    let only_on_server: Vec<String> = on_server.difference(&on_terminal).cloned().collect();
    let result = vocabulary::HistoryReconciled {
        terminal: id.clone(),
        month: month.clone(),
        matched: on_terminal.intersection(&on_server).count() as u64,
        consistent: only_on_terminal.is_empty() && only_on_server.is_empty(),
        only_on_terminal,
        only_on_server,
    };
    let alert = (!result.consistent).then(|| NewAlert {
        kind: AlertKind::HistoryMismatch,
        camera: None,
        message: format!(
            "端末の取り出し履歴が記録と一致しません（{month}） / a terminal's history does not match the ledger"
        ),
    });
    let now = office.ctx.clock.now();
    let event = caller.event(EventBody::HistoryReconciled(result.clone()));
    db.record_with_alert(&event.at_terminal(&id), alert.as_ref(), now)
        .await?;
    Ok(Json(result))
}

// ---- holds (T5.3) ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct HoldInput {
    camera: String,
    from: Timestamp,
    to: Timestamp,
    until: Timestamp,
    reason: String,
}

/// `POST /api/v1/holds`: T5.3, the Manager keeps a range beyond retention, for a reason, to a
/// date. The sweeper honours it until then.
async fn place_hold(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<HoldInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.may(&office, Action::PlaceHold, "hold_added").await?;
    let camera = check_camera(&office, &req.camera)?;
    let now = office.ctx.clock.now();
    if req.from >= req.to || req.until <= now {
        return Err(ApiError::invalid(
            "until",
            "the range must start before it ends, and the hold must last past now",
            "範囲の開始は終了より前、延長期限は現在より後にしてください",
        ));
    }
    let reason = required_text("reason", &req.reason, 2000).map_err(|e| e.rule(Rule::T5_3))?;
    let hold = NewHold {
        camera_id: camera,
        start: req.from,
        end: req.to,
        reason,
        held_by: caller.login().to_owned(),
        until: req.until,
    };
    let id = office
        .ctx
        .db
        .insert_hold(&hold, now, |hold_id| {
            caller.event(EventBody::HoldAdded(vocabulary::HoldAdded {
                hold_id,
                camera: hold.camera_id.as_str().to_owned(),
                from: Some(req.from),
                to: Some(req.to),
                until: Some(req.until),
                reason: hold.reason.clone(),
                decided_by: None,
            }))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `GET /api/v1/holds`: holds in force.
async fn holds(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<mimamori_db::HoldRow>>, ApiError> {
    caller
        .may(&office, Action::ReadRecords, "holds_read")
        .await?;
    Ok(Json(
        office.ctx.db.active_holds(office.ctx.clock.now()).await?,
    ))
}
