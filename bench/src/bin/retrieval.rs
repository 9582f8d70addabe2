//! Retrieval of a one-hour clip at the dedicated terminal's page (issue 13): from the handler's
//! click on 取り出し to a verified package unpacked on the terminal's disk, against
//! `ffmpeg -c copy` remuxing the same footage. The target is a ratio of at most 1: letting
//! footage out the guideline's way (decrypting, remuxing, hashing, packaging, verifying
//! against the ward's pinned keys) should cost no more than copying it with the tool
//! everyone knows.
//!
//! How an hour of footage is made in two minutes: the demo camera sends the 1080p benchmark
//! clip `--speed` times faster than real time, stamped as real time
//! ([`mimamori_democam::Mount::fast_forward`]), and the recorder runs on a clock that starts an
//! hour and more back and runs as fast, so the footage lies in the past when the clock is set
//! right again. The recorder, the office and the database are the real ones, in this process;
//! the terminal's page is the real `mimamori terminal serve`, in its own process, as on the
//! dedicated PC.
//!
//! Run: `cargo build --release -p mimamori -p mimamori-bench && target/release/retrieval
//! [--minutes 60] [--speed 30]`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use clap::Parser;
use jiff::{SignedDuration, Timestamp};
use mimamori_democam::{Clip, DemoCamera, Mount};
use mimamori_office::grant::TerminalKey;
use mimamori_office::setup::{seed_account, Seed};
use mimamori_office::Shared;
use mimamori_policy::access::Role;
use mimamori_recorder::{Clock, Recorder};
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// Length of the clip retrieved, in minutes of footage.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=600))]
    minutes: u32,
    /// How many times faster than real time the footage is recorded. The recorder re-anchors
    /// its timeline when the camera's and its own clock differ by 10 s, which is 10 s / speed
    /// of real scheduling delay; the bench checks that no segment overlaps another.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100))]
    speed: u32,
}

const PASSWORD: &str = "bench-password-1";
const FPS: u32 = 15;
/// Footage recorded before and after the clip, so that its range lies inside the recording.
const MARGIN: SignedDuration = SignedDuration::from_secs(60);

/// The recorder's and the office's clock: `speed` times real time from `origin` while the
/// footage is recorded, then real time.
struct BenchClock {
    /// `(real instant, time then, speed)`.
    state: Mutex<(Instant, Timestamp, u32)>,
}

impl BenchClock {
    fn fast_from(origin: Timestamp, speed: u32) -> Self {
        BenchClock {
            state: Mutex::new((Instant::now(), origin, speed)),
        }
    }

    /// From now on, the real time.
    fn set_right(&self) {
        *self.state.lock().expect("clock") = (Instant::now(), Timestamp::now(), 1);
    }
}

impl Clock for BenchClock {
    fn now(&self) -> Timestamp {
        let (at, then, speed) = *self.state.lock().expect("clock");
        let passed = SignedDuration::try_from(at.elapsed() * speed).expect("in range");
        then + passed
    }
}

