//! `connect-mycase`: the two HTTP endpoints of connecting a firm's MyCase account.
//!
//! - `GET /connect/start?integration_id=…&org_id=…` → 302 to MyCase's authorize page,
//!   with a signed, expiring, single-use `state` naming the integration.
//! - `GET /oauth/callback?code=…&state=…` (or `error=access_denied`) → checks the state,
//!   exchanges the code, stores the tokens, records the integration and its firm.
//!
//! Answers are small HTML pages for the firm admin's browser, or JSON when the request
//! accepts `application/json` (a refusal then in the one error shape of
//! `docs/http-api.md`). The logic is `hona_operations::connect`.

use axum::Router;
use axum::extract::{FromRequestParts, Json, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hona_domain::ids::{IntegrationId, OrgId};
use hona_http_api::{ApiError, QueryParams};
use hona_operations::connect::{Callback, ConnectError, ConnectFlow, Connected};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;

/// The routes (any prefix before `/connect` or `/oauth` is tolerated).
pub fn router(flow: Arc<ConnectFlow>) -> Router {
    let routes = Router::new()
        .route("/connect/start", get(start))
        .route("/oauth/callback", get(callback))
        .with_state(flow);
    hona_http_api::api(routes, &["connect", "oauth"])
}

type Flow = State<Arc<ConnectFlow>>;

/// How the caller wants answers: a page for the firm admin's browser, JSON for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Page,
    Json,
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let json = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json"));
        Ok(if json { Format::Json } else { Format::Page })
    }
}

/// A refusal: a page with a title, or the one JSON error.
struct Refusal {
    format: Format,
    title: &'static str,
    error: ApiError,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self.format {
            Format::Json => self.error.into_response(),
            Format::Page => page(self.error.status(), self.title, self.error.message()),
        }
    }
}

