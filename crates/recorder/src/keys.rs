//! Encryption keys for footage at rest.
//!
//! Two levels: each camera-day has its own random 256-bit data key, which encrypts that day's
//! segments; the data key is stored in the database only wrapped (AES-256-GCM) by the
//! key-encryption key (KEK), a 32-byte file kept apart from the footage. A stolen segment disk
//! is unreadable without both the database and the KEK; destroying a day key's row makes that
//! day unreadable for good even if its files survive somewhere (crypto-shredding, T5.4).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use jiff::civil::Date;
use jiff::Timestamp;
use mimamori_db::{DayKeyRow, Db, DbError};
use mimamori_policy::CameraId;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key-encryption key file {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("key-encryption key file {path} must hold exactly 32 bytes, found {len}")]
    BadLength { path: String, len: usize },
    #[error("key-encryption key file {path} is readable by others (mode {mode:o}); chmod 600 it")]
    Exposed { path: String, mode: u32 },
    #[error("day key {id} was wrapped by key-encryption key {wanted}, but {have} is loaded")]
    WrongKek {
        id: i64,
        wanted: String,
        have: String,
    },
    #[error("day key {id} does not unwrap: wrong key-encryption key or tampered database")]
    Unwrap { id: i64 },
    #[error("day key {0} no longer exists: its footage was erased")]
    Shredded(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The key-encryption key.
pub struct Kek {
    cipher: Aes256Gcm,
    id: String,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek({})", self.id)
    }
}

impl Kek {
    /// Loads the KEK from `path`, creating it (mode 0600) with fresh random bytes if absent.
    pub fn load_or_create(path: &Path) -> Result<Kek, KeyError> {
        if !path.exists() {
            Self::create(path)?;
        }
        Self::load(path)
    }

    /// Writes a fresh random KEK to `path`, which must not exist.
    fn create(path: &Path) -> Result<(), KeyError> {
        let io = io_error(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key[..]);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io_error(path))?;
        file.write_all(&key[..]).map_err(io_error(path))?;
        file.sync_all().map_err(io_error(path))?;
        tracing::info!(path = %path.display(), "created a new key-encryption key");
        Ok(())
    }

    /// Loads an existing KEK; refuses one that others can read.
    pub fn load(path: &Path) -> Result<Kek, KeyError> {
        let metadata = std::fs::metadata(path).map_err(io_error(path))?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed {
                path: path.display().to_string(),
                mode,
            });
        }
        let bytes = Zeroizing::new(std::fs::read(path).map_err(io_error(path))?);
        let key: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::BadLength {
                path: path.display().to_string(),
                len: bytes.len(),
            })?;
        Ok(Kek::from_bytes(key))
    }

    pub fn from_bytes(key: &[u8; 32]) -> Kek {
        let id = hex::encode(&Sha256::digest(key)[..8]);
        Kek {
            cipher: Aes256Gcm::new(key.into()),
            id,
        }
    }

    /// Identifies this KEK without revealing it (first 8 bytes of its SHA-256).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, camera: &CameraId, day: Date, key: &[u8; 32]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = wrap_context(camera.as_str(), &day.to_string());
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: key,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of 32 bytes cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    fn unwrap(&self, row: &DayKeyRow) -> Result<DayKey, KeyError> {
        if row.kek_id != self.id {
            return Err(KeyError::WrongKek {
                id: row.id,
                wanted: row.kek_id.clone(),
                have: self.id.clone(),
            });
        }
        let (nonce, sealed) = row.wrapped_key.split_at(12.min(row.wrapped_key.len()));
        let aad = wrap_context(row.camera_id.as_str(), &row.day);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    &Nonce::try_from(nonce).map_err(|_| KeyError::Unwrap { id: row.id })?,
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| KeyError::Unwrap { id: row.id })?,
        );
        let key: &[u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Unwrap { id: row.id })?;
        Ok(DayKey {
            id: row.id,
            cipher: Aes256Gcm::new(key.into()),
        })
    }
}

/// A small secret the office keeps in the database (a TOTP secret), sealed with the KEK so that
/// a copy of the database alone does not give it away (issue 11, #19). The text form is
/// `kek1:<kek id>:<hex of nonce ‖ ciphertext>`; `context` binds it to its owner and use, so a
/// sealed value copied onto another account does not open.
impl Kek {
    pub fn seal_secret(&self, context: &str, secret: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = secret_context(context);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of a small secret cannot fail");
        format!(
            "{SEALED_PREFIX}{}:{}",
            self.id,
            hex::encode([nonce.as_slice(), &sealed].concat())
        )
    }

