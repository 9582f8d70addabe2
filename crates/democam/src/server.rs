//! The server: the listening socket and accept loop, the mounts and their
//! per-mount state (enabled flag, frame counters), and the public
//! [`DemoCamera`] handle that starts, controls and stops it all.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::auth::DigestAuth;
use crate::clip::Clip;
use crate::{session, Error};

/// Pending-connection queue length: the benchmark connects hundreds of
/// cameras at once.
const LISTEN_BACKLOG: u32 = 1024;

/// One stream path served by the camera, e.g. `cam1` for `rtsp://host:port/cam1`.
#[derive(Clone, PartialEq, Eq)]
pub struct Mount {
    /// Path without leading or trailing slash, e.g. `"cam1"`.
    pub path: String,
    /// `(user, password)` required through Digest authentication, if any.
    pub credentials: Option<(String, String)>,
    /// How the camera's RTP clock behaves against real time.
    pub clock: CameraClock,
    /// Every this many frames, one frame's packets are lost on the way (never sent, their
    /// sequence numbers skipped), as a congested network loses them.
    pub lose_every: Option<u64>,
    /// Frames go out this many times faster than real time, stamped as if in real time.
    pub speed: u32,
}

/// A camera's RTP clock against real time: frames are always paced by real time, but a camera
/// whose clock runs fast stamps them further apart, and one whose clock is corrected (NTP)
/// jumps. Tests of the recorder's clock handling use it (issue 12).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CameraClock {
    /// Parts per million the clock runs fast (negative: slow).
    pub drift_ppm: i64,
    /// `(frame, ticks)`: from this frame of a session on, timestamps are off by this many
    /// 90 kHz ticks (the clock stepped).
    pub steps: [Option<(u64, i64)>; 2],
}

impl CameraClock {
    /// The RTP ticks of frame `n`, given its ticks on a true clock.
    pub(crate) fn ticks(&self, n: u64, true_ticks: u64) -> u64 {
        let drifted = true_ticks as i64 + true_ticks as i64 * self.drift_ppm / 1_000_000;
        let stepped: i64 = self
            .steps
            .iter()
            .flatten()
            .filter(|(from, _)| n >= *from)
            .map(|(_, ticks)| ticks)
            .sum();
        (drifted + stepped) as u64
    }
}

impl Mount {
    /// A mount without authentication.
    pub fn new(path: impl Into<String>) -> Self {
        Mount {
            path: path.into(),
            credentials: None,
            clock: CameraClock::default(),
            lose_every: None,
            speed: 1,
        }
    }

    /// The same mount, losing one frame in every `n` on the way to the client.
    pub fn losing_every(mut self, n: u64) -> Self {
        self.lose_every = Some(n.max(2));
        self
    }

    /// The same mount, sending `speed` times faster than real time while its RTP clock still
    /// stamps real time: a recorder whose clock is set back stores an hour of footage in a
    /// minute. The retrieval benchmark needs an hour of footage and has no hour to wait.
    pub fn fast_forward(mut self, speed: u32) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// The same mount, with a camera clock that drifts or steps.
    pub fn with_clock(mut self, clock: CameraClock) -> Self {
        self.clock = clock;
        self
    }

    /// The same mount, requiring Digest authentication with these credentials.
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }
}

/// Shows the user but not the password.
fn fmt_credentials(c: &Option<(String, String)>) -> Option<(&str, &str)> {
    c.as_ref().map(|(user, _)| (user.as_str(), "<redacted>"))
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mount")
            .field("path", &self.path)
            .field("credentials", &fmt_credentials(&self.credentials))
            .finish()
    }
}

/// Live state of one mount, shared by its sessions and the handle.
pub(crate) struct MountState {
    pub(crate) path: String,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) clock: CameraClock,
    pub(crate) lose_every: Option<u64>,
    pub(crate) speed: u32,
    /// `true` while the mount is enabled; sessions watch it to hang up.
    pub(crate) enabled: watch::Sender<bool>,
    pub(crate) frames_sent: AtomicU64,
    pub(crate) sessions: AtomicUsize,
}

impl std::fmt::Debug for MountState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MountState")
            .field("path", &self.path)
            .field("credentials", &fmt_credentials(&self.credentials))
            .field("enabled", &self.is_enabled())
            .field("frames_sent", &self.frames_sent)
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl MountState {
    pub(crate) fn is_enabled(&self) -> bool {
        *self.enabled.borrow()
    }
}

/// Everything a connection needs, shared read-only.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) clip: Arc<Clip>,
    pub(crate) mounts: HashMap<String, Arc<MountState>>,
    pub(crate) auth: DigestAuth,
    pub(crate) sdp_session_id: u64,
}

/// The path part of a request URI, without slashes at either end, query or fragment.
fn uri_path(uri: &str) -> &str {
    let path = match uri.find("://") {
        Some(i) => {
            let after = &uri[i + 3..];
            after.find('/').map_or("", |j| &after[j..])
        }
        None => uri,
    };
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].trim_matches('/')
}

impl Shared {
    /// The mount a request URI names, either the mount itself or its
    /// track (`…/cam1/trackID=0`).
    pub(crate) fn lookup(&self, uri: &str) -> Option<&Arc<MountState>> {
        let path = uri_path(uri);
        if let Some(m) = self.mounts.get(path) {
            return Some(m);
        }
        let (base, last) = path.rsplit_once('/')?;
        if last.starts_with("trackID=") {
            self.mounts.get(base)
        } else {
            None
        }
    }
}

/// Waits until the shutdown flag is raised (or its sender is gone).
pub(crate) async fn shutdown_requested(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// A running demo camera. Dropping it stops the server too; [`DemoCamera::shutdown`]
/// also waits for every connection to close.
#[derive(Debug)]
pub struct DemoCamera {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    acceptor: Option<JoinHandle<()>>,
}

fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.ends_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'%' | b'"'))
        && !path
            .split('/')
            .any(|seg| seg.is_empty() || seg.starts_with("trackID="))
}

