//! The segment store on local disk: where files live, recovery after a crash, and the
//! integrity check that re-reads everything.
//!
//! Layout: `ROOT/<camera>/<YYYY-MM-DD>/<file_id hex>.seg`, one directory per camera-day so that
//! a day's erasure empties and removes its directory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use mimamori_db::{AlertKind, Db, Event, EventBody, SegmentRow};
use mimamori_media::sample_index;
use sha2::{Digest, Sha256};

use crate::keys::Kek;
use crate::segment_file::{overwrite_and_remove, SegmentFileReader, SegmentHeader};
use crate::{Clock, RecorderError};

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// What start-up recovery found: the `store_recovery` event's payload.
pub type Recovery = mimamori_db::vocabulary::StoreRecovery;

/// What a full integrity check found: the `integrity_check` event's payload.
pub type CheckReport = mimamori_db::vocabulary::IntegrityCheck;

pub use mimamori_db::vocabulary::BadSegment;

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, camera: &str, day: &str, file_id: &[u8]) -> PathBuf {
        self.root
            .join(camera)
            .join(day)
            .join(format!("{}.seg", hex::encode(file_id)))
    }

    pub fn path_of(&self, row: &SegmentRow) -> PathBuf {
        self.path(row.camera_id.as_str(), &row.day, &row.file_id)
    }

    /// The header a row's file must carry.
    pub fn header_of(row: &SegmentRow) -> SegmentHeader {
        let mut file_id = [0u8; 16];
        let n = row.file_id.len().min(16);
        file_id[..n].copy_from_slice(&row.file_id[..n]);
        SegmentHeader {
            file_id,
            day_key_id: row.day_key_id,
            camera: row.camera_id.to_string(),
        }
    }

    /// Makes the store agree with the index before recording starts: unindexed files go,
    /// indexed files that are missing or torn are reported (and alerted).
    pub async fn recover(&self, db: &Db, clock: &dyn Clock) -> Result<Recovery, RecorderError> {
        let rows = db.all_segments().await?;
        let indexed: HashSet<PathBuf> = rows.iter().map(|r| self.path_of(r)).collect();
        let mut report = Recovery::default();
        for path in self.files()? {
            if !indexed.contains(&path) {
                overwrite_and_remove(&path)?;
                report.removed_unindexed.push(path);
            }
        }
        for row in &rows {
            let size = std::fs::metadata(self.path_of(row)).map(|m| m.len()).ok();
            if size != Some(row.file_bytes as u64) {
                report.damaged.push(row.id);
                let msg = format!(
                    "segment {} of {} is missing or torn on disk (保存済み映像ファイルの欠損)",
                    row.id, row.camera_id
                );
                db.raise_alert(AlertKind::Integrity, None, &msg, clock.now())
                    .await?;
            }
        }
        if !report.removed_unindexed.is_empty() || !report.damaged.is_empty() {
            let body = EventBody::StoreRecovery(report.clone());
            db.append_event(&Event::system("store", body).at(clock.now()))
                .await?;
        }
        Ok(report)
    }

    /// Every `.seg` file under the root.
    fn files(&self) -> Result<Vec<PathBuf>, RecorderError> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(RecorderError::Io(dir, e)),
            };
            for entry in entries {
                let path = entry.map_err(|e| RecorderError::Io(dir.clone(), e))?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "seg") {
                    out.push(path);
                }
            }
        }
        Ok(out)
    }

    /// Re-reads every indexed segment: each sample must authenticate and the plaintext must
    /// hash to the recorded SHA-256 (N3.2.1: footage is kept accurately). Failures raise an
    /// integrity alert; the run is an event.
    pub async fn check(
        &self,
        db: &Db,
        kek: &Kek,
        clock: &dyn Clock,
    ) -> Result<CheckReport, RecorderError> {
        let mut report = CheckReport::default();
        for row in db.all_segments().await? {
            report.segments_checked += 1;
            match self.check_one(db, kek, &row).await {
                Ok(bytes) => report.bytes_checked += bytes,
                Err(reason) => {
                    let msg = format!("segment {} of {}: {reason}", row.id, row.camera_id);
                    db.raise_alert(AlertKind::Integrity, None, &msg, clock.now())
                        .await?;
                    report.bad.push(BadSegment {
                        segment_id: row.id,
                        camera_id: row.camera_id.into(),
                        reason,
                    });
                }
            }
        }
        let body = EventBody::IntegrityCheck(report.clone());
        db.append_event(&Event::system("store", body).at(clock.now()))
            .await?;
        Ok(report)
    }

    async fn check_one(&self, db: &Db, kek: &Kek, row: &SegmentRow) -> Result<u64, String> {
        let key = kek
            .day_key_by_id(db, row.day_key_id)
            .await
            .map_err(|e| e.to_string())?;
        let samples = sample_index::decode(&row.sample_index).map_err(|e| e.to_string())?;
        let path = self.path_of(row);
        let header = Self::header_of(row);
        let count = samples.len() as u32;
        tokio::task::spawn_blocking(move || {
            let mut reader =
                SegmentFileReader::open(&path, header, key, count).map_err(|e| e.to_string())?;
            let mut hasher = Sha256::new();
            let mut bytes = 0u64;
            for s in &samples {
                let data = reader.next_sample(s.size).map_err(|e| e.to_string())?;
                hasher.update(&data);
                bytes += data.len() as u64;
            }
            Ok::<_, String>((hasher.finalize(), bytes))
        })
        .await
        .map_err(|e| e.to_string())?
        .and_then(|(hash, bytes)| {
            if hash[..] == row.sha256[..] {
                Ok(bytes)
            } else {
                Err("plaintext SHA-256 differs from the index (改ざんまたは破損)".to_owned())
            }
        })
    }
}
