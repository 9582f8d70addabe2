//! Requests of the chain (N9, N10, N11): an order or a provision request, its instruction, its
//! retrieval, its report and its closing, in one row that moves through
//! `mimamori_policy::chain`.
//!
//! A row is parsed where it is read ([`RequestRow`]): its kind, state and basis are the policy's
//! enums, and each JSON column is a struct of the ledger's vocabulary (the same payload its
//! event carries). A value this release does not know is [`DbError::Corrupt`], never a default.
//! Migration 0004 makes the database refuse such values in the first place.

use jiff::Timestamp;
use mimamori_ledger::vocabulary::{
    Basis, Closed, Form3Recorded, HandedOver, Provision, ReportFiled, RetrievalDone,
};
use mimamori_policy::chain::{RequestKind, RequestState};
use mimamori_policy::{CameraId, DelegationId, RequestId, TerminalId};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::alerts::{insert_alert, AlertKind, NewAlert};
use crate::write::{changed_one, Update};
use crate::{to_us, Db, DbError, Event, Result};
pub use cameras::CameraScope;
pub(crate) use stored::request_in;
use stored::{from_column, parse_all, request_sql, to_column};

/// Where a request came from: the `provision` column, whose shape follows the kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Origin {
    /// N9.1: the Manager's own order; the column is empty.
    #[serde(skip)]
    Order,
    /// N10.1: the outside body's document, applicant and identity check.
    Provision(Box<Provision>),
    /// N11.1: the delegation under which delegated staff retrieved.
    Emergency(EmergencyOrigin),
}

/// N11.1: the delegation (N10.2) an emergency retrieval was made under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyOrigin {
    pub delegation_id: Option<DelegationId>,
}

impl Origin {
    pub fn kind(&self) -> RequestKind {
        match self {
            Origin::Order => RequestKind::Internal,
            Origin::Provision(_) => RequestKind::Provision,
            Origin::Emergency(_) => RequestKind::Emergency,
        }
    }

    pub fn provision(&self) -> Option<&Provision> {
        match self {
            Origin::Provision(p) => Some(p),
            _ => None,
        }
    }

    fn column(&self) -> Result<Option<String>> {
        match self {
            Origin::Order => Ok(None),
            Origin::Provision(p) => to_column(p).map(Some),
            Origin::Emergency(e) => to_column(e).map(Some),
        }
    }

    fn parse(kind: RequestKind, column: Option<&str>) -> Result<Origin, String> {
        match (kind, column) {
            (RequestKind::Internal, None) => Ok(Origin::Order),
            (RequestKind::Provision, Some(text)) => {
                from_column(text).map(|p| Origin::Provision(Box::new(p)))
            }
            (RequestKind::Emergency, Some(text)) => from_column(text).map(Origin::Emergency),
            (kind, _) => Err(format!(
                "provision does not fit a {} request",
                kind.as_str()
            )),
        }
    }
}

/// The final record of a request (the `closing` column), whose shape follows the state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Closing {
    /// T6.2: the hand-over to the outside recipient.
    HandedOver(HandedOver),
    /// N11.2: the Form 3 received after an emergency retrieval.
    Form3(Form3Recorded),
    /// A decline (T6.1) or cancellation, with its reason.
    Reason(Closed),
}

impl Closing {
    fn state(&self) -> &'static [RequestState] {
        match self {
            Closing::HandedOver(_) => &[RequestState::HandedOver],
            Closing::Form3(_) => &[RequestState::Form3Recorded],
            Closing::Reason(_) => &[RequestState::Declined, RequestState::Cancelled],
        }
    }

    fn column(&self) -> Result<String> {
        match self {
            Closing::HandedOver(h) => to_column(h),
            Closing::Form3(f) => to_column(f),
            Closing::Reason(r) => to_column(r),
        }
    }

    fn parse(state: RequestState, text: &str) -> Result<Closing, String> {
        match state {
            RequestState::HandedOver => from_column(text).map(Closing::HandedOver),
            RequestState::Form3Recorded => from_column(text).map(Closing::Form3),
            RequestState::Declined | RequestState::Cancelled => {
                from_column(text).map(Closing::Reason)
            }
            other => Err(format!("a {} request has no closing", other.as_str())),
        }
    }
}

