//! The segment index and the sample entries segments share.

use jiff::Timestamp;
use mimamori_policy::CameraId;

use crate::{to_us, Db, DbError, Result};

/// The fencing trigger's refusal, as a conflict the recorder can name: its lease moved on.
fn fenced(e: sqlx::Error) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.message().contains("fenced:") => {
            DbError::Conflict(d.message().to_owned())
        }
        _ => e.into(),
    }
}

/// A segment whose file is already durable on disk, ready to be indexed.
#[derive(Debug, Clone)]
pub struct NewSegment {
    pub camera_id: CameraId,
    pub day: jiff::civil::Date,
    pub day_key_id: i64,
    pub file_id: [u8; 16],
    pub run_id: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub media_start_90k: i64,
    pub duration_90k: i64,
    pub sample_count: i64,
    pub keyframe_count: i64,
    pub plaintext_bytes: i64,
    pub file_bytes: i64,
    pub sha256: [u8; 32],
    pub video_sample_entry_id: i64,
    pub sample_index: Vec<u8>,
    /// The camera's lease epoch the node recorded under (issue 15); `None` for the all-in-one
    /// `serve`, the only recorder. A segment of an epoch that is not the camera's current
    /// lease is refused (fencing, `migrations/0019_leases.sql`).
    pub lease_epoch: Option<i64>,
}

const SEGMENT_COLUMNS: &str = "id, camera_id, day, day_key_id, file_id, run_id, start_us, end_us, \
     media_start_90k, duration_90k, sample_count, keyframe_count, plaintext_bytes, file_bytes, \
     sha256, video_sample_entry_id, sample_index";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SegmentRow {
    pub id: i64,
    pub camera_id: CameraId,
    pub day: String,
    pub day_key_id: i64,
    pub file_id: Vec<u8>,
    pub run_id: i64,
    pub start_us: i64,
    pub end_us: i64,
    pub media_start_90k: i64,
    pub duration_90k: i64,
    pub sample_count: i64,
    pub keyframe_count: i64,
    pub plaintext_bytes: i64,
    pub file_bytes: i64,
    pub sha256: Vec<u8>,
    pub video_sample_entry_id: i64,
    pub sample_index: Vec<u8>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampleEntryRow {
    pub id: i64,
    pub width: i64,
    pub height: i64,
    pub rfc6381_codec: String,
    pub data: Vec<u8>,
}

impl Db {
    /// Stores a sample entry once, keyed by its hash, and returns its id.
    pub async fn sample_entry_id(
        &self,
        sha256: &[u8; 32],
        width: u32,
        height: u32,
        codec: &str,
        data: &[u8],
    ) -> Result<i64> {
        sqlx::query(
            "INSERT INTO video_sample_entry (sha256, width, height, rfc6381_codec, data)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&sha256[..])
        .bind(i64::from(width))
        .bind(i64::from(height))
        .bind(codec)
        .bind(data)
        .execute(&self.writer)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT id FROM video_sample_entry WHERE sha256 = $1")
                .bind(&sha256[..])
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn sample_entry(&self, id: i64) -> Result<Option<SampleEntryRow>> {
        Ok(sqlx::query_as(
            "SELECT id, width, height, rfc6381_codec, data FROM video_sample_entry WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Indexes a segment. Call only after its file and directory are fsynced.
    pub async fn insert_segment(&self, s: &NewSegment) -> Result<i64> {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO segment (camera_id, day, day_key_id, file_id, run_id, start_us, end_us,
                 media_start_90k, duration_90k, sample_count, keyframe_count, plaintext_bytes,
                 file_bytes, sha256, video_sample_entry_id, sample_index, lease_epoch)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             RETURNING id",
        )
        .bind(s.camera_id.as_str())
        .bind(s.day.to_string())
        .bind(s.day_key_id)
        .bind(&s.file_id[..])
        .bind(s.run_id)
        .bind(to_us(s.start))
        .bind(to_us(s.end))
        .bind(s.media_start_90k)
        .bind(s.duration_90k)
        .bind(s.sample_count)
        .bind(s.keyframe_count)
        .bind(s.plaintext_bytes)
        .bind(s.file_bytes)
        .bind(&s.sha256[..])
        .bind(s.video_sample_entry_id)
        .bind(&s.sample_index)
        .bind(s.lease_epoch)
        .fetch_one(&self.writer)
        .await
        .map_err(fenced)?;
        Ok(id)
    }

    /// A camera's segments that overlap `[start, end)`, in time order.
    pub async fn segments_overlapping(
        &self,
        camera: &CameraId,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<SegmentRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment
             WHERE camera_id = $1 AND end_us > $2 AND start_us < $3 ORDER BY start_us"
        ))
        .bind(camera.as_str())
        .bind(to_us(start))
        .bind(to_us(end))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The spans `(start_us, end_us)` of a camera's segments overlapping a range, oldest
    /// first, without their indexes (a day's timeline needs only these).
    pub async fn segment_spans(
        &self,
        camera: &CameraId,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT start_us, end_us FROM segment
             WHERE camera_id = $1 AND end_us > $2 AND start_us < $3 ORDER BY start_us",
        )
        .bind(camera.as_str())
        .bind(to_us(start))
        .bind(to_us(end))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every indexed segment, oldest first.
    pub async fn all_segments(&self) -> Result<Vec<SegmentRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment ORDER BY start_us, id"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Segments recorded on a day before `day` (ISO date), oldest first.
    pub async fn segments_before_day(&self, day: jiff::civil::Date) -> Result<Vec<SegmentRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment WHERE day < $1 ORDER BY start_us, id"
        ))
        .bind(day.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// The oldest `limit` segments of all cameras.
    pub async fn oldest_segments(&self, limit: i64) -> Result<Vec<SegmentRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment ORDER BY start_us, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Bytes of segment files on disk, all cameras.
    pub async fn stored_bytes(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT CAST(coalesce(sum(file_bytes), 0) AS BIGINT) FROM segment")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Per camera: bytes on disk, and seconds recorded since `since`.
    pub async fn camera_totals(&self, since: Timestamp) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT camera_id, CAST(coalesce(sum(file_bytes), 0) AS BIGINT),
                    CAST(coalesce(sum(CASE WHEN start_us >= $1 THEN duration_90k ELSE 0 END), 0)
                        / 90000 AS BIGINT)
             FROM segment GROUP BY camera_id",
        )
        .bind(to_us(since))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Samples indexed per camera.
    pub async fn sample_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT camera_id, CAST(sum(sample_count) AS BIGINT) FROM segment GROUP BY camera_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether any segment still uses this day key.
    pub async fn day_key_in_use(&self, day_key_id: i64) -> Result<bool> {
        Ok(!self.segment_ids_using_key(day_key_id).await?.is_empty())
    }

    /// The segments encrypted under a day key.
    pub async fn segment_ids_using_key(&self, day_key_id: i64) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM segment WHERE day_key_id = $1")
                .bind(day_key_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
