//! Wrapped per-camera, per-day data keys. Deleting one is crypto-shredding (T5.4).

use jiff::civil::Date;
use jiff::Timestamp;
use mimamori_policy::CameraId;

use crate::{to_us, Db, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayKeyRow {
    pub id: i64,
    pub camera_id: CameraId,
    pub day: String,
    pub kek_id: String,
    pub wrapped_key: Vec<u8>,
}

impl Db {
    pub async fn day_key(&self, camera: &CameraId, day: Date) -> Result<Option<DayKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, day, kek_id, wrapped_key FROM day_key
             WHERE camera_id = $1 AND day = $2",
        )
        .bind(camera.as_str())
        .bind(day.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn day_key_by_id(&self, id: i64) -> Result<Option<DayKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, day, kek_id, wrapped_key FROM day_key WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores a new day key, or returns the one another task stored first.
    pub async fn insert_day_key(
        &self,
        camera: &CameraId,
        day: Date,
        kek_id: &str,
        wrapped_key: &[u8],
        now: Timestamp,
    ) -> Result<DayKeyRow> {
        sqlx::query(
            "INSERT INTO day_key (camera_id, day, kek_id, wrapped_key, created_us)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (camera_id, day) DO NOTHING",
        )
        .bind(camera.as_str())
        .bind(day.to_string())
        .bind(kek_id)
        .bind(wrapped_key)
        .bind(to_us(now))
        .execute(&self.writer)
        .await?;
        Ok(self
            .day_key(camera, day)
            .await?
            .expect("day key row just inserted"))
    }

    /// Every day key, oldest day first.
    pub async fn day_keys(&self) -> Result<Vec<DayKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, day, kek_id, wrapped_key FROM day_key ORDER BY day, camera_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
