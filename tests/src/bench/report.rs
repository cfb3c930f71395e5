//! Where the report goes, and where the function's own log lines go.
//!
//! A Lambda instance writes one JSON log line per event (and per batch) to stdout; that
//! formatting and writing is part of what an event costs. So by default the benchmark
//! installs the functions' own subscriber (`aws_adapters::lambda::init_tracing`, which
//! writes to stdout) with stdout pointed at a log file, and writes its report to a
//! duplicate of the original stdout. The log lines hold ids, kinds, counts and durations
//! only, never message content.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use anyhow::Context;

static REPORT: OnceLock<Mutex<File>> = OnceLock::new();

/// Writes one line of the report (to the original stdout).
macro_rules! say {
    () => {
        $crate::report::line("")
    };
    ($($arg:tt)*) => {
        $crate::report::line(&format!($($arg)*))
    };
}
pub(crate) use say;

pub fn line(text: &str) {
    match REPORT.get() {
        Some(out) => {
            let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(out, "{text}");
        }
        None => println!("{text}"),
    }
}

/// Sets the report up on a duplicate of stdout. With `function_logs`, points stdout at
/// `<target>/e2e-logs/bench-function-<pid>.log` and installs the functions' subscriber;
/// returns that path.
pub fn init(function_logs: bool) -> anyhow::Result<Option<PathBuf>> {
    std::io::stdout().flush()?;
    // SAFETY: dup(2) of our own stdout; the new descriptor is owned by the File.
    let copy = unsafe { libc::dup(libc::STDOUT_FILENO) };
    if copy < 0 {
        return Err(std::io::Error::last_os_error()).context("dup(stdout)");
    }
    // SAFETY: `copy` is a fresh descriptor nobody else owns.
    let report = unsafe { File::from_raw_fd(copy) };
    let _ = REPORT.set(Mutex::new(report));
    if !function_logs {
        return Ok(None);
    }
    let path = hona_e2e::log_dir().join(format!("bench-function-{}.log", std::process::id()));
    let log = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    use std::os::fd::AsRawFd;
    // SAFETY: dup2(2) onto stdout; `log` stays open until then and stdout keeps its copy.
    if unsafe { libc::dup2(log.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        return Err(std::io::Error::last_os_error()).context("dup2(log, stdout)");
    }
    aws_adapters::lambda::init_tracing();
    Ok(Some(path))
}
