//! Routes for Form 1 (様式第1号, N9.3).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_policy::RequestId;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::form1::Form1Row;
use crate::openapi::shared;
use crate::wire::{CorrectionInput, Form1Query};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/form1", get(list))
        .route("/api/v1/form1/{serial}/corrections", post(correct))
}

/// Form 1 (様式第1号), the Image Management Ledger, oldest first.
#[utoipa::path(get, path = "/api/v1/form1", operation_id = "list_form1", tag = "form1",
    extensions(("x-rule" = json!("N9.3"))),
    params(Form1Query),
    responses((status = 200, description = "The rows.", body = Vec<Form1Row>),
        (status = 400, response = shared::BadRequest)))]
pub(crate) async fn list(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<Form1Query>,
) -> Result<Json<Vec<Form1Row>>, ApiError> {
    Ok(Json(
        workflow::form1::list_form1(&office, &caller, q).await?,
    ))
}

/// Correct a Form 1 field with a new event; the original stays.
///
/// The new event names the event and field it corrects; the original stays in the log and in
/// the row's history. Only the person who recorded the field, or the Manager
/// (`not_your_record`, 403). `nothing_to_correct` (404) when the request has no event
/// recording that field.
#[utoipa::path(post, path = "/api/v1/form1/{serial}/corrections", tag = "form1",
    extensions(("x-rule" = json!("N9.3"))),
    params(("serial" = RequestId, Path, description = "The request number.")),
    request_body = CorrectionInput,
    responses((status = 201, description = "The corrected row.", body = Form1Row),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn correct(
    State(office): State<Shared>,
    caller: Caller,
    Path(serial): Path<RequestId>,
    Body(req): Body<CorrectionInput>,
) -> Result<(StatusCode, Json<Form1Row>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::form1::correct_form1(&office, &caller, serial, req).await?),
    ))
}
