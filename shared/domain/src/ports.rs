//! The small traits at the I/O edge. The domain only talks to these; the AWS
//! adapters implement them over DynamoDB, Secrets Manager and SQS, the MyCase
//! adapter over the MyCase client, and `fakes` in memory for unit tests.

use crate::error::{PushError, StoreError};
use crate::ids::{CaseId, ClientId, EventId, IntegrationId, StaffId};
use crate::integration::Integration;
use crate::outcome::{Landed, LedgerEntry};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;

/// Reads integration records (DynamoDB `integrations`).
#[async_trait]
pub trait IntegrationStore: Send + Sync {
    async fn get(&self, id: &IntegrationId) -> Result<Option<Integration>, StoreError>;
}

/// The answer to "may I push this event now?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody has pushed it: this caller now holds it until the given deadline.
    Acquired,
    /// It already landed; here is what it made.
    AlreadyLanded(Landed),
    /// Another invocation holds it and its deadline has not passed.
    InProgress,
}

/// Exactly-once bookkeeping, Powertools style: an in-progress record with a deadline
/// (so a crashed invocation's claim expires), then a completed record with the
/// result (so a redelivery returns it instead of pushing again).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn claim(
        &self,
        event: &EventId,
        in_progress_until: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;
    async fn complete(&self, event: &EventId, landed: &Landed) -> Result<(), StoreError>;
    /// Drops an in-progress claim after a failure, so a retry need not wait for it to expire.
    async fn release(&self, event: &EventId) -> Result<(), StoreError>;
}

/// One row per event (DynamoDB `ledger`): landed, skipped or failed, and why.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Records the entry. A landed row is never overwritten by a later skipped or
    /// failed one (a redelivery after deactivation must not hide that it landed).
    async fn record(&self, entry: &LedgerEntry) -> Result<(), StoreError>;
}

/// A message that can never be pushed, with its reason (SQS dead-letter queue).
#[derive(Debug, Clone)]
pub struct DeadLetter<'a> {
    pub body: &'a str,
    /// Why: the reason (`invalid_json`, `case_not_found`, …) and plain words naming
    /// fields only, never values.
    pub failure: &'a PushError,
    pub event_id: Option<&'a EventId>,
    pub integration_id: Option<&'a IntegrationId>,
    /// The FIFO message group it came from, so a replay keeps its order.
    pub group: Option<&'a str>,
}

#[async_trait]
pub trait DeadLetters: Send + Sync {
    async fn send(&self, letter: &DeadLetter<'_>) -> Result<(), StoreError>;
}

/// Gives a push the MyCase port `T` for one integration (its own tokens: one firm's
/// data can only reach that firm's account), bound to the invocation's deadline.
#[async_trait]
pub trait Connect<T: ?Sized + Send + Sync>: Send + Sync {
    async fn connect(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<T>, PushError>;
}

/// What the communications pushes (messages, notifications) need from MyCase.
#[async_trait]
pub trait Communications: Send + Sync {
    /// `POST /v1/cases/{id}/message_threads`; returns the thread id.
    async fn create_case_thread(
        &self,
        case: CaseId,
        subject: &str,
        first_message: &str,
        sender: StaffId,
    ) -> Result<i64, PushError>;
    /// `POST /v1/message_threads/{id}/messages`; returns the message id.
    async fn post_message(
        &self,
        thread: i64,
        sender: StaffId,
        body: &str,
    ) -> Result<i64, PushError>;
    /// `POST /v1/cases/{id}/notes`; returns the note id.
    async fn create_case_note(
        &self,
        case: CaseId,
        subject: &str,
        note: &str,
        date: &str,
    ) -> Result<i64, PushError>;
}

/// The state of a case's Communications thread (DynamoDB `case-threads`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadSlot {
    Ready(i64),
    /// Someone is creating it; their claim lapses at `until`.
    Creating {
        owner: String,
        until: DateTime<Utc>,
    },
}

/// Keeps each case's thread id so two racing first entries never make two threads.
#[async_trait]
pub trait CaseThreads: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<ThreadSlot>, StoreError>;
    /// Succeeds when no slot exists or the existing claim lapsed before `now`.
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Publishes the thread (only the claim's owner may).
    async fn set_ready(&self, key: &str, owner: &str, thread: i64) -> Result<(), StoreError>;
    /// Gives up a creation claim (creating the thread failed), so the retry need not
    /// wait for it to lapse. Only the claim's owner may, and never once it is ready.
    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError>;
    /// Forgets a thread MyCase no longer has, so the next entry makes a new one.
    async fn forget(&self, key: &str, thread: i64) -> Result<(), StoreError>;
}

/// Which of a MyCase client's phone numbers a lookup filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneField {
    Cell,
    Work,
    Home,
}

