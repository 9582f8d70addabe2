//! Test harness for end-to-end tests against real peers: GStreamer's RTSP server as the
//! cameras, the real `mimamori` binary as the recorder, ffmpeg/ffprobe as the judge of exports.
//! The README's test command installs these; without them the tests fail with a pointer to it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

// Each test binary uses a different part of the shared peers.
#[allow(unused_imports)]
pub use mimamori_peers::{
    assert_decodes_cleanly, free_port, probe_codec, probe_frames_and_duration, GstCameras, CLIP,
    INSTALL_HINT,
};

/// A camera entry for a test policy.
pub struct TestCamera {
    pub id: String,
    pub url: String,
    pub credentials_file: Option<String>,
}

/// Writes a policy for `cameras` with short segments (and the product's reconnect defaults).
pub fn write_policy(dir: &Path, cameras: &[TestCamera], extra_retention: &str) -> PathBuf {
    let mut text = format!(
        "[ward]\nname = \"テスト区\"\noperator = \"テスト区役所\"\n\n\
         [retention]\ndays = 10\nsweep_interval_seconds = 1\n{extra_retention}\n\n\
         [recording]\nsegment_seconds = 4\n"
    );
    for c in cameras {
        text.push_str(&format!(
            "\n[[camera]]\nid = \"{}\"\nname = \"テストカメラ {}\"\nsite = \"テスト町\"\nurl = \"{}\"\n",
            c.id, c.id, c.url
        ));
        match &c.credentials_file {
            Some(f) => text.push_str(&format!("credentials = \"file:{f}\"\n")),
            None => text.push_str("without_credentials = \"テスト用の模擬カメラ\"\n"),
        }
    }
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// GStreamer serving one camera, `cam1`, and a policy for it in `dir`: most end-to-end tests
/// need no more. Keep the server: the camera stops with it.
pub fn one_camera(dir: &Path) -> (GstCameras, PathBuf) {
    let cams = GstCameras::start(&["cam1"]);
    let camera = TestCamera {
        id: "cam1".into(),
        url: cams.url("cam1"),
        credentials_file: None,
    };
    let policy = write_policy(dir, &[camera], "");
    (cams, policy)
}

/// The mimamori binary under test.
pub fn mimamori() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimamori"));
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// The binary working on `data_dir`, with its key-encryption key kept beside (not inside) it,
/// as production should.
pub fn mimamori_on(data_dir: &Path, subcommand: &str) -> Command {
    let mut cmd = mimamori();
    cmd.arg(subcommand).arg("--data-dir").arg(data_dir);
    cmd.env("MIMAMORI_KEK_FILE", data_dir.with_extension("kek"));
    cmd
}

/// [`mimamori_on`] with the metadata in the PostgreSQL database at `url` (issue 15).
pub fn mimamori_on_postgres(data_dir: &Path, subcommand: &str, url: &str) -> Command {
    let mut cmd = mimamori_on(data_dir, subcommand);
    cmd.env("MIMAMORI_DATABASE", url);
    cmd
}

/// A running `mimamori serve`.
pub struct Server {
    child: Option<Child>,
    pub listen: String,
    pub data_dir: PathBuf,
}

impl Server {
    pub fn start(data_dir: &Path, policy: &Path) -> Server {
        Server::start_with(mimamori_on(data_dir, "serve"), data_dir, policy)
    }

    /// `serve` with its metadata in the PostgreSQL database at `url`.
    pub fn start_on_postgres(data_dir: &Path, policy: &Path, url: &str) -> Server {
        let command = mimamori_on_postgres(data_dir, "serve", url);
        Server::start_with(command, data_dir, policy)
    }

    fn start_with(mut command: Command, data_dir: &Path, policy: &Path) -> Server {
        let listen = format!("127.0.0.1:{}", free_port());
        let child = command
            .arg("--policy")
            .arg(policy)
            .args(["--listen", &listen])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child: Some(child),
            listen,
            data_dir: data_dir.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while http_get(&server.listen, "/api/v1/health").is_none() {
            assert!(Instant::now() < deadline, "mimamori did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// The Prometheus text of `/metrics`.
    pub fn metrics(&self) -> String {
        http_get(&self.listen, "/metrics").expect("metrics answer")
    }

    pub fn health(&self) -> serde_json::Value {
        let body = http_get(&self.listen, "/api/v1/health").expect("health answers");
        serde_json::from_str(&body).unwrap()
    }

    /// Graceful stop: SIGTERM, then wait.
    pub fn stop(&mut self) {
        self.signal(libc::SIGTERM);
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        self.signal(libc::SIGKILL);
    }

    fn signal(&mut self, sig: i32) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, sig) };
            child.wait().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A plain HTTP/1.0 GET; `None` if nothing listens.
pub fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200")
        .then(|| body.to_owned())
        .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_owned()))
}

