//! `mycase-sandbox [--addr 127.0.0.1:8700] [--seed demo] [--data-dir DIR]`
//! (or env `MYCASE_SANDBOX_ADDR`, `MYCASE_SANDBOX_SEED`, `MYCASE_SANDBOX_DATA_DIR`).
//! Prints one line, `mycase-sandbox listening on http://…`, and serves until killed.

use std::net::SocketAddr;
use std::path::PathBuf;

use mycase_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: mycase-sandbox [--addr HOST:PORT] [--seed demo] [--data-dir DIR]";

struct Args {
    addr: SocketAddr,
    seed: Option<String>,
    data_dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut addr = env("MYCASE_SANDBOX_ADDR").unwrap_or_else(|| "127.0.0.1:8700".into());
    let mut seed = env("MYCASE_SANDBOX_SEED");
    let mut data_dir = env("MYCASE_SANDBOX_DATA_DIR").map(PathBuf::from);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or(format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--addr" => addr = value()?,
            "--seed" => seed = Some(value()?),
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if let Some(s) = &seed
        && s != "demo"
    {
        return Err(format!("unknown seed '{s}' (only 'demo' exists)"));
    }
    let addr = addr
        .parse()
        .map_err(|_| format!("--addr: '{addr}' is not HOST:PORT"))?;
    Ok(Args {
        addr,
        seed,
        data_dir,
    })
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
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
    if args.seed.is_some() {
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