/// N9.2: what the Operations lead instructs (for an emergency, what delegated staff asked).
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// The cameras and their ranges, in the order named: never empty.
    pub cameras: Vec<CameraScope>,
    pub handler: String,
    pub terminal_id: TerminalId,
    pub expires: Timestamp,
    pub instructed_by: String,
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The kind, and the `provision` column; the request starts in the kind's initial state.
    pub origin: Origin,
    pub purpose: String,
    pub basis: Basis,
    pub reason: String,
    pub created_by: String,
    /// An emergency request (N11.1) is created with its scope, as if instructed.
    pub scope: Option<Instruction>,
    /// Raised with the request (N11.1: the Manager learns of an emergency retrieval at once).
    pub alert: Option<RequestAlert>,
}

/// An alert raised with a new request; its message names the request's number.
#[derive(Debug, Clone)]
pub struct RequestAlert {
    pub kind: AlertKind,
    pub camera: Option<CameraId>,
    pub message: fn(RequestId) -> String,
}

/// A request as stored, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    pub id: RequestId,
    pub kind: RequestKind,
    pub state: RequestState,
    pub purpose: String,
    pub basis: Basis,
    pub reason: String,
    pub origin: Origin,
    pub created_by: String,
    pub created_us: i64,
    pub ordered_by: Option<String>,
    pub ordered_us: Option<i64>,
    pub instruction: Option<Instruction>,
    pub instructed_us: Option<i64>,
    pub retrieved_by: Option<String>,
    pub retrieved_us: Option<i64>,
    pub retrieval: Option<RetrievalDone>,
    pub reported_us: Option<i64>,
    pub report: Option<ReportFiled>,
    pub closed_us: Option<i64>,
    pub closing: Option<Closing>,
    pub form3_alert_id: Option<i64>,
}

impl Instruction {
    /// The first camera named: the one stored on the request row.
    pub fn first(&self) -> Option<&CameraScope> {
        self.cameras.first()
    }
}

impl RequestRow {
    /// The instructed handler, if the request has been instructed.
    pub fn handler(&self) -> Option<&str> {
        self.instruction.as_ref().map(|i| i.handler.as_str())
    }
}

/// A change of a request's state, with the columns the step fills. The records are the
/// payloads of the events that describe the steps.
#[derive(Debug, Clone)]
pub enum RequestUpdate {
    /// N10.1: the Manager accepts a provision request.
    Ordered {
        by: String,
    },
    Instructed(Instruction),
    Retrieved {
        by: String,
        record: RetrievalDone,
    },
    Reported(ReportFiled),
    /// A final step (hand-over, Form 3, decline, cancel) with its record.
    Closed(Closing),
}

impl Db {
    /// Creates a request in its kind's initial state, with its event (which gets the new id)
    /// and its alert, if any, in one transaction.
    pub async fn create_request(
        &self,
        new: &NewRequest,
        now: Timestamp,
        event: impl FnOnce(RequestId) -> Event,
    ) -> Result<RequestId> {
        self.write_with(
            async |c| insert_request(c, new, now).await,
            |&id| vec![event(id)],
        )
        .await
    }

