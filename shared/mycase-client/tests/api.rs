//! API calls over a local HTTP server: retries, Retry-After, error shapes, pagination,
//! lenient decoding, request bodies, uploads and deadlines.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use mycase_client::*;
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{method, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn json_answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn base(server: &MockServer) -> url::Url {
    url::Url::parse(&server.uri()).unwrap()
}

/// Every request the server received, in order.
async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

async fn hits(server: &MockServer) -> usize {
    requests(server).await.len()
}

/// `GET /v1/firm` always answers `answer`.
async fn firm_answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/firm"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

fn integration() -> Integration {
    Integration::new(token_set("access-1", "refresh-1", 3600))
}

#[tokio::test]
async fn retries_429_503_504_then_succeeds_with_a_permit_per_attempt() {
    let server = MockServer::start().await;
    // Mocks answer in mount order, each once: the answers come in sequence.
    let answers = [
        json_answer(429, json!({"errors":[{"description":"Too many requests"}]})),
        json_answer(503, json!({"errors":[{"description":"maintenance"}]})),
        // API Gateway's shape.
        json_answer(504, json!({"message":"Endpoint request timed out"})),
    ];
    for answer in answers {
        Mock::given(method("GET"))
            .and(path("/v1/firm"))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/firm"))
        .respond_with(json_answer(
            200,
            json!({"name":"Acme Law","url":"https://acme.mycase.com"}),
        ))
        .mount(&server)
        .await;
    // 10/s: four attempts need three 100 ms gaps, which proves a permit per attempt.
    let t = transport(&base(&server), fast_retry(), RateLimiter::per_second(10.0));
    let client = integration().client(&t);

    let started = Instant::now();
    let firm = client.firm().await.unwrap();
    assert_eq!(firm.name, "Acme Law");
    assert_eq!(hits(&server).await, 4);
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
}

/// `/v1/me` answers `first` once, then `{"id": 7}`.
async fn me_after(first: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(json_answer(200, json!({"id": 7, "first_name": "Pat"})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let server = me_after(ResponseTemplate::new(503).insert_header("retry-after", "1")).await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let started = Instant::now();
    let me = integration().client(&t).me().await.unwrap();
    assert_eq!(me.id, 7);
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );

    // A huge Retry-After is capped by max_retry_after.
    let server = me_after(ResponseTemplate::new(429).insert_header("retry-after", "3600")).await;
    let policy = RetryPolicy {
        max_retry_after: Duration::from_millis(100),
        ..fast_retry()
    };
    let t = transport(&base(&server), policy, RateLimiter::unlimited());
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/staff"))
        .respond_with(json_answer(500, json!({"errors":[{"description":"boom"}]})))
        .expect(6)
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
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
    assert_eq!(hits(&server).await, 6);
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
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/clients"))
        .respond_with(json_answer(
            422,
            json!({"errors":[
                {"description":"Email jane@example.com has already been taken","source":{"pointer":"/email"}},
                {"description":"is bad","source":{"parameter":"filter[status]"}}
            ]}),
        ))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
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
    assert_eq!(hits(&server).await, 1, "a 422 must not be retried");
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/cases/[^/]+$"))
        .respond_with(json_answer(404, json!({"message":"Not Found"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/custom_fields/[^/]+$"))
        .respond_with(ResponseTemplate::new(403).set_body_string("<html>Forbidden</html>"))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let client = integration().client(&t);

    let err = client.case(99).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.descriptions(), vec!["Not Found"]);
    assert_eq!(err.kind(), "rejected_404");

    let err = client.custom_field(1).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.details().is_empty());
}

/// Page `page` of case 7's notes (two per page, three pages), linking to the next.
fn notes_page(server: &MockServer, page: u32) -> ResponseTemplate {
    let items: Vec<Value> = (0..2)
        .map(|i| json!({"id": page * 10 + i, "subject": "s", "note": "n", "date": "2024-05-01"}))
        .collect();
    let mut answer = json_answer(200, Value::Array(items)).insert_header("item-count", "6");
    if page < 3 {
        let next = format!(
            "<{}/v1/cases/7/notes?page_size=100&page_token={}>; rel=\"next\"",
            server.uri(),
            page + 1
        );
        answer = answer.insert_header("link", next.as_str());
    }
    answer
}

#[tokio::test]
async fn follows_link_pagination_across_three_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/cases/7/notes"))
        .and(query_param_is_missing("page_token"))
        .respond_with(notes_page(&server, 1))
        .mount(&server)
        .await;
    for page in [2, 3] {
        Mock::given(method("GET"))
            .and(path("/v1/cases/7/notes"))
            .and(query_param("page_token", page.to_string()))
            .respond_with(notes_page(&server, page))
            .mount(&server)
            .await;
    }
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());

    let notes = integration().client(&t).case_notes(7).await.unwrap();
    let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![10, 11, 20, 21, 30, 31]);
    let seen: Vec<HashMap<String, String>> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.query_pairs().into_owned().collect())
        .collect();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].get("page_size").map(String::as_str), Some("100"));
    assert_eq!(seen[0].get("page_token"), None);
    assert_eq!(seen[2].get("page_token").map(String::as_str), Some("3"));
}

