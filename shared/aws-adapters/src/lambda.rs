//! The Lambda entrypoint every push function shares: an SQS batch (with partial
//! batch failures) or a single EventBridge event, through the push's pipeline. And what
//! every function shares: JSON logs, and metrics flushed once per invocation
//! ([`Flushing`]).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::FutureExt;
use hona_domain::batch::{QueueMessage, process_batch};
use hona_domain::{Deadline, Disposition, Pipeline, Push, RecordResult};
use lambda_runtime::{Error, LambdaEvent, Service, service_fn};
use metrics_cloudwatch_embedded::Collector;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

/// JSON log lines (CloudWatch-friendly), level from `RUST_LOG` (default `info`).
/// What is logged is ids, kinds, counts and durations; never message content.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

/// Runs the function until the Lambda runtime stops it.
pub async fn run<P: Push + 'static>(pipeline: Pipeline<P>) -> Result<(), Error> {
    let pipeline = Arc::new(pipeline);
    lambda_runtime::run(Flushing::new(service_fn(
        move |event: LambdaEvent<Value>| {
            let pipeline = pipeline.clone();
            async move { handle(&pipeline, event.payload, deadline(event.context.deadline)).await }
        },
    )))
    .await
}

/// The CloudWatch namespace of the metrics (`HONA_METRICS_NAMESPACE`; the template sets
/// one per stack, so two stacks in one account never add up).
pub const DEFAULT_METRICS_NAMESPACE: &str = "Hona";

/// Installs the process's metrics recorder, once: CloudWatch's embedded metric format,
/// every metric with the `function` dimension (`AWS_LAMBDA_FUNCTION_NAME`, which Lambda
/// and the local emulator set). Counts this cold start. Later calls return the same one.
fn metrics_collector() -> Option<&'static Collector> {
    static COLLECTOR: OnceLock<Option<&'static Collector>> = OnceLock::new();
    *COLLECTOR.get_or_init(|| {
        let namespace = std::env::var("HONA_METRICS_NAMESPACE")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned());
        let mut builder =
            metrics_cloudwatch_embedded::Builder::new().cloudwatch_namespace(namespace);
        if let Ok(function) = std::env::var("AWS_LAMBDA_FUNCTION_NAME") {
            builder = builder.with_dimension(hona_domain::metrics::FUNCTION, function);
        }
        match builder.init() {
            Ok(collector) => {
                hona_domain::metrics::describe();
                mycase_client::metrics::describe();
                metrics::counter!(hona_domain::metrics::COLD_STARTS).increment(1);
                Some(collector)
            }
            Err(e) => {
                // Another recorder is installed (a test's): metrics go there instead.
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        }
    })
}

/// Writes what the invocation counted as embedded-metric lines on stdout, where Lambda
/// sends them to CloudWatch Logs, which turns them into metrics: no API call, nothing
/// to wait for. One write per flush, so the lines never interleave with log lines.
fn flush_metrics() {
    let Some(collector) = metrics_collector() else {
        return;
    };
    let mut lines = Vec::new();
    if collector.flush(&mut lines).is_ok() && !lines.is_empty() {
        let _ = std::io::stdout().lock().write_all(&lines);
    }
}

/// A handler service that flushes the metrics after each invocation, before its answer
/// goes back to Lambda (after which the environment may be frozen). Every function wraps
/// its handler in it, the HTTP ones included.
#[derive(Clone)]
pub struct Flushing<S> {
    inner: S,
}

impl<S> Flushing<S> {
    pub fn new(inner: S) -> Self {
        metrics_collector();
        Self { inner }
    }
}

impl<S, R> Service<R> for Flushing<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::Map<
        S::Future,
        fn(Result<S::Response, S::Error>) -> Result<S::Response, S::Error>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        fn flushed<T>(answer: T) -> T {
            flush_metrics();
            answer
        }
        self.inner.call(request).map(flushed)
    }
}

/// The invocation's deadline from the runtime's `lambda-runtime-deadline-ms`.
///
/// Lambda sends epoch milliseconds. cargo-lambda's emulator (1.9) sends the function
/// timeout as a *duration* there; a value that cannot be a real deadline (before
/// 2001) is read as one, so `cargo lambda watch` behaves like Lambda instead of
/// every invocation starting out of time.
pub fn deadline(header_ms: u64) -> Deadline {
    const EARLIEST_REAL_DEADLINE_MS: u64 = 978_307_200_000; // 2001-01-01
    if header_ms < EARLIEST_REAL_DEADLINE_MS {
        Deadline::in_(std::time::Duration::from_millis(header_ms))
    } else {
        Deadline::from_epoch_millis(header_ms)
    }
}

/// One invocation. An SQS batch answers with `batchItemFailures` (the event-source
/// mapping is configured with `ReportBatchItemFailures`); an EventBridge event
/// answers with its disposition, or an error so EventBridge retries it.
pub async fn handle<P: Push>(
    pipeline: &Pipeline<P>,
    payload: Value,
    deadline: Deadline,
) -> Result<Value, Error> {
    if payload.get("Records").is_some() {
        let event: SqsEvent = serde_json::from_value(payload)?;
        let messages = event
            .records
            .into_iter()
            .filter_map(|r| {
                let group = r.attributes.get("MessageGroupId").cloned();
                Some(QueueMessage {
                    message_id: r.message_id?,
                    body: r.body.unwrap_or_default(),
                    group,
                })
            })
            .collect();
        let report = process_batch(pipeline, messages, deadline).await;
        return Ok(serde_json::to_value(batch_failures(report.failed_ids))?);
    }

    // EventBridge (or a direct invoke): the payload itself is the event.
    let body = payload.to_string();
    match pipeline.process(&body, None, deadline).await {
        RecordResult::Done(disposition) => {
            let (status, reason) = match disposition {
                Disposition::Landed => ("landed", None),
                Disposition::AlreadyLanded => ("already_landed", None),
                Disposition::Skipped(reason) => ("skipped", Some(reason)),
                Disposition::DeadLettered(reason) => ("dead_lettered", Some(reason)),
            };
            Ok(json!({ "status": status, "reason": reason }))
        }
        RecordResult::Retry(kind) => Err(format!("not pushed yet ({kind}); retry").into()),
    }
}

/// The answer to an SQS batch: the messages to hand back (`batchItemFailures`, with the
/// event source mapping's `ReportBatchItemFailures`); every other one is acknowledged.
/// The one place that builds it, for the push functions and the nightly worker alike.
pub fn batch_failures(message_ids: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = message_ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