impl PhoneField {
    pub const ALL: [PhoneField; 3] = [PhoneField::Cell, PhoneField::Work, PhoneField::Home];
}

/// One exact `filter[...]` lookup on `GET /v1/clients`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientLookup<'a> {
    Email(&'a str),
    Phone(PhoneField, &'a str),
}

/// A MyCase client as lead matching sees it (values as MyCase stores them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientContact {
    pub id: ClientId,
    pub email: Option<String>,
    /// Cell, work and home numbers on file, as typed in MyCase.
    pub phones: Vec<String>,
    /// When MyCase last changed the client (`None` when it did not say).
    pub updated_at: Option<DateTime<Utc>>,
}

/// One page of `GET /v1/clients`, and the `page_token` of the next one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientPage {
    pub clients: Vec<ClientContact>,
    pub next: Option<String>,
}

/// The body of `POST /v1/clients` for a converted lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClientContact {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub cell_phone_number: Option<String>,
    /// The client's `notes` (visible to the firm only).
    pub notes: String,
}

/// What lead conversion needs from MyCase: find clients, create one.
#[async_trait]
pub trait Clients: Send + Sync {
    /// Every client the filter returns (all pages).
    async fn find_clients(&self, by: ClientLookup<'_>) -> Result<Vec<ClientContact>, PushError>;
    /// `POST /v1/clients`. A 422 on `/email` (the address belongs to another
    /// client) is the reason [`Reason::DuplicateEmail`](crate::Reason::DuplicateEmail).
    async fn create_client(&self, client: &NewClientContact) -> Result<ClientId, PushError>;
    /// One page of every client (`since: None`) or of those created or changed at or
    /// after `since` (`filter[updated_after]`), from `page_token` (`None`: the first).
    async fn client_page(
        &self,
        since: Option<DateTime<Utc>>,
        page_token: Option<&str>,
    ) -> Result<ClientPage, PushError>;
    /// `GET /v1/clients/{id}`; `None` when MyCase has no such client (any more).
    async fn client(&self, id: ClientId) -> Result<Option<ClientContact>, PushError>;
}

/// The state of one lead's conversion (DynamoDB `leads`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadSlot {
    /// The lead is linked to this MyCase client, for good.
    Converted(ClientId),
    /// Someone is converting it; their claim lapses at `until`.
    Converting { owner: String, until: DateTime<Utc> },
}

/// Keeps each lead's client, so a lead becomes at most one client however many
/// events (captured, conversion requested, redeliveries) ask for it.
#[async_trait]
pub trait LeadConversions: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<LeadSlot>, StoreError>;
    /// Succeeds when no slot exists or the existing claim lapsed before `now`.
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Records the lead's client (only the claim's owner may).
    async fn set_converted(
        &self,
        key: &str,
        owner: &str,
        client: ClientId,
    ) -> Result<(), StoreError>;
    /// Gives up a claim whose conversion failed before anything was created in
    /// MyCase. Only the claim's owner may, and never once converted.
    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError>;
}

/// A key of the client index: what a lead is matched by (SPEC §4), normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndexKey {
    /// The address, trimmed and in lower case (MyCase emails match ignoring case).
    Email(String),
    /// The number in E.164.
    Phone(String),
}

/// A MyCase client as the client index keeps it: its id and what it is matched by,
/// nothing else (no names, no notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedClient {
    pub id: ClientId,
    pub keys: std::collections::BTreeSet<IndexKey>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// How far an integration's client index has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProgress {
    /// Reading every client, page by page: the next page is `page_token` (`None`: the
    /// first). `since` is when the build began: changes from then on are read after.
    Building {
        page_token: Option<String>,
        since: DateTime<Utc>,
    },
    /// Complete, and up to date with MyCase's changes before `watermark`.
    Ready { watermark: DateTime<Utc> },
}

