//! Routes for outside bodies (N10, N11, T6) and holds (T5.3). Each handler extracts, calls
//! its step in `crate::workflow`, and responds.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::{vocabulary, DelegationRow, HoldRow};
use mimamori_policy::{RequestId, TerminalId};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::wire::{
    DelegationInput, EmergencyInput, Form3Input, HandOverInput, HoldInput, ProvisionInput,
    ReasonInput, RequestView, SubmittedHistory,
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
        .route("/api/v1/emergency-retrievals", post(authorize_emergency))
        .route("/api/v1/requests/{id}/form3", post(record_form3))
        .route("/api/v1/holds", get(holds).post(place_hold))
        .route("/api/v1/terminals/{id}/history", post(reconcile_history))
}

/// `POST /api/v1/provisions`: N10.1, an outside body's request with its document, waiting for
/// the Manager.
async fn register_provision(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<ProvisionInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::provisions::register_provision(&office, &caller, req).await?),
    ))
}

/// `POST /api/v1/requests/{id}/accept`: N10.1, the Manager decides to provide; the request
/// becomes an order and goes through the chain.
async fn accept(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::provisions::accept(&office, &caller, id).await?,
    ))
}

/// `POST /api/v1/requests/{id}/decline`: T6.1, the Manager declines, with the reason.
async fn decline(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<ReasonInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::provisions::decline(&office, &caller, id, req).await?,
    ))
}

/// `POST /api/v1/requests/{id}/handover`: T6.2, the record of giving footage to the recipient.
async fn hand_over(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<HandOverInput>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::provisions::hand_over(&office, &caller, id, req).await?,
    ))
}

/// `POST /api/v1/delegations`: N10.2, the Manager records a written delegation.
async fn record_delegation(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<DelegationInput>,
) -> Result<(StatusCode, Json<DelegationRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::emergency::record_delegation(&office, &caller, req).await?),
    ))
}

/// `GET /api/v1/delegations`.
async fn delegations(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<DelegationRow>>, ApiError> {
    Ok(Json(
        workflow::emergency::list_delegations(&office, &caller).await?,
    ))
}

/// `POST /api/v1/emergency-retrievals`: N11.1, delegated staff at their terminal, at night or
/// on a holiday, without a prior order. Allowed and at once known: the Manager is alerted, and
/// Form 3 is due within the policy's deadline.
async fn authorize_emergency(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<EmergencyInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::emergency::authorize_emergency(&office, &caller, req).await?),
    ))
}

/// `POST /api/v1/requests/{id}/form3`: N11.2, an image handler records the Form 3 received
/// for an emergency retrieval; its overdue alert (if any) is resolved.
async fn record_form3(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
    Body(req): Body<Form3Input>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(
        workflow::emergency::record_form3(&office, &caller, id, req).await?,
    ))
}

/// `POST /api/v1/terminals/{id}/history`: N11.3, the month's retrieval history recorded on the
/// terminal, signed by its key, compared with the office's own record. Any retrieval on one
/// side only is flagged and raises an alert.
async fn reconcile_history(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<TerminalId>,
    Body(req): Body<SubmittedHistory>,
) -> Result<Json<vocabulary::HistoryReconciled>, ApiError> {
    Ok(Json(
        workflow::history::reconcile_history(&office, &caller, id, req).await?,
    ))
}

/// `POST /api/v1/holds`: T5.3, the Manager keeps a range beyond retention, for a reason, to a
/// date. The sweeper honours it until then.
async fn place_hold(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<HoldInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::holds::place_hold(&office, &caller, req).await?),
    ))
}

/// `GET /api/v1/holds`: holds in force.
async fn holds(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<HoldRow>>, ApiError> {
    Ok(Json(workflow::holds::list_holds(&office, &caller).await?))
}
