//! A response body written by blocking code: the evidence package's zip is made on a blocking
//! thread (the export reads and decrypts segments) and handed to the HTTP response as it is
//! made, in chunks of 1 MiB, with a few chunks in flight. Nothing of it is on the office's
//! disk (T5.2).

use std::io::Write;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use tokio::sync::mpsc;

use crate::error::ApiError;

/// The chunk handed on at a time.
const CHUNK: usize = 1 << 20;
/// Chunks made ahead of the network.
const IN_FLIGHT: usize = 4;

/// What the body carries: bytes, or why it had to stop.
pub type Chunk = Result<Bytes, ApiError>;

/// A response body as a stream; an error cuts the response off, so the receiver never takes
/// what it got for the whole.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A `Write` whose bytes go to a [`BodyStream`]. Its writes block while the network is
/// behind: use it on a blocking thread only.
pub struct BodyWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
}

/// A writer and the receiving end of its chunks.
pub fn channel() -> (BodyWriter, mpsc::Receiver<Chunk>) {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let writer = BodyWriter {
        tx,
        buf: Vec::with_capacity(CHUNK),
    };
    (writer, rx)
}

impl BodyWriter {
    /// A sender for the error that ends the body early.
    pub fn errors(&self) -> mpsc::Sender<Chunk> {
        self.tx.clone()
    }

    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(Ok(Bytes::from(chunk))).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the receiver stopped reading",
            )
        })
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}

/// Waits for the first chunk: a failure before any byte is returned as the answer itself (a
/// refusal with its rule, not a cut-off download); after that, the body follows as made.
pub async fn body(mut rx: mpsc::Receiver<Chunk>) -> Result<BodyStream, ApiError> {
    let first = match rx.recv().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Err(e),
        None => {
            return Err(ApiError::internal(
                "the package's writer ended without a word",
            ))
        }
    };
    let rest = futures::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        let item = item.map_err(|e| std::io::Error::other(format!("{}: {}", e.code, e.en)));
        Some((item, rx))
    });
    Ok(Box::pin(
        futures::stream::once(async move { Ok(first) }).chain(rest),
    ))
}
