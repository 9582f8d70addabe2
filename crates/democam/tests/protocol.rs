//! RTSP/RTP behaviour of the demo camera seen from a minimal hand-written
//! client: request/response details, Digest authentication, error codes,
//! the RTP stream itself (sequence numbers, timestamps, markers, FU-A,
//! looping, pacing), mount disabling; plus an ignored load measurement.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use md5::{Digest as _, Md5};
use mimamori_democam::{Clip, DemoCamera, Mount};
use mimamori_media::h264;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

const BENCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/clips/bench-1080p15.h264"
);

/// The first `gops` GOPs (30 frames each) of the demo clip, re-joined as
/// Annex-B, so loop boundaries come quickly; also the access units.
fn short_clip(gops: usize) -> (Vec<u8>, Vec<h264::AccessUnit>) {
    let data = Bytes::from_static(mimamori_democam::DEMO_CLIP);
    let aus: Vec<h264::AccessUnit> = h264::access_units(&data)
        .expect("parses")
        .into_iter()
        .take(30 * gops)
        .collect();
    let mut out = Vec::new();
    for au in &aus {
        for nal in &au.nals {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
    (out, aus)
}

async fn start(mounts: Vec<Mount>) -> (DemoCamera, Vec<h264::AccessUnit>) {
    let (bytes, aus) = short_clip(1);
    let clip = Arc::new(Clip::from_annexb(&bytes, 15).expect("clip"));
    assert_eq!(clip.frame_count(), 30);
    let cam = DemoCamera::start("127.0.0.1:0".parse().expect("addr"), clip, mounts)
        .await
        .expect("server starts");
    (cam, aus)
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// One RTP packet received over the interleaved connection.
#[derive(Debug, Clone)]
struct Rtp {
    channel: u8,
    marker: bool,
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    payload: Bytes,
}

struct Client {
    stream: TcpStream,
    buf: BytesMut,
    cseq: u32,
    /// RTP packets that arrived while waiting for a response.
    pending: Vec<Rtp>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: BytesMut::new(),
            cseq: 0,
            pending: Vec::new(),
        }
    }

    async fn fill(&mut self) -> bool {
        match timeout(Duration::from_secs(5), self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(n)) => n > 0,
            Ok(Err(_)) => false,
            Err(_) => panic!("read timed out"),
        }
    }

    /// Next interleaved packet or response; `None` at EOF.
    async fn next(&mut self) -> Option<Result<Rtp, Resp>> {
        loop {
            if self.buf.first() == Some(&b'$') && self.buf.len() >= 4 {
                let len = usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
                if self.buf.len() >= 4 + len {
                    let channel = self.buf[1];
                    self.buf.advance(4);
                    let pkt = self.buf.split_to(len).freeze();
                    assert!(pkt.len() >= 12);
                    assert_eq!(pkt[0], 0x80, "RTP version 2, no padding/extension/CSRC");
                    return Some(Ok(Rtp {
                        channel,
                        marker: pkt[1] & 0x80 != 0,
                        pt: pkt[1] & 0x7f,
                        seq: u16::from_be_bytes([pkt[2], pkt[3]]),
                        ts: u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]),
                        ssrc: u32::from_be_bytes([pkt[8], pkt[9], pkt[10], pkt[11]]),
                        payload: pkt.slice(12..),
                    }));
                }
            } else if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end])
                    .expect("utf8")
                    .to_string();
                let mut lines = head.split("\r\n");
                let status_line = lines.next().expect("status line");
                let status = status_line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .expect("status code");
                assert!(status_line.starts_with("RTSP/1.0 "), "{status_line}");
                let headers: HashMap<String, String> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .get("content-length")
                    .map_or(0, |v| v.parse().expect("content-length"));
                if self.buf.len() >= end + 4 + len {
                    self.buf.advance(end + 4);
                    let body = String::from_utf8(self.buf.split_to(len).to_vec()).expect("utf8");
                    return Some(Err(Resp {
                        status,
                        headers,
                        body,
                    }));
                }
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    async fn request(&mut self, method: &str, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.cseq += 1;
        let mut req = format!("{method} {uri} RTSP/1.0\r\nCSeq: {}\r\n", self.cseq);
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.send_raw(req.as_bytes()).await;
        loop {
            match self.next().await.expect("response before EOF") {
                Ok(rtp) => self.pending.push(rtp),
                Err(resp) => {
                    assert_eq!(resp.header("CSeq"), self.cseq.to_string());
                    return resp;
                }
            }
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    async fn rtp(&mut self) -> Option<Rtp> {
        if !self.pending.is_empty() {
            return Some(self.pending.remove(0));
        }
        match self.next().await? {
            Ok(rtp) => Some(rtp),
            Err(resp) => panic!("unexpected response {resp:?}"),
        }
    }

    /// DESCRIBE + SETUP + PLAY; returns the session id and the PLAY response.
    async fn play(&mut self, url: &str, auth: &[(&str, &str)]) -> (String, Resp) {
        let r = self.request("DESCRIBE", url, auth).await;
        assert_eq!(r.status, 200, "{r:?}");
        let track = format!("{}trackID=0", r.header("Content-Base"));
        let mut h = auth.to_vec();
        h.push(("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"));
        let r = self.request("SETUP", &track, &h).await;
        assert_eq!(r.status, 200, "{r:?}");
        let session = r
            .header("Session")
            .split(';')
            .next()
            .unwrap_or("")
            .to_string();
        let mut h = auth.to_vec();
        h.push(("Session", &session));
        let r = self.request("PLAY", url, &h).await;
        assert_eq!(r.status, 200, "{r:?}");
        (session, r)
    }
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

fn digest_param<'a>(challenge: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    let start = challenge.find(&key).expect("param") + key.len();
    let len = challenge[start..].find('"').expect("closing quote");
    &challenge[start..start + len]
}

fn digest_header(challenge: &str, user: &str, pass: &str, method: &str, uri: &str) -> String {
    let realm = digest_param(challenge, "realm");
    let nonce = digest_param(challenge, "nonce");
    let ha1 = md5_hex(&format!("{user}:{realm}:{pass}"));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let response = md5_hex(&format!("{ha1}:{nonce}:{ha2}"));
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\""
    )
}

