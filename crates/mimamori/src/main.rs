//! `mimamori`: the command-line entry point. Every subcommand is a thin shell over the library
//! crates; errors become messages here and nowhere else.

mod app;
mod client;
mod commands;
mod demo;
mod ledger;
mod staff;
mod terminal;
mod terminal_app;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// 見守り mimamori — records a ward's street crime-prevention cameras the way the guideline
/// requires: around the clock, encrypted, erased on schedule, never watched live.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where mimamori keeps its database, segments and keys.
#[derive(clap::Args, Clone)]
struct DataArgs {
    /// Data directory: database, segments, and (by default) the key-encryption key.
    #[arg(long, default_value = "./mimamori-data", env = "MIMAMORI_DATA_DIR")]
    data_dir: PathBuf,
    /// Key-encryption key file; keep it off the disk that holds the segments.
    /// Default: DATA_DIR/keys/kek.key.
    #[arg(long, env = "MIMAMORI_KEK_FILE")]
    kek_file: Option<PathBuf>,
    /// The metadata database when it is the city's PostgreSQL (postgres://user@host/db; the
    /// password from PGPASSWORD or the URL). Default: the SQLite file DATA_DIR/mimamori.db.
    #[arg(long, env = "MIMAMORI_DATABASE")]
    database: Option<String>,
}

/// The policy file, for commands that need the ward's cameras and rules.
#[derive(clap::Args, Clone)]
struct PolicyArg {
    /// Policy file (TOML). Default: DATA_DIR/policy.toml, which `demo` writes.
    #[arg(long, env = "MIMAMORI_POLICY")]
    policy: Option<PathBuf>,
}

/// One camera's footage between two times.
#[derive(clap::Args, Clone)]
struct FootageRange {
    /// Camera id, as in the policy.
    #[arg(long)]
    camera: String,
    /// Start: RFC 3339 (2026-11-23T10:00:00+09:00) or ward-local "2026-11-23 10:00:00".
    #[arg(long)]
    from: String,
    /// End, in the same forms as --from.
    #[arg(long)]
    to: String,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a demo ward: built-in RTSP demo cameras, recorded on the embedded default.
    Demo {
        #[command(flatten)]
        data: DataArgs,
        /// Address of the HTTP API (health and metrics).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// How many demo cameras to run.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        cameras: u16,
    },
    /// Records the policy's cameras and serves the HTTP API until stopped (Ctrl-C or SIGTERM).
    Serve {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArg,
        /// Address of the HTTP API (health and metrics).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Serve over TLS with this certificate chain (PEM, leaf first); with --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Shows each camera's state, today's recording, gaps and disk use.
    Status {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArg,
        /// Prints JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-reads every stored segment and reports any whose content no longer matches its hash.
    Check {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
    /// Holds (T5.3): keep a camera's footage beyond the retention window.
    Hold {
        #[command(subcommand)]
        command: HoldCommand,
    },
    /// The tamper-evident ledger: checkpoints, keys, dumps, verification, erasure receipts.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// The dedicated terminal: its key, retrievals, and its own history (N2, N9.3, N11.3).
    Terminal {
        #[command(subcommand)]
        command: terminal::TerminalCommand,
    },
    /// Accounts made at the server itself: the first Administrator of a new ward.
    Staff {
        #[command(subcommand)]
        command: staff::StaffCommand,
    },
    /// Verifies an evidence package (directory or zip) offline with the ward's public keys.
    Verify {
        /// The package directory or its zip.
        package: PathBuf,
        /// File of the ward's verifier keys, one per line (from /api/v1/ledger/keys or
        /// `mimamori ledger keys`).
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum HoldCommand {
    /// Keeps a camera's footage in a range until a date, for a recorded reason.
    Add {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArg,
        #[command(flatten)]
        range: FootageRange,
        /// Keep until this time (same forms as --from).
        #[arg(long)]
        until: String,
        /// T5.3: why the extension is especially necessary.
        #[arg(long)]
        reason: String,
        /// Who decided it.
        #[arg(long)]
        by: String,
    },
    /// Lists holds in force.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

fn main() -> std::process::ExitCode {
    // Every file mimamori writes — the database, segments, keys, a retrieval's package on the
    // office or the terminal — is its owner's alone (issue 11, #12, #19).
    // SAFETY: umask only sets the process's file-creation mask; no memory is involved.
    unsafe {
        libc::umask(0o077);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo {
            data,
            listen,
            cameras,
        } => demo::run(data, listen, cameras).await,
        Command::Serve {
            data,
            policy,
            listen,
            tls_cert,
            tls_key,
        } => {
            // Read before anything starts, so a wrong path stops at once with its reason.
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(mimamori_office::serve::tls_acceptor(&cert, &key)?),
                _ => None,
            };
            let app = app::App::open(&data, policy.policy.as_deref(), app::Purpose::Record).await?;
            app.serve(listen, tls).await
        }
        Command::Status { data, policy, json } => {
            commands::status(&data, policy.policy.as_deref(), json).await
        }
        Command::Check { data, json } => commands::check(&data, json).await,
        Command::Hold {
            command:
                HoldCommand::Add {
                    data,
                    policy,
                    range,
                    until,
                    reason,
                    by,
                },
        } => {
            commands::hold_add(
                &data,
                policy.policy.as_deref(),
                &range,
                &until,
                &reason,
                &by,
            )
            .await
        }
        Command::Hold {
            command: HoldCommand::List { data },
        } => commands::hold_list(&data).await,
        Command::Ledger { command } => ledger::run(command).await,
        Command::Terminal { command } => terminal::run(command).await,
        Command::Staff { command } => staff::run(command).await,
        Command::Verify {
            package,
            keys,
            json,
        } => ledger::verify_package(&package, &keys, json),
    }
}
