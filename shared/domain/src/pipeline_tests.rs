//! The pipeline and the communications pushes, end to end over in-memory ports.

use crate::PushError;
use crate::batch::{QueueMessage, process_batch};
use crate::communications::{CommunicationsLog, Messages, Notifications};
use crate::fakes::*;
use crate::ids::{EventId, IntegrationId, OrgId, StaffId};
use crate::integration::{Integration, LogTarget};
use crate::outcome::{Landed, Outcome};
use crate::pipeline::{Deadline, Disposition, Pipeline, RecordResult, Stores};
use crate::ports::{CaseThreads, Claim, IdempotencyStore};
use crate::reason::Reason;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use std::sync::Arc;
use std::time::Duration;

/// A push type's own skip reason, one the vocabulary does not know: it must reach the
/// ledger and the batch unchanged.
fn nothing_to_push() -> Reason {
    Reason::Other("nothing_to_push".into())
}

struct World {
    integrations: Arc<MemoryIntegrations>,
    idempotency: Arc<MemoryIdempotency>,
    ledger: Arc<MemoryLedger>,
    dead_letters: Arc<MemoryDeadLetters>,
    threads: Arc<MemoryThreads>,
    mycase: Arc<FakeConnector>,
}

fn integration(id: &str, org: &str) -> Integration {
    Integration {
        id: IntegrationId::parse(id).unwrap(),
        org_id: OrgId::parse(org).unwrap(),
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
        Self {
            integrations: Arc::new(MemoryIntegrations::with([
                integration("int_a", "org_a"),
                integration("int_b", "org_b"),
            ])),
            idempotency: Default::default(),
            ledger: Default::default(),
            dead_letters: Default::default(),
            threads: Default::default(),
            mycase: Default::default(),
        }
    }
    fn stores(&self) -> Stores {
        Stores {
            integrations: self.integrations.clone(),
            idempotency: self.idempotency.clone(),
            ledger: self.ledger.clone(),
            dead_letters: self.dead_letters.clone(),
        }
    }
    fn log(&self) -> CommunicationsLog {
        CommunicationsLog {
            threads: self.threads.clone(),
            mycase: self.mycase.clone(),
        }
    }
    fn messages(&self) -> Pipeline<Messages> {
        Pipeline::new(Messages { log: self.log() }, self.stores())
    }
    fn notifications(&self) -> Pipeline<Notifications> {
        Pipeline::new(Notifications { log: self.log() }, self.stores())
    }
    fn set(&self, id: &str, f: impl FnOnce(&mut Integration)) {
        let mut all = self.integrations.0.lock().unwrap();
        f(all.get_mut(&IntegrationId::parse(id).unwrap()).unwrap());
    }
}

fn message(id: &str, integration: &str, org: &str, case: i64, text: &str) -> String {
    serde_json::json!({
        "id": id, "type": "message.logged", "time": "2026-11-24T14:03:22-08:00",
        "org_id": org, "integration_id": integration,
        "project": {"id": "prj_1", "mycase_case_id": case},
        "data": {"direction": "inbound", "channel": "sms", "body": text,
                 "sent_at": "2026-11-24T14:03:20-08:00",
                 "sender": {"kind": "client", "name": "Jane Doe", "phone": "+15551234567"}}
    })
    .to_string()
}

fn notification(id: &str, case: i64) -> String {
    serde_json::json!({
        "id": id, "type": "notification.sent", "time": "2026-11-24T14:05:00-08:00",
        "org_id": "org_a", "integration_id": "int_a",
        "project": {"id": "prj_1", "mycase_case_id": case},
        "data": {"kind": "phase_change", "body": "Your case moved to Discovery.",
                 "sent_at": "2026-11-24T14:05:00-08:00", "channel": "sms",
                 "recipient": {"name": "Jane Doe"}, "details": {"phase_name": "Discovery"}}
    })
    .to_string()
}

fn soon() -> Deadline {
    Deadline::in_(Duration::from_secs(30))
}