/// Reassembles RTP payloads of one frame into NAL units.
fn depacketize(packets: &[Rtp]) -> Vec<Vec<u8>> {
    let mut nals = Vec::new();
    let mut fu: Option<Vec<u8>> = None;
    for p in packets {
        let b = &p.payload;
        match b[0] & 0x1f {
            28 => {
                if b[1] & 0x80 != 0 {
                    fu = Some(vec![(b[0] & 0xe0) | (b[1] & 0x1f)]);
                }
                let buf = fu.as_mut().expect("FU-A start before continuation");
                buf.extend_from_slice(&b[2..]);
                if b[1] & 0x40 != 0 {
                    nals.push(fu.take().expect("FU-A"));
                }
            }
            1..=23 => nals.push(b.to_vec()),
            t => panic!("unexpected payload type {t}"),
        }
    }
    nals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_setup_play_stream_loops_with_monotonic_timestamps() {
    let (cam, aus) = start(vec![Mount::new("cam1")]).await;
    let url = cam.url("cam1");
    let mut c = Client::connect(cam.local_addr()).await;

    let r = c.request("OPTIONS", &url, &[]).await;
    assert_eq!(r.status, 200);
    for m in ["DESCRIBE", "SETUP", "PLAY", "GET_PARAMETER", "TEARDOWN"] {
        assert!(r.header("Public").contains(m), "{r:?}");
    }

    let r = c
        .request("DESCRIBE", &url, &[("Accept", "application/sdp")])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), "application/sdp");
    assert_eq!(r.header("Content-Base"), format!("{url}/"));
    assert!(r.body.contains("m=video 0 RTP/AVP 96\r\n"), "{}", r.body);
    assert!(r.body.contains("a=rtpmap:96 H264/90000\r\n"));
    assert!(r
        .body
        .contains("a=fmtp:96 packetization-mode=1;profile-level-id=640016;sprop-parameter-sets="));
    assert!(r.body.contains("a=control:trackID=0\r\n"));
    let track = format!("{url}/trackID=0");

    let r = c
        .request(
            "SETUP",
            &track,
            &[("Transport", "RTP/AVP;unicast;client_port=5000-5001")],
        )
        .await;
    assert_eq!(r.status, 461);

    let r = c
        .request(
            "SETUP",
            &track,
            &[("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("Transport")
        .starts_with("RTP/AVP/TCP;unicast;interleaved=2-3;ssrc="));
    let session_hdr = r.header("Session").to_string();
    assert!(session_hdr.ends_with(";timeout=60"), "{session_hdr}");
    let session = session_hdr.split(';').next().unwrap_or("").to_string();

    let r = c.request("PLAY", &url, &[("Session", "bogus")]).await;
    assert_eq!(r.status, 454);

    let r = c
        .request("PLAY", &format!("{url}/"), &[("Session", &session)])
        .await;
    let started = Instant::now();
    assert_eq!(r.status, 200);
    let rtp_info = r.header("RTP-Info").to_string();
    assert!(
        rtp_info.starts_with(&format!("url={track};seq=")),
        "{rtp_info}"
    );
    let field = |name: &str| -> u64 {
        rtp_info
            .split(';')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .expect("RTP-Info field")
    };
    let (seq0, ts0) = (field("seq") as u16, field("rtptime") as u32);

    // 2.6 s covers the clip's loop point (30 frames = 2 s).
    let mut packets = Vec::new();
    while started.elapsed() < Duration::from_millis(2600) {
        packets.push(c.rtp().await.expect("stream"));
    }
    // Keepalive mid-stream.
    let r = c
        .request("GET_PARAMETER", &url, &[("Session", &session)])
        .await;
    assert_eq!(r.status, 200);
    while let Some(p) = c.pending.first().cloned() {
        c.pending.remove(0);
        packets.push(p);
    }
    // Drop a trailing incomplete frame.
    while packets.last().is_some_and(|p| !p.marker) {
        packets.pop();
    }

    let ssrc = packets[0].ssrc;
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.channel, 2);
        assert_eq!(p.pt, 96);
        assert_eq!(p.ssrc, ssrc);
        assert_eq!(p.seq, seq0.wrapping_add(i as u16), "packet {i}");
        assert!(p.payload.len() <= 1400);
    }
    assert_eq!(packets[0].ts, ts0);

    let frames: Vec<&[Rtp]> = packets.split_inclusive(|p| p.marker).collect();
    // Paced by wall clock: frame 0 at t=0, then one per 1/15 s.
    let n = frames.len();
    assert!((36..=43).contains(&n), "{n} frames in 2.6 s");
    for (k, frame) in frames.iter().enumerate() {
        let ts = ts0.wrapping_add(6000 * k as u32);
        assert!(frame.iter().all(|p| p.ts == ts), "frame {k} timestamp");
        assert_eq!(frame.iter().filter(|p| p.marker).count(), 1);
        let want: Vec<Vec<u8>> = aus[k % 30].nals.iter().map(|b| b.to_vec()).collect();
        assert_eq!(depacketize(frame), want, "frame {k}");
    }
    // The loop restarts at the IDR with its SPS/PPS.
    assert_eq!(frames[30][0].payload[0] & 0x1f, 7);
    assert!(cam.frames_sent("cam1") >= n as u64);
    assert_eq!(cam.session_count("cam1"), 1);

    let r = c.request("TEARDOWN", &url, &[("Session", &session)]).await;
    assert_eq!(r.status, 200);
    // The server hangs up after TEARDOWN.
    while c.next().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(cam.session_count("cam1"), 0);
    cam.shutdown().await;
}

