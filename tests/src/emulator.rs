//! One Lambda function, the real binary `target/debug/<function>`, running under
//! cargo-lambda's runtime emulator (`cargo lambda watch`, from `.venv/bin/cargo-lambda`).
//!
//! # What was measured (cargo-lambda 1.9.2, lambda_runtime 1.5, on this machine)
//!
//! Default mode, `cargo lambda watch -A 127.0.0.1 -P <port>` from the workspace root:
//! - Invoke: `POST http://127.0.0.1:<port>/2015-03-31/functions/<bin>/invocations` with the
//!   JSON payload. 200 + the handler's JSON on success; 500 +
//!   `{"errorType":…,"errorMessage":…}` when the handler returns `Err`. The function process
//!   is started lazily by the first invoke as `cargo run --manifest-path Cargo.toml --bin
//!   <bin>` (one process per function, reused across invokes; first invoke ~0.1 s when the
//!   binary is already built). `-P/--invoke-port` and `-A/--invoke-address` pick the socket.
//! - Environment: the function inherits the whole environment of the `cargo lambda watch`
//!   process, plus `--env-var K=V` (repeatable, or comma separated) / `--env-file`, plus
//!   `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_RUNTIME_API=http://<addr>/.rt/<bin>`,
//!   `AWS_LAMBDA_FUNCTION_VERSION=1`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=4096`,
//!   `AWS_LAMBDA_MAX_CONCURRENCY=1` (and cargo's `CARGO_*`). Env is per watch process, not
//!   per function: per-function env means one watch process per function.
//! - Rebuilds: `cargo run --bin <bin>` resolves features for that one package only, while
//!   `cargo build --workspace --bins` unifies them with the sandbox's and this crate's
//!   (tokio "full", axum, …): a different build of tokio/hyper/the SDK, i.e. a long rebuild
//!   the first time and a relink every time the two alternate. The file watcher also
//!   restarts the function on any change under the workspace that is not git-ignored
//!   (`--ignore-changes` turns that off).
//! - `--timeout N` also applies to the runtime API's `/next` long-poll: an idle function
//!   gets a 408 without `lambda-runtime-aws-request-id`, `lambda_runtime` 1.5 panics
//!   ("missing lambda-runtime-aws-request-id header", exit 101) and cargo-lambda does not
//!   restart it: every later invoke gets 408. Never use `--timeout`.
//! - SIGKILL of the function process mid-invocation: the pending invoke request never gets
//!   an answer (hangs until the client gives up), cargo-lambda logs
//!   `ERROR command killed code=ForceStop`, and does NOT start a new instance: later invokes
//!   hang too (in `--ignore-changes` mode; otherwise only a file change restarts it).
//! - Deadline: `/runtime/invocation/next` answers `lambda-runtime-deadline-ms: 600000` (a
//!   duration; Lambda sends epoch milliseconds), with or without `--timeout`, so
//!   `Context::deadline` is 1970-01-01T00:10:00Z: a handler that budgets its remaining time
//!   sees none (the push pipeline deferred every record).
//! - Function names are checked against the bin targets of the cargo project cargo-lambda
//!   runs in (every workspace member's): others get 404 "Missing function".
//! - The function process runs in its own session/process group (not cargo-lambda's);
//!   SIGTERM to cargo-lambda kills it, SIGKILL to cargo-lambda orphans it.
//!
//! `--only-lambda-apis` mode: cargo-lambda serves only the invoke API and the runtime API
//! and starts no function; any process with `AWS_LAMBDA_RUNTIME_API=http://<addr>/.rt/<fn>`
//! becomes the instance of `<fn>` (invokes queue until an instance polls `/next`). After a
//! SIGKILL mid-invocation the pending invoke hangs the same way, and a newly started
//! instance serves the following invokes normally (the lost invocation is not re-delivered).
//!
//! # So this harness
//! runs `cargo-lambda lambda watch --only-lambda-apis -A 127.0.0.1 -P <free port>` (one per
//! function, per stack) and starts the binary itself, like Lambda starts an execution
//! environment:
//! - through a small runtime-API proxy (`emulator/runtime_proxy.rs`) that rewrites the deadline to
//!   `now + the invoke's timeout`, so `Context::deadline` means what it means on Lambda;
//! - with exactly the given env (plus the Lambda runtime variables, PATH, HOME, TZ=UTC,
//!   RUST_BACKTRACE=1): nothing leaks from the developer's shell;
//! - from the binary `cargo build` produced, no `cargo run`: no feature-unification rebuild.
//!   [`Emulator::start`] first runs `cargo build --workspace --bin <function>` (a no-op after
//!   `scripts/test.sh`'s `cargo build --workspace --bins`: same feature resolution), so a
//!   test never runs a stale binary; `HONA_E2E_SKIP_BUILD=1` skips that;
//! - with stdout and stderr captured line by line ([`Emulator::captured_logs`], and
//!   `target/e2e-logs/<function>-<port>.log`);
//! - invokes with a client-side timeout; like Lambda, a timed-out instance is killed, and an
//!   instance that dies during an invocation fails that invocation at once
//!   ([`InvokeError::Crashed`]) instead of hanging;
//! - a dead instance (crash, [`Emulator::kill_function`], timeout) is replaced by a new one
//!   on the next invoke (a cold start, counted by [`Emulator::instance_starts`]).
//!
//! Caveat: if an invoke times out before the instance even picked it up (never seen with
//! prebuilt binaries), cargo-lambda keeps it queued and the next instance runs it late.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

