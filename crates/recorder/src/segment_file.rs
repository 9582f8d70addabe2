//! The encrypted segment file.
//!
//! Layout: a plaintext header, then each sample sealed on its own with AES-256-GCM under the
//! day key, in the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): sample *i*'s
//! nonce is `prefix(7) ‖ i as u32 BE ‖ last(1)`, where the prefix is unique per file and `last`
//! is 1 only on the final sample. Every sample authenticates the header as associated data, so
//! samples can't be reordered, moved between files, cameras or keys, or cut off at the end
//! without detection. Sample sizes live in the database's sample index, not in the file; a
//! sealed sample is its plaintext size plus a 16-byte tag.
//!
//! ```text
//! header: "MMRSEG\0\1" | file_id [16] | day_key_id i64 BE | camera_len u8 | camera [camera_len]
//! body:   sealed sample 0 | sealed sample 1 | ... | sealed sample n-1 (last)
//! ```

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::AeadInOut;
use aes_gcm::{Nonce, Tag};
use sha2::{Digest, Sha256};

use crate::direct_io::DirectWriter;
use crate::keys::DayKey;

const MAGIC: &[u8; 8] = b"MMRSEG\0\x01";
pub const TAG_BYTES: u64 = 16;

/// What identifies a segment file; all of it is authenticated with every sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentHeader {
    pub file_id: [u8; 16],
    pub day_key_id: i64,
    pub camera: String,
}

impl SegmentHeader {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(33 + self.camera.len() + 8);
        out.extend(MAGIC);
        out.extend(self.file_id);
        out.extend(self.day_key_id.to_be_bytes());
        out.push(u8::try_from(self.camera.len()).expect("camera ids are at most 32 bytes"));
        out.extend(self.camera.as_bytes());
        out
    }

    fn nonce(&self, index: u32, last: bool) -> [u8; 12] {
        let mut n = [0u8; 12];
        n[..7].copy_from_slice(&self.file_id[..7]);
        n[7..11].copy_from_slice(&index.to_be_bytes());
        n[11] = u8::from(last);
        n
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentFileError {
    #[error("segment file {path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("segment file {path} has a header that does not match its index row")]
    HeaderMismatch { path: PathBuf },
    #[error("segment file {path}: sample {index} fails authentication (tampered, truncated or wrong key)")]
    Auth { path: PathBuf, index: u32 },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SegmentFileError + '_ {
    move |error| SegmentFileError::Io {
        path: path.to_owned(),
        error,
    }
}

/// A segment file being written. Nothing written is trusted until
/// [`SegmentFileWriter::finish`].
pub struct SegmentFileWriter {
    out: DirectWriter,
    path: PathBuf,
    header: SegmentHeader,
    aad: Vec<u8>,
    key: DayKey,
    next_index: u32,
    hasher: Sha256,
    file_bytes: u64,
    plaintext_bytes: u64,
}

/// A segment file made durable.
#[derive(Debug, Clone)]
pub struct WrittenFile {
    pub path: PathBuf,
    pub file_id: [u8; 16],
    pub sha256: [u8; 32],
    pub file_bytes: u64,
    pub plaintext_bytes: u64,
    pub samples: u32,
}

impl SegmentFileWriter {
    /// Creates `path` (and its directory) and writes the header.
    pub async fn create(
        path: PathBuf,
        header: SegmentHeader,
        key: DayKey,
    ) -> Result<Self, SegmentFileError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let mut out = DirectWriter::create(&path).map_err(io_err(&path))?;
        let aad = header.encode();
        out.write(&aad).await.map_err(io_err(&path))?;
        Ok(SegmentFileWriter {
            out,
            file_bytes: aad.len() as u64,
            path,
            header,
            aad,
            key,
            next_index: 0,
            hasher: Sha256::new(),
            plaintext_bytes: 0,
        })
    }

    /// Seals one sample in place and appends it; `last` must be set on the final one.
    pub async fn append(
        &mut self,
        mut sample: Vec<u8>,
        last: bool,
    ) -> Result<(), SegmentFileError> {
        self.hasher.update(&sample);
        self.plaintext_bytes += sample.len() as u64;
        let nonce = Nonce::from(self.header.nonce(self.next_index, last));
        let tag = self
            .key
            .cipher
            .encrypt_inout_detached(&nonce, &self.aad, InOutBuf::from(&mut sample[..]))
            .expect("AES-GCM encryption of a sample cannot fail");
        self.out.write(&sample).await.map_err(io_err(&self.path))?;
        self.out.write(&tag).await.map_err(io_err(&self.path))?;
        self.file_bytes += (sample.len() + tag.len()) as u64;
        self.next_index += 1;
        Ok(())
    }

    /// Writes what is left and makes the file and its directory entry durable.
    pub async fn finish(self) -> Result<WrittenFile, SegmentFileError> {
        let path = self.path;
        self.out
            .finish(self.file_bytes)
            .await
            .map_err(io_err(&path))?;
        let dir_path = path.clone();
        tokio::task::spawn_blocking(move || sync_parent(&dir_path))
            .await
            .map_err(|e| io_err(&path)(io::Error::other(e)))??;
        Ok(WrittenFile {
            file_id: self.header.file_id,
            sha256: self.hasher.finalize().into(),
            file_bytes: self.file_bytes,
            plaintext_bytes: self.plaintext_bytes,
            samples: self.next_index,
            path,
        })
    }

    pub fn samples(&self) -> u32 {
        self.next_index
    }
}

