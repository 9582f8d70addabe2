//! HTTP Digest access authentication (RFC 2617, MD5) for RTSP requests:
//! the `WWW-Authenticate` challenge and checking an `Authorization` header
//! against a mount's credentials.
//!
//! One random nonce is issued per server and stays valid for its lifetime,
//! as many IP cameras do: enough to make the client prove it knows the
//! password, which is all a demo camera needs.

use md5::{Digest as _, Md5};

/// The realm announced in challenges.
pub(crate) const REALM: &str = "mimamori-democam";

/// Digest authentication state of one server.
#[derive(Debug)]
pub(crate) struct DigestAuth {
    nonce: String,
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Splits the parameters of a Digest credentials header into (name, value)
/// pairs, unquoting quoted values (commas inside quotes are kept).
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        out.push((name, value));
    }
    out
}

impl DigestAuth {
    /// A new authenticator with a random nonce.
    pub(crate) fn new() -> Self {
        DigestAuth {
            nonce: hex::encode(rand::random::<[u8; 16]>()),
        }
    }

    /// The `WWW-Authenticate` value of a 401 answer.
    pub(crate) fn challenge(&self) -> String {
        format!(
            "Digest realm=\"{REALM}\", nonce=\"{}\", algorithm=MD5",
            self.nonce
        )
    }

    /// Whether `authorization` (the header value, if any) proves knowledge of
    /// `password` for `user`, for a request with this `method`.
    pub(crate) fn verify(
        &self,
        authorization: Option<&str>,
        method: &str,
        user: &str,
        password: &str,
    ) -> bool {
        let Some(header) = authorization else {
            return false;
        };
        let header = header.trim_start();
        let Some((scheme, params)) = header.split_once(char::is_whitespace) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("Digest") {
            return false;
        }
        let params = parse_params(params);
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let (Some(username), Some(realm), Some(nonce), Some(uri), Some(response)) = (
            get("username"),
            get("realm"),
            get("nonce"),
            get("uri"),
            get("response"),
        ) else {
            return false;
        };
        if username != user || realm != REALM || nonce != self.nonce {
            return false;
        }
        if let Some(alg) = get("algorithm") {
            if !alg.eq_ignore_ascii_case("MD5") {
                return false;
            }
        }
        let ha1 = md5_hex(&[user, REALM, password]);
        let ha2 = md5_hex(&[method, uri]);
        let expected = match get("qop") {
            None => md5_hex(&[&ha1, nonce, &ha2]),
            Some(qop) if qop.eq_ignore_ascii_case("auth") => {
                let (Some(nc), Some(cnonce)) = (get("nc"), get("cnonce")) else {
                    return false;
                };
                md5_hex(&[&ha1, nonce, nc, cnonce, qop, &ha2])
            }
            Some(_) => return false,
        };
        // Constant-time comparison of the hex digests.
        let got = response.to_ascii_lowercase();
        got.len() == expected.len()
            && got
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    #[cfg(test)]
    pub(crate) fn with_nonce(nonce: &str) -> Self {
        DigestAuth {
            nonce: nonce.to_string(),
        }
    }
}

/// Computes a Digest `response` value as a client would (no qop); used by tests.
#[cfg(test)]
pub(crate) fn client_response(
    user: &str,
    password: &str,
    nonce: &str,
    method: &str,
    uri: &str,
) -> String {
    let ha1 = md5_hex(&[user, REALM, password]);
    let ha2 = md5_hex(&[method, uri]);
    md5_hex(&[&ha1, nonce, &ha2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_example_digest() {
        // The worked example of RFC 2617 §3.5 (qop=auth), through the same
        // MD5 chain `verify` uses.
        let ha1 = md5_hex(&["Mufasa", "testrealm@host.com", "Circle Of Life"]);
        let ha2 = md5_hex(&["GET", "/dir/index.html"]);
        let resp = md5_hex(&[
            &ha1,
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "00000001",
            "0a4f113b",
            "auth",
            &ha2,
        ]);
        assert_eq!(resp, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn verifies_digest() {
        let auth = DigestAuth::with_nonce("abc123");
        let uri = "rtsp://127.0.0.1:8554/cam1";
        let resp = client_response("admin", "s3cret", "abc123", "DESCRIBE", uri);
        let header = format!(
            "Digest username=\"admin\", realm=\"{REALM}\", nonce=\"abc123\", uri=\"{uri}\", response=\"{resp}\""
        );
        assert!(auth.verify(Some(&header), "DESCRIBE", "admin", "s3cret"));
        assert!(!auth.verify(Some(&header), "DESCRIBE", "admin", "wrong"));
        assert!(!auth.verify(Some(&header), "SETUP", "admin", "s3cret"));
        assert!(!auth.verify(Some(&header), "DESCRIBE", "other", "s3cret"));
        assert!(!auth.verify(None, "DESCRIBE", "admin", "s3cret"));
        assert!(!auth.verify(
            Some("Basic YWRtaW46czNjcmV0"),
            "DESCRIBE",
            "admin",
            "s3cret"
        ));
        let stale = header.replace("abc123", "zzz");
        assert!(!auth.verify(Some(&stale), "DESCRIBE", "admin", "s3cret"));
    }

    #[test]
    fn verifies_digest_with_qop() {
        let auth = DigestAuth::with_nonce("n0");
        let ha1 = md5_hex(&["u", REALM, "p"]);
        let ha2 = md5_hex(&["PLAY", "rtsp://h/cam1/"]);
        let resp = md5_hex(&[&ha1, "n0", "00000001", "c0ffee", "auth", &ha2]);
        let header = format!(
            "Digest username=\"u\",realm=\"{REALM}\",nonce=\"n0\",uri=\"rtsp://h/cam1/\",\
             qop=auth,nc=00000001,cnonce=\"c0ffee\",response=\"{resp}\",algorithm=MD5"
        );
        assert!(auth.verify(Some(&header), "PLAY", "u", "p"));
    }

    #[test]
    fn parses_quoted_params() {
        let p = parse_params(r#"a="x, y", b=z ,c="q\"r""#);
        assert_eq!(
            p,
            vec![
                ("a".to_string(), "x, y".to_string()),
                ("b".to_string(), "z".to_string()),
                ("c".to_string(), "q\"r".to_string()),
            ]
        );
    }
}
