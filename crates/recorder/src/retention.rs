//! N6.1, N6.2, T5.3, T5.4: the sweeper that erases footage on schedule and under disk pressure.
//!
//! Each pass first erases every unheld segment recorded before the oldest kept day (N days
//! counted from the day after recording, in the ward's time zone), then, if a storage cap is
//! set and exceeded, the oldest unheld segments until the store fits, alerting when that cuts
//! into the retention window. Erasure shreds a camera-day's key once none of its segments
//! remain, unindexes the segments and records the run in one transaction, then overwrites and
//! removes the files.

use std::collections::BTreeMap;

use jiff::Timestamp;
use mimamori_db::{AlertKind, Db, ErasedDay, ErasureRun, ErasureTrigger, HoldRow, SegmentRow};
use mimamori_policy::day_of;

use crate::segment_file::overwrite_and_remove;
use crate::{RecorderContext, RecorderError};

const METHOD: &str = "day key destroyed (crypto-shredding), then file overwritten with zeros, \
                      fsynced and unlinked (日次鍵の破棄後、ゼロ上書き・削除)";

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub retention_erased: usize,
    pub cap_erased: usize,
    pub keys_shredded: usize,
    /// True when the cap forced erasure of footage still inside the retention window.
    pub below_policy: bool,
}

/// Runs one full sweep at the context's current time.
pub async fn sweep(ctx: &RecorderContext) -> Result<SweepReport, RecorderError> {
    let mut report = SweepReport::default();
    let now = ctx.clock.now();
    let oldest_kept = ctx
        .policy
        .retention
        .days
        .oldest_kept_day(now, &ctx.policy.ward.time_zone);
    let holds = ctx.db.active_holds(now).await?;

    let expired = overdue(&ctx.db, &ctx.policy, now).await?;
    report.retention_erased = expired.len();
    report.keys_shredded +=
        erase_segments(ctx, ErasureTrigger::Retention, expired, now, None).await?;
    // Keys of expired days whose segments are already gone (e.g. erased under the cap).
    report.keys_shredded += shred_orphan_keys(ctx, oldest_kept, now).await?;

    if let Some(cap) = ctx.policy.retention.storage_cap {
        enforce_cap(ctx, cap.0 as i64, &holds, oldest_kept, now, &mut report).await?;
    }
    Ok(report)
}

/// N6.1, T5.3: stored segments recorded before the oldest kept day and not held: what a sweep
/// at `now` erases, and what an audit expects to find gone.
pub async fn overdue(
    db: &mimamori_db::Db,
    policy: &mimamori_policy::Policy,
    now: Timestamp,
) -> Result<Vec<SegmentRow>, mimamori_db::DbError> {
    let oldest_kept = policy
        .retention
        .days
        .oldest_kept_day(now, &policy.ward.time_zone);
    let holds = db.active_holds(now).await?;
    Ok(unheld(db.segments_before_day(oldest_kept).await?, &holds))
}

/// T5.3: held footage is never erased.
fn is_held(segment: &SegmentRow, holds: &[HoldRow]) -> bool {
    holds
        .iter()
        .any(|h| h.overlaps(segment.camera_id.as_str(), segment.start_us, segment.end_us))
}

fn unheld(segments: Vec<SegmentRow>, holds: &[HoldRow]) -> Vec<SegmentRow> {
    segments
        .into_iter()
        .filter(|s| !is_held(s, holds))
        .collect()
}

/// Erases the oldest unheld footage until the store is under `cap` bytes.
async fn enforce_cap(
    ctx: &RecorderContext,
    cap: i64,
    holds: &[HoldRow],
    oldest_kept: jiff::civil::Date,
    now: Timestamp,
    report: &mut SweepReport,
) -> Result<(), RecorderError> {
    let mut stored = ctx.db.stored_bytes().await?;
    if stored <= cap {
        return Ok(());
    }
    let mut chosen = Vec::new();
    for s in unheld(ctx.db.oldest_segments(i64::MAX).await?, holds) {
        if stored <= cap {
            break;
        }
        stored -= s.file_bytes;
        chosen.push(s);
    }
    let today = day_of(now, &ctx.policy.ward.time_zone).to_string();
    let oldest_kept = oldest_kept.to_string();
    report.below_policy = chosen.iter().any(|s| s.day >= oldest_kept);
    report.cap_erased = chosen.len();
    // Today's keys stay: the recorder is still writing with them.
    report.keys_shredded +=
        erase_segments(ctx, ErasureTrigger::StorageCap, chosen, now, Some(&today)).await?;
    if report.below_policy {
        let msg = format!(
            "N6.1: the storage cap forced erasure of footage younger than the {}-day retention \
             window (容量上限により保存期間を満たせません)",
            ctx.policy.retention.days.get()
        );
        ctx.db
            .raise_alert(AlertKind::RetentionBelowPolicy, None, &msg, now)
            .await?;
    }
    if stored > cap {
        tracing::warn!(
            stored,
            cap,
            "storage cap exceeded but the rest is held or being written"
        );
    }
    Ok(())
}

