//! Idempotency records: table `HONA_IDEMPOTENCY_TABLE`, key `id` (the event id).
//!
//! `status` is `IN_PROGRESS` (with `in_progress_expiry`, epoch ms: the claiming
//! invocation's deadline plus grace) or `COMPLETED` (with `result`, the MyCase ids
//! as JSON). `expiration` (epoch seconds) is the table's TTL attribute: records are
//! kept 30 days, far longer than SQS keeps a message (14 days at most), so no
//! redelivery can outlive its record.

use super::{Item, condition_failed, get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;
use hona_domain::ids::EventId;
use hona_domain::outcome::Landed;
use hona_domain::ports::{Claim, IdempotencyStore};

const KEEP_FOR: chrono::Duration = chrono::Duration::days(30);

pub struct DynamoIdempotency {
    client: Client,
    table: String,
}

impl DynamoIdempotency {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    async fn claim(&self, event: &EventId, until: DateTime<Utc>) -> Result<Claim, StoreError> {
        let now = Utc::now();
        // Take the record if it does not exist, or if it is an in-progress claim
        // whose invocation is past its deadline (it crashed or timed out).
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", s(event.as_str()))
            .item("status", s("IN_PROGRESS"))
            .item("in_progress_expiry", n(until.timestamp_millis()))
            .item("expiration", n((now + KEEP_FOR).timestamp()))
            .condition_expression(
                "attribute_not_exists(id) OR (#status = :in_progress AND in_progress_expiry < :now)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s("IN_PROGRESS"))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let existing = match failed.item() {
                        Some(item) => item.clone(),
                        // Some emulators leave the old item out: read it.
                        None => self.read(event).await?.unwrap_or_default(),
                    };
                    Ok(existing_claim(&existing))
                }
                _ => Err(store_error("idempotency", "claim", e)),
            },
        }
    }

    async fn complete(&self, event: &EventId, landed: &Landed) -> Result<(), StoreError> {
        let result = serde_json::to_string(landed).unwrap_or_default();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("id", s(event.as_str()))
            .item("status", s("COMPLETED"))
            .item("result", s(result))
            .item("completed_at", s(Utc::now().to_rfc3339()))
            .item("expiration", n((Utc::now() + KEEP_FOR).timestamp()))
            .send()
            .await
            .map_err(|e| store_error("idempotency", "complete", e))?;
        Ok(())
    }

    async fn release(&self, event: &EventId) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", s(event.as_str()))
            // Never delete a completed record: that would allow a second push.
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s("IN_PROGRESS"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error("idempotency", "release", e)),
        }
    }
}

impl DynamoIdempotency {
    async fn read(&self, event: &EventId) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(event.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("idempotency", "get", e))?;
        Ok(out.item)
    }
}

fn existing_claim(item: &Item) -> Claim {
    match get_s(item, "status") {
        Some("COMPLETED") => {
            let landed = get_s(item, "result")
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or(Landed::new(Vec::new()));
            Claim::AlreadyLanded(landed)
        }
        Some("IN_PROGRESS") if get_n(item, "in_progress_expiry").is_some() => Claim::InProgress,
        // Unreadable: safest is to wait and try again, never to push twice.
        _ => Claim::InProgress,
    }
}
