//! Writing a package to the terminal's disk with `O_DIRECT`.
//!
//! Why not through the page cache: an hour of footage is 2 GB, written twice (the zip as it
//! arrives, then its files unpacked), and on the 2-core VM of `docs/benchmarks.md` a buffered
//! 1.7 GB copy took anywhere from 0.9 s to 10 s from one run to the next, depending on what
//! the kernel was writing back; with `O_DIRECT` it took 1.5 s every time, and the data is on
//! the disk when the write returns. Where the file system has no `O_DIRECT`, the same writes
//! go through the page cache and are synced at the end.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The alignment `O_DIRECT` needs for buffers, lengths and offsets.
const BLOCK: usize = 4096;
/// Bytes per write.
const CHUNK: usize = 1 << 20;

/// A new file written in aligned chunks of 1 MiB; [`DirectFile::finish`] writes the tail,
/// sets the length and syncs.
pub struct DirectFile {
    file: File,
    /// `CHUNK + BLOCK` bytes, of which `[at, at + CHUNK)` is aligned to `BLOCK`.
    mem: Vec<u8>,
    at: usize,
    /// Bytes gathered and not yet written.
    len: usize,
    written: u64,
}

impl DirectFile {
    /// Creates `path` (truncating what was there).
    pub fn create(path: &Path) -> io::Result<DirectFile> {
        let open = |flags| {
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(flags)
                .open(path)
        };
        let file = match open(libc::O_DIRECT) {
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => open(0)?,
            other => other?,
        };
        let mem = vec![0; CHUNK + BLOCK];
        let at = mem.as_ptr().align_offset(BLOCK);
        Ok(DirectFile {
            file,
            mem,
            at,
            len: 0,
            written: 0,
        })
    }

    fn write_out(&mut self, bytes: usize) -> io::Result<()> {
        self.file.write_all(&self.mem[self.at..self.at + bytes])?;
        self.written += self.len as u64;
        self.len = 0;
        Ok(())
    }

    /// Writes what is gathered (its last block padded, then cut to length) and syncs.
    pub fn finish(mut self) -> io::Result<u64> {
        let total = self.written + self.len as u64;
        if self.len > 0 {
            let padded = self.len.div_ceil(BLOCK) * BLOCK;
            let (from, to) = (self.at + self.len, self.at + padded);
            self.mem[from..to].fill(0);
            self.write_out(padded)?;
            self.file.set_len(total)?;
        }
        self.file.sync_all()?;
        Ok(total)
    }
}

impl Write for DirectFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.len);
        let start = self.at + self.len;
        self.mem[start..start + n].copy_from_slice(&data[..n]);
        self.len += n;
        if self.len == CHUNK {
            self.write_out(CHUNK)?;
        }
        Ok(n)
    }

    /// Nothing: only whole chunks are written before [`DirectFile::finish`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length around the block and chunk sizes comes back byte for byte.
    #[test]
    fn what_is_written_reads_back_at_its_length() {
        let dir = tempfile::tempdir().unwrap();
        for len in [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            CHUNK - 1,
            CHUNK,
            CHUNK + 7,
            3 * CHUNK + 5,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let path = dir.path().join(format!("f{len}"));
            let mut file = DirectFile::create(&path).unwrap();
            // In uneven pieces, as a download arrives.
            for piece in data.chunks(12_345) {
                file.write_all(piece).unwrap();
            }
            assert_eq!(file.finish().unwrap(), len as u64);
            assert_eq!(std::fs::read(&path).unwrap(), data, "{len} bytes");
        }
    }
}
