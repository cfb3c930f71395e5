//! The Documents push: one `document.received` → one document in the case, exactly once.
//!
//! 1. Refuse what can never work (over S3's 5 GB single-PUT limit) and what cannot finish
//!    in the time left (retried by the next invocation, nothing half done).
//! 2. Open the S3 object; its length must be the event's `size_bytes`.
//! 3. Find the event's MyCase document: the one an earlier attempt created (kept in the
//!    upload record), with its stored URL if still valid or else a new version; or create
//!    it now and keep its id *before* any byte is sent.
//! 4. PUT the bytes (read whole up to 5 MB, otherwise streamed), verified on the way
//!    ([`super::checksum`]), within a timeout that ends before the invocation does.
//!
//! The document has landed only when S3 accepted the PUT.

use super::checksum::{Mismatch, Verdict, Verified, verify_whole};
use super::description::describe;
use super::file_name::SafeFileName;
use super::folder::{document_path, folder_path};
use super::received::DocumentReceived;
use crate::communications::log::case_scoped;
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::ids::{CaseId, EventId};
use crate::outcome::{Landed, MyCaseRef, PushType, Pushed};
use crate::pipeline::{Push, PushContext};
use crate::ports::{
    ByteStream, CaseDocuments, Connect, DocumentSource, UploadFailure, UploadRecord, UploadRecords,
    UploadSlot,
};
use crate::reason::Reason;
use async_trait::async_trait;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// Files up to this size are read whole (and verified before anything is sent).
pub const READ_WHOLE_UP_TO: u64 = 5 * 1024 * 1024;
/// Amazon S3's limit for one PUT (5 GiB); MyCase hands out single-PUT URLs only.
pub const SINGLE_PUT_LIMIT: u64 = 5 * 1024 * 1024 * 1024;
/// A deliberately low rate for the time an upload needs: better to hand a file to the
/// next invocation than to be cut off half way.
pub const ASSUMED_BYTES_PER_SECOND: u64 = 8 * 1024 * 1024;
/// The MyCase calls before the PUT, and the bookkeeping after it.
const FIXED_OVERHEAD: Duration = Duration::from_secs(3);
/// The PUT is stopped this long before the invocation's deadline, so the failure is
/// recorded and the claim released before Lambda would kill the process.
pub const PUT_MARGIN: Duration = Duration::from_secs(3);

/// The time an upload of `size` bytes is given, start to finish.
pub fn time_needed(size: u64) -> Duration {
    FIXED_OVERHEAD + Duration::from_secs_f64(size as f64 / ASSUMED_BYTES_PER_SECOND as f64)
}

pub struct Documents {
    pub source: Arc<dyn DocumentSource>,
    pub mycase: Arc<dyn Connect<dyn CaseDocuments>>,
    pub uploads: Arc<dyn UploadRecords>,
}

#[async_trait]
impl Push for Documents {
    type Data = DocumentReceived;
    const PUSH_TYPE: PushType = PushType::Documents;
    const ACCEPTS: &'static [EventType] = &[EventType::DocumentReceived];

    async fn push(
        &self,
        ctx: &PushContext<'_>,
        event: &Event<DocumentReceived>,
    ) -> Result<Pushed, PushError> {
        let case = event.case_id().ok_or_else(|| {
            PushError::permanent(Reason::MissingCase, "The event names no MyCase case.")
        })?;
        refuse_other_firms_file(event)?;
        let needed = time_to_upload(ctx, event.data.size_bytes)?;
        let mycase = self
            .mycase
            .connect(ctx.integration, ctx.deadline.at)
            .await?;
        let file = self.open_checked(&event.data).await?;
        let slot = self
            .slot_for(ctx, event, case, mycase.as_ref(), needed)
            .await?;
        self.put_file(ctx, &event.id, mycase.as_ref(), slot, file)
            .await
    }
}

/// SPEC §2: Hona writes every file under its firm's prefix. A key outside this event's
/// own `{org_id}/{integration_id}/` could name another firm's file: refused for good,
/// before S3 or MyCase is asked anything.
fn refuse_other_firms_file(event: &Event<DocumentReceived>) -> Result<(), PushError> {
    let prefix = format!(
        "{}/{}/",
        event.org_id.as_str(),
        event.integration_id.as_str()
    );
    if event.data.location.key.starts_with(&prefix) {
        return Ok(());
    }
    Err(PushError::permanent(
        Reason::ObjectNotOwned,
        "The file's S3 key is outside this firm's prefix ({org_id}/{integration_id}/); nothing was read or sent.",
    ))
}

