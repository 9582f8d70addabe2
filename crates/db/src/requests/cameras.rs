//! The cameras a request's instruction names (N9.2): one or several, each with its own range
//! (issue 13). The first is stored on the request row, as before several were possible; the
//! others in `request_camera` (migration 0016), written in the instruction's transaction.

use jiff::Timestamp;
use mimamori_policy::{CameraId, RequestId};
use sqlx::AnyConnection;

use crate::{from_us, to_us, Result};

/// One camera of a case and the range of its footage, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraScope {
    pub camera: CameraId,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Parses the `further_cameras` column of a request as read: `[[position, camera, start_us, end_us], …]`.
pub(super) fn parse_further(text: &str) -> Result<Vec<CameraScope>, String> {
    let mut rows: Vec<(i64, String, i64, i64)> =
        serde_json::from_str(text).map_err(|e| format!("further cameras: {e}"))?;
    rows.sort_by_key(|r| r.0);
    rows.into_iter()
        .map(|(_, camera, s, e)| {
            Ok(CameraScope {
                camera: CameraId::new(&camera)?,
                start: from_us(s),
                end: from_us(e),
            })
        })
        .collect()
}

/// Writes the further cameras (all but the first) of an instruction of `request`.
pub(super) async fn insert_further(
    c: &mut AnyConnection,
    request: RequestId,
    cameras: &[CameraScope],
) -> Result<()> {
    for (i, scope) in cameras.iter().enumerate().skip(1) {
        sqlx::query(
            "INSERT INTO request_camera (request_id, position, camera_id, start_us, end_us)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(request)
        .bind(i as i64 + 1)
        .bind(scope.camera.as_str())
        .bind(to_us(scope.start))
        .bind(to_us(scope.end))
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}
