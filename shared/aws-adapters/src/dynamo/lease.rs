//! The token-refresh lease: table `HONA_LEASES_TABLE`, key `lease_id`
//! (`refresh#{integration_id}`), `owner`, `expires_at` (epoch ms).
//!
//! MyCase refresh tokens are single-use: two Lambda instances refreshing one
//! integration at once would burn the token and lock the firm out. Only the holder
//! of this lease may refresh; a holder that dies loses it when it expires.

use super::{condition_failed, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::Utc;
use mycase_client::{RefreshLease, TokenStoreError};
use std::time::Duration;

pub struct DynamoRefreshLease {
    client: Client,
    table: String,
    lease_id: String,
}

impl DynamoRefreshLease {
    pub fn new(client: Client, table: String, integration: &str) -> Self {
        Self {
            client,
            table,
            lease_id: format!("refresh#{integration}"),
        }
    }
}

fn lease_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> TokenStoreError {
    TokenStoreError::transient(store_error("leases", operation, e).to_string())
}

#[async_trait]
impl RefreshLease for DynamoRefreshLease {
    async fn try_acquire(&self, owner: &str, ttl: Duration) -> Result<bool, TokenStoreError> {
        let now = Utc::now().timestamp_millis();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("lease_id", s(&self.lease_id))
            .item("owner", s(owner))
            .item("expires_at", n(now + ttl.as_millis() as i64))
            .condition_expression(
                "attribute_not_exists(lease_id) OR expires_at < :now OR #owner = :owner",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(lease_error("acquire", e)),
        }
    }

    async fn release(&self, owner: &str) -> Result<(), TokenStoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("lease_id", s(&self.lease_id))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(lease_error("release", e)),
        }
    }
}