impl Refusal {
    fn of(format: Format, e: &ConnectError) -> Self {
        let title = match e {
            ConnectError::Denied => "MyCase was not connected",
            ConnectError::Store(_) | ConnectError::Exchange(_) => "MyCase could not be connected",
            _ => "This link cannot be used",
        };
        Refusal {
            format,
            title,
            error: ApiError::new(e.status(), e.kind(), e.to_string()),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto\">\
         <h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    let html = [(header::CONTENT_TYPE, "text/html; charset=utf-8")];
    (status, html, page).into_response()
}

#[derive(Deserialize)]
struct StartQuery {
    integration_id: Option<String>,
    org_id: Option<String>,
}

async fn start(
    State(flow): Flow,
    format: Format,
    QueryParams(q): QueryParams<StartQuery>,
) -> Result<Response, Refusal> {
    let integration = q.integration_id.as_deref().map(IntegrationId::parse);
    let org = q.org_id.as_deref().map(OrgId::parse);
    let (Some(Ok(integration)), Some(Ok(org))) = (integration, org) else {
        return Err(Refusal {
            format,
            title: "This link cannot be used",
            error: ApiError::bad_request(
                "invalid_request",
                "The link must name the integration (integration_id) and the firm (org_id).",
            ),
        });
    };
    let url = flow
        .start(integration, org, chrono::Utc::now())
        .await
        .map_err(|e| Refusal::of(format, &e))?;
    let redirect = [
        (header::LOCATION, url),
        (header::CACHE_CONTROL, "no-store".into()),
    ];
    Ok((StatusCode::FOUND, redirect).into_response())
}

async fn callback(
    State(flow): Flow,
    format: Format,
    QueryParams(callback): QueryParams<Callback>,
) -> Result<Response, Refusal> {
    let connected = flow
        .callback(&callback, chrono::Utc::now())
        .await
        .map_err(|e| Refusal::of(format, &e))?;
    Ok(connected_answer(format, &connected))
}

fn connected_answer(format: Format, connected: &Connected) -> Response {
    let title = "MyCase is connected";
    let next = if connected.active {
        "Hona keeps pushing to MyCase with the new connection."
    } else {
        "The integration is not active yet: Hona's team activates it when the firm is ready."
    };
    let message = format!("Hona is now connected to your firm's MyCase account. {next}");
    match format {
        Format::Page => page(StatusCode::OK, title, &message),
        Format::Json => Json(json!({
            "title": title,
            "message": message,
            "integration_id": connected.integration_id,
            "firm_uuid": connected.firm_uuid,
            "reconnected": connected.reconnected,
            "active": connected.active,
        }))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http;
    use hona_operations::connect::StateSigner;
    use hona_operations::fakes::{FakeOAuth, MemoryAdmin, MemoryNonces, MemoryVault};
    use tower::ServiceExt;

    fn flow() -> (Arc<ConnectFlow>, Arc<MemoryVault>) {
        let vault = Arc::new(MemoryVault::default());
        (
            Arc::new(ConnectFlow {
                signer: StateSigner::new(b"test-key".to_vec()),
                nonces: Arc::new(MemoryNonces::default()),
                oauth: Arc::new(FakeOAuth::new("firm-1")),
                tokens: vault.clone(),
                admin: Arc::new(MemoryAdmin::default()),
            }),
            vault,
        )
    }

    /// A browser's (or, with `json`, a tool's) GET.
    fn get(path: &str, query: &[(&str, &str)], json: bool) -> http::Request<Body> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let mut req = http::Request::builder()
            .method("GET")
            .uri(format!("{path}?{query}"));
        if json {
            req = req.header("accept", "application/json");
        }
        req.body(Body::empty()).unwrap()
    }

    /// One request through the router, as `main.rs` serves it; the body read as text.
    async fn handle<B>(flow: &Arc<ConnectFlow>, req: http::Request<B>) -> http::Response<String>
    where
        B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let resp = router(flow.clone()).oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        http::Response::from_parts(parts, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn body(resp: &http::Response<String>) -> String {
        resp.body().clone()
    }

    #[tokio::test]
    async fn start_redirects_and_the_callback_connects_once() {
        let (flow, vault) = flow();
        let start = handle(
            &flow,
            get(
                "/connect/start",
                &[("integration_id", "int_a"), ("org_id", "org_a")],
                false,
            ),
        )
        .await;
        assert_eq!(start.status(), 302);
        let location = start.headers()["location"].to_str().unwrap().to_owned();
        let state = location.split_once("state=").unwrap().1;

        let cb = get("/oauth/callback", &[("code", "c1"), ("state", state)], true);
        let ok = handle(&flow, cb).await;
        assert_eq!(ok.status(), 200, "{}", body(&ok));
        let v: serde_json::Value = serde_json::from_str(&body(&ok)).unwrap();
        assert_eq!(v["firm_uuid"], "firm-1");
        assert_eq!(vault.0.lock().unwrap().len(), 1);

        let replay = handle(
            &flow,
            get("/oauth/callback", &[("code", "c1"), ("state", state)], true),
        )
        .await;
        assert_eq!(replay.status(), 400);
        assert!(body(&replay).contains("state_replayed"));
    }

    #[tokio::test]
    async fn bad_requests_get_a_clear_page() {
        let (flow, vault) = flow();
        let missing = handle(
            &flow,
            get("/connect/start", &[("integration_id", "int_a")], false),
        )
        .await;
        assert_eq!(missing.status(), 400);
        assert!(body(&missing).contains("org_id"));
        let forged = handle(
            &flow,
            get(
                "/oauth/callback",
                &[("code", "c"), ("state", "abc.def")],
                false,
            ),
        )
        .await;
        assert_eq!(forged.status(), 400);
        assert!(body(&forged).contains("not valid"), "{}", body(&forged));
        let start = handle(
            &flow,
            get(
                "/connect/start",
                &[("integration_id", "int_a"), ("org_id", "org_a")],
                false,
            ),
        )
        .await;
        let location = start.headers()["location"].to_str().unwrap().to_owned();
        let state = location.split_once("state=").unwrap().1;
        let denied = handle(
            &flow,
            get(
                "/oauth/callback",
                &[("error", "access_denied"), ("state", state)],
                true,
            ),
        )
        .await;
        assert_eq!(denied.status(), 403);
        assert!(body(&denied).contains("access_denied"));
        assert!(vault.0.lock().unwrap().is_empty(), "nothing stored");
    }

    #[tokio::test]
    async fn the_fixtures_are_requests_this_function_answers() {
        let (flow, _) = flow();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
        let read = |name: &str| -> lambda_http::Request {
            let raw = std::fs::read_to_string(dir.join(name)).unwrap();
            let event: lambda_http::request::LambdaRequest = serde_json::from_str(&raw).unwrap();
            lambda_http::Request::from(event)
        };
        let start = handle(&flow, read("connect-mycase.start.json")).await;
        assert_eq!(start.status(), 302);
        let denied = handle(&flow, read("connect-mycase.callback-denied.json")).await;
        assert_eq!(
            denied.status(),
            400,
            "an unsigned state is refused before anything else"
        );
    }
}
