//! Routes of the request chain (N9): order, instruction, grant, retrieval, report, cancel.
//! Each handler extracts, calls its step in `crate::workflow`, and responds.

use axum::body::Body as ResponseBody;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_policy::RequestId;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::wire::{
    GrantInput, GrantOutput, InstructionInput, ListQuery, OrderInput, ReasonInput, ReportInput,
    RequestView, RetrievalInput,
};
use crate::{workflow, Shared};

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

/// The Manager orders a retrieval for the purpose (N3.2.2).
///
/// `invalid_input` (400, rule T6.1x) when the basis lacks its required field.
#[utoipa::path(post, path = "/api/v1/orders", tag = "requests",
    extensions(("x-rule" = json!("N9.1"))),
    request_body = OrderInput,
    responses((status = 201, description = "The new request, state `ordered`.", body = RequestView)))]
pub(crate) async fn order(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<OrderInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::orders::order(&office, &caller, req).await?),
    ))
}

/// Requests, newest first.
#[utoipa::path(get, path = "/api/v1/requests", operation_id = "list_requests", tag = "requests",
    extensions(("x-rule" = json!("T4"))),
    params(ListQuery),
    responses((status = 200, description = "The requests.", body = Vec<RequestView>),
        (status = 400, response = shared::BadRequest)))]
pub(crate) async fn list(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    Ok(Json(
        workflow::orders::list_requests(&office, &caller, q).await?,
    ))
}

/// One request.
///
/// `unknown_request` (404).
#[utoipa::path(get, path = "/api/v1/requests/{id}", operation_id = "show_request", tag = "requests",
    extensions(("x-rule" = json!("T4"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    responses((status = 200, description = "The request.", body = RequestView),
        (status = 400, response = shared::BadRequest),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::show_request(&office, &caller, id).await?,
    ))
}

/// The Operations lead instructs a handler: camera, range, terminal.
///
/// `unknown_request`, `unknown_camera`, `unknown_terminal` (404); `invalid_input` (400) for a
/// range that is not kept (N6.1) or longer than 24 hours (T6.1), a handler not appointed
/// (N7.4), or an expiry out of bounds.
#[utoipa::path(post, path = "/api/v1/requests/{id}/instruction", tag = "requests",
    extensions(("x-rule" = json!("N9.2"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = InstructionInput,
    responses((status = 200, description = "The request, state `instructed`.", body = RequestView),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn instruct(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<InstructionInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::instruct(&office, &caller, id, req).await?,
    ))
}

/// The instructed handler at the instructed terminal asks for a single-use retrieval grant.
///
/// Refused (403) with `not_the_instructed_handler`, `instruction_expired`, `wrong_terminal`
/// (N8), `terminal_revoked` (N3.3), `unregistered_terminal` (N2) or `illegal_transition`.
#[utoipa::path(post, path = "/api/v1/requests/{id}/grants", tag = "requests",
    extensions(("x-rule" = json!("N9.4"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = GrantInput,
    responses((status = 201, description = "The grant.", body = GrantOutput),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn issue_grant(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<GrantInput>,
) -> Result<(StatusCode, Json<GrantOutput>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::retrieval::issue_grant(&office, &caller, id, req).await?),
    ))
}

/// Retrieve footage with a grant signed by the ward and by the terminal; answers the evidence
/// package.
///
/// The only route that lets footage out (N9.3, N9.4). Refused (403) with `grant_invalid` (not
/// signed by the ward's current key), `grant_used`, `grant_superseded`,
/// `request_already_retrieved`, `grant_expired`, `grant_mismatch`,
/// `terminal_signature_invalid` (N3.3) or a chain refusal. `no_footage` (404) spends the grant
/// and marks it failed, so a new grant may retrieve the request; `grant_used` (403) also when
/// another grant of the request was used at the same moment. Every refusal is recorded.
#[utoipa::path(post, path = "/api/v1/retrievals", tag = "requests",
    extensions(("x-rule" = json!("N9.4"))),
    request_body = RetrievalInput,
    responses((status = 200, description = "The evidence package's zip, sent as it is made: the office keeps no copy and writes none to its disk (T5.2). A failure after the first byte cuts the response off.",
            content_type = "application/zip", body = Vec<u8>),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn retrieve(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<RetrievalInput>,
) -> Result<Response, ApiError> {
    let done = workflow::retrieval::retrieve(&office, &caller, req).await?;
    let name = format!("request-{}.zip", done.request);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        ResponseBody::from_stream(done.body),
    )
        .into_response())
}

/// The handler reports what the footage was written to; the Form 1 row is complete.
///
/// Only the handler who retrieved (`not_the_retriever`, 403).
#[utoipa::path(post, path = "/api/v1/requests/{id}/report", tag = "requests",
    extensions(("x-rule" = json!("N9.3"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = ReportInput,
    responses((status = 200, description = "The request, state `reported`.", body = RequestView),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn report(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<ReportInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::report(&office, &caller, id, req).await?,
    ))
}

/// The Manager withdraws an order before retrieval.
#[utoipa::path(post, path = "/api/v1/requests/{id}/cancel", tag = "requests",
    extensions(("x-rule" = json!("N9.1"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    request_body = ReasonInput,
    responses((status = 200, description = "The request, state `cancelled`.", body = RequestView),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn cancel(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::cancel(&office, &caller, id, req).await?,
    ))
}
