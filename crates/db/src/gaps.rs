//! N5: gaps in recording. A gap is brought to a person by an alert (`alerts.rs`).

use jiff::Timestamp;
use mimamori_policy::CameraId;

use crate::{to_us, Db, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GapRow {
    pub id: i64,
    pub camera_id: CameraId,
    pub start_us: i64,
    pub end_us: Option<i64>,
    pub cause: String,
}

impl Db {
    /// Opens a gap for a camera unless one is already open; returns the open gap's id.
    pub async fn open_gap(&self, camera: &CameraId, start: Timestamp, cause: &str) -> Result<i64> {
        if let Some(open) = self.open_gap_of(camera).await? {
            return Ok(open.id);
        }
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO gap (camera_id, start_us, cause) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(camera.as_str())
        .bind(to_us(start))
        .bind(cause)
        .fetch_one(&self.writer)
        .await?)
    }

    pub async fn open_gap_of(&self, camera: &CameraId) -> Result<Option<GapRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, start_us, end_us, cause FROM gap
             WHERE camera_id = $1 AND end_us IS NULL ORDER BY start_us DESC LIMIT 1",
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
        sqlx::query("UPDATE gap SET end_us = $1 WHERE id = $2")
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
             WHERE ($1 IS NULL OR camera_id = $1) AND start_us < $3
               AND (end_us IS NULL OR end_us > $2)
             ORDER BY start_us",
        )
        .bind(camera.map(|c| c.as_str()))
        .bind(to_us(start))
        .bind(to_us(end))
        .fetch_all(&self.pool)
        .await?)
    }
}
