//! Case threads: table `HONA_CASE_THREADS_TABLE`, key `case_key`
//! (`{integration_id}#{case_id}`): `thread_id` (N) once created, or a creation
//! claim (`owner`, `claim_until` epoch ms) while one racer creates it.

use super::{condition_failed, get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_push::StoreError;
use hona_push::ports::{CaseThreads, ThreadSlot};

pub struct DynamoThreads {
    client: Client,
    table: String,
}

impl DynamoThreads {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl CaseThreads for DynamoThreads {
    async fn get(&self, key: &str) -> Result<Option<ThreadSlot>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("case_key", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("case_threads", "get", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        if let Some(thread) = get_n(&item, "thread_id") {
            return Ok(Some(ThreadSlot::Ready(thread)));
        }
        let owner = get_s(&item, "owner").unwrap_or_default().to_owned();
        let until = get_n(&item, "claim_until")
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Ok(Some(ThreadSlot::Creating { owner, until }))
    }

    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("case_key", s(key))
            .item("owner", s(owner))
            .item("claim_until", n(until.timestamp_millis()))
            .condition_expression(
                "attribute_not_exists(case_key) OR (attribute_not_exists(thread_id) AND claim_until < :now)",
            )
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("case_threads", "claim", e)),
        }
    }

    async fn set_ready(&self, key: &str, owner: &str, thread: i64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("case_key", s(key))
            .update_expression("SET thread_id = :thread, created_at = :at REMOVE claim_until")
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":thread", n(thread))
            .expression_attribute_values(":at", s(Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(|e| store_error("case_threads", "set_ready", e))?;
        Ok(())
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("case_key", s(key))
            .condition_expression("#owner = :owner AND attribute_not_exists(thread_id)")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error("case_threads", "release", e)),
        }
    }

    async fn forget(&self, key: &str, thread: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("case_key", s(key))
            .condition_expression("thread_id = :thread")
            .expression_attribute_values(":thread", n(thread))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error("case_threads", "forget", e)),
        }
    }
}
