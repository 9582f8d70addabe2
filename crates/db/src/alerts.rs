//! Conditions a person must look at: gaps (N5), erasure forced by the storage cap (N6.1),
//! failed integrity checks, emergency retrievals and overdue Form 3s (N11.1, N11.2), a
//! terminal's history that disagrees with the ledger (N11.3). An alert raised because of an
//! office step is written in the step's transaction ([`insert_alert`]).

use jiff::Timestamp;
use mimamori_policy::access::Role;
use mimamori_policy::CameraId;
use sqlx::AnyConnection;

use crate::events::insert_all;
use crate::write::{changed_one, Update};
use crate::{to_us, Db, Event, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AlertKind {
    /// N5: a camera stopped delivering footage.
    Gap,
    /// N6.1: the storage cap forced erasure of footage still inside the retention window.
    RetentionBelowPolicy,
    /// A stored segment failed its integrity check.
    Integrity,
    /// A camera sends no keyframes, so its segment cannot end and become durable.
    NoKeyframes,
    /// N11.1: delegated staff were allowed an emergency retrieval; the Manager is told at once.
    EmergencyRetrieval,
    /// N11.1, N11.2: an emergency retrieval's Form 3 is past its deadline.
    Form3Overdue,
    /// N11.3: a terminal's own retrieval history disagrees with the office's record.
    HistoryMismatch,
    /// N11.3 (issue 11, #4): a delegated terminal's monthly history has not arrived by the
    /// policy's day.
    HistoryOverdue,
    /// N7 (issue 11, #1): someone was appointed to a role.
    Appointment,
    /// N8, N10.4 (issue 11, #1): a dedicated terminal was registered.
    Terminal,
    /// N5 (issue 12): pictures a camera sent are not in the footage (lost in transit, or
    /// received and not written).
    FramesLost,
    /// N4.2 (issue 14): a camera in operation has no sign standing.
    SignMissing,
    /// T8 (issue 14): an inquiry from the public has no answer by the policy's day.
    InquiryOverdue,
}

impl AlertKind {
    pub const ALL: [AlertKind; 13] = [
        AlertKind::Gap,
        AlertKind::RetentionBelowPolicy,
        AlertKind::Integrity,
        AlertKind::NoKeyframes,
        AlertKind::EmergencyRetrieval,
        AlertKind::Form3Overdue,
        AlertKind::HistoryMismatch,
        AlertKind::HistoryOverdue,
        AlertKind::Appointment,
        AlertKind::Terminal,
        AlertKind::FramesLost,
        AlertKind::SignMissing,
        AlertKind::InquiryOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Gap => "gap",
            AlertKind::RetentionBelowPolicy => "retention_below_policy",
            AlertKind::Integrity => "integrity",
            AlertKind::NoKeyframes => "no_keyframes",
            AlertKind::EmergencyRetrieval => "emergency_retrieval",
            AlertKind::Form3Overdue => "form3_overdue",
            AlertKind::HistoryMismatch => "history_mismatch",
            AlertKind::HistoryOverdue => "history_overdue",
            AlertKind::Appointment => "appointment",
            AlertKind::Terminal => "terminal",
            AlertKind::FramesLost => "frames_lost",
            AlertKind::SignMissing => "sign_missing",
            AlertKind::InquiryOverdue => "inquiry_overdue",
        }
    }

    pub fn parse(text: &str) -> Option<AlertKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Who must look at it, by role; empty: whoever keeps an eye on the recorder. Appointments
    /// and terminals go to the Manager, who answers for the chain, and to the Auditor, who
    /// watches it (issue 11, #1: an appointment or a terminal nobody expected is seen).
    pub fn addressees(self) -> &'static [Role] {
        match self {
            AlertKind::Appointment | AlertKind::Terminal => &[Role::Manager, Role::Auditor],
            AlertKind::SignMissing => &[Role::Manager, Role::OperationsLead],
            AlertKind::EmergencyRetrieval
            | AlertKind::Form3Overdue
            | AlertKind::HistoryMismatch
            | AlertKind::HistoryOverdue
            | AlertKind::InquiryOverdue => &[Role::Manager],
            AlertKind::Gap
            | AlertKind::RetentionBelowPolicy
            | AlertKind::Integrity
            | AlertKind::NoKeyframes
            | AlertKind::FramesLost => &[],
        }
    }

    /// An alert about accounts, terminals or a member of the public's inquiry: it is about
    /// people, so the public health page neither shows nor counts it (N12).
    pub fn is_about_people(self) -> bool {
        matches!(
            self,
            AlertKind::Appointment | AlertKind::Terminal | AlertKind::InquiryOverdue
        )
    }

    /// An alert about what people did with footage (an emergency retrieval, an overdue Form 3,
    /// a terminal's history), not about the cameras: its details are not public (N12).
    pub fn is_about_retrievals(self) -> bool {
        matches!(
            self,
            AlertKind::EmergencyRetrieval
                | AlertKind::Form3Overdue
                | AlertKind::HistoryMismatch
                | AlertKind::HistoryOverdue
        )
    }
}

