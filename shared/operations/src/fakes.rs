//! In-memory operations ports for unit tests (here, in the functions, in the CLI).

use crate::nightly::{Counts, NightlyReport};
use crate::paging::{Page, PageRequest, page_of};
use crate::ports::{
    ActionQuery, EventQueues, IntegrationAdmin, LedgerHistory, LedgerSummary, MyCaseHealth,
    MyCaseOAuth, NeedsAction, ReplayJob, ReplayJobs, ResendEvent, StateNonces, TokenVault,
};
use crate::settings::{Connection, IntegrationRecord, NightlyHour, SettingsPatch};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hona_domain::Reason;
use hona_domain::error::{PushError, StoreError};
use hona_domain::fakes::MemoryLedger;
use hona_domain::ids::{EventId, IntegrationId, StaffId};
use hona_domain::integration::Integration;
use hona_domain::outcome::{LedgerEntry, Outcome, PushType};
use mycase_client::TokenSet;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

/// Integration records in memory, with the same rules as the DynamoDB adapter.
#[derive(Default)]
pub struct MemoryAdmin(pub Mutex<HashMap<IntegrationId, IntegrationRecord>>);

impl MemoryAdmin {
    pub fn with(integrations: impl IntoIterator<Item = Integration>) -> Self {
        Self(Mutex::new(
            integrations
                .into_iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        IntegrationRecord {
                            integration: i,
                            nightly_hour: NightlyHour::default(),
                            last_nightly: None,
                        },
                    )
                })
                .collect(),
        ))
    }
    pub fn get(&self, id: &str) -> Option<IntegrationRecord> {
        let id = IntegrationId::parse(id).ok()?;
        self.0.lock().unwrap().get(&id).cloned()
    }
}

#[async_trait]
impl hona_domain::ports::IntegrationStore for MemoryAdmin {
    async fn get(&self, id: &IntegrationId) -> Result<Option<Integration>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(id)
            .map(|r| r.integration.clone()))
    }
}

#[async_trait]
impl IntegrationAdmin for MemoryAdmin {
    async fn record(&self, id: &IntegrationId) -> Result<Option<IntegrationRecord>, StoreError> {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }
    async fn list(&self) -> Result<Vec<IntegrationRecord>, StoreError> {
        let mut all: Vec<_> = self.0.lock().unwrap().values().cloned().collect();
        all.sort_by(|a, b| a.integration.id.cmp(&b.integration.id));
        Ok(all)
    }
    async fn page(&self, page: &PageRequest) -> Result<Page<IntegrationRecord>, StoreError> {
        let all: Vec<_> = self.0.lock().unwrap().values().cloned().collect();
        Ok(page_of(all, |r| r.integration.id.to_string(), "", page))
    }
    async fn connected(&self, c: &Connection) -> Result<(), StoreError> {
        let mut records = self.0.lock().unwrap();
        let record = records
            .entry(c.integration_id.clone())
            .or_insert_with(|| IntegrationRecord {
                integration: Integration {
                    id: c.integration_id.clone(),
                    org_id: c.org_id.clone(),
                    active: false,
                    sender_staff_id: c.authorised_by,
                    log_target: Default::default(),
                    time_zone: chrono_tz::UTC,
                    firm_uuid: None,
                    documents_folder: None,
                    lead_automation: None,
                    needs_reconnect: None,
                },
                nightly_hour: NightlyHour::default(),
                last_nightly: None,
            });
        record.integration.firm_uuid = Some(c.firm_uuid.clone());
        record.integration.needs_reconnect = None;
        Ok(())
    }
    async fn set_active(&self, id: &IntegrationId, active: bool) -> Result<bool, StoreError> {
        Ok(match self.0.lock().unwrap().get_mut(id) {
            Some(r) => {
                r.integration.active = active;
                true
            }
            None => false,
        })
    }
    async fn update_settings(
        &self,
        id: &IntegrationId,
        p: &SettingsPatch,
    ) -> Result<bool, StoreError> {
        let mut records = self.0.lock().unwrap();
        let Some(r) = records.get_mut(id) else {
            return Ok(false);
        };
        let i = &mut r.integration;
        if let Some(v) = p.log_target {
            i.log_target = v;
        }
        if let Some(v) = p.time_zone {
            i.time_zone = v;
        }
        if let Some(v) = p.sender_staff_id {
            i.sender_staff_id = v;
        }
        if let Some(v) = &p.documents_folder {
            i.documents_folder = v.clone();
        }
        if let Some(v) = p.lead_automation {
            i.lead_automation = v;
        }
        if let Some(v) = p.nightly_hour {
            r.nightly_hour = v;
        }
        Ok(true)
    }
    async fn mark_needs_reconnect(
        &self,
        id: &IntegrationId,
        reason: &str,
    ) -> Result<(), StoreError> {
        if let Some(r) = self.0.lock().unwrap().get_mut(id) {
            r.integration.needs_reconnect = Some(reason.to_owned());
        }
        Ok(())
    }
    async fn record_nightly(
        &self,
        id: &IntegrationId,
        report: &NightlyReport,
    ) -> Result<(), StoreError> {
        if let Some(r) = self.0.lock().unwrap().get_mut(id) {
            r.last_nightly = Some(report.clone());
        }
        Ok(())
    }
}

