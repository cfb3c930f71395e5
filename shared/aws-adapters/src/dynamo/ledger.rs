//! The ledger: table `HONA_LEDGER_TABLE`, key (`integration_id`, `event_id`).
//!
//! One row per event with its outcome (`landed` | `skipped` | `failed`), the reason,
//! the MyCase ids, and (for skipped and failed events) the event itself for replay.

use super::{Item, condition_failed, get_bool, get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use hona_domain::ids::{CaseId, EventId, IntegrationId};
use hona_domain::outcome::{Landed, LedgerEntry, MyCaseRef, Outcome, PushType, Remark};
use hona_domain::ports::Ledger;
use hona_domain::{PushError, Reason, StoreError};
use hona_operations::ports::{LedgerFilter, LedgerHistory};
use tracing::warn;

pub struct DynamoLedger {
    client: Client,
    table: String,
}

impl DynamoLedger {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl Ledger for DynamoLedger {
    async fn record(&self, entry: &LedgerEntry) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("integration_id", s(entry.integration_id.as_str()))
            .item("event_id", s(entry.event_id.as_str()))
            .item("event_type", s(entry.event_type.clone()))
            .item("push_type", s(entry.push_type.as_str()))
            .item("outcome", s(entry.outcome.name()))
            .item("recorded_at", s(entry.recorded_at.to_rfc3339()));
        if let Some(case) = entry.case_id {
            put = put.item("case_id", n(case.get()));
        }
        if !entry.event_time.is_empty() {
            put = put.item("event_time", s(entry.event_time.clone()));
        }
        if let Some(json) = &entry.event_json {
            put = put.item("event", s(json.clone()));
        }
        match &entry.outcome {
            Outcome::Landed(landed) => {
                let refs = landed
                    .refs
                    .iter()
                    .map(|r| AttributeValue::S(format!("{}:{}", r.kind, r.id)))
                    .collect();
                put = put.item("mycase_refs", AttributeValue::L(refs));
                if !landed.remarks.is_empty() {
                    let remarks = landed
                        .remarks
                        .iter()
                        .map(|r| AttributeValue::S(format!("{}: {}", r.kind, r.detail)))
                        .collect();
                    put = put.item("remarks", AttributeValue::L(remarks));
                }
            }
            Outcome::Skipped { reason } => put = put.item("reason", s(reason.to_string())),
            Outcome::Failed(failure) => {
                put = put
                    .item("failure_kind", s(failure.reason.to_string()))
                    .item("reason", s(failure.detail.clone()))
                    .item("permanent", AttributeValue::Bool(failure.permanent));
            }
        }
        if !matches!(entry.outcome, Outcome::Landed { .. }) {
            // A landed row stays landed: a late duplicate (say, after deactivation)
            // must not make a delivered event look lost.
            put = put
                .condition_expression("attribute_not_exists(event_id) OR outcome <> :landed")
                .expression_attribute_values(":landed", s("landed"));
        }
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error("ledger", "record", e)),
        }
    }
}

fn push_type(raw: &str) -> Option<PushType> {
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

fn strings(item: &Item, key: &str) -> Vec<String> {
    item.get(key)
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
        .unwrap_or_default()
}

/// A row as [`Ledger::record`] wrote it. `None` for a row this code cannot read
/// (logged by id, never dropped silently).
fn parse_entry(item: &Item) -> Option<LedgerEntry> {
    let integration_id = IntegrationId::parse(get_s(item, "integration_id")?).ok()?;
    let event_id = EventId::parse(get_s(item, "event_id")?).ok()?;
    let Some(push) = get_s(item, "push_type").and_then(push_type) else {
        warn!(event_id = %event_id, "ledger row with an unknown push type");
        return None;
    };
    let outcome = match get_s(item, "outcome")? {
        "landed" => Outcome::Landed(Landed {
            refs: strings(item, "mycase_refs")
                .iter()
                .filter_map(|r| {
                    let (kind, id) = r.rsplit_once(':')?;
                    Some(MyCaseRef::new(kind, id.parse().ok()?))
                })
                .collect(),
            remarks: strings(item, "remarks")
                .iter()
                .map(|r| match r.split_once(": ") {
                    Some((kind, detail)) => Remark::new(Reason::parse(kind), detail),
                    None => Remark::new(Reason::parse(r), ""),
                })
                .collect(),
        }),
        "skipped" => Outcome::Skipped {
            reason: Reason::parse(get_s(item, "reason").unwrap_or_default()),
        },
        "failed" => Outcome::Failed(PushError {
            reason: Reason::parse(get_s(item, "failure_kind").unwrap_or("unknown")),
            detail: get_s(item, "reason").unwrap_or_default().to_owned(),
            permanent: get_bool(item, "permanent").unwrap_or(true),
        }),
        _ => return None,
    };
    Some(LedgerEntry {
        integration_id,
        event_id,
        event_type: get_s(item, "event_type").unwrap_or_default().to_owned(),
        push_type: push,
        case_id: get_n(item, "case_id").and_then(|c| CaseId::new(c).ok()),
        event_time: get_s(item, "event_time").unwrap_or_default().to_owned(),
        recorded_at: get_s(item, "recorded_at")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
        outcome,
        event_json: get_s(item, "event").map(str::to_owned),
    })
}

/// A Query on the integration's partition (every page). Cost grows with the
/// integration's history; see `docs/known-limits.md`.
#[async_trait]
impl LedgerHistory for DynamoLedger {
    async fn entries(
        &self,
        integration: &IntegrationId,
        filter: LedgerFilter,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("integration_id = :i")
                .expression_attribute_values(":i", s(integration.as_str()))
                .set_exclusive_start_key(start);
            if let LedgerFilter::Outcome(outcome) = filter {
                query = query
                    .filter_expression("outcome = :o")
                    .expression_attribute_values(":o", s(outcome));
            }
            let out = query
                .send()
                .await
                .map_err(|e| store_error("ledger", "query", e))?;
            entries.extend(out.items().iter().filter_map(parse_entry));
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(entries)
    }
}