#[tokio::test]
async fn messages_and_notifications_share_one_thread_per_case() {
    let w = World::new();
    let m = w.messages();
    let n = w.notifications();
    assert_eq!(
        m.process(
            &message("evt_1", "int_a", "org_a", 41, "first"),
            None,
            soon()
        )
        .await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(
        n.process(&notification("evt_2", 41), None, soon()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(
        m.process(
            &message("evt_3", "int_a", "org_a", 41, "third"),
            None,
            soon()
        )
        .await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(
        m.process(
            &message("evt_4", "int_a", "org_a", 42, "other case"),
            None,
            soon()
        )
        .await,
        RecordResult::Done(Disposition::Landed)
    );

    let firm = w.mycase.firm("int_a");
    let threads = firm.threads();
    assert_eq!(threads.len(), 2, "one thread per case");
    let (thread_41, _) = threads.iter().find(|(_, c)| c.get() == 41).unwrap();
    let texts = firm.messages_in(*thread_41);
    assert_eq!(texts.len(), 3);
    assert!(
        texts[0].contains("\nfirst\n")
            && texts[1].contains("Phase: Discovery")
            && texts[2].contains("\nthird\n")
    );
    assert!(
        matches!(w.ledger.outcome("int_a", "evt_2"), Some(Outcome::Landed(Landed { refs, .. })) if refs.len() == 2)
    );
    assert!(
        w.mycase.firm("int_b").posted().is_empty(),
        "nothing reaches the other firm"
    );
}

#[tokio::test]
async fn a_redelivered_event_lands_once() {
    let w = World::new();
    let m = w.messages();
    let body = message("evt_1", "int_a", "org_a", 41, "hello");
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::Landed)
    );
    for _ in 0..3 {
        assert_eq!(
            m.process(&body, None, soon()).await,
            RecordResult::Done(Disposition::AlreadyLanded)
        );
    }
    let firm = w.mycase.firm("int_a");
    assert_eq!(
        firm.posted().len(),
        2,
        "one thread and one message, nothing more"
    );
}

#[tokio::test]
async fn an_inactive_integration_skips_and_a_replay_after_activation_lands_once() {
    let w = World::new();
    w.set("int_a", |i| i.active = false);
    let m = w.messages();
    let body = message("evt_1", "int_a", "org_a", 41, "while inactive");
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::Skipped(Reason::IntegrationInactive))
    );
    assert!(w.mycase.firm("int_a").posted().is_empty());
    let skipped = w
        .ledger
        .entries()
        .into_iter()
        .find(|e| e.event_id.as_str() == "evt_1")
        .unwrap();
    assert_eq!(
        skipped.outcome,
        Outcome::Skipped {
            reason: Reason::IntegrationInactive
        }
    );
    let kept = skipped.event_json.expect("the event is kept for replay");

    w.set("int_a", |i| i.active = true);
    assert_eq!(
        m.process(&kept, None, soon()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(
        m.process(&kept, None, soon()).await,
        RecordResult::Done(Disposition::AlreadyLanded)
    );
    assert_eq!(
        w.mycase
            .firm("int_a")
            .messages_in(w.mycase.firm("int_a").threads()[0].0)
            .len(),
        1
    );

    // A late duplicate after deactivation must not hide that it landed.
    w.set("int_a", |i| i.active = false);
    m.process(&kept, None, soon()).await;
    assert!(matches!(
        w.ledger.outcome("int_a", "evt_1"),
        Some(Outcome::Landed { .. })
    ));
}

#[tokio::test]
async fn bad_input_is_dead_lettered_with_a_reason_and_good_events_still_land() {
    let w = World::new();
    let m = w.messages();
    let mut missing =
        serde_json::from_str::<serde_json::Value>(&message("evt_9", "int_a", "org_a", 41, "x"))
            .unwrap();
    missing["data"].as_object_mut().unwrap().remove("sender");
    let mut unknown = missing.clone();
    unknown["type"] = "message.exploded".into();
    let batch = vec![
        QueueMessage {
            message_id: "1".into(),
            body: "not json at all".into(),
            group: Some("g41".into()),
        },
        QueueMessage {
            message_id: "2".into(),
            body: message("evt_2", "int_a", "org_a", 41, "good"),
            group: Some("g41".into()),
        },
        QueueMessage {
            message_id: "3".into(),
            body: unknown.to_string(),
            group: Some("g41".into()),
        },
        QueueMessage {
            message_id: "4".into(),
            body: missing.to_string(),
            group: Some("g41".into()),
        },
        QueueMessage {
            message_id: "5".into(),
            body: notification("evt_5", 41),
            group: Some("g41".into()),
        },
    ];
    let report = process_batch(&m, batch, soon()).await;
    assert!(
        report.failed_ids.is_empty(),
        "bad input is never retried: {report:?}"
    );
    assert_eq!(report.landed, 1);
    assert_eq!(report.dead_lettered, 4);
    assert_eq!(
        w.dead_letters.reasons(),
        vec![
            "invalid_json",
            "unknown_type",
            "missing_field",
            "unsupported_type"
        ]
    );
    let letters = w.dead_letters.0.lock().unwrap().clone();
    assert_eq!(letters[2].detail, "missing field `data.sender`");
    assert_eq!(letters[2].group.as_deref(), Some("g41"));
    assert!(matches!(
        w.ledger.outcome("int_a", "evt_9"),
        Some(Outcome::Failed(PushError {
            permanent: true,
            ..
        }))
    ));
}

#[tokio::test]
async fn one_firms_event_never_reaches_another_firm() {
    let w = World::new();
    let m = w.messages();
    let body = message("evt_1", "int_b", "org_a", 41, "wrong firm");
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::OrgMismatch))
    );
    let body = message("evt_2", "int_zzz", "org_a", 41, "no such integration");
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::UnknownIntegration))
    );
    assert!(w.mycase.firm("int_a").posted().is_empty());
    assert!(w.mycase.firm("int_b").posted().is_empty());
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_then_lands_once() {
    let w = World::new();
    let m = w.messages();
    let firm = w.mycase.firm("int_a");
    firm.fail_next(PushError::transient(Reason::MyCaseUnavailable, "503"));
    let body = message("evt_1", "int_a", "org_a", 41, "hello");
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Retry(Reason::MyCaseUnavailable)
    );
    assert!(matches!(
        w.ledger.outcome("int_a", "evt_1"),
        Some(Outcome::Failed(PushError {
            permanent: false,
            ..
        }))
    ));
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(firm.posted().len(), 2);
    assert!(matches!(
        w.ledger.outcome("int_a", "evt_1"),
        Some(Outcome::Landed { .. })
    ));
}

