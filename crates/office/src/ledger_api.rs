//! The ledger's public routes (N3.2.1, N9.3, T5): signed checkpoints, the ward's public keys,
//! and RFC 6962 proofs. No authentication: they reveal hashes, never events, so anyone can keep
//! copies of the checkpoints and later hold the ward to them.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::prelude::{Engine, BASE64_STANDARD};
use mimamori_db::{from_us, CheckpointRow, DbError};
use mimamori_ledger::Hash;
use mimamori_recorder::RecorderContext;
use serde::{Deserialize, Serialize};

use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::openapi::shared;

type Ctx = State<Arc<RecorderContext>>;

pub fn routes() -> Router<crate::Shared> {
    Router::new()
        .route("/api/v1/ledger/checkpoint", get(latest_checkpoint))
        .route("/api/v1/ledger/checkpoints", get(checkpoints))
        .route("/api/v1/ledger/keys", get(keys))
        .route("/api/v1/ledger/proof/inclusion", get(inclusion))
        .route("/api/v1/ledger/proof/consistency", get(consistency))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t).map_err(|e| {
        ApiError::bad_request(
            "bad_query",
            format!("bad query parameters: {e}"),
            format!("クエリパラメータが不正です: {e}"),
        )
    })
}

fn b64(h: &Hash) -> String {
    BASE64_STANDARD.encode(h.0)
}

/// A database refusal of a proof request (sizes out of range) is the caller's mistake.
fn proof_error(e: DbError) -> ApiError {
    match e {
        DbError::Invalid(msg) => {
            ApiError::bad_request("bad_proof_request", msg, "証明の範囲が台帳の範囲外です")
        }
        e => ApiError::internal(e),
    }
}

/// The latest signed checkpoint as a C2SP signed note.
///
/// `no_checkpoint` (404) until the first checkpoint is signed.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger", security(()),
    extensions(("x-rule" = json!("N3.2.1"))),
    responses((status = 200, description = "The signed note.", content_type = "text/plain", body = String),
        (status = 404, response = shared::NotFound)))]
pub(crate) async fn latest_checkpoint(State(ctx): Ctx) -> Result<Response, ApiError> {
    let latest = ctx
        .db
        .latest_checkpoint()
        .await
        .map_err(ApiError::internal)?;
    let cp = latest.ok_or_else(|| {
        ApiError::not_found(
            "no_checkpoint",
            "no checkpoint has been signed yet",
            "署名済みチェックポイントはまだありません",
        )
    })?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        cp.note,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Page {
    /// Only checkpoints with an id above this.
    #[serde(default)]
    #[param(minimum = 0, default = 0)]
    after: i64,
    /// At most this many.
    #[serde(default = "default_limit")]
    #[param(minimum = 1, maximum = 10000, default = 1000)]
    limit: i64,
}

fn default_limit() -> i64 {
    1000
}

/// A checkpoint the ward signed (N3.2.1).
#[derive(Serialize, ToSchema)]
#[schema(as = Checkpoint)]
pub(crate) struct CheckpointJson {
    id: i64,
    /// The number of ledger events it covers.
    size: i64,
    /// The RFC 6962 root of those events (base64).
    root_hash: String,
    time: jiff::Timestamp,
    /// The C2SP signed note.
    signed_note: String,
}

/// A page of checkpoints.
#[derive(Serialize, ToSchema)]
pub(crate) struct Checkpoints {
    /// The ledger's origin line (the ward's name for its log).
    origin: String,
    checkpoints: Vec<CheckpointJson>,
}

/// A key the ward signs checkpoints with.
#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerKey {
    /// The C2SP verifier key.
    verifier_key: String,
    created: jiff::Timestamp,
    retired: Option<jiff::Timestamp>,
}

/// The ward's keys, current and retired.
#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerKeys {
    keys: Vec<LedgerKey>,
}

/// RFC 6962 §2.1.1: the audit path of a leaf.
#[derive(Serialize, ToSchema)]
pub(crate) struct InclusionProof {
    index: u64,
    size: u64,
    /// The root of the tree of `size` leaves (base64).
    root_hash: String,
    /// The audit path, leaf side first (base64 hashes).
    proof: Vec<String>,
}

