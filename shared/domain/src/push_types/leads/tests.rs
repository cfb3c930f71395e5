//! Lead Conversion through the real pipeline over in-memory ports.

use crate::PushError;
use crate::fakes::*;
use crate::ids::{IntegrationId, OrgId, StaffId};
use crate::integration::{Integration, LeadAutomation, LogTarget};
use crate::leads::LeadConversion;
use crate::outcome::Landed;
use crate::outcome::{MyCaseRef, Outcome, Remark};
use crate::pipeline::{Deadline, Disposition, Pipeline, RecordResult, Stores};
use crate::reason::Reason;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const INT: &str = "int_a";

struct World {
    integrations: Arc<MemoryIntegrations>,
    ledger: Arc<MemoryLedger>,
    dead_letters: Arc<MemoryDeadLetters>,
    idempotency: Arc<MemoryIdempotency>,
    conversions: Arc<MemoryLeadConversions>,
    index: Arc<MemoryClientIndex>,
    mycase: Arc<FakeConnector>,
}

impl World {
    fn new(mode: Option<LeadAutomation>) -> Self {
        let integration = Integration {
            id: IntegrationId::parse(INT).unwrap(),
            org_id: OrgId::parse("org_a").unwrap(),
            active: true,
            sender_staff_id: StaffId::new(88001).unwrap(),
            log_target: LogTarget::Thread,
            time_zone: chrono_tz::America::Los_Angeles,
            firm_uuid: None,
            documents_folder: None,
            lead_automation: mode,
            needs_reconnect: None,
        };
        Self {
            integrations: Arc::new(MemoryIntegrations::with([integration])),
            ledger: Default::default(),
            dead_letters: Default::default(),
            idempotency: Default::default(),
            conversions: Default::default(),
            index: Default::default(),
            mycase: Default::default(),
        }
    }
    fn pipeline(&self) -> Pipeline<LeadConversion> {
        Pipeline::new(
            LeadConversion {
                conversions: self.conversions.clone(),
                index: self.index.clone(),
                mycase: self.mycase.clone(),
            },
            Stores {
                integrations: self.integrations.clone(),
                idempotency: self.idempotency.clone(),
                ledger: self.ledger.clone(),
                dead_letters: self.dead_letters.clone(),
            },
        )
    }
    fn book(&self) -> Arc<FakeClientBook> {
        self.mycase.client_book(INT)
    }
    fn landed(&self, event: &str) -> (Vec<MyCaseRef>, Vec<Remark>) {
        match self.ledger.outcome(INT, event) {
            Some(Outcome::Landed(Landed { refs, remarks })) => (refs, remarks),
            other => panic!("{event} did not land: {other:?}"),
        }
    }
}

fn soon() -> Deadline {
    Deadline::in_(Duration::from_secs(20))
}

fn lead_data() -> Value {
    json!({
        "lead_id": "lead_42", "source": "chatbot", "first_name": "Jane", "last_name": "Doe",
        "email": "Jane.Doe@Example.com", "phone": "(503) 555-0142",
        "summary": "Slip and fall at a grocery store.", "captured_at": "2026-11-24T14:03:20-08:00"
    })
}

fn event(id: &str, event_type: &str, data: Value) -> String {
    let mut data = data;
    if event_type == "lead.conversion_requested" {
        data["requested_by"] = json!({"name": "Dana Whitfield", "hona_user_id": "usr_9"});
    }
    json!({
        "id": id, "type": event_type, "time": "2026-11-24T14:05:00-08:00",
        "org_id": "org_a", "integration_id": INT, "data": data
    })
    .to_string()
}

fn captured(id: &str, data: Value) -> String {
    event(id, "lead.captured", data)
}

fn requested(id: &str, data: Value) -> String {
    event(id, "lead.conversion_requested", data)
}

fn kinds(remarks: &[Remark]) -> Vec<&str> {
    remarks.iter().map(|r| r.kind.as_str()).collect()
}

