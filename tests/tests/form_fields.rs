//! Form Field Mapping end to end on the local stack: the real `mapping-api` binary
//! (API Gateway HTTP API v2 events) and `map-form-fields` binary (SQS) under
//! cargo-lambda's emulator, moto for AWS, and the MyCase sandbox.
//!
//! Two stacks only (CI has 2 cores): one walks every cell of the matrix, the other a
//! realistic intake form over two cases with the append quirk on.

use hona_e2e::mapping_api::{api, save};
use hona_e2e::scenario::{
    FirmSpec, SeededFirm, create_field, firm_state, form_submitted, mycase, seed_firm, set_faults,
};
use hona_e2e::{Emulator, LocalStack, StackOptions};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const QUESTION_TYPES: [&str; 12] = [
    "short_text",
    "long_text",
    "number",
    "date",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "email",
    "phone",
    "address",
    "file_upload",
    "signature",
];
const FIELD_TYPES: [&str; 7] = [
    "short_text",
    "long_text",
    "numeric",
    "currency",
    "date",
    "boolean",
    "list",
];

fn options() -> StackOptions {
    StackOptions {
        visibility_timeout: Duration::from_secs(3),
        max_receive_count: 3,
        ..StackOptions::default()
    }
}

fn firm(integration_id: &'static str, org_id: &'static str) -> FirmSpec<'static> {
    FirmSpec {
        name: "Alvarez & Chen Injury Law",
        org_id,
        integration_id,
        time_zone: "America/Los_Angeles",
        log_target: "thread",
        active: true,
        clients: &[
            ("Maria Alvarez", "(503) 555-0142"),
            ("Tom Becker", "503.555.0177"),
        ],
    }
}

async fn enqueue(stack: &LocalStack, event: &Value) -> anyhow::Result<()> {
    stack
        .aws
        .sqs
        .send_message()
        .queue_url(&stack.form_fields.url)
        .message_body(event.to_string())
        .send()
        .await?;
    Ok(())
}

async fn drain(stack: &LocalStack, function: &Emulator) -> anyhow::Result<()> {
    let stats = stack
        .event_source_mapping("map-form-fields", function)?
        .run_until_drained(Duration::from_secs(90))
        .await?;
    anyhow::ensure!(stats.drained, "form-fields queue not drained: {stats:?}");
    Ok(())
}

/// Field id → every value row the case holds for it (raw: the append quirk shows here).
async fn case_rows(
    stack: &LocalStack,
    seeded: &SeededFirm,
    case_index: usize,
) -> anyhow::Result<BTreeMap<i64, Vec<Value>>> {
    let state = firm_state(stack, &seeded.firm_uuid).await?;
    let case_id = seeded.firm.cases[case_index].case_id;
    let case = state
        .cases
        .into_iter()
        .find(|c| c.id == case_id)
        .ok_or_else(|| anyhow::anyhow!("case {case_id} not in the state dump"))?;
    let mut rows: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for v in case.custom_field_values {
        rows.entry(v.custom_field.id).or_default().push(v.value);
    }
    Ok(rows)
}

async fn ledger_row(stack: &LocalStack, event_id: &str) -> anyhow::Result<Value> {
    let rows = stack.aws.scan_json(&stack.tables.ledger).await?;
    rows.into_iter()
        .find(|r| r["event_id"] == event_id)
        .ok_or_else(|| anyhow::anyhow!("no ledger row for {event_id}"))
}

/// The value each ✓/~ cell must land, for the answers in `cells_answers`.
fn expected_cell_value(question: &str, field: &str) -> Value {
    match (question, field) {
        ("short_text", _) => json!("Jane Q. Doe"),
        ("long_text", _) => json!("Rear-ended at a red light.\nNeck pain since."),
        ("number", "numeric" | "currency") => json!(1250.5),
        ("number", _) => json!("1250.5"),
        ("date", _) => json!("2026-12-03"),
        ("yes_no", "boolean") => json!(true),
        ("yes_no", _) => json!("Yes"),
        ("single_choice", "list") => json!("Auto accident"),
        ("single_choice", _) => json!("Car accident"),
        ("multiple_choice", _) => json!("Neck, Back"),
        ("email", _) => json!("jane@example.com"),
        ("phone", _) => json!("+15035550142"),
        ("address", "short_text") => json!("12 Elm St, Portland, OR 97201"),
        ("address", _) => json!("12 Elm St\nPortland, OR 97201"),
        other => panic!("no expectation for {other:?}"),
    }
}

