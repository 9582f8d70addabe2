//! Single-use retrieval grants (N9.4): bound to a request, and so to its cameras, ranges,
//! handler and terminal.
//!
//! Using a grant is the only way to get a [`SpentGrant`]; splitting one is the only way to get
//! a [`ClipGrant`], and a `ClipGrant` is the only thing the recorder's export accepts: no code
//! path can export footage without a grant spent in the ledger first. Neither type has a public
//! constructor or is `Clone`; the split consumes the grant and the export takes its clip by
//! value, so one grant lets out one clip of each camera its instruction named, once.

use jiff::Timestamp;
use mimamori_policy::{CameraId, RequestId, TerminalId};

use crate::requests::CameraScope;
use crate::write::changed_one;
use crate::{to_us, Db, DbError, Event, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GrantRow {
    pub id: String,
    pub request_id: RequestId,
    pub issued_us: i64,
    pub expires_us: i64,
    pub used_us: Option<i64>,
    /// A newer grant was issued for the request: this one can no longer be used.
    pub superseded_us: Option<i64>,
    /// Its retrieval made no package; the request may be retrieved with a new grant.
    pub failed_us: Option<i64>,
}

impl Db {
    /// Issues a grant; any unused grant of the same request is superseded in the same
    /// transaction (one live grant per request).
    pub async fn issue_grant(&self, grant: &GrantRow, event: Event) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE retrieval_grant SET superseded_us = $1 WHERE request_id = $2
                     AND used_us IS NULL AND superseded_us IS NULL",
                )
                .bind(grant.issued_us)
                .bind(grant.request_id)
                .execute(&mut *c)
                .await?;
                sqlx::query(
                    "INSERT INTO retrieval_grant (id, request_id, issued_us, expires_us)
                     VALUES ($1, $2, $3, $4)",
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
        Ok(
            sqlx::query_as("SELECT * FROM retrieval_grant WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Whether the footage of a request was already let out: a grant of it was used and its
    /// retrieval did not fail.
    pub async fn request_retrieved(&self, request: RequestId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM retrieval_grant WHERE request_id = $1 AND used_us IS NOT NULL
             AND failed_us IS NULL",
        )
        .bind(request)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Uses a grant once: refuses with [`DbError::Conflict`] if it was used already, was
    /// superseded, or another grant of its request was used without failing (checked in the
    /// same statement, so two racing retrievals cannot both pass). The event (the retrieval's
    /// start) is written in the same transaction, which also reads the scope the grant lets
    /// out: its request's instruction.
    pub async fn use_grant(&self, id: &str, now: Timestamp, event: Event) -> Result<SpentGrant> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE retrieval_grant SET used_us = $1 WHERE id = $2 AND used_us IS NULL
                     AND superseded_us IS NULL AND NOT EXISTS (
                         SELECT 1 FROM retrieval_grant o WHERE o.request_id = retrieval_grant.request_id
                         AND o.used_us IS NOT NULL AND o.failed_us IS NULL)",
                )
                .bind(to_us(now))
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || {
                    "the grant was already used or superseded, or its request's footage was \
                     already retrieved"
                        .into()
                })?;
                let request: Option<RequestId> =
                    sqlx::query_scalar("SELECT request_id FROM retrieval_grant WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *c)
                        .await?;
                let row = match request {
                    Some(request) => crate::requests::request_in(c, request).await?,
                    None => None,
                };
                let (request, instruction) = row
                    .and_then(|r| Some((r.id, r.instruction?)))
                    .ok_or_else(|| {
                        DbError::Invalid(format!(
                            "grant {id} belongs to a request without a scope"
                        ))
                    })?;
                Ok(SpentGrant {
                    grant: id.to_owned(),
                    request,
                    cameras: instruction.cameras,
                    handler: instruction.handler,
                    terminal: instruction.terminal_id,
                    used: now,
                })
            },
            |_| vec![event],
        )
        .await
    }
}

impl Db {
    /// The retrieval of a spent grant made no package: the grant is marked failed with the
    /// event that says why, in one transaction, and its request may be retrieved again.
    pub async fn grant_failed(&self, id: &str, now: Timestamp, event: Event) -> Result<()> {
        let query = sqlx::query(
            "UPDATE retrieval_grant SET failed_us = $1 WHERE id = $2 AND used_us IS NOT NULL
             AND failed_us IS NULL",
        )
        .bind(to_us(now))
        .bind(id.to_owned());
        self.update_one(query, "the grant was not in use", event)
            .await
    }
}

