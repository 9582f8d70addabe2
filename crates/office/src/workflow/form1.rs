//! Form 1 (様式第1号, N9.3) as the workflow reads and corrects it; the row itself is folded
//! from the log in `crate::form1`.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::Timestamp;
use mimamori_db::vocabulary::{self, Form1Field};
use mimamori_db::EventBody;
use mimamori_policy::access::{decide_correction, Action};
use mimamori_policy::chain::{LegalBasis, RequestState};
use mimamori_policy::RequestId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::form1::{fold, Form1Row, KINDS};
use crate::wire::{CorrectionInput, Form1Query};
use crate::workflow::fields::{optional_state, required_text};
use crate::OfficeState;

pub(crate) async fn rows(office: &OfficeState) -> Result<BTreeMap<RequestId, Form1Row>, ApiError> {
    fold(&office.db.events_of_kinds(KINDS).await?).map_err(ApiError::internal)
}

/// Every row of Form 1, oldest first (N9.3).
pub async fn list_form1(
    office: &OfficeState,
    caller: &Caller,
    q: Form1Query,
) -> Result<Vec<Form1Row>, ApiError> {
    caller
        .may(office, Action::ReadRecords, "form1_read")
        .await?;
    let from = q.from_serial.unwrap_or(RequestId::new(0));
    let filter = Filter::parse(&q)?;
    // The state is the request's now, from its row; the rest is folded from the log.
    let states = match filter.state {
        Some(_) => office.db.request_states().await?,
        None => BTreeMap::new(),
    };
    Ok(rows(office)
        .await?
        .into_values()
        .filter(|r| r.serial >= from && filter.keeps(r))
        .filter(|r| {
            filter
                .state
                .is_none_or(|s| states.get(&r.serial) == Some(&s))
        })
        .collect())
}

/// Form 1's filters, parsed: the period of the order in Japan time, the camera, the basis,
/// the request's state.
struct Filter {
    from: Option<Timestamp>,
    /// The end of the last day, exclusive.
    until: Option<Timestamp>,
    camera: Option<String>,
    basis: Option<LegalBasis>,
    state: Option<RequestState>,
}

impl Filter {
    fn parse(q: &Form1Query) -> Result<Filter, ApiError> {
        let day = |field: &str, text: &Option<String>, days: i64| -> Result<_, ApiError> {
            let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
                return Ok(None);
            };
            let date: Date = text.parse().map_err(|_| {
                ApiError::invalid(
                    field,
                    "a day as YYYY-MM-DD",
                    "日付は YYYY-MM-DD で入力してください",
                )
            })?;
            let tz = jiff::tz::TimeZone::get("Asia/Tokyo").map_err(ApiError::internal)?;
            let start = date
                .checked_add(jiff::Span::new().days(days))
                .and_then(|d| d.to_zoned(tz))
                .map_err(|_| ApiError::invalid(field, "out of range", "範囲外の日付です"))?;
            Ok(Some(start.timestamp()))
        };
        let basis = match q.basis.as_deref().filter(|b| !b.is_empty()) {
            None => None,
            Some(b) => Some(LegalBasis::parse(b).ok_or_else(|| {
                ApiError::invalid(
                    "basis",
                    "one of t6_1_a … t6_1_e",
                    "t6_1_a〜t6_1_e のいずれかです",
                )
            })?),
        };
        let state = optional_state(q.state.as_deref())?;
        Ok(Filter {
            from: day("from", &q.from, 0)?,
            until: day("to", &q.to, 1)?,
            camera: q.camera.clone().filter(|c| !c.is_empty()),
            basis,
            state,
        })
    }

    fn keeps(&self, row: &Form1Row) -> bool {
        let ordered = row.ordered;
        self.from.is_none_or(|f| ordered.is_some_and(|o| o >= f))
            && self.until.is_none_or(|u| ordered.is_some_and(|o| o < u))
            && self
                .camera
                .as_ref()
                .is_none_or(|c| row.cameras.iter().any(|r| &r.camera == c))
            && self.basis.is_none_or(|b| {
                row.basis
                    .as_ref()
                    .and_then(|v| v.get("kind"))
                    .and_then(|k| k.as_str())
                    == Some(b.code())
            })
    }
}

/// N9.3: a correction is a new event that names the event and field it corrects; the
/// original stays in the log and in the row's history.
pub async fn correct_form1(
    office: &OfficeState,
    caller: &Caller,
    serial: RequestId,
    req: CorrectionInput,
) -> Result<Form1Row, ApiError> {
    caller
        .may(office, Action::CorrectRecord, "form1_corrected")
        .await?;
    let reason = required_text("reason", &req.reason, 2000)?;
    let field = Form1Field::parse(&req.field).ok_or_else(|| {
        ApiError::invalid(
            "field",
            "one of purpose, reason, media, copies, recipient, remarks",
            "訂正できる項目は purpose, reason, media, copies, recipient, remarks です",
        )
    })?;
    let kind = field.recorded_by();
    let valid = match field {
        Form1Field::Copies => req.value.as_u64().is_some_and(|n| (1..=100).contains(&n)),
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
    let events = office.db.events_of_kinds(&[kind]).await?;
    let corrected = events
        .iter()
        .rev()
        .find(|e| e.body().is_ok_and(|b| b.request() == Some(serial)))
        .ok_or_else(|| {
            ApiError::not_found(
                "nothing_to_correct",
                format!("request {serial} has no {kind} event to correct"),
                format!("依頼 {serial} には訂正対象の記録がありません"),
            )
        })?;
    let verdict = decide_correction(&caller.actor(), &corrected.actor);
    caller
        .record_refusal(office, Action::CorrectRecord, "form1_corrected", verdict)
        .await?;
    let event = caller.event(EventBody::Form1Corrected(vocabulary::Form1Corrected {
        request: serial,
        corrects_leaf: corrected.seq(),
        field,
        value: req.value,
        reason,
    }));
    office.db.append_event(&event).await?;
    let row = rows(office)
        .await?
        .remove(&serial)
        .ok_or_else(|| ApiError::internal("row vanished"))?;
    Ok(row)
}
