//! Routes for outside bodies (N10, N11, T6) and holds (T5.3). Each handler extracts, calls
//! its step in `crate::workflow`, and responds.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::{vocabulary, DelegationRow, HoldRow};
use mimamori_policy::{DelegationId, RequestId, TerminalId};

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::wire::{
    DelegationInput, EmergencyInput, Form3Input, HandOverInput, HoldInput, HoldPlaced,
    ProvisionInput, ReasonInput, RequestView, SubmittedHistory,
};
use crate::{workflow, Shared};

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
        .route(
            "/api/v1/delegations/{id}/withdraw",
            post(withdraw_delegation),
        )
        .route("/api/v1/emergency-retrievals", post(authorize_emergency))
        .route("/api/v1/requests/{id}/form3", post(record_form3))
        .route("/api/v1/holds", get(holds).post(place_hold))
        .route("/api/v1/terminals/{id}/history", post(reconcile_history))
}

/// Register an outside body's request for footage, with its document and the recipient's
/// identity check (Manager, Operations lead or Image handler).
///
/// The document is an inquiry (捜査関係事項照会書) or Form 2 (様式第2号); Form 2 without its
/// pledge is `invalid_input` (400, rule N10.1). The identity check is T6.2's. `invalid_input`
/// (400, rule T6.1x) when the basis lacks its required field. The request waits for the
/// Manager to accept or decline it.
#[utoipa::path(post, path = "/api/v1/provisions", tag = "outside",
    extensions(("x-rule" = json!("N10.1"))),
    request_body = ProvisionInput,
    responses((status = 201, description = "The new request, kind `provision`, state `received`.", body = RequestView)))]
pub(crate) async fn register_provision(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<ProvisionInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::provisions::register_provision(&office, &caller, req).await?),
    ))
}

/// The Manager accepts an outside body's request; it becomes an order and goes through the
/// chain.
///
/// `unknown_request` (404); `illegal_transition` (403) unless the request is in state
/// `received`.
#[utoipa::path(post, path = "/api/v1/requests/{id}/accept", tag = "outside",
    extensions(("x-rule" = json!("N10.1"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    responses((status = 200, description = "The request, state `ordered`.", body = RequestView),
        (status = 400, response = shared::BadRequest),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn accept(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::provisions::accept(&office, &caller, id).await?,
    ))
}

/// The Manager declines an outside body's request, with the reason.
///
/// `unknown_request` (404); `illegal_transition` (403, rule N10.1) unless the request is in
/// state `received`. The reason is kept in `closing`.
#[utoipa::path(post, path = "/api/v1/requests/{id}/decline", tag = "outside",
    extensions(("x-rule" = json!("T6.1"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = ReasonInput,
    responses((status = 200, description = "The request, state `declined`.", body = RequestView),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn decline(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::provisions::decline(&office, &caller, id, req).await?,
    ))
}

/// Record handing the footage to the outside body's recipient, with the identity check.
///
/// Only for a provision whose footage was reported (`illegal_transition`, 403, otherwise).
/// `unknown_request` (404); `invalid_input` (400, rule T6.2) for a missing field. The hand-over
/// record is kept in `closing` and in Form 1.
#[utoipa::path(post, path = "/api/v1/requests/{id}/handover", tag = "outside",
    extensions(("x-rule" = json!("T6.2"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = HandOverInput,
    responses((status = 200, description = "The request, state `handed_over`.", body = RequestView),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn hand_over(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<HandOverInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::provisions::hand_over(&office, &caller, id, req).await?,
    ))
}

/// The Manager records a written delegation to an investigative body.
///
/// `invalid_input` (400) when `until` is not after `from`, without the written confirmation
/// `document_ref`, or without the `cameras` it covers (rule N10.2); `unknown_camera` (404). Staff (N10.3) and terminals (N10.4) of the body then name the
/// delegation.
#[utoipa::path(post, path = "/api/v1/delegations", tag = "outside",
    extensions(("x-rule" = json!("N10.2"))),
    request_body = DelegationInput,
    responses((status = 201, description = "The delegation.", body = DelegationRow)))]
pub(crate) async fn record_delegation(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<DelegationInput>,
) -> Result<(StatusCode, Json<DelegationRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::delegations::record_delegation(&office, &caller, req).await?),
    ))
}

/// The Manager withdraws a delegation before its end, with the reason.
///
/// From then on its staff and terminals cannot retrieve in an emergency
/// (`delegation_not_in_force`). `unknown_delegation` (404); `conflict` (409) when already
/// withdrawn.
#[utoipa::path(post, path = "/api/v1/delegations/{id}/withdraw", tag = "outside",
    extensions(("x-rule" = json!("N10.2"))),
    params(("id" = DelegationId, Path, description = "The delegation's id.")),
    request_body = ReasonInput,
    responses((status = 200, description = "The delegation, withdrawn.", body = DelegationRow),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn withdraw_delegation(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<DelegationId>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<DelegationRow>, ApiError> {
    Ok(Json(
        workflow::delegations::withdraw_delegation(&office, &caller, id, req).await?,
    ))
}

/// Every recorded delegation, oldest first.
#[utoipa::path(get, path = "/api/v1/delegations", tag = "outside",
    extensions(("x-rule" = json!("N10.2"))),
    responses((status = 200, description = "The delegations.", body = Vec<DelegationRow>)))]
pub(crate) async fn delegations(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<DelegationRow>>, ApiError> {
    Ok(Json(
        workflow::delegations::list_delegations(&office, &caller).await?,
    ))
}

/// Delegated staff, at night or on a holiday, authorize an emergency retrieval at their
/// body's terminal without a prior order.
///
/// Refused (403) with `unregistered_terminal` (N2), `not_a_delegated_terminal` (N10.4),
/// `not_an_emergency_hour` (N11.1) or `delegation_not_in_force` (N10.2: the terminal's
/// delegation must be in force and be the caller's). `unknown_camera` (404); `invalid_input`
/// (400) for a range that is not kept (N6.1) or longer than 24 hours (T6.1), or without
/// `urgency` (rule N11.1). The Manager is alerted at once, and Form 3 is due within the
/// policy's deadline (N11.2); an overdue Form 3 raises an alert. The caller then asks for a
/// grant (POST /api/v1/requests/{id}/grants) at the same terminal before the instruction
/// expires.
#[utoipa::path(post, path = "/api/v1/emergency-retrievals", tag = "outside",
    extensions(("x-rule" = json!("N11.1"))),
    request_body = EmergencyInput,
    responses((status = 201, description = "The new request, kind `emergency`, state `emergency_authorized`; its instruction names the caller and the terminal and expires after the policy's grant lifetime.", body = RequestView),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn authorize_emergency(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<EmergencyInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::emergency::authorize_emergency(&office, &caller, req).await?),
    ))
}

