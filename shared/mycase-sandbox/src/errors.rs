//! The API's error body, `{"errors":[{"description":…,"source":{"pointer"|"parameter":…}}]}`
//! (reference §3.4), and a collector for field validation errors.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

pub type ApiResult = Result<Response, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, description: &str) -> Self {
        Self::raw(status, json!({"errors": [{"description": description}]}))
    }

    /// A body that is not the usual errors shape (API-Gateway 504, OAuth errors).
    pub fn raw(status: StatusCode, body: Value) -> Self {
        ApiError {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Record not found")
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Not authenticated")
    }

    pub fn bad_request(description: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    pub fn bad_param(parameter: &str, description: &str) -> Self {
        Self::raw(
            StatusCode::BAD_REQUEST,
            json!({"errors": [{"description": description, "source": {"parameter": parameter}}]}),
        )
    }

    pub fn unprocessable(pointer: &str, description: &str) -> Self {
        let mut e = FieldErrors::default();
        e.push(pointer, description);
        e.into_error()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        for (k, v) in self.headers {
            resp.headers_mut().insert(k, v);
        }
        resp
    }
}

/// Collects every 422 problem of one request body so the caller sees them all at once,
/// each with a JSON pointer into what it sent.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<Value>);

impl FieldErrors {
    pub fn push(&mut self, pointer: &str, description: &str) {
        self.0
            .push(json!({"description": description, "source": {"pointer": pointer}}));
    }

    fn into_error(self) -> ApiError {
        ApiError::raw(StatusCode::UNPROCESSABLE_ENTITY, json!({"errors": self.0}))
    }

    pub fn check(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }
}
