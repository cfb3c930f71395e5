//! The one error every Hona HTTP API answers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::borrow::Cow;
use std::fmt::Display;
use tracing::warn;

/// An answer other than success: a status, a stable machine-readable `code` (snake_case;
/// callers branch on it) and a `message` for the person reading it. Answers
/// `{"error": {"code": …, "message": …}}` as `application/json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
}

impl ApiError {
    /// Any status. A status that is not an error status (a slip) answers `500`, so an
    /// error can never read as success.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// `400`: the request itself is wrong; sending it again will not help.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// `404`: what the request names does not exist.
    pub fn not_found(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }

    /// `409`: the request is fine, the state it would act on is not (yet).
    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    /// `503 store_unavailable`: a Hona store did not answer; the same request may
    /// succeed later. `error` is logged (it names the store and operation, no data),
    /// not answered.
    pub fn store_unavailable(error: &dyn Display, message: impl Into<String>) -> Self {
        warn!(error = %error, "store unavailable");
        Self::new(503, "store_unavailable", message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}
