//! People (N7, T3.4): accounts, their passwords and second factors, leaving, and the
//! confidentiality pledge (N12). People and pledges are never deleted; a person who leaves
//! keeps the row, with `left_us` set.

use jiff::Timestamp;

use crate::sessions::end_sessions;
use crate::write::{changed_one, unique_violation};
use mimamori_policy::{DelegationId, Login, StaffId};

use crate::{to_us, Db, Event, Result};

#[derive(Debug, Clone)]
pub struct NewStaff {
    pub login: Login,
    pub name: String,
    pub unit: String,
    pub contact: String,
    pub delegation_id: Option<DelegationId>,
    pub credential: Credential,
    pub created_by: String,
}

/// How a new account gets its password (N3.3.1).
#[derive(Debug, Clone)]
pub enum Credential {
    /// The holder sets it with a one-time code before `expires` (issue 11, #1: an Administrator
    /// who chose new accounts' passwords could sign in as them). Only the code's SHA-256 is kept.
    Enrolment {
        code_sha256: [u8; 32],
        expires: Timestamp,
    },
    /// Set where its holder is: the first Administrator at the server's console, the demo's
    /// and the tests' people. `changed` is the epoch for one that must be changed at the first
    /// sign-in.
    Password { hash: String, changed: Timestamp },
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffRow {
    pub id: StaffId,
    pub login: Login,
    pub name: String,
    pub unit: String,
    pub contact: String,
    pub delegation_id: Option<DelegationId>,
    #[serde(skip)]
    pub password_hash: String,
    pub password_changed_us: i64,
    pub failed_signins: i64,
    pub locked_until_us: Option<i64>,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled_us: Option<i64>,
    /// A secret being set up; the enabled one stays in force until a code confirms this.
    #[serde(skip)]
    pub totp_pending_secret: Option<String>,
    /// The time step of the last code accepted (RFC 6238 §5.2: a code is used once).
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    /// When the holder set their own password (N3.3.1); none yet: the account cannot sign in.
    pub enrolled_us: Option<i64>,
    /// The open enrolment code's expiry, if one is open (the code is never shown again).
    pub enrolment_expires_us: Option<i64>,
    #[serde(skip)]
    pub enrolment_sha256: Option<Vec<u8>>,
    pub created_by: String,
    pub created_us: i64,
    pub left_us: Option<i64>,
}

/// The password of an account that has not enrolled: not a PHC string, so no password matches.
pub(crate) const UNUSABLE_PASSWORD: &str = "!";

const STAFF: &str = "SELECT id, login, name, unit, contact, delegation_id, password_hash,
     password_changed_us, failed_signins, locked_until_us, totp_secret, totp_enabled_us,
     totp_pending_secret, totp_last_step, enrolled_us, enrolment_expires_us, enrolment_sha256,
     created_by, created_us, left_us FROM staff";

/// What a failed sign-in did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigninFailure {
    /// Failures counted, this one included.
    pub failures: i64,
    /// Set when this failure locked the account.
    pub locked_until: Option<Timestamp>,
}

impl Db {
    /// Creates an account; its events get the new id.
    pub async fn create_staff(
        &self,
        new: &NewStaff,
        now: Timestamp,
        events: impl FnOnce(StaffId) -> Vec<Event>,
    ) -> Result<StaffId> {
        let (hash, changed, enrolled, code, expires) = match &new.credential {
            Credential::Enrolment {
                code_sha256,
                expires,
            } => (
                UNUSABLE_PASSWORD,
                0,
                None,
                Some(&code_sha256[..]),
                Some(to_us(*expires)),
            ),
            Credential::Password { hash, changed } => {
                (hash.as_str(), to_us(*changed), Some(to_us(now)), None, None)
            }
        };
        self.write_with(
            async |c| {
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO staff (login, name, unit, contact, delegation_id, password_hash,
                         password_changed_us, enrolled_us, enrolment_sha256, enrolment_expires_us,
                         created_by, created_us)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(&new.login)
                .bind(&new.name)
                .bind(&new.unit)
                .bind(&new.contact)
                .bind(new.delegation_id)
                .bind(hash)
                .bind(changed)
                .bind(enrolled)
                .bind(code)
                .bind(expires)
                .bind(&new.created_by)
                .bind(to_us(now))
                .fetch_one(&mut *c)
                .await
                .map_err(|e| unique_violation(e, "login"))?;
                Ok(StaffId::new(id))
            },
            |&id| events(id),
        )
        .await
    }