/// A command's stdout, after asserting it succeeded (its output is the failure message).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a mimamori subcommand against a data directory and returns its output.
pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    let (subcommand, rest) = args.split_first().expect("a subcommand");
    mimamori_on(data_dir, subcommand)
        .args(rest)
        .output()
        .unwrap()
}

pub fn check_store(data_dir: &Path) -> serde_json::Value {
    let out = run(data_dir, &["check", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("check output: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "integrity check failed: {report}");
    report
}

/// Number of `.seg` files under the data directory.
pub fn segment_files(data_dir: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .map(|e| e.unwrap().path())
                .map(|p| {
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "seg"))
                    }
                })
                .sum()
        })
    }
    walk(&data_dir.join("segments"))
}

/// Builds an evidence package in-process with the recorder and office libraries, as the
/// retrieval step does after its checks, spending a grant recorded in the ledger the way the
/// office does (order, instruction, grant, use). The binary has no command for this: footage
/// leaves only through the request chain (N9.4). These tests judge the recorder's export and the
/// package format, not the chain, which `tests/chain.rs` covers.
pub fn build_package(
    data: &Path,
    policy: &Path,
    camera: &str,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
    out: &Path,
) -> mimamori_office::evidence::PackageSummary {
    build_package_of(data, policy, &[(camera, (from, to))], out)
}

/// [`build_package`] of a case with several cameras, each with its range (issue 13).
pub fn build_package_of(
    data: &Path,
    policy: &Path,
    cameras: &[(&str, (jiff::Timestamp, jiff::Timestamp))],
    out: &Path,
) -> mimamori_office::evidence::PackageSummary {
    build_package_on(data, None, policy, cameras, out)
}

/// [`build_package_of`] with the metadata in the PostgreSQL database at `database`, if given.
pub fn build_package_on(
    data: &Path,
    database: Option<&str>,
    policy: &Path,
    cameras: &[(&str, (jiff::Timestamp, jiff::Timestamp))],
    out: &Path,
) -> mimamori_office::evidence::PackageSummary {
    use std::sync::Arc;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let policy = Arc::new(mimamori_policy::Policy::load(policy).unwrap());
        let db = match database {
            Some(url) => mimamori_db::Db::open_postgres(url).await.unwrap(),
            None => mimamori_db::Db::open(&data.join("mimamori.db"))
                .await
                .unwrap(),
        };
        let kek = mimamori_recorder::Kek::load(&data.with_extension("kek")).unwrap();
        let ctx = mimamori_recorder::RecorderContext::new(
            policy,
            db.clone(),
            mimamori_recorder::Store::new(data.join("segments")),
            Arc::new(kek),
            Arc::new(mimamori_recorder::SystemClock),
        );
        let notary = mimamori_office::notary::Notary::open(
            db,
            &ctx.policy.ledger.origin,
            &data.join("keys").join("ledger.key"),
            false,
        )
        .await
        .unwrap();
        let grant = mimamori_db::testutil::spend_grant_of(
            &ctx.db,
            &format!("e2e-{}", out.display()),
            cameras,
            "test",
        )
        .await;
        let request = mimamori_office::evidence::PackageRequest {
            grant,
            actor: "test".into(),
            reason: "end-to-end test".into(),
        };
        let chain = mimamori_office::evidence::Chain::default();
        // The package's zip, as the office streams it, written to `out.zip` and unpacked
        // into `out` for the tests that read or tamper with its files.
        let zip_path = out.with_extension("zip");
        let file = std::fs::File::create(&zip_path).unwrap();
        let name = out.file_name().unwrap().to_string_lossy().into_owned();
        let (package, summary) =
            mimamori_office::evidence::create_package(&ctx, &notary, request, &chain, &name, file)
                .await
                .unwrap();
        package.finish().await.unwrap();
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
        archive.extract(out).unwrap();
        summary
    })
}