#[tokio::test]
async fn a_missing_case_is_a_permanent_failure_with_a_plain_reason() {
    let w = World::new();
    let m = w.messages();
    w.mycase
        .firm("int_a")
        .missing_cases
        .lock()
        .unwrap()
        .push(crate::ids::CaseId::new(77).unwrap());
    let body = message("evt_1", "int_a", "org_a", 77, "hello");
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::CaseNotFound))
    );
    // The claim was released: after the case link is fixed, a replay can land.
    let event = EventId::parse("evt_1").unwrap();
    assert_eq!(
        w.idempotency
            .claim(&event, chrono::Utc::now())
            .await
            .unwrap(),
        Claim::Acquired
    );
}

#[tokio::test]
async fn a_claim_left_by_a_crashed_invocation_lapses_and_the_event_lands() {
    let w = World::new();
    let m = w.messages();
    let event = EventId::parse("evt_1").unwrap();
    let body = message("evt_1", "int_a", "org_a", 41, "hello");
    // A live claim (another invocation is pushing it): retry later, send nothing.
    w.idempotency
        .claim(&event, chrono::Utc::now() + chrono::Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Retry(Reason::InProgressElsewhere)
    );
    assert!(w.mycase.firm("int_a").posted().is_empty());
    // Its deadline passed (the invocation died): the event is pushed.
    w.idempotency.0.lock().unwrap().insert(
        event,
        IdempotencyRecord::InProgress(chrono::Utc::now() - chrono::Duration::seconds(1)),
    );
    assert_eq!(
        m.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::Landed)
    );
}

