//! A typed client for the sandbox's `/_sandbox` admin endpoints (feature `client`), used
//! by the end-to-end tests, the demo and the benchmark. Answers are read into the
//! [`crate::wire`] types strictly: a missing field is an error naming the endpoint, so a
//! test fails loudly instead of reading 0.

use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::wire::{CreatedFirm, ExpiredTokens, Faults, FirmState, Grant, Revoked, Stats};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{method} {path}: {source}")]
    Transport {
        method: Method,
        path: String,
        source: reqwest::Error,
    },
    /// Admin answers carry ids and validation messages, never message bodies, so the
    /// (truncated) body is safe to show.
    #[error("{method} {path}: HTTP {status}: {body}")]
    Status {
        method: Method,
        path: String,
        status: u16,
        body: String,
    },
    #[error("{method} {path}: unexpected answer ({source}): {body}")]
    Decode {
        method: Method,
        path: String,
        source: serde_json::Error,
        body: String,
    },
}

/// The sandbox at `base_url` (`http://127.0.0.1:PORT`, as [`crate::Sandbox::base_url`]).
#[derive(Debug, Clone)]
pub struct SandboxClient {
    base_url: String,
    http: reqwest::Client,
}

impl SandboxClient {
    pub fn new(base_url: impl Into<String>) -> SandboxClient {
        let http = reqwest::Client::builder()
            // Generous: a state dump of a benchmark firm is large, a debug build slow.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a reqwest client with a timeout builds");
        SandboxClient {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /_sandbox/firms` with a firm spec (`name`, `staff`, `clients`, `cases`, …).
    pub async fn create_firm(&self, spec: &Value) -> Result<CreatedFirm, ClientError> {
        self.call(Method::POST, "/_sandbox/firms", Some(spec)).await
    }

    /// `POST /_sandbox/firms/{uuid}/grant`: a fresh token pair for `client_id`, or for the
    /// first registered OAuth client when `None`.
    pub async fn grant(
        &self,
        firm_uuid: &str,
        client_id: Option<&str>,
    ) -> Result<Grant, ClientError> {
        let body = match client_id {
            Some(c) => json!({ "client_id": c }),
            None => json!({}),
        };
        let path = format!("/_sandbox/firms/{firm_uuid}/grant");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST /_sandbox/firms/{uuid}/revoke`: every token of the firm stops working.
    pub async fn revoke(&self, firm_uuid: &str) -> Result<Revoked, ClientError> {
        let path = format!("/_sandbox/firms/{firm_uuid}/revoke");
        self.call(Method::POST, &path, None).await
    }

    /// `POST /_sandbox/firms/{uuid}/custom_fields/{id}/retype`, as a MyCase admin can.
    pub async fn retype_field(
        &self,
        firm_uuid: &str,
        field_id: i64,
        field_type: &str,
    ) -> Result<(), ClientError> {
        let path = format!("/_sandbox/firms/{firm_uuid}/custom_fields/{field_id}/retype");
        let body = json!({ "field_type": field_type });
        self.call::<Value>(Method::POST, &path, Some(&body)).await?;
        Ok(())
    }

    /// `GET /_sandbox/firms/{uuid}/state`.
    pub async fn firm_state(&self, firm_uuid: &str) -> Result<FirmState, ClientError> {
        let path = format!("/_sandbox/firms/{firm_uuid}/state");
        let raw: Value = self.call(Method::GET, &path, None).await?;
        let mut state: FirmState = decode(Method::GET, &path, &raw)?;
        state.raw = raw;
        Ok(state)
    }

    /// `POST /_sandbox/tokens/expire`: every access token (of every firm) expires now.
    pub async fn expire_access_tokens(&self) -> Result<ExpiredTokens, ClientError> {
        self.call(Method::POST, "/_sandbox/tokens/expire", Some(&json!({})))
            .await
    }

    pub async fn faults(&self) -> Result<Faults, ClientError> {
        self.call(Method::GET, "/_sandbox/faults", None).await
    }

    /// `PATCH /_sandbox/faults`: the switches given change (`null` turns one off), the
    /// others keep their value. Answers the whole new state.
    pub async fn patch_faults(&self, patch: &Value) -> Result<Faults, ClientError> {
        self.call(Method::PATCH, "/_sandbox/faults", Some(patch))
            .await
    }

    pub async fn stats(&self) -> Result<Stats, ClientError> {
        self.call(Method::GET, "/_sandbox/stats", None).await
    }

    pub async fn reset_stats(&self) -> Result<Stats, ClientError> {
        self.call(Method::POST, "/_sandbox/stats/reset", None).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ClientError> {
        let transport = |source| ClientError::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source,
        };
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(ClientError::Status {
                method,
                path: path.to_owned(),
                status: status.as_u16(),
                body: truncate(&text, 300).to_owned(),
            });
        }
        serde_json::from_str(&text).map_err(|source| ClientError::Decode {
            method,
            path: path.to_owned(),
            source,
            body: truncate(&text, 300).to_owned(),
        })
    }
}

/// Reads `raw` without consuming it (the state dump is kept whole next to its typed view).
fn decode<T: DeserializeOwned>(method: Method, path: &str, raw: &Value) -> Result<T, ClientError> {
    T::deserialize(raw).map_err(|source| ClientError::Decode {
        method,
        path: path.to_owned(),
        source,
        body: truncate(&raw.to_string(), 300).to_owned(),
    })
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
