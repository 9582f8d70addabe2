//! Routes for signing in (N3.3.1) and the signed-in person's own settings; the bearer token
//! of every other route becomes a [`Caller`] here.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use mimamori_policy::Rule;

use crate::auth::{pledge_sha256, Caller, PLEDGE_EN, PLEDGE_JA};
use crate::error::{ApiError, Body};
use crate::openapi::shared;
use crate::throttle::Peer;
use crate::wire::{
    Acknowledge, Code, EndedSessions, Enrol, Me, NewPassword, Pledge, SessionView, SignIn,
    SignedIn, TotpSecret,
};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/sessions", post(sign_in).delete(sign_out))
        .route("/api/v1/enrol", post(enrol))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route(
            "/api/v1/me/pledge",
            get(pledge_text).post(acknowledge_pledge),
        )
        .route("/api/v1/me/sessions", get(my_sessions))
        .route("/api/v1/me/sessions/end-others", post(sign_out_elsewhere))
        .route("/api/v1/me/totp", post(start_totp))
        .route("/api/v1/me/totp/confirm", post(confirm_totp))
}

/// Sign in.
///
/// `too_many_attempts` (429) beyond the policy's `signin_attempts_per_minute` from one address
/// (only the first of the minute is recorded). Every other sign-in and refusal is recorded.
/// `bad_credentials` (401) for a wrong login,
/// password or TOTP code; `account_locked` (403) after repeated failures.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "account", security(()),
    extensions(("x-rule" = json!("N3.3.1"))),
    request_body = SignIn,
    responses((status = 200, description = "Signed in.", body = SignedIn),
        (status = 401, response = shared::Unauthorized),
        (status = 403, response = shared::Forbidden),
        (status = 429, description = "`too_many_attempts`.", body = crate::error::ErrorBody)))]
pub(crate) async fn sign_in(
    State(office): State<Shared>,
    peer: Option<Extension<Peer>>,
    Body(req): Body<SignIn>,
) -> Result<Json<SignedIn>, ApiError> {
    let peer = peer.map(|Extension(p)| p);
    Ok(Json(workflow::signin::sign_in(&office, req, peer).await?))
}

/// Set one's own first password with the enrolment code.
///
/// No session is needed. The code is the one the Administrator handed over when the account
/// was opened; it works once, before it expires. A wrong code counts towards the account's
/// lockout like a wrong password and is answered `enrolment_refused` (401), as is a used or
/// expired one; `account_locked` (403); `invalid_input` (400, N3.3.1) for a password too short
/// or equal to the login. Then sign in; the pledge comes first (N12).
#[utoipa::path(post, path = "/api/v1/enrol", tag = "account", security(()),
    extensions(("x-rule" = json!("N3.3.1"))),
    request_body = Enrol,
    responses((status = 204, description = "The password is set; sign in with it."),
        (status = 401, response = shared::Unauthorized),
        (status = 403, response = shared::Forbidden),
        (status = 429, description = "`too_many_attempts`, as for sign-in.", body = crate::error::ErrorBody)))]
pub(crate) async fn enrol(
    State(office): State<Shared>,
    peer: Option<Extension<Peer>>,
    Body(req): Body<Enrol>,
) -> Result<StatusCode, ApiError> {
    workflow::enrolment::enrol(&office, req, peer.map(|Extension(p)| p)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out.
#[utoipa::path(delete, path = "/api/v1/sessions", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    responses((status = 204, description = "Done.")))]
pub(crate) async fn sign_out(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    workflow::signin::sign_out(&office, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change one's own password; other sessions end.
///
/// `bad_credentials` (401) when `current` is wrong.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    request_body = NewPassword,
    responses((status = 204, description = "Done.")))]
pub(crate) async fn change_password(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<NewPassword>,
) -> Result<StatusCode, ApiError> {
    workflow::signin::change_password(&office, &caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Acknowledge the confidentiality pledge (N12, T3.4).
///
/// `invalid_input` (400) when `sha256` is not the hash of the current text. Acknowledging again
/// is a no-op.
#[utoipa::path(post, path = "/api/v1/me/pledge", tag = "account",
    extensions(("x-rule" = json!("N12"))),
    request_body = Acknowledge,
    responses((status = 204, description = "Done.")))]
pub(crate) async fn acknowledge_pledge(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Acknowledge>,
) -> Result<StatusCode, ApiError> {
    workflow::signin::acknowledge_pledge(&office, &caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's open sessions, newest first; `this` marks the one the request came with.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    responses((status = 200, description = "The open sessions.", body = Vec<SessionView>)))]
pub(crate) async fn my_sessions(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    Ok(Json(
        workflow::sessions::my_sessions(&office, &caller).await?,
    ))
}

/// End every other session of the caller (a browser left signed in elsewhere).
#[utoipa::path(post, path = "/api/v1/me/sessions/end-others", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    responses((status = 200, description = "How many ended.", body = EndedSessions)))]
pub(crate) async fn sign_out_elsewhere(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<EndedSessions>, ApiError> {
    Ok(Json(
        workflow::sessions::sign_out_elsewhere(&office, &caller).await?,
    ))
}

/// Start setting up a TOTP second factor: a new secret for an authenticator app.
///
/// The secret takes effect once a code confirms it (POST /api/v1/me/totp/confirm); a second
/// factor in force stays in force until then.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    responses((status = 200, description = "The secret (base32) and an otpauth:// URI.", body = TotpSecret)))]
pub(crate) async fn start_totp(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<TotpSecret>, ApiError> {
    Ok(Json(workflow::signin::start_totp(&office, &caller).await?))
}

/// Confirm the TOTP secret with a code; later sign-ins need a code.
///
/// When a second factor is already in force, `current` must be a code from it.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    request_body = Code,
    responses((status = 204, description = "The second factor is on."),
        (status = 409, response = shared::Conflict)))]
pub(crate) async fn confirm_totp(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Code>,
) -> Result<StatusCode, ApiError> {
    workflow::signin::confirm_totp(&office, &caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, office: &Shared) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthenticated)?;
        Caller::for_session(office, token).await
    }
}

/// The signed-in person, their roles, and whether the pledge and password are in order.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    extensions(("x-rule" = json!("N3.3.1"))),
    responses((status = 200, description = "The caller.", body = Me)))]
pub(crate) async fn me(State(office): State<Shared>, caller: Caller) -> Result<Json<Me>, ApiError> {
    Ok(Json(workflow::signin::me(&office, &caller).await?))
}

/// The confidentiality pledge text to acknowledge.
///
/// No authentication: the text is the same for everyone.
#[utoipa::path(get, path = "/api/v1/me/pledge", tag = "account", security(()),
    extensions(("x-rule" = json!("N12"))),
    responses((status = 200, description = "The pledge.", body = Pledge)))]
pub(crate) async fn pledge_text() -> Json<Pledge> {
    Json(Pledge {
        rule: Rule::N12,
        ja: PLEDGE_JA.to_owned(),
        en: PLEDGE_EN.to_owned(),
        sha256: pledge_sha256(),
    })
}
