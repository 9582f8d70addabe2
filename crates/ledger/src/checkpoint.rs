//! The ward's signing keys and what they sign: checkpoints of the log and evidence manifests.
//!
//! Both are C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 signatures, so any
//! signed-note library (Go's `golang.org/x/mod/sumdb/note`, Sigsum and transparency-dev tools)
//! can check them. A checkpoint's text follows <https://c2sp.org/tlog-checkpoint>: origin, tree
//! size, base64 root hash, then extension lines; mimamori adds one, `time <RFC 3339 UTC>`, and
//! leaves further extension lines and cosignatures (witnesses, timestamps) possible.
//!
//! Keys are in the signed-note text forms: the private key `PRIVATE+KEY+<name>+<id>+<base64>`
//! (kept in a 0600 file by the caller) and the public "verifier key" `<name>+<id>+<base64>`,
//! which is what the ward publishes and auditors keep.

use base64::prelude::{Engine, BASE64_STANDARD};
use jiff::Timestamp;
use signed_note::{Note, Signer, StandardSigner, StandardVerifier, Verifier, VerifierList};
use tlog_tiles::Checkpoint;

use crate::tree::Hash;

#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("not a well-formed signed note")]
    Malformed,
    #[error("the signature by {name} (key {id:08x}) does not verify: the text was changed or the signature forged")]
    BadSignature { name: String, id: u32 },
    #[error("no signature by a known ward key (signed by: {0})")]
    UnknownKey(String),
    #[error("malformed checkpoint: {0}")]
    Checkpoint(String),
    #[error("malformed key: {0}")]
    Key(String),
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A ward signing key, able to sign notes.
#[derive(Clone)]
pub struct SigningKey {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.verifier_key)
    }
}

impl SigningKey {
    /// Makes a new key named `name` (the log's origin); returns it with its private text form.
    pub fn generate(name: &str) -> Result<(SigningKey, String), NoteError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(NoteError::Key(format!(
                "key name {name:?} must be non-empty, without spaces or '+'"
            )));
        }
        let (private, _) = signed_note::generate_key(&mut rand::rngs::OsRng, name);
        Ok((SigningKey::from_private(&private)?, private))
    }

    /// Loads a key from its private text form.
    pub fn from_private(private: &str) -> Result<SigningKey, NoteError> {
        let private = private.trim();
        let signer = StandardSigner::new(private).map_err(|e| NoteError::Key(e.to_string()))?;
        // The verifier key is the public half: derive it from the seed the text carries.
        let seed = private
            // PRIVATE+KEY+<name>+<id>+<base64>: the base64 may itself contain '+'.
            .splitn(5, '+')
            .nth(4)
            .and_then(|b64| BASE64_STANDARD.decode(b64).ok())
            .and_then(|raw| <[u8; 32]>::try_from(raw.get(1..)?).ok())
            .ok_or_else(|| NoteError::Key("unreadable Ed25519 seed".into()))?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let verifier_key = signed_note::new_ed25519_verifier_key(signer.name(), &public);
        Ok(SigningKey {
            signer,
            verifier_key,
        })
    }

    /// The public verifier key: `<name>+<id>+<base64>`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    pub fn name(&self) -> &str {
        self.signer.name()
    }

    pub fn key_id(&self) -> u32 {
        self.signer.key_id()
    }

    /// Signs `text` (which must end in a newline) as a signed note.
    pub fn sign_note(&self, text: &str) -> Result<String, NoteError> {
        let mut note = Note::new(text.as_bytes(), &[]).map_err(|_| NoteError::Malformed)?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| NoteError::Signing(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|_| NoteError::Malformed)
    }
}

/// The ward's public keys, current and retired, that notes are checked against.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    keys: Vec<String>,
}

impl TrustedKeys {
    /// Parses verifier keys, one per non-empty line; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<TrustedKeys, NoteError> {
        let keys: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        if keys.is_empty() {
            return Err(NoteError::Key("no verifier key given".into()));
        }
        for k in &keys {
            StandardVerifier::new(k).map_err(|e| NoteError::Key(format!("{k}: {e}")))?;
        }
        Ok(TrustedKeys { keys })
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Checks `signed` and returns its text if a trusted key signed it and every trusted key's
    /// signature on it verifies.
    pub fn open_note(&self, signed: &[u8]) -> Result<String, NoteError> {
        let note = Note::from_bytes(signed).map_err(|_| NoteError::Malformed)?;
        let verifiers: Vec<Box<dyn Verifier>> = self
            .keys
            .iter()
            .map(|k| Box::new(StandardVerifier::new(k).expect("checked in parse")) as _)
            .collect();
        match note.verify(&VerifierList::new(verifiers)) {
            Ok(_) => String::from_utf8(note.text().to_vec()).map_err(|_| NoteError::Malformed),
            Err(signed_note::NoteError::InvalidSignature { name, id }) => {
                Err(NoteError::BadSignature { name, id })
            }
            Err(signed_note::NoteError::UnverifiedNote) => {
                Err(NoteError::UnknownKey(signature_names(signed).join(", ")))
            }
            Err(_) => Err(NoteError::Malformed),
        }
    }
}

