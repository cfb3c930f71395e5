//! A test-side SQS event-source mapping (moto has no Lambda service to do it).
//!
//! Behaves like Lambda's SQS poller with `FunctionResponseTypes: [ReportBatchItemFailures]`:
//! - receives up to `batch_size` (≤ 10) messages with every system attribute, long-polling
//!   `wait_time_seconds` (1 s);
//! - invokes the function once with the SQS event exactly as Lambda builds it
//!   (see [`sqs_event`]);
//! - on a JSON response: `null`, `{}`, or `{"batchItemFailures": []}` = all succeeded;
//!   `{"batchItemFailures":[{"itemIdentifier": "<messageId>"}, …]}` = those failed; every
//!   message not listed is deleted. A failure entry with a missing, empty or unknown
//!   `itemIdentifier`, or a response that is not a JSON object/null, fails the whole batch
//!   (AWS's documented rules);
//! - on an invoke error (function error, timeout, crash): deletes nothing.
//!
//! Messages not deleted come back after the queue's visibility timeout; the queue's
//! `RedrivePolicy` moves them to the dead-letter queue. moto (5.2.5) does that redrive
//! itself, at receive time: a message is delivered exactly `maxReceiveCount` times, and the
//! next ReceiveMessage after its visibility timeout moves it to the DLQ instead of returning
//! it. The DLQ copy keeps its message id, body, `MessageGroupId` and
//! `MessageDeduplicationId`; read from the DLQ its `ApproximateReceiveCount` is
//! `maxReceiveCount + 1`. So an always-failing message reaches the DLQ after about
//! `maxReceiveCount × VisibilityTimeout` (25 s with the stack's defaults; use
//! [`crate::StackOptions`] with 1 s × 2 in tests). Verified by `tests/harness.rs`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use serde_json::{Map, Value, json};

use crate::aws::{ReceivedMessage, sdk_err};
use crate::emulator::{Emulator, InvokeError};

/// Something the mapping can invoke: the [`Emulator`], or a closure ([`FnInvoker`]).
#[async_trait]
pub trait Invoker: Send + Sync {
    async fn invoke(&self, payload: &Value, timeout: Duration) -> Result<Value, InvokeError>;
}

#[async_trait]
impl Invoker for Emulator {
    async fn invoke(&self, payload: &Value, timeout: Duration) -> Result<Value, InvokeError> {
        Emulator::invoke(self, payload, timeout).await
    }
}

/// An [`Invoker`] from an async closure taking the event; the timeout is applied around it.
pub struct FnInvoker<F>(pub F);

#[async_trait]
impl<F, Fut> Invoker for FnInvoker<F>
where
    F: Fn(Value) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Value, InvokeError>> + Send,
{
    async fn invoke(&self, payload: &Value, timeout: Duration) -> Result<Value, InvokeError> {
        match tokio::time::timeout(timeout, (self.0)(payload.clone())).await {
            Ok(r) => r,
            Err(_) => Err(InvokeError::Timeout(timeout)),
        }
    }
}

/// What one poll did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Messages received (0: nothing was invoked).
    pub received: usize,
    /// Their message ids, in batch order.
    pub message_ids: Vec<String>,
    /// The ids the function reported in `batchItemFailures`.
    pub failed_ids: Vec<String>,
    /// Messages deleted.
    pub deleted: usize,
    /// The function's response, if it returned one.
    pub response: Option<Value>,
    /// The invoke error, if the invoke failed (nothing deleted).
    pub invoke_error: Option<InvokeError>,
    /// The response broke the partial-batch rules (nothing deleted).
    pub invalid_response: Option<String>,
}

/// Totals over [`EventSourceMapping::run_until_drained`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainStats {
    /// Polls that received at least one message (= invokes).
    pub batches: usize,
    pub invokes: usize,
    pub messages_received: usize,
    pub messages_deleted: usize,
    /// Items reported in `batchItemFailures`.
    pub failures_reported: usize,
    /// Invokes that returned an error (function error, timeout, crash).
    pub invoke_errors: usize,
    /// Responses that failed the whole batch by breaking the partial-batch rules.
    pub invalid_responses: usize,
    /// The queue (visible + in flight + delayed) was empty at the end.
    pub drained: bool,
    pub elapsed: Duration,
}

