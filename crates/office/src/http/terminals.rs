//! Routes for dedicated terminals (N2, N8, N10.4).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::TerminalRow;
use mimamori_policy::TerminalId;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::wire::Registration;
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/terminals", get(list).post(register))
        .route("/api/v1/terminals/{id}/revoke", post(revoke))
}

/// Register a dedicated terminal (Operations lead).
///
/// N2, N8; N10.4 for a terminal at an investigative body. `unknown_delegation` (404);
/// `conflict` (409) when the id or public key is taken.
#[utoipa::path(post, path = "/api/v1/terminals", tag = "terminals",
    extensions(("x-rule" = json!("N8"))),
    request_body = Registration,
    responses((status = 201, description = "The terminal.", body = TerminalRow),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn register(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Registration>,
) -> Result<(StatusCode, Json<TerminalRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::terminals::register_terminal(&office, &caller, req).await?),
    ))
}

/// Every registered terminal, including revoked ones.
#[utoipa::path(get, path = "/api/v1/terminals", operation_id = "list_terminals", tag = "terminals",
    extensions(("x-rule" = json!("T4"))),
    responses((status = 200, description = "The terminals.", body = Vec<TerminalRow>)))]
pub(crate) async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<TerminalRow>>, ApiError> {
    Ok(Json(
        workflow::terminals::list_terminals(&office, &caller).await?,
    ))
}

/// Revoke a terminal: lost, stolen or retired (N3.3.2).
///
/// `unknown_terminal` (404, N2).
#[utoipa::path(post, path = "/api/v1/terminals/{id}/revoke", tag = "terminals",
    extensions(("x-rule" = json!("N3.3"))),
    params(("id" = TerminalId, Path, description = "The terminal id.")),
    responses((status = 204, description = "Done."),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn revoke(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<TerminalId>,
) -> Result<StatusCode, ApiError> {
    workflow::terminals::revoke_terminal(&office, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
