//! The shared finishing and extractors, over a small router.

use super::*;
use axum::body::Body;
use axum::http::{Request as HttpRequest, StatusCode};
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Deserialize)]
struct Item {
    id: u32,
}

#[derive(Deserialize)]
struct Filter {
    limit: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body1 {
    name: String,
}

fn router() -> Router {
    let routes = Router::new()
        .route(
            "/things/{id}",
            get(
                |PathParams(item): PathParams<Item>, QueryParams(f): QueryParams<Filter>| async move {
                    axum::Json(json!({"id": item.id, "limit": f.limit}))
                },
            ),
        )
        .route(
            "/things/{id}/name",
            put(|JsonBody(b): JsonBody<Body1>| async move { b.name }),
        )
        .route(
            "/things/{id}/maybe",
            put(|JsonBody(b): JsonBody<Option<Body1>>| async move {
                b.map_or("none".to_owned(), |b| b.name)
            }),
        )
        .route(
            "/conflict",
            get(|| async { Err::<(), _>(ApiError::conflict("busy", "Later.")) }),
        );
    api(routes, &["things", "conflict"])
}

async fn call(method: &str, uri: &str, body: &str) -> (StatusCode, Value, String) {
    let req = HttpRequest::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let resp = router().oneshot(req).await.unwrap();
    let status = resp.status();
    let allow = resp
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, json, allow)
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn every_refusal_has_the_one_shape_and_a_4xx() {
    let cases = [
        ("GET", "/nowhere", "", 404, "not_found"),
        ("DELETE", "/things/1", "", 405, "method_not_allowed"),
        ("GET", "/things/abc", "", 400, "invalid_path"),
        ("GET", "/things/1?limit=many", "", 400, "invalid_query"),
        ("PUT", "/things/1/name", "{not json", 400, "invalid_body"),
        ("PUT", "/things/1/name", "", 400, "invalid_body"),
        (
            "PUT",
            "/things/1/name",
            r#"{"name":"a","x":1}"#,
            400,
            "invalid_body",
        ),
        ("GET", "/conflict", "", 409, "busy"),
    ];
    for (method, uri, body, status, want) in cases {
        let (got, json, _) = call(method, uri, body).await;
        assert_eq!(
            (got.as_u16(), code(&json)),
            (status, want),
            "{method} {uri}: {json}"
        );
        let message = json["error"]["message"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "{method} {uri}: {json}");
        assert_eq!(json.as_object().unwrap().len(), 1, "only `error`: {json}");
    }
}

#[tokio::test]
async fn messages_say_what_was_wrong() {
    let (_, json, allow) = call("DELETE", "/things/1", "").await;
    assert_eq!(allow, "GET,HEAD");
    let (_, json2, _) = call("PUT", "/things/1/name", r#"{"nom":"a"}"#).await;
    assert!(
        json2["error"]["message"].as_str().unwrap().contains("name"),
        "{json2}"
    );
    assert!(json["error"]["message"].as_str().unwrap().contains("Allow"));
}

#[tokio::test]
async fn extractors_pass_good_input_and_an_empty_body_reads_as_null() {
    let (status, json, _) = call("GET", "/things/7?limit=3", "").await;
    assert_eq!((status.as_u16(), json), (200, json!({"id": 7, "limit": 3})));
    let (_, json, _) = call("PUT", "/things/7/name", r#"{"name":"Ada"}"#).await;
    assert_eq!(json, "Ada");
    let (status, json, _) = call("PUT", "/things/7/maybe", "  ").await;
    assert_eq!((status.as_u16(), json), (200, json!("none")));
}

#[tokio::test]
async fn a_prefix_before_the_roots_is_ignored_and_the_query_kept() {
    let (status, json, _) = call("GET", "/prod/v1/things/7?limit=2", "").await;
    assert_eq!((status.as_u16(), json), (200, json!({"id": 7, "limit": 2})));
    let (status, _, _) = call("GET", "/prod/nothing/7", "").await;
    assert_eq!(status.as_u16(), 404);
}

#[test]
fn a_non_error_status_is_never_answered_as_an_error() {
    assert_eq!(ApiError::new(200, "x", "y").status().as_u16(), 500);
    assert_eq!(ApiError::new(422, "x", "y").status().as_u16(), 422);
}
