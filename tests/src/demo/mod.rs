//! The demo's day at a small injury firm, beyond texts and notifications: the files
//! clients sent, an intake form mapped onto the firm's case fields, and web leads.
//! Each `queue_*` puts Hona's events where Hona would (S3 objects, queue messages) and
//! returns what was sent, so [`summary`] can say what landed and check it.
//!
//! After the day, `bin/demo.rs` runs the nightly sync once (an operator's `{"run":"all"}`)
//! and [`summary::print_nightly`] prints the integration's report.

pub mod summary;

use crate::LocalStack;
use crate::hona::file_bytes;
use crate::mapping_api::save;
use crate::scenario::{
    FirmSpec, LeadSpec, SeededFirm, captured, create_field, file_event, form_submitted,
    manual_fire, set_lead_automation,
};
use crate::{Emulator, hona::sha256_hex};
use serde_json::{Value, json};

pub const FIRM: FirmSpec<'static> = FirmSpec {
    name: "Alvarez & Chen Injury Law",
    org_id: "org_alvarez",
    integration_id: "int_mycase_alvarez",
    time_zone: "America/Los_Angeles",
    log_target: "thread",
    active: true,
    // Seeded with emails maria@, tom@, priya@example.com.
    clients: &[
        ("Maria Alvarez", "(503) 555-0142"),
        ("Tom Becker", "503.555.0177"),
        ("Priya Nair", "+15035550199"),
    ],
};

const KB: usize = 1024;
const MB: usize = 1024 * 1024;

/// A file put in S3 and announced by `document.received`.
#[derive(Debug, Clone)]
pub struct SentDocument {
    pub event_id: String,
    pub case_id: i64,
    pub source: &'static str,
    pub size: u64,
    pub sha256: String,
}

/// Four files, one per source, across the cases: a phone picture, a several-MB PDF from
/// the portal, a form's file answer and a signed retainer.
pub async fn queue_documents(
    stack: &LocalStack,
    seeded: &SeededFirm,
) -> anyhow::Result<Vec<SentDocument>> {
    let files: [(&str, usize, &'static str, &str, &str, usize, Value); 4] = [
        (
            "evt_demo_doc_sms",
            0,
            "sms",
            "IMG_2231.JPG",
            "image/jpeg",
            240 * KB,
            json!({}),
        ),
        (
            "evt_demo_doc_portal",
            1,
            "portal",
            "ER discharge papers.pdf",
            "application/pdf",
            6 * MB,
            json!({}),
        ),
        (
            "evt_demo_doc_form",
            2,
            "form",
            "insurance-card.png",
            "image/png",
            310 * KB,
            json!({"form": {"form_id": "frm_intake", "question_id": "q_insurance"}}),
        ),
        (
            "evt_demo_doc_esign",
            0,
            "esignature",
            "Retainer agreement (signed).pdf",
            "application/pdf",
            180 * KB,
            json!({"esignature_request_id": "esr_demo_1"}),
        ),
    ];
    let mut sent = Vec::new();
    for (n, (id, case, source, name, content_type, size, extra)) in files.into_iter().enumerate() {
        let bytes = file_bytes(size, 7_000 + n as u64);
        let sha256 = sha256_hex(&bytes);
        let event = file_event(
            stack,
            seeded,
            case,
            id,
            source,
            name,
            content_type,
            bytes,
            extra,
        )
        .await?;
        stack.aws.send_event(&stack.documents.url, &event).await?;
        sent.push(SentDocument {
            event_id: id.to_owned(),
            case_id: seeded.firm.cases[case].case_id,
            source,
            size: size as u64,
            sha256,
        });
    }
    Ok(sent)
}

/// The firm's case fields, each intake question mapped onto one through the real
/// mapping API, then two clients' intake forms. Returns the form events' ids.
pub async fn queue_intake_forms(
    stack: &LocalStack,
    seeded: &SeededFirm,
    mapping_api: &Emulator,
) -> anyhow::Result<Vec<String>> {
    let field = |name: &'static str, field_type: &'static str, options: &'static [&'static str]| {
        (name, field_type, options)
    };
    let fields = [
        field("Court date", "date", &[]),
        field("Date of incident", "date", &[]),
        field("Injury description", "long_text", &[]),
        field("Treated by a doctor", "boolean", &[]),
        field(
            "Accident type",
            "list",
            &["Auto accident", "Slip and fall", "Dog bite"],
        ),
        field("Medical bills", "currency", &[]),
    ];
    let mut ids = Vec::new();
    for (name, field_type, options) in fields {
        ids.push(create_field(stack, seeded, name, "case", field_type, options).await?);
    }
    let mappings = [
        ("q_court", "date", ids[0], None),
        ("q_incident", "date", ids[1], None),
        ("q_injury", "long_text", ids[2], None),
        ("q_treated", "yes_no", ids[3], None),
        (
            "q_kind",
            "single_choice",
            ids[4],
            Some(json!({"Car accident": "Auto accident", "I slipped or fell": "Slip and fall"})),
        ),
        ("q_bills", "number", ids[5], None),
    ];
    for (question, question_type, field, choices) in mappings {
        let mut body = json!({"question_type": question_type, "custom_field_id": field});
        if let Some(c) = choices {
            body["choices"] = c;
        }
        let (status, answer) = save(
            mapping_api,
            &seeded.firm.integration_id,
            "frm_intake",
            question,
            body,
        )
        .await?;
        anyhow::ensure!(
            status == 200,
            "saving the mapping for {question}: {status} {answer}"
        );
    }

    let intake = |court: &str,
                  incident: &str,
                  injury: &str,
                  treated: bool,
                  kind: &str,
                  bills: &str| {
        json!([
            {"question_id": "q_court", "question_type": "date", "label": "Court date", "value": court},
            {"question_id": "q_incident", "question_type": "date", "label": "When did it happen?", "value": incident},
            {"question_id": "q_injury", "question_type": "long_text", "label": "Describe your injuries", "value": injury},
            {"question_id": "q_treated", "question_type": "yes_no", "label": "Did a doctor treat you?", "value": treated},
            {"question_id": "q_kind", "question_type": "single_choice", "label": "What happened?", "value": kind},
            {"question_id": "q_bills", "question_type": "number", "label": "Medical bills so far", "value": bills},
            {"question_id": "q_notes", "question_type": "long_text", "label": "Anything else?", "value": ""}
        ])
    };
    let forms = [
        form_submitted(
            "evt_demo_intake_maria",
            seeded,
            0,
            "frm_intake",
            intake(
                "2026-12-03T09:00:00-08:00",
                "2026-10-15",
                "Whiplash and a sprained wrist after being rear-ended.",
                true,
                "Car accident",
                "$12,500.75",
            ),
        ),
        form_submitted(
            "evt_demo_intake_tom",
            seeded,
            1,
            "frm_intake",
            intake(
                "2027-01-20",
                "2026-09-02",
                "Broken ankle, slipped on a wet floor at a grocery store.",
                false,
                "I slipped or fell",
                "3400",
            ),
        ),
    ];
    let mut sent = Vec::new();
    for form in &forms {
        stack.aws.send_event(&stack.form_fields.url, form).await?;
        sent.push(form["id"].as_str().unwrap_or_default().to_owned());
    }
    Ok(sent)
}

