//! The dead-letter queue, written to directly for messages no retry can fix, with
//! the reason as message attributes (`hona.reason`, `hona.detail`, ids) so an
//! operator (or the replay tool) can tell why without reading the body.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;
use hona_push::StoreError;
use hona_push::ports::{DeadLetter, DeadLetters};
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
            .message_attributes("hona.reason", attribute(letter.reason))
            .message_attributes("hona.detail", attribute(letter.detail));
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
            letter.reason.hash(&mut hasher);
            let dedup = match letter.event_id {
                Some(id) => format!("{id}-{}", letter.reason),
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
