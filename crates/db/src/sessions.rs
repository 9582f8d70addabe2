//! Sessions (N3.3.1): only the SHA-256 of a session token is stored; a session ends at
//! sign-out, at a password change (all but the changing one), and when the person leaves.

use jiff::Timestamp;
use sqlx::AnyConnection;

use mimamori_policy::StaffId;

use crate::write::changed_one;
use crate::{to_us, Db, Event, Flag, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub staff_id: StaffId,
    pub created_us: i64,
    pub last_used_us: i64,
    #[sqlx(try_from = "Flag")]
    pub second_factor: bool,
    pub ended_us: Option<i64>,
}

/// A session still open, as its holder sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenSession {
    pub token_sha256: Vec<u8>,
    pub created_us: i64,
    pub last_used_us: i64,
    #[sqlx(try_from = "Flag")]
    pub second_factor: bool,
}

impl Db {
    /// A successful sign-in: clears the failure count and opens a session. `second_factor`:
    /// the sign-in included a valid TOTP code. Refuses with [`crate::DbError::Conflict`] if the
    /// account was locked meanwhile (by racing failed attempts): the lock is checked in the
    /// transaction that opens the session.
    pub async fn open_session(
        &self,
        staff_id: StaffId,
        token_sha256: &[u8],
        second_factor: bool,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE staff SET failed_signins = 0, locked_until_us = NULL WHERE id = $1
                     AND (locked_until_us IS NULL OR locked_until_us <= $2)",
                )
                .bind(staff_id)
                .bind(to_us(now))
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || "the account is locked".into())?;
                sqlx::query(
                    "INSERT INTO session (token_sha256, staff_id, created_us, last_used_us,
                         second_factor) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_sha256)
                .bind(staff_id)
                .bind(to_us(now))
                .bind(to_us(now))
                .bind(Flag(second_factor))
                .execute(&mut *c)
                .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    pub async fn session(&self, token_sha256: &[u8]) -> Result<Option<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT staff_id, created_us, last_used_us, second_factor, ended_us FROM session
             WHERE token_sha256 = $1",
        )
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks a session used now, unless it was used within the last `coarse_us` (which keeps
    /// reads from writing on every request).
    pub async fn touch_session(
        &self,
        token_sha256: &[u8],
        now: Timestamp,
        coarse_us: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE session SET last_used_us = $2 WHERE token_sha256 = $1 AND last_used_us < $3",
        )
        .bind(token_sha256)
        .bind(to_us(now))
        .bind(to_us(now) - coarse_us)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// A person's sessions still open, newest first, with their token hashes (to tell the
    /// caller's own).
    pub async fn open_sessions(&self, staff_id: StaffId) -> Result<Vec<OpenSession>> {
        Ok(sqlx::query_as(
            "SELECT token_sha256, created_us, last_used_us, second_factor FROM session
             WHERE staff_id = $1 AND ended_us IS NULL ORDER BY created_us DESC",
        )
        .bind(staff_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// N3.3.1: ends a person's sessions other than `keep`; the event says how many ended.
    pub async fn end_other_sessions(
        &self,
        staff_id: StaffId,
        keep: &[u8],
        now: Timestamp,
        event: impl FnOnce(u64) -> Event,
    ) -> Result<u64> {
        self.write_with(
            async |c| end_sessions(c, staff_id, now, keep).await,
            |ended| vec![event(*ended)],
        )
        .await
    }

    pub async fn end_session(
        &self,
        token_sha256: &[u8],
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE session SET ended_us = $1 WHERE token_sha256 = $2 AND ended_us IS NULL",
                )
                .bind(to_us(now))
                .bind(token_sha256)
                .execute(&mut *c)
                .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }
}

/// Ends a person's open sessions, except `keep` (the one changing its password); how many.
pub(crate) async fn end_sessions(
    c: &mut AnyConnection,
    staff_id: StaffId,
    now: Timestamp,
    keep: &[u8],
) -> Result<u64> {
    let ended = sqlx::query(
        "UPDATE session SET ended_us = $1 WHERE staff_id = $2 AND token_sha256 <> $3
         AND ended_us IS NULL",
    )
    .bind(to_us(now))
    .bind(staff_id)
    .bind(keep)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(ended)
}
