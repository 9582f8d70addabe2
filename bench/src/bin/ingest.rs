//! Ingest benchmark: K simulated 1080p15 cameras at about 4 Mbit/s, recorded by the real
//! `mimamori serve` for a fixed window, at several K.
//!
//! The load generator is the `democam` binary in its own process, replaying the pre-encoded
//! `assets/clips/bench-1080p15.h264` over RTSP without re-encoding, so its cost is not
//! mimamori's. Figures are read from `/proc/PID` of the mimamori process only: CPU seconds
//! (utime + stime) during the window, peak resident memory (VmHWM), bytes written. After the
//! window the cameras stop first, then mimamori, and every frame the generator sent must be an
//! indexed sample.
//!
//! Run: `cargo run --release -p mimamori-bench --bin ingest -- --cameras 10,50,200 --seconds 60`

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Camera counts to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,50,200")]
    cameras: Vec<usize>,
    /// Length of the measured window.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Where to keep each run's data directory (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

struct Run {
    cameras: usize,
    cpu_seconds: f64,
    window_seconds: f64,
    peak_rss: u64,
    bytes_written: u64,
    frames_sent: u64,
    samples_indexed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let root = workspace_root();
    let bin = root.join("target/release");
    for b in ["mimamori", "democam"] {
        if !bin.join(b).exists() {
            bail!(
                "build first: cargo build --release -p mimamori -p mimamori-democam ({b} missing)"
            );
        }
    }
    let tmp = tempfile::tempdir()?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| tmp.path().to_owned());
    println!(
        "mimamori ingest benchmark: 1080p15 ~4 Mbit/s H.264 per camera, {} s window",
        args.seconds
    );
    println!("machine: {} cores, {}", num_cpus(), cpu_model());
    let mut runs = Vec::new();
    for &k in &args.cameras {
        let run = run_once(&root, &bin, &work.join(format!("k{k}")), k, args.seconds)?;
        print_run(&run);
        runs.push(run);
    }
    if let [.., a, b] = runs.as_slice() {
        let slope = (b.peak_rss as f64 - a.peak_rss as f64) / (b.cameras as f64 - a.cameras as f64);
        println!(
            "marginal resident memory per stream (K={}→{}): {:.2} MiB",
            a.cameras,
            b.cameras,
            slope / MIB
        );
    }
    if runs.iter().any(|r| r.frames_sent != r.samples_indexed) {
        bail!("some frames sent were not written");
    }
    Ok(())
}

const MIB: f64 = 1024.0 * 1024.0;

fn print_run(r: &Run) {
    let stream_minutes = r.cameras as f64 * r.window_seconds / 60.0;
    println!(
        "K={:<4} cpu {:>7.2} s  = {:.4} cpu-s/stream-min | peak RSS {:>7.1} MiB = {:.2} MiB/stream | \
         written {:>6.0} MiB | frames sent {} indexed {} {}",
        r.cameras,
        r.cpu_seconds,
        r.cpu_seconds / stream_minutes,
        r.peak_rss as f64 / MIB,
        r.peak_rss as f64 / MIB / r.cameras as f64,
        r.bytes_written as f64 / MIB,
        r.frames_sent,
        r.samples_indexed,
        if r.frames_sent == r.samples_indexed { "(all written)" } else { "(MISSING FRAMES)" },
    );
}

