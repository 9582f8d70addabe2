//! Routes of inquiries and complaints (issue 14; T3.3 c, T8, T6.1 d): two public ones (send,
//! and see the status with the receipt's secret) and the staff's. Each handler extracts, calls
//! its step in `crate::workflow::inquiry_form` or `crate::workflow::inquiries`, and responds.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::throttle::Peer;
use crate::wire::inquiries::{
    AssignInput, InquiryInput, InquiryOut, OwnFootageInput, PublicStatus, StatusInput, Submitted,
    TextInput,
};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/inquiries", get(list).post(submit))
        .route("/api/v1/inquiries/status", post(status))
        .route("/api/v1/inquiries/{receipt}", get(show))
        .route("/api/v1/inquiries/{receipt}/assignment", post(assign))
        .route("/api/v1/inquiries/{receipt}/notes", post(note))
        .route("/api/v1/inquiries/{receipt}/answers", post(answer))
        .route(
            "/api/v1/inquiries/{receipt}/provision",
            post(start_provision),
        )
        .route("/api/v1/inquiries/{receipt}/closing", post(close))
        .route("/api/v1/inquiries/{receipt}/dismissal", post(dismiss))
}

/// Send an inquiry, a complaint or a request to see footage of oneself (T3.3 c); no account.
///
/// The answer holds the receipt number and a secret that opens the status page; the secret is
/// shown this once. `invalid_input` (400) naming the field (a message over 2000 characters, a
/// contact over 200); `honeypot` (400) when the hidden `website` field is filled in;
/// `too_many_messages` (429) past the policy's messages per address and hour.
#[utoipa::path(post, path = "/api/v1/inquiries", tag = "inquiries", security(()),
    extensions(("x-rule" = json!("T3.3"))),
    request_body = InquiryInput,
    responses((status = 201, description = "Received.", body = Submitted),
        (status = 429, description = "`too_many_messages`.", body = crate::error::ErrorBody)))]
pub(crate) async fn submit(
    State(office): State<Shared>,
    peer: Option<Extension<Peer>>,
    Body(input): Body<InquiryInput>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let peer = peer.map(|Extension(p)| p);
    let submitted = workflow::inquiry_form::submit(&office, input, peer).await?;
    Ok((StatusCode::CREATED, Json(submitted)))
}

/// The state of one's inquiry and the ward's answers, with the receipt number and its secret.
///
/// `unknown_receipt` (404) for a wrong number or secret alike; `too_many_messages` (429) past
/// the sign-in rate per address.
#[utoipa::path(post, path = "/api/v1/inquiries/status", tag = "inquiries", security(()),
    extensions(("x-rule" = json!("T8"))),
    request_body = StatusInput,
    responses((status = 200, description = "The status.", body = PublicStatus),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn status(
    State(office): State<Shared>,
    peer: Option<Extension<Peer>>,
    Body(input): Body<StatusInput>,
) -> Result<Json<PublicStatus>, ApiError> {
    let peer = peer.map(|Extension(p)| p);
    Ok(Json(
        workflow::inquiry_form::status(&office, input, peer).await?,
    ))
}

/// Every inquiry, open ones first (Manager, Operations lead, Auditor).
#[utoipa::path(get, path = "/api/v1/inquiries", operation_id = "list_inquiries",
    tag = "inquiries", extensions(("x-rule" = json!("T3.3"))),
    responses((status = 200, description = "The inquiries.", body = Vec<InquiryOut>)))]
pub(crate) async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<InquiryOut>>, ApiError> {
    Ok(Json(workflow::inquiries::list(&office, &caller).await?))
}

