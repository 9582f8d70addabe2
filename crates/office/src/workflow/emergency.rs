//! Delegations (N10.2) and emergency retrievals by an investigative body's registered staff
//! (N11.1), with Form 3 and its deadline (N11.2).

use mimamori_policy::RequestId;
use std::time::Duration;

use jiff::SignedDuration;
use mimamori_db::vocabulary::{self, Basis, Form3Recorded};
use mimamori_db::{
    AlertKind, CameraScope, Closing, EmergencyOrigin, EventBody, Instruction, NewAlert, NewRequest,
    Origin, RequestAlert, RequestUpdate,
};
use mimamori_policy::access::{decide_delegated_camera, decide_emergency, Action, EmergencyHours};
use mimamori_policy::chain::{LegalBasis, Step};
use mimamori_policy::Rule;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{EmergencyInput, Form3Input, RequestView};
use crate::workflow::chain::{
    check_camera, check_range, load, may_step, record_step, row, terminal_facts,
};
use crate::workflow::delegations::delegation_in_force;
use crate::workflow::fields::required_text;
use crate::workflow::terminals::unknown_terminal;
use crate::{OfficeState, Shared};

/// N11.1, delegated staff at their terminal, at night or
/// on a holiday, without a prior order. Allowed and at once known: the Manager is alerted, and
/// Form 3 is due within the policy's deadline.
pub async fn authorize_emergency(
    office: &OfficeState,
    caller: &Caller,
    req: EmergencyInput,
) -> Result<RequestView, ApiError> {
    let db = &office.db;
    let now = office.clock.now();
    let terminal = db.terminal(&req.terminal).await?;
    let facts = terminal.as_ref().map(terminal_facts);
    let policy = &office.policy;
    let delegation = delegation_in_force(
        office,
        caller,
        terminal.as_ref().and_then(|t| t.delegation_id),
        now,
    )
    .await?;
    let verdict = decide_emergency(
        &policy.office,
        &policy.ward.time_zone,
        &caller.actor(),
        (facts.as_ref(), delegation.is_some()),
        req.outside_hours_reason.as_deref(),
        now,
    );
    let hours = caller
        .record_refusal(
            office,
            Action::EmergencyRetrieve,
            "emergency_retrieval",
            verdict,
        )
        .await?;
    let outside_hours_reason = match hours {
        EmergencyHours::Listed => None,
        EmergencyHours::OutsideWithReason => Some(
            required_text(
                "outside_hours_reason",
                req.outside_hours_reason.as_deref().unwrap_or_default(),
                2000,
            )
            .map_err(|e| e.rule(Rule::N11_1))?,
        ),
    };
    let terminal = terminal.ok_or_else(|| unknown_terminal(&req.terminal))?;
    let camera = check_camera(office, &req.camera)?;
    let covered = delegation.as_ref().is_some_and(|d| d.covers(&camera));
    caller
        .record_refusal(
            office,
            Action::EmergencyRetrieve,
            "emergency_retrieval",
            decide_delegated_camera(covered),
        )
        .await?;
    check_range(office, &camera, (req.from, req.to), now).await?;
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
            // Issue 11, #5: one outside the listed hours is flagged as such.
            message: match hours {
                EmergencyHours::Listed => {
                    |id| format!("緊急時の取り出し 依頼 {id} / emergency retrieval, request {id}")
                }
                EmergencyHours::OutsideWithReason => |id| {
                    format!(
                        "緊急時の取り出し（夜間・休日以外、理由付き） 依頼 {id} / emergency \
                         retrieval outside nights and holidays, with a reason, request {id}"
                    )
                },
            },
        }),
        scope: Some(Instruction {
            cameras: vec![CameraScope {
                camera: camera.clone(),
                start: req.from,
                end: req.to,
            }],
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
                terminal: terminal.id.to_string(),
                delegation_id: terminal.delegation_id,
                outside_hours_reason: outside_hours_reason.clone(),
            });
            caller.event(body).at_terminal(&terminal.id)
        })
        .await?;
    load(office, id).await
}

/// N11.2, an image handler records the Form 3 received
/// for an emergency retrieval; its overdue alert (if any) is resolved.
pub async fn record_form3(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: Form3Input,
) -> Result<RequestView, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, Step::RecordForm3, None).await?;
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
        received: office.clock.now(),
    };
    // The overdue alert, if any, is resolved in the same transaction (N11.2).
    let update = RequestUpdate::Closed(Closing::Form3(record.clone()));
    let step = (&row, next, Step::RecordForm3);
    let view = record_step(
        office,
        caller,
        step,
        EventBody::Form3Recorded(record),
        update,
    );
    view.await
}

/// N11.1, N11.2: raises an alert for each emergency retrieval whose Form 3 is overdue. The
/// alert stays open until the Form 3 is recorded. Returns the requests newly alerted.
pub async fn check_form3_deadlines(
    office: &OfficeState,
) -> Result<Vec<RequestId>, mimamori_db::DbError> {
    let now = office.clock.now();
    let deadline = SignedDuration::try_from(office.policy.office.emergency.form3_deadline)
        .unwrap_or(SignedDuration::from_hours(72));
    let db = &office.db;
    let mut alerted = Vec::new();
    for row in db.form3_overdue(now - deadline).await? {
        let message = format!(
            "様式第3号が期限を過ぎても未提出です 依頼 {} / Form 3 overdue, request {}",
            row.id, row.id
        );
        let camera = row
            .instruction
            .as_ref()
            .and_then(|i| Some(i.first()?.camera.clone()));
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

/// Checks the deadlines every `interval` until the task is dropped: Form 3s (N11.2), the
/// delegated terminals' monthly histories (N11.3) and the first answers to inquiries (T8).
pub async fn watch_deadlines(office: Shared, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        if let Err(e) = check_form3_deadlines(&office).await {
            tracing::error!(error = %e, "form 3 deadline check failed");
        }
        if let Err(e) = crate::workflow::history::check_history_deadlines(&office).await {
            tracing::error!(error = %e, "history deadline check failed");
        }
        if let Err(e) = crate::workflow::inquiries::check_inquiry_deadlines(&office).await {
            tracing::error!(error = %e, "inquiry deadline check failed");
        }
    }
}