fn run_once(root: &Path, bin: &Path, dir: &Path, k: usize, seconds: u64) -> anyhow::Result<Run> {
    std::fs::create_dir_all(dir)?;
    let rtsp_port = free_port();
    let mut democam = Command::new(bin.join("democam"))
        .args([
            "--listen",
            &format!("127.0.0.1:{rtsp_port}"),
            "--fps",
            "15",
            "--mounts",
            &k.to_string(),
        ])
        .arg("--clip")
        .arg(root.join("assets/clips/bench-1080p15.h264"))
        .stdout(Stdio::piped())
        .spawn()
        .context("starting democam")?;
    let mut democam_out = BufReader::new(democam.stdout.take().expect("piped"));
    let mut line = String::new();
    for _ in 0..k {
        line.clear();
        democam_out.read_line(&mut line)?;
        if !line.starts_with("READY") {
            bail!("democam: {line}");
        }
    }
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, bench_policy(rtsp_port, k))?;
    let listen = format!("127.0.0.1:{}", free_port());
    let mut mimamori = Command::new(bin.join("mimamori"))
        .args(["serve", "--listen", &listen, "--data-dir"])
        .arg(dir.join("data"))
        .arg("--policy")
        .arg(&policy)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .context("starting mimamori")?;
    let pid = mimamori.id();
    wait_all_recording(&listen, k)?;
    let cpu0 = cpu_seconds(pid)?;
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let cpu1 = cpu_seconds(pid)?;
    let window = t0.elapsed().as_secs_f64();
    let peak_rss = proc_field(pid, "status", "VmHWM:")? * 1024;

    // Cameras stop first, so every frame sent reaches mimamori; then mimamori closes segments.
    let frames_sent = stop_democam(&mut democam, democam_out)?;
    std::thread::sleep(Duration::from_secs(2));
    let bytes_written = proc_field(pid, "io", "write_bytes:")?;
    terminate(&mut mimamori)?;
    let samples_indexed = indexed_samples(&dir.join("data/mimamori.db"))?;
    Ok(Run {
        cameras: k,
        cpu_seconds: cpu1 - cpu0,
        window_seconds: window,
        peak_rss,
        bytes_written,
        frames_sent,
        samples_indexed,
    })
}

fn bench_policy(port: u16, k: usize) -> String {
    let mut text = String::from(
        "[ward]\nname = \"bench\"\noperator = \"bench\"\n[retention]\ndays = 10\n\
         [recording]\nsegment_seconds = 60\n",
    );
    for i in 1..=k {
        text.push_str(&format!(
            "[[camera]]\nid = \"cam{i}\"\nname = \"cam{i}\"\nsite = \"bench\"\nurl = \"rtsp://127.0.0.1:{port}/cam{i}\"\n\
             without_credentials = \"ベンチ用の模擬カメラ\"\n"
        ));
    }
    text
}

fn wait_all_recording(listen: &str, k: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(body) = http_get(listen, "/api/v1/health") {
            let health: serde_json::Value = serde_json::from_str(&body)?;
            let cams = health["cameras"].as_array().map_or(&[][..], |v| v);
            if cams.iter().filter(|c| c["state"] == "recording").count() == k {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("not all {k} cameras were recording after 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn stop_democam(
    child: &mut Child,
    mut out: BufReader<std::process::ChildStdout>,
) -> anyhow::Result<u64> {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut total = None;
    let mut line = String::new();
    while out.read_line(&mut line)? > 0 {
        if let Some(n) = line.strip_prefix("SENT total ") {
            total = Some(n.trim().parse()?);
        }
        line.clear();
    }
    child.wait()?;
    total.context("democam did not report frames sent")
}

fn terminate(child: &mut Child) -> anyhow::Result<()> {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait()?;
    if !status.success() {
        bail!("mimamori exited with {status}");
    }
    Ok(())
}

fn indexed_samples(db: &Path) -> anyhow::Result<u64> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let db = mimamori_db::Db::open(db).await?;
        let counts = db.sample_counts().await?;
        Ok(counts.iter().map(|c| c.1 as u64).sum())
    })
}

fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64)
}

/// The number after `key` in a `/proc/PID/<file>` of `key value` lines (`status`, `io`).
fn proc_field(pid: u32, file: &str, key: &str) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}"))?;
    let line = text
        .lines()
        .find(|l| l.starts_with(key))
        .with_context(|| format!("{key} in /proc/{pid}/{file}"))?;
    Ok(line.split_whitespace().nth(1).context("value")?.parse()?)
}

fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut r = String::new();
    s.read_to_string(&mut r).ok()?;
    r.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the workspace")
        .to_owned()
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default()
}
