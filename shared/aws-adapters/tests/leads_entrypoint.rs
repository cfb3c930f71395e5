//! `convert-leads`'s entrypoint, called directly with the committed fixtures over
//! in-memory fakes: the SQS capture converts, the EventBridge manual fire answers
//! with a clear result (and links the same client).

use aws_adapters::lambda::handle;
use hona_domain::fakes::*;
use hona_domain::ids::{IntegrationId, OrgId, StaffId};
use hona_domain::integration::{Integration, LeadAutomation, LogTarget};
use hona_domain::leads::LeadConversion;
use hona_domain::{Deadline, Pipeline, Stores};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture exists"))
        .expect("fixture is JSON")
}

fn pipeline(mode: Option<LeadAutomation>) -> (Pipeline<LeadConversion>, Arc<FakeConnector>) {
    let integration = Integration {
        id: IntegrationId::parse("int_mycase_3f9a").unwrap(),
        org_id: OrgId::parse("org_3f9a").unwrap(),
        active: true,
        sender_staff_id: StaffId::new(88001).unwrap(),
        log_target: LogTarget::Thread,
        time_zone: chrono_tz::America::Los_Angeles,
        firm_uuid: None,
        documents_folder: None,
        lead_automation: mode,
        needs_reconnect: None,
    };
    let mycase = Arc::new(FakeConnector::default());
    let stores = Stores {
        integrations: Arc::new(MemoryIntegrations::with([integration])),
        idempotency: Arc::new(MemoryIdempotency::default()),
        ledger: Arc::new(MemoryLedger::default()),
        dead_letters: Arc::new(MemoryDeadLetters::default()),
    };
    let push = LeadConversion {
        conversions: Arc::new(MemoryLeadConversions::default()),
        index: Arc::new(MemoryClientIndex::default()),
        mycase: mycase.clone(),
    };
    (Pipeline::new(push, stores), mycase)
}

fn deadline() -> Deadline {
    Deadline::in_(Duration::from_secs(30))
}

#[tokio::test]
async fn the_sqs_capture_converts_and_the_eventbridge_fire_links_the_same_client() {
    let (p, mycase) = pipeline(Some(LeadAutomation::Automatic));
    let response = handle(&p, fixture("convert-leads.json"), deadline())
        .await
        .unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    let book = mycase.client_book("int_mycase_3f9a");
    assert_eq!(book.all().len(), 1);
    assert_eq!(
        book.all()[0].email.as_deref(),
        Some("olivia.park@example.net")
    );
    let response = handle(&p, fixture("convert-leads.eventbridge.json"), deadline())
        .await
        .unwrap();
    assert_eq!(response, json!({"status": "landed", "reason": null}));
    assert_eq!(book.all().len(), 1, "one client per lead");
}

#[tokio::test]
async fn a_fire_without_a_setting_answers_skipped_with_the_reason() {
    let (p, mycase) = pipeline(None);
    let response = handle(&p, fixture("convert-leads.eventbridge.json"), deadline())
        .await
        .unwrap();
    assert_eq!(
        response,
        json!({"status": "skipped", "reason": "no_lead_automation"})
    );
    assert!(mycase.client_book("int_mycase_3f9a").all().is_empty());
}
