//! Hona → MyCase: the domain, and only the domain.
//!
//! - [`event`]: Hona's event contract, parsed into typed events or refused with a reason.
//! - [`pipeline`]: the one pipeline every push type runs (parse → gate on Active →
//!   idempotency → push → ledger) and [`batch`]: one SQS batch, FIFO order kept.
//! - [`push_types`]: the five push types: [`communications`] (2-Way Messages and
//!   Notifications), [`documents`], [`forms`] (Form Field Mapping) and [`leads`].
//! - [`ports`]: the small traits at the I/O edge, implemented elsewhere.
//! - [`reason`]: every reason an event is skipped, failed or retried, one enum with its
//!   stored spelling, permanence, HTTP status and diagnosis.
//! - [`metrics`]: what the pipeline counts (names and dimensions), through the `metrics`
//!   facade; the entrypoint picks the backend.
//!
//! What this crate must not depend on: an HTTP client, the AWS SDK, or signing keys. The
//! MyCase adapter (`shared/mycase-adapter`) and the AWS adapters (`shared/aws-adapters`)
//! implement the ports; operations (connect, admin, status, replay, nightly) live in
//! `shared/operations`. From `mycase-client` it uses only the data model.

pub mod batch;
pub mod error;
pub mod event;
pub mod ids;
pub mod integration;
pub mod metrics;
pub mod outcome;
pub mod pipeline;
pub mod ports;
pub mod push_types;
pub mod reason;

pub use push_types::{communications, documents, forms, leads};

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;

pub use error::{PushError, StoreError};
pub use pipeline::{Deadline, Disposition, Pipeline, Push, PushContext, RecordResult, Stores};
pub use reason::Reason;

#[cfg(test)]
mod pipeline_tests;
