use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::*;

/// Issue 11, #14: the terminal spoke plain HTTP to anywhere. It uses https://, or http:// to
/// this machine only.
#[test]
fn n9_3_plain_http_is_refused_except_to_this_machine() {
    for ok in [
        "https://office.example",
        "https://192.0.2.10:8443/",
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        assert!(check_server(ok).is_ok(), "{ok}");
    }
    for refused in [
        "http://192.0.2.10:8080",
        "http://office.example",
        "ftp://127.0.0.1/",
        "office",
    ] {
        let err = check_server(refused).unwrap_err().to_string();
        assert!(!err.is_empty(), "{refused}");
    }
    assert!(check_server("http://office.example")
        .unwrap_err()
        .to_string()
        .contains("https://"));
}

/// A TLS server on a loopback port with a certificate for `localhost` from a fresh authority;
/// it answers one request with `{"ok":true}`. Returns the port and the authority's PEM.
fn tls_office() -> (u16, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let Ok(stream) = stream else { continue };
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let mut reader = BufReader::new(&mut tls);
            let mut line = String::new();
            // Read the request head; a client that refused the certificate sends nothing.
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let body = r#"{"ok":true}"#;
            let _ = write!(
                tls,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.flush();
        }
    });
    (port, ca.pem())
}

/// Issue 11, #14: the terminal speaks TLS, trusting the ward's own authority when given one
/// (`--ca`), and refuses a certificate it cannot trust.
#[test]
fn n9_3_the_terminal_speaks_tls_and_trusts_only_the_authority_it_is_given() {
    let (port, ca_pem) = tls_office();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ward-ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let server = format!("https://localhost:{port}");
    // The public roots do not know the ward's authority.
    let untrusted = Client::new(&server, None).unwrap();
    let err = untrusted.call::<(), Value>("GET", "/api/v1/health", None);
    assert!(
        err.is_err(),
        "a certificate from an unknown authority was accepted"
    );
    let trusted = Client::new(&server, Some(&ca)).unwrap();
    let answer: Value = trusted
        .call::<(), Value>("GET", "/api/v1/health", None)
        .unwrap();
    assert_eq!(answer["ok"], true);
}
