//! N5: gaps in recording, and the alerts that bring them and other trouble to a person.

use jiff::Timestamp;
use mimamori_policy::CameraId;

use crate::{to_us, Db, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GapRow {
    pub id: i64,
    pub camera_id: String,
    pub start_us: i64,
    pub end_us: Option<i64>,
    pub cause: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Gap => "gap",
            AlertKind::RetentionBelowPolicy => "retention_below_policy",
            AlertKind::Integrity => "integrity",
            AlertKind::NoKeyframes => "no_keyframes",
            AlertKind::EmergencyRetrieval => "emergency_retrieval",
            AlertKind::Form3Overdue => "form3_overdue",
            AlertKind::HistoryMismatch => "history_mismatch",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub camera_id: Option<String>,
    pub message: String,
    pub raised_us: i64,
    pub resolved_us: Option<i64>,
}

impl Db {
    /// Opens a gap for a camera unless one is already open; returns the open gap's id.
    pub async fn open_gap(&self, camera: &CameraId, start: Timestamp, cause: &str) -> Result<i64> {
        if let Some(open) = self.open_gap_of(camera).await? {
            return Ok(open.id);
        }
        Ok(
            sqlx::query("INSERT INTO gap (camera_id, start_us, cause) VALUES (?, ?, ?)")
                .bind(camera.as_str())
                .bind(to_us(start))
                .bind(cause)
                .execute(&self.writer)
                .await?
                .last_insert_rowid(),
        )
    }

    pub async fn open_gap_of(&self, camera: &CameraId) -> Result<Option<GapRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, start_us, end_us, cause FROM gap
             WHERE camera_id = ? AND end_us IS NULL ORDER BY start_us DESC LIMIT 1",
        )
        .bind(camera.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Closes a camera's open gap at the first sample after it; returns it if there was one.
    pub async fn close_gap(&self, camera: &CameraId, end: Timestamp) -> Result<Option<GapRow>> {
        let Some(mut gap) = self.open_gap_of(camera).await? else {
            return Ok(None);
        };
        let end_us = to_us(end).max(gap.start_us);
        sqlx::query("UPDATE gap SET end_us = ? WHERE id = ?")
            .bind(end_us)
            .bind(gap.id)
            .execute(&self.writer)
            .await?;
        gap.end_us = Some(end_us);
        Ok(Some(gap))
    }

    /// Gaps of a camera (or all cameras) that overlap `[start, end)`.
    pub async fn gaps(
        &self,
        camera: Option<&CameraId>,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<GapRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, start_us, end_us, cause FROM gap
             WHERE (?1 IS NULL OR camera_id = ?1) AND start_us < ?3
               AND (end_us IS NULL OR end_us > ?2)
             ORDER BY start_us",
        )
        .bind(camera.map(|c| c.as_str()))
        .bind(to_us(start))
        .bind(to_us(end))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn raise_alert(
        &self,
        kind: AlertKind,
        camera: Option<&CameraId>,
        message: &str,
        now: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query(
            "INSERT INTO alert (kind, camera_id, message, raised_us) VALUES (?, ?, ?, ?)",
        )
        .bind(kind.as_str())
        .bind(camera.map(|c| c.as_str()))
        .bind(message)
        .bind(to_us(now))
        .execute(&self.writer)
        .await?
        .last_insert_rowid())
    }

    /// Marks a camera's open alerts of one kind resolved.
    pub async fn resolve_alerts(
        &self,
        kind: AlertKind,
        camera: Option<&CameraId>,
        now: Timestamp,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE alert SET resolved_us = ?
             WHERE kind = ? AND camera_id IS ? AND resolved_us IS NULL",
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
        sqlx::query("UPDATE alert SET resolved_us = ? WHERE id = ? AND resolved_us IS NULL")
            .bind(to_us(now))
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Alerts, open ones first, newest first.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<AlertRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert
             ORDER BY resolved_us IS NOT NULL, raised_us DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
