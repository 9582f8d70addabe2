//! Retrieval grants and terminal keys (N9.4, N2, N3.3).
//!
//! A grant is a C2SP signed note by the ward's key whose text binds one request's cameras,
//! ranges, handler and terminal to an id and an expiry. The terminal answers it by signing the
//! note's exact bytes with its own Ed25519 key, whose private half never leaves the terminal
//! (`mimamori terminal init` writes it, mode 0600). The office accepts a retrieval only with
//! both signatures, once per grant.

use mimamori_db::vocabulary::CameraRange;
use mimamori_policy::{RequestId, TerminalId};
use std::path::Path;

use base64::prelude::{Engine, BASE64_STANDARD};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The first line of a grant note's text.
pub const STATEMENT: &str = "mimamori retrieval grant";
/// The context a terminal's signed retrieval history is signed under (N11.3).
pub const HISTORY_CONTEXT: &str = "mimamori terminal history";
/// What a terminal signs: this line, a newline, then the grant note's bytes. The prefix keeps
/// a terminal signature from meaning anything else.
const TERMINAL_CONTEXT: &str = "mimamori terminal retrieval\n";
/// The first line of a terminal key file.
const KEY_FILE_HEADER: &str = "mimamori terminal key v1";

/// What a grant binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GrantClaims {
    pub grant: String,
    pub request: RequestId,
    pub camera: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub handler: String,
    pub terminal: TerminalId,
    pub expires: Timestamp,
    /// The instruction's other cameras, each with its range (issue 13); absent when it names
    /// one camera, so such a grant's note reads as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub further_cameras: Vec<CameraRange>,
}

impl GrantClaims {
    /// The note text the ward signs.
    pub fn text(&self) -> String {
        format!(
            "{STATEMENT}\n{}\n",
            serde_json::to_string(self).expect("claims serialize")
        )
    }