pub struct EventSourceMapping<'a> {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
    pub function: &'a dyn Invoker,
    /// At most 10 (one ReceiveMessage).
    pub batch_size: i32,
    pub function_timeout: Duration,
    pub wait_time_seconds: i32,
    pub region: String,
}

/// Failed messages held invisible by the mappings of this process, per queue URL:
/// (receipt handle, when the queue's visibility timeout lets them reappear). Shared by
/// every mapping of a queue, as the queue's own visibility timeout would be.
type HeldByQueue = HashMap<String, Vec<(String, Instant)>>;
static HELD: std::sync::LazyLock<std::sync::Mutex<HeldByQueue>> =
    std::sync::LazyLock::new(Default::default);

impl<'a> EventSourceMapping<'a> {
    /// Batch size 10, function timeout 30 s, long-poll 1 s, region us-east-1.
    pub fn new(
        sqs: &aws_sdk_sqs::Client,
        queue_url: &str,
        queue_arn: &str,
        function: &'a dyn Invoker,
    ) -> Self {
        EventSourceMapping {
            sqs: sqs.clone(),
            queue_url: queue_url.to_string(),
            queue_arn: queue_arn.to_string(),
            function,
            batch_size: 10,
            function_timeout: Duration::from_secs(30),
            wait_time_seconds: 1,
            region: crate::aws::REGION.to_string(),
        }
    }

    pub fn batch_size(mut self, n: i32) -> Self {
        self.batch_size = n.clamp(1, 10);
        self
    }

    pub fn function_timeout(mut self, t: Duration) -> Self {
        self.function_timeout = t;
        self
    }

    pub fn wait_time_seconds(mut self, s: i32) -> Self {
        self.wait_time_seconds = s.clamp(0, 20);
        self
    }

