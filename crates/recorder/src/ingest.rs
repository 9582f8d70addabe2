//! N5: one camera, recorded around the clock.
//!
//! A task per camera pulls the stream over RTSP with `retina` (TCP interleaved by default,
//! digest or basic auth), never transcoding, and cuts it at keyframes into encrypted segments.
//! Any failure ends the session: the open segment is closed and indexed, a gap is opened from
//! the last sample and raised as an alert, and the task reconnects with exponential backoff.
//! The first sample after the failure closes the gap.
//!
//! A sample is written only once the next one arrives, because only then are its duration and
//! whether it ends the segment (the next one is a keyframe past the cut point) known.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary::RecordingResumed;
use mimamori_db::{AlertKind, CameraState, Event, EventBody, NewSegment};
use mimamori_media::sample_index::{self, Sample};
use mimamori_policy::{day_of, Camera, CameraId, Transport};
use rand::RngCore;
use retina::client::{PlayOptions, Session, SessionOptions, SetupOptions};
use retina::codec::{CodecItem, FrameFormat, ParametersRef, VideoFrame};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::metrics::CameraMetrics;
use crate::segment_file::{SegmentFileWriter, SegmentHeader};
use crate::{RecorderContext, RecorderError};

/// A session that delivers no frame for this long has failed, even if its socket is open.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest sample duration accepted from RTP timestamps; a larger step is a discontinuity.
const MAX_SAMPLE_90K: i64 = 5 * 90_000;
/// Re-anchor wall time to the clock when the stream's timeline drifts this far from it.
const MAX_DRIFT: SignedDuration = SignedDuration::from_secs(1);

/// Runs one camera until `shutdown` turns true.
pub(crate) async fn record_camera(
    ctx: Arc<RecorderContext>,
    camera: Camera,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut recorder = CameraRecorder::new(ctx.clone(), camera);
    let policy = &ctx.policy.recording;
    let mut backoff = policy.reconnect_min;
    loop {
        recorder.set_state(CameraState::Connecting, None).await;
        let result = recorder.session(&mut shutdown).await;
        if let Err(e) = recorder.close_segment().await {
            tracing::error!(camera = %recorder.id(), error = %e, "could not close segment");
        }
        let error = match result {
            Ok(()) => break,
            Err(e) => e,
        };
        if recorder.frames_this_run > 0 {
            backoff = policy.reconnect_min;
        }
        recorder.on_failure(&error).await;
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => break,
        }
        backoff = (backoff * 2).min(policy.reconnect_max);
    }
    recorder.set_state(CameraState::Stopped, None).await;
}

/// A sample held until the next one arrives.
struct Pending {
    data: Vec<u8>,
    pts: i64,
    is_key: bool,
}

/// The segment being written.
struct OpenSegment {
    writer: SegmentFileWriter,
    day: Date,
    day_key_id: i64,
    start: Timestamp,
    media_start: i64,
    duration: i64,
    keyframes: i64,
    index: Vec<u8>,
    sample_entry_id: i64,
    /// Whether the "no keyframes" alert was raised for this segment.
    keyframe_alert: bool,
}

struct CameraRecorder {
    ctx: Arc<RecorderContext>,
    camera: Camera,
    metrics: Arc<CameraMetrics>,
    run_id: i64,
    /// Wall time of media time `anchor.1` (90 kHz, since the session started).
    anchor: (Timestamp, i64),
    open: Option<OpenSegment>,
    pending: Option<Pending>,
    last_duration: u32,
    /// End of the last sample written, in wall time: where a gap would start.
    last_sample_end: Option<Timestamp>,
    sample_entry_id: Option<i64>,
    frames_this_run: u64,
}

impl CameraRecorder {
    fn new(ctx: Arc<RecorderContext>, camera: Camera) -> Self {
        CameraRecorder {
            metrics: ctx.metrics.camera(&camera.id),
            ctx,
            camera,
            run_id: 0,
            anchor: (Timestamp::UNIX_EPOCH, 0),
            open: None,
            pending: None,
            last_duration: 6000,
            last_sample_end: None,
            sample_entry_id: None,
            frames_this_run: 0,
        }
    }

    fn id(&self) -> &CameraId {
        &self.camera.id
    }