/// The time the upload of `size` bytes needs, if it can ever work and this invocation
/// has that long left; otherwise the next invocation gets it, nothing half done.
fn time_to_upload(ctx: &PushContext<'_>, size: u64) -> Result<Duration, PushError> {
    if size > SINGLE_PUT_LIMIT {
        return Err(PushError::permanent(
            Reason::TooLarge,
            "The file is over 5 GB, the most one upload to MyCase can carry.",
        ));
    }
    let needed = time_needed(size) + PUT_MARGIN;
    if ctx.deadline.remaining() < needed {
        info!(
            bytes = size,
            needed_ms = needed.as_millis() as u64,
            "not enough time left to upload; leaving it to a later invocation"
        );
        return Err(deadline_error());
    }
    Ok(needed)
}

/// The file's bytes on their way to MyCase. A small file was verified whole before
/// anything is sent (`verdict` is `None`); a large one is verified as it streams, and
/// `verdict` says afterwards whether it matched.
struct CheckedFile {
    body: ByteStream,
    size: u64,
    verdict: Option<Verdict>,
}

impl Documents {
    /// Opens the S3 object, whose length must be the event's `size_bytes`, and checks
    /// its bytes against the event's (whole, or on the way).
    async fn open_checked(&self, data: &DocumentReceived) -> Result<CheckedFile, PushError> {
        let size = data.size_bytes;
        let object = self.source.open(&data.location).await?;
        if object.length != size {
            return Err(mismatch_error(Mismatch::Size { expected: size }));
        }
        if size <= READ_WHOLE_UP_TO {
            let bytes = read_whole(object.body, size).await?;
            verify_whole(&bytes, size, data.sha256).map_err(mismatch_error)?;
            let once: ByteStream = Box::pin(futures::stream::once(async move { Ok(bytes) }));
            return Ok(CheckedFile {
                body: once,
                size,
                verdict: None,
            });
        }
        let verified = Verified::new(object.body, size, data.sha256);
        let verdict = verified.verdict();
        Ok(CheckedFile {
            body: Box::pin(verified),
            size,
            verdict: Some(verdict),
        })
    }

    /// PUTs the file into its slot, stopped [`PUT_MARGIN`] before the invocation's
    /// deadline so the failure is recorded before Lambda would kill the process.
    async fn put_file(
        &self,
        ctx: &PushContext<'_>,
        event: &EventId,
        mycase: &dyn CaseDocuments,
        slot: UploadSlot,
        file: CheckedFile,
    ) -> Result<Pushed, PushError> {
        let size = file.size;
        let put_until = ctx.deadline.before(PUT_MARGIN);
        let started = std::time::Instant::now();
        let put = tokio::time::timeout_at(put_until, mycase.upload(&slot.target, file.body, size));
        match put.await {
            Ok(Ok(())) => Ok(landed(&slot, size, started.elapsed())),
            Err(_elapsed) => {
                warn!(
                    document_id = slot.document_id,
                    bytes = size,
                    "upload stopped before the deadline"
                );
                Err(deadline_error())
            }
            Ok(Err(failure)) => {
                // A streamed file that did not match was stopped mid-PUT by `Verified`:
                // the failed PUT is only the symptom, the mismatch is the (permanent) reason.
                if let Some(m) = file.verdict.as_ref().and_then(Verdict::mismatch) {
                    return Err(mismatch_error(m));
                }
                self.upload_failed(event, &slot, failure).await
            }
        }
    }
}

/// S3 accepted the PUT: the document (and its version, if one was made) has landed.
fn landed(slot: &UploadSlot, size: u64, took: Duration) -> Pushed {
    info!(
        document_id = slot.document_id,
        bytes = size,
        elapsed_ms = took.as_millis() as u64,
        "document uploaded"
    );
    crate::metrics::uploaded(Documents::PUSH_TYPE, size, took);
    let mut refs = vec![MyCaseRef::new("document", slot.document_id)];
    if let Some(v) = slot.version_id {
        refs.push(MyCaseRef::new("document_version", v));
    }
    Landed::new(refs).into()
}