/// A retrieval grant that has been used, with the scope it lets out (N9.4): the cameras and
/// ranges its request's instruction named. Only [`Db::use_grant`] makes one; code elsewhere
/// cannot build one, nor copy one:
///
/// ```compile_fail
/// // Fields are private: no export without a grant spent in the ledger.
/// let now = jiff::Timestamp::now();
/// let forged = mimamori_db::SpentGrant {
///     grant: "g".into(),
///     request: mimamori_policy::RequestId::new(1),
///     cameras: vec![],
///     handler: "h".into(),
///     terminal: mimamori_policy::TerminalId::new("t"),
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
    cameras: Vec<CameraScope>,
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

    /// The cameras and ranges the instruction named: all the footage this grant lets out.
    pub fn cameras(&self) -> &[CameraScope] {
        &self.cameras
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

    /// The grant split into one [`ClipGrant`] per camera, in the instruction's order: each
    /// lets out one clip, once. The spent grant is consumed.
    pub fn into_clips(self) -> Vec<ClipGrant> {
        let (grant, request, handler, terminal, used) = (
            self.grant,
            self.request,
            self.handler,
            self.terminal,
            self.used,
        );
        self.cameras
            .into_iter()
            .enumerate()
            .map(|(i, scope)| ClipGrant {
                grant: grant.clone(),
                request,
                position: i + 1,
                scope,
                handler: handler.clone(),
                terminal: terminal.clone(),
                used,
            })
            .collect()
    }
}

/// One camera's part of a [`SpentGrant`]: the recorder's export takes it and lets out one
/// clip of that camera and range. Only [`SpentGrant::into_clips`] makes one:
///
/// ```compile_fail
/// fn twice(g: mimamori_db::ClipGrant) -> (mimamori_db::ClipGrant, mimamori_db::ClipGrant) {
///     (g.clone(), g) // not Clone: one clip per camera of the grant
/// }
/// ```
#[derive(Debug)]
pub struct ClipGrant {
    grant: String,
    request: RequestId,
    position: usize,
    scope: CameraScope,
    handler: String,
    terminal: TerminalId,
    used: Timestamp,
}

impl ClipGrant {
    pub fn grant(&self) -> &str {
        &self.grant
    }

    pub fn request(&self) -> RequestId {
        self.request
    }

    /// Which camera of the instruction this is, from 1.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The camera and the range: all the footage this clip lets out.
    pub fn camera(&self) -> &CameraId {
        &self.scope.camera
    }

    pub fn start(&self) -> Timestamp {
        self.scope.start
    }

    pub fn end(&self) -> Timestamp {
        self.scope.end
    }

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

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use crate::testutil::{any_event, spend_grant, t0};
    use crate::{DbError, GrantRow};

    fn grant(id: &str, request: mimamori_policy::RequestId) -> GrantRow {
        GrantRow {
            id: id.into(),
            request_id: request,
            issued_us: crate::to_us(t0()),
            expires_us: crate::to_us(t0() + SignedDuration::from_hours(1)),
            used_us: None,
            superseded_us: None,
            failed_us: None,
        }
    }

    /// Issue 11, #12: once a grant of a request is spent, no other grant of it can be, until
    /// that retrieval fails; a newer grant supersedes an unused older one, so of two used at
    /// once only the newer can win.
    #[tokio::test]
    async fn n9_4_one_request_lets_footage_out_once() {
        let db = crate::testutil::test_db().await;
        let range = (t0() - SignedDuration::from_hours(1), t0());
        let first = spend_grant(&db, "g1", "cam1", range, "sato").await;
        let request = first.request();
        // A second grant issued after the first was spent (nothing superseded it) cannot be
        // used while the first one's retrieval stands.
        db.issue_grant(&grant("g2", request), any_event())
            .await
            .unwrap();
        assert!(db.request_retrieved(request).await.unwrap());
        let second = db.use_grant("g2", t0(), any_event()).await;
        assert!(matches!(second, Err(DbError::Conflict(_))), "{second:?}");
        // The first retrieval failed: the request may be retrieved again.
        db.grant_failed("g1", t0(), any_event()).await.unwrap();
        assert!(!db.request_retrieved(request).await.unwrap());
        db.use_grant("g2", t0(), any_event()).await.unwrap();

        // Two grants racing: both issued before either is used; the newer superseded the older.
        db.issue_grant(&grant("g3", request), any_event())
            .await
            .unwrap();
        db.grant_failed("g2", t0(), any_event()).await.unwrap();
        db.issue_grant(&grant("g4", request), any_event())
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            db.use_grant("g3", t0(), any_event()),
            db.use_grant("g4", t0(), any_event())
        );
        assert!(a.is_err(), "g3 was superseded by g4");
        assert!(b.is_ok(), "{b:?}");
        assert!(db
            .grant("g3")
            .await
            .unwrap()
            .unwrap()
            .superseded_us
            .is_some());
    }
}
