//! Proposed appointments (N7.2; issue 11, #1): once the ward has had a Manager, a Manager or an
//! Administrator is appointed only when a second person confirms. The proposal waits here;
//! confirming it makes the appointment in the same transaction, so two confirmations make one
//! appointment. Proposals are kept, decided or not.

use jiff::Timestamp;
use mimamori_policy::access::Role;
use mimamori_policy::{AppointmentId, ProposalId, StaffId};

use crate::alerts::insert_alert;
use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;

use crate::{to_us, Db, DbError, Event, Flag, NewAlert, NewAppointment, Result};

/// How a proposal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProposalDecision {
    Confirmed,
    Rejected,
    /// By its proposer.
    Withdrawn,
}

impl ProposalDecision {
    pub const ALL: [ProposalDecision; 3] = [
        ProposalDecision::Confirmed,
        ProposalDecision::Rejected,
        ProposalDecision::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProposalDecision::Confirmed => "confirmed",
            ProposalDecision::Rejected => "rejected",
            ProposalDecision::Withdrawn => "withdrawn",
        }
    }
}

impl sqlx::Type<Any> for ProposalDecision {
    fn type_info() -> AnyTypeInfo {
        <String as sqlx::Type<Any>>::type_info()
    }
}

/// A stored decision is one of [`ProposalDecision::ALL`], or the row is corrupt.
impl<'r> sqlx::Decode<'r, Any> for ProposalDecision {
    fn decode(value: AnyValueRef<'r>) -> std::result::Result<Self, BoxDynError> {
        let text = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
        ProposalDecision::ALL
            .into_iter()
            .find(|d| d.as_str() == text)
            .ok_or_else(|| format!("no proposal decision is called {text:?}").into())
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalRow {
    pub id: ProposalId,
    pub staff_id: StaffId,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub until_us: Option<i64>,
    pub proposed_by: String,
    pub proposed_us: i64,
    pub expires_us: i64,
    pub decision: Option<ProposalDecision>,
    pub decided_by: Option<String>,
    pub decided_us: Option<i64>,
    pub reason: Option<String>,
    pub appointment_id: Option<AppointmentId>,
}

impl Db {
    /// Has anyone ever been appointed Manager? Until then the ward is being set up.
    pub async fn ward_has_had_a_manager(&self) -> Result<bool> {
        let any: Flag = sqlx::query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM appointment WHERE role = 'manager')
                 THEN 1 ELSE 0 END",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(any.into())
    }

    /// Did the person hold `role` at `at`?
    pub async fn held_role_at(&self, staff_id: StaffId, role: Role, at: Timestamp) -> Result<bool> {
        let held: Flag = sqlx::query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM appointment WHERE staff_id = $1 AND role = $2
                 AND from_us <= $3 AND (ended_us IS NULL OR ended_us > $3)
                 AND (until_us IS NULL OR until_us > $3)) THEN 1 ELSE 0 END",
        )
        .bind(staff_id)
        .bind(role.as_str())
        .bind(to_us(at))
        .fetch_one(&self.pool)
        .await?;
        Ok(held.into())
    }

    /// Proposes an appointment, open until `expires`, with its event and alert.
    pub async fn propose_appointment(
        &self,
        new: &NewAppointment<'_>,
        (now, expires): (Timestamp, Timestamp),
        alert: &NewAlert,
        event: impl FnOnce(ProposalId) -> Event,
    ) -> Result<ProposalId> {
        self.write_with(
            async |c| {
                insert_alert(c, alert, now).await?;
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO appointment_proposal (staff_id, role, until_us, proposed_by,
                         proposed_us, expires_us) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(new.staff_id)
                .bind(new.role.as_str())
                .bind(new.until.map(to_us))
                .bind(new.by)
                .bind(to_us(now))
                .bind(to_us(expires))
                .fetch_one(&mut *c)
                .await?;
                Ok(ProposalId::new(id))
            },
            |&id| vec![event(id)],
        )
        .await
    }

    pub async fn proposal(&self, id: ProposalId) -> Result<Option<ProposalRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM appointment_proposal WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Proposals, open ones first, newest first.
    pub async fn proposals(&self, limit: i64) -> Result<Vec<ProposalRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM appointment_proposal ORDER BY decision IS NOT NULL, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The second person confirms: the appointment is made, naming its proposer and its
    /// confirmer, and the proposal closed, in one transaction. A proposal decided or expired
    /// meanwhile is a conflict, and nothing is written.
    pub async fn confirm_proposal(
        &self,
        id: ProposalId,
        by: &str,
        now: Timestamp,
        alert: &NewAlert,
        event: impl FnOnce(AppointmentId) -> Event,
    ) -> Result<AppointmentId> {
        self.write_with(
            async |c| {
                let appointment: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO appointment (staff_id, role, appointed_by, confirmed_by, from_us,
                         until_us)
                     SELECT staff_id, role, proposed_by, $2, $3, until_us
                     FROM appointment_proposal
                     WHERE id = $1 AND decision IS NULL AND expires_us > $3
                     RETURNING id",
                )
                .bind(id)
                .bind(by)
                .bind(to_us(now))
                .fetch_optional(&mut *c)
                .await?;
                let appointment = AppointmentId::new(appointment.ok_or_else(|| {
                    DbError::Conflict("the proposal was decided meanwhile, or has expired".into())
                })?);
                sqlx::query(
                    "UPDATE appointment_proposal SET decision = 'confirmed', decided_by = $1,
                         decided_us = $2, appointment_id = $3 WHERE id = $4",
                )
                .bind(by)
                .bind(to_us(now))
                .bind(appointment)
                .bind(id)
                .execute(&mut *c)
                .await?;
                insert_alert(c, alert, now).await?;
                Ok(appointment)
            },
            |&appointment| vec![event(appointment)],
        )
        .await
    }

    /// Rejected, or withdrawn by its proposer, with the reason.
    pub async fn close_proposal(
        &self,
        id: ProposalId,
        (by, decision, reason): (&str, ProposalDecision, &str),
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        debug_assert_ne!(decision, ProposalDecision::Confirmed);
        let query = sqlx::query(
            "UPDATE appointment_proposal SET decision = $1, decided_by = $2, decided_us = $3,
                 reason = $4 WHERE id = $5 AND decision IS NULL",
        )
        .bind(decision.as_str())
        .bind(by.to_owned())
        .bind(to_us(now))
        .bind(reason.to_owned())
        .bind(id);
        self.update_one(query, "the proposal was decided meanwhile", event)
            .await
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use mimamori_policy::access::Role;

    use crate::testutil::{any_event, db_with_staff, t0};
    use crate::{AlertKind, DbError, NewAlert, NewAppointment};

    #[tokio::test]
    async fn n7_2_a_proposal_is_confirmed_once() {
        let (db, id) = db_with_staff().await;
        let alert = NewAlert {
            kind: AlertKind::Appointment,
            camera: None,
            message: "m".into(),
        };
        let new = NewAppointment {
            staff_id: id,
            role: Role::Manager,
            by: "admin",
            until: None,
        };
        let expires = t0() + SignedDuration::from_hours(1);
        let proposal = db
            .propose_appointment(&new, (t0(), expires), &alert, |_| any_event())
            .await
            .unwrap();
        assert!(!db.ward_has_had_a_manager().await.unwrap(), "only proposed");
        let late = db
            .confirm_proposal(proposal, "mayor", expires, &alert, |_| any_event())
            .await;
        assert!(matches!(late, Err(DbError::Conflict(_))), "{late:?}");
        let made = db
            .confirm_proposal(proposal, "mayor", t0(), &alert, |_| any_event())
            .await
            .unwrap();
        let again = db
            .confirm_proposal(proposal, "admin2", t0(), &alert, |_| any_event())
            .await;
        assert!(matches!(again, Err(DbError::Conflict(_))), "{again:?}");
        let row = db.appointment(made).await.unwrap().unwrap();
        assert_eq!(
            (row.appointed_by.as_str(), row.confirmed_by.as_deref()),
            ("admin", Some("mayor"))
        );
        assert_eq!(db.roles_in_force(id, t0()).await.unwrap(), [Role::Manager]);
        assert!(db.ward_has_had_a_manager().await.unwrap());
        let p = db.proposal(proposal).await.unwrap().unwrap();
        assert_eq!(p.decision, Some(super::ProposalDecision::Confirmed));
        assert_eq!(p.appointment_id, Some(made));
    }
}
