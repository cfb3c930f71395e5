//! Lead conversions: table `HONA_LEADS_TABLE`, key `lead_key`
//! (`{integration_id}#{lead_id}`): `client_id` (N) once the lead is linked to its
//! MyCase client, or a conversion claim (`owner`, `claim_until` epoch ms) while one
//! racer converts it (a `ClaimTable` in `claims.rs`). No TTL: the link is what keeps a lead from
//! ever becoming a second client, however late a manual fire comes.

use super::claims::{ClaimTable, Slot};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;
use hona_domain::ids::ClientId;
use hona_domain::ports::{LeadConversions, LeadSlot};

pub struct DynamoLeadConversions(ClaimTable);

impl DynamoLeadConversions {
    pub fn new(client: Client, table: String) -> Self {
        Self(ClaimTable {
            client,
            table,
            store: "leads",
            key: "lead_key",
            value: "client_id",
            created_at: "converted_at",
        })
    }
}

#[async_trait]
impl LeadConversions for DynamoLeadConversions {
    async fn get(&self, key: &str) -> Result<Option<LeadSlot>, StoreError> {
        Ok(match self.0.get(key).await? {
            None => None,
            Some(Slot::Created(client)) => {
                Some(LeadSlot::Converted(ClientId::new(client).map_err(|e| {
                    StoreError::new("leads", "parse", format!("{key}: {e}"))
                })?))
            }
            Some(Slot::Claimed { owner, until }) => Some(LeadSlot::Converting { owner, until }),
        })
    }

    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.0.claim(key, owner, until, now).await
    }

    async fn set_converted(
        &self,
        key: &str,
        owner: &str,
        client: ClientId,
    ) -> Result<(), StoreError> {
        self.0.set_created(key, owner, client.get()).await
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        self.0.release(key, owner).await
    }
}
