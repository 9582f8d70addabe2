//! Export is recorded before any footage byte is written, and writes nothing for a bad range.

mod support;

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mimamori_policy::CameraId;
use mimamori_recorder::export::{export, ExportRequest};
use mimamori_recorder::{Recorder, RecorderError, SystemClock};
use sha2::{Digest, Sha256};
use support::DemoWard;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_export_is_an_event_before_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let DemoWard { democam, db, ctx } =
        DemoWard::start(dir.path(), "", "segment_seconds = 2", Arc::new(SystemClock)).await;
    let started = Timestamp::now();
    let recorder = Recorder::start(ctx.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(7)).await;
    recorder.stop().await;
    democam.shutdown().await;

    let camera = CameraId::new("cam1").unwrap();
    let out = dir.path().join("clip.mp4");
    let request = ExportRequest {
        camera: camera.clone(),
        start: started + SignedDuration::from_secs(1),
        end: started + SignedDuration::from_secs(5),
        actor: "handler-1".into(),
        reason: "N9: test retrieval".into(),
        output: out.clone(),
    };
    let summary = export(&ctx, &request).await.unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    assert_eq!(summary.sha256, hex::encode(Sha256::digest(&bytes)));

    let events = db.events(None).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let started_at = kinds
        .iter()
        .position(|k| *k == "export_started")
        .expect("export_started event");
    let finished_at = kinds
        .iter()
        .position(|k| *k == "export_finished")
        .expect("export_finished event");
    assert!(started_at < finished_at);
    let first = &events[started_at];
    assert_eq!(first.actor, "handler-1");
    assert!(
        first.detail.contains("N9: test retrieval"),
        "{}",
        first.detail
    );
    assert!(events[finished_at].detail.contains(&summary.sha256));

    // A range with no footage is refused and leaves no file behind.
    let empty = ExportRequest {
        start: started - SignedDuration::from_hours(48),
        end: started - SignedDuration::from_hours(47),
        output: dir.path().join("none.mp4"),
        ..request.clone()
    };
    assert!(matches!(
        export(&ctx, &empty).await,
        Err(RecorderError::NoFootage)
    ));
    assert!(!empty.output.exists());
    // So is an inverted range.
    let inverted = ExportRequest {
        start: request.end,
        end: request.start,
        ..request
    };
    assert!(matches!(
        export(&ctx, &inverted).await,
        Err(RecorderError::Export(_))
    ));
}