#[tokio::test]
async fn automatic_mode_creates_the_client_with_what_the_lead_has() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let r = w
        .pipeline()
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    let clients = w.book().all();
    assert_eq!(clients.len(), 1);
    let c = &clients[0];
    assert_eq!(
        (c.first_name.as_str(), c.last_name.as_str()),
        ("Jane", "Doe")
    );
    assert_eq!(c.email.as_deref(), Some("Jane.Doe@Example.com"));
    assert_eq!(c.cell.as_deref(), Some("+15035550142"));
    let notes = c.notes.as_deref().unwrap();
    assert!(
        notes.starts_with(
            "Lead captured by Hona's website chatbot on Tue Nov 24, 2026 at 2:03 PM PST."
        ),
        "{notes}"
    );
    assert!(notes.contains("Summary: Slip and fall at a grocery store."));
    let (refs, remarks) = w.landed("evt_1");
    assert_eq!(refs, vec![MyCaseRef::new("client", c.id)]);
    assert!(remarks.is_empty(), "{remarks:?}");
}

#[tokio::test]
async fn manual_mode_skips_captured_leads_and_converts_on_request() {
    let w = World::new(Some(LeadAutomation::Manual));
    let p = w.pipeline();
    let r = p
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::Skipped(Reason::LeadAutomationManual))
    );
    assert!(w.book().all().is_empty());
    assert!(
        w.book().lookups.lock().unwrap().is_empty(),
        "nothing asked of MyCase"
    );
    let r = p
        .process(&requested("evt_2", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    assert_eq!(w.book().all().len(), 1);
    assert!(
        w.book().all()[0]
            .notes
            .as_deref()
            .unwrap()
            .contains("Conversion requested by Dana Whitfield.")
    );
}

#[tokio::test]
async fn without_a_setting_no_lead_is_converted() {
    let w = World::new(None);
    let p = w.pipeline();
    for body in [
        captured("evt_1", lead_data()),
        requested("evt_2", lead_data()),
    ] {
        let r = p.process(&body, None, soon()).await;
        assert_eq!(
            r,
            RecordResult::Done(Disposition::Skipped(Reason::NoLeadAutomation))
        );
    }
    assert!(w.book().all().is_empty());
    assert_eq!(
        w.ledger.outcome(INT, "evt_2"),
        Some(Outcome::Skipped {
            reason: Reason::NoLeadAutomation
        })
    );
}

#[tokio::test]
async fn an_existing_client_is_found_by_email_whatever_its_case() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let existing = w.book().add(FakeClient {
        first_name: "Janet".into(),
        last_name: "Doe-Smith".into(),
        email: Some("jane.doe@example.COM".into()),
        ..FakeClient::default()
    });
    w.pipeline()
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(w.book().all().len(), 1, "linked, not created");
    let (refs, remarks) = w.landed("evt_1");
    assert_eq!(refs, vec![MyCaseRef::new("client", existing)]);
    assert_eq!(kinds(&remarks), ["linked_existing_client"]);
    assert!(remarks[0].detail.contains("by email"));
}

#[tokio::test]
async fn an_existing_client_is_found_by_a_phone_typed_another_way() {
    for (cell, work) in [(Some("503-555-0142"), None), (None, Some("(503) 555-0142"))] {
        let w = World::new(Some(LeadAutomation::Automatic));
        let existing = w.book().add(FakeClient {
            first_name: "J".into(),
            last_name: "D".into(),
            email: Some("someone.else@example.com".into()),
            cell: cell.map(Into::into),
            work: work.map(Into::into),
            ..FakeClient::default()
        });
        let mut data = lead_data();
        data["phone"] = "+1 503 555 0142".into();
        w.pipeline()
            .process(&captured("evt_1", data), None, soon())
            .await;
        assert_eq!(w.book().all().len(), 1);
        let (refs, remarks) = w.landed("evt_1");
        assert_eq!(refs, vec![MyCaseRef::new("client", existing)]);
        assert!(remarks[0].detail.contains("by phone"));
    }
}

