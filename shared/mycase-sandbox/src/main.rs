//! `mycase-sandbox [--addr 127.0.0.1:8700] [--seed demo] [--data-dir DIR]`
//! (or env `MYCASE_SANDBOX_ADDR`, `MYCASE_SANDBOX_SEED`, `MYCASE_SANDBOX_DATA_DIR`).
//! Prints one line, `mycase-sandbox listening on http://…`, and serves until killed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use mycase_sandbox::{Sandbox, SandboxConfig};

/// A local MyCase Open API for tests, the demo and the benchmark.
#[derive(Parser)]
#[command(name = "mycase-sandbox")]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "MYCASE_SANDBOX_ADDR", default_value = "127.0.0.1:8700")]
    addr: SocketAddr,
    /// A firm to create at start.
    #[arg(long, env = "MYCASE_SANDBOX_SEED", value_enum)]
    seed: Option<Seed>,
    /// Where uploaded files go (default: a fresh temp dir, removed at shutdown).
    #[arg(long, env = "MYCASE_SANDBOX_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Seed {
    /// The demo firm (see `Sandbox::seed_demo`).
    Demo,
}

impl Args {
    /// Flags first, then the environment, then the defaults. A variable that is set but
    /// empty counts as unset (`MYCASE_SANDBOX_SEED= mycase-sandbox` seeds nothing), which
    /// clap alone would read as the value "".
    fn from_env_and_args() -> Args {
        let cmd = Args::command().mut_args(|arg| match arg.get_env() {
            Some(var) if std::env::var_os(var).is_some_and(|v| v.is_empty()) => arg.env(None),
            _ => arg,
        });
        Args::from_arg_matches(&cmd.get_matches()).unwrap_or_else(|e| e.exit())
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::from_env_and_args();
    let mut config = SandboxConfig {
        addr: args.addr,
        ..SandboxConfig::default()
    };
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mycase-sandbox: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let Some(Seed::Demo) = args.seed {
        match sandbox.seed_demo() {
            Ok(created) => eprintln!(
                "seeded demo firm {}",
                created["firm_uuid"].as_str().unwrap_or("")
            ),
            Err(e) => eprintln!("demo seed failed: {e}"),
        }
    }
    println!("mycase-sandbox listening on {}", sandbox.base_url());
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
}
