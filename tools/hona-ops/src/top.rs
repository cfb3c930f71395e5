//! `hona-ops top`: the dashboard's picture from the functions' own output, for the local
//! stack. Every function prints its metrics as CloudWatch embedded-metric lines on stdout
//! (flushed once per invocation); in AWS, CloudWatch turns them into the dashboard's
//! metrics, locally the harness keeps them in `target/e2e-logs/<function>-<port>.log`.
//! This reads those lines (any other line is skipped) and sums them the same way: per push
//! type landed/skipped/failed/retried and time to land, per function the MyCase requests,
//! 429s, budget waits and cold starts.

use hona_domain::metrics as pipeline;
use mycase_client::metrics as mycase;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One embedded-metric line: its dimensions and each metric's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Emitted {
    /// Milliseconds since the Unix epoch (`_aws.Timestamp`).
    pub timestamp_ms: u64,
    pub dimensions: BTreeMap<String, String>,
    /// Metric name → values (one for a counter, several for a histogram).
    pub values: BTreeMap<String, Vec<f64>>,
}

/// Reads one output line; `None` for anything that is not an embedded-metric document
/// (log lines, the harness's own lines).
pub fn parse_line(line: &str) -> Option<Emitted> {
    let line = line.trim();
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return None;
    }
    let doc: Value = serde_json::from_str(line).ok()?;
    let aws = doc.get("_aws")?;
    let timestamp_ms = aws.get("Timestamp")?.as_u64()?;
    let mut dimensions = BTreeMap::new();
    let mut values = BTreeMap::new();
    for directive in aws.get("CloudWatchMetrics")?.as_array()? {
        for set in directive.get("Dimensions")?.as_array()? {
            for name in set.as_array()?.iter().filter_map(Value::as_str) {
                let value = doc.get(name)?.as_str()?;
                dimensions.insert(name.to_owned(), value.to_owned());
            }
        }
        for metric in directive.get("Metrics")?.as_array()? {
            let name = metric.get("Name")?.as_str()?;
            let numbers = match doc.get(name)? {
                Value::Array(items) => items.iter().filter_map(Value::as_f64).collect(),
                other => other.as_f64().into_iter().collect(),
            };
            values.insert(name.to_owned(), numbers);
        }
    }
    Some(Emitted {
        timestamp_ms,
        dimensions,
        values,
    })
}

/// What one push type did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PushTypeRow {
    pub landed: u64,
    pub skipped: u64,
    pub failed: u64,
    pub retried: u64,
    /// Seconds from each landed event's `time` to its landing.
    pub time_to_land: Vec<f64>,
}

/// What one function did with the MyCase budget.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FunctionRow {
    pub requests: u64,
    pub throttled: u64,
    pub permits_waited: u64,
    pub permit_wait_ms: u64,
    pub cold_starts: u64,
}

/// The sums over every line read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Top {
    pub push_types: BTreeMap<String, PushTypeRow>,
    /// (push type, reason) → events failed for good.
    pub failures: BTreeMap<(String, String), u64>,
    pub functions: BTreeMap<String, FunctionRow>,
    pub upload_bytes: u64,
    pub upload_seconds: Vec<f64>,
    /// The first and the last line's timestamp.
    pub span_ms: Option<(u64, u64)>,
    pub lines: usize,
}

impl Top {
    pub fn add(&mut self, line: &Emitted) {
        self.lines += 1;
        self.span_ms = Some(match self.span_ms {
            None => (line.timestamp_ms, line.timestamp_ms),
            Some((a, b)) => (a.min(line.timestamp_ms), b.max(line.timestamp_ms)),
        });
        let dim = |name: &str| line.dimensions.get(name).cloned().unwrap_or_default();
        for (name, values) in &line.values {
            let sum: f64 = values.iter().sum();
            let count = sum.max(0.0) as u64;
            let push_type = dim(pipeline::PUSH_TYPE);
            match name.as_str() {
                pipeline::EVENTS_LANDED => row(&mut self.push_types, &push_type).landed += count,
                pipeline::EVENTS_SKIPPED => row(&mut self.push_types, &push_type).skipped += count,
                pipeline::EVENTS_FAILED => row(&mut self.push_types, &push_type).failed += count,
                pipeline::EVENTS_RETRIED => row(&mut self.push_types, &push_type).retried += count,
                pipeline::TIME_TO_LAND => row(&mut self.push_types, &push_type)
                    .time_to_land
                    .extend(values),
                pipeline::EVENTS_FAILED_BY_REASON => {
                    *self
                        .failures
                        .entry((push_type.clone(), dim(pipeline::REASON)))
                        .or_default() += count;
                }
                pipeline::UPLOAD_BYTES => self.upload_bytes += count,
                pipeline::UPLOAD_SECONDS => self.upload_seconds.extend(values),
                _ => {
                    let function = self.functions.entry(dim(pipeline::FUNCTION)).or_default();
                    match name.as_str() {
                        pipeline::COLD_STARTS => function.cold_starts += count,
                        mycase::MYCASE_REQUESTS => function.requests += count,
                        mycase::MYCASE_THROTTLED => function.throttled += count,
                        mycase::MYCASE_PERMITS_WAITED => function.permits_waited += count,
                        mycase::MYCASE_PERMIT_WAIT => function.permit_wait_ms += count,
                        _ => {}
                    }
                }
            }
        }
    }

