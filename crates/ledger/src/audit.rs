//! Erasure audit (N6.2, T5.4): from the log alone, that no footage was read after the event
//! that recorded its erasure.
//!
//! Each `erasure` event lists, per camera and day, the SHA-256 of every segment destroyed; each
//! `export_finished` event lists the SHA-256 of every segment the clip was built from. An
//! export that names an erased segment at a later leaf means footage outlived its erasure. The
//! audit runs on a verified dump (`mimamori ledger dump`), so an outsider needs nothing else.

use std::collections::HashMap;

use serde::Serialize;

use crate::vocabulary::ExportFinished;
use crate::EventBody;

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

/// Audits events given in leaf order as (leaf index, event); kinds other than `erasure` and
/// `export_finished` are passed over.
pub fn audit_erasures<'a>(events: impl IntoIterator<Item = (u64, &'a EventBody)>) -> ErasureAudit {
    let mut audit = ErasureAudit::default();
    let mut erased: HashMap<&'a str, Erased> = HashMap::new();
    for (leaf, event) in events {
        match event {
            EventBody::Erasure(erasure) => {
                audit.erasure_events += 1;
                for day in &erasure.erased {
                    for hash in &day.segment_hashes {
                        audit.erased_segments += 1;
                        erased.entry(hash).or_insert_with(|| Erased {
                            leaf,
                            camera: day.camera_id.clone(),
                            day: day.day.clone(),
                        });
                    }
                }
            }
            EventBody::ExportFinished(finished) => {
                audit.exports_checked += 1;
                let ExportFinished::Done(done) = finished else {
                    continue;
                };
                for hash in &done.segment_sha256 {
                    let Some(e) = erased.get(hash.as_str()) else {
                        continue;
                    };
                    audit.violations.push(ReadAfterErasure {
                        segment_sha256: hash.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::{ErasedDay, Erasure, ErasureTrigger, ExportDone};

    fn export(hashes: &[&str]) -> EventBody {
        EventBody::ExportFinished(ExportFinished::Done(ExportDone {
            file: "clip.mp4".into(),
            bytes: 1,
            sha256: "00".into(),
            samples: 1,
            start: jiff::Timestamp::UNIX_EPOCH,
            duration_ms: 1,
            segments: vec![1],
            segment_sha256: hashes.iter().map(|h| h.to_string()).collect(),
            started_event: 1,
        }))
    }

    #[test]
    fn t5_4_a_read_after_erasure_is_found_and_a_read_before_is_not() {
        let erasure = EventBody::Erasure(Erasure {
            run_id: 1,
            trigger: ErasureTrigger::Retention,
            method: "m".into(),
            erased: vec![ErasedDay {
                camera_id: "cam1".into(),
                day: "2026-11-01".into(),
                start_us: 0,
                end_us: 1,
                segment_count: 2,
                bytes: 2,
                segment_hashes: vec!["aa".into(), "bb".into()],
                key_shredded: true,
                day_key_id: Some(1),
            }],
        });
        let (before, after) = (export(&["aa"]), export(&["cc", "bb"]));
        let events = [(3, &before), (7, &erasure), (9, &after)];
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
