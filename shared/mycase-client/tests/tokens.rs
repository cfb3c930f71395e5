//! OAuth and token refresh: 401 handling, rotation, invalid_grant, and the cross-instance
//! single refresh.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mycase_client::fakes::MemoryTokenStore;
use mycase_client::*;
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

type Bodies = Arc<Mutex<Vec<Value>>>;

/// `POST /tokens` (JSON bodies only) issuing `access-N`/`refresh-N` on its N-th call (N
/// from 2), after `delay`.
struct TokenEndpoint {
    calls: Counter,
    bodies: Bodies,
    delay: Duration,
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = serde_json::from_slice(&request.body).expect("a JSON body");
        self.bodies.lock().unwrap().push(body);
        let n = self.calls.hit() + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "access_token": format!("access-{n}"), "token_type": "Bearer", "scope": "a b",
                "refresh_token": format!("refresh-{n}"), "expires_in": 86400
            }))
            .set_delay(self.delay)
    }
}

/// `GET /v1/me` accepting only `valid` (shared, so a test can change it); records, for each
/// accepted request, whether the store already held that token.
struct MeEndpoint {
    valid: Arc<Mutex<String>>,
    store: Arc<MemoryTokenStore>,
    saved_first: Arc<Mutex<Vec<bool>>>,
}

impl Respond for MeEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = bearer(&request.headers).unwrap_or_default();
        if token != *self.valid.lock().unwrap() {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"errors":[{"description":"expired"}]}));
        }
        let stored = self.store.current().unwrap().access_token;
        self.saved_first.lock().unwrap().push(stored == token);
        ResponseTemplate::new(200).set_body_json(json!({"id": 1, "first_name": "Pat"}))
    }
}

/// A stub MyCase that answers every `method path` request with `answer`.
async fn stub(verb: &str, at: &str, answer: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

fn base(server: &MockServer) -> url::Url {
    url::Url::parse(&server.uri()).unwrap()
}

struct Setup {
    integration: Integration,
    transport: Arc<Transport>,
    token_calls: Counter,
    token_bodies: Bodies,
    saved_first: Arc<Mutex<Vec<bool>>>,
    valid: Arc<Mutex<String>>,
    _server: MockServer,
}

/// A server whose API accepts only `valid` and whose token endpoint issues `access-2`, …
async fn setup(initial: TokenSet, valid: &str, token_delay: Duration) -> Setup {
    let integration = Integration::new(initial);
    let token_calls = Counter::default();
    let token_bodies: Bodies = Arc::default();
    let saved_first: Arc<Mutex<Vec<bool>>> = Arc::default();
    let valid = Arc::new(Mutex::new(valid.to_owned()));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tokens"))
        .and(header("content-type", "application/json"))
        .respond_with(TokenEndpoint {
            calls: token_calls.clone(),
            bodies: token_bodies.clone(),
            delay: token_delay,
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(MeEndpoint {
            valid: valid.clone(),
            store: integration.store.clone(),
            saved_first: saved_first.clone(),
        })
        .mount(&server)
        .await;
    let transport = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    Setup {
        integration,
        transport,
        token_calls,
        token_bodies,
        saved_first,
        valid,
        _server: server,
    }
}

#[tokio::test]
async fn a_401_refreshes_once_saves_then_retries() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-2",
        Duration::ZERO,
    )
    .await;
    let client = s.integration.client(&s.transport);

    let me = client.me().await.unwrap();
    assert_eq!(me.id, 1);
    assert_eq!(s.token_calls.get(), 1);
    assert_eq!(
        s.token_bodies.lock().unwrap()[0],
        json!({"client_id": "client-1", "client_secret": "secret-1",
               "refresh_token": "refresh-1", "grant_type": "refresh_token"})
    );
    let stored = s.integration.store.current().unwrap();
    assert_eq!(stored.access_token, "access-2");
    assert_eq!(stored.refresh_token, "refresh-2");
    assert_eq!(
        stored.firm_uuid.as_deref(),
        Some("firm-uuid-1"),
        "carried over"
    );
    assert_eq!(s.integration.store.save_count(), 1);
    assert_eq!(
        *s.saved_first.lock().unwrap(),
        vec![true],
        "the new tokens were stored before the retried request"
    );
    assert_eq!(s.integration.lease.acquire_count(), 1);
    assert_eq!(s.integration.lease.holder(), None, "lease released");

    // The refreshed token is cached: no further refresh or store read.
    let loads = s.integration.store.load_count();
    client.me().await.unwrap();
    client.me().await.unwrap();
    assert_eq!(s.token_calls.get(), 1);
    assert_eq!(s.integration.store.load_count(), loads);
}

#[tokio::test]
async fn a_second_401_is_unauthorized() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "nothing-valid",
        Duration::ZERO,
    )
    .await;
    let err = s.integration.client(&s.transport).me().await.unwrap_err();
    assert!(matches!(err, MyCaseError::Unauthorized), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(err.kind(), "unauthorized");
    assert_eq!(s.token_calls.get(), 1, "exactly one refresh");
}

