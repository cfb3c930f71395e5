//! Integrations end to end on the local stack: connecting MyCase (`connect-mycase`),
//! activation and replay (`admin-api` with the real `log-messages`), the nightly sync
//! (`nightly-sync`) over active, inactive and revoked integrations, the status an
//! operator reads, and dead-letter replay with the `hona-ops` CLI. Every function is the
//! real binary under cargo-lambda's emulator; HTTP functions get API Gateway v2 events.

use anyhow::Context;
use chrono::DateTime;
use hona_e2e::apigw::{self, Answer};
use hona_e2e::hona::{HonaEvent, message};
use hona_e2e::scenario::{
    FirmSpec, SeededFirm, enqueue, entry_ref, firm_state, seed_firm, set_faults, threads_by_case,
};
use hona_e2e::{Emulator, LocalStack, StackOptions};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const INVOKE: Duration = Duration::from_secs(30);

fn options() -> StackOptions {
    StackOptions {
        visibility_timeout: Duration::from_secs(2),
        max_receive_count: 5,
        ..StackOptions::default()
    }
}

fn firm(
    name: &'static str,
    org: &'static str,
    integration: &'static str,
    zone: &'static str,
    active: bool,
) -> FirmSpec<'static> {
    FirmSpec {
        name,
        org_id: org,
        integration_id: integration,
        time_zone: zone,
        log_target: "thread",
        active,
        clients: &[
            ("Maria Alvarez", "(503) 555-0142"),
            ("Tom Becker", "503.555.0177"),
        ],
    }
}

fn day() -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-24T09:00:00-08:00").unwrap()
}

/// `count` texts, alternating between the firm's cases.
fn texts(seeded: &SeededFirm, prefix: &str, count: usize) -> Vec<HonaEvent> {
    (0..count)
        .map(|n| {
            let case = &seeded.firm.cases[n % seeded.firm.cases.len()];
            message(
                &seeded.firm,
                case,
                &format!("{prefix}_{n:02}"),
                n % 2 == 0,
                false,
                &format!("Text number {n} about the appointment"),
                day() + chrono::Duration::minutes(5 * n as i64),
            )
        })
        .collect()
}

async fn call(
    function: &Emulator,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
) -> anyhow::Result<Answer> {
    let response = function
        .invoke(&apigw::request(method, path, query, body), INVOKE)
        .await?;
    Ok(Answer::from_response(&response))
}

async fn integration_item(stack: &LocalStack, id: &str) -> anyhow::Result<Option<Value>> {
    stack
        .aws
        .get_item_json(&stack.tables.integrations, &json!({"integration_id": id}))
        .await
}

async fn tokens(stack: &LocalStack, id: &str) -> anyhow::Result<Option<Value>> {
    stack
        .aws
        .get_secret_json(&stack.token_secret_name(id))
        .await
}

async fn ledger(stack: &LocalStack, integration: &str) -> anyhow::Result<HashMap<String, Value>> {
    Ok(stack
        .aws
        .scan_json(&stack.tables.ledger)
        .await?
        .into_iter()
        .filter(|row| row["integration_id"] == integration)
        .map(|row| (row["event_id"].as_str().unwrap_or_default().to_owned(), row))
        .collect())
}

/// How many times each event landed in the firm's MyCase (entries naming it).
async fn landed_counts(
    stack: &LocalStack,
    seeded: &SeededFirm,
) -> anyhow::Result<HashMap<String, usize>> {
    let state = firm_state(stack, &seeded.firm_uuid).await?;
    let mut counts = HashMap::new();
    for threads in threads_by_case(&state).values() {
        for t in threads {
            for (_, body) in &t.entries {
                if let Some(r) = entry_ref(body) {
                    *counts.entry(r.to_owned()).or_default() += 1;
                }
            }
        }
    }
    Ok(counts)
}

async fn drain(stack: &LocalStack, function: &str, emulator: &Emulator) -> anyhow::Result<()> {
    let stats = stack
        .event_source_mapping(function, emulator)?
        .run_until_drained(Duration::from_secs(90))
        .await?;
    anyhow::ensure!(stats.drained, "{function}'s queue not drained: {stats:?}");
    Ok(())
}