/// Web and phone leads with the firm on automatic conversion: two new people and one
/// who is already a client (found by email). Returns the events' ids.
pub async fn queue_leads(stack: &LocalStack) -> anyhow::Result<Vec<String>> {
    set_lead_automation(stack, &FIRM, Some("automatic")).await?;
    let leads = [
        (
            "evt_demo_lead_olivia",
            LeadSpec {
                lead_id: "lead_demo_olivia",
                source: "chatbot",
                first: Some("Olivia"),
                last: Some("Park"),
                email: Some("olivia.park@example.net"),
                phone: Some("(971) 555-0101"),
            },
        ),
        (
            "evt_demo_lead_tom",
            LeadSpec {
                lead_id: "lead_demo_tom",
                source: "chatbot",
                first: Some("Thomas"),
                last: Some("Becker"),
                email: Some("TOM@Example.COM"),
                phone: None,
            },
        ),
        (
            "evt_demo_lead_noah",
            LeadSpec {
                lead_id: "lead_demo_noah",
                source: "voice_ai",
                first: Some("Noah"),
                last: Some("Reyes"),
                email: Some("noah@example.org"),
                phone: Some("(503) 555-0188"),
            },
        ),
    ];
    let mut sent = Vec::new();
    for (id, lead) in &leads {
        stack
            .aws
            .send_event(&stack.leads.url, &captured(id, &FIRM, lead))
            .await?;
        sent.push((*id).to_owned());
    }
    Ok(sent)
}

/// The manual "Convert to MyCase client" button, as EventBridge delivers it.
pub fn manual_conversion() -> Value {
    manual_fire(
        "evt_demo_lead_fire_grace",
        &FIRM,
        &LeadSpec {
            lead_id: "lead_demo_grace",
            source: "chatbot",
            first: Some("Grace"),
            last: Some("Kim"),
            email: Some("grace.kim@example.com"),
            phone: Some("(503) 555-0133"),
        },
    )
}
