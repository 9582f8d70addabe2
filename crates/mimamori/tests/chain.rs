//! End-to-end for the office (issue 4): from an empty ward to a playable, verified clip, only
//! through the chain. A real `mimamori serve` records a GStreamer camera; the first
//! Administrator is bootstrapped at the server; every other account, appointment, terminal,
//! order and instruction goes over HTTP; the handler retrieves with the `mimamori terminal`
//! CLI holding the terminal's own key; the report completes Form 1.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

struct Api {
    base: String,
}

impl Api {
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = ureq::request(method, &format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        (status, response.into_json().unwrap_or(Value::Null))
    }

    fn ok(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let (status, answer) = self.call(method, path, Some(token), Some(body));
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    /// N12: acknowledges the confidentiality pledge.
    fn pledge(&self, token: &str) {
        let (_, pledge) = self.call("GET", "/api/v1/me/pledge", Some(token), None);
        self.ok(
            "POST",
            "/api/v1/me/pledge",
            token,
            json!({ "sha256": pledge["sha256"] }),
        );
    }

    /// Signs in for the first time: changes the initial password and acknowledges the pledge.
    fn first_sign_in(&self, login: &str, initial: &str) -> String {
        let (status, answer) = self.call(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({ "login": login, "password": initial })),
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["password_change_due"], true);
        let token = answer["token"].as_str().unwrap().to_owned();
        let new = format!("{login}-chosen-password");
        self.ok(
            "POST",
            "/api/v1/me/password",
            &token,
            json!({ "current": initial, "new": new }),
        );
        self.pledge(&token);
        token
    }

    /// The holder of a new account sets `{login}-chosen-password` with the enrolment code,
    /// signs in and acknowledges the pledge (N3.3.1; issue 11, #1).
    fn enrol(&self, login: &str, code: &str) -> String {
        let password = format!("{login}-chosen-password");
        let (status, answer) = self.call(
            "POST",
            "/api/v1/enrol",
            None,
            Some(json!({ "login": login, "code": code, "password": password })),
        );
        assert_eq!(status, 204, "{answer}");
        let (status, answer) = self.call(
            "POST",
            "/api/v1/sessions",
            None,
            Some(json!({ "login": login, "password": password })),
        );
        assert_eq!(status, 200, "{answer}");
        let token = answer["token"].as_str().unwrap().to_owned();
        self.pledge(&token);
        token
    }
}

fn terminal_retrieve(server: &str, key: &Path, request: i64, out: &Path) -> Output {
    mimamori()
        .args([
            "terminal", "retrieve", "--server", server, "--login", "sato",
        ])
        .arg("--key")
        .arg(key)
        .args(["--request", &request.to_string()])
        .arg("--out")
        .arg(out)
        .env("MIMAMORI_PASSWORD", "sato-chosen-password")
        .output()
        .unwrap()
}

