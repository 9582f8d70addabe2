//! Offline verification of the whole log against checkpoints an auditor saved.
//!
//! Input: the ward's public keys, the signed checkpoints (each a file, as fetched from
//! `GET /api/v1/ledger/checkpoints`), and a dump of the log (one event's canonical bytes per
//! line, leaf 0 first, as `mimamori ledger dump` writes). Every checkpoint's signature is
//! checked, then the tree is rebuilt from the dump and its root compared at each checkpoint's
//! size, smallest first: if the ward rewrote, dropped or reordered any event after signing a
//! checkpoint that covered it, that checkpoint is named as the first bad one.

use std::io::BufRead;

use crate::checkpoint::{CheckpointBody, NoteError, TrustedKeys};
use crate::tree::{leaf_hash, MemoryTree, TreeError};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("checkpoint {name}: {error}")]
    Checkpoint { name: String, error: NoteError },
    #[error("checkpoint {name} is for log {found:?}, the others for {expected:?}")]
    OtherLog {
        name: String,
        found: String,
        expected: String,
    },
    #[error(
        "checkpoint {name} (size {size}, signed {time}) does not match the log: \
         the first {size} events are not the ones the ward signed (rewritten past)"
    )]
    Mismatch {
        name: String,
        size: u64,
        time: String,
    },
    #[error("checkpoint {name} has size {size} but the dump ends after {leaves} events")]
    DumpTooShort {
        name: String,
        size: u64,
        leaves: u64,
    },
    #[error("line {line} of the dump: {why}")]
    BadLine { line: u64, why: String },
    #[error("no checkpoints to verify against")]
    NoCheckpoints,
    #[error("reading the dump: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// What a successful verification covered.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogVerified {
    pub leaves: u64,
    pub checkpoints: usize,
    pub largest_checkpoint: u64,
}

/// One saved checkpoint: a name for messages (usually its file name) and its signed note.
pub struct SavedCheckpoint {
    pub name: String,
    pub note: Vec<u8>,
}

/// Verifies `dump` against `checkpoints`; see the module docs.
pub fn verify_log(
    checkpoints: &[SavedCheckpoint],
    trusted: &TrustedKeys,
    dump: impl BufRead,
) -> Result<LogVerified, VerifyError> {
    let mut opened = Vec::with_capacity(checkpoints.len());
    for cp in checkpoints {
        let body =
            CheckpointBody::open(&cp.note, trusted).map_err(|error| VerifyError::Checkpoint {
                name: cp.name.clone(),
                error,
            })?;
        opened.push((cp.name.as_str(), body));
    }
    opened.sort_by_key(|(_, b)| (b.size, b.time));
    let origin = opened
        .first()
        .ok_or(VerifyError::NoCheckpoints)?
        .1
        .origin
        .clone();
    if let Some((name, body)) = opened.iter().find(|(_, b)| b.origin != origin) {
        return Err(VerifyError::OtherLog {
            name: (*name).to_owned(),
            found: body.origin.clone(),
            expected: origin,
        });
    }

    let mut tree = MemoryTree::default();
    let mut pending = opened.iter().peekable();
    check_due(&tree, &mut pending)?;
    for (line, bytes) in dump.split(b'\n').enumerate() {
        let bytes = bytes?;
        if bytes.is_empty() {
            continue;
        }
        check_seq(&bytes, tree.size()).map_err(|why| VerifyError::BadLine {
            line: line as u64 + 1,
            why,
        })?;
        tree.push(leaf_hash(&bytes))?;
        check_due(&tree, &mut pending)?;
    }
    if let Some((name, body)) = pending.next() {
        return Err(VerifyError::DumpTooShort {
            name: (*name).to_owned(),
            size: body.size,
            leaves: tree.size(),
        });
    }
    Ok(LogVerified {
        leaves: tree.size(),
        checkpoints: opened.len(),
        largest_checkpoint: opened.last().map_or(0, |o| o.1.size),
    })
}

type Pending<'a, 'b> = std::iter::Peekable<std::slice::Iter<'a, (&'b str, CheckpointBody)>>;

/// Compares the tree's root with every pending checkpoint of the tree's current size.
fn check_due(tree: &MemoryTree, pending: &mut Pending<'_, '_>) -> Result<(), VerifyError> {
    while let Some((name, body)) = pending.next_if(|(_, b)| b.size == tree.size()) {
        if tree.root_at(body.size)? != body.root {
            return Err(VerifyError::Mismatch {
                name: (*name).to_owned(),
                size: body.size,
                time: body.time.to_string(),
            });
        }
    }
    Ok(())
}

