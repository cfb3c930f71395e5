//! The middleware every `/v1` request passes through, in this order:
//!
//! 1. stats: counted on arrival, tracked as in flight until its future ends;
//! 2. injected latency, *before* anything else happens, inside the request future:
//!    if the client disconnects meanwhile, hyper drops the future and the request
//!    has no effect at all;
//! 3. bearer-token authentication (401);
//! 4. the per-client rate limit (429);
//! 5. injected failures (`fail_next`, `clients_504_small_pages`, `fail_ratio`);
//! 6. the handler, which does its work atomically under the store lock.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::{AppRef, lock};
use crate::auth;
use crate::errors::ApiError;
use crate::faults;
use crate::stats::RequestGuard;

/// `POST /v1/message_threads/{id}/messages` → `POST /v1/message_threads/:id/messages`.
fn route_label(req: &Request) -> String {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().replace('{', ":").replace('}', ""))
        .unwrap_or_else(|| "(unmatched)".to_string());
    format!("{} {}", req.method(), path)
}

pub async fn v1_gate(State(app): State<AppRef>, mut req: Request, next: Next) -> Response {
    let route = route_label(&req);
    let guard = RequestGuard::begin(&app, &route);

    let latency = lock(&app.faults).latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }

    let resp = match admit(&app, &req) {
        Ok(authed) => {
            req.extensions_mut().insert(authed);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    };
    guard.finish(resp.status().as_u16());
    tracing::debug!(route = %route, status = resp.status().as_u16(), "v1 request");
    resp
}

fn admit(app: &AppRef, req: &Request) -> Result<crate::extract::Authed, ApiError> {
    let authed = auth::authenticate(app, req.headers())?;
    let (rate, retry_after) = {
        let f = lock(&app.faults);
        (f.rate_limit_per_second, f.retry_after_header)
    };
    if !lock(&app.limiter).allow(&authed.client_id, rate, Instant::now()) {
        return Err(faults::too_many_requests(retry_after));
    }
    // Under `nest("/v1")` the URI has lost its prefix; fault rules name full paths.
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| req.uri().clone());
    let page_size = uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "page_size")
            .map(|(_, v)| v.into_owned())
    });
    let mut f = lock(&app.faults);
    if let Some(status) = f.inject(req.method(), uri.path(), page_size.as_deref()) {
        return Err(faults::failure(status, f.retry_after_header));
    }
    Ok(authed)
}

/// Unknown `/v1` paths: 404 in the API's errors shape.
pub async fn v1_not_found() -> ApiError {
    ApiError::not_found()
}