impl Documents {
    /// The document this event's bytes go into: the one an earlier attempt made, or a new
    /// one, recorded before its URL is used.
    async fn slot_for(
        &self,
        ctx: &PushContext<'_>,
        event: &Event<DocumentReceived>,
        case: CaseId,
        mycase: &dyn CaseDocuments,
        needed: Duration,
    ) -> Result<UploadSlot, PushError> {
        if let Some(record) = self.uploads.get(&event.id).await? {
            let now = chrono::Utc::now();
            let usable = record.target.as_ref().filter(|t| {
                t.expires_at
                    .is_some_and(|at| (at - now).to_std().is_ok_and(|left| left > needed))
            });
            if let Some(target) = usable {
                info!(
                    document_id = record.document_id,
                    "finishing the document an earlier attempt created"
                );
                return Ok(UploadSlot {
                    document_id: record.document_id,
                    version_id: None,
                    target: target.clone(),
                });
            }
            match mycase.create_document_version(record.document_id).await {
                Ok(slot) => {
                    info!(
                        document_id = record.document_id,
                        "finishing the document an earlier attempt created, as a new version"
                    );
                    self.keep(&event.id, &slot).await?;
                    return Ok(slot);
                }
                // Someone deleted the empty document in MyCase: make it again.
                Err(e) if e.reason == Reason::NotFound => {
                    warn!(
                        document_id = record.document_id,
                        "the earlier attempt's document is gone from MyCase; creating it again"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        let data = &event.data;
        let name = SafeFileName::new(&data.file_name);
        let folder = folder_path(ctx.integration.documents_folder.as_deref(), data.source);
        let description = describe(&event.id, event.time, data, ctx.integration.time_zone);
        let slot = mycase
            .create_case_document(
                case,
                &document_path(&folder, &name),
                name.as_str(),
                &description,
            )
            .await
            .map_err(case_scoped)?;
        self.keep(&event.id, &slot).await?;
        Ok(slot)
    }

    /// Records the document (and its URL) for this event. Retried: without the record,
    /// a retry would make a second document.
    async fn keep(&self, event: &EventId, slot: &UploadSlot) -> Result<(), PushError> {
        let record = UploadRecord {
            document_id: slot.document_id,
            target: Some(slot.target.clone()),
        };
        crate::error::retry_store_write("record the upload", || self.uploads.put(event, &record))
            .await
            .map_err(PushError::from)
    }

    /// A PUT S3 did not accept. Permanent only when no retry can help.
    async fn upload_failed(
        &self,
        event: &EventId,
        slot: &UploadSlot,
        failure: UploadFailure,
    ) -> Result<Pushed, PushError> {
        warn!(document_id = slot.document_id, failure = %failure, "upload failed");
        if let UploadFailure::Refused { status, .. } = &failure {
            if *status == 413 {
                return Err(PushError::permanent(
                    Reason::TooLarge,
                    "MyCase's storage refused the file as too large.",
                ));
            }
            if (400..500).contains(status) {
                // The URL itself is no good (expired, or refused): the retry asks for a
                // new version rather than trying it again.
                let record = UploadRecord {
                    document_id: slot.document_id,
                    target: None,
                };
                self.uploads.put(event, &record).await?;
            }
        }
        Err(PushError::transient(
            Reason::UploadFailed,
            format!(
                "The file's upload to MyCase did not complete ({failure}); it will be retried into the same document."
            ),
        ))
    }
}

async fn read_whole(mut body: ByteStream, size: u64) -> Result<bytes::Bytes, PushError> {
    let mut buf = bytes::BytesMut::with_capacity(size as usize);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            PushError::transient(
                Reason::S3Unavailable,
                format!("Reading the file from S3 failed: {e}"),
            )
        })?;
        if (buf.len() + chunk.len()) as u64 > size {
            return Err(mismatch_error(Mismatch::Size { expected: size }));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn deadline_error() -> PushError {
    PushError::transient(
        Reason::UploadDeadline,
        "The upload could not finish in the time this invocation had left; it will be retried.",
    )
}

fn mismatch_error(m: Mismatch) -> PushError {
    PushError::permanent(
        Reason::ChecksumMismatch,
        format!(
            "The file in S3 is not the one the event describes: {m}. MyCase did not accept the bytes."
        ),
    )
}
