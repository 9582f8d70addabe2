//! The demo camera against real RTSP clients: ffmpeg records from it and
//! ffprobe/ffmpeg check what was recorded (frame count, size, clean decode),
//! Digest authentication, disabled and unknown mounts, UDP refusal, several
//! clients on one mount. Each test is skipped, with a message, when ffmpeg
//! or ffprobe is not installed.

mod common;

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::start;
use mimamori_democam::Mount;
use tokio::process::Command;
use tokio::time::{sleep, timeout, Instant};

fn tools_available() -> bool {
    ["ffmpeg", "ffprobe"].iter().all(|tool| {
        std::process::Command::new(tool)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

macro_rules! require_ffmpeg {
    () => {
        if !tools_available() {
            eprintln!("SKIPPED: ffmpeg/ffprobe not found on PATH; install ffmpeg to run this test");
            return;
        }
    };
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("democam-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn run(program: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).kill_on_drop(true).stdin(Stdio::null());
    timeout(Duration::from_secs(30), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} timed out"))
        .expect("spawn")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `ffmpeg -rtsp_transport tcp -i URL -t SECS -c copy -f mp4 OUT`.
async fn record(url: &str, secs: &str, out: &str) -> Output {
    run(
        "ffmpeg",
        &[
            "-nostdin",
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-i",
            url,
            "-t",
            secs,
            "-c",
            "copy",
            "-f",
            "mp4",
            "-y",
            out,
        ],
    )
    .await
}

/// (width, height, frames) of the first video stream of a file.
async fn probe(file: &str) -> (u32, u32, u32) {
    let o = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,nb_read_frames",
            "-of",
            "csv=p=0",
            file,
        ],
    )
    .await;
    assert!(o.status.success(), "ffprobe failed: {}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let v: Vec<u32> = text
        .trim()
        .split(',')
        .map(|f| f.parse().expect("number"))
        .collect();
    assert_eq!(v.len(), 3, "{text}");
    (v[0], v[1], v[2])
}

/// Decodes the whole file with `-xerror`; returns what ffmpeg printed.
async fn decode_errors(file: &str) -> String {
    let o = run(
        "ffmpeg",
        &[
            "-nostdin", "-v", "error", "-xerror", "-i", file, "-f", "null", "-",
        ],
    )
    .await;
    let mut s = stderr(&o);
    if !o.status.success() {
        s.push_str(&format!(" (exit {:?})", o.status.code()));
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_records_four_seconds_that_decode_cleanly() {
    require_ffmpeg!();
    let cam = start(vec![Mount::new("cam1")]).await;
    let dir = Scratch::new("record");
    let out = dir.file("out.mp4");
    let o = record(&cam.url("cam1"), "4", &out).await;
    assert!(o.status.success(), "ffmpeg failed: {}", stderr(&o));
    let (w, h, frames) = probe(&out).await;
    assert_eq!((w, h), (640, 360));
    assert!(
        (55..=65).contains(&frames),
        "{frames} frames for 4 s at 15 fps"
    );
    assert_eq!(decode_errors(&out).await, "");
    assert!(cam.frames_sent("cam1") >= u64::from(frames));
    cam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_digest_auth() {
    require_ffmpeg!();
    let cam = start(vec![Mount::new("cam1").with_credentials("admin", "s3cret")]).await;
    let dir = Scratch::new("auth");
    let port = cam.local_addr().port();
    let with = |user_pass: &str| format!("rtsp://{user_pass}@127.0.0.1:{port}/cam1");

    let good = dir.file("good.mp4");
    let o = record(&with("admin:s3cret"), "1", &good).await;
    assert!(o.status.success(), "right password refused: {}", stderr(&o));
    let (_, _, frames) = probe(&good).await;
    assert!(frames >= 10, "{frames}");
    assert_eq!(decode_errors(&good).await, "");

    let o = record(&with("admin:wrong"), "1", &dir.file("bad.mp4")).await;
    assert!(!o.status.success(), "wrong password accepted");
    assert!(stderr(&o).contains("401"), "{}", stderr(&o));

    let o = record(&cam.url("cam1"), "1", &dir.file("none.mp4")).await;
    assert!(!o.status.success(), "no credentials accepted");
    assert!(stderr(&o).contains("401"), "{}", stderr(&o));
    cam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_sees_outage_when_mount_disabled() {
    require_ffmpeg!();
    let cam = start(vec![Mount::new("cam1"), Mount::new("cam2")]).await;
    let dir = Scratch::new("outage");
    let out = dir.file("cut.mp4");
    let url = cam.url("cam1");
    let recorder = tokio::spawn({
        let out = out.clone();
        async move { record(&url, "30", &out).await }
    });
    let t0 = Instant::now();
    while cam.frames_sent("cam1") < 15 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "ffmpeg never started playing"
        );
        sleep(Duration::from_millis(50)).await;
    }
    cam.set_mount_enabled("cam1", false);
    let disabled_at = Instant::now();
    let o = timeout(Duration::from_secs(10), recorder)
        .await
        .expect("ffmpeg noticed the outage")
        .expect("join");
    assert!(disabled_at.elapsed() < Duration::from_secs(5));
    // ffmpeg ends the recording cleanly at the hang-up, with every frame sent.
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, _, frames) = probe(&out).await;
    assert_eq!(u64::from(frames), cam.frames_sent("cam1"));
    assert_eq!(decode_errors(&out).await, "");
    assert_eq!(cam.session_count("cam1"), 0);

    let probe_url = |mount: &str| {
        let url = cam.url(mount);
        async move { run("ffprobe", &["-v", "error", "-rtsp_transport", "tcp", &url]).await }
    };
    let o = probe_url("cam1").await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("503"), "{}", stderr(&o));
    let o = probe_url("cam2").await;
    assert!(
        o.status.success(),
        "other mounts unaffected: {}",
        stderr(&o)
    );

    cam.set_mount_enabled("cam1", true);
    let o = probe_url("cam1").await;
    assert!(o.status.success(), "re-enabled: {}", stderr(&o));
    cam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffprobe_unknown_mount_and_udp() {
    require_ffmpeg!();
    let cam = start(vec![Mount::new("cam1")]).await;
    let o = run("ffprobe", &["-v", "error", &cam.url("nope")]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("404"), "{}", stderr(&o));

    let o = run(
        "ffprobe",
        &["-v", "error", "-rtsp_transport", "udp", &cam.url("cam1")],
    )
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("461"), "{}", stderr(&o));

    // Without a transport preference ffprobe falls back from UDP to TCP.
    let o = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
            &cam.url("cam1"),
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "h264,640,360");
    cam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_ffmpeg_clients_on_one_mount() {
    require_ffmpeg!();
    let cam = start(vec![Mount::new("cam1")]).await;
    let dir = Scratch::new("multi");
    let outs: Vec<String> = (0..3).map(|i| dir.file(&format!("c{i}.mp4"))).collect();
    let url = cam.url("cam1");
    let runs = outs.iter().map(|out| {
        let (url, out) = (url.clone(), out.clone());
        async move { record(&url, "2", &out).await }
    });
    for o in futures_join_all(runs).await {
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let mut total = 0;
    for out in &outs {
        let (w, h, frames) = probe(out).await;
        assert_eq!((w, h), (640, 360));
        assert!((25..=35).contains(&frames), "{frames}");
        assert_eq!(decode_errors(out).await, "");
        total += u64::from(frames);
    }
    // Frames are counted per mount, summed over its sessions.
    assert!(cam.frames_sent("cam1") >= total);
    assert!(cam.frames_sent("cam1") <= total + 3 * 3);
    cam.shutdown().await;
}

/// Runs the futures concurrently and collects their outputs in order.
async fn futures_join_all<F: std::future::Future<Output = Output> + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<Output> {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("join"));
    }
    out
}