fn policy(camera_url: &str) -> String {
    format!(
        r#"
[ward]
name = "ベンチ区"
operator = "ベンチ区役所"
[retention]
days = 10
[recording]
segment_seconds = 60
clock_tolerance_seconds = 10
[office]
session_minutes = 600
[[camera]]
id = "cam1"
name = "駅前"
site = "1丁目"
url = "{camera_url}"
without_credentials = "ベンチ用の模擬カメラ"
"#
    )
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = std::env::current_exe()?
        .parent()
        .context("the bench's directory")?
        .join("mimamori");
    ensure!(
        bin.is_file(),
        "{} is missing: cargo build --release -p mimamori",
        bin.display()
    );
    let work = tempfile::tempdir_in(std::env::current_dir()?)?;
    let dir = work.path();
    let runtime = tokio::runtime::Runtime::new()?;
    let clip_length = SignedDuration::from_mins(i64::from(args.minutes));
    // The clock starts far enough back that the footage (the clip and its margins, and the
    // start-up's real seconds times the speed) ends before now.
    let began = Timestamp::now() - clip_length - MARGIN * 2 - SignedDuration::from_mins(10);
    let clock = Arc::new(BenchClock::fast_from(began, args.speed));

    println!(
        "retrieval: {} min of 1080p15 H.264 footage (4 Mbit/s), recorded at {}× real time",
        args.minutes, args.speed
    );
    let recording = Instant::now();
    let (office, recorded) = runtime.block_on(record(dir, &clock, &args, clip_length))?;
    println!(
        "  recorded {:.1} min in {:.1} s of real time",
        recorded.1.duration_since(recorded.0).as_secs_f64() / 60.0,
        recording.elapsed().as_secs_f64()
    );
    // The footage is in the past once the clock is right again.
    clock.set_right();
    let server = runtime.block_on(open_the_office(dir, &office))?;
    let terminal = TerminalPage::start(&bin, dir, &server)?;

    let from = recorded.0 + MARGIN;
    let to = from + clip_length;
    let request = order_and_instruct(&server, from, to)?;
    // Each side starts with nothing left to write back from before.
    sync_disks();
    let retrieval = terminal.retrieve(request)?;
    let clip = retrieval.clip.clone();
    let seconds = probe_duration(&clip)?;
    ensure!(
        (seconds - clip_length.as_secs_f64()).abs() < 5.0,
        "the clip is {seconds:.1} s long, not {} s",
        clip_length.as_secs()
    );
    let bytes = std::fs::metadata(&clip)?.len();
    sync_disks();
    let ffmpeg = remux(&clip, &dir.join("remuxed.mp4"))?;
    report(&retrieval, bytes, seconds, ffmpeg);
    drop(terminal);
    drop(runtime);
    Ok(())
}

/// Records `clip_length` and the margins of footage from the fast-forwarded demo camera, on
/// the fast clock; returns the office over that database and the span recorded, which must
/// be one run of segments, none overlapping another.
async fn record(
    dir: &Path,
    clock: &Arc<BenchClock>,
    args: &Args,
    clip_length: SignedDuration,
) -> anyhow::Result<(Shared, (Timestamp, Timestamp))> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("bench/ is in the workspace")?
        .to_owned();
    let clip_file = root.join("assets/clips/bench-1080p15.h264");
    let bytes = std::fs::read(&clip_file)
        .with_context(|| format!("cannot read {}", clip_file.display()))?;
    let clip = Arc::new(Clip::from_annexb(&bytes, FPS)?);
    let mount = Mount::new("cam1").fast_forward(args.speed);
    let camera = DemoCamera::start("127.0.0.1:0".parse()?, clip, vec![mount]).await?;
    let office =
        mimamori_office::testutil::office_at(dir, &policy(&camera.url("cam1")), clock.clone())
            .await;
    let recorder = Recorder::start(office.recorder().clone()).await?;
    let footage = clip_length + MARGIN * 2;
    let frames = footage.as_secs() as u64 * u64::from(FPS);
    let expected = footage.as_secs_f64() / f64::from(args.speed);
    let deadline = Instant::now() + Duration::from_secs_f64(expected * 3.0 + 30.0);
    while camera.frames_sent("cam1") < frames {
        ensure!(
            Instant::now() < deadline,
            "the camera sent {} of {frames} frames in time",
            camera.frames_sent("cam1")
        );
        tokio::time::sleep(Duration::from_millis(100) / args.speed.min(100)).await;
    }
    recorder.stop().await;
    camera.shutdown().await;
    let camera = mimamori_policy::CameraId::new("cam1").map_err(anyhow::Error::msg)?;
    let spans = office
        .db
        .segment_spans(&camera, Timestamp::UNIX_EPOCH, clock.now())
        .await?;
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        bail!("nothing was recorded");
    };
    for pair in spans.windows(2) {
        ensure!(
            pair[1].0 >= pair[0].1,
            "segments overlap ({pair:?}): the recorder re-anchored its timeline; try a lower --speed"
        );
    }
    let at = |us: i64| Timestamp::from_microsecond(us).expect("a time");
    Ok((office, (at(first.0), at(last.1))))
}

