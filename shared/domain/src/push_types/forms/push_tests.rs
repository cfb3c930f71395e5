//! Form Field Mapping through THE pipeline over in-memory ports.

use super::catalogue::FormFieldUpkeep;
use super::fakes::{FakeFieldsConnector, FakeFieldsFirm, MemoryMappings};
use super::mapping::{Broken, MappingRequest, MappingStatus, validate};
use super::ports::{CaseFields, MappingStore};
use super::push::MapFormFields;
use super::question::QuestionType;
use crate::error::PushError;
use crate::fakes::{MemoryDeadLetters, MemoryIdempotency, MemoryIntegrations, MemoryLedger};
use crate::ids::{CustomFieldId, FormId, IntegrationId, OrgId, QuestionId, StaffId};
use crate::integration::{Integration, LogTarget};
use crate::outcome::Landed;
use crate::outcome::Outcome;
use crate::pipeline::{Deadline, Disposition, Pipeline, RecordResult, Stores};
use crate::reason::Reason;
use mycase_client::model::FieldValue;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const CASE: i64 = 41349079;
const OTHER_CASE: i64 = 41349080;

struct World {
    integration: Integration,
    ledger: Arc<MemoryLedger>,
    dead_letters: Arc<MemoryDeadLetters>,
    mappings: Arc<MemoryMappings>,
    mycase: Arc<FakeFieldsConnector>,
    pipeline: Pipeline<MapFormFields>,
}

fn integration() -> Integration {
    Integration {
        id: IntegrationId::parse("int_a").unwrap(),
        org_id: OrgId::parse("org_a").unwrap(),
        active: true,
        sender_staff_id: StaffId::new(88001).unwrap(),
        log_target: LogTarget::Thread,
        time_zone: chrono_tz::America::Los_Angeles,
        firm_uuid: None,
        documents_folder: None,
        lead_automation: None,
        needs_reconnect: None,
    }
}

impl World {
    fn new() -> Self {
        let ledger: Arc<MemoryLedger> = Default::default();
        let dead_letters: Arc<MemoryDeadLetters> = Default::default();
        let mappings: Arc<MemoryMappings> = Default::default();
        let mycase: Arc<FakeFieldsConnector> = Default::default();
        let stores = Stores {
            integrations: Arc::new(MemoryIntegrations::with([integration()])),
            idempotency: Arc::new(MemoryIdempotency::default()),
            ledger: ledger.clone(),
            dead_letters: dead_letters.clone(),
        };
        let pipeline = Pipeline::new(
            MapFormFields {
                mappings: mappings.clone(),
                mycase: mycase.clone(),
            },
            stores,
        );
        let firm = mycase.firm("int_a");
        firm.add_case(CASE, "Doe — personal injury");
        firm.add_case(OTHER_CASE, "Roe — personal injury");
        firm.add_field(101, "case", "date", &[]);
        firm.add_field(102, "case", "long_text", &[]);
        firm.add_field(103, "case", "boolean", &[]);
        firm.add_field(
            104,
            "case",
            "list",
            &[("k_auto", "Auto accident"), ("k_fall", "Slip and fall")],
        );
        firm.add_field(105, "case", "currency", &[]);
        firm.add_field(106, "case", "short_text", &[]);
        firm.add_field(201, "client", "short_text", &[]);
        World {
            integration: integration(),
            ledger,
            dead_letters,
            mappings,
            mycase,
            pipeline,
        }
    }

    fn firm(&self) -> Arc<FakeFieldsFirm> {
        self.mycase.firm("int_a")
    }

    async fn map(&self, question: &str, q: QuestionType, field: i64, choices: &[(&str, &str)]) {
        let firm = self.firm();
        let def = firm
            .custom_field(CustomFieldId::new(field).unwrap())
            .await
            .unwrap();
        let request = MappingRequest {
            integration_id: self.integration.id.clone(),
            form_id: FormId::parse("frm_intake").unwrap(),
            question_id: QuestionId::parse(question).unwrap(),
            question_type: q,
            field_id: CustomFieldId::new(field).unwrap(),
            choices: choices
                .iter()
                .map(|(a, b)| ((*a).into(), (*b).into()))
                .collect(),
        };
        let mapping = validate(request, def.as_ref(), chrono::Utc::now()).unwrap();
        self.mappings.put(&mapping).await.unwrap();
    }

