//! Issue 12: every picture real cameras send is stored, whatever the stream's shape.
//!
//! GStreamer's RTSP server serves each shape of the zoo (`mimamori_peers::zoo`: B-frames,
//! several slices per picture, open-GOP H.265, parameter sets in the SDP only, an RTP
//! timestamp that wraps) from a file ffmpeg encoded, with the encoder's own timestamps. The
//! recorder records them all at once over real RTSP. For each: pictures sent = pictures
//! received = pictures stored, none dropped; an inner range exports to an MP4 that ffmpeg
//! decodes with `-xerror` and no message, holding exactly the pictures shown in the range
//! (from the keyframe before it), evenly spaced (composition offsets and edit list right),
//! and lasting as long as its pictures.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mimamori_db::testutil::spend_clip;
use mimamori_db::Db;
use mimamori_peers::zoo::{self, Codec, Encoded};
use mimamori_peers::{
    assert_decodes_cleanly, probe_codec, probe_frame_times, probe_frames_and_duration, GstCameras,
};
use mimamori_policy::{CameraId, Policy};
use mimamori_recorder::export::{export, ExportRequest};
use mimamori_recorder::{Kek, Recorder, RecorderContext, Store, SystemClock};

fn policy(streams: &[Encoded], cams: &GstCameras) -> Policy {
    let mut text = String::from(
        "[ward]\nname = \"テスト区\"\noperator = \"テスト区役所\"\n\
         [retention]\ndays = 10\n[recording]\nsegment_seconds = 2\n",
    );
    for s in streams {
        let name = s.shape.name;
        text.push_str(&format!(
            "[[camera]]\nid = \"{name}\"\nname = \"{name}\"\nsite = \"試験\"\nurl = \"{}\"\n\
             without_credentials = \"試験用の配信\"\n",
            cams.url(name)
        ));
    }
    Policy::parse(&text, Path::new("policy.toml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n5_every_picture_of_every_stream_shape_is_stored_and_exports_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let streams: Vec<Encoded> = zoo::shapes()
        .iter()
        .map(|s| zoo::encode(s, dir.path()))
        .collect();
    let cams = GstCameras::serve_files(&streams);
    let db = Db::open(&dir.path().join("m.db")).await.unwrap();
    let ctx = Arc::new(RecorderContext::new(
        Arc::new(policy(&streams, &cams)),
        db.clone(),
        Store::new(dir.path().join("segments")),
        Arc::new(Kek::from_bytes(&[7; 32])),
        Arc::new(SystemClock),
    ));
    let recorder = Recorder::start(ctx.clone()).await.unwrap();
    // Each file plays once, in real time; then the camera sends nothing more.
    let longest = streams.iter().map(|s| s.shape.seconds).max().unwrap();
    tokio::time::sleep(Duration::from_secs(u64::from(longest)) + Duration::from_millis(3000)).await;
    recorder.stop().await;

    let mut failures = Vec::new();
    for stream in &streams {
        if let Err(e) = check(&ctx, &db, stream, dir.path()).await {
            failures.push(format!("{}: {e}", stream.shape.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One stream's checks; an error says what was wrong.
async fn check(
    ctx: &Arc<RecorderContext>,
    db: &Db,
    stream: &Encoded,
    dir: &Path,
) -> Result<(), String> {
    let shape = &stream.shape;
    let id = CameraId::new(shape.name).unwrap();
    let m = ctx.metrics.camera(&id);
    let received = m.frames.load(Ordering::Relaxed);
    let stored = m.stored.load(Ordering::Relaxed);
    let dropped = m.dropped_total();
    if (received, stored, dropped) != (stream.frames, stream.frames, 0) {
        return Err(format!(
            "sent {} pictures; received {received}, stored {stored}, dropped {dropped}",
            stream.frames
        ));
    }
    let far = Timestamp::now() + SignedDuration::from_hours(1);
    let segments = db
        .segments_overlapping(&id, Timestamp::UNIX_EPOCH, far)
        .await
        .map_err(|e| e.to_string())?;
    let in_segments: i64 = segments.iter().map(|s| s.sample_count).sum();
    if in_segments as u64 != stream.frames {
        return Err(format!("segments index {in_segments} pictures"));
    }
    if segments.len() < 3 {
        return Err(format!(
            "{} segments; the stream was not cut",
            segments.len()
        ));
    }

    // An inner range, from inside the second segment, three seconds long.
    let from = mimamori_db::from_us(segments[1].start_us) + SignedDuration::from_millis(700);
    let to = from + SignedDuration::from_secs(3);
    let grant = spend_clip(db, shape.name, shape.name, (from, to), "handler-1").await;
    let out = dir.join(format!("{}.mp4", shape.name));
    let request = ExportRequest {
        grant,
        actor: "handler-1".into(),
        reason: "issue 12: stream zoo".into(),
        output: out.clone(),
    };
    let file = std::fs::File::create(&out).map_err(|e| e.to_string())?;
    let (_, summary) = export(ctx, request, file)
        .await
        .map_err(|e| e.to_string())?;
    assert_decodes_cleanly(&out);
    let codec = probe_codec(&out);
    let want_codec = match shape.codec {
        Codec::H264 => "h264",
        Codec::H265 => "hevc",
    };
    if codec != want_codec {
        return Err(format!("exported codec {codec}"));
    }
    // Every picture shown from the clip's keyframe to the end of the range, and no more than
    // the reference pictures a B-frame before the end needed (and the B-frames shown between
    // them): up to three with the zoo's longest B-frame run.
    let times = probe_frame_times(&out);
    let frame = 1.0 / f64::from(shape.fps);
    let shown = to.duration_since(summary.clip.start).as_secs_f64();
    let wanted = (shown / frame).ceil() as usize;
    if !(wanted..=wanted + 3).contains(&times.len()) {
        return Err(format!(
            "the clip holds {} pictures; {wanted} are shown in it",
            times.len()
        ));
    }
    let (_, duration) = probe_frames_and_duration(&out);
    let expected = times.len() as f64 * frame;
    if (duration - expected).abs() > frame / 2.0 {
        return Err(format!(
            "the clip lasts {duration} s; its {} pictures last {expected} s",
            times.len()
        ));
    }
    if times.first().is_some_and(|t| t.abs() > 0.001) {
        return Err(format!("the first picture is shown at {:?} s", times[0]));
    }
    for w in times.windows(2) {
        if (w[1] - w[0] - frame).abs() > 0.002 {
            return Err(format!(
                "pictures at {} s and {} s: not one frame apart",
                w[0], w[1]
            ));
        }
    }
    Ok(())
}