fn sync_parent(path: &Path) -> Result<(), SegmentFileError> {
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
    }
    Ok(())
}

/// Reads samples back from a segment file, checking each one's authenticity.
pub struct SegmentFileReader {
    file: io::BufReader<File>,
    path: PathBuf,
    header: SegmentHeader,
    aad: Vec<u8>,
    key: DayKey,
    sample_count: u32,
    next_index: u32,
}

impl SegmentFileReader {
    /// Opens a file and checks that its header is the one its index row expects.
    pub fn open(
        path: &Path,
        expected: SegmentHeader,
        key: DayKey,
        sample_count: u32,
    ) -> Result<Self, SegmentFileError> {
        let file = File::open(path).map_err(io_err(path))?;
        let mut file = io::BufReader::with_capacity(64 * 1024, file);
        let aad = expected.encode();
        let mut found = vec![0u8; aad.len()];
        file.read_exact(&mut found)
            .map_err(|_| SegmentFileError::HeaderMismatch {
                path: path.to_owned(),
            })?;
        if found != aad {
            return Err(SegmentFileError::HeaderMismatch {
                path: path.to_owned(),
            });
        }
        Ok(SegmentFileReader {
            file,
            path: path.to_owned(),
            header: expected,
            aad,
            key,
            sample_count,
            next_index: 0,
        })
    }

    /// Moves to sample `index`, whose sealed data starts `body_offset` bytes after the header.
    pub fn seek(&mut self, index: u32, body_offset: u64) -> Result<(), SegmentFileError> {
        let pos = self.aad.len() as u64 + body_offset;
        self.file
            .seek(SeekFrom::Start(pos))
            .map_err(io_err(&self.path))?;
        self.next_index = index;
        Ok(())
    }

    /// Reads and opens the next sample, of plaintext size `size`.
    pub fn next_sample(&mut self, size: u32) -> Result<Vec<u8>, SegmentFileError> {
        let index = self.next_index;
        let auth_error = || SegmentFileError::Auth {
            path: self.path.clone(),
            index,
        };
        let size = size as usize;
        let mut buf = vec![0u8; size + TAG_BYTES as usize];
        self.file.read_exact(&mut buf).map_err(|_| auth_error())?;
        let tag = Tag::try_from(&buf[size..]).expect("16-byte tag");
        let nonce = Nonce::from(self.header.nonce(index, index + 1 == self.sample_count));
        self.key
            .cipher
            .decrypt_inout_detached(&nonce, &self.aad, InOutBuf::from(&mut buf[..size]), &tag)
            .map_err(|_| auth_error())?;
        buf.truncate(size);
        self.next_index += 1;
        Ok(buf)
    }

    /// The size the file must have for these sample sizes.
    pub fn expected_file_bytes(header: &SegmentHeader, sizes: impl Iterator<Item = u32>) -> u64 {
        header.encode().len() as u64 + sizes.map(|s| u64::from(s) + TAG_BYTES).sum::<u64>()
    }
}

