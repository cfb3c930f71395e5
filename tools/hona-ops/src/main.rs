//! `hona-ops`: what an on-call engineer runs against a deployed stack (or the local one).
//!
//! Reads the same environment as the functions (`HONA_*`, `AWS_*`; see `docs/configuration.md`).
//!
//! ```text
//! hona-ops list [--limit N] [--cursor C]
//! hona-ops status <integration> [--event <event_id>] [--json]
//! hona-ops skipped list <integration> [--push-type <type>] [--limit N] [--cursor C]
//! hona-ops skipped replay <integration> [--push-type <type>]
//! hona-ops ledger backfill <integration>
//! hona-ops dlq list <push_type> [--max N]
//! hona-ops dlq replay <push_type> [--reason <kind>] [--max N]
//! hona-ops top [PATH...] [--once] [--watch SECONDS] [--last MINUTES]
//! ```

use anyhow::{Context, bail};
use aws_adapters::Aws;
use aws_adapters::config::{AdminConfig, FromEnv, QueueUrls};
use aws_adapters::dead_letters::DeadLetterQueue;
use clap::{Parser, Subcommand};
use hona_domain::Reason;
use hona_domain::ids::{EventId, IntegrationId};
use hona_domain::outcome::{Outcome, PushType};
use hona_operations::paging::PageRequest;
use hona_operations::service::{Operations, parse_push_type};
use hona_operations::status::render_text;
use hona_ops::top::Top;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "hona-ops",
    about = "Status and troubleshooting of the Hona → MyCase push bundle"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Integrations, a page at a time: active, connection, last nightly run.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// One integration's status: per push type the last success and recent problems,
    /// each with a plain reason and a remedy.
    Status {
        integration: String,
        /// Explain one event instead ("this document never appeared").
        #[arg(long)]
        event: Option<String>,
        /// JSON, as the admin API answers.
        #[arg(long)]
        json: bool,
    },
    /// Events recorded as skipped (integration inactive, no lead automation, …).
    Skipped {
        #[command(subcommand)]
        action: SkippedAction,
    },
    /// The dead-letter queue of a push type's queue.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// The local stack's metrics, as the dashboard shows them in AWS: landed, skipped and
    /// failed per push type, time to land, MyCase requests, 429s and budget waits. Read
    /// from the functions' output (their embedded-metric lines); refreshes until Ctrl-C.
    Top {
        /// Function logs, or folders of them (default: the local stack's, target/e2e-logs).
        paths: Vec<PathBuf>,
        /// Print once and exit.
        #[arg(long)]
        once: bool,
        /// Seconds between refreshes.
        #[arg(long, default_value_t = 2)]
        watch: u64,
        /// Only the metrics of the last N minutes.
        #[arg(long)]
        last: Option<u64>,
    },
    /// The ledger's upkeep.
    Ledger {
        #[command(subcommand)]
        action: LedgerAction,
    },
}

/// A page of a list: at most `--limit` lines, from `--cursor` (printed after each page).
#[derive(clap::Args)]
struct PageArgs {
    #[arg(long, default_value_t = hona_operations::paging::DEFAULT_LIMIT)]
    limit: usize,
    #[arg(long)]
    cursor: Option<String>,
}

