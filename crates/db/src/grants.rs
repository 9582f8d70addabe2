//! Single-use retrieval grants (N9.4): bound to a request, and so to its camera, range,
//! handler and terminal.

use jiff::Timestamp;

use crate::{to_us, Db, Event, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GrantRow {
    pub id: String,
    pub request_id: i64,
    pub issued_us: i64,
    pub expires_us: i64,
    pub used_us: Option<i64>,
}

impl Db {
    pub async fn issue_grant(&self, grant: &GrantRow, event: Event) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "INSERT INTO retrieval_grant (id, request_id, issued_us, expires_us)
                     VALUES (?, ?, ?, ?)",
                )
                .bind(&grant.id)
                .bind(grant.request_id)
                .bind(grant.issued_us)
                .bind(grant.expires_us)
                .execute(&mut *c)
                .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    pub async fn grant(&self, id: &str) -> Result<Option<GrantRow>> {
        Ok(sqlx::query_as("SELECT * FROM retrieval_grant WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Uses a grant once: refuses with [`DbError::Conflict`] if it was used already. The event
    /// (the retrieval's start) is written in the same transaction.
    pub async fn use_grant(&self, id: &str, now: Timestamp, event: Event) -> Result<()> {
        let query =
            sqlx::query("UPDATE retrieval_grant SET used_us = ? WHERE id = ? AND used_us IS NULL")
                .bind(to_us(now))
                .bind(id.to_owned());
        self.update_one(query, "the grant was already used", event)
            .await
    }
}