/// Each integration's index of its MyCase clients by email and phone (DynamoDB
/// `leads`, under `{integration_id}#index#…`), so a lead is matched without asking
/// MyCase a dozen questions. Every call is scoped to one integration.
#[async_trait]
pub trait ClientIndex: Send + Sync {
    async fn progress(
        &self,
        integration: &IntegrationId,
    ) -> Result<Option<IndexProgress>, StoreError>;
    async fn set_progress(
        &self,
        integration: &IntegrationId,
        progress: &IndexProgress,
    ) -> Result<(), StoreError>;
    /// Records a client under its keys, replacing the keys it had.
    async fn put_client(
        &self,
        integration: &IntegrationId,
        client: &IndexedClient,
    ) -> Result<(), StoreError>;
    /// Forgets a client MyCase no longer has.
    async fn remove_client(
        &self,
        integration: &IntegrationId,
        client: ClientId,
    ) -> Result<(), StoreError>;
    /// The clients filed under `key`, in no particular order.
    async fn clients_with(
        &self,
        integration: &IntegrationId,
        key: &IndexKey,
    ) -> Result<Vec<ClientId>, StoreError>;
}

// -- Documents ---------------------------------------------------------------------------------

/// A file's bytes as they arrive, chunk by chunk: never the whole file in memory.
pub type ByteStream =
    Pin<Box<dyn futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static>>;

/// An opened S3 object: its length (from S3) and its bytes.
pub struct SourceObject {
    pub length: u64,
    pub body: ByteStream,
}

/// Where Hona keeps the files clients send (S3).
#[async_trait]
pub trait DocumentSource: Send + Sync {
    /// Opens the object for reading. Fails permanent `object_missing` (no such key or
    /// bucket) or `bucket_not_allowed` (not the bucket this function reads), transient
    /// `s3_unavailable` otherwise.
    async fn open(
        &self,
        location: &crate::documents::received::Location,
    ) -> Result<SourceObject, PushError>;
}

/// Where to PUT a document's bytes, and until when that URL works (when it says).
#[derive(Clone, PartialEq, Eq)]
pub struct UploadTarget {
    pub put_url: String,
    pub put_headers: BTreeMap<String, String>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UploadTarget {
    // The URL is a credential: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadTarget")
            .field("put_headers", &self.put_headers.keys().collect::<Vec<_>>())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A MyCase document (or a new version of one) waiting for its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSlot {
    pub document_id: i64,
    /// Set when this is a new version of an existing document.
    pub version_id: Option<i64>,
    pub target: UploadTarget,
}

/// A PUT that S3 did not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadFailure {
    /// S3 answered with an error (`code` from its XML body, e.g. `AccessDenied`).
    #[error("S3 refused the upload ({status} {code})")]
    Refused { status: u16, code: String },
    /// The connection failed or the body stream stopped before the end.
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
}

/// The MyCase calls of a document upload (reference §7).
#[async_trait]
pub trait CaseDocuments: Send + Sync {
    /// `POST /v1/cases/{id}/documents`.
    async fn create_case_document(
        &self,
        case: CaseId,
        path: &str,
        filename: &str,
        description: &str,
    ) -> Result<UploadSlot, PushError>;
    /// `POST /v1/documents/{id}/versions`: a fresh URL for a document whose upload failed.
    async fn create_document_version(&self, document_id: i64) -> Result<UploadSlot, PushError>;
    /// `PUT` of exactly `length` bytes to the slot's URL with exactly its headers.
    async fn upload(
        &self,
        target: &UploadTarget,
        body: ByteStream,
        length: u64,
    ) -> Result<(), UploadFailure>;
}

/// The MyCase document an event's file goes into, kept *before* its bytes are sent, so
/// a retry finishes that document instead of making another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub document_id: i64,
    /// The URL to PUT to; `None` once it is known not to work any more.
    pub target: Option<UploadTarget>,
}

#[async_trait]
pub trait UploadRecords: Send + Sync {
    async fn get(&self, event: &EventId) -> Result<Option<UploadRecord>, StoreError>;
    async fn put(&self, event: &EventId, record: &UploadRecord) -> Result<(), StoreError>;
}
