//! Export: a camera and a time range in, one standard fast-start MP4 out.
//!
//! This is the only code that reads footage back out of the store for someone to take away.
//! It takes a [`SpentGrant`], which only the database's grant-use transaction makes (N9.4): no
//! code path can compile an export without a retrieval grant spent in the ledger first, and the
//! grant fixes the camera and the range. Every export is recorded as an event before the first
//! byte is written (who, when, what range, why) and again when it finishes (file hash).
//!
//! The clip starts at the keyframe at or before the range start and ends with the last sample
//! that starts before the range end. A gap inside the range is kept in the timeline: the last
//! sample before it lasts until recording resumed, so durations stay true to wall time.

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use mimamori_db::vocabulary::{ExportDone, ExportFailed, ExportFinished, ExportStarted};
use mimamori_db::{to_us, Event, EventBody, SegmentRow, SpentGrant};
use mimamori_media::mp4::{Mp4Plan, VideoTrack};
use mimamori_media::sample_index::{self, Sample};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::keys::DayKey;
use crate::segment_file::{SegmentFileReader, TAG_BYTES};
use crate::store::Store;
use crate::{RecorderContext, RecorderError};

/// What to export, for whom, and why. The grant is the scope: its instruction's camera and
/// range, nothing else.
#[derive(Debug)]
pub struct ExportRequest {
    pub grant: SpentGrant,
    /// Who retrieves: the handler (or delegated staff) who spent the grant.
    pub actor: String,
    /// Why: the request's purpose.
    pub reason: String,
    pub output: PathBuf,
}

/// What an export produced: the clip as the `export_finished` event records it, and that
/// event's id.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    #[serde(flatten)]
    pub clip: ExportDone,
    /// The `export_finished` event recording `clip`.
    #[serde(skip)]
    pub finished_event: i64,
}

/// The samples to take from one segment.
struct Slice {
    segment: SegmentRow,
    /// Index of the first sample taken.
    first: usize,
    /// Wall time the first sample taken starts.
    start: Timestamp,
    /// Sealed bytes in the file before the first sample taken.
    body_offset: u64,
    samples: Vec<Sample>,
}

/// Exports `req` to an MP4 file. The output appears only when complete.
pub async fn export(
    ctx: &RecorderContext,
    req: ExportRequest,
) -> Result<ExportSummary, RecorderError> {
    let (camera, start, end) = (req.grant.camera(), req.grant.start(), req.grant.end());
    if end <= start {
        return Err(RecorderError::Export(
            "the range must end after it starts".into(),
        ));
    }
    let segments = ctx.db.segments_overlapping(camera, start, end).await?;
    let slices = plan_slices(segments, start, end)?;
    let entry_id = slices[0].segment.video_sample_entry_id;
    if slices
        .iter()
        .any(|s| s.segment.video_sample_entry_id != entry_id)
    {
        return Err(RecorderError::Export(
            "the camera's stream parameters changed inside the range; export it in two parts"
                .into(),
        ));
    }
    let entry = ctx
        .db
        .sample_entry(entry_id)
        .await?
        .ok_or_else(|| RecorderError::Export("sample entry missing".into()))?;
    let samples: Vec<Sample> = slices
        .iter()
        .flat_map(|s| s.samples.iter().copied())
        .collect();
    let first_start = slices[0].start;
    let track = VideoTrack {
        sample_entry: &entry.data,
        width: entry.width as u32,
        height: entry.height as u32,
        timescale: 90_000,
        creation_unix_seconds: first_start.as_second().max(0) as u64,
    };
    let plan = Mp4Plan::new(&track, &samples).map_err(|e| RecorderError::Export(e.to_string()))?;
    let segment_ids: Vec<i64> = slices.iter().map(|s| s.segment.id).collect();

    // The record comes first: no footage byte is written unless the event says who and why.
    let started = EventBody::ExportStarted(ExportStarted {
        camera: camera.as_str().to_owned(),
        range_start_us: to_us(start),
        range_end_us: to_us(end),
        reason: req.reason.clone(),
        output: req.output.clone(),
        segments: segment_ids.clone(),
    });
    let started_event = ctx
        .db
        .append_event(&Event::by(&req.actor, started).at(ctx.clock.now()))
        .await?;
    let segment_sha256 = slices
        .iter()
        .map(|s| hex::encode(&s.segment.sha256))
        .collect();

    let mut keys = Vec::new();
    for s in &slices {
        keys.push(ctx.kek.day_key_by_id(&ctx.db, s.segment.day_key_id).await?);
    }
    let header = plan.header().to_vec();
    let output = req.output.clone();
    let store = ctx.store.clone();
    let written =
        tokio::task::spawn_blocking(move || write_mp4(&store, &output, &header, &slices, keys))
            .await
            .map_err(|e| RecorderError::Export(format!("export task failed: {e}")))?;
    let (bytes, sha256) = match written {
        Ok(w) => w,
        Err(e) => {
            let failed = ExportFinished::Failed(ExportFailed {
                camera: camera.as_str().to_owned(),
                error: e.to_string(),
            });
            let event = Event::by(&req.actor, EventBody::ExportFinished(failed));
            ctx.db.append_event(&event.at(ctx.clock.now())).await?;
            return Err(e);
        }
    };
    let clip = ExportDone {
        file: req.output.clone(),
        bytes,
        sha256: hex::encode(sha256),
        samples: samples.len() as u64,
        start: first_start,
        duration_ms: plan.duration() / 90,
        segments: segment_ids,
        segment_sha256,
        started_event,
    };
    let done = Event::by(
        &req.actor,
        EventBody::ExportFinished(ExportFinished::Done(clip.clone())),
    );
    let finished_event = ctx.db.append_event(&done.at(ctx.clock.now())).await?;
    Ok(ExportSummary {
        clip,
        finished_event,
    })
}

