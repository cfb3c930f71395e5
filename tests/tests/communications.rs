//! 2-Way Messages and Notifications, end to end on the real local stack: moto for
//! AWS, the MyCase sandbox, and the `log-messages` / `log-notifications` binaries
//! under cargo-lambda's emulator, fed by the test-side SQS event-source mapping.

use chrono::DateTime;
use hona_e2e::hona::{HonaEvent, Queue, busy_day};
use hona_e2e::scenario::{
    FirmSpec, SeededFirm, enqueue, entry_ref, expire_access_tokens, firm_state, sandbox_stats,
    seed_firm, set_faults, threads_by_case,
};
use hona_e2e::{Emulator, LocalStack, StackOptions, poller::drain_dlq};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

fn options(visibility_secs: u64, max_receive_count: u32) -> StackOptions {
    StackOptions {
        visibility_timeout: Duration::from_secs(visibility_secs),
        max_receive_count,
        ..StackOptions::default()
    }
}

const FIRM_A: FirmSpec<'static> = FirmSpec {
    name: "Alvarez & Chen Injury Law",
    org_id: "org_alvarez",
    integration_id: "int_mycase_alvarez",
    time_zone: "America/Los_Angeles",
    log_target: "thread",
    active: true,
    clients: &[
        ("Maria Alvarez", "(503) 555-0142"),
        ("Tom Becker", "503.555.0177"),
        ("Priya Nair", "+15035550199"),
    ],
};

const FIRM_B: FirmSpec<'static> = FirmSpec {
    name: "Okafor Family Law",
    org_id: "org_okafor",
    integration_id: "int_mycase_okafor",
    time_zone: "America/New_York",
    log_target: "thread",
    active: true,
    clients: &[
        ("Grace Lin", "(212) 555-0110"),
        ("Samuel Ortiz", "212-555-0123"),
    ],
};

fn day_start() -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-24T08:30:00-08:00").unwrap()
}

/// Starts both functions and runs their event-source mappings until both queues
/// are empty; returns the functions (for their captured logs).
async fn run_both(stack: &LocalStack, max: Duration) -> anyhow::Result<(Emulator, Emulator)> {
    let messages = stack.start_function("log-messages").await?;
    let notifications = stack.start_function("log-notifications").await?;
    let m = stack.event_source_mapping("log-messages", &messages)?;
    let n = stack.event_source_mapping("log-notifications", &notifications)?;
    let (a, b) = tokio::join!(m.run_until_drained(max), n.run_until_drained(max));
    let (a, b) = (a?, b?);
    anyhow::ensure!(
        a.drained && b.drained,
        "queues not drained in {max:?}: {a:?} {b:?}"
    );
    Ok((messages, notifications))
}

/// Checks that each case has one thread holding exactly its events, once each, in
/// each queue's order, posted as the firm's staff member.
async fn assert_landed_once_in_order(
    stack: &LocalStack,
    seeded: &SeededFirm,
    events: &[HonaEvent],
) -> anyhow::Result<()> {
    let state = firm_state(stack, &seeded.firm_uuid).await?;
    let threads = threads_by_case(&state);
    for case in &seeded.firm.cases {
        let expected: Vec<&HonaEvent> = events
            .iter()
            .filter(|e| e.case_id == case.case_id)
            .collect();
        let case_threads = threads.get(&case.case_id).cloned().unwrap_or_default();
        if expected.is_empty() {
            continue;
        }
        assert_eq!(
            case_threads.len(),
            1,
            "case {} must have exactly one thread",
            case.case_id
        );
        let thread = &case_threads[0];
        let refs: Vec<&str> = thread
            .entries
            .iter()
            .filter_map(|(_, body)| entry_ref(body))
            .collect();
        assert_eq!(
            refs.len(),
            thread.entries.len(),
            "every entry names its event"
        );
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for r in &refs {
            *counts.entry(r).or_default() += 1;
        }
        for e in &expected {
            assert_eq!(
                counts.get(e.id.as_str()),
                Some(&1),
                "event {} must land exactly once",
                e.id
            );
        }
        assert_eq!(
            refs.len(),
            expected.len(),
            "nothing else in case {}'s thread",
            case.case_id
        );
        for queue in [Queue::Messages, Queue::Notifications] {
            let want: Vec<&str> = expected
                .iter()
                .filter(|e| e.queue == queue)
                .map(|e| e.id.as_str())
                .collect();
            let got: Vec<&str> = refs.iter().copied().filter(|r| want.contains(r)).collect();
            assert_eq!(got, want, "{queue:?} of case {} in order", case.case_id);
        }
        for (sender, body) in &thread.entries {
            assert_eq!(
                *sender, seeded.firm.staff_id,
                "posted as the integration's staff member"
            );
            let event = expected
                .iter()
                .find(|e| Some(e.id.as_str()) == entry_ref(body))
                .unwrap();
            assert!(body.contains(&event.text), "the full text lands: {body}");
            assert!(body.contains("Sent: "), "says when it was sent: {body}");
        }
    }
    Ok(())
}