/// The names and key ids of a note's signature lines, for error messages.
fn signature_names(signed: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(signed);
    let sigs = text.rsplit_once("\n\n").map_or("", |(_, s)| s);
    sigs.lines()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("— ")?.split(' ');
            let name = parts.next()?;
            let raw = BASE64_STANDARD.decode(parts.next()?).ok()?;
            let id = u32::from_be_bytes(raw.get(..4)?.try_into().ok()?);
            Some(format!("{name} {id:08x}"))
        })
        .collect()
}

/// A tree head: the log had `size` leaves with root `root` at `time`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointBody {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub time: Timestamp,
}

impl CheckpointBody {
    /// The checkpoint's note text.
    pub fn text(&self) -> Result<String, NoteError> {
        let extension = format!("time {}\n", self.time.strftime("%Y-%m-%dT%H:%M:%SZ"));
        let checkpoint = Checkpoint::new(&self.origin, self.size, self.root, &extension)
            .map_err(|e| NoteError::Checkpoint(e.to_string()))?;
        String::from_utf8(checkpoint.to_bytes()).map_err(|_| NoteError::Malformed)
    }

    /// Parses a checkpoint's note text.
    pub fn parse(text: &str) -> Result<CheckpointBody, NoteError> {
        let bad = |why: &str| NoteError::Checkpoint(why.to_owned());
        let checkpoint = Checkpoint::from_bytes(text.as_bytes()).map_err(|_| bad("not C2SP"))?;
        let time = checkpoint
            .extension()
            .lines()
            .find_map(|l| l.strip_prefix("time "))
            .ok_or_else(|| bad("no time line"))?
            .parse()
            .map_err(|_| bad("unreadable time"))?;
        Ok(CheckpointBody {
            origin: checkpoint.origin().to_owned(),
            size: checkpoint.size(),
            root: *checkpoint.hash(),
            time,
        })
    }

    pub fn sign(&self, key: &SigningKey) -> Result<String, NoteError> {
        key.sign_note(&self.text()?)
    }

    /// Checks a signed checkpoint against the trusted keys and parses it.
    pub fn open(signed: &[u8], trusted: &TrustedKeys) -> Result<CheckpointBody, NoteError> {
        CheckpointBody::parse(&trusted.open_note(signed)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> CheckpointBody {
        CheckpointBody {
            origin: "mimamori/nishiyodogawa".into(),
            size: 42,
            root: crate::tree::leaf_hash(b"x"),
            time: "2026-11-23T01:02:03Z".parse().unwrap(),
        }
    }

    #[test]
    fn checkpoint_is_c2sp_text_and_round_trips() {
        let (key, private) = SigningKey::generate("mimamori/nishiyodogawa").unwrap();
        assert!(private.starts_with("PRIVATE+KEY+mimamori/nishiyodogawa+"));
        let signed = body().sign(&key).unwrap();
        let root_b64 = BASE64_STANDARD.encode(body().root.0);
        assert!(signed.starts_with(&format!(
            "mimamori/nishiyodogawa\n42\n{root_b64}\ntime 2026-11-23T01:02:03Z\n\n— mimamori/nishiyodogawa "
        )));
        let trusted = TrustedKeys::parse(key.verifier_key()).unwrap();
        assert_eq!(
            CheckpointBody::open(signed.as_bytes(), &trusted).unwrap(),
            body()
        );
        // The same key loaded back from its private form signs the same way.
        let again = SigningKey::from_private(&private).unwrap();
        assert_eq!(again.verifier_key(), key.verifier_key());
    }

    #[test]
    fn changed_text_and_foreign_keys_are_refused() {
        let (key, _) = SigningKey::generate("ward").unwrap();
        let (other, _) = SigningKey::generate("ward").unwrap();
        let trusted = TrustedKeys::parse(key.verifier_key()).unwrap();
        let signed = body().sign(&key).unwrap();
        let changed = signed.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            CheckpointBody::open(changed.as_bytes(), &trusted),
            Err(NoteError::BadSignature { .. })
        ));
        let forged = body().sign(&other).unwrap();
        let e = CheckpointBody::open(forged.as_bytes(), &trusted).unwrap_err();
        assert!(
            matches!(e, NoteError::UnknownKey(ref s) if s.starts_with("ward ")),
            "{e}"
        );
        assert!(TrustedKeys::parse("# nothing\n").is_err());
        assert!(SigningKey::generate("has space").is_err());
    }
}
