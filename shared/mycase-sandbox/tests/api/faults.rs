//! Rate limit, fault switches and stats.

use std::time::{Duration, Instant};

use mycase_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn rate_limit_per_client_returns_429() {
    // One request per second: a burst of one, so counts don't depend on machine speed.
    let env = start_with(SandboxConfig {
        rate_limit_per_second: Some(1.0),
        ..SandboxConfig::default()
    })
    .await;
    let (_, api_a) = env.firm(standard_firm()).await;
    let (_, api_b) = env.firm(standard_firm()).await;

    let calls = (0..20).map(|_| api_a.get("/v1/firm"));
    let responses = futures::future::join_all(calls).await;
    let ok = responses.iter().filter(|r| r.status() == 200).count();
    let limited = responses.iter().filter(|r| r.status() == 429).count();
    assert!((1..=3).contains(&ok), "only the burst passes, got {ok}");
    assert_eq!(ok + limited, 20);
    let first_429 = responses.into_iter().find(|r| r.status() == 429).unwrap();
    assert_eq!(first_429.headers()["retry-after"], "1");
    let body: Value = first_429.json().await.unwrap();
    assert_eq!(body["errors"][0]["description"], "Too many requests");

    // Firm B authorized the same client: it shares the exhausted bucket.
    assert_eq!(api_b.get("/v1/firm").await.status(), 429);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api_a.get("/v1/firm").await.status(), 200);

    // Switching the limit off through the faults.
    env.faults(json!({"rate_limit_per_second": null})).await;
    let responses = futures::future::join_all((0..30).map(|_| api_a.get("/v1/firm"))).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    let stats = env.stats().await;
    assert!(stats["by_status"]["429"].as_u64().unwrap() >= 17);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn fail_next_fails_matching_requests_before_any_change() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let staff = id(&created, "staff_ids", 0);
    let thread: Value = api
        .post(
            &format!("/v1/cases/{case}/message_threads"),
            json!({"subject": "S", "first_message_body": "first"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let tid = thread["id"].as_i64().unwrap();

    env.faults(
        json!({"fail_next": [{"status": 503, "count": 2, "path_prefix": "/v1/message_threads"}]}),
    )
    .await;
    assert_eq!(
        api.get("/v1/cases").await.status(),
        200,
        "other paths unaffected"
    );
    let path = format!("/v1/message_threads/{tid}/messages");
    let send = || api.post(&path, json!({"sender": {"id": staff}, "body": "retry me"}));
    let first = send().await;
    assert_eq!(first.status(), 503);
    assert!(first.json::<Value>().await.unwrap()["errors"][0]["description"].is_string());
    assert_eq!(send().await.status(), 503);
    assert_eq!(send().await.status(), 201);
    let faults = env.admin_json(Method::GET, "/_sandbox/faults", None).await;
    assert_eq!(faults["fail_next"], json!([]), "counts are consumed");

    let state = env.state(&api.uuid).await;
    let msgs = state["message_threads"][0]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2, "the failed attempts left nothing behind");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn fail_ratio_one_fails_everything_in_the_right_shape() {
    let env = start().await;
    let (_, api) = env.firm(standard_firm()).await;

    let faults = env.faults(json!({"fail_ratio": {"504": 1.0}})).await;
    assert_eq!(faults["fail_ratio"], json!({"504": 1.0}));
    for _ in 0..3 {
        let resp = api.get("/v1/cases").await;
        assert_eq!(resp.status(), 504);
        assert_eq!(
            resp.json::<Value>().await.unwrap(),
            json!({"message": "Endpoint request timed out"})
        );
    }
    let resp = api.post("/v1/cases", json!({"name": "Never"})).await;
    assert_eq!(resp.status(), 504);

    env.faults(json!({"fail_ratio": {"429": 1.0}, "retry_after_header": false}))
        .await;
    let resp = api.get("/v1/cases").await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_none());
    env.faults(json!({"fail_ratio": {"429": 1.0}})).await;
    assert_eq!(api.get("/v1/cases").await.headers()["retry-after"], "1");

    // PUT {} restores the defaults.
    let faults = env.faults(json!({})).await;
    assert_eq!(faults["fail_ratio"]["504"], 0.0);
    assert_eq!(faults["retry_after_header"], true);
    assert_eq!(
        api.get_json("/v1/cases").await.as_array().unwrap().len(),
        1,
        "the POST never happened"
    );

    // Unknown switches and bad ratios are refused.
    assert_eq!(
        env.admin(Method::PUT, "/_sandbox/faults", Some(json!({"nope": 1})))
            .await
            .status(),
        400
    );
    assert_eq!(
        env.admin(
            Method::PUT,
            "/_sandbox/faults",
            Some(json!({"fail_ratio": {"503": 2.0}}))
        )
        .await
        .status(),
        400
    );

    env.faults(json!({"clients_504_small_pages": true})).await;
    assert_eq!(api.get("/v1/clients?page_size=2").await.status(), 504);
    assert_eq!(api.get("/v1/clients?page_size=5").await.status(), 200);
    assert_eq!(api.get("/v1/clients").await.status(), 200);

    env.faults(json!({"amounts_as_strings": true})).await;
    let cases = api.get_json("/v1/cases").await;
    assert!(cases[0]["outstanding_balance"].is_string());
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn latency_delays_and_abandoned_requests_have_no_effect() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);

    env.faults(json!({"latency_ms": 300})).await;
    let t = Instant::now();
    assert_eq!(api.get("/v1/firm").await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    // The client gives up during the delay: the note must never be created.
    env.faults(json!({"latency_ms": 700})).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let result = impatient
        .post(format!("{}/v1/cases/{case}/notes", api.base))
        .bearer_auth(&api.token)
        .json(&json!({"subject": "ghost", "note": "should not exist", "date": "2026-11-24"}))
        .send()
        .await;
    assert!(result.is_err(), "client timed out");
    tokio::time::sleep(Duration::from_millis(900)).await;
    let stats = env.stats().await;
    assert_eq!(stats["in_flight"], 0);
    env.faults(json!({})).await;
    let notes = api.get_json(&format!("/v1/cases/{case}/notes")).await;
    assert_eq!(notes.as_array().unwrap().len(), 0);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn stats_count_v1_requests_by_status_and_route() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let staff = id(&created, "staff_ids", 0);
    let thread: Value = api
        .post(
            &format!("/v1/cases/{case}/message_threads"),
            json!({"subject": "S", "first_message_body": "b"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let reset = env
        .admin_json(Method::POST, "/_sandbox/stats/reset", None)
        .await;
    assert_eq!(reset["requests_total"], 0);

    for _ in 0..3 {
        api.get("/v1/cases").await;
    }
    assert_eq!(api.get("/v1/cases/1").await.status(), 404);
    let tid = thread["id"].as_i64().unwrap();
    assert_eq!(
        api.post(
            &format!("/v1/message_threads/{tid}/messages"),
            json!({"sender": {"id": staff}, "body": "x"})
        )
        .await
        .status(),
        201
    );
    let unauth = env.http.get(env.url("/v1/cases")).send().await.unwrap();
    assert_eq!(unauth.status(), 401);
    env.state(&api.uuid).await; // admin calls are not counted

    let stats = env.stats().await;
    assert_eq!(stats["requests_total"], 6);
    assert_eq!(
        stats["by_status"],
        json!({"200": 3, "201": 1, "401": 1, "404": 1})
    );
    assert_eq!(stats["by_route"]["GET /v1/cases"], 4);
    assert_eq!(stats["by_route"]["GET /v1/cases/:id"], 1);
    assert_eq!(
        stats["by_route"]["POST /v1/message_threads/:id/messages"],
        1
    );
    assert_eq!(stats["in_flight"], 0);
    let first = stats["first_request_at_ms"].as_i64().unwrap();
    let last = stats["last_request_at_ms"].as_i64().unwrap();
    assert!(first <= last && first > 1_700_000_000_000);

    // A full reset wipes firms, tokens and stats.
    env.faults(json!({"latency_ms": 5})).await;
    env.admin_json(Method::POST, "/_sandbox/reset", None).await;
    assert_eq!(
        env.admin_json(Method::GET, "/_sandbox/firms", None).await,
        json!([])
    );
    assert_eq!(
        env.admin_json(Method::GET, "/_sandbox/faults", None).await["latency_ms"],
        0
    );
    assert_eq!(api.get("/v1/cases").await.status(), 401);
    assert_eq!(env.stats().await["requests_total"], 1);
    env.sandbox.shutdown().await;
}
