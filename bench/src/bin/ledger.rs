//! Ledger benchmark (issue 5). Prints, for comparison across commits:
//!
//! 1. append throughput: events/s appended in batches to the SQLite default (on disk, WAL,
//!    synchronous FULL), hashes and all;
//! 2. full-log verification: leaves/s for a dump of N events checked against signed
//!    checkpoints (`mimamori ledger verify --checkpoints`'s code path);
//! 3. proof latency: p50/p99 of inclusion and consistency proofs read from the database;
//! 4. evidence package verification for a clip of `--clip-mib` MiB, beside `sha256sum` over
//!    the same files in the same run (hashing is the floor: target ≤ 1.5×).
//!
//! Run: `cargo run --release -p mimamori-bench --bin ledger`
//! (defaults: 100,000 appended events, 1,000,000 verified leaves, a 1 GiB clip).

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use mimamori_db::vocabulary::ExportStarted;
use mimamori_db::{Db, Event, EventBody};
use mimamori_ledger::package::{self, Manifest, Proof, ProvenEvent};
use mimamori_ledger::tree::{leaf_hash, prove_record, MemoryTree};
use mimamori_ledger::verify::{verify_log, SavedCheckpoint};
use mimamori_ledger::{encode_event, CheckpointBody, EventFields, SigningKey, TrustedKeys};
use mimamori_policy::access::Role;
use rand::Rng as _;

#[derive(Parser)]
struct Args {
    /// Events appended to SQLite.
    #[arg(long, default_value_t = 100_000)]
    append: usize,
    /// Events per append transaction.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Leaves in the log verified offline.
    #[arg(long, default_value_t = 1_000_000)]
    verify: u64,
    /// Size of the evidence package's clip.
    #[arg(long, default_value_t = 1024)]
    clip_mib: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let work = tempfile::tempdir_in(std::env::current_dir()?)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(append_and_prove(work.path(), args.append, args.batch))?;
    verify_whole_log(args.verify)?;
    verify_package(work.path(), args.clip_mib)?;
    Ok(())
}

/// An export's start, the commonest event with footage in it: camera, range, reason, segments.
fn sample_event(i: usize) -> Event {
    let body = EventBody::ExportStarted(ExportStarted {
        camera: format!("cam-{:03}", i % 200),
        range_start_us: 1_795_000_000_000_000i64 + i as i64,
        range_end_us: 1_795_000_060_000_000i64 + i as i64,
        reason: "事件捜査のため (benchmark)".into(),
        output: "clip-1.mp4".into(),
        segments: vec![i as i64, i as i64 + 1],
    });
    Event {
        role: Some(Role::ImageHandler),
        terminal: Some("terminal-01".into()),
        ..Event::system("bench", body)
    }
}

