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

/// `POST /api/v1/orders`: N9.1, the Manager orders a retrieval for the purpose (N3.2.2).
async fn order(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<OrderInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::orders::order(&office, &caller, req).await?),
    ))
}

/// `GET /api/v1/requests?state=&limit=`: newest first.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RequestView>>, ApiError> {
    Ok(Json(
        workflow::orders::list_requests(&office, &caller, q).await?,
    ))
}

/// `GET /api/v1/requests/{id}`.
async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::show_request(&office, &caller, id).await?,
    ))
}

/// `POST /api/v1/requests/{id}/instruction`: N9.2.
async fn instruct(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<InstructionInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::instruct(&office, &caller, id, req).await?,
    ))
}

/// `POST /api/v1/requests/{id}/grants`: the named handler at the named terminal asks to
/// retrieve (N9.4); the office answers with a single-use grant.
async fn issue_grant(
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

/// `POST /api/v1/retrievals`: the only route that lets footage out; the body is the evidence
/// package as a zip.
async fn retrieve(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<RetrievalInput>,
) -> Result<Response, ApiError> {
    let done = workflow::retrieval::retrieve(&office, &caller, req).await?;
    let name = format!("request-{}.zip", done.request.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-mimamori-manifest-sha256"),
                done.manifest_sha256,
            ),
        ],
        ResponseBody::from_stream(tokio_util::io::ReaderStream::new(done.zip)),
    )
        .into_response())
}

/// `POST /api/v1/requests/{id}/report`: N9.3, the handler reports; the Form 1 row is complete.
async fn report(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<ReportInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::report(&office, &caller, id, req).await?,
    ))
}

/// `POST /api/v1/requests/{id}/cancel`: the Manager withdraws an order before retrieval.
async fn cancel(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::orders::cancel(&office, &caller, id, req).await?,
    ))
}
