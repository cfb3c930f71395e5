//! The I/O edge of operations: small traits the AWS adapters implement (and `fakes`
//! in memory). The push ports (`hona_domain::ports`) stay as they are.

use crate::nightly::{Counts, NightlyReport};
use crate::paging::{Page, PageRequest};
use crate::replay::ReplayReport;
use crate::settings::{Connection, IntegrationRecord, SettingsPatch};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hona_domain::error::{PushError, StoreError};
use hona_domain::ids::{EventId, IntegrationId, StaffId};
use hona_domain::integration::Integration;
use hona_domain::outcome::{LedgerEntry, PushType};
use mycase_client::TokenSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Managing integration records (DynamoDB `integrations`).
#[async_trait]
pub trait IntegrationAdmin: Send + Sync {
    async fn record(&self, id: &IntegrationId) -> Result<Option<IntegrationRecord>, StoreError>;
    /// Every integration (the nightly fan-out).
    async fn list(&self) -> Result<Vec<IntegrationRecord>, StoreError>;
    /// One page of integrations (the admin API's and the CLI's list).
    async fn page(&self, page: &PageRequest) -> Result<Page<IntegrationRecord>, StoreError>;
    /// After a successful OAuth connection: creates the integration (inactive, sending
    /// as the user who authorised) or, on re-connect, updates its firm and clears
    /// `needs_reconnect`, keeping every other setting.
    async fn connected(&self, connection: &Connection) -> Result<(), StoreError>;
    /// `Ok(false)`: no such integration.
    async fn set_active(&self, id: &IntegrationId, active: bool) -> Result<bool, StoreError>;
    /// `Ok(false)`: no such integration.
    async fn update_settings(
        &self,
        id: &IntegrationId,
        patch: &SettingsPatch,
    ) -> Result<bool, StoreError>;
    async fn mark_needs_reconnect(
        &self,
        id: &IntegrationId,
        reason: &str,
    ) -> Result<(), StoreError>;
    async fn record_nightly(
        &self,
        id: &IntegrationId,
        report: &NightlyReport,
    ) -> Result<(), StoreError>;
}

/// One push type's totals for an integration: the ledger's summary record, kept in the
/// same write as each row, so it always agrees with the rows. Counts are of each event's
/// current outcome (a redelivery or a replay moves the event, never counts it twice) and
/// include rows that have since expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSummary {
    pub push_type: PushType,
    pub landed: u64,
    pub skipped: u64,
    pub failed: u64,
    pub last_success: Option<DateTime<Utc>>,
    /// When a push of this type last failed, kept after that event is re-driven and lands
    /// (the rows then no longer show it).
    pub last_failure: Option<DateTime<Utc>>,
}

impl LedgerSummary {
    pub fn empty(push_type: PushType) -> Self {
        Self {
            push_type,
            landed: 0,
            skipped: 0,
            failed: 0,
            last_success: None,
            last_failure: None,
        }
    }
}

/// Rows that still need something done: the ledger's sparse index holds only these, and a
/// row leaves it when it is resolved (lands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedsAction {
    /// Skipped with the event kept: an operator's replay.
    Skipped,
    /// Failed with the event kept: the nightly's re-drive.
    Failed,
}

impl NeedsAction {
    pub fn as_str(self) -> &'static str {
        match self {
            NeedsAction::Skipped => "skipped",
            NeedsAction::Failed => "failed",
        }
    }
}

/// Which rows needing action to read: recorded in `[from, to]`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionQuery {
    pub kind: NeedsAction,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl ActionQuery {
    pub fn all(kind: NeedsAction) -> Self {
        Self {
            kind,
            from: None,
            to: None,
        }
    }
}

/// Reading the ledger back through keys and indexes sized by the answer, never the
/// integration's whole history: summaries, the most recent problems, one event, the rows
/// still needing action, and the recent days' counts.
#[async_trait]
pub trait LedgerHistory: Send + Sync {
    /// Every push type's summary that has one (one Query of the summary records).
    async fn summaries(
        &self,
        integration: &IntegrationId,
    ) -> Result<Vec<LedgerSummary>, StoreError>;
    /// The most recent problem rows of a push type (failed, skipped, landed with a
    /// remark), newest first, at most `limit`.
    async fn recent_problems(
        &self,
        integration: &IntegrationId,
        push_type: PushType,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>, StoreError>;
    /// One event's row, if it was recorded (and has not expired).
    async fn entry(
        &self,
        integration: &IntegrationId,
        event: &EventId,
    ) -> Result<Option<LedgerEntry>, StoreError>;
    /// One page of the rows still needing action, oldest first.
    async fn needing_action(
        &self,
        integration: &IntegrationId,
        query: &ActionQuery,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError>;
    /// Rows recorded since `since` (to the hour), per push type: the nightly report's
    /// counts, from the per-day count records.
    async fn counts_since(
        &self,
        integration: &IntegrationId,
        since: DateTime<Utc>,
    ) -> Result<BTreeMap<String, Counts>, StoreError>;
}

/// A replay of skipped events that outgrew one request: where it is, so the next chunk
/// (the hourly nightly-sync starter, or the next call) carries on from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayJob {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_type: Option<PushType>,
    pub started_at: DateTime<Utc>,
    /// Only rows recorded up to the start: a row skipped again later is not replayed twice.
    pub until: DateTime<Utc>,
    /// The encoded cursor of the next chunk; `None` when the job is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub report: ReplayReport,
    pub updated_at: DateTime<Utc>,
}

impl ReplayJob {
    /// A job replaying what was skipped up to `now`.
    pub fn new(push_type: Option<PushType>, now: DateTime<Utc>) -> Self {
        Self {
            push_type,
            started_at: now,
            until: now,
            cursor: None,
            report: ReplayReport::default(),
            updated_at: now,
        }
    }

