//! Issue 11 (fuzzing): every parser of outside input in the ledger crate — signed notes and
//! checkpoints, verifier keys, evidence packages and their manifests, canonical JSON — answers
//! a value or an error for any input; none panics. Bounded, so the suite stays fast.

use mimamori_ledger::canonical::canonical_json;
use mimamori_ledger::checkpoint::{CheckpointBody, SigningKey, TrustedKeys};
use mimamori_ledger::package::{read_manifest, verify_package};
use proptest::prelude::*;
use serde_json::Value;

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn notes_and_keys(text in "[\\PC\\n]{0,300}", bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = CheckpointBody::parse(&text);
        let _ = TrustedKeys::parse(&text);
        let (key, _) = SigningKey::generate("fuzz.example/ledger").unwrap();
        let trusted = TrustedKeys::parse(key.verifier_key()).unwrap();
        let _ = trusted.open_note(&bytes);
        let _ = trusted.open_note(text.as_bytes());
        let _ = CheckpointBody::open(&bytes, &trusted);
    }

    #[test]
    fn a_signed_note_changed_anywhere(at in 0usize..200, byte in any::<u8>()) {
        let (key, _) = SigningKey::generate("fuzz.example/ledger").unwrap();
        let body = CheckpointBody {
            origin: "fuzz.example/ledger".into(),
            size: 7,
            root: mimamori_ledger::Hash([3; 32]),
            time: jiff::Timestamp::UNIX_EPOCH,
        };
        let mut note = body.sign(&key).unwrap().into_bytes();
        let at = at % note.len();
        note[at] = byte;
        let trusted = TrustedKeys::parse(key.verifier_key()).unwrap();
        if let Ok(opened) = CheckpointBody::open(&note, &trusted) {
            // Only a change that leaves the note as it was may open.
            prop_assert_eq!(opened, body);
        }
    }

    #[test]
    fn canonical_json_of_anything(value in json()) {
        let _ = canonical_json(&value);
    }

    #[test]
    fn packages_and_manifests(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("package.zip");
        std::fs::write(&path, &bytes).unwrap();
        let (key, _) = SigningKey::generate("fuzz.example/ledger").unwrap();
        let trusted = TrustedKeys::parse(key.verifier_key()).unwrap();
        let _ = verify_package(&path, &trusted);
        let _ = read_manifest(&path);
    }
}
