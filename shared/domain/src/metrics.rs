//! What the pipeline counts, through the `metrics` facade: the one list of the metric
//! names and dimensions the push functions emit (the dashboard and alarms in
//! `infra/template.yaml` and `hona-ops top` read these names; a template test checks the
//! dashboard names none the code does not emit).
//!
//! Which backend records them is the entrypoint's business (CloudWatch's embedded metric
//! format in `aws_adapters::lambda`), so this crate stays free of AWS. Dimensions are
//! low-cardinality only: the push type, a machine-readable reason, the function. Never an
//! org, integration, case or event id, and never personal data: a metric dimension is
//! kept (and billed) per distinct value, and it is visible to everyone with the dashboard.

use crate::outcome::PushType;
use crate::pipeline::{Disposition, RecordResult};
use crate::reason::Reason;
use chrono::{DateTime, FixedOffset, Utc};
use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};

/// Events pushed into MyCase now (not a duplicate delivery). Dimension: `push_type`.
pub const EVENTS_LANDED: &str = "events_landed";
/// Events recorded as skipped (nothing to push, or the integration inactive).
/// Dimensions: `push_type`, `reason`.
pub const EVENTS_SKIPPED: &str = "events_skipped";
/// Events that failed for good (dead-lettered). Dimension: `push_type`; the failure-rate
/// alarm sums these, which it could not do over an open set of reasons.
pub const EVENTS_FAILED: &str = "events_failed";
/// The same failures by reason, to see where they cluster. Dimensions: `push_type`, `reason`.
pub const EVENTS_FAILED_BY_REASON: &str = "events_failed_by_reason";
/// Events left on the queue to be tried again (MyCase unavailable, a store throttled).
/// Dimensions: `push_type`, `reason`.
pub const EVENTS_RETRIED: &str = "events_retried";
/// Seconds from the event's `time` (when it happened in Hona) to its landing in MyCase:
/// queue wait, retries and the push itself. Dimension: `push_type`.
pub const TIME_TO_LAND: &str = "time_to_land";
/// Bytes of documents uploaded to MyCase. Dimension: `push_type`.
pub const UPLOAD_BYTES: &str = "upload_bytes";
/// Seconds one document upload took (the PUT of its bytes). Dimension: `push_type`.
pub const UPLOAD_SECONDS: &str = "upload_seconds";
/// Execution environments started (one per cold start). Dimension: `function` (the
/// entrypoint adds it to every metric).
pub const COLD_STARTS: &str = "cold_starts";

/// Dimension names.
pub const PUSH_TYPE: &str = "push_type";
pub const REASON: &str = "reason";
pub const FUNCTION: &str = "function";

/// Every metric name this crate emits.
pub const NAMES: &[&str] = &[
    EVENTS_LANDED,
    EVENTS_SKIPPED,
    EVENTS_FAILED,
    EVENTS_FAILED_BY_REASON,
    EVENTS_RETRIED,
    TIME_TO_LAND,
    UPLOAD_BYTES,
    UPLOAD_SECONDS,
    COLD_STARTS,
];

/// The units, for the backend (CloudWatch shows them and scales the dashboard's axes).
/// Call once after installing a recorder.
pub fn describe() {
    describe_counter!(EVENTS_LANDED, Unit::Count, "events landed in MyCase");
    describe_counter!(EVENTS_SKIPPED, Unit::Count, "events skipped, by reason");
    describe_counter!(EVENTS_FAILED, Unit::Count, "events dead-lettered");
    describe_counter!(
        EVENTS_FAILED_BY_REASON,
        Unit::Count,
        "events dead-lettered, by reason"
    );
    describe_counter!(EVENTS_RETRIED, Unit::Count, "events left to retry");
    describe_histogram!(TIME_TO_LAND, Unit::Seconds, "event time to landing");
    describe_counter!(UPLOAD_BYTES, Unit::Bytes, "document bytes uploaded");
    describe_histogram!(UPLOAD_SECONDS, Unit::Seconds, "one document upload");
    describe_counter!(COLD_STARTS, Unit::Count, "execution environments started");
}

/// The `reason` dimension: the one place a reason becomes a dimension value. A named
/// reason is its stored spelling, so the set of values is the enum's, bounded; anything
/// read from outside the vocabulary ([`Reason::Other`]: an old row, a newer deployment's
/// kind) is `other`, so a stray value can never open an unbounded set of metrics or
/// expose an id.
pub fn reason_dimension(reason: &Reason) -> &'static str {
    match reason {
        Reason::Other(_) => "other",
        known => known.into(),
    }
}

/// Counts how one queue message ended. `event_time` is the event's `time`, when the body
/// could be read at all.
pub(crate) fn observe(
    push_type: PushType,
    result: &RecordResult,
    event_time: Option<DateTime<FixedOffset>>,
) {
    let push_type = push_type.as_str();
    match result {
        RecordResult::Done(Disposition::Landed) => {
            counter!(EVENTS_LANDED, PUSH_TYPE => push_type).increment(1);
            if let Some(time) = event_time {
                // An event stamped in the future (a skewed clock in Hona) lands at once.
                let waited = (Utc::now() - time.to_utc()).to_std().unwrap_or_default();
                histogram!(TIME_TO_LAND, PUSH_TYPE => push_type).record(waited.as_secs_f64());
            }
        }
        // A duplicate delivery: counted when it first landed.
        RecordResult::Done(Disposition::AlreadyLanded) => {}
        RecordResult::Done(Disposition::Skipped(reason)) => {
            counter!(EVENTS_SKIPPED, PUSH_TYPE => push_type, REASON => reason_label(reason))
                .increment(1);
        }
        RecordResult::Done(Disposition::DeadLettered(reason)) => {
            counter!(EVENTS_FAILED, PUSH_TYPE => push_type).increment(1);
            counter!(EVENTS_FAILED_BY_REASON, PUSH_TYPE => push_type, REASON => reason_label(reason))
                .increment(1);
        }
        RecordResult::Retry(reason) => {
            counter!(EVENTS_RETRIED, PUSH_TYPE => push_type, REASON => reason_label(reason))
                .increment(1);
        }
    }
}

fn reason_label(reason: &Reason) -> &'static str {
    reason_dimension(reason)
}

pub(crate) fn uploaded(push_type: PushType, bytes: u64, took: std::time::Duration) {
    counter!(UPLOAD_BYTES, PUSH_TYPE => push_type.as_str()).increment(bytes);
    histogram!(UPLOAD_SECONDS, PUSH_TYPE => push_type.as_str()).record(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_from_the_vocabulary_are_kept() {
        for kind in [
            "missing_case",
            "mycase_rejected_422",
            "integration_inactive",
            "org_mismatch",
            "invalid_json",
        ] {
            assert_eq!(reason_dimension(&Reason::parse(kind)), kind);
        }
        for reason in Reason::known() {
            assert_eq!(reason_dimension(&reason), reason.as_str());
        }
    }

    #[test]
    fn anything_else_becomes_other() {
        for kind in [
            "",
            "case 123",
            "case_1234567",
            "int_mycase_alvarez@example.com",
            "Mixed_Case",
            "a_very_long_kind_that_nobody_would_ever_write_in_code",
        ] {
            assert_eq!(reason_dimension(&Reason::parse(kind)), "other", "{kind}");
        }
    }
}
