//! A local stand-in for the MyCase Open API (see `../shared/reference/mycase-api.md`, beside the repository): a
//! real HTTP server with the OAuth authorization-code flow, the `/v1` resources the
//! product writes to, presigned fake-S3 document uploads, cursor pagination, a per-client
//! rate limit, switchable faults, `/_sandbox` admin endpoints and a readable HTML page
//! per firm. Everything is served on one port.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = mycase_sandbox::Sandbox::start(Default::default()).await?;
//! println!("{}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod app;
mod auth;
#[cfg(feature = "client")]
pub mod client;
mod clock;
mod config;
mod crypto;
mod errors;
mod extract;
mod faults;
mod field_values;
mod gate;
mod page;
mod pagination;
mod ratelimit;
mod render;
mod routes;
mod s3;
mod seed;
mod stats;
mod store;
mod validate;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{OAuthClientReg, SandboxConfig};

/// A running sandbox. Dropping it without [`Sandbox::shutdown`] leaves the server task
/// running until the runtime ends.
pub struct Sandbox {
    base_url: String,
    app: app::AppRef,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// The default per-instance temp data dir is ours to remove at shutdown; a dir the
    /// caller chose (or that already existed) is left alone for inspection.
    owned_data_dir: Option<std::path::PathBuf>,
}

impl Sandbox {
    /// Binds `config.addr` and serves in a spawned task.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let owned_data_dir = (!config.data_dir.exists()
            && config.data_dir.starts_with(std::env::temp_dir())
            && config
                .data_dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("mycase-sandbox-")))
        .then(|| config.data_dir.clone());
        std::fs::create_dir_all(&config.data_dir)?;
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let app = Arc::new(app::AppState::new(config, base_url.clone()));
        let router = app::router(app.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "sandbox server stopped with an error");
            }
        });
        tracing::info!(%base_url, "mycase sandbox started");
        Ok(Sandbox {
            base_url,
            app,
            stop: Some(stop),
            task,
            owned_data_dir,
        })
    }

    /// `http://127.0.0.1:PORT`: API under `/v1`, OAuth at `/login_sessions/new` and
    /// `/tokens`, fake S3 under `/_s3`, admin under `/_sandbox`, HTML at `/`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Seeds the demo firm (as `--seed demo` does) and returns the same JSON as
    /// `POST /_sandbox/firms`.
    pub fn seed_demo(&self) -> Result<serde_json::Value, String> {
        seed::demo(&self.app).map_err(|e| e.body.to_string())
    }

    /// Stops accepting connections and waits (up to 5 s) for open requests to finish.
    /// Removes the data dir if it is the default temp dir this instance created.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
        if let Some(dir) = self.owned_data_dir.take() {
            let _ = tokio::fs::remove_dir_all(dir).await;
        }
    }
}

/// A sandbox dropped without [`Sandbox::shutdown`] (a test that ends, or fails) still
/// removes the temp dir it created: uploaded files would otherwise pile up in `/tmp`
/// (seen: 530 of them after a day of test runs). Its server stops too.
impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(dir) = self.owned_data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
