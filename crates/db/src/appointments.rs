//! Appointments to roles (N7): who holds which role, from when, until when. Appointments are
//! kept after they end.

use jiff::Timestamp;
use mimamori_policy::access::Role;
use mimamori_policy::{AppointmentId, Login, StaffId};

use crate::alerts::insert_alert;
use crate::{to_us, Db, DbError, Event, NewAlert, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentRow {
    pub id: AppointmentId,
    pub staff_id: StaffId,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub appointed_by: String,
    pub from_us: i64,
    pub until_us: Option<i64>,
    pub ended_by: Option<String>,
    pub ended_us: Option<i64>,
    /// The second person who confirmed a Manager's or an Administrator's appointment (N7.2).
    pub confirmed_by: Option<String>,
}

/// An appointment to make: who, to what, by whom, until when (if planned).
#[derive(Debug, Clone)]
pub struct NewAppointment<'a> {
    pub staff_id: StaffId,
    pub role: Role,
    pub by: &'a str,
    pub until: Option<Timestamp>,
}

impl Db {
    /// Appoints, from `now`, with its event and (for the Manager and the Auditor) its alert.
    pub async fn appoint(
        &self,
        new: &NewAppointment<'_>,
        now: Timestamp,
        alert: Option<&NewAlert>,
        event: impl FnOnce(AppointmentId) -> Event,
    ) -> Result<AppointmentId> {
        self.write_with(
            async |c| {
                if let Some(alert) = alert {
                    insert_alert(c, alert, now).await?;
                }
                Ok(AppointmentId::new(
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO appointment (staff_id, role, appointed_by, from_us, until_us)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(new.staff_id)
                    .bind(new.role.as_str())
                    .bind(new.by)
                    .bind(to_us(now))
                    .bind(new.until.map(to_us))
                    .fetch_one(&mut *c)
                    .await?,
                ))
            },
            |&id| vec![event(id)],
        )
        .await
    }

    pub async fn end_appointment(
        &self,
        id: AppointmentId,
        by: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE appointment SET ended_us = $1, ended_by = $2 WHERE id = $3 AND ended_us IS NULL",
        )
        .bind(to_us(now))
        .bind(by.to_owned())
        .bind(id);
        self.update_one(query, "the appointment has already ended", event)
            .await
    }

    pub async fn appointments(&self, staff_id: StaffId) -> Result<Vec<AppointmentRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM appointment WHERE staff_id = $1 ORDER BY id")
                .bind(staff_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Every appointment ever made, newest first, with the login it was made to: for the
    /// Auditor, who checks that each was expected (issue 11, #1).
    pub async fn all_appointments(&self) -> Result<Vec<(Login, AppointmentRow)>> {
        #[derive(sqlx::FromRow)]
        struct Joined {
            login: Login,
            #[sqlx(flatten)]
            row: AppointmentRow,
        }
        let rows: Vec<Joined> = sqlx::query_as(
            "SELECT s.login, a.* FROM appointment a JOIN staff s ON s.id = a.staff_id
             ORDER BY a.id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|j| (j.login, j.row)).collect())
    }

    pub async fn appointment(&self, id: AppointmentId) -> Result<Option<AppointmentRow>> {
        Ok(sqlx::query_as("SELECT * FROM appointment WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Roles whose appointment is in force at `now`, in the order of their stored names.
    pub async fn roles_in_force(&self, staff_id: StaffId, now: Timestamp) -> Result<Vec<Role>> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT role FROM appointment WHERE staff_id = $1 AND from_us <= $2
             AND ended_us IS NULL AND (until_us IS NULL OR until_us > $2) ORDER BY role",
        )
        .bind(staff_id)
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?;
        names
            .into_iter()
            .map(|name| {
                Role::try_from(name).map_err(|e| DbError::Corrupt {
                    record: format!("appointment of staff {staff_id}"),
                    error: e.to_string(),
                })
            })
            .collect()
    }

    /// Logins holding `role` now.
    pub async fn holders_of(&self, role: Role, now: Timestamp) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT s.login FROM appointment a JOIN staff s ON s.id = a.staff_id
             WHERE a.role = $1 AND a.from_us <= $2 AND a.ended_us IS NULL
             AND (a.until_us IS NULL OR a.until_us > $2) AND s.left_us IS NULL ORDER BY s.login",
        )
        .bind(role.as_str())
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use mimamori_policy::access::Role;

    use crate::testutil::{any_event, db_with_staff, t0};
    use crate::DbError;

    #[tokio::test]
    async fn n7_roles_in_force_follow_appointments() {
        let (db, id) = db_with_staff().await;
        let now = t0();
        let a = db
            .appoint(
                &super::NewAppointment {
                    staff_id: id,
                    role: Role::ImageHandler,
                    by: "mgr",
                    until: None,
                },
                now,
                None,
                |_| any_event(),
            )
            .await
            .unwrap();
        let later = now + jiff::SignedDuration::from_secs(1);
        assert_eq!(
            db.roles_in_force(id, later).await.unwrap(),
            [Role::ImageHandler]
        );
        assert_eq!(
            db.holders_of(Role::ImageHandler, later).await.unwrap(),
            ["sato"]
        );
        db.end_appointment(a, "mgr", later, any_event())
            .await
            .unwrap();
        let again = db.end_appointment(a, "mgr", later, any_event()).await;
        assert!(matches!(again, Err(DbError::Conflict(_))));
        assert!(db.roles_in_force(id, later).await.unwrap().is_empty());
    }
}
