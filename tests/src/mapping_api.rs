//! The mapping API (`mapping-api` binary) driven as API Gateway (HTTP API, payload v2)
//! delivers requests: used by the form-field e2e tests and the demo.

use crate::Emulator;
use serde_json::{Value, json};
use std::time::Duration;

/// One request to the mapping API, as API Gateway (HTTP API, payload v2) delivers it.
pub async fn api(
    emulator: &Emulator,
    method: &str,
    path: &str,
    query: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut params = serde_json::Map::new();
    for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        params.insert(k.to_owned(), json!(v));
    }
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", "host": "mapping.example"},
        "queryStringParameters": params,
        "requestContext": {
            "accountId": "123456789012", "apiId": "mapping", "domainName": "mapping.example",
            "domainPrefix": "mapping", "requestId": "req", "routeKey": "$default", "stage": "$default",
            "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 1795600800000i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "e2e"}
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    });
    let response = emulator
        .invoke(&event, Duration::from_secs(30))
        .await
        .map_err(|e| anyhow::anyhow!("mapping-api invoke: {e:?}"))?;
    let status = response["statusCode"].as_u64().unwrap_or_default() as u16;
    let body = match response["body"].as_str() {
        Some(text) if !text.is_empty() => serde_json::from_str(text)?,
        _ => Value::Null,
    };
    Ok((status, body))
}

pub async fn save(
    emulator: &Emulator,
    integration: &str,
    form: &str,
    question: &str,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    let path = format!("/integrations/{integration}/forms/{form}/questions/{question}/mapping");
    api(emulator, "PUT", &path, "", Some(body)).await
}
