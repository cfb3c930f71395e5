//! The main job, locally: a small firm's busy day of Hona events pushed through every
//! function into the MyCase sandbox, and a summary of what landed.
//!
//! `scripts/demo.sh [--exit] [--events N] [--print-env]`
//!   --exit       stop once the summary and the metrics view are printed (default: keep the
//!                sandbox up to browse)
//!   --events N   how many texts and notifications in the day (default 40)
//!   --print-env  also print one env block per function for `cargo lambda watch`

use chrono::DateTime;
use clap::Parser;
use hona_e2e::cli::positive_count;
use hona_e2e::demo::{
    FIRM, manual_conversion, queue_documents, queue_intake_forms, queue_leads, summary,
};
use hona_e2e::hona::{HonaEvent, Queue, busy_day};
use hona_e2e::scenario::{enqueue, firm_state, seed_firm};
use hona_e2e::{LocalStack, StackOptions};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Every queue-fed function the demo drives, each under its own emulator and
/// event-source mapping. (Add `nightly-sync` here when issue 6 lands; see `demo` module.)
const FUNCTIONS: [&str; 5] = [
    "log-messages",
    "log-notifications",
    "log-documents",
    "map-form-fields",
    "convert-leads",
];

/// A small firm's busy day of Hona events pushed through every function into the MyCase
/// sandbox. Run it through `scripts/demo.sh`.
#[derive(Parser)]
#[command(name = "scripts/demo.sh")]
struct Args {
    /// Stop once the summary is printed (default: keep the sandbox up to browse)
    #[arg(long)]
    exit: bool,
    /// How many texts and notifications in the day
    #[arg(long, value_name = "N", default_value = "40", value_parser = positive_count)]
    events: usize,
    /// Also print one env block per function for `cargo lambda watch`
    #[arg(long)]
    print_env: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
    let (functions, mapping_api) = tokio::try_join!(
        futures::future::try_join_all(FUNCTIONS.iter().map(|f| stack.start_function(f))),
        stack.start_function("mapping-api"),
    )?;

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
    let count = |q: Queue| events.iter().filter(|e: &&HonaEvent| e.queue == q).count();
    println!(
        "Queued {} events for {} ({} messages, {} notifications) + 1 malformed event.",
        events.len(),
        firm.name,
        count(Queue::Messages),
        count(Queue::Notifications)
    );
    // The firm's set-up and the rest of the day, before any function runs.
    let before = firm_state(&stack, &seeded.firm_uuid).await?;
    let documents = queue_documents(&stack, &seeded).await?;
    let forms = queue_intake_forms(&stack, &seeded, &mapping_api).await?;
    let mut leads = queue_leads(&stack).await?;
    println!(
        "Queued {} documents (files in S3), {} intake forms (6 questions mapped onto case fields through mapping-api), {} leads (automatic conversion) + 1 manual conversion.",
        documents.len(),
        forms.len(),
        leads.len()
    );

