//! End-to-end for the ledger (issue 5): a retrieval from a recorded GStreamer camera becomes an
//! evidence package that `mimamori verify` accepts with only the ward's public keys, and every
//! kind of tampering fails with its own reason. The log itself verifies offline against the
//! checkpoints an auditor saved.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use jiff::{SignedDuration, Timestamp};
use mimamori_ledger::package::{signature_statement, Manifest};
use mimamori_ledger::SigningKey;
use sha2::{Digest, Sha256};

fn ledger(data: &Path, args: &[&str]) -> Output {
    let mut cmd = mimamori();
    cmd.arg("ledger").arg(args[0]).arg("--data-dir").arg(data);
    cmd.args(&args[1..]);
    cmd.output().unwrap()
}

fn export_package(data: &Path, policy: &Path, from: Timestamp, secs: i64, out: &Path) {
    let to = from + SignedDuration::from_secs(secs);
    build_package(data, policy, "cam1", from, to, out);
}

fn verify(package: &Path, keys: &Path) -> Output {
    mimamori()
        .arg("verify")
        .arg(package)
        .arg("--keys")
        .arg(keys)
        .output()
        .unwrap()
}

/// Copies a package directory so one test case can damage it.
fn copy_package(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to.to_owned()
}

fn flip_byte(file: &Path, at: usize) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x01;
    std::fs::write(file, bytes).unwrap();
}

/// Rewrites a manifest and signs it again with `key`.
fn resign(package: &Path, key: &SigningKey, edit: impl FnOnce(&mut Manifest)) {
    let path = package.join("manifest.json");
    let mut manifest: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut manifest);
    let bytes = serde_json::to_vec_pretty(&manifest).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let statement = signature_statement(&manifest.origin, &hex::encode(Sha256::digest(&bytes)));
    std::fs::write(
        package.join("manifest.sig"),
        key.sign_note(&statement).unwrap(),
    )
    .unwrap();
}

#[test]
fn n9_3_evidence_packages_verify_offline_and_every_tampering_fails_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_cams, policy) = one_camera(dir.path());
    let started = Timestamp::now();
    let mut server = Server::start(&data, &policy);
    std::thread::sleep(Duration::from_secs(14));
    // The public routes serve what the CLI prints.
    let published = http_get(&server.listen, "/api/v1/ledger/keys").unwrap();
    server.stop();

    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, ok(ledger(&data, &["keys"]))).unwrap();
    let vkey = std::fs::read_to_string(&keys).unwrap();
    assert!(
        published.contains(vkey.lines().nth(1).unwrap()),
        "{published}"
    );

    let a = dir.path().join("pkg-a");
    let b = dir.path().join("pkg-b");
    export_package(
        &data,
        &policy,
        started + SignedDuration::from_secs(2),
        4,
        &a,
    );
    export_package(
        &data,
        &policy,
        started + SignedDuration::from_secs(7),
        5,
        &b,
    );
    assert_decodes_cleanly(&a.join("clip-1.mp4"));
    let verified = ok(verify(&a, &keys));
    assert!(verified.starts_with("OK"), "{verified}");
    ok(verify(&a.with_extension("zip"), &keys));
    let manifest = std::fs::read_to_string(a.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"site\": \"テスト町\"") && manifest.contains("+09:00"));

    // Each kind of damage, on its own copy, with the reason it must give.
    let case = |name: &str| copy_package(&a, &dir.path().join(name));
    let fails_with = |package: &Path, reason: &str| {
        let out = verify(package, &keys);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} must fail", package.display());
        assert!(
            stderr.contains(reason),
            "{}: wanted {reason:?}, got {stderr}",
            package.display()
        );
    };
    let p = case("flip-clip");
    flip_byte(&p.join("clip-1.mp4"), 5000);
    fails_with(&p, "clip-1.mp4: SHA-256");
    let p = case("flip-readme");
    flip_byte(&p.join("README.txt"), 10);
    fails_with(&p, "README.txt: SHA-256");
    let p = case("flip-proof");
    flip_byte(&p.join("proof.json"), 100);
    fails_with(&p, "proof.json: SHA-256");
    let p = case("flip-manifest");
    flip_byte(&p.join("manifest.json"), 200);
    fails_with(&p, "manifest was changed after signing");
    let p = case("flip-signature");
    flip_byte(&p.join("manifest.sig"), 30);
    fails_with(&p, "manifest.sig:");
    let p = case("dropped-readme");
    std::fs::remove_file(p.join("README.txt")).unwrap();
    fails_with(&p, "README.txt: missing");
    let p = case("extra-file");
    std::fs::write(p.join("note.txt"), "added later").unwrap();
    fails_with(&p, "note.txt: in the package but not listed");
    let p = case("swapped-clip");
    std::fs::copy(b.join("clip-1.mp4"), p.join("clip-1.mp4")).unwrap();
    fails_with(&p, "clip-1.mp4:");
    // A manifest forged and signed by someone else's key.
    let p = case("foreign-key");
    let (stranger, _) = SigningKey::generate("mimamori/テスト区").unwrap();
    resign(&p, &stranger, |m| {
        m.retrieval.retrieved_by = "someone".into()
    });
    fails_with(&p, "no signature by a known ward key");
    // Even the ward's own key cannot pass off another clip: the ledger recorded this one.
    let ward_key = std::fs::read_to_string(data.join("keys/ledger.key")).unwrap();
    let ward_key = SigningKey::from_private(&ward_key).unwrap();
    let p = case("insider-swap");
    std::fs::copy(b.join("clip-1.mp4"), p.join("clip-1.mp4")).unwrap();
    let swapped = mimamori_ledger::package::file_entry(&p, "clip-1.mp4").unwrap();
    resign(&p, &ward_key, |m| {
        m.files.retain(|f| f.path != "clip-1.mp4");
        m.files.push(swapped);
    });
    fails_with(&p, "is not the clip the ledger recorded");

    // The log: intact locally, and offline against the checkpoints an auditor saved.
    ok(ledger(&data, &["verify"]));
    let saved = dir.path().join("saved-checkpoints");
    ok(ledger(
        &data,
        &["checkpoints", "--out", saved.to_str().unwrap()],
    ));
    assert!(std::fs::read_dir(&saved).unwrap().count() >= 3);
    let dump = dir.path().join("events.jsonl");
    ok(ledger(&data, &["dump", "--out", dump.to_str().unwrap()]));
    let offline_verify = || {
        let args = [
            "verify",
            "--checkpoints",
            saved.to_str().unwrap(),
            "--log",
            dump.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
        ];
        ledger(&data, &args)
    };
    let offline = ok(offline_verify());
    assert!(offline.starts_with("OK:"), "{offline}");
    // A dump with one past event rewritten fails, naming the first checkpoint it breaks.
    let text = std::fs::read_to_string(&dump).unwrap();
    let forged = text.replacen(
        "\"actor\":\"system:recorder\"",
        "\"actor\":\"system:forger\"",
        1,
    );
    assert_ne!(forged, text);
    std::fs::write(&dump, forged).unwrap();
    let out = offline_verify();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("rewritten past"),
        "{stderr}"
    );
    assert!(stderr.contains("checkpoint-"), "{stderr}");
}
