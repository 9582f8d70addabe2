//! The route for alerts in full (N12: the public health page only counts those about
//! retrievals).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use mimamori_db::AlertRow;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::{workflow, Shared};

pub fn routes() -> Router<Shared> {
    Router::new().route("/api/v1/alerts", get(list))
}

/// `GET /api/v1/alerts`: open alerts first, newest first, in full.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<AlertRow>>, ApiError> {
    Ok(Json(workflow::alerts::list_alerts(&office, &caller).await?))
}
