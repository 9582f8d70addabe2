//! The request chain inside the ward (N9): the Manager's order, the Operations lead's
//! instruction, the handler's report, cancellation, and reading requests.

use jiff::SignedDuration;
use mimamori_db::vocabulary::{self, ReportFiled};
use mimamori_db::{EventBody, Instruction, NewRequest, Origin, RequestUpdate};
use mimamori_policy::access::{decide_handler, decide_report_recipient, Action};
use mimamori_policy::chain::{RequestState, Step};
use mimamori_policy::RequestId;
use mimamori_policy::Rule;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{InstructionInput, ListQuery, OrderInput, ReasonInput, ReportInput, RequestView};
use crate::workflow::chain::{
    advance, check_basis, check_camera, check_handler, check_range, close_with_reason, load,
    may_step, record_step, row,
};
use crate::workflow::fields::required_text;
use crate::workflow::terminals::unknown_terminal;
use crate::OfficeState;

/// N9.1, the Manager orders a retrieval for the purpose (N3.2.2).
pub async fn order(
    office: &OfficeState,
    caller: &Caller,
    req: OrderInput,
) -> Result<RequestView, ApiError> {
    caller
        .may(office, Action::IssueOrder, "order_issued")
        .await?;
    let purpose = required_text("purpose", &req.purpose, 200)?;
    let reason = required_text("reason", &req.reason, 2000)?;
    let (basis, basis_record) = check_basis(&req.basis)?;
    let new = NewRequest {
        origin: Origin::Order,
        purpose,
        basis: basis_record.clone(),
        reason,
        created_by: caller.login().to_owned(),
        scope: None,
        alert: None,
    };
    let now = office.clock.now();
    let id = office
        .db
        .create_request(&new, now, |request| {
            caller.event(EventBody::OrderIssued(vocabulary::OrderIssued {
                request,
                purpose: new.purpose.clone(),
                reason: new.reason.clone(),
                basis: basis_record.clone(),
                basis_rule: basis.rule(),
            }))
        })
        .await?;
    load(office, id).await
}

/// Requests, newest first, optionally in one state.
pub async fn list_requests(
    office: &OfficeState,
    caller: &Caller,
    q: ListQuery,
) -> Result<Vec<RequestView>, ApiError> {
    caller
        .may(office, Action::ReadRecords, "requests_read")
        .await?;
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(RequestState::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "state",
                format!("unknown state {s:?}"),
                format!("状態 {s:?} はありません"),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = office.db.requests(state, limit).await?;
    Ok(rows.iter().map(RequestView::from).collect())
}

/// One request, as staff with the right to read records see it.
pub async fn show_request(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
) -> Result<RequestView, ApiError> {
    caller
        .may(office, Action::ReadRecords, "requests_read")
        .await?;
    load(office, id).await
}

/// N9.2: the Operations lead instructs a named image handler at a named ward terminal.
pub async fn instruct(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: InstructionInput,
) -> Result<RequestView, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, Step::Instruct, None).await?;
    let now = office.clock.now();
    let camera = check_camera(office, &req.camera)?;
    check_range(office, &camera, (req.from, req.to), now).await?;
    check_handler(office, &req.handler, now).await?;
    let verdict = decide_handler(&caller.actor(), row.ordered_by.as_deref(), &req.handler);
    caller
        .record_refusal(
            office,
            Action::Chain(Step::Instruct),
            "instruction_issued",
            verdict,
        )
        .await?;
    let terminal = office
        .db
        .terminal(&req.terminal)
        .await?
        .filter(|t| t.revoked_us.is_none() && t.delegation_id.is_none())
        .ok_or_else(|| unknown_terminal(&req.terminal).rule(Rule::N8))?;
    let max = SignedDuration::try_from(office.policy.office.instruction_max)
        .map_err(ApiError::internal)?;
    let expires = req
        .expires
        .unwrap_or(now + SignedDuration::from_hours(24).min(max));
    if expires <= now || expires > now + max {
        return Err(ApiError::invalid(
            "expires",
            "must be in the future and within the policy's instruction_max_days",
            "未来の日時で、運用方針の指示有効期間内にしてください",
        )
        .rule(Rule::N9_2));
    }
    let instruction = Instruction {
        camera_id: camera.clone(),
        start: req.from,
        end: req.to,
        handler: req.handler.clone(),
        terminal_id: terminal.id.clone(),
        expires,
        instructed_by: caller.login().to_owned(),
    };
    let event = caller.event(EventBody::InstructionIssued(
        vocabulary::InstructionIssued {
            request: id,
            camera: instruction.camera_id.to_string(),
            site: office.policy.camera(&camera).map(|c| c.site.clone()),
            from: req.from,
            to: req.to,
            handler: instruction.handler.clone(),
            terminal: instruction.terminal_id.to_string(),
            expires,
        },
    ));
    let view = advance(
        office,
        &row,
        next,
        RequestUpdate::Instructed(instruction),
        vec![event],
    )
    .await?;
    Ok(view)
}

/// N9.3, the handler reports; the Form 1 row is complete.
pub async fn report(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: ReportInput,
) -> Result<RequestView, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, Step::Report, None).await?;
    let verdict = decide_report_recipient(!req.recipient.trim().is_empty());
    caller
        .record_refusal(office, Action::Chain(Step::Report), "report_filed", verdict)
        .await?;
    let media = required_text("media", &req.media, 100)?;
    if !(1..=100).contains(&req.copies) {
        return Err(ApiError::invalid(
            "copies",
            "must be 1–100 (T5.2: no unnecessary copies)",
            "1〜100にしてください（不必要な複製は禁止です）",
        )
        .rule(Rule::T5_2));
    }
    let report = ReportFiled {
        request: id,
        media,
        copies: req.copies,
        recipient: String::new(),
        remarks: req.remarks.trim().to_owned(),
    };
    let update = RequestUpdate::Reported(report.clone());
    let step = (&row, next, Step::Report);
    let view = record_step(office, caller, step, EventBody::ReportFiled(report), update);
    view.await
}

/// The Manager withdraws an order before retrieval.
pub async fn cancel(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: ReasonInput,
) -> Result<RequestView, ApiError> {
    let body = EventBody::RequestCancelled;
    close_with_reason(office, caller, id, Step::Cancel, body, req).await
}
