//! The local stack for end-to-end tests, the demo and the benchmark.
//!
//! - [`moto::Moto`]: a `moto_server` (DynamoDB, SQS, Secrets Manager, S3) on a free port.
//! - [`aws`]: SDK clients for it, resource creation and small helpers for assertions.
//! - [`emulator::Emulator`]: one Lambda function binary running under cargo-lambda's
//!   runtime emulator (measured behaviour documented in that module).
//! - [`poller::EventSourceMapping`]: the SQS → Lambda event-source mapping (moto has none).
//! - [`stack::LocalStack`]: all of the above plus the MyCase sandbox, with the functions'
//!   configuration contract ([`stack::LocalStack::function_env`]).
//!
//! Every process the harness starts is killed (process group, SIGKILL) and reaped when its
//! owner is dropped, and gets `PR_SET_PDEATHSIG` so it dies with the test process even when
//! the test process itself is killed.

pub mod apigw;
pub mod aws;
pub mod cli;
pub mod emulator;
pub mod moto;
pub mod poller;
mod process;
pub mod stack;

pub use emulator::{Emulator, InvokeError};
pub use moto::Moto;
pub use poller::{BatchOutcome, DrainStats, EventSourceMapping, FnInvoker, Invoker};
pub use stack::{LocalStack, StackOptions};

use std::path::PathBuf;

/// The workspace root (the directory holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// `<root>/.venv/bin`, where `scripts/bootstrap.sh` installs `moto_server` and `cargo-lambda`.
pub fn venv_bin() -> PathBuf {
    workspace_root().join(".venv").join("bin")
}

/// Cargo's target directory (`CARGO_TARGET_DIR` if set, else `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// Where the harness writes process logs: `<target>/e2e-logs`.
pub fn log_dir() -> PathBuf {
    let dir = target_dir().join("e2e-logs");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// A short random lowercase suffix (8 chars) for resource names, unique per stack.
pub fn unique_suffix() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`.
pub(crate) async fn wait_for_port(port: u16, timeout: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
pub mod demo;
pub mod hona;
pub mod mapping_api;
pub mod scenario;
