//! The ledger: table `HONA_LEDGER_TABLE`, key (`integration_id`, `event_id`).
//!
//! One row per event with its outcome (`landed` | `skipped` | `failed`), the reason,
//! the MyCase ids, and (for skipped and failed events) the event itself for replay.

use super::{Item, condition_failed, get_bool, get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use hona_domain::StoreError;
use hona_domain::ids::{CaseId, EventId, IntegrationId};
use hona_domain::outcome::{LedgerEntry, MyCaseRef, Outcome, PushType, Remark};
use hona_domain::ports::Ledger;
use hona_operations::ports::{LedgerFilter, LedgerHistory};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::warn;

pub struct DynamoLedger {
    client: Client,
    table: String,
    reads: Arc<ReadTally>,
}

/// What this store read from DynamoDB: requests, and items read (a Query's
/// `ScannedCount`: what DynamoDB reads and bills, before any filter). Kept so the history
/// benchmark measures reads instead of computing them.
#[derive(Debug, Default)]
pub struct ReadTally {
    requests: AtomicU64,
    items: AtomicU64,
}

impl ReadTally {
    fn add(&self, requests: u64, items: u64) {
        self.requests.fetch_add(requests, Ordering::Relaxed);
        self.items.fetch_add(items, Ordering::Relaxed);
    }

    /// `(requests, items)` since the last call.
    pub fn take(&self) -> (u64, u64) {
        (
            self.requests.swap(0, Ordering::Relaxed),
            self.items.swap(0, Ordering::Relaxed),
        )
    }
}

impl DynamoLedger {
    pub fn new(client: Client, table: String) -> Self {
        Self {
            client,
            table,
            reads: Arc::default(),
        }
    }

    /// The reads this store made (shared: clones of the `Arc` see the same counts).
    pub fn reads(&self) -> Arc<ReadTally> {
        self.reads.clone()
    }
}

/// The row [`Ledger::record`] writes for an entry (the history benchmark seeds the same).
pub fn row_item(entry: &LedgerEntry) -> Item {
    let mut item = Item::new();
    item.insert("integration_id".into(), s(entry.integration_id.as_str()));
    item.insert("event_id".into(), s(entry.event_id.as_str()));
    item.insert("event_type".into(), s(entry.event_type.clone()));
    item.insert("push_type".into(), s(entry.push_type.as_str()));
    item.insert("outcome".into(), s(entry.outcome.name()));
    item.insert("recorded_at".into(), s(entry.recorded_at.to_rfc3339()));
    if let Some(case) = entry.case_id {
        item.insert("case_id".into(), n(case.get()));
    }
    if !entry.event_time.is_empty() {
        item.insert("event_time".into(), s(entry.event_time.clone()));
    }
    if let Some(json) = &entry.event_json {
        item.insert("event".into(), s(json.clone()));
    }
    match &entry.outcome {
        Outcome::Landed { refs, remarks } => {
            let refs = refs
                .iter()
                .map(|r| AttributeValue::S(format!("{}:{}", r.kind, r.id)))
                .collect();
            item.insert("mycase_refs".into(), AttributeValue::L(refs));
            if !remarks.is_empty() {
                let remarks = remarks
                    .iter()
                    .map(|r| AttributeValue::S(format!("{}: {}", r.kind, r.detail)))
                    .collect();
                item.insert("remarks".into(), AttributeValue::L(remarks));
            }
        }
        Outcome::Skipped { reason } => {
            item.insert("reason".into(), s(reason.clone()));
        }
        Outcome::Failed {
            kind,
            reason,
            permanent,
        } => {
            item.insert("failure_kind".into(), s(kind.clone()));
            item.insert("reason".into(), s(reason.clone()));
            item.insert("permanent".into(), AttributeValue::Bool(*permanent));
        }
    }
    item
}

#[async_trait]
impl Ledger for DynamoLedger {
    async fn record(&self, entry: &LedgerEntry) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row_item(entry)));
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
        "landed" => Outcome::Landed {
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
                    Some((kind, detail)) => Remark::new(kind, detail),
                    None => Remark::new(r.clone(), ""),
                })
                .collect(),
        },
        "skipped" => Outcome::Skipped {
            reason: get_s(item, "reason").unwrap_or_default().to_owned(),
        },
        "failed" => Outcome::Failed {
            kind: get_s(item, "failure_kind").unwrap_or("unknown").to_owned(),
            reason: get_s(item, "reason").unwrap_or_default().to_owned(),
            permanent: get_bool(item, "permanent").unwrap_or(true),
        },
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
            self.reads.add(1, out.scanned_count().max(0) as u64);
            entries.extend(out.items().iter().filter_map(parse_entry));
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(entries)
    }
}
