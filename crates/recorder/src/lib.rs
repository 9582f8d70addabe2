//! The recorder: records every camera of the policy around the clock into an encrypted ring of
//! segments, erases footage on schedule, and is the only place footage can be read back.
//!
//! - [`ingest`]: one task per camera pulls RTSP with `retina` and cuts segments (N5).
//! - [`segment_file`], [`keys`]: the encrypted file format and the key hierarchy.
//! - [`store`]: files on disk, crash recovery, integrity check.
//! - [`retention`]: the sweeper (N6.1, N6.2, T5.3, T5.4) and disk-pressure erasure.
//! - [`export`]: camera + range → MP4; local only, always recorded as an event.
//! - [`status`], [`metrics`]: what each camera is doing.
//!
//! There is no live output of any kind (N6.3): nothing here streams footage to anyone.

mod clock;
mod direct_io;
pub mod export;
mod ingest;
pub mod keys;
pub mod metrics;
pub mod objects;
pub mod retention;
pub mod segment_file;
pub mod status;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;

use mimamori_db::{Db, DbError, Event, EventBody, EventKind};
use mimamori_policy::Policy;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use clock::{Clock, ShiftedClock, SystemClock};
pub use keys::Kek;
pub use metrics::Metrics;
pub use store::Store;

#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(transparent)]
    SegmentFile(#[from] segment_file::SegmentFileError),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("stream: {0}")]
    Stream(String),
    #[error("no footage is stored for that camera and range (指定範囲の映像はありません)")]
    NoFootage,
    #[error("export: {0}")]
    Export(String),
}

/// Everything the recorder's tasks share.
pub struct RecorderContext {
    pub policy: Arc<Policy>,
    pub db: Db,
    pub store: Store,
    pub kek: Arc<Kek>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

impl RecorderContext {
    pub fn new(
        policy: Arc<Policy>,
        db: Db,
        store: Store,
        kek: Arc<Kek>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let metrics = Arc::new(Metrics::new(policy.cameras.iter().map(|c| &c.id)));
        RecorderContext {
            policy,
            db,
            store,
            kek,
            clock,
            metrics,
        }
    }
}

/// The running recorder: camera tasks and the sweeper.
pub struct Recorder {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Records the policy's cameras in the database (footage, holds and gaps refer to them).
pub async fn record_policy_cameras(ctx: &RecorderContext) -> Result<(), RecorderError> {
    let now = ctx.clock.now();
    for cam in &ctx.policy.cameras {
        let record = mimamori_db::CameraRecord {
            id: cam.id.to_string(),
            name: cam.name.clone(),
            site: cam.site.clone(),
            url: cam.url.clone(),
        };
        ctx.db.upsert_camera(&record, now).await?;
    }
    Ok(())
}

/// Issue 11, #20: records the policy on the ledger when it differs from the last one recorded
/// (by the file's SHA-256), with its settings and what changed. Returns whether it did.
pub async fn record_policy(ctx: &RecorderContext) -> Result<bool, RecorderError> {
    let policy = &ctx.policy;
    let mut last = None;
    for row in ctx.db.events(Some(EventKind::PolicyLoaded)).await? {
        if let Ok(EventBody::PolicyLoaded(p)) = row.body() {
            last = Some(p);
        }
    }
    if last
        .as_ref()
        .is_some_and(|p| p.sha256 == policy.source_sha256)
    {
        return Ok(false);
    }
    let settings = policy.settings();
    let changes =
        mimamori_policy::settings_changes(&last.map(|p| p.settings).unwrap_or_default(), &settings);
    tracing::info!(sha256 = %policy.source_sha256, changes = changes.len(), "policy recorded");
    let body = EventBody::PolicyLoaded(mimamori_db::vocabulary::PolicyLoaded {
        sha256: policy.source_sha256.clone(),
        settings,
        changes,
    });
    let event = Event::system("mimamori", body).at(ctx.clock.now());
    ctx.db.append_event(&event).await?;
    Ok(true)
}

impl Recorder {
    /// Recovers the store, records the policy's cameras, opens a gap for every camera that was
    /// recording when mimamori last stopped, and starts recording and sweeping.
    pub async fn start(ctx: Arc<RecorderContext>) -> Result<Recorder, RecorderError> {
        let now = ctx.clock.now();
        record_policy(&ctx).await?;
        record_policy_cameras(&ctx).await?;
        let recovery = ctx.store.recover(&ctx.db, ctx.clock.as_ref()).await?;
        if !recovery.removed_unindexed.is_empty() {
            tracing::warn!(
                files = recovery.removed_unindexed.len(),
                "erased unindexed segment files left by a crash"
            );
        }
        open_downtime_gaps(&ctx).await?;
        // A segment open when the process died was not indexed: its seconds are not footage.
        ctx.db.clear_recording_progress(now).await?;
        let body = EventBody::RecorderStarted(mimamori_db::vocabulary::RecorderStarted {
            cameras: ctx.policy.cameras.len() as u64,
        });
        ctx.db
            .append_event(&Event::system("recorder", body).at(now))
            .await?;

        let (shutdown, rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for cam in ctx.policy.cameras.iter().cloned() {
            tasks.spawn(ingest::record_camera(ctx.clone(), cam, rx.clone()));
        }
        tasks.spawn(sweep_forever(ctx.clone(), rx));
        Ok(Recorder { shutdown, tasks })
    }

    /// Stops recording: every camera closes and indexes its open segment first.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// N5: time the recorder itself was not running is a gap too, from each camera's last indexed
/// sample to its first sample after this start.
async fn open_downtime_gaps(ctx: &RecorderContext) -> Result<(), RecorderError> {
    let states = ctx.db.camera_states().await?;
    for cam in &ctx.policy.cameras {
        let last = states
            .iter()
            .find(|s| s.camera_id == cam.id.as_str())
            .and_then(|s| s.last_sample_us);
        if let Some(last) = last {
            ctx.db
                .open_gap(
                    &cam.id,
                    mimamori_db::from_us(last),
                    "mimamori was not running (録画装置停止)",
                )
                .await?;
        }
    }
    Ok(())
}

async fn sweep_forever(ctx: Arc<RecorderContext>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match retention::sweep(&ctx).await {
            Ok(report) if report != retention::SweepReport::default() => {
                tracing::info!(?report, "sweep")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(ctx.policy.retention.sweep_interval) => {}
            _ = shutdown.changed() => return,
        }
    }
}
