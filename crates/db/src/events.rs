//! The append-only event record. Triggers in the schema refuse UPDATE and DELETE, so an event,
//! once written, stays as written. Every event is also a leaf of the ledger's Merkle tree: see
//! [`crate::ledger`].

use jiff::Timestamp;
use mimamori_ledger::canonical::canonical_json;
use mimamori_ledger::tree::leaf_hash;
use mimamori_ledger::VocabularyError;
use mimamori_ledger::{encode_event, CanonicalError, EventBody, EventFields, EventKind};
use mimamori_policy::access::Role;
use sqlx::AnyConnection;

use crate::{ledger, placeholders, to_us, Db, DbError, Result};

/// Something that happened: who did what, where, and the typed record of it. The kind, the
/// rule and the outcome the ledger stores are the body's own ([`EventBody::rules`]).
#[derive(Debug, Clone)]
pub struct Event {
    pub time: Timestamp,
    /// A user name, or `system:<component>` for mimamori's own work.
    pub actor: String,
    /// The role the actor acted in, for a person's event.
    pub role: Option<Role>,
    /// The dedicated terminal it happened at, if any.
    pub terminal: Option<String>,
    pub body: EventBody,
}

impl Event {
    /// An event of mimamori's own doing (recording, erasure, checks), timed now: callers with
    /// a clock set the time with [`Event::at`].
    pub fn system(component: &str, body: EventBody) -> Self {
        Self::by(format!("system:{component}"), body)
    }

    /// An event recorded for `actor` without a role (set-up, the server's own CLI).
    pub fn by(actor: impl Into<String>, body: EventBody) -> Self {
        Event {
            time: Timestamp::now(),
            actor: actor.into(),
            role: None,
            terminal: None,
            body,
        }
    }

    pub fn at(mut self, time: Timestamp) -> Self {
        self.time = time;
        self
    }

    pub fn at_terminal(mut self, terminal: impl Into<String>) -> Self {
        self.terminal = Some(terminal.into());
        self
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub time_us: i64,
    pub actor: String,
    pub role: Option<String>,
    pub terminal: Option<String>,
    pub kind: String,
    pub rule: Option<String>,
    pub outcome: String,
    pub detail: String,
}

/// Appends events to the log: each row gets the next leaf's id, and its leaf and subtree hashes
/// are stored in the same transaction, so the table and the tree never disagree. The caller must
/// hold a write transaction ([`Db::begin_write`]); returns the new ids.
pub(crate) async fn insert_all(conn: &mut AnyConnection, events: &[Event]) -> Result<Vec<i64>> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM ledger_head")
        .fetch_one(&mut *conn)
        .await?;
    let mut ids = Vec::with_capacity(events.len());
    let mut leaves = Vec::with_capacity(events.len());
    for (id, e) in (size + 1..).zip(events) {
        let (_, detail) = e.body.to_parts();
        let detail = canonical_json(&detail).map_err(|err| invalid_event(e, err))?;
        let row = EventRow::new(id, e, detail);
        let bytes = row.canonical_bytes().map_err(|err| invalid_event(e, err))?;
        leaves.push(leaf_hash(&bytes));
        sqlx::query(
            "INSERT INTO event (id, time_us, actor, role, terminal, kind, rule, outcome, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(row.id)
        .bind(row.time_us)
        .bind(&row.actor)
        .bind(&row.role)
        .bind(&row.terminal)
        .bind(&row.kind)
        .bind(&row.rule)
        .bind(&row.outcome)
        .bind(&row.detail)
        .execute(&mut *conn)
        .await?;
        ids.push(id);
    }
    ledger::append_leaves(conn, size as u64, &leaves).await?;
    Ok(ids)
}

pub(crate) async fn insert(conn: &mut AnyConnection, e: &Event) -> Result<i64> {
    Ok(insert_all(conn, std::slice::from_ref(e)).await?[0])
}

fn invalid_event(e: &Event, err: CanonicalError) -> DbError {
    DbError::Invalid(format!(
        "event {} cannot enter the ledger: {err}",
        e.body.kind()
    ))
}

impl EventRow {
    fn new(id: i64, e: &Event, detail: String) -> EventRow {
        let rules = e.body.rules();
        EventRow {
            id,
            time_us: to_us(e.time),
            actor: e.actor.clone(),
            role: e.role.map(|r| r.as_str().to_owned()),
            terminal: e.terminal.clone(),
            kind: e.body.kind().as_str().to_owned(),
            rule: (!rules.0.is_empty()).then(|| rules.to_string()),
            outcome: e.body.outcome().as_str().to_owned(),
            detail,
        }
    }

    /// The event's typed body. An event this release cannot read is an error, never a guess.
    pub fn body(&self) -> Result<EventBody, VocabularyError> {
        let detail = serde_json::from_str(&self.detail).map_err(|e| VocabularyError {
            kind: self.kind.clone(),
            error: e.to_string(),
        })?;
        EventBody::from_parts(&self.kind, self.rule.as_deref(), detail)
    }

    /// The log's leaf index of this event.
    pub fn seq(&self) -> u64 {
        (self.id - 1) as u64
    }

    /// The bytes the log's leaf is the hash of (`docs/ledger.md`).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        let detail: serde_json::Value = serde_json::from_str(&self.detail)
            .unwrap_or(serde_json::Value::String(self.detail.clone()));
        encode_event(&EventFields {
            seq: self.seq(),
            time_us: self.time_us,
            actor: &self.actor,
            role: self.role.as_deref(),
            terminal: self.terminal.as_deref(),
            kind: &self.kind,
            rule: self.rule.as_deref(),
            outcome: &self.outcome,
            detail: &detail,
        })
    }
}

impl Db {
    pub async fn append_event(&self, event: &Event) -> Result<i64> {
        Ok(self.append_events(std::slice::from_ref(event)).await?[0])
    }

    /// Appends several events in one transaction (one fsync); returns their ids.
    pub async fn append_events(&self, events: &[Event]) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let ids = insert_all(&mut tx, events).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Events of any of these kinds, oldest first.
    pub async fn events_of_kinds(&self, kinds: &[EventKind]) -> Result<Vec<EventRow>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
             WHERE kind IN ({}) ORDER BY id",
            placeholders(1, kinds.len())
        );
        let mut query = sqlx::query_as(&sql);
        for kind in kinds {
            query = query.bind(kind.as_str());
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// The newest `limit` events, newest first, optionally only those whose kind or actor is
    /// `text` exactly.
    pub async fn recent_events(&self, text: Option<&str>, limit: i64) -> Result<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
             WHERE $1 IS NULL OR kind = $1 OR actor = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(text)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One event by its id (its leaf is id − 1).
    pub async fn event(&self, id: i64) -> Result<Option<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Events of one kind (or all), oldest first.
    pub async fn events(&self, kind: Option<EventKind>) -> Result<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
             WHERE $1 IS NULL OR kind = $1 ORDER BY id",
        )
        .bind(kind.map(EventKind::as_str))
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_cannot_be_changed_or_deleted() {
        let db = crate::testutil::test_db().await;
        let id = db
            .append_event(&Event::system(
                "test",
                EventBody::SignedIn(Default::default()),
            ))
            .await
            .unwrap();
        let update = sqlx::query("UPDATE event SET actor = 'x' WHERE id = $1").bind(id);
        assert!(update.execute(db.pool()).await.is_err());
        let delete = sqlx::query("DELETE FROM event WHERE id = $1").bind(id);
        assert!(delete.execute(db.pool()).await.is_err());
        assert_eq!(db.events(Some(EventKind::SignedIn)).await.unwrap().len(), 1);
    }
}
