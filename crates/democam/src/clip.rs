//! The looped clip: an H.264 Annex-B stream parsed once into access units
//! and pre-packetized into RTP payloads (RFC 6184: single NAL unit packets
//! and FU-A fragments), shared read-only by every session; plus the SDP
//! that describes it.

use std::net::IpAddr;
use std::ops::Range;

use base64::Engine as _;
use bytes::Bytes;
use mimamori_media::h264;

use crate::Error;

/// Largest RTP payload this server sends; NAL units larger than this are
/// split into FU-A fragments. Keeps packets under a 1500-byte MTU.
pub const MAX_RTP_PAYLOAD: usize = 1400;

/// RTP payload type announced in the SDP.
pub const PAYLOAD_TYPE: u8 = 96;

/// RTP clock rate of H.264 (RFC 6184 §8.2.1).
pub const CLOCK_RATE: u64 = 90_000;

/// Highest accepted frame rate.
pub const MAX_FPS: u32 = 1000;

/// One pre-built RTP payload.
#[derive(Debug, Clone)]
pub(crate) struct Packet {
    /// The RTP payload: a whole NAL unit, or FU indicator + FU header + fragment.
    pub(crate) payload: Bytes,
    /// Set on the last packet of an access unit (the RTP marker bit).
    pub(crate) marker: bool,
}

/// A clip ready to be served: parsed and packetized once, then shared by
/// all sessions through an `Arc`.
#[derive(Debug)]
pub struct Clip {
    packets: Vec<Packet>,
    frames: Vec<Range<usize>>,
    fps: u32,
    sps: Bytes,
    pps: Bytes,
    profile_level_id: String,
    width: u32,
    height: u32,
    max_packets_per_frame: usize,
    bytes_per_loop: usize,
}

enum Src {
    Whole(Bytes),
    Arena(Range<usize>),
}

impl Clip {
    /// Parses an H.264 Annex-B stream and pre-packetizes it for RTP.
    ///
    /// Access units before the first IDR are dropped, so every session
    /// (which starts at frame 0) starts at an IDR.
    pub fn from_annexb(bytes: &[u8], fps: u32) -> Result<Self, Error> {
        if fps == 0 || fps > MAX_FPS {
            return Err(Error::InvalidFps(fps));
        }
        let data = Bytes::copy_from_slice(bytes);
        let aus = h264::access_units(&data)?;
        let first_idr = aus.iter().position(|au| au.is_idr).ok_or(Error::NoIdr)?;
        let aus = &aus[first_idr..];
        let (sps, pps) = h264::parameter_sets(aus)?;
        let info = h264::parse_sps(&sps)?;
        let profile_level_id = h264::profile_level_id(&sps)?;

        let mut arena: Vec<u8> = Vec::new();
        let mut srcs: Vec<(Src, bool)> = Vec::new();
        let mut frames = Vec::with_capacity(aus.len());
        for au in aus {
            let start = srcs.len();
            for nal in &au.nals {
                if nal.len() <= MAX_RTP_PAYLOAD {
                    srcs.push((Src::Whole(nal.clone()), false));
                    continue;
                }
                // FU-A (RFC 6184 §5.8): the NAL header byte is replaced by
                // the FU indicator (F, NRI, type 28) and FU header (S, E, type).
                let indicator = (nal[0] & 0xE0) | 28;
                let nal_type = nal[0] & 0x1F;
                let body = &nal[1..];
                let chunks = body.chunks(MAX_RTP_PAYLOAD - 2);
                let n = chunks.len();
                for (i, chunk) in chunks.enumerate() {
                    let mut header = nal_type;
                    if i == 0 {
                        header |= 0x80;
                    }
                    if i + 1 == n {
                        header |= 0x40;
                    }
                    let at = arena.len();
                    arena.push(indicator);
                    arena.push(header);
                    arena.extend_from_slice(chunk);
                    srcs.push((Src::Arena(at..arena.len()), false));
                }
            }
            if let Some(last) = srcs.last_mut() {
                last.1 = true;
            }
            frames.push(start..srcs.len());
        }
        let arena = Bytes::from(arena);
        let packets: Vec<Packet> = srcs
            .into_iter()
            .map(|(src, marker)| Packet {
                payload: match src {
                    Src::Whole(b) => b,
                    Src::Arena(r) => arena.slice(r),
                },
                marker,
            })
            .collect();
        let max_packets_per_frame = frames.iter().map(|r| r.len()).max().unwrap_or(0);
        let bytes_per_loop = packets.iter().map(|p| p.payload.len() + 16).sum();
        Ok(Clip {
            packets,
            frames,
            fps,
            sps,
            pps,
            profile_level_id,
            width: info.width,
            height: info.height,
            max_packets_per_frame,
            bytes_per_loop,
        })
    }

