//! Building evidence packages (issue 5, N9.3, T6.2): a retrieval's clips together with the
//! proof that the ledger recorded them, signed by the ward. The format and its verifier are
//! `mimamori_ledger::package`; this module gathers the parts from the recorder, the database
//! and the notary.
//!
//! A package is written as a zip straight into a sink, in order: the clips as they are
//! exported, then the proof, the README, the manifest and its signature. The office streams it
//! to the terminal this way, so no plaintext footage is ever on the office's disk (T5.2), and
//! the terminal receives the first clip's bytes while the office is still reading the rest.

use std::io::Write;
use std::path::Path;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use mimamori_db::SpentGrant;
use mimamori_db::{vocabulary, Event, EventBody};
use mimamori_ledger::package::{
    self, Clip, FileEntry, Manifest, Proof, ProvenEvent, Retrieval, SourceSegment, Times,
};
use mimamori_policy::CameraId;
use mimamori_recorder::export::{export, ExportRequest, ExportSummary};
use mimamori_recorder::{RecorderContext, RecorderError};
use sha2::{Digest, Sha256};

use crate::notary::{Notary, NotaryError};

/// The file name of a package's `n`th clip (from 1): `clip-1.mp4`, `clip-2.mp4`, …
pub fn clip_name(n: usize) -> String {
    format!("clip-{n}.mp4")
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Recorder(#[from] RecorderError),
    #[error(transparent)]
    Notary(#[from] NotaryError),
    #[error(transparent)]
    Db(#[from] mimamori_db::DbError),
    #[error("writing the package: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the package: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the package's writer stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Who let the footage out, on whose word, under which basis (N9, N10, T6.1). A local export
/// by an administrator has only `retrieved_by` (the export request's actor) and a reason.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    pub request_id: Option<String>,
    pub instruction_id: Option<String>,
    pub ordered_by: Option<String>,
    pub instructed_by: Option<String>,
    pub terminal: Option<String>,
    pub legal_basis: Option<String>,
}

/// What to put in a package: the spent grant (one clip per camera of its instruction), who
/// retrieves and why.
#[derive(Debug)]
pub struct PackageRequest {
    pub grant: SpentGrant,
    /// The handler (or delegated staff) who spent the grant.
    pub actor: String,
    /// The request's purpose.
    pub reason: String,
}

/// What a package holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackageSummary {
    /// The package's name: `request-<id>-<grant>` (its zip is this name with `.zip`).
    pub name: String,
    pub manifest_sha256: String,
    pub checkpoint_size: u64,
    /// Every clip, in the instruction's order.
    pub clips: Vec<PackagedClip>,
}

/// One clip of a package: its camera and range, its file in the package, and what the export
/// recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackagedClip {
    pub camera: CameraId,
    pub start: Timestamp,
    pub end: Timestamp,
    /// `clip-1.mp4`, …
    pub file: String,
    pub export: ExportSummary,
}

type Zip<W> = zip::ZipWriter<zip::write::StreamWriter<W>>;

/// A package written but for its zip's central directory, which [`Package::finish`] writes.
/// The retrieval records its last step in between, so the terminal never holds a whole
/// package the ledger does not yet say was let out.
pub struct Package<W: Write> {
    zip: Zip<W>,
}

impl<W: Write + Send + 'static> Package<W> {
    /// Ends the zip, flushes the sink and gives it back.
    pub async fn finish(self) -> Result<W, EvidenceError> {
        let zip = self.zip;
        let sink = tokio::task::spawn_blocking(move || {
            let mut sink = zip.finish()?.into_inner();
            sink.flush()?;
            Ok::<_, EvidenceError>(sink)
        });
        sink.await?
    }
}

/// Runs `f` on the zip where it may block (a streamed package's sink waits for the network).
async fn on_zip<W, F>(zip: Zip<W>, f: F) -> Result<Zip<W>, EvidenceError>
where
    W: Write + Send + 'static,
    F: FnOnce(&mut Zip<W>) -> Result<(), EvidenceError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut zip = zip;
        f(&mut zip)?;
        Ok(zip)
    })
    .await?
}

