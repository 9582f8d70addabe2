//! Routes for Form 1 (様式第1号, N9.3).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_policy::RequestId;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::form1::Form1Row;
use crate::wire::{CorrectionInput, Form1Query};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/form1", get(list))
        .route("/api/v1/form1/{serial}/corrections", post(correct))
}

/// `GET /api/v1/form1`: every row, oldest first.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<Form1Query>,
) -> Result<Json<Vec<Form1Row>>, ApiError> {
    Ok(Json(
        workflow::form1::list_form1(&office, &caller, q).await?,
    ))
}

/// `POST /api/v1/form1/{serial}/corrections`: a new event that names the event and field it
/// corrects; the original stays in the log and in the row's history.
async fn correct(
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
