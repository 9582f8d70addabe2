//! Form 1, the Image Management Ledger (様式第1号, N9.3, N11.2), as a view of the log.
//!
//! A row is never stored or edited: it is folded, every time it is read, from the events of
//! its request (order, instruction, retrieval, report) plus any `form1_corrected` events, each
//! of which names the event and field it corrects and why. The row lists the leaf indexes it
//! was built from, so an auditor can prove each one against a signed checkpoint. Reading and
//! correcting rows are steps of `workflow::form1`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use mimamori_db::vocabulary::{self, Form1Field};
use mimamori_db::{from_us, EventBody, EventKind, EventRow, Outcome, VocabularyError};
use mimamori_policy::RequestId;
use serde::Serialize;
use serde_json::Value;

/// The events a row is built from.
pub(crate) const KINDS: &[EventKind] = &[
    EventKind::OrderIssued,
    EventKind::ProvisionRegistered,
    EventKind::ProvisionAccepted,
    EventKind::EmergencyAuthorized,
    EventKind::Form3Recorded,
    EventKind::HandedOver,
    EventKind::InstructionIssued,
    EventKind::RetrievalDone,
    EventKind::ReportFiled,
    EventKind::Form1Corrected,
];

/// One row of 様式第1号.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Form1Row {
    /// 番号: the request number.
    pub serial: RequestId,
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
    /// Every camera of the case with its range, the first (above) included (issue 13).
    pub cameras: Vec<vocabulary::CameraRange>,
    pub retrieved_by: Option<String>,
    pub retrieved: Option<Timestamp>,
    pub terminal: Option<String>,
    pub clip_sha256: Option<String>,
    /// Every clip's SHA-256, in the cameras' order, the first (above) included.
    pub clips_sha256: Vec<String>,
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Correction {
    pub leaf: u64,
    pub corrects_leaf: u64,
    pub field: String,
    pub value: Value,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// Folds the log's events into rows, by serial. An event that does not read as the
/// vocabulary's is an error: a row is never built from a guess.
pub fn fold(events: &[EventRow]) -> Result<BTreeMap<RequestId, Form1Row>, VocabularyError> {
    let mut rows: BTreeMap<RequestId, Form1Row> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.outcome != Outcome::Refused.as_str())
    {
        let body = e.body()?;
        let Some(serial) = body.request() else {
            continue;
        };
        let row = rows.entry(serial).or_insert_with(|| Form1Row {
            serial,
            ..Form1Row::default()
        });
        row.ledger_leaves.push(e.seq());
        apply(row, e, body);
    }
    Ok(rows)
}

/// A typed part of an event as the row shows it.
fn json(value: impl Serialize) -> Option<Value> {
    serde_json::to_value(value).ok()
}

fn apply(row: &mut Form1Row, e: &EventRow, body: EventBody) {
    let at = Some(from_us(e.time_us));
    match body {
        EventBody::OrderIssued(o) => {
            row.ordered_by = Some(e.actor.clone());
            row.ordered = at;
            (row.purpose, row.reason) = (Some(o.purpose), Some(o.reason));
            row.basis = json(o.basis);
        }
        EventBody::ProvisionAccepted(o) => {
            row.ordered_by = Some(e.actor.clone());
            row.ordered = at;
            (row.purpose, row.reason) = (Some(o.purpose), Some(o.reason));
            row.basis = json(o.basis);
        }
        EventBody::ProvisionRegistered(p) => row.provision = json(p.provision),
        EventBody::EmergencyAuthorized(a) => {
            row.emergency = true;
            (row.purpose, row.reason) = (Some(a.purpose), Some(a.reason));
            row.handler = Some(a.handler);
            row.cameras = vec![vocabulary::CameraRange {
                camera: a.camera.clone(),
                site: a.site.clone(),
                from: a.from,
                to: a.to,
            }];
            (row.camera, row.site) = (Some(a.camera), a.site);
            row.recorded_from = Some(a.from.to_string());
            row.recorded_to = Some(a.to.to_string());
        }
        EventBody::Form3Recorded(f) => row.form3 = json(f),
        EventBody::HandedOver(h) => row.handed_over = json(h),
        EventBody::InstructionIssued(i) => {
            row.instructed_by = Some(e.actor.clone());
            row.cameras = i.cameras();
            row.handler = Some(i.handler);
            (row.camera, row.site) = (Some(i.camera), i.site);
            row.recorded_from = Some(i.from.to_string());
            row.recorded_to = Some(i.to.to_string());
        }
        EventBody::RetrievalDone(r) => {
            row.retrieved_by = Some(e.actor.clone());
            row.retrieved = at;
            row.terminal = e.terminal.clone();
            row.clips_sha256 = r.clips().into_iter().map(|c| c.clip_sha256).collect();
            row.clip_sha256 = Some(r.clip_sha256);
            row.manifest_sha256 = Some(r.manifest_sha256);
        }
        EventBody::ReportFiled(r) => {
            row.reported = at;
            row.media = Some(r.media);
            row.copies = Some(u64::from(r.copies));
            row.recipient = Some(r.recipient);
            row.remarks = Some(r.remarks);
        }
        EventBody::Form1Corrected(c) => correct_row(row, e, c),
        _ => {}
    }
}

fn correct_row(row: &mut Form1Row, e: &EventRow, c: vocabulary::Form1Corrected) {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match c.field {
        Form1Field::Purpose => row.purpose = text(&c.value),
        Form1Field::Reason => row.reason = text(&c.value),
        Form1Field::Media => row.media = text(&c.value),
        Form1Field::Copies => row.copies = c.value.as_u64(),
        Form1Field::Recipient => row.recipient = text(&c.value),
        Form1Field::Remarks => row.remarks = text(&c.value),
    }
    row.corrections.push(Correction {
        leaf: e.seq(),
        corrects_leaf: c.corrects_leaf,
        field: c.field.as_str().to_owned(),
        value: c.value,
        reason: c.reason,
        by: e.actor.clone(),
        at: from_us(e.time_us),
    });
}
