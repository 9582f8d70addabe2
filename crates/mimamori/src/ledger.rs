//! `mimamori ledger …` and `mimamori verify`: the ledger's local and offline commands.

use std::io::{BufRead as _, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Subcommand;
use mimamori_db::from_us;
use mimamori_ledger::package::verify_package as verify_evidence;
use mimamori_ledger::verify::{verify_log, SavedCheckpoint};
use mimamori_ledger::TrustedKeys;

use crate::app::{Paths, Purpose};
use crate::{DataArgs, PolicyArg};

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Signs a checkpoint of the log now and prints it.
    Checkpoint {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Prints the ward's public verifier keys, current and retired.
    Keys {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Replaces the signing key; the old public key stays published, its private key is gone.
    RotateKey {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Writes the log as canonical events, one per line, leaf 0 first.
    Dump {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Saves every signed checkpoint as a file in DIR.
    Checkpoints {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Verifies the log. With --checkpoints, --log and --keys: offline, against saved
    /// checkpoints. Without: the data directory's events against its own tree and its
    /// checkpoints' signed notes, checked with --keys (given out of band; without it, the
    /// database's own keys, which someone with the database could have replaced).
    Verify {
        #[command(flatten)]
        data: DataArgs,
        /// Directory of saved checkpoints (signed notes, one per file).
        #[arg(long, requires_all = ["log", "keys"])]
        checkpoints: Option<PathBuf>,
        /// A log dump (`mimamori ledger dump`).
        #[arg(long)]
        log: Option<PathBuf>,
        /// The ward's verifier keys, one per line.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// T5.4, N6.2: checks that no footage was read after its erasure was recorded, and (on a
    /// data directory) that no unheld footage older than the window is still stored. With
    /// --log it checks a dump offline. Exits non-zero on any finding.
    AuditErasures {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        policy: PolicyArg,
        /// A dump (`ledger dump`) to audit instead of the data directory.
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// T5.4, N6.2: what retention erased, per camera and day, with the segment hashes.
    Erasures {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        camera: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Checkpoint { data, policy } => {
            let (paths, db) = open(&data).await?;
            let policy = paths.policy(policy.policy.as_deref())?;
            let cp = paths
                .notary(&db, &policy, Purpose::Read)
                .await?
                .sign_checkpoint()
                .await?;
            print!("{}", cp.note);
        }
        LedgerCommand::Keys { data } => {
            let (_, db) = open(&data).await?;
            for k in db.ledger_keys().await? {
                match k.retired_us {
                    None => println!("# current since {}", from_us(k.created_us)),
                    Some(r) => println!("# retired {}", from_us(r)),
                }
                println!("{}", k.verifier_key);
            }
        }
        LedgerCommand::RotateKey { data, policy } => {
            let (paths, db) = open(&data).await?;
            let policy = paths.policy(policy.policy.as_deref())?;
            let notary = paths.notary(&db, &policy, Purpose::Read).await?;
            let cp = notary.rotate_key(&crate::commands::cli_actor()).await?;
            println!("new key: {}", notary.verifier_key().await);
            print!("{}", cp.note);
        }
        LedgerCommand::Dump { data, out } => {
            let (_, db) = open(&data).await?;
            let n = dump(&db, &out).await?;
            eprintln!("{n} events written to {}", out.display());
        }
        LedgerCommand::Checkpoints { data, out } => {
            let (_, db) = open(&data).await?;
            std::fs::create_dir_all(&out)?;
            let mut after = 0;
            loop {
                let page = db.checkpoints(after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for cp in &page {
                    let name = format!("checkpoint-{:012}-{:06}.txt", cp.size, cp.id);
                    std::fs::write(out.join(name), &cp.note)?;
                }
            }
        }
        LedgerCommand::Verify {
            data,
            checkpoints: Some(dir),
            log: Some(log),
            keys: Some(keys),
        } => {
            let _ = data;
            let trusted = trusted_keys(&keys)?;
            let saved = saved_checkpoints(&dir)?;
            let file = std::fs::File::open(&log).with_context(|| log.display().to_string())?;
            let ok = verify_log(&saved, &trusted, std::io::BufReader::new(file))?;
            println!(
                "OK: {} events; {} checkpoints, up to size {}, all consistent with the log",
                ok.leaves, ok.checkpoints, ok.largest_checkpoint
            );
        }
        LedgerCommand::Verify { data, keys, .. } => {
            let trusted = keys.as_deref().map(trusted_keys).transpose()?;
            let (_, db) = open(&data).await?;
            let check = db.verify_ledger(trusted.as_ref()).await?;
            if trusted.is_none() {
                eprintln!(
                    "note: the signatures were checked against the keys in the database; give \
                     --keys FILE (the ward's published keys) for a check that trusts nothing in it"
                );
            }
            println!("{}", serde_json::to_string_pretty(&check)?);
            if !check.problems.is_empty() {
                bail!(
                    "N3.2.1: the ledger failed verification: {}",
                    check.problems[0]
                );
            }
        }
        LedgerCommand::AuditErasures { data, policy, log } => {
            audit_erasures(&data, policy.policy.as_deref(), log.as_deref()).await?
        }
        LedgerCommand::Erasures { data, camera, json } => {
            let (_, db) = open(&data).await?;
            let erasures = db.erasures(camera.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&erasures)?);
            }
            for e in erasures.iter().filter(|_| !json) {
                println!(
                    "{} {}  {} – {}  {} segments, {} bytes, key {}",
                    e.camera_id,
                    e.day,
                    from_us(e.start_us),
                    from_us(e.end_us),
                    e.segment_count,
                    e.bytes,
                    if e.key_shredded {
                        "shredded"
                    } else {
                        "kept (still in use)"
                    }
                );
            }
        }
    }
    Ok(())
}

async fn open(data: &DataArgs) -> anyhow::Result<(Paths, mimamori_db::Db)> {
    let paths = Paths::new(data);
    let db = paths.open_db().await?;
    Ok((paths, db))
}

async fn dump(db: &mimamori_db::Db, out: &Path) -> anyhow::Result<u64> {
    let mut file = BufWriter::new(std::fs::File::create(out)?);
    let mut next = 1;
    let mut n = 0;
    loop {
        let page = db.event_page(next, 10_000).await?;
        let Some(last) = page.last() else { break };
        next = last.id + 1;
        for row in &page {
            file.write_all(&row.canonical_bytes()?)?;
            file.write_all(b"\n")?;
            n += 1;
        }
    }
    file.into_inner()?.sync_all()?;
    Ok(n)
}

fn trusted_keys(path: &Path) -> anyhow::Result<TrustedKeys> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the keys file {}", path.display()))?;
    Ok(TrustedKeys::parse(&text)?)
}

fn saved_checkpoints(dir: &Path) -> anyhow::Result<Vec<SavedCheckpoint>> {
    let mut saved = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        if path.is_file() {
            saved.push(SavedCheckpoint {
                name: path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                note: std::fs::read(&path)?,
            });
        }
    }
    Ok(saved)
}

pub fn verify_package(package: &Path, keys: &Path, json: bool) -> anyhow::Result<()> {
    let trusted = trusted_keys(keys)?;
    let verified = verify_evidence(package, &trusted)
        .with_context(|| format!("{} FAILED verification (検証失敗)", package.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&verified)?);
        return Ok(());
    }
    let m = &verified.manifest;
    println!("OK: {} (検証成功)", package.display());
    println!("  signed by {} ({})", verified.signed_by, m.ward);
    for clip in &m.clips {
        println!(
            "  {}: camera {} {} ({}), {} – {}",
            clip.file,
            clip.camera_id,
            clip.camera_name,
            clip.site,
            clip.requested_start.jst,
            clip.requested_end.jst
        );
    }
    println!(
        "  retrieved by {}; ledger events {} and {} are in the signed log of {} events",
        m.retrieval.retrieved_by,
        m.retrieval.started_event,
        m.retrieval.finished_event,
        verified.checkpoint_size
    );
    Ok(())
}

/// `ledger audit-erasures`: the log's read-after-erasure check, plus overdue footage when the
/// data directory is at hand.
async fn audit_erasures(
    data: &DataArgs,
    policy: Option<&Path>,
    log: Option<&Path>,
) -> anyhow::Result<()> {
    use mimamori_db::{EventBody, EventKind};
    use mimamori_ledger::audit::audit_erasures;
    let kinds = [EventKind::Erasure, EventKind::ExportFinished];
    let (events, overdue) = match log {
        Some(log) => {
            let mut events = Vec::new();
            for line in std::io::BufReader::new(std::fs::File::open(log)?).lines() {
                let event: serde_json::Value = serde_json::from_str(&line?)?;
                let kind = event["kind"].as_str().unwrap_or_default();
                if kinds.iter().any(|k| k.as_str() == kind) {
                    let body = EventBody::from_parts(
                        kind,
                        event["rule"].as_str(),
                        event["detail"].clone(),
                    )?;
                    events.push((event["seq"].as_u64().unwrap_or_default(), body));
                }
            }
            (events, None)
        }
        None => {
            let paths = Paths::new(data);
            let policy = paths.policy(policy)?;
            let db = paths.open_db().await?;
            let mut events = Vec::new();
            for row in db.events_of_kinds(&kinds).await? {
                events.push((row.seq(), row.body()?));
            }
            let now = jiff::Timestamp::now();
            let overdue = mimamori_recorder::retention::overdue(&db, &policy, now).await?;
            (events, Some(overdue))
        }
    };
    let audit = audit_erasures(events.iter().map(|(seq, body)| (*seq, body)));
    let overdue: Vec<serde_json::Value> = overdue
        .unwrap_or_default()
        .iter()
        .map(|s| serde_json::json!({ "camera": s.camera_id, "day": s.day, "segment": s.id }))
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({ "log": audit, "overdue": overdue }))?
    );
    if !audit.violations.is_empty() || !overdue.is_empty() {
        bail!(
            "T5.4: {} read(s) after erasure, {} overdue segment(s) (消去の監査で問題が見つかりました)",
            audit.violations.len(),
            overdue.len()
        );
    }
    Ok(())
}
