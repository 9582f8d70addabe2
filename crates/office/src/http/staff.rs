//! Routes for accounts and appointments (N7, T3, N10.3).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::{AppointmentRow, StaffRow};
use mimamori_policy::AppointmentId;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::wire::{Appoint, NewAccount, StaffDetail};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/staff", get(list).post(create))
        .route("/api/v1/staff/{login}", get(show))
        .route("/api/v1/staff/{login}/leave", post(leave))
        .route("/api/v1/staff/{login}/appointments", post(appoint))
        .route("/api/v1/appointments/{id}/end", post(end_appointment))
}

/// `POST /api/v1/staff`: the Administrator opens an account.
async fn create(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<NewAccount>,
) -> Result<(StatusCode, Json<StaffRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::staff::create_account(&office, &caller, req).await?),
    ))
}

/// `GET /api/v1/staff`.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<StaffRow>>, ApiError> {
    Ok(Json(workflow::staff::list_staff(&office, &caller).await?))
}

/// `GET /api/v1/staff/{login}`: the account and every appointment it ever had.
async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Json<StaffDetail>, ApiError> {
    Ok(Json(
        workflow::staff::show_staff(&office, &caller, login).await?,
    ))
}

/// `POST /api/v1/staff/{login}/leave`: appointments and sessions end; the record stays.
async fn leave(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<StatusCode, ApiError> {
    workflow::staff::leave(&office, &caller, login).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/staff/{login}/appointments`: N7.3, N7.4, N10.3.
async fn appoint(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
    Body(req): Body<Appoint>,
) -> Result<(StatusCode, Json<AppointmentRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::staff::appoint(&office, &caller, login, req).await?),
    ))
}

/// `POST /api/v1/appointments/{id}/end`.
async fn end_appointment(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<AppointmentId>,
) -> Result<StatusCode, ApiError> {
    workflow::staff::end_appointment(&office, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
