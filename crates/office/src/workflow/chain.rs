//! What the steps of the request chain share: loading a request, asking the policy module
//! about a step and recording its refusal, taking the step with its event in one transaction,
//! and the checks several steps make (camera, range, basis).

use jiff::{SignedDuration, Timestamp, ToSpan};
use mimamori_db::vocabulary::{self, Basis};
use mimamori_db::{Closing, Event, EventBody, RequestRow, RequestUpdate};
use mimamori_policy::access::{decide_step, step_action, RequestFacts, Role, TerminalFacts};
use mimamori_policy::chain::{LegalBasis, RequestState, Step};
use mimamori_policy::RequestId;
use mimamori_policy::{CameraId, Rule};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{BasisInput, ReasonInput, RequestView};
use crate::workflow::fields::required_text;

use crate::OfficeState;

/// The longest range one instruction may cover (T6.1: limited to the relevant part).
pub const MAX_RANGE: SignedDuration = SignedDuration::from_hours(24);

/// Checks a basis against T6.1's required fields; returns it with its facts.
pub fn check_basis(input: &BasisInput) -> Result<(LegalBasis, Basis), ApiError> {
    let basis = LegalBasis::parse(&input.kind).ok_or_else(|| {
        ApiError::invalid(
            "basis.kind",
            "must be one of t6_1_a … t6_1_e",
            "t6_1_a〜t6_1_e のいずれかにしてください",
        )
        .rule(Rule::T6_1)
    })?;
    let mut facts = std::collections::BTreeMap::new();
    for &(field, ja) in basis.required_fields() {
        let value = input
            .fields
            .get(field)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let value = required_text(&format!("basis.{field}"), value, 500).map_err(|_| {
            ApiError::invalid(
                &format!("basis.{field}"),
                format!("{} needs {field}", basis.rule()),
                format!(
                    "{}（{}）には「{ja}」の記載が必要です",
                    basis.rule(),
                    basis.ja()
                ),
            )
            .rule(basis.rule())
        })?;
        facts.insert(field.to_string(), value);
    }
    Ok((basis, Basis { kind: basis, facts }))
}

pub(crate) async fn row(office: &OfficeState, id: RequestId) -> Result<RequestRow, ApiError> {
    office.db.request(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_request",
            format!("no request {id}"),
            format!("依頼 {id} はありません"),
        )
    })
}

pub(crate) async fn load(office: &OfficeState, id: RequestId) -> Result<RequestView, ApiError> {
    Ok(RequestView::from(&row(office, id).await?))
}

pub(crate) fn facts(row: &RequestRow) -> RequestFacts<'_> {
    let instruction = row.instruction.as_ref();
    RequestFacts {
        kind: row.kind,
        state: row.state,
        handler: row.handler(),
        terminal: instruction.map(|i| i.terminal_id.as_str()),
        instruction_expires: instruction.map(|i| i.expires),
        retrieved_by: row.retrieved_by.as_deref(),
        ordered_by: row.ordered_by.as_deref(),
        instructed_by: instruction.map(|i| i.instructed_by.as_str()),
    }
}

/// Asks the policy module about a step on `row`; records a refusal.
pub(crate) async fn may_step(
    office: &OfficeState,
    caller: &Caller,
    row: &RequestRow,
    step: Step,
    terminal: Option<&TerminalFacts<'_>>,
) -> Result<RequestState, ApiError> {
    let facts = facts(row);
    let now = office.clock.now();
    let verdict = decide_step(&caller.actor(), &facts, step, terminal, now);
    let kind = format!("{step:?}").to_lowercase();
    caller
        .record_refusal(office, step_action(facts.kind, step), &kind, verdict)
        .await?;
    facts
        .state
        .after(facts.kind, step)
        .ok_or_else(|| ApiError::internal("decided step has no next state"))
}

/// Takes a step: moves the request and writes its event together.
pub(crate) async fn advance(
    office: &OfficeState,
    row: &RequestRow,
    next: RequestState,
    update: RequestUpdate,
    events: Vec<Event>,
) -> Result<RequestView, ApiError> {
    let now = office.clock.now();
    office
        .db
        .advance_request(row.id, (row.state, next), &update, now, events)
        .await?;
    load(office, row.id).await
}