/// Signs a checkpoint, seeds the three people of the chain and the terminal (its key and the
/// ward's pinned key on disk), and serves the office on a free loopback port.
async fn open_the_office(dir: &Path, office: &Shared) -> anyhow::Result<String> {
    office.notary.sign_checkpoint().await?;
    let db = &office.db;
    let now = Timestamp::now() - SignedDuration::from_secs(1);
    for (login, role) in [
        ("mayor", Role::Manager),
        ("lead", Role::OperationsLead),
        ("sato", Role::ImageHandler),
    ] {
        let seed = Seed {
            login,
            name: login,
            unit: "防犯係",
            password: PASSWORD,
            roles: &[role],
            ready: true,
            delegation_id: None,
        };
        seed_account(db, &seed, "system:bench", now).await?;
    }
    let key = TerminalKey::generate("pc-1");
    let key_file = dir.join("terminal/pc-1.key");
    key.create_file(&key_file)?;
    std::fs::write(
        key_file.with_extension("ward-keys"),
        format!("{}\n", office.notary.verifier_key().await),
    )?;
    mimamori_bench::seed_bench_terminal(db, &key, now).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let limits = office.policy.office.clone();
    let app = mimamori_office::router(office.clone());
    tokio::spawn(async move {
        mimamori_office::serve::serve(listener, app, &limits, std::future::pending()).await
    });
    Ok(format!("http://{addr}"))
}

/// The Manager orders and the Operations lead instructs `sato` at `pc-1`: the request's id.
fn order_and_instruct(server: &str, from: Timestamp, to: Timestamp) -> anyhow::Result<i64> {
    let sign_in = |login: &str| -> anyhow::Result<String> {
        let answer: Value = ureq::post(&format!("{server}/api/v1/sessions"))
            .send_json(json!({ "login": login, "password": PASSWORD }))?
            .into_json()?;
        Ok(answer["token"].as_str().context("token")?.to_owned())
    };
    let call = |token: &str, path: &str, body: Value| -> anyhow::Result<Value> {
        let answer = ureq::post(&format!("{server}{path}"))
            .set("Authorization", &format!("Bearer {token}"))
            .send_json(body);
        match answer {
            Ok(r) => Ok(r.into_json()?),
            Err(ureq::Error::Status(code, r)) => bail!("{path}: {code} {}", r.into_string()?),
            Err(e) => Err(e.into()),
        }
    };
    let order = call(
        &sign_in("mayor")?,
        "/api/v1/orders",
        json!({
            "purpose": "ひったくり事件の確認", "reason": "ベンチマーク",
            "basis": { "kind": "t6_1_e" },
        }),
    )?;
    let id = order["id"].as_i64().context("the order's id")?;
    call(
        &sign_in("lead")?,
        &format!("/api/v1/requests/{id}/instruction"),
        json!({
            "camera": "cam1", "from": from.to_string(), "to": to.to_string(),
            "handler": "sato", "terminal": "pc-1",
        }),
    )?;
    Ok(id)
}

/// `mimamori terminal serve`, running.
struct TerminalPage {
    child: Child,
    base: String,
    cookie: String,
}

/// One retrieval at the page: when each stage began (from the click), and the clip.
struct Retrieval {
    stages: Vec<(u8, Duration)>,
    total: Duration,
    clip: PathBuf,
}