/// One inquiry with its notes and answers.
#[utoipa::path(get, path = "/api/v1/inquiries/{receipt}", tag = "inquiries",
    extensions(("x-rule" = json!("T3.3"))),
    params(("receipt" = String, Path, description = "The receipt number, 2026-00042.")),
    responses((status = 200, description = "The inquiry.", body = InquiryOut),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Result<Json<InquiryOut>, ApiError> {
    Ok(Json(
        workflow::inquiries::show(&office, &caller, &receipt).await?,
    ))
}

/// The Manager gives the inquiry to a Manager or Operations lead to answer (T8).
#[utoipa::path(post, path = "/api/v1/inquiries/{receipt}/assignment", tag = "inquiries",
    extensions(("x-rule" = json!("T8"))),
    params(("receipt" = String, Path, description = "The receipt number.")),
    request_body = AssignInput,
    responses((status = 200, description = "Assigned.", body = InquiryOut),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn assign(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
    Body(input): Body<AssignInput>,
) -> Result<Json<InquiryOut>, ApiError> {
    let out = workflow::inquiries::assign(&office, &caller, &receipt, input).await?;
    Ok(Json(out))
}

/// An internal note; the person does not see it (T3.3 c).
#[utoipa::path(post, path = "/api/v1/inquiries/{receipt}/notes", tag = "inquiries",
    extensions(("x-rule" = json!("T3.3"))),
    params(("receipt" = String, Path, description = "The receipt number.")),
    request_body = TextInput,
    responses((status = 200, description = "Noted.", body = InquiryOut),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn note(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
    Body(input): Body<TextInput>,
) -> Result<Json<InquiryOut>, ApiError> {
    let out = workflow::inquiries::note(&office, &caller, &receipt, input).await?;
    Ok(Json(out))
}

/// An answer the person sees on their status page (T8).
///
/// `own_footage_is_a_provision` (403, T6.1 d) for a request to see footage of oneself: start a
/// provision request instead; `inquiry_closed` (403, T8).
#[utoipa::path(post, path = "/api/v1/inquiries/{receipt}/answers", tag = "inquiries",
    extensions(("x-rule" = json!("T8"))),
    params(("receipt" = String, Path, description = "The receipt number.")),
    request_body = TextInput,
    responses((status = 200, description = "Answered.", body = InquiryOut),
        (status = 403, response = shared::Forbidden),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn answer(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
    Body(input): Body<TextInput>,
) -> Result<Json<InquiryOut>, ApiError> {
    let out = workflow::inquiries::answer(&office, &caller, &receipt, input).await?;
    Ok(Json(out))
}

/// A request to see footage of oneself becomes a provision request on the person's consent
/// (T6.1 d), with their identity checked (T6.2); it waits for the Manager's decision (N10.1).
///
/// `not_own_footage` (403, T6.1 d) for another category; `provision_started` (403) the second
/// time.
#[utoipa::path(post, path = "/api/v1/inquiries/{receipt}/provision", tag = "inquiries",
    extensions(("x-rule" = json!("T6.1d"))),
    params(("receipt" = String, Path, description = "The receipt number.")),
    request_body = OwnFootageInput,
    responses((status = 200, description = "The provision request is registered.", body = InquiryOut),
        (status = 403, response = shared::Forbidden),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn start_provision(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
    Body(input): Body<OwnFootageInput>,
) -> Result<Json<InquiryOut>, ApiError> {
    let out = workflow::inquiries::start_provision(&office, &caller, &receipt, input).await?;
    Ok(Json(out))
}

/// The Manager closes an answered inquiry (T8); `not_answered` (403) before an answer.
#[utoipa::path(post, path = "/api/v1/inquiries/{receipt}/closing", tag = "inquiries",
    extensions(("x-rule" = json!("T8"))),
    params(("receipt" = String, Path, description = "The receipt number.")),
    responses((status = 200, description = "Closed.", body = InquiryOut),
        (status = 403, response = shared::Forbidden),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn close(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Result<Json<InquiryOut>, ApiError> {
    Ok(Json(
        workflow::inquiries::close(&office, &caller, &receipt).await?,
    ))
}

/// The Manager closes an inquiry with a last answer the person sees, whatever it waited for:
/// a message that needs nothing more, an own-footage request whose person never came to the
/// counter (T6.1 d), a provision request that was declined (T8).
#[utoipa::path(post, path = "/api/v1/inquiries/{receipt}/dismissal", tag = "inquiries",
    extensions(("x-rule" = json!("T8"))),
    params(("receipt" = String, Path, description = "The receipt number.")),
    request_body = TextInput,
    responses((status = 200, description = "Answered and closed.", body = InquiryOut),
        (status = 403, response = shared::Forbidden),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn dismiss(
    State(office): State<Shared>,
    caller: Caller,
    Path(receipt): Path<String>,
    Body(input): Body<TextInput>,
) -> Result<Json<InquiryOut>, ApiError> {
    let out = workflow::inquiries::dismiss(&office, &caller, &receipt, input).await?;
    Ok(Json(out))
}
