//! One client connection: the RTSP state machine (OPTIONS, DESCRIBE, SETUP,
//! PLAY, GET_PARAMETER, TEARDOWN, with Digest authentication and mount
//! enable checks) and, once playing, the wall-clock-paced RTP sender that
//! patches the headers of the clip's pre-built packets and writes each
//! access unit with one vectored write on the same TCP connection.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::clip::{Clip, PAYLOAD_TYPE};
use crate::rtsp::{self, Incoming, ProtocolError, Request, Response};
use crate::server::{shutdown_requested, MountState, Shared};

/// Session timeout announced in the Session header. Connections that are not
/// playing are closed after this long without a request; playing sessions
/// live as long as their TCP connection.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// A client that does not take one access unit (or response) within this
/// long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How far behind schedule a slow client may fall before the schedule is
/// moved instead of caught up with a burst.
const MAX_LAG: Duration = Duration::from_secs(1);
/// Interleave header (`$`, channel, length) plus fixed RTP header.
const HEADER_LEN: usize = 4 + 12;

const PUBLIC_METHODS: &str =
    "OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, SET_PARAMETER, TEARDOWN";

#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("client did not read for {0:?}")]
    WriteTimeout(Duration),
}

/// What to do after a response has been written.
enum Action {
    Continue,
    StartPlay,
    Close,
}

/// Counts a playing session on its mount for as long as it lives.
struct Playing(Arc<MountState>);

impl Playing {
    fn new(mount: Arc<MountState>) -> Self {
        mount.sessions.fetch_add(1, Ordering::Relaxed);
        Playing(mount)
    }
}

impl Drop for Playing {
    fn drop(&mut self) {
        self.0.sessions.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The RTP session set up on a connection.
struct RtpSession {
    id: String,
    mount: Arc<MountState>,
    channel: u8,
    ssrc: u32,
    /// Sequence number of the next packet.
    seq: u16,
    base_ts: u32,
    /// URL of the track, for RTP-Info.
    control_url: String,
    /// Frames sent so far; the next frame is `frame_no % frame_count`.
    frame_no: u64,
    /// Wall-clock time frame 0 was (or would have been) due; set by PLAY.
    anchor: Option<Instant>,
    playing: Option<Playing>,
    /// Per-packet headers of the frame being written, reused every frame.
    headers: Vec<[u8; HEADER_LEN]>,
}

impl RtpSession {
    /// When the next frame is due after the session began playing: the clip's pace, faster
    /// for a fast-forwarded mount.
    fn offset(&self, clip: &Clip) -> Duration {
        clip.frame_offset(self.frame_no) / self.mount.speed
    }

    fn rtp_time(&self, clip: &Clip) -> u32 {
        // Truncation to 32 bits is the RTP timestamp wrap-around.
        let ticks = self
            .mount
            .clock
            .ticks(self.frame_no, clip.rtp_ticks(self.frame_no));
        (u64::from(self.base_ts).wrapping_add(ticks)) as u32
    }
}

struct Conn {
    shared: Arc<Shared>,
    local: SocketAddr,
    peer: SocketAddr,
    mount: Option<Arc<MountState>>,
    mount_rx: Option<watch::Receiver<bool>>,
    session: Option<RtpSession>,
    last_request: Instant,
}

/// Serves one TCP connection until the client leaves, the mount is
/// disabled or the server shuts down.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    tracing::debug!(%peer, "connection opened");
    match run(stream, peer, shared, shutdown).await {
        Ok(()) => tracing::debug!(%peer, "connection closed"),
        Err(e) => tracing::debug!(%peer, "connection closed: {e}"),
    }
}

/// Resolves when the bound mount is disabled; never if none is bound.
async fn mount_disabled(rx: &mut Option<watch::Receiver<bool>>) {
    match rx {
        Some(rx) => {
            let _ = rx.wait_for(|enabled| !*enabled).await;
        }
        None => std::future::pending().await,
    }
}

async fn write_timed<W: AsyncWrite + Unpin>(wr: &mut W, bytes: &[u8]) -> Result<(), ConnError> {
    tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(bytes))
        .await
        .map_err(|_| ConnError::WriteTimeout(WRITE_TIMEOUT))??;
    Ok(())
}

