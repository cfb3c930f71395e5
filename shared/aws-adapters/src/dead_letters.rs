//! The dead-letter queue, written to directly for messages no retry can fix, with
//! the reason as message attributes (`hona.reason`, `hona.detail`, ids) so an
//! operator (or the replay tool) can tell why without reading the body.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};
use hona_domain::ports::{DeadLetter, DeadLetters};
use hona_domain::{Reason, StoreError};
use std::hash::{Hash, Hasher};

pub struct SqsDeadLetters {
    client: Client,
    queue_url: String,
    fifo: bool,
}

impl SqsDeadLetters {
    pub fn new(client: Client, queue_url: String) -> Self {
        let fifo = queue_url.ends_with(".fifo");
        Self {
            client,
            queue_url,
            fifo,
        }
    }
}

fn attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(if value.is_empty() { "-" } else { value })
        .build()
        .expect("data type and value are set")
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn send(&self, letter: &DeadLetter<'_>) -> Result<(), StoreError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(letter.body)
            .message_attributes("hona.reason", attribute(letter.failure.reason.as_str()))
            .message_attributes("hona.detail", attribute(&letter.failure.detail));
        if let Some(id) = letter.event_id {
            send = send.message_attributes("hona.event_id", attribute(id.as_str()));
        }
        if let Some(id) = letter.integration_id {
            send = send.message_attributes("hona.integration_id", attribute(id.as_str()));
        }
        if self.fifo {
            // Same group as the source keeps a replay in order; the dedup id makes a
            // second dead-lettering of the same delivery (a retry after a crash) a no-op.
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            letter.body.hash(&mut hasher);
            // Hashed as its spelling, so a dedup id does not change with the type.
            letter.failure.reason.as_str().hash(&mut hasher);
            let dedup = match letter.event_id {
                Some(id) => format!("{id}-{}", letter.failure.reason),
                None => format!("body-{:016x}", hasher.finish()),
            };
            send = send
                .message_group_id(letter.group.unwrap_or("dead-letters"))
                .message_deduplication_id(dedup.chars().take(128).collect::<String>());
        }
        send.send().await.map_err(|e| {
            StoreError::new(
                "dead_letter_queue",
                "send",
                aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            )
        })?;
        Ok(())
    }
}

/// A message sitting on a dead-letter queue, with Hona's reason attributes (absent when
/// SQS itself moved it there after too many receives).
#[derive(Debug, Clone)]
pub struct DeadLetterMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub reason: Option<Reason>,
    pub detail: Option<String>,
    pub event_id: Option<String>,
    pub integration_id: Option<String>,
    /// FIFO queues: the group it was sent with.
    pub group: Option<String>,
    pub receive_count: u32,
}

fn queue_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> StoreError {
    StoreError::new(
        "dead_letter_queue",
        operation,
        aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
    )
}

/// Operating on one dead-letter queue (the `hona-ops dlq` commands).
pub struct DeadLetterQueue {
    client: Client,
    pub url: String,
}

impl DeadLetterQueue {
    pub fn new(client: Client, url: String) -> Self {
        Self { client, url }
    }

