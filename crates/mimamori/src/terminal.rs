//! `mimamori terminal`: the dedicated terminal's side of a retrieval (N2, N3.3, N8, N9.3).
//!
//! The terminal holds its own Ed25519 key (`init`). To retrieve, the handler signs in, the
//! office issues a grant for the instruction, the terminal key signs it, and the office answers
//! with the evidence package, which the terminal checks against the ward's public keys before
//! it says anything was retrieved. Each retrieval is appended to the terminal's own history
//! file, which `history` prints signed by the terminal key for the monthly check (N11.3).

use std::io::{BufRead, Read as _, Seek as _, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use anyhow::{bail, Context as _};
use clap::Subcommand;

use crate::client::Client;
use direct::DirectFile;
use mimamori_ledger::checkpoint::TrustedKeys;
use mimamori_ledger::package::{verify_package, Manifest};
use mimamori_office::grant::{GrantClaims, TerminalKey};
use mimamori_office::wire::{GrantInput, GrantOutput, RetrievalInput};
use mimamori_policy::TerminalId;
use serde_json::{json, Value};

#[derive(Subcommand)]
pub enum TerminalCommand {
    /// Creates this terminal's key pair; prints the public key to register (private key: 0600).
    Init {
        /// The terminal's id, as it will be registered (e.g. pc-1).
        #[arg(long)]
        id: String,
        /// Where to keep the private key.
        #[arg(long, default_value = "./mimamori-terminal/terminal.key")]
        key: PathBuf,
        /// The ward's verifier keys (`mimamori ledger keys` at the office), pinned on this
        /// terminal: packages are verified against these, never against keys the server sends.
        #[arg(long)]
        ward_keys: Option<PathBuf>,
    },
    /// Pins the ward's verifier keys on this terminal (again after the ward rotates its key).
    PinKeys {
        #[arg(long, default_value = "./mimamori-terminal/terminal.key")]
        key: PathBuf,
        /// The output of `mimamori ledger keys` at the office, brought over by hand.
        #[arg(long)]
        keys: PathBuf,
    },
    /// Retrieves an instructed request's footage at this terminal and writes the evidence
    /// package OUT/ (and OUT.zip), checked against the ward's keys.
    Retrieve {
        /// The office, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "MIMAMORI_SERVER")]
        server: String,
        #[arg(long, default_value = "./mimamori-terminal/terminal.key")]
        key: PathBuf,
        /// The image handler's login name.
        #[arg(long)]
        login: String,
        /// Environment variable holding the password (it is never a command-line argument).
        #[arg(long, default_value = "MIMAMORI_PASSWORD")]
        password_env: String,
        /// The request number (Form 1 serial).
        #[arg(long)]
        request: i64,
        #[arg(long)]
        out: PathBuf,
        /// Verify against these keys instead of the ones pinned on this terminal.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// The ward's certificate authority (PEM), when the office's TLS certificate is not
        /// from a public one.
        #[arg(long)]
        ca: Option<PathBuf>,
    },
    /// Serves the terminal's own small page on this PC (127.0.0.1 only): the handler signs in,
    /// sees the instructions for this terminal, retrieves with a progress bar, and gets the
    /// signed monthly history (N2, N9.3, N11.3). The key never leaves this PC.
    Serve {
        /// The office, e.g. https://office.example.
        #[arg(long, env = "MIMAMORI_SERVER")]
        server: String,
        #[arg(long, default_value = "./mimamori-terminal/terminal.key")]
        key: PathBuf,
        /// The ward's certificate authority (PEM), when the office's TLS certificate is not
        /// from a public one.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Where the page listens: this PC only.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// Where the evidence packages are written.
        #[arg(long, default_value = "./mimamori-terminal/packages")]
        out: PathBuf,
    },
    /// Prints this terminal's retrieval history, signed by its key (N11.3).
    History {
        #[arg(long, default_value = "./mimamori-terminal/terminal.key")]
        key: PathBuf,
        /// Only this month (YYYY-MM, Asia/Tokyo).
        #[arg(long)]
        month: Option<String>,
    },
}

pub async fn run(command: TerminalCommand) -> anyhow::Result<()> {
    match command {
        TerminalCommand::Serve {
            server,
            key,
            ca,
            listen,
            out,
        } => {
            let options = crate::terminal_app::Options {
                server,
                key,
                ca,
                out,
            };
            crate::terminal_app::serve(options, listen).await
        }
        command => tokio::task::spawn_blocking(move || run_blocking(command)).await?,
    }
}

fn run_blocking(command: TerminalCommand) -> anyhow::Result<()> {
    match command {
        TerminalCommand::Init { id, key, ward_keys } => {
            init(&id, &key)?;
            match ward_keys {
                Some(keys) => pin_keys(&key, &keys),
                None => Ok(()),
            }
        }
        TerminalCommand::PinKeys { key, keys } => pin_keys(&key, &keys),
        TerminalCommand::Retrieve {
            server,
            key,
            login,
            password_env,
            request,
            out,
            keys,
            ca,
        } => {
            let password = std::env::var(&password_env).with_context(|| {
                format!(
                    "set the password in ${password_env} (パスワードを環境変数に設定してください)"
                )
            })?;
            let trusted = ward_keys(&key, keys.as_deref())?;
            let mut client = Client::new(&server, ca.as_deref())?;
            client.sign_in(&login, &password, None)?;
            let at = Retrieval {
                key: &key,
                trusted: &trusted,
                handler: &login,
                out: &out,
            };
            let summary = retrieve(&client, &at, request, &Progress::default())?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        TerminalCommand::History { key, month } => {
            let history = signed_history(&key, month.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&history)?);
            Ok(())
        }
        TerminalCommand::Serve { .. } => bail!("`terminal serve` runs on the async runtime"),
    }
}

fn init(id: &str, key_path: &Path) -> anyhow::Result<()> {
    let key = TerminalKey::generate(id);
    key.create_file(key_path)?;
    println!("terminal key written to {} (mode 0600)", key_path.display());
    println!("register it (Operations lead): POST /api/v1/terminals");
    println!(
        "{}",
        json!({
            "id": id, "name": "専用端末", "location": "…", "custodian": "…",
            "public_key": key.public_key(),
        })
    );
    Ok(())
}

/// Where a retrieval happens: the terminal's key, the ward's pinned keys, the handler signed
/// in, and the directory the package goes to (and `OUT.zip` beside it).
pub struct Retrieval<'a> {
    pub key: &'a Path,
    pub trusted: &'a TrustedKeys,
    pub handler: &'a str,
    pub out: &'a Path,
}

