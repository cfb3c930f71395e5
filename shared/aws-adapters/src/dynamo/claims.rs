//! A table of *claimed slots*: one row per thing that must be created in MyCase at most
//! once (a case's Communications thread, a lead's client). While one racer creates it
//! the row holds a claim (`owner`, `claim_until` epoch ms); once created, the MyCase id
//! (`value` attribute) and the time. A claim that lapsed (its owner died) can be taken
//! over; a row with the id never can. Case threads and lead conversions are this, with
//! their own key and id attribute names.

use super::{condition_failed, get_n, get_s, n, s, store_error};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;

/// What a slot holds.
pub(crate) enum Slot {
    /// Created in MyCase: its id.
    Created(i64),
    /// Someone is creating it; their claim lapses at `until`.
    Claimed { owner: String, until: DateTime<Utc> },
}

pub(crate) struct ClaimTable {
    pub client: Client,
    pub table: String,
    /// The store's name in errors (`case_threads`, `leads`).
    pub store: &'static str,
    /// The partition key attribute (`case_key`, `lead_key`).
    pub key: &'static str,
    /// The MyCase id attribute (`thread_id`, `client_id`).
    pub value: &'static str,
    /// When it was created (`created_at`, `converted_at`).
    pub created_at: &'static str,
}

impl ClaimTable {
    pub async fn get(&self, key: &str) -> Result<Option<Slot>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(self.key, s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(self.store, "get", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        if let Some(value) = get_n(&item, self.value) {
            return Ok(Some(Slot::Created(value)));
        }
        let owner = get_s(&item, "owner").unwrap_or_default().to_owned();
        let until = get_n(&item, "claim_until")
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Ok(Some(Slot::Claimed { owner, until }))
    }

    /// Takes the slot when it is empty or its claim lapsed before `now`.
    pub async fn claim(
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
            .item(self.key, s(key))
            .item("owner", s(owner))
            .item("claim_until", n(until.timestamp_millis()))
            .condition_expression(
                "attribute_not_exists(#key) OR (attribute_not_exists(#value) AND claim_until < :now)",
            )
            .expression_attribute_names("#key", self.key)
            .expression_attribute_names("#value", self.value)
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(store_error(self.store, "claim", e)),
        }
    }

    /// Records the MyCase id; only the claim's owner may.
    pub async fn set_created(&self, key: &str, owner: &str, value: i64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(self.key, s(key))
            .update_expression("SET #value = :value, #at = :at REMOVE claim_until")
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#value", self.value)
            .expression_attribute_names("#at", self.created_at)
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":value", n(value))
            .expression_attribute_values(":at", s(Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(|e| store_error(self.store, "set_created", e))?;
        Ok(())
    }

    /// Gives up an owner's claim on a slot that was never created.
    pub async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(self.key, s(key))
            .condition_expression("#owner = :owner AND attribute_not_exists(#value)")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#value", self.value)
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error(self.store, "release", e)),
        }
    }

    /// Empties a slot that holds exactly `value` (the record is gone in MyCase).
    pub async fn forget(&self, key: &str, value: i64) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(self.key, s(key))
            .condition_expression("#value = :value")
            .expression_attribute_names("#value", self.value)
            .expression_attribute_values(":value", n(value))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error(self.store, "forget", e)),
        }
    }
}
