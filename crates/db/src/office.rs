//! The office's records: staff, appointments, pledges, sessions, delegations, terminals,
//! requests and retrieval grants (migration `0003_office.sql`).
//!
//! Every method that changes a record takes the ledger events that describe the change and
//! writes both in one transaction ([`Db::write_with`]): no record changes without its event.
//! Permission decisions are not made here; the office asks `mimamori_policy::access` first.

use jiff::Timestamp;
use sqlx::SqliteConnection;

use crate::events::insert_all;
use crate::{to_us, Db, DbError, Event, Result};

#[derive(Debug, Clone)]
pub struct NewStaff {
    pub login: String,
    pub name: String,
    pub unit: String,
    pub contact: String,
    pub delegation_id: Option<i64>,
    pub password_hash: String,
    /// When the password counts as set: the epoch for an initial password, which must be
    /// changed at the first sign-in (N3.3.1).
    pub password_changed: Timestamp,
    pub created_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct StaffRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub unit: String,
    pub contact: String,
    pub delegation_id: Option<i64>,
    #[serde(skip)]
    pub password_hash: String,
    pub password_changed_us: i64,
    pub failed_signins: i64,
    pub locked_until_us: Option<i64>,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled_us: Option<i64>,
    pub created_by: String,
    pub created_us: i64,
    pub left_us: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AppointmentRow {
    pub id: i64,
    pub staff_id: i64,
    pub role: String,
    pub appointed_by: String,
    pub from_us: i64,
    pub until_us: Option<i64>,
    pub ended_by: Option<String>,
    pub ended_us: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub staff_id: i64,
    pub created_us: i64,
    pub last_used_us: i64,
    pub second_factor: bool,
    pub ended_us: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewDelegation {
    pub body: String,
    pub document_ref: String,
    pub scope: String,
    pub from: Timestamp,
    pub until: Timestamp,
    pub recorded_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct DelegationRow {
    pub id: i64,
    pub body: String,
    pub document_ref: String,
    pub scope: String,
    pub from_us: i64,
    pub until_us: i64,
    pub recorded_by: String,
    pub recorded_us: i64,
}

#[derive(Debug, Clone)]
pub struct NewTerminal {
    pub id: String,
    pub name: String,
    pub location: String,
    pub custodian: String,
    pub public_key: String,
    pub delegation_id: Option<i64>,
    pub registered_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct TerminalRow {
    pub id: String,
    pub name: String,
    pub location: String,
    pub custodian: String,
    pub public_key: String,
    pub delegation_id: Option<i64>,
    pub registered_by: String,
    pub registered_us: i64,
    pub revoked_by: Option<String>,
    pub revoked_us: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub kind: String,
    pub state: String,
    pub purpose: String,
    pub basis: String,
    pub reason: String,
    pub provision: Option<serde_json::Value>,
    pub created_by: String,
    /// Set for an internal request, which starts as the Manager's order (N9.1).
    pub ordered: bool,
    /// An emergency request (N11.1) is created with its scope, as if instructed.
    pub scope: Option<Instruction>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub purpose: String,
    pub basis: String,
    pub reason: String,
    pub provision: Option<String>,
    pub created_by: String,
    pub created_us: i64,
    pub ordered_by: Option<String>,
    pub ordered_us: Option<i64>,
    pub camera_id: Option<String>,
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
    pub handler: Option<String>,
    pub terminal_id: Option<String>,
    pub instruction_expires_us: Option<i64>,
    pub instructed_by: Option<String>,
    pub instructed_us: Option<i64>,
    pub retrieved_by: Option<String>,
    pub retrieved_us: Option<i64>,
    pub retrieval: Option<String>,
    pub reported_us: Option<i64>,
    pub report: Option<String>,
    pub closed_us: Option<i64>,
    pub closing: Option<String>,
    pub form3_alert_id: Option<i64>,
}

/// N9.2: what the Operations lead instructs.
#[derive(Debug, Clone)]
pub struct Instruction {
    pub camera_id: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub handler: String,
    pub terminal_id: String,
    pub expires: Timestamp,
    pub instructed_by: String,
}

/// A change of a request's state, with the columns the step fills.
#[derive(Debug, Clone)]
pub enum RequestUpdate {
    /// N10.1: the Manager accepts a provision request.
    Ordered {
        by: String,
    },
    Instructed(Instruction),
    Retrieved {
        by: String,
        detail: serde_json::Value,
    },
    Reported {
        detail: serde_json::Value,
    },
    /// A final step (hand-over, Form 3, decline, cancel) with its record.
    Closed {
        detail: serde_json::Value,
    },
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GrantRow {
    pub id: String,
    pub request_id: i64,
    pub issued_us: i64,
    pub expires_us: i64,
    pub used_us: Option<i64>,
}

const STAFF: &str = "SELECT id, login, name, unit, contact, delegation_id, password_hash,
     password_changed_us, failed_signins, locked_until_us, totp_secret, totp_enabled_us,
     created_by, created_us, left_us FROM staff";

const REQUEST: &str = "SELECT * FROM request";

impl Db {
    /// Runs `change` and appends the events `describe` makes of its result, in one write
    /// transaction.
    pub(crate) async fn write_with<T>(
        &self,
        change: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T>,
        describe: impl FnOnce(&T) -> Vec<Event>,
    ) -> Result<T> {
        let mut tx = self.begin_write().await?;
        let out = change(&mut tx).await?;
        insert_all(&mut tx, &describe(&out)).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Runs an UPDATE that must change exactly one row (else [`DbError::Conflict`] with
    /// `conflict`), with its event, in one transaction.
    async fn update_one(&self, query: Update, conflict: &str, event: Event) -> Result<()> {
        self.write_with(
            async |c| {
                let n = query.execute(&mut *c).await?.rows_affected();
                changed_one(n, || conflict.to_owned())
            },
            |_| vec![event],
        )
        .await
    }

    // ---- staff ----------------------------------------------------------------------------

    /// Creates an account; its event gets the new id.
    pub async fn create_staff(
        &self,
        new: &NewStaff,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        self.write_with(
            async |c| {
                let id = sqlx::query(
                    "INSERT INTO staff (login, name, unit, contact, delegation_id, password_hash,
                         password_changed_us, created_by, created_us)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&new.login)
                .bind(&new.name)
                .bind(&new.unit)
                .bind(&new.contact)
                .bind(new.delegation_id)
                .bind(&new.password_hash)
                .bind(to_us(new.password_changed))
                .bind(&new.created_by)
                .bind(to_us(now))
                .execute(&mut *c)
                .await
                .map_err(|e| unique_violation(e, "login"))?
                .last_insert_rowid();
                Ok(id)
            },
            |&id| vec![event(id)],
        )
        .await
    }

    pub async fn staff_by_login(&self, login: &str) -> Result<Option<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF} WHERE login = ?"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn staff_by_id(&self, id: i64) -> Result<Option<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn staff_list(&self) -> Result<Vec<StaffRow>> {
        Ok(sqlx::query_as(&format!("{STAFF} ORDER BY id"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// A failed sign-in: counts it, locks the account when `locked_until` is given.
    pub async fn record_signin_failure(
        &self,
        staff_id: i64,
        locked_until: Option<Timestamp>,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE staff SET failed_signins = CASE WHEN ?2 IS NULL
                         THEN failed_signins + 1 ELSE 0 END, locked_until_us = ?2 WHERE id = ?1",
                )
                .bind(staff_id)
                .bind(locked_until.map(to_us))
                .execute(&mut *c)
                .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    /// A successful sign-in: clears the failure count and opens a session. `second_factor`:
    /// the sign-in included a valid TOTP code.
    pub async fn open_session(
        &self,
        staff_id: i64,
        token_sha256: &[u8],
        second_factor: bool,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE staff SET failed_signins = 0, locked_until_us = NULL WHERE id = ?",
                )
                .bind(staff_id)
                .execute(&mut *c)
                .await?;
                sqlx::query(
                    "INSERT INTO session (token_sha256, staff_id, created_us, last_used_us,
                         second_factor) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(token_sha256)
                .bind(staff_id)
                .bind(to_us(now))
                .bind(to_us(now))
                .bind(second_factor)
                .execute(&mut *c)
                .await?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    /// N3.3.1: stores a new TOTP secret (pending until [`Db::enable_totp`]).
    pub async fn set_totp_secret(&self, staff_id: i64, secret: &str, event: Event) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE staff SET totp_secret = ?, totp_enabled_us = NULL WHERE id = ?",
                )
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

    /// A code confirmed the pending secret: sign-ins need a code from now on.
    pub async fn enable_totp(&self, staff_id: i64, now: Timestamp, event: Event) -> Result<()> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE staff SET totp_enabled_us = ? WHERE id = ? AND totp_secret IS NOT NULL",
                )
                .bind(to_us(now))
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

    pub async fn session(&self, token_sha256: &[u8]) -> Result<Option<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT staff_id, created_us, last_used_us, second_factor, ended_us FROM session
             WHERE token_sha256 = ?",
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
            "UPDATE session SET last_used_us = ?2 WHERE token_sha256 = ?1 AND last_used_us < ?3",
        )
        .bind(token_sha256)
        .bind(to_us(now))
        .bind(to_us(now) - coarse_us)
        .execute(&self.writer)
        .await?;
        Ok(())
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
                    "UPDATE session SET ended_us = ? WHERE token_sha256 = ? AND ended_us IS NULL",
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

    /// N3.3.1: a new password; other sessions of the account end.
    pub async fn set_password(
        &self,
        staff_id: i64,
        password_hash: &str,
        now: Timestamp,
        keep_session: &[u8],
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "UPDATE staff SET password_hash = ?, password_changed_us = ? WHERE id = ?",
                )
                .bind(password_hash)
                .bind(to_us(now))
                .bind(staff_id)
                .execute(&mut *c)
                .await?;
                end_sessions(c, staff_id, now, keep_session).await
            },
            |_| vec![event],
        )
        .await
    }

    /// The person leaves: appointments and sessions end; the account and pledge stay (T3.4).
    pub async fn staff_left(
        &self,
        staff_id: i64,
        by: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n =
                    sqlx::query("UPDATE staff SET left_us = ? WHERE id = ? AND left_us IS NULL")
                        .bind(to_us(now))
                        .bind(staff_id)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                changed_one(n, || "the person has already left".into())?;
                sqlx::query(
                    "UPDATE appointment SET ended_us = ?, ended_by = ? WHERE staff_id = ?
                     AND ended_us IS NULL",
                )
                .bind(to_us(now))
                .bind(by)
                .bind(staff_id)
                .execute(&mut *c)
                .await?;
                end_sessions(c, staff_id, now, &[]).await
            },
            |_| vec![event],
        )
        .await
    }

