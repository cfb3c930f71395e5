//! MyCase OAuth 2.0, authorization-code grant only (reference §2).
//!
//! Token requests are JSON bodies POSTed to `{auth_url}/tokens` (not form-encoded). The error
//! body is undocumented; RFC 6749's `{"error":"invalid_grant",…}` with 400 or 401 is assumed
//! and anything else is handled leniently.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::endpoints::MyCaseEndpoints;
use crate::error::{ErrorDetail, MyCaseError, parse_error_body};
use crate::lenient;
use crate::transport::{ApiRequest, Transport};

/// Lifetime assumed when the token response omits `expires_in` (MyCase documents 24 h).
const DEFAULT_EXPIRES_IN_SECS: i64 = 86_400;
/// Token calls get fewer attempts than API calls: a refresh that MyCase processed but whose
/// answer was lost has already consumed the single-use refresh token, so hammering helps
/// little, and the refresh lease must not be held for long.
const TOKEN_MAX_ATTEMPTS: u32 = 3;

/// The partner OAuth application (credentials issued by MyCase support).
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// One integration's tokens, as persisted in the token store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    /// Single use: every refresh returns a new one, and the old one stops working.
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    /// Only returned by the code exchange; carried over across refreshes.
    #[serde(default)]
    pub firm_uuid: Option<String>,
}

impl TokenSet {
    /// Whether the access token expires within `margin` from now (or already has).
    pub fn expires_within(&self, margin: Duration) -> bool {
        chrono::Duration::from_std(margin)
            .ok()
            .and_then(|m| Utc::now().checked_add_signed(m))
            .is_none_or(|limit| self.expires_at <= limit)
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("firm_uuid", &self.firm_uuid)
            .finish()
    }
}

impl OAuthApp {
    /// The browser URL that starts the connection:
    /// `{auth_url}/login_sessions/new?client_id=…&redirect_uri=…&response_type=code&state=…`.
    pub fn authorize_url(&self, endpoints: &MyCaseEndpoints, state: &str) -> Url {
        let mut url = endpoints.auth("login_sessions/new");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("response_type", "code");
            if !state.is_empty() {
                q.append_pair("state", state);
            }
        }
        url
    }

    /// Exchanges the `code` from the redirect for the first token set.
    pub async fn exchange_code(&self, t: &Transport, code: &str) -> Result<TokenSet, MyCaseError> {
        #[derive(Serialize)]
        struct Body<'a> {
            client_id: &'a str,
            client_secret: &'a str,
            code: &'a str,
            grant_type: &'static str,
            redirect_uri: &'a str,
        }
        let body = Body {
            client_id: &self.client_id,
            client_secret: &self.client_secret,
            code,
            grant_type: "authorization_code",
            redirect_uri: &self.redirect_uri,
        };
        token_request(t, &body, Grant::AuthorizationCode).await
    }

    /// Trades a refresh token for a new token set. The given refresh token is consumed:
    /// the caller must persist the returned set before using it (see [`crate::TokenManager`]).
    pub async fn refresh(
        &self,
        t: &Transport,
        refresh_token: &str,
    ) -> Result<TokenSet, MyCaseError> {
        #[derive(Serialize)]
        struct Body<'a> {
            client_id: &'a str,
            client_secret: &'a str,
            refresh_token: &'a str,
            grant_type: &'static str,
        }
        let body = Body {
            client_id: &self.client_id,
            client_secret: &self.client_secret,
            refresh_token,
            grant_type: "refresh_token",
        };
        token_request(t, &body, Grant::RefreshToken(refresh_token)).await
    }
}

#[derive(Clone, Copy)]
enum Grant<'a> {
    AuthorizationCode,
    /// Carries the refresh token sent, reused if the answer (unexpectedly) has none.
    RefreshToken(&'a str),
}

