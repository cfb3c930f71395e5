//! How a push can fail, split the one way that matters to the pipeline: will trying
//! again help (transient) or not (permanent, dead-lettered with its reason).

use crate::reason::Reason;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A push that did not land. `reason` is machine-readable and stable (the ledger, the
/// dead letter and the status page key on it); `detail` is a plain sentence for an
/// operator. Neither may hold personal data.
///
/// The same value is what a push returns, what the ledger records as
/// [`Outcome::Failed`](crate::outcome::Outcome::Failed) and what the dead letter carries.
/// Its serde names are the ledger's (`kind`, `reason`), so stored rows read as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct PushError {
    #[serde(rename = "kind")]
    pub reason: Reason,
    #[serde(rename = "reason")]
    pub detail: String,
    /// Permanent failures go to the dead-letter queue; others are retried.
    pub permanent: bool,
}

impl PushError {
    pub fn permanent(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
            permanent: true,
        }
    }
    pub fn transient(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
            permanent: false,
        }
    }

    /// The HTTP status an API answers this failure with: the reason's
    /// ([`Reason::http_status`]), except that a transient failure is always 503.
    pub fn http_status(&self) -> u16 {
        if self.permanent {
            self.reason.http_status()
        } else {
            503
        }
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = if self.permanent {
            "permanent"
        } else {
            "transient"
        };
        write!(f, "{class} {}: {}", self.reason, self.detail)
    }
}

/// A store (DynamoDB, Secrets Manager, SQS) did not answer as it should. Always
/// worth another try: the event is retried, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{store} {operation} failed: {cause}")]
pub struct StoreError {
    pub store: &'static str,
    pub operation: &'static str,
    pub cause: String,
}

impl StoreError {
    pub fn new(store: &'static str, operation: &'static str, cause: impl Into<String>) -> Self {
        Self {
            store,
            operation,
            cause: cause.into(),
        }
    }
}

impl StoreError {
    /// The reason a failure of this store is recorded with: `{store}_unavailable`.
    pub fn reason(&self) -> Reason {
        Reason::unavailable(self.store)
    }
}

impl From<StoreError> for PushError {
    fn from(e: StoreError) -> Self {
        PushError::transient(e.reason(), e.to_string())
    }
}

/// Retries a store write that must not be lost (an idempotency completion, an upload
/// record): four tries, 100, 200 and 300 ms apart, each failure logged with its
/// attempt. A store that is briefly throttled then costs a few hundred milliseconds
/// instead of a duplicate in MyCase. Returns the last error when every try failed.
pub async fn retry_store_write<F, Fut>(what: &'static str, mut write: F) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), StoreError>>,
{
    const ATTEMPTS: u32 = 4;
    let mut attempt = 1;
    loop {
        match write().await {
            Ok(()) => return Ok(()),
            Err(e) if attempt == ATTEMPTS => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, attempt, "could not {what}; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_store_write_is_tried_four_times_then_gives_its_last_error() {
        let calls = AtomicU32::new(0);
        let result = retry_store_write("write", || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Err(StoreError::new("ledger", "put", format!("try {n}"))) }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(result.unwrap_err().cause, "try 4");
    }

    #[tokio::test(start_paused = true)]
    async fn a_store_write_stops_at_its_first_success() {
        let calls = AtomicU32::new(0);
        let result = retry_store_write("write", || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n < 2 {
                    Err(StoreError::new("ledger", "put", "throttled"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
