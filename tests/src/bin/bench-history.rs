//! The history benchmark: what a status call and a nightly run read as one integration's
//! ledger grows.
//!
//! ```text
//! bench-history [--sizes 1000,10000,100000] [--runs 3]
//! ```
//!
//! Per size, against moto (a fresh ledger table made as the local stack makes it): seeds
//! that many ledger rows for one integration (batch writes of the rows the bundle writes,
//! with their problem copies and the summaries they add up to, as `hona-ops ledger
//! backfill` writes them), then times the status call
//! (`Operations::status`, as the admin API and `hona-ops status` run it; median of
//! `--runs`) and runs the nightly worker once (real ledger, fake MyCase). DynamoDB requests
//! and items read are the ledger adapter's own tally (`DynamoLedger::reads`), not a formula.
//!
//! A firm's recent activity does not depend on how long it has been a customer, so the
//! last 30 days are the same at every size: [`RECENT_ROWS`] rows, the same problems
//! (landed with a remark, skipped for good; at least five per push type) and the same 8
//! rows still needing action. Only the older history (the rest of the rows, spread over
//! the two years before that) grows with the size. The sizes compare the same firm with a
//! longer history, which is what the targets are about.
//!
//! Targets (issue 19): status latency and items read at the largest size ≤ 1.5× those at the
//! smallest; the nightly's items read per integration ≤ 2 × (rows needing action + 1).
//! Run it through `scripts/bench.sh history`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_adapters::dynamo::integrations::DynamoIntegrations;
use aws_adapters::dynamo::ledger::DynamoLedger;
use aws_adapters::dynamo::mappings::DynamoMappings;
use chrono::Utc;
use clap::Parser;
use hona_domain::ids::{CaseId, EventId, IntegrationId, OrgId, StaffId};
use hona_domain::outcome::{Landed, LedgerEntry, MyCaseRef, Outcome, PushType, Remark};
use hona_domain::{PushError, Reason};
use hona_e2e::aws::Aws;
use hona_e2e::{Moto, unique_suffix};
use hona_operations::fakes::{FakeHealth, MemoryQueues};
use hona_operations::nightly::NightlyWorker;
use hona_operations::ports::IntegrationAdmin;
use hona_operations::service::Operations;
use hona_operations::settings::Connection;

const INTEGRATION: &str = "int_history_bench";
/// Rows still needing action in every seeded ledger: skipped with their event kept (replay)
/// and recent fixable failures (the nightly's re-drive).
const SKIPPED_REPLAYABLE: usize = 4;
const FAILED_REDRIVABLE: usize = 4;
const TARGET_GROWTH: f64 = 1.5;
/// Rows in the last 30 days, the same at every size (all of them below this size).
const RECENT_ROWS: usize = 800;
const RECENT_DAYS: i64 = 30;

