//! Typed client for the MyCase Open API, as used by the Hona → MyCase push bundle.
//!
//! Follows `../shared/reference/mycase-api.md` (beside the repository): OAuth 2.0 with single-use rotating refresh tokens
//! (refreshed under an in-process and a cross-process lock), a client-side rate budget shared
//! by every integration of a process, retries with full-jitter back-off and `Retry-After`,
//! `Link` pagination over bare arrays, lenient decoding, and the two-step presigned document
//! upload.
//!
//! With default features off (`http`), the crate is only the data model ([`model`]): the
//! domain crate uses it that way, so it depends on no HTTP client.
//!
//! Typical wiring, once per process (the addresses and the rate come from the function's
//! configuration, read once at start; the crate reads no environment itself):
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use mycase_client::*;
//! # async fn demo(app: OAuthApp, store: Arc<dyn TokenStore>, lease: Arc<dyn RefreshLease>) -> Result<()> {
//! let transport = Arc::new(Transport::new(
//!     MyCaseEndpoints::default(),
//!     Arc::new(RateLimiter::per_second(20.0)),
//!     RetryPolicy::default(),
//! ));
//! // Then per integration:
//! let tokens = Arc::new(TokenManager::new(app, store, lease));
//! let client = MyCaseClient::new(transport, tokens);
//! let case = client.case(41349079).await?;
//! # let _ = case; Ok(()) }
//! ```
//!
//! Logging: only methods, route templates, statuses, attempts and durations are logged; never
//! bodies, URLs with queries, tokens or MyCase's error descriptions.

#[cfg(feature = "http")]
pub mod client;
#[cfg(feature = "http")]
pub mod endpoints;
#[cfg(feature = "http")]
pub mod error;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod lenient;
#[cfg(feature = "http")]
pub mod metrics;
pub mod model;
#[cfg(feature = "http")]
pub mod oauth;
#[cfg(feature = "http")]
pub mod pagination;
#[cfg(feature = "http")]
pub mod ratelimit;
#[cfg(feature = "http")]
pub mod retry;
#[cfg(feature = "http")]
pub mod tokens;
#[cfg(feature = "http")]
pub mod transport;

pub use model::*;
#[cfg(feature = "http")]
pub use {
    client::{MyCaseClient, Result},
    endpoints::{ConfigError, MyCaseEndpoints},
    error::{ErrorDetail, MyCaseError, TokenStoreError},
    oauth::{OAuthApp, TokenSet},
    ratelimit::RateLimiter,
    retry::RetryPolicy,
    tokens::{LeaseTiming, RefreshLease, TokenManager, TokenStore},
    transport::Transport,
};
