//! Form 1, the Image Management Ledger (様式第1号, N9.3, N11.2), as a view of the log.
//!
//! A row is never stored or edited: it is folded, every time it is read, from the events of
//! its request (order, instruction, retrieval, report) plus any `form1_corrected` events, each
//! of which names the event and field it corrects and why. The row lists the leaf indexes it
//! was built from, so an auditor can prove each one against a signed checkpoint.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use mimamori_db::{from_us, EventRow, Outcome};
use mimamori_policy::access::Action;
use mimamori_policy::Rule;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, Body};
use crate::staff::required_text;
use crate::Shared;

/// The events a row is built from.
const KINDS: &[&str] = &[
    "order_issued",
    "provision_registered",
    "provision_accepted",
    "emergency_authorized",
    "form3_recorded",
    "handed_over",
    "instruction_issued",
    "retrieval_done",
    "report_filed",
    "form1_corrected",
];

/// Fields a correction may change, by the event kind that first recorded them.
const CORRECTABLE: &[(&str, &[&str])] = &[
    ("order_issued", &["purpose", "reason"]),
    ("report_filed", &["media", "copies", "recipient", "remarks"]),
];

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/form1", get(list))
        .route("/api/v1/form1/{serial}/corrections", post(correct))
}

/// One row of 様式第1号.
#[derive(Debug, Default, Serialize)]
pub struct Form1Row {
    /// 番号: the request number.
    pub serial: i64,
    pub ordered_by: Option<String>,
    pub ordered: Option<Timestamp>,
    pub purpose: Option<String>,
    pub reason: Option<String>,
    pub basis: Option<Value>,
    pub instructed_by: Option<String>,
    pub handler: Option<String>,
    pub camera: Option<String>,
    pub site: Option<String>,
    pub recorded_from: Option<String>,
    pub recorded_to: Option<String>,
    pub retrieved_by: Option<String>,
    pub retrieved: Option<Timestamp>,
    pub terminal: Option<String>,
    pub clip_sha256: Option<String>,
    pub manifest_sha256: Option<String>,
    pub media: Option<String>,
    pub copies: Option<u64>,
    pub recipient: Option<String>,
    pub remarks: Option<String>,
    pub reported: Option<Timestamp>,
    /// N10.1: the outside body, its document and the identity check.
    pub provision: Option<Value>,
    /// T6.2: the hand-over record.
    pub handed_over: Option<Value>,
    /// N11.1: an emergency retrieval by delegated staff; N11.2: its Form 3 once received.
    pub emergency: bool,
    pub form3: Option<Value>,
    pub corrections: Vec<Correction>,
    /// Leaf indexes (event id − 1) of every event the row was built from.
    pub ledger_leaves: Vec<u64>,
}

