//! T5.3: holds that keep footage beyond the retention window.

use jiff::Timestamp;
use mimamori_policy::CameraId;

use crate::{to_us, Db, DbError, Event, Result};

#[derive(Debug, Clone)]
pub struct NewHold {
    pub camera_id: CameraId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub reason: String,
    pub held_by: String,
    pub until: Timestamp,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldRow {
    pub id: i64,
    pub camera_id: CameraId,
    pub start_us: i64,
    pub end_us: i64,
    pub reason: String,
    pub held_by: String,
    pub until_us: i64,
    pub created_us: i64,
}

impl HoldRow {
    /// Whether this hold covers any part of `[start_us, end_us)`.
    pub fn overlaps(&self, camera: &str, start_us: i64, end_us: i64) -> bool {
        self.camera_id == camera && self.start_us < end_us && start_us < self.end_us
    }
}

impl Db {
    /// Records a hold and its event together. T5.3: the reason is required.
    pub async fn insert_hold(
        &self,
        hold: &NewHold,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        if hold.reason.trim().is_empty() {
            return Err(DbError::Invalid(
                "T5.3: a hold needs a reason (延長の理由を記録してください)".into(),
            ));
        }
        if hold.end <= hold.start {
            return Err(DbError::Invalid(
                "a hold's range must end after it starts".into(),
            ));
        }
        self.write_with(
            async |c| {
                Ok(sqlx::query(
                    "INSERT INTO hold (camera_id, start_us, end_us, reason, held_by, until_us,
                         created_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(hold.camera_id.as_str())
                .bind(to_us(hold.start))
                .bind(to_us(hold.end))
                .bind(&hold.reason)
                .bind(&hold.held_by)
                .bind(to_us(hold.until))
                .bind(to_us(now))
                .execute(&mut *c)
                .await?
                .last_insert_rowid())
            },
            |&id| vec![event(id)],
        )
        .await
    }

    /// Holds still in force at `now`.
    pub async fn active_holds(&self, now: Timestamp) -> Result<Vec<HoldRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, start_us, end_us, reason, held_by, until_us, created_us
             FROM hold WHERE until_us > ? ORDER BY camera_id, start_us",
        )
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?)
    }
}