    async fn submit(&self, id: &str, case: i64, answers: Value) -> RecordResult {
        let body = json!({
            "id": id, "type": "form.submitted", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_a", "integration_id": "int_a",
            "project": {"id": "prj_1", "mycase_case_id": case},
            "data": {"form_id": "frm_intake", "form_name": "Intake", "submission_id": "sub_1",
                     "submitted_at": "2026-11-24T14:03:20-08:00", "answers": answers}
        });
        self.pipeline
            .process(
                &body.to_string(),
                None,
                Deadline::in_(Duration::from_secs(30)),
            )
            .await
    }

    fn value(&self, case: i64, field: i64) -> Option<FieldValue> {
        let cases = self.firm().cases.lock().unwrap().clone();
        cases[&case].custom_field_value(field)
    }

    fn outcome(&self, event: &str) -> Outcome {
        self.ledger.outcome("int_a", event).expect("a ledger row")
    }
}

fn intake() -> Value {
    json!([
        {"question_id": "q_court", "question_type": "date", "label": "Court date", "value": "2026-12-03T09:00:00-08:00"},
        {"question_id": "q_injury", "question_type": "long_text", "label": "Injury", "value": "Whiplash, two weeks off work."},
        {"question_id": "q_treated", "question_type": "yes_no", "label": "Treated?", "value": true},
        {"question_id": "q_kind", "question_type": "single_choice", "label": "Kind", "value": "Car accident"},
        {"question_id": "q_bills", "question_type": "number", "label": "Medical bills", "value": "$1,250.50"},
        {"question_id": "q_unmapped", "question_type": "short_text", "label": "Anything else", "value": "nothing"}
    ])
}

async fn mapped_world() -> World {
    let w = World::new();
    w.map("q_court", QuestionType::Date, 101, &[]).await;
    w.map("q_injury", QuestionType::LongText, 102, &[]).await;
    w.map("q_treated", QuestionType::YesNo, 103, &[]).await;
    w.map(
        "q_kind",
        QuestionType::SingleChoice,
        104,
        &[("Car accident", "k_auto")],
    )
    .await;
    w.map("q_bills", QuestionType::Number, 105, &[]).await;
    w
}