    /// One RTSP session, from DESCRIBE until failure (`Err`) or shutdown (`Ok`).
    async fn session(&mut self, shutdown: &mut watch::Receiver<bool>) -> Result<(), RecorderError> {
        self.frames_this_run = 0;
        self.sample_entry_id = None;
        let url =
            url::Url::parse(&self.camera.url).map_err(|e| RecorderError::Stream(e.to_string()))?;
        let creds = match &self.camera.credentials {
            Some(r) => {
                let c = r.resolve().map_err(RecorderError::Stream)?;
                Some(retina::client::Credentials {
                    username: c.username,
                    password: c.password,
                })
            }
            None => None,
        };
        let options = SessionOptions::default()
            .creds(creds)
            .user_agent("mimamori".to_owned());
        let mut session = Session::describe(url, options).await.map_err(stream_err)?;
        let video = session
            .streams()
            .iter()
            .position(|s| s.media() == "video" && matches!(s.encoding_name(), "h264" | "h265"))
            .ok_or_else(|| {
                RecorderError::Stream("the camera offers no H.264 or H.265 video stream".into())
            })?;
        let transport = match self.camera.transport {
            Transport::Tcp => retina::client::Transport::Tcp(Default::default()),
            Transport::Udp => retina::client::Transport::Udp(Default::default()),
        };
        let setup = SetupOptions::default()
            .transport(transport)
            .frame_format(FrameFormat::MP4);
        session.setup(video, setup).await.map_err(stream_err)?;
        let mut demuxed = session
            .play(PlayOptions::default())
            .await
            .map_err(stream_err)?
            .demuxed()
            .map_err(stream_err)?;
        loop {
            let item = tokio::select! {
                item = tokio::time::timeout(FRAME_TIMEOUT, demuxed.next()) => item,
                _ = shutdown.changed() => return Ok(()),
            };
            let frame = match item {
                Err(_) => {
                    return Err(RecorderError::Stream(format!(
                        "no frames for {} s",
                        FRAME_TIMEOUT.as_secs()
                    )))
                }
                Ok(None) => {
                    return Err(RecorderError::Stream("the camera ended the stream".into()))
                }
                Ok(Some(Err(e))) => return Err(stream_err(e)),
                Ok(Some(Ok(CodecItem::VideoFrame(f)))) => f,
                Ok(Some(Ok(_))) => continue,
            };
            if frame.has_new_parameters() || self.sample_entry_id.is_none() {
                let params = match demuxed.streams()[video].parameters() {
                    Some(ParametersRef::Video(v)) => v.clone(),
                    _ => return Err(RecorderError::Stream("video parameters are missing".into())),
                };
                self.sample_entry_id = Some(self.store_sample_entry(&params).await?);
            }
            self.on_frame(frame).await?;
        }
    }

    async fn store_sample_entry(
        &self,
        params: &retina::codec::VideoParameters,
    ) -> Result<i64, RecorderError> {
        let entry = params.mp4_sample_entry().build().map_err(stream_err)?;
        let (width, height) = params.pixel_dimensions();
        let sha: [u8; 32] = Sha256::digest(&entry).into();
        Ok(self
            .ctx
            .db
            .sample_entry_id(&sha, width, height, params.rfc6381_codec(), &entry)
            .await?)
    }

    async fn on_frame(&mut self, frame: VideoFrame) -> Result<(), RecorderError> {
        let pts = frame.timestamp().elapsed();
        let is_key = frame.is_random_access_point();
        let data = frame.into_data();
        let metrics = &self.metrics;
        metrics.frames.fetch_add(1, Ordering::Relaxed);
        metrics
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        if self.frames_this_run == 0 {
            self.start_run(pts).await?;
        }
        self.frames_this_run += 1;
        let entry = self
            .sample_entry_id
            .expect("sample entry known before frames");
        if let Some(prev) = self.pending.take() {
            let step = pts - prev.pts;
            if !(1..=MAX_SAMPLE_90K).contains(&step) {
                // A timestamp discontinuity: end the segment here and start anew at a keyframe.
                self.pending = Some(prev);
                self.close_segment().await?;
                self.anchor = (self.ctx.clock.now(), pts);
            } else {
                let duration = step as u32;
                let cut = is_key && self.should_cut(duration, pts, entry);
                self.write(prev, duration, cut).await?;
                if cut {
                    self.finish_segment().await?;
                } else {
                    self.alert_if_keyframes_stopped().await?;
                }
            }
        }
        if self.open.is_none() {
            if !is_key {
                return Ok(()); // Segments start at a keyframe; wait for one.
            }
            self.open_segment(pts, entry).await?;
        }
        self.pending = Some(Pending { data, pts, is_key });
        Ok(())
    }

    /// Segments end only at keyframes, and only an ended segment is durable. A camera that
    /// stops sending keyframes (or sends open-GOP H.265 with no IDR) keeps one segment open;
    /// say so once it runs four times the target length.
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

    /// The first frame of a session: anchor wall time to it and close the gap before it.
    async fn start_run(&mut self, pts: i64) -> Result<(), RecorderError> {
        let now = self.ctx.clock.now();
        self.anchor = (now, pts);
        self.run_id = now.as_microsecond();
        let db = &self.ctx.db;
        if let Some(gap) = db.close_gap(self.id(), now).await? {
            db.resolve_alerts(AlertKind::Gap, Some(self.id()), now)
                .await?;
            let body = EventBody::RecordingResumed(RecordingResumed {
                camera: self.id().as_str().to_owned(),
                gap_start_us: gap.start_us,
                gap_end_us: gap.end_us,
                cause: gap.cause,
            });
            db.append_event(&Event::system("recorder", body).at(now))
                .await?;
        }
        self.set_state(CameraState::Recording, None).await;
        tracing::info!(camera = %self.id(), "recording");
        Ok(())
    }

