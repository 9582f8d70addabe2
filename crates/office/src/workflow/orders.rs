//! The request chain inside the ward (N9): the Manager's order, the Operations lead's
//! instruction, the handler's report, cancellation, and reading requests.

use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary::{self, CameraRange, ReportFiled};
use mimamori_db::{CameraScope, EventBody, Instruction, NewRequest, Origin, RequestUpdate};
use mimamori_policy::access::{decide_handler, decide_report_recipient, Action};
use mimamori_policy::chain::Step;
use mimamori_policy::RequestId;
use mimamori_policy::Rule;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{
    CameraRangeInput, InstructionInput, ListQuery, OrderInput, ReasonInput, ReportInput,
    RequestView,
};
use crate::workflow::chain::{
    advance, check_basis, check_camera, check_handler, check_range, close_with_reason, load,
    may_step, record_step, row,
};
use crate::workflow::fields::{optional_state, required_text};
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
    let state = optional_state(q.state.as_deref())?;
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
    let cameras = check_cameras(office, &req, now).await?;
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
    let site =
        |c: &mimamori_db::CameraScope| office.policy.camera(&c.camera).map(|p| p.site.clone());
    let ranges: Vec<CameraRange> = cameras
        .iter()
        .map(|c| CameraRange {
            camera: c.camera.to_string(),
            site: site(c),
            from: c.start,
            to: c.end,
        })
        .collect();
    let instruction = Instruction {
        cameras,
        handler: req.handler.clone(),
        terminal_id: terminal.id.clone(),
        expires,
        instructed_by: caller.login().to_owned(),
    };
    let event = caller.event(EventBody::InstructionIssued(
        vocabulary::InstructionIssued {
            request: id,
            camera: ranges[0].camera.clone(),
            site: ranges[0].site.clone(),
            from: ranges[0].from,
            to: ranges[0].to,
            handler: instruction.handler.clone(),
            terminal: instruction.terminal_id.to_string(),
            expires,
            further_cameras: ranges[1..].to_vec(),
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

/// The most cameras one instruction names. A case spans a few adjacent cameras; more would be a
/// sweep of the ward, not "the relevant part" (T6.1).
pub const MAX_CAMERAS: usize = 8;

/// N9.2: the cameras and ranges an instruction names, each a camera of the policy with a range
/// still kept (N6.1, T6.1), no camera named twice for overlapping times.
async fn check_cameras(
    office: &OfficeState,
    req: &InstructionInput,
    now: Timestamp,
) -> Result<Vec<CameraScope>, ApiError> {
    let required =
        |field: &str| ApiError::invalid(field, "required", "入力してください").rule(Rule::N9_2);
    let items: Vec<(Option<usize>, CameraRangeInput)> = match (&req.camera, &req.cameras[..]) {
        (Some(camera), []) => vec![(
            None,
            CameraRangeInput {
                camera: camera.clone(),
                from: req.from.ok_or_else(|| required("from"))?,
                to: req.to.ok_or_else(|| required("to"))?,
            },
        )],
        (None, [_, ..]) if req.from.is_none() && req.to.is_none() => req
            .cameras
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, c)| (Some(i), c))
            .collect(),
        (None, []) => return Err(required("camera")),
        _ => return Err(ApiError::invalid(
            "cameras",
            "give one camera as camera, from and to, or several as cameras; not both",
            "カメラは camera・from・to で1台、または cameras で複数台のどちらかで指定してください",
        )
        .rule(Rule::N9_2)),
    };
    if items.len() > MAX_CAMERAS {
        return Err(ApiError::invalid(
            "cameras",
            format!("one instruction names at most {MAX_CAMERAS} cameras; limit it to the relevant ones"),
            format!("1件の指示で指定できるカメラは{MAX_CAMERAS}台までです。必要なカメラに限ってください"),
        )
        .rule(Rule::T6_1));
    }
    let mut scopes: Vec<CameraScope> = Vec::new();
    for (n, item) in items {
        let at = |e: ApiError| match n {
            Some(n) => e.within("cameras", n),
            None => e,
        };
        let camera = check_camera(office, &item.camera).map_err(|e| at(e.at_field("camera")))?;
        check_range(office, &camera, (item.from, item.to), now)
            .await
            .map_err(at)?;
        if scopes
            .iter()
            .any(|s| s.camera == camera && s.start < item.to && item.from < s.end)
        {
            return Err(at(ApiError::invalid(
                "camera",
                "this camera is already named for an overlapping range; give it one range",
                "このカメラは重なる日時で既に指定されています。1つの範囲にまとめてください",
            )
            .rule(Rule::T6_1)));
        }
        scopes.push(CameraScope {
            camera,
            start: item.from,
            end: item.to,
        });
    }
    Ok(scopes)
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
