//! `democam`: runs the demo camera standalone, serving one clip on mounts
//! cam1..camN, printing `READY <url>` per mount once listening and the frames
//! sent per mount when stopped with SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use mimamori_democam::{Clip, DemoCamera, Mount};

const USAGE: &str = "usage: democam [--listen ADDR] --clip FILE [--fps N] [--mounts N] \
                     [--user U --password P]\n\
                     \n\
                     Serves FILE (H.264 Annex-B) looped over RTSP on mounts cam1..camN.\n\
                     --listen   address to bind (default 127.0.0.1:8554; port 0 picks one)\n\
                     --fps      frame rate of the clip (default 15)\n\
                     --mounts   number of mounts (default 1)\n\
                     --user, --password   Digest credentials required on cam1";

struct Args {
    listen: SocketAddr,
    clip: String,
    fps: u32,
    mounts: usize,
    user: Option<String>,
    password: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut listen = "127.0.0.1:8554".to_string();
    let mut clip = None;
    let mut fps = "15".to_string();
    let mut mounts = "1".to_string();
    let mut user = None;
    let mut password = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if name == "-h" || name == "--help" {
            // An empty error means: print the usage and succeed.
            return Err(String::new());
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name.as_str() {
            "--listen" => listen = value,
            "--clip" => clip = Some(value),
            "--fps" => fps = value,
            "--mounts" => mounts = value,
            "--user" => user = Some(value),
            "--password" => password = Some(value),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if user.is_some() != password.is_some() {
        return Err("--user and --password go together".into());
    }
    Ok(Args {
        listen: listen
            .parse()
            .map_err(|e| format!("--listen {listen}: {e}"))?,
        clip: clip.ok_or("--clip is required")?,
        fps: fps.parse().map_err(|e| format!("--fps {fps}: {e}"))?,
        mounts: mounts
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("--mounts {mounts}: expected a positive number"))?,
        user,
        password,
    })
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("democam: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let bytes = match std::fs::read(&args.clip) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("democam: cannot read {}: {e}", args.clip);
            return ExitCode::FAILURE;
        }
    };
    let clip = match Clip::from_annexb(&bytes, args.fps) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("democam: {}: {e}", args.clip);
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<String> = (1..=args.mounts).map(|i| format!("cam{i}")).collect();
    let mounts = names
        .iter()
        .map(|name| {
            let mount = Mount::new(name.clone());
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
