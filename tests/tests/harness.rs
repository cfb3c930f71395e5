//! Self-tests of the local-stack harness: moto and the resources, the SQS event-source
//! mapping (against moto, with closure invokers), moto's redrive, and the emulator with a
//! real function binary.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::sqs::SqsEvent;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use hona_e2e::aws::QueueCounts;
use hona_e2e::{EventSourceMapping, FnInvoker, InvokeError, LocalStack, StackOptions};
use serde_json::{Value, json};

fn fast_options(visibility_secs: u64, max_receive_count: u32) -> StackOptions {
    StackOptions {
        visibility_timeout: Duration::from_secs(visibility_secs),
        max_receive_count,
        ..StackOptions::default()
    }
}

fn pid_alive(pid: u32) -> bool {
    // A zombie still has a /proc entry: look at its state too.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_starts_with_every_resource_and_cleans_up() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let aws = &stack.aws;

    // Tables and their keys.
    let expected = [
        (&stack.tables.integrations, vec![("integration_id", "HASH")]),
        (&stack.tables.idempotency, vec![("id", "HASH")]),
        (
            &stack.tables.ledger,
            vec![("integration_id", "HASH"), ("event_id", "RANGE")],
        ),
        (&stack.tables.case_threads, vec![("case_key", "HASH")]),
        (&stack.tables.leases, vec![("lease_id", "HASH")]),
        (&stack.tables.leads, vec![("lead_key", "HASH")]),
    ];
    for (name, keys) in expected {
        assert!(name.ends_with(&stack.suffix), "{name}");
        let d = aws
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await?;
        let t = d.table().unwrap();
        let got: Vec<(String, String)> = t
            .key_schema()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_string(),
                    k.key_type().as_str().to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = keys
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "key schema of {name}");
        assert_eq!(
            t.billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map(|m| m.as_str()),
            Some("PAY_PER_REQUEST"),
            "{name} is on-demand"
        );
    }

    // Queues: FIFO, no content-based dedup, 5 s visibility, redrive to a FIFO DLQ after 5.
    for q in [&stack.messages, &stack.notifications] {
        assert!(
            q.name.ends_with(&format!("-{}.fifo", stack.suffix)),
            "{}",
            q.name
        );
        assert!(q.dlq_name.ends_with(&format!("-dlq-{}.fifo", stack.suffix)));
        let attrs = aws.queue_attributes(&q.url).await?;
        assert_eq!(attrs["FifoQueue"], "true");
        assert_eq!(attrs["ContentBasedDeduplication"], "false");
        assert_eq!(attrs["VisibilityTimeout"], "5");
        let redrive: Value = serde_json::from_str(&attrs["RedrivePolicy"])?;
        assert_eq!(redrive["deadLetterTargetArn"], q.dlq_arn.as_str());
        let max = match &redrive["maxReceiveCount"] {
            Value::String(s) => s.parse::<u64>()?,
            v => v.as_u64().unwrap(),
        };
        assert_eq!(max, 5);
        let dlq = aws.queue_attributes(&q.dlq_url).await?;
        assert_eq!(dlq["FifoQueue"], "true");
        assert_eq!(aws.queue_counts(&q.url).await?, QueueCounts::default());
    }

    // The OAuth client secret.
    assert_eq!(stack.secret_prefix, format!("hona-{}/mycase", stack.suffix));
    let client = aws
        .get_secret_json(&format!("{}/oauth-client", stack.secret_prefix))
        .await?
        .expect("oauth-client secret");
    assert_eq!(
        client,
        json!({"client_id": "hona-local-client", "client_secret": "hona-local-secret",
               "redirect_uri": "http://127.0.0.1:8787/oauth/callback"})
    );
    assert_eq!(
        stack.token_secret_name("int_1"),
        format!("hona-{}/mycase/tokens/int_1", stack.suffix)
    );

    // Item and secret helpers round-trip.
    aws.put_item_json(
        &stack.tables.ledger,
        &json!({"integration_id": "int_1", "event_id": "evt_1", "n": 3, "ok": true, "tags": ["a"]}),
    )
    .await?;
    let item = aws
        .get_item_json(
            &stack.tables.ledger,
            &json!({"integration_id": "int_1", "event_id": "evt_1"}),
        )
        .await?;
    assert_eq!(item.unwrap()["n"], 3);
    assert_eq!(aws.scan_json(&stack.tables.ledger).await?.len(), 1);
    aws.put_secret(&stack.token_secret_name("int_1"), "v1")
        .await?;
    aws.put_secret(&stack.token_secret_name("int_1"), "v2")
        .await?;
    assert_eq!(
        aws.get_secret(&stack.token_secret_name("int_1"))
            .await?
            .as_deref(),
        Some("v2")
    );
    assert_eq!(aws.get_secret("nope").await?, None);

    // The configuration contract.
    let env: std::collections::BTreeMap<String, String> =
        stack.function_env("log-messages").into_iter().collect();
    let keys: Vec<&str> = env.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "AWS_ACCESS_KEY_ID",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_SECRET_ACCESS_KEY",
            "HONA_CASE_THREADS_TABLE",
            "HONA_DEAD_LETTER_QUEUE_URL",
            "HONA_IDEMPOTENCY_TABLE",
            "HONA_INTEGRATIONS_TABLE",
            "HONA_LEASES_TABLE",
            "HONA_LEDGER_TABLE",
            "HONA_SECRET_PREFIX",
            "MYCASE_API_URL",
            "MYCASE_AUTH_URL",
            "MYCASE_RATE_LIMIT_PER_SECOND",
            "RUST_LOG",
        ]
    );
    assert_eq!(env["AWS_ENDPOINT_URL"], stack.endpoint_url());
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["HONA_DEAD_LETTER_QUEUE_URL"], stack.messages.dlq_url);
    assert_eq!(env["MYCASE_API_URL"], stack.mycase_url());
    assert_eq!(env["MYCASE_AUTH_URL"], stack.mycase_url());
    assert_eq!(env["MYCASE_RATE_LIMIT_PER_SECOND"], "20");
    assert_eq!(env["RUST_LOG"], "info");
    let env_n: std::collections::BTreeMap<String, String> = stack
        .function_env("log-notifications")
        .into_iter()
        .collect();
    assert_eq!(
        env_n["HONA_DEAD_LETTER_QUEUE_URL"],
        stack.notifications.dlq_url
    );
    let env_l: std::collections::BTreeMap<String, String> =
        stack.function_env("convert-leads").into_iter().collect();
    assert_eq!(env_l["HONA_DEAD_LETTER_QUEUE_URL"], stack.leads.dlq_url);
    assert_eq!(env_l["HONA_LEADS_TABLE"], stack.tables.leads);
    assert!(
        !env.contains_key("HONA_LEADS_TABLE"),
        "only convert-leads needs it"
    );

    // The sandbox answers HTTP.
    let resp = reqwest::get(stack.mycase_url()).await;
    assert!(
        resp.is_ok(),
        "MyCase sandbox at {} does not answer",
        stack.mycase_url()
    );

    // Two stacks never collide; dropping a stack kills its moto server.
    let other = LocalStack::start_with(fast_options(1, 2)).await?;
    assert_ne!(other.suffix, stack.suffix);
    assert_ne!(other.endpoint_url(), stack.endpoint_url());
    let pid = stack.moto.pid().unwrap();
    assert!(pid_alive(pid));
    drop(stack);
    assert!(
        !pid_alive(pid),
        "moto_server {pid} still running after drop"
    );
    Ok(())
}

