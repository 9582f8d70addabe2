//! The local commands: status, export (as an evidence package), integrity check, holds.

use std::path::Path;

use anyhow::{bail, Context as _};
use jiff::Timestamp;
use mimamori_db::{from_us, NewHold};
use mimamori_policy::{CameraId, Policy};
use mimamori_recorder::{Clock as _, Store, SystemClock};

use crate::app::Paths;
use crate::{DataArgs, FootageRange};

pub async fn status(data: &DataArgs, policy: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let paths = Paths::new(data);
    let policy = paths.policy(policy)?;
    let db = paths.open_db().await?;
    let status = mimamori_recorder::status::status(&db, &policy, Timestamp::now()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(());
    }
    let tz = &policy.ward.time_zone;
    let local = |t: Option<Timestamp>| {
        t.map_or("-".to_owned(), |t| {
            t.to_zoned(tz.clone())
                .strftime("%m-%d %H:%M:%S")
                .to_string()
        })
    };
    println!("{}  {}", status.ward, status.local_time);
    println!(
        "{:<12} {:<11} {:<16} {:>10} {:>12} {:>5}",
        "camera", "state", "last sample", "today (s)", "bytes", "gaps"
    );
    for c in &status.cameras {
        println!(
            "{:<12} {:<11} {:<16} {:>10} {:>12} {:>5}",
            c.id,
            c.state,
            local(c.last_sample),
            c.recorded_seconds_today,
            c.bytes_on_disk,
            c.gaps_today.len()
        );
    }
    for a in &status.open_alerts {
        println!("alert: {} {}", a.kind.as_str(), a.message);
    }
    Ok(())
}

pub async fn check(data: &DataArgs, json: bool) -> anyhow::Result<()> {
    let paths = Paths::new(data);
    let db = paths.open_db().await?;
    let kek = paths.kek()?;
    let report = Store::new(&paths.segments)
        .check(&db, &kek, &SystemClock)
        .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "checked {} segments ({} bytes)",
            report.segments_checked, report.bytes_checked
        );
        for bad in &report.bad {
            println!(
                "BAD segment {} ({}): {}",
                bad.segment_id, bad.camera_id, bad.reason
            );
        }
    }
    if !report.bad.is_empty() {
        bail!(
            "{} segment(s) failed the integrity check (N3.2.1)",
            report.bad.len()
        );
    }
    Ok(())
}

pub async fn hold_add(
    data: &DataArgs,
    policy: Option<&Path>,
    range: &FootageRange,
    until: &str,
    reason: &str,
    by: &str,
) -> anyhow::Result<()> {
    let paths = Paths::new(data);
    let policy = paths.policy(policy)?;
    let (camera_id, start, end) = resolve(&policy, range)?;
    let hold = NewHold {
        camera_id,
        start,
        end,
        until: parse_time(until, &policy.ward.time_zone).context("--until")?,
        reason: reason.to_owned(),
        held_by: by.to_owned(),
    };
    let db = paths.open_db().await?;
    let event = |hold_id| {
        let body = mimamori_db::vocabulary::HoldAdded {
            hold_id,
            camera: hold.camera_id.as_str().to_owned(),
            from: Some(hold.start),
            to: Some(hold.end),
            until: Some(hold.until),
            reason: hold.reason.clone(),
            decided_by: Some(by.to_owned()),
        };
        mimamori_db::Event::by(cli_actor(), mimamori_db::EventBody::HoldAdded(body))
    };
    let id = db.insert_hold(&hold, SystemClock.now(), event).await?;
    println!("hold {id} recorded");
    Ok(())
}

pub async fn hold_list(data: &DataArgs) -> anyhow::Result<()> {
    let db = Paths::new(data).open_db().await?;
    for h in db.active_holds(SystemClock.now()).await? {
        println!(
            "{}  {}  {} – {}  until {}  by {}: {}",
            h.id,
            h.camera_id,
            from_us(h.start_us),
            from_us(h.end_us),
            from_us(h.until_us),
            h.held_by,
            h.reason
        );
    }
    Ok(())
}

/// Who runs a local command, as events record it.
pub fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// A range's camera (which must be in the policy) and times (read in the ward's time zone).
fn resolve(
    policy: &Policy,
    range: &FootageRange,
) -> anyhow::Result<(CameraId, Timestamp, Timestamp)> {
    let tz = &policy.ward.time_zone;
    let start = parse_time(&range.from, tz).context("--from")?;
    let end = parse_time(&range.to, tz).context("--to")?;
    if end <= start {
        bail!("--to must be after --from (終了時刻は開始時刻より後にしてください)");
    }
    Ok((known_camera(policy, &range.camera)?, start, end))
}

fn known_camera(policy: &Policy, id: &str) -> anyhow::Result<CameraId> {
    let id = CameraId::new(id).map_err(anyhow::Error::msg)?;
    if policy.camera(&id).is_none() {
        bail!("camera {id} is not in the policy (ポリシーに登録されていないカメラです)");
    }
    Ok(id)
}

/// RFC 3339 with an offset, or a civil date-time read in the ward's time zone.
pub fn parse_time(text: &str, tz: &jiff::tz::TimeZone) -> anyhow::Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil: jiff::civil::DateTime = text.parse().with_context(|| {
        format!("{text:?} is not a time: use 2026-11-23T10:00:00+09:00 or \"2026-11-23 10:00:00\"")
    })?;
    Ok(civil.to_zoned(tz.clone())?.timestamp())
}