    /// Number of access units (frames) in one loop of the clip.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Frames per second the clip is played at.
    pub fn fps(&self) -> u32 {
        self.fps
    }

    /// Picture width in pixels, from the SPS.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Picture height in pixels, from the SPS.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The SPS NAL unit announced in the SDP.
    pub fn sps(&self) -> &Bytes {
        &self.sps
    }

    /// The PPS NAL unit announced in the SDP.
    pub fn pps(&self) -> &Bytes {
        &self.pps
    }

    /// Bytes written per loop of the clip on one session (RTP + interleave headers included).
    pub fn bytes_per_loop(&self) -> usize {
        self.bytes_per_loop
    }

    /// The RTP packets of frame `index % frame_count()`.
    pub(crate) fn frame_packets(&self, index: u64) -> &[Packet] {
        let n = self.frames.len() as u64;
        // `frames` is never empty: `from_annexb` requires an IDR access unit.
        let range = self.frames[(index % n) as usize].clone();
        &self.packets[range]
    }

    pub(crate) fn max_packets_per_frame(&self) -> usize {
        self.max_packets_per_frame
    }

    /// RTP timestamp offset of frame number `n` (counted from the start of
    /// the session, across loops) on the 90 kHz clock; exact, no drift.
    pub(crate) fn rtp_ticks(&self, n: u64) -> u64 {
        n * CLOCK_RATE / u64::from(self.fps)
    }