#[tokio::test]
async fn silent_logging_writes_case_notes() {
    let w = World::new();
    w.set("int_a", |i| i.log_target = LogTarget::Notes);
    let m = w.messages();
    assert_eq!(
        m.process(
            &message("evt_1", "int_a", "org_a", 41, "quiet"),
            None,
            soon()
        )
        .await,
        RecordResult::Done(Disposition::Landed)
    );
    let posted = w.mycase.firm("int_a").posted();
    assert_eq!(posted.len(), 1);
    match &posted[0] {
        Posted::Note {
            subject,
            note,
            date,
            ..
        } => {
            assert_eq!(subject, "Text message from Jane Doe (inbound)");
            assert!(note.contains("\nquiet\n"));
            assert_eq!(date, "2026-11-24T14:03:20-08:00");
        }
        other => panic!("expected a note, got {other:?}"),
    }
}

#[tokio::test]
async fn a_fifo_group_stops_at_its_first_failure_and_other_groups_go_on() {
    let w = World::new();
    let m = w.messages();
    // Case 41's first thread creation fails transiently.
    w.mycase
        .firm("int_a")
        .fail_next(PushError::transient(Reason::MyCaseUnavailable, "503"));
    let batch = vec![
        QueueMessage {
            message_id: "a1".into(),
            body: message("evt_a1", "int_a", "org_a", 41, "a1"),
            group: Some("41".into()),
        },
        QueueMessage {
            message_id: "a2".into(),
            body: message("evt_a2", "int_a", "org_a", 41, "a2"),
            group: Some("41".into()),
        },
    ];
    let report = process_batch(&m, batch, soon()).await;
    assert_eq!(
        report.failed_ids,
        vec!["a1", "a2"],
        "a2 must not overtake a1"
    );
    assert_eq!(report.deferred, 1);
    let batch = vec![
        QueueMessage {
            message_id: "a1".into(),
            body: message("evt_a1", "int_a", "org_a", 41, "a1"),
            group: Some("41".into()),
        },
        QueueMessage {
            message_id: "a2".into(),
            body: message("evt_a2", "int_a", "org_a", 41, "a2"),
            group: Some("41".into()),
        },
        QueueMessage {
            message_id: "b1".into(),
            body: message("evt_b1", "int_a", "org_a", 42, "b1"),
            group: Some("42".into()),
        },
    ];
    let report = process_batch(&m, batch, soon()).await;
    assert!(report.failed_ids.is_empty());
    assert_eq!(report.landed, 3);
    let firm = w.mycase.firm("int_a");
    let (t41, _) = firm
        .threads()
        .into_iter()
        .find(|(_, c)| c.get() == 41)
        .unwrap();
    let texts = firm.messages_in(t41);
    assert!(
        texts[0].contains("\na1\n") && texts[1].contains("\na2\n"),
        "order kept"
    );
}

#[tokio::test]
async fn messages_are_not_started_when_the_invocation_is_about_to_time_out() {
    let w = World::new();
    let m = w.messages();
    let batch = vec![QueueMessage {
        message_id: "1".into(),
        body: message("evt_1", "int_a", "org_a", 41, "late"),
        group: None,
    }];
    let report = process_batch(&m, batch, Deadline::in_(Duration::from_secs(1))).await;
    assert_eq!(report.failed_ids, vec!["1"]);
    assert!(w.mycase.firm("int_a").posted().is_empty());
}