#[tokio::test]
async fn an_intake_form_lands_in_the_mapped_fields_of_its_case_only() {
    let w = mapped_world().await;
    assert_eq!(
        w.submit("evt_1", CASE, intake()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(
        w.value(CASE, 101),
        Some(FieldValue::Text("2026-12-03".into()))
    );
    assert_eq!(
        w.value(CASE, 102),
        Some(FieldValue::Text("Whiplash, two weeks off work.".into()))
    );
    assert_eq!(w.value(CASE, 103), Some(FieldValue::Bool(true)));
    assert_eq!(
        w.value(CASE, 104),
        Some(FieldValue::Text("Auto accident".into()))
    );
    assert_eq!(w.value(CASE, 105), Some(FieldValue::Number(1250.5)));
    assert_eq!(w.value(CASE, 106), None, "unmapped question ignored");
    assert!(
        w.firm().case_values(OTHER_CASE).is_empty(),
        "other case untouched"
    );
    let updates = w.firm().updates.lock().unwrap().clone();
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].1.name, "Doe — personal injury",
        "PUT carries the case name"
    );
    match w.outcome("evt_1") {
        Outcome::Landed(Landed { refs, remarks }) => {
            assert_eq!(refs[0].kind, "case");
            assert!(remarks.is_empty(), "{remarks:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn duplicates_and_resubmissions_send_nothing_twice_even_with_the_append_quirk() {
    let w = mapped_world().await;
    *w.firm().append_quirk.lock().unwrap() = true;
    w.submit("evt_1", CASE, intake()).await;
    assert_eq!(
        w.submit("evt_1", CASE, intake()).await,
        RecordResult::Done(Disposition::AlreadyLanded)
    );
    // A new submission with the same answers: nothing changed, nothing sent.
    assert_eq!(
        w.submit("evt_2", CASE, intake()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(w.firm().updates.lock().unwrap().len(), 1);
    let rows = w.firm().case_values(CASE);
    assert_eq!(rows.len(), 5, "one row per mapped field: {rows:?}");
    // One changed answer: only that value is sent.
    let mut changed = intake();
    changed[4]["value"] = json!(2000);
    w.submit("evt_3", CASE, changed).await;
    let updates = w.firm().updates.lock().unwrap().clone();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1].1.custom_field_values.len(), 1);
    assert_eq!(updates[1].1.custom_field_values[0].custom_field.id, 105);
    assert_eq!(w.value(CASE, 105), Some(FieldValue::Number(2000.0)));
}

#[tokio::test]
async fn blank_answers_never_overwrite() {
    let w = mapped_world().await;
    w.submit("evt_1", CASE, intake()).await;
    let blanks = json!([
        {"question_id": "q_injury", "question_type": "long_text", "label": "Injury", "value": ""},
        {"question_id": "q_bills", "question_type": "number", "label": "Bills", "value": null}
    ]);
    let r = w.submit("evt_2", CASE, blanks).await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::Skipped(Reason::BlankAnswers))
    );
    assert_eq!(
        w.outcome("evt_2"),
        Outcome::Skipped {
            reason: Reason::BlankAnswers
        }
    );
    assert_eq!(
        w.value(CASE, 102),
        Some(FieldValue::Text("Whiplash, two weeks off work.".into()))
    );
    assert_eq!(w.firm().updates.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn no_mapped_answers_is_skipped() {
    let w = World::new();
    let r = w.submit("evt_1", CASE, intake()).await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::Skipped(Reason::NoMappedAnswers))
    );
    assert_eq!(
        w.outcome("evt_1"),
        Outcome::Skipped {
            reason: Reason::NoMappedAnswers
        }
    );
    assert_eq!(
        *w.firm().field_list_calls.lock().unwrap(),
        0,
        "MyCase not even asked"
    );
}

#[tokio::test]
async fn a_value_that_does_not_fit_is_a_remark_and_the_rest_lands() {
    let w = mapped_world().await;
    let mut answers = intake();
    answers[4]["value"] = json!(10.125);
    w.submit("evt_1", CASE, answers).await;
    assert_eq!(w.value(CASE, 105), None);
    assert_eq!(w.value(CASE, 103), Some(FieldValue::Bool(true)));
    let Outcome::Landed(Landed { remarks, .. }) = w.outcome("evt_1") else {
        panic!()
    };
    assert_eq!(remarks.len(), 1);
    assert_eq!(remarks[0].kind, Reason::ValueDoesNotFit);
    assert_eq!(
        remarks[0].detail,
        "Question q_bills → custom field 105: the amount has more than two decimal places."
    );
}

#[tokio::test]
async fn deleted_and_retyped_fields_break_their_mapping_and_are_not_written() {
    let w = mapped_world().await;
    w.firm().fields.lock().unwrap().remove(&102);
    w.firm()
        .fields
        .lock()
        .unwrap()
        .get_mut(&103)
        .unwrap()
        .field_type = "short_text".into();
    w.submit("evt_1", CASE, intake()).await;
    assert_eq!(w.value(CASE, 102), None);
    assert_eq!(
        w.value(CASE, 103),
        None,
        "never garbage into a retyped field"
    );
    assert_eq!(
        w.value(CASE, 101),
        Some(FieldValue::Text("2026-12-03".into()))
    );
    let Outcome::Landed(Landed { remarks, .. }) = w.outcome("evt_1") else {
        panic!()
    };
    let kinds: Vec<_> = remarks
        .iter()
        .map(|r| (r.kind.as_str(), r.detail.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                "mapping_broken",
                "Question q_injury: MyCase custom field 102 no longer exists."
            ),
            (
                "mapping_broken",
                "Question q_treated: MyCase custom field 103 was boolean when mapped and is now short_text."
            ),
        ]
    );
    let saved = w.mappings.list(&w.integration.id).await.unwrap();
    let broken: Vec<_> = saved
        .iter()
        .filter_map(|m| match &m.status {
            MappingStatus::Broken(Broken { kind, .. }) => {
                Some((m.question_id.as_str().to_owned(), kind.clone()))
            }
            MappingStatus::Ok => None,
        })
        .collect();
    assert_eq!(
        broken,
        vec![
            ("q_injury".into(), Reason::FieldDeleted),
            ("q_treated".into(), Reason::FieldRetyped)
        ]
    );

    // The admin puts the type back: the nightly re-check heals the mapping.
    w.firm()
        .fields
        .lock()
        .unwrap()
        .get_mut(&103)
        .unwrap()
        .field_type = "boolean".into();
    let upkeep = FormFieldUpkeep {
        mappings: w.mappings.clone(),
        mycase: w.mycase.clone(),
    };
    let report = upkeep
        .recheck_mappings(
            &w.integration,
            tokio::time::Instant::now() + Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.checked,
            report.fixed,
            report.still_broken,
            report.broken
        ),
        (5, 1, 1, 0)
    );
}

