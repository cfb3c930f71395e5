//! Typed errors of the MyCase client.
//!
//! Every message here is safe to log: MyCase's error `description`s can echo what was sent
//! (a client's name, an email), so `Display` shows only status codes, JSON pointers and query
//! parameter names. The descriptions stay reachable through [`MyCaseError::descriptions`] for
//! the ledger, which is access-controlled, unlike logs.

use std::fmt;

/// One entry of a MyCase error body (reference §3.4).
///
/// Built from either `{"errors":[{"description","source":{"pointer"|"parameter"}}]}` or the
/// API-Gateway shape `{"message":"…"}` (then only `description` is set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDetail {
    /// Human text from MyCase. May contain personal data: never log it.
    pub description: String,
    /// JSON pointer into the request body, e.g. `/name`.
    pub pointer: Option<String>,
    /// Query parameter at fault, e.g. `filter[status]`.
    pub parameter: Option<String>,
}

/// Failure of a token store or refresh lease (the ports in [`crate::tokens`]).
///
/// Implementations must not put secrets into `message`: it is logged and displayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token store: {message}")]
pub struct TokenStoreError {
    message: String,
    transient: bool,
}

impl TokenStoreError {
    pub fn new(message: impl Into<String>, transient: bool) -> Self {
        Self {
            message: message.into(),
            transient,
        }
    }

    /// A failure worth retrying later (throttling, network).
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(message, true)
    }

    /// A failure that retrying will not fix (missing secret, access denied, bad format).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(message, false)
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

/// Everything a MyCase call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MyCaseError {
    /// MyCase refused the request (400, 403, 404, 409, 413, 422 and any other non-retryable
    /// status). Permanent: sending the same request again will fail the same way.
    #[error(
        "MyCase rejected the request (HTTP {status}){}",
        DetailSources(details)
    )]
    Rejected {
        status: u16,
        details: Vec<ErrorDetail>,
    },
    /// MyCase answered 401 again right after a successful token refresh. Permanent.
    #[error("MyCase rejected a freshly refreshed access token (HTTP 401)")]
    Unauthorized,
    /// The refresh token is no longer accepted (or the rotated one could not be stored): a
    /// firm admin must connect MyCase again. Permanent.
    #[error("the MyCase connection must be re-authorised: {reason}")]
    ReconnectNeeded { reason: String },
    /// MyCase (or the network) kept failing until the retry budget ran out. Transient.
    #[error("MyCase unavailable after {attempts} attempt(s){}: {cause}", StatusSuffix(*status))]
    Unavailable {
        status: Option<u16>,
        attempts: u32,
        cause: String,
    },
    /// The caller's deadline left no time for another attempt or back-off. Transient.
    #[error("deadline reached before MyCase answered successfully")]
    DeadlineReached,
    /// A 2xx answer whose body did not have the expected shape. Permanent.
    #[error("could not decode {what}: {cause}")]
    Decode { what: &'static str, cause: String },
    /// The token store or refresh lease failed.
    #[error(transparent)]
    Token(#[from] TokenStoreError),
    /// The presigned S3 upload was refused; `code` is the S3 XML `<Code>` (e.g.
    /// `AccessDenied`, `SignatureDoesNotMatch`), or empty when the body had none.
    #[error("document upload refused (HTTP {status}, code {code:?})")]
    Upload { status: u16, code: String },
}

impl MyCaseError {
    /// Whether the same operation may succeed if tried again later.
    pub fn is_transient(&self) -> bool {
        match self {
            MyCaseError::Unavailable { .. } | MyCaseError::DeadlineReached => true,
            MyCaseError::Token(e) => e.is_transient(),
            // S3 asks to slow down or had an internal error; a fresh upload may pass.
            MyCaseError::Upload { status, code } => {
                *status == 429
                    || *status >= 500
                    || matches!(
                        code.as_str(),
                        "SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable"
                    )
            }
            MyCaseError::Rejected { .. }
            | MyCaseError::Unauthorized
            | MyCaseError::ReconnectNeeded { .. }
            | MyCaseError::Decode { .. } => false,
        }
    }

    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            MyCaseError::Rejected { status, .. } | MyCaseError::Upload { status, .. } => {
                Some(*status)
            }
            MyCaseError::Unauthorized => Some(401),
            MyCaseError::Unavailable { status, .. } => *status,
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, MyCaseError::Rejected { status: 404, .. })
    }

    /// A stable, machine-readable name for ledgers, metrics and log fields.
    pub fn kind(&self) -> &'static str {
        match self {
            MyCaseError::Rejected { status, .. } => match status {
                400 => "rejected_400",
                403 => "rejected_403",
                404 => "rejected_404",
                409 => "rejected_409",
                413 => "rejected_413",
                422 => "rejected_422",
                _ => "rejected",
            },
            MyCaseError::Unauthorized => "unauthorized",
            MyCaseError::ReconnectNeeded { .. } => "reconnect_needed",
            MyCaseError::Unavailable { .. } => "unavailable",
            MyCaseError::DeadlineReached => "deadline_reached",
            MyCaseError::Decode { .. } => "decode",
            MyCaseError::Token(_) => "token_store",
            MyCaseError::Upload { .. } => "upload_rejected",
        }
    }

    /// The details of a [`MyCaseError::Rejected`] (empty otherwise).
    pub fn details(&self) -> &[ErrorDetail] {
        match self {
            MyCaseError::Rejected { details, .. } => details,
            _ => &[],
        }
    }

    /// MyCase's human descriptions, for the ledger only: they may echo personal data, so they
    /// must never reach a log line.
    pub fn descriptions(&self) -> Vec<&str> {
        self.details()
            .iter()
            .map(|d| d.description.as_str())
            .filter(|d| !d.is_empty())
            .collect()
    }
}