#[tokio::test]
async fn racing_first_entries_make_one_thread() {
    let w = World::new();
    let m = w.messages();
    let n = w.notifications();
    let (first_message, first_notification) = (
        message("evt_1", "int_a", "org_a", 41, "m"),
        notification("evt_2", 41),
    );
    let (a, b) = tokio::join!(
        m.process(&first_message, None, soon()),
        n.process(&first_notification, None, soon()),
    );
    assert_eq!(a, RecordResult::Done(Disposition::Landed));
    assert_eq!(b, RecordResult::Done(Disposition::Landed));
    assert_eq!(w.mycase.firm("int_a").threads().len(), 1);
}

#[tokio::test]
async fn a_lapsed_creation_claim_is_taken_over() {
    let w = World::new();
    let now = chrono::Utc::now();
    // A racer claimed the thread and died before creating it.
    assert!(
        w.threads
            .claim(
                "int_a#41",
                "evt_dead",
                now - chrono::Duration::seconds(1),
                now - chrono::Duration::seconds(31)
            )
            .await
            .unwrap()
    );
    let m = w.messages();
    assert_eq!(
        m.process(&message("evt_1", "int_a", "org_a", 41, "m"), None, soon())
            .await,
        RecordResult::Done(Disposition::Landed)
    );
    assert_eq!(w.mycase.firm("int_a").threads().len(), 1);
}

/// A push that decides per event: skip (nothing to push) or land with a remark.
struct Decides;

#[async_trait::async_trait]
impl crate::Push for Decides {
    type Data = serde_json::Value;
    const PUSH_TYPE: crate::outcome::PushType = crate::outcome::PushType::Leads;
    const ACCEPTS: &'static [crate::event::EventType] = &[crate::event::EventType::MessageLogged];

    async fn push(
        &self,
        _ctx: &crate::PushContext<'_>,
        event: &crate::event::Event<serde_json::Value>,
    ) -> Result<crate::outcome::Pushed, PushError> {
        if event.data["body"] == "skip me" {
            return Ok(crate::outcome::Pushed::Skipped {
                reason: nothing_to_push(),
            });
        }
        let mut landed =
            crate::outcome::Landed::new(vec![crate::outcome::MyCaseRef::new("case", 7)]);
        landed.remarks.push(crate::outcome::Remark::new(
            Reason::ValueDoesNotFit,
            "question q_1",
        ));
        Ok(landed.into())
    }
}

#[tokio::test]
async fn a_push_can_skip_an_event_and_a_redelivery_decides_again() {
    let w = World::new();
    let p = Pipeline::new(Decides, w.stores());
    let body = message("evt_skip", "int_a", "org_a", 41349001, "skip me");
    for _ in 0..2 {
        assert_eq!(
            p.process(&body, None, soon()).await,
            RecordResult::Done(Disposition::Skipped(nothing_to_push()))
        );
    }
    assert!(matches!(
        w.ledger.outcome("int_a", "evt_skip"),
        Some(Outcome::Skipped { reason }) if reason == nothing_to_push()
    ));
    // Nothing was claimed for good: the claim was released, not completed.
    assert_eq!(
        w.idempotency
            .claim(
                &EventId::parse("evt_skip").unwrap(),
                chrono::Utc::now() + chrono::Duration::seconds(30)
            )
            .await
            .unwrap(),
        Claim::Acquired
    );
}

#[tokio::test]
async fn remarks_on_a_landed_event_reach_the_ledger() {
    let w = World::new();
    let p = Pipeline::new(Decides, w.stores());
    let body = message("evt_remark", "int_a", "org_a", 41349001, "land me");
    assert_eq!(
        p.process(&body, None, soon()).await,
        RecordResult::Done(Disposition::Landed)
    );
    match w.ledger.outcome("int_a", "evt_remark") {
        Some(Outcome::Landed(Landed { refs, remarks })) => {
            assert_eq!(refs.len(), 1);
            assert_eq!(
                remarks,
                vec![crate::outcome::Remark::new(
                    Reason::ValueDoesNotFit,
                    "question q_1"
                )]
            );
        }
        other => panic!("expected landed, got {other:?}"),
    }
}

