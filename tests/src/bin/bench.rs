//! The benchmark: how fast one `log-messages` instance pushes a backlog into MyCase, and
//! how close it runs to MyCase's rate limit without tripping it.
//!
//! ```text
//! bench [--events N] [--moto-events N] [--backlog N] [--rate R] [--quick] [--no-moto]
//!       [--part A|B] [--no-logs] [--sandbox-bin PATH]
//! ```
//!
//! Part A: throughput and CPU per event of the real pipeline (`Pipeline<Messages>`, a
//! real `MyCaseClient` over HTTP) against a sandbox process with its rate limit off;
//! DynamoDB in memory, plus a reference row through the real AWS adapters on moto.
//! Part B: requests per second against the sandbox's default 25/s limit, with the
//! client-side limiter at `--rate`, over a backlog; how much of the budget is used and
//! how many requests are answered 429.
//!
//! Part N: the nightly sync over `--integrations` integrations (default 1,000): starter
//! and workers with a real `MyCaseClient` each, against the sandbox's 25/s limit with
//! the client-side limiter at `--rate`; wall time, request rate, 429s, per-integration
//! durations.
//!
//! Run it through `scripts/bench.sh` (release build of this and the sandbox binary).

#[path = "../bench/nightly.rs"]
mod nightly;
#[path = "../bench/report.rs"]
mod report;
#[path = "../bench/run.rs"]
mod run;
#[path = "../bench/sandbox.rs"]
mod sandbox;
#[path = "../bench/setup.rs"]
mod setup;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use hona_e2e::cli::{positive_count, positive_rate};
use mycase_client::RateLimiter;
use serde_json::json;

use report::say;
use run::{LandedCheck, RunResult};
use sandbox::SandboxProcess;

/// MyCase's documented limit, per OAuth client (the sandbox's default).
const MYCASE_LIMIT: f64 = 25.0;
const TARGET_MSG_PER_S: f64 = 1000.0;
const TARGET_CPU_MS: f64 = 0.5;
const TARGET_BUDGET_SHARE: f64 = 0.90;
const TARGET_429_SHARE: f64 = 0.01;

