//! How a push can fail, split the one way that matters to the pipeline: will trying
//! again help (transient) or not (permanent, dead-lettered with its reason).

use std::fmt;

/// A push that did not land. `kind` is machine-readable and stable (the ledger, the
/// dead letter and the status page key on it); `reason` is a plain sentence for an
/// operator. Neither may hold personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PushError {
    pub kind: String,
    pub reason: String,
    pub permanent: bool,
}

impl PushError {
    pub fn permanent(kind: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            reason: reason.into(),
            permanent: true,
        }
    }
    pub fn transient(kind: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            reason: reason.into(),
            permanent: false,
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
        write!(f, "{class} {}: {}", self.kind, self.reason)
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

impl From<StoreError> for PushError {
    fn from(e: StoreError) -> Self {
        PushError::transient(format!("{}_unavailable", e.store), e.to_string())
    }
}