/// Erases segments; shreds each affected day key that no segment uses any more, except keys
/// of `keep_day`. Returns the number of keys shredded.
async fn erase_segments(
    ctx: &RecorderContext,
    trigger: ErasureTrigger,
    segments: Vec<SegmentRow>,
    started: Timestamp,
    keep_day: Option<&str>,
) -> Result<usize, RecorderError> {
    if segments.is_empty() {
        return Ok(0);
    }
    let mut by_day: BTreeMap<(String, String, i64), Vec<SegmentRow>> = BTreeMap::new();
    for s in segments {
        by_day
            .entry((s.camera_id.to_string(), s.day.clone(), s.day_key_id))
            .or_default()
            .push(s);
    }
    let erased_ids: Vec<i64> = by_day.values().flatten().map(|s| s.id).collect();
    let mut records = Vec::new();
    let mut shred = Vec::new();
    for ((camera, day, key_id), segs) in &by_day {
        let remaining = remaining_users(&ctx.db, *key_id, &erased_ids).await?;
        let key_shredded = remaining == 0 && keep_day != Some(day.as_str());
        if key_shredded {
            shred.push(*key_id);
        }
        records.push(ErasedDay {
            camera_id: camera.clone(),
            day: day.clone(),
            start_us: segs.iter().map(|s| s.start_us).min().unwrap_or_default(),
            end_us: segs.iter().map(|s| s.end_us).max().unwrap_or_default(),
            segment_count: segs.len() as i64,
            bytes: segs.iter().map(|s| s.file_bytes).sum(),
            segment_hashes: segs.iter().map(|s| hex::encode(&s.sha256)).collect(),
            key_shredded,
            day_key_id: Some(*key_id),
        });
    }
    let run = ErasureRun {
        trigger,
        started,
        finished: ctx.clock.now(),
        method: METHOD.to_owned(),
    };
    ctx.db
        .commit_erasure(&run, &records, &erased_ids, &shred)
        .await?;
    let paths: Vec<_> = by_day
        .values()
        .flatten()
        .map(|s| ctx.store.path_of(s))
        .collect();
    tokio::task::spawn_blocking(move || paths.iter().try_for_each(|p| overwrite_and_remove(p)))
        .await
        .map_err(|e| RecorderError::Stream(format!("erasure task failed: {e}")))??;
    tracing::info!(
        trigger = trigger.as_str(),
        segments = erased_ids.len(),
        keys = shred.len(),
        "erased footage"
    );
    Ok(shred.len())
}

/// How many segments other than `erasing` still use a day key.
async fn remaining_users(db: &Db, key_id: i64, erasing: &[i64]) -> Result<usize, RecorderError> {
    let users = db.segment_ids_using_key(key_id).await?;
    Ok(users.iter().filter(|id| !erasing.contains(id)).count())
}

/// Shreds keys of days before `oldest_kept` that no segment uses (their footage already went
/// under the storage cap, or the day recorded nothing).
async fn shred_orphan_keys(
    ctx: &RecorderContext,
    oldest_kept: jiff::civil::Date,
    now: Timestamp,
) -> Result<usize, RecorderError> {
    let oldest = oldest_kept.to_string();
    let mut shred = Vec::new();
    let mut records = Vec::new();
    for key in ctx.db.day_keys().await? {
        if key.day < oldest && !ctx.db.day_key_in_use(key.id).await? {
            shred.push(key.id);
            records.push(ErasedDay {
                camera_id: key.camera_id.into(),
                day: key.day,
                start_us: 0,
                end_us: 0,
                segment_count: 0,
                bytes: 0,
                segment_hashes: Vec::new(),
                key_shredded: true,
                day_key_id: Some(key.id),
            });
        }
    }
    if shred.is_empty() {
        return Ok(0);
    }
    let run = ErasureRun {
        trigger: ErasureTrigger::Retention,
        started: now,
        finished: ctx.clock.now(),
        method: METHOD.to_owned(),
    };
    ctx.db.commit_erasure(&run, &records, &[], &shred).await?;
    Ok(shred.len())
}
