//! A pass-through proxy in front of cargo-lambda's Lambda runtime API that fixes the one
//! header it gets wrong: cargo-lambda 1.9.2 answers `/runtime/invocation/next` with
//! `lambda-runtime-deadline-ms: 600000` (a duration), where Lambda sends the deadline as
//! Unix epoch milliseconds. `lambda_runtime` takes it as-is, so `Context::deadline` is
//! 1970-01-01T00:10:00Z and any handler that budgets its remaining time sees none left
//! (the push pipeline then defers every record). The proxy rewrites it to
//! `now + <the invoke's timeout>`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    timeout_ms: Arc<AtomicU64>,
}

pub(crate) struct RuntimeProxy {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves on a free port of 127.0.0.1 and forwards everything to `upstream`
/// (`http://127.0.0.1:<cargo-lambda port>`). `timeout_ms` is read at each `/next`.
pub(crate) async fn start(
    upstream: String,
    timeout_ms: Arc<AtomicU64>,
) -> anyhow::Result<RuntimeProxy> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(ProxyState {
        upstream,
        // No timeout: `/next` is a long poll.
        http: reqwest::Client::builder().no_proxy().build()?,
        timeout_ms,
    });
    let app = axum::Router::new().fallback(forward).with_state(state);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(RuntimeProxy { addr, task })
}

async fn forward(State(st): State<Arc<ProxyState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let mut headers = parts.headers.clone();
    headers.remove(axum::http::header::HOST);
    let upstream = st
        .http
        .request(parts.method.clone(), format!("{}{path}", st.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match upstream {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_GATEWAY, e.to_string()),
    };
    let status = upstream.status();
    let mut headers = upstream.headers().clone();
    let bytes = match upstream.bytes().await {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_GATEWAY, e.to_string()),
    };
    headers.remove(axum::http::header::TRANSFER_ENCODING);
    headers.remove(axum::http::header::CONTENT_LENGTH);
    if path.ends_with("/runtime/invocation/next") && status.is_success() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let deadline = now_ms + st.timeout_ms.load(Ordering::SeqCst);
        if let Ok(v) = HeaderValue::from_str(&deadline.to_string()) {
            headers.insert("lambda-runtime-deadline-ms", v);
        }
    }
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

fn error(status: StatusCode, msg: String) -> Response {
    let mut resp = Response::new(Body::from(msg));
    *resp.status_mut() = status;
    resp
}