/// RFC 6962 §2.1.2: the proof that one tree is a prefix of another.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConsistencyProof {
    old: u64,
    new: u64,
    /// Base64 hashes.
    proof: Vec<String>,
}

impl From<CheckpointRow> for CheckpointJson {
    fn from(c: CheckpointRow) -> Self {
        CheckpointJson {
            id: c.id,
            size: c.size,
            root_hash: BASE64_STANDARD.encode(&c.root),
            time: from_us(c.time_us),
            signed_note: c.note,
        }
    }
}

/// Every checkpoint the ward signed, oldest first.
///
/// `bad_query` or `bad_page` (400) for parameters out of range.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoints", tag = "ledger", security(()),
    extensions(("x-rule" = json!("N3.2.1"))),
    params(Page),
    responses((status = 200, description = "A page of checkpoints.", body = Checkpoints),
        (status = 400, response = shared::BadRequest)))]
pub(crate) async fn checkpoints(
    State(ctx): Ctx,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Checkpoints>, ApiError> {
    let page = query(q)?;
    if !(1..=10_000).contains(&page.limit) || page.after < 0 {
        return Err(ApiError::bad_request(
            "bad_page",
            "limit must be 1–10000 and after ≥ 0",
            "limit は1〜10000、after は0以上で指定してください",
        ));
    }
    let rows = ctx.db.checkpoints(page.after, page.limit).await;
    let rows: Vec<CheckpointJson> = rows
        .map_err(ApiError::internal)?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(Checkpoints {
        origin: ctx.policy.ledger.origin.clone(),
        checkpoints: rows,
    }))
}

/// The ward's public keys, current and retired.
#[utoipa::path(get, path = "/api/v1/ledger/keys", tag = "ledger", security(()),
    extensions(("x-rule" = json!("N3.2.1"))),
    responses((status = 200, description = "The keys.", body = LedgerKeys)))]
pub(crate) async fn keys(State(ctx): Ctx) -> Result<Json<LedgerKeys>, ApiError> {
    let keys = ctx.db.ledger_keys().await.map_err(ApiError::internal)?;
    let keys = keys
        .into_iter()
        .map(|k| LedgerKey {
            verifier_key: k.verifier_key,
            created: from_us(k.created_us),
            retired: k.retired_us.map(from_us),
        })
        .collect();
    Ok(Json(LedgerKeys { keys }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InclusionQuery {
    /// Leaf index (event id − 1).
    index: u64,
    /// Tree size.
    size: u64,
}

/// RFC 6962 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves.
///
/// `bad_query` or `bad_proof_request` (400) when the parameters are missing or out of range.
#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", tag = "ledger", security(()),
    extensions(("x-rule" = json!("N3.2.1"))),
    params(InclusionQuery),
    responses((status = 200, description = "The proof.", body = InclusionProof),
        (status = 400, response = shared::BadRequest)))]
pub(crate) async fn inclusion(
    State(ctx): Ctx,
    q: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<InclusionProof>, ApiError> {
    let q = query(q)?;
    let proof = ctx.db.inclusion_proof(q.index, q.size).await;
    let proof = proof.map_err(proof_error)?;
    let root = ctx
        .db
        .ledger_root(q.size)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(InclusionProof {
        index: q.index,
        size: q.size,
        root_hash: b64(&root),
        proof: proof.iter().map(b64).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConsistencyQuery {
    /// The older tree size.
    old: u64,
    /// The newer tree size.
    new: u64,
}

/// RFC 6962 consistency proof that the tree of `old` leaves is a prefix of the tree of `new`
/// leaves.
///
/// `bad_query` or `bad_proof_request` (400) when the parameters are missing or out of range.
#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", tag = "ledger", security(()),
    extensions(("x-rule" = json!("N3.2.1"))),
    params(ConsistencyQuery),
    responses((status = 200, description = "The proof.", body = ConsistencyProof),
        (status = 400, response = shared::BadRequest)))]
pub(crate) async fn consistency(
    State(ctx): Ctx,
    q: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let q = query(q)?;
    let proof = ctx.db.consistency_proof(q.old, q.new).await;
    let proof = proof.map_err(proof_error)?;
    Ok(Json(ConsistencyProof {
        old: q.old,
        new: q.new,
        proof: proof.iter().map(b64).collect(),
    }))
}
