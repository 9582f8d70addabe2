//! `democam`: runs the demo camera standalone, serving one clip on mounts
//! cam1..camN, printing `READY <url>` per mount once listening and the frames
//! sent per mount when stopped with SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use mimamori_democam::{Clip, DemoCamera, Mount};

/// Serves an H.264 Annex-B clip, looped, over RTSP on mounts cam1..camN.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to bind; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8554")]
    listen: SocketAddr,
    /// The clip (H.264 Annex-B elementary stream).
    #[arg(long)]
    clip: PathBuf,
    /// Frame rate of the clip.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: u32,
    /// Number of mounts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    mounts: u64,
    /// Send this many times faster than real time, stamped as real time (a recorder with its
    /// clock set back stores hours of footage in minutes).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    speed: u32,
    /// Digest user required on cam1.
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// Digest password required on cam1.
    #[arg(long, requires = "user")]
    password: Option<String>,
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                eprintln!("democam: cannot watch SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let bytes = match std::fs::read(&args.clip) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("democam: cannot read {}: {e}", args.clip.display());
            return ExitCode::FAILURE;
        }
    };
    let clip = match Clip::from_annexb(&bytes, args.fps) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("democam: {}: {e}", args.clip.display());
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<String> = (1..=args.mounts).map(|i| format!("cam{i}")).collect();
    let mounts = names
        .iter()
        .map(|name| {
            let mount = Mount::new(name.clone()).fast_forward(args.speed);
            match (&args.user, &args.password, name.as_str()) {
                (Some(u), Some(p), "cam1") => mount.with_credentials(u.clone(), p.clone()),
                _ => mount,
            }
        })
        .collect();
    let mut cam = match DemoCamera::start(args.listen, clip, mounts).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("democam: {e}");
            return ExitCode::FAILURE;
        }
    };
    for name in &names {
        println!("READY {}", cam.url(name));
    }
    wait_for_stop().await;
    cam.stop().await;
    let mut total = 0;
    for name in &names {
        let n = cam.frames_sent(name);
        total += n;
        println!("SENT {name} {n}");
    }
    println!("SENT total {total}");
    ExitCode::SUCCESS
}
