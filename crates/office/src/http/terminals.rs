//! Routes for dedicated terminals (N2, N8, N10.4).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::TerminalRow;
use mimamori_policy::TerminalId;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::wire::Registration;
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/terminals", get(list).post(register))
        .route("/api/v1/terminals/{id}/revoke", post(revoke))
}

/// `POST /api/v1/terminals`.
async fn register(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Registration>,
) -> Result<(StatusCode, Json<TerminalRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::terminals::register_terminal(&office, &caller, req).await?),
    ))
}

/// `GET /api/v1/terminals`.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<TerminalRow>>, ApiError> {
    Ok(Json(
        workflow::terminals::list_terminals(&office, &caller).await?,
    ))
}

/// `POST /api/v1/terminals/{id}/revoke`: lost, stolen or retired (N3.3.2).
async fn revoke(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<TerminalId>,
) -> Result<StatusCode, ApiError> {
    workflow::terminals::revoke_terminal(&office, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
