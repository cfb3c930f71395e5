//! API calls over a local HTTP server: retries, Retry-After, error shapes, pagination,
//! lenient decoding, request bodies, uploads and deadlines.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, RawQuery};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post, put};
use futures::StreamExt;
use mycase_client::*;
use serde_json::{Value, json};
use support::*;

fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.into()).unwrap()
}

fn json_response(status: u16, body: Value) -> Response {
    respond(
        status,
        &[("content-type", "application/json")],
        body.to_string(),
    )
}

fn integration() -> Integration {
    Integration::new(token_set("access-1", "refresh-1", 3600))
}

#[tokio::test]
async fn retries_429_503_504_then_succeeds_with_a_permit_per_attempt() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/v1/firm",
        get(move || {
            let h = h.clone();
            async move {
                match h.hit() {
                    1 => {
                        json_response(429, json!({"errors":[{"description":"Too many requests"}]}))
                    }
                    2 => json_response(503, json!({"errors":[{"description":"maintenance"}]})),
                    // API Gateway's shape.
                    3 => json_response(504, json!({"message":"Endpoint request timed out"})),
                    _ => json_response(
                        200,
                        json!({"name":"Acme Law","url":"https://acme.mycase.com"}),
                    ),
                }
            }
        }),
    );
    let base = serve(router).await;
    // 10/s: four attempts need three 100 ms gaps, which proves a permit per attempt.
    let t = transport(&base, fast_retry(), RateLimiter::per_second(10.0));
    let client = integration().client(&t);

    let started = Instant::now();
    let firm = client.firm().await.unwrap();
    assert_eq!(firm.name, "Acme Law");
    assert_eq!(hits.get(), 4);
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/v1/me",
        get(move || {
            let h = h.clone();
            async move {
                if h.hit() == 1 {
                    respond(503, &[("retry-after", "1")], "")
                } else {
                    json_response(200, json!({"id": 7, "first_name": "Pat"}))
                }
            }
        }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let started = Instant::now();
    let me = integration().client(&t).me().await.unwrap();
    assert_eq!(me.id, 7);
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );

    // A huge Retry-After is capped by max_retry_after.
    let h = Counter::default();
    let router = Router::new().route(
        "/v1/me",
        get(move || {
            let h = h.clone();
            async move {
                if h.hit() == 1 {
                    respond(429, &[("retry-after", "3600")], "")
                } else {
                    json_response(200, json!({"id": 7}))
                }
            }
        }),
    );
    let base = serve(router).await;
    let policy = RetryPolicy {
        max_retry_after: Duration::from_millis(100),
        ..fast_retry()
    };
    let t = transport(&base, policy, RateLimiter::unlimited());
    let started = Instant::now();
    integration().client(&t).me().await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(95) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn gives_up_after_max_attempts_with_a_transient_error() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/v1/staff",
        get(move || {
            let h = h.clone();
            async move {
                h.hit();
                json_response(500, json!({"errors":[{"description":"boom"}]}))
            }
        }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let err = integration().client(&t).staff().await.unwrap_err();
    assert!(
        matches!(
            err,
            MyCaseError::Unavailable {
                status: Some(500),
                attempts: 6,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(err.kind(), "unavailable");
    assert_eq!(hits.get(), 6);
}

#[tokio::test]
async fn connection_errors_are_retried_then_unavailable() {
    // Nothing listens on this port (bound, then dropped).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let policy = RetryPolicy {
        max_attempts: 3,
        ..fast_retry()
    };
    let t = transport(&base, policy, RateLimiter::unlimited());
    let err = integration().client(&t).firm().await.unwrap_err();
    match &err {
        MyCaseError::Unavailable {
            status: None,
            attempts: 3,
            cause,
        } => assert!(cause.starts_with("connect error"), "{cause}"),
        other => panic!("{other:?}"),
    }
    assert!(
        !err.to_string().contains("v1/firm"),
        "no URL in errors: {err}"
    );
}

#[tokio::test]
async fn permanent_422_is_not_retried_and_details_are_parsed() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/v1/clients",
        post(move || {
            let h = h.clone();
            async move {
                h.hit();
                json_response(
                    422,
                    json!({"errors":[
                        {"description":"Email jane@example.com has already been taken","source":{"pointer":"/email"}},
                        {"description":"is bad","source":{"parameter":"filter[status]"}}
                    ]}),
                )
            }
        }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let new_client = NewClient {
        first_name: "Jane".into(),
        last_name: "Doe".into(),
        email: Some("jane@example.com".into()),
        ..NewClient::default()
    };
    let err = integration()
        .client(&t)
        .create_client(&new_client)
        .await
        .unwrap_err();
    assert_eq!(hits.get(), 1, "a 422 must not be retried");
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.kind(), "rejected_422");
    assert!(!err.is_transient());
    let details = err.details();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0].pointer.as_deref(), Some("/email"));
    assert_eq!(details[1].parameter.as_deref(), Some("filter[status]"));
    assert_eq!(
        err.descriptions()[0],
        "Email jane@example.com has already been taken"
    );
    let shown = err.to_string();
    assert!(
        shown.contains("/email") && !shown.contains("jane"),
        "{shown}"
    );
}