    /// Opens what [`Kek::seal_secret`] made with the same context; `None` for anything else
    /// (another KEK, another context, damage).
    pub fn open_secret(&self, context: &str, sealed: &str) -> Option<Zeroizing<Vec<u8>>> {
        let rest = sealed.strip_prefix(SEALED_PREFIX)?;
        let (id, data) = rest.split_once(':')?;
        if id != self.id {
            return None;
        }
        let data = hex::decode(data).ok()?;
        let (nonce, body) = data.split_at(12.min(data.len()));
        let aad = secret_context(context);
        let plain = self
            .cipher
            .decrypt(
                &Nonce::try_from(nonce).ok()?,
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .ok()?;
        Some(Zeroizing::new(plain))
    }
}

/// The prefix of a sealed secret's text form.
pub const SEALED_PREFIX: &str = "kek1:";

fn secret_context(context: &str) -> Vec<u8> {
    format!("mimamori secret v1\0{context}").into_bytes()
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> KeyError + '_ {
    move |error| KeyError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// Binds a wrapped key to its camera and day, so a row copied onto another day won't unwrap.
fn wrap_context(camera: &str, day: &str) -> Vec<u8> {
    format!("mimamori day key v1\0{camera}\0{day}").into_bytes()
}

/// An unwrapped data key for one camera-day.
#[derive(Clone)]
pub struct DayKey {
    pub id: i64,
    pub cipher: Aes256Gcm,
}

impl std::fmt::Debug for DayKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DayKey({})", self.id)
    }
}

impl Kek {
    /// The data key for a camera-day, created and stored (wrapped) on first use.
    pub async fn day_key(
        &self,
        db: &Db,
        camera: &CameraId,
        day: Date,
        now: Timestamp,
    ) -> Result<DayKey, KeyError> {
        let row = match db.day_key(camera, day).await? {
            Some(row) => row,
            None => {
                let mut key = Zeroizing::new([0u8; 32]);
                rand::rngs::OsRng.fill_bytes(&mut key[..]);
                let wrapped = self.wrap(camera, day, &key);
                db.insert_day_key(camera, day, &self.id, &wrapped, now)
                    .await?
            }
        };
        self.unwrap(&row)
    }

    /// An existing data key by id, for reading footage back.
    pub async fn day_key_by_id(&self, db: &Db, id: i64) -> Result<DayKey, KeyError> {
        let row = db.day_key_by_id(id).await?.ok_or(KeyError::Shredded(id))?;
        self.unwrap(&row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n3_3_1_a_sealed_secret_opens_only_with_its_kek_and_context() {
        let kek = Kek::from_bytes(&[1; 32]);
        let sealed = kek.seal_secret("totp\0staff 7", b"JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("JBSWY3DP"));
        let opened = kek.open_secret("totp\0staff 7", &sealed).unwrap();
        assert_eq!(opened.as_slice(), b"JBSWY3DPEHPK3PXP");
        assert!(
            kek.open_secret("totp\0staff 8", &sealed).is_none(),
            "another account"
        );
        let other = Kek::from_bytes(&[2; 32]);
        assert!(
            other.open_secret("totp\0staff 7", &sealed).is_none(),
            "another KEK"
        );
        assert!(kek
            .open_secret("totp\0staff 7", "JBSWY3DPEHPK3PXP")
            .is_none());
    }

    #[tokio::test]
    async fn day_keys_are_stable_and_bound_to_their_day() {
        let db = Db::open_in_memory().await.unwrap();
        let cam = CameraId::new("cam1").unwrap();
        db.upsert_camera(
            &mimamori_db::CameraRecord {
                id: "cam1".into(),
                name: "n".into(),
                site: "s".into(),
                url: "rtsp://x/".into(),
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
        let kek = Kek::from_bytes(&[7; 32]);
        let day = jiff::civil::date(2026, 11, 1);
        let a = kek.day_key(&db, &cam, day, Timestamp::now()).await.unwrap();
        let b = kek.day_key(&db, &cam, day, Timestamp::now()).await.unwrap();
        assert_eq!(a.id, b.id);
        let other = kek
            .day_key(&db, &cam, day.tomorrow().unwrap(), Timestamp::now())
            .await
            .unwrap();
        assert_ne!(a.id, other.id);

        // A wrapped key moved onto another day does not unwrap.
        let mut row = db.day_key_by_id(a.id).await.unwrap().unwrap();
        row.day = "2026-11-02".into();
        assert!(matches!(kek.unwrap(&row), Err(KeyError::Unwrap { .. })));
        // Nor under another KEK.
        assert!(matches!(
            Kek::from_bytes(&[8; 32]).day_key_by_id(&db, a.id).await,
            Err(KeyError::WrongKek { .. })
        ));
    }

    #[test]
    fn kek_file_is_created_private_and_refused_when_exposed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/kek");
        let first = Kek::load_or_create(&path).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(Kek::load_or_create(&path).unwrap().id(), first.id());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            Kek::load_or_create(&path),
            Err(KeyError::Exposed { .. })
        ));
    }
}
