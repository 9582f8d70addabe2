//! In-process counters per camera, exported in Prometheus text format by the office's
//! `/metrics` route.
//!
//! Issue 12: no loss is silent. Every picture received is either stored or dropped with a
//! reason, so `received = stored + dropped (all reasons) + held`, where `held` is at most the
//! stream's reorder depth plus one while a camera records and zero once it stops.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use mimamori_policy::CameraId;

/// Why a received picture is not in the footage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Received before the first keyframe of a connection: nothing to decode it from. These
    /// lie inside the gap the connection closes, which ends at the first stored picture.
    BeforeKeyframe,
    /// An H.265 RASL picture right after the connection's first CRA: it refers to pictures
    /// sent before the connection.
    LeadingWithoutReference,
    /// Received, then lost because the segment could not be written.
    Unwritten,
}

impl DropReason {
    pub const ALL: [DropReason; 3] = [
        DropReason::BeforeKeyframe,
        DropReason::LeadingWithoutReference,
        DropReason::Unwritten,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::BeforeKeyframe => "before_keyframe",
            DropReason::LeadingWithoutReference => "leading_without_reference",
            DropReason::Unwritten => "unwritten",
        }
    }
}

#[derive(Debug, Default)]
pub struct CameraMetrics {
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    pub stored: AtomicU64,
    dropped: [AtomicU64; 3],
    /// RTP packets the camera sent that never arrived (retina's sequence-number count).
    pub packets_lost: AtomicU64,
    pub segments: AtomicU64,
    pub bytes_written: AtomicU64,
    pub reconnects: AtomicU64,
    /// Steps in the camera's clock taken out of the timeline.
    pub clock_steps: AtomicU64,
    /// Times a segment's wall time was re-anchored to the server's clock.
    pub clock_corrections: AtomicU64,
    /// The camera's timeline minus the server's clock at the last segment start, in ms.
    pub clock_offset_ms: AtomicI64,
    /// How fast the camera's clock runs against the server's, in parts per million.
    pub clock_drift_ppm: AtomicI64,
}

impl CameraMetrics {
    pub fn dropped(&self, reason: DropReason) -> &AtomicU64 {
        &self.dropped[reason as usize]
    }

    /// Pictures dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().map(|d| d.load(Ordering::Relaxed)).sum()
    }
}

/// A series' name, help text, type, and where to find its value.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&CameraMetrics) -> i64,
);

/// Counters for every camera of the policy, created up front so the hot path never locks.
#[derive(Debug, Default)]
pub struct Metrics {
    cameras: HashMap<CameraId, Arc<CameraMetrics>>,
}

fn load(v: &AtomicU64) -> i64 {
    v.load(Ordering::Relaxed) as i64
}

impl Metrics {
    pub fn new<'a>(cameras: impl Iterator<Item = &'a CameraId>) -> Self {
        Metrics {
            cameras: cameras.map(|id| (id.clone(), Arc::default())).collect(),
        }
    }

    /// A camera's counters; the hot path keeps the `Arc` instead of looking it up per frame.
    pub fn camera(&self, id: &CameraId) -> Arc<CameraMetrics> {
        self.cameras
            .get(id)
            .expect("metrics exist for every policy camera")
            .clone()
    }

    /// Renders the counters in the Prometheus text exposition format.
    pub fn render(&self, out: &mut String) {
        let mut ids: Vec<_> = self.cameras.keys().collect();
        ids.sort();
        let series: [Series; 12] = [
            (
                "mimamori_frames_received_total",
                "Video frames received from the camera.",
                "counter",
                |m| load(&m.frames),
            ),
            (
                "mimamori_frames_stored_total",
                "Video frames written into segments.",
                "counter",
                |m| load(&m.stored),
            ),
            (
                "mimamori_bytes_received_total",
                "Video bytes received from the camera.",
                "counter",
                |m| load(&m.bytes),
            ),
            (
                "mimamori_rtp_packets_lost_total",
                "RTP packets the camera sent that never arrived.",
                "counter",
                |m| load(&m.packets_lost),
            ),
            (
                "mimamori_segments_written_total",
                "Segments made durable and indexed.",
                "counter",
                |m| load(&m.segments),
            ),
            (
                "mimamori_segment_bytes_written_total",
                "Encrypted bytes of indexed segments.",
                "counter",
                |m| load(&m.bytes_written),
            ),
            (
                "mimamori_reconnects_total",
                "Times the camera's stream was lost.",
                "counter",
                |m| load(&m.reconnects),
            ),
            (
                "mimamori_camera_clock_steps_total",
                "Steps in the camera's clock taken out of the timeline.",
                "counter",
                |m| load(&m.clock_steps),
            ),
            (
                "mimamori_camera_clock_corrections_total",
                "Times segment wall time was re-anchored to the server's clock.",
                "counter",
                |m| load(&m.clock_corrections),
            ),
            (
                "mimamori_camera_clock_offset_milliseconds",
                "Camera timeline minus server clock at the last segment start.",
                "gauge",
                |m| m.clock_offset_ms.load(Ordering::Relaxed),
            ),
            (
                "mimamori_camera_clock_drift_ppm",
                "How fast the camera's clock runs against the server's (parts per million).",
                "gauge",
                |m| m.clock_drift_ppm.load(Ordering::Relaxed),
            ),
            (
                "mimamori_frames_dropped_all_total",
                "Video frames received and not stored, all reasons.",
                "counter",
                |m| m.dropped_total() as i64,
            ),
        ];
        for (name, help, kind, get) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for id in &ids {
                let v = get(&self.cameras[*id]);
                let _ = writeln!(out, "{name}{{camera=\"{id}\"}} {v}");
            }
        }
        let name = "mimamori_frames_dropped_total";
        let _ = writeln!(
            out,
            "# HELP {name} Video frames received and not stored, by reason.\n# TYPE {name} counter"
        );
        for id in &ids {
            for reason in DropReason::ALL {
                let v = load(self.cameras[*id].dropped(reason));
                let r = reason.as_str();
                let _ = writeln!(out, "{name}{{camera=\"{id}\",reason=\"{r}\"}} {v}");
            }
        }
    }
}
