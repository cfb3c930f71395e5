//! The committed `events/map-form-fields.json` (SQS) through the shared Lambda
//! entrypoint, with in-memory ports.

use aws_adapters::lambda::handle;
use hona_domain::fakes::{MemoryDeadLetters, MemoryIdempotency, MemoryIntegrations, MemoryLedger};
use hona_domain::forms::fakes::{FakeFieldsConnector, MemoryMappings};
use hona_domain::forms::mapping::{MappingRequest, validate};
use hona_domain::forms::ports::{CaseFields, MappingStore};
use hona_domain::forms::{MapFormFields, QuestionType};
use hona_domain::ids::{CustomFieldId, FormId, IntegrationId, OrgId, QuestionId, StaffId};
use hona_domain::integration::{Integration, LogTarget};
use hona_domain::outcome::{Landed, Outcome};
use hona_domain::{Deadline, Pipeline, Stores};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn the_sqs_fixture_lands_its_mapped_answers() {
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
    let mycase: Arc<FakeFieldsConnector> = Default::default();
    let firm = mycase.firm("int_mycase_3f9a");
    firm.add_case(41349079, "Alvarez — auto accident");
    firm.add_field(
        1130203,
        "case",
        "list",
        &[("k1", "Auto accident"), ("k2", "Slip and fall")],
    );
    firm.add_field(1130204, "case", "date", &[]);
    let mappings: Arc<MemoryMappings> = Default::default();
    for (question, question_type, field, choices) in [
        (
            "q_accident_kind",
            QuestionType::SingleChoice,
            1130203,
            vec![("Car accident".to_owned(), "k1".to_owned())],
        ),
        ("q_court_date", QuestionType::Date, 1130204, vec![]),
    ] {
        let id = CustomFieldId::new(field).unwrap();
        let def = firm.custom_field(id).await.unwrap();
        let request = MappingRequest {
            integration_id: integration.id.clone(),
            form_id: FormId::parse("frm_pi_intake").unwrap(),
            question_id: QuestionId::parse(question).unwrap(),
            question_type,
            field_id: id,
            choices: choices.into_iter().collect(),
        };
        mappings
            .put(&validate(request, def.as_ref(), chrono::Utc::now()).unwrap())
            .await
            .unwrap();
    }
    let ledger: Arc<MemoryLedger> = Default::default();
    let stores = Stores {
        integrations: Arc::new(MemoryIntegrations::with([integration])),
        idempotency: Arc::new(MemoryIdempotency::default()),
        ledger: ledger.clone(),
        dead_letters: Arc::new(MemoryDeadLetters::default()),
    };
    let pipeline = Pipeline::new(
        MapFormFields {
            mappings,
            mycase: mycase.clone(),
        },
        stores,
    );
    let path = format!(
        "{}/../../events/map-form-fields.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let payload: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let response = handle(&pipeline, payload, Deadline::in_(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    let case = firm
        .case(hona_domain::ids::CaseId::new(41349079).unwrap())
        .await
        .unwrap();
    assert_eq!(
        case.custom_field_value(1130203)
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref(),
        Some("Auto accident")
    );
    assert_eq!(
        case.custom_field_value(1130204)
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref(),
        Some("2026-12-03")
    );
    let Some(Outcome::Landed(Landed { refs, .. })) =
        ledger.outcome("int_mycase_3f9a", "evt_01JDB2F0RM5Q8Z1K7N4W6T3C9A")
    else {
        panic!("landed")
    };
    assert_eq!(refs[0].kind, "case");
}