    /// Receives one batch and, if it is not empty, invokes the function and deletes what
    /// succeeded.
    pub async fn poll_once(&self) -> anyhow::Result<BatchOutcome> {
        self.release_due().await;
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size.clamp(1, 10))
            .wait_time_seconds(self.wait_time_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("ReceiveMessage {}", self.queue_url))?;
        let messages = out.messages.unwrap_or_default();
        let mut outcome = BatchOutcome {
            received: messages.len(),
            message_ids: messages
                .iter()
                .map(|m| m.message_id().unwrap_or_default().to_string())
                .collect(),
            ..Default::default()
        };
        if messages.is_empty() {
            return Ok(outcome);
        }
        let event = sqs_event(&messages, &self.queue_arn, &self.region);
        let response = match self.function.invoke(&event, self.function_timeout).await {
            Ok(r) => r,
            Err(e) => {
                outcome.invoke_error = Some(e);
                self.hold(&messages.iter().collect::<Vec<_>>()).await?;
                return Ok(outcome);
            }
        };
        let ids: HashSet<&str> = outcome.message_ids.iter().map(String::as_str).collect();
        match failed_items(&response, &ids) {
            Ok(failed) => outcome.failed_ids = failed,
            Err(why) => {
                outcome.invalid_response = Some(why);
                outcome.response = Some(response);
                self.hold(&messages.iter().collect::<Vec<_>>()).await?;
                return Ok(outcome);
            }
        }
        outcome.response = Some(response);
        let failed: HashSet<&str> = outcome.failed_ids.iter().map(String::as_str).collect();
        let to_delete: Vec<&Message> = messages
            .iter()
            .filter(|m| !failed.contains(m.message_id().unwrap_or_default()))
            .collect();
        outcome.deleted = self.delete(&to_delete).await?;
        let to_hold: Vec<&Message> = messages
            .iter()
            .filter(|m| failed.contains(m.message_id().unwrap_or_default()))
            .collect();
        self.hold(&to_hold).await?;
        Ok(outcome)
    }

    /// Keeps failed messages invisible for the queue's visibility timeout, then makes
    /// them visible again ourselves ([`Self::release_due`]).
    ///
    /// Why not let the timeout lapse on its own, as SQS does: moto 5.2 returns a FIFO
    /// group's timed-out messages *last first* (it skips each one while the group still
    /// has other timed-out messages pending, and delivers the last). Real SQS keeps the
    /// group's order, and so does an explicit `ChangeMessageVisibility(0)` in moto, which
    /// takes the message out of its pending set before the next receive.
    async fn hold(&self, messages: &[&Message]) -> anyhow::Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let visibility = self.visibility_timeout().await?;
        let release_at = Instant::now() + visibility;
        for m in messages {
            let handle = m.receipt_handle().unwrap_or_default().to_string();
            // Longer than `visibility`, so moto's own timer never fires first.
            let _ = self
                .sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(&handle)
                .visibility_timeout(visibility.as_secs() as i32 + 60)
                .send()
                .await;
            HELD.lock()
                .unwrap()
                .entry(self.queue_url.clone())
                .or_default()
                .push((handle, release_at));
        }
        Ok(())
    }

    /// Makes held messages whose visibility timeout has passed visible again.
    async fn release_due(&self) {
        let due: Vec<String> = {
            let mut all = HELD.lock().unwrap();
            let held = all.entry(self.queue_url.clone()).or_default();
            let now = Instant::now();
            let (due, keep): (Vec<_>, Vec<_>) = held.drain(..).partition(|(_, at)| *at <= now);
            *held = keep;
            due.into_iter().map(|(h, _)| h).collect()
        };
        for handle in due {
            // A message redriven or deleted meanwhile has a stale handle: nothing to do.
            let _ = self
                .sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await;
        }
    }

    async fn visibility_timeout(&self) -> anyhow::Result<Duration> {
        use aws_sdk_sqs::types::QueueAttributeName as N;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(N::VisibilityTimeout)
            .send()
            .await
            .map_err(sdk_err)
            .context("GetQueueAttributes VisibilityTimeout")?;
        let secs = out
            .attributes()
            .and_then(|a| a.get(&N::VisibilityTimeout))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(30);
        Ok(Duration::from_secs(secs))
    }

    async fn delete(&self, messages: &[&Message]) -> anyhow::Result<usize> {
        if messages.is_empty() {
            return Ok(0);
        }
        let entries = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .sqs
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(sdk_err)
            .context("DeleteMessageBatch")?;
        Ok(out.successful().len())
    }

    /// Polls until the queue is empty (visible + in flight + delayed = 0) or `max_wait` has
    /// passed, sequentially (one batch in flight at a time, like one FIFO message group).
    pub async fn run_until_drained(&self, max_wait: Duration) -> anyhow::Result<DrainStats> {
        let start = Instant::now();
        let mut stats = DrainStats::default();
        let aws_counts = QueueCounter {
            sqs: &self.sqs,
            url: &self.queue_url,
        };
        loop {
            let outcome = self.poll_once().await?;
            if outcome.received > 0 {
                stats.batches += 1;
                stats.invokes += 1;
                stats.messages_received += outcome.received;
                stats.messages_deleted += outcome.deleted;
                stats.failures_reported += outcome.failed_ids.len();
                if outcome.invoke_error.is_some() {
                    stats.invoke_errors += 1;
                }
                if outcome.invalid_response.is_some() {
                    stats.invalid_responses += 1;
                }
            } else if aws_counts.total().await? == 0 {
                stats.drained = true;
                break;
            }
            if start.elapsed() >= max_wait {
                stats.drained = aws_counts.total().await? == 0;
                break;
            }
            if outcome.received == 0 && self.wait_time_seconds == 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        stats.elapsed = start.elapsed();
        Ok(stats)
    }
}

struct QueueCounter<'a> {
    sqs: &'a aws_sdk_sqs::Client,
    url: &'a str,
}

impl QueueCounter<'_> {
    async fn total(&self) -> anyhow::Result<u64> {
        use aws_sdk_sqs::types::QueueAttributeName as N;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(self.url)
            .attribute_names(N::ApproximateNumberOfMessages)
            .attribute_names(N::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(N::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(sdk_err)
            .context("GetQueueAttributes")?;
        Ok(out
            .attributes()
            .map(|a| a.values().filter_map(|v| v.parse::<u64>().ok()).sum())
            .unwrap_or(0))
    }
}

/// Applies Lambda's partial-batch-response rules; `Err` = the whole batch failed.
fn failed_items(response: &Value, batch_ids: &HashSet<&str>) -> Result<Vec<String>, String> {
    let obj = match response {
        Value::Null => return Ok(Vec::new()),
        Value::Object(o) => o,
        other => return Err(format!("response is not a JSON object: {other}")),
    };
    let items = match obj.get("batchItemFailures") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("batchItemFailures is not a list: {other}")),
    };
    let mut failed = Vec::new();
    for item in items {
        let id = item
            .get("itemIdentifier")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("batch item failure without itemIdentifier: {item}"))?;
        if id.is_empty() || !batch_ids.contains(id) {
            return Err(format!(
                "itemIdentifier {id:?} is not a message of this batch"
            ));
        }
        if !failed.iter().any(|f| f == id) {
            failed.push(id.to_string());
        }
    }
    Ok(failed)
}