/// Takes a step that files a record: the event's payload is kept in the step's column too
/// (`update`).
pub(crate) async fn record_step(
    office: &OfficeState,
    caller: &Caller,
    (row, next, step): (&RequestRow, RequestState, Step),
    body: EventBody,
    update: RequestUpdate,
) -> Result<RequestView, ApiError> {
    let event = caller.event_as(step_action(row.kind, step), body);
    advance(office, row, next, update, vec![event]).await
}

pub(crate) fn check_camera(office: &OfficeState, id: &str) -> Result<CameraId, ApiError> {
    CameraId::new(id)
        .ok()
        .filter(|c| office.policy.camera(c).is_some())
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_camera",
                format!("no camera {id:?} in the policy"),
                format!("カメラ {id:?} は登録されていません"),
            )
        })
}

/// N6.1: only footage still kept; T6.1: only the relevant part.
/// N6.1, T6.1: a range to retrieve: at most 24 hours, ended by now, and kept: inside the
/// retention window, or, for what is older, kept by holds in force (T5.3; issue 11, #2).
pub(crate) async fn check_range(
    office: &OfficeState,
    camera: &CameraId,
    (from, to): (Timestamp, Timestamp),
    now: Timestamp,
) -> Result<(), ApiError> {
    if from >= to || to > now {
        return Err(ApiError::invalid(
            "to",
            "the range must start before it ends, and end by now",
            "開始は終了より前、終了は現在以前にしてください",
        ));
    }
    if to.duration_since(from) > MAX_RANGE {
        return Err(ApiError::invalid(
            "to",
            "one instruction covers at most 24 hours; limit it to the relevant part",
            "1件の指示は24時間以内です。必要な範囲に限ってください",
        )
        .rule(Rule::T6_1));
    }
    let policy = &office.policy;
    let tz = &policy.ward.time_zone;
    let days = i64::from(policy.retention.days.get());
    let oldest_kept = now
        .to_zoned(tz.clone())
        .date()
        .checked_sub(days.days())
        .and_then(|d| d.to_zoned(tz.clone()))
        .map_err(ApiError::internal)?
        .timestamp();
    let held = || async {
        let holds = office.db.active_holds(now).await?;
        let old_part_end = to.min(oldest_kept);
        Ok::<_, ApiError>(mimamori_db::holds_cover(
            &holds,
            camera.as_str(),
            mimamori_db::to_us(from),
            mimamori_db::to_us(old_part_end),
        ))
    };
    if from < oldest_kept && !held().await? {
        return Err(ApiError::invalid(
            "from",
            format!(
                "footage before {oldest_kept} is past the {days}-day retention and erased, \
                 unless a hold keeps it (T5.3)"
            ),
            format!("保存期間（{days}日）を過ぎた映像は、延長保存されていない限り消去されています"),
        )
        .rule(Rule::N6_1));
    }
    Ok(())
}

/// N7.4, N9.2: the instruction names an appointed image handler.
pub(crate) async fn check_handler(
    office: &OfficeState,
    login: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    let handlers = office.db.holders_of(Role::ImageHandler, now).await?;
    if handlers.iter().any(|h| h == login) {
        return Ok(());
    }
    Err(ApiError::invalid(
        "handler",
        format!("{login:?} is not an appointed image handler"),
        format!("{login:?} は任命された画像取扱員ではありません"),
    )
    .rule(Rule::N7_4))
}

pub(crate) fn terminal_facts(t: &mimamori_db::TerminalRow) -> TerminalFacts<'_> {
    TerminalFacts {
        id: t.id.as_str(),
        revoked: t.revoked_us.is_some(),
        delegated: t.delegation_id.is_some(),
    }
}

/// Closes a request with a stated reason: the step, and the event it makes of the reason.
pub(crate) async fn close_with_reason(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    step: Step,
    body: fn(vocabulary::Closed) -> EventBody,
    req: ReasonInput,
) -> Result<RequestView, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, step, None).await?;
    let reason = required_text("reason", &req.reason, 2000)?;
    let closed = vocabulary::Closed {
        request: id,
        reason,
    };
    let update = RequestUpdate::Closed(Closing::Reason(closed.clone()));
    record_step(office, caller, (&row, next, step), body(closed), update).await
}
