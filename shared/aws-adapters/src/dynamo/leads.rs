//! Lead conversions: table `HONA_LEADS_TABLE`, key `lead_key`
//! (`{integration_id}#{lead_id}`): `client_id` (N) once the lead is linked to its
//! MyCase client, or a conversion claim (`owner`, `claim_until` epoch ms) while one
//! racer converts it. No TTL: the link is what keeps a lead from ever becoming a
//! second client, however late a manual fire comes.

use super::{condition_failed, get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_push::StoreError;
use hona_push::ids::ClientId;
use hona_push::ports::{LeadConversions, LeadSlot};

pub struct DynamoLeadConversions {
    client: Client,
    table: String,
}

impl DynamoLeadConversions {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl LeadConversions for DynamoLeadConversions {
    async fn get(&self, key: &str) -> Result<Option<LeadSlot>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("lead_key", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("leads", "get", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        if let Some(client) = get_n(&item, "client_id") {
            let client = ClientId::new(client)
                .map_err(|e| StoreError::new("leads", "parse", format!("{key}: {e}")))?;
            return Ok(Some(LeadSlot::Converted(client)));
        }
        let owner = get_s(&item, "owner").unwrap_or_default().to_owned();
        let until = get_n(&item, "claim_until")
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Ok(Some(LeadSlot::Converting { owner, until }))
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
            .item("lead_key", s(key))
            .item("owner", s(owner))
            .item("claim_until", n(until.timestamp_millis()))
            .condition_expression(
                "attribute_not_exists(lead_key) OR (attribute_not_exists(client_id) AND claim_until < :now)",
            )
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error("leads", "claim", e)),
        }
    }

    async fn set_converted(
        &self,
        key: &str,
        owner: &str,
        client: ClientId,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("lead_key", s(key))
            .update_expression("SET client_id = :client, converted_at = :at REMOVE claim_until")
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":client", n(client.get()))
            .expression_attribute_values(":at", s(Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(|e| store_error("leads", "set_converted", e))?;
        Ok(())
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("lead_key", s(key))
            .condition_expression("#owner = :owner AND attribute_not_exists(client_id)")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error("leads", "release", e)),
        }
    }
}