    /// Wall-clock offset of frame number `n` from the start of play.
    pub(crate) fn frame_offset(&self, n: u64) -> std::time::Duration {
        let nanos = u128::from(n) * 1_000_000_000 / u128::from(self.fps);
        std::time::Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The session description (RFC 4566) for a DESCRIBE answer.
    pub(crate) fn sdp(&self, origin: IpAddr, session_id: u64) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (family, c_addr) = match origin {
            IpAddr::V4(_) => ("IP4", "0.0.0.0"),
            IpAddr::V6(_) => ("IP6", "::"),
        };
        format!(
            "v=0\r\n\
             o=- {session_id} 1 IN {family} {origin}\r\n\
             s=mimamori demo camera\r\n\
             c=IN {family} {c_addr}\r\n\
             t=0 0\r\n\
             a=control:*\r\n\
             a=range:npt=0-\r\n\
             m=video 0 RTP/AVP {pt}\r\n\
             a=rtpmap:{pt} H264/90000\r\n\
             a=fmtp:{pt} packetization-mode=1;profile-level-id={pli};sprop-parameter-sets={sps},{pps}\r\n\
             a=framerate:{fps}\r\n\
             a=x-dimensions:{w},{h}\r\n\
             a=control:trackID=0\r\n",
            pt = PAYLOAD_TYPE,
            pli = self.profile_level_id,
            sps = b64.encode(&self.sps),
            pps = b64.encode(&self.pps),
            fps = self.fps,
            w = self.width,
            h = self.height,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/clips/demo-360p15.h264"
    );

    fn demo() -> Clip {
        let bytes = std::fs::read(DEMO).expect("demo clip");
        Clip::from_annexb(&bytes, 15).expect("demo clip parses")
    }

    /// Reassembles the NAL units of one frame from its RTP payloads.
    fn depacketize(packets: &[Packet]) -> Vec<Vec<u8>> {
        let mut nals = Vec::new();
        let mut fu: Option<Vec<u8>> = None;
        for p in packets {
            let b = &p.payload;
            assert!(b.len() <= MAX_RTP_PAYLOAD);
            if b[0] & 0x1F == 28 {
                let (ind, hdr) = (b[0], b[1]);
                if hdr & 0x80 != 0 {
                    assert!(fu.is_none());
                    fu = Some(vec![(ind & 0xE0) | (hdr & 0x1F)]);
                }
                let buf = fu.as_mut().expect("FU start");
                buf.extend_from_slice(&b[2..]);
                if hdr & 0x40 != 0 {
                    nals.push(fu.take().expect("FU"));
                }
            } else {
                assert!(fu.is_none());
                nals.push(b.to_vec());
            }
        }
        assert!(fu.is_none());
        nals
    }

    #[test]
    fn packetizes_demo_clip_losslessly() {
        let clip = demo();
        assert_eq!(clip.frame_count(), 150);
        assert_eq!((clip.width(), clip.height()), (640, 360));
        let data = Bytes::from(std::fs::read(DEMO).expect("demo clip"));
        let aus = h264::access_units(&data).expect("parses");
        let mut saw_fu = false;
        for (i, au) in aus.iter().enumerate() {
            let packets = clip.frame_packets(i as u64);
            // Exactly one marker, on the last packet.
            let markers: Vec<bool> = packets.iter().map(|p| p.marker).collect();
            assert_eq!(markers.iter().filter(|m| **m).count(), 1);
            assert_eq!(markers.last(), Some(&true));
            saw_fu |= packets.iter().any(|p| p.payload[0] & 0x1F == 28);
            let nals = depacketize(packets);
            let want: Vec<Vec<u8>> = au.nals.iter().map(|n| n.to_vec()).collect();
            assert_eq!(nals, want, "frame {i}");
        }
        assert!(saw_fu);
        // Looping wraps to the first (IDR) frame.
        assert_eq!(
            clip.frame_packets(150)[0].payload,
            clip.frame_packets(0)[0].payload
        );
        assert_eq!(clip.frame_packets(0)[0].payload[0] & 0x1F, 7);
    }

    #[test]
    fn timing_is_exact() {
        let clip = demo();
        assert_eq!(clip.rtp_ticks(1), 6000);
        assert_eq!(clip.rtp_ticks(150), 900_000);
        assert_eq!(clip.frame_offset(15), std::time::Duration::from_secs(1));
    }

    #[test]
    fn sdp_announces_parameter_sets() {
        let clip = demo();
        let sdp = clip.sdp("127.0.0.1".parse().expect("ip"), 7);
        assert!(sdp.contains("m=video 0 RTP/AVP 96\r\n"));
        assert!(sdp.contains("a=rtpmap:96 H264/90000\r\n"));
        assert!(sdp.contains("profile-level-id=640016;"));
        assert!(
            sdp.contains("sprop-parameter-sets=Z2QAFqy0BQF/y4CIAAADAAgAAAMA8HixdQ==,aO88sA==\r\n")
        );
        assert!(sdp.contains("a=control:trackID=0\r\n"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            Clip::from_annexb(&[0, 0, 1, 0x67], 0),
            Err(Error::InvalidFps(0))
        ));
        assert!(matches!(
            Clip::from_annexb(&[0, 0, 1, 0x41, 0x9a], 15),
            Err(Error::NoIdr)
        ));
        assert!(matches!(
            Clip::from_annexb(b"not h264", 15),
            Err(Error::Clip(h264::H264Error::NoStartCode))
        ));
    }
}
