//! In-memory ports for unit tests (here and in the functions). Compiled only for
//! tests or with the `fakes` feature, so they never reach a release binary.

use crate::documents::received::Location;
use crate::error::{PushError, StoreError};
use crate::ids::{CaseId, ClientId, EventId, IntegrationId, StaffId};
use crate::integration::Integration;
use crate::outcome::{Landed, LedgerEntry, Outcome};
use crate::ports::{
    ByteStream, CaseDocuments, CaseThreads, Claim, ClientContact, ClientIndex, ClientLookup,
    ClientPage, Clients, Communications, Connect, DeadLetter, DeadLetters, DocumentSource,
    IdempotencyStore, IndexKey, IndexProgress, IndexedClient, IntegrationStore, LeadConversions,
    LeadSlot, Ledger, NewClientContact, PhoneField, SourceObject, ThreadSlot, UploadFailure,
    UploadRecord, UploadRecords, UploadSlot, UploadTarget,
};
use crate::reason::Reason;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct MemoryIntegrations(pub Mutex<HashMap<IntegrationId, Integration>>);

impl MemoryIntegrations {
    pub fn with(integrations: impl IntoIterator<Item = Integration>) -> Self {
        Self(Mutex::new(
            integrations
                .into_iter()
                .map(|i| (i.id.clone(), i))
                .collect(),
        ))
    }
}

