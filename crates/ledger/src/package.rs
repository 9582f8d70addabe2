//! Evidence packages: what leaves the ward with footage, and how anyone checks it offline.
//!
//! A package is a directory (and a zip of the same files) holding:
//!
//! - the clips, standard MP4, one per camera of the case (`clip-1.mp4`, `clip-2.mp4`, …);
//! - `manifest.json`: camera and site, ranges in UTC and JST, who ordered, instructed and
//!   retrieved, terminal, legal basis, the source segments' hashes, and the size and SHA-256 of
//!   every other file;
//! - `manifest.sig`: the ward's signed note over `manifest.json`'s SHA-256;
//! - `proof.json`: the retrieval's ledger events in canonical form, each with its inclusion
//!   proof against a signed checkpoint;
//! - `README.txt`: how to verify, in Japanese and English.
//!
//! [`verify_package`] needs only the ward's public keys. Each way a package can be wrong has
//! its own [`PackageError`], so a court hears what failed, not just that something did.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::prelude::{Engine, BASE64_STANDARD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checkpoint::{CheckpointBody, NoteError, TrustedKeys};
use crate::tree::{check_record, leaf_hash, Hash};

pub const FORMAT: &str = "mimamori-evidence/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const PROOF: &str = "proof.json";
pub const README: &str = "README.txt";

/// The first line of the note `manifest.sig` signs.
const STATEMENT: &str = "mimamori evidence manifest";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    /// The ledger's origin: names the ward's log and its signing key.
    pub origin: String,
    pub ward: String,
    pub operator: String,
    pub created: Times,
    pub retrieval: Retrieval,
    pub clips: Vec<Clip>,
    /// Every file of the package except `manifest.json` and `manifest.sig`.
    pub files: Vec<FileEntry>,
}

/// A moment in UTC (RFC 3339, `Z`) and as shown to staff, in Asia/Tokyo.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Times {
    pub utc: String,
    pub jst: String,
}