/// Status and nightly reads per ledger size. Run it through `scripts/bench.sh history`.
#[derive(Parser)]
#[command(name = "bench-history")]
struct Args {
    /// Ledger rows for the one integration, per run.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    sizes: Vec<usize>,
    /// Status calls timed per size (the median is shown).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

struct Row {
    size: usize,
    seed: Duration,
    status_median: Duration,
    status_requests: u64,
    status_items: u64,
    nightly_requests: u64,
    nightly_items: u64,
    needing_action: usize,
}

/// The push type of the `j`th row of a stretch of history: mostly messages.
fn push_type_of(j: usize) -> PushType {
    match j % 10 {
        0..=5 => PushType::Messages,
        6 | 7 => PushType::Notifications,
        8 => PushType::Documents,
        _ => PushType::FormFields,
    }
}

fn remark() -> Vec<Remark> {
    vec![Remark::new(
        Reason::parse("sender_fallback"),
        "staff 9 is inactive",
    )]
}

fn landed(i: usize, remarks: Vec<Remark>) -> Outcome {
    Outcome::Landed(Landed {
        refs: vec![MyCaseRef::new("message", 500_000 + i as i64)],
        remarks,
    })
}

/// One seeded row. Rows `0..older` are the older history: mostly landed messages and
/// notifications spread over two years before the last 30 days, a few with a remark or
/// skipped for good. The last `RECENT_ROWS` are the last 30 days, the same at every size:
/// one block of ten rows (every push type) in twelve is a problem (alternately landed with
/// a remark and skipped for good, nothing to replay), and the last few are skipped with
/// their event kept or failed hours ago for a reason the nightly re-drives.
fn entry(i: usize, size: usize, now: chrono::DateTime<Utc>) -> LedgerEntry {
    let recent = RECENT_ROWS.min(size);
    let older = size - recent;
    let window = chrono::Duration::days(RECENT_DAYS);
    let history = chrono::Duration::days(730) - window;
    let from_end = size - i;
    let kept = || {
        Some(format!(
            "{{\"id\":\"evt_{i:07}\",\"type\":\"message.logged\"}}"
        ))
    };
    let (push_type, recorded_at, outcome, event_json) = if i < older {
        let at = now - window - history + history * (i as i32) / (older as i32);
        let outcome = if i % 997 == 0 {
            Outcome::Skipped {
                reason: Reason::NoMappedAnswers,
            }
        } else if i % 211 == 0 {
            landed(i, remark())
        } else {
            landed(i, vec![])
        };
        (push_type_of(i), at, outcome, None)
    } else {
        let j = i - older;
        let push_type = push_type_of(j);
        if from_end <= FAILED_REDRIVABLE {
            (
                push_type,
                now - chrono::Duration::hours(2 + from_end as i64),
                Outcome::Failed(PushError::transient(
                    Reason::MyCaseUnavailable,
                    "MyCase answered 503.",
                )),
                kept(),
            )
        } else if from_end <= FAILED_REDRIVABLE + SKIPPED_REPLAYABLE {
            (
                push_type,
                now - chrono::Duration::days(1 + from_end as i64),
                Outcome::Skipped {
                    reason: Reason::IntegrationInactive,
                },
                kept(),
            )
        } else {
            let at = now - window + window * (j as i32) / (recent as i32);
            let block = j / 10;
            let outcome = match (block % 12, block / 12 % 2) {
                (0, 0) => landed(i, remark()),
                (0, _) => Outcome::Skipped {
                    reason: Reason::NoMappedAnswers,
                },
                _ => landed(i, vec![]),
            };
            (push_type, at, outcome, None)
        }
    };
    LedgerEntry {
        integration_id: IntegrationId::parse(INTEGRATION).expect("a valid id"),
        event_id: EventId::parse(&format!("evt_{i:07}")).expect("a valid id"),
        event_type: "message.logged".into(),
        push_type,
        case_id: Some(CaseId::new(1000 + (i % 300) as i64).expect("a valid id")),
        event_time: recorded_at.to_rfc3339(),
        recorded_at,
        outcome,
        event_json,
    }
}

/// The rows, with the summaries and day counts they add up to, as `hona-ops ledger
/// backfill` writes them (batch writes: seeding 100,000 rows through `Ledger::record`'s
/// read-then-transaction would take moto hours).
async fn seed(ledger: &DynamoLedger, size: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let entries: Vec<LedgerEntry> = (0..size).map(|i| entry(i, size, now)).collect();
    ledger.rewrite(&entries).await?;
    Ok(())
}

async fn measure(aws: &Aws, size: usize, runs: usize) -> anyhow::Result<Row> {
    let sfx = unique_suffix();
    let (integrations, ledger_table, mappings) = (
        format!("hona-integrations-{sfx}"),
        format!("hona-ledger-{sfx}"),
        format!("hona-mappings-{sfx}"),
    );
    aws.create_table(&integrations, "integration_id", None)
        .await?;
    aws.create_ledger_table(&ledger_table).await?;
    aws.create_table(&mappings, "integration_id", Some("mapping_key"))
        .await?;
    let id = IntegrationId::parse(INTEGRATION)?;
    let admin = Arc::new(DynamoIntegrations::new(
        aws.dynamodb.clone(),
        integrations.clone(),
    ));
    admin
        .connected(&Connection {
            integration_id: id.clone(),
            org_id: OrgId::parse("org_history_bench")?,
            firm_uuid: "firm-history-bench".into(),
            authorised_by: StaffId::new(9)?,
        })
        .await?;
    admin.set_active(&id, true).await?;

    let ledger = Arc::new(DynamoLedger::new(aws.dynamodb.clone(), ledger_table));
    let started = Instant::now();
    seed(&ledger, size).await?;
    let seeded = started.elapsed();

    let reads = ledger.reads();
    let ops = Operations {
        admin: admin.clone(),
        ledger: ledger.clone(),
        queues: Arc::new(MemoryQueues::default()),
        mappings: Arc::new(DynamoMappings::new(aws.dynamodb.clone(), mappings)),
        jobs: ledger.clone(),
    };
    let mut times = Vec::new();
    let (mut requests, mut items) = (0, 0);
    for _ in 0..runs.max(1) {
        reads.take();
        let t = Instant::now();
        let status = ops.status(&id).await?.context("the integration exists")?;
        times.push(t.elapsed());
        (requests, items) = reads.take();
        anyhow::ensure!(status.push_types.iter().any(|p| p.last_success.is_some()));
    }
    times.sort();

    let queues = Arc::new(MemoryQueues::default());
    let worker = NightlyWorker {
        admin,
        ledger: ledger.clone(),
        health: Arc::new(FakeHealth::default()),
        mappings: None,
        client_index: None,
        queues: queues.clone(),
        redrive_budget: 50,
    };
    reads.take();
    let report = worker
        .run(&id, tokio::time::Instant::now() + Duration::from_secs(600))
        .await?;
    let (nightly_requests, nightly_items) = reads.take();
    anyhow::ensure!(
        report.redriven.values().sum::<usize>() == FAILED_REDRIVABLE,
        "the nightly re-drove {:?}",
        report.redriven
    );
    Ok(Row {
        size,
        seed: seeded,
        status_median: times[times.len() / 2],
        status_requests: requests,
        status_items: items,
        nightly_requests,
        nightly_items,
        needing_action: SKIPPED_REPLAYABLE + FAILED_REDRIVABLE,
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT MET" }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let moto = Moto::start().await?;
    let aws = Aws::new(moto.endpoint_url()).await;
    let mut rows = Vec::new();
    for &size in &args.sizes {
        eprintln!("bench-history: seeding {size} ledger rows…");
        let row = measure(&aws, size, args.runs).await?;
        eprintln!(
            "bench-history: {size} rows seeded in {:.1} s",
            row.seed.as_secs_f64()
        );
        rows.push(row);
    }
    println!(
        "\n| ledger rows | status latency (moto, median) | status: DynamoDB requests | status: items read | nightly: requests | nightly: items read | rows needing action |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.3} s | {} | {} | {} | {} | {} |",
            r.size,
            r.status_median.as_secs_f64(),
            r.status_requests,
            r.status_items,
            r.nightly_requests,
            r.nightly_items,
            r.needing_action
        );
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let latency = last.status_median.as_secs_f64() / first.status_median.as_secs_f64();
        let items = last.status_items as f64 / first.status_items.max(1) as f64;
        println!("\nTargets ({} rows against {}):", last.size, first.size);
        println!(
            "- status latency ×{latency:.2} (target ≤ ×{TARGET_GROWTH}): {}",
            verdict(latency <= TARGET_GROWTH)
        );
        println!(
            "- status items read ×{items:.2} (target ≤ ×{TARGET_GROWTH}): {}",
            verdict(items <= TARGET_GROWTH)
        );
        for r in &rows {
            let bound = 2 * (r.needing_action as u64 + 1);
            println!(
                "- nightly items read at {} rows: {} (target ≤ 2 × ({} + 1) = {bound}): {}",
                r.size,
                r.nightly_items,
                r.needing_action,
                verdict(r.nightly_items <= bound)
            );
        }
    }
    Ok(())
}
