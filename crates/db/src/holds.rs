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

/// T5.3: do the holds, together, keep all of `[start_us, end_us)` of `camera`? The sweeper keeps
/// every segment a hold overlaps, so footage in such a range outlives retention.
pub fn holds_cover(holds: &[HoldRow], camera: &str, start_us: i64, end_us: i64) -> bool {
    let mut ranges: Vec<(i64, i64)> = holds
        .iter()
        .filter(|h| h.camera_id == camera)
        .map(|h| (h.start_us, h.end_us))
        .collect();
    ranges.sort_unstable();
    let mut covered_to = start_us;
    for (from, to) in ranges {
        if from > covered_to {
            break;
        }
        covered_to = covered_to.max(to);
        if covered_to >= end_us {
            return true;
        }
    }
    covered_to >= end_us
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
                Ok(sqlx::query_scalar::<_, i64>(
                    "INSERT INTO hold (camera_id, start_us, end_us, reason, held_by, until_us,
                         created_us) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(hold.camera_id.as_str())
                .bind(to_us(hold.start))
                .bind(to_us(hold.end))
                .bind(&hold.reason)
                .bind(&hold.held_by)
                .bind(to_us(hold.until))
                .bind(to_us(now))
                .fetch_one(&mut *c)
                .await?)
            },
            |&id| vec![event(id)],
        )
        .await
    }

    /// Holds still in force at `now`.
    pub async fn active_holds(&self, now: Timestamp) -> Result<Vec<HoldRow>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, start_us, end_us, reason, held_by, until_us, created_us
             FROM hold WHERE until_us > $1 ORDER BY camera_id, start_us",
        )
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(camera: &str, start_us: i64, end_us: i64) -> HoldRow {
        HoldRow {
            id: 1,
            camera_id: CameraId::new(camera).unwrap(),
            start_us,
            end_us,
            reason: "r".into(),
            held_by: "mayor".into(),
            until_us: 100,
            created_us: 0,
        }
    }

    #[test]
    fn t5_3_holds_cover_a_range_only_together_and_only_for_their_camera() {
        let holds = [
            hold("c1", 0, 10),
            hold("c1", 8, 20),
            hold("c2", 20, 30),
            hold("c1", 25, 30),
        ];
        assert!(holds_cover(&holds, "c1", 2, 18), "two overlapping holds");
        assert!(!holds_cover(&holds, "c1", 2, 22), "a gap at 20–25");
        assert!(!holds_cover(&holds, "c2", 2, 5), "another camera's hold");
        assert!(holds_cover(&holds, "c2", 21, 30));
        assert!(!holds_cover(&[], "c1", 0, 1));
    }
}
