//! One camera's pictures into segments.
//!
//! Pictures arrive in decode order with presentation times. A [`DecodeTimeline`] gives each its
//! decode time (B-frames) and takes camera clock steps out; then a picture is written once the
//! next one's decode time is known, because only then are its duration and whether it ends the
//! segment (the next one is a random access point past the cut point) known. Segments start at
//! random access points: an H.264 IDR, an H.265 IDR or CRA (open GOP).
//!
//! Issue 12, no silent loss: a picture is stored, held (at most the reorder depth plus one, all
//! written when the run ends), or dropped with a [`DropReason`] counted in the metrics. The
//! only pictures dropped on a working store are those a decoder could not use (before a
//! connection's first keyframe, or leading pictures that refer to before it); they lie inside
//! the gap the connection closes, and the `recording_resumed` event that closes it counts them.
//! RTP packets lost in transit raise a `frames_lost` alert.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary::RecordingResumed;
use mimamori_db::{AlertKind, CameraState, Event, EventBody};
use mimamori_media::pictures::{picture_kind, reorder_depth, Codec, PictureKind};
use mimamori_media::timeline::{DecodeTimeline, Timed};
use mimamori_policy::{day_of, Camera, CameraId};
use retina::codec::VideoFrame;
use sha2::{Digest, Sha256};

mod segments;

use crate::metrics::{CameraMetrics, DropReason};
use crate::{RecorderContext, RecorderError};
use segments::OpenSegment;

/// How often the open segment's progress is written for health (seconds recorded today).
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A picture on its way through the timeline.
struct Picture {
    data: Vec<u8>,
    kind: PictureKind,
    sample_entry_id: i64,
    /// When it arrived, on the server's clock.
    arrived: Timestamp,
}

/// One RTSP session's pictures.
struct Run {
    codec: Codec,
    timeline: DecodeTimeline<Picture>,
    /// Monotonic start, for arrival times.
    started: Instant,
    /// A random access point has arrived; pictures before it are dropped.
    keyed: bool,
    /// A picture that is not a leading one has followed that first random access point.
    past_leading: bool,
    /// Pictures dropped before the first stored one (they are inside the gap it closes).
    dropped_before_first: u64,
    /// Pictures stored in this run.
    stored: u64,
    /// Whether the run's RTP loss was alerted already.
    loss_alerted: bool,
}

pub(super) struct CameraRecorder {
    ctx: Arc<RecorderContext>,
    camera: Camera,
    metrics: Arc<CameraMetrics>,
    run_id: i64,
    run: Option<Run>,
    /// Wall time of presentation time `anchor.1` (90 kHz, since the session started).
    anchor: (Timestamp, i64),
    /// Where the run's first anchor was taken, to report the camera's clock rate.
    first_anchor: Option<(Timestamp, i64)>,
    open: Option<OpenSegment>,
    pending: Option<Timed<Picture>>,
    last_duration: u32,
    /// End of the last sample written, in wall time: where a gap would start.
    last_sample_end: Option<Timestamp>,
    sample_entry: Option<(i64, u32)>,
    progress_at: Option<Instant>,
}

impl CameraRecorder {
    pub(super) fn new(ctx: Arc<RecorderContext>, camera: Camera) -> Self {
        CameraRecorder {
            metrics: ctx.metrics.camera(&camera.id),
            ctx,
            camera,
            run_id: 0,
            run: None,
            anchor: (Timestamp::UNIX_EPOCH, 0),
            first_anchor: None,
            open: None,
            pending: None,
            last_duration: 3000,
            last_sample_end: None,
            sample_entry: None,
            progress_at: None,
        }
    }

    pub(super) fn camera(&self) -> &Camera {
        &self.camera
    }

    fn id(&self) -> &CameraId {
        &self.camera.id
    }

    /// A session is playing: its pictures start a new run.
    pub(super) fn begin_run(&mut self, codec: Codec) {
        self.sample_entry = None;
        self.first_anchor = None;
        self.run = Some(Run {
            codec,
            timeline: DecodeTimeline::new(0),
            started: Instant::now(),
            keyed: false,
            past_leading: false,
            dropped_before_first: 0,
            stored: 0,
            loss_alerted: false,
        });
    }

