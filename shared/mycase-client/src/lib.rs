//! Typed client for the MyCase Open API, as used by the Hona → MyCase push bundle.
//!
//! Follows `shared/reference/mycase-api.md`: OAuth 2.0 with single-use rotating refresh tokens
//! (refreshed under an in-process and a cross-process lock), a client-side rate budget shared
//! by every integration of a process, retries with full-jitter back-off and `Retry-After`,
//! `Link` pagination over bare arrays, lenient decoding, and the two-step presigned document
//! upload.
//!
//! Typical wiring, once per process:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use mycase_client::*;
//! # async fn demo(app: OAuthApp, store: Arc<dyn TokenStore>, lease: Arc<dyn RefreshLease>) -> Result<()> {
//! let transport = Arc::new(Transport::new(
//!     MyCaseEndpoints::from_env().expect("MyCase endpoints"),
//!     Arc::new(RateLimiter::from_env()),
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

pub mod client;
pub mod endpoints;
pub mod error;
#[cfg(feature = "fakes")]
pub mod fakes;
pub mod lenient;
pub mod model;
pub mod oauth;
pub mod pagination;
pub mod ratelimit;
pub mod retry;
pub mod tokens;
pub mod transport;

pub use client::{MyCaseClient, Result};
pub use endpoints::{ConfigError, MyCaseEndpoints};
pub use error::{ErrorDetail, MyCaseError, TokenStoreError};
pub use model::*;
pub use oauth::{OAuthApp, TokenSet};
pub use ratelimit::RateLimiter;
pub use retry::RetryPolicy;
pub use tokens::{LeaseTiming, RefreshLease, TokenManager, TokenStore};
pub use transport::Transport;
