//! Integration records: table `HONA_INTEGRATIONS_TABLE`, key `integration_id`.
//!
//! Attributes: `org_id` (S), `active` (BOOL), `sender_staff_id` (N), `log_target`
//! (S: `thread`|`notes`, default thread), `time_zone` (S, IANA, default UTC),
//! `firm_uuid` (S), `documents_folder` (S), `lead_automation` (S: `automatic`|`manual`,
//! absent: no conversion), `needs_reconnect` (S: the reason, absent when connected),
//! `nightly_hour` (N, 0–23 in `time_zone`, default 0), `last_nightly` (S: the last
//! nightly report as JSON), `connected_at` (S, RFC 3339).

use super::{Item, condition_failed, get_bool, get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use hona_domain::StoreError;
use hona_domain::ids::{IntegrationId, OrgId, StaffId};
use hona_domain::integration::{Integration, LeadAutomation, LogTarget};
use hona_domain::ports::IntegrationStore;
use hona_operations::nightly::NightlyReport;
use hona_operations::paging::{Page, PageRequest};
use hona_operations::ports::IntegrationAdmin;
use hona_operations::settings::{Connection, IntegrationRecord, NightlyHour, SettingsPatch};
use tracing::warn;

pub struct DynamoIntegrations {
    client: Client,
    table: String,
}

impl DynamoIntegrations {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The integration's row, read consistently; the pipeline's `get` and the admin API's
    /// `record` parse it each their own way.
    async fn item(&self, id: &IntegrationId) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("integration_id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("integrations", "get", e))?;
        Ok(out.item)
    }
}

#[async_trait]
impl IntegrationStore for DynamoIntegrations {
    async fn get(&self, id: &IntegrationId) -> Result<Option<Integration>, StoreError> {
        let item = self.item(id).await?;
        item.map(|item| parse(id, &item)).transpose()
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

/// The operations view of a record. A bad `nightly_hour` or report is reported and
/// replaced by its default rather than hiding the integration from operators.
fn parse_record(id: &IntegrationId, item: &Item) -> Result<IntegrationRecord, StoreError> {
    let integration = parse(id, item)?;
    let nightly_hour = get_n(item, "nightly_hour")
        .map(NightlyHour::new)
        .transpose()
        .unwrap_or_else(|_| {
            warn!(integration_id = %id, "nightly_hour out of range; using midnight");
            None
        })
        .unwrap_or_default();
    let last_nightly = get_s(item, "last_nightly").and_then(|raw| {
        serde_json::from_str::<NightlyReport>(raw)
            .map_err(|_| warn!(integration_id = %id, "last_nightly unreadable; ignored"))
            .ok()
    });
    Ok(IntegrationRecord {
        integration,
        nightly_hour,
        last_nightly,
    })
}

impl DynamoIntegrations {
    /// An update of an existing record (`Ok(false)`: there is none).
    async fn update_existing(
        &self,
        id: &IntegrationId,
        set: Vec<(&str, AttributeValue)>,
        remove: Vec<&str>,
    ) -> Result<bool, StoreError> {
        if set.is_empty() && remove.is_empty() {
            return Ok(self.get(id).await?.is_some());
        }
        let mut expr = String::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("integration_id", s(id.as_str()))
            .condition_expression("attribute_exists(integration_id)");
        if !set.is_empty() {
            let parts: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(i, _)| format!("#s{i} = :s{i}"))
                .collect();
            expr.push_str(&format!("SET {}", parts.join(", ")));
        }
        if !remove.is_empty() {
            let parts: Vec<String> = (0..remove.len()).map(|i| format!("#r{i}")).collect();
            expr.push_str(&format!(" REMOVE {}", parts.join(", ")));
        }
        for (i, (name, value)) in set.into_iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#s{i}"), name)
                .expression_attribute_values(format!(":s{i}"), value);
        }
        for (i, name) in remove.into_iter().enumerate() {
            update = update.expression_attribute_names(format!("#r{i}"), name);
        }
        match update.update_expression(expr.trim()).send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("integrations", "update", e)),
        }
    }
}

#[async_trait]
impl IntegrationAdmin for DynamoIntegrations {
    async fn record(&self, id: &IntegrationId) -> Result<Option<IntegrationRecord>, StoreError> {
        let item = self.item(id).await?;
        item.map(|item| parse_record(id, &item)).transpose()
    }