#[tokio::test]
async fn invalid_grant_means_reconnect() {
    let integration = Integration::new(token_set("access-1", "refresh-1", 3600));
    let refused = ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant",
        "error_description": "refresh token already used"}));
    let server = stub("POST", "/tokens", refused).await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let err = integration.client(&t).me().await.unwrap_err();
    match &err {
        MyCaseError::ReconnectNeeded { reason } => assert_eq!(reason, "invalid_grant"),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(err.kind(), "reconnect_needed");
    let token_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/tokens")
        .count();
    assert_eq!(token_calls, 1, "invalid_grant is not retried");
    assert_eq!(integration.store.save_count(), 0);
    assert_eq!(integration.lease.holder(), None, "lease released on error");
}

#[tokio::test]
async fn a_refused_refresh_without_an_oauth_body_also_means_reconnect() {
    let nope = ResponseTemplate::new(401).set_body_string("nope");
    let server = stub("POST", "/tokens", nope).await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let err = app().refresh(&t, "refresh-1").await.unwrap_err();
    assert!(
        matches!(err, MyCaseError::ReconnectNeeded { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn two_instances_refreshing_at_once_make_one_token_call() {
    // The token endpoint is slow, so both instances are surely inside the refresh together.
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-2",
        Duration::from_millis(300),
    )
    .await;
    // Two "Lambda instances": separate managers over the same store and lease.
    let a = s.integration.client(&s.transport);
    let b = s.integration.client(&s.transport);
    let (ra, rb) = tokio::join!(a.me(), b.me());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        s.token_calls.get(),
        1,
        "exactly one refresh across instances"
    );
    assert_eq!(s.integration.store.save_count(), 1);
    assert_eq!(
        a.tokens().access_token(&s.transport).await.unwrap(),
        "access-2"
    );
    assert_eq!(
        b.tokens().access_token(&s.transport).await.unwrap(),
        "access-2"
    );
    assert!(s.saved_first.lock().unwrap().iter().all(|&x| x));

    // And many callers inside one instance share one refresh too.
    *s.valid.lock().unwrap() = "access-3".into();
    let c = s.integration.client(&s.transport);
    let calls: Vec<_> = (0..8).map(|_| c.me()).collect();
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(s.token_calls.get(), 2);
}

#[tokio::test]
async fn two_instances_with_an_expiring_token_refresh_proactively_once() {
    // Expires within the 60 s margin: refreshed before use, without a 401.
    let s = setup(
        token_set("access-1", "refresh-1", 30),
        "access-2",
        Duration::from_millis(200),
    )
    .await;
    let m1 = s.integration.manager();
    let m2 = s.integration.manager();
    let (t1, t2) = tokio::join!(m1.access_token(&s.transport), m2.access_token(&s.transport));
    assert_eq!(t1.unwrap(), "access-2");
    assert_eq!(t2.unwrap(), "access-2");
    assert_eq!(s.token_calls.get(), 1);
    assert_eq!(
        s.integration.store.current().unwrap().refresh_token,
        "refresh-2"
    );
}

#[tokio::test]
async fn rejection_of_an_already_replaced_token_needs_no_refresh() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-9",
        Duration::ZERO,
    )
    .await;
    // Another instance already stored newer tokens.
    s.integration
        .store
        .set(token_set("access-9", "refresh-9", 3600));
    let m = s.integration.manager();
    let fresh = m
        .refresh_after_rejection(&s.transport, "access-1")
        .await
        .unwrap();
    assert_eq!(fresh, "access-9");
    assert_eq!(s.token_calls.get(), 0);
}