/// Runs `work` with a recorder of its own and returns what it counted.
fn counted<F: std::future::Future>(work: F) -> Vec<(String, Vec<(String, String)>, DebugValue)> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A local recorder is per thread: the current-thread runtime keeps the pipeline on it.
    metrics::with_local_recorder(&recorder, || runtime.block_on(work));
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels = key
                .key()
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.key().name().to_owned(), labels, value)
        })
        .collect()
}

fn counter(
    seen: &[(String, Vec<(String, String)>, DebugValue)],
    name: &str,
    labels: &[(&str, &str)],
) -> u64 {
    seen.iter()
        .filter(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, value)| match value {
            DebugValue::Counter(c) => *c,
            other => panic!("{name} is not a counter: {other:?}"),
        })
        .sum()
}

#[test]
fn the_pipeline_counts_each_outcome_by_push_type_and_reason_never_by_id() {
    let w = World::new();
    w.set("int_b", |i| i.active = false);
    let seen = counted(async {
        let m = w.messages();
        let landed = message("evt_1", "int_a", "org_a", 41, "hello");
        assert_eq!(
            m.process(&landed, None, soon()).await,
            RecordResult::Done(Disposition::Landed)
        );
        // A redelivery is not a second landing.
        assert_eq!(
            m.process(&landed, None, soon()).await,
            RecordResult::Done(Disposition::AlreadyLanded)
        );
        let inactive = message("evt_2", "int_b", "org_b", 42, "hi");
        assert!(matches!(
            m.process(&inactive, None, soon()).await,
            RecordResult::Done(Disposition::Skipped(_))
        ));
        m.process("not json", None, soon()).await;
        let unknown = message("evt_3", "int_zz", "org_a", 43, "hi");
        m.process(&unknown, None, soon()).await;
        w.mycase
            .firm("int_a")
            .fail_next(PushError::transient(Reason::MyCaseUnavailable, "503"));
        let retried = message("evt_4", "int_a", "org_a", 44, "again");
        assert!(matches!(
            m.process(&retried, None, soon()).await,
            RecordResult::Retry(_)
        ));
        w.notifications()
            .process(&notification("evt_5", 45), None, soon())
            .await;
    });

    let messages = ("push_type", "messages");
    assert_eq!(counter(&seen, "events_landed", &[messages]), 1);
    assert_eq!(
        counter(&seen, "events_landed", &[("push_type", "notifications")]),
        1
    );
    assert_eq!(
        counter(
            &seen,
            "events_skipped",
            &[messages, ("reason", "integration_inactive")]
        ),
        1
    );
    assert_eq!(counter(&seen, "events_failed", &[messages]), 2);
    for reason in ["invalid_json", "unknown_integration"] {
        assert_eq!(
            counter(
                &seen,
                "events_failed_by_reason",
                &[messages, ("reason", reason)]
            ),
            1,
            "{reason}"
        );
    }
    assert_eq!(
        counter(
            &seen,
            "events_retried",
            &[messages, ("reason", "mycase_unavailable")]
        ),
        1
    );
    // Time to land: one value per landing, from the event's `time` (in 2026-11, so
    // positive), by push type.
    let waits: Vec<f64> = seen
        .iter()
        .filter(|(n, l, _)| n == "time_to_land" && l == &[("push_type".into(), "messages".into())])
        .flat_map(|(_, _, v)| match v {
            DebugValue::Histogram(values) => values.iter().map(|v| v.into_inner()).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] > 0.0);

    // Every name is in the one list; every dimension is a push type or a reason, and
    // no value is an org, integration, event or case id, or the client's words.
    for (name, labels, _) in &seen {
        assert!(crate::metrics::NAMES.contains(&name.as_str()), "{name}");
        for (key, value) in labels {
            assert!(["push_type", "reason"].contains(&key.as_str()), "{key}");
            for id in [
                "int_", "org_", "evt_", "41", "42", "43", "44", "45", "hello",
            ] {
                assert!(!value.contains(id), "{name} {key}={value} holds an id");
            }
        }
    }
}
