//! Ingest benchmark: K simulated 1080p cameras recorded by the real `mimamori serve` for a
//! fixed window, at several K and for several stream shapes.
//!
//! Shapes: `clip` is the `democam` binary replaying the pre-encoded
//! `assets/clips/bench-1080p15.h264` (baseline-like, about 4 Mbit/s) without re-encoding; any
//! other name is a shape of the stream zoo (`mimamori_peers::zoo`, e.g. `h264-main-b-25`,
//! `h265-b-wrap-15`), encoded once at 1080p into `target/bench-zoo/` and served by GStreamer's
//! RTSP server. Either way the generator runs in its own process.
//!
//! Figures for the window: the mimamori process's CPU seconds (utime + stime, `/proc/PID`),
//! the whole machine's busy CPU seconds (`/proc/stat`) and the generator's. The machine's
//! figure minus the generator's is what recording costs the machine: a recorder that writes
//! through the page cache leaves its writeback to kernel threads that the process's own figure
//! does not count. Also peak resident memory (VmHWM) and bytes written. After the window the
//! cameras stop first, then mimamori, and every frame the generator sent must be an indexed
//! sample (for zoo shapes: every frame received, by mimamori's own counters, none dropped).
//!
//! Run: `cargo run --release -p mimamori-bench --bin ingest -- --cameras 10,50,200 --seconds 60`
//! and `-- --shapes h264-main-b-25,h265-b-wrap-15 --cameras 10,50`.

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
    /// Stream shapes: `clip`, or names of the stream zoo.
    #[arg(long, value_delimiter = ',', default_value = "clip")]
    shapes: Vec<String>,
    /// Length of the measured window.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Where to keep each run's data directory (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

struct Run {
    shape: String,
    cameras: usize,
    cpu_seconds: f64,
    machine_cpu_seconds: f64,
    generator_cpu_seconds: f64,
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
        "mimamori ingest benchmark: 1080p cameras, {} s window",
        args.seconds
    );
    println!("machine: {} cores, {}", num_cpus(), cpu_model());
    let mut runs = Vec::new();
    for shape in &args.shapes {
        let generator = Generator::prepare(shape, &root, args.seconds)?;
        println!("shape {shape}: {}", generator.describe());
        for &k in &args.cameras {
            let dir = work.join(format!("{shape}-k{k}"));
            let run = run_once(&generator, &bin, &dir, k, args.seconds)?;
            print_run(&run);
            runs.push(run);
        }
    }
    let clip_runs: Vec<&Run> = runs.iter().filter(|r| r.shape == "clip").collect();
    if let [.., a, b] = clip_runs.as_slice() {
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
        "K={:<4} cpu {:>7.2} s  = {:.4} cpu-s/stream-min (machine {:.4}, generator {:.4}, \
         machine - generator {:.4}) | peak RSS {:>7.1} MiB = {:.2} MiB/stream | \
         written {:>6.0} MiB | frames sent {} indexed {} {}",
        r.cameras,
        r.cpu_seconds,
        r.cpu_seconds / stream_minutes,
        r.machine_cpu_seconds / stream_minutes,
        r.generator_cpu_seconds / stream_minutes,
        (r.machine_cpu_seconds - r.generator_cpu_seconds) / stream_minutes,
        r.peak_rss as f64 / MIB,
        r.peak_rss as f64 / MIB / r.cameras as f64,
        r.bytes_written as f64 / MIB,
        r.frames_sent,
        r.samples_indexed,
        if r.frames_sent == r.samples_indexed {
            "(all written)"
        } else {
            "(MISSING FRAMES)"
        },
    );
}

/// What sends the K streams.
enum Generator {
    /// `democam` replaying the bench clip.
    Clip { democam: PathBuf, clip: PathBuf },
    /// GStreamer serving a zoo shape's file on K mounts.
    Zoo(mimamori_peers::zoo::Encoded),
}

/// A running generator.
enum Running {
    Clip(Child, BufReader<std::process::ChildStdout>),
    Zoo(mimamori_peers::GstCameras),
}

impl Generator {
    fn prepare(shape: &str, root: &Path, seconds: u64) -> anyhow::Result<Generator> {
        if shape == "clip" {
            return Ok(Generator::Clip {
                democam: root.join("target/release/democam"),
                clip: root.join("assets/clips/bench-1080p15.h264"),
            });
        }
        let mut zoo = mimamori_peers::zoo::Shape::named(shape)
            .with_context(|| format!("no stream shape {shape} in the zoo"))?;
        zoo.size = "1920x1080";
        // Long enough for the window plus start-up, so no camera's file ends inside it.
        zoo.seconds = seconds as u32 + 40;
        let dir = root.join("target/bench-zoo");
        std::fs::create_dir_all(&dir)?;
        Ok(Generator::Zoo(mimamori_peers::zoo::encode(&zoo, &dir)))
    }