#[tokio::test]
async fn a_client_with_the_same_name_only_is_never_matched() {
    let w = World::new(Some(LeadAutomation::Automatic));
    w.book().add(FakeClient {
        first_name: "Jane".into(),
        last_name: "Doe".into(),
        email: Some("other@example.com".into()),
        cell: Some("+15035550100".into()),
        ..FakeClient::default()
    });
    w.pipeline()
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(w.book().all().len(), 2);
    let lookups = w.book().lookups.lock().unwrap().clone();
    assert!(
        lookups.iter().all(|(f, _)| !f.contains("name")),
        "{lookups:?}"
    );
}

#[tokio::test]
async fn a_422_for_an_email_taken_meanwhile_links_that_client() {
    let w = World::new(Some(LeadAutomation::Automatic));
    *w.book().added_before_next_create.lock().unwrap() = Some(FakeClient {
        first_name: "Jane".into(),
        last_name: "Doe".into(),
        email: Some("JANE.DOE@example.com".into()),
        ..FakeClient::default()
    });
    let r = w
        .pipeline()
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    let clients = w.book().all();
    assert_eq!(clients.len(), 1, "the person's client only");
    let (refs, remarks) = w.landed("evt_1");
    assert_eq!(refs, vec![MyCaseRef::new("client", clients[0].id)]);
    assert_eq!(kinds(&remarks), ["linked_existing_client"]);
}

#[tokio::test]
async fn a_voice_lead_without_a_last_name_gets_the_fallback_and_a_remark() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let mut data = lead_data();
    data["source"] = "voice_ai".into();
    data["first_name"] = "Sam".into();
    data.as_object_mut().unwrap().remove("last_name");
    w.pipeline()
        .process(&captured("evt_1", data), None, soon())
        .await;
    let c = &w.book().all()[0];
    assert_eq!(
        (c.first_name.as_str(), c.last_name.as_str()),
        ("Sam", "Unknown")
    );
    assert!(c.notes.as_deref().unwrap().contains("voice AI agent"));
    let (_, remarks) = w.landed("evt_1");
    assert_eq!(kinds(&remarks), ["name_fallback"]);
}

#[tokio::test]
async fn a_lead_with_neither_email_nor_phone_is_converted_and_says_it_was_not_deduplicated() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let mut data = lead_data();
    data["email"] = Value::Null;
    data["phone"] = "".into();
    let r = w
        .pipeline()
        .process(&captured("evt_1", data), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    assert_eq!(w.book().all().len(), 1);
    assert!(
        w.book().lookups.lock().unwrap().is_empty(),
        "nothing to look up by"
    );
    let (_, remarks) = w.landed("evt_1");
    assert_eq!(kinds(&remarks), ["not_deduplicated"]);
}

#[tokio::test]
async fn bad_lead_data_is_refused_with_the_field_and_nothing_is_sent() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let p = w.pipeline();
    for (id, field, value) in [
        ("evt_1", "email", "jane.doe.example.com"),
        ("evt_2", "phone", "555-CALL-NOW"),
    ] {
        let mut data = lead_data();
        data[field] = value.into();
        let r = p.process(&captured(id, data), None, soon()).await;
        assert_eq!(
            r,
            RecordResult::Done(Disposition::DeadLettered(Reason::InvalidField))
        );
        match w.ledger.outcome(INT, id) {
            Some(Outcome::Failed(PushError {
                reason: kind,
                detail: reason,
                permanent,
            })) => {
                assert_eq!(kind, Reason::InvalidField);
                assert_eq!(reason, format!("invalid value at `data.{field}`"));
                assert!(permanent);
            }
            other => panic!("{other:?}"),
        }
    }
    let mut data = lead_data();
    data.as_object_mut().unwrap().remove("requested_by");
    let body = json!({
        "id": "evt_3", "type": "lead.conversion_requested", "time": "2026-11-24T14:05:00-08:00",
        "org_id": "org_a", "integration_id": INT, "data": data
    });
    let r = p.process(&body.to_string(), None, soon()).await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::DeadLettered(Reason::MissingField))
    );
    assert!(w.book().all().is_empty());
    assert_eq!(
        w.dead_letters.reasons(),
        ["invalid_field", "invalid_field", "missing_field"]
    );
}