#[tokio::test]
async fn unsaved_tokens_are_reported_and_saved_on_the_next_call() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-2",
        Duration::ZERO,
    )
    .await;
    let client = s.integration.client(&s.transport);
    s.integration.store.fail_next_saves(100);
    let err = client.me().await.unwrap_err();
    match &err {
        MyCaseError::ReconnectNeeded { reason } => {
            assert!(reason.contains("may need reconnecting"), "{reason}");
            assert!(
                !reason.contains("refresh-2") && !reason.contains("access-2"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.integration.store.current().unwrap().refresh_token,
        "refresh-1"
    );
    assert!(
        s.saved_first.lock().unwrap().is_empty(),
        "unsaved tokens were never used"
    );

    // The store recovers: the tokens MyCase issued are saved, then used; no second refresh.
    s.integration.store.fail_next_saves(0);
    client.me().await.unwrap();
    assert_eq!(s.token_calls.get(), 1);
    assert_eq!(
        s.integration.store.current().unwrap().refresh_token,
        "refresh-2"
    );
    assert_eq!(*s.saved_first.lock().unwrap(), vec![true]);
}

#[tokio::test]
async fn a_few_save_failures_are_retried() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-2",
        Duration::ZERO,
    )
    .await;
    s.integration.store.fail_next_saves(2);
    s.integration.client(&s.transport).me().await.unwrap();
    assert_eq!(s.integration.store.save_count(), 1);
    assert_eq!(
        s.integration.store.current().unwrap().access_token,
        "access-2"
    );
}

#[tokio::test]
async fn a_lease_held_elsewhere_times_out_transiently() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-2",
        Duration::ZERO,
    )
    .await;
    s.integration
        .lease
        .force_hold("another-instance", Duration::from_secs(60));
    let manager = TokenManager::with_timing(
        app(),
        s.integration.store.clone(),
        s.integration.lease.clone(),
        LeaseTiming {
            wait: Duration::from_millis(400),
            ..LeaseTiming::default()
        },
    );
    let started = std::time::Instant::now();
    let err = manager
        .refresh_after_rejection(&s.transport, "access-1")
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(390));
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(err.kind(), "token_store");
    assert_eq!(s.token_calls.get(), 0, "no refresh without the lease");
}

#[tokio::test]
async fn exchange_code_posts_json_and_keeps_firm_uuid() {
    let issued = ResponseTemplate::new(200).set_body_json(
        json!({"access_token": "a1", "token_type": "Bearer", "scope": "x",
                "refresh_token": "r1", "expires_in": 86400,
                "firm_uuid": "1e2d3c4b-0000-4000-8000-000000000000"}),
    );
    let server = stub("POST", "/tokens", issued).await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let tokens = app().exchange_code(&t, "code-xyz").await.unwrap();
    assert_eq!(tokens.access_token, "a1");
    assert_eq!(tokens.refresh_token, "r1");
    assert_eq!(
        tokens.firm_uuid.as_deref(),
        Some("1e2d3c4b-0000-4000-8000-000000000000")
    );
    assert!(!tokens.expires_within(Duration::from_secs(86_000)));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(
        body,
        json!({"client_id": "client-1", "client_secret": "secret-1", "code": "code-xyz",
               "grant_type": "authorization_code", "redirect_uri": "https://hona.test/oauth/mycase"})
    );
    // TokenSet round-trips through the store's JSON.
    let back: TokenSet = serde_json::from_value(serde_json::to_value(&tokens).unwrap()).unwrap();
    assert_eq!(back, tokens);
}

#[tokio::test]
async fn token_endpoint_outages_are_retried() {
    // Mounted first and answering once: the first call is the outage.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tokens"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "a2", "refresh_token": "r2", "expires_in": "86400"}),
        ))
        .mount(&server)
        .await;
    let t = transport(&base(&server), fast_retry(), RateLimiter::unlimited());
    let tokens = app().refresh(&t, "r1").await.unwrap();
    let calls = server.received_requests().await.unwrap().len();
    assert_eq!((tokens.access_token.as_str(), calls), ("a2", 2));
}

#[tokio::test]
async fn missing_tokens_are_a_permanent_store_error() {
    let store = Arc::new(MemoryTokenStore::empty());
    let manager = TokenManager::new(
        app(),
        store,
        Arc::new(mycase_client::fakes::MemoryLease::new()),
    );
    let base = url::Url::parse("http://127.0.0.1:9").unwrap();
    let t = transport(&base, fast_retry(), RateLimiter::unlimited());
    let err = manager.access_token(&t).await.unwrap_err();
    assert_eq!(err.kind(), "token_store");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn refresh_now_rotates_a_token_that_is_still_valid() {
    let s = setup(
        token_set("access-1", "refresh-1", 3600),
        "access-2",
        Duration::ZERO,
    )
    .await;
    let client = s.integration.client(&s.transport);
    client.tokens().refresh_now(&s.transport).await.unwrap();
    assert_eq!(s.token_calls.get(), 1, "refreshed although not expiring");
    let stored = s.integration.store.current().unwrap();
    assert_eq!(
        stored.refresh_token, "refresh-2",
        "the new refresh token is stored"
    );
    assert_eq!(stored.firm_uuid.as_deref(), Some("firm-uuid-1"));
    // The fresh access token is what the next call uses: no second refresh.
    client.me().await.unwrap();
    assert_eq!(s.token_calls.get(), 1);
}