/// Writes all of `bufs`, issuing as few vectored writes as the socket allows.
async fn write_all_vectored<W: AsyncWrite + Unpin>(
    wr: &mut W,
    mut bufs: &mut [IoSlice<'_>],
) -> io::Result<()> {
    while !bufs.is_empty() {
        let n = wr.write_vectored(bufs).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut bufs, n);
    }
    Ok(())
}

async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ConnError> {
    stream.set_nodelay(true)?;
    let local = stream.local_addr()?;
    let (mut rd, mut wr) = stream.into_split();
    let mut rbuf = BytesMut::with_capacity(4096);
    let mut conn = Conn {
        shared,
        local,
        peer,
        mount: None,
        mount_rx: None,
        session: None,
        last_request: Instant::now(),
    };
    loop {
        loop {
            let request = match rtsp::parse(&mut rbuf) {
                Ok(Some(Incoming::Request(r))) => r,
                Ok(Some(Incoming::Interleaved)) => continue,
                Ok(None) => break,
                Err(e) => {
                    write_timed(&mut wr, &Response::new(400).to_bytes(None)).await?;
                    return Err(e.into());
                }
            };
            conn.last_request = Instant::now();
            let cseq = request.header("CSeq").map(str::to_owned);
            let (response, action) = match conn.handle(&request) {
                Ok(ok) => ok,
                Err(response) => (response, Action::Continue),
            };
            tracing::debug!(
                peer = %conn.peer,
                method = %request.method,
                uri = %request.uri,
                status = response.status(),
                "request"
            );
            write_timed(&mut wr, &response.to_bytes(cseq.as_deref())).await?;
            match action {
                Action::Continue => {}
                Action::Close => return Ok(()),
                Action::StartPlay => conn.start_play(),
            }
        }

        let frame_due = conn.next_frame_due();
        let idle_deadline = conn.last_request + SESSION_TIMEOUT;
        tokio::select! {
            biased;
            _ = shutdown_requested(&mut shutdown) => return Ok(()),
            _ = mount_disabled(&mut conn.mount_rx) => {
                tracing::debug!(peer = %conn.peer, "mount disabled, hanging up");
                return Ok(());
            }
            read = rd.read_buf(&mut rbuf) => {
                if read? == 0 {
                    return Ok(());
                }
            }
            _ = tokio::time::sleep_until(frame_due.unwrap_or(idle_deadline)), if frame_due.is_some() => {
                conn.send_frame(&mut wr).await?;
            }
            _ = tokio::time::sleep_until(idle_deadline), if frame_due.is_none() => {
                tracing::debug!(peer = %conn.peer, "idle timeout");
                return Ok(());
            }
        }
    }
}

/// Parses a Transport header; returns the interleaved channels of the first
/// RTP/AVP/TCP unicast option, if any.
fn tcp_interleaved(transport: &str) -> Option<(u8, u8)> {
    for spec in transport.split(',') {
        let mut params = spec.split(';').map(str::trim);
        let proto = params.next().unwrap_or("");
        if !proto.eq_ignore_ascii_case("RTP/AVP/TCP") {
            continue;
        }
        let mut channels = Some((0u8, 1u8));
        let mut multicast = false;
        for p in params {
            if p.eq_ignore_ascii_case("multicast") {
                multicast = true;
            } else if let Some(v) = p.strip_prefix("interleaved=") {
                channels = match v.split_once('-') {
                    Some((a, b)) => a.trim().parse().ok().zip(b.trim().parse().ok()),
                    None => v
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .and_then(|a| Some((a, a.checked_add(1)?))),
                };
            }
        }
        if !multicast {
            if let Some(ch) = channels {
                return Some(ch);
            }
        }
    }
    None
}

impl Conn {
    /// The mount a request addresses, after the 404 / 503 / 401 checks;
    /// binds the connection to it.
    fn target(&mut self, req: &Request, auth: bool) -> Result<Arc<MountState>, Response> {
        let mount = self
            .shared
            .lookup(&req.uri)
            .cloned()
            .ok_or_else(|| Response::new(404))?;
        match &self.mount {
            Some(bound) if Arc::ptr_eq(bound, &mount) => {}
            Some(_) if self.session.is_some() => return Err(Response::new(455)),
            _ => {
                self.mount_rx = Some(mount.enabled.subscribe());
                self.mount = Some(Arc::clone(&mount));
            }
        }
        if !mount.is_enabled() {
            return Err(Response::new(503));
        }
        if auth {
            if let Some((user, password)) = &mount.credentials {
                let header = req.header("Authorization");
                if !self.shared.auth.verify(header, &req.method, user, password) {
                    return Err(
                        Response::new(401).header("WWW-Authenticate", self.shared.auth.challenge())
                    );
                }
            }
        }
        Ok(mount)
    }

