//! axum's extractors, with rejections in the one error shape. axum's own rejections are
//! plain text with varied statuses (`415` for a missing `content-type`, `422` for a body
//! of the wrong shape); these answer `400` with a code naming the part of the request
//! that was wrong, and a message saying how.

use crate::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The body as JSON, whatever its `content-type` (operators' tools do not always set
/// it). An empty body reads as JSON `null`, so `JsonBody<Option<T>>` makes the body
/// optional and any other `T` refuses it. Refusal: `400 invalid_body`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status().as_u16(), "invalid_body", e.body_text()))?;
        let json: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(json).map(JsonBody).map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                format!("The body is not the JSON this route takes: {e}."),
            )
        })
    }
}

/// The route's path parameters (`{id}`…), each parsed by its type's `Deserialize`, so a
/// malformed id never reaches a handler. Refusal: `400 invalid_path`.
#[derive(Debug, Clone)]
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(params)) => Ok(PathParams(params)),
            // Only a route declared without the parameters its handler reads: our bug.
            Err(e) if e.status().is_server_error() => {
                Err(ApiError::new(500, "internal", e.body_text()))
            }
            Err(e) => Err(ApiError::bad_request(
                "invalid_path",
                format!("The path is not valid: {}.", e.body_text()),
            )),
        }
    }
}

/// The path of a route with one `{id}` (`/integrations/{id}/…`), for
/// `PathParams<IdPath<T>>`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct IdPath<T> {
    pub id: T,
}

/// The query string, parsed into `T` (give optional parameters `Option` fields).
/// Refusal: `400 invalid_query`.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(params)| QueryParams(params))
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("The query string is not valid: {}.", e.body_text()),
                )
            })
    }
}
