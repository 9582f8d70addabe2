//! Inquiries and complaints from the public, with staff's notes and answers (issue 14; T3.3 c,
//! T8).
//!
//! Rows are parsed at this boundary into the policy's types ([`Receipt`], [`Category`],
//! [`InquiryState`]); a stored value they refuse is [`DbError::Corrupt`]. Every change names the
//! state it was decided on, so a step taken on a state that changed meanwhile is a
//! [`DbError::Conflict`], and writes its event in the same transaction. The texts stay here;
//! the events carry their SHA-256 (docs/inquiries.md).

use jiff::tz::TimeZone;
use jiff::Timestamp;
use mimamori_policy::inquiry::{Category, InquiryState, Receipt};
use mimamori_policy::RequestId;
use sqlx::AnyConnection;

use crate::alerts::resolve_in;
use crate::requests::insert_request;
use crate::write::Update;
use crate::{from_us, to_us, Db, DbError, Event, NewAlert, NewRequest, Result};

/// What the public form delivered.
#[derive(Debug, Clone)]
pub struct NewInquiry {
    pub category: Category,
    pub message: String,
    pub contact: Option<String>,
    /// SHA-256 of the secret printed on the receipt.
    pub secret_sha256: [u8; 32],
}

/// An inquiry as the office holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct InquiryRow {
    pub receipt: Receipt,
    pub secret_sha256: [u8; 32],
    pub category: Category,
    pub state: InquiryState,
    pub message: String,
    pub contact: Option<String>,
    pub received: Timestamp,
    pub assignee: Option<String>,
    /// The first answer, or the provision request started instead (T6.1 d).
    pub first_answered: Option<Timestamp>,
    pub closed: Option<Timestamp>,
    pub request: Option<RequestId>,
    pub overdue_alert: Option<i64>,
}

/// A note staff keep for themselves, or an answer the person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Note,
    Answer,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Answer => "answer",
        }
    }

    fn parse(text: &str) -> Option<EntryKind> {
        [EntryKind::Note, EntryKind::Answer]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A note or an answer to write.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    pub kind: EntryKind,
    pub author: &'a str,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InquiryEntry {
    pub kind: EntryKind,
    pub author: String,
    pub at: Timestamp,
    pub text: String,
}

#[derive(sqlx::FromRow)]
struct InquiryRaw {
    receipt: String,
    secret_sha256: Vec<u8>,
    category: String,
    state: String,
    message: String,
    contact: Option<String>,
    received_us: i64,
    assignee: Option<String>,
    first_answered_us: Option<i64>,
    closed_us: Option<i64>,
    request_id: Option<i64>,
    overdue_alert_id: Option<i64>,
}

const INQUIRY: &str = "SELECT receipt, secret_sha256, category, state, message, contact, \
     received_us, assignee, first_answered_us, closed_us, request_id, overdue_alert_id \
     FROM inquiry";

impl TryFrom<InquiryRaw> for InquiryRow {
    type Error = DbError;

    fn try_from(r: InquiryRaw) -> Result<Self> {
        let record = format!("inquiry {}", r.receipt);
        Ok(InquiryRow {
            secret_sha256: r
                .secret_sha256
                .try_into()
                .map_err(|_| DbError::corrupt(&record, "the secret's hash is not 32 bytes"))?,
            category: Category::try_from(r.category).map_err(|e| DbError::corrupt(&record, e))?,
            state: InquiryState::try_from(r.state).map_err(|e| DbError::corrupt(&record, e))?,
            message: r.message,
            contact: r.contact,
            received: from_us(r.received_us),
            assignee: r.assignee,
            first_answered: r.first_answered_us.map(from_us),
            closed: r.closed_us.map(from_us),
            request: r.request_id.map(RequestId::new),
            overdue_alert: r.overdue_alert_id,
            receipt: Receipt::try_from(r.receipt).map_err(|e| DbError::corrupt(&record, e))?,
        })
    }
}

fn parse_all(rows: Vec<InquiryRaw>) -> Result<Vec<InquiryRow>> {
    rows.into_iter().map(InquiryRow::try_from).collect()
}

/// The next receipt of the year `now` falls in, in the ward's time zone.
async fn next_receipt(c: &mut AnyConnection, now: Timestamp, tz: &TimeZone) -> Result<Receipt> {
    let year = now.to_zoned(tz.clone()).year();
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT max(CAST(substr(receipt, 6) AS BIGINT)) FROM inquiry WHERE receipt LIKE $1",
    )
    .bind(format!("{year:04}-%"))
    .fetch_one(&mut *c)
    .await?;
    let serial = u32::try_from(last.unwrap_or(0) + 1).unwrap_or(u32::MAX);
    Receipt::new(year, serial).ok_or_else(|| {
        DbError::Invalid(format!(
            "no receipt number is left for {year}; the year holds 99,999 inquiries"
        ))
    })
}