/// The chain that let the footage out (N9, N10). The request chain (office issue) fills the
/// order, instruction, terminal and basis; a local export by an administrator leaves them null.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Retrieval {
    pub request_id: Option<String>,
    pub instruction_id: Option<String>,
    pub ordered_by: Option<String>,
    pub instructed_by: Option<String>,
    pub retrieved_by: String,
    pub terminal: Option<String>,
    pub legal_basis: Option<String>,
    pub reason: String,
    /// Leaf index of the event recorded before the first clip's first byte was read.
    pub started_event: u64,
    /// Leaf index of the event recording the first clip's hash.
    pub finished_event: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Clip {
    pub file: String,
    pub camera_id: String,
    pub camera_name: String,
    pub site: String,
    pub requested_start: Times,
    pub requested_end: Times,
    /// The clip starts at the keyframe at or before the requested start.
    pub clip_start: Times,
    pub duration_ms: u64,
    pub source_segments: Vec<SourceSegment>,
    /// Leaf indexes of this clip's `export_started` and `export_finished` events. Absent in a
    /// package of one clip, whose events are the retrieval's; every clip of a package of
    /// several carries its own (issue 13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_event: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_event: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceSegment {
    pub id: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `proof.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proof {
    /// A signed checkpoint (C2SP signed note) whose tree includes every event below.
    pub checkpoint: String,
    pub events: Vec<ProvenEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvenEvent {
    pub seq: u64,
    /// The event's canonical bytes (`docs/ledger.md`), as text.
    pub event: String,
    /// RFC 6962 audit path, base64 hashes.
    pub inclusion_proof: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{0}: missing from the package")]
    Missing(String),
    #[error("{0}: in the package but not listed in the manifest")]
    Unlisted(String),
    #[error("{path}: {found} bytes, but the manifest says {expected}")]
    WrongSize {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error(
        "{path}: SHA-256 {found} differs from the manifest's {expected}: the file was changed"
    )]
    WrongHash {
        path: String,
        expected: String,
        found: String,
    },
    #[error("manifest.sig: {0}")]
    Signature(NoteError),
    #[error(
        "manifest.sig does not sign this manifest.json: the manifest was changed after signing"
    )]
    ManifestChanged,
    #[error("{file}: unreadable: {why}")]
    Unreadable { file: String, why: String },
    #[error("proof.json: the checkpoint: {0}")]
    Checkpoint(NoteError),
    #[error("proof.json: the checkpoint is of log {found:?}, the manifest names {expected:?}")]
    OtherLog { expected: String, found: String },
    #[error("proof.json: event {seq} is not in the signed log: its inclusion proof fails")]
    NotInLog { seq: u64 },
    #[error("proof.json: the ledger's record disagrees with the manifest: {0}")]
    LedgerDisagrees(String),
    #[error("reading the package: {0}")]
    Io(#[from] std::io::Error),
}

/// What a verified package says.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub manifest: Manifest,
    pub checkpoint_size: u64,
    pub signed_by: String,
}

/// The text of the note that `manifest.sig` holds for a manifest with this SHA-256.
pub fn signature_statement(origin: &str, manifest_sha256: &str) -> String {
    format!("{STATEMENT}\n{origin}\nsha256 {manifest_sha256}\n")
}

/// Size and SHA-256 (hex) of everything `reader` yields.
pub fn hash_reader(mut reader: impl Read) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

pub fn file_entry(dir: &Path, name: &str) -> std::io::Result<FileEntry> {
    let (bytes, sha256) = hash_reader(File::open(dir.join(name))?)?;
    Ok(FileEntry {
        path: name.to_owned(),
        bytes,
        sha256,
    })
}

/// The listing of a file made in memory (the proof, the README).
pub fn file_entry_of(name: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: name.to_owned(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
    }
}

/// How every file goes into a package's zip: stored, not compressed (MP4 does not compress),
/// with 64-bit sizes (an hour of footage can pass 4 GiB).
pub fn zip_entry_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true)
}

/// A package opened for reading: a directory or a zip.
enum Source {
    Dir(PathBuf),
    Zip(Box<zip::ZipArchive<File>>),
}

impl Source {
    fn open(path: &Path) -> Result<Source, PackageError> {
        if path.is_dir() {
            return Ok(Source::Dir(path.to_owned()));
        }
        let archive =
            zip::ZipArchive::new(File::open(path)?).map_err(|e| PackageError::Unreadable {
                file: path.display().to_string(),
                why: format!("neither a package directory nor a zip ({e})"),
            })?;
        Ok(Source::Zip(Box::new(archive)))
    }

    fn names(&mut self) -> Result<BTreeSet<String>, PackageError> {
        match self {
            Source::Dir(dir) => std::fs::read_dir(dir)?
                .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
                .collect(),
            Source::Zip(z) => Ok(z.file_names().map(str::to_owned).collect()),
        }
    }

    fn with_reader<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut dyn Read) -> std::io::Result<T>,
    ) -> Result<T, PackageError> {
        match self {
            Source::Dir(dir) => match File::open(dir.join(name)) {
                Ok(mut file) => Ok(f(&mut file)?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(PackageError::Missing(name.to_owned()))
                }
                Err(e) => Err(e.into()),
            },
            Source::Zip(z) => match z.by_name(name) {
                Ok(mut entry) => Ok(f(&mut entry)?),
                Err(zip::result::ZipError::FileNotFound) => {
                    Err(PackageError::Missing(name.to_owned()))
                }
                Err(e) => Err(PackageError::Unreadable {
                    file: name.to_owned(),
                    why: e.to_string(),
                }),
            },
        }
    }

    fn read_small(&mut self, name: &str) -> Result<Vec<u8>, PackageError> {
        self.with_reader(name, |r| {
            let mut out = Vec::new();
            r.take(16 << 20).read_to_end(&mut out)?;
            Ok(out)
        })
    }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, bytes: &[u8]) -> Result<T, PackageError> {
    serde_json::from_slice(bytes).map_err(|e| PackageError::Unreadable {
        file: file.to_owned(),
        why: e.to_string(),
    })
}

/// Checks a package (directory or zip) against the ward's public keys; see the module docs.
pub fn verify_package(path: &Path, trusted: &TrustedKeys) -> Result<Verified, PackageError> {
    let mut source = Source::open(path)?;
    // The signature first: nothing the manifest says counts until the ward's key vouches for it.
    let manifest_bytes = source.read_small(MANIFEST)?;
    let sig = source.read_small(SIGNATURE)?;
    let statement = trusted.open_note(&sig).map_err(PackageError::Signature)?;
    let manifest_sha = hex::encode(Sha256::digest(&manifest_bytes));
    if !statement.ends_with(&format!("\nsha256 {manifest_sha}\n")) {
        return Err(PackageError::ManifestChanged);
    }
    let manifest: Manifest = parse(MANIFEST, &manifest_bytes)?;
    if statement != signature_statement(&manifest.origin, &manifest_sha) {
        return Err(PackageError::ManifestChanged);
    }
    let signed_by = statement_signer(&sig);

    check_files(&mut source, &manifest)?;
    let proof: Proof = parse(PROOF, &source.read_small(PROOF)?)?;
    let checkpoint_size = check_proof(&manifest, &proof, trusted)?;
    Ok(Verified {
        manifest,
        checkpoint_size,
        signed_by,
    })
}

fn statement_signer(sig: &[u8]) -> String {
    let text = String::from_utf8_lossy(sig);
    text.rsplit_once("\n\n")
        .and_then(|(_, s)| s.lines().next())
        .and_then(|l| l.strip_prefix("— "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_default()
        .to_owned()
}

/// Every listed file is there with its size and hash, and nothing else is.
fn check_files(source: &mut Source, manifest: &Manifest) -> Result<(), PackageError> {
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for name in source.names()? {
        if name != MANIFEST && name != SIGNATURE && !listed.contains(name.as_str()) {
            return Err(PackageError::Unlisted(name));
        }
    }
    for clip in &manifest.clips {
        if !listed.contains(clip.file.as_str()) {
            return Err(PackageError::Missing(clip.file.clone()));
        }
    }
    for entry in &manifest.files {
        let (bytes, sha256) = source.with_reader(&entry.path, |r| hash_reader(r))?;
        if bytes != entry.bytes {
            return Err(PackageError::WrongSize {
                path: entry.path.clone(),
                expected: entry.bytes,
                found: bytes,
            });
        }
        if sha256 != entry.sha256 {
            return Err(PackageError::WrongHash {
                path: entry.path.clone(),
                expected: entry.sha256.clone(),
                found: sha256,
            });
        }
    }
    Ok(())
}

/// The events are in the signed log, and say what the manifest says.
fn check_proof(
    manifest: &Manifest,
    proof: &Proof,
    trusted: &TrustedKeys,
) -> Result<u64, PackageError> {
    let head = CheckpointBody::open(proof.checkpoint.as_bytes(), trusted)
        .map_err(PackageError::Checkpoint)?;
    if head.origin != manifest.origin {
        return Err(PackageError::OtherLog {
            expected: manifest.origin.clone(),
            found: head.origin,
        });
    }
    let mut events = std::collections::HashMap::new();
    for e in &proof.events {
        let path: Vec<Hash> = e
            .inclusion_proof
            .iter()
            .map(|h| {
                BASE64_STANDARD
                    .decode(h)
                    .ok()
                    .and_then(|raw| Some(Hash(raw.try_into().ok()?)))
                    .ok_or(PackageError::NotInLog { seq: e.seq })
            })
            .collect::<Result<_, _>>()?;
        let leaf = leaf_hash(e.event.as_bytes());
        check_record(&path, head.size, head.root, e.seq, leaf)
            .map_err(|_| PackageError::NotInLog { seq: e.seq })?;
        let value: serde_json::Value = parse(PROOF, e.event.as_bytes())?;
        if value["seq"].as_u64() != Some(e.seq) {
            return Err(PackageError::LedgerDisagrees(format!(
                "event {} carries another sequence number",
                e.seq
            )));
        }
        events.insert(e.seq, value);
    }
    let r = &manifest.retrieval;
    if manifest.clips.is_empty() {
        return Err(PackageError::LedgerDisagrees(
            "the manifest lists no clip".into(),
        ));
    }
    let several = manifest.clips.len() > 1;
    for clip in &manifest.clips {
        let ids = match (clip.started_event, clip.finished_event) {
            (Some(s), Some(f)) => (s, f),
            (None, None) if !several => (r.started_event, r.finished_event),
            _ => {
                return Err(PackageError::LedgerDisagrees(format!(
                    "{}: a clip of a package of several names no events of its own",
                    clip.file
                )))
            }
        };
        check_clip(manifest, clip, ids, &events)?;
    }
    Ok(head.size)
}

/// One clip is the one the ledger's `export_started` / `export_finished` pair recorded: the
/// same camera, retriever, hash and source segments.
fn check_clip(
    manifest: &Manifest,
    clip: &Clip,
    (started_id, finished_id): (u64, u64),
    events: &std::collections::HashMap<u64, serde_json::Value>,
) -> Result<(), PackageError> {
    let disagree = |what: String| Err(PackageError::LedgerDisagrees(what));
    let (Some(started), Some(finished)) = (events.get(&started_id), events.get(&finished_id))
    else {
        return disagree(format!(
            "{}: the clip's events are not in proof.json",
            clip.file
        ));
    };
    if started["kind"] != "export_started" || finished["kind"] != "export_finished" {
        return disagree(format!(
            "{}: the proven events are not this clip's start and finish",
            clip.file
        ));
    }
    if finished["detail"]["started_event"].as_u64() != Some(started_id + 1) {
        return disagree(format!(
            "{}: the finish event belongs to another export",
            clip.file
        ));
    }
    let clip_file = manifest.files.iter().find(|f| f.path == clip.file);
    let recorded_sha = finished["detail"]["sha256"].as_str();
    if clip_file.map(|f| f.sha256.as_str()) != recorded_sha {
        return disagree(format!(
            "{} is not the clip the ledger recorded (ledger SHA-256 {})",
            clip.file,
            recorded_sha.unwrap_or("none")
        ));
    }
    if started["detail"]["camera"] != clip.camera_id.as_str()
        || started["actor"] != manifest.retrieval.retrieved_by.as_str()
    {
        return disagree(format!(
            "{}: camera or retriever differ from the ledger's record",
            clip.file
        ));
    }
    let segments: Vec<i64> = clip.source_segments.iter().map(|s| s.id).collect();
    if finished["detail"]["segments"] != serde_json::json!(segments) {
        return disagree(format!(
            "{}: the source segments differ from the ledger's record",
            clip.file
        ));
    }
    Ok(())
}

/// Reads a package's manifest without verifying it (for listing).
pub fn read_manifest(path: &Path) -> Result<Manifest, PackageError> {
    let mut source = Source::open(path)?;
    parse(MANIFEST, &source.read_small(MANIFEST)?)
}
