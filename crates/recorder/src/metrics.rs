//! In-process counters per camera, exported in Prometheus text format by the office's
//! `/metrics` route.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mimamori_policy::CameraId;

#[derive(Debug, Default)]
pub struct CameraMetrics {
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    pub segments: AtomicU64,
    pub bytes_written: AtomicU64,
    pub reconnects: AtomicU64,
}

/// A counter's name, help text, and where to find it.
type Series = (&'static str, &'static str, fn(&CameraMetrics) -> &AtomicU64);

/// Counters for every camera of the policy, created up front so the hot path never locks.
#[derive(Debug, Default)]
pub struct Metrics {
    cameras: HashMap<CameraId, Arc<CameraMetrics>>,
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
        let series: [Series; 5] = [
            (
                "mimamori_frames_received_total",
                "Video frames received from the camera.",
                |m| &m.frames,
            ),
            (
                "mimamori_bytes_received_total",
                "Video bytes received from the camera.",
                |m| &m.bytes,
            ),
            (
                "mimamori_segments_written_total",
                "Segments made durable and indexed.",
                |m| &m.segments,
            ),
            (
                "mimamori_segment_bytes_written_total",
                "Encrypted bytes of indexed segments.",
                |m| &m.bytes_written,
            ),
            (
                "mimamori_reconnects_total",
                "Times the camera's stream was lost.",
                |m| &m.reconnects,
            ),
        ];
        for (name, help, get) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for id in &ids {
                let v = get(&self.cameras[*id]).load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}{{camera=\"{id}\"}} {v}");
            }
        }
    }
}