    fn wall_time(&self, pts: i64) -> Timestamp {
        let micros = (pts - self.anchor.1) * 1_000_000 / 90_000;
        self.anchor.0 + SignedDuration::from_micros(micros)
    }

    fn should_cut(&self, duration: u32, next_pts: i64, next_entry: i64) -> bool {
        let Some(open) = &self.open else { return false };
        let target = self.ctx.policy.recording.segment_duration.as_micros() as i64 * 9 / 100;
        open.duration + i64::from(duration) >= target
            || day_of(self.wall_time(next_pts), &self.ctx.policy.ward.time_zone) != open.day
            || next_entry != open.sample_entry_id
    }

    async fn open_segment(&mut self, pts: i64, sample_entry_id: i64) -> Result<(), RecorderError> {
        let now = self.ctx.clock.now();
        if self.wall_time(pts).duration_since(now).abs() > MAX_DRIFT {
            self.anchor = (now, pts);
        }
        let start = self.wall_time(pts);
        let day = day_of(start, &self.ctx.policy.ward.time_zone);
        let key = self
            .ctx
            .kek
            .day_key(&self.ctx.db, self.id(), day, now)
            .await?;
        let mut file_id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut file_id);
        let path = self
            .ctx
            .store
            .path(self.id().as_str(), &day.to_string(), &file_id);
        let header = SegmentHeader {
            file_id,
            day_key_id: key.id,
            camera: self.id().to_string(),
        };
        let day_key_id = key.id;
        // Creating a file is one short syscall; the writes and the final fsync run on the
        // blocking pool (see `direct_io`).
        let writer = SegmentFileWriter::create(path, header, key).await?;
        self.open = Some(OpenSegment {
            writer,
            day,
            day_key_id,
            start,
            media_start: pts,
            duration: 0,
            keyframes: 0,
            index: Vec::with_capacity(4096),
            sample_entry_id,
            keyframe_alert: false,
        });
        Ok(())
    }

    async fn write(
        &mut self,
        sample: Pending,
        duration: u32,
        last: bool,
    ) -> Result<(), RecorderError> {
        let open = self
            .open
            .as_mut()
            .expect("a pending sample has an open segment");
        let size = sample.data.len() as u32;
        sample_index::push(
            &mut open.index,
            Sample {
                duration_90k: duration,
                size,
                is_key: sample.is_key,
            },
        );
        open.duration += i64::from(duration);
        open.keyframes += i64::from(sample.is_key);
        open.writer.append(sample.data, last).await?;
        self.last_duration = duration;
        self.last_sample_end = Some(self.wall_time(sample.pts + i64::from(duration)));
        Ok(())
    }

    /// Writes the held sample as the segment's last and indexes the segment.
    async fn close_segment(&mut self) -> Result<(), RecorderError> {
        if let Some(prev) = self.pending.take() {
            if self.open.is_some() {
                self.write(prev, self.last_duration, true).await?;
                self.finish_segment().await?;
            }
        }
        Ok(())
    }

    /// Makes the open segment durable, then indexes it: a row never points at a torn file.
    async fn finish_segment(&mut self) -> Result<(), RecorderError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let written = open.writer.finish().await?;
        let end = open.start + SignedDuration::from_micros(open.duration * 1_000_000 / 90_000);
        let row = NewSegment {
            camera_id: self.camera.id.clone(),
            day: open.day,
            day_key_id: open.day_key_id,
            file_id: written.file_id,
            run_id: self.run_id,
            start: open.start,
            end,
            media_start_90k: open.media_start,
            duration_90k: open.duration,
            sample_count: i64::from(written.samples),
            keyframe_count: open.keyframes,
            plaintext_bytes: written.plaintext_bytes as i64,
            file_bytes: written.file_bytes as i64,
            sha256: written.sha256,
            video_sample_entry_id: open.sample_entry_id,
            sample_index: open.index,
        };
        self.ctx.db.insert_segment(&row).await?;
        let metrics = &self.metrics;
        metrics.segments.fetch_add(1, Ordering::Relaxed);
        metrics
            .bytes_written
            .fetch_add(written.file_bytes, Ordering::Relaxed);
        self.set_state_at(CameraState::Recording, None, Some(end))
            .await;
        Ok(())
    }

    /// N5: a failed session opens a gap from the last sample and raises an alert.
    async fn on_failure(&mut self, error: &RecorderError) {
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

    async fn set_state(&self, state: CameraState, detail: Option<&str>) {
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
