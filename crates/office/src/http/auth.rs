//! Routes for signing in (N3.3.1) and the signed-in person's own settings; the bearer token
//! of every other route becomes a [`Caller`] here.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use mimamori_db::from_us;
use mimamori_policy::Rule;

use crate::auth::{pledge_sha256, Caller, PLEDGE_EN, PLEDGE_JA};
use crate::error::{ApiError, Body};
use crate::wire::{Acknowledge, Code, Me, NewPassword, SignIn, SignedIn};
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/sessions", post(sign_in).delete(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route(
            "/api/v1/me/pledge",
            get(pledge_text).post(acknowledge_pledge),
        )
        .route("/api/v1/me/totp", post(start_totp))
        .route("/api/v1/me/totp/confirm", post(confirm_totp))
}

/// `POST /api/v1/sessions`: sign in. Every sign-in and every refusal is an event (N3.3.1).
async fn sign_in(
    State(office): State<Shared>,
    Body(req): Body<SignIn>,
) -> Result<Json<SignedIn>, ApiError> {
    Ok(Json(workflow::signin::sign_in(&office, req).await?))
}

/// `DELETE /api/v1/sessions`: sign out.
async fn sign_out(State(office): State<Shared>, caller: Caller) -> Result<StatusCode, ApiError> {
    workflow::signin::sign_out(&office, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/me/password`: the periodic change (N3.3.1). Other sessions end.
async fn change_password(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<NewPassword>,
) -> Result<StatusCode, ApiError> {
    workflow::signin::change_password(&office, &caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/me/pledge`: N12, T3.4.
async fn acknowledge_pledge(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Acknowledge>,
) -> Result<StatusCode, ApiError> {
    workflow::signin::acknowledge_pledge(&office, &caller, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/me/totp`: a new TOTP secret for the caller's authenticator app (N3.3.1). It
/// takes effect once a code from the app confirms it.
async fn start_totp(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(workflow::signin::start_totp(&office, &caller).await?))
}

/// `POST /api/v1/me/totp/confirm`: a code from the app switches the second factor on; every
/// later sign-in needs one.
async fn confirm_totp(
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

/// `GET /api/v1/me`.
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        login: caller.staff.login.clone(),
        name: caller.staff.name.clone(),
        roles: caller.roles.clone(),
        pledged: caller.pledged,
        password_change_due: caller.password_due,
        password_changed: from_us(caller.staff.password_changed_us).to_string(),
    })
}

/// `GET /api/v1/me/pledge`: the text to acknowledge.
async fn pledge_text() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "rule": Rule::N12,
        "ja": PLEDGE_JA,
        "en": PLEDGE_EN,
        "sha256": pledge_sha256(),
    }))
}