    /// Checks the request's Session header against the connection's session.
    fn check_session(&self, req: &Request) -> Result<(), Response> {
        match (req.session_id(), &self.session) {
            (Some(id), Some(s)) if id == s.id => Ok(()),
            (Some(_), _) => Err(Response::new(454)),
            (None, _) => Ok(()),
        }
    }

    fn session_header(&self) -> Option<String> {
        self.session
            .as_ref()
            .map(|s| format!("{};timeout={}", s.id, SESSION_TIMEOUT.as_secs()))
    }

    fn with_session(&self, mut response: Response) -> Response {
        if let Some(h) = self.session_header() {
            response = response.header("Session", h);
        }
        response
    }

    fn handle(&mut self, req: &Request) -> Result<(Response, Action), Response> {
        if req.header("CSeq").is_none() {
            return Err(Response::new(400));
        }
        if req.version != "RTSP/1.0" {
            return Err(Response::new(505));
        }
        match req.method.as_str() {
            "OPTIONS" => {
                if req.uri != "*" {
                    self.target(req, false)?;
                }
                let response = Response::new(200).header("Public", PUBLIC_METHODS);
                Ok((self.with_session(response), Action::Continue))
            }
            "DESCRIBE" => {
                self.target(req, true)?;
                let mut base = req.uri.clone();
                if !base.ends_with('/') {
                    base.push('/');
                }
                let sdp = self
                    .shared
                    .clip
                    .sdp(self.local.ip(), self.shared.sdp_session_id);
                let response = Response::new(200)
                    .header("Content-Base", base)
                    .body("application/sdp", sdp);
                Ok((response, Action::Continue))
            }
            "SETUP" => self.setup(req),
            "PLAY" => {
                if self.session.is_none() {
                    return Err(Response::new(if req.session_id().is_some() {
                        454
                    } else {
                        455
                    }));
                }
                self.check_session(req)?;
                self.target(req, true)?;
                let clip = &self.shared.clip;
                let Some(s) = &self.session else {
                    return Err(Response::new(455));
                };
                let rtp_info = format!(
                    "url={};seq={};rtptime={}",
                    s.control_url,
                    s.seq,
                    s.rtp_time(clip)
                );
                let response = self
                    .with_session(Response::new(200))
                    .header("Range", "npt=0.000-")
                    .header("RTP-Info", rtp_info);
                Ok((response, Action::StartPlay))
            }
            "GET_PARAMETER" | "SET_PARAMETER" => {
                self.check_session(req)?;
                Ok((self.with_session(Response::new(200)), Action::Continue))
            }
            "TEARDOWN" => {
                self.check_session(req)?;
                Ok((self.with_session(Response::new(200)), Action::Close))
            }
            _ => Err(Response::new(501).header("Public", PUBLIC_METHODS)),
        }
    }

    fn setup(&mut self, req: &Request) -> Result<(Response, Action), Response> {
        if req.session_id().is_some() {
            if self.session.is_none() {
                return Err(Response::new(454));
            }
            self.check_session(req)?;
        }
        let mount = self.target(req, true)?;
        let transport = req.header("Transport").unwrap_or("");
        let (rtp, rtcp) = tcp_interleaved(transport).ok_or_else(|| {
            Response::new(461).header("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")
        })?;
        let headers = vec![[0u8; HEADER_LEN]; self.shared.clip.max_packets_per_frame()];
        match &mut self.session {
            Some(s) => s.channel = rtp,
            None => {
                self.session = Some(RtpSession {
                    id: format!("{:016X}", rand::random::<u64>()),
                    mount,
                    channel: rtp,
                    ssrc: rand::random(),
                    seq: rand::random(),
                    base_ts: rand::random(),
                    control_url: req.uri.clone(),
                    frame_no: 0,
                    anchor: None,
                    playing: None,
                    headers,
                })
            }
        }
        let Some(s) = &self.session else {
            return Err(Response::new(500));
        };
        let transport = format!(
            "RTP/AVP/TCP;unicast;interleaved={rtp}-{rtcp};ssrc={:08X};mode=\"PLAY\"",
            s.ssrc
        );
        let response = self
            .with_session(Response::new(200))
            .header("Transport", transport);
        Ok((response, Action::Continue))
    }

