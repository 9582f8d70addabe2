//! Export: a camera and a time range in, one standard fast-start MP4 out.
//!
//! This is the only code that reads footage back out of the store for someone to take away.
//! It takes a [`ClipGrant`], one camera's part of a grant that only the database's grant-use
//! transaction makes (N9.4): no code path can compile an export without a retrieval grant spent
//! in the ledger first, and the grant fixes the camera and the range. Every export is recorded as an event before the first
//! byte is written (who, when, what range, why) and again when it finishes (file hash).
//!
//! The clip starts at the keyframe at or before the range start and ends with the last sample
//! that starts before the range end. A gap inside the range is kept in the timeline: the last
//! sample before it lasts until recording resumed, so durations stay true to wall time.

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use mimamori_db::vocabulary::{ExportDone, ExportFailed, ExportFinished, ExportStarted};
use mimamori_db::{to_us, ClipGrant, Event, EventBody, SegmentRow};
use mimamori_media::mp4::{Mp4Plan, VideoTrack};
use mimamori_media::sample_index::{self, Sample};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::keys::DayKey;
use crate::segment_file::{SegmentFileReader, TAG_BYTES};
use crate::store::Store;
use crate::{RecorderContext, RecorderError};

/// What to export, for whom, and why. The grant is the scope: one camera of its instruction
/// and that camera's range, nothing else.
#[derive(Debug)]
pub struct ExportRequest {
    pub grant: ClipGrant,
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
    /// Index of the first sample read.
    first: usize,
    /// Wall time the first sample taken is shown.
    start: Timestamp,
    /// Sealed bytes in the file before the first sample read.
    body_offset: u64,
    /// The samples read, in decode order, and whether each goes into the clip.
    samples: Vec<(Sample, bool)>,
}

impl Slice {
    fn taken(&self) -> impl Iterator<Item = Sample> + '_ {
        self.samples
            .iter()
            .filter(|(_, keep)| *keep)
            .map(|(s, _)| *s)
    }
}

