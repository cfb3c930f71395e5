//! Putting events back on their push type's queue (replay, nightly re-drive), and the
//! nightly fan-out. FIFO queues get the case as message group (a case's events stay in
//! order) and a fresh deduplication id: a replay is a deliberate second delivery, and
//! the pipeline's idempotency, not SQS's five-minute window, makes it land once.

use crate::config::QueueUrls;
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use hona_domain::StoreError;
use hona_domain::ids::IntegrationId;
use hona_operations::ports::{EventQueues, ResendEvent};

pub struct SqsEventQueues {
    client: Client,
    urls: QueueUrls,
}

impl SqsEventQueues {
    pub fn new(client: Client, urls: QueueUrls) -> Self {
        Self { client, urls }
    }
}

fn sqs_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> StoreError {
    StoreError::new(
        "queues",
        operation,
        aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
    )
}

/// Sends one body to a queue; FIFO queues need `group` and take `dedup`.
pub async fn send(
    client: &Client,
    url: &str,
    body: &str,
    group: &str,
    dedup: &str,
) -> Result<(), StoreError> {
    let mut send = client.send_message().queue_url(url).message_body(body);
    if url.ends_with(".fifo") {
        send = send
            .message_group_id(group)
            .message_deduplication_id(dedup.chars().take(128).collect::<String>());
    }
    send.send().await.map_err(|e| sqs_error("send", e))?;
    Ok(())
}

#[async_trait]
impl EventQueues for SqsEventQueues {
    async fn resend(&self, e: &ResendEvent<'_>) -> Result<(), StoreError> {
        let url = self.urls.for_push_type(e.push_type).ok_or_else(|| {
            StoreError::new(
                "queues",
                "resend",
                format!("{} is not set", QueueUrls::variable(e.push_type)),
            )
        })?;
        let dedup = format!(
            "{}-replay-{}",
            e.event_id,
            chrono::Utc::now().timestamp_millis()
        );
        send(&self.client, url, e.body, &e.group, &dedup).await
    }
}

/// The nightly starter's fan-out: one message per integration due.
pub struct NightlyQueue {
    client: Client,
    url: String,
}

impl NightlyQueue {
    pub fn new(client: Client, url: String) -> Self {
        Self { client, url }
    }
}

#[async_trait]
impl hona_operations::ports::NightlyFanOut for NightlyQueue {
    /// Up to ten per `SendMessageBatch` call: 1,000 integrations are 100 calls.
    async fn send(&self, ids: &[IntegrationId], run: &str) -> Result<usize, StoreError> {
        use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
        let fifo = self.url.ends_with(".fifo");
        let mut sent = 0;
        for chunk in ids.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let body = serde_json::json!({"integration_id": id.as_str(), "run": run});
                    let mut entry = SendMessageBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .message_body(body.to_string());
                    if fifo {
                        entry = entry
                            .message_group_id(id.as_str())
                            .message_deduplication_id(format!("{id}-{run}"));
                    }
                    entry.build().map_err(|e| sqs_error("batch_entry", e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| sqs_error("send_batch", e))?;
            if !out.failed().is_empty() {
                return Err(StoreError::new(
                    "queues",
                    "send_batch",
                    format!(
                        "{} of {} nightly messages refused",
                        out.failed().len(),
                        chunk.len()
                    ),
                ));
            }
            sent += out.successful().len();
        }
        Ok(sent)
    }
}
