//! Routes for the paper forms as PDF (issue 13): 様式第1号, 様式第2号, 様式第3号 and the
//! delegation's written confirmation. Each print is on the ledger with the PDF's SHA-256, which
//! the answer's `ETag` carries too.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use mimamori_policy::{DelegationId, RequestId};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::shared;
use crate::wire::Form1Query;
use crate::workflow::documents::{self, Pdf};
use crate::Shared;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/form1/pdf", get(form1))
        .route("/api/v1/requests/{id}/form2", get(form2))
        .route("/api/v1/requests/{id}/form3", get(form3))
        .route("/api/v1/delegations/{id}/confirmation", get(delegation))
}

/// 様式第1号 as PDF/A-2b (landscape A4), over the rows the same filters as `GET /api/v1/form1`
/// keep. Printing the same rows again gives the same bytes.
#[utoipa::path(get, path = "/api/v1/form1/pdf", tag = "form1",
    extensions(("x-rule" = json!("N9.3"))),
    params(Form1Query),
    responses((status = 200, description = "The register as PDF.", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, response = shared::BadRequest)))]
pub(crate) async fn form1(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<Form1Query>,
) -> Result<Pdf, ApiError> {
    documents::form1_pdf(&office, &caller, q).await
}

/// 様式第2号 for an outside body's request, prefilled for the body to check and sign.
///
/// `no_such_form` (400) for a request of another kind; `unknown_request` (404).
#[utoipa::path(get, path = "/api/v1/requests/{id}/form2", tag = "outside",
    extensions(("x-rule" = json!("N10.1"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    responses((status = 200, description = "Form 2 as PDF.", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, response = shared::BadRequest),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn form2(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Pdf, ApiError> {
    documents::form2_pdf(&office, &caller, id).await
}

/// 様式第3号 for an emergency retrieval, prefilled for the delegated body to sign and send.
///
/// `no_such_form` (400) for a request of another kind; `unknown_request` (404).
#[utoipa::path(get, path = "/api/v1/requests/{id}/form3", tag = "outside",
    extensions(("x-rule" = json!("N11.2"))),
    params(("id" = RequestId, Path, description = "The request number.")),
    responses((status = 200, description = "Form 3 as PDF.", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, response = shared::BadRequest),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn form3(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<RequestId>,
) -> Result<Pdf, ApiError> {
    documents::form3_pdf(&office, &caller, id).await
}

/// The written confirmation of a delegation (N10.2), for the Manager to sign and send.
///
/// `unknown_delegation` (404).
#[utoipa::path(get, path = "/api/v1/delegations/{id}/confirmation", tag = "outside",
    extensions(("x-rule" = json!("N10.2"))),
    params(("id" = DelegationId, Path, description = "The delegation's number.")),
    responses((status = 200, description = "The confirmation as PDF.", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn delegation(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<DelegationId>,
) -> Result<Pdf, ApiError> {
    documents::delegation_pdf(&office, &caller, id).await
}