    pub async fn staff_by_login(&self, login: &str) -> Result<Option<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF} WHERE login = $1"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn staff_by_id(&self, id: StaffId) -> Result<Option<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn staff_list(&self) -> Result<Vec<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF} ORDER BY id"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// A failed sign-in (a wrong password or second factor), counted in the statement that
    /// reads the count, so racing attempts cannot all see the same one (N3.3.1, issue 11 #8).
    /// The `limit`th failure locks the account until `locked_until` and starts the count
    /// again. Returns the failures counted and the lock, if this one set it; the event is made
    /// of the same.
    pub async fn record_signin_failure(
        &self,
        staff_id: StaffId,
        (limit, locked_until): (i64, Timestamp),
        event: impl FnOnce(SigninFailure) -> Event,
    ) -> Result<SigninFailure> {
        self.write_with(
            async |c| {
                let (count, lock): (i64, Option<i64>) = sqlx::query_as(
                    "UPDATE staff SET
                         locked_until_us = CASE WHEN failed_signins + 1 >= $2 THEN $3
                             ELSE locked_until_us END,
                         failed_signins = CASE WHEN failed_signins + 1 >= $2 THEN 0
                             ELSE failed_signins + 1 END
                     WHERE id = $1 RETURNING failed_signins, locked_until_us",
                )
                .bind(staff_id)
                .bind(limit)
                .bind(to_us(locked_until))
                .fetch_one(&mut *c)
                .await?;
                let locked = count == 0 && lock == Some(to_us(locked_until));
                Ok(SigninFailure {
                    failures: if locked { limit } else { count },
                    locked_until: locked.then_some(locked_until),
                })
            },
            |&failure| vec![event(failure)],
        )
        .await
    }

    /// N3.3.1: stores a new TOTP secret, pending until [`Db::enable_totp`]; a second factor
    /// already in force stays in force meanwhile.
    pub async fn set_totp_secret(
        &self,
        staff_id: StaffId,
        secret: &str,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query("UPDATE staff SET totp_pending_secret = $1 WHERE id = $2")
                    .bind(secret)
                    .bind(staff_id)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    /// Rewrites how an account's TOTP secrets are stored (sealing ones an older release kept in
    /// plain text), leaving what they are unchanged. Not an event: nothing about the account
    /// changes.
    pub async fn restore_totp_secrets(
        &self,
        staff_id: StaffId,
        (secret, pending): (Option<&str>, Option<&str>),
    ) -> Result<()> {
        sqlx::query("UPDATE staff SET totp_secret = $1, totp_pending_secret = $2 WHERE id = $3")
            .bind(secret)
            .bind(pending)
            .bind(staff_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A code (of time step `step`) confirmed the pending secret: it replaces the one in
    /// force, and sign-ins need a code from now on.
    pub async fn enable_totp(
        &self,
        staff_id: StaffId,
        step: i64,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE staff SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
                         totp_enabled_us = $1, totp_last_step =
                             CASE WHEN coalesce(totp_last_step, 0) > $2 THEN totp_last_step ELSE $2 END
                     WHERE id = $3 AND totp_pending_secret IS NOT NULL",
                )
                .bind(to_us(now))
                .bind(step)
                .bind(staff_id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || "no second factor is being set up".into())
            },
            |_| vec![event],
        )
        .await
    }

    /// RFC 6238 §5.2: accepts the code of time step `step` once. False when a code of this step
    /// or a later one was already accepted (a replay, or a race with the same code).
    pub async fn claim_totp_step(&self, staff_id: StaffId, step: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE staff SET totp_last_step = $1 WHERE id = $2
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(staff_id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// N3.3.1: a new password; other sessions of the account end.
    pub async fn set_password(
        &self,
        staff_id: StaffId,
        password_hash: &str,
        now: Timestamp,
        keep_session: &[u8],
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE staff SET password_hash = $1, password_changed_us = $2 WHERE id = $3",
                )
                .bind(password_hash)
                .bind(to_us(now))
                .bind(staff_id)
                .execute(&mut *c)
                .await?;
                end_sessions(c, staff_id, now, keep_session).await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    /// The person leaves: appointments and sessions end; the account and pledge stay (T3.4).
    pub async fn staff_left(
        &self,
        staff_id: StaffId,
        by: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n =
                    sqlx::query("UPDATE staff SET left_us = $1 WHERE id = $2 AND left_us IS NULL")
                        .bind(to_us(now))
                        .bind(staff_id)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                changed_one(n, || "the person has already left".into())?;
                sqlx::query(
                    "UPDATE appointment SET ended_us = $1, ended_by = $2 WHERE staff_id = $3
                     AND ended_us IS NULL",
                )
                .bind(to_us(now))
                .bind(by)
                .bind(staff_id)
                .execute(&mut *c)
                .await?;
                end_sessions(c, staff_id, now, &[]).await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    pub async fn acknowledge_pledge(
        &self,
        staff_id: StaffId,
        text_sha256: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "INSERT INTO pledge (staff_id, text_sha256, acknowledged_us) VALUES ($1, $2, $3)",
                )
                .bind(staff_id)
                .bind(text_sha256)
                .bind(to_us(now))
                .execute(&mut *c)
                .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    /// N12: has the person acknowledged this text of the pledge?
    pub async fn has_pledged(&self, staff_id: StaffId, text_sha256: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pledge WHERE staff_id = $1 AND text_sha256 = $2",
        )
        .bind(staff_id)
        .bind(text_sha256)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{any_event, db_with_staff, new_staff, t0};
    use crate::DbError;

    #[tokio::test]
    async fn a_login_is_taken_once() {
        let (db, _) = db_with_staff().await;
        let again = db
            .create_staff(&new_staff("sato"), t0(), |_| vec![any_event()])
            .await;
        assert!(matches!(again, Err(DbError::Conflict(_))));
    }

    #[tokio::test]
    async fn t3_4_people_and_pledges_are_kept() {
        let (db, id) = db_with_staff().await;
        db.acknowledge_pledge(id, "abc", t0(), any_event())
            .await
            .unwrap();
        for sql in [
            "DELETE FROM staff",
            "DELETE FROM pledge",
            "UPDATE pledge SET text_sha256 = 'x'",
        ] {
            assert!(sqlx::query(sql).execute(db.pool()).await.is_err(), "{sql}");
        }
        db.staff_left(id, "admin", t0(), any_event()).await.unwrap();
        assert!(db.has_pledged(id, "abc").await.unwrap());
        // Every change wrote its event: created, pledge, left.
        assert_eq!(db.ledger_size().await.unwrap(), 3);
    }
}