    fn describe(&self) -> String {
        match self {
            Generator::Clip { clip, .. } => format!("democam replaying {}", clip.display()),
            Generator::Zoo(e) => {
                let bytes = std::fs::metadata(&e.file).map_or(0, |m| m.len());
                let mbit = bytes as f64 * 8.0 / f64::from(e.shape.seconds) / 1e6;
                format!(
                    "GStreamer serving {} ({} fps, {mbit:.1} Mbit/s)",
                    e.file.display(),
                    e.shape.fps
                )
            }
        }
    }

    fn start(&self, k: usize) -> anyhow::Result<(Running, u16, u32)> {
        match self {
            Generator::Clip { democam, clip } => {
                let port = free_port();
                let mut child = Command::new(democam)
                    .args(["--listen", &format!("127.0.0.1:{port}"), "--fps", "15"])
                    .args(["--mounts", &k.to_string()])
                    .arg("--clip")
                    .arg(clip)
                    .stdout(Stdio::piped())
                    .spawn()
                    .context("starting democam")?;
                let mut out = BufReader::new(child.stdout.take().expect("piped"));
                let mut line = String::new();
                for _ in 0..k {
                    line.clear();
                    out.read_line(&mut line)?;
                    if !line.starts_with("READY") {
                        bail!("democam: {line}");
                    }
                }
                let pid = child.id();
                Ok((Running::Clip(child, out), port, pid))
            }
            Generator::Zoo(encoded) => {
                let specs = (1..=k).map(|i| encoded.mount_spec_as(&format!("cam{i}")));
                let cams = mimamori_peers::GstCameras::serve_mounts(specs);
                let (port, pid) = (cams.port, cams.pid().expect("running"));
                Ok((Running::Zoo(cams), port, pid))
            }
        }
    }
}

impl Running {
    /// Stops the cameras. Returns the frames democam says it sent, if it is democam.
    fn stop(self) -> anyhow::Result<Option<u64>> {
        match self {
            Running::Clip(mut child, out) => stop_democam(&mut child, out).map(Some),
            Running::Zoo(mut cams) => {
                cams.stop();
                Ok(None)
            }
        }
    }
}

fn run_once(
    generator: &Generator,
    bin: &Path,
    dir: &Path,
    k: usize,
    seconds: u64,
) -> anyhow::Result<Run> {
    std::fs::create_dir_all(dir)?;
    let (running, rtsp_port, generator_pid) = generator.start(k)?;
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
    let (cpu0, machine0, gen0) = (
        cpu_seconds(pid)?,
        machine_busy_seconds()?,
        cpu_seconds(generator_pid)?,
    );
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let (cpu1, machine1, gen1) = (
        cpu_seconds(pid)?,
        machine_busy_seconds()?,
        cpu_seconds(generator_pid)?,
    );
    let window = t0.elapsed().as_secs_f64();
    let peak_rss = proc_field(pid, "status", "VmHWM:")? * 1024;

    // Cameras stop first, so every frame sent reaches mimamori; then mimamori closes segments.
    let democam_sent = running.stop()?;
    std::thread::sleep(Duration::from_secs(2));
    let counters = http_get(&listen, "/metrics").context("/metrics")?;
    let received = metric_sum(&counters, "mimamori_frames_received_total");
    let dropped = metric_sum(&counters, "mimamori_frames_dropped_all_total");
    if dropped > 0 {
        bail!("mimamori dropped {dropped} of {received} frames received");
    }
    let bytes_written = proc_field(pid, "io", "write_bytes:")?;
    terminate(&mut mimamori)?;
    let samples_indexed = indexed_samples(&dir.join("data/mimamori.db"))?;
    Ok(Run {
        shape: match generator {
            Generator::Clip { .. } => "clip".into(),
            Generator::Zoo(e) => e.shape.name.into(),
        },
        cameras: k,
        cpu_seconds: cpu1 - cpu0,
        machine_cpu_seconds: machine1 - machine0,
        generator_cpu_seconds: gen1 - gen0,
        window_seconds: window,
        peak_rss,
        bytes_written,
        frames_sent: democam_sent.unwrap_or(received),
        samples_indexed,
    })
}

/// The sum over cameras of a Prometheus series.
fn metric_sum(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum()
}

/// Busy CPU seconds of the whole machine since boot, every core, kernel threads included.
fn machine_busy_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("/proc/stat")?;
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy: f64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|i| ticks.get(*i))
        .sum();
    Ok(busy / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64)
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