fn answer_for(question: &str) -> Value {
    match question {
        "short_text" => json!("Jane Q. Doe"),
        "long_text" => json!("Rear-ended at a red light.\nNeck pain since."),
        "number" => json!("1,250.50"),
        // Late evening in Los Angeles is the next day in UTC: must stay the 3rd.
        "date" => json!("2026-12-03T23:30:00-08:00"),
        "yes_no" => json!(true),
        "single_choice" => json!("Car accident"),
        "multiple_choice" => json!(["Neck", "Back"]),
        "email" => json!("jane@example.com"),
        "phone" => json!("(503) 555-0142"),
        "address" => {
            json!({"address1": "12 Elm St", "city": "Portland", "state": "OR", "zip_code": "97201"})
        }
        _ => json!("scan.pdf"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_of_the_matrix_saves_or_is_refused_and_lands_the_right_value()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let seeded = seed_firm(&stack, &firm("int_mycase_cells", "org_cells")).await?;
    let integration = seeded.firm.integration_id.clone();

    // What the SPEC allows, from the domain's own matrix, and one MyCase field per
    // allowed cell (two answers in one field would overwrite each other).
    use hona_domain::forms::compatibility::compatibility;
    use hona_domain::forms::field::FieldType;
    use hona_domain::forms::question::QuestionType;
    let mut cell_fields: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut any_field_of_type: BTreeMap<String, i64> = BTreeMap::new();
    for q in QUESTION_TYPES {
        for f in FIELD_TYPES {
            let allowed = compatibility(
                QuestionType::parse(q).unwrap(),
                FieldType::parse(f).unwrap(),
            )
            .is_allowed();
            if allowed {
                let options: &[&str] = if f == "list" {
                    &["Yes", "No", "Auto accident", "Slip and fall"]
                } else {
                    &[]
                };
                let id = create_field(&stack, &seeded, &format!("{q} → {f}"), "case", f, options)
                    .await?;
                cell_fields.insert((q.into(), f.into()), id);
                any_field_of_type.entry(f.into()).or_insert(id);
            }
        }
    }
    assert_eq!(cell_fields.len(), 26, "26 ✓/~ cells in SPEC §3");
    assert_eq!(any_field_of_type.len(), 7, "every field type exists");
    let client_field = create_field(
        &stack,
        &seeded,
        "Client's employer",
        "client",
        "short_text",
        &[],
    )
    .await?;

    let api_fn = stack.start_function("mapping-api").await?;

    // The dropdown: exactly the compatible case fields.
    let (status, body) = api(
        &api_fn,
        "GET",
        &format!("/integrations/{integration}/custom-fields"),
        "question_type=number",
        None,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let offered: Vec<i64> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = cell_fields.values().copied().collect::<Vec<_>>();
    assert!(
        !offered.contains(&client_field),
        "client fields are never offered"
    );
    for id in &expected {
        let field_type = cell_fields
            .iter()
            .find(|(_, v)| *v == id)
            .map(|((_, f), _)| f.clone())
            .unwrap();
        let compatible =
            ["short_text", "long_text", "numeric", "currency"].contains(&field_type.as_str());
        assert_eq!(
            offered.contains(id),
            compatible,
            "field {id} ({field_type}) for a number question"
        );
    }

    // Every cell: ✓/~ saves, ✗ is refused with a clear 422.
    let mut refused = 0;
    for q in QUESTION_TYPES {
        for f in FIELD_TYPES {
            let question = format!("q_{q}_to_{f}");
            let (field, allowed) = match cell_fields.get(&(q.to_owned(), f.to_owned())) {
                Some(id) => (*id, true),
                None => (any_field_of_type[f], false),
            };
            let mut body = json!({"question_type": q, "custom_field_id": field});
            if q == "single_choice" && f == "list" {
                body["choices"] = json!({"Car accident": "Auto accident", "Fell": "Slip and fall"});
            }
            let (status, answer) =
                save(&api_fn, &integration, "frm_cells", &question, body).await?;
            if allowed {
                assert_eq!(status, 200, "{q} → {f}: {answer}");
                assert_eq!(answer["status"]["status"], "ok");
            } else {
                assert_eq!(status, 422, "{q} → {f} must be refused: {answer}");
                assert_eq!(answer["error"]["code"], "incompatible_field");
                assert_eq!(
                    answer["error"]["message"],
                    format!("a {q} question cannot be mapped to a {f} field")
                );
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 84 - 26);
    let (status, body) = save(
        &api_fn,
        &integration,
        "frm_cells",
        "q_other",
        json!({"question_type": "short_text", "custom_field_id": client_field}),
    )
    .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("not_a_case_field"))
    );
    let (status, body) = save(
        &api_fn,
        &integration,
        "frm_cells",
        "q_other",
        json!({"question_type": "short_text", "custom_field_id": 987654}),
    )
    .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("field_not_found"))
    );
    let (status, body) = save(&api_fn, &integration, "frm_cells", "q_other", json!({"question_type": "single_choice", "custom_field_id": any_field_of_type["list"], "choices": {"Dog bite": "Dog bite"}})).await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("choice_has_no_option"))
    );
    let (_, listed) = api(
        &api_fn,
        "GET",
        &format!("/integrations/{integration}/mappings"),
        "",
        None,
    )
    .await?;
    assert_eq!(
        listed["mappings"].as_array().unwrap().len(),
        26,
        "only the allowed cells were saved"
    );

    // One submission answers every question (the refused ones are simply unmapped).
    let answers: Vec<Value> = QUESTION_TYPES
        .iter()
        .flat_map(|q| {
            FIELD_TYPES.iter().map(move |f| {
                json!({"question_id": format!("q_{q}_to_{f}"), "question_type": q, "label": format!("{q} question"), "value": answer_for(q)})
            })
        })
        .collect();
    let map_fn = stack.start_function("map-form-fields").await?;
    enqueue(
        &stack,
        &form_submitted("evt_cells_1", &seeded, 0, "frm_cells", json!(answers)),
    )
    .await?;
    drain(&stack, &map_fn).await?;

    let rows = case_rows(&stack, &seeded, 0).await?;
    for ((q, f), id) in &cell_fields {
        assert_eq!(
            rows.get(id),
            Some(&vec![expected_cell_value(q, f)]),
            "{q} → {f} (field {id})"
        );
    }
    assert_eq!(rows.len(), 26, "nothing written besides the mapped cells");
    assert!(
        case_rows(&stack, &seeded, 1).await?.is_empty(),
        "the other case is untouched"
    );
    let ledger = ledger_row(&stack, "evt_cells_1").await?;
    assert_eq!(ledger["outcome"], "landed", "{ledger}");
    assert!(
        ledger.get("remarks").is_none(),
        "every answer fitted: {ledger}"
    );

    mapping_store_guarantees(&stack).await
}

