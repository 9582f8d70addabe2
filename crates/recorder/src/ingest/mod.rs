//! N5: one camera, recorded around the clock.
//!
//! A task per camera pulls the stream over RTSP with `retina` (TCP interleaved by default,
//! digest or basic auth), never transcoding, and hands every picture to a [`CameraRecorder`],
//! which cuts the stream at random access points into encrypted segments. Any failure ends the
//! session: what is held is written, the open segment is closed and indexed, a gap is opened
//! from the last sample and raised as an alert, and the task reconnects after a short,
//! jittered, bounded backoff (a camera on a LAN that comes back is recorded again within about
//! `reconnect_max`). The first picture stored after the failure closes the gap.

mod camera;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use mimamori_db::CameraState;
use mimamori_media::pictures::Codec;
use mimamori_policy::{Camera, Transport};
use rand::Rng;
use retina::client::{PlayOptions, Session, SessionOptions, SetupOptions};
use retina::codec::{CodecItem, FrameFormat, ParametersRef};
use tokio::sync::watch;

use crate::{RecorderContext, RecorderError};
use camera::CameraRecorder;

/// A session that delivers no frame for this long has failed, even if its socket is open.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one camera until `shutdown` turns true.
pub(crate) async fn record_camera(
    ctx: Arc<RecorderContext>,
    camera: Camera,
    mut shutdown: watch::Receiver<bool>,
) {
    let policy = &ctx.policy.recording;
    let mut backoff = Backoff::new(policy.reconnect_min, policy.reconnect_max);
    let mut recorder = CameraRecorder::new(ctx.clone(), camera);
    loop {
        recorder.set_state(CameraState::Connecting, None).await;
        let result = session(&mut recorder, &mut shutdown).await;
        let stored = recorder.end_run().await;
        let error = match result {
            Ok(()) => break,
            Err(e) => e,
        };
        if stored > 0 {
            backoff.reset();
        }
        recorder.on_failure(&error).await;
        tokio::select! {
            _ = tokio::time::sleep(backoff.next()) => {}
            _ = shutdown.changed() => break,
        }
    }
    recorder.set_state(CameraState::Stopped, None).await;
}

/// Reconnect delays: `min`, doubling up to `max`, each scaled by a random factor in
/// [0.8, 1.2) so that cameras lost together (a switch rebooting) do not reconnect in lockstep.
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    fn reset(&mut self) {
        self.next = self.min;
    }

    fn next(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        base.mul_f64(rand::thread_rng().gen_range(0.8..1.2))
    }
}

/// One RTSP session, from DESCRIBE until failure (`Err`) or shutdown (`Ok`).
async fn session(
    recorder: &mut CameraRecorder,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), RecorderError> {
    let camera = recorder.camera().clone();
    let url = url::Url::parse(&camera.url).map_err(|e| RecorderError::Stream(e.to_string()))?;
    let creds = match &camera.credentials {
        Some(r) => {
            let c = r.resolve().map_err(RecorderError::Stream)?;
            Some(retina::client::Credentials {
                username: c.username,
                password: c.password,
            })
        }
        None => None,
    };
    let options = SessionOptions::default()
        .creds(creds)
        .user_agent("mimamori".to_owned());
    let mut session = Session::describe(url, options).await.map_err(stream_err)?;
    let (video, codec) = session
        .streams()
        .iter()
        .enumerate()
        .find_map(|(i, s)| match (s.media(), s.encoding_name()) {
            ("video", "h264") => Some((i, Codec::H264)),
            ("video", "h265") => Some((i, Codec::H265)),
            _ => None,
        })
        .ok_or_else(|| {
            RecorderError::Stream("the camera offers no H.264 or H.265 video stream".into())
        })?;
    let transport = match camera.transport {
        Transport::Tcp => retina::client::Transport::Tcp(Default::default()),
        Transport::Udp => retina::client::Transport::Udp(Default::default()),
    };
    let setup = SetupOptions::default()
        .transport(transport)
        .frame_format(FrameFormat::MP4);
    session.setup(video, setup).await.map_err(stream_err)?;
    let mut demuxed = session
        .play(PlayOptions::default())
        .await
        .map_err(stream_err)?
        .demuxed()
        .map_err(stream_err)?;
    recorder.begin_run(codec);
    loop {
        let item = tokio::select! {
            item = tokio::time::timeout(FRAME_TIMEOUT, demuxed.next()) => item,
            _ = shutdown.changed() => return Ok(()),
        };
        let frame = match item {
            Err(_) => {
                return Err(RecorderError::Stream(format!(
                    "no frames for {} s",
                    FRAME_TIMEOUT.as_secs()
                )))
            }
            Ok(None) => return Err(RecorderError::Stream("the camera ended the stream".into())),
            Ok(Some(Err(e))) => return Err(stream_err(e)),
            Ok(Some(Ok(CodecItem::VideoFrame(f)))) => f,
            Ok(Some(Ok(_))) => continue,
        };
        if frame.has_new_parameters() || !recorder.has_parameters() {
            let params = match demuxed.streams()[video].parameters() {
                Some(ParametersRef::Video(v)) => v.clone(),
                _ => return Err(RecorderError::Stream("video parameters are missing".into())),
            };
            recorder.set_parameters(&params).await?;
        }
        recorder.on_frame(frame).await?;
    }
}

fn stream_err(e: retina::Error) -> RecorderError {
    RecorderError::Stream(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_bound_with_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
        let waits: Vec<Duration> = (0..6).map(|_| b.next()).collect();
        let bases = [250, 500, 1000, 2000, 2000, 2000];
        for (w, base) in waits.iter().zip(bases) {
            let ms = w.as_millis() as u64;
            assert!(
                (base * 8 / 10..base * 12 / 10).contains(&ms),
                "{ms} ms is within 20 % of {base} ms"
            );
        }
        b.reset();
        assert!(b.next() < Duration::from_millis(300));
    }
}
