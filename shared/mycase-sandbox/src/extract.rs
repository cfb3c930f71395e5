//! Request extractors shared by the API routes: a JSON-object body with the API's own 400,
//! the authenticated firm, path ids, and the context a paginated list needs.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::app::AppRef;
use crate::errors::ApiError;

/// A request body that must be a JSON object. Malformed JSON is a 400 in the API's
/// errors shape (axum's own `Json` rejection would be plain text and sometimes 422).
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::bad_request("Could not read the request body"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(JsonBody(m)),
            Ok(_) => Err(ApiError::bad_request(
                "The request body must be a JSON object",
            )),
            Err(_) => Err(ApiError::bad_request("The request body is not valid JSON")),
        }
    }
}

/// Who is calling: set by the `/v1` gate after the bearer token checked out.
#[derive(Debug, Clone)]
pub struct Authed {
    pub firm_uuid: String,
    pub client_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Authed>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// Path ids arrive as strings; anything that is not an id can't name a record: 404.
pub fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().map_err(|_| ApiError::not_found())
}

/// `http://host:port` as the caller addressed us, so links and presigned URLs work
/// whichever interface or name the caller used.
pub fn base_url(headers: &HeaderMap, fallback: &str) -> String {
    match headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        Some(host) if !host.is_empty() => format!("http://{host}"),
        _ => fallback.to_string(),
    }
}

/// Everything a list endpoint needs to page and to build its `Link` header.
pub struct ListCtx {
    pub params: HashMap<String, String>,
    pub raw_query: String,
    pub path: String,
    pub base: String,
    pub secret: [u8; 32],
}

impl FromRequestParts<AppRef> for ListCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppRef) -> Result<Self, ApiError> {
        // Under `nest("/v1")` the request URI has lost its prefix; links need the original.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let raw_query = uri.query().unwrap_or("").to_string();
        let params = url::form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect();
        Ok(ListCtx {
            params,
            raw_query,
            path: uri.path().to_string(),
            base: base_url(&parts.headers, &app.base_url),
            secret: app.secret,
        })
    }
}

impl ListCtx {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}
