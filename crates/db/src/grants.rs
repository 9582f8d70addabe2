//! Single-use retrieval grants (N9.4): bound to a request, and so to its camera, range,
//! handler and terminal.
//!
//! Using a grant is the only way to get a [`SpentGrant`], and a `SpentGrant` is the only thing
//! the recorder's export accepts: no code path can export footage without a grant spent in the
//! ledger first. The type has no public constructor and is not `Clone`; the export takes it by
//! value, so one grant lets one export out.

use jiff::Timestamp;
use mimamori_policy::{CameraId, RequestId, TerminalId};

use crate::write::changed_one;
use crate::{from_us, to_us, Db, DbError, Event, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GrantRow {
    pub id: String,
    pub request_id: RequestId,
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
    /// (the retrieval's start) is written in the same transaction, which also reads the scope
    /// the grant lets out: its request's instruction.
    pub async fn use_grant(&self, id: &str, now: Timestamp, event: Event) -> Result<SpentGrant> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE retrieval_grant SET used_us = ? WHERE id = ? AND used_us IS NULL",
                )
                .bind(to_us(now))
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || "the grant was already used".into())?;
                let scope: Option<Scope> = sqlx::query_as(
                    "SELECT g.request_id, r.camera_id, r.start_us, r.end_us, r.handler,
                         r.terminal_id
                     FROM retrieval_grant g JOIN request r ON r.id = g.request_id
                     WHERE g.id = ? AND r.camera_id IS NOT NULL",
                )
                .bind(id)
                .fetch_optional(&mut *c)
                .await?;
                let scope = scope.ok_or_else(|| {
                    DbError::Invalid(format!("grant {id} belongs to a request without a scope"))
                })?;
                let camera = CameraId::new(&scope.camera_id).map_err(|e| DbError::Corrupt {
                    record: format!("request {}", scope.request_id),
                    error: e.to_string(),
                })?;
                Ok(SpentGrant {
                    grant: id.to_owned(),
                    request: scope.request_id,
                    camera,
                    start: from_us(scope.start_us),
                    end: from_us(scope.end_us),
                    handler: scope.handler,
                    terminal: scope.terminal_id,
                    used: now,
                })
            },
            |_| vec![event],
        )
        .await
    }
}

#[derive(sqlx::FromRow)]
struct Scope {
    request_id: RequestId,
    camera_id: String,
    start_us: i64,
    end_us: i64,
    handler: String,
    terminal_id: TerminalId,
}

/// A retrieval grant that has been used, with the scope it lets out (N9.4). Only
/// [`Db::use_grant`] makes one; code elsewhere cannot build one, nor copy one:
///
/// ```compile_fail
/// // Fields are private: no export without a grant spent in the ledger.
/// let now = jiff::Timestamp::now();
/// let forged = mimamori_db::SpentGrant {
///     grant: "g".into(),
///     request: 1,
///     camera: mimamori_policy::CameraId::new("cam1").unwrap(),
///     start: now,
///     end: now,
///     handler: "h".into(),
///     terminal: "t".into(),
///     used: now,
/// };
/// ```
///
/// ```compile_fail
/// fn twice(g: mimamori_db::SpentGrant) -> (mimamori_db::SpentGrant, mimamori_db::SpentGrant) {
///     (g.clone(), g) // not Clone: one grant, one export
/// }
/// ```
#[derive(Debug)]
pub struct SpentGrant {
    grant: String,
    request: RequestId,
    camera: CameraId,
    start: Timestamp,
    end: Timestamp,
    handler: String,
    terminal: TerminalId,
    used: Timestamp,
}

impl SpentGrant {
    pub fn grant(&self) -> &str {
        &self.grant
    }

    pub fn request(&self) -> RequestId {
        self.request
    }

    /// The camera and the range the instruction named: all the footage this grant lets out.
    pub fn camera(&self) -> &CameraId {
        &self.camera
    }

    pub fn start(&self) -> Timestamp {
        self.start
    }

    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// The instructed handler and terminal.
    pub fn handler(&self) -> &str {
        &self.handler
    }

    pub fn terminal(&self) -> &TerminalId {
        &self.terminal
    }

    pub fn used(&self) -> Timestamp {
        self.used
    }
}