#[tokio::test]
async fn a_manual_fire_after_the_automatic_conversion_links_the_same_client() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let p = w.pipeline();
    p.process(&captured("evt_1", lead_data()), None, soon())
        .await;
    // Another lead event with no contact details would otherwise create a second client.
    let mut data = lead_data();
    data["email"] = Value::Null;
    data["phone"] = Value::Null;
    let r = p.process(&requested("evt_2", data), None, soon()).await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    assert_eq!(w.book().all().len(), 1);
    let (first, _) = w.landed("evt_1");
    let (second, remarks) = w.landed("evt_2");
    assert_eq!(first, second);
    assert_eq!(kinds(&remarks), ["already_converted"]);
    // And a redelivery of the first sends nothing.
    let r = p
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::AlreadyLanded));
    assert_eq!(w.book().all().len(), 1);
}

#[tokio::test]
async fn two_fires_at_once_make_one_client() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let p = w.pipeline();
    let mut data = lead_data();
    data["email"] = Value::Null;
    data["phone"] = Value::Null;
    let (one, two, three) = (
        captured("evt_1", data.clone()),
        requested("evt_2", data.clone()),
        requested("evt_3", data),
    );
    let (a, b, c) = tokio::join!(
        p.process(&one, None, soon()),
        p.process(&two, None, soon()),
        p.process(&three, None, soon()),
    );
    for r in [a, b, c] {
        assert_eq!(r, RecordResult::Done(Disposition::Landed));
    }
    assert_eq!(w.book().all().len(), 1);
    let mut linked_earlier: Vec<bool> = ["evt_1", "evt_2", "evt_3"]
        .iter()
        .map(|e| kinds(&w.landed(e).1) == ["already_converted"])
        .collect();
    linked_earlier.sort();
    // One of them converted it; the other two waited for it and linked its client.
    assert_eq!(linked_earlier, [false, true, true]);
    let refs: Vec<_> = ["evt_1", "evt_2", "evt_3"]
        .iter()
        .map(|e| w.landed(e).0)
        .collect();
    assert!(refs.windows(2).all(|p| p[0] == p[1]), "{refs:?}");
}

#[tokio::test(start_paused = true)]
async fn a_racer_still_converting_makes_the_other_retry_rather_than_create() {
    let w = World::new(Some(LeadAutomation::Automatic));
    // Another invocation holds the lead's claim, alive, past our deadline.
    w.conversions.0.lock().unwrap().insert(
        "int_a#lead_42".into(),
        crate::ports::LeadSlot::Converting {
            owner: "evt_other".into(),
            until: chrono::Utc::now() + chrono::Duration::seconds(60),
        },
    );
    let r = w
        .pipeline()
        .process(
            &captured("evt_1", lead_data()),
            None,
            Deadline::in_(Duration::from_secs(5)),
        )
        .await;
    assert_eq!(r, RecordResult::Retry(Reason::LeadBeingConverted));
    assert!(w.book().all().is_empty());
}

#[tokio::test]
async fn a_transient_failure_frees_the_lead_and_the_retry_converts_it_once() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let p = w.pipeline();
    w.book()
        .fail_next
        .lock()
        .unwrap()
        .push_back(PushError::transient(Reason::MyCaseUnavailable, "503"));
    let r = p
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Retry(Reason::MyCaseUnavailable));
    assert!(w.conversions.0.lock().unwrap().is_empty(), "claim released");
    let r = p
        .process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    assert_eq!(w.book().all().len(), 1);
}

#[tokio::test]
async fn a_lead_converted_earlier_links_its_client_even_with_mycase_unreachable() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let p = w.pipeline();
    p.process(&captured("evt_1", lead_data()), None, soon())
        .await;
    *w.mycase.refuse.lock().unwrap() =
        Some(PushError::permanent(Reason::ReconnectNeeded, "revoked"));
    let r = p
        .process(&requested("evt_2", lead_data()), None, soon())
        .await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    assert_eq!(w.landed("evt_1").0, w.landed("evt_2").0);
    // A lead not converted yet does need MyCase, and says why it could not reach it.
    let mut other = lead_data();
    other["lead_id"] = "lead_43".into();
    let r = p.process(&captured("evt_3", other), None, soon()).await;
    assert_eq!(
        r,
        RecordResult::Done(Disposition::DeadLettered(Reason::ReconnectNeeded))
    );
    assert!(
        w.conversions
            .0
            .lock()
            .unwrap()
            .get("int_a#lead_43")
            .is_none(),
        "claim released"
    );
}

