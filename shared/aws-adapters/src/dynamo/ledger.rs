//! The ledger: table `HONA_LEDGER_TABLE`, key (`integration_id`, `event_id`).
//!
//! One row per event with its outcome (`landed` | `skipped` | `failed`), the reason,
//! the MyCase ids, and (for skipped and failed events) the event itself for replay.

use super::{condition_failed, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use hona_push::StoreError;
use hona_push::outcome::{LedgerEntry, Outcome};
use hona_push::ports::Ledger;

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
            Outcome::Landed { refs, remarks } => {
                let refs = refs
                    .iter()
                    .map(|r| AttributeValue::S(format!("{}:{}", r.kind, r.id)))
                    .collect();
                put = put.item("mycase_refs", AttributeValue::L(refs));
                if !remarks.is_empty() {
                    let remarks = remarks
                        .iter()
                        .map(|r| AttributeValue::S(format!("{}: {}", r.kind, r.detail)))
                        .collect();
                    put = put.item("remarks", AttributeValue::L(remarks));
                }
            }
            Outcome::Skipped { reason } => put = put.item("reason", s(reason.clone())),
            Outcome::Failed {
                kind,
                reason,
                permanent,
            } => {
                put = put
                    .item("failure_kind", s(kind.clone()))
                    .item("reason", s(reason.clone()))
                    .item("permanent", AttributeValue::Bool(*permanent));
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
