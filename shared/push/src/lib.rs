//! Hona → MyCase: the domain.
//!
//! - [`event`]: Hona's event contract, parsed into typed events or refused with a reason.
//! - [`pipeline`]: the one pipeline every push type runs (parse → gate on Active →
//!   idempotency → push → ledger) and [`batch`]: one SQS batch, FIFO order kept.
//! - [`communications`]: the 2-Way Messages and Notifications push types.
//! - [`leads`]: Lead Conversion (captured leads become MyCase clients, never twice).
//! - [`documents`]: the Documents push type (files streamed from S3 into a case).
//! - [`ports`]: the small traits at the I/O edge; [`mycase_adapter`] puts the MyCase
//!   client behind them; the AWS adapters live in their own crate.

pub mod batch;
pub mod communications;
pub mod documents;
pub mod error;
pub mod event;
pub mod forms;
pub mod ids;
pub mod integration;
pub mod leads;
pub mod mycase_adapter;
pub mod operations;
pub mod outcome;
pub mod pipeline;
pub mod ports;

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;

pub use error::{PushError, StoreError};
pub use pipeline::{Deadline, Disposition, Pipeline, Push, PushContext, RecordResult, Stores};

#[cfg(test)]
mod pipeline_tests;