impl TryFrom<String> for AlertKind {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        AlertKind::parse(&name).ok_or_else(|| format!("unknown alert kind {name:?}"))
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: AlertKind,
    pub camera_id: Option<CameraId>,
    pub message: String,
    pub raised_us: i64,
    pub resolved_us: Option<i64>,
}

/// An alert to raise. Messages of alerts about cameras are shown on the public health page: no
/// names there (N12). Alerts about retrievals are counted there, about people not shown.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub kind: AlertKind,
    pub camera: Option<CameraId>,
    pub message: String,
}

/// Raises an alert inside a caller's transaction; returns its id.
pub(crate) async fn insert_alert(
    c: &mut AnyConnection,
    alert: &NewAlert,
    now: Timestamp,
) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("INSERT INTO alert (kind, camera_id, message, raised_us) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(alert.kind.as_str())
            .bind(alert.camera.as_ref().map(|c| c.as_str()))
            .bind(&alert.message)
            .bind(to_us(now))
            .fetch_one(&mut *c)
            .await?,
    )
}

/// Marks one alert resolved inside a caller's transaction (the step that ends its wait).
pub(crate) async fn resolve_in(c: &mut AnyConnection, id: i64, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE alert SET resolved_us = $1 WHERE id = $2 AND resolved_us IS NULL")
        .bind(to_us(now))
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

impl Db {
    pub async fn raise_alert(
        &self,
        kind: AlertKind,
        camera: Option<&CameraId>,
        message: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let alert = NewAlert {
            kind,
            camera: camera.cloned(),
            message: message.to_owned(),
        };
        let mut c = self.writer.acquire().await?;
        insert_alert(&mut c, &alert, now).await
    }

    /// Raises `alert`, writes its id on the record it is about with `remember` (an UPDATE that
    /// must change one row, else [`crate::DbError::Conflict`] with `conflict`), and writes the
    /// event that gets the id, in one transaction: an overdue alert is raised once, and the
    /// step that ends the wait resolves it with its record. Returns the alert's id.
    pub(crate) async fn raise_alert_on(
        &self,
        alert: &NewAlert,
        now: Timestamp,
        remember: impl FnOnce(i64) -> Update,
        conflict: &str,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        self.write_with(
            async |c| {
                let id = insert_alert(c, alert, now).await?;
                let n = remember(id).execute(&mut *c).await?.rows_affected();
                changed_one(n, || conflict.to_owned())?;
                Ok(id)
            },
            |&id| vec![event(id)],
        )
        .await
    }

    /// Appends an event and, if the event says something is wrong, its alert, in one
    /// transaction. Returns the event's id.
    pub async fn record_with_alert(
        &self,
        event: &Event,
        alert: Option<&NewAlert>,
        now: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        if let Some(alert) = alert {
            insert_alert(&mut tx, alert, now).await?;
        }
        let id = insert_all(&mut tx, std::slice::from_ref(event)).await?[0];
        tx.commit().await?;
        Ok(id)
    }

    /// Marks a camera's open alerts of one kind resolved.
    pub async fn resolve_alerts(
        &self,
        kind: AlertKind,
        camera: Option<&CameraId>,
        now: Timestamp,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE alert SET resolved_us = $1
             WHERE kind = $2 AND camera_id IS $3 AND resolved_us IS NULL",
        )
        .bind(to_us(now))
        .bind(kind.as_str())
        .bind(camera.map(|c| c.as_str()))
        .execute(&self.writer)
        .await?
        .rows_affected())
    }

    /// Marks one alert resolved.
    pub async fn resolve_alert(&self, id: i64, now: Timestamp) -> Result<()> {
        let mut c = self.writer.acquire().await?;
        resolve_in(&mut c, id, now).await
    }

    /// Open alerts, counted by kind.
    pub async fn open_alert_counts(&self) -> Result<Vec<(AlertKind, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, count(*) FROM alert WHERE resolved_us IS NULL GROUP BY kind",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, n)| {
                AlertKind::try_from(kind)
                    .map(|k| (k, n))
                    .map_err(|error| crate::DbError::Corrupt {
                        record: "alert".into(),
                        error,
                    })
            })
            .collect()
    }

    /// Open alerts of one kind whose message contains `key`: to find the one raised for a
    /// terminal's month, say, before raising it again.
    pub async fn open_alerts_with(&self, kind: AlertKind, key: &str) -> Result<Vec<AlertRow>> {
        // Filtered here, not in SQL: the engines share no substring function (open alerts of a
        // kind are few).
        let open: Vec<AlertRow> = sqlx::query_as(
            "SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert
             WHERE kind = $1 AND resolved_us IS NULL ORDER BY id",
        )
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(open
            .into_iter()
            .filter(|a| a.message.contains(key))
            .collect())
    }

    /// Alerts, open ones first, newest first.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<AlertRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert
             ORDER BY resolved_us IS NOT NULL, raised_us DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
