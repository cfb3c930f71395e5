//! Single use of a connect `state`: table `HONA_LEASES_TABLE` (shared with the refresh
//! leases: one small item per connection attempt), key `lease_id` =
//! `connect-state#{nonce}`, `expires_at` (epoch ms) and `expiration` (epoch seconds,
//! for a TTL on the table if one is set).

use super::{condition_failed, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;
use hona_operations::ports::StateNonces;

pub struct DynamoStateNonces {
    client: Client,
    table: String,
}

impl DynamoStateNonces {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl StateNonces for DynamoStateNonces {
    async fn consume(&self, nonce: &str, expires_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("lease_id", s(format!("connect-state#{nonce}")))
            .item("expires_at", n(expires_at.timestamp_millis()))
            .item("expiration", n(expires_at.timestamp() + 86_400))
            .condition_expression("attribute_not_exists(lease_id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("connect_states", "consume", e)),
        }
    }
}