#[tokio::test]
async fn digest_authentication() {
    let (cam, _) = start(vec![
        Mount::new("cam1").with_credentials("admin", "s3cret"),
        Mount::new("open"),
    ])
    .await;
    let url = cam.url("cam1");
    let mut c = Client::connect(cam.local_addr()).await;

    // OPTIONS needs no credentials, DESCRIBE does.
    assert_eq!(c.request("OPTIONS", &url, &[]).await.status, 200);
    let r = c.request("DESCRIBE", &url, &[]).await;
    assert_eq!(r.status, 401);
    let challenge = r.header("WWW-Authenticate").to_string();
    assert!(challenge.starts_with("Digest "), "{challenge}");
    assert!(challenge.contains("realm=\"") && challenge.contains("nonce=\""));

    let wrong = digest_header(&challenge, "admin", "nope", "DESCRIBE", &url);
    let r = c
        .request("DESCRIBE", &url, &[("Authorization", &wrong)])
        .await;
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").starts_with("Digest "));
    let wrong_user = digest_header(&challenge, "root", "s3cret", "DESCRIBE", &url);
    let r = c
        .request("DESCRIBE", &url, &[("Authorization", &wrong_user)])
        .await;
    assert_eq!(r.status, 401);

    let good = digest_header(&challenge, "admin", "s3cret", "DESCRIBE", &url);
    let r = c
        .request("DESCRIBE", &url, &[("Authorization", &good)])
        .await;
    assert_eq!(r.status, 200);

    // SETUP is authenticated too, with its own method in the digest.
    let track = format!("{url}/trackID=0");
    let transport = ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1");
    let r = c.request("SETUP", &track, &[transport]).await;
    assert_eq!(r.status, 401);
    let r = c
        .request("SETUP", &track, &[transport, ("Authorization", &good)])
        .await;
    assert_eq!(r.status, 401, "a DESCRIBE digest is not valid for SETUP");
    let setup = digest_header(&challenge, "admin", "s3cret", "SETUP", &track);
    let r = c
        .request("SETUP", &track, &[transport, ("Authorization", &setup)])
        .await;
    assert_eq!(r.status, 200);

    // A mount without credentials needs none.
    let mut c2 = Client::connect(cam.local_addr()).await;
    let r = c2.request("DESCRIBE", &cam.url("open"), &[]).await;
    assert_eq!(r.status, 200);
    cam.shutdown().await;
}

