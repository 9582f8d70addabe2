//! The same product on PostgreSQL (issue 15): the real `mimamori serve --database postgres://…`
//! records a GStreamer camera with its index, keys and ledger in a throwaway cluster's database
//! (no SQLite file appears); the store check reads the index back from it, an evidence package
//! built from it passes `mimamori verify` with the ward's public keys, and the ledger verifies.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;
use jiff::{SignedDuration, Timestamp};
use mimamori_db::testutil::postgres::Cluster;

fn on_postgres(data: &Path, url: &str, args: &[&str]) -> Output {
    let (subcommand, rest) = args.split_first().expect("a subcommand");
    mimamori_on_postgres(data, subcommand, url)
        .args(rest)
        .output()
        .unwrap()
}

/// The ledger's subcommands put `--data-dir` after their own name.
fn ledger_on_postgres(data: &Path, url: &str, args: &[&str]) -> Output {
    let mut cmd = mimamori();
    cmd.arg("ledger").arg(args[0]).arg("--data-dir").arg(data);
    cmd.env("MIMAMORI_KEK_FILE", data.with_extension("kek"));
    cmd.env("MIMAMORI_DATABASE", url);
    cmd.args(&args[1..]).output().unwrap()
}

#[test]
fn the_product_records_retrieves_and_verifies_on_postgresql() {
    let cluster = Cluster::start();
    let url = cluster.database("ward");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_cams, policy) = one_camera(dir.path());
    let mut server = Server::start_on_postgres(&data, &policy, &url);
    let started = Timestamp::now();
    std::thread::sleep(Duration::from_secs(14));
    let health = server.health();
    let cam = health["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "cam1")
        .unwrap();
    assert_eq!(cam["state"], "recording", "{health}");
    server.stop();
    assert!(
        !data.join("mimamori.db").exists(),
        "the index is in PostgreSQL, not in a SQLite file beside it"
    );

    // The store check reads every segment the PostgreSQL index names.
    let out = on_postgres(&data, &url, &["check", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["segments_checked"].as_u64().unwrap() >= 2,
        "{report}"
    );
    assert!(report["bad"].as_array().unwrap().is_empty(), "{report}");

    // A retrieval from the PostgreSQL index verifies offline with the ward's public keys.
    let from = started + SignedDuration::from_secs(4);
    let package = dir.path().join("package");
    build_package_on(
        &data,
        Some(&url),
        &policy,
        &[("cam1", (from, from + SignedDuration::from_secs(6)))],
        &package,
    );
    let keys = dir.path().join("keys.txt");
    let out = ledger_on_postgres(&data, &url, &["keys"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&keys, &out.stdout).unwrap();
    let verified = mimamori()
        .arg("verify")
        .arg(&package)
        .arg("--keys")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    assert_decodes_cleanly(&package.join("clip-1.mp4"));

    // The ledger in PostgreSQL: every event a leaf, every checkpoint's signed root intact.
    let out = ledger_on_postgres(&data, &url, &["verify"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