/// Chooses the samples of each segment: from the keyframe at or before `start` to the last
/// sample starting before `end`, stretching the last sample before each gap over the gap.
fn plan_slices(
    segments: Vec<SegmentRow>,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<Slice>, RecorderError> {
    let (start_us, end_us) = (to_us(start), to_us(end));
    let mut slices: Vec<Slice> = Vec::new();
    for segment in segments {
        let all = sample_index::decode(&segment.sample_index)
            .map_err(|e| RecorderError::Export(e.to_string()))?;
        // Accumulate in 90 kHz units: converting each duration to µs would drift.
        let mut elapsed_90k = 0i64;
        let mut body_offset = 0u64;
        // (index, start µs, sealed bytes before it) of the sample the clip starts at.
        let mut first = None;
        let mut last = 0;
        for (i, s) in all.iter().enumerate() {
            let t = segment.start_us + elapsed_90k * 1_000_000 / 90_000;
            if t >= end_us {
                break;
            }
            if s.is_key && (t <= start_us || first.is_none()) {
                first = Some((i, t, body_offset));
            }
            last = i;
            elapsed_90k += i64::from(s.duration_90k);
            body_offset += u64::from(s.size) + TAG_BYTES;
        }
        // A later segment continues the clip from its start; only the first may skip in.
        let first = if slices.is_empty() {
            first
        } else {
            Some((0, segment.start_us, 0))
        };
        let Some((first, first_us, body_offset)) = first else {
            continue;
        };
        if let Some(prev) = slices.last_mut() {
            let gap_90k = (segment.start_us - prev.segment.end_us) * 90_000 / 1_000_000;
            if gap_90k > 0 {
                let tail = prev.samples.last_mut().expect("slices are never empty");
                tail.duration_90k = tail
                    .duration_90k
                    .saturating_add(gap_90k.min(u32::MAX as i64) as u32);
            }
        }
        slices.push(Slice {
            samples: all[first..=last].to_vec(),
            first,
            start: mimamori_db::from_us(first_us),
            body_offset,
            segment,
        });
    }
    if slices.is_empty() {
        return Err(RecorderError::NoFootage);
    }
    Ok(slices)
}

/// Writes header and decrypted samples to a temporary file, then renames it into place.
fn write_mp4(
    store: &Store,
    output: &Path,
    header: &[u8],
    slices: &[Slice],
    keys: Vec<DayKey>,
) -> Result<(u64, [u8; 32]), RecorderError> {
    let tmp = output.with_extension("mp4.partial");
    let io = |e| RecorderError::Io(output.to_owned(), e);
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut put = |data: &[u8], out: &mut std::io::BufWriter<std::fs::File>| {
        hasher.update(data);
        bytes += data.len() as u64;
        out.write_all(data)
    };
    let result = (|| {
        put(header, &mut out).map_err(io)?;
        for (slice, key) in slices.iter().zip(keys) {
            let seg = &slice.segment;
            let count = seg.sample_count as u32;
            let mut reader =
                SegmentFileReader::open(&store.path_of(seg), Store::header_of(seg), key, count)?;
            reader.seek(slice.first as u32, slice.body_offset)?;
            for s in &slice.samples {
                let data = reader.next_sample(s.size)?;
                put(&data, &mut out).map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
        out.get_ref().sync_all().map_err(io)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, output).map_err(io)?;
    Ok((bytes, hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment of `n` samples at 15 fps with a keyframe every 30, starting `start_s` seconds
    /// after the epoch.
    fn segment(id: i64, start_s: i64, n: usize) -> SegmentRow {
        let samples: Vec<Sample> = (0..n)
            .map(|i| Sample {
                duration_90k: 6000,
                size: 100,
                is_key: i % 30 == 0,
            })
            .collect();
        let start_us = start_s * 1_000_000;
        SegmentRow {
            id,
            camera_id: mimamori_policy::CameraId::new("cam1").unwrap(),
            day: "2026-11-01".into(),
            day_key_id: 1,
            file_id: vec![0; 16],
            run_id: 1,
            start_us,
            end_us: start_us + n as i64 * 1_000_000 / 15,
            media_start_90k: 0,
            duration_90k: n as i64 * 6000,
            sample_count: n as i64,
            keyframe_count: n.div_ceil(30) as i64,
            plaintext_bytes: 100 * n as i64,
            file_bytes: 116 * n as i64,
            sha256: vec![0; 32],
            video_sample_entry_id: 1,
            sample_index: sample_index::encode(&samples),
        }
    }

    fn at(s: f64) -> Timestamp {
        Timestamp::from_microsecond((s * 1e6) as i64).unwrap()
    }

    #[test]
    fn starts_at_the_keyframe_at_or_before_the_range() {
        // 60 samples = 4 s; keyframes at 0 s and 2 s. A range from 2.5 s starts at 2 s.
        let slices = plan_slices(vec![segment(1, 0, 60)], at(2.5), at(3.0)).unwrap();
        assert_eq!(slices[0].first, 30);
        assert_eq!(slices[0].start, at(2.0));
        assert_eq!(slices[0].body_offset, 30 * (100 + TAG_BYTES));
        // Samples starting before 3.0 s: 2.0 .. 2.933 s, i.e. 15 of them.
        assert_eq!(slices[0].samples.len(), 15);
        assert!(slices[0].samples[0].is_key);
    }

    #[test]
    fn spans_segments_and_keeps_gaps_in_the_timeline() {
        // Two 4 s segments with a 3 s gap between them.
        let segments = vec![segment(1, 0, 60), segment(2, 7, 60)];
        let slices = plan_slices(segments, at(1.0), at(9.0)).unwrap();
        assert_eq!(slices.len(), 2);
        assert_eq!(slices[0].first, 0);
        assert_eq!(slices[1].first, 0);
        let tail = slices[0].samples.last().unwrap();
        assert_eq!(
            tail.duration_90k,
            6000 + 3 * 90_000,
            "the last sample before the gap lasts through it"
        );
        let total: u64 = slices
            .iter()
            .flat_map(|s| &s.samples)
            .map(|s| u64::from(s.duration_90k))
            .sum();
        // From 0 s (keyframe before 1 s) to the last sample starting before 9 s (8.933 s + 1/15).
        assert_eq!(total, 9 * 90_000);
    }

    #[test]
    fn nothing_recorded_is_no_footage() {
        assert!(matches!(
            plan_slices(vec![], at(0.0), at(1.0)),
            Err(RecorderError::NoFootage)
        ));
    }
}
