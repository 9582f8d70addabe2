//! A request row exactly as SQLite holds it, and its parse into [`RequestRow`]: enums for the
//! kind and state, the ledger vocabulary's structs for the JSON columns, and the further
//! cameras of its instruction. A value this release does not know is [`DbError::Corrupt`].

use mimamori_policy::chain::{RequestKind, RequestState};
use mimamori_policy::{CameraId, RequestId, TerminalId};
use serde::{de::DeserializeOwned, Serialize};
use sqlx::AnyConnection;

use super::{cameras, CameraScope, Closing, Instruction, Origin, RequestRow};
use crate::{DbError, Engine, Result};

/// The row exactly as SQLite holds it; [`RequestRow`] is what the rest of mimamori sees.
#[derive(sqlx::FromRow)]
pub(super) struct StoredRequest {
    id: RequestId,
    kind: String,
    state: String,
    purpose: String,
    basis: String,
    reason: String,
    provision: Option<String>,
    created_by: String,
    created_us: i64,
    ordered_by: Option<String>,
    ordered_us: Option<i64>,
    camera_id: Option<String>,
    start_us: Option<i64>,
    end_us: Option<i64>,
    handler: Option<String>,
    terminal_id: Option<TerminalId>,
    instruction_expires_us: Option<i64>,
    instructed_by: Option<String>,
    instructed_us: Option<i64>,
    retrieved_by: Option<String>,
    retrieved_us: Option<i64>,
    retrieval: Option<String>,
    reported_us: Option<i64>,
    report: Option<String>,
    closed_us: Option<i64>,
    closing: Option<String>,
    form3_alert_id: Option<i64>,
    further_cameras: String,
}

impl TryFrom<StoredRequest> for RequestRow {
    type Error = DbError;

    fn try_from(r: StoredRequest) -> Result<RequestRow> {
        let id = r.id;
        let corrupt = |error: String| DbError::Corrupt {
            record: format!("request {id}"),
            error,
        };
        let kind = RequestKind::try_from(r.kind).map_err(|e| corrupt(e.to_string()))?;
        let state = RequestState::try_from(r.state).map_err(|e| corrupt(e.to_string()))?;
        let instruction = match (
            r.camera_id,
            r.start_us,
            r.end_us,
            r.handler,
            r.terminal_id,
            r.instruction_expires_us,
            r.instructed_by,
        ) {
            (
                Some(camera_id),
                Some(s),
                Some(e),
                Some(handler),
                Some(terminal_id),
                Some(x),
                Some(by),
            ) => Some(Instruction {
                cameras: std::iter::once(Ok(CameraScope {
                    camera: CameraId::new(&camera_id).map_err(corrupt)?,
                    start: crate::from_us(s),
                    end: crate::from_us(e),
                }))
                .chain(
                    cameras::parse_further(&r.further_cameras)
                        .map_err(corrupt)?
                        .into_iter()
                        .map(Ok),
                )
                .collect::<Result<_>>()?,
                handler,
                terminal_id,
                expires: crate::from_us(x),
                instructed_by: by,
            }),
            (None, None, None, None, None, None, None) if r.further_cameras == "[]" => None,
            _ => return Err(corrupt("an instruction with columns missing".into())),
        };
        Ok(RequestRow {
            id,
            kind,
            state,
            purpose: r.purpose,
            basis: from_column(&r.basis).map_err(corrupt)?,
            reason: r.reason,
            origin: Origin::parse(kind, r.provision.as_deref()).map_err(corrupt)?,
            created_by: r.created_by,
            created_us: r.created_us,
            ordered_by: r.ordered_by,
            ordered_us: r.ordered_us,
            instruction,
            instructed_us: r.instructed_us,
            retrieved_by: r.retrieved_by,
            retrieved_us: r.retrieved_us,
            retrieval: optional(r.retrieval).map_err(corrupt)?,
            reported_us: r.reported_us,
            report: optional(r.report).map_err(corrupt)?,
            closed_us: r.closed_us,
            closing: r
                .closing
                .map(|text| Closing::parse(state, &text))
                .transpose()
                .map_err(corrupt)?,
            form3_alert_id: r.form3_alert_id,
        })
    }
}

pub(super) fn to_column<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| DbError::Invalid(e.to_string()))
}

pub(super) fn from_column<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

fn optional<T: DeserializeOwned>(column: Option<String>) -> Result<Option<T>, String> {
    column.as_deref().map(from_column).transpose()
}

/// A request as read on `c` (inside a transaction, when it is one).
pub(crate) async fn request_in(c: &mut AnyConnection, id: RequestId) -> Result<Option<RequestRow>> {
    let sql = format!("{} WHERE id = $1", request_sql(Engine::of(c)));
    sqlx::query_as::<_, StoredRequest>(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .map(RequestRow::try_from)
        .transpose()
}

pub(super) fn parse_all(rows: Vec<StoredRequest>) -> Result<Vec<RequestRow>> {
    rows.into_iter().map(RequestRow::try_from).collect()
}

/// Every column of a request, and its further cameras as `[[position, camera, start_us,
/// end_us], …]` (`cameras::parse_further`), in the engine's JSON functions.
pub(super) fn request_sql(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "SELECT *, (SELECT json_group_array(json_array(position, camera_id, \
             start_us, end_us)) FROM request_camera rc WHERE rc.request_id = request.id) \
             AS further_cameras FROM request"
        }
        Engine::Postgres => {
            "SELECT *, (SELECT CAST(coalesce(json_agg(json_build_array(position, camera_id, \
             start_us, end_us)), '[]') AS TEXT) FROM request_camera rc \
             WHERE rc.request_id = request.id) AS further_cameras FROM request"
        }
    }
}
