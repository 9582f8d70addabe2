//! The request chain (N9): the Manager's order, the Operations lead's instruction, the
//! handler's retrieval at the named terminal with a single-use grant, and the report that
//! completes the Form 1 row. Each step asks `mimamori_policy::access::decide_step`, moves the
//! request through `mimamori_policy::chain`, and writes its event in the same transaction.

use axum::body::Body as ResponseBody;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::prelude::{Engine, BASE64_URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp, ToSpan};
use mimamori_db::vocabulary::{self, Basis, ReportFiled, RetrievalDone};
use mimamori_db::{
    Closing, Event, EventBody, Instruction, NewRequest, Origin, RequestRow, RequestUpdate,
};
use mimamori_ledger::checkpoint::TrustedKeys;
use mimamori_policy::access::{
    decide_grant, decide_step, step_action, Action, GrantFacts, RequestFacts, Role, TerminalFacts,
};
use mimamori_policy::chain::{LegalBasis, RequestKind, RequestState, Step};
use mimamori_policy::CameraId;
use mimamori_policy::Rule;
use mimamori_recorder::export::ExportRequest;
use mimamori_recorder::RecorderError;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::evidence::{create_package, Chain, EvidenceError};
use crate::grant::{terminal_signed, GrantClaims};
use crate::staff::required_text;
use crate::terminals::unknown_terminal;
use crate::{OfficeState, Shared};

/// The longest range one instruction may cover (T6.1: limited to the relevant part).
pub const MAX_RANGE: SignedDuration = SignedDuration::from_hours(24);

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/orders", post(order))
        .route("/api/v1/requests", get(list))
        .route("/api/v1/requests/{id}", get(show))
        .route("/api/v1/requests/{id}/instruction", post(instruct))
        .route("/api/v1/requests/{id}/grants", post(issue_grant))
        .route("/api/v1/requests/{id}/report", post(report))
        .route("/api/v1/requests/{id}/cancel", post(cancel))
        .route("/api/v1/retrievals", post(retrieve))
}

// ---- the order (N9.1) ---------------------------------------------------------------------

/// T6.1: the basis and the facts it needs.
#[derive(Debug, Deserialize)]
pub struct BasisInput {
    pub kind: String,
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

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

#[derive(Deserialize)]
struct OrderInput {
    purpose: String,
    reason: String,
    basis: BasisInput,
}

/// `POST /api/v1/orders`: N9.1, the Manager orders a retrieval for the purpose (N3.2.2).
async fn order(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<OrderInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    caller
        .may(&office, Action::IssueOrder, "order_issued")
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
    let now = office.ctx.clock.now();
    let id = office
        .ctx
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
    Ok((StatusCode::CREATED, Json(load(&office, id).await?)))
}

// ---- reading requests -----------------------------------------------------------------------

/// A request as the API shows it: its row, with times in UTC.
#[derive(Serialize)]
pub struct RequestView {
    pub id: i64,
    pub kind: RequestKind,
    pub state: RequestState,
    pub state_ja: &'static str,
    pub purpose: String,
    pub basis: Basis,
    pub reason: String,
    /// The outside body's document (N10.1), or the delegation of an emergency (N11.1).
    pub provision: Option<Origin>,
    pub ordered_by: Option<String>,
    pub ordered: Option<Timestamp>,
    pub instruction: Option<InstructionView>,
    pub retrieved_by: Option<String>,
    pub retrieved: Option<Timestamp>,
    pub retrieval: Option<RetrievalDone>,
    pub reported: Option<Timestamp>,
    pub report: Option<ReportFiled>,
    pub closed: Option<Timestamp>,
    pub closing: Option<Closing>,
}

#[derive(Serialize)]
pub struct InstructionView {
    pub camera: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub handler: String,
    pub terminal: String,
    pub expires: Timestamp,
    pub instructed_by: String,
}

impl From<&RequestRow> for RequestView {
    fn from(r: &RequestRow) -> Self {
        let ts = |us: Option<i64>| us.map(mimamori_db::from_us);
        let instruction = r.instruction.as_ref().map(|i| InstructionView {
            camera: i.camera_id.clone(),
            from: i.start,
            to: i.end,
            handler: i.handler.clone(),
            terminal: i.terminal_id.clone(),
            expires: i.expires,
            instructed_by: i.instructed_by.clone(),
        });
        RequestView {
            id: r.id,
            kind: r.kind,
            state: r.state,
            state_ja: r.state.ja(),
            purpose: r.purpose.clone(),
            basis: r.basis.clone(),
            reason: r.reason.clone(),
            provision: (r.origin != Origin::Order).then(|| r.origin.clone()),
            ordered_by: r.ordered_by.clone(),
            ordered: ts(r.ordered_us),
            instruction,
            retrieved_by: r.retrieved_by.clone(),
            retrieved: ts(r.retrieved_us),
            retrieval: r.retrieval.clone(),
            reported: ts(r.reported_us),
            report: r.report.clone(),
            closed: ts(r.closed_us),
            closing: r.closing.clone(),
        }
    }
}

pub(crate) async fn row(office: &OfficeState, id: i64) -> Result<RequestRow, ApiError> {
    office.ctx.db.request(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_request",
            format!("no request {id}"),
            format!("依頼 {id} はありません"),
        )
    })
}