    /// The dead-letter queue a source queue redrives to (its `RedrivePolicy`).
    pub async fn of_source(client: Client, source_url: &str) -> Result<Self, StoreError> {
        let attrs = client
            .get_queue_attributes()
            .queue_url(source_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|e| queue_error("attributes", e))?;
        let policy = attrs
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy))
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|p| p["deadLetterTargetArn"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                StoreError::new(
                    "dead_letter_queue",
                    "attributes",
                    "the queue has no redrive policy",
                )
            })?;
        let name = policy.rsplit(':').next().unwrap_or_default().to_owned();
        let url = client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| queue_error("url", e))?
            .queue_url
            .unwrap_or_default();
        Ok(Self::new(client, url))
    }

    /// Receives up to `max` messages, holding each for `hold` seconds (0: a peek that
    /// makes them visible again at once).
    async fn receive(&self, max: usize, hold: i32) -> Result<Vec<DeadLetterMessage>, StoreError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut empty_polls = 0;
        while out.len() < max && empty_polls < 2 {
            let messages = self.receive_batch((max - out.len()).min(10)).await?;
            if messages.is_empty() {
                empty_polls += 1;
                continue;
            }
            for m in &messages {
                let letter = dead_letter(m);
                // SQS may hand the same message out twice in one listing: keep it once.
                if seen.insert(letter.message_id.clone()) {
                    out.push(letter);
                }
            }
        }
        if hold == 0 {
            self.make_visible(&out).await;
        }
        Ok(out)
    }

    /// One `ReceiveMessage` of up to `n` (at most 10) messages, with every attribute.
    async fn receive_batch(
        &self,
        n: usize,
    ) -> Result<Vec<aws_sdk_sqs::types::Message>, StoreError> {
        let batch = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(n as i32)
            .visibility_timeout(30)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| queue_error("receive", e))?;
        Ok(batch.messages.unwrap_or_default())
    }

    /// Visible again for the next reader: listing must not hide anything.
    async fn make_visible(&self, messages: &[DeadLetterMessage]) {
        for m in messages {
            let _ = self
                .client
                .change_message_visibility()
                .queue_url(&self.url)
                .receipt_handle(&m.receipt_handle)
                .visibility_timeout(0)
                .send()
                .await;
        }
    }

    /// Lists up to `max` messages without taking them off the queue.
    pub async fn peek(&self, max: usize) -> Result<Vec<DeadLetterMessage>, StoreError> {
        self.receive(max, 0).await
    }

    /// Takes up to `max` messages for replay; each stays hidden for 30 s, so a crash
    /// mid-replay puts the rest back.
    pub async fn take(&self, max: usize) -> Result<Vec<DeadLetterMessage>, StoreError> {
        self.receive(max, 30).await
    }

    /// Puts a taken message back, visible at once (it was not chosen for replay).
    pub async fn release(&self, m: &DeadLetterMessage) -> Result<(), StoreError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(&m.receipt_handle)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| queue_error("release", e))?;
        Ok(())
    }

    /// Sends one taken message back to `to_url` and deletes it from the dead-letter queue
    /// (in that order: a crash in between leaves a duplicate, which idempotency absorbs,
    /// never a loss).
    pub async fn replay_one(&self, m: &DeadLetterMessage, to_url: &str) -> Result<(), StoreError> {
        let group = m
            .group
            .clone()
            .or_else(|| m.integration_id.clone())
            .unwrap_or_else(|| "replay".into());
        let dedup = format!(
            "{}-dlq-replay-{}",
            m.event_id.as_deref().unwrap_or(&m.message_id),
            chrono::Utc::now().timestamp_millis()
        );
        crate::queues::send(&self.client, to_url, &m.body, &group, &dedup).await?;
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&m.receipt_handle)
            .send()
            .await
            .map_err(|e| queue_error("delete", e))?;
        Ok(())
    }
}

/// A dead-lettered message as the operator sees it: Hona's own attributes (why it was
/// dead-lettered, for which event and integration) and how often SQS delivered it.
fn dead_letter(m: &aws_sdk_sqs::types::Message) -> DeadLetterMessage {
    let attr = |name: &str| {
        m.message_attributes()
            .and_then(|a| a.get(name))
            .and_then(|v| v.string_value())
            .map(str::to_owned)
    };
    let system =
        |name: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&name)).cloned();
    DeadLetterMessage {
        message_id: m.message_id().unwrap_or_default().to_owned(),
        receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
        body: m.body().unwrap_or_default().to_owned(),
        reason: attr("hona.reason").map(Reason::from),
        detail: attr("hona.detail"),
        event_id: attr("hona.event_id"),
        integration_id: attr("hona.integration_id"),
        group: system(MessageSystemAttributeName::MessageGroupId),
        receive_count: system(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
    }
}
