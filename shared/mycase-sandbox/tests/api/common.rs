//! Helpers: a sandbox per test, firms seeded through the admin API, bearer calls.

use mycase_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "hona-local-client";
pub const CLIENT_SECRET: &str = "hona-local-secret";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8787/oauth/callback";

pub struct Env {
    pub sandbox: Sandbox,
    pub base: String,
    pub http: reqwest::Client,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A sandbox without the rate limit (tests that want it turn it on).
pub async fn start() -> Env {
    start_with(SandboxConfig {
        rate_limit_per_second: None,
        ..SandboxConfig::default()
    })
    .await
}

pub async fn start_with(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let base = sandbox.base_url();
    Env {
        sandbox,
        base,
        http: http(),
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn admin_json(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let resp = self.admin(method, path, body).await;
        assert!(
            resp.status().is_success(),
            "admin call {path} failed: {}",
            resp.status()
        );
        resp.json().await.unwrap()
    }

    /// Creates a firm and returns (created ids JSON, an API handle with a granted token).
    pub async fn firm(&self, spec: Value) -> (Value, Api) {
        let resp = self
            .admin(Method::POST, "/_sandbox/firms", Some(spec))
            .await;
        assert_eq!(resp.status(), 201);
        let created: Value = resp.json().await.unwrap();
        let uuid = created["firm_uuid"].as_str().unwrap().to_string();
        let api = self.api_for(&uuid).await;
        (created, api)
    }

    pub async fn api_for(&self, uuid: &str) -> Api {
        let tokens = self
            .admin_json(Method::POST, &format!("/_sandbox/firms/{uuid}/grant"), None)
            .await;
        Api {
            base: self.base.clone(),
            http: self.http.clone(),
            token: tokens["access_token"].as_str().unwrap().to_string(),
            uuid: uuid.to_string(),
        }
    }

    pub async fn faults(&self, body: Value) -> Value {
        self.admin_json(Method::PUT, "/_sandbox/faults", Some(body))
            .await
    }

    pub async fn state(&self, uuid: &str) -> Value {
        self.admin_json(Method::GET, &format!("/_sandbox/firms/{uuid}/state"), None)
            .await
    }

    pub async fn stats(&self) -> Value {
        self.admin_json(Method::GET, "/_sandbox/stats", None).await
    }
}

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    pub uuid: String,
}

impl Api {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut req = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// GET expecting 200 and a JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }
}

/// The single error's pointer of a 422 body.
pub async fn pointers(resp: Response) -> Vec<String> {
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap_or("").to_string())
        .collect()
}

/// One firm with two clients, one case, and a case field of each interesting type.
pub fn standard_firm() -> Value {
    json!({
        "name": "Test & Partners",
        "staff": [{"first_name": "Ana", "last_name": "Lopez", "email": "ana@firm.example"}],
        "clients": [
            {"first_name": "Lucia", "last_name": "Fernandez", "email": "lucia@example.com", "cell_phone_number": "+15125550101"},
            {"first_name": "Tomas", "last_name": "Okafor", "email": "tomas@example.com"}
        ],
        "cases": [{"name": "Fernandez - Asylum", "client_indexes": [0]}],
        "custom_fields": [
            {"name": "Case Type", "parent_type": "case", "field_type": "list", "list_options": ["Asylum", "Work Visa"]},
            {"name": "Fee", "parent_type": "case", "field_type": "numeric"},
            {"name": "Hearing", "parent_type": "case", "field_type": "date"},
            {"name": "Retainer", "parent_type": "case", "field_type": "currency"},
            {"name": "Summary", "parent_type": "case", "field_type": "short_text"},
            {"name": "Language", "parent_type": "client", "field_type": "short_text"}
        ]
    })
}

pub fn id(v: &Value, key: &str, i: usize) -> i64 {
    v[key][i].as_i64().unwrap()
}
