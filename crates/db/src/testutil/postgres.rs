//! A throwaway PostgreSQL cluster for tests (issue 15): Debian's PostgreSQL, started by the
//! test itself in a temporary directory, listening on 127.0.0.1 only, stopped when dropped.
//! The test command installs the `postgresql` package; nothing here is a mock.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// How to get PostgreSQL where it is missing.
pub const INSTALL_HINT: &str =
    "PostgreSQL is needed: apt-get install postgresql (scripts/test installs it)";

/// A running cluster; its data directory goes with it.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

/// The newest PostgreSQL's programs Debian installed (`/usr/lib/postgresql/N/bin`).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap_or_else(|e| panic!("/usr/lib/postgresql: {e}; {INSTALL_HINT}"))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_str()?.parse().ok()?;
            Some((n, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .unwrap_or_else(|| panic!("no initdb under /usr/lib/postgresql; {INSTALL_HINT}"))
        .1
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs a PostgreSQL program; as root, as the `postgres` user (initdb refuses root).
fn run(program: &Path, args: &[&str]) {
    let root = is_root();
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = command
        .args(args)
        .current_dir("/tmp")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}; {INSTALL_HINT}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    /// initdb and start a cluster (a few seconds); its one role is `mimamori`, trusted on
    /// loopback, with the database `mimamori`. Tests' clusters do not sync to disk.
    pub fn start() -> Cluster {
        Cluster::start_with(false)
    }

    /// A cluster that syncs every commit to disk as a production one does: for benchmarks.
    pub fn start_durable() -> Cluster {
        Cluster::start_with(true)
    }

    fn start_with(durable: bool) -> Cluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("mimamori-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres", &path])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown postgres {path}; {INSTALL_HINT}");
        }
        let data = format!("{path}/data");
        run(
            &bin.join("initdb"),
            &[
                "-D",
                &data,
                "-U",
                "mimamori",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sync = if durable {
            ""
        } else {
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!("-c listen_addresses=127.0.0.1 -p {port} -k {path}{sync}");
        let log = format!("{path}/log");
        run(
            &bin.join("pg_ctl"),
            &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
        );
        let cluster = Cluster { bin, dir, port };
        run(
            &cluster.bin.join("createdb"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "mimamori",
                "mimamori",
            ],
        );
        cluster
    }

    /// The URL of a fresh database of this cluster named `name`.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        run(
            &self.bin.join("createdb"),
            &["-h", "127.0.0.1", "-p", &port, "-U", "mimamori", name],
        );
        format!("postgres://mimamori@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Cluster {
    /// Stops the server at once (its data is thrown away with the directory).
    fn stop(&self) {
        let data = self.dir.path().join("data");
        let data = data.to_str().unwrap_or_default().to_owned();
        let program = self.bin.join("pg_ctl");
        let _ = std::panic::catch_unwind(|| {
            run(&program, &["-D", &data, "-m", "immediate", "stop"]);
        });
    }
}

/// The cluster this test process shares (started by the first test that asks, stopped when
/// the process exits): each test still gets a database of its own ([`database_for_test`]).
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        extern "C" fn stop_at_exit() {
            if let Some(cluster) = SHARED.get() {
                cluster.stop();
                let _ = std::fs::remove_dir_all(cluster.dir.path());
            }
        }
        let cluster = Cluster::start();
        // SAFETY: registers a plain function with no arguments; statics are never dropped,
        // so without it the cluster would outlive the tests.
        unsafe { libc::atexit(stop_at_exit) };
        cluster
    })
}

/// A fresh database in the shared cluster, for one test: its URL.
pub fn database_for_test() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    shared().database(&format!("test_{n}"))
}