#[tokio::test]
async fn message_shaped_errors_and_not_found() {
    let router = Router::new()
        .route(
            "/v1/cases/{id}",
            get(|| async { json_response(404, json!({"message":"Not Found"})) }),
        )
        .route(
            "/v1/custom_fields/{id}",
            get(|| async { respond(403, &[], "<html>Forbidden</html>") }),
        );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let client = integration().client(&t);

    let err = client.case(99).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.descriptions(), vec!["Not Found"]);
    assert_eq!(err.kind(), "rejected_404");

    let err = client.custom_field(1).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.details().is_empty());
}

#[tokio::test]
async fn follows_link_pagination_across_three_pages() {
    let seen: Arc<Mutex<Vec<HashMap<String, String>>>> = Arc::default();
    let base_cell: Arc<Mutex<Option<url::Url>>> = Arc::default();
    let (s, b) = (seen.clone(), base_cell.clone());
    let router = Router::new().route(
        "/v1/cases/{id}/notes",
        get(move |Query(q): Query<HashMap<String, String>>| {
            let (s, b) = (s.clone(), b.clone());
            async move {
                s.lock().unwrap().push(q.clone());
                let base = b.lock().unwrap().clone().unwrap();
                let page: u32 = q.get("page_token").map_or(1, |t| t.parse().unwrap());
                let items: Vec<Value> = (0..2)
                    .map(|i| json!({"id": page * 10 + i, "subject": "s", "note": "n", "date": "2024-05-01"}))
                    .collect();
                let mut headers = vec![("item-count", "6".to_owned())];
                if page < 3 {
                    headers.push((
                        "link",
                        format!(
                            "<{base}v1/cases/7/notes?page_size=100&page_token={}>; rel=\"next\"",
                            page + 1
                        ),
                    ));
                }
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                respond(200, &headers, Value::Array(items).to_string())
            }
        }),
    );
    let base = serve(router).await;
    *base_cell.lock().unwrap() = Some(base.clone());
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());

    let notes = integration().client(&t).case_notes(7).await.unwrap();
    let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![10, 11, 20, 21, 30, 31]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].get("page_size").map(String::as_str), Some("100"));
    assert_eq!(seen[0].get("page_token"), None);
    assert_eq!(seen[2].get("page_token").map(String::as_str), Some("3"));
}