fn rows_of(ledger: &MemoryLedger, integration: &IntegrationId) -> Vec<LedgerEntry> {
    ledger
        .entries()
        .into_iter()
        .filter(|e| &e.integration_id == integration)
        .collect()
}

/// The ledger's reads over every row in memory: what the DynamoDB adapter's summaries and
/// indexes must agree with.
#[async_trait]
impl LedgerHistory for MemoryLedger {
    async fn summaries(
        &self,
        integration: &IntegrationId,
    ) -> Result<Vec<LedgerSummary>, StoreError> {
        Ok(crate::status::summaries_of(&rows_of(self, integration)))
    }

    async fn recent_problems(
        &self,
        integration: &IntegrationId,
        push_type: PushType,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        Ok(crate::status::recent_problem_rows(
            &rows_of(self, integration),
            push_type,
            limit,
        ))
    }

    async fn entry(
        &self,
        integration: &IntegrationId,
        event: &EventId,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        Ok(rows_of(self, integration)
            .into_iter()
            .find(|e| &e.event_id == event))
    }

    async fn needing_action(
        &self,
        integration: &IntegrationId,
        query: &ActionQuery,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let rows: Vec<LedgerEntry> = rows_of(self, integration)
            .into_iter()
            .filter(|e| e.event_json.is_some())
            .filter(|e| match (&e.outcome, query.kind) {
                (Outcome::Skipped { .. }, NeedsAction::Skipped)
                | (Outcome::Failed { .. }, NeedsAction::Failed) => true,
                _ => false,
            })
            .filter(|e| query.from.is_none_or(|f| e.recorded_at >= f))
            .filter(|e| query.to.is_none_or(|t| e.recorded_at <= t))
            .collect();
        Ok(page_of(
            rows,
            |e| format!("{}#{}", e.recorded_at.to_rfc3339(), e.event_id),
            integration.as_str(),
            page,
        ))
    }

    async fn counts_since(
        &self,
        integration: &IntegrationId,
        since: DateTime<Utc>,
    ) -> Result<BTreeMap<String, Counts>, StoreError> {
        let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
        for e in rows_of(self, integration)
            .iter()
            .filter(|e| e.recorded_at >= since)
        {
            let c = counts.entry(e.push_type.as_str().to_owned()).or_default();
            match e.outcome {
                Outcome::Landed { .. } => c.landed += 1,
                Outcome::Skipped { .. } => c.skipped += 1,
                Outcome::Failed { .. } => c.failed += 1,
            }
        }
        Ok(counts)
    }
}

/// Replay jobs in memory.
#[derive(Default)]
pub struct MemoryReplayJobs(pub Mutex<HashMap<IntegrationId, ReplayJob>>);