    fn start_play(&mut self) {
        if let Some(s) = &mut self.session {
            if s.anchor.is_none() {
                s.anchor = Some(Instant::now());
                s.playing = Some(Playing::new(Arc::clone(&s.mount)));
                tracing::debug!(peer = %self.peer, mount = %s.mount.path, session = %s.id, "playing");
            }
        }
    }

    /// When the next frame is due, if playing.
    fn next_frame_due(&self) -> Option<Instant> {
        let s = self.session.as_ref()?;
        Some(s.anchor? + s.offset(&self.shared.clip))
    }

    /// Writes the next frame: patches the per-packet headers and hands
    /// header/payload pairs to one vectored write.
    async fn send_frame<W: AsyncWrite + Unpin>(&mut self, wr: &mut W) -> Result<(), ConnError> {
        let clip: &Clip = &self.shared.clip;
        let Some(s) = &mut self.session else {
            return Ok(());
        };
        let offset = s.offset(clip);
        let Some(anchor) = &mut s.anchor else {
            return Ok(());
        };
        let now = Instant::now();
        let due = *anchor + offset;
        if now > due + MAX_LAG {
            // Too far behind (slow client or overloaded host): move the
            // schedule rather than bursting to catch up.
            *anchor += now - due;
        }
        let packets = clip.frame_packets(s.frame_no);
        let ts = s.rtp_time(clip).to_be_bytes();
        let ssrc = s.ssrc.to_be_bytes();
        let mut seq = s.seq;
        for (h, p) in s.headers.iter_mut().zip(packets) {
            // Payloads are at most MAX_RTP_PAYLOAD bytes, so this fits in u16.
            let len = (12 + p.payload.len()) as u16;
            let marker = if p.marker { 0x80 } else { 0 };
            h[0] = b'$';
            h[1] = s.channel;
            h[2..4].copy_from_slice(&len.to_be_bytes());
            h[4] = 0x80; // V=2, no padding, no extension, no CSRC
            h[5] = marker | PAYLOAD_TYPE;
            h[6..8].copy_from_slice(&seq.to_be_bytes());
            h[8..12].copy_from_slice(&ts);
            h[12..16].copy_from_slice(&ssrc);
            seq = seq.wrapping_add(1);
        }
        let lost = s.mount.lose_every.is_some_and(|n| s.frame_no % n == n - 1);
        if !lost {
            let mut iov = Vec::with_capacity(2 * packets.len());
            for (h, p) in s.headers.iter().zip(packets) {
                iov.push(IoSlice::new(h));
                iov.push(IoSlice::new(&p.payload));
            }
            tokio::time::timeout(WRITE_TIMEOUT, write_all_vectored(wr, &mut iov))
                .await
                .map_err(|_| ConnError::WriteTimeout(WRITE_TIMEOUT))??;
        }
        s.seq = seq;
        s.frame_no += 1;
        s.mount.frames_sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_parsing() {
        assert_eq!(
            tcp_interleaved("RTP/AVP/TCP;unicast;interleaved=0-1"),
            Some((0, 1))
        );
        assert_eq!(tcp_interleaved("RTP/AVP/TCP;interleaved=4-5"), Some((4, 5)));
        assert_eq!(tcp_interleaved("RTP/AVP/TCP;unicast"), Some((0, 1)));
        assert_eq!(tcp_interleaved("RTP/AVP/TCP;interleaved=7"), Some((7, 8)));
        assert_eq!(
            tcp_interleaved("RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=2-3"),
            Some((2, 3))
        );
        assert_eq!(
            tcp_interleaved("RTP/AVP;unicast;client_port=5000-5001"),
            None
        );
        assert_eq!(
            tcp_interleaved("RTP/AVP/UDP;unicast;client_port=5000-5001"),
            None
        );
        assert_eq!(tcp_interleaved("RTP/AVP/TCP;interleaved=300-301"), None);
        assert_eq!(tcp_interleaved(""), None);
    }
}