/// How far a retrieval has come, for the terminal's page to show while it runs.
#[derive(Default)]
pub struct Progress {
    stage: AtomicU8,
    bytes: AtomicU64,
}

/// A retrieval's stages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Granting,
    Downloading,
    Verifying,
    Unpacking,
    Done,
}

impl Progress {
    fn set(&self, stage: Stage) {
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    pub fn stage(&self) -> Stage {
        match self.stage.load(Ordering::Relaxed) {
            0 => Stage::Granting,
            1 => Stage::Downloading,
            2 => Stage::Verifying,
            3 => Stage::Unpacking,
            _ => Stage::Done,
        }
    }

    /// Bytes of the package received so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// A reader that counts what passes through it into a [`Progress`].
struct Counting<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The whole retrieval at the terminal, by a signed-in handler; returns what was written. The
/// package is verified against the ward's keys as pinned on the terminal (issue 11, #14: keys
/// fetched from the same server proved nothing about it).
pub fn retrieve(
    client: &Client,
    at: &Retrieval<'_>,
    request: i64,
    progress: &Progress,
) -> anyhow::Result<Value> {
    let (key_path, out, login) = (at.key, at.out, at.handler);
    let key = TerminalKey::load(key_path)?;
    let zip_path = out.with_extension("zip");
    for p in [out, zip_path.as_path()] {
        if p.exists() {
            bail!("{} already exists (既に存在します)", p.display());
        }
    }
    progress.set(Stage::Granting);
    let ask = GrantInput {
        terminal: TerminalId::new(&key.terminal_id),
    };
    let grant: GrantOutput = client.call(
        "POST",
        &format!("/api/v1/requests/{request}/grants"),
        Some(&ask),
    )?;
    // The grant's scope is read from the note the ward signed, checked against the keys
    // pinned here, never from the server's unsigned answer beside it.
    let claims = at
        .trusted
        .open_note(grant.grant.as_bytes())
        .ok()
        .and_then(|text| GrantClaims::parse(&text))
        .context(
            "the grant is not signed by the ward's key pinned on this terminal \
             (この端末に登録された区の鍵で署名された許可ではありません)",
        )?;
    let body = RetrievalInput {
        signature: key.sign_grant(&grant.grant),
        grant: grant.grant.clone(),
    };
    let response = client.send("POST", "/api/v1/retrievals", Some(&body))?;
    progress.set(Stage::Downloading);
    let mut file = DirectFile::create(&zip_path)
        .with_context(|| format!("cannot write {}", zip_path.display()))?;
    let mut reader = Counting {
        inner: response.into_reader(),
        progress,
    };
    std::io::copy(&mut reader, &mut file)?;
    file.finish()?;
    progress.set(Stage::Verifying);
    read_ahead(&zip_path);
    let verified = verify_package(&zip_path, at.trusted).with_context(|| {
        format!(
            "{} does not verify (検証に失敗しました)",
            zip_path.display()
        )
    })?;
    if let Err(e) = check_package_is_the_grants(&claims, &verified.manifest) {
        // Footage the grant did not let out does not stay on the terminal either.
        let _ = std::fs::remove_file(&zip_path);
        return Err(e);
    }
    progress.set(Stage::Unpacking);
    unzip(&zip_path, out)?;
    let mut entry = json!({
        "request": request,
        "grant": claims.grant,
        "camera": claims.camera,
        "from": claims.from,
        "to": claims.to,
        "handler": login,
        "terminal": key.terminal_id,
        "retrieved": jiff::Timestamp::now().to_string(),
        "manifest_sha256": hex_sha256(&std::fs::read(out.join(mimamori_ledger::package::MANIFEST))?),
    });
    if !claims.further_cameras.is_empty() {
        entry["further_cameras"] = json!(claims.further_cameras);
    }
    append_history(key_path, &entry)?;
    progress.set(Stage::Done);
    Ok(json!({
        "dir": out,
        "zip": zip_path,
        "clip": out.join(&verified.manifest.clips[0].file),
        "clips": verified
            .manifest
            .clips
            .iter()
            .map(|c| json!({ "camera": c.camera_id, "file": out.join(&c.file) }))
            .collect::<Vec<_>>(),
        "verified": true,
        "checkpoint_size": verified.checkpoint_size,
        "history": entry,
    }))
}

/// Where the ward's keys are pinned, beside the terminal key.
pub fn pinned_keys_path(key_path: &Path) -> std::path::PathBuf {
    key_path.with_extension("ward-keys")
}

/// Pins the ward's verifier keys on this terminal, after checking they parse.
fn pin_keys(key_path: &Path, keys: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(keys)
        .with_context(|| format!("cannot read the ward's keys {}", keys.display()))?;
    TrustedKeys::parse(&text)
        .with_context(|| format!("{} holds no verifier key", keys.display()))?;
    let pinned = pinned_keys_path(key_path);
    std::fs::write(&pinned, text).with_context(|| pinned.display().to_string())?;
    eprintln!(
        "ward keys pinned at {} (区の公開鍵を登録しました)",
        pinned.display()
    );
    Ok(())
}

/// The ward's verifier keys: `--keys`, or those pinned on this terminal. Never the server's
/// answer: a server that could forge a package could answer with its own key.
pub fn ward_keys(key_path: &Path, given: Option<&Path>) -> anyhow::Result<TrustedKeys> {
    let path = given.map_or_else(|| pinned_keys_path(key_path), Path::to_path_buf);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no ward keys at {}: pin them with `mimamori terminal pin-keys --keys FILE` (the \
             output of `mimamori ledger keys` at the office) or give --keys \
             (区の公開鍵が登録されていません)",
            path.display()
        )
    })?;
    Ok(TrustedKeys::parse(&text)?)
}