/// Exports `req` as an MP4 written to `sink`, flushed at the end, and gives the sink back. The
/// office's sink is a package's zip entry, streamed to the terminal, so no plaintext footage
/// is ever on its disk (T5.2). `req.output` names where the clip goes, for the ledger. The MP4
/// is fast-start, header first and then the samples in order, so the sink never seeks. A
/// range without footage is refused before anything is written.
pub async fn export<W: Write + Send + 'static>(
    ctx: &RecorderContext,
    req: ExportRequest,
    sink: W,
) -> Result<(W, ExportSummary), RecorderError> {
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
    let samples: Vec<Sample> = slices.iter().flat_map(Slice::taken).collect();
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
    let written = tokio::task::spawn_blocking(move || {
        write_mp4(&store, &output, sink, &header, &slices, keys)
    })
    .await
    .map_err(|e| RecorderError::Export(format!("export task failed: {e}")))?;
    let (sink, bytes, sha256) = match written {
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
    let summary = ExportSummary {
        clip,
        finished_event,
    };
    Ok((sink, summary))
}

/// Chooses the samples of each segment: from the random access point at or before `start` to
/// the last sample (in decode order) shown before `end`, stretching the last sample before each
/// gap over the gap.
///
/// With B-frames a sample's presentation time is its decode time plus its composition offset,
/// so the times go back and forth inside a GOP: the last sample taken is the last one in decode
/// order that is shown before `end` (everything decoded before it comes along, which can add a
/// reference picture shown just after `end`). A clip that starts at an H.265 CRA leaves out the
/// RASL pictures after it (they refer to the GOP before, which the clip does not have); their
/// decode durations go to the CRA, so every later picture keeps its time.
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
        let Some(base) = all.first().map(|s| i64::from(s.composition_offset_90k)) else {
            continue;
        };
        // Accumulate in 90 kHz units: converting each duration to µs would drift.
        let mut decode_90k = 0i64;
        let mut body_offset = 0u64;
        // (index, shown at µs, sealed bytes before it) of the sample the clip starts at.
        let mut first = None;
        let mut last = None;
        let mut shown_us = Vec::with_capacity(all.len());
        for (i, s) in all.iter().enumerate() {
            let shown_90k = decode_90k + i64::from(s.composition_offset_90k) - base;
            let t = segment.start_us + shown_90k * 1_000_000 / 90_000;
            shown_us.push(t);
            if s.is_key && t < end_us && (t <= start_us || first.is_none()) {
                first = Some((i, t, body_offset));
            }
            if t < end_us {
                last = Some(i);
            }
            decode_90k += i64::from(s.duration_90k);
            body_offset += u64::from(s.size) + TAG_BYTES;
        }
        // A reference picture taken because a B-frame before `end` needed it is shown after
        // the B-frames decoded after it: take those too, so the clip has no hole.
        if let Some(l) = last.as_mut() {
            let from = first.map_or(0, |f| f.0).min(*l);
            let latest = shown_us[from..=*l]
                .iter()
                .copied()
                .max()
                .unwrap_or(i64::MIN);
            while shown_us.get(*l + 1).is_some_and(|t| *t < latest) {
                *l += 1;
            }
        }
        // A later segment continues the clip from its start; only the first may skip in.
        let continuing = !slices.is_empty();
        let first = if continuing {
            Some((0, segment.start_us, 0))
        } else {
            first
        };
        let (Some((first, first_us, body_offset)), Some(last)) = (first, last) else {
            continue;
        };
        if last < first {
            continue;
        }
        if let Some(prev) = slices.last_mut() {
            let gap_90k = (segment.start_us - prev.segment.end_us) * 90_000 / 1_000_000;
            if gap_90k > 0 {
                let tail = prev
                    .samples
                    .iter_mut()
                    .rev()
                    .find(|(_, keep)| *keep)
                    .expect("slices take at least their first sample");
                tail.0.duration_90k = tail
                    .0
                    .duration_90k
                    .saturating_add(gap_90k.min(u32::MAX as i64) as u32);
            }
        }
        let mut samples: Vec<(Sample, bool)> =
            all[first..=last].iter().map(|s| (*s, true)).collect();
        if !continuing {
            leave_out_leading_pictures(&mut samples);
        }
        slices.push(Slice {
            samples,
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

/// Marks the RASL pictures right after a clip's first picture as left out, moving their decode
/// durations to that picture.
fn leave_out_leading_pictures(samples: &mut [(Sample, bool)]) {
    let mut extra = 0u32;
    for (s, keep) in samples.iter_mut().skip(1) {
        if !s.needs_previous_gop {
            break;
        }
        *keep = false;
        extra = extra.saturating_add(s.duration_90k);
    }
    if let Some((first, _)) = samples.first_mut() {
        first.duration_90k = first.duration_90k.saturating_add(extra);
    }
}

/// Writes the header and the decrypted samples to `out`, hashing them; flushes it.
fn write_mp4<W: Write>(
    store: &Store,
    output: &Path,
    mut out: W,
    header: &[u8],
    slices: &[Slice],
    keys: Vec<DayKey>,
) -> Result<(W, u64, [u8; 32]), RecorderError> {
    let io = |e| RecorderError::Io(output.to_owned(), e);
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut put = |data: &[u8], out: &mut W| {
        hasher.update(data);
        bytes += data.len() as u64;
        out.write_all(data)
    };
    put(header, &mut out).map_err(io)?;
    for (slice, key) in slices.iter().zip(keys) {
        let seg = &slice.segment;
        let count = seg.sample_count as u32;
        let mut reader =
            SegmentFileReader::open(&store.path_of(seg), Store::header_of(seg), key, count)?;
        reader.seek(slice.first as u32, slice.body_offset)?;
        for (s, keep) in &slice.samples {
            let data = reader.next_sample(s.size)?;
            if *keep {
                put(&data, &mut out).map_err(io)?;
            }
        }
    }
    // Not synced: a clip is part of an evidence package the office sends at once and keeps
    // no copy of (T5.2); the one who receives it syncs their own.
    out.flush().map_err(io)?;
    Ok((out, bytes, hasher.finalize().into()))
}

#[cfg(test)]
#[path = "export/tests.rs"]
mod tests;
