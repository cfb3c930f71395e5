//! What the admin API and the CLI both do with an integration, over the ports.

use crate::ports::{BrokenMapping, EventQueues, IntegrationAdmin, LedgerFilter, LedgerHistory};
use crate::replay::{self, ReplayReport};
use crate::status::{self, EventExplanation, IntegrationStatus};
use hona_domain::StoreError;
use hona_domain::forms::MappingStore;
use hona_domain::ids::{EventId, IntegrationId};
use hona_domain::outcome::PushType;
use std::sync::Arc;

/// A push type by its name (`messages`, `form_fields`, …; `form-fields` too).
pub fn parse_push_type(raw: &str) -> Option<PushType> {
    let raw = raw.trim().replace('-', "_");
    [
        PushType::Messages,
        PushType::Notifications,
        PushType::Documents,
        PushType::FormFields,
        PushType::Leads,
    ]
    .into_iter()
    .find(|p| p.as_str() == raw)
}

#[derive(Clone)]
pub struct Operations {
    pub admin: Arc<dyn IntegrationAdmin>,
    pub ledger: Arc<dyn LedgerHistory>,
    pub queues: Arc<dyn EventQueues>,
    /// Form Field Mapping's store: the status lists broken mappings.
    pub mappings: Arc<dyn MappingStore>,
}

impl Operations {
    /// `Ok(None)`: no such integration.
    pub async fn status(
        &self,
        id: &IntegrationId,
    ) -> Result<Option<IntegrationStatus>, StoreError> {
        let Some(record) = self.admin.record(id).await? else {
            return Ok(None);
        };
        let ledger = self.ledger.entries(id, LedgerFilter::All).await?;
        let broken = BrokenMapping::of(&self.mappings.list(id).await?);
        Ok(Some(status::status(&record, &ledger, &broken)))
    }

    pub async fn explain(
        &self,
        id: &IntegrationId,
        event: &EventId,
    ) -> Result<EventExplanation, StoreError> {
        let ledger = self.ledger.entries(id, LedgerFilter::All).await?;
        Ok(status::explain_event(&ledger, event))
    }

    /// Re-sends every skipped event of the integration (of one push type, if given).
    /// `progress(done, total)` after each.
    pub async fn replay_skipped(
        &self,
        id: &IntegrationId,
        push_type: Option<PushType>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ReplayReport, StoreError> {
        let entries = self
            .ledger
            .entries(id, LedgerFilter::Outcome("skipped"))
            .await?;
        let rows = replay::skipped(&entries, push_type);
        let total = rows.len();
        progress(0, total);
        Ok(replay::resend(&rows, self.queues.as_ref(), &|done| progress(done, total)).await)
    }
}
