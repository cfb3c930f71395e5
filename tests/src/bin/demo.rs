//! The main job, locally: a small firm's busy day of Hona events pushed through the
//! real functions into the MyCase sandbox, and a summary of what landed.
//!
//! `scripts/demo.sh [--exit] [--events N] [--print-env]`
//!   --exit       stop once the summary is printed (default: keep the sandbox up to browse)
//!   --events N   how many events in the day (default 40)
//!   --print-env  also print the env block for `cargo lambda watch` against this stack

use chrono::DateTime;
use hona_e2e::hona::{HonaEvent, Queue, busy_day};
use hona_e2e::scenario::{
    FirmSpec, enqueue, firm_state, sandbox_stats, seed_firm, threads_by_case,
};
use hona_e2e::{LocalStack, StackOptions, poller::drain_dlq};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const FIRM: FirmSpec<'static> = FirmSpec {
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

struct Args {
    exit: bool,
    events: usize,
    print_env: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        exit: false,
        events: 40,
        print_env: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exit" => args.exit = true,
            "--print-env" => args.print_env = true,
            "--events" => {
                args.events = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| anyhow::anyhow!("--events needs a positive number"))?
            }
            "-h" | "--help" => {
                println!("usage: scripts/demo.sh [--exit] [--events N] [--print-env]");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let started = Instant::now();
    println!(
        "Starting the local stack: moto (AWS), the MyCase sandbox, and the functions under cargo-lambda…"
    );
    let mut options = StackOptions {
        visibility_timeout: Duration::from_secs(5),
        ..StackOptions::default()
    };
    // A stable address for the page when the port is free.
    if std::net::TcpListener::bind("127.0.0.1:8700").is_ok() {
        options.sandbox.addr = "127.0.0.1:8700".parse()?;
    }
    let stack = LocalStack::start_with(options).await?;
    let seeded = seed_firm(&stack, &FIRM).await?;
    let firm = &seeded.firm;

    // A busy day: texts and portal messages both ways, all five notification kinds,
    // and one event that is not JSON (it must reach the dead-letter queue, not vanish).
    let day_start = DateTime::parse_from_rfc3339("2026-11-24T08:30:00-08:00")?;
    let events = busy_day(firm, "evt_demo", args.events, day_start);
    enqueue(&stack, &events, "").await?;
    let first = &events[0];
    stack
        .aws
        .send_fifo(
            &stack.messages.url,
            "{\"id\": \"evt_demo_garbled\", \"type\": \"message.logged\"",
            &first.group(),
            "garbled",
        )
        .await?;
    let (n_messages, n_notifications) = (
        events.iter().filter(|e| e.queue == Queue::Messages).count(),
        events
            .iter()
            .filter(|e| e.queue == Queue::Notifications)
            .count(),
    );
    println!(
        "Queued {} events for {} ({} messages, {} notifications) + 1 malformed event.",
        events.len(),
        firm.name,
        n_messages,
        n_notifications
    );

    let messages = stack.start_function("log-messages").await?;
    let notifications = stack.start_function("log-notifications").await?;
    let m = stack.event_source_mapping("log-messages", &messages)?;
    let n = stack.event_source_mapping("log-notifications", &notifications)?;
    let (sm, sn) = tokio::join!(
        m.run_until_drained(Duration::from_secs(180)),
        n.run_until_drained(Duration::from_secs(180))
    );
    let (sm, sn) = (sm?, sn?);
    println!(
        "Processed: log-messages {} batches, log-notifications {} batches, in {:.1} s.\n",
        sm.batches,
        sn.batches,
        started.elapsed().as_secs_f64()
    );

    summarise(&stack, &seeded, &events).await?;

    if args.print_env {
        println!("\n# cargo lambda watch against this stack (log-messages):");
        for (k, v) in stack.function_env("log-messages") {
            println!("export {k}={v}");
        }
        let dir = write_fixtures(&seeded)?;
        println!(
            "# the events/ fixtures, pointed at this firm's first case, are in {}",
            dir.display()
        );
    }
    let page = format!("{}/_sandbox/firms/{}", stack.mycase_url(), seeded.firm_uuid);
    println!("\nRead each case's Communications thread in the MyCase sandbox:\n  {page}");
    if args.exit {
        return Ok(());
    }
    println!("\nThe sandbox stays up for browsing. Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// Copies `events/*.json` with the fixture's firm, integration and case replaced by
/// this demo's, so `cargo lambda invoke --data-file` lands in the sandbox.
fn write_fixtures(seeded: &hona_e2e::scenario::SeededFirm) -> anyhow::Result<std::path::PathBuf> {
    let root = hona_e2e::workspace_root();
    let out = hona_e2e::target_dir().join("demo-events");
    std::fs::create_dir_all(&out)?;
    let case = &seeded.firm.cases[0];
    for entry in std::fs::read_dir(root.join("events"))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?
            .replace("int_mycase_3f9a", &seeded.firm.integration_id)
            .replace("org_3f9a", &seeded.firm.org_id)
            .replace("41349079", &case.case_id.to_string())
            .replace("5550123", &case.client_id.to_string());
        std::fs::write(out.join(path.file_name().unwrap_or_default()), text)?;
    }
    Ok(out)
}

async fn summarise(
    stack: &LocalStack,
    seeded: &hona_e2e::scenario::SeededFirm,
    events: &[HonaEvent],
) -> anyhow::Result<()> {
    let state = firm_state(stack, &seeded.firm_uuid).await?;
    let threads = threads_by_case(&state);
    println!("What landed in MyCase ({}):", seeded.firm.name);
    for case in &seeded.firm.cases {
        let expected = events.iter().filter(|e| e.case_id == case.case_id).count();
        let case_threads = threads.get(&case.case_id).cloned().unwrap_or_default();
        let entries: Vec<&str> = case_threads
            .iter()
            .flat_map(|t| {
                t.entries
                    .iter()
                    .map(|(_, body)| body.lines().next().unwrap_or_default())
            })
            .collect();
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for title in &entries {
            *by_kind.entry(title).or_default() += 1;
        }
        println!(
            "\n  Case {} — {}: {} thread(s), {} of {} entries",
            case.case_id,
            case.client_name,
            case_threads.len(),
            entries.len(),
            expected
        );
        for (kind, count) in by_kind {
            println!("    {count:>3} × {kind}");
        }
    }

    let ledger = stack.aws.scan_json(&stack.tables.ledger).await?;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for row in &ledger {
        *outcomes
            .entry(row["outcome"].as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    println!(
        "\nLedger: {}",
        outcomes
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let dead = drain_dlq(&stack.aws, &stack.messages.dlq_url).await?;
    let dead_n = drain_dlq(&stack.aws, &stack.notifications.dlq_url).await?;
    println!(
        "Dead-letter queues: {} message(s)",
        dead.len() + dead_n.len()
    );
    for d in dead.iter().chain(dead_n.iter()) {
        println!(
            "  reason {}: {}",
            d.message_attributes
                .get("hona.reason")
                .map(String::as_str)
                .unwrap_or("?"),
            d.message_attributes
                .get("hona.detail")
                .map(String::as_str)
                .unwrap_or("")
        );
    }
    let stats = sandbox_stats(stack).await?;
    println!(
        "MyCase requests: {} ({} answered 429), token refreshes: {}",
        stats["requests_total"],
        stats["by_status"]["429"].as_u64().unwrap_or(0),
        stats["token_refreshes"]
    );
    Ok(())
}
