//! Footage in S3-compatible object storage, kept by Object Lock (issue 15; docs/scale.md).
//!
//! A city's recorder nodes cannot share a local disk; they share a bucket. Segments go there as
//! objects, still encrypted by us (the store never sees plaintext). What the local ring does by
//! our own code, the bucket does by its own rules, so that nobody — not even an administrator
//! holding the bucket's keys — erases footage early:
//! - **retention by Object Lock**: each object version is written with its lock (COMPLIANCE or
//!   GOVERNANCE, per policy) until the end of its retention window; the store refuses to delete
//!   it before then, whoever asks. mimamori never sends the GOVERNANCE bypass header.
//! - **holds as legal holds** (T5.3): a held version cannot be deleted at all until the hold is
//!   lifted, whatever its retain-until.
//! - **erasure deletes the version** (T5.4), not just the key's newest: a delete marker would
//!   leave the footage in the bucket. The version id comes back from the write and is recorded;
//!   crypto-shredding of the day key still makes any copy the bucket kept unreadable.
//!
//! Not yet wired: the recorder still writes to the local ring; the segment store that puts
//! finished segments here (spooling while the bucket is unreachable) comes with the rest of
//! issue 15. Tested against moto's S3 server, which enforces Object Lock (`tests/objects.rs`).

use std::ops::Range;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode,
    ObjectLockRetention, ObjectLockRetentionMode,
};
use jiff::Timestamp;

/// Which Object Lock mode protects footage (policy `[storage.s3] lock_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Nobody, root account included, shortens or removes the lock: the right mode for footage.
    Compliance,
    /// Accounts with the bypass permission could delete early; mimamori never asks to, but a
    /// ward whose storage team insists on a way out can choose it.
    Governance,
}

/// Where the bucket is and how to sign requests to it.
#[derive(Debug, Clone)]
pub struct BucketSettings {
    /// `https://s3.example.jp` (path-style requests; any S3-compatible store).
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub lock_mode: LockMode,
}

/// An object version as written: the key and the version id to read, hold and erase it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The bucket refuses: the version is locked until its retain-until, or held.
    #[error("{key} ({version}) is locked or held; the object store refuses to delete it")]
    Locked { key: String, version: String },
    /// mimamori never moves a lock earlier, whatever the store would allow.
    #[error("{key} ({version}) is locked until {until}; a lock is never shortened")]
    WouldShorten {
        key: String,
        version: String,
        until: Timestamp,
    },
    #[error("{key} ({version}) is not in the bucket")]
    NotFound { key: String, version: String },
    /// The bucket cannot keep footage as the guideline needs.
    #[error("bucket {bucket}: {why}")]
    Bucket { bucket: String, why: String },
    #[error("object store: {0}")]
    Service(String),
}

/// A service error's code, or the transport failure's text.
fn code_of<E: ProvideErrorMetadata + std::fmt::Debug>(e: &SdkError<E>) -> (Option<String>, String) {
    match e {
        SdkError::ServiceError(s) => (
            s.err().code().map(str::to_owned),
            format!(
                "{}: {}",
                s.err().code().unwrap_or("error"),
                s.err().message().unwrap_or("")
            ),
        ),
        other => (None, format!("{other:?}")),
    }
}

fn date(t: Timestamp) -> DateTime {
    DateTime::from_secs(t.as_second())
}

/// One bucket of footage.
#[derive(Debug, Clone)]
pub struct Bucket {
    client: aws_sdk_s3::Client,
    name: String,
    mode: LockMode,
}

