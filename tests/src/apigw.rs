//! API Gateway HTTP API (payload format 2.0) events, as API Gateway hands them to the
//! HTTP functions (`connect-mycase`, `admin-api`), and reading their answers.

use serde_json::{Value, json};

/// A `GET`/`POST`/… request event. `query` is decoded pairs; `body` is JSON text.
pub fn request(method: &str, path: &str, query: &[(&str, &str)], body: Option<&str>) -> Value {
    let raw_query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let params: serde_json::Map<String, Value> = query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {"accept": "application/json", "content-type": "application/json", "host": "hona.example"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "hona.example",
            "domainPrefix": "hona",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "hona-e2e"},
            "requestId": format!("req-{}", rand::random::<u32>()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:21:00:00 +0000",
            "timeEpoch": 1_795_000_000_000u64
        },
        "isBase64Encoded": false
    });
    if !params.is_empty() {
        event["queryStringParameters"] = Value::Object(params);
    }
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event
}

/// An HTTP function's answer: status, a header, and the body (parsed as JSON when it is).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Value,
    pub body: String,
}

impl Answer {
    pub fn from_response(v: &Value) -> Self {
        Self {
            status: v["statusCode"].as_u64().unwrap_or_default() as u16,
            headers: v["headers"].clone(),
            body: v["body"].as_str().unwrap_or_default().to_owned(),
        }
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers[name].as_str()
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}