    pub(super) fn has_parameters(&self) -> bool {
        self.sample_entry.is_some()
    }

    /// The stream's parameters, at its start or changed: store the sample entry, and read the
    /// reorder depth. A new depth needs a new timeline: what is held is written first, and the
    /// next segment starts at the next random access point.
    pub(super) async fn set_parameters(
        &mut self,
        params: &retina::codec::VideoParameters,
    ) -> Result<(), RecorderError> {
        let entry = params.mp4_sample_entry().build().map_err(stream_err)?;
        let (width, height) = params.pixel_dimensions();
        let sha: [u8; 32] = Sha256::digest(&entry).into();
        let id = self
            .ctx
            .db
            .sample_entry_id(&sha, width, height, params.rfc6381_codec(), &entry)
            .await?;
        let codec = self.run.as_ref().expect("a run is playing").codec;
        let depth = reorder_depth(codec, params.extra_data())
            .map_err(|e| RecorderError::Stream(format!("{e}")))?;
        if self.sample_entry.is_some_and(|(_, d)| d != depth) {
            self.flush_timeline().await?;
            self.close_segment().await?;
            let run = self.run.as_mut().expect("a run is playing");
            run.keyed = false;
        }
        if self.sample_entry.is_none_or(|(_, d)| d != depth) {
            let run = self.run.as_mut().expect("a run is playing");
            run.timeline = DecodeTimeline::new(depth);
        }
        self.sample_entry = Some((id, depth));
        Ok(())
    }

    pub(super) async fn on_frame(&mut self, frame: VideoFrame) -> Result<(), RecorderError> {
        let presentation = frame.timestamp().elapsed();
        let lost = frame.loss();
        let data = frame.into_data();
        let metrics = &self.metrics;
        metrics.frames.fetch_add(1, Ordering::Relaxed);
        metrics
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        if lost > 0 {
            self.on_packets_lost(lost as u64).await?;
        }
        let (entry, _) = self.sample_entry.expect("parameters known before frames");
        let run = self.run.as_mut().expect("a run is playing");
        let kind = picture_kind(run.codec, &data);
        if !run.keyed {
            if kind != PictureKind::RandomAccess {
                return self.drop_picture(DropReason::BeforeKeyframe);
            }
            run.keyed = true;
        } else if !run.past_leading {
            if kind == PictureKind::SkippedAtStart {
                return self.drop_picture(DropReason::LeadingWithoutReference);
            }
            run.past_leading = kind != PictureKind::RandomAccess;
        }
        let arrival_90k = (run.started.elapsed().as_micros() as i64) * 9 / 100;
        let picture = Picture {
            data,
            kind,
            sample_entry_id: entry,
            arrived: self.ctx.clock.now(),
        };
        let pushed = run.timeline.push(presentation, arrival_90k, picture);
        if let Some(step) = pushed.step_90k {
            self.metrics.clock_steps.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(camera = %self.id(), step_ms = step / 90,
                "the camera's clock stepped; the step is taken out of the recording's timeline");
        }
        for timed in pushed.timed {
            self.place(timed).await?;
        }
        Ok(())
    }

    fn drop_picture(&mut self, reason: DropReason) -> Result<(), RecorderError> {
        self.metrics.dropped(reason).fetch_add(1, Ordering::Relaxed);
        if let Some(run) = self.run.as_mut().filter(|r| r.stored == 0) {
            run.dropped_before_first += 1;
        }
        Ok(())
    }