#[async_trait]
impl ReplayJobs for MemoryReplayJobs {
    async fn get(&self, integration: &IntegrationId) -> Result<Option<ReplayJob>, StoreError> {
        Ok(self.0.lock().unwrap().get(integration).cloned())
    }
    async fn put(&self, integration: &IntegrationId, job: &ReplayJob) -> Result<(), StoreError> {
        self.0
            .lock()
            .unwrap()
            .insert(integration.clone(), job.clone());
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resent {
    pub push_type: PushType,
    pub event_id: String,
    pub group: String,
    pub body: String,
}

#[derive(Default)]
pub struct MemoryQueues(pub Mutex<Vec<Resent>>);

impl MemoryQueues {
    pub fn sent(&self) -> Vec<Resent> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl EventQueues for MemoryQueues {
    async fn resend(&self, e: &ResendEvent<'_>) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(Resent {
            push_type: e.push_type,
            event_id: e.event_id.to_owned(),
            group: e.group.clone(),
            body: e.body.to_owned(),
        });
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryNonces(pub Mutex<HashSet<String>>);

#[async_trait]
impl StateNonces for MemoryNonces {
    async fn consume(&self, nonce: &str, _expires_at: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.0.lock().unwrap().insert(nonce.to_owned()))
    }
}

#[derive(Default)]
pub struct MemoryVault(pub Mutex<HashMap<IntegrationId, TokenSet>>);

#[async_trait]
impl TokenVault for MemoryVault {
    async fn store(&self, id: &IntegrationId, tokens: &TokenSet) -> Result<(), StoreError> {
        self.0.lock().unwrap().insert(id.clone(), tokens.clone());
        Ok(())
    }
}

/// MyCase's OAuth server in memory: every code is good unless listed in `bad_codes`;
/// each exchange issues tokens for `firm_uuid`.
pub struct FakeOAuth {
    pub firm_uuid: Mutex<String>,
    pub staff: StaffId,
    pub bad_codes: Vec<String>,
    pub exchanges: Mutex<usize>,
}

impl FakeOAuth {
    pub fn new(firm_uuid: &str) -> Self {
        Self {
            firm_uuid: Mutex::new(firm_uuid.to_owned()),
            staff: StaffId::new(77).unwrap(),
            bad_codes: vec![],
            exchanges: Mutex::new(0),
        }
    }
}

#[async_trait]
impl MyCaseOAuth for FakeOAuth {
    async fn authorize_url(&self, state: &str) -> Result<String, PushError> {
        Ok(format!(
            "https://auth.example/login_sessions/new?state={state}"
        ))
    }
    async fn exchange_code(&self, code: &str) -> Result<TokenSet, PushError> {
        if self.bad_codes.iter().any(|c| c == code) {
            return Err(PushError::permanent(
                Reason::ReconnectNeeded,
                "invalid_grant",
            ));
        }
        let mut n = self.exchanges.lock().unwrap();
        *n += 1;
        Ok(TokenSet {
            access_token: format!("at-{n}"),
            refresh_token: format!("rt-{n}"),
            expires_at: Utc::now() + chrono::Duration::hours(24),
            firm_uuid: Some(self.firm_uuid.lock().unwrap().clone()),
        })
    }
    async fn authorised_by(&self, _tokens: &TokenSet) -> Result<StaffId, PushError> {
        Ok(self.staff)
    }
}

/// MyCase's health per integration: `revoked` ones answer `reconnect_needed`.
#[derive(Default)]
pub struct FakeHealth {
    pub revoked: Mutex<HashSet<IntegrationId>>,
    pub kept_alive: Mutex<Vec<IntegrationId>>,
}

#[async_trait]
impl MyCaseHealth for FakeHealth {
    async fn keep_alive(&self, i: &Integration) -> Result<(), PushError> {
        if self.revoked.lock().unwrap().contains(&i.id) {
            return Err(PushError::permanent(
                Reason::ReconnectNeeded,
                "MyCase refused the refresh token (invalid_grant).",
            ));
        }
        self.kept_alive.lock().unwrap().push(i.id.clone());
        Ok(())
    }
    async fn check(&self, i: &Integration) -> Result<(), PushError> {
        if self.revoked.lock().unwrap().contains(&i.id) {
            return Err(PushError::permanent(Reason::ReconnectNeeded, "401"));
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryFanOut(pub Mutex<Vec<(IntegrationId, String)>>);

#[async_trait]
impl crate::ports::NightlyFanOut for MemoryFanOut {
    async fn send(&self, ids: &[IntegrationId], run: &str) -> Result<usize, StoreError> {
        let mut sent = self.0.lock().unwrap();
        sent.extend(ids.iter().map(|i| (i.clone(), run.to_owned())));
        Ok(ids.len())
    }
}