    /// N11.2: emergency requests retrieved before `retrieved_before` whose Form 3 has not come
    /// and that have no alert yet.
    pub async fn form3_overdue(&self, retrieved_before: Timestamp) -> Result<Vec<RequestRow>> {
        parse_all(
            sqlx::query_as(&format!(
                "{} WHERE kind = 'emergency' AND state = 'emergency_retrieved'
                 AND retrieved_us < $1 AND form3_alert_id IS NULL ORDER BY id",
                request_sql(self.engine)
            ))
            .bind(to_us(retrieved_before))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// N11.2: raises the alert for a request's overdue Form 3, remembers it on the request
    /// (it is resolved when the Form 3 is recorded), and writes the event that gets the alert's
    /// id, in one transaction. Refuses with [`DbError::Conflict`] if the request has its alert.
    pub async fn raise_form3_alert(
        &self,
        request_id: RequestId,
        alert: &NewAlert,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        let remember = |alert_id: i64| {
            sqlx::query(
                "UPDATE request SET form3_alert_id = $1 WHERE id = $2 AND form3_alert_id IS NULL",
            )
            .bind(alert_id)
            .bind(request_id)
        };
        let conflict = format!("request {request_id} has its Form 3 alert");
        self.raise_alert_on(alert, now, remember, &conflict, event)
            .await
    }

    pub async fn request(&self, id: RequestId) -> Result<Option<RequestRow>> {
        request_in(&mut *self.pool.acquire().await?, id).await
    }

    /// Every request's state now, by id (Form 1's state filter).
    pub async fn request_states(
        &self,
    ) -> Result<std::collections::BTreeMap<RequestId, RequestState>> {
        let rows: Vec<(RequestId, String)> = sqlx::query_as("SELECT id, state FROM request")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(id, state)| {
                let state = RequestState::try_from(state).map_err(|e| DbError::Corrupt {
                    record: format!("request {id}"),
                    error: e.to_string(),
                })?;
                Ok((id, state))
            })
            .collect()
    }

    /// Requests, newest first, optionally in one state.
    pub async fn requests(
        &self,
        state: Option<RequestState>,
        limit: i64,
    ) -> Result<Vec<RequestRow>> {
        parse_all(
            sqlx::query_as(&format!(
                "{} WHERE $1 IS NULL OR state = $1 ORDER BY id DESC LIMIT $2",
                request_sql(self.engine)
            ))
            .bind(state.map(RequestState::as_str))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Moves a request from state `from` to `to`, filling the step's columns, with the step's
    /// events. Refuses with [`DbError::Conflict`] when the request is no longer in `from`
    /// (someone else moved it). Recording the Form 3 resolves its overdue alert (N11.2).
    pub async fn advance_request(
        &self,
        id: RequestId,
        (from, to): (RequestState, RequestState),
        update: &RequestUpdate,
        now: Timestamp,
        events: Vec<Event>,
    ) -> Result<()> {
        if let RequestUpdate::Closed(closing) = update {
            if !closing.state().contains(&to) {
                return Err(DbError::Invalid(format!(
                    "a {} request cannot have this closing",
                    to.as_str()
                )));
            }
        }
        let query = update_query(update, now)?;
        self.write_with(
            async |c| {
                let n = query
                    .bind(to.as_str())
                    .bind(id)
                    .bind(from.as_str())
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                changed_one(n, || format!("request {id} is no longer {}", from.as_str()))?;
                if let RequestUpdate::Instructed(i) = update {
                    cameras::insert_further(c, id, &i.cameras).await?;
                }
                if to == RequestState::Form3Recorded {
                    resolve_form3_alert(c, id, now).await?;
                }
                Ok(())
            },
            |_| events,
        )
        .await
    }
}

async fn resolve_form3_alert(c: &mut AnyConnection, id: RequestId, now: Timestamp) -> Result<()> {
    sqlx::query(
        "UPDATE alert SET resolved_us = $1 WHERE resolved_us IS NULL
         AND id = (SELECT form3_alert_id FROM request WHERE id = $2)",
    )
    .bind(to_us(now))
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The UPDATE for one step. Binds, after the step's own columns: new state, id, old state.
fn update_query(update: &RequestUpdate, now: Timestamp) -> Result<Update> {
    let now = to_us(now);
    Ok(match update.clone() {
        RequestUpdate::Ordered { by } => sqlx::query(
            "UPDATE request SET ordered_by = $1, ordered_us = $2, state = $3 WHERE id = $4 AND state = $5",
        )
        .bind(by)
        .bind(now),
        RequestUpdate::Instructed(i) => {
            let first = i.first().cloned().ok_or_else(|| {
                DbError::Invalid("an instruction names at least one camera (N9.2)".into())
            })?;
            sqlx::query(
                "UPDATE request SET camera_id = $1, start_us = $2, end_us = $3, handler = $4,
                 terminal_id = $5, instruction_expires_us = $6, instructed_by = $7, instructed_us = $8,
                 state = $9 WHERE id = $10 AND state = $11",
            )
            .bind(first.camera.as_str().to_owned())
            .bind(to_us(first.start))
            .bind(to_us(first.end))
        .bind(i.handler)
        .bind(i.terminal_id)
        .bind(to_us(i.expires))
        .bind(i.instructed_by)
        .bind(now)
        }
        RequestUpdate::Retrieved { by, record } => sqlx::query(
            "UPDATE request SET retrieved_by = $1, retrieval = $2, retrieved_us = $3,
                 state = $4 WHERE id = $5 AND state = $6",
        )
        .bind(by)
        .bind(to_column(&record)?)
        .bind(now),
        RequestUpdate::Reported(report) => sqlx::query(
            "UPDATE request SET report = $1, reported_us = $2, state = $3 WHERE id = $4 AND state = $5",
        )
        .bind(to_column(&report)?)
        .bind(now),
        RequestUpdate::Closed(closing) => sqlx::query(
            "UPDATE request SET closing = $1, closed_us = $2, state = $3 WHERE id = $4 AND state = $5",
        )
        .bind(closing.column()?)
        .bind(now),
    })
}

mod cameras;
mod stored;
#[cfg(test)]
mod tests;

/// Writes a new request in its kind's initial state, with its further cameras and its alert,
/// inside a caller's transaction (the caller writes its event).
pub(crate) async fn insert_request(
    c: &mut AnyConnection,
    new: &NewRequest,
    now: Timestamp,
) -> Result<RequestId> {
    let kind = new.origin.kind();
    let provision = new.origin.column()?;
    let basis = to_column(&new.basis)?;
    // N9.1: the Manager's own order is ordered as it is made.
    let ordered = (kind == RequestKind::Internal).then_some(new.created_by.as_str());
    let scope = new.scope.as_ref();
    let first = scope.and_then(Instruction::first);
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO request (kind, state, purpose, basis, reason, provision, created_by,
             created_us, ordered_by, ordered_us, camera_id, start_us, end_us, handler,
             terminal_id, instruction_expires_us, instructed_by, instructed_us)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(kind.initial_state().as_str())
    .bind(&new.purpose)
    .bind(basis)
    .bind(&new.reason)
    .bind(provision)
    .bind(&new.created_by)
    .bind(to_us(now))
    .bind(ordered)
    .bind(ordered.map(|_| to_us(now)))
    .bind(first.map(|f| f.camera.as_str()))
    .bind(first.map(|f| to_us(f.start)))
    .bind(first.map(|f| to_us(f.end)))
    .bind(scope.map(|i| &i.handler))
    .bind(scope.map(|i| &i.terminal_id))
    .bind(scope.map(|i| to_us(i.expires)))
    .bind(scope.map(|i| &i.instructed_by))
    .bind(scope.map(|_| to_us(now)))
    .fetch_one(&mut *c)
    .await?;
    let id = RequestId::new(id);
    if let Some(scope) = scope {
        cameras::insert_further(c, id, &scope.cameras).await?;
    }
    if let Some(alert) = &new.alert {
        let alert = NewAlert {
            kind: alert.kind,
            camera: alert.camera.clone(),
            message: (alert.message)(id),
        };
        insert_alert(c, &alert, now).await?;
    }
    Ok(id)
}
