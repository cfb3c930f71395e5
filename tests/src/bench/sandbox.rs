//! The MyCase sandbox as a separate process, so the CPU the benchmark measures in its
//! own process is the function side only; and its `/_sandbox` admin endpoints.
//!
//! The child gets its own process group and `PR_SET_PDEATHSIG`, and is stopped (SIGINT,
//! then SIGKILL to the group) and reaped on drop, so nothing outlives the benchmark.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use mycase_sandbox::client::SandboxClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout};

const READY_PREFIX: &str = "mycase-sandbox listening on ";

/// The sandbox binary: next to this executable (same cargo profile dir), else
/// `<target>/<profile>/mycase-sandbox`.
pub fn find_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        bail!("--sandbox-bin {}: no such file", p.display());
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join("mycase-sandbox"));
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "bench-release"
    };
    candidates.push(hona_e2e::target_dir().join(profile).join("mycase-sandbox"));
    for c in &candidates {
        if c.is_file() {
            return Ok(c.clone());
        }
    }
    bail!(
        "mycase-sandbox binary not found (looked at {}); build it in the same profile: \
         cargo build --profile bench-release -p mycase-sandbox --bin mycase-sandbox",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub struct SandboxProcess {
    child: Child,
    pid: u32,
    base_url: String,
    log_path: PathBuf,
    data_dir: PathBuf,
    admin: SandboxClient,
    // Kept open so a late write to stdout never fails with EPIPE.
    _stdout: ChildStdout,
}

impl SandboxProcess {
    /// Starts `bin --addr 127.0.0.1:<free port>` and waits for its "listening" line.
    /// `label` names its log file (`<target>/e2e-logs/bench-sandbox-<label>-<port>.log`).
    pub async fn start(bin: &Path, label: &str) -> anyhow::Result<Self> {
        let mut last = None;
        // A free port can be taken between probing and binding: try a few.
        for _ in 0..3 {
            match Self::start_on(bin, hona_e2e::free_port()?, label).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow!("sandbox did not start")))
    }

    async fn start_on(bin: &Path, port: u16, label: &str) -> anyhow::Result<Self> {
        let log_path = hona_e2e::log_dir().join(format!("bench-sandbox-{label}-{port}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let data_dir = std::env::temp_dir().join(format!(
            "mycase-sandbox-bench-{}-{port}",
            std::process::id()
        ));
        let mut cmd = tokio::process::Command::new(bin);
        cmd.args(["--addr", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(&data_dir)
            // MyCase's stand-in, not what is measured: keep its per-request info lines
            // ("message created") from costing CPU on the cores the function shares.
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        isolate(&mut cmd);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let pid = child
            .id()
            .ok_or_else(|| anyhow!("sandbox exited at once"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let started = Instant::now();
        let base_url = loop {
            let left = Duration::from_secs(20).saturating_sub(started.elapsed());
            match tokio::time::timeout(left, lines.next_line()).await {
                Ok(Ok(Some(line))) => {
                    if let Some(url) = line.trim().strip_prefix(READY_PREFIX) {
                        break url.trim_end_matches('/').to_string();
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) => {
                    kill_group(pid);
                    let _ = child.wait().await;
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    bail!("mycase-sandbox exited before listening:\n{log}");
                }
                Err(_) => {
                    kill_group(pid);
                    let _ = child.wait().await;
                    bail!(
                        "mycase-sandbox did not report listening within 20 s (log: {})",
                        log_path.display()
                    );
                }
            }
        };
        Ok(Self {
            admin: SandboxClient::new(base_url.clone()),
            child,
            pid,
            base_url,
            log_path,
            data_dir,
            _stdout: lines.into_inner().into_inner(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// User + system CPU time the sandbox process has used so far (`/proc/<pid>/stat`).
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // Fields after the command name (which is in parentheses and may hold spaces):
        // state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        // SAFETY: plain sysconf(3) call.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if ticks <= 0 {
            return None;
        }
        Some(Duration::from_secs_f64(
            (utime + stime) as f64 / ticks as f64,
        ))
    }

    /// The sandbox's `/_sandbox` admin endpoints (faults, firms, state, stats), typed.
    pub fn admin(&self) -> &SandboxClient {
        &self.admin
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        // SIGINT first: the sandbox shuts down gracefully on it (and removes its data dir).
        // SAFETY: plain kill(2).
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut exited = false;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) => {
                    exited = true;
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => break,
            }
        }
        if !exited {
            // Not yet reaped, so the group id is still ours.
            kill_group(self.pid);
            let _ = self.child.start_kill();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                match self.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Own process group, and SIGKILL when the spawning thread (a runtime worker, which lives
/// as long as the benchmark) goes away, so a killed benchmark leaves nothing behind.
fn isolate(cmd: &mut tokio::process::Command) {
    cmd.process_group(0);
    // SAFETY: only async-signal-safe calls (prctl, getppid, kill, getpid) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let parent = libc::getppid();
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            Ok(())
        });
    }
}

/// SIGKILLs the process group led by `pid` (see [`isolate`]).
fn kill_group(pid: u32) {
    let pid = pid as libc::pid_t;
    if pid > 0 {
        // SAFETY: plain kill(2) calls.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