#[tokio::test]
async fn list_filters_page_size_and_empty_pages() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    let router = Router::new()
        .route(
            "/v1/clients",
            get(move |RawQuery(q): RawQuery| {
                let s = s.clone();
                async move {
                    s.lock().unwrap().push(q.unwrap_or_default());
                    json_response(
                        200,
                        json!([{"id": "5", "first_name": "A", "last_name": "B",
                        "email": "a+b@example.com", "cases": [{"id": 1}], "archived": "false"}]),
                    )
                }
            }),
        )
        .route("/v1/leads", get(|| async { respond(200, &[], "") }));
    let base = serve(router).await;
    let t = Arc::new(
        Transport::new(
            MyCaseEndpoints {
                api_url: base.clone(),
                auth_url: base.clone(),
            },
            Arc::new(RateLimiter::unlimited()),
            fast_retry(),
        )
        .with_page_size(25),
    );
    let client = integration().client(&t);
    let found = client
        .clients(&ClientFilter::by_email("a+b@example.com"))
        .await
        .unwrap();
    assert_eq!(found[0].id, 5);
    assert_eq!(found[0].archived, Some(false));
    assert_eq!(
        seen.lock().unwrap()[0],
        "filter%5Bemail%5D=a%2Bb%40example.com&page_size=25"
    );
    assert!(
        client
            .leads(&ClientFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn decodes_leniently() {
    let router = Router::new()
        .route(
            "/v1/cases/{id}",
            get(|| async {
                json_response(
                    200,
                    json!({
                        "id": "41349079", "name": "Doe Asylum", "case_number": null,
                        "outstanding_balance": "500.0", "billing_type": "",
                        "clients": [{"id": "5550123", "first_name": "Jane"}],
                        "staff": [{"id": 1.0, "lead_lawyer": "true", "case_rate": "150.0"}],
                        "custom_field_values": [
                            {"custom_field": {"id": "1130203", "field_type": "list"}, "value": "Asylum",
                             "updated_at": "2024-05-01T14:03:22Z"},
                            {"custom_field": {"id": 1130203, "field_type": "list"}, "value": "Family",
                             "updated_at": "2024-06-01T14:03:22Z"},
                            {"custom_field": {"id": 77, "field_type": "currency"}, "value": "1200.50"}
                        ],
                        "a_field_from_the_future": {"x": [1, 2]}
                    }),
                )
            }),
        )
        .route(
            "/v1/custom_fields",
            get(|| async {
                json_response(
                    200,
                    json!([{"id": "1130203", "name": "CASE TYPE", "parent_type": "case",
                        "field_type": "list", "list_options": [{"key": 3, "option": "Asylum"}]},
                        {"id": 77, "name": "Fee", "parent_type": "case", "field_type": "currency",
                         "list_options": null}]),
                )
            }),
        );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let client = integration().client(&t);

    let case = client.case(41349079).await.unwrap();
    assert_eq!(case.id, 41349079);
    assert_eq!(case.outstanding_balance, Some(500.0));
    assert_eq!(case.clients, vec![IdRef::new(5550123)]);
    assert_eq!(case.staff[0].lead_lawyer, Some(true));
    let deduped = case.custom_field_values_deduped();
    assert_eq!(deduped.len(), 2);
    assert_eq!(deduped[0].value, FieldValue::Text("Family".into()));
    assert_eq!(case.custom_field_value(77).unwrap().as_f64(), Some(1200.5));

    let fields = client.custom_fields().await.unwrap();
    assert_eq!(fields[0].id, 1130203);
    assert_eq!(fields[0].list_options[0].key, "3");
    assert!(fields[1].list_options.is_empty());
}

#[tokio::test]
async fn undecodable_success_is_a_decode_error_without_the_data() {
    let router = Router::new().route(
        "/v1/me",
        get(|| async { json_response(200, json!({"id": "jane@example.com"})) }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let err = integration().client(&t).me().await.unwrap_err();
    assert_eq!(err.kind(), "decode");
    assert!(!err.to_string().contains("jane"), "{err}");
}

/// What the server saw: method + path, and the JSON body.
type Seen = Arc<Mutex<Vec<(String, Value, Option<String>)>>>;

fn recorder(
    seen: &Seen,
    label: &'static str,
    status: u16,
    answer: Value,
) -> axum::routing::MethodRouter {
    let s = seen.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let s = s.clone();
        let answer = answer.clone();
        async move {
            let body = if body.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&body).unwrap()
            };
            let content_type = headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            s.lock()
                .unwrap()
                .push((label.to_owned(), body, content_type));
            if status == 204 {
                respond(204, &[], "")
            } else {
                json_response(status, answer)
            }
        }
    };
    match label.split_once(' ').unwrap().0 {
        "PUT" => put(handler),
        _ => post(handler),
    }
}

#[tokio::test]
async fn writes_use_the_documented_paths_bodies_and_statuses() {
    let seen: Seen = Arc::default();
    let router = Router::new()
        .route(
            "/v1/cases/{id}",
            recorder(&seen, "PUT case", 204, Value::Null),
        )
        .route(
            "/v1/cases/{id}/notes",
            recorder(
                &seen,
                "POST note",
                200,
                json!({"id": 1, "subject": "s", "note": "n", "case": {"id": 7}}),
            ),
        )
        .route(
            "/v1/cases/{id}/message_threads",
            recorder(
                &seen,
                "POST thread",
                201,
                json!({"id": 2, "subject": "s", "case": {"id": 7}}),
            ),
        )
        .route(
            "/v1/message_threads/{id}/messages",
            recorder(
                &seen,
                "POST message",
                201,
                json!({"id": 3, "body": "b", "sender": {"id": 9},
                "message_thread": {"id": 2, "subject": "s"}}),
            ),
        )
        .route(
            "/v1/cases/{id}/documents",
            recorder(
                &seen,
                "POST document",
                201,
                json!({"id": 4, "name": "Photo", "path": "Hona/Photo",
                "put_url": "http://s3.test/b/k?sig=1", "put_headers": {"x-amz-acl": "private"}}),
            ),
        )
        .route(
            "/v1/documents/{id}/versions",
            recorder(
                &seen,
                "POST version",
                201,
                json!({"id": 40, "version": 2, "document": {"id": 4},
                "put_url": "http://s3.test/b/k2?sig=2", "put_headers": {"x-amz-acl": "private"}}),
            ),
        );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let client = integration().client(&t);

    client
        .update_case(
            7,
            &CaseUpdate {
                name: "Doe".into(),
                custom_field_values: vec![CustomFieldValueWrite::new(11, "Asylum")],
            },
        )
        .await
        .unwrap();
    let note = client
        .create_case_note(
            7,
            &NewNote {
                subject: "Text from client".into(),
                note: "hello".into(),
                date: "2026-11-24T14:03:22-08:00".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(note.case, Some(IdRef::new(7)));
    let thread = client
        .create_case_message_thread(
            7,
            &NewMessageThread {
                subject: "Hona".into(),
                first_message_body: "first".into(),
                sender: Some(IdRef::new(9)),
                client_recipients: vec![],
                staff_recipients: vec![IdRef::new(9)],
            },
        )
        .await
        .unwrap();
    let message = client
        .create_message(
            thread.id,
            &NewMessage {
                sender: IdRef::new(9),
                body: "b".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(message.message_thread.unwrap().id, 2);
    let doc = client
        .create_case_document(
            7,
            &NewDocument {
                path: "Hona/Photo".into(),
                filename: "photo.jpg".into(),
                description: None,
                assigned_date: Some("2026-11-24".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(doc.document_id(), 4);
    assert_eq!(doc.target().put_headers["x-amz-acl"], "private");
    let version = client.create_document_version(4).await.unwrap();
    assert_eq!((version.document_id(), version.version), (4, Some(2)));

    let seen = seen.lock().unwrap();
    let json_ct = Some("application/json".to_owned());
    assert_eq!(
        seen[0],
        (
            "PUT case".into(),
            json!({"name": "Doe", "custom_field_values": [{"custom_field": {"id": 11}, "value": "Asylum"}]}),
            json_ct.clone()
        )
    );
    assert_eq!(
        seen[1].1,
        json!({"subject": "Text from client", "note": "hello", "date": "2026-11-24T14:03:22-08:00"})
    );
    assert_eq!(
        seen[2].1,
        json!({"subject": "Hona", "first_message_body": "first", "sender": {"id": 9},
            "client_recipients": [], "staff_recipients": [{"id": 9}]})
    );
    assert_eq!(seen[3].1, json!({"sender": {"id": 9}, "body": "b"}));
    assert_eq!(
        seen[4].1,
        json!({"path": "Hona/Photo", "filename": "photo.jpg", "assigned_date": "2026-11-24"})
    );
    assert_eq!(seen[5], ("POST version".into(), Value::Null, None));
}

#[tokio::test]
async fn upload_sends_exact_headers_and_no_authorization() {
    type Captured = Arc<Mutex<Option<(HeaderMap, Bytes, Option<String>)>>>;
    let captured: Captured = Arc::default();
    let c = captured.clone();
    let api_hits = Counter::default();
    let a = api_hits.clone();
    let router = Router::new()
        .route(
            "/bucket/{key}",
            put(
                move |RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes| {
                    let c = c.clone();
                    async move {
                        *c.lock().unwrap() = Some((headers, body, q));
                        respond(200, &[("etag", "\"abc\"")], "")
                    }
                },
            ),
        )
        .route(
            "/denied/{key}",
            put(|| async {
                respond(
                    403,
                    &[("content-type", "application/xml")],
                    "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
                     <Message>nope</Message></Error>",
                )
            }),
        )
        .fallback(move || {
            let a = a.clone();
            async move {
                a.hit();
                respond(404, &[], "")
            }
        });
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let client = integration().client(&t);

    let mut put_headers = std::collections::BTreeMap::new();
    put_headers.insert("x-amz-acl".to_owned(), "private".to_owned());
    put_headers.insert("x-amz-meta-source".to_owned(), "hona".to_owned());
    let target = UploadTarget {
        put_url: format!("{base}bucket/doc.pdf?X-Amz-Signature=s1g&X-Amz-Expires=900"),
        put_headers: put_headers.clone(),
    };
    // A streamed body in several chunks, as documents are streamed from S3.
    let chunks: Vec<std::result::Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"%PDF-1.7 ".to_vec()),
        Ok(vec![b'x'; 10_000]),
        Ok(b" %%EOF".to_vec()),
    ];
    let total = 9 + 10_000 + 6;
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks).boxed());
    client.upload(&target, body, total).await.unwrap();

    let (headers, body, query) = captured.lock().unwrap().take().unwrap();
    assert_eq!(body.len() as u64, total);
    assert!(body.starts_with(b"%PDF-1.7 ") && body.ends_with(b" %%EOF"));
    assert_eq!(
        query.as_deref(),
        Some("X-Amz-Signature=s1g&X-Amz-Expires=900")
    );
    assert_eq!(headers["x-amz-acl"], "private");
    assert_eq!(headers["x-amz-meta-source"], "hona");
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(headers["content-length"], total.to_string().as_str());
    assert!(headers.get("authorization").is_none());
    assert!(
        headers.get("transfer-encoding").is_none(),
        "S3 refuses chunked PUTs"
    );
    assert_eq!(api_hits.get(), 0, "an upload makes no API call");

    let denied = UploadTarget {
        put_url: format!("{base}denied/doc.pdf?X-Amz-Signature=bad"),
        put_headers,
    };
    let err = client
        .upload(&denied, reqwest::Body::from(b"abc".to_vec()), 3)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, MyCaseError::Upload { status: 403, code } if code == "SignatureDoesNotMatch"),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert!(
        !err.to_string().contains("bad"),
        "no presigned URL in errors: {err}"
    );
}

#[tokio::test]
async fn deadline_stops_retries() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/v1/firm",
        get(move || {
            let h = h.clone();
            async move {
                h.hit();
                respond(503, &[], "")
            }
        }),
    );
    let base = serve(router).await;
    let policy = RetryPolicy {
        max_attempts: 1000,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(30),
    };
    let t = transport(&base, policy, RateLimiter::unlimited());
    let client = integration().client(&t);
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(400);
    let err = client.with_deadline(deadline).firm().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, MyCaseError::DeadlineReached), "{err:?}");
    assert!(err.is_transient());
    assert!(
        elapsed <= Duration::from_millis(450),
        "slept past the deadline: {elapsed:?}"
    );
    assert!(hits.get() >= 2, "it did retry before the deadline");

    // A Retry-After beyond the deadline ends the call at once instead of sleeping.
    let router = Router::new().route(
        "/v1/firm",
        get(|| async { respond(429, &[("retry-after", "20")], "") }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let err = integration()
        .client(&t)
        .with_deadline(deadline)
        .firm()
        .await
        .unwrap_err();
    assert!(matches!(err, MyCaseError::DeadlineReached), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // A slow answer is cut at the deadline.
    let router = Router::new().route(
        "/v1/firm",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json_response(200, json!({"name": "late"}))
        }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    let err = integration()
        .client(&t)
        .with_deadline(deadline)
        .firm()
        .await
        .unwrap_err();
    assert!(matches!(err, MyCaseError::DeadlineReached), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn every_api_call_carries_bearer_and_accept_headers() {
    let seen: Arc<Mutex<Option<HeaderMap>>> = Arc::default();
    let s = seen.clone();
    let router = Router::new().route(
        "/v1/documents/{id}",
        get(move |headers: HeaderMap| {
            let s = s.clone();
            async move {
                *s.lock().unwrap() = Some(headers);
                json_response(200, json!({"id": 4, "case": null, "folder": {"id": "2"}}))
            }
        }),
    );
    let base = serve(router).await;
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let doc = integration().client(&t).document(4).await.unwrap();
    assert_eq!((doc.case, doc.folder), (None, Some(IdRef::new(2))));
    let headers = seen.lock().unwrap().take().unwrap();
    assert_eq!(bearer(&headers).as_deref(), Some("access-1"));
    assert_eq!(headers["accept"], "application/json");
}
