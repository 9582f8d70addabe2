//! The built-in demo camera: a small RTSP 1.0 server (RFC 2326) that replays
//! a pre-encoded H.264 clip, looped forever and never re-encoded, to many
//! clients on many mounts over RTP/AVP/TCP interleaved transport.
//!
//! `mimamori demo` uses it so the demo's cameras need nothing outside the
//! binary, and the ingest benchmark uses it as a load generator for hundreds
//! of simulated cameras in one process. The clip is parsed and packetized
//! once ([`Clip`]); per frame and per client the server only patches the RTP
//! header (sequence number, timestamp, SSRC) and writes the access unit with
//! one vectored write.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mimamori_democam::Error> {
//! use std::sync::Arc;
//! use mimamori_democam::{Clip, DemoCamera, Mount};
//! let bytes = std::fs::read("assets/clips/demo-360p15.h264").unwrap_or_default();
//! let clip = Arc::new(Clip::from_annexb(&bytes, 15)?);
//! let cam = DemoCamera::start("127.0.0.1:0".parse().unwrap(), clip, vec![Mount::new("cam1")]).await?;
//! println!("{}", cam.url("cam1"));
//! cam.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod clip;
mod rtsp;
mod server;
mod session;

use std::net::SocketAddr;

pub use clip::{Clip, CLOCK_RATE, MAX_RTP_PAYLOAD, PAYLOAD_TYPE};
pub use server::{CameraClock, DemoCamera, Mount};

/// The demo clip, built into the binary: 10 s of 640x360 H.264 at [`DEMO_CLIP_FPS`], a
/// keyframe every 2 s (`assets/clips/demo-360p15.h264`).
pub const DEMO_CLIP: &[u8] = include_bytes!("../../../assets/clips/demo-360p15.h264");
pub const DEMO_CLIP_FPS: u32 = 15;

/// The built-in demo clip, parsed and packetized.
pub fn demo_clip() -> std::sync::Arc<Clip> {
    std::sync::Arc::new(
        Clip::from_annexb(DEMO_CLIP, DEMO_CLIP_FPS).expect("the built-in clip is valid H.264"),
    )
}

/// Errors from loading a clip or starting the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The clip is not a usable H.264 Annex-B stream.
    #[error("invalid H.264 clip: {0}")]
    Clip(#[from] mimamori_media::h264::H264Error),
    /// The clip has no IDR access unit to start sessions at.
    #[error("clip has no IDR access unit")]
    NoIdr,
    /// The frame rate is out of range.
    #[error("frame rate must be between 1 and {max} fps, got {0}", max = clip::MAX_FPS)]
    InvalidFps(u32),
    /// A mount path is empty or has characters not allowed in a URL path.
    #[error("invalid mount path {0:?}")]
    InvalidMount(String),
    /// Two mounts have the same path.
    #[error("duplicate mount path {0:?}")]
    DuplicateMount(String),
    /// The listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
}
