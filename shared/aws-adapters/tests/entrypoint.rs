//! The shared Lambda entrypoint, called directly with the committed event fixtures
//! and in-memory fakes of every port.

use aws_adapters::lambda::handle;
use hona_domain::Reason;
use hona_domain::communications::{CommunicationsLog, Messages};
use hona_domain::fakes::*;
use hona_domain::ids::{IntegrationId, OrgId, StaffId};
use hona_domain::integration::{Integration, LogTarget};
use hona_domain::{Deadline, Pipeline, Stores};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture exists"))
        .expect("fixture is JSON")
}

struct World {
    pipeline: Pipeline<Messages>,
    mycase: Arc<FakeConnector>,
    dead_letters: Arc<MemoryDeadLetters>,
}

fn world() -> World {
    let integration = Integration {
        id: IntegrationId::parse("int_mycase_3f9a").unwrap(),
        org_id: OrgId::parse("org_3f9a").unwrap(),
        active: true,
        sender_staff_id: StaffId::new(88001).unwrap(),
        log_target: LogTarget::Thread,
        time_zone: chrono_tz::America::Los_Angeles,
        firm_uuid: None,
        documents_folder: None,
        lead_automation: None,
        needs_reconnect: None,
    };
    let mycase = Arc::new(FakeConnector::default());
    let dead_letters = Arc::new(MemoryDeadLetters::default());
    let stores = Stores {
        integrations: Arc::new(MemoryIntegrations::with([integration])),
        idempotency: Arc::new(MemoryIdempotency::default()),
        ledger: Arc::new(MemoryLedger::default()),
        dead_letters: dead_letters.clone(),
    };
    let log = CommunicationsLog {
        threads: Arc::new(MemoryThreads::default()),
        mycase: mycase.clone(),
    };
    World {
        pipeline: Pipeline::new(Messages { log }, stores),
        mycase,
        dead_letters,
    }
}

fn deadline() -> Deadline {
    Deadline::in_(Duration::from_secs(30))
}

#[tokio::test]
async fn an_sqs_batch_answers_with_batch_item_failures() {
    let w = world();
    let response = handle(&w.pipeline, fixture("log-messages.json"), deadline())
        .await
        .unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    let firm = w.mycase.firm("int_mycase_3f9a");
    let (thread, case) = firm.threads()[0];
    assert_eq!(case.get(), 41349079);
    let entries = firm.messages_in(thread);
    assert_eq!(entries.len(), 1);
    assert!(entries[0].contains("I got the letter from the insurance company today"));
}

#[tokio::test]
async fn a_transient_failure_is_reported_by_message_id() {
    let w = world();
    w.mycase
        .firm("int_mycase_3f9a")
        .fail_next(hona_domain::PushError::transient(
            Reason::MyCaseUnavailable,
            "503",
        ));
    let response = handle(&w.pipeline, fixture("log-messages.json"), deadline())
        .await
        .unwrap();
    assert_eq!(
        response,
        json!({"batchItemFailures": [{"itemIdentifier": "0f2a5d0e-0000-4000-8000-000000000000"}]})
    );
}

#[tokio::test]
async fn bad_input_in_a_batch_is_dead_lettered_not_retried() {
    let w = world();
    let response = handle(
        &w.pipeline,
        fixture("log-messages.with-bad-input.json"),
        deadline(),
    )
    .await
    .unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    assert_eq!(w.dead_letters.reasons(), vec!["invalid_json"]);
    assert_eq!(
        w.mycase.firm("int_mycase_3f9a").posted().len(),
        2,
        "the good event landed (thread + message)"
    );
}

#[tokio::test]
async fn an_eventbridge_event_answers_with_its_disposition_and_is_idempotent() {
    let w = world();
    let event = fixture("log-messages.eventbridge.json");
    let first = handle(&w.pipeline, event.clone(), deadline())
        .await
        .unwrap();
    assert_eq!(first, json!({"status": "landed", "reason": null}));
    let again = handle(&w.pipeline, event, deadline()).await.unwrap();
    assert_eq!(again, json!({"status": "already_landed", "reason": null}));
}

#[tokio::test]
async fn an_eventbridge_event_that_must_be_retried_is_an_error() {
    let w = world();
    w.mycase
        .firm("int_mycase_3f9a")
        .fail_next(hona_domain::PushError::transient(
            Reason::MyCaseUnavailable,
            "503",
        ));
    let result = handle(
        &w.pipeline,
        fixture("log-messages.eventbridge.json"),
        deadline(),
    )
    .await;
    assert!(
        result.is_err(),
        "EventBridge retries an invocation that errors"
    );
}

#[test]
fn an_epoch_deadline_and_the_emulators_duration_both_give_the_time_left() {
    use aws_adapters::lambda::deadline;
    let in_a_minute =
        (chrono::Utc::now() + chrono::Duration::seconds(60)).timestamp_millis() as u64;
    let d = deadline(in_a_minute);
    assert!(d.remaining() > Duration::from_secs(58) && d.remaining() <= Duration::from_secs(60));
    assert!(
        deadline(600_000).remaining() > Duration::from_secs(598),
        "cargo-lambda's 600000 means ten minutes"
    );
    let past = (chrono::Utc::now() - chrono::Duration::seconds(5)).timestamp_millis() as u64;
    assert_eq!(deadline(past).remaining(), Duration::ZERO);
}