/// Runs the `hona-ops` binary with the operator's environment; returns stdout.
fn hona_ops(stack: &LocalStack, args: &[&str]) -> anyhow::Result<String> {
    let bin = hona_e2e::target_dir().join("debug/hona-ops");
    let out = std::process::Command::new(&bin)
        .args(args)
        .env_clear()
        .envs(stack.function_env("hona-ops"))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .map_err(|e| {
            anyhow::anyhow!(
                "running {} ({e}); build it with cargo build --workspace --bins",
                bin.display()
            )
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "hona-ops {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

/// A firm in the sandbox with one staff member, not yet connected to Hona.
async fn sandbox_firm(stack: &LocalStack, name: &str) -> anyhow::Result<(String, i64)> {
    let created = stack
        .sandbox_admin()
        .create_firm(&json!({
            "name": name,
            "staff": [{"first_name": "Dana", "last_name": "Whitfield", "email": "dana@new.example"}],
            "clients": [], "cases": []
        }))
        .await?;
    let staff_id = *created
        .staff_ids
        .first()
        .context("the firm has its staff member")?;
    Ok((created.firm_uuid, staff_id))
}

/// The browser's part: open MyCase's authorize page from our redirect, click Grant or
/// Deny for `firm_uuid`, and return the query MyCase redirects back with.
async fn authorize(
    location: &str,
    firm_uuid: &str,
    decision: &str,
) -> anyhow::Result<HashMap<String, String>> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = browser.get(location).send().await?;
    anyhow::ensure!(
        page.status() == 200,
        "authorize page answered {}",
        page.status()
    );
    let mut decide = url::Url::parse(location)?;
    decide.set_path("/login_sessions/decide");
    decide
        .query_pairs_mut()
        .append_pair("firm_uuid", firm_uuid)
        .append_pair("decision", decision);
    let back = browser.get(decide).send().await?;
    anyhow::ensure!(back.status() == 302, "decision answered {}", back.status());
    let to = url::Url::parse(back.headers()["location"].to_str()?)?;
    anyhow::ensure!(to.path() == "/oauth/callback", "redirected to {to}");
    Ok(to.query_pairs().into_owned().collect())
}

async fn start_connect(connect: &Emulator, integration: &str, org: &str) -> anyhow::Result<String> {
    let start = call(
        connect,
        "GET",
        "/connect/start",
        &[("integration_id", integration), ("org_id", org)],
        None,
    )
    .await?;
    anyhow::ensure!(
        start.status == 302,
        "start answered {}: {}",
        start.status,
        start.body
    );
    Ok(start.header("location").unwrap_or_default().to_owned())
}

async fn callback(connect: &Emulator, query: &HashMap<String, String>) -> anyhow::Result<Answer> {
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    call(connect, "GET", "/oauth/callback", &pairs, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connecting_mycase_stores_tokens_once_and_refuses_bad_replayed_and_denied_states()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let (firm_uuid, staff_id) = sandbox_firm(&stack, "Nguyen Immigration Law").await?;
    let connect = stack.start_function("connect-mycase").await?;
    let (id, org) = ("int_mycase_nguyen", "org_nguyen");

    // Grant: tokens stored, integration recorded (inactive, sending as the authorising user).
    let location = start_connect(&connect, id, org).await?;
    assert!(
        location.starts_with(&format!("{}/login_sessions/new?", stack.mycase_url())),
        "{location}"
    );
    assert!(location.contains("client_id=hona-local-client") && location.contains("state="));
    let granted = authorize(&location, &firm_uuid, "grant").await?;
    let ok = callback(&connect, &granted).await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["firm_uuid"], firm_uuid.as_str());
    let first = tokens(&stack, id).await?.expect("tokens stored");
    assert_eq!(first["firm_uuid"], firm_uuid.as_str());
    let record = integration_item(&stack, id)
        .await?
        .expect("integration recorded");
    assert_eq!(record["firm_uuid"], firm_uuid.as_str());
    assert_eq!(record["org_id"], org);
    assert_eq!(record["active"], false);
    assert_eq!(record["sender_staff_id"], staff_id);

    // The same redirect again (a replayed state): refused, nothing replaced.
    let replay = callback(&connect, &granted).await?;
    assert_eq!(
        (replay.status, replay.json()["error"]["code"].as_str()),
        (400, Some("state_replayed")),
        "{}",
        replay.body
    );
    // A state that is not ours.
    let mut forged = granted.clone();
    forged.insert("state".into(), format!("{}A", granted["state"]));
    let bad = callback(&connect, &forged).await?;
    assert_eq!(
        (bad.status, bad.json()["error"]["code"].as_str()),
        (400, Some("state_bad_signature")),
        "{}",
        bad.body
    );
    assert_eq!(tokens(&stack, id).await?, Some(first.clone()));

    // Denied consent: a clear answer, nothing stored.
    let location = start_connect(&connect, id, org).await?;
    let denied = callback(&connect, &authorize(&location, &firm_uuid, "deny").await?).await?;
    assert_eq!(
        (denied.status, denied.json()["error"]["code"].as_str()),
        (403, Some("access_denied")),
        "{}",
        denied.body
    );
    assert_eq!(tokens(&stack, id).await?, Some(first.clone()));

    // MyCase's Forbidden page (the user lacks the permission): the browser never comes back.
    set_faults(&stack, json!({"authorize_forbidden": true})).await?;
    let location = start_connect(&connect, id, org).await?;
    let page = reqwest::get(&location).await?;
    assert_eq!(page.status(), 403);
    assert!(page.text().await?.contains("Forbidden"));
    set_faults(&stack, json!({"authorize_forbidden": false})).await?;
    assert_eq!(tokens(&stack, id).await?, Some(first.clone()));

    // Re-connecting after MyCase refused the grant: new tokens, needs_reconnect cleared,
    // settings kept.
    let mut item = integration_item(&stack, id).await?.unwrap();
    item["needs_reconnect"] = json!("invalid_grant");
    item["log_target"] = json!("notes");
    stack
        .aws
        .put_item_json(&stack.tables.integrations, &item)
        .await?;
    let location = start_connect(&connect, id, org).await?;
    let again = callback(&connect, &authorize(&location, &firm_uuid, "grant").await?).await?;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["reconnected"], true);
    let second = tokens(&stack, id).await?.unwrap();
    assert_ne!(
        second["refresh_token"], first["refresh_token"],
        "tokens replaced"
    );
    let record = integration_item(&stack, id).await?.unwrap();
    assert!(record.get("needs_reconnect").is_none(), "{record}");
    assert_eq!(
        record["log_target"], "notes",
        "settings survive a re-connect"
    );

    // Another org cannot start a connection for this integration.
    let other = call(
        &connect,
        "GET",
        "/connect/start",
        &[("integration_id", id), ("org_id", "org_other")],
        None,
    )
    .await?;
    assert_eq!(other.status, 400);

    let logs = connect.captured_logs().join("\n");
    for secret in [
        &first["access_token"],
        &first["refresh_token"],
        &second["refresh_token"],
    ] {
        assert!(
            !logs.contains(secret.as_str().unwrap()),
            "a token reached the logs"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inactive_events_are_skipped_then_activation_and_a_double_replay_land_each_once()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let spec = firm(
        "Alvarez & Chen Injury Law",
        "org_alvarez",
        "int_mycase_alvarez",
        "America/Los_Angeles",
        false,
    );
    let seeded = seed_firm(&stack, &spec).await?;
    let events = texts(&seeded, "evt_in", 6);
    enqueue(&stack, &events, "").await?;
    let messages = stack.start_function("log-messages").await?;
    drain(&stack, "log-messages", &messages).await?;

    // Nothing in MyCase; every event recorded as skipped with the event kept.
    assert!(
        landed_counts(&stack, &seeded).await?.is_empty(),
        "an inactive integration sends nothing"
    );
    let rows = ledger(&stack, spec.integration_id).await?;
    assert_eq!(rows.len(), events.len());
    for row in rows.values() {
        assert_eq!(
            (row["outcome"].as_str(), row["reason"].as_str()),
            (Some("skipped"), Some("integration_inactive"))
        );
        assert!(
            row["event"]
                .as_str()
                .is_some_and(|e| e.contains("message.logged")),
            "the event is kept for replay"
        );
    }

    let admin = stack.start_function("admin-api").await?;
    let base = format!("/integrations/{}", spec.integration_id);
    let status = call(&admin, "GET", &format!("{base}/status"), &[], None)
        .await?
        .json();
    assert_eq!(status["active"], false);
    assert_eq!(status["problems"][0]["kind"], "integration_inactive");
    let msgs = &status["push_types"][0];
    assert_eq!(
        (msgs["push_type"].as_str(), msgs["skipped"].as_u64()),
        (Some("messages"), Some(6))
    );
    assert!(
        msgs["recent_problems"][0]["remedy"]
            .as_str()
            .unwrap()
            .contains("Activate")
    );

    // The skipped events, a page at a time (issue 19): 4, then the last 2; a made-up
    // cursor is the caller's mistake (400), not the store's.
    let first = call(
        &admin,
        "GET",
        &format!("{base}/skipped"),
        &[("limit", "4")],
        None,
    )
    .await?;
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!(first["skipped"].as_array().unwrap().len(), 4, "{first}");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = call(
        &admin,
        "GET",
        &format!("{base}/skipped"),
        &[("limit", "4"), ("cursor", &cursor)],
        None,
    )
    .await?
    .json();
    assert_eq!(rest["skipped"].as_array().unwrap().len(), 2, "{rest}");
    assert!(rest["next_cursor"].is_null(), "{rest}");
    let mut listed: Vec<&str> = first["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["skipped"].as_array().unwrap())
        .filter_map(|r| r["event_id"].as_str())
        .collect();
    listed.sort();
    let mut sent: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    sent.sort();
    assert_eq!(listed, sent, "every skipped event once across the pages");
    let bad = call(
        &admin,
        "GET",
        &format!("{base}/skipped"),
        &[("cursor", "bm9wZQ")],
        None,
    )
    .await?;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let listed = call(&admin, "GET", "/integrations", &[("limit", "1")], None)
        .await?
        .json();
    assert_eq!(
        listed["integrations"].as_array().unwrap().len(),
        1,
        "{listed}"
    );

    let refused = call(&admin, "POST", &format!("{base}/replay"), &[], None).await?;
    assert_eq!(
        refused.status, 409,
        "no replay while inactive: {}",
        refused.body
    );
    let activated = call(&admin, "POST", &format!("{base}/activate"), &[], None).await?;
    assert_eq!(activated.status, 200, "{}", activated.body);
    // Replayed twice (an operator double-clicks): each event still lands once.
    for _ in 0..2 {
        let replay = call(
            &admin,
            "POST",
            &format!("{base}/replay"),
            &[],
            Some(r#"{"push_type":"messages"}"#),
        )
        .await?;
        assert_eq!(replay.status, 200, "{}", replay.body);
        assert_eq!(replay.json()["replayed"]["messages"], 6);
    }
    drain(&stack, "log-messages", &messages).await?;

    let counts = landed_counts(&stack, &seeded).await?;
    for e in &events {
        assert_eq!(counts.get(&e.id), Some(&1), "{} lands exactly once", e.id);
    }
    assert_eq!(counts.len(), events.len());
    let rows = ledger(&stack, spec.integration_id).await?;
    assert!(rows.values().all(|r| r["outcome"] == "landed"), "{rows:?}");

    let status = call(&admin, "GET", &format!("{base}/status"), &[], None)
        .await?
        .json();
    assert_eq!(status["active"], true);
    assert!(
        status["problems"].as_array().unwrap().is_empty(),
        "{status}"
    );
    assert!(status["push_types"][0]["last_success"].is_string());
    assert_eq!(status["push_types"][0]["landed"], 6);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_nightly_sync_keeps_active_ones_alive_skips_inactive_ones_and_flags_revoked_ones()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    // Midnight in Los Angeles is 08:00 UTC (November): A and B are due then, C (New York) is not.
    let a = seed_firm(
        &stack,
        &firm(
            "Alvarez Law",
            "org_a",
            "int_mycase_a",
            "America/Los_Angeles",
            true,
        ),
    )
    .await?;
    let b = seed_firm(
        &stack,
        &firm(
            "Becker Law",
            "org_b",
            "int_mycase_b",
            "America/Los_Angeles",
            false,
        ),
    )
    .await?;
    let c = seed_firm(
        &stack,
        &firm(
            "Chen Law",
            "org_c",
            "int_mycase_c",
            "America/New_York",
            true,
        ),
    )
    .await?;
    stack.sandbox_admin().revoke(&c.firm_uuid).await?;

    // A push of A's that failed (MyCase down) three hours ago: the nightly re-drives it.
    // Recorded through the ledger adapter, as log-messages records it (the row, its index
    // key and the summaries the nightly reads).
    let failed = texts(&a, "evt_failed", 1).remove(0);
    {
        use hona_domain::ports::Ledger;
        aws_adapters::dynamo::ledger::DynamoLedger::new(
            stack.aws.dynamodb.clone(),
            stack.tables.ledger.clone(),
        )
        .record(&hona_domain::outcome::LedgerEntry {
            integration_id: hona_domain::ids::IntegrationId::parse("int_mycase_a")?,
            event_id: hona_domain::ids::EventId::parse(&failed.id)?,
            event_type: "message.logged".into(),
            push_type: hona_domain::outcome::PushType::Messages,
            case_id: Some(hona_domain::ids::CaseId::new(failed.case_id)?),
            event_time: String::new(),
            recorded_at: chrono::Utc::now() - chrono::Duration::hours(3),
            outcome: hona_domain::outcome::Outcome::Failed(hona_domain::PushError::transient(
                hona_domain::Reason::MyCaseUnavailable,
                "MyCase was unavailable.",
            )),
            event_json: Some(failed.body_string()),
        })
        .await?;
    }

    let nightly = stack.start_function("nightly-sync").await?;
    let scheduled = json!({
        "version": "0", "id": "sched-1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-25T08:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/hona-nightly"], "detail": {}
    });
    let started = nightly.invoke(&scheduled, INVOKE).await?;
    assert_eq!(
        (
            started["sent"].as_u64(),
            started["skipped_inactive"].as_u64(),
            started["not_due"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{started}"
    );
    drain(&stack, "nightly-sync", &nightly).await?;
    // An operator's manual run takes every active integration now.
    let manual = nightly.invoke(&json!({"run": "all"}), INVOKE).await?;
    assert_eq!(manual["sent"], 2, "{manual}");
    drain(&stack, "nightly-sync", &nightly).await?;

    let report = |item: &Value| -> Value {
        serde_json::from_str(item["last_nightly"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
    };
    let item_a = integration_item(&stack, "int_mycase_a").await?.unwrap();
    let ra = report(&item_a);
    assert_eq!(ra["status"], "ok", "{ra}");
    assert_eq!(
        (
            ra["token_refreshed"].as_bool(),
            ra["connection_ok"].as_bool()
        ),
        (Some(true), Some(true))
    );
    // log-messages has not run yet: the failure is still the day's one failure.
    assert_eq!(ra["counts"]["messages"]["failed"], 1, "{ra}");
    assert_eq!(ra["redriven"]["messages"], 1, "{ra}");
    let tokens_a = tokens(&stack, "int_mycase_a").await?.unwrap();
    assert_ne!(
        tokens_a["refresh_token"],
        a.initial_refresh_token.as_str(),
        "the grant was refreshed"
    );

    let rb = report(&integration_item(&stack, "int_mycase_b").await?.unwrap());
    assert_eq!(
        (rb["status"].as_str(), rb["reason"].as_str()),
        (Some("skipped"), Some("integration_inactive"))
    );
    assert_eq!(
        tokens(&stack, "int_mycase_b").await?.unwrap()["refresh_token"],
        b.initial_refresh_token.as_str(),
        "nothing sent for B"
    );

    let item_c = integration_item(&stack, "int_mycase_c").await?.unwrap();
    assert!(
        item_c["needs_reconnect"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{item_c}"
    );
    assert_eq!(report(&item_c)["status"], "needs_reconnect");

    // The re-driven push (sent by both runs) lands once.
    let messages = stack.start_function("log-messages").await?;
    drain(&stack, "log-messages", &messages).await?;
    assert_eq!(landed_counts(&stack, &a).await?.get(&failed.id), Some(&1));
    assert_eq!(
        ledger(&stack, "int_mycase_a").await?[&failed.id]["outcome"],
        "landed"
    );

    // What the operator sees.
    let list = hona_ops(&stack, &["list"])?;
    assert!(
        list.contains("int_mycase_c") && list.contains("NEEDS RECONNECT"),
        "{list}"
    );
    let status_c = hona_ops(&stack, &["status", "int_mycase_c"])?;
    assert!(status_c.contains("NEEDS RECONNECT"), "{status_c}");
    assert!(status_c.contains("connect MyCase again"), "{status_c}");
    assert!(
        status_c.contains("Last nightly sync: needs_reconnect"),
        "{status_c}"
    );
    let status_b = hona_ops(&stack, &["status", "int_mycase_b"])?;
    assert!(
        status_b.contains("Active:     NO") && status_b.contains("Activate the integration"),
        "{status_b}"
    );
    assert!(status_b.contains("documents not appearing"), "{status_b}");
    assert!(status_b.contains("never sent through Hona"), "{status_b}");
    assert!(
        status_b.contains("Lead conversion is not set up"),
        "{status_b}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dead_letters_replayed_with_the_cli_land_once_and_status_names_a_missing_case()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let spec = firm(
        "Okafor Family Law",
        "org_okafor",
        "int_mycase_okafor",
        "America/New_York",
        true,
    );
    let seeded = seed_firm(&stack, &spec).await?;
    // Events arrive before Hona has the integration record: dead-lettered as unknown.
    let record = integration_item(&stack, spec.integration_id)
        .await?
        .unwrap();
    stack
        .aws
        .dynamodb
        .delete_item()
        .table_name(&stack.tables.integrations)
        .key(
            "integration_id",
            aws_sdk_dynamodb::types::AttributeValue::S(spec.integration_id.into()),
        )
        .send()
        .await?;
    let events = texts(&seeded, "evt_dl", 3);
    enqueue(&stack, &events, "").await?;
    // The first one delivered twice: its second dead-lettering is de-duplicated by the DLQ.
    enqueue(&stack, &events[..1], "-again").await?;
    let messages = stack.start_function("log-messages").await?;
    drain(&stack, "log-messages", &messages).await?;

    let listed = hona_ops(&stack, &["dlq", "list", "messages"])?;
    assert_eq!(
        listed.matches("reason=unknown_integration").count(),
        3,
        "{listed}"
    );
    assert!(listed.contains("3 dead letter(s)"), "{listed}");

    stack
        .aws
        .put_item_json(&stack.tables.integrations, &record)
        .await?;
    let replayed = hona_ops(
        &stack,
        &[
            "dlq",
            "replay",
            "messages",
            "--reason",
            "unknown_integration",
        ],
    )?;
    assert!(replayed.contains("replayed 3 of 3"), "{replayed}");
    // Replaying the same events again (say, from an older export) changes nothing.
    enqueue(&stack, &events, "-replayed-again").await?;
    drain(&stack, "log-messages", &messages).await?;
    let counts = landed_counts(&stack, &seeded).await?;
    for e in &events {
        assert_eq!(counts.get(&e.id), Some(&1), "{} lands exactly once", e.id);
    }
    assert!(hona_ops(&stack, &["dlq", "list", "messages"])?.contains("0 dead letter(s)"));

    // A case deleted in MyCase: the status says so, with the remedy.
    let mut gone = texts(&seeded, "evt_gone", 1).remove(0);
    gone.body["project"]["mycase_case_id"] = json!(999_999_999);
    gone.case_id = 999_999_999;
    enqueue(&stack, &[gone.clone()], "").await?;
    drain(&stack, "log-messages", &messages).await?;
    let status = hona_ops(&stack, &["status", spec.integration_id])?;
    assert!(
        status.contains("evt_gone_00 failed [case_not_found]"),
        "{status}"
    );
    assert!(status.contains("Re-link the Hona project"), "{status}");
    let explained = hona_ops(
        &stack,
        &["status", spec.integration_id, "--event", "evt_never_sent"],
    )?;
    assert!(
        explained.contains("not_found") && explained.contains("never sent through Hona"),
        "{explained}"
    );
    Ok(())
}

/// The sandbox's MyCase API as the firm's admin (with the firm's first access token).
async fn as_firm_admin(
    stack: &LocalStack,
    seeded: &SeededFirm,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/v1/{path}", stack.mycase_url()))
        .bearer_auth(&seeded.initial_access_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "{path} answered {status}: {text}");
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_nightly_flags_a_mapping_whose_field_was_deleted_in_mycase() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let spec = firm(
        "Lin Injury Law",
        "org_lin",
        "int_mycase_lin",
        "America/Chicago",
        true,
    );
    let seeded = seed_firm(&stack, &spec).await?;
    let field = as_firm_admin(
        &stack,
        &seeded,
        reqwest::Method::POST,
        "custom_fields",
        Some(
            json!({"name": "Injury description", "parent_type": "case", "field_type": "long_text"}),
        ),
    )
    .await?["id"]
        .as_i64()
        .expect("a field id");
    let mapping_api = stack.start_function("mapping-api").await?;
    let saved = call(
        &mapping_api,
        "PUT",
        &format!(
            "/integrations/{}/forms/frm_intake/questions/q_injury/mapping",
            spec.integration_id
        ),
        &[],
        Some(&json!({"question_type": "long_text", "custom_field_id": field}).to_string()),
    )
    .await?;
    assert_eq!(saved.status, 200, "{}", saved.body);

    // The firm's admin deletes the field in MyCase; the nightly re-check notices.
    as_firm_admin(
        &stack,
        &seeded,
        reqwest::Method::DELETE,
        &format!("custom_fields/{field}"),
        None,
    )
    .await?;
    let nightly = stack.start_function("nightly-sync").await?;
    let manual = nightly.invoke(&json!({"run": "all"}), INVOKE).await?;
    assert_eq!(manual["sent"], 1, "{manual}");
    drain(&stack, "nightly-sync", &nightly).await?;

    let item = integration_item(&stack, spec.integration_id)
        .await?
        .unwrap();
    let report: Value = serde_json::from_str(item["last_nightly"].as_str().unwrap_or("null"))?;
    assert_eq!(report["status"], "ok", "{report}");
    assert_eq!(report["mappings"]["mappings_checked"], 1, "{report}");
    let broken = &report["mappings"]["broken"][0];
    assert_eq!(
        (
            broken["kind"].as_str(),
            broken["question_id"].as_str(),
            broken["field_id"].as_i64()
        ),
        (Some("field_deleted"), Some("q_injury"), Some(field)),
        "{report}"
    );

    // Operators see it under "form field not updating", in the API and the CLI.
    let admin = stack.start_function("admin-api").await?;
    let status = call(
        &admin,
        "GET",
        &format!("/integrations/{}/status", spec.integration_id),
        &[],
        None,
    )
    .await?
    .json();
    let forms = status["push_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["push_type"] == "form_fields")
        .cloned()
        .unwrap();
    assert_eq!(forms["symptom"], "form field not updating");
    assert_eq!(
        forms["broken_mappings"][0]["kind"], "field_deleted",
        "{forms}"
    );
    let text = hona_ops(&stack, &["status", spec.integration_id])?;
    assert!(
        text.contains("question q_injury → field") && text.contains("BROKEN [field_deleted]"),
        "{text}"
    );
    assert!(text.contains("Re-map the question"), "{text}");
    assert!(text.contains("1 mappings checked, 1 broken"), "{text}");
    Ok(())
}