impl DemoCamera {
    /// Binds `listen` (port 0 picks a free port) and serves `clip` on `mounts`.
    pub async fn start(
        listen: SocketAddr,
        clip: Arc<Clip>,
        mounts: Vec<Mount>,
    ) -> Result<Self, Error> {
        let mut map = HashMap::with_capacity(mounts.len());
        for m in mounts {
            if !valid_path(&m.path) {
                return Err(Error::InvalidMount(m.path));
            }
            if map.contains_key(&m.path) {
                return Err(Error::DuplicateMount(m.path));
            }
            let (enabled, _) = watch::channel(true);
            let state = MountState {
                path: m.path.clone(),
                credentials: m.credentials,
                clock: m.clock,
                lose_every: m.lose_every,
                speed: m.speed,
                enabled,
                frames_sent: AtomicU64::new(0),
                sessions: AtomicUsize::new(0),
            };
            map.insert(m.path, Arc::new(state));
        }
        let bind_err = |source| Error::Bind {
            addr: listen,
            source,
        };
        let socket = if listen.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .map_err(bind_err)?;
        socket.set_reuseaddr(true).map_err(bind_err)?;
        socket.bind(listen).map_err(bind_err)?;
        let listener = socket.listen(LISTEN_BACKLOG).map_err(bind_err)?;
        let local_addr = listener.local_addr().map_err(bind_err)?;

        let shared = Arc::new(Shared {
            clip,
            mounts: map,
            auth: DigestAuth::new(),
            sdp_session_id: rand::random::<u32>().into(),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let acceptor = tokio::spawn(accept_loop(listener, Arc::clone(&shared), shutdown_rx));
        tracing::info!(%local_addr, mounts = shared.mounts.len(), "demo camera listening");
        Ok(DemoCamera {
            local_addr,
            shared,
            shutdown,
            acceptor: Some(acceptor),
        })
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The RTSP URL of a mount, e.g. `rtsp://127.0.0.1:8554/cam1`. A wildcard
    /// listen address is replaced by the loopback address.
    pub fn url(&self, mount: &str) -> String {
        let ip = match self.local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!(
            "rtsp://{}/{}",
            SocketAddr::new(ip, self.local_addr.port()),
            mount.trim_matches('/')
        )
    }

    /// The mount paths served, in no particular order.
    pub fn mounts(&self) -> impl Iterator<Item = &str> {
        self.shared.mounts.keys().map(String::as_str)
    }

    /// Access units completely written on `mount` so far, summed over all its
    /// sessions; 0 for an unknown mount.
    pub fn frames_sent(&self, mount: &str) -> u64 {
        self.shared
            .mounts
            .get(mount)
            .map_or(0, |m| m.frames_sent.load(Ordering::Relaxed))
    }

    /// Sessions currently playing on `mount`.
    pub fn session_count(&self, mount: &str) -> usize {
        self.shared
            .mounts
            .get(mount)
            .map_or(0, |m| m.sessions.load(Ordering::Relaxed))
    }

    /// Enables or disables a mount. Disabling closes the TCP connections of
    /// its current clients and answers new requests with 503, like a camera
    /// outage. Unknown mounts are ignored.
    pub fn set_mount_enabled(&self, mount: &str, enabled: bool) {
        match self.shared.mounts.get(mount) {
            Some(m) => {
                m.enabled.send_replace(enabled);
                tracing::info!(mount, enabled, "mount state changed");
            }
            None => tracing::warn!(mount, "set_mount_enabled on unknown mount"),
        }
    }

    /// Stops accepting, closes every connection and waits for them to end.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// Stops serving and waits until every session has ended, so that [`Self::frames_sent`]
    /// is final (counting while sessions still send would miss their last frames).
    pub async fn stop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(acceptor) = self.acceptor.take() {
            if let Err(e) = acceptor.await {
                tracing::warn!("demo camera accept task failed: {e}");
            }
        }
    }
}

impl Drop for DemoCamera {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = shutdown_requested(&mut shutdown) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    conns.spawn(session::serve(
                        stream,
                        peer,
                        Arc::clone(&shared),
                        shutdown.clone(),
                    ));
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    // Connections watch the same flag and end by themselves; abort any that
    // are stuck in a write.
    let deadline = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = conns.join_next() => if next.is_none() { break },
            _ = &mut deadline => {
                conns.shutdown().await;
                break;
            }
        }
    }
    tracing::info!("demo camera stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths() {
        assert_eq!(uri_path("rtsp://127.0.0.1:8554/cam1"), "cam1");
        assert_eq!(uri_path("rtsp://u:p@host/cam1/"), "cam1");
        assert_eq!(
            uri_path("rtsp://host/live/cam1/trackID=0?x=1"),
            "live/cam1/trackID=0"
        );
        assert_eq!(uri_path("rtsp://host"), "");
        assert_eq!(uri_path("/cam2"), "cam2");
    }

    #[test]
    fn debug_hides_passwords() {
        let m = Mount::new("cam1").with_credentials("admin", "hunter2");
        let s = format!("{m:?}");
        assert!(s.contains("admin") && !s.contains("hunter2"), "{s}");
    }

    #[test]
    fn mount_paths() {
        assert!(valid_path("cam1"));
        assert!(valid_path("live/cam1"));
        for bad in [
            "",
            "/cam1",
            "cam1/",
            "a b",
            "a//b",
            "cam?",
            "cam1/trackID=0",
        ] {
            assert!(!valid_path(bad), "{bad:?}");
        }
    }
}