    /// The claims of a verified note's text.
    pub fn parse(text: &str) -> Option<GrantClaims> {
        let body = text.strip_prefix(STATEMENT)?.strip_prefix('\n')?;
        serde_json::from_str(body.trim_end()).ok()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TerminalKeyError {
    #[error("cannot read or write the terminal key {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{0} is not a mimamori terminal key file")]
    Malformed(String),
    #[error("{0} already exists; a terminal key is never overwritten")]
    Exists(String),
}

/// A terminal's own key pair.
pub struct TerminalKey {
    pub terminal_id: String,
    key: SigningKey,
}

impl TerminalKey {
    pub fn generate(terminal_id: &str) -> TerminalKey {
        TerminalKey {
            terminal_id: terminal_id.to_owned(),
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// Writes the key file with mode 0600, refusing to replace an existing one.
    pub fn create_file(&self, path: &Path) -> Result<(), TerminalKeyError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let io = |error| TerminalKeyError::Io {
            path: path.display().to_string(),
            error,
        };
        if path.exists() {
            return Err(TerminalKeyError::Exists(path.display().to_string()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        let secret = BASE64_STANDARD.encode(self.key.to_bytes());
        writeln!(file, "{KEY_FILE_HEADER}\n{}\n{secret}", self.terminal_id).map_err(io)?;
        file.sync_all().map_err(io)
    }

    pub fn load(path: &Path) -> Result<TerminalKey, TerminalKeyError> {
        let text = std::fs::read_to_string(path).map_err(|error| TerminalKeyError::Io {
            path: path.display().to_string(),
            error,
        })?;
        let malformed = || TerminalKeyError::Malformed(path.display().to_string());
        let mut lines = text.lines();
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err(malformed());
        }
        let terminal_id = lines.next().ok_or_else(malformed)?.to_owned();
        let secret: [u8; 32] = lines
            .next()
            .and_then(|l| BASE64_STANDARD.decode(l).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(malformed)?;
        Ok(TerminalKey {
            terminal_id,
            key: SigningKey::from_bytes(&secret),
        })
    }

    /// The public key as registered with the office (base64 of 32 bytes).
    pub fn public_key(&self) -> String {
        BASE64_STANDARD.encode(self.key.verifying_key().to_bytes())
    }

    /// The terminal's answer to a grant note.
    pub fn sign_grant(&self, grant_note: &str) -> String {
        BASE64_STANDARD.encode(self.key.sign(&terminal_message(grant_note)).to_bytes())
    }

    /// Signs any other record the terminal vouches for (its retrieval history, N11.3).
    pub fn sign(&self, context: &str, bytes: &[u8]) -> String {
        BASE64_STANDARD.encode(self.key.sign(&record_message(context, bytes)).to_bytes())
    }
}

fn record_message(context: &str, bytes: &[u8]) -> Vec<u8> {
    let mut message = format!("{context}\n").into_bytes();
    message.extend_from_slice(bytes);
    message
}

/// Did the terminal holding `public_key` sign `bytes` under `context` ([`TerminalKey::sign`])?
pub fn terminal_signed_record(
    public_key: &str,
    context: &str,
    bytes: &[u8],
    signature: &str,
) -> bool {
    verify_with(public_key, &record_message(context, bytes), signature)
}

fn terminal_message(grant_note: &str) -> Vec<u8> {
    format!("{TERMINAL_CONTEXT}{grant_note}").into_bytes()
}

/// Parses a registered public key: base64 of a 32-byte Ed25519 key.
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = BASE64_STANDARD.decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Did the terminal holding `public_key` sign this grant note?
pub fn terminal_signed(public_key: &str, grant_note: &str, signature: &str) -> bool {
    verify_with(public_key, &terminal_message(grant_note), signature)
}

fn verify_with(public_key: &str, message: &[u8], signature: &str) -> bool {
    let Some(key) = parse_public_key(public_key) else {
        return false;
    };
    let Some(sig) = BASE64_STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
    else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n3_3_a_terminal_key_is_private_and_signs_grants() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terminal.key");
        let key = TerminalKey::generate("pc-1");
        key.create_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches!(
            key.create_file(&path),
            Err(TerminalKeyError::Exists(_))
        ));
        let loaded = TerminalKey::load(&path).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        assert_eq!(loaded.terminal_id, "pc-1");

        let note = "mimamori retrieval grant\n{}\n\n— ward abc=\n";
        let sig = loaded.sign_grant(note);
        assert!(terminal_signed(&key.public_key(), note, &sig));
        assert!(!terminal_signed(
            &key.public_key(),
            &note.replace("{}", "{ }"),
            &sig
        ));
        let other = TerminalKey::generate("pc-2");
        assert!(!terminal_signed(&other.public_key(), note, &sig));
        assert!(!terminal_signed("not a key", note, &sig));
        assert!(!terminal_signed(&key.public_key(), note, "bm90IGEgc2ln"));
    }

    #[test]
    fn claims_round_trip_through_the_note_text() {
        let claims = GrantClaims {
            grant: "g".into(),
            request: 7.into(),
            camera: "cam-001".into(),
            from: Timestamp::UNIX_EPOCH,
            to: Timestamp::UNIX_EPOCH,
            handler: "sato".into(),
            terminal: "pc-1".into(),
            expires: Timestamp::UNIX_EPOCH,
            further_cameras: Vec::new(),
        };
        // One camera: the note reads as before several cameras were possible.
        assert!(!claims.text().contains("further_cameras"));
        assert_eq!(GrantClaims::parse(&claims.text()), Some(claims.clone()));
        let several = GrantClaims {
            further_cameras: vec![CameraRange {
                camera: "cam-002".into(),
                site: Some("2丁目".into()),
                from: Timestamp::UNIX_EPOCH,
                to: Timestamp::MAX,
            }],
            ..claims
        };
        assert_eq!(GrantClaims::parse(&several.text()), Some(several));
        assert_eq!(GrantClaims::parse("something else\n{}"), None);
    }
}
