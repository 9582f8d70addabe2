//! Cameras as recorded, and the live state their recorder tasks report.

use jiff::Timestamp;
use mimamori_policy::CameraId;

use crate::{to_us, Db, Result};

/// A camera's identity as stored; the credentials never are.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CameraRecord {
    pub id: String,
    pub name: String,
    pub site: String,
    pub url: String,
}

/// What a camera's recorder task is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraState {
    Connecting,
    Recording,
    /// The stream failed; waiting to reconnect.
    Retrying,
    Stopped,
}

impl CameraState {
    pub const ALL: [CameraState; 4] = [
        CameraState::Connecting,
        CameraState::Recording,
        CameraState::Retrying,
        CameraState::Stopped,
    ];

    pub fn parse(text: &str) -> Option<CameraState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CameraState::Connecting => "connecting",
            CameraState::Recording => "recording",
            CameraState::Retrying => "retrying",
            CameraState::Stopped => "stopped",
        }
    }
}

impl TryFrom<String> for CameraState {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        CameraState::parse(&name).ok_or_else(|| format!("unknown camera state {name:?}"))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CameraStateRow {
    pub camera_id: CameraId,
    #[sqlx(try_from = "String")]
    pub state: CameraState,
    pub since_us: i64,
    pub last_sample_us: Option<i64>,
    pub last_error: Option<String>,
    /// Start of the segment being written; its seconds count as recorded (issue 12).
    pub open_since_us: Option<i64>,
}

impl Db {
    /// Records the policy's cameras, updating name, site and URL of known ones.
    pub async fn upsert_camera(&self, cam: &CameraRecord, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO camera (id, name, site, url, first_seen_us, updated_us)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (id) DO UPDATE SET name = $2, site = $3, url = $4, updated_us = $5",
        )
        .bind(&cam.id)
        .bind(&cam.name)
        .bind(&cam.site)
        .bind(&cam.url)
        .bind(to_us(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn cameras(&self) -> Result<Vec<CameraRecord>> {
        Ok(
            sqlx::query_as("SELECT id, name, site, url FROM camera ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Stores a camera's state; `since` changes only when the state does.
    pub async fn set_camera_state(
        &self,
        camera: &CameraId,
        state: CameraState,
        last_sample: Option<Timestamp>,
        last_error: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO camera_state (camera_id, state, since_us, last_sample_us, last_error, updated_us)
             VALUES ($1, $2, $3, $4, $5, $3)
             ON CONFLICT (camera_id) DO UPDATE SET
                 since_us = CASE WHEN camera_state.state = $2 THEN camera_state.since_us
                     ELSE $3 END,
                 state = $2,
                 last_sample_us = coalesce($4, camera_state.last_sample_us),
                 last_error = $5,
                 updated_us = $3",
        )
        .bind(camera.as_str())
        .bind(state.as_str())
        .bind(to_us(now))
        .bind(last_sample.map(to_us))
        .bind(last_error)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// How far the segment being written has got: `open_since` is its start (`None` when no
    /// segment is open), `last_sample` the end of its last written sample.
    pub async fn set_recording_progress(
        &self,
        camera: &CameraId,
        open_since: Option<Timestamp>,
        last_sample: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE camera_state SET open_since_us = $2, \
                 last_sample_us = coalesce($3, last_sample_us), updated_us = $4 \
             WHERE camera_id = $1",
        )
        .bind(camera.as_str())
        .bind(open_since.map(to_us))
        .bind(last_sample.map(to_us))
        .bind(to_us(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Forgets every open segment (at start: none is open yet).
    pub async fn clear_recording_progress(&self, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE camera_state SET open_since_us = NULL, updated_us = $1 \
             WHERE open_since_us IS NOT NULL",
        )
        .bind(to_us(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn camera_states(&self) -> Result<Vec<CameraStateRow>> {
        Ok(sqlx::query_as(
            "SELECT camera_id, state, since_us, last_sample_us, last_error, open_since_us \
             FROM camera_state",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
