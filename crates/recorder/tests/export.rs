//! Export is recorded before any footage byte is written, and writes nothing for a bad range.
//! Its scope is a spent retrieval grant (N9.4), so the test spends grants the way the office
//! does: order, instruction, grant, use.

mod support;

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mimamori_db::testutil::spend_clip;
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

    let out = dir.path().join("clip.mp4");
    let grant = spend_clip(
        &db,
        "g1",
        "cam1",
        (
            started + SignedDuration::from_secs(1),
            started + SignedDuration::from_secs(5),
        ),
        "handler-1",
    )
    .await;
    let request = ExportRequest {
        grant,
        actor: "handler-1".into(),
        reason: "N9: test retrieval".into(),
        output: out.clone(),
    };
    let file = std::fs::File::create(&out).unwrap();
    let (_, summary) = export(&ctx, request, file).await.unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(summary.clip.bytes, bytes.len() as u64);
    assert_eq!(summary.clip.sha256, hex::encode(Sha256::digest(&bytes)));

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
    assert!(events[finished_at].detail.contains(&summary.clip.sha256));

    // A range with no footage is refused before a byte is written.
    let empty = ExportRequest {
        grant: spend_clip(
            &db,
            "g2",
            "cam1",
            (
                started - SignedDuration::from_hours(48),
                started - SignedDuration::from_hours(47),
            ),
            "handler-1",
        )
        .await,
        actor: "handler-1".into(),
        reason: "N9: test retrieval".into(),
        output: dir.path().join("none.mp4"),
    };
    let none = empty.output.clone();
    let file = std::fs::File::create(&none).unwrap();
    assert!(matches!(
        export(&ctx, empty, file).await,
        Err(RecorderError::NoFootage)
    ));
    assert_eq!(std::fs::metadata(&none).unwrap().len(), 0);
}
