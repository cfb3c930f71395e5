//! OAuth: code exchange, refresh rotation, expiry, revocation, authorize page switches,
//! and firm isolation.

use std::time::Duration;

use base64::Engine;
use mycase_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn authorize_query(state: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("response_type", "code")
        .append_pair("state", state);
    s.finish()
}

/// Drives the authorize page like a browser: page → Grant link → redirect with code.
async fn authorize(env: &Env, firm_uuid: &str, decision: &str) -> url::Url {
    let page = env
        .http
        .get(env.url(&format!(
            "/login_sessions/new?{}",
            authorize_query("st-123")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(firm_uuid), "authorize page lists the firm");
    let resp = env
        .http
        .get(env.url(&format!(
            "/login_sessions/decide?{}&firm_uuid={firm_uuid}&decision={decision}",
            authorize_query("st-123")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(REDIRECT_URI), "{loc}");
    url::Url::parse(&loc).unwrap()
}

fn param(u: &url::Url, k: &str) -> Option<String> {
    u.query_pairs()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.into_owned())
}

async fn token_call(env: &Env, body: Value) -> reqwest::Response {
    env.http
        .post(env.url("/tokens"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn code_exchange_then_refresh_rotation_rejects_reuse() {
    let env = start().await;
    let (created, _) = env.firm(standard_firm()).await;
    let uuid = created["firm_uuid"].as_str().unwrap();

    let redirect = authorize(&env, uuid, "grant").await;
    assert_eq!(param(&redirect, "state").as_deref(), Some("st-123"));
    let code = param(&redirect, "code").expect("code in redirect");

    let exchange = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code,
                          "grant_type": "authorization_code", "redirect_uri": REDIRECT_URI});
    let resp = token_call(&env, exchange.clone()).await;
    assert_eq!(resp.status(), 200);
    let tokens: Value = resp.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 86400);
    assert_eq!(tokens["firm_uuid"], uuid);
    assert!(tokens["scope"].as_str().unwrap().contains("cases"));

    // JWT-shaped: header.payload.signature, payload with exp, firm_uuid, client_id, jti.
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let parts: Vec<&str> = access.split('.').collect();
    assert_eq!(parts.len(), 3);
    let payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["firm_uuid"], uuid);
    assert_eq!(payload["client_id"], CLIENT_ID);
    assert!(payload["exp"].as_i64().unwrap() > payload["iat"].as_i64().unwrap());
    assert!(payload["jti"].as_str().unwrap().len() >= 16);

    let api = Api {
        base: env.base.clone(),
        http: env.http.clone(),
        token: access.clone(),
        uuid: uuid.into(),
    };
    assert_eq!(api.get_json("/v1/firm").await["name"], "Test & Partners");

    // The code is single-use.
    let again = token_call(&env, exchange).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // Refresh rotates: new refresh token, no firm_uuid; the old one is spent.
    let r1 = tokens["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: &str| json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": rt, "grant_type": "refresh_token"});
    let resp = token_call(&env, refresh(&r1)).await;
    assert_eq!(resp.status(), 200);
    let t2: Value = resp.json().await.unwrap();
    assert!(
        t2.get("firm_uuid").is_none(),
        "refresh response has no firm_uuid"
    );
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_ne!(t2["access_token"], tokens["access_token"]);

    // The old access token stays valid until it expires.
    assert_eq!(api.get("/v1/me").await.status(), 200);

    let reuse = token_call(&env, refresh(&r1)).await;
    assert_eq!(reuse.status(), 400);
    let body: Value = reuse.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "refresh token already used");

    // Form-encoded bodies are accepted leniently.
    let form = format!(
        "client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=refresh_token&refresh_token={}",
        url::form_urlencoded::byte_serialize(r2.as_bytes()).collect::<String>()
    );
    let resp = env
        .http
        .post(env.url("/tokens"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Wrong client secret.
    let bad = token_call(&env, json!({"client_id": CLIENT_ID, "client_secret": "nope", "refresh_token": r2, "grant_type": "refresh_token"})).await;
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let stats = env.stats().await;
    assert_eq!(stats["token_exchanges"], 1);
    assert_eq!(stats["token_refreshes"], 2);
    assert_eq!(stats["refresh_rejected"], 2);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn authorize_deny_forbidden_and_bad_redirect() {
    let env = start().await;
    let (created, _) = env.firm(standard_firm()).await;
    let uuid = created["firm_uuid"].as_str().unwrap();

    let denied = authorize(&env, uuid, "deny").await;
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&denied, "state").as_deref(), Some("st-123"));
    assert!(param(&denied, "code").is_none());

    // An unregistered redirect_uri is never redirected to.
    let resp = env
        .http
        .get(env.url(&format!("/login_sessions/new?client_id={CLIENT_ID}&redirect_uri=http://evil.example/cb&response_type=code")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    env.faults(json!({"authorize_forbidden": true})).await;
    let resp = env
        .http
        .get(env.url(&format!("/login_sessions/new?{}", authorize_query("s"))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("Forbidden"));

    // A code with a mismatching redirect_uri at exchange time is rejected.
    env.faults(json!({})).await;
    let redirect = authorize(&env, uuid, "grant").await;
    let resp = token_call(&env, json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "code": param(&redirect, "code"), "grant_type": "authorization_code", "redirect_uri": "http://127.0.0.1:8787/other"})).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn expired_and_revoked_tokens() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let uuid = created["firm_uuid"].as_str().unwrap();
    let grant = env
        .admin_json(
            Method::POST,
            &format!("/_sandbox/firms/{uuid}/grant"),
            Some(json!({"client_id": CLIENT_ID})),
        )
        .await;
    assert_eq!(grant["firm_uuid"], uuid);
    assert_eq!(api.get("/v1/cases").await.status(), 200);

    let expired = env
        .admin_json(
            Method::POST,
            "/_sandbox/tokens/expire",
            Some(json!({"firm_uuid": uuid})),
        )
        .await;
    assert!(expired["expired_access_tokens"].as_u64().unwrap() >= 2);
    let resp = api.get("/v1/cases").await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["description"], "Not authenticated");

    // Refreshing after expiry works; then revocation kills the refresh token too.
    let refresh = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": grant["refresh_token"], "grant_type": "refresh_token"});
    let resp = token_call(&env, refresh).await;
    assert_eq!(resp.status(), 200);
    let t2: Value = resp.json().await.unwrap();
    let api2 = Api {
        token: t2["access_token"].as_str().unwrap().into(),
        ..api.clone()
    };
    assert_eq!(api2.get("/v1/cases").await.status(), 200);

    env.admin_json(
        Method::POST,
        &format!("/_sandbox/firms/{uuid}/revoke"),
        None,
    )
    .await;
    assert_eq!(api2.get("/v1/cases").await.status(), 401);
    let resp = token_call(
        &env,
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": t2["refresh_token"], "grant_type": "refresh_token"}),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // No token, or garbage: 401 too.
    let resp = env.http.get(env.url("/v1/cases")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn access_tokens_expire_by_ttl() {
    let env = start_with(SandboxConfig {
        access_token_ttl: Duration::from_secs(1),
        rate_limit_per_second: None,
        ..SandboxConfig::default()
    })
    .await;
    let (_, api) = env.firm(standard_firm()).await;
    assert_eq!(api.get("/v1/me").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get("/v1/me").await.status(), 401);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn firms_are_isolated() {
    let env = start().await;
    let (a, api_a) = env.firm(standard_firm()).await;
    let (b, api_b) = env.firm(standard_firm()).await;
    let case_a = id(&a, "case_ids", 0);
    let case_b = id(&b, "case_ids", 0);
    assert_ne!(case_a, case_b, "ids are globally unique");
    assert_eq!(
        api_a.get(&format!("/v1/cases/{case_a}")).await.status(),
        200
    );
    let resp = api_a.get(&format!("/v1/cases/{case_b}")).await;
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<Value>().await.unwrap()["errors"][0]["description"].is_string());
    // Writes can't cross either.
    let resp = api_b
        .post(
            &format!("/v1/cases/{case_a}/notes"),
            json!({"subject": "s", "note": "n", "date": "2026-01-02"}),
        )
        .await;
    assert_eq!(resp.status(), 404);
    let listed = api_a.get_json("/v1/cases").await;
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![case_a]);
    // Emails are unique per firm: firm B has its own seeded client with this email.
    let resp = api_b
        .post(
            "/v1/clients",
            json!({"first_name": "L", "last_name": "F", "email": "lucia@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), 422, "duplicate within firm B");
    let state_a = env.state(&api_a.uuid).await;
    assert_eq!(state_a["notes"].as_array().unwrap().len(), 0);
    env.sandbox.shutdown().await;
}