async fn ledger_outcomes(
    stack: &LocalStack,
    integration: &str,
) -> anyhow::Result<BTreeMap<String, Value>> {
    Ok(stack
        .aws
        .scan_json(&stack.tables.ledger)
        .await?
        .into_iter()
        .filter(|row| row["integration_id"] == integration)
        .map(|row| (row["event_id"].as_str().unwrap_or_default().to_owned(), row))
        .collect())
}

/// No log line may carry a client's words, a name, a phone number or a token.
fn assert_logs_are_clean(
    logs: &[String],
    events: &[HonaEvent],
    secrets: &[String],
    names: &[&str],
) {
    assert!(!logs.is_empty(), "the functions logged something");
    let mut forbidden: Vec<String> = events.iter().map(|e| e.text.clone()).collect();
    forbidden.extend(secrets.iter().cloned());
    for name in names {
        forbidden.push((*name).to_owned());
        forbidden.extend(name.split(' ').filter(|w| w.len() > 3).map(str::to_owned));
    }
    for spec in [&FIRM_A, &FIRM_B] {
        for (name, phone) in spec.clients {
            forbidden.push((*name).to_owned());
            forbidden.push((*phone).to_owned());
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            forbidden.push(
                digits
                    .chars()
                    .rev()
                    .take(10)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect(),
            );
        }
    }
    for line in logs {
        for f in &forbidden {
            assert!(
                !line.contains(f.as_str()),
                "a log line contains personal data or a secret ({f:?}): {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_events_over_five_cases_of_two_firms_land_once_in_their_own_thread()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 5)).await?;
    let a = seed_firm(&stack, &FIRM_A).await?;
    let b = seed_firm(&stack, &FIRM_B).await?;
    let events_a = busy_day(&a.firm, "evt_a", 36, day_start());
    let events_b = busy_day(&b.firm, "evt_b", 24, day_start());
    let kinds: std::collections::BTreeSet<&str> = events_a
        .iter()
        .filter_map(|e| e.body["data"]["kind"].as_str())
        .collect();
    assert_eq!(kinds.len(), 5, "all five notification kinds are sent");
    enqueue(&stack, &events_a, "").await?;
    enqueue(&stack, &events_b, "").await?;

    let (messages, notifications) = run_both(&stack, Duration::from_secs(120)).await?;

    assert_landed_once_in_order(&stack, &a, &events_a).await?;
    assert_landed_once_in_order(&stack, &b, &events_b).await?;

    // Nothing of one firm reaches the other.
    // The whole dump, every field: an id anywhere in it counts.
    let state_b = firm_state(&stack, &b.firm_uuid).await?.raw.to_string();
    assert!(
        events_a.iter().all(|e| !state_b.contains(&e.id)),
        "firm A's events stay out of firm B's MyCase"
    );
    let state_a = firm_state(&stack, &a.firm_uuid).await?.raw.to_string();
    assert!(events_b.iter().all(|e| !state_a.contains(&e.id)));

    // An inbound text reads as a firm expects.
    let threads = threads_by_case(&firm_state(&stack, &a.firm_uuid).await?);
    let first = &threads[&a.firm.cases[0].case_id][0];
    assert_eq!(
        first.subject,
        "Hona: texts, portal messages and notifications"
    );
    let inbound = first
        .entries
        .iter()
        .find(|(_, b)| entry_ref(b) == Some("evt_a_0000"))
        .unwrap();
    assert!(inbound.1.starts_with("Text message · inbound · SMS\nFrom: Maria Alvarez (+15035550142) — client\nSent: Tue Nov 24, 2026 at 8:30 AM PST\n"), "{}", inbound.1);

    for (integration, events) in [
        (&FIRM_A.integration_id, &events_a),
        (&FIRM_B.integration_id, &events_b),
    ] {
        let ledger = ledger_outcomes(&stack, integration).await?;
        assert_eq!(ledger.len(), events.len());
        assert!(
            ledger.values().all(|row| row["outcome"] == "landed"),
            "{ledger:?}"
        );
    }
    assert!(
        drain_dlq(&stack.aws, &stack.messages.dlq_url)
            .await?
            .is_empty()
    );
    assert!(
        drain_dlq(&stack.aws, &stack.notifications.dlq_url)
            .await?
            .is_empty()
    );

    let mut logs = messages.captured_logs();
    logs.extend(notifications.captured_logs());
    let mut secrets = vec![
        a.initial_access_token.clone(),
        a.initial_refresh_token.clone(),
    ];
    secrets.extend([
        b.initial_access_token.clone(),
        b.initial_refresh_token.clone(),
    ]);
    assert_logs_are_clean(
        &logs,
        &[events_a, events_b].concat(),
        &secrets,
        &["Dana Whitfield"],
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_delivered_twice_and_a_function_killed_mid_batch_still_land_once()
-> anyhow::Result<()> {
    // Short visibility and many receives: the killed batch comes back quickly and is
    // not redriven while the dead invocation's claims lapse.
    let stack = LocalStack::start_with(options(2, 40)).await?;
    let a = seed_firm(&stack, &FIRM_A).await?;
    let events = busy_day(&a.firm, "evt_k", 24, day_start());
    enqueue(&stack, &events, "").await?;
    enqueue(&stack, &events, "-again").await?;

    // Slow MyCase, so the kill lands while a request is in flight (the sandbox
    // applies latency before it touches any state: a killed client leaves no trace).
    set_faults(&stack, json!({"latency_ms": 250})).await?;
    let messages = stack.start_function("log-messages").await?;
    let notifications = stack.start_function("log-notifications").await?;
    let esm = stack
        .event_source_mapping("log-messages", &messages)?
        .function_timeout(Duration::from_secs(8));
    let killer = async {
        for _ in 0..600 {
            let landed = ledger_outcomes(&stack, FIRM_A.integration_id)
                .await
                .map(|l| l.len())
                .unwrap_or(0);
            let in_flight = sandbox_stats(&stack)
                .await
                .map(|s| s.in_flight)
                // Polling: an answer missed now is read again 20 ms later.
                .unwrap_or(0);
            if landed >= 3 && in_flight >= 1 {
                return messages.kill_function();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    };
    // Only log-messages runs while the killer watches, so the in-flight request is its.
    let (drained, killed) = tokio::join!(esm.run_until_drained(Duration::from_secs(150)), killer);
    let drained = drained?;
    assert!(killed.is_some(), "the function was killed mid-batch");
    assert!(
        drained.invoke_errors >= 1,
        "the killed invocation failed: {drained:?}"
    );
    assert!(messages.instance_starts() >= 2, "a new instance took over");
    assert!(drained.drained, "{drained:?}");
    let esm_n = stack.event_source_mapping("log-notifications", &notifications)?;
    let n = esm_n.run_until_drained(Duration::from_secs(90)).await?;
    assert!(n.drained, "{n:?}");

    assert_landed_once_in_order(&stack, &a, &events).await?;
    let ledger = ledger_outcomes(&stack, FIRM_A.integration_id).await?;
    assert!(ledger.values().all(|row| row["outcome"] == "landed"));
    assert!(
        drain_dlq(&stack.aws, &stack.messages.dlq_url)
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_reaches_the_dlq_with_a_reason_and_good_events_in_the_same_batch_land()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 5)).await?;
    let a = seed_firm(&stack, &FIRM_A).await?;
    let good: Vec<HonaEvent> = busy_day(&a.firm, "evt_g", 12, day_start())
        .into_iter()
        .filter(|e| e.queue == Queue::Messages && e.case_id == a.firm.cases[0].case_id)
        .collect();
    assert!(good.len() >= 2);
    let group = good[0].group();
    let mut unknown = good[0].body.clone();
    unknown["id"] = "evt_bad_type".into();
    unknown["type"] = "message.exploded".into();
    let mut missing = good[1].body.clone();
    missing["id"] = "evt_bad_missing".into();
    missing["data"].as_object_mut().unwrap().remove("sender");
    let q = &stack.messages.url;
    stack
        .aws
        .send_fifo(q, &good[0].body_string(), &group, "g0")
        .await?;
    stack
        .aws
        .send_fifo(
            q,
            "Hi Dana, it's Maria - not JSON at all",
            &group,
            "bad-json",
        )
        .await?;
    stack
        .aws
        .send_fifo(q, &unknown.to_string(), &group, "bad-type")
        .await?;
    stack
        .aws
        .send_fifo(q, &missing.to_string(), &group, "bad-missing")
        .await?;
    enqueue(&stack, &good[1..], "").await?;

    let messages = stack.start_function("log-messages").await?;
    let esm = stack.event_source_mapping("log-messages", &messages)?;
    let stats = esm.run_until_drained(Duration::from_secs(60)).await?;
    assert!(stats.drained, "{stats:?}");
    assert_eq!(stats.invoke_errors, 0, "bad input never crashes the batch");
    assert_eq!(stats.failures_reported, 0, "bad input is never retried");

    let dead = drain_dlq(&stack.aws, &stack.messages.dlq_url).await?;
    let mut reasons: Vec<(String, String)> = dead
        .iter()
        .map(|m| {
            (
                m.message_attributes["hona.reason"].clone(),
                m.message_attributes["hona.detail"].clone(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            (
                "invalid_json".into(),
                "body is not JSON (Syntax error at line 1 column 1)".into()
            ),
            ("missing_field".into(), "missing field `data.sender`".into()),
            (
                "unknown_type".into(),
                "unknown event type `message.exploded`".into()
            ),
        ]
    );
    assert!(
        dead.iter()
            .all(|m| m.attributes.get("MessageGroupId") == Some(&group)),
        "kept in the case's group for replay"
    );
    assert_landed_once_in_order(&stack, &a, &good).await?;
    let ledger = ledger_outcomes(&stack, FIRM_A.integration_id).await?;
    assert_eq!(ledger["evt_bad_missing"]["outcome"], "failed");
    assert_eq!(ledger["evt_bad_missing"]["failure_kind"], "missing_field");
    let logs = messages.captured_logs();
    assert_logs_are_clean(
        &logs,
        &good,
        std::slice::from_ref(&a.initial_access_token),
        &[],
    );
    assert!(logs.iter().all(|l| !l.contains("not JSON at all")));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_storm_with_503s_and_504s_still_lands_everything_once() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 30)).await?;
    let a = seed_firm(&stack, &FIRM_A).await?;
    let events = busy_day(&a.firm, "evt_s", 24, day_start());
    enqueue(&stack, &events, "").await?;
    // A steady 429 storm with random 503s and 504s, plus a guaranteed run of each.
    set_faults(
        &stack,
        json!({
            "fail_ratio": {"429": 0.35, "503": 0.05, "504": 0.05},
            "fail_next": [{"status": 503, "count": 3}, {"status": 504, "count": 3}],
        }),
    )
    .await?;
    run_both(&stack, Duration::from_secs(180)).await?;

    let stats = sandbox_stats(&stack).await?;
    for status in [429, 503, 504] {
        assert!(
            stats.status_count(status) > 0,
            "the storm had {status}s: {stats:?}"
        );
    }
    assert_landed_once_in_order(&stack, &a, &events).await?;
    assert!(
        drain_dlq(&stack.aws, &stack.messages.dlq_url)
            .await?
            .is_empty()
    );
    assert!(
        drain_dlq(&stack.aws, &stack.notifications.dlq_url)
            .await?
            .is_empty()
    );
    Ok(())
}

async fn stored_tokens(stack: &LocalStack, integration: &str) -> anyhow::Result<Value> {
    Ok(stack
        .aws
        .get_secret_json(&stack.token_secret_name(integration))
        .await?
        .expect("token secret"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_expired_mid_run_are_refreshed_once_and_the_rotated_token_is_stored()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 5)).await?;
    let a = seed_firm(&stack, &FIRM_A).await?;
    let events: Vec<HonaEvent> = busy_day(&a.firm, "evt_t", 24, day_start())
        .into_iter()
        .filter(|e| e.queue == Queue::Messages)
        .collect();
    let (before, after) = events.split_at(events.len() / 2);
    let messages = stack.start_function("log-messages").await?;
    let esm = stack.event_source_mapping("log-messages", &messages)?;

    enqueue(&stack, before, "").await?;
    assert!(
        esm.run_until_drained(Duration::from_secs(60))
            .await?
            .drained
    );
    let expired = expire_access_tokens(&stack).await?;
    assert!(expired.expired_access_tokens >= 1);
    enqueue(&stack, after, "").await?;
    assert!(
        esm.run_until_drained(Duration::from_secs(60))
            .await?
            .drained
    );

    let stats = sandbox_stats(&stack).await?;
    assert_eq!(stats.token_refreshes, 1, "exactly one refresh: {stats:?}");
    assert_eq!(stats.refresh_rejected, 0);
    let stored = stored_tokens(&stack, FIRM_A.integration_id).await?;
    assert_ne!(
        stored["refresh_token"],
        a.initial_refresh_token.as_str(),
        "the rotated refresh token was stored"
    );
    assert_ne!(stored["access_token"], a.initial_access_token.as_str());
    assert_eq!(
        stored["firm_uuid"],
        a.firm_uuid.as_str(),
        "the firm stays known after a refresh"
    );
    assert_landed_once_in_order(&stack, &a, &events).await?;
    let secrets = [
        stored["refresh_token"].as_str().unwrap().to_owned(),
        stored["access_token"].as_str().unwrap().to_owned(),
        a.initial_refresh_token.clone(),
    ];
    assert_logs_are_clean(&messages.captured_logs(), &events, &secrets, &[]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_refreshing_at_once_make_exactly_one_refresh_call() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 10)).await?;
    let a = seed_firm(&stack, &FIRM_A).await?;
    let events: Vec<HonaEvent> = busy_day(&a.firm, "evt_r", 30, day_start())
        .into_iter()
        .filter(|e| e.queue == Queue::Messages)
        .collect();
    enqueue(&stack, &events, "").await?;
    // Both instances start cold with an access token MyCase no longer accepts.
    expire_access_tokens(&stack).await?;
    let first = stack.start_function("log-messages").await?;
    let second = stack.start_function("log-messages").await?;
    let esm_1 = stack
        .event_source_mapping("log-messages", &first)?
        .batch_size(2);
    let esm_2 = stack
        .event_source_mapping("log-messages", &second)?
        .batch_size(2);
    let (s1, s2) = tokio::join!(
        esm_1.run_until_drained(Duration::from_secs(90)),
        esm_2.run_until_drained(Duration::from_secs(90))
    );
    let (s1, s2) = (s1?, s2?);
    assert!(
        s1.invokes > 0 && s2.invokes > 0,
        "both instances worked: {s1:?} {s2:?}"
    );

    let stats = sandbox_stats(&stack).await?;
    assert_eq!(
        stats.token_refreshes, 1,
        "one refresh for two instances: {stats:?}"
    );
    assert_eq!(
        stats.refresh_rejected, 0,
        "no refresh token was spent twice"
    );
    assert_landed_once_in_order(&stack, &a, &events).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_inactive_integration_sends_nothing_and_records_each_event_as_skipped()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 5)).await?;
    let a = seed_firm(
        &stack,
        &FirmSpec {
            active: false,
            ..FIRM_A
        },
    )
    .await?;
    let events = busy_day(&a.firm, "evt_i", 8, day_start());
    enqueue(&stack, &events, "").await?;
    run_both(&stack, Duration::from_secs(60)).await?;

    let state = firm_state(&stack, &a.firm_uuid).await?;
    assert!(
        threads_by_case(&state).is_empty(),
        "nothing pushed for an inactive integration"
    );
    let ledger = ledger_outcomes(&stack, FIRM_A.integration_id).await?;
    assert_eq!(ledger.len(), events.len());
    for e in &events {
        let row = &ledger[&e.id];
        assert_eq!(row["outcome"], "skipped");
        assert_eq!(row["reason"], "integration_inactive");
        let kept: Value = serde_json::from_str(row["event"].as_str().unwrap())?;
        assert_eq!(kept, e.body, "the event is kept for replay");
    }
    assert_eq!(
        sandbox_stats(&stack).await?.requests_total,
        0,
        "not one request to MyCase"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn silent_logging_lands_entries_as_case_notes() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(2, 5)).await?;
    let a = seed_firm(
        &stack,
        &FirmSpec {
            log_target: "notes",
            ..FIRM_A
        },
    )
    .await?;
    let events = busy_day(&a.firm, "evt_n", 6, day_start());
    enqueue(&stack, &events, "").await?;
    run_both(&stack, Duration::from_secs(60)).await?;

    let state = firm_state(&stack, &a.firm_uuid).await?;
    assert!(
        threads_by_case(&state).is_empty(),
        "no thread: nobody is notified"
    );
    let notes = &state.notes;
    assert_eq!(notes.len(), events.len());
    for e in &events {
        let note = notes
            .iter()
            .find(|n| entry_ref(&n.note) == Some(e.id.as_str()))
            .unwrap_or_else(|| panic!("a note for {}", e.id));
        assert_eq!(note.case.map(|c| c.id), Some(e.case_id));
        assert!(note.note.contains(&e.text));
    }
    Ok(())
}