/// An UPDATE of one inquiry from `step.from` to `step.to`: `sql` has the receipt as `?1`, the
/// state it expects as `?2` and the new state as `?3`; the caller binds the rest from `?4`.
fn moving(sql: &'static str, receipt: &Receipt, step: Move) -> Update {
    sqlx::query(sql)
        .bind(receipt.as_str().to_owned())
        .bind(step.from.as_str())
        .bind(step.to.as_str())
}

const CHANGED_MEANWHILE: &str = "the inquiry changed meanwhile; reload it";

/// The step a write expects to find the inquiry at and leave it in.
#[derive(Debug, Clone, Copy)]
pub struct Move {
    pub from: InquiryState,
    pub to: InquiryState,
}

impl Db {
    /// T3.3 c: files what the public form delivered under the year's next receipt number; the
    /// event gets the receipt.
    pub async fn receive_inquiry(
        &self,
        new: &NewInquiry,
        now: Timestamp,
        tz: &TimeZone,
        event: impl FnOnce(&Receipt) -> Event,
    ) -> Result<Receipt> {
        self.write_with(
            async |c| {
                let receipt = next_receipt(c, now, tz).await?;
                sqlx::query(
                    "INSERT INTO inquiry (receipt, secret_sha256, category, state, message,
                         contact, received_us, updated_us)
                     VALUES ($1, $2, $3, 'received', $4, $5, $6, $6)",
                )
                .bind(receipt.as_str())
                .bind(&new.secret_sha256[..])
                .bind(new.category.as_str())
                .bind(&new.message)
                .bind(new.contact.as_deref())
                .bind(to_us(now))
                .execute(&mut *c)
                .await?;
                Ok(receipt)
            },
            |receipt| vec![event(receipt)],
        )
        .await
    }

    pub async fn inquiry(&self, receipt: &Receipt) -> Result<Option<InquiryRow>> {
        sqlx::query_as::<_, InquiryRaw>(&format!("{INQUIRY} WHERE receipt = $1"))
            .bind(receipt.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(InquiryRow::try_from)
            .transpose()
    }

    /// Inquiries, open ones first (oldest first: the one waiting longest on top), then the
    /// closed ones, newest first, at most `limit` of them.
    pub async fn inquiries(&self, limit: i64) -> Result<Vec<InquiryRow>> {
        parse_all(
            sqlx::query_as(&format!(
                "{INQUIRY} ORDER BY state = 'closed',
                     CASE WHEN state = 'closed' THEN -received_us ELSE received_us END
                 LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// How many inquiries wait for their first answer (T8).
    pub async fn inquiries_awaiting_answer(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM inquiry WHERE state IN ('received', 'assigned')",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The notes and answers of an inquiry, oldest first.
    pub async fn inquiry_entries(&self, receipt: &Receipt) -> Result<Vec<InquiryEntry>> {
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT e.kind, e.author, e.at_us, e.text FROM inquiry_entry e
             JOIN inquiry i ON i.id = e.inquiry_id WHERE i.receipt = $1 ORDER BY e.id",
        )
        .bind(receipt.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, author, at, text)| {
                Ok(InquiryEntry {
                    kind: EntryKind::parse(&kind).ok_or_else(|| {
                        DbError::corrupt(
                            format!("inquiry {receipt}"),
                            format!("entry kind {kind:?}"),
                        )
                    })?,
                    author,
                    at: from_us(at),
                    text,
                })
            })
            .collect()
    }

    /// T8: gives the inquiry to `assignee`.
    pub async fn assign_inquiry(
        &self,
        receipt: &Receipt,
        step: Move,
        assignee: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = moving(
            "UPDATE inquiry SET state = $3, assignee = $4, updated_us = $5
             WHERE receipt = $1 AND state = $2",
            receipt,
            step,
        )
        .bind(assignee.to_owned())
        .bind(to_us(now));
        self.update_one(query, CHANGED_MEANWHILE, event).await
    }

    /// A note or an answer; an answer that moves the inquiry to closed is the Manager's last
    /// answer and closes it too (T8). `events` is told whether this is the ward's first answer;
    /// the first answer resolves the overdue alert.
    pub async fn write_inquiry(
        &self,
        receipt: &Receipt,
        step: Move,
        entry: NewEntry<'_>,
        now: Timestamp,
        events: impl FnOnce(bool) -> Vec<Event>,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let found: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT id, first_answered_us, overdue_alert_id FROM inquiry
                     WHERE receipt = $1 AND state = $2",
                )
                .bind(receipt.as_str())
                .bind(step.from.as_str())
                .fetch_optional(&mut *c)
                .await?;
                let Some((id, answered_before, overdue)) = found else {
                    return Err(DbError::Conflict(CHANGED_MEANWHILE.into()));
                };
                let first_answer = entry.kind == EntryKind::Answer && answered_before.is_none();
                sqlx::query(
                    "UPDATE inquiry SET state = $2, updated_us = $3,
                         first_answered_us = CASE WHEN $4 THEN $3 ELSE first_answered_us END,
                         closed_us = CASE WHEN $2 = 'closed' THEN $3 ELSE closed_us END
                     WHERE id = $1",
                )
                .bind(id)
                .bind(step.to.as_str())
                .bind(to_us(now))
                .bind(first_answer)
                .execute(&mut *c)
                .await?;
                sqlx::query(
                    "INSERT INTO inquiry_entry (inquiry_id, kind, author, at_us, text)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(entry.kind.as_str())
                .bind(entry.author)
                .bind(to_us(now))
                .bind(entry.text)
                .execute(&mut *c)
                .await?;
                if let Some(alert) = overdue.filter(|_| first_answer) {
                    resolve_in(c, alert, now).await?;
                }
                Ok(first_answer)
            },
            |&first| events(first),
        )
        .await
        .map(|_first| ())
    }

    /// T6.1 d: a request to see one's own footage becomes provision request `new`; `events`
    /// gets its id (the provision's own event and the inquiry's).
    pub async fn start_inquiry_provision(
        &self,
        receipt: &Receipt,
        step: Move,
        new: &NewRequest,
        now: Timestamp,
        events: impl FnOnce(RequestId) -> Vec<Event>,
    ) -> Result<RequestId> {
        self.write_with(
            async |c| {
                let request = insert_request(c, new, now).await?;
                let overdue: Option<Option<i64>> = sqlx::query_scalar(
                    "UPDATE inquiry SET state = $3, request_id = $4, updated_us = $5,
                         first_answered_us = coalesce(first_answered_us, $5)
                     WHERE receipt = $1 AND state = $2 AND category = 'own_footage'
                     RETURNING overdue_alert_id",
                )
                .bind(receipt.as_str())
                .bind(step.from.as_str())
                .bind(step.to.as_str())
                .bind(request.get())
                .bind(to_us(now))
                .fetch_optional(&mut *c)
                .await?;
                let Some(overdue) = overdue else {
                    return Err(DbError::Conflict(CHANGED_MEANWHILE.into()));
                };
                if let Some(alert) = overdue {
                    resolve_in(c, alert, now).await?;
                }
                Ok(request)
            },
            |&request| events(request),
        )
        .await
    }

    /// T8: the inquiry is done.
    pub async fn close_inquiry(
        &self,
        receipt: &Receipt,
        step: Move,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = moving(
            "UPDATE inquiry SET state = $3, closed_us = $4, updated_us = $4
             WHERE receipt = $1 AND state = $2",
            receipt,
            step,
        )
        .bind(to_us(now));
        self.update_one(query, CHANGED_MEANWHILE, event).await
    }

    /// T8: inquiries received before `received_before` still waiting for their first answer
    /// and not yet alerted.
    pub async fn inquiries_overdue(&self, received_before: Timestamp) -> Result<Vec<InquiryRow>> {
        parse_all(
            sqlx::query_as(&format!(
                "{INQUIRY} WHERE state IN ('received', 'assigned') AND received_us < $1
                     AND overdue_alert_id IS NULL ORDER BY received_us"
            ))
            .bind(to_us(received_before))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// T8: raises the overdue alert, remembers it on the inquiry (the first answer resolves
    /// it) and writes the event that gets the alert's id, in one transaction.
    pub async fn raise_inquiry_overdue(
        &self,
        receipt: &Receipt,
        alert: &NewAlert,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        let receipt = receipt.as_str().to_owned();
        let remember = |alert_id: i64| {
            sqlx::query(
                "UPDATE inquiry SET overdue_alert_id = $2
                 WHERE receipt = $1 AND overdue_alert_id IS NULL
                   AND state IN ('received', 'assigned')",
            )
            .bind(receipt)
            .bind(alert_id)
        };
        let conflict = "the inquiry was answered or alerted meanwhile";
        self.raise_alert_on(alert, now, remember, conflict, event)
            .await
    }
}

#[cfg(test)]
mod tests;
