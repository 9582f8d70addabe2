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

/// Alerts in full: open ones first, newest first.
///
/// The public health page shows alerts about retrievals (emergency retrievals, overdue Form 3s,
/// history mismatches) only as counts; their camera, time and request number are here, for
/// staff who may read the records (N12).
#[utoipa::path(get, path = "/api/v1/alerts", operation_id = "list_alerts", tag = "outside",
    extensions(("x-rule" = json!("N12"))),
    responses((status = 200, description = "The alerts.", body = Vec<AlertRow>)))]
pub(crate) async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<AlertRow>>, ApiError> {
    Ok(Json(workflow::alerts::list_alerts(&office, &caller).await?))
}
