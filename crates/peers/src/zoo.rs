//! The stream zoo: the shapes real cameras send, encoded by ffmpeg (libx264, libx265) into
//! Matroska files with the encoder's own timestamps, for [`crate::GstCameras::serve_files`].
//!
//! Issue 12 found a camera with B-frames recorded at 2 frames in 50. Each shape here is one a
//! ward will meet: baseline without B-frames, main and high with them (and several slices per
//! picture), H.265 with closed and open GOPs and with B-frames; 15, 25 and 30 fps; parameter
//! sets in the SDP only or also in-band; an RTP timestamp that wraps during the stream.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::INSTALL_HINT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    H264,
    H265,
}

/// One stream shape.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Also the camera's id and mount.
    pub name: &'static str,
    pub codec: Codec,
    pub fps: u32,
    pub seconds: u32,
    /// Picture size, `WIDTHxHEIGHT`.
    pub size: &'static str,
    /// The encoder's settings (ffmpeg arguments after `-c:v`).
    encoder: &'static [&'static str],
    /// Parameter sets before every keyframe as well as in the SDP.
    pub in_band_parameter_sets: bool,
    /// The first RTP timestamp, when it matters.
    pub timestamp_offset: Option<u32>,
}

/// Two to the 32 minus three seconds at 90 kHz: the RTP timestamp wraps three seconds in.
pub const WRAPS_AFTER_3_S: u32 = u32::MAX - 3 * 90_000 + 1;

/// Every shape of the zoo, eight seconds each.
pub fn shapes() -> Vec<Shape> {
    let shape = |name, codec, fps, encoder, in_band, offset| Shape {
        name,
        codec,
        fps,
        seconds: 8,
        size: "320x240",
        encoder,
        in_band_parameter_sets: in_band,
        timestamp_offset: offset,
    };
    use Codec::*;
    vec![
        shape(
            "h264-baseline-15",
            H264,
            15,
            &["libx264", "-profile:v", "baseline", "-g", "30"],
            true,
            None,
        ),
        shape(
            "h264-main-b-25",
            H264,
            25,
            &["libx264", "-profile:v", "main", "-bf", "2", "-g", "50"],
            false,
            None,
        ),
        shape(
            "h264-high-b-slices-30",
            H264,
            30,
            &[
                "libx264",
                "-profile:v",
                "high",
                "-bf",
                "3",
                "-g",
                "60",
                "-x264-params",
                "slices=4",
            ],
            true,
            None,
        ),
        shape(
            "h264-main-b-wrap-25",
            H264,
            25,
            &["libx264", "-profile:v", "main", "-bf", "2", "-g", "50"],
            true,
            Some(WRAPS_AFTER_3_S),
        ),
        shape(
            "h265-closed-25",
            H265,
            25,
            &[
                "libx265",
                "-x265-params",
                "log-level=error:keyint=50:min-keyint=50:bframes=0:open-gop=0",
            ],
            false,
            None,
        ),
        shape(
            "h265-open-gop-30",
            H265,
            30,
            &[
                "libx265",
                "-x265-params",
                "log-level=error:keyint=30:min-keyint=30:open-gop=1",
            ],
            true,
            None,
        ),
        shape(
            "h265-b-wrap-15",
            H265,
            15,
            &[
                "libx265",
                "-x265-params",
                "log-level=error:keyint=30:min-keyint=30:bframes=3:open-gop=0",
            ],
            true,
            Some(WRAPS_AFTER_3_S),
        ),
    ]
}

/// A shape encoded into a file.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub shape: Shape,
    pub file: PathBuf,
    /// Pictures in the file: what the camera sends.
    pub frames: u64,
}

impl Shape {
    /// The zoo's shape of this name.
    pub fn named(name: &str) -> Option<Shape> {
        shapes().into_iter().find(|s| s.name == name)
    }
}

impl Encoded {
    /// The `--file-mount` spec of `tests/peers/gst_rtsp_cameras.py`.
    pub fn mount_spec(&self) -> String {
        self.mount_spec_as(self.shape.name)
    }

    /// The same, served under another mount name (many cameras from one file).
    pub fn mount_spec_as(&self, name: &str) -> String {
        let s = &self.shape;
        let codec = match s.codec {
            Codec::H264 => "h264",
            Codec::H265 => "h265",
        };
        let interval = if s.in_band_parameter_sets { -1 } else { 0 };
        let mut spec = format!(
            "name={name},file={},codec={codec},config-interval={interval}",
            self.file.display()
        );
        if let Some(offset) = s.timestamp_offset {
            spec.push_str(&format!(",timestamp-offset={offset}"));
        }
        spec
    }
}

/// Encodes `shape` from ffmpeg's moving test pattern into `dir`, unless a file of it, of
/// its size and length, is there already.
pub fn encode(shape: &Shape, dir: &Path) -> Encoded {
    let file = dir.join(format!(
        "{}-{}-{}s.mkv",
        shape.name, shape.size, shape.seconds
    ));
    let wanted = u64::from(shape.fps * shape.seconds);
    if file.exists() && crate::probe_frame_count(&file) == wanted {
        return Encoded {
            shape: shape.clone(),
            file,
            frames: wanted,
        };
    }
    let source = format!("testsrc2=size={}:rate={}", shape.size, shape.fps);
    let preset = match shape.codec {
        Codec::H264 => "veryfast",
        Codec::H265 => "ultrafast",
    };
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &source])
        .args(["-t", &shape.seconds.to_string(), "-pix_fmt", "yuv420p"])
        .args(["-sc_threshold", "0", "-c:v"])
        .args(shape.encoder)
        // Fast presets keep the settings above (B-frames, GOP) and encode 1080p for the
        // benchmark in reasonable time.
        .args(["-preset", preset])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg: {e}; {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "ffmpeg could not encode {}: {}",
        shape.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = crate::probe_frame_count(&file);
    assert_eq!(frames, wanted, "{} holds every picture", shape.name);
    Encoded {
        shape: shape.clone(),
        file,
        frames,
    }
}