/// Renders `: pointer /name, parameter filter[status]` (never the descriptions).
struct DetailSources<'a>(&'a [ErrorDetail]);

impl fmt::Display for DetailSources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for d in self.0 {
            for (label, value) in [("pointer", &d.pointer), ("parameter", &d.parameter)] {
                if let Some(v) = value {
                    f.write_str(if first { ": " } else { ", " })?;
                    write!(f, "{label} {v}")?;
                    first = false;
                }
            }
        }
        Ok(())
    }
}

struct StatusSuffix(Option<u16>);

impl fmt::Display for StatusSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, " (last HTTP {s})"),
            None => Ok(()),
        }
    }
}

/// Parses a MyCase error body, accepting both documented and API-Gateway shapes. Anything else
/// (HTML, empty) gives no details rather than an error: the status alone still classifies it.
pub(crate) fn parse_error_body(body: &[u8]) -> Vec<ErrorDetail> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Option<Vec<Entry>>,
        #[serde(default)]
        message: Option<serde_json::Value>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        description: Option<serde_json::Value>,
        #[serde(default)]
        source: Option<Source>,
    }
    #[derive(serde::Deserialize)]
    struct Source {
        #[serde(default)]
        pointer: Option<serde_json::Value>,
        #[serde(default)]
        parameter: Option<serde_json::Value>,
    }
    fn text(v: Option<serde_json::Value>) -> Option<String> {
        match v? {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    let Ok(parsed) = serde_json::from_slice::<Body>(body) else {
        return Vec::new();
    };
    let mut out: Vec<ErrorDetail> = parsed
        .errors
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let (pointer, parameter) = match e.source {
                Some(s) => (text(s.pointer), text(s.parameter)),
                None => (None, None),
            };
            ErrorDetail {
                description: text(e.description).unwrap_or_default(),
                pointer,
                parameter,
            }
        })
        .collect();
    if out.is_empty()
        && let Some(message) = text(parsed.message)
    {
        out.push(ErrorDetail {
            description: message,
            ..ErrorDetail::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_errors_array() {
        let body =
            br#"{"errors":[{"description":"Name taken by Jane Doe","source":{"pointer":"/name"}},
            {"description":"bad","source":{"parameter":"filter[status]"}}]}"#;
        let d = parse_error_body(body);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].pointer.as_deref(), Some("/name"));
        assert_eq!(d[1].parameter.as_deref(), Some("filter[status]"));
        let e = MyCaseError::Rejected {
            status: 422,
            details: d,
        };
        let shown = e.to_string();
        assert!(shown.contains("422") && shown.contains("/name"), "{shown}");
        assert!(shown.contains("filter[status]"), "{shown}");
        assert!(
            !shown.contains("Jane"),
            "descriptions must not be displayed: {shown}"
        );
        assert_eq!(e.descriptions(), vec!["Name taken by Jane Doe", "bad"]);
        assert_eq!(e.kind(), "rejected_422");
        assert!(!e.is_transient());
    }

    #[test]
    fn parses_message_shape_and_garbage() {
        let d = parse_error_body(br#"{"message":"Endpoint request timed out"}"#);
        assert_eq!(d[0].description, "Endpoint request timed out");
        assert!(parse_error_body(b"<html>").is_empty());
        assert!(parse_error_body(b"").is_empty());
    }

    #[test]
    fn classification() {
        assert!(
            MyCaseError::Unavailable {
                status: Some(503),
                attempts: 6,
                cause: "x".into()
            }
            .is_transient()
        );
        assert!(MyCaseError::DeadlineReached.is_transient());
        assert!(MyCaseError::Token(TokenStoreError::transient("throttled")).is_transient());
        assert!(!MyCaseError::Token(TokenStoreError::permanent("missing")).is_transient());
        assert!(
            MyCaseError::Rejected {
                status: 404,
                details: vec![]
            }
            .is_not_found()
        );
        assert_eq!(MyCaseError::Unauthorized.status(), Some(401));
        assert_eq!(
            MyCaseError::Upload {
                status: 403,
                code: "AccessDenied".into()
            }
            .kind(),
            "upload_rejected"
        );
    }
}
