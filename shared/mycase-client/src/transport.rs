//! The HTTP layer shared by every integration in a process: one connection pool, one rate
//! budget, one retry policy.
//!
//! `Transport::execute` is the single place where requests are sent with limiter, timeout,
//! retries and logging. It knows nothing about tokens: the 401 → refresh → retry dance lives
//! in [`crate::client`], OAuth error bodies in [`crate::oauth`].

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use tokio::time::Instant;
use url::Url;

use crate::endpoints::MyCaseEndpoints;
use crate::error::MyCaseError;
use crate::ratelimit::RateLimiter;
use crate::retry::{RetryPolicy, is_retryable_status, parse_retry_after};

pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// MyCase's documented maximum `page_size` (reference §3.1).
pub const MAX_PAGE_SIZE: u32 = 1000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP client + endpoints + rate limiter + retry policy. Create one per process; it is cheap
/// to clone (everything inside is shared).
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    endpoints: MyCaseEndpoints,
    limiter: Arc<RateLimiter>,
    retry: RetryPolicy,
    request_timeout: Duration,
    page_size: u32,
}

impl Transport {
    /// Panics only if the TLS backend cannot initialise, which is a broken build, not a
    /// runtime condition; use [`Transport::try_new`] to handle it anyway.
    pub fn new(endpoints: MyCaseEndpoints, limiter: Arc<RateLimiter>, retry: RetryPolicy) -> Self {
        Self::try_new(endpoints, limiter, retry).expect("building the MyCase HTTP client")
    }

    pub fn try_new(
        endpoints: MyCaseEndpoints,
        limiter: Arc<RateLimiter>,
        retry: RetryPolicy,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            // Never follow redirects: `/documents/{id}/data` answers 302 to a presigned S3
            // URL, which must not receive our bearer token (reference §12.10).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("hona-mycase-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            endpoints,
            limiter,
            retry,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// Per-attempt timeout for API and OAuth calls (default 30 s). Uploads are bounded by
    /// the caller's deadline instead, since a large file legitimately takes longer.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// `page_size` sent by list helpers (default 100, clamped to MyCase's 1..=1000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn endpoints(&self) -> &MyCaseEndpoints {
        &self.endpoints
    }

    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Sends `req`, retrying transient failures (429/5xx listed in [`is_retryable_status`],
    /// timeouts, connection errors) up to `max_attempts`, each attempt after a limiter permit.
    ///
    /// Returns the response for every non-retryable status, 4xx included: the caller decides
    /// what a 401 or 422 means. Never sleeps past `deadline`.
    pub(crate) async fn execute(
        &self,
        req: &ApiRequest<'_>,
        deadline: Option<Instant>,
        max_attempts: u32,
    ) -> Result<RawResponse, MyCaseError> {
        let max_attempts = max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            acquire_before(&self.limiter, deadline).await?;
            let timeout = timeout_before(deadline, self.request_timeout)?;
            let failed = match self.attempt(req, timeout, attempt).await? {
                Attempt::Answered(resp) => return Ok(resp),
                Attempt::Failed(failed) => failed,
            };
            self.wait_to_retry(req, deadline, (attempt, max_attempts), failed)
                .await?;
        }
    }

