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

/// The office's own TLS serving (`mimamori serve --tls-cert --tls-key`, issue 13) on a loopback
/// port, with a certificate for `localhost` from a fresh authority, written as PEM files as a
/// ward would have them; `/api/v1/health` answers `{"ok":true}`. Returns the port and the
/// authority's PEM.
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
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("office.pem"), dir.path().join("office.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let acceptor = mimamori_office::serve::tls_acceptor(&cert_path, &key_path).unwrap();
    let policy = mimamori_policy::Policy::parse(
        "[ward]\nname = \"区\"\noperator = \"区役所\"\n[retention]\ndays = 7\n\
         [[camera]]\nid = \"cam1\"\nname = \"駅前\"\nsite = \"1丁目\"\n\
         url = \"rtsp://127.0.0.1:1/cam1\"\nwithout_credentials = \"試験用\"\n",
        std::path::Path::new("test.toml"),
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let router = axum::Router::new().route(
                "/api/v1/health",
                axum::routing::get(|| async { axum::Json(serde_json::json!({ "ok": true })) }),
            );
            let limits = &policy.office;
            let pending = std::future::pending();
            mimamori_office::serve::serve_with(listener, router, limits, Some(acceptor), pending)
                .await
                .unwrap();
        });
    });
    (port, ca.pem())
}

/// The office over TLS answers no plain HTTP: a request without a handshake is dropped.
#[test]
fn the_office_serving_tls_answers_no_plain_http() {
    let (port, _) = tls_office();
    let plain = Client::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
    assert!(plain
        .call::<(), Value>("GET", "/api/v1/health", None)
        .is_err());
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