impl TerminalPage {
    fn start(bin: &Path, dir: &Path, server: &str) -> anyhow::Result<TerminalPage> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(bin)
            .args(["terminal", "serve", "--server", server, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--key")
            .arg(dir.join("terminal/pc-1.key"))
            .arg("--out")
            .arg(dir.join("packages"))
            .stdout(Stdio::null())
            .spawn()
            .context("starting mimamori terminal serve")?;
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let deadline = Instant::now() + Duration::from_secs(20);
        let signed_in = loop {
            let answer = agent
                .post(&format!("{base}/signin"))
                .set("Sec-Fetch-Site", "same-origin")
                .send_form(&[("login", "sato"), ("password", PASSWORD)]);
            match answer {
                Ok(r) => break r,
                Err(ureq::Error::Transport(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let cookie = signed_in
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .context("the terminal's page set no session cookie")?
            .to_owned();
        Ok(TerminalPage {
            child,
            base,
            cookie,
        })
    }

    /// Presses 取り出し for `request` and follows the job's page until it ends.
    fn retrieve(&self, request: i64) -> anyhow::Result<Retrieval> {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let click = Instant::now();
        let answer = agent
            .post(&format!("{}/retrieve/{request}", self.base))
            .set("Cookie", &self.cookie)
            .set("Sec-Fetch-Site", "same-origin")
            .call()?;
        ensure!(
            answer.header("location") == Some(&format!("/jobs/{request}")),
            "the click was not taken: {} {:?}",
            answer.status(),
            answer.header("location")
        );
        let mut stages = vec![(0, Duration::ZERO)];
        loop {
            let page = agent
                .get(&format!("{}/jobs/{request}", self.base))
                .set("Cookie", &self.cookie)
                .call()?
                .into_string()?;
            if page.contains("class=\"problem\"") {
                bail!("the retrieval failed:\n{page}");
            }
            let stage = between(&page, "<progress id=\"progress\" max=\"4\" value=\"", "\"")
                .and_then(|v| v.parse::<u8>().ok())
                .context("the job's page shows no progress")?;
            if stages.last().is_some_and(|(s, _)| *s != stage) {
                stages.push((stage, click.elapsed()));
            }
            if stage == 4 {
                let shown = between(&page, "id=\"clip-1\">", "<").context("no clip shown")?;
                let clip = shown.strip_prefix("cam1: ").context("the clip's camera")?;
                return Ok(Retrieval {
                    total: click.elapsed(),
                    stages,
                    clip: PathBuf::from(clip),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TerminalPage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The clip's duration as ffprobe reads it.
fn probe_duration(clip: &Path) -> anyhow::Result<f64> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of"])
        .args(["default=noprint_wrappers=1:nokey=1"])
        .arg(clip)
        .output()
        .context("ffprobe")?;
    ensure!(out.status.success(), "ffprobe: {:?}", out.status);
    Ok(String::from_utf8(out.stdout)?.trim().parse()?)
}

fn sync_disks() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// `ffmpeg -c copy` of the same footage into a new MP4: its wall time, and with the output
/// synced to disk, as the terminal syncs the package it received.
struct Remux {
    ffmpeg: Duration,
    synced: Duration,
}

fn remux(clip: &Path, out: &Path) -> anyhow::Result<Remux> {
    let began = Instant::now();
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(clip)
        .args(["-c", "copy", "-f", "mp4"])
        .arg(out)
        .status()
        .context("ffmpeg")?;
    ensure!(status.success(), "ffmpeg: {status}");
    let ffmpeg = began.elapsed();
    std::fs::File::open(out)?.sync_all()?;
    Ok(Remux {
        ffmpeg,
        synced: began.elapsed(),
    })
}

fn report(r: &Retrieval, bytes: u64, seconds: f64, remux: Remux) {
    let mib = bytes as f64 / 1_048_576.0;
    println!("  clip: {mib:.0} MiB, {seconds:.1} s of footage");
    let names = [
        "grant, and the office builds the package",
        "download (synced to disk)",
        "verify against the pinned ward key",
        "unpack",
    ];
    for (i, (stage, at)) in r.stages.iter().enumerate() {
        let until = r.stages.get(i + 1).map_or(r.total, |(_, t)| *t);
        if let Some(name) = names.get(usize::from(*stage)) {
            println!(
                "    {name:<42} {:>7.2} s",
                (until.saturating_sub(*at)).as_secs_f64()
            );
        }
    }
    let ours = r.total.as_secs_f64();
    let line = |what: &str, s: f64| println!("  {what:<44} {s:>6.2} s ({:.0} MiB/s)", mib / s);
    line("click to verified package on disk", ours);
    line(
        "ffmpeg -c copy of the same clip",
        remux.ffmpeg.as_secs_f64(),
    );
    line(
        "ffmpeg -c copy, output synced to disk",
        remux.synced.as_secs_f64(),
    );
    println!(
        "  ratio (ours / ffmpeg): {:.2}; against ffmpeg with its output synced: {:.2} \
         (target ≤ 1)",
        ours / remux.ffmpeg.as_secs_f64(),
        ours / remux.synced.as_secs_f64()
    );
}
