//! mimamori's tamper-evident ledger, as pure functions with no storage of their own.
//!
//! Every event the office and the recorder write is a leaf of one append-only Merkle log in the
//! RFC 6962 shape (leaf = SHA-256(0x00 ‖ canonical event bytes), node = SHA-256(0x01 ‖ l ‖ r)).
//! This crate owns what an outsider needs to check that log and what leaves it:
//!
//! - [`canonical`]: the bytes of an event (RFC 8785 JSON), specified in `docs/ledger.md`;
//! - [`tree`]: the tree, proofs and the bridge to hashes kept in a database;
//! - [`checkpoint`]: the ward's Ed25519 keys, signed checkpoints (C2SP tlog-checkpoint in a
//!   C2SP signed note);
//! - [`verify`]: offline verification of a log dump against saved checkpoints;
//! - [`package`]: evidence packages (clips, manifest, proofs, signature) and their verifier;
//! - [`audit`]: the erasure audit: no footage read after its erasure was recorded;
//! - [`vocabulary`]: every kind of event, with its typed payload, rule and action.
//!
//! The database crate stores leaves and hashes; nothing here does I/O except reading and
//! writing package and dump files the caller names.

pub mod audit;
pub mod canonical;
pub mod checkpoint;
pub mod package;
pub mod tree;
pub mod verify;
pub mod vocabulary;

pub use canonical::{encode_event, CanonicalError, EventFields};
pub use checkpoint::{CheckpointBody, NoteError, SigningKey, TrustedKeys};
pub use tree::{Hash, TreeError};
pub use vocabulary::{EventBody, EventKind, Outcome, VocabularyError};
