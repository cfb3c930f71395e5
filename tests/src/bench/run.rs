//! Feeding a backlog through one instance's pipeline, batch after batch, and checking
//! afterwards what landed in the sandbox.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use hona_domain::batch::{BatchReport, QueueMessage, process_batch};
use hona_domain::communications::thread::THREAD_HEADER;
use hona_domain::{Deadline, Pipeline, Push};
use hona_e2e::hona::HonaEvent;

use super::sandbox::SandboxProcess;

/// User + system CPU time of this process so far (`getrusage(RUSAGE_SELF)`).
pub fn process_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

pub struct RunResult {
    pub events: usize,
    pub wall: Duration,
    /// This process (the function side).
    pub cpu: Duration,
    /// The sandbox process over the same span, when readable.
    pub sandbox_cpu: Option<Duration>,
    pub report: BatchReport,
    /// Wall time of each batch, sorted.
    pub batch_times: Vec<Duration>,
}

impl RunResult {
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }
    pub fn cpu_ms_per_event(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.events as f64
    }
    pub fn sandbox_cpu_ms_per_event(&self) -> Option<f64> {
        self.sandbox_cpu
            .map(|c| c.as_secs_f64() * 1000.0 / self.events as f64)
    }
    pub fn batch_percentile(&self, p: f64) -> Duration {
        if self.batch_times.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.batch_times.len() as f64 - 1.0) * p).round() as usize;
        self.batch_times[i.min(self.batch_times.len() - 1)]
    }
    /// Every message acknowledged as landed, none retried or dead-lettered.
    pub fn all_landed(&self) -> bool {
        self.report.landed == self.events && self.report.failed_ids.is_empty()
    }
    pub fn outcome_summary(&self) -> String {
        let r = &self.report;
        format!(
            "landed {}, already landed {}, skipped {}, dead-lettered {}, retried {}, deferred {}",
            r.landed, r.already_landed, r.skipped, r.dead_lettered, r.retried, r.deferred
        )
    }
}

/// Processes `batches` one after another, as one Lambda instance draining a backlog
/// would (each invocation gets a far-away deadline), timing the whole run.
pub async fn drain<P: Push>(
    pipeline: &Pipeline<P>,
    batches: Vec<Vec<QueueMessage>>,
    sandbox: &SandboxProcess,
) -> RunResult {
    let events = batches.iter().map(Vec::len).sum();
    let mut total = BatchReport::default();
    let mut batch_times = Vec::with_capacity(batches.len());
    let sandbox_before = sandbox.cpu_time();
    let cpu_before = process_cpu();
    let started = Instant::now();
    for batch in batches {
        let t = Instant::now();
        let deadline = Deadline::in_(Duration::from_secs(900));
        let r = process_batch(pipeline, batch, deadline).await;
        batch_times.push(t.elapsed());
        total.failed_ids.extend(r.failed_ids);
        total.landed += r.landed;
        total.already_landed += r.already_landed;
        total.skipped += r.skipped;
        total.dead_lettered += r.dead_lettered;
        total.retried += r.retried;
        total.deferred += r.deferred;
    }
    let wall = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    let sandbox_cpu = match (sandbox_before, sandbox.cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    batch_times.sort();
    RunResult {
        events,
        wall,
        cpu,
        sandbox_cpu,
        report: total,
        batch_times,
    }
}

pub struct LandedCheck {
    pub ok: bool,
    pub summary: String,
}

/// Reads the firm's state from the sandbox and checks that every event landed exactly
/// once, as a message in its own case's thread, in order, under one header per case.
/// Only counts and event ids are reported, never a message's text.
pub async fn check_landed(
    sandbox: &SandboxProcess,
    firm_uuid: &str,
    events: &[HonaEvent],
) -> anyhow::Result<LandedCheck> {
    let state = sandbox.admin().firm_state(firm_uuid).await?;
    let expected: HashMap<&str, (i64, usize)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), (e.case_id, i)))
        .collect();
    let cases: HashSet<i64> = events.iter().map(|e| e.case_id).collect();

    let mut problems: Vec<String> = Vec::new();
    let mut threads_per_case: BTreeMap<i64, usize> = BTreeMap::new();
    let mut headers = 0usize;
    let mut total_messages = 0usize;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out_of_order = 0usize;
    let mut wrong_thread = 0usize;
    let mut unknown = 0usize;
    let threads = &state.message_threads;
    for t in threads {
        // A thread on no case counts under case 0 (no real case has that id).
        let case = t.case.map_or(0, |c| c.id);
        *threads_per_case.entry(case).or_default() += 1;
        let messages = &t.messages;
        total_messages += messages.len();
        let mut last_index: Option<usize> = None;
        for (i, m) in messages.iter().enumerate() {
            let body = m.body.as_str();
            if i == 0 && body == THREAD_HEADER {
                headers += 1;
                continue;
            }
            // Each entry ends with "… · ref <event id>".
            let Some((_, id)) = body.rsplit_once("· ref ") else {
                unknown += 1;
                continue;
            };
            let id = id.trim();
            *seen.entry(id.to_owned()).or_default() += 1;
            match expected.get(id) {
                Some(&(event_case, index)) => {
                    if event_case != case {
                        wrong_thread += 1;
                    }
                    if last_index.is_some_and(|l| l > index) {
                        out_of_order += 1;
                    }
                    last_index = Some(index);
                }
                None => unknown += 1,
            }
        }
    }
    let missing = expected
        .keys()
        .filter(|id| !seen.contains_key(**id))
        .count();
    let duplicated = seen.values().filter(|n| **n > 1).count();
    let entries = total_messages - headers;
    if entries != events.len() {
        problems.push(format!("{entries} entries for {} events", events.len()));
    }
    if missing > 0 {
        problems.push(format!("{missing} events missing"));
    }
    if duplicated > 0 {
        problems.push(format!("{duplicated} events duplicated"));
    }
    if unknown > 0 {
        problems.push(format!("{unknown} unexpected messages"));
    }
    if wrong_thread > 0 {
        problems.push(format!("{wrong_thread} in another case's thread"));
    }
    if out_of_order > 0 {
        problems.push(format!("{out_of_order} out of order"));
    }
    let extra_threads: usize = threads_per_case.values().map(|n| n.saturating_sub(1)).sum();
    if threads_per_case.len() != cases.len() || extra_threads > 0 {
        problems.push(format!(
            "{} threads for {} cases",
            threads.len(),
            cases.len()
        ));
    }
    if headers != threads.len() {
        problems.push(format!("{headers} headers for {} threads", threads.len()));
    }
    let summary = if problems.is_empty() {
        format!(
            "ok: {entries} messages + {headers} thread headers in {} threads (one per case); every event once, in its case's thread, in order",
            threads.len()
        )
    } else {
        format!(
            "FAILED: {} (found {entries} messages + {headers} headers in {} threads)",
            problems.join("; "),
            threads.len()
        )
    };
    Ok(LandedCheck {
        ok: problems.is_empty(),
        summary,
    })
}