/// A dump line must be an event whose `seq` is its position: a dropped or reordered line is
/// then reported where it happens, not only as a root mismatch.
fn check_seq(bytes: &[u8], expected: u64) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    let found: Seq = serde_json::from_slice(bytes).map_err(|e| format!("not an event: {e}"))?;
    if found.seq != expected {
        return Err(format!(
            "event seq {} where {} belongs",
            found.seq, expected
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{encode_event, EventFields};
    use crate::checkpoint::SigningKey;

    fn event_line(seq: u64, actor: &str) -> Vec<u8> {
        let detail = serde_json::json!({ "n": seq });
        encode_event(&EventFields {
            seq,
            time_us: 1_795_000_000_000_000 + seq as i64,
            actor,
            role: None,
            terminal: None,
            kind: "probe",
            rule: None,
            outcome: "done",
            detail: &detail,
        })
        .unwrap()
    }

    struct Ward {
        key: SigningKey,
        lines: Vec<Vec<u8>>,
    }

    impl Ward {
        fn new(n: u64) -> Ward {
            Ward {
                key: SigningKey::generate("ward").unwrap().0,
                lines: (0..n).map(|i| event_line(i, "suzuki")).collect(),
            }
        }

        fn checkpoint(&self, size: u64) -> SavedCheckpoint {
            let mut tree = MemoryTree::default();
            for l in &self.lines[..size as usize] {
                tree.push(leaf_hash(l)).unwrap();
            }
            let body = CheckpointBody {
                origin: "ward".into(),
                size,
                root: tree.root_at(size).unwrap(),
                time: jiff::Timestamp::from_second(1_795_000_000 + size as i64).unwrap(),
            };
            SavedCheckpoint {
                name: format!("cp-{size}"),
                note: body.sign(&self.key).unwrap().into_bytes(),
            }
        }

        fn dump(&self) -> Vec<u8> {
            self.lines.join(&b'\n')
        }

        fn trusted(&self) -> TrustedKeys {
            TrustedKeys::parse(self.key.verifier_key()).unwrap()
        }
    }

    #[test]
    fn an_honest_log_verifies_against_every_checkpoint() {
        let ward = Ward::new(100);
        let cps: Vec<_> = [0, 1, 37, 64, 100].map(|s| ward.checkpoint(s)).into();
        let ok = verify_log(&cps, &ward.trusted(), &ward.dump()[..]).unwrap();
        assert_eq!(
            (ok.leaves, ok.checkpoints, ok.largest_checkpoint),
            (100, 5, 100)
        );
    }

    #[test]
    fn a_rewritten_past_names_the_first_checkpoint_it_breaks() {
        let mut ward = Ward::new(100);
        let cps: Vec<_> = [10, 40, 70, 100].map(|s| ward.checkpoint(s)).into();
        // The ward rewrites event 50 and re-signs a new checkpoint over the forged log.
        ward.lines[50] = event_line(50, "mallory");
        let mut cps = cps;
        cps.push(ward.checkpoint(100));
        let e = verify_log(&cps, &ward.trusted(), &ward.dump()[..]).unwrap_err();
        assert!(
            matches!(&e, VerifyError::Mismatch { name, size: 70, .. } if name == "cp-70"),
            "{e}"
        );
    }

    #[test]
    fn dropped_lines_short_dumps_and_foreign_signatures_fail() {
        let mut ward = Ward::new(20);
        let cps = vec![ward.checkpoint(20)];
        ward.lines.remove(5);
        let e = verify_log(&cps, &ward.trusted(), &ward.dump()[..]).unwrap_err();
        assert!(matches!(e, VerifyError::BadLine { line: 6, .. }), "{e}");
        ward.lines.truncate(5);
        let e = verify_log(&cps, &ward.trusted(), &ward.dump()[..]).unwrap_err();
        assert!(
            matches!(e, VerifyError::DumpTooShort { leaves: 5, .. }),
            "{e}"
        );
        let other = Ward::new(20);
        let e = verify_log(&cps, &other.trusted(), &other.dump()[..]).unwrap_err();
        assert!(matches!(e, VerifyError::Checkpoint { .. }), "{e}");
    }
}