/// The DynamoDB mappings store's own guarantees (on the same stack, to save a start-up).
async fn mapping_store_guarantees(stack: &LocalStack) -> anyhow::Result<()> {
    use aws_adapters::dynamo::mappings::DynamoMappings;
    use hona_domain::forms::catalogue::Catalogue;
    use hona_domain::forms::mapping::{Broken, Mapping, MappingStatus};
    use hona_domain::forms::ports::MappingStore;
    use hona_domain::ids::{CustomFieldId, FormId, IntegrationId, QuestionId};

    let store = DynamoMappings::new(stack.aws.dynamodb.clone(), stack.tables.mappings.clone());
    let integration = IntegrationId::parse("int_store")?;
    let mapping = |form: &str, question: &str| -> anyhow::Result<Mapping> {
        Ok(Mapping {
            integration_id: integration.clone(),
            form_id: FormId::parse(form)?,
            question_id: QuestionId::parse(question)?,
            question_type: hona_domain::forms::QuestionType::Number,
            field_id: CustomFieldId::new(7)?,
            field_type: hona_domain::forms::field::FieldType::Numeric,
            choices: Default::default(),
            status: MappingStatus::Ok,
            saved_at: chrono::Utc::now(),
        })
    };
    let first = mapping("frm_1", "q_a")?;
    store.put(&first).await?;
    store.put(&mapping("frm_1", "q_b")?).await?;
    store.put(&mapping("frm_10", "q_a")?).await?;
    assert_eq!(
        store
            .for_form(&integration, &FormId::parse("frm_1")?)
            .await?
            .len(),
        2,
        "frm_10 is another form"
    );
    assert_eq!(store.list(&integration).await?.len(), 3);

    // A verdict about an older save never lands on a newer one.
    let broken = MappingStatus::Broken(Broken {
        kind: hona_domain::Reason::FieldDeleted,
        reason: "gone".into(),
    });
    store.set_status(&first, &broken).await?;
    let read = |all: Vec<Mapping>, q: &str| {
        all.into_iter()
            .find(|m| m.question_id.as_str() == q)
            .unwrap()
    };
    assert_eq!(read(store.list(&integration).await?, "q_a").status, broken);
    let resaved = Mapping {
        saved_at: chrono::Utc::now() + chrono::Duration::seconds(1),
        ..first.clone()
    };
    store.put(&resaved).await?;
    store.set_status(&first, &broken).await?;
    let now = read(
        store
            .for_form(&integration, &FormId::parse("frm_1")?)
            .await?,
        "q_a",
    );
    assert_eq!(now.status, MappingStatus::Ok, "the re-save wins");
    assert_eq!(now, resaved, "the mapping reads back exactly");

    assert!(
        store
            .delete(&integration, &first.form_id, &first.question_id)
            .await?
    );
    assert!(
        !store
            .delete(&integration, &first.form_id, &first.question_id)
            .await?
    );
    store.set_status(&first, &broken).await?;
    assert_eq!(
        store.list(&integration).await?.len(),
        2,
        "a status never resurrects a deleted mapping"
    );

    assert_eq!(store.catalogue(&integration).await?, None);
    let catalogue = Catalogue {
        fields: Vec::new(),
        refreshed_at: chrono::Utc::now(),
    };
    store.put_catalogue(&integration, &catalogue).await?;
    assert_eq!(store.catalogue(&integration).await?, Some(catalogue));
    assert_eq!(
        store.list(&integration).await?.len(),
        2,
        "the catalogue row is not a mapping"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_form_lands_as_a_firm_expects_with_the_append_quirk_on() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let seeded = seed_firm(&stack, &firm("int_mycase_intake", "org_intake")).await?;
    let integration = seeded.firm.integration_id.clone();
    set_faults(&stack, json!({"quirk_custom_field_append": true})).await?;

    let court = create_field(&stack, &seeded, "Court date", "case", "date", &[]).await?;
    let incident = create_field(&stack, &seeded, "Date of incident", "case", "date", &[]).await?;
    let injury = create_field(
        &stack,
        &seeded,
        "Injury description",
        "case",
        "long_text",
        &[],
    )
    .await?;
    let treated = create_field(
        &stack,
        &seeded,
        "Treated by a doctor",
        "case",
        "boolean",
        &[],
    )
    .await?;
    let kind = create_field(
        &stack,
        &seeded,
        "Accident type",
        "case",
        "list",
        &["Auto accident", "Slip and fall", "Dog bite"],
    )
    .await?;
    let bills = create_field(&stack, &seeded, "Medical bills", "case", "currency", &[]).await?;
    let headline = create_field(&stack, &seeded, "Headline", "case", "short_text", &[]).await?;
    let untouched = create_field(
        &stack,
        &seeded,
        "Referral source",
        "case",
        "short_text",
        &[],
    )
    .await?;

    // The firm's own value in an unmapped field must survive every write.
    let case_a = seeded.firm.cases[0].case_id;
    let case_name = mycase(
        &stack,
        &seeded,
        reqwest::Method::GET,
        &format!("cases/{case_a}"),
        None,
    )
    .await?["name"]
        .clone();
    mycase(&stack, &seeded, reqwest::Method::PUT, &format!("cases/{case_a}"), Some(json!({
        "name": case_name, "custom_field_values": [{"custom_field": {"id": untouched}, "value": "Billboard"}]
    }))).await?;

    let api_fn = stack.start_function("mapping-api").await?;
    let mappings = [
        ("q_court", "date", court, None),
        ("q_incident", "date", incident, None),
        ("q_injury", "long_text", injury, None),
        ("q_treated", "yes_no", treated, None),
        (
            "q_kind",
            "single_choice",
            kind,
            Some(json!({"Car accident": "Auto accident", "I slipped or fell": "Slip and fall"})),
        ),
        ("q_bills", "number", bills, None),
        ("q_story", "long_text", headline, None),
    ];
    for (question, question_type, field, choices) in &mappings {
        let mut body = json!({"question_type": question_type, "custom_field_id": field});
        if let Some(c) = choices {
            body["choices"] = c.clone();
        }
        let (status, answer) = save(&api_fn, &integration, "frm_intake", question, body).await?;
        assert_eq!(status, 200, "{question}: {answer}");
    }

    let intake = |court: &str, injury: &str, treated: bool, kind: &str, bills: &str| {
        json!([
            {"question_id": "q_name", "question_type": "short_text", "label": "Your name", "value": "Maria Alvarez"},
            {"question_id": "q_court", "question_type": "date", "label": "Court date", "value": court},
            {"question_id": "q_incident", "question_type": "date", "label": "When did it happen?", "value": "2026-10-15"},
            {"question_id": "q_injury", "question_type": "long_text", "label": "Describe your injuries", "value": injury},
            {"question_id": "q_treated", "question_type": "yes_no", "label": "Did a doctor treat you?", "value": treated},
            {"question_id": "q_kind", "question_type": "single_choice", "label": "What happened?", "value": kind},
            {"question_id": "q_bills", "question_type": "number", "label": "Medical bills so far", "value": bills},
            {"question_id": "q_story", "question_type": "long_text", "label": "Tell us everything", "value": "x".repeat(300)},
            {"question_id": "q_notes", "question_type": "long_text", "label": "Anything else?", "value": ""}
        ])
    };
    let a1 = form_submitted(
        "evt_intake_a1",
        &seeded,
        0,
        "frm_intake",
        intake(
            "2026-12-03T09:00:00-08:00",
            "Whiplash and a sprained wrist.",
            true,
            "Car accident",
            "$12,500.75",
        ),
    );
    let b1 = form_submitted(
        "evt_intake_b1",
        &seeded,
        1,
        "frm_intake",
        intake(
            "2027-01-20",
            "Broken ankle.",
            false,
            "I slipped or fell",
            "3400",
        ),
    );
    let map_fn = stack.start_function("map-form-fields").await?;
    // Duplicate delivery: the same event twice.
    for event in [&a1, &b1, &a1] {
        enqueue(&stack, event).await?;
    }
    drain(&stack, &map_fn).await?;

    let one = |v: Value| vec![v];
    let rows_a = case_rows(&stack, &seeded, 0).await?;
    assert_eq!(rows_a.get(&court), Some(&one(json!("2026-12-03"))));
    assert_eq!(rows_a.get(&incident), Some(&one(json!("2026-10-15"))));
    assert_eq!(
        rows_a.get(&injury),
        Some(&one(json!("Whiplash and a sprained wrist.")))
    );
    assert_eq!(rows_a.get(&treated), Some(&one(json!(true))));
    assert_eq!(rows_a.get(&kind), Some(&one(json!("Auto accident"))));
    assert_eq!(rows_a.get(&bills), Some(&one(json!(12500.75))));
    assert_eq!(
        rows_a.get(&headline),
        None,
        "300 characters do not fit a short-text field"
    );
    assert_eq!(rows_a.get(&untouched), Some(&one(json!("Billboard"))));
    let rows_b = case_rows(&stack, &seeded, 1).await?;
    assert_eq!(rows_b.get(&court), Some(&one(json!("2027-01-20"))));
    assert_eq!(rows_b.get(&treated), Some(&one(json!(false))));
    assert_eq!(rows_b.get(&kind), Some(&one(json!("Slip and fall"))));
    assert_eq!(rows_b.get(&bills), Some(&one(json!(3400.0))));

    let ledger = ledger_row(&stack, "evt_intake_a1").await?;
    assert_eq!(ledger["outcome"], "landed");
    let remarks = ledger["remarks"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        remarks,
        vec![json!(format!(
            "value_does_not_fit: Question q_story → custom field {headline}: the answer has 300 characters; a short-text field holds at most 255."
        ))]
    );

    // A re-submission with the same answers and one new amount: with the quirk on,
    // only the changed value is sent, so nothing else gains a duplicate row.
    let a2 = form_submitted(
        "evt_intake_a2",
        &seeded,
        0,
        "frm_intake",
        intake(
            "2026-12-03T09:00:00-08:00",
            "Whiplash and a sprained wrist.",
            true,
            "Car accident",
            "13,100",
        ),
    );
    enqueue(&stack, &a2).await?;
    drain(&stack, &map_fn).await?;
    let rows_a = case_rows(&stack, &seeded, 0).await?;
    for field in [court, incident, injury, treated, kind, untouched] {
        assert_eq!(
            rows_a[&field].len(),
            1,
            "field {field} has one value row: {:?}",
            rows_a[&field]
        );
    }
    // MyCase's reported quirk keeps the old row of a changed value (the API cannot
    // remove it); readers take the latest, which is the new amount.
    assert_eq!(rows_a[&bills].last(), Some(&json!(13100.0)));
    assert_eq!(
        rows_a[&bills].len(),
        2,
        "the quirk is on: the old amount's row stays"
    );
    assert_eq!(
        case_rows(&stack, &seeded, 1).await?,
        rows_b,
        "case B keeps its values"
    );

    // The admin deletes one field and retypes another after the mappings were saved.
    mycase(
        &stack,
        &seeded,
        reqwest::Method::DELETE,
        &format!("custom_fields/{injury}"),
        None,
    )
    .await?;
    stack
        .sandbox_admin()
        .retype_field(&seeded.firm_uuid, treated, "short_text")
        .await?;
    let a3 = form_submitted(
        "evt_intake_a3",
        &seeded,
        0,
        "frm_intake",
        intake(
            "2026-12-04",
            "Also a concussion.",
            false,
            "Car accident",
            "13,100",
        ),
    );
    enqueue(&stack, &a3).await?;
    drain(&stack, &map_fn).await?;
    let rows_a = case_rows(&stack, &seeded, 0).await?;
    assert_eq!(
        rows_a[&treated],
        one(json!(true)),
        "nothing written into the retyped field"
    );
    assert_eq!(
        rows_a[&court].last(),
        Some(&json!("2026-12-04")),
        "the sound mappings still land"
    );
    let ledger = ledger_row(&stack, "evt_intake_a3").await?;
    let remarks: Vec<String> = ledger["remarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert!(
        remarks.contains(&format!(
            "mapping_broken: Question q_injury: MyCase custom field {injury} no longer exists."
        )),
        "{remarks:?}"
    );
    assert!(remarks.contains(&format!("mapping_broken: Question q_treated: MyCase custom field {treated} was boolean when mapped and is now short_text.")), "{remarks:?}");
    for r in &remarks {
        assert!(
            !r.contains("concussion"),
            "remarks never quote answers: {r}"
        );
    }
    let (_, listed) = api(
        &api_fn,
        "GET",
        &format!("/integrations/{integration}/mappings"),
        "",
        None,
    )
    .await?;
    let broken: BTreeMap<String, String> = listed["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"]["status"] == "broken")
        .map(|m| {
            (
                m["question_id"].as_str().unwrap().to_owned(),
                m["status"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        broken,
        BTreeMap::from([
            ("q_injury".into(), "field_deleted".into()),
            ("q_treated".into(), "field_retyped".into())
        ])
    );

    // Logs hold ids, kinds and counts: never an answer or a label.
    assert!(
        map_fn
            .captured_logs()
            .iter()
            .any(|l| l.contains("form answers mapped")),
        "the function's logs are captured"
    );
    for line in map_fn
        .captured_logs()
        .iter()
        .chain(api_fn.captured_logs().iter())
    {
        for secret in [
            "Whiplash",
            "concussion",
            "Broken ankle",
            "Maria Alvarez",
            "Did a doctor",
            "xxxxxxxxxx",
            "12,500",
        ] {
            assert!(
                !line.contains(secret),
                "a log line holds client data: {line}"
            );
        }
    }

    // Nothing went to the dead-letter queue.
    let dead = stack.aws.drain_queue(&stack.form_fields.dlq_url).await?;
    assert!(dead.is_empty(), "{dead:?}");
    Ok(())
}
