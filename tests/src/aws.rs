//! AWS SDK clients for the emulator, resource creation and helpers for assertions.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::{Map, Number, Value, json};

pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY_ID: &str = "testing";
pub const SECRET_ACCESS_KEY: &str = "testing";

/// An `SdkConfig` for the emulator at `endpoint_url`: static `testing`/`testing` credentials,
/// `us-east-1`. For S3 use [`s3_client`] (path-style addressing).
pub async fn sdk_config(endpoint_url: &str) -> SdkConfig {
    let creds = aws_sdk_sqs::config::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "hona-e2e-static",
    );
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .region(Region::new(REGION))
        .credentials_provider(creds)
        .load()
        .await
}

/// S3 needs `force_path_style(true)` against moto.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Shorthand for an SDK error with its whole cause chain (an SDK error's `Display` alone
/// says only "service error").
pub fn sdk_err<E: std::error::Error>(e: E) -> anyhow::Error {
    anyhow!("{}", DisplayErrorContext(&e))
}

/// A FIFO queue and its FIFO dead-letter queue.
#[derive(Debug, Clone)]
pub struct QueuePair {
    pub name: String,
    pub url: String,
    pub arn: String,
    pub dlq_name: String,
    pub dlq_url: String,
    pub dlq_arn: String,
    pub visibility_timeout: Duration,
    pub max_receive_count: u32,
}

/// Message counts of a queue (`ApproximateNumberOfMessages*`; exact on moto).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

impl QueueCounts {
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

/// A message as read by [`Aws::drain_queue`], with its system attributes (by their SQS names:
/// `MessageGroupId`, `MessageDeduplicationId`, `ApproximateReceiveCount`, `SentTimestamp`, …).
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    pub attributes: HashMap<String, String>,
    pub message_attributes: HashMap<String, String>,
}