async fn token_request(
    t: &Transport,
    body: &impl Serialize,
    grant: Grant<'_>,
) -> Result<TokenSet, MyCaseError> {
    let json = serde_json::to_vec(body).map_err(|e| MyCaseError::Decode {
        what: "token request",
        cause: lenient::describe_json_error(&e),
    })?;
    let req = ApiRequest {
        method: Method::POST,
        url: t.endpoints().auth("tokens"),
        route: "/tokens",
        bearer: None,
        json_body: Some(&json),
    };
    let attempts = t.retry_policy().max_attempts.min(TOKEN_MAX_ATTEMPTS);
    let resp = t.execute(&req, None, attempts).await?;
    if resp.is_success() {
        return parse_token_response(&resp.body, grant);
    }

    let oauth_error = serde_json::from_slice::<OAuthErrorBody>(&resp.body)
        .ok()
        .and_then(|b| b.error)
        .filter(|e| !e.is_empty());
    tracing::warn!(
        status = resp.status,
        oauth_error = oauth_error.as_deref().unwrap_or(""),
        "MyCase token request refused"
    );
    match (resp.status, oauth_error) {
        (400 | 401, Some(code)) if code == "invalid_grant" => {
            Err(MyCaseError::ReconnectNeeded { reason: code })
        }
        // A refused refresh token without an RFC 6749 body: the token is dead all the same.
        (400 | 401, None) if matches!(grant, Grant::RefreshToken(_)) => {
            Err(MyCaseError::ReconnectNeeded {
                reason: format!("refresh token refused (HTTP {})", resp.status),
            })
        }
        (status, Some(code)) => Err(MyCaseError::Rejected {
            status,
            details: vec![ErrorDetail {
                description: code,
                pointer: None,
                parameter: None,
            }],
        }),
        (status, None) => Err(MyCaseError::Rejected {
            status,
            details: parse_error_body(&resp.body),
        }),
    }
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error: Option<String>,
}

fn parse_token_response(body: &[u8], grant: Grant<'_>) -> Result<TokenSet, MyCaseError> {
    #[derive(Deserialize)]
    struct TokenResponse {
        #[serde(default)]
        access_token: String,
        #[serde(default)]
        refresh_token: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_i64")]
        expires_in: Option<i64>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        firm_uuid: Option<String>,
    }
    let decode_err = |cause: String| MyCaseError::Decode {
        what: "token response",
        cause,
    };
    let r: TokenResponse =
        serde_json::from_slice(body).map_err(|e| decode_err(lenient::describe_json_error(&e)))?;
    if r.access_token.is_empty() {
        return Err(decode_err("no access_token".into()));
    }
    let refresh_token = match (r.refresh_token.filter(|t| !t.is_empty()), grant) {
        (Some(t), _) => t,
        // Not rotated this time: the old one stays valid.
        (None, Grant::RefreshToken(old)) => old.to_owned(),
        (None, Grant::AuthorizationCode) => return Err(decode_err("no refresh_token".into())),
    };
    let expires_in = r.expires_in.unwrap_or(DEFAULT_EXPIRES_IN_SECS).max(0);
    Ok(TokenSet {
        access_token: r.access_token,
        refresh_token,
        expires_at: Utc::now() + chrono::Duration::seconds(expires_in),
        firm_uuid: r.firm_uuid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> OAuthApp {
        OAuthApp {
            client_id: "cid".into(),
            client_secret: "s3cret".into(),
            redirect_uri: "https://hona.example/cb?x=1".into(),
        }
    }

    #[test]
    fn authorize_url_has_required_params() {
        let url = app().authorize_url(&MyCaseEndpoints::default(), "st ate");
        assert_eq!(url.path(), "/login_sessions/new");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            q,
            vec![
                ("client_id".into(), "cid".into()),
                ("redirect_uri".into(), "https://hona.example/cb?x=1".into()),
                ("response_type".into(), "code".into()),
                ("state".into(), "st ate".into()),
            ]
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        assert!(!format!("{:?}", app()).contains("s3cret"));
        let t = TokenSet {
            access_token: "AT".into(),
            refresh_token: "RT".into(),
            expires_at: Utc::now(),
            firm_uuid: None,
        };
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("\"AT\"") && !shown.contains("\"RT\""),
            "{shown}"
        );
    }

    #[test]
    fn token_response_parsing() {
        let t = parse_token_response(
            br#"{"access_token":"a","token_type":"Bearer","scope":"x y","refresh_token":"r",
                "expires_in":"86400","firm_uuid":"f-1","extra":1}"#,
            Grant::AuthorizationCode,
        )
        .unwrap();
        assert_eq!(t.refresh_token, "r");
        assert_eq!(t.firm_uuid.as_deref(), Some("f-1"));
        assert!(!t.expires_within(Duration::from_secs(86_000)));
        assert!(t.expires_within(Duration::from_secs(86_500)));

        let t =
            parse_token_response(br#"{"access_token":"a"}"#, Grant::RefreshToken("old")).unwrap();
        assert_eq!(t.refresh_token, "old");
        assert!(
            parse_token_response(br#"{"access_token":"a"}"#, Grant::AuthorizationCode).is_err()
        );
        assert!(parse_token_response(b"{}", Grant::RefreshToken("old")).is_err());
    }
}
