//! What each camera is doing, for `GET /api/v1/health` and `mimamori status --json`. Both read
//! the database, so the CLI reports the same whether or not it runs inside the server.

use jiff::{Timestamp, ToSpan};
use mimamori_db::{from_us, AlertRow, CameraStateRow, Db, GapRow};
use mimamori_policy::Policy;
use serde::Serialize;

use crate::RecorderError;

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    pub ward: String,
    pub time: Timestamp,
    /// The same moment in the ward's time zone, for people.
    pub local_time: String,
    pub retention_days: u16,
    pub storage_cap_bytes: Option<u64>,
    pub stored_bytes: i64,
    pub cameras: Vec<CameraStatus>,
    pub open_alerts: Vec<AlertRow>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraStatus {
    pub id: String,
    pub name: String,
    pub site: String,
    /// `connecting`, `recording`, `retrying`, `stopped`, or `unknown` before the first report.
    pub state: String,
    pub since: Option<Timestamp>,
    pub last_sample: Option<Timestamp>,
    pub last_error: Option<String>,
    pub recorded_seconds_today: i64,
    pub bytes_on_disk: i64,
    /// Gaps that overlap today (ward time), the open one last.
    pub gaps_today: Vec<GapRow>,
}

/// Seconds of the segment being written that fall in today (issue 12: health counts footage
/// that is being recorded, not only footage already indexed).
fn open_seconds(state: &CameraStateRow, midnight: Timestamp) -> i64 {
    let (Some(since), Some(last)) = (state.open_since_us, state.last_sample_us) else {
        return 0;
    };
    (last - since.max(mimamori_db::to_us(midnight))).max(0) / 1_000_000
}

pub async fn status(db: &Db, policy: &Policy, now: Timestamp) -> Result<Status, RecorderError> {
    let tz = &policy.ward.time_zone;
    let zoned = now.to_zoned(tz.clone());
    let midnight = zoned
        .start_of_day()
        .map_err(|e| RecorderError::Stream(e.to_string()))?
        .timestamp();
    let states = db.camera_states().await?;
    let totals = db.camera_totals(midnight).await?;
    let gaps = db
        .gaps(None, midnight, now.checked_add(1.second()).unwrap_or(now))
        .await?;
    let cameras = policy
        .cameras
        .iter()
        .map(|cam| {
            let id = cam.id.as_str();
            let state = states.iter().find(|s| s.camera_id == id);
            let total = totals.iter().find(|t| t.0 == id);
            CameraStatus {
                id: id.to_owned(),
                name: cam.name.clone(),
                site: cam.site.clone(),
                state: state.map_or("unknown", |s| s.state.as_str()).to_owned(),
                since: state.map(|s| from_us(s.since_us)),
                last_sample: state.and_then(|s| s.last_sample_us).map(from_us),
                last_error: state.and_then(|s| s.last_error.clone()),
                recorded_seconds_today: total.map_or(0, |t| t.2)
                    + state.map_or(0, |s| open_seconds(s, midnight)),
                bytes_on_disk: total.map_or(0, |t| t.1),
                gaps_today: gaps.iter().filter(|g| g.camera_id == id).cloned().collect(),
            }
        })
        .collect();
    Ok(Status {
        ward: policy.ward.name.clone(),
        time: now,
        local_time: zoned.strftime("%Y-%m-%d %H:%M:%S %Z").to_string(),
        retention_days: policy.retention.days.get(),
        storage_cap_bytes: policy.retention.storage_cap.map(|c| c.0),
        stored_bytes: db.stored_bytes().await?,
        cameras,
        open_alerts: db
            .alerts(100)
            .await?
            .into_iter()
            .filter(|a| a.resolved_us.is_none())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mimamori_db::CameraState;

    fn state(open_since_us: Option<i64>, last_sample_us: Option<i64>) -> CameraStateRow {
        CameraStateRow {
            camera_id: mimamori_policy::CameraId::new("cam1").unwrap(),
            state: CameraState::Recording,
            since_us: 0,
            last_sample_us,
            last_error: None,
            open_since_us,
        }
    }

    #[test]
    fn the_open_segment_counts_from_today_on() {
        let midnight = Timestamp::from_second(1_000_000).unwrap();
        let s = 1_000_000_000_000i64; // midnight in µs
        assert_eq!(
            open_seconds(
                &state(Some(s + 5e6 as i64), Some(s + 47e6 as i64)),
                midnight
            ),
            42
        );
        // A segment opened before midnight counts only its part of today.
        assert_eq!(
            open_seconds(
                &state(Some(s - 30e6 as i64), Some(s + 12e6 as i64)),
                midnight
            ),
            12
        );
        // No segment open, or nothing written in it yet: nothing.
        assert_eq!(
            open_seconds(&state(None, Some(s + 47e6 as i64)), midnight),
            0
        );
        assert_eq!(
            open_seconds(
                &state(Some(s + 50e6 as i64), Some(s + 47e6 as i64)),
                midnight
            ),
            0
        );
    }
}
