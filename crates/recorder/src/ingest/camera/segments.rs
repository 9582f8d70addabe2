//! The segment being written: opened at a random access point, appended sample by sample,
//! made durable and then indexed (a row never points at a torn file), and its progress
//! written for health every few seconds.

use std::sync::atomic::Ordering;
use std::time::Instant;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use mimamori_db::{CameraState, NewSegment};
use mimamori_media::pictures::PictureKind;
use mimamori_media::sample_index::{self, Sample};
use mimamori_media::timeline::Timed;
use mimamori_policy::day_of;
use rand::RngCore;

use super::{CameraRecorder, Picture, PROGRESS_EVERY};
use crate::segment_file::{SegmentFileWriter, SegmentHeader};
use crate::RecorderError;

/// The segment being written.
pub(super) struct OpenSegment {
    pub(super) writer: SegmentFileWriter,
    pub(super) day: Date,
    pub(super) day_key_id: i64,
    pub(super) start: Timestamp,
    pub(super) media_start: i64,
    pub(super) duration: i64,
    pub(super) keyframes: i64,
    pub(super) index: Vec<u8>,
    pub(super) sample_entry_id: i64,
    /// Whether the "no keyframes" alert was raised for this segment.
    pub(super) keyframe_alert: bool,
}

impl CameraRecorder {
    /// Starts a segment at a random access point. Its wall time follows the camera's
    /// timeline while that stays within the policy's clock tolerance of the server's clock
    /// (taken when the picture arrived); past it, the timeline is re-anchored (a correction).
    pub(super) async fn open_segment(
        &mut self,
        first: &Timed<Picture>,
    ) -> Result<(), RecorderError> {
        let now = self.ctx.clock.now();
        let arrived = first.item.arrived;
        let offset = self
            .wall_time(first.presentation_90k)
            .duration_since(arrived);
        self.metrics
            .clock_offset_ms
            .store(offset.as_millis() as i64, Ordering::Relaxed);
        if let Some((wall0, media0)) = self.first_anchor {
            let wall = arrived.duration_since(wall0).as_micros();
            let media = (first.presentation_90k - media0) * 100 / 9;
            // Over five seconds at least, so arrival jitter (a few ms) stays under 0.1 %.
            if wall > 5_000_000 {
                let ppm = (i128::from(media) - wall) * 1_000_000 / wall;
                self.metrics
                    .clock_drift_ppm
                    .store(ppm as i64, Ordering::Relaxed);
            }
        }
        let tolerance = self.ctx.policy.recording.clock_tolerance;
        if offset.unsigned_abs() > tolerance {
            self.metrics
                .clock_corrections
                .fetch_add(1, Ordering::Relaxed);
            self.anchor = (arrived, first.presentation_90k);
        }
        let start = self.wall_time(first.presentation_90k);
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
            media_start: first.decode_90k,
            duration: 0,
            keyframes: 0,
            index: Vec::with_capacity(4096),
            sample_entry_id: first.item.sample_entry_id,
            keyframe_alert: false,
        });
        self.progress(now).await;
        Ok(())
    }

    pub(super) async fn write(
        &mut self,
        sample: Timed<Picture>,
        duration: u32,
        last: bool,
    ) -> Result<(), RecorderError> {
        let end = self.wall_time(sample.presentation_90k + i64::from(duration));
        let offset = sample.composition_offset_90k();
        let open = self
            .open
            .as_mut()
            .expect("a pending sample has an open segment");
        let is_key = sample.item.kind == PictureKind::RandomAccess;
        sample_index::push(
            &mut open.index,
            Sample {
                duration_90k: duration,
                size: sample.item.data.len() as u32,
                is_key,
                composition_offset_90k: offset,
                needs_previous_gop: sample.item.kind == PictureKind::SkippedAtStart,
            },
        );
        open.duration += i64::from(duration);
        open.keyframes += i64::from(is_key);
        open.writer.append(sample.item.data, last).await?;
        self.metrics.stored.fetch_add(1, Ordering::Relaxed);
        if let Some(run) = self.run.as_mut() {
            run.stored += 1;
        }
        self.last_duration = duration;
        self.last_sample_end = Some(end);
        if !last
            && self
                .progress_at
                .is_none_or(|t| t.elapsed() >= PROGRESS_EVERY)
        {
            self.progress(self.ctx.clock.now()).await;
        }
        Ok(())
    }

    /// Writes the open segment's start and last sample for health.
    async fn progress(&mut self, now: Timestamp) {
        self.progress_at = Some(Instant::now());
        let open = self.open.as_ref().map(|o| o.start);
        let db = &self.ctx.db;
        let id = &self.camera.id;
        if let Err(e) = db
            .set_recording_progress(id, open, self.last_sample_end, now)
            .await
        {
            tracing::error!(camera = %id, error = %e, "could not store recording progress");
        }
    }

    /// Writes the held sample as the segment's last and indexes the segment.
    pub(super) async fn close_segment(&mut self) -> Result<(), RecorderError> {
        if let Some(prev) = self.pending.take() {
            if self.open.is_some() {
                self.write(prev, self.last_duration, true).await?;
                self.finish_segment().await?;
            }
        }
        Ok(())
    }

    /// Makes the open segment durable, then indexes it: a row never points at a torn file.
    pub(super) async fn finish_segment(&mut self) -> Result<(), RecorderError> {
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
            // The all-in-one recorder holds no lease (issue 15: recorder nodes will).
            lease_epoch: None,
        };
        self.ctx.db.insert_segment(&row).await?;
        let metrics = &self.metrics;
        metrics.segments.fetch_add(1, Ordering::Relaxed);
        metrics
            .bytes_written
            .fetch_add(written.file_bytes, Ordering::Relaxed);
        self.set_state_at(CameraState::Recording, None, Some(end))
            .await;
        self.progress(self.ctx.clock.now()).await;
        Ok(())
    }
}