/// Exports every camera of `req`'s grant into the package `name`, written as a zip into
/// `sink`. A package is whole or absent: if any part fails, the error is returned, and the
/// caller ends what it sent with that error (a streamed response is cut off, so the terminal
/// never takes it for a whole package).
pub async fn create_package<W: Write + Send + 'static>(
    ctx: &RecorderContext,
    notary: &Notary,
    req: PackageRequest,
    chain: &Chain,
    name: &str,
    sink: W,
) -> Result<(Package<W>, PackageSummary), EvidenceError> {
    let mut zip = zip::ZipWriter::new_stream(sink);
    let (actor, reason) = (req.actor, req.reason);
    let mut clips = Vec::new();
    for grant in req.grant.into_clips() {
        let (camera, start, end) = (grant.camera().clone(), grant.start(), grant.end());
        let file = clip_name(grant.position());
        let entry = file.clone();
        zip = on_zip(zip, move |z| {
            Ok(z.start_file(entry, package::zip_entry_options())?)
        })
        .await?;
        let export_req = ExportRequest {
            grant,
            actor: actor.clone(),
            reason: reason.clone(),
            output: Path::new(name).join(&file),
        };
        let (written, exported) = export(ctx, export_req, zip).await?;
        zip = written;
        clips.push(PackagedClip {
            camera,
            start,
            end,
            file,
            export: exported,
        });
    }
    let checkpoint = notary.sign_checkpoint().await?;
    let size = checkpoint.size as u64;
    let mut events = Vec::new();
    for clip in &clips {
        for id in [clip.export.clip.started_event, clip.export.finished_event] {
            events.push(proven(ctx, id, size).await?);
        }
    }
    let proof = Proof {
        checkpoint: checkpoint.note,
        events,
    };
    let proof = serde_json::to_vec_pretty(&proof).expect("json");
    let readme = readme(notary.origin(), clips.len()).into_bytes();
    // A clip's size and hash are the export's, taken as it wrote the clip.
    let mut files: Vec<FileEntry> = clips
        .iter()
        .map(|clip| FileEntry {
            path: clip.file.clone(),
            bytes: clip.export.clip.bytes,
            sha256: clip.export.clip.sha256.clone(),
        })
        .collect();
    files.push(package::file_entry_of(package::PROOF, &proof));
    files.push(package::file_entry_of(package::README, &readme));
    let who = Who {
        actor: &actor,
        reason: &reason,
    };
    let manifest = manifest(ctx, notary.origin(), who, chain, &clips, files);
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("json");
    let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));
    let statement = package::signature_statement(notary.origin(), &manifest_sha256);
    let signature = notary.sign_note(&statement).await?;
    let parts = [
        (package::PROOF, proof),
        (package::README, readme),
        (package::MANIFEST, manifest_bytes),
        (package::SIGNATURE, signature.into_bytes()),
    ];
    let zip = on_zip(zip, move |z| {
        for (file, bytes) in parts {
            z.start_file(file, package::zip_entry_options())?;
            z.write_all(&bytes)?;
        }
        Ok(())
    })
    .await?;
    let body = EventBody::EvidencePackageCreated(vocabulary::EvidencePackageCreated {
        package: Some(name.to_owned()),
        manifest_sha256: manifest_sha256.clone(),
        clip_sha256: clips[0].export.clip.sha256.clone(),
        checkpoint_size: size,
        started_event: clips[0].export.clip.started_event,
        further_clips_sha256: clips[1..]
            .iter()
            .map(|c| c.export.clip.sha256.clone())
            .collect(),
    });
    ctx.db.append_event(&Event::by(&actor, body)).await?;
    let summary = PackageSummary {
        name: name.to_owned(),
        manifest_sha256,
        checkpoint_size: size,
        clips,
    };
    Ok((Package { zip }, summary))
}