/// N9.4 at the terminal: a package that verifies against the ward's keys is still refused
/// unless it is the one this grant let out: made for this request at this terminal, with one
/// clip of each granted camera, in order, over the granted range. A server that answered with
/// another request's package, genuinely signed (a replay), or with other cameras' footage, is
/// caught here.
fn check_package_is_the_grants(claims: &GrantClaims, manifest: &Manifest) -> anyhow::Result<()> {
    let retrieval = &manifest.retrieval;
    let request = claims.request.to_string();
    let terminal = claims.terminal.to_string();
    if retrieval.request_id.as_deref() != Some(request.as_str())
        || retrieval.terminal.as_deref() != Some(terminal.as_str())
    {
        bail!(
            "the package was made for request {:?} at terminal {:?}, not for request {request} \
             at {terminal} (別の依頼の画像です。受け取りません)",
            retrieval.request_id,
            retrieval.terminal
        );
    }
    let us = |t: jiff::Timestamp| t.as_microsecond();
    let granted: Vec<(&str, i64, i64)> =
        std::iter::once((claims.camera.as_str(), us(claims.from), us(claims.to)))
            .chain(
                claims
                    .further_cameras
                    .iter()
                    .map(|c| (c.camera.as_str(), us(c.from), us(c.to))),
            )
            .collect();
    let at = |t: &mimamori_ledger::package::Times| t.utc.parse().map_or(i64::MIN, us);
    let packaged: Vec<(&str, i64, i64)> = manifest
        .clips
        .iter()
        .map(|c| {
            let range = (at(&c.requested_start), at(&c.requested_end));
            (c.camera_id.as_str(), range.0, range.1)
        })
        .collect();
    if granted != packaged {
        bail!(
            "the package holds {packaged:?}, the grant named {granted:?} (camera, from µs, to µs) \
             (許可と異なるカメラまたは日時の画像です。受け取りません)"
        );
    }
    Ok(())
}

