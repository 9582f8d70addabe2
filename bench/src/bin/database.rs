//! Database writes on both engines (issue 15). Prints, for the SQLite default (a file, WAL,
//! synchronous FULL) and for PostgreSQL (a throwaway cluster on 127.0.0.1 that syncs every
//! commit, as a production one does), side by side:
//!
//! 1. segment index rows/s: the recorder's one write per camera-minute, from 1 writer and from
//!    `--writers` concurrent writers (recorder nodes, cameras);
//! 2. ledger appends/s: one event per transaction, the office's steps, from 1 writer and from
//!    `--writers` (on PostgreSQL they queue on the write lock across processes);
//! 3. one lease round of a node over `--cameras` cameras with `--nodes` nodes alive (ms).
//!
//! Run: `cargo run --release -p mimamori-bench --bin database` (needs PostgreSQL installed:
//! the test command installs it).

use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use jiff::{SignedDuration, Timestamp};
use mimamori_db::testutil::postgres::Cluster;
use mimamori_db::{CameraRecord, Db, Event, EventBody, NewSegment};
use mimamori_policy::CameraId;

#[derive(Parser)]
struct Args {
    /// Segment rows and ledger events written by each measurement.
    #[arg(long, default_value_t = 2_000)]
    rows: usize,
    /// Concurrent writers in the second measurement of each kind.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Cameras of the lease round.
    #[arg(long, default_value_t = 1_000)]
    cameras: usize,
    /// Live nodes of the lease round.
    #[arg(long, default_value_t = 4)]
    nodes: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let work = tempfile::tempdir_in(std::env::current_dir()?)?;
    let cluster = Cluster::start_durable();
    let url = cluster.database("bench");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        println!("engine      segments/s (1)  segments/s ({w})  appends/s (1)  appends/s ({w})  lease round ms", w = args.writers);
        let sqlite = Db::open(&work.path().join("bench.db")).await?;
        measure("SQLite", &sqlite, &args).await?;
        let postgres = Db::open_postgres(&url).await?;
        measure("PostgreSQL", &postgres, &args).await
    })
}

async fn measure(name: &str, db: &Db, args: &Args) -> anyhow::Result<()> {
    let cameras = cameras(db, args.cameras.max(args.writers)).await?;
    let entry = db
        .sample_entry_id(&[9; 32], 1920, 1080, "avc1.640028", &[0; 16])
        .await?;
    let one = segments(db, &cameras[..1], entry, args.rows, 0).await?;
    let many = segments(db, &cameras[..args.writers], entry, args.rows, 1).await?;
    let append_one = appends(db, 1, args.rows).await?;
    let append_many = appends(db, args.writers, args.rows).await?;
    let round = lease_round(db, &cameras[..args.cameras], args.nodes).await?;
    println!(
        "{name:<10}  {one:>14.0}  {many:>15.0}  {append_one:>13.0}  {append_many:>14.0}  {round:>14.1}"
    );
    Ok(())
}

async fn cameras(db: &Db, n: usize) -> anyhow::Result<Vec<CameraId>> {
    let now = Timestamp::now();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("cam{i:05}");
        let record = CameraRecord {
            id: id.clone(),
            name: id.clone(),
            site: "bench".into(),
            url: format!("rtsp://127.0.0.1/{id}"),
        };
        db.upsert_camera(&record, now).await?;
        out.push(CameraId::new(&id).map_err(anyhow::Error::msg)?);
    }
    Ok(out)
}

/// Segment rows/s: `rows` inserts spread over one writer task per camera.
async fn segments(
    db: &Db,
    cameras: &[CameraId],
    entry: i64,
    rows: usize,
    run: u8,
) -> anyhow::Result<f64> {
    let day = jiff::civil::date(2026, 11, 23);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, camera) in cameras.iter().enumerate() {
        let (db, camera) = (db.clone(), camera.clone());
        let per = rows / cameras.len();
        tasks.spawn(async move {
            let key = db
                .insert_day_key(&camera, day, "kek", &[1; 40], Timestamp::now())
                .await?;
            for i in 0..per {
                let mut file_id = [run; 16];
                file_id[1..5].copy_from_slice(&(c as u32).to_be_bytes());
                file_id[5..9].copy_from_slice(&(i as u32).to_be_bytes());
                let at = Timestamp::now();
                db.insert_segment(&NewSegment {
                    camera_id: camera.clone(),
                    day,
                    day_key_id: key.id,
                    file_id,
                    run_id: 1,
                    start: at,
                    end: at + SignedDuration::from_secs(60),
                    media_start_90k: 0,
                    duration_90k: 60 * 90_000,
                    sample_count: 1_800,
                    keyframe_count: 30,
                    plaintext_bytes: 30_000_000,
                    file_bytes: 30_000_000,
                    sha256: [7; 32],
                    video_sample_entry_id: entry,
                    // About 3 bytes a frame, as the recorder's sample index is.
                    sample_index: vec![0; 5_400],
                    lease_epoch: None,
                })
                .await?;
            }
            Ok::<_, mimamori_db::DbError>(per)
        });
    }
    let mut written = 0;
    while let Some(done) = tasks.join_next().await {
        written += done.context("writer task")??;
    }
    Ok(written as f64 / start.elapsed().as_secs_f64())
}

/// Ledger appends/s, one event per transaction, from `writers` tasks.
async fn appends(db: &Db, writers: usize, rows: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..writers {
        let db = db.clone();
        let per = rows / writers;
        tasks.spawn(async move {
            for _ in 0..per {
                let event = Event::system(
                    &format!("bench-{w}"),
                    EventBody::SignedIn(Default::default()),
                );
                db.append_event(&event).await?;
            }
            Ok::<_, mimamori_db::DbError>(per)
        });
    }
    let mut written = 0;
    while let Some(done) = tasks.join_next().await {
        written += done.context("appender task")??;
    }
    Ok(written as f64 / start.elapsed().as_secs_f64())
}

/// One node's lease round once every node has taken its share (ms, the median of 5).
async fn lease_round(db: &Db, cameras: &[CameraId], nodes: usize) -> anyhow::Result<f64> {
    let ttl = SignedDuration::from_secs(10);
    let now = Timestamp::now();
    let names: Vec<String> = (0..nodes).map(|n| format!("node-{n}")).collect();
    for _ in 0..3 {
        for node in &names {
            db.lease_round(node, cameras, ttl, now).await?;
        }
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        db.lease_round(&names[0], cameras, ttl, now).await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