#[tokio::test]
async fn list_filters_page_size_and_empty_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/clients"))
        .respond_with(json_answer(
            200,
            json!([{"id": "5", "first_name": "A", "last_name": "B",
            "email": "a+b@example.com", "cases": [{"id": 1}], "archived": "false"}]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/leads"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let base = base(&server);
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
        requests(&server).await[0].url.query(),
        Some("filter%5Bemail%5D=a%2Bb%40example.com&page_size=25")
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/cases/[^/]+$"))
        .respond_with(json_answer(
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
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/custom_fields"))
        .respond_with(json_answer(
            200,
            json!([{"id": "1130203", "name": "CASE TYPE", "parent_type": "case",
                "field_type": "list", "list_options": [{"key": 3, "option": "Asylum"}]},
                {"id": 77, "name": "Fee", "parent_type": "case", "field_type": "currency",
                 "list_options": null}]),
        ))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(json_answer(200, json!({"id": "jane@example.com"})))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let err = integration().client(&t).me().await.unwrap_err();
    assert_eq!(err.kind(), "decode");
    assert!(!err.to_string().contains("jane"), "{err}");
}

/// Answers `method path` (a regex) with `status` and `answer` (no body for 204).
async fn answer(server: &MockServer, verb: &str, path: &str, status: u16, answer: Value) {
    let template = if status == 204 {
        ResponseTemplate::new(204)
    } else {
        json_answer(status, answer)
    };
    Mock::given(method(verb))
        .and(path_regex(path))
        .respond_with(template)
        .mount(server)
        .await;
}

/// What the server saw of a request: method and path, JSON body, content type.
fn seen(request: &Request) -> (String, Value, Option<String>) {
    let body = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body).unwrap()
    };
    let content_type = request
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        format!("{} {}", request.method, request.url.path()),
        body,
        content_type,
    )
}

#[tokio::test]
async fn writes_use_the_documented_paths_bodies_and_statuses() {
    let server = MockServer::start().await;
    answer(&server, "PUT", r"^/v1/cases/\d+$", 204, Value::Null).await;
    let note = json!({"id": 1, "subject": "s", "note": "n", "case": {"id": 7}});
    answer(&server, "POST", r"^/v1/cases/\d+/notes$", 200, note).await;
    let thread = json!({"id": 2, "subject": "s", "case": {"id": 7}});
    answer(
        &server,
        "POST",
        r"^/v1/cases/\d+/message_threads$",
        201,
        thread,
    )
    .await;
    let message = json!({"id": 3, "body": "b", "sender": {"id": 9},
        "message_thread": {"id": 2, "subject": "s"}});
    answer(
        &server,
        "POST",
        r"^/v1/message_threads/\d+/messages$",
        201,
        message,
    )
    .await;
    let document = json!({"id": 4, "name": "Photo", "path": "Hona/Photo",
        "put_url": "http://s3.test/b/k?sig=1", "put_headers": {"x-amz-acl": "private"}});
    answer(&server, "POST", r"^/v1/cases/\d+/documents$", 201, document).await;
    let version = json!({"id": 40, "version": 2, "document": {"id": 4},
        "put_url": "http://s3.test/b/k2?sig=2", "put_headers": {"x-amz-acl": "private"}});
    answer(
        &server,
        "POST",
        r"^/v1/documents/\d+/versions$",
        201,
        version,
    )
    .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
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

    let seen: Vec<_> = requests(&server).await.iter().map(seen).collect();
    let json_ct = Some("application/json".to_owned());
    assert_eq!(
        seen[0],
        (
            "PUT /v1/cases/7".into(),
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
    assert_eq!(
        seen[5],
        ("POST /v1/documents/4/versions".into(), Value::Null, None)
    );
    let paths: Vec<&str> = seen.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths[1..5],
        [
            "POST /v1/cases/7/notes",
            "POST /v1/cases/7/message_threads",
            "POST /v1/message_threads/2/messages",
            "POST /v1/cases/7/documents"
        ]
    );
}

#[tokio::test]
async fn upload_sends_exact_headers_and_no_authorization() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/bucket/[^/]+$"))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "\"abc\""))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/denied/[^/]+$"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("content-type", "application/xml")
                .set_body_string(
                    "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
                     <Message>nope</Message></Error>",
                ),
        )
        .mount(&server)
        .await;
    let base = base(&server);
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

    let received = requests(&server).await;
    // The upload is the only request: an upload makes no API call.
    assert_eq!(received.len(), 1, "an upload makes no API call");
    let (headers, body) = (&received[0].headers, &received[0].body);
    assert_eq!(received[0].url.path(), "/bucket/doc.pdf");
    assert_eq!(body.len() as u64, total);
    assert!(body.starts_with(b"%PDF-1.7 ") && body.ends_with(b" %%EOF"));
    assert_eq!(
        received[0].url.query(),
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
    let server = firm_answering(ResponseTemplate::new(503)).await;
    let policy = RetryPolicy {
        max_attempts: 1000,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(30),
    };
    let t = transport(&base(&server), policy, RateLimiter::unlimited());
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
    assert!(hits(&server).await >= 2, "it did retry before the deadline");

    // A Retry-After beyond the deadline ends the call at once instead of sleeping.
    let server =
        firm_answering(ResponseTemplate::new(429).insert_header("retry-after", "20")).await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
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
    let late = json_answer(200, json!({"name": "late"})).set_delay(Duration::from_secs(3));
    let server = firm_answering(late).await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
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
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/documents/4"))
        .respond_with(json_answer(
            200,
            json!({"id": 4, "case": null, "folder": {"id": "2"}}),
        ))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let doc = integration().client(&t).document(4).await.unwrap();
    assert_eq!((doc.case, doc.folder), (None, Some(IdRef::new(2))));
    let headers = &requests(&server).await[0].headers;
    let bearer = headers["authorization"].to_str().unwrap();
    assert_eq!(bearer, "Bearer access-1");
    assert_eq!(headers["accept"], "application/json");
}
