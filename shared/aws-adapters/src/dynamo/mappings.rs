//! Form field mappings: table `HONA_MAPPINGS_TABLE`, key (`integration_id`, `mapping_key`).
//!
//! - A mapping row: `mapping_key` = `form#{form_id}#question#{question_id}`; `form_id`,
//!   `question_id`, `field_id` (N), `status` (`ok` | `broken`), `saved_at`, and the
//!   whole mapping as JSON in `mapping` (the one attribute read back).
//! - The integration's custom-field catalogue: `mapping_key` = `catalogue`, JSON in
//!   `catalogue`, `refreshed_at`. (Ids cannot hold `#`, so no mapping key collides.)

use super::{Item, condition_failed, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::SecondsFormat;
use hona_domain::StoreError;
use hona_domain::forms::catalogue::Catalogue;
use hona_domain::forms::mapping::{Mapping, MappingStatus, mapping_key};
use hona_domain::forms::ports::MappingStore;
use hona_domain::ids::{FormId, IntegrationId, QuestionId};
use std::collections::HashMap;

const STORE: &str = "mappings";
const CATALOGUE_KEY: &str = "catalogue";

pub struct DynamoMappings {
    client: Client,
    table: String,
}

impl DynamoMappings {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// Every mapping row whose key starts with `prefix`, all pages.
    async fn query(
        &self,
        integration: &IntegrationId,
        prefix: &str,
    ) -> Result<Vec<Mapping>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("integration_id = :i AND begins_with(mapping_key, :p)")
                .expression_attribute_values(":i", s(integration.as_str()))
                .expression_attribute_values(":p", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(STORE, "query", e))?;
            for item in page.items() {
                out.push(decode(item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }

    fn saved_at(mapping: &Mapping) -> String {
        mapping.saved_at.to_rfc3339_opts(SecondsFormat::Nanos, true)
    }

    fn item(mapping: &Mapping) -> Result<Item, StoreError> {
        let json = serde_json::to_string(mapping)
            .map_err(|e| StoreError::new(STORE, "encode", e.to_string()))?;
        let status = match mapping.status {
            MappingStatus::Ok => "ok",
            MappingStatus::Broken(_) => "broken",
        };
        Ok(HashMap::from([
            (
                "integration_id".to_owned(),
                s(mapping.integration_id.as_str()),
            ),
            ("mapping_key".to_owned(), s(mapping.key())),
            ("form_id".to_owned(), s(mapping.form_id.as_str())),
            ("question_id".to_owned(), s(mapping.question_id.as_str())),
            ("field_id".to_owned(), n(mapping.field_id.get())),
            ("status".to_owned(), s(status)),
            ("saved_at".to_owned(), s(Self::saved_at(mapping))),
            ("mapping".to_owned(), s(json)),
        ]))
    }
}

fn decode(item: &Item) -> Result<Mapping, StoreError> {
    let json = get_s(item, "mapping")
        .ok_or_else(|| StoreError::new(STORE, "decode", "row has no `mapping` attribute"))?;
    serde_json::from_str(json).map_err(|e| StoreError::new(STORE, "decode", e.to_string()))
}

#[async_trait]
impl MappingStore for DynamoMappings {
    async fn for_form(
        &self,
        integration: &IntegrationId,
        form: &FormId,
    ) -> Result<Vec<Mapping>, StoreError> {
        self.query(integration, &format!("form#{form}#question#"))
            .await
    }

    async fn list(&self, integration: &IntegrationId) -> Result<Vec<Mapping>, StoreError> {
        self.query(integration, "form#").await
    }

    async fn put(&self, mapping: &Mapping) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(mapping)?))
            .send()
            .await
            .map_err(|e| store_error(STORE, "put", e))?;
        Ok(())
    }

    async fn delete(
        &self,
        integration: &IntegrationId,
        form: &FormId,
        question: &QuestionId,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("integration_id", s(integration.as_str()))
            .key("mapping_key", s(mapping_key(form, question)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| store_error(STORE, "delete", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn set_status(
        &self,
        mapping: &Mapping,
        status: &MappingStatus,
    ) -> Result<(), StoreError> {
        let mut updated = mapping.clone();
        updated.status = status.clone();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(&updated)?))
            // Only the version that was read: a re-save (new `saved_at`) or a delete wins.
            .condition_expression("saved_at = :saved")
            .expression_attribute_values(":saved", s(Self::saved_at(mapping)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(store_error(STORE, "set_status", e)),
        }
    }

    async fn catalogue(
        &self,
        integration: &IntegrationId,
    ) -> Result<Option<Catalogue>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("integration_id", s(integration.as_str()))
            .key("mapping_key", s(CATALOGUE_KEY))
            .send()
            .await
            .map_err(|e| store_error(STORE, "get_catalogue", e))?;
        let Some(json) = out.item.as_ref().and_then(|i| get_s(i, "catalogue")) else {
            return Ok(None);
        };
        // An unreadable cache is just a miss: it is read again from MyCase.
        Ok(serde_json::from_str(json).ok())
    }

    async fn put_catalogue(
        &self,
        integration: &IntegrationId,
        catalogue: &Catalogue,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(catalogue)
            .map_err(|e| StoreError::new(STORE, "encode", e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("integration_id", s(integration.as_str()))
            .item("mapping_key", s(CATALOGUE_KEY))
            .item("refreshed_at", s(catalogue.refreshed_at.to_rfc3339()))
            .item("catalogue", s(json))
            .send()
            .await
            .map_err(|e| store_error(STORE, "put_catalogue", e))?;
        Ok(())
    }
}