    /// RTP sequence numbers skipped: pictures the camera sent are damaged or missing.
    async fn on_packets_lost(&mut self, lost: u64) -> Result<(), RecorderError> {
        self.metrics.packets_lost.fetch_add(lost, Ordering::Relaxed);
        let run = self.run.as_mut().expect("a run is playing");
        if run.loss_alerted {
            return Ok(());
        }
        run.loss_alerted = true;
        let msg = format!(
            "N5: camera {} ({}) lost {lost} RTP packet(s) in transit: pictures around this time \
             are damaged or missing; check the network (映像データの一部が伝送中に失われました)",
            self.camera.id, self.camera.name
        );
        let now = self.ctx.clock.now();
        let db = &self.ctx.db;
        db.raise_alert(AlertKind::FramesLost, Some(&self.camera.id), &msg, now)
            .await?;
        Ok(())
    }

    /// A picture with its decode time: write the one before it, then hold it.
    async fn place(&mut self, timed: Timed<Picture>) -> Result<(), RecorderError> {
        if self.run.as_ref().is_some_and(|r| r.stored == 0) && self.pending.is_none() {
            self.start_run(&timed).await?;
        }
        let is_key = timed.item.kind == PictureKind::RandomAccess;
        if let Some(prev) = self.pending.take() {
            let duration = u32::try_from(timed.decode_90k - prev.decode_90k).unwrap_or(u32::MAX);
            let cut = is_key && self.should_cut(duration, &timed);
            self.write(prev, duration, cut).await?;
            if cut {
                self.finish_segment().await?;
            } else {
                self.alert_if_keyframes_stopped().await?;
            }
        }
        if self.open.is_none() {
            if !is_key {
                // Only after a parameter change with a held picture; never on a working stream.
                return self.drop_picture(DropReason::BeforeKeyframe);
            }
            self.open_segment(&timed).await?;
        }
        self.pending = Some(timed);
        Ok(())
    }

    /// Writes everything the timeline still holds.
    async fn flush_timeline(&mut self) -> Result<(), RecorderError> {
        let Some(run) = self.run.as_mut() else {
            return Ok(());
        };
        let depth = run.timeline.reorder();
        let timeline = std::mem::replace(&mut run.timeline, DecodeTimeline::new(depth));
        for timed in timeline.finish() {
            self.place(timed).await?;
        }
        Ok(())
    }

    /// The session ended: write what is held and close the segment. Returns the pictures this
    /// run stored. Pictures that could not be written are counted as dropped.
    pub(super) async fn end_run(&mut self) -> u64 {
        let result = async {
            self.flush_timeline().await?;
            self.close_segment().await
        }
        .await;
        if let Err(e) = result {
            tracing::error!(camera = %self.id(), error = %e, "could not close segment");
            let held = self.run.as_ref().map_or(0, |r| r.timeline.held()) as u64
                + u64::from(self.pending.is_some());
            self.pending = None;
            self.open = None;
            self.metrics
                .dropped(DropReason::Unwritten)
                .fetch_add(held, Ordering::Relaxed);
            let msg = format!(
                "N5: camera {} ({}): {held} picture(s) received could not be written: {e} \
                 (受信した映像を保存できませんでした)",
                self.camera.id, self.camera.name
            );
            let now = self.ctx.clock.now();
            let db = &self.ctx.db;
            if let Err(e) = db
                .raise_alert(AlertKind::FramesLost, Some(&self.camera.id), &msg, now)
                .await
            {
                tracing::error!(camera = %self.id(), error = %e, "could not raise the alert");
            }
        }
        self.run.take().map_or(0, |r| r.stored)
    }

    /// Segments end only at random access points, and only an ended segment is durable. A
    /// camera that stops sending them keeps one segment open; say so once it runs four times
    /// the target length.
    async fn alert_if_keyframes_stopped(&mut self) -> Result<(), RecorderError> {
        let target_90k = self.ctx.policy.recording.segment_duration.as_micros() as i64 * 9 / 100;
        let Some(open) = self
            .open
            .as_mut()
            .filter(|o| !o.keyframe_alert && o.duration > 4 * target_90k)
        else {
            return Ok(());
        };
        open.keyframe_alert = true;
        let msg = format!(
            "camera {} ({}) has sent no keyframe for {} s: its footage cannot be cut into durable \
             segments; check the camera's I-frame interval (キーフレーム間隔を確認してください)",
            self.camera.id,
            self.camera.name,
            open.duration / 90_000
        );
        let now = self.ctx.clock.now();
        self.ctx
            .db
            .raise_alert(AlertKind::NoKeyframes, Some(&self.camera.id), &msg, now)
            .await?;
        Ok(())
    }

