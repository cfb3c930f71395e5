//! Running integrations, as opposed to pushing events: connecting a firm's MyCase
//! account, activation and settings, replaying what was skipped, the nightly sync, and
//! the status an operator reads ("what is syncing, and why not?").
//!
//! The admin API, the nightly-sync function and the `hona-ops` CLI all call this code,
//! so the answers they give are the same.
//!
//! Depends on the domain (its types and ports) and declares ports of its own
//! ([`ports`]: the integration admin, the OAuth app, health checks, queues); it must
//! not depend on the AWS SDK or make HTTP calls itself (the adapters do).

pub mod connect;
pub mod diagnosis;
pub mod nightly;
pub mod paging;
pub mod ports;
pub mod replay;
pub mod service;
pub mod settings;
pub mod status;

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
