//! In-memory ports for unit tests (here and in the functions). Compiled only for
//! tests or with the `fakes` feature, so they never reach a release binary.

use crate::error::{PushError, StoreError};
use crate::ids::{CaseId, EventId, IntegrationId, StaffId};
use crate::integration::Integration;
use crate::outcome::{Landed, LedgerEntry, Outcome};
use crate::ports::{
    CaseThreads, Claim, Communications, Connect, DeadLetter, DeadLetters, IdempotencyStore,
    IntegrationStore, Ledger, ThreadSlot,
};
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
            reason: letter.reason.to_owned(),
            detail: letter.detail.to_owned(),
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
            return Err(PushError::permanent("not_found", "no such case"));
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