use crate::process;

mod runtime_proxy;

/// The deadline an instance sees when it is invoked outside [`Emulator::invoke`]
/// (e.g. `cargo lambda invoke`): Lambda's default maximum, 15 minutes.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(900);

/// Why an invocation did not return the function's JSON result.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// No answer within the timeout; the instance was killed (as Lambda does).
    #[error("invoke timed out after {0:?}; the function instance was killed")]
    Timeout(Duration),
    /// The handler returned `Err` (HTTP 500 from the emulator).
    #[error("function error {error_type}: {error_message}")]
    Function {
        error_type: String,
        error_message: String,
    },
    /// The function process exited while the invocation was in flight.
    #[error("function process exited during the invocation: {0}")]
    Crashed(String),
    /// Any other HTTP status from the emulator.
    #[error("emulator answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// A 200 whose body is not JSON.
    #[error("function returned a non-JSON body: {0}")]
    BadResponse(String),
    #[error("invoke transport error: {0}")]
    Transport(String),
    /// The function process could not be started.
    #[error("could not start the function: {0}")]
    Start(String),
}

impl InvokeError {
    /// True for the failures that mean "the batch failed as a whole" to an event-source
    /// mapping: everything (there is no partial result without a JSON response).
    pub fn is_timeout(&self) -> bool {
        matches!(self, InvokeError::Timeout(_))
    }
}

struct Instance {
    pid: u32,
    /// [`Emulator::kill_function`] was called on it (it may not have exited yet).
    killed: bool,
    /// `Some(status)` once the process has exited.
    exited: watch::Receiver<Option<String>>,
}

impl Instance {
    fn has_exited(&self) -> bool {
        self.exited.borrow().is_some()
    }
}

/// One function under the emulator. See the module docs for the behaviour.
pub struct Emulator {
    function: String,
    binary: PathBuf,
    port: u16,
    invoke_url: String,
    runtime_api: String,
    /// The deadline (ms from `/next`) the runtime-API proxy gives the next invocation.
    timeout_ms: Arc<AtomicU64>,
    _proxy: runtime_proxy::RuntimeProxy,
    env: Vec<(String, String)>,
    watch_proc: Mutex<Option<tokio::process::Child>>,
    instance: Mutex<Option<Instance>>,
    logs: Arc<Mutex<Vec<String>>>,
    log_file: Arc<Mutex<std::fs::File>>,
    log_path: PathBuf,
    emulator_log_path: PathBuf,
    http: reqwest::Client,
    starts: AtomicU32,
}

static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Runs `cargo build --workspace --bin <function>` once per process (unless
/// `HONA_E2E_SKIP_BUILD` is set), so tests never run a stale function binary.
async fn ensure_built(function: &str) -> anyhow::Result<()> {
    if std::env::var_os("HONA_E2E_SKIP_BUILD").is_some_and(|v| !v.is_empty() && v != "0") {
        return Ok(());
    }
    if BUILT
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .contains(function)
    {
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = tokio::process::Command::new(&cargo)
        .args(["build", "--workspace", "--bin", function])
        .current_dir(crate::workspace_root())
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {cargo} build"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "cargo build --workspace --bin {function} failed ({}):\n{}",
            out.status,
            tail.join("\n")
        );
    }
    BUILT
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(function.to_string());
    Ok(())
}