/// N6.2, T5.4: overwrites a file with zeros, flushes, then unlinks it and flushes its
/// directory. On flash storage the overwrite may land elsewhere; that is why each day's key is
/// shredded too, which makes any surviving copy unreadable.
pub fn overwrite_and_remove(path: &Path) -> Result<(), SegmentFileError> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut file = File::options()
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    let zeros = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n]).map_err(io_err(path))?;
        left -= n as u64;
    }
    file.sync_all().map_err(io_err(path))?;
    drop(file);
    std::fs::remove_file(path).map_err(io_err(path))?;
    sync_parent(path)?;
    // An emptied day directory goes too; failure (not empty) is expected and harmless.
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::{Aes256Gcm, KeyInit};

    fn key(id: i64) -> DayKey {
        DayKey {
            id,
            cipher: Aes256Gcm::new(&[id as u8; 32].into()),
        }
    }

    fn header() -> SegmentHeader {
        SegmentHeader {
            file_id: [9; 16],
            day_key_id: 1,
            camera: "cam1".into(),
        }
    }

    async fn write(dir: &Path, samples: &[&[u8]]) -> WrittenFile {
        let mut w = SegmentFileWriter::create(dir.join("d/s.seg"), header(), key(1))
            .await
            .unwrap();
        for (i, s) in samples.iter().enumerate() {
            w.append(s.to_vec(), i + 1 == samples.len()).await.unwrap();
        }
        w.finish().await.unwrap()
    }

    #[tokio::test]
    async fn round_trip_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path(), &[b"first", b"second!"]).await;
        assert_eq!(
            written.sha256,
            <[u8; 32]>::from(Sha256::digest(b"firstsecond!"))
        );
        let expected = SegmentFileReader::expected_file_bytes(&header(), [5, 7].into_iter());
        assert_eq!(written.file_bytes, expected);
        assert_eq!(std::fs::metadata(&written.path).unwrap().len(), expected);
        let mut r = SegmentFileReader::open(&written.path, header(), key(1), 2).unwrap();
        assert_eq!(r.next_sample(5).unwrap(), b"first");
        assert_eq!(r.next_sample(7).unwrap(), b"second!");
        // Random access to the second sample.
        r.seek(1, 5 + TAG_BYTES).unwrap();
        assert_eq!(r.next_sample(7).unwrap(), b"second!");
    }

    #[tokio::test]
    async fn a_flipped_byte_fails_authentication() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path(), &[b"first", b"second!"]).await;
        let mut bytes = std::fs::read(&written.path).unwrap();
        let last = bytes.len() - 20;
        bytes[last] ^= 1;
        std::fs::write(&written.path, bytes).unwrap();
        let mut r = SegmentFileReader::open(&written.path, header(), key(1), 2).unwrap();
        r.next_sample(5).unwrap();
        assert!(matches!(
            r.next_sample(7),
            Err(SegmentFileError::Auth { index: 1, .. })
        ));
    }

    #[tokio::test]
    async fn truncation_and_wrong_context_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path(), &[b"first", b"second!"]).await;
        // Read as if the file ended after one sample: the first sample isn't sealed as last.
        let mut r = SegmentFileReader::open(&written.path, header(), key(1), 1).unwrap();
        assert!(matches!(
            r.next_sample(5),
            Err(SegmentFileError::Auth { index: 0, .. })
        ));
        // Another camera's header, or another key, is refused.
        let other = SegmentHeader {
            camera: "cam2".into(),
            ..header()
        };
        assert!(matches!(
            SegmentFileReader::open(&written.path, other, key(1), 2),
            Err(SegmentFileError::HeaderMismatch { .. })
        ));
        let mut r = SegmentFileReader::open(&written.path, header(), key(2), 2).unwrap();
        assert!(r.next_sample(5).is_err());
    }

    #[tokio::test]
    async fn overwrite_and_remove_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path(), &[b"first"]).await;
        overwrite_and_remove(&written.path).unwrap();
        assert!(!written.path.exists());
        assert!(
            !written.path.parent().unwrap().exists(),
            "empty day directory removed"
        );
        overwrite_and_remove(&written.path).unwrap();
    }
}
