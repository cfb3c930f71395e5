//! Verifies a file's size and sha256 against the event *while* it streams to MyCase.
//!
//! [`Verified`] hashes each chunk as it passes. On the chunk that completes the
//! declared size it compares the digest and, if it differs, yields an error *instead of*
//! those last bytes: the PUT body then ends short of its `Content-Length`, so S3 never
//! accepts it. A stream that runs past the size, or ends before it, fails the same way.
//! What went wrong is left in a [`Verdict`] for the caller, because the HTTP client only
//! reports "body error".

use super::received::Sha256Digest;
use crate::ports::ByteStream;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// The bytes are not the file the event describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("the file's size differs from the event's size_bytes ({expected} bytes declared)")]
    Size { expected: u64 },
    #[error("the file's sha256 differs from the event's sha256")]
    Digest,
}

/// Filled in by [`Verified`] when it stopped a stream.
#[derive(Debug, Clone, Default)]
pub struct Verdict(Arc<Mutex<Option<Mismatch>>>);

impl Verdict {
    pub fn mismatch(&self) -> Option<Mismatch> {
        *self.0.lock().expect("not poisoned")
    }

    fn set(&self, m: Mismatch) {
        *self.0.lock().expect("not poisoned") = Some(m);
    }
}

pub struct Verified {
    inner: ByteStream,
    expected_size: u64,
    expected_digest: Sha256Digest,
    hasher: Sha256,
    received: u64,
    done: bool,
    verdict: Verdict,
}

impl Verified {
    pub fn new(inner: ByteStream, expected_size: u64, expected_digest: Sha256Digest) -> Self {
        Self {
            inner,
            expected_size,
            expected_digest,
            hasher: Sha256::new(),
            received: 0,
            done: false,
            verdict: Verdict::default(),
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict.clone()
    }

    fn fail(&mut self, m: Mismatch) -> Poll<Option<std::io::Result<Bytes>>> {
        self.done = true;
        self.verdict.set(m);
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            m,
        ))))
    }

    fn digest_matches(&mut self) -> bool {
        let digest: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        Sha256Digest::from_bytes(digest) == self.expected_digest
    }
}

impl Stream for Verified {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let expected = self.expected_size;
        match self.inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(Some(Ok(chunk))) => {
                self.received += chunk.len() as u64;
                if self.received > expected {
                    return self.fail(Mismatch::Size { expected });
                }
                self.hasher.update(&chunk);
                if self.received == expected {
                    // The final chunk: it only goes out if the whole file is right.
                    self.done = true;
                    if !self.digest_matches() {
                        return self.fail(Mismatch::Digest);
                    }
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                if self.received < expected {
                    return self.fail(Mismatch::Size { expected });
                }
                // Only an empty file gets here without its final chunk having been checked.
                self.done = true;
                if self.digest_matches() {
                    Poll::Ready(None)
                } else {
                    self.fail(Mismatch::Digest)
                }
            }
        }
    }
}

/// The same check for a file read whole (up to 5 MB), before anything is sent.
pub fn verify_whole(
    bytes: &[u8],
    expected_size: u64,
    expected_digest: Sha256Digest,
) -> Result<(), Mismatch> {
    if bytes.len() as u64 != expected_size {
        return Err(Mismatch::Size {
            expected: expected_size,
        });
    }
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    if Sha256Digest::from_bytes(digest) != expected_digest {
        return Err(Mismatch::Digest);
    }
    Ok(())
}

pub fn sha256_of(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest::from_bytes(Sha256::digest(bytes).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(data: &[u8], size: usize) -> ByteStream {
        let parts: Vec<std::io::Result<Bytes>> = data
            .chunks(size.max(1))
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Box::pin(futures::stream::iter(parts))
    }

    async fn collect(mut s: Verified) -> (Vec<u8>, Option<std::io::Error>) {
        let mut out = Vec::new();
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn the_right_bytes_pass_untouched() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let s = Verified::new(chunks(&data, 777), data.len() as u64, sha256_of(&data));
        let verdict = s.verdict();
        let (out, err) = collect(s).await;
        assert!(err.is_none());
        assert_eq!(out, data);
        assert_eq!(verdict.mismatch(), None);
    }

    #[tokio::test]
    async fn a_wrong_digest_withholds_the_last_chunk() {
        let data = vec![7u8; 3000];
        let wrong = sha256_of(b"something else");
        let s = Verified::new(chunks(&data, 1000), 3000, wrong);
        let verdict = s.verdict();
        let (out, err) = collect(s).await;
        assert!(err.is_some());
        assert_eq!(out.len(), 2000, "the final chunk never went out");
        assert_eq!(verdict.mismatch(), Some(Mismatch::Digest));
    }

    #[tokio::test]
    async fn a_short_or_long_stream_fails_on_size() {
        let data = vec![1u8; 3000];
        let s = Verified::new(chunks(&data, 1000), 4000, sha256_of(&data));
        let verdict = s.verdict();
        let (out, err) = collect(s).await;
        assert!(err.is_some());
        assert_eq!(out.len(), 3000);
        assert_eq!(verdict.mismatch(), Some(Mismatch::Size { expected: 4000 }));

        let s = Verified::new(chunks(&data, 1000), 2500, sha256_of(&data[..2500]));
        let verdict = s.verdict();
        let (out, err) = collect(s).await;
        assert!(err.is_some());
        assert_eq!(out.len(), 2000, "the chunk that overran never went out");
        assert_eq!(verdict.mismatch(), Some(Mismatch::Size { expected: 2500 }));
    }

    #[tokio::test]
    async fn an_empty_file_is_checked_too() {
        let s = Verified::new(chunks(&[], 1), 0, sha256_of(b""));
        assert!(collect(s).await.1.is_none());
        let s = Verified::new(chunks(&[], 1), 0, sha256_of(b"x"));
        assert!(collect(s).await.1.is_some());
    }

    #[test]
    fn whole_files() {
        let d = b"hello";
        assert_eq!(verify_whole(d, 5, sha256_of(d)), Ok(()));
        assert_eq!(
            verify_whole(d, 6, sha256_of(d)),
            Err(Mismatch::Size { expected: 6 })
        );
        assert_eq!(verify_whole(d, 5, sha256_of(b"x")), Err(Mismatch::Digest));
    }
}
