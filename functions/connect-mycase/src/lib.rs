//! `connect-mycase`: the two HTTP endpoints of connecting a firm's MyCase account.
//!
//! - `GET /connect/start?integration_id=…&org_id=…` → 302 to MyCase's authorize page,
//!   with a signed, expiring, single-use `state` naming the integration.
//! - `GET /oauth/callback?code=…&state=…` (or `error=access_denied`) → checks the state,
//!   exchanges the code, stores the tokens, records the integration and its firm.
//!
//! Answers are small HTML pages for the firm admin's browser, or JSON when the request
//! accepts `application/json`. The logic is `hona_operations::connect`.

use hona_domain::ids::{IntegrationId, OrgId};
use hona_operations::connect::{Callback, ConnectError, ConnectFlow};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

fn wants_json(req: &Request) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An answer, as a page or as JSON.
fn answer(
    req: &Request,
    status: u16,
    title: &str,
    message: &str,
    extra: serde_json::Value,
) -> Response<Body> {
    let builder = Response::builder().status(status);
    if wants_json(req) {
        let mut body = json!({ "title": title, "message": message });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("a valid response")
    } else {
        let page = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto\">\
             <h1>{t}</h1><p>{m}</p></body></html>",
            t = escape(title),
            m = escape(message)
        );
        builder
            .header("content-type", "text/html; charset=utf-8")
            .body(Body::from(page))
            .expect("a valid response")
    }
}

fn refused(req: &Request, e: &ConnectError) -> Response<Body> {
    let title = match e {
        ConnectError::Denied => "MyCase was not connected",
        ConnectError::Store(_) | ConnectError::Exchange(_) => "MyCase could not be connected",
        _ => "This link cannot be used",
    };
    answer(
        req,
        e.status(),
        title,
        &e.to_string(),
        json!({ "error": e.kind() }),
    )
}

/// Routes one request. Never panics; every refusal names its reason.
pub async fn handle(flow: &ConnectFlow, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    if req.method() != "GET" {
        return answer(
            &req,
            405,
            "Method not allowed",
            "Use GET.",
            json!({"error": "method_not_allowed"}),
        );
    }
    let query = req.query_string_parameters();
    let now = chrono::Utc::now();
    if path.ends_with("/connect/start") {
        let integration = query.first("integration_id").map(IntegrationId::parse);
        let org = query.first("org_id").map(OrgId::parse);
        let (Some(Ok(integration)), Some(Ok(org))) = (integration, org) else {
            return answer(
                &req,
                400,
                "This link cannot be used",
                "The link must name the integration (integration_id) and the firm (org_id).",
                json!({"error": "invalid_request"}),
            );
        };
        return match flow.start(integration, org, now).await {
            Ok(url) => Response::builder()
                .status(302)
                .header("location", url)
                .header("cache-control", "no-store")
                .body(Body::Empty)
                .expect("a valid response"),
            Err(e) => refused(&req, &e),
        };
    }
    if path.ends_with("/oauth/callback") {
        let callback = Callback {
            code: query.first("code").map(str::to_owned),
            state: query.first("state").map(str::to_owned),
            error: query.first("error").map(str::to_owned),
        };
        return match flow.callback(&callback, now).await {
            Ok(connected) => {
                let next = if connected.active {
                    "Hona keeps pushing to MyCase with the new connection."
                } else {
                    "The integration is not active yet: Hona's team activates it when the firm is ready."
                };
                answer(
                    &req,
                    200,
                    "MyCase is connected",
                    &format!("Hona is now connected to your firm's MyCase account. {next}"),
                    json!({
                        "integration_id": connected.integration_id,
                        "firm_uuid": connected.firm_uuid,
                        "reconnected": connected.reconnected,
                        "active": connected.active,
                    }),
                )
            }
            Err(e) => refused(&req, &e),
        };
    }
    answer(
        &req,
        404,
        "Not found",
        "There is nothing here.",
        json!({"error": "not_found"}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hona_operations::connect::StateSigner;
    use hona_operations::fakes::{FakeOAuth, MemoryAdmin, MemoryNonces, MemoryVault};
    use std::collections::HashMap;
    use std::sync::Arc;

    fn flow() -> (ConnectFlow, Arc<MemoryVault>) {
        let vault = Arc::new(MemoryVault::default());
        (
            ConnectFlow {
                signer: StateSigner::new(b"test-key".to_vec()),
                nonces: Arc::new(MemoryNonces::default()),
                oauth: Arc::new(FakeOAuth::new("firm-1")),
                tokens: vault.clone(),
                admin: Arc::new(MemoryAdmin::default()),
            },
            vault,
        )
    }

    fn get(path: &str, query: &[(&str, &str)], json: bool) -> Request {
        let mut req = lambda_http::http::Request::builder()
            .method("GET")
            .uri(path);
        if json {
            req = req.header("accept", "application/json");
        }
        let params: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        req.body(Body::Empty)
            .unwrap()
            .with_query_string_parameters(params)
    }

    fn body(resp: &Response<Body>) -> String {
        String::from_utf8_lossy(resp.body().as_ref()).into_owned()
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
        let read = |name: &str| -> Request {
            let raw = std::fs::read_to_string(dir.join(name)).unwrap();
            let event: lambda_http::request::LambdaRequest = serde_json::from_str(&raw).unwrap();
            Request::from(event)
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