    // Every function drains its own queue at once; the manual conversion is invoked
    // EventBridge-style meanwhile.
    let mappings = FUNCTIONS
        .iter()
        .zip(&functions)
        .map(|(f, emulator)| stack.event_source_mapping(f, emulator))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let convert = &functions[FUNCTIONS
        .iter()
        .position(|f| *f == "convert-leads")
        .unwrap_or(4)];
    let manual = manual_conversion();
    let (drained, fired) = tokio::join!(
        futures::future::join_all(
            mappings
                .iter()
                .map(|m| m.run_until_drained(Duration::from_secs(180)))
        ),
        convert.invoke(&manual, Duration::from_secs(30)),
    );
    let fired = fired.map_err(|e| anyhow::anyhow!("manual conversion invoke: {e:?}"))?;
    leads.push(
        manual["detail"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    let mut processed = Vec::new();
    for (f, stats) in FUNCTIONS.iter().zip(drained) {
        let stats = stats?;
        anyhow::ensure!(stats.drained, "{f}: queue not drained: {stats:?}");
        processed.push(format!("{f} {} batch(es)", stats.batches));
    }
    println!(
        "Processed: {}; manual conversion answered {}; in {:.1} s.\n",
        processed.join(", "),
        fired["status"].as_str().unwrap_or("?"),
        started.elapsed().as_secs_f64()
    );

    // The night after: an operator's manual run of the nightly sync (the schedule picks
    // firms at their own midnight; this runs every active one now).
    let nightly = stack.start_function("nightly-sync").await?;
    let started_nightly = nightly
        .invoke(&serde_json::json!({"run": "all"}), Duration::from_secs(30))
        .await
        .map_err(|e| anyhow::anyhow!("nightly-sync invoke: {e:?}"))?;
    let nightly_drained = stack
        .event_source_mapping("nightly-sync", &nightly)?
        .run_until_drained(Duration::from_secs(120))
        .await?;
    anyhow::ensure!(nightly_drained.drained, "nightly queue not drained");
    println!(
        "Nightly sync: the starter sent {} integration(s) to the nightly queue.\n",
        started_nightly["sent"]
    );

    let mut problems = summary::print(
        &stack,
        &seeded,
        &before,
        &summary::Sent {
            day: &events,
            documents: &documents,
            forms: &forms,
            leads: &leads,
            malformed: 1,
        },
    )
    .await?;

    problems.extend(summary::print_nightly(&stack, &seeded).await?);

    if args.print_env {
        // One `cargo lambda watch` serves every function with one environment: the union
        // of theirs. Only the dead-letter queue differs per function; under watch they
        // all use the messages DLQ (the tests and the template give each its own).
        let mut env = std::collections::BTreeMap::new();
        for f in FUNCTIONS
            .iter()
            .chain(["mapping-api", "nightly-sync", "connect-mycase", "admin-api"].iter())
            .rev()
        {
            env.extend(stack.function_env(f));
        }
        println!("\n# cargo lambda watch against this stack (every function):");
        for (k, v) in env {
            println!("export {k}={v}");
        }
        let dir = write_fixtures(&stack, &seeded).await?;
        println!(
            "# the events/ fixtures, pointed at this firm's first case, are in {}",
            dir.display()
        );
    }
    let page = format!("{}/_sandbox/firms/{}", stack.mycase_url(), seeded.firm_uuid);
    println!("\nRead each case's Communications thread in the MyCase sandbox:\n  {page}");
    // What the dashboard would show in AWS, from this run's function output: the same
    // embedded-metric lines CloudWatch reads (`hona-ops top` on the local stack).
    let logs: Vec<std::path::PathBuf> = functions
        .iter()
        .chain([&mapping_api, &nightly])
        .map(|f| f.log_path().to_path_buf())
        .collect();
    println!("\n{}", hona_ops::top::Top::read(&logs, None)?.render());
    if problems.is_empty() {
        println!(
            "\nEverything landed ({:.1} s in all).",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("\nNot everything landed:");
        for p in &problems {
            println!("  ✗ {p}");
        }
    }
    if !args.exit {
        println!("\nThe sandbox stays up for browsing. Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
    }
    anyhow::ensure!(
        problems.is_empty(),
        "{} problem(s), see above",
        problems.len()
    );
    Ok(())
}

/// Copies `events/*.json` with the fixture's firm, integration and case replaced by
/// this demo's, so `cargo lambda invoke --data-file` lands in the sandbox: the intake
/// form's ids become the ones the demo mapped, and each document's file is put in the
/// stack's bucket (generated bytes of the fixture's size, the event's sha256 set to match).
async fn write_fixtures(
    stack: &LocalStack,
    seeded: &hona_e2e::scenario::SeededFirm,
) -> anyhow::Result<std::path::PathBuf> {
    let root = hona_e2e::workspace_root();
    let out = hona_e2e::target_dir().join("demo-events");
    std::fs::create_dir_all(&out)?;
    let case = &seeded.firm.cases[0];
    for entry in std::fs::read_dir(root.join("events"))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let mut text = std::fs::read_to_string(&path)?
            .replace("int_mycase_3f9a", &seeded.firm.integration_id)
            .replace("org_3f9a", &seeded.firm.org_id)
            .replace("41349079", &case.case_id.to_string())
            .replace("5550123", &case.client_id.to_string())
            .replace("hona-client-files-prod", &stack.documents_bucket);
        for (fixture, demo) in [
            ("frm_pi_intake", "frm_intake"),
            ("q_court_date", "q_court"),
            ("q_incident_date", "q_incident"),
            ("q_injuries", "q_injury"),
            ("q_accident_kind", "q_kind"),
            ("q_medical_bills", "q_bills"),
        ] {
            text = text.replace(fixture, demo);
        }
        if text.contains("document.received") {
            text = stage_documents(stack, &text).await?;
        }
        std::fs::write(out.join(path.file_name().unwrap_or_default()), text)?;
    }
    Ok(out)
}

/// Puts each `document.received` file of a fixture (a bare event or an SQS batch) in S3
/// and returns the fixture with the events' sha256 matching what was put.
async fn stage_documents(stack: &LocalStack, fixture: &str) -> anyhow::Result<String> {
    async fn stage(stack: &LocalStack, event: &mut Value, seed: u64) -> anyhow::Result<()> {
        if event["type"] != "document.received" {
            return Ok(());
        }
        let data = &mut event["data"];
        let size = data["size_bytes"].as_u64().unwrap_or(1024) as usize;
        let bytes = hona_e2e::hona::file_bytes(size, seed);
        data["sha256"] = Value::String(hona_e2e::hona::sha256_hex(&bytes));
        // moto gives the object its own version: the local copy names none.
        if let Some(location) = data["location"].as_object_mut() {
            location.remove("version_id");
        }
        let key = data["location"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        stack
            .aws
            .put_object(&stack.documents_bucket, &key, bytes)
            .await
    }
    let mut json: Value = serde_json::from_str(fixture)?;
    if let Some(records) = json["Records"].as_array_mut() {
        for (i, record) in records.iter_mut().enumerate() {
            let mut event: Value = serde_json::from_str(record["body"].as_str().unwrap_or("null"))?;
            stage(stack, &mut event, i as u64 + 1).await?;
            record["body"] = Value::String(event.to_string());
        }
    } else {
        stage(stack, &mut json, 1).await?;
    }
    Ok(serde_json::to_string_pretty(&json)?)
}
