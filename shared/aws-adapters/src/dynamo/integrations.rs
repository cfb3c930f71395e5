//! Integration records: table `HONA_INTEGRATIONS_TABLE`, key `integration_id`.
//!
//! Attributes: `org_id` (S), `active` (BOOL), `sender_staff_id` (N), `log_target`
//! (S: `thread`|`notes`, default thread), `time_zone` (S, IANA, default UTC),
//! `firm_uuid` (S), `documents_folder` (S), `lead_automation` (S: `automatic`|`manual`,
//! absent: no conversion), `needs_reconnect` (S: the reason, absent when connected).

use super::{Item, get_bool, get_n, get_s, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use hona_push::StoreError;
use hona_push::ids::{IntegrationId, OrgId, StaffId};
use hona_push::integration::{Integration, LeadAutomation, LogTarget};
use hona_push::ports::IntegrationStore;

pub struct DynamoIntegrations {
    client: Client,
    table: String,
}

impl DynamoIntegrations {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl IntegrationStore for DynamoIntegrations {
    async fn get(&self, id: &IntegrationId) -> Result<Option<Integration>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("integration_id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("integrations", "get", e))?;
        out.item.map(|item| parse(id, &item)).transpose()
    }
}

/// A malformed record is a configuration fault: reported (and retried) rather than
/// guessed at, so no event is pushed under the wrong settings.
fn parse(id: &IntegrationId, item: &Item) -> Result<Integration, StoreError> {
    let bad =
        |what: &str| StoreError::new("integrations", "parse", format!("integration {id}: {what}"));
    let org_id = get_s(item, "org_id")
        .and_then(|o| OrgId::parse(o).ok())
        .ok_or_else(|| bad("org_id missing or invalid"))?;
    let sender_staff_id = get_n(item, "sender_staff_id")
        .and_then(|n| StaffId::new(n).ok())
        .ok_or_else(|| bad("sender_staff_id missing or invalid"))?;
    let log_target = match get_s(item, "log_target") {
        None => LogTarget::default(),
        Some(t) => LogTarget::parse(t).ok_or_else(|| bad("log_target must be thread or notes"))?,
    };
    let time_zone = match get_s(item, "time_zone") {
        None => chrono_tz::UTC,
        Some(z) => z
            .parse()
            .map_err(|_| bad("time_zone is not an IANA zone"))?,
    };
    let lead_automation = match get_s(item, "lead_automation") {
        None => None,
        Some(m) => Some(
            LeadAutomation::parse(m)
                .ok_or_else(|| bad("lead_automation must be automatic or manual"))?,
        ),
    };
    Ok(Integration {
        id: id.clone(),
        org_id,
        active: get_bool(item, "active").unwrap_or(false),
        sender_staff_id,
        log_target,
        time_zone,
        firm_uuid: get_s(item, "firm_uuid").map(str::to_owned),
        documents_folder: get_s(item, "documents_folder").map(str::to_owned),
        lead_automation,
        needs_reconnect: get_s(item, "needs_reconnect").map(str::to_owned),
    })
}