#[async_trait]
impl IntegrationStore for MemoryIntegrations {
    async fn get(&self, id: &IntegrationId) -> Result<Option<Integration>, StoreError> {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyRecord {
    InProgress(DateTime<Utc>),
    Completed(Landed),
}

#[derive(Default)]
pub struct MemoryIdempotency(pub Mutex<HashMap<EventId, IdempotencyRecord>>);

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn claim(&self, event: &EventId, until: DateTime<Utc>) -> Result<Claim, StoreError> {
        let mut records = self.0.lock().unwrap();
        match records.get(event) {
            Some(IdempotencyRecord::Completed(landed)) => Ok(Claim::AlreadyLanded(landed.clone())),
            Some(IdempotencyRecord::InProgress(expiry)) if *expiry > Utc::now() => {
                Ok(Claim::InProgress)
            }
            _ => {
                records.insert(event.clone(), IdempotencyRecord::InProgress(until));
                Ok(Claim::Acquired)
            }
        }
    }
    async fn complete(&self, event: &EventId, landed: &Landed) -> Result<(), StoreError> {
        self.0
            .lock()
            .unwrap()
            .insert(event.clone(), IdempotencyRecord::Completed(landed.clone()));
        Ok(())
    }
    async fn release(&self, event: &EventId) -> Result<(), StoreError> {
        let mut records = self.0.lock().unwrap();
        if matches!(records.get(event), Some(IdempotencyRecord::InProgress(_))) {
            records.remove(event);
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryLedger(pub Mutex<HashMap<(IntegrationId, EventId), LedgerEntry>>);

impl MemoryLedger {
    pub fn outcome(&self, integration: &str, event: &str) -> Option<Outcome> {
        let key = (
            IntegrationId::parse(integration).ok()?,
            EventId::parse(event).ok()?,
        );
        self.0.lock().unwrap().get(&key).map(|e| e.outcome.clone())
    }
    pub fn entries(&self) -> Vec<LedgerEntry> {
        self.0.lock().unwrap().values().cloned().collect()
    }
}

#[async_trait]
impl Ledger for MemoryLedger {
    async fn record(&self, entry: &LedgerEntry) -> Result<(), StoreError> {
        let key = (entry.integration_id.clone(), entry.event_id.clone());
        let mut rows = self.0.lock().unwrap();
        let keeps_landed = matches!(
            rows.get(&key).map(|e| &e.outcome),
            Some(Outcome::Landed { .. })
        ) && !matches!(entry.outcome, Outcome::Landed { .. });
        if !keeps_landed {
            rows.insert(key, entry.clone());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterRecord {
    pub body: String,
    /// As the dead-letter queue's `hona.reason` attribute spells it.
    pub reason: String,
    pub detail: String,
    pub group: Option<String>,
}

#[derive(Default)]
pub struct MemoryDeadLetters(pub Mutex<Vec<DeadLetterRecord>>);

impl MemoryDeadLetters {
    pub fn reasons(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.reason.clone())
            .collect()
    }
}

#[async_trait]
impl DeadLetters for MemoryDeadLetters {
    async fn send(&self, letter: &DeadLetter<'_>) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(DeadLetterRecord {
            body: letter.body.to_owned(),
            reason: letter.failure.reason.to_string(),
            detail: letter.failure.detail.clone(),
            group: letter.group.map(str::to_owned),
        });
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryThreads(pub Mutex<HashMap<String, ThreadSlot>>);

#[async_trait]
impl CaseThreads for MemoryThreads {
    async fn get(&self, key: &str) -> Result<Option<ThreadSlot>, StoreError> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut slots = self.0.lock().unwrap();
        let free = match slots.get(key) {
            None => true,
            Some(ThreadSlot::Creating { until, .. }) => *until < now,
            Some(ThreadSlot::Ready(_)) => false,
        };
        if free {
            slots.insert(
                key.to_owned(),
                ThreadSlot::Creating {
                    owner: owner.to_owned(),
                    until,
                },
            );
        }
        Ok(free)
    }
    async fn set_ready(&self, key: &str, owner: &str, thread: i64) -> Result<(), StoreError> {
        let mut slots = self.0.lock().unwrap();
        match slots.get(key) {
            Some(ThreadSlot::Creating { owner: o, .. }) if o == owner => {
                slots.insert(key.to_owned(), ThreadSlot::Ready(thread));
                Ok(())
            }
            _ => Err(StoreError::new("threads", "set_ready", "claim lost")),
        }
    }
    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let mut slots = self.0.lock().unwrap();
        if matches!(slots.get(key), Some(ThreadSlot::Creating { owner: o, .. }) if o == owner) {
            slots.remove(key);
        }
        Ok(())
    }
    async fn forget(&self, key: &str, thread: i64) -> Result<(), StoreError> {
        let mut slots = self.0.lock().unwrap();
        if slots.get(key) == Some(&ThreadSlot::Ready(thread)) {
            slots.remove(key);
        }
        Ok(())
    }
}

/// What landed in the fake MyCase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Thread {
        id: i64,
        case: CaseId,
        subject: String,
        sender: StaffId,
    },
    Message {
        id: i64,
        thread: i64,
        sender: StaffId,
        body: String,
    },
    Note {
        id: i64,
        case: CaseId,
        subject: String,
        note: String,
        date: String,
    },
}

/// A MyCase that records what it is sent, with scripted failures.
#[derive(Default)]
pub struct FakeMyCase {
    pub posted: Mutex<Vec<Posted>>,
    /// Errors returned by the next calls, one per call, before anything is recorded.
    pub fail_next: Mutex<VecDeque<PushError>>,
    /// Cases that do not exist (404).
    pub missing_cases: Mutex<Vec<CaseId>>,
    next_id: Mutex<i64>,
}

impl FakeMyCase {
    pub fn fail_next(&self, e: PushError) {
        self.fail_next.lock().unwrap().push_back(e);
    }
    pub fn posted(&self) -> Vec<Posted> {
        self.posted.lock().unwrap().clone()
    }
    pub fn messages_in(&self, thread: i64) -> Vec<String> {
        self.posted()
            .into_iter()
            .filter_map(|p| match p {
                Posted::Message {
                    thread: t, body, ..
                } if t == thread => Some(body),
                _ => None,
            })
            .collect()
    }
    pub fn threads(&self) -> Vec<(i64, CaseId)> {
        self.posted()
            .into_iter()
            .filter_map(|p| match p {
                Posted::Thread { id, case, .. } => Some((id, case)),
                _ => None,
            })
            .collect()
    }
    fn gate(&self, case: Option<CaseId>) -> Result<i64, PushError> {
        if let Some(e) = self.fail_next.lock().unwrap().pop_front() {
            return Err(e);
        }
        if case.is_some_and(|c| self.missing_cases.lock().unwrap().contains(&c)) {
            return Err(PushError::permanent(Reason::NotFound, "no such case"));
        }
        let mut id = self.next_id.lock().unwrap();
        *id += 1;
        Ok(1000 + *id)
    }
}

#[async_trait]
impl Communications for FakeMyCase {
    async fn create_case_thread(
        &self,
        case: CaseId,
        subject: &str,
        _first: &str,
        sender: StaffId,
    ) -> Result<i64, PushError> {
        let id = self.gate(Some(case))?;
        self.posted.lock().unwrap().push(Posted::Thread {
            id,
            case,
            subject: subject.into(),
            sender,
        });
        Ok(id)
    }
    async fn post_message(
        &self,
        thread: i64,
        sender: StaffId,
        body: &str,
    ) -> Result<i64, PushError> {
        let id = self.gate(None)?;
        self.posted.lock().unwrap().push(Posted::Message {
            id,
            thread,
            sender,
            body: body.into(),
        });
        Ok(id)
    }
    async fn create_case_note(
        &self,
        case: CaseId,
        subject: &str,
        note: &str,
        date: &str,
    ) -> Result<i64, PushError> {
        let id = self.gate(Some(case))?;
        self.posted.lock().unwrap().push(Posted::Note {
            id,
            case,
            subject: subject.into(),
            note: note.into(),
            date: date.into(),
        });
        Ok(id)
    }
}

/// Connects every integration to its own fake MyCase (one per firm, as in life).
#[derive(Default)]
pub struct FakeConnector {
    pub firms: Mutex<HashMap<IntegrationId, Arc<FakeMyCase>>>,
    /// When set, `connect` fails with it (e.g. a revoked grant).
    pub refuse: Mutex<Option<PushError>>,
    /// Each firm's MyCase clients (lead conversion).
    pub client_books: Mutex<HashMap<IntegrationId, Arc<FakeClientBook>>>,
}

impl FakeConnector {
    pub fn firm(&self, integration: &str) -> Arc<FakeMyCase> {
        let id = IntegrationId::parse(integration).expect("valid integration id");
        self.firms.lock().unwrap().entry(id).or_default().clone()
    }
}

#[async_trait]
impl Connect<dyn Communications> for FakeConnector {
    async fn connect(
        &self,
        integration: &Integration,
        _deadline: tokio::time::Instant,
    ) -> Result<Arc<dyn Communications>, PushError> {
        if let Some(e) = self.refuse.lock().unwrap().clone() {
            return Err(e);
        }
        let firm: Arc<dyn Communications> = self.firm(integration.id.as_str());
        Ok(firm)
    }
}

// ---------------------------------------------------------------------------------------------
// Lead conversion

/// A firm's MyCase clients, with exact case-insensitive filters (as the sandbox).
#[derive(Default)]
pub struct FakeClientBook {
    pub clients: Mutex<Vec<FakeClient>>,
    /// Every lookup made, as `(filter, value)`.
    pub lookups: Mutex<Vec<(String, String)>>,
    /// Errors returned by the next calls, one per call.
    pub fail_next: Mutex<VecDeque<PushError>>,
    /// Added (as a person in MyCase would) right before the next create, making it
    /// collide with this email: the race a 422 reports.
    pub added_before_next_create: Mutex<Option<FakeClient>>,
    /// Every page of `GET /clients` read, as its `filter[updated_after]`.
    pub pages: Mutex<Vec<Option<DateTime<Utc>>>>,
    /// Every `GET /clients/{id}`.
    pub reads: Mutex<Vec<i64>>,
    /// `POST /clients` calls, refused ones included.
    pub creates: Mutex<usize>,
    /// Clients per page (MyCase's largest page when 0).
    pub page_size: Mutex<usize>,
    next_id: Mutex<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FakeClient {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub cell: Option<String>,
    pub work: Option<String>,
    pub home: Option<String>,
    pub notes: Option<String>,
    /// Set to now when added (as MyCase stamps a created client).
    pub updated_at: Option<DateTime<Utc>>,
}

impl FakeClient {
    fn contact(&self) -> ClientContact {
        ClientContact {
            id: ClientId::new(self.id).expect("positive"),
            email: self.email.clone(),
            phones: [&self.cell, &self.work, &self.home]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            updated_at: self.updated_at,
        }
    }
}

impl FakeClientBook {
    pub fn add(&self, mut client: FakeClient) -> i64 {
        let mut next = self.next_id.lock().unwrap();
        *next += 1;
        client.id = 5000 + *next;
        client.updated_at.get_or_insert_with(Utc::now);
        let id = client.id;
        self.clients.lock().unwrap().push(client);
        id
    }
    /// Changes a client as staff would in MyCase (stamping `updated_at`).
    pub fn edit(&self, id: i64, change: impl FnOnce(&mut FakeClient)) {
        let mut clients = self.clients.lock().unwrap();
        let c = clients.iter_mut().find(|c| c.id == id).expect("a client");
        change(c);
        c.updated_at = Some(Utc::now());
    }
    /// Requests made of this fake MyCase for lead matching and creation.
    pub fn requests(&self) -> usize {
        self.lookups.lock().unwrap().len()
            + self.pages.lock().unwrap().len()
            + self.reads.lock().unwrap().len()
            + *self.creates.lock().unwrap()
    }
    pub fn all(&self) -> Vec<FakeClient> {
        self.clients.lock().unwrap().clone()
    }
    fn gate(&self) -> Result<(), PushError> {
        match self.fail_next.lock().unwrap().pop_front() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn same(have: &Option<String>, want: &str) -> bool {
    have.as_deref()
        .is_some_and(|h| h.trim().eq_ignore_ascii_case(want.trim()))
}

#[async_trait]
impl Clients for FakeClientBook {
    async fn find_clients(&self, by: ClientLookup<'_>) -> Result<Vec<ClientContact>, PushError> {
        // A real round trip: lets racing conversions interleave.
        tokio::task::yield_now().await;
        self.gate()?;
        let (filter, value) = match by {
            ClientLookup::Email(e) => ("email", e),
            ClientLookup::Phone(PhoneField::Cell, p) => ("cell_phone_number", p),
            ClientLookup::Phone(PhoneField::Work, p) => ("work_phone_number", p),
            ClientLookup::Phone(PhoneField::Home, p) => ("home_phone_number", p),
        };
        self.lookups
            .lock()
            .unwrap()
            .push((filter.to_owned(), value.to_owned()));
        Ok(self
            .all()
            .into_iter()
            .filter(|c| match by {
                ClientLookup::Email(e) => same(&c.email, e),
                ClientLookup::Phone(PhoneField::Cell, p) => same(&c.cell, p),
                ClientLookup::Phone(PhoneField::Work, p) => same(&c.work, p),
                ClientLookup::Phone(PhoneField::Home, p) => same(&c.home, p),
            })
            .map(|c| c.contact())
            .collect())
    }

    async fn client_page(
        &self,
        since: Option<DateTime<Utc>>,
        page_token: Option<&str>,
    ) -> Result<ClientPage, PushError> {
        tokio::task::yield_now().await;
        self.gate()?;
        self.pages.lock().unwrap().push(since);
        let after: i64 = match page_token {
            Some(t) => t
                .parse()
                .map_err(|_| PushError::permanent(Reason::PageTokenExpired, "bad page token"))?,
            None => 0,
        };
        let size = match *self.page_size.lock().unwrap() {
            0 => 1000,
            n => n,
        };
        let mut matching: Vec<ClientContact> = self
            .all()
            .iter()
            .filter(|c| c.id > after)
            .filter(|c| since.is_none_or(|s| c.updated_at.is_some_and(|u| u >= s)))
            .map(FakeClient::contact)
            .collect();
        matching.sort_by_key(|c| c.id);
        let more = matching.len() > size;
        matching.truncate(size);
        let next = more
            .then(|| matching.last().map(|c| c.id.get().to_string()))
            .flatten();
        Ok(ClientPage {
            clients: matching,
            next,
        })
    }

    async fn client(&self, id: ClientId) -> Result<Option<ClientContact>, PushError> {
        tokio::task::yield_now().await;
        self.gate()?;
        self.reads.lock().unwrap().push(id.get());
        Ok(self
            .all()
            .iter()
            .find(|c| c.id == id.get())
            .map(FakeClient::contact))
    }

    async fn create_client(&self, client: &NewClientContact) -> Result<ClientId, PushError> {
        tokio::task::yield_now().await;
        self.gate()?;
        *self.creates.lock().unwrap() += 1;
        if let Some(other) = self.added_before_next_create.lock().unwrap().take() {
            self.add(other);
        }
        if let Some(email) = &client.email
            && self.all().iter().any(|c| same(&c.email, email))
        {
            return Err(PushError::permanent(Reason::DuplicateEmail, "email taken"));
        }
        let id = self.add(FakeClient {
            id: 0,
            first_name: client.first_name.clone(),
            last_name: client.last_name.clone(),
            email: client.email.clone(),
            cell: client.cell_phone_number.clone(),
            work: None,
            home: None,
            notes: Some(client.notes.clone()),
            updated_at: None,
        });
        Ok(ClientId::new(id).expect("positive"))
    }
}

#[async_trait]
impl Connect<dyn Clients> for FakeConnector {
    async fn connect(
        &self,
        integration: &Integration,
        _deadline: tokio::time::Instant,
    ) -> Result<Arc<dyn Clients>, PushError> {
        if let Some(e) = self.refuse.lock().unwrap().clone() {
            return Err(e);
        }
        let book: Arc<dyn Clients> = self.client_book(integration.id.as_str());
        Ok(book)
    }
}

impl FakeConnector {
    /// The fake MyCase clients of one firm.
    pub fn client_book(&self, integration: &str) -> Arc<FakeClientBook> {
        let id = IntegrationId::parse(integration).expect("valid integration id");
        self.client_books
            .lock()
            .unwrap()
            .entry(id)
            .or_default()
            .clone()
    }
}

/// Each integration's client index, in memory.
#[derive(Default)]
pub struct MemoryClientIndex {
    pub progress: Mutex<HashMap<IntegrationId, IndexProgress>>,
    pub clients: Mutex<HashMap<(IntegrationId, ClientId), IndexedClient>>,
}

#[async_trait]
impl ClientIndex for MemoryClientIndex {
    async fn progress(
        &self,
        integration: &IntegrationId,
    ) -> Result<Option<IndexProgress>, StoreError> {
        Ok(self.progress.lock().unwrap().get(integration).cloned())
    }
    async fn set_progress(
        &self,
        integration: &IntegrationId,
        progress: &IndexProgress,
    ) -> Result<(), StoreError> {
        self.progress
            .lock()
            .unwrap()
            .insert(integration.clone(), progress.clone());
        Ok(())
    }
    async fn put_client(
        &self,
        integration: &IntegrationId,
        client: &IndexedClient,
    ) -> Result<(), StoreError> {
        self.clients
            .lock()
            .unwrap()
            .insert((integration.clone(), client.id), client.clone());
        Ok(())
    }
    async fn remove_client(
        &self,
        integration: &IntegrationId,
        client: ClientId,
    ) -> Result<(), StoreError> {
        self.clients
            .lock()
            .unwrap()
            .remove(&(integration.clone(), client));
        Ok(())
    }
    async fn clients_with(
        &self,
        integration: &IntegrationId,
        key: &IndexKey,
    ) -> Result<Vec<ClientId>, StoreError> {
        Ok(self
            .clients
            .lock()
            .unwrap()
            .iter()
            .filter(|((i, _), c)| i == integration && c.keys.contains(key))
            .map(|((_, id), _)| *id)
            .collect())
    }
}

#[derive(Default)]
pub struct MemoryLeadConversions(pub Mutex<HashMap<String, LeadSlot>>);

#[async_trait]
impl LeadConversions for MemoryLeadConversions {
    async fn get(&self, key: &str) -> Result<Option<LeadSlot>, StoreError> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut slots = self.0.lock().unwrap();
        let free = match slots.get(key) {
            None => true,
            Some(LeadSlot::Converting { until, .. }) => *until < now,
            Some(LeadSlot::Converted(_)) => false,
        };
        if free {
            slots.insert(
                key.to_owned(),
                LeadSlot::Converting {
                    owner: owner.to_owned(),
                    until,
                },
            );
        }
        Ok(free)
    }
    async fn set_converted(
        &self,
        key: &str,
        owner: &str,
        client: ClientId,
    ) -> Result<(), StoreError> {
        let mut slots = self.0.lock().unwrap();
        match slots.get(key) {
            Some(LeadSlot::Converting { owner: o, .. }) if o == owner => {
                slots.insert(key.to_owned(), LeadSlot::Converted(client));
                Ok(())
            }
            _ => Err(StoreError::new("leads", "set_converted", "claim lost")),
        }
    }
    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let mut slots = self.0.lock().unwrap();
        if matches!(slots.get(key), Some(LeadSlot::Converting { owner: o, .. }) if o == owner) {
            slots.remove(key);
        }
        Ok(())
    }
}

// -- Documents ---------------------------------------------------------------------------------

/// S3 in memory: objects by (bucket, key), served in chunks as S3 does.
#[derive(Default)]
pub struct MemoryDocumentSource {
    pub objects: Mutex<HashMap<(String, String), bytes::Bytes>>,
    /// When set, `open` fails with it (e.g. S3 unavailable).
    pub fail: Mutex<Option<PushError>>,
    pub opened: Mutex<u32>,
}

impl MemoryDocumentSource {
    pub fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.objects
            .lock()
            .unwrap()
            .insert((bucket.into(), key.into()), bytes.into());
    }
}

#[async_trait]
impl DocumentSource for MemoryDocumentSource {
    async fn open(&self, location: &Location) -> Result<SourceObject, PushError> {
        *self.opened.lock().unwrap() += 1;
        if let Some(e) = self.fail.lock().unwrap().clone() {
            return Err(e);
        }
        let bytes = self
            .objects
            .lock()
            .unwrap()
            .get(&(location.bucket.clone(), location.key.clone()))
            .cloned()
            .ok_or_else(|| {
                PushError::permanent(
                    Reason::ObjectMissing,
                    "The file is not in S3 (no such key).",
                )
            })?;
        let length = bytes.len() as u64;
        let chunks: Vec<std::io::Result<bytes::Bytes>> = (0..bytes.len())
            .step_by(64 * 1024)
            .map(|at| Ok(bytes.slice(at..(at + 64 * 1024).min(bytes.len()))))
            .collect();
        Ok(SourceObject {
            length,
            body: Box::pin(futures::stream::iter(chunks)),
        })
    }
}

/// One document in the fake MyCase: its versions' bytes (`None` until a PUT is accepted).
#[derive(Debug, Clone)]
pub struct FakeDocument {
    pub id: i64,
    pub case: CaseId,
    pub path: String,
    pub filename: String,
    pub description: String,
    pub versions: Vec<Option<Vec<u8>>>,
}

/// How the next PUT goes wrong.
#[derive(Debug, Clone)]
pub enum PutFault {
    /// The connection drops after this many bytes.
    CutAfter(usize),
    /// S3 answers with this status and code.
    Refuse(u16, &'static str),
    /// The PUT never finishes (for deadline tests).
    Hang,
}

/// MyCase documents in memory. URLs are `fake-s3://{document}/{version}` and expire at
/// `url_expiry` (default: an hour from when they were handed out).
#[derive(Default)]
pub struct FakeCaseDocuments {
    pub documents: Mutex<Vec<FakeDocument>>,
    pub fail_next_create: Mutex<Option<PushError>>,
    pub put_faults: Mutex<VecDeque<PutFault>>,
    pub url_expiry: Mutex<Option<DateTime<Utc>>>,
    pub puts: Mutex<u32>,
}

impl FakeCaseDocuments {
    fn slot(&self, doc: i64, version: usize) -> UploadSlot {
        let expires_at = self
            .url_expiry
            .lock()
            .unwrap()
            .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(1));
        UploadSlot {
            document_id: doc,
            version_id: (version > 1).then_some(doc * 1000 + version as i64),
            target: UploadTarget {
                put_url: format!("fake-s3://{doc}/{version}"),
                put_headers: [("x-amz-acl".to_owned(), "private".to_owned())].into(),
                expires_at: Some(expires_at),
            },
        }
    }

    /// The bytes of the newest version that has them.
    pub fn bytes_of(&self, doc: i64) -> Option<Vec<u8>> {
        let docs = self.documents.lock().unwrap();
        let d = docs.iter().find(|d| d.id == doc)?;
        d.versions.iter().rev().find_map(|v| v.clone())
    }
}

#[async_trait]
impl CaseDocuments for FakeCaseDocuments {
    async fn create_case_document(
        &self,
        case: CaseId,
        path: &str,
        filename: &str,
        description: &str,
    ) -> Result<UploadSlot, PushError> {
        if let Some(e) = self.fail_next_create.lock().unwrap().take() {
            return Err(e);
        }
        let mut docs = self.documents.lock().unwrap();
        let id = 500 + docs.len() as i64;
        docs.push(FakeDocument {
            id,
            case,
            path: path.into(),
            filename: filename.into(),
            description: description.into(),
            versions: vec![None],
        });
        drop(docs);
        Ok(self.slot(id, 1))
    }

    async fn create_document_version(&self, document_id: i64) -> Result<UploadSlot, PushError> {
        let mut docs = self.documents.lock().unwrap();
        let d = docs
            .iter_mut()
            .find(|d| d.id == document_id)
            .ok_or_else(|| PushError::permanent(Reason::NotFound, "MyCase has no such record."))?;
        d.versions.push(None);
        let n = d.versions.len();
        drop(docs);
        Ok(self.slot(document_id, n))
    }

    async fn upload(
        &self,
        target: &UploadTarget,
        mut body: ByteStream,
        length: u64,
    ) -> Result<(), UploadFailure> {
        use futures::StreamExt;
        *self.puts.lock().unwrap() += 1;
        if target.expires_at.is_some_and(|at| at < Utc::now()) {
            return Err(UploadFailure::Refused {
                status: 403,
                code: "AccessDenied".into(),
            });
        }
        let (doc, version) = target
            .put_url
            .strip_prefix("fake-s3://")
            .and_then(|r| r.split_once('/'))
            .and_then(|(d, v)| Some((d.parse::<i64>().ok()?, v.parse::<usize>().ok()?)))
            .expect("a fake URL");
        let fault = self.put_faults.lock().unwrap().pop_front();
        match fault {
            Some(PutFault::Refuse(status, code)) => {
                return Err(UploadFailure::Refused {
                    status,
                    code: code.into(),
                });
            }
            Some(PutFault::Hang) => futures::future::pending::<()>().await,
            _ => {}
        }
        let cut = match fault {
            Some(PutFault::CutAfter(n)) => Some(n),
            _ => None,
        };
        let mut got = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| UploadFailure::Interrupted(e.to_string()))?;
            got.extend_from_slice(&chunk);
            if cut.is_some_and(|n| got.len() >= n) {
                return Err(UploadFailure::Interrupted("connection reset".into()));
            }
        }
        if got.len() as u64 != length {
            // S3 never accepts a body shorter or longer than its Content-Length.
            return Err(UploadFailure::Refused {
                status: 400,
                code: "IncompleteBody".into(),
            });
        }
        let mut docs = self.documents.lock().unwrap();
        let d = docs
            .iter_mut()
            .find(|d| d.id == doc)
            .expect("known document");
        d.versions[version - 1] = Some(got);
        Ok(())
    }
}

/// Connects every integration to the same fake MyCase documents.
#[derive(Default)]
pub struct FakeDocumentsConnector(pub Arc<FakeCaseDocuments>);

#[async_trait]
impl Connect<dyn CaseDocuments> for FakeDocumentsConnector {
    async fn connect(
        &self,
        _integration: &Integration,
        _deadline: tokio::time::Instant,
    ) -> Result<Arc<dyn CaseDocuments>, PushError> {
        let docs: Arc<dyn CaseDocuments> = self.0.clone();
        Ok(docs)
    }
}

#[derive(Default)]
pub struct MemoryUploadRecords(pub Mutex<HashMap<EventId, UploadRecord>>);

#[async_trait]
impl UploadRecords for MemoryUploadRecords {
    async fn get(&self, event: &EventId) -> Result<Option<UploadRecord>, StoreError> {
        Ok(self.0.lock().unwrap().get(event).cloned())
    }
    async fn put(&self, event: &EventId, record: &UploadRecord) -> Result<(), StoreError> {
        self.0.lock().unwrap().insert(event.clone(), record.clone());
        Ok(())
    }
}
