//! What the client counts about its use of the MyCase budget, through the `metrics`
//! facade (the process's recorder decides where it goes; without one, nothing is kept).
//! No labels of its own: the entrypoint adds the function, which is what shares one
//! budget. Never a route's concrete URL, a firm or an id.

use metrics::{Unit, counter, describe_counter};
use std::time::Duration;

/// API and OAuth requests sent to MyCase, every attempt (retries included).
pub const MYCASE_REQUESTS: &str = "mycase_requests";
/// Of those, the answers that were 429 (MyCase's rate limit).
pub const MYCASE_THROTTLED: &str = "mycase_throttled";
/// Requests that had to wait for a permit of the client-side budget.
pub const MYCASE_PERMITS_WAITED: &str = "mycase_permits_waited";
/// Milliseconds spent waiting for those permits, in total (divide by the permits for the
/// mean). A counter, not a histogram: a nightly sync sends hundreds of requests in one
/// invocation, more values than one embedded-metric document carries.
pub const MYCASE_PERMIT_WAIT: &str = "mycase_permit_wait";

/// Every metric name this crate emits.
pub const NAMES: &[&str] = &[
    MYCASE_REQUESTS,
    MYCASE_THROTTLED,
    MYCASE_PERMITS_WAITED,
    MYCASE_PERMIT_WAIT,
];

/// The units, for the backend. Call once after installing a recorder.
pub fn describe() {
    describe_counter!(MYCASE_REQUESTS, Unit::Count, "requests sent to MyCase");
    describe_counter!(MYCASE_THROTTLED, Unit::Count, "MyCase answers 429");
    describe_counter!(
        MYCASE_PERMITS_WAITED,
        Unit::Count,
        "requests that waited for the budget"
    );
    describe_counter!(
        MYCASE_PERMIT_WAIT,
        Unit::Milliseconds,
        "time waited for the budget"
    );
}

pub(crate) fn request_sent() {
    counter!(MYCASE_REQUESTS).increment(1);
}

pub(crate) fn answered(status: u16) {
    if status == 429 {
        counter!(MYCASE_THROTTLED).increment(1);
    }
}

pub(crate) fn permit_waited(wait: Duration) {
    counter!(MYCASE_PERMITS_WAITED).increment(1);
    counter!(MYCASE_PERMIT_WAIT).increment(wait.as_millis() as u64);
}
