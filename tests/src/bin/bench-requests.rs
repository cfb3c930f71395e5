//! MyCase requests per landed event, per push type: what each push spends of the MyCase
//! budget every firm shares (SPEC §5: 20 req/s for the whole bundle).
//!
//! ```text
//! bench-requests [--leads N] [--sandbox-bin PATH]
//! ```
//!
//! Each push type's real pipeline (stores in memory, a real `MyCaseClient` over HTTP)
//! pushes a batch of events into a seeded sandbox firm; the sandbox's own counters
//! (`GET /_sandbox/stats`, `/v1` requests only: token refreshes and presigned uploads are
//! counted apart) give the requests, the pipeline's report the landed events. The
//! figures are counts, set by what the code asks of MyCase, not by CPU: a debug build
//! measures the same as a release one. Run it through `scripts/bench.sh requests`.

// The bench modules are shared with `bench`, which uses parts this binary does not.
#![allow(dead_code)]

#[path = "../bench/nightly.rs"]
mod nightly;
#[path = "../bench/report.rs"]
mod report;
#[path = "../bench/requests.rs"]
mod requests;
#[path = "../bench/run.rs"]
mod run;
#[path = "../bench/sandbox.rs"]
mod sandbox;
#[path = "../bench/setup.rs"]
mod setup;

use std::path::PathBuf;

use clap::Parser;
use hona_e2e::cli::positive_count;

use report::say;
use sandbox::SandboxProcess;

#[derive(Parser)]
#[command(name = "bench-requests")]
struct Cli {
    /// Leads per run (a cold-index run, then a warm one) [default: 60]
    #[arg(long, value_name = "N", default_value = "60", value_parser = positive_count)]
    leads: usize,
    /// Nightly: integrations in one run [default: 10]
    #[arg(long, value_name = "N", default_value = "10", value_parser = positive_count)]
    integrations: usize,
    /// The mycase-sandbox binary [default: next to this binary]
    #[arg(long, value_name = "PATH")]
    sandbox_bin: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    report::init(false)?;
    let bin = sandbox::find_binary(cli.sandbox_bin.as_deref())?;
    let sandbox = SandboxProcess::start(&bin, "requests").await?;
    // The rate limit is not what is measured here: requests are.
    sandbox
        .admin()
        .patch_faults(&serde_json::json!({"rate_limit_per_second": null}))
        .await?;
    say!("MyCase requests per landed event (sandbox counts of /v1 requests)");
    say!();
    let rows = requests::run_all(&sandbox, cli.leads).await?;
    let nightly = nightly::run(&sandbox, cli.integrations, 20.0, 4).await?;
    let all_ok = requests::print(&rows, &nightly, cli.leads);
    if !all_ok {
        say!();
        say!("Some event did not land: see above.");
        std::process::exit(1);
    }
    Ok(())
}