    /// One try: MyCase's answer unless it is one worth retrying (see [`is_retryable_status`]).
    async fn attempt(
        &self,
        req: &ApiRequest<'_>,
        timeout: Duration,
        attempt: u32,
    ) -> Result<Attempt, MyCaseError> {
        let started = Instant::now();
        crate::metrics::request_sent();
        let outcome = self.send_once(req, timeout).await;
        if let Ok(resp) = &outcome {
            crate::metrics::answered(resp.status);
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let failed = match outcome {
            Ok(resp) if !is_retryable_status(resp.status) => {
                tracing::debug!(
                    method = %req.method, route = req.route, status = resp.status,
                    attempt, elapsed_ms, "MyCase request done"
                );
                return Ok(Attempt::Answered(resp));
            }
            Ok(resp) => FailedAttempt {
                status: Some(resp.status),
                retry_after: resp
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now())),
                cause: format!("HTTP {}", resp.status),
                elapsed_ms,
            },
            Err(e) if e.is_timeout() && timeout < self.request_timeout => {
                // The attempt was cut short by the caller's deadline, not by MyCase.
                tracing::warn!(
                    method = %req.method, route = req.route, attempt, elapsed_ms,
                    "MyCase request stopped at the deadline"
                );
                return Err(MyCaseError::DeadlineReached);
            }
            Err(e) => FailedAttempt {
                status: None,
                retry_after: None,
                cause: describe_reqwest_error(e),
                elapsed_ms,
            },
        };
        Ok(Attempt::Failed(failed))
    }

    /// Sleeps until the next attempt, or says why there is none: the attempts are used
    /// up, or the wait would end past the caller's deadline.
    async fn wait_to_retry(
        &self,
        req: &ApiRequest<'_>,
        deadline: Option<Instant>,
        (attempt, max_attempts): (u32, u32),
        failed: FailedAttempt,
    ) -> Result<(), MyCaseError> {
        let FailedAttempt {
            status,
            retry_after,
            cause,
            elapsed_ms,
        } = failed;
        if attempt >= max_attempts {
            tracing::warn!(
                method = %req.method, route = req.route, status, attempt, elapsed_ms,
                cause = %cause, "MyCase request failed; retries exhausted"
            );
            return Err(MyCaseError::Unavailable {
                status,
                attempts: attempt,
                cause,
            });
        }
        let delay = self.retry.delay(attempt, retry_after);
        if deadline.is_some_and(|d| Instant::now() + delay > d) {
            tracing::warn!(
                method = %req.method, route = req.route, status, attempt, elapsed_ms,
                delay_ms = delay.as_millis() as u64,
                "MyCase request failed; no time left before the deadline for a retry"
            );
            return Err(MyCaseError::DeadlineReached);
        }
        tracing::warn!(
            method = %req.method, route = req.route, status, attempt, elapsed_ms,
            delay_ms = delay.as_millis() as u64,
            retry_after = retry_after.is_some(), cause = %cause,
            "MyCase request failed; retrying"
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }

    async fn send_once(
        &self,
        req: &ApiRequest<'_>,
        timeout: Duration,
    ) -> Result<RawResponse, reqwest::Error> {
        let mut builder = self
            .http
            .request(req.method.clone(), req.url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        if let Some(token) = req.bearer {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = req.json_body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let resp = builder.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// What one attempt came to.
enum Attempt {
    /// MyCase answered with a status not worth retrying (4xx included).
    Answered(RawResponse),
    /// A retryable status, a timeout or a connection error.
    Failed(FailedAttempt),
}

struct FailedAttempt {
    status: Option<u16>,
    /// MyCase's `Retry-After`, when it sent one.
    retry_after: Option<Duration>,
    cause: String,
    elapsed_ms: u64,
}

/// The timeout for a call: `cap`, cut short by the caller's deadline; none at all once
/// the deadline has passed.
pub(crate) fn timeout_before(
    deadline: Option<Instant>,
    cap: Duration,
) -> Result<Duration, MyCaseError> {
    let Some(deadline) = deadline else {
        return Ok(cap);
    };
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(MyCaseError::DeadlineReached);
    }
    Ok(left.min(cap))
}

/// Waits for a rate-limit permit, but not past the deadline.
pub(crate) async fn acquire_before(
    limiter: &RateLimiter,
    deadline: Option<Instant>,
) -> Result<(), MyCaseError> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, limiter.acquire())
            .await
            .map_err(|_| MyCaseError::DeadlineReached),
        None => {
            limiter.acquire().await;
            Ok(())
        }
    }
}

/// A safe-to-log description of a transport failure. reqwest's own `Display` includes the URL,
/// whose query can carry a client's email or phone (`filter[email]=…`), so the URL is dropped.
pub(crate) fn describe_reqwest_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else if e.is_body() {
        "body error"
    } else if e.is_request() {
        "request error"
    } else {
        "http error"
    };
    let e = e.without_url();
    let mut out = kind.to_owned();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// One API call, as [`Transport::execute`] sends it on every attempt.
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    pub url: Url,
    /// Route template for logs, e.g. `/v1/cases/{id}/notes`: never the concrete URL, whose
    /// query may hold personal data.
    pub route: &'static str,
    pub bearer: Option<&'a str>,
    pub json_body: Option<&'a [u8]>,
}

/// A fully read response.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}
