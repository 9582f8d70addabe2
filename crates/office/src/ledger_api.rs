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

use crate::error::ApiError;

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

/// `GET /api/v1/ledger/checkpoint`: the latest signed checkpoint as a C2SP signed note.
async fn latest_checkpoint(State(ctx): Ctx) -> Result<Response, ApiError> {
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

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    1000
}

#[derive(Serialize)]
struct CheckpointJson {
    id: i64,
    size: i64,
    root_hash: String,
    time: jiff::Timestamp,
    signed_note: String,
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

/// `GET /api/v1/ledger/checkpoints?after=ID&limit=N`: every checkpoint the ward signed.
async fn checkpoints(
    State(ctx): Ctx,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(serde_json::json!({
        "origin": ctx.policy.ledger.origin,
        "checkpoints": rows,
    })))
}

/// `GET /api/v1/ledger/keys`: the ward's public keys, current and retired.
async fn keys(State(ctx): Ctx) -> Result<Json<serde_json::Value>, ApiError> {
    let keys = ctx.db.ledger_keys().await.map_err(ApiError::internal)?;
    let keys: Vec<_> = keys
        .into_iter()
        .map(|k| {
            serde_json::json!({
                "verifier_key": k.verifier_key,
                "created": from_us(k.created_us),
                "retired": k.retired_us.map(from_us),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "keys": keys })))
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

/// `GET /api/v1/ledger/proof/inclusion?index=I&size=N`: RFC 6962 §2.1.1 audit path of leaf I
/// in the tree of N leaves.
async fn inclusion(
    State(ctx): Ctx,
    q: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let proof = ctx.db.inclusion_proof(q.index, q.size).await;
    let proof = proof.map_err(proof_error)?;
    let root = ctx
        .db
        .ledger_root(q.size)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({
        "index": q.index,
        "size": q.size,
        "root_hash": b64(&root),
        "proof": proof.iter().map(b64).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

/// `GET /api/v1/ledger/proof/consistency?old=M&new=N`: RFC 6962 §2.1.2 proof that the tree of
/// M leaves is a prefix of the tree of N leaves.
async fn consistency(
    State(ctx): Ctx,
    q: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let proof = ctx.db.consistency_proof(q.old, q.new).await;
    let proof = proof.map_err(proof_error)?;
    Ok(Json(serde_json::json!({
        "old": q.old,
        "new": q.new,
        "proof": proof.iter().map(b64).collect::<Vec<_>>(),
    })))
}