    async fn list(&self) -> Result<Vec<IntegrationRecord>, StoreError> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| store_error("integrations", "scan", e))?;
            for item in out.items() {
                let Some(id) =
                    get_s(item, "integration_id").and_then(|i| IntegrationId::parse(i).ok())
                else {
                    continue;
                };
                match parse_record(&id, item) {
                    Ok(r) => records.push(r),
                    // One bad record must not stop every other firm's nightly run.
                    Err(e) => warn!(integration_id = %id, error = %e, "integration record skipped"),
                }
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        records.sort_by(|a, b| a.integration.id.cmp(&b.integration.id));
        Ok(records)
    }

    async fn page(&self, page: &PageRequest) -> Result<Page<IntegrationRecord>, StoreError> {
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .limit(page.limit as i32)
            .set_exclusive_start_key(page.cursor.as_ref().map(super::cursor_key))
            .send()
            .await
            .map_err(|e| store_error("integrations", "scan", e))?;
        let mut records = Vec::new();
        for item in out.items() {
            let Some(id) = get_s(item, "integration_id").and_then(|i| IntegrationId::parse(i).ok())
            else {
                continue;
            };
            match parse_record(&id, item) {
                Ok(r) => records.push(r),
                Err(e) => warn!(integration_id = %id, error = %e, "integration record skipped"),
            }
        }
        Ok(Page {
            items: records,
            next: out.last_evaluated_key().map(super::key_cursor),
        })
    }

    async fn connected(&self, c: &Connection) -> Result<(), StoreError> {
        // One update creates or refreshes: the settings of an existing record are kept
        // (`if_not_exists`), a new one starts inactive, sending as the authorising user.
        self.client
            .update_item()
            .table_name(&self.table)
            .key("integration_id", s(c.integration_id.as_str()))
            .update_expression(
                "SET firm_uuid = :firm, connected_at = :now, org_id = if_not_exists(org_id, :org), \
                 active = if_not_exists(active, :inactive), \
                 sender_staff_id = if_not_exists(sender_staff_id, :staff) REMOVE needs_reconnect",
            )
            .condition_expression("attribute_not_exists(org_id) OR org_id = :org")
            .expression_attribute_values(":firm", s(c.firm_uuid.clone()))
            .expression_attribute_values(":now", s(chrono::Utc::now().to_rfc3339()))
            .expression_attribute_values(":org", s(c.org_id.as_str()))
            .expression_attribute_values(":inactive", AttributeValue::Bool(false))
            .expression_attribute_values(":staff", n(c.authorised_by.get()))
            .send()
            .await
            .map_err(|e| store_error("integrations", "connect", e))?;
        Ok(())
    }

    async fn set_active(&self, id: &IntegrationId, active: bool) -> Result<bool, StoreError> {
        self.update_existing(id, vec![("active", AttributeValue::Bool(active))], vec![])
            .await
    }

    async fn update_settings(
        &self,
        id: &IntegrationId,
        p: &SettingsPatch,
    ) -> Result<bool, StoreError> {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        if let Some(v) = p.log_target {
            set.push(("log_target", s(v.as_str())));
        }
        if let Some(v) = p.time_zone {
            set.push(("time_zone", s(v.name())));
        }
        if let Some(v) = p.sender_staff_id {
            set.push(("sender_staff_id", n(v.get())));
        }
        match &p.documents_folder {
            Some(Some(f)) => set.push(("documents_folder", s(f.clone()))),
            Some(None) => remove.push("documents_folder"),
            None => {}
        }
        match p.lead_automation {
            Some(Some(m)) => set.push(("lead_automation", s(m.as_str()))),
            Some(None) => remove.push("lead_automation"),
            None => {}
        }
        if let Some(h) = p.nightly_hour {
            set.push(("nightly_hour", n(h.get())));
        }
        self.update_existing(id, set, remove).await
    }

    async fn mark_needs_reconnect(
        &self,
        id: &IntegrationId,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.update_existing(id, vec![("needs_reconnect", s(reason))], vec![])
            .await
            .map(|_| ())
    }

    async fn record_nightly(
        &self,
        id: &IntegrationId,
        report: &NightlyReport,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(report)
            .map_err(|e| StoreError::new("integrations", "nightly_report", e.to_string()))?;
        self.update_existing(id, vec![("last_nightly", s(json))], vec![])
            .await
            .map(|_| ())
    }
}