    // ---- appointments and pledges ---------------------------------------------------------

    pub async fn appoint(
        &self,
        staff_id: i64,
        role: &str,
        by: &str,
        now: Timestamp,
        until: Option<Timestamp>,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        self.write_with(
            async |c| {
                Ok(sqlx::query(
                    "INSERT INTO appointment (staff_id, role, appointed_by, from_us, until_us)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(staff_id)
                .bind(role)
                .bind(by)
                .bind(to_us(now))
                .bind(until.map(to_us))
                .execute(&mut *c)
                .await?
                .last_insert_rowid())
            },
            |&id| vec![event(id)],
        )
        .await
    }

    pub async fn end_appointment(
        &self,
        id: i64,
        by: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE appointment SET ended_us = ?, ended_by = ? WHERE id = ? AND ended_us IS NULL",
        )
        .bind(to_us(now))
        .bind(by.to_owned())
        .bind(id);
        self.update_one(query, "the appointment has already ended", event)
            .await
    }

    pub async fn appointments(&self, staff_id: i64) -> Result<Vec<AppointmentRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM appointment WHERE staff_id = ? ORDER BY id")
                .bind(staff_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn appointment(&self, id: i64) -> Result<Option<AppointmentRow>> {
        Ok(sqlx::query_as("SELECT * FROM appointment WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Roles whose appointment is in force at `now`.
    pub async fn roles_in_force(&self, staff_id: i64, now: Timestamp) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT role FROM appointment WHERE staff_id = ?1 AND from_us <= ?2
             AND ended_us IS NULL AND (until_us IS NULL OR until_us > ?2) ORDER BY role",
        )
        .bind(staff_id)
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Logins holding `role` now.
    pub async fn holders_of(&self, role: &str, now: Timestamp) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT s.login FROM appointment a JOIN staff s ON s.id = a.staff_id
             WHERE a.role = ?1 AND a.from_us <= ?2 AND a.ended_us IS NULL
             AND (a.until_us IS NULL OR a.until_us > ?2) AND s.left_us IS NULL ORDER BY s.login",
        )
        .bind(role)
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn acknowledge_pledge(
        &self,
        staff_id: i64,
        text_sha256: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "INSERT INTO pledge (staff_id, text_sha256, acknowledged_us) VALUES (?, ?, ?)",
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
    pub async fn has_pledged(&self, staff_id: i64, text_sha256: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pledge WHERE staff_id = ? AND text_sha256 = ?",
        )
        .bind(staff_id)
        .bind(text_sha256)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    // ---- delegations and terminals --------------------------------------------------------

    pub async fn create_delegation(
        &self,
        new: &NewDelegation,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        self.write_with(
            async |c| {
                Ok(sqlx::query(
                    "INSERT INTO delegation (body, document_ref, scope, from_us, until_us,
                         recorded_by, recorded_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&new.body)
                .bind(&new.document_ref)
                .bind(&new.scope)
                .bind(to_us(new.from))
                .bind(to_us(new.until))
                .bind(&new.recorded_by)
                .bind(to_us(now))
                .execute(&mut *c)
                .await?
                .last_insert_rowid())
            },
            |&id| vec![event(id)],
        )
        .await
    }

    pub async fn delegation(&self, id: i64) -> Result<Option<DelegationRow>> {
        Ok(sqlx::query_as("SELECT * FROM delegation WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn register_terminal(
        &self,
        new: &NewTerminal,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                sqlx::query(
                    "INSERT INTO terminal (id, name, location, custodian, public_key,
                         delegation_id, registered_by, registered_us)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&new.id)
                .bind(&new.name)
                .bind(&new.location)
                .bind(&new.custodian)
                .bind(&new.public_key)
                .bind(new.delegation_id)
                .bind(&new.registered_by)
                .bind(to_us(now))
                .execute(&mut *c)
                .await
                .map_err(|e| unique_violation(e, "terminal id or public key"))?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    pub async fn revoke_terminal(
        &self,
        id: &str,
        by: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE terminal SET revoked_by = ?, revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
        )
        .bind(by.to_owned())
        .bind(to_us(now))
        .bind(id.to_owned());
        self.update_one(query, "the terminal is already revoked", event)
            .await
    }

    pub async fn terminal(&self, id: &str) -> Result<Option<TerminalRow>> {
        Ok(sqlx::query_as("SELECT * FROM terminal WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn terminals(&self) -> Result<Vec<TerminalRow>> {
        Ok(sqlx::query_as("SELECT * FROM terminal ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    // ---- requests and grants --------------------------------------------------------------

    pub async fn create_request(
        &self,
        new: &NewRequest,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        let provision = new.provision.as_ref().map(|p| p.to_string());
        let ordered = new.ordered.then_some(new.created_by.as_str());
        let scope = new.scope.as_ref();
        self.write_with(
            async |c| {
                Ok(sqlx::query(
                    "INSERT INTO request (kind, state, purpose, basis, reason, provision,
                         created_by, created_us, ordered_by, ordered_us, camera_id, start_us,
                         end_us, handler, terminal_id, instruction_expires_us, instructed_by,
                         instructed_us)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&new.kind)
                .bind(&new.state)
                .bind(&new.purpose)
                .bind(&new.basis)
                .bind(&new.reason)
                .bind(provision)
                .bind(&new.created_by)
                .bind(to_us(now))
                .bind(ordered)
                .bind(ordered.map(|_| to_us(now)))
                .bind(scope.map(|i| &i.camera_id))
                .bind(scope.map(|i| to_us(i.start)))
                .bind(scope.map(|i| to_us(i.end)))
                .bind(scope.map(|i| &i.handler))
                .bind(scope.map(|i| &i.terminal_id))
                .bind(scope.map(|i| to_us(i.expires)))
                .bind(scope.map(|i| &i.instructed_by))
                .bind(scope.map(|_| to_us(now)))
                .execute(&mut *c)
                .await?
                .last_insert_rowid())
            },
            |&id| vec![event(id)],
        )
        .await
    }

    /// N11.2: emergency requests whose Form 3 is overdue at `now` and not yet alerted.
    pub async fn form3_overdue(&self, retrieved_before: Timestamp) -> Result<Vec<RequestRow>> {
        Ok(sqlx::query_as(&format!(
            "{REQUEST} WHERE kind = 'emergency' AND state = 'emergency_retrieved'
             AND retrieved_us < ? AND form3_alert_id IS NULL ORDER BY id"
        ))
        .bind(to_us(retrieved_before))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Remembers the alert raised for a request's overdue Form 3.
    pub async fn set_form3_alert(&self, request_id: i64, alert_id: i64) -> Result<()> {
        sqlx::query("UPDATE request SET form3_alert_id = ? WHERE id = ?")
            .bind(alert_id)
            .bind(request_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn delegations(&self) -> Result<Vec<DelegationRow>> {
        Ok(sqlx::query_as("SELECT * FROM delegation ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn request(&self, id: i64) -> Result<Option<RequestRow>> {
        Ok(sqlx::query_as(&format!("{REQUEST} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Requests, newest first, optionally in one state.
    pub async fn requests(&self, state: Option<&str>, limit: i64) -> Result<Vec<RequestRow>> {
        Ok(sqlx::query_as(&format!(
            "{REQUEST} WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2"
        ))
        .bind(state)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Moves a request from state `from` to `to`, filling the step's columns. Refuses with
    /// [`DbError::Conflict`] when the request is no longer in `from` (someone else moved it).
    pub async fn advance_request(
        &self,
        id: i64,
        from: &str,
        to: &str,
        update: &RequestUpdate,
        now: Timestamp,
        events: Vec<Event>,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n = update_query(update, now)
                    .bind(to.to_owned())
                    .bind(id)
                    .bind(from.to_owned())
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                changed_one(n, || format!("request {id} is no longer {from}"))
            },
            |_| events,
        )
        .await
    }

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

/// Ends a person's open sessions, except `keep` (the one changing its password).
async fn end_sessions(
    c: &mut SqliteConnection,
    staff_id: i64,
    now: Timestamp,
    keep: &[u8],
) -> Result<()> {
    sqlx::query(
        "UPDATE session SET ended_us = ? WHERE staff_id = ? AND token_sha256 <> ?
         AND ended_us IS NULL",
    )
    .bind(to_us(now))
    .bind(staff_id)
    .bind(keep)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A guarded UPDATE changed its one row, or someone else got there first.
fn changed_one(rows: u64, conflict: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 {
        return Err(DbError::Conflict(conflict()));
    }
    Ok(())
}

type Update = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'static>>;

/// The UPDATE for one step. Binds, after the step's own columns: new state, id, old state.
fn update_query(update: &RequestUpdate, now: Timestamp) -> Update {
    let now = to_us(now);
    match update.clone() {
        RequestUpdate::Ordered { by } => sqlx::query(
            "UPDATE request SET ordered_by = ?, ordered_us = ?, state = ? WHERE id = ? AND state = ?",
        )
        .bind(by)
        .bind(now),
        RequestUpdate::Instructed(i) => sqlx::query(
            "UPDATE request SET camera_id = ?, start_us = ?, end_us = ?, handler = ?,
                 terminal_id = ?, instruction_expires_us = ?, instructed_by = ?, instructed_us = ?,
                 state = ? WHERE id = ? AND state = ?",
        )
        .bind(i.camera_id)
        .bind(to_us(i.start))
        .bind(to_us(i.end))
        .bind(i.handler)
        .bind(i.terminal_id)
        .bind(to_us(i.expires))
        .bind(i.instructed_by)
        .bind(now),
        RequestUpdate::Retrieved { by, detail } => sqlx::query(
            "UPDATE request SET retrieved_by = ?, retrieval = ?, retrieved_us = ?,
                 state = ? WHERE id = ? AND state = ?",
        )
        .bind(by)
        .bind(detail.to_string())
        .bind(now),
        RequestUpdate::Reported { detail } => sqlx::query(
            "UPDATE request SET report = ?, reported_us = ?, state = ? WHERE id = ? AND state = ?",
        )
        .bind(detail.to_string())
        .bind(now),
        RequestUpdate::Closed { detail } => sqlx::query(
            "UPDATE request SET closing = ?, closed_us = ?, state = ? WHERE id = ? AND state = ?",
        )
        .bind(detail.to_string())
        .bind(now),
    }
}

fn unique_violation(e: sqlx::Error, what: &str) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            DbError::Conflict(format!("{what} is already taken"))
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventBody;

    /// Any event: these tests are about the records, not what the events say.
    fn event(_what: &str) -> Event {
        Event::system("test", EventBody::SignedIn(Default::default()))
    }

    async fn db_with_staff() -> (Db, i64) {
        let db = Db::open_in_memory().await.unwrap();
        let new = NewStaff {
            login: "sato".into(),
            name: "佐藤".into(),
            unit: "防犯係".into(),
            contact: String::new(),
            delegation_id: None,
            password_hash: "x".into(),
            password_changed: Timestamp::UNIX_EPOCH,
            created_by: "admin".into(),
        };
        let id = db
            .create_staff(&new, Timestamp::now(), |_| event("staff_created"))
            .await
            .unwrap();
        let again = db.create_staff(&new, Timestamp::now(), |_| event("staff_created"));
        assert!(matches!(again.await, Err(DbError::Conflict(_))));
        (db, id)
    }

    #[tokio::test]
    async fn t3_4_people_and_pledges_are_kept() {
        let (db, id) = db_with_staff().await;
        db.acknowledge_pledge(id, "abc", Timestamp::now(), event("pledge"))
            .await
            .unwrap();
        for sql in [
            "DELETE FROM staff",
            "DELETE FROM pledge",
            "UPDATE pledge SET text_sha256 = 'x'",
        ] {
            assert!(sqlx::query(sql).execute(db.pool()).await.is_err(), "{sql}");
        }
        db.staff_left(id, "admin", Timestamp::now(), event("left"))
            .await
            .unwrap();
        assert!(db.has_pledged(id, "abc").await.unwrap());
        // Every change wrote its event: created, pledge, left.
        assert_eq!(db.ledger_size().await.unwrap(), 3);
    }

    #[tokio::test]
    async fn n7_roles_in_force_follow_appointments() {
        let (db, id) = db_with_staff().await;
        let now = Timestamp::now();
        let a = db
            .appoint(id, "image_handler", "mgr", now, None, |_| {
                event("appointed")
            })
            .await
            .unwrap();
        let later = now + jiff::SignedDuration::from_secs(1);
        assert_eq!(
            db.roles_in_force(id, later).await.unwrap(),
            ["image_handler"]
        );
        db.end_appointment(a, "mgr", later, event("ended"))
            .await
            .unwrap();
        let again = db.end_appointment(a, "mgr", later, event("ended")).await;
        assert!(matches!(again, Err(DbError::Conflict(_))));
        assert!(db.roles_in_force(id, later).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn n9_4_a_grant_is_used_once_and_a_step_is_taken_once() {
        let db = Db::open_in_memory().await.unwrap();
        let now = Timestamp::now();
        let new = NewRequest {
            kind: "internal".into(),
            state: "ordered".into(),
            purpose: "p".into(),
            basis: "b".into(),
            reason: "r".into(),
            provision: None,
            created_by: "mgr".into(),
            ordered: true,
            scope: None,
        };
        let id = db
            .create_request(&new, now, |_| event("order"))
            .await
            .unwrap();
        let close = RequestUpdate::Closed {
            detail: serde_json::json!({"why": "test"}),
        };
        db.advance_request(id, "ordered", "cancelled", &close, now, vec![event("c")])
            .await
            .unwrap();
        let twice = db
            .advance_request(id, "ordered", "cancelled", &close, now, vec![event("c")])
            .await;
        assert!(matches!(twice, Err(DbError::Conflict(_))));
        let grant = GrantRow {
            id: "g1".into(),
            request_id: id,
            issued_us: to_us(now),
            expires_us: to_us(now) + 1,
            used_us: None,
        };
        db.issue_grant(&grant, event("grant")).await.unwrap();
        db.use_grant("g1", now, event("use")).await.unwrap();
        let replay = db.use_grant("g1", now, event("use")).await;
        assert!(matches!(replay, Err(DbError::Conflict(_))));
        // The refused replay wrote nothing.
        assert_eq!(db.ledger_size().await.unwrap(), 4);
    }
}