#[derive(Debug, Serialize)]
pub struct Correction {
    pub leaf: u64,
    pub corrects_leaf: u64,
    pub field: String,
    pub value: Value,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// Folds the log's events into rows, by serial.
pub fn fold(events: &[EventRow]) -> BTreeMap<i64, Form1Row> {
    let mut rows: BTreeMap<i64, Form1Row> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.outcome != Outcome::Refused.as_str())
    {
        let Ok(d) = serde_json::from_str::<Value>(&e.detail) else {
            continue;
        };
        let Some(serial) = d["request"].as_i64() else {
            continue;
        };
        let row = rows.entry(serial).or_insert_with(|| Form1Row {
            serial,
            ..Form1Row::default()
        });
        row.ledger_leaves.push(e.seq());
        apply(row, e, &d);
    }
    rows
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn apply(row: &mut Form1Row, e: &EventRow, d: &Value) {
    let at = Some(from_us(e.time_us));
    match e.kind.as_str() {
        "order_issued" | "provision_accepted" => {
            row.ordered_by = Some(e.actor.clone());
            row.ordered = at;
            row.purpose = text(&d["purpose"]);
            row.reason = text(&d["reason"]);
            row.basis = Some(d["basis"].clone());
        }
        "provision_registered" => row.provision = Some(d["provision"].clone()),
        "emergency_authorized" => {
            row.emergency = true;
            row.purpose = text(&d["purpose"]);
            row.reason = text(&d["reason"]);
            row.handler = text(&d["handler"]);
            row.camera = text(&d["camera"]);
            row.site = text(&d["site"]);
            row.recorded_from = text(&d["from"]);
            row.recorded_to = text(&d["to"]);
        }
        "form3_recorded" => row.form3 = Some(d.clone()),
        "handed_over" => row.handed_over = Some(d.clone()),
        "instruction_issued" => {
            row.instructed_by = Some(e.actor.clone());
            row.handler = text(&d["handler"]);
            row.camera = text(&d["camera"]);
            row.site = text(&d["site"]);
            row.recorded_from = text(&d["from"]);
            row.recorded_to = text(&d["to"]);
        }
        "retrieval_done" => {
            row.retrieved_by = Some(e.actor.clone());
            row.retrieved = at;
            row.terminal = e.terminal.clone();
            row.clip_sha256 = text(&d["clip_sha256"]);
            row.manifest_sha256 = text(&d["manifest_sha256"]);
        }
        "report_filed" => {
            row.reported = at;
            row.media = text(&d["media"]);
            row.copies = d["copies"].as_u64();
            row.recipient = text(&d["recipient"]);
            row.remarks = text(&d["remarks"]);
        }
        "form1_corrected" => correct_row(row, e, d),
        _ => {}
    }
}

fn correct_row(row: &mut Form1Row, e: &EventRow, d: &Value) {
    let field = d["field"].as_str().unwrap_or_default();
    let value = d["value"].clone();
    match field {
        "purpose" => row.purpose = text(&value),
        "reason" => row.reason = text(&value),
        "media" => row.media = text(&value),
        "copies" => row.copies = value.as_u64(),
        "recipient" => row.recipient = text(&value),
        "remarks" => row.remarks = text(&value),
        _ => return,
    }
    row.corrections.push(Correction {
        leaf: e.seq(),
        corrects_leaf: d["corrects_leaf"].as_u64().unwrap_or_default(),
        field: field.to_owned(),
        value,
        reason: d["reason"].as_str().unwrap_or_default().to_owned(),
        by: e.actor.clone(),
        at: from_us(e.time_us),
    });
}

async fn rows(office: &Shared) -> Result<BTreeMap<i64, Form1Row>, ApiError> {
    Ok(fold(&office.ctx.db.events_of_kinds(KINDS).await?))
}

#[derive(Deserialize)]
struct ListQuery {
    /// Only rows from this serial on.
    from_serial: Option<i64>,
}

/// `GET /api/v1/form1`: every row, oldest first.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Form1Row>>, ApiError> {
    caller
        .may(&office, Action::ReadRecords, "form1_read")
        .await?;
    let from = q.from_serial.unwrap_or(0);
    Ok(Json(
        rows(&office)
            .await?
            .into_values()
            .filter(|r| r.serial >= from)
            .collect(),
    ))
}

#[derive(Deserialize)]
struct CorrectionInput {
    field: String,
    value: Value,
    reason: String,
}

/// `POST /api/v1/form1/{serial}/corrections`: a new event that names the event and field it
/// corrects; the original stays in the log and in the row's history.
async fn correct(
    State(office): State<Shared>,
    caller: Caller,
    Path(serial): Path<i64>,
    Body(req): Body<CorrectionInput>,
) -> Result<(StatusCode, Json<Form1Row>), ApiError> {
    caller
        .may(&office, Action::CorrectRecord, "form1_corrected")
        .await?;
    let reason = required_text("reason", &req.reason, 2000)?;
    let (kind, _) = CORRECTABLE
        .iter()
        .find(|(_, fields)| fields.contains(&req.field.as_str()))
        .ok_or_else(|| {
            ApiError::invalid(
                "field",
                "one of purpose, reason, media, copies, recipient, remarks",
                "訂正できる項目は purpose, reason, media, copies, recipient, remarks です",
            )
        })?;
    let valid = match req.field.as_str() {
        "copies" => req.value.as_u64().is_some_and(|n| (1..=100).contains(&n)),
        _ => req
            .value
            .as_str()
            .is_some_and(|s| s.chars().count() <= 2000),
    };
    if !valid {
        return Err(ApiError::invalid(
            "value",
            "not a valid value for this field",
            "この項目の値として不正です",
        ));
    }
    let events = office.ctx.db.events_of_kinds(&[kind]).await?;
    let corrected = events
        .iter()
        .rev()
        .find(|e| serde_json::from_str::<Value>(&e.detail).is_ok_and(|d| d["request"] == serial))
        .ok_or_else(|| {
            ApiError::not_found(
                "nothing_to_correct",
                format!("request {serial} has no {kind} event to correct"),
                format!("依頼 {serial} には訂正対象の記録がありません"),
            )
        })?;
    let event = caller.event(
        Action::CorrectRecord,
        "form1_corrected",
        Rule::N9_3,
        Outcome::Done,
        serde_json::json!({
            "request": serial, "corrects_leaf": corrected.seq(), "field": req.field,
            "value": req.value, "reason": reason,
        }),
    );
    office.ctx.db.append_event(&event).await?;
    let row = rows(&office)
        .await?
        .remove(&serial)
        .ok_or_else(|| ApiError::internal("row vanished"))?;
    Ok((StatusCode::CREATED, Json(row)))
}
