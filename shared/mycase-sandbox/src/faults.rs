//! Fault switches: the misbehaviour integrators report from the live API (reference
//! §3.4–3.5, §11, §12.9), switchable at run time through `/_sandbox/faults`.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode, header};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::errors::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailNext {
    pub status: u16,
    pub count: u32,
    /// Only requests whose path starts with this match (all `/v1` requests if absent).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Only requests with this method match (any if absent).
    #[serde(default)]
    pub method: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Faults {
    /// Delay before a `/v1` request touches any state.
    pub latency_ms: u64,
    // Required even though optional (`null` = off): see `wire` on strict reading.
    #[serde(deserialize_with = "Option::deserialize")]
    pub rate_limit_per_second: Option<f64>,
    /// Whether injected and rate-limit 429s carry `Retry-After: 1`.
    pub retry_after_header: bool,
    /// Status code → probability that a `/v1` request fails with it.
    pub fail_ratio: BTreeMap<String, f64>,
    pub fail_next: Vec<FailNext>,
    pub quirk_custom_field_append: bool,
    /// One-shot: the next fake-S3 PUT is cut off after this many bytes.
    #[serde(deserialize_with = "Option::deserialize")]
    pub cut_put_after_bytes: Option<u64>,
    pub authorize_forbidden: bool,
    pub clients_504_small_pages: bool,
    pub amounts_as_strings: bool,
}

impl Faults {
    pub fn defaults(rate_limit_per_second: Option<f64>) -> Faults {
        Faults {
            latency_ms: 0,
            rate_limit_per_second,
            retry_after_header: true,
            fail_ratio: ["429", "503", "504", "500"]
                .into_iter()
                .map(|k| (k.to_string(), 0.0))
                .collect(),
            fail_next: Vec::new(),
            quirk_custom_field_append: false,
            cut_put_after_bytes: None,
            authorize_forbidden: false,
            clients_504_small_pages: false,
            amounts_as_strings: false,
        }
    }

    /// `base` with the keys present in `patch` replaced (an explicit `null` sets an
    /// optional switch to off). PUT merges onto the defaults, PATCH onto the current state.
    pub fn merged(base: &Faults, patch: &Value) -> Result<Faults, String> {
        let Some(obj) = patch.as_object() else {
            return Err("body must be a JSON object".into());
        };
        let mut v = serde_json::to_value(base).map_err(|e| e.to_string())?;
        for (k, val) in obj {
            if v.get(k).is_none() {
                return Err(format!("unknown fault switch '{k}'"));
            }
            v[k] = val.clone();
        }
        let f: Faults = serde_json::from_value(v).map_err(|e| e.to_string())?;
        for (k, p) in &f.fail_ratio {
            let code: u16 = k
                .parse()
                .map_err(|_| format!("fail_ratio key '{k}' is not a status"))?;
            if !(400..=599).contains(&code) || !(0.0..=1.0).contains(p) {
                return Err(format!(
                    "fail_ratio {k}: status must be 4xx/5xx and ratio within 0..=1"
                ));
            }
        }
        if f.fail_next.iter().any(|n| !(400..=599).contains(&n.status)) {
            return Err("fail_next status must be 4xx/5xx".into());
        }
        Ok(f)
    }

    /// Decides whether this request fails by injection. Consumes one `fail_next` count
    /// when it matches. Called before the handler runs, so nothing has changed yet.
    pub fn inject(&mut self, method: &Method, path: &str, page_size: Option<&str>) -> Option<u16> {
        if let Some(i) = self.fail_next.iter().position(|n| {
            n.count > 0
                && n.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
                && n.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        }) {
            let status = self.fail_next[i].status;
            self.fail_next[i].count -= 1;
            if self.fail_next[i].count == 0 {
                self.fail_next.remove(i);
            }
            return Some(status);
        }
        if self.clients_504_small_pages
            && method == Method::GET
            && path == "/v1/clients"
            && page_size
                .and_then(|s| s.parse::<u32>().ok())
                .is_some_and(|n| n < 5)
        {
            return Some(504);
        }
        let mut rng = rand::rng();
        for (code, p) in &self.fail_ratio {
            if *p > 0.0 && rng.random::<f64>() < *p {
                return code.parse().ok();
            }
        }
        None
    }
}

/// The response of an injected failure, shaped as the real service would send it.
pub fn failure(status: u16, retry_after_header: bool) -> ApiError {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status {
        // API Gateway's own timeout body (reference §3.4), not the API's errors shape.
        504 => ApiError::raw(code, json!({"message": "Endpoint request timed out"})),
        429 => too_many_requests(retry_after_header),
        503 => ApiError::new(
            code,
            "Service Unavailable: MyCase is down for scheduled maintenance",
        ),
        _ => ApiError::new(code, code.canonical_reason().unwrap_or("Error")),
    }
}

pub fn too_many_requests(retry_after_header: bool) -> ApiError {
    let e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    if retry_after_header {
        e.with_header(header::RETRY_AFTER, "1")
    } else {
        e
    }
}