/// Reads `path` on another thread, so that the verifier, hashing it just behind, finds it in
/// memory: the zip was written past the page cache ([`DirectFile`]), and reading the disk and
/// hashing then overlap instead of taking turns (3.3 s for an hour of footage, before).
fn read_ahead(path: &Path) {
    let Ok(mut file) = std::fs::File::open(path) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buf = vec![0; 4 << 20];
        while file.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
}

fn unzip(zip_path: &Path, out: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip_path)?)?;
    std::fs::create_dir(out)?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        // Only plain names: a package has no directories, and no name may climb out of OUT.
        let name = entry.name().to_owned();
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            bail!("unexpected file name {name:?} in the package");
        }
        let mut file = DirectFile::create(&out.join(&name))?;
        match (entry.compression(), entry.data_start()) {
            // A package's entries are stored: the bytes are read straight from the zip, in
            // 1 MiB reads. They were verified in the zip just before.
            (zip::CompressionMethod::Stored, Some(start)) => {
                let size = entry.size();
                drop(entry);
                let mut source = std::fs::File::open(zip_path)?;
                source.seek(std::io::SeekFrom::Start(start))?;
                let mut source = std::io::BufReader::with_capacity(1 << 20, source.take(size));
                let copied = std::io::copy(&mut source, &mut file)?;
                if copied != size {
                    bail!("{name} is cut short in the package");
                }
            }
            _ => {
                std::io::copy(&mut entry, &mut file)?;
            }
        }
        file.finish()?;
    }
    Ok(())
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn history_path(key_path: &Path) -> PathBuf {
    key_path.with_extension("history.jsonl")
}

fn append_history(key_path: &Path, entry: &Value) -> anyhow::Result<()> {
    let path = history_path(key_path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot append to {}", path.display()))?;
    writeln!(file, "{entry}")?;
    file.sync_all()?;
    Ok(())
}

/// N11.3: the terminal's own record, signed by its key, to be compared with the office's.
pub fn signed_history(key_path: &Path, month: Option<&str>) -> anyhow::Result<Value> {
    let key = TerminalKey::load(key_path)?;
    let path = history_path(key_path);
    let mut entries = Vec::new();
    if path.exists() {
        for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
            let entry: Value = serde_json::from_str(&line?)?;
            let in_month = month.is_none_or(|m| {
                entry["retrieved"]
                    .as_str()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .map(|t| t.to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").expect("tzdb")))
                    .is_some_and(|z| z.strftime("%Y-%m").to_string() == m)
            });
            if in_month {
                entries.push(entry);
            }
        }
    }
    let body = json!({ "terminal": key.terminal_id, "month": month, "entries": entries });
    // Signed in RFC 8785 form, so the office re-derives the same bytes from the JSON.
    let bytes = mimamori_ledger::canonical::canonical_json(&body)?;
    Ok(json!({
        "history": body,
        "signature": key.sign(mimamori_office::grant::HISTORY_CONTEXT, bytes.as_bytes()),
        "public_key": key.public_key(),
    }))
}

mod direct;

#[cfg(test)]
#[path = "terminal/tests.rs"]
mod tests;