impl Emulator {
    /// Builds (if needed) and serves the workspace binary `function` (=`target/debug/<function>`)
    /// with exactly `env` (plus the Lambda runtime variables), and starts its first instance.
    pub async fn start(function: &str, env: Vec<(String, String)>) -> anyhow::Result<Self> {
        ensure_built(function).await?;
        let binary = crate::target_dir().join("debug").join(function);
        Self::start_binary(function, &binary, env).await
    }

    /// Like [`Emulator::start`] for a prebuilt binary of the workspace (no build step).
    pub async fn start_binary(
        function: &str,
        binary: &Path,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        Self::start_binary_in(function, binary, &crate::workspace_root(), env).await
    }

    /// Like [`Emulator::start_binary`] for a binary of another cargo project: cargo-lambda
    /// answers 404 "Missing function" to invokes of names that are not binaries of the project
    /// it runs in, so it runs in `project_dir`.
    pub async fn start_binary_in(
        function: &str,
        binary: &Path,
        project_dir: &Path,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        if !binary.exists() {
            bail!(
                "{} does not exist: build it first (scripts/test.sh runs cargo build --workspace --bins)",
                binary.display()
            );
        }
        let cargo_lambda = crate::venv_bin().join("cargo-lambda");
        if !cargo_lambda.exists() {
            bail!(
                "{} not found: run scripts/bootstrap.sh",
                cargo_lambda.display()
            );
        }
        let mut last_err = None;
        for _ in 0..3 {
            let port = crate::free_port()?;
            match Self::start_watch(&cargo_lambda, function, project_dir, port).await {
                Ok((child, emulator_log_path)) => {
                    let log_path = crate::log_dir().join(format!("{function}-{port}.log"));
                    let log_file = std::fs::File::create(&log_path)
                        .with_context(|| format!("creating {}", log_path.display()))?;
                    let http = reqwest::Client::builder()
                        .no_proxy()
                        .pool_max_idle_per_host(0)
                        .build()?;
                    let timeout_ms = Arc::new(AtomicU64::new(DEFAULT_DEADLINE.as_millis() as u64));
                    let proxy = runtime_proxy::start(
                        format!("http://127.0.0.1:{port}"),
                        timeout_ms.clone(),
                    )
                    .await?;
                    let emulator = Emulator {
                        function: function.to_string(),
                        binary: binary.to_path_buf(),
                        port,
                        invoke_url: format!(
                            "http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations"
                        ),
                        runtime_api: format!("http://{}/.rt/{function}", proxy.addr),
                        timeout_ms,
                        _proxy: proxy,
                        env,
                        watch_proc: Mutex::new(Some(child)),
                        instance: Mutex::new(None),
                        logs: Arc::new(Mutex::new(Vec::new())),
                        log_file: Arc::new(Mutex::new(log_file)),
                        log_path,
                        emulator_log_path,
                        http,
                        starts: AtomicU32::new(0),
                    };
                    emulator
                        .ensure_instance()
                        .await
                        .map_err(anyhow::Error::msg)?;
                    return Ok(emulator);
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap())
    }

    async fn start_watch(
        cargo_lambda: &Path,
        function: &str,
        project_dir: &Path,
        port: u16,
    ) -> anyhow::Result<(tokio::process::Child, PathBuf)> {
        let log_path = crate::log_dir().join(format!("{function}-{port}.emulator.log"));
        let log = std::fs::File::create(&log_path)?;
        let mut path = std::ffi::OsString::from(crate::venv_bin());
        if let Some(p) = std::env::var_os("PATH") {
            path.push(":");
            path.push(p);
        }
        let mut cmd = tokio::process::Command::new(cargo_lambda);
        cmd.args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
            .args(["-A", "127.0.0.1", "-P", &port.to_string()])
            .current_dir(project_dir)
            .env("PATH", path)
            .env("CARGO_LAMBDA_COLOR", "never")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        process::isolate(&mut cmd);
        let mut child = cmd.spawn().context("spawning cargo-lambda")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait()? {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("cargo lambda watch exited with {status}:\n{log}");
            }
            if crate::wait_for_port(port, Duration::from_millis(200)).await {
                return Ok((child, log_path));
            }
            if tokio::time::Instant::now() >= deadline {
                process::kill_and_reap(&mut child);
                bail!("cargo lambda watch did not listen on {port} within 30 s");
            }
        }
    }

    /// Starts a new instance if there is none or the last one exited or was killed (after
    /// waiting for a killed one to be gone, so it cannot take the next invocation).
    async fn ensure_instance(&self) -> Result<watch::Receiver<Option<String>>, InvokeError> {
        let dying = {
            let slot = self.instance.lock().unwrap();
            match slot.as_ref() {
                Some(inst) if !inst.has_exited() && !inst.killed => {
                    return Ok(inst.exited.clone());
                }
                Some(inst) if !inst.has_exited() => Some(inst.exited.clone()),
                _ => None,
            }
        };
        if let Some(mut rx) = dying {
            let _ =
                tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|s| s.is_some())).await;
        }
        let mut slot = self.instance.lock().unwrap();
        if let Some(inst) = slot.as_ref().filter(|i| !i.has_exited() && !i.killed) {
            // Another invoke started one meanwhile.
            return Ok(inst.exited.clone());
        }
        let inst = self.spawn_instance()?;
        let rx = inst.exited.clone();
        *slot = Some(inst);
        Ok(rx)
    }

    fn spawn_instance(&self) -> Result<Instance, InvokeError> {
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.env_clear();
        for key in ["PATH", "HOME", "LANG"] {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("RUST_BACKTRACE", "1")
            .env("TZ", "UTC")
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.function)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_RUNTIME_API", &self.runtime_api)
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.function),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{}", self.port))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(crate::workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        process::isolate(&mut cmd);
        let mut child = cmd
            .spawn()
            .map_err(|e| InvokeError::Start(format!("{}: {e}", self.binary.display())))?;
        let pid = child.id().unwrap_or(0);
        let n = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
        self.push_line(format!(
            "[hona-e2e] instance {n} of {} started (pid {pid})",
            self.function
        ));
        if let Some(out) = child.stdout.take() {
            self.pump(out);
        }
        if let Some(err) = child.stderr.take() {
            self.pump(err);
        }
        let (tx, rx) = watch::channel(None);
        let logs = self.logs.clone();
        let file = self.log_file.clone();
        let function = self.function.clone();
        tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(s) => describe(s),
                // Already reaped by `Drop for Emulator`.
                Err(e) if e.raw_os_error() == Some(libc::ECHILD) => {
                    "killed by signal 9 (emulator dropped)".to_string()
                }
                Err(e) => format!("wait failed: {e}"),
            };
            let line = format!("[hona-e2e] instance of {function} (pid {pid}) exited: {status}");
            let _ = writeln!(file.lock().unwrap(), "{line}");
            logs.lock().unwrap().push(line);
            let _ = tx.send(Some(status));
        });
        Ok(Instance {
            pid,
            killed: false,
            exited: rx,
        })
    }

    fn pump<R: tokio::io::AsyncRead + Unpin + Send + 'static>(&self, reader: R) {
        let logs = self.logs.clone();
        let file = self.log_file.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(reader).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = writeln!(file.lock().unwrap(), "{line}");
                logs.lock().unwrap().push(line);
            }
        });
    }

    fn push_line(&self, line: String) {
        let _ = writeln!(self.log_file.lock().unwrap(), "{line}");
        self.logs.lock().unwrap().push(line);
    }

    /// Invokes the function with `payload` and returns its JSON response.
    ///
    /// Starts a new instance first if the last one died. On timeout the instance is killed.
    /// If the instance dies during the invocation, returns [`InvokeError::Crashed`] at once.
    pub async fn invoke(&self, payload: &Value, timeout: Duration) -> Result<Value, InvokeError> {
        let mut exited = self.ensure_instance().await?;
        // The deadline the function sees (its `Context::deadline`) = now + this timeout.
        self.timeout_ms
            .store(timeout.as_millis() as u64, Ordering::SeqCst);
        let request = async {
            let resp = self
                .http
                .post(&self.invoke_url)
                .json(payload)
                .send()
                .await
                .map_err(|e| InvokeError::Transport(e.to_string()))?;
            let status = resp.status().as_u16();
            let body = resp
                .text()
                .await
                .map_err(|e| InvokeError::Transport(e.to_string()))?;
            Ok::<_, InvokeError>((status, body))
        };
        let died = async {
            loop {
                if let Some(status) = exited.borrow_and_update().clone() {
                    return status;
                }
                if exited.changed().await.is_err() {
                    return "instance dropped".to_string();
                }
            }
        };
        let outcome = tokio::select! {
            r = tokio::time::timeout(timeout, request) => r,
            status = died => return Err(InvokeError::Crashed(status)),
        };
        let (status, body) = match outcome {
            Err(_elapsed) => {
                self.kill_function();
                return Err(InvokeError::Timeout(timeout));
            }
            Ok(r) => r?,
        };
        match status {
            200..=299 => {
                if body.trim().is_empty() {
                    Ok(Value::Null)
                } else {
                    serde_json::from_str(&body).map_err(|_| InvokeError::BadResponse(body))
                }
            }
            500 => match serde_json::from_str::<Value>(&body) {
                Ok(v) if v.get("errorType").is_some() || v.get("errorMessage").is_some() => {
                    Err(InvokeError::Function {
                        error_type: v["errorType"].as_str().unwrap_or_default().to_string(),
                        error_message: v["errorMessage"].as_str().unwrap_or_default().to_string(),
                    })
                }
                _ => Err(InvokeError::Http { status, body }),
            },
            _ => Err(InvokeError::Http { status, body }),
        }
    }

    /// SIGKILLs the current function instance now (e.g. mid-invocation). An invocation in
    /// flight fails with [`InvokeError::Crashed`]; the next invoke starts a new instance.
    /// Returns the killed pid, if an instance was running.
    pub fn kill_function(&self) -> Option<u32> {
        let mut slot = self.instance.lock().unwrap();
        let inst = slot.as_mut()?;
        if inst.has_exited() {
            return None;
        }
        inst.killed = true;
        process::kill_group(inst.pid);
        Some(inst.pid)
    }

    /// Waits until the current instance has exited (after [`Emulator::kill_function`]).
    pub async fn wait_instance_exit(&self, timeout: Duration) -> bool {
        let rx = self
            .instance
            .lock()
            .unwrap()
            .as_ref()
            .map(|i| i.exited.clone());
        let Some(mut rx) = rx else { return true };
        tokio::time::timeout(timeout, rx.wait_for(|s| s.is_some()))
            .await
            .is_ok()
    }

    /// The pid of the running instance, if any.
    pub fn function_pid(&self) -> Option<u32> {
        let slot = self.instance.lock().unwrap();
        slot.as_ref()
            .filter(|i| !i.has_exited() && !i.killed)
            .map(|i| i.pid)
    }

    /// How many instances have been started (1 + restarts after crashes/kills/timeouts).
    pub fn instance_starts(&self) -> u32 {
        self.starts.load(Ordering::SeqCst)
    }

    /// Every line the function's instances wrote to stdout/stderr so far, in arrival order,
    /// plus `[hona-e2e] …` lines marking instance starts and exits.
    pub fn captured_logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Lines captured after the first `from` lines (use `captured_logs().len()` as a mark).
    pub fn captured_logs_since(&self, from: usize) -> Vec<String> {
        let logs = self.logs.lock().unwrap();
        logs.get(from..).map(<[String]>::to_vec).unwrap_or_default()
    }

    /// Waits until a captured line satisfies `pred`; returns it.
    pub async fn wait_for_log(
        &self,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Option<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(l) = self.logs.lock().unwrap().iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `target/e2e-logs/<function>-<port>.log`: the same lines as [`Emulator::captured_logs`].
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The address of the runtime API the instances use (the deadline-fixing proxy in front
    /// of cargo-lambda's).
    pub fn runtime_api(&self) -> &str {
        &self.runtime_api
    }

    /// cargo-lambda's own output.
    pub fn emulator_log_path(&self) -> &Path {
        &self.emulator_log_path
    }

    pub fn function(&self) -> &str {
        &self.function
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>/2015-03-31/functions/<function>/invocations`
    pub fn invoke_url(&self) -> &str {
        &self.invoke_url
    }

    /// `http://127.0.0.1:<port>`: usable as the Lambda endpoint of an SDK client
    /// (`cargo lambda invoke --invoke-port <port> <function>` works too).
    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let running = self.instance.lock().unwrap().take();
        if let Some(inst) = running.filter(|i| !i.has_exited()) {
            {
                process::kill_group(inst.pid);
                // Reap it here: the waiter task may never run again (runtime shutting down).
                let deadline = std::time::Instant::now() + Duration::from_secs(2);
                while std::time::Instant::now() < deadline {
                    let mut st = 0;
                    // SAFETY: waitpid on our own child's pid.
                    let r =
                        unsafe { libc::waitpid(inst.pid as libc::pid_t, &mut st, libc::WNOHANG) };
                    if r != 0 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        if let Some(mut child) = self.watch_proc.lock().unwrap().take() {
            process::kill_and_reap(&mut child);
        }
    }
}