/// The benchmark of one log-messages instance (Parts A and B) and of the nightly sync
/// (Part N). Run it through `scripts/bench.sh`.
#[derive(Parser)]
#[command(name = "bench")]
struct Cli {
    /// Part A: message.logged events through the in-memory row [default: 5000; --quick 500]
    #[arg(long, value_name = "N", value_parser = positive_count)]
    events: Option<usize>,
    /// Part A: events through the real AWS adapters on moto [default: 300; --quick 100]
    #[arg(long, value_name = "N", value_parser = positive_count)]
    moto_events: Option<usize>,
    /// Part B: backlog of events against the 25/s limit [default: 600; --quick 120]
    #[arg(long, value_name = "N", value_parser = positive_count)]
    backlog: Option<usize>,
    /// Parts B and N: client-side limit, MYCASE_RATE_LIMIT_PER_SECOND (Part N uses
    /// min(R, 20), the bundle's shared budget)
    #[arg(long, value_name = "R", default_value = "24", value_parser = positive_rate)]
    rate: f64,
    /// Part N: integrations in one nightly run [default: 1000; --quick 100]
    #[arg(long, value_name = "N", value_parser = positive_count)]
    integrations: Option<usize>,
    /// Smoke run: smaller defaults (explicit flags still win)
    #[arg(long)]
    quick: bool,
    /// Skip the moto reference row
    #[arg(long)]
    no_moto: bool,
    /// Run only Part A, B or N (e.g. under perf)
    #[arg(long, value_enum, ignore_case = true)]
    part: Option<Part>,
    /// Do not write the function's JSON log lines (default: to a file, as Lambda writes
    /// them to stdout, so their cost is counted)
    #[arg(long)]
    no_logs: bool,
    /// The mycase-sandbox binary [default: next to this binary]
    #[arg(long, value_name = "PATH")]
    sandbox_bin: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Part {
    #[value(name = "A")]
    A,
    #[value(name = "B")]
    B,
    #[value(name = "N")]
    N,
}

/// The command line resolved: `--quick` defaults applied, the part chosen.
struct Args {
    events: usize,
    moto_events: usize,
    backlog: usize,
    rate: f64,
    quick: bool,
    moto: bool,
    part_a: bool,
    part_b: bool,
    part_n: bool,
    integrations: usize,
    function_logs: bool,
    sandbox_bin: Option<PathBuf>,
}

impl From<Cli> for Args {
    fn from(cli: Cli) -> Args {
        let (events, moto_events, backlog, integrations) = if cli.quick {
            (500, 100, 120, 100)
        } else {
            (5000, 300, 600, 1000)
        };
        let runs = |p: Part| cli.part.is_none_or(|only| only == p);
        Args {
            events: cli.events.unwrap_or(events),
            moto_events: cli.moto_events.unwrap_or(moto_events),
            backlog: cli.backlog.unwrap_or(backlog),
            rate: cli.rate,
            quick: cli.quick,
            moto: !cli.no_moto,
            part_a: runs(Part::A),
            part_b: runs(Part::B),
            part_n: runs(Part::N),
            integrations: cli.integrations.unwrap_or(integrations),
            function_logs: !cli.no_logs,
            sandbox_bin: cli.sandbox_bin,
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::from(Cli::parse());
    let log_path = match report::init(args.function_logs) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::exit(1);
        }
    };
    // On Ctrl-C the benchmark future is dropped, which stops the sandbox and moto.
    let mut run = Box::pin(bench(&args, log_path));
    let outcome = tokio::select! {
        r = &mut run => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    drop(run);
    let Some(outcome) = outcome else {
        eprintln!("\ninterrupted; child processes stopped");
        std::process::exit(130);
    };
    match outcome {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::exit(1);
        }
    }
}

/// Runs both parts and prints the tables. `Ok(false)`: a correctness check failed.
async fn bench(args: &Args, log_path: Option<PathBuf>) -> anyhow::Result<bool> {
    let bin = sandbox::find_binary(args.sandbox_bin.as_deref())?;
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    say!("Hona → MyCase benchmark: the log-messages function, one Lambda instance");
    say!(
        "build: {} · {cpus} CPUs · tokio multi-thread runtime as in the functions · load average at start: {}",
        if cfg!(debug_assertions) {
            "DEBUG (not optimised: figures are not representative; use scripts/bench.sh)"
        } else {
            "optimised"
        },
        load_average()
    );
    say!("sandbox binary: {}", bin.display());
    match &log_path {
        Some(p) => say!(
            "function logs: JSON lines as in Lambda (aws_adapters::lambda::init_tracing, RUST_LOG={}) → {}",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            p.display()
        ),
        None => say!("function logs: off (--no-logs): formatting and writing them is not counted"),
    }
    if args.quick {
        say!("mode: --quick (smoke run; figures from small samples)");
    }
    say!();

    let mut all_ok = true;
    if args.part_a {
        all_ok &= part_a(args, &bin).await?;
    }
    if args.part_a && args.part_b {
        say!();
    }
    if args.part_b {
        all_ok &= part_b(args, &bin).await?;
    }
    if args.part_n {
        if args.part_a || args.part_b {
            say!();
        }
        all_ok &= part_n(args, &bin).await?;
    }
    Ok(all_ok)
}

// ------------------------------------------------------------------------------- Part A

struct Row {
    label: &'static str,
    result: RunResult,
    check: LandedCheck,
}

async fn part_a(args: &Args, bin: &std::path::Path) -> anyhow::Result<bool> {
    say!("Part A — throughput of one log-messages instance, MyCase rate limit off");
    let sandbox = SandboxProcess::start(bin, "a").await?;
    let faults = sandbox
        .admin()
        .patch_faults(&json!({"rate_limit_per_second": null}))
        .await?;
    if faults.rate_limit_per_second.is_some() {
        bail!("the sandbox kept its rate limit: {faults:?}");
    }
    say!(
        "  MyCase:   mycase-sandbox in its own process (pid {}, {}), rate limit off; its CPU is not in the CPU column",
        sandbox.pid(),
        sandbox.base_url()
    );
    say!("            log: {}", sandbox.log_path().display());
    say!(
        "  DynamoDB: in memory (hona_domain::fakes) — moto, a Python emulator, would measure itself, not the function"
    );
    say!(
        "  pipeline: hona_domain::Pipeline<Messages> + CommunicationsLog + a real MyCaseClient (HTTP, RateLimiter::unlimited, in-memory tokens)"
    );
    say!(
        "  input:    message.logged events in SQS batches of 10 over 10 FIFO groups (one per case), one batch after another (process_batch)"
    );

    // The main row: in-memory stores.
    let firm = setup::seed_firm(&sandbox, "a").await?;
    let events = firm.messages("evt_bench_a", args.events);
    let transport = setup::transport(&sandbox, RateLimiter::unlimited())?;
    let (pipeline, _ledger) = setup::memory_pipeline(&firm, transport)?;
    let result = run::drain(&pipeline, setup::batches(&events), &sandbox).await;
    let check = run::check_landed(&sandbox, &firm.firm_uuid, &events).await?;
    let mut rows = vec![Row {
        label: "in-memory stores",
        result,
        check,
    }];

    // The reference row: the real AWS adapters on moto.
    let mut moto_note = None;
    if args.moto {
        match moto_row(args, &sandbox).await {
            Ok(row) => rows.push(row),
            Err(e) => moto_note = Some(format!("moto row skipped: {e:#}")),
        }
    } else {
        moto_note = Some("moto row skipped (--no-moto)".into());
    }

    say!();
    say!(
        "  {:<28} {:>7} {:>8} {:>9} {:>13} {:>18} {:>17}",
        "stores",
        "events",
        "wall s",
        "msg/s",
        "CPU ms/event",
        "sandbox CPU ms/ev",
        "batch p50/p99 ms"
    );
    for row in &rows {
        let r = &row.result;
        say!(
            "  {:<28} {:>7} {:>8.3} {:>9.0} {:>13.3} {:>18} {:>17}",
            row.label,
            r.events,
            r.wall.as_secs_f64(),
            r.per_second(),
            r.cpu_ms_per_event(),
            r.sandbox_cpu_ms_per_event()
                .map(|v| format!("{v:.3}"))
                .unwrap_or_else(|| "n/a".into()),
            format!(
                "{:.1} / {:.1}",
                ms(r.batch_percentile(0.5)),
                ms(r.batch_percentile(0.99))
            ),
        );
    }
    say!(
        "  {:<28} {:>7} {:>8} {:>9} {:>13}",
        "target (in-memory row)",
        "",
        "",
        format!("≥ {TARGET_MSG_PER_S:.0}"),
        format!("≤ {TARGET_CPU_MS:.2}"),
    );
    say!();

    let main = &rows[0].result;
    let tput_ok = main.per_second() >= TARGET_MSG_PER_S;
    let cpu_ok = main.cpu_ms_per_event() <= TARGET_CPU_MS;
    say!(
        "  throughput  {} {:.0} msg/s (target ≥ {TARGET_MSG_PER_S:.0})",
        verdict(tput_ok),
        main.per_second()
    );
    say!(
        "  CPU         {} {:.3} ms per event in the function process, user+sys (target ≤ {TARGET_CPU_MS:.2})",
        verdict(cpu_ok),
        main.cpu_ms_per_event()
    );
    let mut checks_ok = true;
    for row in &rows {
        let r = &row.result;
        let acked = r.all_landed();
        checks_ok &= acked && row.check.ok;
        say!("  {}:", row.label);
        say!(
            "    acknowledged   {}: {}",
            check_word(acked),
            r.outcome_summary()
        );
        say!("    in MyCase      {}", row.check.summary);
    }
    if rows.len() > 1 {
        say!(
            "  * the moto row is bounded by moto: one Python process emulating DynamoDB, Secrets Manager and SQS,"
        );
        say!(
            "    answering the 4 DynamoDB calls each event makes (7 for a case's first); its msg/s measures moto, not the function."
        );
        say!(
            "    Its CPU column is still this process only: the function side including the AWS SDK (signing, JSON)."
        );
    }
    if let Some(note) = moto_note {
        say!("  {note}");
    }
    Ok(checks_ok)
}

async fn moto_row(args: &Args, sandbox: &SandboxProcess) -> anyhow::Result<Row> {
    let firm = setup::seed_firm(sandbox, "moto").await?;
    let events = firm.messages("evt_bench_moto", args.moto_events);
    let transport = setup::transport(sandbox, RateLimiter::unlimited())?;
    let (pipeline, world) = setup::moto_pipeline(&firm, transport)
        .await
        .context("starting moto and creating the resources")?;
    let result = run::drain(&pipeline, setup::batches(&events), sandbox).await;
    let check = run::check_landed(sandbox, &firm.firm_uuid, &events).await?;
    drop(pipeline);
    drop(world);
    Ok(Row {
        label: "real AWS adapters on moto *",
        result,
        check,
    })
}

// ------------------------------------------------------------------------------- Part B

async fn part_b(args: &Args, bin: &std::path::Path) -> anyhow::Result<bool> {
    say!("Part B — request rate against the sandbox's 25 req/s limit, under a backlog");
    let sandbox = SandboxProcess::start(bin, "b").await?;
    let limit = sandbox.admin().faults().await?.rate_limit_per_second;
    say!(
        "  MyCase:   a fresh mycase-sandbox process (pid {}), its default limit: {} per OAuth client",
        sandbox.pid(),
        limit
            .map(|l| format!("{l} req/s"))
            .unwrap_or_else(|| "none".into())
    );
    say!("            log: {}", sandbox.log_path().display());
    say!(
        "  client:   RateLimiter::per_second({}) (MYCASE_RATE_LIMIT_PER_SECOND), shared by the whole pipeline",
        args.rate
    );
    say!(
        "  input:    a backlog of {} message.logged events (in-memory stores), batches of 10, one after another",
        args.backlog
    );
    let firm = setup::seed_firm(&sandbox, "b").await?;
    let events = firm.messages("evt_bench_b", args.backlog);
    let transport = setup::transport(&sandbox, RateLimiter::per_second(args.rate))?;
    let (pipeline, _ledger) = setup::memory_pipeline(&firm, transport)?;

    sandbox.admin().reset_stats().await?;
    let started = Instant::now();
    let result = run::drain(&pipeline, setup::batches(&events), &sandbox).await;
    let wall = started.elapsed();
    let stats = sandbox.admin().stats().await?;
    let check = run::check_landed(&sandbox, &firm.firm_uuid, &events).await?;

    let total = stats.requests_total;
    let by_status = &stats.by_status;
    let throttled = stats.status_count(429);
    let span = match (stats.first_request_at_ms, stats.last_request_at_ms) {
        (Some(f), Some(l)) if l > f => Some(Duration::from_millis((l - f) as u64)),
        _ => None,
    };
    // n evenly spaced requests span n-1 intervals.
    let rate_from_span = span.map(|s| (total.saturating_sub(1)) as f64 / s.as_secs_f64());
    let rate_from_wall = total as f64 / wall.as_secs_f64();
    let achieved = rate_from_span.unwrap_or(rate_from_wall);
    let share = achieved / MYCASE_LIMIT;
    let throttled_share = if total > 0 {
        throttled as f64 / total as f64
    } else {
        0.0
    };
    let share_ok = share >= TARGET_BUDGET_SHARE;
    let throttled_ok = throttled_share <= TARGET_429_SHARE;

    let statuses = by_status
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    say!();
    let line = |what: &str, measured: String, target: String, verdict: &str| {
        let row = format!("  {what:<26} {measured:<40} {target:<8} {verdict}");
        say!("{}", row.trim_end());
    };
    line("", "measured".into(), "target".into(), "");
    line(
        "requests sent",
        format!("{total} ({statuses})"),
        String::new(),
        "",
    );
    line(
        "first → last request",
        span.map(|s| format!("{:.2} s (sandbox clock)", s.as_secs_f64()))
            .unwrap_or_else(|| "n/a".into()),
        String::new(),
        "",
    );
    line(
        "achieved rate",
        format!(
            "{achieved:.2} req/s ({rate_from_wall:.2} over wall {:.2} s)",
            wall.as_secs_f64()
        ),
        String::new(),
        "",
    );
    line(
        "share of the 25/s budget",
        format!("{:.1} %", share * 100.0),
        format!("≥ {:.0} %", TARGET_BUDGET_SHARE * 100.0),
        verdict(share_ok),
    );
    line(
        "answered 429",
        format!("{throttled} ({:.2} %)", throttled_share * 100.0),
        format!("≤ {:.0} %", TARGET_429_SHARE * 100.0),
        verdict(throttled_ok),
    );
    line(
        "function CPU",
        format!(
            "{:.3} ms/event at {:.1} msg/s (paced by the limiter)",
            result.cpu_ms_per_event(),
            result.per_second()
        ),
        String::new(),
        "",
    );
    let acked = result.all_landed();
    say!();
    say!(
        "  acknowledged   {}: {}",
        check_word(acked),
        result.outcome_summary()
    );
    say!("  in MyCase      {}", check.summary);
    if args.rate > MYCASE_LIMIT {
        say!(
            "  note: --rate {} is above MyCase's {MYCASE_LIMIT}/s: 429s are expected",
            args.rate
        );
    }
    Ok(acked && check.ok)
}

// ------------------------------------------------------------------------------- Part N

/// The bundle's shared MyCase budget (SPEC §5): the nightly sync's limiter never exceeds it.
const BUNDLE_BUDGET: f64 = 20.0;
/// Integrations worked on at once: two nightly-sync instances × four each.
const NIGHTLY_CONCURRENCY: usize = 8;

async fn part_n(args: &Args, bin: &std::path::Path) -> anyhow::Result<bool> {
    let rate = args.rate.min(BUNDLE_BUDGET);
    say!(
        "Part N — the nightly sync over {} integrations, inside the shared rate budget",
        args.integrations
    );
    let sandbox = SandboxProcess::start(bin, "n").await?;
    let limit = sandbox.admin().faults().await?.rate_limit_per_second;
    say!(
        "  MyCase:   a fresh mycase-sandbox process (pid {}), its limit: {} per OAuth client (all firms share it)",
        sandbox.pid(),
        limit
            .map(|l| format!("{l} req/s"))
            .unwrap_or_else(|| "none".into())
    );
    say!(
        "  client:   RateLimiter::per_second({rate}) shared by every integration's MyCaseClient; {NIGHTLY_CONCURRENCY} integrations at a time"
    );
    say!(
        "  per integration: token refresh (keep-alive), GET /v1/firm, GET /v1/custom_fields + one mapping re-checked, ledger counts, one failed push re-driven (stores in memory)"
    );
    let r = nightly::run(&sandbox, args.integrations, rate, NIGHTLY_CONCURRENCY).await?;
    let mut durations: Vec<u64> = r.reports.iter().map(|x| x.duration_ms).collect();
    durations.sort_unstable();
    let pct = |p: f64| {
        durations
            .get(((durations.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    let ok = r.reports.iter().filter(|x| x.status == "ok").count();
    let kept_alive = r.reports.iter().filter(|x| x.token_refreshed).count();
    let mycase_calls = r.requests + r.token_refreshes;
    let rate_wall = mycase_calls as f64 / r.wall.as_secs_f64();
    let per_hour = r.integrations as f64 / r.wall.as_secs_f64() * 3600.0;
    say!();
    say!(
        "  seeding {} firms, grants and fields (not measured): {:.1} s",
        r.integrations,
        r.seeding.as_secs_f64()
    );
    say!(
        "  wall time, starter + every worker      {:.1} s",
        r.wall.as_secs_f64()
    );
    say!(
        "  MyCase calls                           {mycase_calls} ({} API + {} token refreshes), {:.2} per integration",
        r.requests,
        r.token_refreshes,
        mycase_calls as f64 / r.integrations as f64
    );
    say!(
        "  achieved rate                          {rate_wall:.2} req/s over the wall time ({:.1} % of MyCase's 25/s){}",
        rate_wall / MYCASE_LIMIT * 100.0,
        r.span
            .map(|s| format!("; API first → last {:.1} s", s.as_secs_f64()))
            .unwrap_or_default()
    );
    say!("  answered 429                           {}", r.throttled);
    say!(
        "  per integration (worker run)           p50 {} ms, p99 {} ms, max {} ms (mostly waiting for the limiter)",
        pct(0.5),
        pct(0.99),
        durations.last().copied().unwrap_or(0)
    );
    say!(
        "  capacity at this budget                {per_hour:.0} integrations per hour (the schedule is hourly)"
    );
    say!(
        "  function CPU                           {:.2} ms per integration",
        r.cpu.as_secs_f64() * 1000.0 / r.integrations as f64
    );
    let rechecked = r
        .reports
        .iter()
        .filter(|x| {
            x.mappings
                .as_ref()
                .is_some_and(|m| m.mappings_checked == 1 && m.broken.is_empty() && m.fields == 3)
        })
        .count();
    let all_ok = ok == r.integrations
        && kept_alive == r.integrations
        && rechecked == r.integrations
        && r.redriven == r.integrations;
    say!();
    say!(
        "  checked        {}: {ok} of {} reports ok, {kept_alive} grants refreshed, {rechecked} catalogues refreshed with their mapping re-checked, {} failed pushes re-driven",
        check_word(all_ok),
        r.integrations,
        r.redriven
    );
    Ok(all_ok && r.throttled == 0)
}

// ------------------------------------------------------------------------------- helpers

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

fn check_word(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAILED" }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "n/a".into())
}
