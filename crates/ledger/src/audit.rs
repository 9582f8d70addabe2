//! Erasure audit (N6.2, T5.4): from the log alone, that no footage was read after the event
//! that recorded its erasure.
//!
//! Each `erasure` event lists, per camera and day, the SHA-256 of every segment destroyed; each
//! `export_finished` event lists the SHA-256 of every segment the clip was built from. An
//! export that names an erased segment at a later leaf means footage outlived its erasure. The
//! audit runs on a verified dump (`mimamori ledger dump`), so an outsider needs nothing else.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

/// An export that read a segment after the log recorded the segment's erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadAfterErasure {
    pub segment_sha256: String,
    pub camera: String,
    pub day: String,
    pub erased_at_leaf: u64,
    pub read_at_leaf: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureAudit {
    pub erasure_events: usize,
    pub erased_segments: usize,
    pub exports_checked: usize,
    pub violations: Vec<ReadAfterErasure>,
}

/// Where a segment's erasure was recorded.
struct Erased {
    leaf: u64,
    camera: String,
    day: String,
}

/// Audits events given in leaf order as (leaf index, kind, detail).
pub fn audit_erasures<'a>(
    events: impl IntoIterator<Item = (u64, &'a str, &'a Value)>,
) -> ErasureAudit {
    let mut audit = ErasureAudit::default();
    let mut erased: HashMap<String, Erased> = HashMap::new();
    for (leaf, kind, detail) in events {
        match kind {
            "erasure" => {
                audit.erasure_events += 1;
                for record in detail["erased"].as_array().into_iter().flatten() {
                    for hash in record["segment_hashes"].as_array().into_iter().flatten() {
                        let Some(hash) = hash.as_str() else { continue };
                        audit.erased_segments += 1;
                        erased.entry(hash.to_owned()).or_insert_with(|| Erased {
                            leaf,
                            camera: text(&record["camera_id"]),
                            day: text(&record["day"]),
                        });
                    }
                }
            }
            "export_finished" => {
                audit.exports_checked += 1;
                for hash in detail["segment_sha256"].as_array().into_iter().flatten() {
                    let Some(e) = hash.as_str().and_then(|h| erased.get(h)) else {
                        continue;
                    };
                    audit.violations.push(ReadAfterErasure {
                        segment_sha256: text(hash),
                        camera: e.camera.clone(),
                        day: e.day.clone(),
                        erased_at_leaf: e.leaf,
                        read_at_leaf: leaf,
                    });
                }
            }
            _ => {}
        }
    }
    audit
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn t5_4_a_read_after_erasure_is_found_and_a_read_before_is_not() {
        let erasure = json!({ "erased": [{ "camera_id": "cam1", "day": "2026-11-01",
                                           "segment_hashes": ["aa", "bb"] }] });
        let before = json!({ "segment_sha256": ["aa"] });
        let after = json!({ "segment_sha256": ["cc", "bb"] });
        let events = [
            (3, "export_finished", &before),
            (7, "erasure", &erasure),
            (9, "export_finished", &after),
        ];
        let audit = audit_erasures(events);
        assert_eq!(audit.erasure_events, 1);
        assert_eq!(audit.erased_segments, 2);
        assert_eq!(audit.exports_checked, 2);
        assert_eq!(
            audit.violations,
            [ReadAfterErasure {
                segment_sha256: "bb".into(),
                camera: "cam1".into(),
                day: "2026-11-01".into(),
                erased_at_leaf: 7,
                read_at_leaf: 9,
            }]
        );
    }
}
