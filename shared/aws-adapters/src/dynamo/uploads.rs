//! Upload records: which MyCase document an event's file goes into, kept before its
//! bytes are sent. They live in the idempotency table (`HONA_IDEMPOTENCY_TABLE`) under
//! their own key prefix, `upload#{event id}` (event ids never contain `#`), with the same
//! 30-day TTL (`expiration`): a retry can come as late as SQS keeps a message.
//!
//! Attributes: `document_id` (N); `put_url` (S), `put_headers` (S, JSON) and `expires_at`
//! (N, epoch seconds) while the URL may still be used.

use super::{get_n, get_s, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;
use hona_domain::ids::EventId;
use hona_domain::ports::{UploadRecord, UploadRecords, UploadTarget};

const KEEP_FOR: chrono::Duration = chrono::Duration::days(30);

pub struct DynamoUploads {
    client: Client,
    table: String,
}

impl DynamoUploads {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

fn key(event: &EventId) -> String {
    format!("upload#{}", event.as_str())
}

#[async_trait]
impl UploadRecords for DynamoUploads {
    async fn get(&self, event: &EventId) -> Result<Option<UploadRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(key(event)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("uploads", "get", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let Some(document_id) = get_n(&item, "document_id") else {
            return Err(StoreError::new(
                "uploads",
                "get",
                "record without document_id",
            ));
        };
        let target = get_s(&item, "put_url").map(|url| UploadTarget {
            put_url: url.to_owned(),
            put_headers: get_s(&item, "put_headers")
                .and_then(|h| serde_json::from_str(h).ok())
                .unwrap_or_default(),
            expires_at: get_n(&item, "expires_at")
                .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0)),
        });
        Ok(Some(UploadRecord {
            document_id,
            target,
        }))
    }

    async fn put(&self, event: &EventId, record: &UploadRecord) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", s(key(event)))
            .item("document_id", n(record.document_id))
            .item("recorded_at", s(Utc::now().to_rfc3339()))
            .item("expiration", n((Utc::now() + KEEP_FOR).timestamp()));
        if let Some(t) = &record.target {
            put = put.item("put_url", s(&t.put_url)).item(
                "put_headers",
                s(serde_json::to_string(&t.put_headers).unwrap_or_default()),
            );
            if let Some(at) = t.expires_at {
                put = put.item("expires_at", n(at.timestamp()));
            }
        }
        put.send()
            .await
            .map_err(|e| store_error("uploads", "put", e))?;
        Ok(())
    }
}