/// An image handler records the Form 3 (様式第3号) received for an emergency retrieval.
///
/// `unknown_request` (404); `illegal_transition` (403) unless the request is in state
/// `emergency_retrieved`; Form 3 without its pledge is `invalid_input` (400, rule N11.1). The
/// Form 3 overdue alert, if any, is resolved.
#[utoipa::path(post, path = "/api/v1/requests/{id}/form3", tag = "outside",
    extensions(("x-rule" = json!("N11.2"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = Form3Input,
    responses((status = 200, description = "The request, state `form3_recorded`.", body = RequestView),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn record_form3(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<Form3Input>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::emergency::record_form3(&office, &caller, id, req).await?,
    ))
}

/// Reconcile a terminal's signed monthly retrieval history with the office's record.
///
/// The body is what `mimamori terminal history --month YYYY-MM` prints. The terminal key's
/// signature over the history's RFC 8785 form is checked against the registered key
/// (`history_signature_invalid`, 403, N11.3). Retrievals on one side only are listed and raise
/// a `history_mismatch` alert. `unknown_terminal` (404, N2).
#[utoipa::path(post, path = "/api/v1/terminals/{id}/history", tag = "terminals",
    extensions(("x-rule" = json!("N11.3"))),
    params(("id" = TerminalId, Path, description = "The terminal id.")),
    request_body = SubmittedHistory,
    responses((status = 200, description = "The comparison.", body = vocabulary::HistoryReconciled),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn reconcile_history(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<TerminalId>,
    Body(req): Body<SubmittedHistory>,
) -> Result<Json<vocabulary::HistoryReconciled>, ApiError> {
    Ok(Json(
        workflow::history::reconcile_history(&office, &caller, id, req).await?,
    ))
}

/// The Manager keeps a range of footage beyond retention, for a reason, to a date.
///
/// `unknown_camera` (404); `invalid_input` (400) unless `from` is before `to` and `until` is in
/// the future, or without `reason` (rule T5.3). The sweeper keeps the range until `until`.
#[utoipa::path(post, path = "/api/v1/holds", tag = "holds",
    extensions(("x-rule" = json!("T5.3"))),
    request_body = HoldInput,
    responses((status = 201, description = "The new hold's id.", body = HoldPlaced),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn place_hold(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<HoldInput>,
) -> Result<(StatusCode, Json<HoldPlaced>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::holds::place_hold(&office, &caller, req).await?),
    ))
}

/// Holds in force, by camera and start.
#[utoipa::path(get, path = "/api/v1/holds", tag = "holds",
    extensions(("x-rule" = json!("T5.3"))),
    responses((status = 200, description = "The holds.", body = Vec<HoldRow>)))]
pub(crate) async fn holds(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<HoldRow>>, ApiError> {
    Ok(Json(workflow::holds::list_holds(&office, &caller).await?))
}
