//! What the three HTTP functions (`admin-api`, `connect-mycase`, `mapping-api`) share, so
//! they answer alike: one error shape, extractors whose rejections are clear `4xx`
//! answers in that shape, and the finishing touches every router gets ([`api`]). Each
//! function's `main.rs` serves its router with `lambda_http::run`, wrapped in
//! `aws_adapters::lambda::Flushing` so its metrics are flushed once per request.
//!
//! Every error any of them answers is (see `docs/http-api.md`):
//!
//! ```json
//! {"error": {"code": "mapping_not_found", "message": "This question has no mapping."}}
//! ```
//!
//! Bad input is always a `4xx` naming what was wrong (`invalid_path`, `invalid_query`,
//! `invalid_body`, or a route's own code), never a `5xx`: a caller must not retry it.
//!
//! Depends on axum (routing, extractors) and `lambda_http` (the server); it must not
//! depend on the domain or the AWS SDK: it knows HTTP, not what the routes do.

mod error;
mod extract;

pub use error::ApiError;
pub use extract::{IdPath, JsonBody, PathParams, QueryParams};

/// What most handlers answer: a JSON body, or the one error.
pub type JsonAnswer = Result<axum::Json<serde_json::Value>, ApiError>;

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::Response;
use tower::Layer;
use tower::util::MapRequestLayer;
use tracing::info;

/// A function's routes, finished the way every Hona HTTP API is:
/// - an unknown path answers `404 not_found`, a known path with another method
///   `405 method_not_allowed` (with `Allow`), both in the one error shape;
/// - a path prefix before the first of `roots` is ignored (`/prod/integrations/…`):
///   `lambda_http` puts an API Gateway stage name in front of the path, and a custom
///   domain's base path may add more;
/// - one log line per request: method, status and the route's template, never the path
///   itself or a body.
pub fn api(routes: Router, roots: &'static [&'static str]) -> Router {
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request));
    let without_prefix = MapRequestLayer::new(move |req| drop_prefix(req, roots));
    Router::new().fallback_service(without_prefix.layer(routes))
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "No such route.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        405,
        "method_not_allowed",
        "This path does not take this method; the Allow header lists those it takes.",
    )
}

async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let response = next.run(req).await;
    info!(
        %method,
        route = route.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        "HTTP request"
    );
    response
}

fn drop_prefix(mut req: Request, roots: &[&str]) -> Request {
    if let Some(uri) = without_prefix(req.uri(), roots) {
        *req.uri_mut() = uri;
    }
    req
}

/// `uri` starting at the first segment that is one of `roots`; `None` when it already
/// does, or when no segment is (the router then answers `404`).
fn without_prefix(uri: &Uri, roots: &[&str]) -> Option<Uri> {
    let path = uri.path();
    let mut offset = 0;
    for segment in path.split('/') {
        if roots.contains(&segment) {
            if offset <= 1 {
                return None;
            }
            let rest = &path[offset - 1..];
            let path_and_query = match uri.query() {
                Some(q) => format!("{rest}?{q}"),
                None => rest.to_owned(),
            };
            return path_and_query.parse().ok();
        }
        offset += segment.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests;
