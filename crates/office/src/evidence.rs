//! Building evidence packages (issue 5, N9.3, T6.2): a retrieval's clip together with the proof
//! that the ledger recorded it, signed by the ward. The format and its verifier are
//! `mimamori_ledger::package`; this module gathers the parts from the recorder, the database
//! and the notary.

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use jiff::Timestamp;
use mimamori_db::{vocabulary, Event, EventBody};
use mimamori_ledger::package::{
    self, Clip, FileEntry, Manifest, Proof, ProvenEvent, Retrieval, SourceSegment, Times,
};
use mimamori_policy::CameraId;
use mimamori_recorder::export::{export, ExportRequest, ExportSummary};
use mimamori_recorder::{RecorderContext, RecorderError};
use sha2::{Digest, Sha256};

use crate::notary::{Notary, NotaryError};

/// The clip's file name inside a package.
pub const CLIP: &str = "clip-1.mp4";

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{0} already exists; a package is never written over another (既に存在します)")]
    Exists(PathBuf),
    #[error(transparent)]
    Recorder(#[from] RecorderError),
    #[error(transparent)]
    Notary(#[from] NotaryError),
    #[error(transparent)]
    Db(#[from] mimamori_db::DbError),
    #[error("writing the package: {0}")]
    Io(#[from] std::io::Error),
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

/// Where a package went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackageSummary {
    pub dir: PathBuf,
    pub zip: PathBuf,
    pub clip: PathBuf,
    pub manifest_sha256: String,
    pub checkpoint_size: u64,
    pub export: ExportSummary,
}

/// Exports `req` into a new package directory `dir` (and `dir.zip`).
pub async fn create_package(
    ctx: &RecorderContext,
    notary: &Notary,
    req: ExportRequest,
    chain: &Chain,
    dir: &Path,
) -> Result<PackageSummary, EvidenceError> {
    let zip = dir.with_extension("zip");
    for p in [dir, zip.as_path()] {
        if p.exists() {
            return Err(EvidenceError::Exists(p.to_owned()));
        }
    }
    std::fs::create_dir(dir)?;
    let scope = Scope {
        camera: req.grant.camera().clone(),
        start: req.grant.start(),
        end: req.grant.end(),
        actor: req.actor.clone(),
        reason: req.reason.clone(),
    };
    let clip = dir.join(CLIP);
    let req = ExportRequest {
        output: clip.clone(),
        ..req
    };
    let summary = match export(ctx, req).await {
        Ok(s) => s,
        Err(e) => {
            // Nothing was exported: leave no empty package behind.
            let _ = std::fs::remove_dir(dir);
            return Err(e.into());
        }
    };
    let checkpoint = notary.sign_checkpoint().await?;
    let size = checkpoint.size as u64;
    let mut events = Vec::new();
    for id in [summary.clip.started_event, summary.finished_event] {
        let seq = (id - 1) as u64;
        let row = ctx.db.event_at(seq).await?;
        let row =
            row.ok_or_else(|| mimamori_db::DbError::Invalid(format!("event {id} is gone")))?;
        let bytes = row
            .canonical_bytes()
            .map_err(|e| mimamori_db::DbError::Invalid(e.to_string()))?;
        let proof = ctx.db.inclusion_proof(seq, size).await?;
        events.push(ProvenEvent {
            seq,
            event: String::from_utf8_lossy(&bytes).into_owned(),
            inclusion_proof: proof.iter().map(|h| b64(&h.0)).collect(),
        });
    }
    let proof = Proof {
        checkpoint: checkpoint.note,
        events,
    };
    std::fs::write(
        dir.join(package::PROOF),
        serde_json::to_vec_pretty(&proof).expect("json"),
    )?;
    std::fs::write(dir.join(package::README), readme(notary.origin()))?;

    let files: Vec<FileEntry> = [CLIP, package::PROOF, package::README]
        .into_iter()
        .map(|name| package::file_entry(dir, name))
        .collect::<Result<_, _>>()?;
    let manifest = manifest(ctx, notary.origin(), &scope, chain, &summary, files);
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("json");
    let manifest_sha256 = hex::encode(Sha256::digest(&manifest_bytes));
    std::fs::write(dir.join(package::MANIFEST), &manifest_bytes)?;
    let statement = package::signature_statement(notary.origin(), &manifest_sha256);
    std::fs::write(
        dir.join(package::SIGNATURE),
        notary.sign_note(&statement).await?,
    )?;

    let names: Vec<String> = [
        CLIP,
        package::PROOF,
        package::README,
        package::MANIFEST,
        package::SIGNATURE,
    ]
    .map(str::to_owned)
    .into();
    package::zip_dir(dir, &names, &zip)?;
    let body = EventBody::EvidencePackageCreated(vocabulary::EvidencePackageCreated {
        package: dir.file_name().map(|n| n.to_string_lossy().into_owned()),
        manifest_sha256: manifest_sha256.clone(),
        clip_sha256: summary.clip.sha256.clone(),
        checkpoint_size: size,
        started_event: summary.clip.started_event,
    });
    ctx.db.append_event(&Event::by(&scope.actor, body)).await?;
    Ok(PackageSummary {
        dir: dir.to_owned(),
        zip,
        clip,
        manifest_sha256,
        checkpoint_size: size,
        export: summary,
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

/// What was exported, for whom and why, as the manifest tells it.
struct Scope {
    camera: CameraId,
    start: Timestamp,
    end: Timestamp,
    actor: String,
    reason: String,
}

fn manifest(
    ctx: &RecorderContext,
    origin: &str,
    req: &Scope,
    chain: &Chain,
    summary: &ExportSummary,
    files: Vec<FileEntry>,
) -> Manifest {
    let camera = ctx.policy.camera(&req.camera);
    let source_segments = summary
        .clip
        .segments
        .iter()
        .zip(&summary.clip.segment_sha256)
        .map(|(&id, sha)| SourceSegment {
            id,
            sha256: sha.clone(),
        })
        .collect();
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
            retrieved_by: req.actor.clone(),
            terminal: chain.terminal.clone(),
            legal_basis: chain.legal_basis.clone(),
            reason: req.reason.clone(),
            started_event: (summary.clip.started_event - 1) as u64,
            finished_event: (summary.finished_event - 1) as u64,
        },
        clips: vec![Clip {
            file: CLIP.to_owned(),
            camera_id: req.camera.to_string(),
            camera_name: camera.map(|c| c.name.clone()).unwrap_or_default(),
            site: camera.map(|c| c.site.clone()).unwrap_or_default(),
            requested_start: times(req.start),
            requested_end: times(req.end),
            clip_start: times(summary.clip.start),
            duration_ms: summary.clip.duration_ms,
            source_segments,
        }],
        files,
    }
}

fn readme(origin: &str) -> String {
    format!(
        "証拠パッケージ（見守り mimamori）
================================

このフォルダは、{origin} の防犯カメラ画像の取り出し記録です。

- {CLIP}: 取り出した画像（MP4。一般的な再生ソフトで再生できます）
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

- {CLIP}: the footage (MP4; plays in any common player)
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