// -- The client index ------------------------------------------------------------------------

fn new_person(n: usize) -> Value {
    let mut data = lead_data();
    data["lead_id"] = format!("lead_n{n}").into();
    data["email"] = format!("person{n}@example.org").into();
    data["phone"] = format!("+1 206 555 {:04}", 1000 + n).into();
    data
}

#[tokio::test]
async fn with_a_warm_index_a_lead_costs_two_requests_whether_found_or_created() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let existing = w.book().add(FakeClient {
        email: Some("jane.doe@example.com".into()),
        ..FakeClient::default()
    });
    let p = w.pipeline();
    // The first lead builds the index (one page of clients), then creates.
    p.process(&captured("evt_0", new_person(0)), None, soon())
        .await;
    assert_eq!(w.book().requests(), 2, "one page read, then the create");
    let before = w.book().requests();
    p.process(&captured("evt_1", new_person(1)), None, soon())
        .await;
    assert_eq!(
        w.book().requests() - before,
        2,
        "a catch-up, then the create"
    );
    assert!(
        w.book().lookups.lock().unwrap().is_empty(),
        "no filter lookups"
    );
    let before = w.book().requests();
    p.process(&captured("evt_2", lead_data()), None, soon())
        .await;
    assert_eq!(
        w.book().requests() - before,
        2,
        "a catch-up, then the candidate confirmed"
    );
    assert_eq!(
        w.landed("evt_2").0,
        vec![MyCaseRef::new("client", existing)]
    );
    assert_eq!(w.book().all().len(), 3);
}

#[tokio::test]
async fn a_client_changed_in_mycase_after_the_build_is_matched_by_its_new_details() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let id = w.book().add(FakeClient {
        email: Some("old@example.com".into()),
        ..FakeClient::default()
    });
    let p = w.pipeline();
    p.process(&captured("evt_0", new_person(0)), None, soon())
        .await;
    // Staff fix the client's email and add a work number in MyCase.
    w.book().edit(id, |c| {
        c.email = Some("JANE.DOE@example.com".into());
        c.work = Some("(503) 555-0199".into());
    });
    p.process(&captured("evt_1", lead_data()), None, soon())
        .await;
    assert_eq!(w.landed("evt_1").0, vec![MyCaseRef::new("client", id)]);
    let mut by_phone = new_person(2);
    by_phone["email"] = Value::Null;
    by_phone["phone"] = "503.555.0199".into();
    p.process(&captured("evt_2", by_phone), None, soon()).await;
    let (refs, remarks) = w.landed("evt_2");
    assert_eq!(refs, vec![MyCaseRef::new("client", id)]);
    assert!(remarks[0].detail.contains("by phone"));
    // Each catch-up asked only for what changed since the last one.
    let pages = w.book().pages.lock().unwrap().clone();
    assert_eq!(pages[0], None, "the build reads every client");
    assert!(pages[1..].iter().all(Option::is_some), "{pages:?}");
}

#[tokio::test]
async fn a_stale_candidate_is_confirmed_against_mycase_and_never_linked() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let gone = w.book().add(FakeClient {
        email: Some("jane.doe@example.com".into()),
        ..FakeClient::default()
    });
    let p = w.pipeline();
    p.process(&captured("evt_0", new_person(0)), None, soon())
        .await;
    // Deleted in MyCase: no filter reports a deletion, so the index still has it.
    w.book().clients.lock().unwrap().retain(|c| c.id != gone);
    p.process(&captured("evt_1", lead_data()), None, soon())
        .await;
    let (refs, remarks) = w.landed("evt_1");
    assert_ne!(refs, vec![MyCaseRef::new("client", gone)]);
    assert!(remarks.is_empty(), "created, not linked: {remarks:?}");
    assert_eq!(w.book().all().len(), 2);
    assert!(w.book().reads.lock().unwrap().contains(&gone));
}

