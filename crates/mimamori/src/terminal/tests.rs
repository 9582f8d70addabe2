//! The terminal's checks of what it receives.

use super::*;

fn times(utc: &str) -> Value {
    json!({ "utc": utc, "jst": utc })
}

/// A manifest of request 7 at `pc-1` with a clip of each `(camera, from, to)`.
fn manifest(request: &str, clips: &[(&str, &str, &str)]) -> Manifest {
    let clips: Vec<Value> = clips
        .iter()
        .enumerate()
        .map(|(i, (camera, from, to))| {
            json!({
                "file": format!("clip-{}.mp4", i + 1), "camera_id": camera,
                "camera_name": "駅前", "site": "1丁目",
                "requested_start": times(from), "requested_end": times(to),
                "clip_start": times(from), "duration_ms": 300_000, "source_segments": [],
            })
        })
        .collect();
    serde_json::from_value(json!({
        "format": "mimamori-evidence/1", "origin": "ward.example/ledger", "ward": "区",
        "operator": "区役所", "created": times("2026-12-01T01:00:00Z"),
        "retrieval": {
            "request_id": request, "instruction_id": "7-1", "ordered_by": "mayor",
            "instructed_by": "lead", "retrieved_by": "sato", "terminal": "pc-1",
            "legal_basis": "t6_1_e", "reason": "確認", "started_event": 10,
            "finished_event": 11,
        },
        "clips": clips, "files": [],
    }))
    .unwrap()
}

fn claims(cameras: &[(&str, &str, &str)]) -> GrantClaims {
    let further: Vec<Value> = cameras[1..]
        .iter()
        .map(|(camera, from, to)| json!({ "camera": camera, "from": from, "to": to }))
        .collect();
    serde_json::from_value(json!({
        "grant": "g-1", "request": 7, "camera": cameras[0].0, "from": cameras[0].1,
        "to": cameras[0].2, "handler": "sato", "terminal": "pc-1",
        "expires": "2026-12-01T02:00:00Z", "further_cameras": further,
    }))
    .unwrap()
}

/// N9.4 at the terminal: a ward-signed package is kept only if it is the one the grant let
/// out. Another request's package, other cameras, the cameras in another order, or another
/// range (by a second) are refused.
#[test]
fn attack_a_package_other_than_the_grants_is_refused_at_the_terminal() {
    let a = ("cam1", "2026-12-01T00:00:00Z", "2026-12-01T00:05:00Z");
    let b = ("cam2", "2026-12-01T00:01:00Z", "2026-12-01T00:06:00Z");
    let package = manifest("7", &[a, b]);
    check_package_is_the_grants(&claims(&[a, b]), &package).unwrap();
    let refused = |claims: GrantClaims, package: &Manifest| {
        check_package_is_the_grants(&claims, package)
            .unwrap_err()
            .to_string()
    };
    assert!(refused(claims(&[a, b]), &manifest("6", &[a, b])).contains("別の依頼"));
    for other in [
        vec![b, a],
        vec![a],
        vec![a, b, ("cam3", a.1, a.2)],
        vec![a, ("cam2", b.1, "2026-12-01T00:06:01Z")],
    ] {
        let why = refused(claims(&other), &package);
        assert!(why.contains("許可と異なるカメラまたは日時"), "{why}");
    }
}

/// Issue 11, #14: the terminal verified packages with keys fetched from the same server it
/// got them from. Without keys pinned on the terminal (or given), it refuses before it
/// contacts anyone; with them, those are the keys.
#[test]
fn n9_3_packages_are_verified_only_against_keys_pinned_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("pc-1.key");
    let err = ward_keys(&key, None).unwrap_err().to_string();
    assert!(err.contains("pin-keys"), "{err}");
    let (ward, _) = mimamori_ledger::SigningKey::generate("w.example/l").unwrap();
    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, format!("# current\n{}\n", ward.verifier_key())).unwrap();
    pin_keys(&key, &keys).unwrap();
    assert_eq!(ward_keys(&key, None).unwrap().keys(), [ward.verifier_key()]);
    std::fs::write(&keys, "not a key\n").unwrap();
    assert!(pin_keys(&key, &keys).is_err());
}
