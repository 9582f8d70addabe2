//! A ledger written by the release before the vocabulary (commit cb2886d) reads back through
//! it, and every event it holds is written again byte for byte.
//!
//! `fixtures/events-0.1.jsonl` holds stored event rows of that release, up to two of each kind
//! and payload shape, taken from its office, recorder and end-to-end tests and its demo (events
//! those tests forged by hand with partial payloads are left out).
//! For each row, the test reads the payload into an [`EventBody`], writes it back with the
//! kind, rule and outcome the vocabulary derives, and compares the canonical bytes (the leaf's
//! preimage) with the stored row's. The one tolerated difference: a member the release's
//! secondary writers left out (the demo's terminal, the account seeding) is now written as
//! `null`; and an appointment seeded at set-up (`system:` or `cli:` actor) cited N7.1 for every
//! role, where the vocabulary cites the role's own rule.

use mimamori_ledger::{encode_event, EventBody, EventFields};
use serde_json::Value;

#[derive(serde::Deserialize)]
struct Row {
    id: i64,
    time_us: i64,
    actor: String,
    role: Option<String>,
    terminal: Option<String>,
    kind: String,
    rule: Option<String>,
    outcome: String,
    detail: String,
}

fn bytes(row: &Row, kind: &str, rule: Option<&str>, outcome: &str, detail: &Value) -> Vec<u8> {
    encode_event(&EventFields {
        seq: (row.id - 1) as u64,
        time_us: row.time_us,
        actor: &row.actor,
        role: row.role.as_deref(),
        terminal: row.terminal.as_deref(),
        kind,
        rule,
        outcome,
        detail,
    })
    .unwrap()
}

#[test]
fn a_release_0_1_ledger_reads_through_the_vocabulary_and_writes_the_same_bytes() {
    let text = include_str!("fixtures/events-0.1.jsonl");
    let mut kinds = std::collections::BTreeSet::new();
    let mut differ = Vec::new();
    for line in text.lines() {
        let row: Row = serde_json::from_str(line).unwrap();
        let detail: Value = serde_json::from_str(&row.detail).unwrap();
        let body = match EventBody::from_parts(&row.kind, row.rule.as_deref(), detail.clone()) {
            Ok(body) => body,
            Err(e) => {
                differ.push(format!("{e}: {line}"));
                continue;
            }
        };
        kinds.insert(row.kind.clone());
        let (kind, mut again) = body.to_parts();
        // Members the release's secondary writers left out come back as null.
        if let (Value::Object(new), Value::Object(old)) = (&mut again, &detail) {
            new.retain(|k, v| !v.is_null() || old.contains_key(k));
        }
        let rules = body.rules();
        let rule = (!rules.0.is_empty()).then(|| rules.to_string());
        let seeded_appointment = row.kind == "appointed" && row.actor.contains(':');
        let rule = if seeded_appointment {
            row.rule.clone()
        } else {
            rule
        };
        let original = bytes(&row, &row.kind, row.rule.as_deref(), &row.outcome, &detail);
        let written = bytes(
            &row,
            kind.as_str(),
            rule.as_deref(),
            body.outcome().as_str(),
            &again,
        );
        if written != original {
            differ.push(format!(
                "{}\n  now: {}",
                String::from_utf8_lossy(&original),
                String::from_utf8_lossy(&written)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(kinds.len() >= 33, "{kinds:?}");
}