/// Event `id` in canonical form with its inclusion proof in the tree of `size` leaves.
async fn proven(ctx: &RecorderContext, id: i64, size: u64) -> Result<ProvenEvent, EvidenceError> {
    let seq = (id - 1) as u64;
    let row = ctx.db.event_at(seq).await?;
    let row = row.ok_or_else(|| mimamori_db::DbError::Invalid(format!("event {id} is gone")))?;
    let bytes = row
        .canonical_bytes()
        .map_err(|e| mimamori_db::DbError::Invalid(e.to_string()))?;
    let proof = ctx.db.inclusion_proof(seq, size).await?;
    Ok(ProvenEvent {
        seq,
        event: String::from_utf8_lossy(&bytes).into_owned(),
        inclusion_proof: proof.iter().map(|h| b64(&h.0)).collect(),
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::prelude::{Engine, BASE64_STANDARD};
    BASE64_STANDARD.encode(bytes)
}

fn times(t: Timestamp) -> Times {
    let tokyo = TimeZone::get("Asia/Tokyo").expect("bundled tzdb");
    Times {
        utc: t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string(),
        jst: t
            .to_zoned(tokyo)
            .strftime("%Y-%m-%dT%H:%M:%S.%6f%:z")
            .to_string(),
    }
}

/// Who let the footage out, and why, as the manifest tells it.
#[derive(Clone, Copy)]
struct Who<'a> {
    actor: &'a str,
    reason: &'a str,
}

fn manifest(
    ctx: &RecorderContext,
    origin: &str,
    who: Who<'_>,
    chain: &Chain,
    clips: &[PackagedClip],
    files: Vec<FileEntry>,
) -> Manifest {
    let first = &clips[0].export;
    let several = clips.len() > 1;
    Manifest {
        format: package::FORMAT.to_owned(),
        origin: origin.to_owned(),
        ward: ctx.policy.ward.name.clone(),
        operator: ctx.policy.ward.operator.clone(),
        created: times(Timestamp::now()),
        retrieval: Retrieval {
            request_id: chain.request_id.clone(),
            instruction_id: chain.instruction_id.clone(),
            ordered_by: chain.ordered_by.clone(),
            instructed_by: chain.instructed_by.clone(),
            retrieved_by: who.actor.to_owned(),
            terminal: chain.terminal.clone(),
            legal_basis: chain.legal_basis.clone(),
            reason: who.reason.to_owned(),
            started_event: leaf(first.clip.started_event),
            finished_event: leaf(first.finished_event),
        },
        clips: clips
            .iter()
            .enumerate()
            .map(|(i, c)| manifest_clip(ctx, i + 1, c, several))
            .collect(),
        files,
    }
}

/// The leaf index of event `id`.
fn leaf(id: i64) -> u64 {
    (id - 1) as u64
}

/// The manifest's entry for the `n`th clip. A clip of a package of several names its own
/// events; a lone clip's are the retrieval's (so such a manifest reads as before issue 13).
fn manifest_clip(ctx: &RecorderContext, n: usize, c: &PackagedClip, several: bool) -> Clip {
    let camera = ctx.policy.camera(&c.camera);
    let done = &c.export.clip;
    let source_segments = done
        .segments
        .iter()
        .zip(&done.segment_sha256)
        .map(|(&id, sha)| SourceSegment {
            id,
            sha256: sha.clone(),
        })
        .collect();
    Clip {
        file: clip_name(n),
        camera_id: c.camera.to_string(),
        camera_name: camera.map(|c| c.name.clone()).unwrap_or_default(),
        site: camera.map(|c| c.site.clone()).unwrap_or_default(),
        requested_start: times(c.start),
        requested_end: times(c.end),
        clip_start: times(done.start),
        duration_ms: done.duration_ms,
        source_segments,
        started_event: several.then(|| leaf(done.started_event)),
        finished_event: several.then(|| leaf(c.export.finished_event)),
    }
}

fn readme(origin: &str, clips: usize) -> String {
    let last = clip_name(clips);
    format!(
        "証拠パッケージ（見守り mimamori）
================================

このフォルダは、{origin} の防犯カメラ画像の取り出し記録です。

- clip-1.mp4 〜 {last}: 取り出した画像（カメラごとに1ファイル。MP4。一般的な再生ソフトで
  再生できます）
- manifest.json: カメラ・設置場所・記録範囲（UTC と日本時間）・指示者・取扱者・法的根拠・
  各ファイルの SHA-256
- manifest.sig: 区の署名鍵による manifest.json への署名（C2SP signed note 形式）
- proof.json: 取り出しを記録した台帳イベントと、署名済みチェックポイントへの包含証明
  （RFC 6962）

検証方法: 区が公開している公開鍵（/api/v1/ledger/keys）を keys.txt に保存し、
  mimamori verify このフォルダ --keys keys.txt
を実行します。1バイトでも改変されていれば、どのファイルのどこが違うかを表示して失敗します。

Evidence package (mimamori)
===========================

This folder is a retrieval of street-camera footage recorded by {origin}.

- clip-1.mp4 to {last}: the footage, one file per camera (MP4; plays in any common player)
- manifest.json: camera, site, recorded range (UTC and Japan time), who ordered, instructed
  and retrieved, legal basis, and the SHA-256 of every file
- manifest.sig: the ward's signature over manifest.json (a C2SP signed note)
- proof.json: the ledger events recording the retrieval, with RFC 6962 inclusion proofs
  against a signed checkpoint of the ward's ledger

To verify: save the ward's published public keys (/api/v1/ledger/keys) as keys.txt and run
  mimamori verify THIS_FOLDER --keys keys.txt
It fails, naming what differs, if a single byte was changed.
"
    )
}
