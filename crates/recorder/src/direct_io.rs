//! Sequential file writing with `O_DIRECT`, off the async runtime.
//!
//! A recorder writes every byte once and reads it back rarely, so the page cache buys nothing
//! and costs most of the write path: measured on the target machine, buffered writes of
//! segment data cost about 1.1–1.4 CPU-seconds per GB (copying into the cache, then writeback),
//! `O_DIRECT` about 0.1–0.15. [`DirectWriter`] gathers bytes into 4 KiB-aligned buffers of
//! [`CHUNK`] bytes and writes each full one with `pwrite` on the blocking pool while the next
//! fills (two buffers per file). On a file system without `O_DIRECT` it writes the same way
//! through the page cache.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

use tokio::task::JoinHandle;

/// The alignment `O_DIRECT` needs for buffers, lengths and offsets.
const BLOCK: usize = 4096;
/// Bytes per write. Two buffers of this size per open segment.
pub(crate) const CHUNK: usize = 128 * 1024;

#[repr(C, align(4096))]
#[derive(Clone, Copy)]
struct Block([u8; BLOCK]);

/// A buffer of [`CHUNK`] bytes aligned to [`BLOCK`].
struct AlignedBuf {
    blocks: Box<[Block]>,
    len: usize,
}

impl AlignedBuf {
    fn new() -> Self {
        AlignedBuf {
            blocks: vec![Block([0; BLOCK]); CHUNK / BLOCK].into_boxed_slice(),
            len: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `Block` is `repr(C)` plain bytes with no padding, and a boxed slice of them
        // is one contiguous allocation of `CHUNK` bytes.
        unsafe { std::slice::from_raw_parts(self.blocks.as_ptr().cast::<u8>(), CHUNK) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.blocks.as_mut_ptr().cast::<u8>(), CHUNK) }
    }

    /// Copies as much of `data` as fits; returns how much.
    fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(CHUNK - self.len);
        let start = self.len;
        self.bytes_mut()[start..start + n].copy_from_slice(&data[..n]);
        self.len += n;
        n
    }

    fn is_full(&self) -> bool {
        self.len == CHUNK
    }

    /// The filled part, zero-padded to a whole number of blocks.
    fn padded(&mut self) -> &[u8] {
        let end = self.len.div_ceil(BLOCK) * BLOCK;
        let len = self.len;
        self.bytes_mut()[len..end].fill(0);
        &self.bytes()[..end]
    }
}

/// Writes one new file front to back.
pub(crate) struct DirectWriter {
    file: Arc<File>,
    buf: AlignedBuf,
    /// The previous full buffer's write, which hands the buffer back when done.
    in_flight: Option<JoinHandle<io::Result<AlignedBuf>>>,
    /// Where `buf` starts in the file.
    offset: u64,
}

impl DirectWriter {
    /// Creates `path`, which must not exist.
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        let direct = File::options()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_DIRECT)
            .open(path);
        let file = match direct {
            Ok(file) => file,
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                // The file system has no O_DIRECT (tmpfs, some FUSE): go through the cache.
                let _ = std::fs::remove_file(path);
                File::options().write(true).create_new(true).open(path)?
            }
            Err(e) => return Err(e),
        };
        Ok(DirectWriter {
            file: Arc::new(file),
            buf: AlignedBuf::new(),
            in_flight: None,
            offset: 0,
        })
    }

    pub(crate) async fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = self.buf.push(data);
            data = &data[n..];
            if self.buf.is_full() {
                self.write_full_buffer().await?;
            }
        }
        Ok(())
    }

    async fn write_full_buffer(&mut self) -> io::Result<()> {
        let mut spare = match self.in_flight.take() {
            Some(write) => write.await.map_err(io::Error::other)??,
            None => AlignedBuf::new(),
        };
        spare.len = 0;
        let full = std::mem::replace(&mut self.buf, spare);
        let (file, offset) = (self.file.clone(), self.offset);
        self.offset += CHUNK as u64;
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            file.write_all_at(full.bytes(), offset)?;
            Ok(full)
        }));
        Ok(())
    }

    /// Writes the rest, cuts the file to `len` bytes (the last block was padded) and flushes it
    /// to stable storage.
    pub(crate) async fn finish(mut self, len: u64) -> io::Result<()> {
        if let Some(write) = self.in_flight.take() {
            write.await.map_err(io::Error::other)??;
        }
        let (file, offset, mut buf) = (self.file, self.offset, self.buf);
        tokio::task::spawn_blocking(move || {
            if buf.len > 0 {
                file.write_all_at(buf.padded(), offset)?;
            }
            file.set_len(len)?;
            file.sync_all()
        })
        .await
        .map_err(io::Error::other)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_exactly_what_it_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut w = DirectWriter::create(&path).unwrap();
        let data: Vec<u8> = (0..(3 * CHUNK + 1234))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        for piece in data.chunks(50_000) {
            w.write(piece).await.unwrap();
        }
        w.finish(data.len() as u64).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    #[tokio::test]
    async fn an_empty_file_stays_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        DirectWriter::create(&path)
            .unwrap()
            .finish(0)
            .await
            .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(DirectWriter::create(&path).is_err(), "never overwrites");
    }
}
