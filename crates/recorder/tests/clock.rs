//! Issue 12: a camera whose clock steps (an NTP correction) or drifts is recorded without
//! loss and without a false gap, and its wall time stays within the policy's tolerance of the
//! server's clock. The cameras are democam mounts over real RTSP: frames paced by real time,
//! RTP timestamps from a camera clock that jumps 30 s back and then 20 s forward, or runs 4 %
//! fast.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mimamori_db::SegmentRow;
use mimamori_democam::{CameraClock, Mount};
use mimamori_policy::CameraId;
use mimamori_recorder::{Recorder, SystemClock};
use support::DemoWard;

const TICKS_PER_S: i64 = 90_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n5_a_camera_clock_that_steps_or_drifts_loses_nothing_and_leaves_no_gap() {
    let dir = tempfile::tempdir().unwrap();
    let stepper = Mount::new("stepper").with_clock(CameraClock {
        drift_ppm: 0,
        // At 3 s (frame 45 at 15 fps) back 30 s; at 7 s forward 20 s.
        steps: [Some((45, -30 * TICKS_PER_S)), Some((105, 20 * TICKS_PER_S))],
    });
    let drifter = Mount::new("drifter").with_clock(CameraClock {
        drift_ppm: 40_000,
        steps: [None, None],
    });
    let DemoWard { democam, db, ctx } = DemoWard::start_with(
        dir.path(),
        vec![stepper, drifter],
        "",
        "segment_seconds = 1\nclock_tolerance_seconds = 0.1",
        Arc::new(SystemClock),
    )
    .await;
    let recorder = Recorder::start(ctx.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(12)).await;
    recorder.stop().await;
    let stopped = Timestamp::now();
    democam.shutdown().await;

    for cam in ["stepper", "drifter"] {
        let id = CameraId::new(cam).unwrap();
        let m = ctx.metrics.camera(&id);
        let received = m.frames.load(Ordering::Relaxed);
        let stored = m.stored.load(Ordering::Relaxed);
        assert!(received > 150, "{cam}: received {received}");
        assert_eq!(
            (stored, m.dropped_total()),
            (received, 0),
            "{cam}: every picture received is stored"
        );
        let far = stopped + SignedDuration::from_hours(1);
        let gaps = db
            .gaps(Some(&id), Timestamp::UNIX_EPOCH, far)
            .await
            .unwrap();
        assert!(gaps.is_empty(), "{cam}: no gap: {gaps:?}");
        let segments = db
            .segments_overlapping(&id, Timestamp::UNIX_EPOCH, far)
            .await
            .unwrap();
        // The stepper's timeline is continuous; the drifter's is re-anchored when it strays
        // past 0.1 s, which is at most 0.1 s plus two seconds' drift (0.08 s) at once.
        let tolerance_us = if cam == "stepper" { 100_000 } else { 250_000 };
        assert_contiguous(cam, &segments, tolerance_us);
        // The recording ends where the server's clock says it did.
        let end = mimamori_db::from_us(segments.last().unwrap().end_us);
        let off = end.duration_since(stopped).as_secs_f64().abs();
        assert!(off < 0.5, "{cam}: last picture ends {off} s from the stop");
    }
    let steps = |cam| {
        let m = ctx.metrics.camera(&CameraId::new(cam).unwrap());
        m.clock_steps.load(Ordering::Relaxed)
    };
    assert_eq!(steps("stepper"), 2, "both steps are taken out");
    assert_eq!(steps("drifter"), 0, "drift is not a step");
    let drifter = ctx.metrics.camera(&CameraId::new("drifter").unwrap());
    let ppm = drifter.clock_drift_ppm.load(Ordering::Relaxed);
    assert!((32_000..48_000).contains(&ppm), "drift reported: {ppm} ppm");
    assert!(drifter.clock_corrections.load(Ordering::Relaxed) >= 2);
}

/// Each segment starts within `tolerance_us` of where the one before ended: no false gap, no
/// overlap larger than the clock tolerance.
fn assert_contiguous(cam: &str, segments: &[SegmentRow], tolerance_us: i64) {
    assert!(segments.len() >= 4, "{cam}: {} segments", segments.len());
    for w in segments.windows(2) {
        let step = w[1].start_us - w[0].end_us;
        assert!(
            step.abs() <= tolerance_us,
            "{cam}: segment {} starts {step} µs after segment {} ends",
            w[1].id,
            w[0].id
        );
    }
}