#[tokio::test]
async fn a_missing_case_is_permanent() {
    let w = mapped_world().await;
    let r = w.submit("evt_1", 999, intake()).await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::DeadLettered(Reason::CaseNotFound))
    );
    assert_eq!(w.dead_letters.reasons(), vec!["case_not_found".to_owned()]);
}

#[tokio::test]
async fn the_catalogue_offers_only_compatible_case_fields() {
    let w = World::new();
    let upkeep = FormFieldUpkeep {
        mappings: w.mappings.clone(),
        mycase: w.mycase.clone(),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let catalogue = upkeep.catalogue(&w.integration, deadline).await.unwrap();
    let ids: Vec<i64> = catalogue
        .compatible_with(QuestionType::Number)
        .iter()
        .map(|f| f.id.get())
        .collect();
    assert_eq!(
        ids,
        vec![102, 105, 106],
        "case fields only; no date/boolean/list"
    );
    // Cached: a second read does not ask MyCase again.
    upkeep.catalogue(&w.integration, deadline).await.unwrap();
    assert_eq!(*w.firm().field_list_calls.lock().unwrap(), 1);
}

// -- The cached catalogue ---------------------------------------------------------------------

impl World {
    fn upkeep(&self) -> FormFieldUpkeep {
        FormFieldUpkeep {
            mappings: self.mappings.clone(),
            mycase: self.mycase.clone(),
        }
    }

    /// The firm opened the mapping dropdown: the catalogue is cached, fresh.
    async fn cache_catalogue(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        self.upkeep()
            .refresh_catalogue(&self.integration, deadline)
            .await
            .unwrap();
    }

    /// MyCase requests so far: field lists, case reads, PUTs.
    fn requests(&self) -> usize {
        let firm = self.firm();
        *firm.field_list_calls.lock().unwrap()
            + *firm.case_reads.lock().unwrap()
            + firm.updates.lock().unwrap().len()
    }
}

#[tokio::test]
async fn with_a_fresh_catalogue_a_submission_costs_a_case_read_and_the_put() {
    let w = mapped_world().await;
    w.cache_catalogue().await;
    let before = w.requests();
    assert_eq!(
        w.submit("evt_1", CASE, intake()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(w.requests() - before, 2);
    // A stale catalogue is read again first: three.
    w.mappings
        .catalogues
        .lock()
        .unwrap()
        .values_mut()
        .for_each(|c| c.refreshed_at -= chrono::Duration::hours(2));
    let mut changed = intake();
    changed[4]["value"] = json!(99);
    let before = w.requests();
    w.submit("evt_2", CASE, changed).await;
    assert_eq!(w.requests() - before, 3);
    assert_eq!(w.value(CASE, 105), Some(FieldValue::Number(99.0)));
}

#[tokio::test]
async fn a_field_deleted_after_the_catalogue_was_cached_is_caught_and_the_rest_lands() {
    let w = mapped_world().await;
    w.cache_catalogue().await;
    w.firm().fields.lock().unwrap().remove(&102);
    assert_eq!(
        w.submit("evt_1", CASE, intake()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(w.value(CASE, 102), None);
    assert_eq!(
        w.value(CASE, 101),
        Some(FieldValue::Text("2026-12-03".into()))
    );
    let Outcome::Landed(Landed { remarks, .. }) = w.outcome("evt_1") else {
        panic!()
    };
    assert_eq!(remarks.len(), 1, "{remarks:?}");
    assert_eq!(
        remarks[0].detail,
        "Question q_injury: MyCase custom field 102 no longer exists."
    );
    let saved = w.mappings.list(&w.integration.id).await.unwrap();
    let injury = saved
        .iter()
        .find(|m| m.question_id.as_str() == "q_injury")
        .unwrap();
    assert!(
        matches!(injury.status, MappingStatus::Broken(ref b) if b.kind == Reason::FieldDeleted)
    );
    // The catalogue was read again, so the next submission spends nothing finding out.
    let cached = w.mappings.catalogues.lock().unwrap()[&w.integration.id].clone();
    assert!(cached.fields.iter().all(|f| f.id.get() != 102));
}

#[tokio::test]
async fn a_field_retyped_after_the_catalogue_was_cached_is_never_written() {
    let w = mapped_world().await;
    w.cache_catalogue().await;
    let cached = w.mappings.catalogues.lock().unwrap().clone();
    w.submit("evt_1", CASE, intake()).await;
    for (field, now) in [(103, "short_text"), (105, "date")] {
        w.firm()
            .fields
            .lock()
            .unwrap()
            .get_mut(&field)
            .unwrap()
            .field_type = now.into();
    }
    let mut answers = intake();
    answers[2]["value"] = json!(false);
    // A case with no value in those fields yet: MyCase refuses the values (422), the
    // catalogue is read again and the sound answers are written.
    w.submit("evt_2", OTHER_CASE, answers.clone()).await;
    assert_eq!(w.value(OTHER_CASE, 103), None);
    assert_eq!(w.value(OTHER_CASE, 105), None);
    assert_eq!(
        w.value(OTHER_CASE, 101),
        Some(FieldValue::Text("2026-12-03".into()))
    );
    // A case that has values there shows the fields' new types: the catalogue is read
    // again before anything is sent.
    *w.mappings.catalogues.lock().unwrap() = cached;
    let puts = w.firm().updates.lock().unwrap().len();
    answers[0]["value"] = json!("2026-12-10");
    w.submit("evt_3", CASE, answers).await;
    let updates = w.firm().updates.lock().unwrap().clone();
    assert_eq!(updates.len(), puts + 1, "one PUT, not refused");
    let sent: Vec<i64> = updates[puts]
        .1
        .custom_field_values
        .iter()
        .map(|v| v.custom_field.id)
        .collect();
    assert!(!sent.contains(&103) && !sent.contains(&105), "{sent:?}");
    assert_eq!(
        w.value(CASE, 103),
        Some(FieldValue::Bool(true)),
        "untouched"
    );
    for event in ["evt_2", "evt_3"] {
        let Outcome::Landed(Landed { remarks, .. }) = w.outcome(event) else {
            panic!("{event}")
        };
        assert!(
            remarks.iter().any(|r| r.detail
                == "Question q_treated: MyCase custom field 103 was boolean when mapped and is now short_text."),
            "{event}: {remarks:?}"
        );
    }
}

#[tokio::test]
async fn a_submission_whose_every_answer_is_refused_does_not_claim_it_landed() {
    let w = mapped_world().await;
    w.firm().fields.lock().unwrap().clear();
    let r = w.submit("evt_1", CASE, intake()).await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::DeadLettered(Reason::NoAnswerWritten))
    );
    match w.outcome("evt_1") {
        Outcome::Failed(PushError {
            reason,
            detail,
            permanent,
        }) => {
            assert_eq!(reason, Reason::NoAnswerWritten);
            assert!(permanent);
            assert!(
                detail.contains("Question q_court: MyCase custom field 101 no longer exists."),
                "{detail}"
            );
            assert!(!detail.contains("Whiplash"), "never an answer: {detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(w.firm().updates.lock().unwrap().is_empty());
}
