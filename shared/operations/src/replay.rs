//! Replay: put recorded events back on their push type's queue. Skipped events are
//! replayed by an operator (after activation, after setting up lead automation…);
//! failed ones are re-driven by the nightly sync within a budget. The pipeline's
//! idempotency makes each land at most once, however often it is replayed.

use crate::ports::{EventQueues, ResendEvent};
use chrono::{DateTime, Duration, Utc};
use hona_domain::Reason;
use hona_domain::outcome::{LedgerEntry, Outcome, PushType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tracing::warn;

/// Failures no replay can fix: the event itself is bad, or it belongs elsewhere.
const NEVER_REDRIVEN: &[Reason] = &[
    Reason::InvalidJson,
    Reason::UnknownType,
    Reason::UnsupportedType,
    Reason::MissingField,
    Reason::InvalidField,
    Reason::OrgMismatch,
    Reason::TooLarge,
    Reason::ChecksumMismatch,
    Reason::BucketNotAllowed,
    Reason::InvalidLead,
];

/// A failed row younger than this may still be on its queue being retried by SQS:
/// re-driving it would only add a duplicate delivery.
pub const REDRIVE_MIN_AGE: Duration = Duration::hours(1);
/// Older failures are left to an operator (the event may no longer be wanted).
pub const REDRIVE_MAX_AGE: Duration = Duration::days(14);

/// The skipped events that can be replayed (the event was kept), oldest first.
pub fn skipped(entries: &[LedgerEntry], push_type: Option<PushType>) -> Vec<&LedgerEntry> {
    let mut rows: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Skipped { .. }))
        .filter(|e| e.event_json.is_some())
        .filter(|e| push_type.is_none_or(|p| e.push_type == p))
        .collect();
    rows.sort_by_key(|e| (e.recorded_at, e.event_id.clone()));
    rows
}

/// The failed events the nightly sync re-drives: not bad input, neither too fresh nor
/// too old, oldest first, at most `budget`.
pub fn redrivable(entries: &[LedgerEntry], now: DateTime<Utc>, budget: usize) -> Vec<&LedgerEntry> {
    let mut rows: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| match &e.outcome {
            Outcome::Failed(failure) => !NEVER_REDRIVEN.contains(&failure.reason),
            _ => false,
        })
        .filter(|e| e.event_json.is_some())
        .filter(|e| {
            let age = now - e.recorded_at;
            age >= REDRIVE_MIN_AGE && age <= REDRIVE_MAX_AGE
        })
        .collect();
    rows.sort_by_key(|e| (e.recorded_at, e.event_id.clone()));
    rows.truncate(budget);
    rows
}

/// What a replay sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// Push type → events put back on its queue.
    pub sent: BTreeMap<String, usize>,
    /// Events that could not be sent (queue unavailable); they stay replayable.
    pub not_sent: usize,
}

impl ReplayReport {
    pub fn total_sent(&self) -> usize {
        self.sent.values().sum()
    }

    /// Adds a later chunk's report to this one.
    pub fn merge(&mut self, other: ReplayReport) {
        for (push_type, n) in other.sent {
            *self.sent.entry(push_type).or_default() += n;
        }
        self.not_sent += other.not_sent;
    }
}

/// The FIFO group Hona sends with: one per case, so a case's events stay in order.
pub fn group_of(entry: &LedgerEntry) -> String {
    match entry.case_id {
        Some(case) => format!("{}#{}", entry.integration_id, case),
        None => entry.integration_id.to_string(),
    }
}

