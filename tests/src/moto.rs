//! A `moto_server` (from `.venv`, see `scripts/bootstrap.sh`) on a free port of 127.0.0.1.
//!
//! One server per [`Moto`]; it is killed (process group, SIGKILL) and reaped on drop.
//! Its request log goes to `target/e2e-logs/moto-<port>.log`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::process;

pub struct Moto {
    child: tokio::process::Child,
    port: u16,
    endpoint: String,
    log_path: PathBuf,
}

impl Moto {
    /// Starts moto's server (`scripts/moto-server.py`: `moto_server` with DynamoDB
    /// requests applied one at a time, as DynamoDB applies each atomically) on
    /// `127.0.0.1:<free port>` and waits until it answers HTTP.
    pub async fn start() -> anyhow::Result<Self> {
        let bin = crate::venv_bin().join("python");
        if !crate::venv_bin().join("moto_server").exists() {
            bail!(
                "{} not found: run scripts/bootstrap.sh (creates .venv with moto[server])",
                bin.display()
            );
        }
        let mut last_err = None;
        // A free port can be taken between probing and binding: try a few.
        for _ in 0..3 {
            match Self::start_on(&bin, crate::free_port()?).await {
                Ok(moto) => return Ok(moto),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap())
    }

    async fn start_on(bin: &std::path::Path, port: u16) -> anyhow::Result<Self> {
        let log_path = crate::log_dir().join(format!("moto-{port}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let id = crate::unique_suffix();
        let mut cmd = tokio::process::Command::new(bin);
        cmd.arg(crate::workspace_root().join("scripts/moto-server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(crate::workspace_root())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // moto reads these when it signs/validates nothing, but keep the dev's real
            // AWS settings out of it.
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            // Tags every answer (scripts/moto-server.py): ours, not another test's
            // moto that won the race for this port.
            .env("HONA_MOTO_ID", &id)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL");
        process::isolate(&mut cmd);
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Moto {
            child,
            port,
            endpoint,
            log_path,
        };
        moto.wait_ready(&id, Duration::from_secs(30)).await?;
        Ok(moto)
    }

    /// Until our server answers: an answer without our `x-hona-moto` id is another
    /// process on the port (this one then exits, and `start` tries another port).
    async fn wait_ready(&mut self, id: &str, timeout: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = tokio::time::Instant::now() + timeout;
        let url = format!("{}/moto-api/", self.endpoint);
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
                bail!("moto_server exited with {status} before answering:\n{log}");
            }
            if let Ok(answer) = http.get(&url).send().await
                && answer
                    .headers()
                    .get("x-hona-moto")
                    .and_then(|v| v.to_str().ok())
                    == Some(id)
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "moto_server on port {} did not answer within {timeout:?} (log: {})",
                    self.port,
                    self.log_path.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:<port>`: the `AWS_ENDPOINT_URL` for the SDK.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's request log.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    /// The server's process id (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        process::kill_and_reap(&mut self.child);
    }
}