impl PageArgs {
    fn request(&self) -> anyhow::Result<PageRequest> {
        PageRequest::parse(self.cursor.as_deref(), Some(&self.limit.to_string()))
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

fn print_next(next: Option<String>) {
    if let Some(c) = next {
        println!("more: run again with --cursor {c}");
    }
}

#[derive(Subcommand)]
enum LedgerAction {
    /// Once, after upgrading from a version without ledger summaries: rewrites the
    /// integration's rows with their index keys and expiry and sets its summaries from
    /// them. Reads the whole partition; run it while the integration's events are paused.
    Backfill { integration: String },
}

#[derive(Subcommand)]
enum SkippedAction {
    List {
        integration: String,
        #[arg(long)]
        push_type: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Re-sends each skipped event to its queue; each lands at most once.
    Replay {
        integration: String,
        #[arg(long)]
        push_type: Option<String>,
    },
}

#[derive(Subcommand)]
enum DlqAction {
    List {
        /// messages, notifications, documents, form_fields or leads.
        push_type: String,
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Sends dead letters back to the push type's queue and removes them from the DLQ.
    Replay {
        push_type: String,
        /// Only those dead-lettered for this reason (e.g. `unknown_integration`).
        #[arg(long)]
        reason: Option<Reason>,
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

fn integration(raw: &str) -> anyhow::Result<IntegrationId> {
    IntegrationId::parse(raw).map_err(|e| anyhow::anyhow!("{e}"))
}

fn push_type(raw: &str) -> anyhow::Result<PushType> {
    parse_push_type(raw).with_context(|| {
        format!(
            "unknown push type {raw:?}: messages, notifications, documents, form_fields or leads"
        )
    })
}

fn bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

fn source_queue(queues: &QueueUrls, push: PushType) -> anyhow::Result<String> {
    queues
        .for_push_type(push)
        .map(str::to_owned)
        .with_context(|| format!("{} is not set", QueueUrls::variable(push)))
}

/// `hona-ops top`: needs no AWS, only the function logs.
async fn top(paths: Vec<PathBuf>, once: bool, watch: u64, last: Option<u64>) -> anyhow::Result<()> {
    let paths = if paths.is_empty() {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target"));
        vec![target.join("e2e-logs")]
    } else {
        paths
    };
    loop {
        let since = last.map(|m| {
            (chrono::Utc::now() - chrono::Duration::minutes(m as i64)).timestamp_millis() as u64
        });
        let view = Top::read(&paths, since)
            .with_context(|| format!("reading {}", paths[0].display()))?
            .render();
        if once {
            print!("{view}");
            return Ok(());
        }
        // Clear the screen and redraw, like top(1).
        print!("\x1b[2J\x1b[H{view}\n(refreshing every {watch} s; Ctrl-C to stop)\n");
        tokio::time::sleep(std::time::Duration::from_secs(watch.max(1))).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Top {
        paths,
        once,
        watch,
        last,
    } = cli.command
    {
        return top(paths, once, watch, last).await;
    }
    let config = AdminConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let ops = Operations {
        admin: aws.integrations(),
        ledger: aws.ledger_history(),
        queues: aws.event_queues(&config.queues),
        mappings: aws.mappings(&config.mappings_table),
        jobs: aws.ledger_history(),
    };
    run(cli.command, &config, &aws, &ops).await
}

/// Runs one command that needs AWS.
async fn run(
    command: Command,
    config: &AdminConfig,
    aws: &Aws,
    ops: &Operations,
) -> anyhow::Result<()> {
    match command {
        Command::List { page } => list(ops, &page).await,
        Command::Status {
            integration: id,
            event: Some(event),
            json,
        } => explain(ops, &integration(&id)?, &event, json).await,
        Command::Status {
            integration: id,
            event: None,
            json,
        } => status(ops, &integration(&id)?, json).await,
        Command::Skipped {
            action:
                SkippedAction::List {
                    integration: id,
                    push_type: p,
                    page,
                },
        } => skipped_list(ops, &integration(&id)?, p.as_deref(), &page).await,
        Command::Ledger {
            action: LedgerAction::Backfill { integration: id },
        } => backfill(aws, &integration(&id)?).await,
        Command::Skipped {
            action:
                SkippedAction::Replay {
                    integration: id,
                    push_type: p,
                },
        } => skipped_replay(ops, &integration(&id)?, p.as_deref()).await,
        Command::Dlq {
            action: DlqAction::List { push_type: p, max },
        } => {
            let source = source_queue(&config.queues, push_type(&p)?)?;
            dlq_list(aws, &source, max).await
        }
        Command::Dlq {
            action:
                DlqAction::Replay {
                    push_type: p,
                    reason,
                    max,
                },
        } => {
            let source = source_queue(&config.queues, push_type(&p)?)?;
            dlq_replay(aws, &source, reason.as_ref(), max).await
        }
        Command::Top { .. } => unreachable!("handled before reading the environment"),
    }
}

async fn list(ops: &Operations, page: &PageArgs) -> anyhow::Result<()> {
    let records = ops.admin.page(&page.request()?).await?;
    let next = records.next_cursor();
    let records = records.items;
    println!(
        "{:<32} {:<8} {:<28} last nightly",
        "integration", "active", "connection"
    );
    for r in records {
        let i = &r.integration;
        let connection = match (&i.needs_reconnect, &i.firm_uuid) {
            (Some(_), _) => "NEEDS RECONNECT".to_owned(),
            (None, Some(_)) => "healthy".to_owned(),
            (None, None) => "not connected".to_owned(),
        };
        let nightly = r
            .last_nightly
            .map(|n| format!("{} {}", n.status, n.started_at.format("%Y-%m-%d %H:%M")))
            .unwrap_or_else(|| "never".into());
        println!(
            "{:<32} {:<8} {:<28} {nightly}",
            i.id.as_str(),
            if i.active { "yes" } else { "no" },
            connection
        );
    }
    print_next(next);
    Ok(())
}

/// `status --event`: what happened to one event.
async fn explain(
    ops: &Operations,
    id: &IntegrationId,
    event: &str,
    json: bool,
) -> anyhow::Result<()> {
    let event = EventId::parse(event).map_err(|e| anyhow::anyhow!("{e}"))?;
    let e = ops.explain(id, &event).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    println!("Event {}: {}", e.event_id, e.outcome);
    for p in &e.problems {
        println!(
            "  [{}] {}\n  → {}",
            p.diagnosis.kind, p.diagnosis.reason, p.diagnosis.remedy
        );
    }
    if let Some(n) = &e.note {
        println!("  {}\n  → {}", n.reason, n.remedy);
    }
    Ok(())
}

async fn status(ops: &Operations, id: &IntegrationId, json: bool) -> anyhow::Result<()> {
    let Some(status) = ops.status(id).await? else {
        bail!("no integration {id}");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render_text(&status));
    }
    Ok(())
}

async fn skipped_list(
    ops: &Operations,
    id: &IntegrationId,
    p: Option<&str>,
    page: &PageArgs,
) -> anyhow::Result<()> {
    let p = p.map(push_type).transpose()?;
    let request = page
        .request()?
        .scoped_to(id.as_str())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = ops.skipped(id, p, &request).await?;
    let next = rows.next_cursor();
    let rows = rows.items;
    for e in &rows {
        let reason = match &e.outcome {
            Outcome::Skipped { reason } => reason.as_str(),
            _ => "",
        };
        println!(
            "{}  {:<14} {:<24} {}",
            e.recorded_at.format("%Y-%m-%d %H:%M:%S"),
            e.push_type.as_str(),
            reason,
            e.event_id
        );
    }
    println!("{} skipped event(s) on this page", rows.len());
    print_next(next);
    Ok(())
}

async fn skipped_replay(
    ops: &Operations,
    id: &IntegrationId,
    p: Option<&str>,
) -> anyhow::Result<()> {
    let p = p.map(push_type).transpose()?;
    match ops.admin.record(id).await? {
        None => bail!("no integration {id}"),
        Some(r) if !r.integration.active => {
            bail!("{id} is inactive: activate it first, or the events are skipped again")
        }
        Some(_) => {}
    }
    let progress = bar(0, "replaying skipped events");
    let report = ops
        .replay_skipped(id, p, &|done, total| {
            progress.set_length(total as u64);
            progress.set_position(done as u64);
        })
        .await?;
    progress.finish();
    println!(
        "replayed {} event(s){}",
        report.total_sent(),
        if report.not_sent > 0 {
            format!(
                "; {} could not be sent (still skipped, replay again)",
                report.not_sent
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// `ledger backfill`: rows recorded before the summaries and indexes, rewritten with them.
async fn backfill(aws: &Aws, id: &IntegrationId) -> anyhow::Result<()> {
    let ledger = aws.ledger_history();
    let rows = ledger.all_rows(id).await?;
    let progress = bar(rows.len(), "rewriting ledger rows and summaries");
    ledger.rewrite(&rows).await?;
    progress.finish();
    println!(
        "{} row(s) of {id} rewritten; summaries set from them",
        rows.len()
    );
    Ok(())
}

async fn dlq_list(aws: &Aws, source: &str, max: usize) -> anyhow::Result<()> {
    let dlq = DeadLetterQueue::of_source(aws.sqs.clone(), source).await?;
    let messages = dlq.peek(max).await?;
    for m in &messages {
        println!(
            "{}  reason={} event={} integration={}\n    {}",
            m.message_id,
            m.reason
                .as_ref()
                .map_or("(moved by SQS after repeated failures)", Reason::as_str),
            m.event_id.as_deref().unwrap_or("-"),
            m.integration_id.as_deref().unwrap_or("-"),
            m.detail.as_deref().unwrap_or(""),
        );
    }
    println!("{} dead letter(s) on {}", messages.len(), dlq.url);
    Ok(())
}

/// Takes up to `max` dead letters, puts back those of another `reason`, and re-sends
/// the rest to `source`.
async fn dlq_replay(
    aws: &Aws,
    source: &str,
    reason: Option<&Reason>,
    max: usize,
) -> anyhow::Result<()> {
    let dlq = DeadLetterQueue::of_source(aws.sqs.clone(), source).await?;
    let taken = dlq.take(max).await?;
    let (chosen, others): (Vec<_>, Vec<_>) = taken
        .iter()
        .partition(|m| reason.is_none_or(|r| m.reason.as_ref() == Some(r)));
    for m in &others {
        dlq.release(m).await?;
    }
    let progress = bar(chosen.len(), "replaying dead letters");
    let mut failed = 0;
    for m in &chosen {
        if let Err(e) = dlq.replay_one(m, source).await {
            failed += 1;
            progress.println(format!("{}: not replayed ({e})", m.message_id));
        }
        progress.inc(1);
    }
    progress.finish();
    println!(
        "replayed {} of {} dead letter(s) to {source}{}",
        chosen.len() - failed,
        chosen.len(),
        if taken.len() > chosen.len() {
            format!("; {} others left on the queue", taken.len() - chosen.len())
        } else {
            String::new()
        }
    );
    if failed > 0 {
        bail!("{failed} dead letter(s) were not replayed");
    }
    Ok(())
}