impl ReceivedMessage {
    pub fn body_json(&self) -> anyhow::Result<Value> {
        serde_json::from_str(&self.body).context("message body is not JSON")
    }
    pub fn receive_count(&self) -> u32 {
        self.attributes
            .get("ApproximateReceiveCount")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The SDK clients for one emulator endpoint.
#[derive(Clone)]
pub struct Aws {
    pub config: SdkConfig,
    pub endpoint_url: String,
    pub sqs: aws_sdk_sqs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Aws {
    pub async fn new(endpoint_url: &str) -> Self {
        let config = sdk_config(endpoint_url).await;
        Aws {
            sqs: aws_sdk_sqs::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            s3: s3_client(&config),
            endpoint_url: endpoint_url.to_string(),
            config,
        }
    }

    // ---------------------------------------------------------------- DynamoDB

    /// The ledger table, made as `infra/template.yaml` makes it: its sparse index of rows
    /// needing action and TTL on `expires_at`.
    pub async fn create_ledger_table(&self, name: &str) -> anyhow::Result<()> {
        self.create_table_with_indexes(
            name,
            "integration_id",
            Some("event_id"),
            &[("needs-action", "integration_id", "needs_action")],
        )
        .await?;
        self.dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("UpdateTimeToLive {name}"))?;
        Ok(())
    }

    /// Creates an on-demand table with a string partition key and optional string sort key,
    /// and waits until it is ACTIVE.
    pub async fn create_table(
        &self,
        name: &str,
        partition_key: &str,
        sort_key: Option<&str>,
    ) -> anyhow::Result<()> {
        self.create_table_with_indexes(name, partition_key, sort_key, &[])
            .await
    }

    /// [`Aws::create_table`] with global secondary indexes `(name, partition key, sort
    /// key)`, every attribute projected; the partition key is the table's.
    pub async fn create_table_with_indexes(
        &self,
        name: &str,
        partition_key: &str,
        sort_key: Option<&str>,
        indexes: &[(&str, &str, &str)],
    ) -> anyhow::Result<()> {
        let mut req = self
            .dynamodb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest);
        let mut keys = vec![(partition_key, KeyType::Hash)];
        if let Some(sk) = sort_key {
            keys.push((sk, KeyType::Range));
        }
        for (attr, key_type) in keys {
            req = req
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(attr)
                        .attribute_type(ScalarAttributeType::S)
                        .build()?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(attr)
                        .key_type(key_type)
                        .build()?,
                );
        }
        for (index, hash, range) in indexes {
            req = req
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(*range)
                        .attribute_type(ScalarAttributeType::S)
                        .build()?,
                )
                .global_secondary_indexes(
                    aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                        .index_name(*index)
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name(*hash)
                                .key_type(KeyType::Hash)
                                .build()?,
                        )
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name(*range)
                                .key_type(KeyType::Range)
                                .build()?,
                        )
                        .projection(
                            aws_sdk_dynamodb::types::Projection::builder()
                                .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                                .build(),
                        )
                        .build()?,
                );
        }
        req.send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CreateTable {name}"))?;
        for _ in 0..100 {
            let d = self
                .dynamodb
                .describe_table()
                .table_name(name)
                .send()
                .await
                .map_err(sdk_err)?;
            if d.table().and_then(|t| t.table_status()).map(|s| s.as_str()) == Some("ACTIVE") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(anyhow!("table {name} did not become ACTIVE"))
    }

    /// Puts an item given as a JSON object (see [`json_to_item`]).
    pub async fn put_item_json(&self, table: &str, item: &Value) -> anyhow::Result<()> {
        self.dynamodb
            .put_item()
            .table_name(table)
            .set_item(Some(json_to_item(item)?))
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("PutItem {table}"))?;
        Ok(())
    }

    /// Gets an item (consistent read) by its key given as a JSON object, as JSON.
    pub async fn get_item_json(&self, table: &str, key: &Value) -> anyhow::Result<Option<Value>> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(table)
            .set_key(Some(json_to_item(key)?))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("GetItem {table}"))?;
        Ok(out.item().map(item_to_json))
    }

    /// Every item of a table (all pages), as JSON.
    pub async fn scan_json(&self, table: &str) -> anyhow::Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .dynamodb
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)
                .with_context(|| format!("Scan {table}"))?;
            items.extend(out.items().iter().map(item_to_json));
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(items)
    }

    // ---------------------------------------------------------------- SQS

    /// Creates the FIFO queue `name` (must end in `.fifo`) with
    /// the FIFO dead-letter queue `dlq_name`, content-based deduplication off, the given
    /// visibility timeout and `RedrivePolicy.maxReceiveCount`.
    pub async fn create_fifo_queue_with_dlq(
        &self,
        name: &str,
        dlq_name: &str,
        visibility_timeout: Duration,
        max_receive_count: u32,
    ) -> anyhow::Result<QueuePair> {
        self.create_queue_with_dlq(name, dlq_name, true, visibility_timeout, max_receive_count)
            .await
    }

    /// Creates the standard queue `name` with the standard dead-letter queue `dlq_name`,
    /// the given visibility timeout and `RedrivePolicy.maxReceiveCount`.
    pub async fn create_standard_queue_with_dlq(
        &self,
        name: &str,
        dlq_name: &str,
        visibility_timeout: Duration,
        max_receive_count: u32,
    ) -> anyhow::Result<QueuePair> {
        self.create_queue_with_dlq(name, dlq_name, false, visibility_timeout, max_receive_count)
            .await
    }

    async fn create_queue_with_dlq(
        &self,
        name: &str,
        dlq_name: &str,
        fifo: bool,
        visibility_timeout: Duration,
        max_receive_count: u32,
    ) -> anyhow::Result<QueuePair> {
        let visibility = visibility_timeout.as_secs().to_string();
        let create = |queue_name: &str| {
            let mut request = self
                .sqs
                .create_queue()
                .queue_name(queue_name)
                .attributes(QueueAttributeName::VisibilityTimeout, &visibility);
            if fifo {
                request = request
                    .attributes(QueueAttributeName::FifoQueue, "true")
                    .attributes(QueueAttributeName::ContentBasedDeduplication, "false");
            }
            request
        };
        let dlq_url = create(dlq_name)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CreateQueue {dlq_name}"))?
            .queue_url
            .context("CreateQueue returned no QueueUrl")?;
        let dlq_arn = self.queue_arn(&dlq_url).await?;
        let redrive = json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_receive_count.to_string(),
        });
        let url = create(name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CreateQueue {name}"))?
            .queue_url
            .context("CreateQueue returned no QueueUrl")?;
        let arn = self.queue_arn(&url).await?;
        Ok(QueuePair {
            name: name.to_string(),
            url,
            arn,
            dlq_name: dlq_name.to_string(),
            dlq_url,
            dlq_arn,
            visibility_timeout,
            max_receive_count,
        })
    }

    /// All attributes of a queue.
    pub async fn queue_attributes(&self, url: &str) -> anyhow::Result<HashMap<String, String>> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("GetQueueAttributes {url}"))?;
        Ok(out
            .attributes()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn queue_arn(&self, url: &str) -> anyhow::Result<String> {
        self.queue_attributes(url)
            .await?
            .remove("QueueArn")
            .context("queue has no QueueArn")
    }

    /// Visible, in-flight and delayed message counts.
    pub async fn queue_counts(&self, url: &str) -> anyhow::Result<QueueCounts> {
        let attrs = self.queue_attributes(url).await?;
        let get = |k: &str| {
            attrs
                .get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(QueueCounts {
            visible: get("ApproximateNumberOfMessages"),
            in_flight: get("ApproximateNumberOfMessagesNotVisible"),
            delayed: get("ApproximateNumberOfMessagesDelayed"),
        })
    }

    /// Sends one message to a FIFO queue; returns its MessageId.
    pub async fn send_fifo(
        &self,
        queue_url: &str,
        body: &str,
        group_id: &str,
        dedup_id: &str,
    ) -> anyhow::Result<String> {
        let out = self
            .sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .message_group_id(group_id)
            .message_deduplication_id(dedup_id)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("SendMessage {queue_url}"))?;
        out.message_id.context("SendMessage returned no MessageId")
    }

    /// Sends a Hona event (JSON) to a FIFO queue the way the producer does: group = the
    /// event's `integration_id` (or "default"), deduplication id = the event's `id`.
    pub async fn send_event(&self, queue_url: &str, event: &Value) -> anyhow::Result<String> {
        let group = event
            .get("integration_id")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let dedup = match event.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => crate::unique_suffix(),
        };
        self.send_fifo(queue_url, &event.to_string(), group, &dedup)
            .await
    }

    /// Receives (and deletes) every message currently visible in a queue, with all system
    /// attributes; stops at the first empty receive. Meant for dead-letter queues.
    pub async fn drain_queue(&self, url: &str) -> anyhow::Result<Vec<ReceivedMessage>> {
        let mut all = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(sdk_err)
                .with_context(|| format!("ReceiveMessage {url}"))?;
            let msgs = out.messages.unwrap_or_default();
            if msgs.is_empty() {
                break;
            }
            for m in msgs {
                let received = ReceivedMessage::from_sdk(&m);
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(&received.receipt_handle)
                    .send()
                    .await
                    .map_err(sdk_err)
                    .context("DeleteMessage")?;
                all.push(received);
            }
        }
        Ok(all)
    }

    // ---------------------------------------------------------------- Secrets Manager

    /// Creates the secret, or puts a new value if it exists.
    pub async fn put_secret(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let created = self
            .secrets
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .map(|s| s.is_resource_exists_exception())
                    .unwrap_or(false) =>
            {
                self.secrets
                    .put_secret_value()
                    .secret_id(name)
                    .secret_string(value)
                    .send()
                    .await
                    .map_err(sdk_err)
                    .with_context(|| format!("PutSecretValue {name}"))?;
                Ok(())
            }
            Err(e) => Err(sdk_err(e)).with_context(|| format!("CreateSecret {name}")),
        }
    }

    pub async fn put_secret_json(&self, name: &str, value: &Value) -> anyhow::Result<()> {
        self.put_secret(name, &value.to_string()).await
    }

    /// The current value of a secret; `None` if it does not exist.
    pub async fn get_secret(&self, name: &str) -> anyhow::Result<Option<String>> {
        match self.secrets.get_secret_value().secret_id(name).send().await {
            Ok(out) => Ok(out.secret_string().map(str::to_string)),
            Err(e)
                if e.as_service_error()
                    .map(|s| s.is_resource_not_found_exception())
                    .unwrap_or(false) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_err(e)).with_context(|| format!("GetSecretValue {name}")),
        }
    }

    pub async fn get_secret_json(&self, name: &str) -> anyhow::Result<Option<Value>> {
        match self.get_secret(name).await? {
            Some(s) => Ok(Some(
                serde_json::from_str(&s).with_context(|| format!("secret {name} is not JSON"))?,
            )),
            None => Ok(None),
        }
    }

    // ---------------------------------------------------------------- S3

    pub async fn create_bucket(&self, name: &str) -> anyhow::Result<()> {
        self.s3
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("CreateBucket {name}"))?;
        Ok(())
    }

    pub async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .map_err(sdk_err)
            .with_context(|| format!("PutObject {bucket}/{key}"))?;
        Ok(())
    }
}

