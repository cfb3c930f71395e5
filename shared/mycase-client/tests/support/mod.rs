//! Shared set-up for the integration tests: a transport with quick retries, the OAuth app,
//! token plumbing per integration. The MyCase stand-in itself is a `wiremock::MockServer`
//! per test (it expresses every answer these tests need, stateful ones through `Respond`).

#![allow(dead_code)] // not every test binary uses every helper

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use http::HeaderMap;
use mycase_client::fakes::{MemoryLease, MemoryTokenStore};
use mycase_client::{
    LeaseTiming, MyCaseClient, MyCaseEndpoints, OAuthApp, RateLimiter, RetryPolicy, TokenManager,
    TokenSet, Transport,
};
use url::Url;

/// Retries quickly so tests measure behaviour, not patience.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(30),
    }
}

pub fn transport(base: &Url, retry: RetryPolicy, limiter: RateLimiter) -> Arc<Transport> {
    let endpoints = MyCaseEndpoints {
        api_url: base.clone(),
        auth_url: base.clone(),
    };
    Arc::new(
        Transport::new(endpoints, Arc::new(limiter), retry)
            .with_request_timeout(Duration::from_secs(5)),
    )
}

pub fn app() -> OAuthApp {
    OAuthApp {
        client_id: "client-1".into(),
        client_secret: "secret-1".into(),
        redirect_uri: "https://hona.test/oauth/mycase".into(),
    }
}

pub fn token_set(access: &str, refresh: &str, expires_in_secs: i64) -> TokenSet {
    TokenSet {
        access_token: access.into(),
        refresh_token: refresh.into(),
        expires_at: Utc::now() + chrono::Duration::seconds(expires_in_secs),
        firm_uuid: Some("firm-uuid-1".into()),
    }
}

/// Quick lease polling, so the concurrency tests stay short.
pub fn test_timing() -> LeaseTiming {
    LeaseTiming {
        wait: Duration::from_secs(10),
        ..LeaseTiming::default()
    }
}

/// One integration's token plumbing: a store, a lease, and a manager over them.
pub struct Integration {
    pub store: Arc<MemoryTokenStore>,
    pub lease: Arc<MemoryLease>,
}

impl Integration {
    pub fn new(initial: TokenSet) -> Self {
        Self {
            store: Arc::new(MemoryTokenStore::new(initial)),
            lease: Arc::new(MemoryLease::new()),
        }
    }

    /// A new manager over the shared store and lease: a separate "Lambda instance".
    pub fn manager(&self) -> Arc<TokenManager> {
        Arc::new(TokenManager::with_timing(
            app(),
            self.store.clone(),
            self.lease.clone(),
            test_timing(),
        ))
    }

    pub fn client(&self, transport: &Arc<Transport>) -> MyCaseClient {
        MyCaseClient::new(transport.clone(), self.manager())
    }
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

/// A shared counter.
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    /// Increments and returns the new count (1 for the first call).
    pub fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
