//! RTSP 1.0 wire format (RFC 2326): parsing requests and interleaved
//! binary frames out of a connection's read buffer, and serializing
//! responses. No I/O and no server state.

use std::fmt::Write as _;

use bytes::{Buf, BytesMut};

/// Largest request head (request line + headers) accepted.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Largest request body accepted (bodies are read and ignored).
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// A malformed or oversized message; the connection is answered 400 and closed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProtocolError {
    #[error("request head larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    #[error("request head is not UTF-8")]
    NotUtf8,
    #[error("malformed request line")]
    BadRequestLine,
    #[error("malformed header line")]
    BadHeader,
    #[error("bad Content-Length")]
    BadContentLength,
}

/// One parsed RTSP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) version: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The value of the first header named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The session id of the Session header, without its parameters.
    pub(crate) fn session_id(&self) -> Option<&str> {
        self.header("Session")
            .map(|s| s.split(';').next().unwrap_or("").trim())
    }
}

/// What the client sent next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    Request(Request),
    /// An interleaved binary frame (`$`, channel, length): RTCP from the
    /// client. Consumed and ignored.
    Interleaved,
}

/// Finds the end of the head: returns the index just past the blank line.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            match buf.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if buf.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Takes the next complete message out of `buf`, if there is one.
pub(crate) fn parse(buf: &mut BytesMut) -> Result<Option<Incoming>, ProtocolError> {
    // Tolerate stray line breaks between messages.
    while matches!(buf.first(), Some(b'\r' | b'\n')) {
        buf.advance(1);
    }
    if buf.first() == Some(&b'$') {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if buf.len() < 4 + len {
            return Ok(None);
        }
        buf.advance(4 + len);
        return Ok(Some(Incoming::Interleaved));
    }
    let Some(head_len) = find_head_end(buf) else {
        if buf.len() > MAX_HEAD {
            return Err(ProtocolError::HeadTooLarge);
        }
        return Ok(None);
    };
    if head_len > MAX_HEAD {
        return Err(ProtocolError::HeadTooLarge);
    }
    let head = std::str::from_utf8(&buf[..head_len]).map_err(|_| ProtocolError::NotUtf8)?;
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r'));
    let request_line = lines.next().ok_or(ProtocolError::BadRequestLine)?;
    let mut parts = request_line.split_ascii_whitespace();
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProtocolError::BadRequestLine);
    };
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or(ProtocolError::BadHeader)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(ProtocolError::BadHeader);
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let request = Request {
        method: method.to_string(),
        uri: uri.to_string(),
        version: version.to_string(),
        headers,
    };
    let body_len = match request.header("Content-Length") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_BODY)
            .ok_or(ProtocolError::BadContentLength)?,
    };
    if buf.len() < head_len + body_len {
        return Ok(None);
    }
    buf.advance(head_len + body_len);
    Ok(Some(Incoming::Request(request)))
}

/// The reason phrase of a status code (RFC 2326 §7.1.1).
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        454 => "Session Not Found",
        455 => "Method Not Valid in This State",
        459 => "Aggregate Operation Not Allowed",
        461 => "Unsupported Transport",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "RTSP Version Not Supported",
        _ => "Unknown",
    }
}

/// A response under construction.
#[derive(Debug)]
pub(crate) struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<(&'static str, String)>,
}

impl Response {
    pub(crate) fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn body(mut self, content_type: &'static str, body: String) -> Self {
        self.body = Some((content_type, body));
        self
    }

    /// Serializes the response, echoing the request's CSeq if it had one.
    pub(crate) fn to_bytes(&self, cseq: Option<&str>) -> Vec<u8> {
        let mut s = String::with_capacity(256);
        let _ = write!(s, "RTSP/1.0 {} {}\r\n", self.status, reason(self.status));
        if let Some(cseq) = cseq {
            let _ = write!(s, "CSeq: {cseq}\r\n");
        }
        s.push_str("Server: mimamori-democam\r\n");
        for (name, value) in &self.headers {
            let _ = write!(s, "{name}: {value}\r\n");
        }
        match &self.body {
            Some((content_type, body)) => {
                let _ = write!(
                    s,
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
            None => s.push_str("\r\n"),
        }
        s.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pipelined_requests_and_interleaved_frames() {
        let mut buf = BytesMut::from(
            &b"OPTIONS rtsp://h/cam1 RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: x\r\n\r\n\
               $\x01\x00\x03abcSET_PARAMETER * RTSP/1.0\r\ncseq: 2\r\ncontent-length: 4\r\n\r\nabcd\
               TEARDOWN rtsp://h/cam1 RTSP/1.0\n"[..],
        );
        let Some(Incoming::Request(r)) = parse(&mut buf).unwrap() else {
            panic!("request")
        };
        assert_eq!(
            (r.method.as_str(), r.uri.as_str()),
            ("OPTIONS", "rtsp://h/cam1")
        );
        assert_eq!(r.header("cseq"), Some("1"));
        assert_eq!(parse(&mut buf).unwrap(), Some(Incoming::Interleaved));
        let Some(Incoming::Request(r)) = parse(&mut buf).unwrap() else {
            panic!("request")
        };
        assert_eq!(r.header("CSeq"), Some("2"));
        // Incomplete head: wait for more.
        assert_eq!(parse(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"CSeq: 3\nSession: abc;timeout=60\n\n");
        let Some(Incoming::Request(r)) = parse(&mut buf).unwrap() else {
            panic!("request")
        };
        assert_eq!(r.session_id(), Some("abc"));
        assert!(buf.is_empty());
    }

    #[test]
    fn rejects_malformed() {
        let mut buf = BytesMut::from(&b"GARBAGE\r\n\r\n"[..]);
        assert_eq!(parse(&mut buf), Err(ProtocolError::BadRequestLine));
        let mut buf = BytesMut::from(&b"OPTIONS * RTSP/1.0\r\nnocolon\r\n\r\n"[..]);
        assert_eq!(parse(&mut buf), Err(ProtocolError::BadHeader));
        let mut buf = BytesMut::from(&b"OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n"[..]);
        assert_eq!(parse(&mut buf), Err(ProtocolError::BadContentLength));
        let mut buf = BytesMut::from(&vec![b'A'; MAX_HEAD + 1][..]);
        assert_eq!(parse(&mut buf), Err(ProtocolError::HeadTooLarge));
        let mut buf = BytesMut::from(&b"OPTIONS * RTSP/1.0\r\nX: \xff\r\n\r\n"[..]);
        assert_eq!(parse(&mut buf), Err(ProtocolError::NotUtf8));
    }

    #[test]
    fn random_input_never_panics() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let seed = b"SETUP rtsp://h/cam1/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nContent-Length: 2\r\n\r\nab$\x00\x00\x01x";
        for _ in 0..5000 {
            let mut data = seed.to_vec();
            for _ in 0..(next() % 6) {
                let i = (next() % data.len() as u64) as usize;
                data[i] = next() as u8;
            }
            data.truncate((next() % (data.len() as u64 + 1)) as usize);
            let mut buf = BytesMut::from(&data[..]);
            while let Ok(Some(_)) = parse(&mut buf) {}
        }
    }

    #[test]
    fn serializes_response() {
        let r = Response::new(200)
            .header("Public", "OPTIONS")
            .body("application/sdp", "v=0\r\n".into());
        let s = String::from_utf8(r.to_bytes(Some("5"))).unwrap();
        assert_eq!(
            s,
            "RTSP/1.0 200 OK\r\nCSeq: 5\r\nServer: mimamori-democam\r\nPublic: OPTIONS\r\n\
             Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"
        );
    }
}