/// The SQS event Lambda passes to a function for `messages` of queue `queue_arn`.
pub fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
                        .collect()
                })
                .unwrap_or_default();
            let message_attributes: Map<String, Value> = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| {
                            let mut attr = json!({
                                "stringListValues": v.string_list_values(),
                                "binaryListValues": v.binary_list_values().iter()
                                    .map(|b| aws_smithy_types::base64::encode(b.as_ref()))
                                    .collect::<Vec<_>>(),
                                "dataType": v.data_type(),
                            });
                            if let Some(s) = v.string_value() {
                                attr["stringValue"] = Value::String(s.to_string());
                            }
                            if let Some(b) = v.binary_value() {
                                attr["binaryValue"] =
                                    Value::String(aws_smithy_types::base64::encode(b.as_ref()));
                            }
                            (k.clone(), attr)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut record = json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            });
            if let Some(md5) = m.md5_of_message_attributes() {
                record["md5OfMessageAttributes"] = Value::String(md5.to_string());
            }
            record
        })
        .collect();
    json!({ "Records": records })
}

/// Receives and deletes everything in a dead-letter queue, with attributes.
pub async fn drain_dlq(
    aws: &crate::aws::Aws,
    dlq_url: &str,
) -> anyhow::Result<Vec<ReceivedMessage>> {
    aws.drain_queue(dlq_url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_batch_rules() {
        let ids: HashSet<&str> = ["a", "b"].into_iter().collect();
        assert_eq!(failed_items(&Value::Null, &ids), Ok(vec![]));
        assert_eq!(failed_items(&json!({}), &ids), Ok(vec![]));
        assert_eq!(
            failed_items(&json!({"batchItemFailures": []}), &ids),
            Ok(vec![])
        );
        assert_eq!(
            failed_items(&json!({"batchItemFailures": null}), &ids),
            Ok(vec![])
        );
        assert_eq!(
            failed_items(
                &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
                &ids
            ),
            Ok(vec!["b".to_string()])
        );
        assert!(
            failed_items(
                &json!({"batchItemFailures": [{"itemIdentifier": "zz"}]}),
                &ids
            )
            .is_err()
        );
        assert!(
            failed_items(
                &json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
                &ids
            )
            .is_err()
        );
        assert!(failed_items(&json!({"batchItemFailures": [{"id": "a"}]}), &ids).is_err());
        assert!(failed_items(&json!("ok"), &ids).is_err());
    }

    #[test]
    fn event_matches_aws_lambda_events() {
        let m = Message::builder()
            .message_id("id-1")
            .receipt_handle("rh-1")
            .body(r#"{"id":"evt_1"}"#)
            .md5_of_body("abc")
            .attributes(MessageSystemAttributeName::MessageGroupId, "g1")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "1")
            .build();
        let event = sqs_event(
            &[m],
            "arn:aws:sqs:us-east-1:123456789012:q.fifo",
            "us-east-1",
        );
        let parsed: aws_lambda_events::sqs::SqsEvent =
            serde_json::from_value(event.clone()).unwrap();
        let r = &parsed.records[0];
        assert_eq!(r.message_id.as_deref(), Some("id-1"));
        assert_eq!(r.receipt_handle.as_deref(), Some("rh-1"));
        assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(
            r.event_source_arn.as_deref(),
            Some("arn:aws:sqs:us-east-1:123456789012:q.fifo")
        );
        assert_eq!(r.aws_region.as_deref(), Some("us-east-1"));
        assert_eq!(r.attributes["MessageGroupId"], "g1");
        assert_eq!(r.md5_of_body.as_deref(), Some("abc"));
    }
}