#[test]
fn n9_t5_2_order_instruction_retrieval_report_ends_in_a_verified_playable_clip() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_cams, policy) = one_camera(dir.path());
    let started = Timestamp::now();
    let server = Server::start(&data, &policy);
    let api = Api {
        base: format!("http://{}", server.listen),
    };

    // The first Administrator, at the server; a second bootstrap is refused.
    let bootstrap = |login: &str| {
        mimamori()
            .args([
                "staff",
                "bootstrap",
                "--login",
                login,
                "--name",
                "管理者",
                "--data-dir",
            ])
            .arg(&data)
            .env("MIMAMORI_PASSWORD", "bootstrap-pass-1")
            .output()
            .unwrap()
    };
    ok(bootstrap("admin"));
    assert!(!bootstrap("admin2").status.success());
    let admin = api.first_sign_in("admin", "bootstrap-pass-1");

    // Each person sets their own password with the code the Administrator hands over.
    let mut sessions = std::collections::BTreeMap::new();
    for (login, name) in [("mayor", "区長"), ("lead", "係長"), ("sato", "佐藤")] {
        let created = api.ok(
            "POST",
            "/api/v1/staff",
            &admin,
            json!({ "login": login, "name": name }),
        );
        let code = created["enrolment"]["code"].as_str().unwrap();
        sessions.insert(login, api.enrol(login, code));
    }
    api.ok(
        "POST",
        "/api/v1/staff/mayor/appointments",
        &admin,
        json!({ "role": "manager" }),
    );
    let mayor = sessions["mayor"].clone();
    for (login, role) in [("lead", "operations_lead"), ("sato", "image_handler")] {
        api.ok(
            "POST",
            &format!("/api/v1/staff/{login}/appointments"),
            &mayor,
            json!({ "role": role }),
        );
    }
    let lead = sessions["lead"].clone();

    // The terminal makes its own key; the Operations lead registers the public half.
    // The ward's keys reach the terminal by hand (here: the office's published list), and are
    // pinned there: the package is verified against them, not against the server's answer.
    let key = dir.path().join("terminal").join("pc-1.key");
    let (_, published) = api.call("GET", "/api/v1/ledger/keys", None, None);
    let keys_file = dir.path().join("ward-keys.txt");
    let lines: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["verifier_key"].as_str().unwrap())
        .collect();
    std::fs::write(&keys_file, lines.join("\n")).unwrap();
    let init = ok(mimamori()
        .args(["terminal", "init", "--id", "pc-1", "--key"])
        .arg(&key)
        .arg("--ward-keys")
        .arg(&keys_file)
        .output()
        .unwrap());
    let registration: Value = serde_json::from_str(init.lines().last().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {init:?}"));
    api.ok(
        "POST",
        "/api/v1/terminals",
        &lead,
        json!({
            "id": "pc-1", "name": "専用端末", "location": "防犯係 執務室", "custodian": "係長",
            "public_key": registration["public_key"],
        }),
    );

    std::thread::sleep(Duration::from_secs(12));
    let order = api.ok(
        "POST",
        "/api/v1/orders",
        &mayor,
        json!({
            "purpose": "ひったくり事件の確認", "reason": "110番通報（駅前）",
            "basis": { "kind": "t6_1_b", "document": "捜査関係事項照会書 第123号" },
        }),
    );
    let id = order["id"].as_i64().unwrap();
    let from = started + SignedDuration::from_secs(2);
    let to = from + SignedDuration::from_secs(5);
    api.ok(
        "POST",
        &format!("/api/v1/requests/{id}/instruction"),
        &lead,
        json!({ "camera": "cam1", "from": from.to_string(), "to": to.to_string(),
                "handler": "sato", "terminal": "pc-1" }),
    );

    // The handler, at the terminal.
    let out = dir.path().join("request-1");
    let summary: Value =
        serde_json::from_str(&ok(terminal_retrieve(&api.base, &key, id, &out))).unwrap();
    assert_eq!(summary["verified"], true);
    let clip = out.join("clip-1.mp4");
    assert_decodes_cleanly(&clip);
    let (_, duration) = probe_frames_and_duration(&clip);
    // Exactly the instructed range, from the keyframe before it (the camera's GOP is 2 s).
    assert!((4.8..=7.2).contains(&duration), "duration {duration}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let retrieval = &manifest["retrieval"];
    assert_eq!(retrieval["request_id"], id.to_string());
    assert_eq!(retrieval["ordered_by"], "mayor");
    assert_eq!(retrieval["instructed_by"], "lead");
    assert_eq!(retrieval["retrieved_by"], "sato");
    assert_eq!(retrieval["terminal"], "pc-1");
    assert_eq!(retrieval["legal_basis"], "t6_1_b");
    // `mimamori verify` accepts it with only the published keys.
    let (_, keys) = api.call("GET", "/api/v1/ledger/keys", None, None);
    let keys_file = dir.path().join("keys.txt");
    std::fs::write(
        &keys_file,
        keys["keys"][0]["verifier_key"].as_str().unwrap(),
    )
    .unwrap();
    ok(mimamori()
        .arg("verify")
        .arg(&out)
        .arg("--keys")
        .arg(&keys_file)
        .output()
        .unwrap());
    // The office kept no copy (T5.2).
    let work = data.join("work");
    let left = std::fs::read_dir(&work).map_or(0, |d| d.count());
    assert_eq!(left, 0, "nothing stays in {}", work.display());

    // N9.4: the request is spent; the same terminal cannot retrieve again.
    let again = terminal_retrieve(&api.base, &key, id, &dir.path().join("request-1-again"));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("N9.4"));

    // N9.3: the report completes the Form 1 row.
    let (_, session) = api.call(
        "POST",
        "/api/v1/sessions",
        None,
        Some(json!({ "login": "sato", "password": "sato-chosen-password" })),
    );
    let sato = session["token"].as_str().unwrap().to_owned();
    // Issue 11, #3: an internal order's report hands nobody outside the footage; that is a
    // provision's (N10.1, T6.2).
    let (status, refused) = api.call(
        "POST",
        &format!("/api/v1/requests/{id}/report"),
        Some(&sato),
        Some(json!({ "media": "DVD-R", "copies": 1, "recipient": "西淀川警察署 刑事課" })),
    );
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "recipient_needs_provision");
    assert_eq!(refused["error"]["rule"], "N10.1");
    api.ok(
        "POST",
        &format!("/api/v1/requests/{id}/report"),
        &sato,
        json!({ "media": "DVD-R", "copies": 1, "remarks": "" }),
    );
    let (status, rows) = api.call("GET", "/api/v1/form1", Some(&mayor), None);
    assert_eq!(status, 200, "{rows}");
    let row = &rows[0];
    assert_eq!(row["serial"], id);
    assert_eq!(row["retrieved_by"], "sato");
    assert_eq!(row["terminal"], "pc-1");
    assert_eq!(row["site"], "テスト町");
    assert_eq!(row["media"], "DVD-R");
    assert_eq!(
        row["manifest_sha256"],
        summary["history"]["manifest_sha256"]
    );

    // The terminal's own history, signed by its key, agrees with the office's (N11.3).
    let month = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .strftime("%Y-%m")
        .to_string();
    let history: Value = serde_json::from_str(&ok(mimamori()
        .args(["terminal", "history", "--month", &month, "--key"])
        .arg(&key)
        .output()
        .unwrap()))
    .unwrap();
    assert_eq!(history["history"]["entries"][0]["request"], id);
    let check = api.ok("POST", "/api/v1/terminals/pc-1/history", &lead, history);
    assert_eq!(check["matched"], 1, "{check}");
    assert_eq!(check["consistent"], true, "{check}");

    // Attack (N9.4): a server in the middle answers the next retrieval with the package of
    // request 1, which the ward really signed. It verifies against the pinned keys, but it is
    // not what this grant let out: the terminal refuses it and keeps none of it.
    let order = api.ok(
        "POST",
        "/api/v1/orders",
        &mayor,
        json!({ "purpose": "別件の確認", "reason": "再生攻撃の試験", "basis": { "kind": "t6_1_e" } }),
    );
    let second = order["id"].as_i64().unwrap();
    api.ok(
        "POST",
        &format!("/api/v1/requests/{second}/instruction"),
        &lead,
        json!({ "camera": "cam1", "from": (from + SignedDuration::from_secs(1)).to_string(),
                "to": to.to_string(), "handler": "sato", "terminal": "pc-1" }),
    );
    let replayed = std::fs::read(out.with_extension("zip")).unwrap();
    let proxy = replaying_proxy(api.base.clone(), replayed);
    let out2 = dir.path().join("request-2");
    let refused = terminal_retrieve(&proxy, &key, second, &out2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("別の依頼の画像です"), "{stderr}");
    assert!(!out2.exists() && !out2.with_extension("zip").exists());
    drop(server);
}

/// A server in the middle: passes every request to `office`, but answers a retrieval that
/// the office let out with `replayed` instead of the office's package.
fn replaying_proxy(office: String, replayed: Vec<u8>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = pass_on(stream, &office, &replayed);
        }
    });
    format!("http://{addr}")
}

fn pass_on(mut stream: std::net::TcpStream, office: &str, replayed: &[u8]) -> std::io::Result<()> {
    use std::io::{BufRead, Read, Write};
    let mut reader = std::io::BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let mut request = ureq::request(&method, &format!("{office}{path}"));
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let Some((name, value)) = header.trim_end().split_once(':') else {
            break;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-length" => length = value.parse().unwrap_or(0),
            "authorization" | "content-type" => request = request.set(&name, value),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let answer = match request.send_bytes(&body) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let status = answer.status();
    let content_type = answer.content_type().to_owned();
    let mut bytes = Vec::new();
    answer.into_reader().read_to_end(&mut bytes)?;
    if path == "/api/v1/retrievals" && status == 200 {
        bytes = replayed.to_vec();
    }
    write!(
        stream,
        "HTTP/1.1 {status} Passed\r\ncontent-type: {content_type}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        bytes.len()
    )?;
    stream.write_all(&bytes)
}