    pub fn done(&self) -> bool {
        self.cursor.is_none()
    }
}

/// Where replay jobs are kept (one per integration: a new replay replaces a finished one).
#[async_trait]
pub trait ReplayJobs: Send + Sync {
    async fn get(&self, integration: &IntegrationId) -> Result<Option<ReplayJob>, StoreError>;
    async fn put(&self, integration: &IntegrationId, job: &ReplayJob) -> Result<(), StoreError>;
}

/// Puts a recorded event back on its push type's queue (replay, nightly re-drive).
/// The pipeline's idempotency makes a re-sent event land at most once.
#[async_trait]
pub trait EventQueues: Send + Sync {
    async fn resend(&self, entry: &ResendEvent<'_>) -> Result<(), StoreError>;
}

/// What [`EventQueues::resend`] needs of a ledger row.
#[derive(Debug, Clone)]
pub struct ResendEvent<'a> {
    pub push_type: PushType,
    pub integration_id: &'a IntegrationId,
    pub event_id: &'a str,
    /// The FIFO message group (`{integration}#{case}`), as Hona sends it.
    pub group: String,
    pub body: &'a str,
}

/// Keeping the MyCase connection alive, for the nightly sync.
#[async_trait]
pub trait MyCaseHealth: Send + Sync {
    /// Spends the refresh token for a new pair: MyCase's two-week refresh window starts
    /// again. `reconnect_needed` when MyCase refuses the grant.
    async fn keep_alive(&self, integration: &Integration) -> Result<(), PushError>;
    /// One cheap authenticated call (`GET /v1/firm`).
    async fn check(&self, integration: &Integration) -> Result<(), PushError>;
}

/// What the nightly sync learns about form mappings (issue 4's catalogue and mappings).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MappingCheck {
    /// Case custom fields in the refreshed catalogue.
    pub fields: usize,
    pub mappings_checked: usize,
    /// Every mapping found broken.
    pub broken: Vec<BrokenMapping>,
}

/// A form mapping that cannot be written through, and why (ids only, never values).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrokenMapping {
    pub form_id: String,
    pub question_id: String,
    pub field_id: i64,
    /// `field_deleted`, `field_retyped`, `option_gone`, `not_a_case_field`, `question_retyped`.
    pub kind: hona_domain::Reason,
    pub reason: String,
}

impl BrokenMapping {
    /// The broken mappings of a mapping store's list.
    pub fn of(mappings: &[hona_domain::forms::Mapping]) -> Vec<BrokenMapping> {
        mappings
            .iter()
            .filter_map(|m| match &m.status {
                hona_domain::forms::MappingStatus::Broken(b) => Some(BrokenMapping {
                    form_id: m.form_id.to_string(),
                    question_id: m.question_id.to_string(),
                    field_id: m.field_id.get(),
                    kind: b.kind.clone(),
                    reason: b.reason.clone(),
                }),
                hona_domain::forms::MappingStatus::Ok => None,
            })
            .collect()
    }
}

/// Issue 4's upkeep is the nightly's mapping check: one read of MyCase's fields refreshes
/// the catalogue and re-checks every mapping; the broken ones are then listed by reason.
#[async_trait]
impl FormMappingCheck for hona_domain::forms::FormFieldUpkeep {
    async fn refresh_and_recheck(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<MappingCheck, PushError> {
        let report = self.recheck_mappings(integration, deadline).await?;
        let fields = self
            .mappings
            .catalogue(&integration.id)
            .await?
            .map(|c| c.fields.len())
            .unwrap_or(0);
        let mappings = self.mappings.list(&integration.id).await?;
        Ok(MappingCheck {
            fields,
            mappings_checked: report.checked,
            broken: BrokenMapping::of(&mappings),
        })
    }
}

/// Refreshes the cached custom-field catalogue and re-checks every form mapping,
/// marking broken ones with their reason.
#[async_trait]
pub trait FormMappingCheck: Send + Sync {
    async fn refresh_and_recheck(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<MappingCheck, PushError>;
}

/// Single use of a connect `state`: the first caller wins, a replay is refused.
#[async_trait]
pub trait StateNonces: Send + Sync {
    /// `Ok(true)` the first time `nonce` is used; `Ok(false)` ever after (until it expires).
    async fn consume(&self, nonce: &str, expires_at: DateTime<Utc>) -> Result<bool, StoreError>;
}

/// MyCase's side of the OAuth connection.
#[async_trait]
pub trait MyCaseOAuth: Send + Sync {
    /// The authorize page URL carrying `state`.
    async fn authorize_url(&self, state: &str) -> Result<String, PushError>;
    /// Trades the code from the redirect for the first token set (with `firm_uuid`).
    async fn exchange_code(&self, code: &str) -> Result<TokenSet, PushError>;
    /// The staff member the tokens act as (`GET /v1/me`).
    async fn authorised_by(&self, tokens: &TokenSet) -> Result<StaffId, PushError>;
}

/// Where an integration's tokens are kept (Secrets Manager, `{prefix}/tokens/{id}`).
#[async_trait]
pub trait TokenVault: Send + Sync {
    /// Creates or replaces the integration's tokens.
    async fn store(&self, integration: &IntegrationId, tokens: &TokenSet)
    -> Result<(), StoreError>;
}

/// The nightly starter's fan-out: one message per integration due (the nightly queue).
#[async_trait]
pub trait NightlyFanOut: Send + Sync {
    /// `run` names the run (the scheduled hour), for FIFO de-duplication. Returns how many
    /// messages were sent.
    async fn send(&self, integrations: &[IntegrationId], run: &str) -> Result<usize, StoreError>;
}
