//! The demo camera against retina, the RTSP client library the recorder
//! uses: describe/setup/play over TCP, demuxed H.264 frames with correct
//! parameters, IDR first, 90 kHz timestamps 6000 apart, and Digest auth.

mod common;

use std::time::Duration;

use common::start;
use futures::StreamExt as _;
use mimamori_democam::Mount;
use retina::client::{Credentials, PlayOptions, Session, SessionOptions, SetupOptions};
use retina::codec::{CodecItem, ParametersRef};
use tokio::time::timeout;

/// Plays `frames` frames through retina; returns (timestamps, random access flags).
async fn play(
    url: &str,
    creds: Option<Credentials>,
    frames: usize,
) -> Result<(Vec<i64>, Vec<bool>, (u32, u32)), retina::Error> {
    let url = url::Url::parse(url).expect("url");
    let mut session = Session::describe(url, SessionOptions::default().creds(creds)).await?;
    let dims = match session.streams()[0].parameters() {
        Some(ParametersRef::Video(v)) => v.pixel_dimensions(),
        other => panic!("no video parameters after DESCRIBE: {other:?}"),
    };
    assert_eq!(session.streams()[0].encoding_name(), "h264");
    session.setup(0, SetupOptions::default()).await?;
    let mut demuxed = Box::pin(session.play(PlayOptions::default()).await?.demuxed()?);
    let (mut ts, mut rap) = (Vec::new(), Vec::new());
    while ts.len() < frames {
        let item = timeout(Duration::from_secs(5), demuxed.next())
            .await
            .expect("frame in time")
            .expect("stream continues")?;
        if let CodecItem::VideoFrame(f) = item {
            assert_eq!(f.loss(), 0);
            assert!(!f.data().is_empty());
            ts.push(f.timestamp().elapsed());
            rap.push(f.is_random_access_point());
        }
    }
    Ok((ts, rap, dims))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retina_receives_paced_frames() {
    let cam = start(vec![Mount::new("cam1")]).await;
    let (ts, rap, dims) = play(&cam.url("cam1"), None, 32)
        .await
        .expect("retina plays");
    assert_eq!(dims, (640, 360));
    assert!(rap[0], "first frame is an IDR");
    assert!(rap[30], "GOP of 30");
    assert_eq!(rap.iter().filter(|r| **r).count(), 2);
    for (k, t) in ts.iter().enumerate() {
        assert_eq!(*t, 6000 * k as i64, "frame {k}");
    }
    cam.shutdown().await;
}

/// A fast-forwarded mount sends ten seconds of footage, stamped 6000 ticks apart as in real
/// time, in a small part of ten seconds: what the retrieval benchmark records an hour from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_forwarded_mount_sends_real_time_stamps_faster() {
    let cam = start(vec![Mount::new("cam1").fast_forward(20)]).await;
    let began = std::time::Instant::now();
    let (ts, rap, _) = play(&cam.url("cam1"), None, 150)
        .await
        .expect("retina plays");
    let took = began.elapsed();
    for (k, t) in ts.iter().enumerate() {
        assert_eq!(*t, 6000 * k as i64, "frame {k}");
    }
    assert!(rap[0] && rap[30] && rap[120]);
    // 150 frames at 15 fps are 10 s of footage; at 20 times they take about 0.5 s.
    assert!(took < Duration::from_secs(4), "{took:?}");
    cam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retina_digest_auth() {
    let cam = start(vec![Mount::new("cam1").with_credentials("admin", "s3cret")]).await;
    let creds = |p: &str| {
        Some(Credentials {
            username: "admin".into(),
            password: p.into(),
        })
    };
    let (ts, _, _) = play(&cam.url("cam1"), creds("s3cret"), 3)
        .await
        .expect("right password");
    assert_eq!(ts.len(), 3);
    let err = play(&cam.url("cam1"), creds("wrong"), 3)
        .await
        .expect_err("wrong password refused");
    assert!(err.to_string().contains("401"), "{err}");
    let err = play(&cam.url("cam1"), None, 3)
        .await
        .expect_err("no credentials refused");
    assert!(err.to_string().contains("401"), "{err}");
    cam.shutdown().await;
}
