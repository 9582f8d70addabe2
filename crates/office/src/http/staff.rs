//! Routes for accounts and appointments (N7, T3, N10.3).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::{AppointmentRow, StaffRow};
use mimamori_policy::{AppointmentId, ProposalId};

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::wire::{
    AccountCreated, Appoint, AppointmentAnswer, AppointmentView, EnrolmentCode, NewAccount,
    ProposalView, ReasonInput, StaffDetail,
};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/staff", get(list).post(create))
        .route("/api/v1/staff/{login}", get(show))
        .route("/api/v1/staff/{login}/leave", post(leave))
        .route("/api/v1/staff/{login}/enrolment", post(reissue_enrolment))
        .route("/api/v1/staff/{login}/appointments", post(appoint))
        .route("/api/v1/appointments", get(appointments))
        .route("/api/v1/appointment-proposals", get(proposals))
        .route(
            "/api/v1/appointment-proposals/{id}/confirm",
            post(confirm_proposal),
        )
        .route(
            "/api/v1/appointment-proposals/{id}/reject",
            post(reject_proposal),
        )
        .route("/api/v1/appointments/{id}/end", post(end_appointment))
}

/// Open an account (Administrator); its holder sets the password with the enrolment code.
///
/// The answer carries a one-time enrolment code, shown this once: hand it to the person, who
/// sets their own password with it (`POST /api/v1/enrol`). A body with `password` is refused
/// (`password_set_by_holder`, 403, N3.3.1). `unknown_delegation` (404, N10.3); `conflict` (409)
/// when the login is taken.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff",
    extensions(("x-rule" = json!("N7.1"))),
    request_body = NewAccount,
    responses((status = 201, description = "The new account and its enrolment code.", body = AccountCreated),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn create(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<NewAccount>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::staff::create_account(&office, &caller, req).await?),
    ))
}

/// A new enrolment code for an account that has not enrolled (Administrator).
///
/// For a code that expired or was lost; it replaces the open one. An account that enrolled
/// keeps its holder's password (`conflict`, 409). `unknown_staff` (404).
#[utoipa::path(post, path = "/api/v1/staff/{login}/enrolment", tag = "staff",
    extensions(("x-rule" = json!("N3.3.1"))),
    params(("login" = String, Path, description = "The login name.")),
    responses((status = 201, description = "The code, shown this once.", body = EnrolmentCode),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn reissue_enrolment(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<(StatusCode, Json<EnrolmentCode>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::enrolment::reissue(&office, &caller, login).await?),
    ))
}

/// Every account, including those who left.
#[utoipa::path(get, path = "/api/v1/staff", operation_id = "list_staff", tag = "staff",
    extensions(("x-rule" = json!("T4"))),
    responses((status = 200, description = "The accounts.", body = Vec<StaffRow>)))]
pub(crate) async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<StaffRow>>, ApiError> {
    Ok(Json(workflow::staff::list_staff(&office, &caller).await?))
}