impl ReceivedMessage {
    pub fn from_sdk(m: &aws_sdk_sqs::types::Message) -> Self {
        ReceivedMessage {
            message_id: m.message_id().unwrap_or_default().to_string(),
            receipt_handle: m.receipt_handle().unwrap_or_default().to_string(),
            body: m.body().unwrap_or_default().to_string(),
            attributes: m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            message_attributes: m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

// ---------------------------------------------------------------- JSON <-> DynamoDB items

/// Converts a JSON object into a DynamoDB item: strings → S, numbers → N, bools → BOOL,
/// null → NULL, arrays → L, objects → M.
pub fn json_to_item(value: &Value) -> anyhow::Result<HashMap<String, AttributeValue>> {
    match value {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, v)| (k.clone(), json_to_attr(v)))
            .collect()),
        other => Err(anyhow!(
            "a DynamoDB item must be a JSON object, got {other}"
        )),
    }
}

pub fn json_to_attr(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(json_to_attr).collect()),
        Value::Object(m) => AttributeValue::M(
            m.iter()
                .map(|(k, v)| (k.clone(), json_to_attr(v)))
                .collect(),
        ),
    }
}

/// Converts a DynamoDB item to a JSON object (N → number when it parses, sets → arrays,
/// binary → array of bytes).
pub fn item_to_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attr_to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

pub fn attr_to_json(attr: &AttributeValue) -> Value {
    fn num(n: &str) -> Value {
        if let Ok(i) = n.parse::<i64>() {
            Value::from(i)
        } else if let Some(f) = n.parse::<f64>().ok().and_then(Number::from_f64) {
            Value::Number(f)
        } else {
            Value::String(n.to_string())
        }
    }
    match attr {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => num(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::Array(l.iter().map(attr_to_json).collect()),
        AttributeValue::M(m) => item_to_json(m),
        AttributeValue::Ss(ss) => Value::from(ss.clone()),
        AttributeValue::Ns(ns) => Value::Array(ns.iter().map(|n| num(n)).collect()),
        AttributeValue::B(b) => Value::from(b.as_ref().to_vec()),
        AttributeValue::Bs(bs) => Value::Array(
            bs.iter()
                .map(|b| Value::from(b.as_ref().to_vec()))
                .collect(),
        ),
        _ => Value::Null,
    }
}