async fn append_and_prove(dir: &Path, total: usize, batch: usize) -> anyhow::Result<()> {
    let db = Db::open(&dir.join("bench.db")).await?;
    let events: Vec<Event> = (0..total).map(sample_event).collect();
    let started = Instant::now();
    for chunk in events.chunks(batch) {
        db.append_events(chunk).await?;
    }
    let elapsed = started.elapsed();
    println!(
        "append: {total} events in batches of {batch}: {:.2} s, {:.0} events/s (target ≥ 20,000)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );

    let size = db.ledger_size().await?;
    let mut rng = rand::thread_rng();
    let mut inclusion = Vec::new();
    let mut consistency = Vec::new();
    for _ in 0..1000 {
        let index = rng.gen_range(0..size);
        let t = Instant::now();
        db.inclusion_proof(index, size).await?;
        inclusion.push(t.elapsed());
        let old = rng.gen_range(1..=size);
        let t = Instant::now();
        db.consistency_proof(old, size).await?;
        consistency.push(t.elapsed());
    }
    for (name, mut times) in [("inclusion", inclusion), ("consistency", consistency)] {
        times.sort();
        println!(
            "proof: {name} in a tree of {size}: p50 {:.3} ms, p99 {:.3} ms",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100])
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn canonical_line(seq: u64) -> Vec<u8> {
    let e = sample_event(seq as usize);
    let (kind, detail) = e.body.to_parts();
    encode_event(&EventFields {
        seq,
        time_us: 1_795_000_000_000_000 + seq as i64,
        actor: &e.actor,
        role: e.role.map(Role::as_str),
        terminal: e.terminal.as_deref(),
        kind: kind.as_str(),
        rule: None,
        outcome: e.body.outcome().as_str(),
        detail: &detail,
    })
    .expect("canonical")
}

fn verify_whole_log(leaves: u64) -> anyhow::Result<()> {
    let (key, _) = SigningKey::generate("bench/ledger")?;
    let mut dump = Vec::new();
    let mut tree = MemoryTree::with_capacity(leaves as usize);
    let mut checkpoints = Vec::new();
    for seq in 0..leaves {
        let line = canonical_line(seq);
        tree.push(leaf_hash(&line))?;
        dump.extend_from_slice(&line);
        dump.push(b'\n');
        if (seq + 1) % (leaves / 10).max(1) == 0 {
            let body = CheckpointBody {
                origin: "bench/ledger".into(),
                size: seq + 1,
                root: tree.root_at(seq + 1)?,
                time: jiff::Timestamp::now(),
            };
            checkpoints.push(SavedCheckpoint {
                name: format!("cp-{}", seq + 1),
                note: body.sign(&key)?.into_bytes(),
            });
        }
    }
    drop(tree);
    let trusted = TrustedKeys::parse(key.verifier_key())?;
    let started = Instant::now();
    let ok = verify_log(&checkpoints, &trusted, &dump[..])?;
    let elapsed = started.elapsed();
    println!(
        "verify log: {} leaves ({} MiB dump), {} checkpoints: {:.2} s, {:.0} leaves/s (target: 1,000,000 in < 2 s)",
        ok.leaves,
        dump.len() >> 20,
        ok.checkpoints,
        elapsed.as_secs_f64(),
        ok.leaves as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// Builds a valid package around a clip of random bytes (verification never decodes the MP4),
/// then times `verify_package` and `sha256sum` on the same files, warm.
fn verify_package(work: &Path, clip_mib: u64) -> anyhow::Result<()> {
    let dir = work.join("package");
    std::fs::create_dir(&dir)?;
    let mut clip = std::fs::File::create(dir.join("clip-1.mp4"))?;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..clip_mib {
        rand::thread_rng().fill(&mut block[..]);
        clip.write_all(&block)?;
    }
    clip.sync_all()?;
    std::fs::write(dir.join(package::README), "bench\n")?;
    let clip_entry = package::file_entry(&dir, "clip-1.mp4")?;
    let (key, _) = SigningKey::generate("bench/ledger")?;

    let events = [
        serde_json::json!({ "camera": "cam1" }),
        serde_json::json!({ "sha256": clip_entry.sha256, "started_event": 1, "segments": [1] }),
    ];
    let lines: Vec<Vec<u8>> = events
        .iter()
        .zip(["export_started", "export_finished"])
        .enumerate()
        .map(|(seq, (detail, kind))| {
            encode_event(&EventFields {
                seq: seq as u64,
                time_us: 1_795_000_000_000_000,
                actor: "bench",
                role: None,
                terminal: None,
                kind,
                rule: None,
                outcome: "done",
                detail,
            })
        })
        .collect::<Result<_, _>>()?;
    let mut tree = MemoryTree::default();
    for l in &lines {
        tree.push(leaf_hash(l))?;
    }
    let body = CheckpointBody {
        origin: "bench/ledger".into(),
        size: 2,
        root: tree.root_at(2)?,
        time: jiff::Timestamp::now(),
    };
    let proof = Proof {
        checkpoint: body.sign(&key)?,
        events: lines
            .iter()
            .enumerate()
            .map(|(seq, l)| ProvenEvent {
                seq: seq as u64,
                event: String::from_utf8_lossy(l).into_owned(),
                inclusion_proof: prove_record(2, seq as u64, &tree)
                    .expect("proof")
                    .iter()
                    .map(|h| {
                        use base64::prelude::{Engine, BASE64_STANDARD};
                        BASE64_STANDARD.encode(h.0)
                    })
                    .collect(),
            })
            .collect(),
    };
    std::fs::write(dir.join(package::PROOF), serde_json::to_vec(&proof)?)?;
    let files = vec![
        clip_entry,
        package::file_entry(&dir, package::PROOF)?,
        package::file_entry(&dir, package::README)?,
    ];
    let manifest = bench_manifest(files);
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    std::fs::write(dir.join(package::MANIFEST), &bytes)?;
    let sha = mimamori_ledger::package::hash_reader(&bytes[..])?.1;
    let note = key.sign_note(&package::signature_statement("bench/ledger", &sha))?;
    std::fs::write(dir.join(package::SIGNATURE), note)?;

    let trusted = TrustedKeys::parse(key.verifier_key())?;
    // Warm the page cache for both contenders.
    package::verify_package(&dir, &trusted)?;
    let started = Instant::now();
    package::verify_package(&dir, &trusted)?;
    let ours = started.elapsed();
    let names = [
        "clip-1.mp4",
        package::PROOF,
        package::README,
        package::MANIFEST,
        package::SIGNATURE,
    ];
    let started = Instant::now();
    let status = Command::new("sha256sum")
        .args(names)
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .context("sha256sum")?;
    let baseline = started.elapsed();
    if !status.success() {
        bail!("sha256sum failed");
    }
    println!(
        "verify package: {clip_mib} MiB clip: {:.3} s; sha256sum of the same files: {:.3} s; ratio {:.2} (target ≤ 1.5)",
        ours.as_secs_f64(),
        baseline.as_secs_f64(),
        ours.as_secs_f64() / baseline.as_secs_f64()
    );
    Ok(())
}

fn bench_manifest(files: Vec<package::FileEntry>) -> Manifest {
    let times = || package::Times {
        utc: "2026-11-23T00:00:00.000000Z".into(),
        jst: "2026-11-23T09:00:00.000000+09:00".into(),
    };
    Manifest {
        format: package::FORMAT.into(),
        origin: "bench/ledger".into(),
        ward: "bench".into(),
        operator: "bench".into(),
        created: times(),
        retrieval: package::Retrieval {
            request_id: None,
            instruction_id: None,
            ordered_by: None,
            instructed_by: None,
            retrieved_by: "bench".into(),
            terminal: None,
            legal_basis: None,
            reason: "bench".into(),
            started_event: 0,
            finished_event: 1,
        },
        clips: vec![package::Clip {
            file: "clip-1.mp4".into(),
            camera_id: "cam1".into(),
            camera_name: "bench".into(),
            site: "bench".into(),
            requested_start: times(),
            requested_end: times(),
            clip_start: times(),
            duration_ms: 0,
            source_segments: vec![package::SourceSegment {
                id: 1,
                sha256: String::new(),
            }],
            started_event: None,
            finished_event: None,
        }],
        files,
    }
}