    /// Sums every embedded-metric line of `text`, keeping those at or after `since_ms`.
    pub fn add_output(&mut self, text: &str, since_ms: Option<u64>) {
        for line in text.lines().filter_map(parse_line) {
            if since_ms.is_none_or(|since| line.timestamp_ms >= since) {
                self.add(&line);
            }
        }
    }

    /// Reads the given files, and the function logs in the given directories (the harness's
    /// `<function>-<port>.log`, not the emulator's or moto's own logs).
    pub fn read(paths: &[PathBuf], since_ms: Option<u64>) -> std::io::Result<Self> {
        let mut top = Top::default();
        for file in function_logs(paths)? {
            // A log still being written may end mid-line or be gone already: skip it.
            if let Ok(bytes) = std::fs::read(&file) {
                top.add_output(&String::from_utf8_lossy(&bytes), since_ms);
            }
        }
        Ok(top)
    }

    /// The view, as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let span = self
            .span_ms
            .map(|(a, b)| format!("{} lines, {} → {} UTC", self.lines, clock(a), clock(b)))
            .unwrap_or_else(|| "no metrics yet".to_owned());
        let _ = writeln!(out, "Hona → MyCase, from the functions' metrics ({span})");
        self.render_push_types(&mut out);
        self.render_functions(&mut out);
        self.render_budget(&mut out);
        self.render_uploads(&mut out);
        out
    }

    /// What happened to the events, per push type, and why the failed ones failed.
    fn render_push_types(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n{:<14} {:>7} {:>8} {:>7} {:>8}   {:>21}",
            "push type", "landed", "skipped", "failed", "retried", "time to land p50 / p95"
        );
        for (push_type, row) in &self.push_types {
            let land = if row.time_to_land.is_empty() {
                "-".to_owned()
            } else {
                format!(
                    "{} / {}",
                    seconds(percentile(&row.time_to_land, 50.0)),
                    seconds(percentile(&row.time_to_land, 95.0))
                )
            };
            let _ = writeln!(
                out,
                "{:<14} {:>7} {:>8} {:>7} {:>8}   {:>22}",
                push_type, row.landed, row.skipped, row.failed, row.retried, land
            );
        }
        if !self.failures.is_empty() {
            let reasons: Vec<String> = self
                .failures
                .iter()
                .map(|((p, r), n)| format!("{p}/{r} {n}"))
                .collect();
            let _ = writeln!(out, "failed, by reason: {}", reasons.join(", "));
        }
    }

    /// Each function's use of MyCase's rate budget, and its cold starts.
    fn render_functions(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n{:<20} {:>9} {:>5} {:>16} {:>10} {:>12}",
            "function", "requests", "429s", "waited (budget)", "mean wait", "cold starts"
        );
        for (function, row) in &self.functions {
            let mean = match row.permit_wait_ms.checked_div(row.permits_waited) {
                Some(ms) => format!("{ms} ms"),
                None => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                "{:<20} {:>9} {:>5} {:>16} {:>10} {:>12}",
                function, row.requests, row.throttled, row.permits_waited, mean, row.cold_starts
            );
        }
    }

    /// The bundle's MyCase requests per second over the span, against the shared budget.
    fn render_budget(&self, out: &mut String) {
        let Some((a, b)) = self.span_ms else {
            return;
        };
        let requests: u64 = self.functions.values().map(|row| row.requests).sum();
        let secs = ((b - a) as f64 / 1000.0).max(1.0);
        let _ = writeln!(
            out,
            "MyCase budget: {requests} requests in {secs:.0} s = {:.2}/s of the bundle's {}/s",
            requests as f64 / secs,
            mycase_client::ratelimit::DEFAULT_RATE_PER_SECOND
        );
    }

    fn render_uploads(&self, out: &mut String) {
        if self.upload_seconds.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "documents uploaded: {}, {:.1} MB, {} each at p95",
            self.upload_seconds.len(),
            self.upload_bytes as f64 / 1_048_576.0,
            seconds(percentile(&self.upload_seconds, 95.0))
        );
    }
}

fn row<'a>(rows: &'a mut BTreeMap<String, PushTypeRow>, push_type: &str) -> &'a mut PushTypeRow {
    rows.entry(push_type.to_owned()).or_default()
}

/// The function logs among `paths`: files as given, and in directories the `*.log` files
/// that are neither an emulator's (`*.emulator.log`) nor moto's (`moto-*`).
pub fn function_logs(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                let file = entry?.path();
                if is_function_log(&file) {
                    files.push(file);
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    Ok(files)
}

fn is_function_log(file: &Path) -> bool {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".log") && !name.ends_with(".emulator.log") && !name.starts_with("moto-")
}

/// Nearest-rank percentile (`p` in 0–100) of unsorted values; 0 for none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

fn clock(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}
