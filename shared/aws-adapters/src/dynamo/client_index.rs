//! The client index (lead matching, `hona_domain::leads::index`) in the leads table
//! (`HONA_LEADS_TABLE`, key `lead_key`), beside the lead conversions. Every item sits
//! under its integration: `{integration_id}#index#…`. A lead's own key is
//! `{integration_id}#{lead_id}` and lead ids hold no `#`, so the two never meet.
//!
//! - `{integration_id}#index#progress`: `state` (`building` / `ready`), `page_token`
//!   (S, while building), `since` / `watermark` (RFC 3339).
//! - `{integration_id}#index#client#{client_id}`: `keys` (SS of `email:…` / `phone:…`),
//!   `updated_at` (S, when MyCase said): the keys it is filed under, to unfile them
//!   when they change.
//! - `{integration_id}#index#email:{address}` / `…#phone:{e164}`: `client_ids` (NS).
//!
//! Only ids, emails and phone numbers: what matching needs (no names, no notes).

use super::{get_s, s, store_error};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;
use hona_domain::ids::{ClientId, IntegrationId};
use hona_domain::ports::{ClientIndex, IndexKey, IndexProgress, IndexedClient};
use std::collections::BTreeSet;

const STORE: &str = "client_index";
const KEY: &str = "lead_key";

pub struct DynamoClientIndex {
    client: Client,
    table: String,
}

impl DynamoClientIndex {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    async fn get(&self, key: &str) -> Result<Option<super::Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(STORE, "get", e))?;
        Ok(out.item)
    }

    /// Adds (`ADD`) or removes (`DELETE`) one client id in a key's set.
    async fn file(
        &self,
        integration: &IntegrationId,
        key: &IndexKey,
        client: ClientId,
        action: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY, s(key_item(integration, key)))
            .update_expression(format!("{action} client_ids :id"))
            .expression_attribute_values(":id", AttributeValue::Ns(vec![client.get().to_string()]))
            .send()
            .await
            .map_err(|e| store_error(STORE, "file", e))?;
        Ok(())
    }

    /// The keys a client is filed under now.
    async fn filed_keys(
        &self,
        integration: &IntegrationId,
        client: ClientId,
    ) -> Result<BTreeSet<IndexKey>, StoreError> {
        let item = self.get(&client_item(integration, client)).await?;
        Ok(item
            .and_then(|i| i.get("keys").and_then(|v| v.as_ss().ok()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|k| decode_key(k))
            .collect())
    }
}

fn progress_item(integration: &IntegrationId) -> String {
    format!("{integration}#index#progress")
}

fn client_item(integration: &IntegrationId, client: ClientId) -> String {
    format!("{integration}#index#client#{}", client.get())
}

fn key_item(integration: &IntegrationId, key: &IndexKey) -> String {
    format!("{integration}#index#{}", encode_key(key))
}

fn encode_key(key: &IndexKey) -> String {
    match key {
        IndexKey::Email(e) => format!("email:{e}"),
        IndexKey::Phone(p) => format!("phone:{p}"),
    }
}

fn decode_key(raw: &str) -> Option<IndexKey> {
    match raw.split_once(':')? {
        ("email", e) => Some(IndexKey::Email(e.to_owned())),
        ("phone", p) => Some(IndexKey::Phone(p.to_owned())),
        _ => None,
    }
}

fn time(item: &super::Item, name: &str) -> Option<DateTime<Utc>> {
    get_s(item, name)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

#[async_trait::async_trait]
impl ClientIndex for DynamoClientIndex {
    async fn progress(
        &self,
        integration: &IntegrationId,
    ) -> Result<Option<IndexProgress>, StoreError> {
        let Some(item) = self.get(&progress_item(integration)).await? else {
            return Ok(None);
        };
        let bad = || StoreError::new(STORE, "parse", "index progress without its time");
        Ok(Some(match get_s(&item, "state") {
            Some("ready") => IndexProgress::Ready {
                watermark: time(&item, "watermark").ok_or_else(bad)?,
            },
            _ => IndexProgress::Building {
                page_token: get_s(&item, "page_token").map(str::to_owned),
                since: time(&item, "since").ok_or_else(bad)?,
            },
        }))
    }

    async fn set_progress(
        &self,
        integration: &IntegrationId,
        progress: &IndexProgress,
    ) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, s(progress_item(integration)));
        let put = match progress {
            IndexProgress::Ready { watermark } => put
                .item("state", s("ready"))
                .item("watermark", s(watermark.to_rfc3339())),
            IndexProgress::Building { page_token, since } => {
                let put = put
                    .item("state", s("building"))
                    .item("since", s(since.to_rfc3339()));
                match page_token {
                    Some(t) => put.item("page_token", s(t.as_str())),
                    None => put,
                }
            }
        };
        put.send()
            .await
            .map_err(|e| store_error(STORE, "set_progress", e))?;
        Ok(())
    }

    async fn put_client(
        &self,
        integration: &IntegrationId,
        client: &IndexedClient,
    ) -> Result<(), StoreError> {
        let filed = self.filed_keys(integration, client.id).await?;
        for gone in filed.difference(&client.keys) {
            self.file(integration, gone, client.id, "DELETE").await?;
        }
        for new in client.keys.difference(&filed) {
            self.file(integration, new, client.id, "ADD").await?;
        }
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, s(client_item(integration, client.id)));
        // A string set cannot be empty: a client with no email or number has no `keys`.
        if !client.keys.is_empty() {
            put = put.item(
                "keys",
                AttributeValue::Ss(client.keys.iter().map(encode_key).collect()),
            );
        }
        if let Some(t) = client.updated_at {
            put = put.item("updated_at", s(t.to_rfc3339()));
        }
        put.send()
            .await
            .map_err(|e| store_error(STORE, "put_client", e))?;
        Ok(())
    }

    async fn remove_client(
        &self,
        integration: &IntegrationId,
        client: ClientId,
    ) -> Result<(), StoreError> {
        for key in self.filed_keys(integration, client).await? {
            self.file(integration, &key, client, "DELETE").await?;
        }
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, s(client_item(integration, client)))
            .send()
            .await
            .map_err(|e| store_error(STORE, "remove_client", e))?;
        Ok(())
    }

    async fn clients_with(
        &self,
        integration: &IntegrationId,
        key: &IndexKey,
    ) -> Result<Vec<ClientId>, StoreError> {
        let item = self.get(&key_item(integration, key)).await?;
        let ids = item
            .and_then(|i| i.get("client_ids").and_then(|v| v.as_ns().ok()).cloned())
            .unwrap_or_default();
        Ok(ids
            .iter()
            .filter_map(|id| id.parse::<i64>().ok())
            .filter_map(|id| ClientId::new(id).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_stay_under_their_integration() {
        for key in [
            IndexKey::Email("jane.doe@example.com".into()),
            IndexKey::Phone("+15035550142".into()),
        ] {
            assert_eq!(decode_key(&encode_key(&key)), Some(key.clone()));
            let int = IntegrationId::parse("int_a").unwrap();
            assert!(key_item(&int, &key).starts_with("int_a#index#"));
        }
        let int = IntegrationId::parse("int_a").unwrap();
        assert_eq!(progress_item(&int), "int_a#index#progress");
        assert_eq!(
            client_item(&int, ClientId::new(7).unwrap()),
            "int_a#index#client#7"
        );
    }
}