/// An invoker that records every event and fails the messages whose body says so.
fn recording_invoker(
    seen: Arc<Mutex<Vec<Value>>>,
) -> FnInvoker<impl Fn(Value) -> futures::future::Ready<Result<Value, InvokeError>> + Send + Sync> {
    FnInvoker(move |event: Value| {
        seen.lock().unwrap().push(event.clone());
        let failures: Vec<Value> = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                serde_json::from_str::<Value>(r["body"].as_str().unwrap())
                    .map(|b| b["fail"] == true)
                    .unwrap_or(false)
            })
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        futures::future::ready(Ok(json!({ "batchItemFailures": failures })))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_delivers_lambda_shaped_batches_and_deletes_acknowledged() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(fast_options(1, 5)).await?;
    let q = &stack.messages;
    let mut sent = Vec::new();
    for (i, group) in ["int_a", "int_a", "int_b", "int_b"].iter().enumerate() {
        let body = json!({"id": format!("evt_{i}"), "integration_id": group, "fail": i == 1});
        sent.push(stack.aws.send_event(&q.url, &body).await?);
    }

    let seen = Arc::new(Mutex::new(Vec::new()));
    let invoker = recording_invoker(seen.clone());
    let esm = stack.event_source_mapping("log-messages", &invoker)?;
    assert_eq!(esm.batch_size, 10);

    let first = esm.poll_once().await?;
    assert_eq!(first.received, 4, "one batch holds all four: {first:?}");
    assert_eq!(first.failed_ids, vec![sent[1].clone()]);
    assert_eq!(first.deleted, 3);
    assert!(first.invoke_error.is_none());

    // The event is what Lambda sends.
    let event = seen.lock().unwrap()[0].clone();
    let parsed: SqsEvent = serde_json::from_value(event.clone())?;
    assert_eq!(parsed.records.len(), 4);
    for (r, id) in parsed.records.iter().zip(&sent) {
        assert_eq!(r.message_id.as_ref(), Some(id));
        assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(r.event_source_arn.as_deref(), Some(q.arn.as_str()));
        assert_eq!(r.aws_region.as_deref(), Some("us-east-1"));
        assert!(r.receipt_handle.is_some());
        assert!(r.md5_of_body.is_some());
        let body: Value = serde_json::from_str(r.body.as_deref().unwrap())?;
        assert_eq!(r.attributes["MessageGroupId"], body["integration_id"]);
        assert_eq!(r.attributes["MessageDeduplicationId"], body["id"]);
        assert_eq!(r.attributes["ApproximateReceiveCount"], "1");
        assert!(r.attributes["SentTimestamp"].parse::<u64>()? > 0);
        assert!(r.attributes.contains_key("SequenceNumber"));
    }
    assert!(event["Records"][0]["messageAttributes"].is_object());

    // The failed one is invisible until the visibility timeout, then comes back alone.
    let counts = stack.aws.queue_counts(&q.url).await?;
    assert_eq!((counts.visible, counts.in_flight), (0, 1), "{counts:?}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let second = esm.poll_once().await?;
    assert_eq!(second.message_ids, vec![sent[1].clone()]);
    let again: SqsEvent = serde_json::from_value(seen.lock().unwrap()[1].clone())?;
    assert_eq!(again.records[0].attributes["ApproximateReceiveCount"], "2");

    // A response naming a message that is not in the batch fails the whole batch.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let bogus = FnInvoker(|_e: Value| async {
        Ok(json!({"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}))
    });
    let esm_bogus = stack.event_source_mapping("log-messages", &bogus)?;
    let third = esm_bogus.poll_once().await?;
    assert_eq!(third.received, 1);
    assert!(third.invalid_response.is_some());
    assert_eq!(third.deleted, 0);

    // An acknowledging function drains it.
    let ok = FnInvoker(|_e: Value| async { Ok(Value::Null) });
    let esm_ok = stack.event_source_mapping("log-messages", &ok)?;
    let stats = esm_ok.run_until_drained(Duration::from_secs(20)).await?;
    assert!(stats.drained, "{stats:?}");
    assert_eq!(stats.messages_deleted, 1, "{stats:?}");
    assert!(stack.aws.drain_queue(&q.dlq_url).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_invokes_delete_nothing_and_moto_redrives_to_the_dlq() -> anyhow::Result<()> {
    // Visibility 1 s, maxReceiveCount 2.
    let stack = LocalStack::start_with(fast_options(1, 2)).await?;
    let q = &stack.notifications;
    let mut sent = Vec::new();
    for i in 0..3 {
        let body = json!({"id": format!("evt_n{i}"), "integration_id": "int_x"});
        sent.push(stack.aws.send_event(&q.url, &body).await?);
    }

    // First invoke: a timeout (the function outlives function_timeout); then function errors.
    let calls = Arc::new(Mutex::new(0u32));
    let c = calls.clone();
    let failing = FnInvoker(move |_e: Value| {
        let n = {
            let mut n = c.lock().unwrap();
            *n += 1;
            *n
        };
        async move {
            if n == 1 {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err::<Value, _>(InvokeError::Function {
                error_type: "Boom".into(),
                error_message: "always fails".into(),
            })
        }
    });
    let esm = EventSourceMapping::new(&stack.aws.sqs, &q.url, &q.arn, &failing)
        .function_timeout(Duration::from_millis(300));
    let stats = esm.run_until_drained(Duration::from_secs(40)).await?;
    assert!(stats.drained, "moto did not redrive: {stats:?}");
    assert_eq!(stats.messages_deleted, 0, "{stats:?}");
    assert_eq!(stats.invoke_errors, stats.invokes, "{stats:?}");
    // Each message was delivered exactly maxReceiveCount (2) times before the redrive.
    assert_eq!(stats.messages_received, 3 * 2, "{stats:?}");

    let dlq = hona_e2e::poller::drain_dlq(&stack.aws, &q.dlq_url).await?;
    let mut ids: Vec<String> = dlq.iter().map(|m| m.message_id.clone()).collect();
    ids.sort();
    let mut want = sent.clone();
    want.sort();
    assert_eq!(ids, want, "the DLQ holds the same messages (same ids)");
    for m in &dlq {
        assert_eq!(m.attributes["MessageGroupId"], "int_x");
        assert!(m.body_json()?["id"].as_str().unwrap().starts_with("evt_n"));
        eprintln!(
            "DLQ message {}: ApproximateReceiveCount={} MessageDeduplicationId={:?}",
            m.message_id,
            m.receive_count(),
            m.attributes.get("MessageDeduplicationId")
        );
    }
    assert_eq!(stack.aws.queue_counts(&q.url).await?.total(), 0);
    Ok(())
}

/// A `message.logged` event (SPEC §2) for the emulator tests.
fn message_logged_event(id: &str) -> Value {
    json!({
        "id": id,
        "type": "message.logged",
        "time": "2026-11-24T14:03:22-08:00",
        "org_id": "org_e2e",
        "integration_id": "int_e2e",
        "project": {"id": "prj_1", "mycase_case_id": 41349079, "mycase_client_id": 5550123},
        "data": {
            "direction": "inbound", "channel": "sms", "body": "hello",
            "sent_at": "2026-11-24T14:03:22-08:00",
            "sender": {"kind": "client", "name": "Client"}, "attachment_count": 0
        }
    })
}

/// The real function under cargo-lambda: invoke, logs, kills (idle and mid-invocation),
/// restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_runs_the_real_function_and_survives_kills() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;

    // Its AWS endpoint is a socket that accepts connections and never answers, so an
    // invocation with a record hangs inside the function until we kill it.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0")?;
    let mut env = stack.function_env("log-messages");
    for (k, v) in env.iter_mut() {
        if k == "AWS_ENDPOINT_URL" {
            *v = format!("http://{}", black_hole.local_addr()?);
        }
    }
    let f = hona_e2e::Emulator::start("log-messages", env).await?;
    assert_eq!(f.instance_starts(), 1);

    // An empty batch: nothing to do, no failures, and the function logs.
    let out = f
        .invoke(&json!({"Records": []}), Duration::from_secs(20))
        .await?;
    let failures = &out["batchItemFailures"];
    assert!(
        failures.is_null() || failures.as_array().is_some_and(|a| a.is_empty()),
        "{out}"
    );
    let logged = f
        .wait_for_log(|l| !l.starts_with("[hona-e2e]"), Duration::from_secs(5))
        .await;
    assert!(
        logged.is_some(),
        "no function log line: {:?}",
        f.captured_logs()
    );

    // Killed while idle: the next invoke cold-starts a new instance.
    let pid = f.kill_function().expect("an instance is running");
    f.invoke(&json!({"Records": []}), Duration::from_secs(20))
        .await?;
    assert_eq!(f.instance_starts(), 2);
    assert_ne!(f.function_pid(), Some(pid));

    // Killed mid-invocation: the invoke fails at once with Crashed. (That the record hangs
    // on the black hole instead of being deferred also shows the function got a real
    // deadline: cargo-lambda's own is in 1970, see the emulator docs.)
    let messages = [Message::builder()
        .message_id("m-1")
        .receipt_handle("rh-1")
        .body(message_logged_event("evt_kill").to_string())
        .attributes(MessageSystemAttributeName::MessageGroupId, "int_e2e")
        .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "1")
        .build()];
    let event = hona_e2e::poller::sqs_event(&messages, &stack.messages.arn, "us-east-1");
    let started = std::time::Instant::now();
    let (result, killed) = tokio::join!(f.invoke(&event, Duration::from_secs(30)), async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        f.kill_function()
    });
    assert!(killed.is_some());
    assert!(
        matches!(result, Err(InvokeError::Crashed(_))),
        "expected Crashed, got {result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // And it is served again by a new instance.
    f.invoke(&json!({"Records": []}), Duration::from_secs(20))
        .await?;
    assert_eq!(f.instance_starts(), 3);
    drop(black_hole);
    Ok(())
}