/// An account and every appointment it ever had.
///
/// `unknown_staff` (404).
#[utoipa::path(get, path = "/api/v1/staff/{login}", operation_id = "show_staff", tag = "staff",
    extensions(("x-rule" = json!("T4"))),
    params(("login" = String, Path, description = "The login name.")),
    responses((status = 200, description = "The account.", body = StaffDetail),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Json<StaffDetail>, ApiError> {
    Ok(Json(
        workflow::staff::show_staff(&office, &caller, login).await?,
    ))
}

/// Record that a person left: appointments and sessions end, the record stays.
#[utoipa::path(post, path = "/api/v1/staff/{login}/leave", tag = "staff",
    extensions(("x-rule" = json!("T3.4"))),
    params(("login" = String, Path, description = "The login name.")),
    responses((status = 204, description = "Done."),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn leave(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<StatusCode, ApiError> {
    workflow::staff::leave(&office, &caller, login).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Appoint a person to a role.
///
/// The rule depends on the role: Manager and Administrator N7.2 (by the Administrator),
/// Operations lead N7.3, image handler N7.4, delegated staff N10.3 (by the Manager), Auditor
/// T3.3. Once the ward has had a Manager, a Manager or an Administrator is only proposed (202,
/// `status: pending`) until a second person confirms (`POST
/// /api/v1/appointment-proposals/{id}/confirm`). Every appointment and proposal alerts the
/// Manager and the Auditor. Refused with `administrator_separate` or `auditor_separate`
/// (N7.1), `not_enrolled` (N3.3.1), `already_appointed`, `separation_of_duties` (T3) or
/// `outside_staff_separate` (N10.3).
#[utoipa::path(post, path = "/api/v1/staff/{login}/appointments", tag = "staff",
    extensions(("x-rule" = json!(["N7.2", "N7.3", "N7.4", "N10.3", "T3.3"]))),
    params(("login" = String, Path, description = "The login name.")),
    request_body = Appoint,
    responses((status = 201, description = "The appointment, in force (`status: in_force`).", body = AppointmentAnswer),
        (status = 202, description = "The proposal, waiting for a second person (`status: pending`).", body = AppointmentAnswer),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn appoint(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
    Body(req): Body<Appoint>,
) -> Result<(StatusCode, Json<AppointmentAnswer>), ApiError> {
    let answer = workflow::staff::appoint(&office, &caller, login, req).await?;
    let status = match answer {
        AppointmentAnswer::InForce(_) => StatusCode::CREATED,
        AppointmentAnswer::Pending(_) => StatusCode::ACCEPTED,
    };
    Ok((status, Json(answer)))
}

/// Proposed appointments of Managers and Administrators, open ones first.
#[utoipa::path(get, path = "/api/v1/appointment-proposals", tag = "staff",
    extensions(("x-rule" = json!("N7.2"))),
    responses((status = 200, description = "The proposals.", body = Vec<ProposalView>)))]
pub(crate) async fn proposals(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<ProposalView>>, ApiError> {
    Ok(Json(
        workflow::proposals::list_proposals(&office, &caller).await?,
    ))
}

/// Confirm a proposed appointment: the second person.
///
/// The Manager in force, or an Administrator who was one when it was proposed; never its
/// proposer (`own_proposal`) nor its appointee (`own_appointment`). While a Manager is in
/// force, a new Administrator is confirmed by the Manager (`manager_confirms`). Also
/// `proposal_closed`, `proposal_expired`, `administrator_too_recent` (403, N7.2);
/// `unknown_proposal` (404).
#[utoipa::path(post, path = "/api/v1/appointment-proposals/{id}/confirm", tag = "staff",
    extensions(("x-rule" = json!("N7.2"))),
    params(("id" = ProposalId, Path, description = "The proposal's id.")),
    responses((status = 201, description = "The appointment, naming its confirmer.", body = AppointmentRow),
        (status = 400, response = shared::BadRequest),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn confirm_proposal(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<ProposalId>,
) -> Result<(StatusCode, Json<AppointmentRow>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::proposals::confirm(&office, &caller, id).await?),
    ))
}

/// Reject a proposed appointment, or withdraw one's own, with the reason.
///
/// By the Manager or an Administrator. `proposal_closed`, `proposal_expired` (403, N7.2);
/// `unknown_proposal` (404).
#[utoipa::path(post, path = "/api/v1/appointment-proposals/{id}/reject", tag = "staff",
    extensions(("x-rule" = json!("N7.2"))),
    params(("id" = ProposalId, Path, description = "The proposal's id.")),
    request_body = ReasonInput,
    responses((status = 204, description = "Done."),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn reject_proposal(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<ProposalId>,
    Body(req): Body<ReasonInput>,
) -> Result<StatusCode, ApiError> {
    workflow::proposals::reject(&office, &caller, id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every appointment ever made, newest first, with its login.
///
/// For the Auditor (and anyone who may read the records), who checks that each appointment
/// was expected: who appointed whom to what, when, and when it ended.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "staff",
    extensions(("x-rule" = json!(["N7.1", "T4"]))),
    responses((status = 200, description = "The appointments.", body = Vec<AppointmentView>)))]
pub(crate) async fn appointments(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<AppointmentView>>, ApiError> {
    Ok(Json(
        workflow::staff::list_appointments(&office, &caller).await?,
    ))
}

/// End an appointment.
///
/// `unknown_appointment` (404). The rule is the one for appointing to the role.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/end", tag = "staff",
    extensions(("x-rule" = json!(["N7.2", "N7.3", "N7.4", "N10.3", "T3.3"]))),
    params(("id" = AppointmentId, Path, description = "The appointment id.")),
    responses((status = 204, description = "Done."),
        (status = 400, response = shared::BadRequest),
        (status = 404, response = shared::NotFound),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn end_appointment(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<AppointmentId>,
) -> Result<StatusCode, ApiError> {
    workflow::staff::end_appointment(&office, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
