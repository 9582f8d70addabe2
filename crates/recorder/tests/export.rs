//! Export is recorded before any footage byte is written, and writes nothing for a bad range.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mimamori_db::Db;
use mimamori_democam::{Clip, DemoCamera, Mount};
use mimamori_policy::{CameraId, Policy};
use mimamori_recorder::export::{export, ExportRequest};
use mimamori_recorder::{Kek, Recorder, RecorderContext, RecorderError, Store, SystemClock};
use sha2::{Digest, Sha256};

const CLIP: &[u8] = include_bytes!("../../../assets/clips/demo-360p15.h264");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_export_is_an_event_before_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let clip = Arc::new(Clip::from_annexb(CLIP, 15).unwrap());
    let democam = DemoCamera::start(
        "127.0.0.1:0".parse().unwrap(),
        clip,
        vec![Mount::new("cam1")],
    )
    .await
    .unwrap();
    let text = format!(
        "[ward]\nname = \"テスト区\"\noperator = \"テスト区役所\"\n[retention]\ndays = 10\n\
         [recording]\nsegment_seconds = 2\n\
         [[camera]]\nid = \"cam1\"\nname = \"駅前\"\nsite = \"1丁目\"\nurl = \"{}\"\n",
        democam.url("cam1")
    );
    let policy = Arc::new(Policy::parse(&text, Path::new("policy.toml")).unwrap());
    let db = Db::open(&dir.path().join("m.db")).await.unwrap();
    let store = Store::new(dir.path().join("segments"));
    let kek = Arc::new(Kek::from_bytes(&[5; 32]));
    let ctx = Arc::new(RecorderContext::new(
        policy,
        db.clone(),
        store,
        kek,
        Arc::new(SystemClock),
    ));
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
