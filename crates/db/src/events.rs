//! The append-only event record. Triggers in the schema refuse UPDATE and DELETE, so an event,
//! once written, stays as written; the ledger issue chains and signs these rows.

use jiff::Timestamp;
use sqlx::SqliteConnection;

use crate::{to_us, Db, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Refused,
    Done,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Refused => "refused",
            Outcome::Done => "done",
            Outcome::Failed => "failed",
        }
    }
}

/// Something that happened: who did what, under which rule, with what outcome.
#[derive(Debug, Clone)]
pub struct Event {
    pub time: Timestamp,
    /// A user name, or `system:<component>` for mimamori's own work.
    pub actor: String,
    pub role: Option<String>,
    pub terminal: Option<String>,
    pub kind: String,
    pub rule: Option<String>,
    pub outcome: Outcome,
    pub detail: serde_json::Value,
}

impl Event {
    /// An event of mimamori's own doing (recording, erasure, checks).
    pub fn system(
        component: &str,
        kind: &str,
        rule: Option<&str>,
        detail: serde_json::Value,
    ) -> Self {
        Event {
            time: Timestamp::now(),
            actor: format!("system:{component}"),
            role: None,
            terminal: None,
            kind: kind.to_owned(),
            rule: rule.map(str::to_owned),
            outcome: Outcome::Done,
            detail,
        }
    }

    pub fn at(mut self, time: Timestamp) -> Self {
        self.time = time;
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

pub(crate) async fn insert(conn: &mut SqliteConnection, e: &Event) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO event (time_us, actor, role, terminal, kind, rule, outcome, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_us(e.time))
    .bind(&e.actor)
    .bind(&e.role)
    .bind(&e.terminal)
    .bind(&e.kind)
    .bind(&e.rule)
    .bind(e.outcome.as_str())
    .bind(e.detail.to_string())
    .execute(conn)
    .await?
    .last_insert_rowid())
}

impl Db {
    pub async fn append_event(&self, event: &Event) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, event).await
    }

    /// Events of one kind (or all), oldest first.
    pub async fn events(&self, kind: Option<&str>) -> Result<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
             WHERE ?1 IS NULL OR kind = ?1 ORDER BY id",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_cannot_be_changed_or_deleted() {
        let db = Db::open_in_memory().await.unwrap();
        let id = db
            .append_event(&Event::system(
                "test",
                "probe",
                None,
                serde_json::json!({"a": 1}),
            ))
            .await
            .unwrap();
        let update = sqlx::query("UPDATE event SET actor = 'x' WHERE id = ?").bind(id);
        assert!(update.execute(db.pool()).await.is_err());
        let delete = sqlx::query("DELETE FROM event WHERE id = ?").bind(id);
        assert!(delete.execute(db.pool()).await.is_err());
        assert_eq!(db.events(Some("probe")).await.unwrap().len(), 1);
    }
}
