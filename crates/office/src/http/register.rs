//! Routes of the camera register (issue 14; N4.1, N4.2, T2.1, T2.2, T7.2). Each handler
//! extracts, calls its step in `crate::workflow::register`, and responds.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::wire::register::{
    DatedInput, DetailsInput, RegisterOut, RemovalInput, Removed, SignInput, SignPlacedOut,
    SiteInput,
};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/register", get(read_register))
        .route("/api/v1/register/sites", post(choose_site))
        .route(
            "/api/v1/register/cameras/{id}/details",
            post(record_details),
        )
        .route("/api/v1/register/cameras/{id}/installed", post(install))
        .route(
            "/api/v1/register/cameras/{id}/operation",
            post(start_operation),
        )
        .route("/api/v1/register/cameras/{id}/removal", post(remove_camera))
        .route("/api/v1/register/signs", post(place_sign))
        .route("/api/v1/register/signs/{id}/removal", post(remove_sign))
}

/// The register: every camera (removed ones too) with its site's justification, every sign,
/// policy cameras missing from it, and cameras in operation with no sign.
#[utoipa::path(get, path = "/api/v1/register", tag = "register",
    extensions(("x-rule" = json!("T2.1"))),
    responses((status = 200, description = "The register.", body = RegisterOut)))]
pub(crate) async fn read_register(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<RegisterOut>, ApiError> {
    Ok(Json(workflow::register::register(&office, &caller).await?))
}

/// The Manager chooses a camera's site from the police station's crime information (N4.1), or
/// chooses it again while the camera is planned.
///
/// `site_fixed` (403, N4.1) once the camera is installed; `camera_removed` (403, T7.2);
/// `invalid_input` (400) naming the field (a view out of range, a basis date in the future).
#[utoipa::path(post, path = "/api/v1/register/sites", tag = "register",
    extensions(("x-rule" = json!("N4.1"))),
    request_body = SiteInput,
    responses((status = 201, description = "The site is recorded; the camera is planned.")))]
pub(crate) async fn choose_site(
    State(office): State<Shared>,
    caller: Caller,
    Body(input): Body<SiteInput>,
) -> Result<StatusCode, ApiError> {
    workflow::register::choose_site(&office, &caller, input).await?;
    Ok(StatusCode::CREATED)
}

/// A camera's name, view, height and privacy notes recorded anew (Manager, Operations lead).
#[utoipa::path(post, path = "/api/v1/register/cameras/{id}/details", tag = "register",
    extensions(("x-rule" = json!("T2.1"))),
    params(("id" = String, Path, description = "The camera's id.")),
    request_body = DetailsInput,
    responses((status = 204, description = "Recorded."),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn record_details(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<DetailsInput>,
) -> Result<StatusCode, ApiError> {
    workflow::register::record_details(&office, &caller, &id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The camera was mounted on `on` (Manager, Operations lead); `already_installed` (403, T2.1).
#[utoipa::path(post, path = "/api/v1/register/cameras/{id}/installed", tag = "register",
    extensions(("x-rule" = json!("T2.1"))),
    params(("id" = String, Path, description = "The camera's id.")),
    request_body = DatedInput,
    responses((status = 204, description = "Recorded."),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn install(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<DatedInput>,
) -> Result<StatusCode, ApiError> {
    workflow::register::install(&office, &caller, &id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The camera records for the ward from `on` (Manager, Operations lead). `no_sign` (403, N4.2)
/// unless a standing sign tells of it; `not_installed` (403, T2.1).
#[utoipa::path(post, path = "/api/v1/register/cameras/{id}/operation", tag = "register",
    extensions(("x-rule" = json!("N4.2"))),
    params(("id" = String, Path, description = "The camera's id.")),
    request_body = DatedInput,
    responses((status = 204, description = "Recorded."),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn start_operation(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<DatedInput>,
) -> Result<StatusCode, ApiError> {
    workflow::register::start_operation(&office, &caller, &id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The Manager ends a camera's operation (T7.2): it comes down on `on` with every sign that
/// told of it alone. A removed camera's record stays; `camera_removed` (403) a second time.
#[utoipa::path(post, path = "/api/v1/register/cameras/{id}/removal", tag = "register",
    extensions(("x-rule" = json!("T7.2"))),
    params(("id" = String, Path, description = "The camera's id.")),
    request_body = RemovalInput,
    responses((status = 200, description = "The signs removed with it.", body = Removed),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn remove_camera(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<RemovalInput>,
) -> Result<Json<Removed>, ApiError> {
    Ok(Json(
        workflow::register::remove_camera(&office, &caller, &id, input).await?,
    ))
}

/// A sign placed (Manager, Operations lead). `sign_text` (403, T2.2) unless the text contains
/// 防犯カメラ and the ward's name; each camera must be in the register and not removed.
#[utoipa::path(post, path = "/api/v1/register/signs", tag = "register",
    extensions(("x-rule" = json!("T2.2"))),
    request_body = SignInput,
    responses((status = 201, description = "The sign's number.", body = SignPlacedOut),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn place_sign(
    State(office): State<Shared>,
    caller: Caller,
    Body(input): Body<SignInput>,
) -> Result<(StatusCode, Json<SignPlacedOut>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workflow::register::place_sign(&office, &caller, input).await?),
    ))
}

/// A sign taken down or found gone (Manager, Operations lead). A camera in operation it leaves
/// with no sign gets a `sign_missing` alert (N4.2), listed in the answer.
#[utoipa::path(post, path = "/api/v1/register/signs/{id}/removal", tag = "register",
    extensions(("x-rule" = json!("T7.2"))),
    params(("id" = i64, Path, description = "The sign's number.")),
    request_body = RemovalInput,
    responses((status = 200, description = "What it left unsigned.", body = Removed),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn remove_sign(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(input): Body<RemovalInput>,
) -> Result<Json<Removed>, ApiError> {
    Ok(Json(
        workflow::register::remove_sign(&office, &caller, id, input).await?,
    ))
}
