//! Routes answer as documented; nothing streams footage.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use mimamori_recorder::SystemClock;

use crate::testutil::{office_at, POLICY};
use crate::Shared;
use tower::ServiceExt;

async fn context(dir: &Path) -> Shared {
    office_at(dir, POLICY, Arc::new(SystemClock)).await
}

async fn get(office: &Shared, uri: &str) -> (StatusCode, String) {
    let response = crate::router(office.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn health_lists_every_policy_camera() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = get(&context(dir.path()).await, "/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["cameras"][0]["id"], "cam1");
    assert_eq!(json["cameras"][0]["state"], "unknown");
    assert_eq!(json["retention_days"], 10);
    assert!(json["local_time"].as_str().unwrap().ends_with("JST"));
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = get(&context(dir.path()).await, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("mimamori_frames_received_total{camera=\"cam1\"} 0"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE mimamori_stored_bytes gauge"),
        "{body}"
    );
}

#[tokio::test]
async fn n6_3_no_live_view_or_footage_route_exists() {
    let dir = tempfile::tempdir().unwrap();
    let office = context(dir.path()).await;
    for uri in [
        "/api/v1/live",
        "/api/v1/cameras/cam1/live",
        "/api/v1/cameras/cam1/stream",
        "/api/v1/cameras/cam1/view.mp4",
        "/api/v1/export",
        "/api/v1/segments",
    ] {
        let (status, _) = get(&office, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The `proof` member of a proof response, as hashes.
fn proof_of(body: &str) -> Vec<mimamori_ledger::Hash> {
    use base64::prelude::{Engine, BASE64_STANDARD};
    let hashes = json(body)["proof"].as_array().unwrap().clone();
    hashes
        .iter()
        .map(|h| {
            let raw = BASE64_STANDARD.decode(h.as_str().unwrap()).unwrap();
            mimamori_ledger::Hash(raw.try_into().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn n3_2_1_ledger_routes_publish_checkpoints_keys_and_proofs() {
    use mimamori_ledger::tree::{check_record, check_tree, leaf_hash};
    use mimamori_ledger::{CheckpointBody, TrustedKeys};

    let dir = tempfile::tempdir().unwrap();
    let office = context(dir.path()).await;
    let ctx = office.recorder().clone();
    let (status, _) = get(&office, "/api/v1/ledger/checkpoint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let notary = office.notary.clone();
    let events: Vec<_> = (0..20)
        .map(|i| {
            let body = mimamori_db::vocabulary::RecorderStarted { cameras: i };
            mimamori_db::Event::system("test", mimamori_db::EventBody::RecorderStarted(body))
        })
        .collect();
    ctx.db.append_events(&events).await.unwrap();
    notary.sign_checkpoint().await.unwrap();

    let (_, keys) = get(&office, "/api/v1/ledger/keys").await;
    let vkey = json(&keys)["keys"][0]["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let trusted = TrustedKeys::parse(&vkey).unwrap();
    let (status, note) = get(&office, "/api/v1/ledger/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    let head = CheckpointBody::open(note.as_bytes(), &trusted).unwrap();
    assert_eq!(head.size, 21);
    assert_eq!(head.origin, "mimamori/テスト区");
    let (_, list) = get(&office, "/api/v1/ledger/checkpoints").await;
    assert_eq!(json(&list)["checkpoints"][0]["signed_note"], note.as_str());

    let (status, body) = get(&office, "/api/v1/ledger/proof/inclusion?index=7&size=21").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let proof = proof_of(&body);
    let leaf = leaf_hash(
        &ctx.db
            .event_at(7)
            .await
            .unwrap()
            .unwrap()
            .canonical_bytes()
            .unwrap(),
    );
    check_record(&proof, 21, head.root, 7, leaf).unwrap();

    let (status, body) = get(&office, "/api/v1/ledger/proof/consistency?old=5&new=21").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let proof = proof_of(&body);
    let old_root = ctx.db.ledger_root(5).await.unwrap();
    check_tree(&proof, 21, head.root, 5, old_root).unwrap();

    for (uri, code) in [
        (
            "/api/v1/ledger/proof/inclusion?index=21&size=21",
            "bad_proof_request",
        ),
        (
            "/api/v1/ledger/proof/inclusion?index=1&size=99",
            "bad_proof_request",
        ),
        ("/api/v1/ledger/proof/inclusion?index=x&size=2", "bad_query"),
        (
            "/api/v1/ledger/proof/consistency?old=0&new=2",
            "bad_proof_request",
        ),
        ("/api/v1/ledger/checkpoints?limit=0", "bad_page"),
    ] {
        let (status, body) = get(&office, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(json(&body)["error"]["code"], code, "{uri}");
        assert!(json(&body)["error"]["message_ja"].is_string());
    }
}

/// Every route call in the crate's sources (`route("PATH", get(a).post(b))` after a dot), as
/// (method, path). The needle is assembled so this function's own source is not a match. The
/// staff screens (`src/web/`) answer HTML to browsers and are not part of the API.
fn routes_in_source() -> std::collections::BTreeSet<(String, String)> {
    let needle = concat!(".", "route(");
    let mut found = std::collections::BTreeSet::new();
    let mut sources = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut files = Vec::new();
    while let Some(dir) = sources.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("web") {
                    sources.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(needle) {
            let call = text[at + needle.len()..].trim_start();
            let Some(call) = call.strip_prefix('"') else {
                continue;
            };
            let (route, rest) = call.split_once('"').unwrap();
            // The method routers are the calls at the top level of the route call's arguments.
            let (mut depth, mut ident) = (1, String::new());
            for c in rest.chars() {
                match c {
                    '(' => {
                        if depth == 1 && !ident.is_empty() {
                            found.insert((ident.clone(), route.to_owned()));
                        }
                        ident.clear();
                        depth += 1;
                    }
                    ')' => {
                        ident.clear();
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    c if c.is_alphanumeric() || c == '_' => ident.push(c),
                    _ => ident.clear(),
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = get(&context(dir.path()).await, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc = json(&body);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let methods = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_string(), path.clone()))
        })
        .collect();
    let routed = routes_in_source();
    assert!(
        routed.len() > 20,
        "the scanner found too little: {routed:?}"
    );
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in openapi.json: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );

    // Every reference resolves, so the document is usable as it stands.
    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(map) => {
                out.extend(map.get("$ref").and_then(|r| r.as_str()));
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external {r}"));
        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
    }

    // Every operation says what it is, where it belongs and, unless it is a public page,
    // which rule it carries out; a route with a body says what goes wrong with one.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| s.len() > 5),
                "{name}: no summary"
            );
            let tag = op["tags"][0]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no tag"));
            assert!(
                tag == "public" || !op["x-rule"].is_null(),
                "{name}: no x-rule"
            );
            assert!(op["responses"]["500"].is_object(), "{name}: no 500");
            if !op["requestBody"].is_null() {
                assert!(op["responses"]["422"].is_object(), "{name}: no 422");
            }
        }
    }
    let mut ids = std::collections::BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
        }
    }
    // Times are RFC 3339 strings, described as such.
    assert_eq!(
        doc["components"]["schemas"]["InstructionView"]["properties"]["from"],
        serde_json::json!({"type": "string", "format": "date-time"})
    );
    assert!(doc["components"]["schemas"]["String"].is_null());
    if std::env::var_os("MIMAMORI_PRINT_OPENAPI").is_some() {
        println!("{body}");
    }
}

/// Issue 11, #20: a start with a changed policy file is on the ledger, with the file's hash and
/// what changed; a start with the same file adds nothing.
#[tokio::test]
async fn n3_2_1_a_changed_policy_is_on_the_ledger_with_what_changed() {
    use crate::testutil::fixed_clock;
    use mimamori_db::{EventBody, EventKind};
    use mimamori_recorder::record_policy;
    let dir = tempfile::tempdir().unwrap();
    let office = office_at(dir.path(), POLICY, fixed_clock()).await;
    assert!(record_policy(office.recorder()).await.unwrap());
    assert!(
        !record_policy(office.recorder()).await.unwrap(),
        "the same file: nothing new"
    );
    let changed = POLICY.replace("days = 10", "days = 30");
    let office = office_at(dir.path(), &changed, fixed_clock()).await;
    assert!(record_policy(office.recorder()).await.unwrap());
    let events = office
        .db
        .events(Some(EventKind::PolicyLoaded))
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].rule.as_deref(), Some("N3.2.1"));
    let EventBody::PolicyLoaded(loaded) = events[1].body().unwrap() else {
        panic!("not a policy event");
    };
    assert_eq!(loaded.changes, ["retention.days: 10 → 30"]);
    assert_eq!(loaded.sha256, office.policy.source_sha256);
    assert_eq!(loaded.settings["retention.days"], "30");
}

/// Issue 11, #10: an unfinished header block held its connection open for as long as the
/// client liked, and there was no cap on connections. Now the headers must arrive within
/// `header_timeout_seconds`, one connection beyond `max_connections` is closed at once, and a
/// request whose body never comes is answered `request_timeout` (408).
#[tokio::test]
async fn n3_3_1_the_server_closes_slow_and_surplus_connections() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let dir = tempfile::tempdir().unwrap();
    let settings = "header_timeout_seconds = 1\nrequest_timeout_seconds = 5\nmax_connections = 8\n";
    let server = Serving::start(dir.path(), settings).await;
    let addr = server.addr;
    // Reads until the server closes the connection; what it sent, and when it closed.
    async fn until_closed(mut conn: TcpStream) -> (String, Duration) {
        let start = Instant::now();
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut got));
        read.await.expect("the server closes the connection").ok();
        (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
    }
    let half = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(half).await.unwrap();
    let (_, took) = until_closed(slow).await;
    assert!(took < Duration::from_secs(5), "held {took:?}");

    // Eight slow clients take every slot; a ninth is closed unanswered.
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(half).await.unwrap();
        held.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut surplus = TcpStream::connect(addr).await.unwrap();
    surplus
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .ok();
    let (answer, _) = until_closed(surplus).await;
    assert_eq!(answer, "", "a connection beyond the cap is closed at once");
    for c in held {
        until_closed(c).await;
    }
    let mut fine = TcpStream::connect(addr).await.unwrap();
    fine.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(fine).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A body that never comes.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\nConnection: close\r\n\r\n{",
        )
        .await
        .unwrap();
    let (answer, took) = until_closed(stalled).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    server.stop().await;
}

/// Issue 11, #9 and #17: one address tried sign-ins without limit, each a ledger event. Beyond
/// `signin_attempts_per_minute` it gets 429 before anything is hashed, and only the first
/// refusal of the minute is recorded.
#[tokio::test]
async fn n3_3_1_one_address_trying_many_sign_ins_is_slowed_and_does_not_flood_the_ledger() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let server = Serving::start(dir.path(), "signin_attempts_per_minute = 3\n").await;
    let (addr, db) = (server.addr, server.db.clone());
    let sign_in = |login: &'static str| async move {
        let body = format!(r#"{{"login":"{login}","password":"wrong password!"}}"#);
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let events = || async {
        db.events(Some(mimamori_db::EventKind::SigninRefused))
            .await
            .unwrap()
            .len()
    };
    for login in ["a1", "a2", "a3"] {
        assert!(sign_in(login).await.starts_with("HTTP/1.1 401"));
    }
    assert_eq!(events().await, 3);
    for login in ["a4", "a5", "a6"] {
        let answer = sign_in(login).await;
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert!(answer.contains("too_many_attempts"), "{answer}");
    }
    assert_eq!(
        events().await,
        4,
        "one event for the first refusal of the minute"
    );
    server.stop().await;
}

/// Issue 14: behind the ward's own proxy (`trusted_proxies`), the inquiry form counts each
/// client the proxy forwards, not the proxy; without the setting, the header is not believed.
#[tokio::test]
async fn t3_3_the_inquiry_limit_counts_the_client_a_trusted_proxy_forwards() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let send = |addr: std::net::SocketAddr, client: &'static str| async move {
        let body = r#"{"category":"inquiry","message":"質問です"}"#;
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST /api/v1/inquiries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             X-Forwarded-For: {client}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let limit = "inquiries = { per_address_per_hour = 1 }\n";
    let dir = tempfile::tempdir().unwrap();
    let proxied = format!("trusted_proxies = [\"127.0.0.1\"]\n{limit}");
    let server = Serving::start(dir.path(), &proxied).await;
    assert!(send(server.addr, "198.51.100.1")
        .await
        .starts_with("HTTP/1.1 201"));
    assert!(send(server.addr, "198.51.100.2")
        .await
        .starts_with("HTTP/1.1 201"));
    let again = send(server.addr, "198.51.100.1").await;
    assert!(again.starts_with("HTTP/1.1 429"), "{again}");
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let server = Serving::start(dir.path(), limit).await;
    assert!(send(server.addr, "198.51.100.1")
        .await
        .starts_with("HTTP/1.1 201"));
    let spoofed = send(server.addr, "198.51.100.2").await;
    assert!(spoofed.starts_with("HTTP/1.1 429"), "{spoofed}");
    server.stop().await;
}

/// Issue 11 (fuzzing): the office's own parsers of outside input — grant notes, terminal keys
/// and signatures, history records — answer a value or `false`/`None` for anything; none
/// panics.
mod never_panics {
    use proptest::prelude::*;

    use crate::grant::{
        parse_public_key, terminal_signed, terminal_signed_record, GrantClaims, TerminalKey,
    };
    use crate::wire;
    use serde_json::Value;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            Just(Value::String("2026-11".into())),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("month".to_owned()),
                        Just("entries".to_owned()),
                        Just("grant".to_owned()),
                        Just("terminal".to_owned()),
                        "[a-z_]{1,8}",
                    ],
                    inner,
                    0..5,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn grant_notes_keys_and_signatures(
            text in "[\\PC\\n]{0,300}",
            key in "\\PC{0,60}",
            signature in "\\PC{0,100}",
            bytes in prop::collection::vec(any::<u8>(), 0..200),
        ) {
            let _ = GrantClaims::parse(&text);
            let _ = parse_public_key(&key);
            prop_assert!(!terminal_signed(&key, &text, &signature) || parse_public_key(&key).is_some());
            let _ = terminal_signed_record(&key, "ctx", &bytes, &signature);
            // A real key never accepts a random signature.
            let real = TerminalKey::generate("pc-1");
            prop_assert!(!terminal_signed(&real.public_key(), &text, &signature));
        }

        /// A terminal's history and every request body, as JSON of any shape: read or refused.
        #[test]
        fn histories_and_request_bodies(value in json()) {
            if let Ok((month, _)) = crate::workflow::history::read_history(&value) {
                prop_assert_eq!(month.len(), 7);
            }
            let _ = serde_json::from_value::<wire::OrderInput>(value.clone());
            let _ = serde_json::from_value::<wire::InstructionInput>(value.clone());
            let _ = serde_json::from_value::<wire::ProvisionInput>(value.clone());
            let _ = serde_json::from_value::<wire::EmergencyInput>(value.clone());
            let _ = serde_json::from_value::<wire::SubmittedHistory>(value.clone());
            let _ = serde_json::from_value::<wire::NewAccount>(value.clone());
            let _ = serde_json::from_value::<wire::Enrol>(value.clone());
            let _ = serde_json::from_value::<wire::RetrievalInput>(value);
        }
    }
}

/// The API served over real TCP on a loopback port, with `settings` added to `[office]`.
struct Serving {
    addr: std::net::SocketAddr,
    db: mimamori_db::Db,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Serving {
    async fn start(dir: &Path, settings: &str) -> Serving {
        let policy = POLICY.replace("[office]\n", &format!("[office]\n{settings}"));
        let office = office_at(dir, &policy, crate::testutil::fixed_clock()).await;
        let db = office.db.clone();
        let limits = office.policy.office.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            crate::serve::serve(listener, crate::router(office), &limits, async {
                stopped.await.ok();
            })
            .await
        });
        Serving {
            addr,
            db,
            stop,
            task,
        }
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}