/// Re-sends each row's event; `progress` is told after each (the CLI's progress bar).
pub async fn resend(
    rows: &[&LedgerEntry],
    queues: &dyn EventQueues,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> ReplayReport {
    let mut report = ReplayReport::default();
    for (i, row) in rows.iter().enumerate() {
        let Some(body) = row.event_json.as_deref() else {
            continue;
        };
        let event = ResendEvent {
            push_type: row.push_type,
            integration_id: &row.integration_id,
            event_id: row.event_id.as_str(),
            group: group_of(row),
            body,
        };
        match queues.resend(&event).await {
            Ok(()) => {
                *report
                    .sent
                    .entry(row.push_type.as_str().to_owned())
                    .or_default() += 1
            }
            Err(e) => {
                warn!(event_id = %row.event_id, error = %e, "could not re-send the event");
                report.not_sent += 1;
            }
        }
        progress(i + 1);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::MemoryQueues;
    use hona_domain::PushError;
    use hona_domain::ids::{CaseId, EventId, IntegrationId};
    use hona_domain::outcome::Landed;

    fn row(id: &str, outcome: Outcome, age_hours: i64, with_event: bool) -> LedgerEntry {
        LedgerEntry {
            integration_id: IntegrationId::parse("int_a").unwrap(),
            event_id: EventId::parse(id).unwrap(),
            event_type: "message.logged".into(),
            push_type: PushType::Messages,
            case_id: Some(CaseId::new(41).unwrap()),
            event_time: String::new(),
            recorded_at: Utc::now() - Duration::hours(age_hours),
            outcome,
            event_json: with_event.then(|| format!("{{\"id\":\"{id}\"}}")),
        }
    }

    fn failed(kind: Reason) -> Outcome {
        Outcome::Failed(PushError {
            reason: kind,
            detail: "r".into(),
            permanent: true,
        })
    }

    fn skipped_inactive() -> Outcome {
        Outcome::Skipped {
            reason: Reason::IntegrationInactive,
        }
    }

    #[test]
    fn redrive_takes_only_fixable_failures_of_the_right_age_within_budget() {
        let rows = vec![
            row("evt_old_enough", failed(Reason::MyCaseUnavailable), 3, true),
            row("evt_older", failed(Reason::CaseNotFound), 5, true),
            row("evt_too_fresh", failed(Reason::MyCaseUnavailable), 0, true),
            row(
                "evt_too_old",
                failed(Reason::MyCaseUnavailable),
                24 * 20,
                true,
            ),
            row("evt_bad_input", failed(Reason::MissingField), 3, true),
            row("evt_no_body", failed(Reason::MyCaseUnavailable), 3, false),
            row(
                "evt_landed",
                Outcome::Landed(Landed {
                    refs: vec![],
                    remarks: vec![],
                }),
                3,
                false,
            ),
            row("evt_skipped", skipped_inactive(), 3, true),
        ];
        let picked: Vec<&str> = redrivable(&rows, Utc::now(), 10)
            .iter()
            .map(|e| e.event_id.as_str())
            .collect();
        assert_eq!(picked, vec!["evt_older", "evt_old_enough"]);
        assert_eq!(redrivable(&rows, Utc::now(), 1).len(), 1);
    }

    #[tokio::test]
    async fn replay_sends_each_skipped_event_with_its_case_group() {
        let rows = vec![
            row("evt_s1", skipped_inactive(), 2, true),
            row("evt_s2", skipped_inactive(), 1, true),
            row("evt_f", failed(Reason::MyCaseUnavailable), 2, true),
        ];
        let picked = skipped(&rows, None);
        assert_eq!(picked.len(), 2);
        assert!(skipped(&rows, Some(PushType::Leads)).is_empty());
        let queues = MemoryQueues::default();
        let seen = std::sync::atomic::AtomicUsize::new(0);
        let report = resend(&picked, &queues, &|n| {
            seen.store(n, std::sync::atomic::Ordering::SeqCst)
        })
        .await;
        assert_eq!(report.total_sent(), 2);
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 2);
        let sent = queues.sent();
        assert_eq!(
            sent.iter().map(|s| s.event_id.as_str()).collect::<Vec<_>>(),
            vec!["evt_s1", "evt_s2"],
            "oldest first"
        );
        assert!(
            sent.iter()
                .all(|s| s.group == "int_a#41" && s.push_type == PushType::Messages)
        );
    }
}