#[tokio::test]
async fn several_matches_link_the_oldest_client_through_the_index_too() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let older = w.book().add(FakeClient {
        cell: Some("503-555-0142".into()),
        ..FakeClient::default()
    });
    w.book().add(FakeClient {
        home: Some("+15035550142".into()),
        ..FakeClient::default()
    });
    let mut data = lead_data();
    data["email"] = Value::Null;
    w.pipeline()
        .process(&captured("evt_1", data), None, soon())
        .await;
    assert_eq!(w.landed("evt_1").0, vec![MyCaseRef::new("client", older)]);
}

#[tokio::test]
async fn a_large_firm_is_indexed_over_several_leads_asking_mycase_directly_meanwhile() {
    let w = World::new(Some(LeadAutomation::Automatic));
    *w.book().page_size.lock().unwrap() = 2;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(w.book().add(FakeClient {
            email: Some(format!("client{n}@example.com")),
            ..FakeClient::default()
        }));
    }
    let p = w.pipeline();
    // Three pages a lead: 7 clients at 2 a page take two leads.
    let mut first = new_person(0);
    first["email"] = "client6@example.com".into();
    p.process(&captured("evt_0", first), None, soon()).await;
    assert_eq!(w.landed("evt_0").0, vec![MyCaseRef::new("client", ids[6])]);
    assert!(
        !w.book().lookups.lock().unwrap().is_empty(),
        "matched by asking MyCase while the index was incomplete"
    );
    assert!(matches!(
        w.index.progress.lock().unwrap().values().next(),
        Some(crate::ports::IndexProgress::Building {
            page_token: Some(_),
            ..
        })
    ));
    let lookups = w.book().lookups.lock().unwrap().len();
    let mut second = new_person(1);
    second["email"] = "client5@example.com".into();
    p.process(&captured("evt_1", second), None, soon()).await;
    assert_eq!(w.landed("evt_1").0, vec![MyCaseRef::new("client", ids[5])]);
    assert_eq!(
        w.book().lookups.lock().unwrap().len(),
        lookups,
        "the build finished: matched through the index"
    );
    assert_eq!(
        w.book().pages.lock().unwrap().len(),
        4,
        "each page read once"
    );
}

#[tokio::test]
async fn one_firms_index_never_matches_another_firms_lead() {
    let w = World::new(Some(LeadAutomation::Automatic));
    let mut other = w.integrations.0.lock().unwrap()[&IntegrationId::parse(INT).unwrap()].clone();
    other.id = IntegrationId::parse("int_b").unwrap();
    w.integrations
        .0
        .lock()
        .unwrap()
        .insert(other.id.clone(), other);
    w.book().add(FakeClient {
        email: Some("jane.doe@example.com".into()),
        ..FakeClient::default()
    });
    let p = w.pipeline();
    p.process(&captured("evt_a", new_person(0)), None, soon())
        .await;
    let mut body: Value = serde_json::from_str(&captured("evt_b", lead_data())).unwrap();
    body["integration_id"] = "int_b".into();
    let r = p.process(&body.to_string(), None, soon()).await;
    assert_eq!(r, RecordResult::Done(Disposition::Landed));
    let b_book = w.mycase.client_book("int_b");
    assert_eq!(b_book.all().len(), 1, "firm B's own new client");
    assert!(
        b_book.reads.lock().unwrap().is_empty(),
        "no candidate from firm A's index was even tried"
    );
    match w.ledger.outcome("int_b", "evt_b") {
        Some(Outcome::Landed(Landed { refs, remarks })) => {
            assert_eq!(refs, vec![MyCaseRef::new("client", b_book.all()[0].id)]);
            assert!(remarks.is_empty(), "{remarks:?}");
        }
        other => panic!("{other:?}"),
    }
}