pub(crate) async fn load(office: &OfficeState, id: i64) -> Result<RequestView, ApiError> {
    Ok(RequestView::from(&row(office, id).await?))
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/requests?state=&limit=`: newest first.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    caller
        .may(&office, Action::ReadRecords, "requests_read")
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
    let rows = office.ctx.db.requests(state, limit).await?;
    Ok(Json(rows.iter().map(RequestView::from).collect()))
}

/// `GET /api/v1/requests/{id}`.
async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RequestView>, ApiError> {
    caller
        .may(&office, Action::ReadRecords, "requests_read")
        .await?;
    Ok(Json(load(&office, id).await?))
}

// ---- steps ----------------------------------------------------------------------------------

fn facts(row: &RequestRow) -> RequestFacts<'_> {
    let instruction = row.instruction.as_ref();
    RequestFacts {
        kind: row.kind,
        state: row.state,
        handler: row.handler(),
        terminal: instruction.map(|i| i.terminal_id.as_str()),
        instruction_expires: instruction.map(|i| i.expires),
        retrieved_by: row.retrieved_by.as_deref(),
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
    let now = office.ctx.clock.now();
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
    let now = office.ctx.clock.now();
    office
        .ctx
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

#[derive(Deserialize)]
struct InstructionInput {
    camera: String,
    from: Timestamp,
    to: Timestamp,
    handler: String,
    terminal: String,
    /// Default: one day from now, at most the policy's `instruction_max_days`.
    expires: Option<Timestamp>,
}

/// `POST /api/v1/requests/{id}/instruction`: N9.2.
async fn instruct(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<InstructionInput>,
) -> Result<Json<RequestView>, ApiError> {
    let row = row(&office, id).await?;
    let next = may_step(&office, &caller, &row, Step::Instruct, None).await?;
    let now = office.ctx.clock.now();
    let camera = check_camera(&office, &req.camera)?;
    check_range(&office, req.from, req.to, now)?;
    check_handler(&office, &req.handler, now).await?;
    let terminal = office
        .ctx
        .db
        .terminal(&req.terminal)
        .await?
        .filter(|t| t.revoked_us.is_none() && t.delegation_id.is_none())
        .ok_or_else(|| unknown_terminal(&req.terminal).rule(Rule::N8))?;
    let max = SignedDuration::try_from(office.ctx.policy.office.instruction_max)
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
        camera_id: camera.to_string(),
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
            camera: instruction.camera_id.clone(),
            site: office.ctx.policy.camera(&camera).map(|c| c.site.clone()),
            from: req.from,
            to: req.to,
            handler: instruction.handler.clone(),
            terminal: instruction.terminal_id.clone(),
            expires,
        },
    ));
    let view = advance(
        &office,
        &row,
        next,
        RequestUpdate::Instructed(instruction),
        vec![event],
    )
    .await?;
    Ok(Json(view))
}

pub(crate) fn check_camera(office: &OfficeState, id: &str) -> Result<CameraId, ApiError> {
    CameraId::new(id)
        .ok()
        .filter(|c| office.ctx.policy.camera(c).is_some())
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_camera",
                format!("no camera {id:?} in the policy"),
                format!("カメラ {id:?} は登録されていません"),
            )
        })
}

/// N6.1: only footage still kept; T6.1: only the relevant part.
pub(crate) fn check_range(
    office: &OfficeState,
    from: Timestamp,
    to: Timestamp,
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
    let policy = &office.ctx.policy;
    let tz = &policy.ward.time_zone;
    let days = i64::from(policy.retention.days.get());
    let oldest_kept = now
        .to_zoned(tz.clone())
        .date()
        .checked_sub(days.days())
        .and_then(|d| d.to_zoned(tz.clone()))
        .map_err(ApiError::internal)?
        .timestamp();
    if from < oldest_kept {
        return Err(ApiError::invalid(
            "from",
            format!("footage before {oldest_kept} is past the {days}-day retention and erased"),
            format!("保存期間（{days}日）を過ぎた映像は消去されています"),
        )
        .rule(Rule::N6_1));
    }
    Ok(())
}

/// N7.4, N9.2: the instruction names an appointed image handler.
async fn check_handler(office: &OfficeState, login: &str, now: Timestamp) -> Result<(), ApiError> {
    let handlers = office.ctx.db.holders_of(Role::ImageHandler, now).await?;
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

#[derive(Deserialize)]
struct GrantInput {
    terminal: String,
}

#[derive(Serialize)]
struct GrantOutput {
    /// The ward-signed grant note; the terminal signs it and sends both to `/api/v1/retrievals`.
    grant: String,
    claims: GrantClaims,
}

/// `POST /api/v1/requests/{id}/grants`: the named handler at the named terminal asks to
/// retrieve (N9.4); the office answers with a single-use grant.
async fn issue_grant(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<GrantInput>,
) -> Result<(StatusCode, Json<GrantOutput>), ApiError> {
    let row = row(&office, id).await?;
    let terminal = office.ctx.db.terminal(&req.terminal).await?;
    let facts = terminal.as_ref().map(terminal_facts);
    may_step(&office, &caller, &row, Step::Retrieve, facts.as_ref()).await?;
    let now = office.ctx.clock.now();
    let lifetime = SignedDuration::try_from(office.ctx.policy.office.grant_lifetime)
        .map_err(ApiError::internal)?;
    let instruction = row
        .instruction
        .clone()
        .ok_or_else(|| ApiError::internal("instructed request without instruction"))?;
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    let claims = GrantClaims {
        grant: BASE64_URL_SAFE_NO_PAD.encode(raw),
        request: id,
        camera: instruction.camera_id,
        from: instruction.start,
        to: instruction.end,
        handler: instruction.handler,
        terminal: instruction.terminal_id,
        // Never past the instruction's own expiry.
        expires: (now + lifetime).min(instruction.expires),
    };
    let note = office
        .notary
        .sign_note(&claims.text())
        .await
        .map_err(ApiError::internal)?;
    let grant = mimamori_db::GrantRow {
        id: claims.grant.clone(),
        request_id: id,
        issued_us: mimamori_db::to_us(now),
        expires_us: mimamori_db::to_us(claims.expires),
        used_us: None,
    };
    let body = EventBody::RetrievalGrantIssued(vocabulary::GrantIssued {
        request: id,
        grant: claims.grant.clone(),
        expires: claims.expires,
    });
    let event = caller
        .event_as(retrieve_action(&row), body)
        .at_terminal(&claims.terminal);
    office.ctx.db.issue_grant(&grant, event).await?;
    Ok((
        StatusCode::CREATED,
        Json(GrantOutput {
            grant: note,
            claims,
        }),
    ))
}

/// The action a retrieval on `row` is (delegated staff's for an emergency, N11.1).
fn retrieve_action(row: &RequestRow) -> Action {
    step_action(row.kind, Step::Retrieve)
}

pub(crate) fn terminal_facts(t: &mimamori_db::TerminalRow) -> TerminalFacts<'_> {
    TerminalFacts {
        id: &t.id,
        revoked: t.revoked_us.is_some(),
        delegated: t.delegation_id.is_some(),
    }
}

#[derive(Deserialize)]
struct RetrievalInput {
    /// The grant note exactly as issued.
    grant: String,
    /// The terminal's Ed25519 signature over it (`TerminalKey::sign_grant`).
    signature: String,
}

/// `POST /api/v1/retrievals`: the only route that lets footage out. It checks the ward's grant,
/// its single use and expiry, the chain step, and the terminal's signature; records the
/// retrieval; and answers with the evidence package as a zip.
async fn retrieve(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<RetrievalInput>,
) -> Result<Response, ApiError> {
    let claims = open_grant(&office, &req.grant).await?;
    let db = &office.ctx.db;
    let now = office.ctx.clock.now();
    let grant = db.grant(&claims.grant).await?.ok_or_else(invalid_grant)?;
    let row = row(&office, claims.request).await?;
    let terminal = db
        .terminal(&claims.terminal)
        .await?
        .ok_or_else(|| unknown_terminal(&claims.terminal))?;
    let facts = GrantFacts {
        used: grant.used_us.is_some(),
        expires: claims.expires,
        matches_request: grant.request_id == row.id && row.handler() == Some(&claims.handler),
        terminal_signed: terminal_signed(&terminal.public_key, &req.grant, &req.signature),
    };
    let verdict = decide_grant(&facts, now);
    caller
        .record_refusal(&office, retrieve_action(&row), "retrieval", verdict)
        .await?;
    let next = may_step(
        &office,
        &caller,
        &row,
        Step::Retrieve,
        Some(&terminal_facts(&terminal)),
    )
    .await?;
    let body = EventBody::RetrievalStarted(vocabulary::GrantUsed {
        request: row.id,
        grant: claims.grant.clone(),
    });
    let used = caller
        .event_as(retrieve_action(&row), body)
        .at_terminal(&terminal.id);
    db.use_grant(&claims.grant, now, used).await?;
    let (view, zip) = export_for(&office, &caller, &row, &claims, next).await?;
    let manifest = view
        .retrieval
        .map(|r| r.manifest_sha256)
        .unwrap_or_default();
    let file = tokio::fs::File::open(&zip)
        .await
        .map_err(ApiError::internal)?;
    // T5.2: the office keeps no copy; the open handle still reads the unlinked file.
    let _ = std::fs::remove_file(&zip);
    let stream = tokio_util::io::ReaderStream::new(file);
    let name = format!("request-{}.zip", row.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-mimamori-manifest-sha256"),
                manifest,
            ),
        ],
        ResponseBody::from_stream(stream),
    )
        .into_response())
}

/// Checks the ward's signature on a grant note and reads its claims.
async fn open_grant(office: &OfficeState, note: &str) -> Result<GrantClaims, ApiError> {
    let keys: Vec<String> = office
        .ctx
        .db
        .ledger_keys()
        .await?
        .into_iter()
        .map(|k| k.verifier_key)
        .collect();
    let trusted = TrustedKeys::parse(&keys.join("\n")).map_err(ApiError::internal)?;
    let text = trusted
        .open_note(note.as_bytes())
        .map_err(|_| invalid_grant())?;
    GrantClaims::parse(&text).ok_or_else(invalid_grant)
}

fn invalid_grant() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "grant_invalid",
        "this is not a retrieval grant issued by this ward",
        "この区が発行した取り出し許可ではありません",
    )
    .rule(Rule::N9_4)
}

/// Exports exactly the grant's scope into a package, records the retrieval, and returns the
/// zip's path. The package directory is removed; only the zip remains, to be sent.
async fn export_for(
    office: &OfficeState,
    caller: &Caller,
    row: &RequestRow,
    claims: &GrantClaims,
    next: RequestState,
) -> Result<(RequestView, std::path::PathBuf), ApiError> {
    let camera = CameraId::new(&claims.camera).map_err(ApiError::internal)?;
    let dir = office
        .work_dir
        .join(format!("request-{}-{}", row.id, claims.grant));
    std::fs::create_dir_all(&office.work_dir).map_err(ApiError::internal)?;
    let export = ExportRequest {
        camera,
        start: claims.from,
        end: claims.to,
        actor: caller.login().to_owned(),
        reason: row.purpose.clone(),
        output: dir.join(crate::evidence::CLIP),
    };
    let chain = Chain {
        request_id: Some(row.id.to_string()),
        instruction_id: Some(format!("{}-1", row.id)),
        ordered_by: row.ordered_by.clone(),
        instructed_by: row.instruction.as_ref().map(|i| i.instructed_by.clone()),
        terminal: Some(claims.terminal.clone()),
        legal_basis: Some(row.basis.kind.code().to_owned()),
    };
    let package = match create_package(&office.ctx, &office.notary, &export, &chain, &dir).await {
        Ok(p) => p,
        Err(e) => return Err(retrieval_failed(office, caller, row, e).await),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let done = RetrievalDone {
        request: row.id,
        grant: claims.grant.clone(),
        camera: claims.camera.clone(),
        site: office
            .ctx
            .policy
            .camera(&export.camera)
            .map(|c| c.site.clone()),
        from: claims.from,
        to: claims.to,
        terminal: claims.terminal.clone(),
        clip_sha256: package.export.sha256.clone(),
        clip_bytes: package.export.bytes,
        manifest_sha256: package.manifest_sha256.clone(),
        export_started_event: package.export.started_event,
        export_finished_event: package.export.finished_event,
    };
    let update = RequestUpdate::Retrieved {
        by: caller.login().to_owned(),
        record: done.clone(),
    };
    let event = caller
        .event_as(retrieve_action(row), EventBody::RetrievalDone(done))
        .at_terminal(&claims.terminal);
    let view = advance(office, row, next, update, vec![event]).await?;
    Ok((view, package.zip))
}

async fn retrieval_failed(
    office: &OfficeState,
    caller: &Caller,
    row: &RequestRow,
    error: EvidenceError,
) -> ApiError {
    let body = EventBody::RetrievalFailed(vocabulary::RetrievalFailed {
        request: row.id,
        error: error.to_string(),
    });
    let event = caller.event_as(retrieve_action(row), body);
    if let Err(e) = office.ctx.db.append_event(&event).await {
        return ApiError::internal(e);
    }
    match error {
        EvidenceError::Recorder(RecorderError::NoFootage) => ApiError::not_found(
            "no_footage",
            "no footage is stored for that camera and range; the grant is spent, ask for a new one",
            "指定範囲の映像はありません（取り出し許可は使用済みになりました）",
        ),
        e => ApiError::internal(e),
    }
}

#[derive(Deserialize)]
struct ReportInput {
    /// What the footage was written to (e.g. "DVD-R", "暗号化USBメモリ", "ファイル").
    media: String,
    copies: u32,
    /// Who received it, if it was handed to anyone.
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    remarks: String,
}

/// `POST /api/v1/requests/{id}/report`: N9.3, the handler reports; the Form 1 row is complete.
async fn report(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<ReportInput>,
) -> Result<Json<RequestView>, ApiError> {
    let row = row(&office, id).await?;
    let next = may_step(&office, &caller, &row, Step::Report, None).await?;
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
        recipient: req.recipient.trim().to_owned(),
        remarks: req.remarks.trim().to_owned(),
    };
    let update = RequestUpdate::Reported(report.clone());
    let step = (&row, next, Step::Report);
    let view = record_step(
        &office,
        &caller,
        step,
        EventBody::ReportFiled(report),
        update,
    );
    Ok(Json(view.await?))
}

/// The body of a step that only needs a reason (cancel, decline).
#[derive(Deserialize)]
pub(crate) struct ReasonInput {
    reason: String,
}

/// Closes a request with a stated reason: the step, and the event it makes of the reason.
pub(crate) async fn close_with_reason(
    office: &OfficeState,
    caller: &Caller,
    id: i64,
    step: Step,
    body: fn(vocabulary::Closed) -> EventBody,
    req: ReasonInput,
) -> Result<Json<RequestView>, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, step, None).await?;
    let reason = required_text("reason", &req.reason, 2000)?;
    let closed = vocabulary::Closed {
        request: id,
        reason,
    };
    let update = RequestUpdate::Closed(Closing::Reason(closed.clone()));
    let view = record_step(office, caller, (&row, next, step), body(closed), update);
    Ok(Json(view.await?))
}

/// `POST /api/v1/requests/{id}/cancel`: the Manager withdraws an order before retrieval.
async fn cancel(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<RequestView>, ApiError> {
    let body = EventBody::RequestCancelled;
    close_with_reason(&office, &caller, id, Step::Cancel, body, req).await
}