#[tokio::test]
async fn error_statuses() {
    let (cam, _) = start(vec![Mount::new("cam1")]).await;
    let url = cam.url("cam1");
    let mut c = Client::connect(cam.local_addr()).await;
    assert_eq!(
        c.request("DESCRIBE", &cam.url("cam9"), &[]).await.status,
        404
    );
    assert_eq!(
        c.request("OPTIONS", &cam.url("cam9"), &[]).await.status,
        404
    );
    assert_eq!(c.request("OPTIONS", "*", &[]).await.status, 200);
    assert_eq!(c.request("PLAY", &url, &[]).await.status, 455);
    assert_eq!(
        c.request("PLAY", &url, &[("Session", "12345")])
            .await
            .status,
        454
    );
    assert_eq!(c.request("RECORD", &url, &[]).await.status, 501);
    assert_eq!(
        c.request("SETUP", &format!("{url}/trackID=0"), &[])
            .await
            .status,
        461
    );

    // Wrong version and missing CSeq.
    c.send_raw(b"OPTIONS * RTSP/2.0\r\nCSeq: 99\r\n\r\n").await;
    let Some(Err(r)) = c.next().await else {
        panic!("response")
    };
    assert_eq!(r.status, 505);
    c.send_raw(b"OPTIONS * RTSP/1.0\r\n\r\n").await;
    let Some(Err(r)) = c.next().await else {
        panic!("response")
    };
    assert_eq!(r.status, 400);

    // Garbage: 400 and hang up.
    c.send_raw(b"\x01\x02 nonsense\r\n\r\n").await;
    let Some(Err(r)) = c.next().await else {
        panic!("response")
    };
    assert_eq!(r.status, 400);
    assert!(c.next().await.is_none());
    cam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_mount_drops_sessions_and_refuses_new_ones() {
    let (cam, _) = start(vec![Mount::new("cam1"), Mount::new("cam2")]).await;
    let mut a = Client::connect(cam.local_addr()).await;
    a.play(&cam.url("cam1"), &[]).await;
    let mut b = Client::connect(cam.local_addr()).await;
    b.play(&cam.url("cam2"), &[]).await;
    for c in [&mut a, &mut b] {
        assert!(c.rtp().await.is_some());
    }
    assert_eq!(cam.session_count("cam1"), 1);

    cam.set_mount_enabled("cam1", false);
    // cam1's connection is closed promptly; cam2 keeps streaming.
    let closed = timeout(Duration::from_secs(2), async {
        while let Some(item) = a.next().await {
            assert!(item.is_ok(), "only RTP before the hang-up");
        }
    })
    .await;
    assert!(closed.is_ok(), "connection not closed after disabling");
    assert!(b.rtp().await.is_some());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(cam.session_count("cam1"), 0);
    let sent = cam.frames_sent("cam1");
    assert!(sent > 0);

    let mut c = Client::connect(cam.local_addr()).await;
    assert_eq!(
        c.request("DESCRIBE", &cam.url("cam1"), &[]).await.status,
        503
    );
    let mut c = Client::connect(cam.local_addr()).await;
    assert_eq!(
        c.request("OPTIONS", &cam.url("cam1"), &[]).await.status,
        503
    );

    cam.set_mount_enabled("cam1", true);
    let mut c = Client::connect(cam.local_addr()).await;
    c.play(&cam.url("cam1"), &[]).await;
    assert!(c.rtp().await.is_some());
    assert!(cam.frames_sent("cam1") > sent);
    cam.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_connections() {
    let (cam, _) = start(vec![Mount::new("cam1")]).await;
    let addr = cam.local_addr();
    let mut c = Client::connect(addr).await;
    c.play(&cam.url("cam1"), &[]).await;
    assert!(c.rtp().await.is_some());
    timeout(Duration::from_secs(3), cam.shutdown())
        .await
        .expect("shutdown finishes");
    let drained = timeout(Duration::from_secs(2), async {
        while c.next().await.is_some() {}
    })
    .await;
    assert!(drained.is_ok());
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

/// Reads `/proc/PID/stat` utime + stime, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// Serves 50 sessions (or `DEMOCAM_LOAD_SESSIONS`) of the 1080p 4 Mbit/s
/// clip for 10 s from the `democam` binary and reports the server's CPU use
/// (utime + stime of its process). Measures, does not assert a budget. Run with
/// `cargo test --release -p mimamori-democam --test protocol -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "10 s load measurement; run explicitly"]
async fn load_50_sessions_1080p_cpu() {
    const SECS: u64 = 10;
    let sessions: usize = std::env::var("DEMOCAM_LOAD_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_democam"))
        .args(["--listen", "127.0.0.1:0", "--clip", BENCH, "--fps", "15"])
        .args(["--mounts", &sessions.to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("democam binary starts");
    let pid = child.id().expect("pid");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut out = String::new();
    let mut chunk = [0u8; 4096];
    while out.matches("READY ").count() < sessions || !out.ends_with('\n') {
        let n = timeout(Duration::from_secs(10), stdout.read(&mut chunk))
            .await
            .expect("READY lines in time")
            .expect("read stdout");
        assert!(n > 0, "democam exited early: {out}");
        out.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    let urls: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("READY "))
        .map(str::to_string)
        .collect();
    let addr: SocketAddr = urls[0]
        .trim_start_matches("rtsp://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("address in URL");

    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let cpu_before = cpu_ticks(pid);
    let wall = Instant::now();
    let mut tasks = Vec::new();
    for url in urls {
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr).await;
            c.play(&url, &[]).await;
            let deadline = Instant::now() + Duration::from_secs(SECS);
            // Count frames and bytes without decoding anything.
            let mut frames = c.pending.iter().filter(|p| p.marker).count() as u64;
            let mut bytes: u64 = c.pending.iter().map(|p| 12 + p.payload.len() as u64).sum();
            let mut buf = std::mem::take(&mut c.buf);
            while Instant::now() < deadline {
                match c.stream.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                while buf.len() >= 4 && buf[0] == b'$' {
                    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
                    if buf.len() < 4 + len {
                        break;
                    }
                    if buf[5] & 0x80 != 0 {
                        frames += 1;
                    }
                    bytes += len as u64;
                    buf.advance(4 + len);
                }
            }
            (frames, bytes)
        }));
    }
    let (mut frames, mut bytes) = (0u64, 0u64);
    let mut min_frames = u64::MAX;
    for t in tasks {
        let (f, b) = t.await.expect("client task");
        frames += f;
        bytes += b;
        min_frames = min_frames.min(f);
    }
    let elapsed = wall.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid) - cpu_before) as f64 / ticks_per_sec;

    // Stop the server; it prints the frames it sent per mount.
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let mut rest = String::new();
    timeout(Duration::from_secs(10), stdout.read_to_string(&mut rest))
        .await
        .expect("democam exits")
        .expect("stdout");
    let _ = child.wait().await;
    let sent_total: u64 = rest
        .lines()
        .find_map(|l| l.strip_prefix("SENT total "))
        .and_then(|v| v.parse().ok())
        .expect("SENT total line");

    println!(
        "LOAD: {sessions} sessions x 1080p15 for {elapsed:.1} s: server CPU {cpu:.2} s \
         ({:.1}% of one core), {frames} frames received (min {min_frames}/session), \
         {:.1} Mbit/s total, server reports {sent_total} frames sent",
        100.0 * cpu / elapsed,
        bytes as f64 * 8.0 / elapsed / 1e6
    );
    assert!(
        min_frames >= 135,
        "a session fell behind: {min_frames} frames"
    );
    assert!(sent_total >= frames);
}