    /// The first picture stored in a session: anchor wall time to it and close the gap
    /// before it, counting the pictures dropped inside the gap.
    async fn start_run(&mut self, first: &Timed<Picture>) -> Result<(), RecorderError> {
        let arrived = first.item.arrived;
        self.anchor = (arrived, first.presentation_90k);
        self.first_anchor = Some(self.anchor);
        self.run_id = arrived.as_microsecond();
        let dropped = self.run.as_ref().map_or(0, |r| r.dropped_before_first);
        let db = &self.ctx.db;
        if let Some(gap) = db.close_gap(self.id(), arrived).await? {
            db.resolve_alerts(AlertKind::Gap, Some(self.id()), arrived)
                .await?;
            let body = EventBody::RecordingResumed(RecordingResumed {
                camera: self.id().as_str().to_owned(),
                gap_start_us: gap.start_us,
                gap_end_us: gap.end_us,
                cause: gap.cause,
                pictures_before_keyframe: dropped,
            });
            db.append_event(&Event::system("recorder", body).at(arrived))
                .await?;
        }
        self.set_state(CameraState::Recording, None).await;
        tracing::info!(camera = %self.id(), dropped_before_keyframe = dropped, "recording");
        Ok(())
    }

    fn wall_time(&self, presentation_90k: i64) -> Timestamp {
        let micros = (presentation_90k - self.anchor.1) * 1_000_000 / 90_000;
        self.anchor.0 + SignedDuration::from_micros(micros)
    }

    fn should_cut(&self, duration: u32, next: &Timed<Picture>) -> bool {
        let Some(open) = &self.open else { return false };
        let target = self.ctx.policy.recording.segment_duration.as_micros() as i64 * 9 / 100;
        open.duration + i64::from(duration) >= target
            || day_of(
                self.wall_time(next.presentation_90k),
                &self.ctx.policy.ward.time_zone,
            ) != open.day
            || next.item.sample_entry_id != open.sample_entry_id
    }

    /// N5: a failed session opens a gap from the last sample and raises an alert.
    pub(super) async fn on_failure(&mut self, error: &RecorderError) {
        let now = self.ctx.clock.now();
        let cause = error.to_string();
        tracing::warn!(camera = %self.id(), error = %cause, "camera stream lost; will reconnect");
        self.metrics.reconnects.fetch_add(1, Ordering::Relaxed);
        self.set_state(CameraState::Retrying, Some(&cause)).await;
        let db = &self.ctx.db;
        let had_open_gap = matches!(db.open_gap_of(self.id()).await, Ok(Some(_)));
        let start = self.last_sample_end.unwrap_or(now);
        let result = async {
            db.open_gap(self.id(), start, &cause).await?;
            if !had_open_gap {
                let msg = format!(
                    "N5: camera {} ({}) stopped recording: {cause} (録画が中断しています)",
                    self.id(),
                    self.camera.name
                );
                db.raise_alert(AlertKind::Gap, Some(self.id()), &msg, now)
                    .await?;
            }
            Ok::<_, mimamori_db::DbError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(camera = %self.id(), error = %e, "could not record the gap");
        }
    }

    pub(super) async fn set_state(&self, state: CameraState, detail: Option<&str>) {
        self.set_state_at(state, detail, None).await
    }

    async fn set_state_at(
        &self,
        state: CameraState,
        error: Option<&str>,
        last_sample: Option<Timestamp>,
    ) {
        let now = self.ctx.clock.now();
        if let Err(e) = self
            .ctx
            .db
            .set_camera_state(self.id(), state, last_sample, error, now)
            .await
        {
            tracing::error!(camera = %self.id(), error = %e, "could not store camera state");
        }
    }
}

fn stream_err(e: retina::Error) -> RecorderError {
    RecorderError::Stream(e.to_string())
}
