//! Real third-party peers for mimamori's tests, shared by every crate's integration tests:
//! GStreamer's RTSP server (Debian's gst-rtsp-server via Python GI, `tests/peers/`) as the
//! cameras, ffmpeg as the encoder of test streams and, with ffprobe, the judge of exports.
//!
//! The README's test command installs them; without them a test fails with a pointer to it.
//! Everything binds 127.0.0.1 only.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub mod zoo;

/// The demo clip: 360p, 15 fps, H.264 baseline, an IDR every 2 s.
pub const CLIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/clips/demo-360p15.h264"
);
const GST_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/peers/gst_rtsp_cameras.py"
);
pub const INSTALL_HINT: &str =
    "run the README's test command (scripts/test), which installs GStreamer and ffmpeg";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// moto's S3 server (PyPI `moto[server]`, which the test command installs): in memory, on
/// 127.0.0.1; it enforces Object Lock retention and legal holds and accepts any credentials.
pub struct MotoS3 {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
}

impl MotoS3 {
    pub fn start() -> MotoS3 {
        let port = free_port();
        // The Python that pip installed it into (not Debian's, which runs GStreamer).
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server: {e}; {S3_HINT}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not start; {S3_HINT}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        MotoS3 {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for MotoS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to get the S3 server where it is missing.
pub const S3_HINT: &str =
    "run the README's test command (scripts/test), which installs moto[server] with pip";

/// GStreamer's RTSP server serving simulated cameras.
pub struct GstCameras {
    child: Option<Child>,
    pub port: u16,
    args: Vec<String>,
}

impl GstCameras {
    /// Mount specs: `name` or `name:user:password` replay the demo clip; `h265:NAME` is a live
    /// H.265 camera, `h265-open-gop:NAME` one with CRA pictures after the first IDR,
    /// `h265-no-keyframes:NAME` one with no random access point after the first.
    pub fn start(mounts: &[&str]) -> GstCameras {
        Self::start_on(free_port(), mounts)
    }

    pub fn start_on(port: u16, mounts: &[&str]) -> GstCameras {
        let mut args = Vec::new();
        for m in mounts {
            let (flag, value) = match m.split_once(':') {
                Some(("h265", name)) => ("--h265-mount", name),
                Some(("h265-open-gop", name)) => ("--h265-open-gop-mount", name),
                Some(("h265-no-keyframes", name)) => ("--h265-no-keyframes-mount", name),
                _ => ("--mount", *m),
            };
            args.extend([flag.to_owned(), value.to_owned()]);
        }
        if args.iter().any(|a| a == "--mount") {
            args.extend(["--clip".into(), CLIP.into(), "--fps".into(), "15".into()]);
        }
        Self::start_with(port, args)
    }

    /// Serves each encoded stream once per client, as muxed with its encoder's timestamps.
    pub fn serve_files(streams: &[zoo::Encoded]) -> GstCameras {
        Self::serve_mounts(streams.iter().map(zoo::Encoded::mount_spec))
    }

    /// Serves `--file-mount` specs (see [`zoo::Encoded::mount_spec_as`]).
    pub fn serve_mounts(specs: impl IntoIterator<Item = String>) -> GstCameras {
        let args = specs
            .into_iter()
            .flat_map(|s| ["--file-mount".to_owned(), s])
            .collect();
        Self::start_with(free_port(), args)
    }

    /// The server's process id, to measure what it costs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn start_with(port: u16, args: Vec<String>) -> GstCameras {
        let mut child = Command::new("/usr/bin/python3")
            .arg(GST_SCRIPT)
            .args(["--port", &port.to_string()])
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start GStreamer RTSP server: {e}; {INSTALL_HINT}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "READY",
            "GStreamer RTSP server did not start; {INSTALL_HINT}"
        );
        GstCameras {
            child: Some(child),
            port,
            args,
        }
    }

    pub fn url(&self, mount: &str) -> String {
        format!("rtsp://127.0.0.1:{}/{mount}", self.port)
    }

    /// Stops the server (the camera goes dark).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            child.wait().unwrap();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let again = GstCameras::start_with(self.port, self.args.clone());
        *self = again;
    }
}

impl Drop for GstCameras {
    fn drop(&mut self) {
        self.stop();
    }
}

/// ffmpeg decodes the whole file with no error output (ffprobe's exit code alone proves nothing).
pub fn assert_decodes_cleanly(file: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(file)
        .args(["-f", "null", "-"])
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg: {e}; {INSTALL_HINT}"));
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let probe = Command::new("ffprobe")
        .args(["-v", "error"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        probe.stderr.is_empty(),
        "ffprobe -v error: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
}

/// The codec name of the first video stream, as ffprobe names it (`h264`, `hevc`).
pub fn probe_codec(file: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// (frames decoded, duration in seconds) as ffprobe counts them.
pub fn probe_frames_and_duration(file: &Path) -> (u64, f64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=nb_read_frames,duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut parts = text.trim().split(',');
    let duration: f64 = parts.next().unwrap().parse().unwrap();
    let frames: u64 = parts.next().unwrap().parse().unwrap();
    (frames, duration)
}

/// Frames decoded, as ffprobe counts them (for files whose container gives no duration).
pub fn probe_frame_count(file: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("ffprobe: {e}; {INSTALL_HINT}"));
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe counted no frames in {}: {text}", file.display()))
}

/// The presentation time of every decoded frame, in seconds, in the order shown.
pub fn probe_frame_times(file: &Path) -> Vec<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "frame=pts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    let mut times: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    times.sort_by(f64::total_cmp);
    times
}