impl Bucket {
    pub fn new(s: &BucketSettings) -> Bucket {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&s.endpoint)
            .region(Region::new(s.region.clone()))
            .credentials_provider(Credentials::new(
                &s.access_key,
                &s.secret_key,
                None,
                None,
                "mimamori-policy",
            ))
            .force_path_style(true)
            .build();
        Bucket {
            client: aws_sdk_s3::Client::from_conf(config),
            name: s.bucket.clone(),
            mode: s.lock_mode,
        }
    }

    fn refused(&self, why: impl Into<String>) -> ObjectError {
        ObjectError::Bucket {
            bucket: self.name.clone(),
            why: why.into(),
        }
    }

    /// Creates the bucket with Object Lock on (which turns versioning on): the one setting a
    /// footage bucket needs and cannot get later on every store.
    pub async fn create(&self) -> Result<(), ObjectError> {
        self.client
            .create_bucket()
            .bucket(&self.name)
            .object_lock_enabled_for_bucket(true)
            .send()
            .await
            .map_err(|e| self.refused(code_of(&e).1))?;
        Ok(())
    }

    /// Refuses a bucket that cannot keep footage: without Object Lock (which also means
    /// versioning) a delete would simply remove it.
    pub async fn check(&self) -> Result<(), ObjectError> {
        let config = self
            .client
            .get_object_lock_configuration()
            .bucket(&self.name)
            .send()
            .await
            .map_err(|e| {
                self.refused(format!("no Object Lock configuration ({})", code_of(&e).1))
            })?;
        let enabled = config
            .object_lock_configuration()
            .and_then(|c| c.object_lock_enabled())
            == Some(&ObjectLockEnabled::Enabled);
        if !enabled {
            return Err(self.refused("Object Lock is not enabled"));
        }
        Ok(())
    }

    /// Writes `bytes` as a new version of `key`, locked until `retain_until`.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        retain_until: Timestamp,
    ) -> Result<StoredObject, ObjectError> {
        let mode = match self.mode {
            LockMode::Compliance => ObjectLockMode::Compliance,
            LockMode::Governance => ObjectLockMode::Governance,
        };
        let out = self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .body(ByteStream::from(bytes))
            .object_lock_mode(mode)
            .object_lock_retain_until_date(date(retain_until))
            .send()
            .await
            .map_err(|e| ObjectError::Service(code_of(&e).1))?;
        let version = out
            .version_id()
            .filter(|v| !v.is_empty() && *v != "null")
            .ok_or_else(|| self.refused("a write returned no version id (versioning is off)"))?;
        Ok(StoredObject {
            key: key.to_owned(),
            version: version.to_owned(),
        })
    }

    /// The bytes `range` of an object version (export reads only what a clip needs).
    pub async fn read(
        &self,
        object: &StoredObject,
        range: Range<u64>,
    ) -> Result<Vec<u8>, ObjectError> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(&object.key)
            .version_id(&object.version)
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await
            .map_err(|e| match code_of(&e) {
                (Some(c), _) if c == "NoSuchKey" || c == "NoSuchVersion" => self.not_found(object),
                (_, text) => ObjectError::Service(text),
            })?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| ObjectError::Service(e.to_string()))?
            .into_bytes();
        Ok(bytes.to_vec())
    }

    fn not_found(&self, object: &StoredObject) -> ObjectError {
        ObjectError::NotFound {
            key: object.key.clone(),
            version: object.version.clone(),
        }
    }

    fn locked(&self, object: &StoredObject) -> ObjectError {
        ObjectError::Locked {
            key: object.key.clone(),
            version: object.version.clone(),
        }
    }

    /// T5.3: puts a legal hold on a version (`on`) or lifts it.
    pub async fn hold(&self, object: &StoredObject, on: bool) -> Result<(), ObjectError> {
        let status = if on {
            ObjectLockLegalHoldStatus::On
        } else {
            ObjectLockLegalHoldStatus::Off
        };
        self.client
            .put_object_legal_hold()
            .bucket(&self.name)
            .key(&object.key)
            .version_id(&object.version)
            .legal_hold(ObjectLockLegalHold::builder().status(status).build())
            .send()
            .await
            .map_err(|e| ObjectError::Service(code_of(&e).1))?;
        Ok(())
    }

    /// Keeps a version locked until `until` (a hold beyond the window, or a longer policy).
    /// A lock is never shortened: S3 refuses that in COMPLIANCE mode, but not every
    /// S3-compatible store does (moto does not), so the version's retain-until is read first.
    pub async fn extend(&self, object: &StoredObject, until: Timestamp) -> Result<(), ObjectError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.name)
            .key(&object.key)
            .version_id(&object.version)
            .send()
            .await
            .map_err(|e| ObjectError::Service(code_of(&e).1))?;
        let current = head
            .object_lock_retain_until_date()
            .and_then(|d| Timestamp::from_second(d.secs()).ok());
        if let Some(current) = current.filter(|c| until < *c) {
            return Err(ObjectError::WouldShorten {
                key: object.key.clone(),
                version: object.version.clone(),
                until: current,
            });
        }
        let mode = match self.mode {
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
            LockMode::Governance => ObjectLockRetentionMode::Governance,
        };
        let retention = ObjectLockRetention::builder()
            .mode(mode)
            .retain_until_date(date(until))
            .build();
        self.client
            .put_object_retention()
            .bucket(&self.name)
            .key(&object.key)
            .version_id(&object.version)
            .retention(retention)
            .send()
            .await
            .map_err(|e| match code_of(&e) {
                (Some(c), _) if c == "AccessDenied" => self.locked(object),
                (_, text) => ObjectError::Service(text),
            })?;
        Ok(())
    }

    /// T5.4: deletes the version itself (no delete marker left in its place). The store
    /// refuses while the version is locked or held.
    pub async fn erase(&self, object: &StoredObject) -> Result<(), ObjectError> {
        self.client
            .delete_object()
            .bucket(&self.name)
            .key(&object.key)
            .version_id(&object.version)
            .send()
            .await
            .map_err(|e| match code_of(&e) {
                (Some(c), _) if c == "AccessDenied" || c == "InvalidRequest" => self.locked(object),
                (_, text) => ObjectError::Service(text),
            })?;
        Ok(())
    }
}
