//! The notary: the one holder of the ward's ledger signing key. It signs checkpoints of the log
//! (on a timer and on demand) and evidence manifests, and rotates the key.
//!
//! The private key is a 0600 file in the signed-note text form; its public half is in the
//! `ledger_key` table, published with every checkpoint. A key file is created only on a ward's
//! first start: a missing file when the database already lists keys is refused, because a new
//! key in silence would look exactly like a forged log.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use mimamori_db::vocabulary::LedgerKey;
use mimamori_db::{CheckpointRow, Db, Event, EventBody};
use mimamori_ledger::{CheckpointBody, SigningKey};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum NotaryError {
    #[error(
        "the ledger signing key {0} is missing but the database lists ward keys; restore the \
         file instead of creating a new key (台帳署名鍵ファイルがありません)"
    )]
    KeyMissing(PathBuf),
    #[error(
        "the ledger signing key {file} is for {found:?}, but the policy's ledger origin is \
         {expected:?}; rotate the key (`mimamori ledger rotate-key`) to change the origin"
    )]
    WrongOrigin {
        file: PathBuf,
        found: String,
        expected: String,
    },
    #[error("the ledger signing key {file}: {error}")]
    KeyFile { file: PathBuf, error: String },
    #[error(transparent)]
    Note(#[from] mimamori_ledger::NoteError),
    #[error(transparent)]
    Db(#[from] mimamori_db::DbError),
}

struct CurrentKey {
    key: SigningKey,
    row_id: i64,
}

/// Signs for the ward. Cheap to share behind an `Arc`.
pub struct Notary {
    db: Db,
    origin: String,
    key_file: PathBuf,
    current: Mutex<CurrentKey>,
}

impl Notary {
    /// Loads the key in `key_file`, creating it on a ward's first start if `create` is set.
    pub async fn open(
        db: Db,
        origin: &str,
        key_file: &Path,
        create: bool,
    ) -> Result<Notary, NotaryError> {
        let key_error = |error: String| NotaryError::KeyFile {
            file: key_file.to_owned(),
            error,
        };
        let known = db.ledger_keys().await?;
        // The ward's signing key is as secret as the KEK: refuse one others can read (issue 11,
        // #19), as the recorder refuses such a KEK.
        if let Ok(meta) = std::fs::metadata(key_file) {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(key_error(format!(
                    "readable by others (mode {mode:o}); chmod 600 it"
                )));
            }
        }
        let key = match std::fs::read_to_string(key_file) {
            Ok(text) => SigningKey::from_private(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create && known.is_empty() => {
                let (key, private) = SigningKey::generate(origin)?;
                write_private_key(key_file, &private).map_err(|e| key_error(e.to_string()))?;
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !known.is_empty() => {
                return Err(NotaryError::KeyMissing(key_file.to_owned()))
            }
            Err(e) => return Err(key_error(e.to_string())),
        };
        if key.name() != origin {
            return Err(NotaryError::WrongOrigin {
                file: key_file.to_owned(),
                found: key.name().to_owned(),
                expected: origin.to_owned(),
            });
        }
        let row_id = match known.iter().find(|k| k.verifier_key == key.verifier_key()) {
            Some(k) if k.retired_us.is_some() => {
                return Err(key_error(
                    "this key was retired; it signs nothing more".into(),
                ))
            }
            Some(k) => k.id,
            None => {
                let id = db
                    .add_ledger_key(key.verifier_key(), Timestamp::now())
                    .await?;
                db.append_event(&key_event(key.verifier_key(), None))
                    .await?;
                id
            }
        };
        Ok(Notary {
            db,
            origin: origin.to_owned(),
            key_file: key_file.to_owned(),
            current: Mutex::new(CurrentKey { key, row_id }),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The current public verifier key.
    pub async fn verifier_key(&self) -> String {
        self.current.lock().await.key.verifier_key().to_owned()
    }

    /// Signs and keeps a checkpoint of the log as it stands now.
    pub async fn sign_checkpoint(&self) -> Result<CheckpointRow, NotaryError> {
        let current = self.current.lock().await;
        let size = self.db.ledger_size().await?;
        let body = CheckpointBody {
            origin: self.origin.clone(),
            size,
            root: self.db.ledger_root(size).await?,
            time: Timestamp::now(),
        };
        let note = body.sign(&current.key)?;
        let id = self.db.add_checkpoint(&body, current.row_id, &note).await?;
        Ok(CheckpointRow {
            id,
            size: size as i64,
            root: body.root.0.to_vec(),
            time_us: body.time.as_microsecond(),
            key_id: current.row_id,
            note,
        })
    }

    /// Signs `text` (an evidence manifest's statement) as a signed note.
    pub async fn sign_note(&self, text: &str) -> Result<String, NotaryError> {
        Ok(self.current.lock().await.key.sign_note(text)?)
    }

    /// Replaces the signing key: the new key is written first, then recorded, then the old one
    /// retired and its file replaced; the rotation is a ledger event naming both public keys,
    /// and the first checkpoint under the new key follows at once.
    pub async fn rotate_key(&self, actor: &str) -> Result<CheckpointRow, NotaryError> {
        {
            let mut current = self.current.lock().await;
            let (key, private) = SigningKey::generate(&self.origin)?;
            let staged = self.key_file.with_extension("key.new");
            write_private_key(&staged, &private).map_err(|e| NotaryError::KeyFile {
                file: staged.clone(),
                error: e.to_string(),
            })?;
            let now = Timestamp::now();
            let row_id = self.db.add_ledger_key(key.verifier_key(), now).await?;
            self.db.retire_ledger_key(current.row_id, now).await?;
            std::fs::rename(&staged, &self.key_file).map_err(|e| NotaryError::KeyFile {
                file: self.key_file.clone(),
                error: e.to_string(),
            })?;
            let mut event = key_event(key.verifier_key(), Some(current.key.verifier_key()));
            event.actor = actor.to_owned();
            self.db.append_event(&event).await?;
            *current = CurrentKey { key, row_id };
        }
        self.sign_checkpoint().await
    }

    /// Signs a checkpoint every `interval` until the task is dropped.
    pub async fn run(self: std::sync::Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            if let Err(e) = self.sign_checkpoint().await {
                tracing::error!(error = %e, "cannot sign a ledger checkpoint");
            }
        }
    }
}

/// A ledger key added (`old_key` none) or rotated.
fn key_event(new_key: &str, old_key: Option<&str>) -> Event {
    let key = LedgerKey {
        verifier_key: new_key.to_owned(),
        previous_verifier_key: old_key.map(str::to_owned),
    };
    let body = match old_key {
        None => EventBody::LedgerKeyAdded(key),
        Some(_) => EventBody::LedgerKeyRotated(key),
    };
    Event::system("notary", body)
}

/// Writes a private key file readable by its owner only, durably.
fn write_private_key(path: &Path, private: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{private}")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mimamori_ledger::TrustedKeys;
    use std::os::unix::fs::PermissionsExt as _;

    #[tokio::test]
    async fn n3_2_1_checkpoints_verify_and_rotation_keeps_old_ones_valid() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys/ledger.key");
        let db = Db::open_in_memory().await.unwrap();
        let notary = Notary::open(db.clone(), "ward/ledger", &file, true)
            .await
            .unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let first = notary.sign_checkpoint().await.unwrap();
        assert_eq!(first.size, 1, "the key's registration is the first event");
        let old_key = notary.verifier_key().await;
        let second = notary.rotate_key("admin").await.unwrap();
        let new_key = notary.verifier_key().await;
        assert_ne!(old_key, new_key);
        let both = TrustedKeys::parse(&format!("{old_key}\n{new_key}")).unwrap();
        let a = CheckpointBody::open(first.note.as_bytes(), &both).unwrap();
        let b = CheckpointBody::open(second.note.as_bytes(), &both).unwrap();
        assert!(b.size > a.size);
        let only_new = TrustedKeys::parse(&new_key).unwrap();
        assert!(CheckpointBody::open(first.note.as_bytes(), &only_new).is_err());
        let keys = db.ledger_keys().await.unwrap();
        assert!(keys[0].retired_us.is_some() && keys[1].retired_us.is_none());
        assert_eq!(
            db.events(Some(mimamori_db::EventKind::LedgerKeyRotated))
                .await
                .unwrap()
                .len(),
            1
        );
        // Reopening loads the rotated key; a lost key file is refused, not replaced.
        drop(notary);
        let again = Notary::open(db.clone(), "ward/ledger", &file, true)
            .await
            .unwrap();
        assert_eq!(again.verifier_key().await, new_key);
        // Issue 11, #19: a key file others can read is refused, not used.
        drop(again);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let open = Notary::open(db.clone(), "ward/ledger", &file, true).await;
        assert!(
            matches!(&open, Err(NotaryError::KeyFile { error, .. }) if error.contains("chmod 600")),
            "{:?}",
            open.err()
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::remove_file(&file).unwrap();
        let lost = Notary::open(db.clone(), "ward/ledger", &file, true).await;
        assert!(matches!(lost, Err(NotaryError::KeyMissing(_))));
        assert!(!file.exists());
    }
}
