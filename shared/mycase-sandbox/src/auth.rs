//! The fake authorization server (reference §2, §12.2): the authorize page, the code and
//! refresh grants on `/tokens` with rotating single-use refresh tokens, and bearer-token
//! checks for `/v1`. Tokens are JWT-shaped but the sandbox's own table is authoritative,
//! so admin calls can expire or revoke them regardless of their `exp` claim.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::app::{AppRef, lock};
use crate::clock;
use crate::config::OAuthClientReg;
use crate::crypto;
use crate::errors::ApiError;
use crate::extract::Authed;
use crate::page::esc;

const SCOPE: &str = "cases clients leads notes messages documents custom_fields staff firm";
const CODE_TTL_SECS: i64 = 600;

#[derive(Debug)]
struct AuthCode {
    firm_uuid: String,
    client_id: String,
    redirect_uri: String,
    expires_at: DateTime<Utc>,
}

#[derive(Debug)]
struct AccessToken {
    firm_uuid: String,
    client_id: String,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, PartialEq)]
enum RefreshState {
    Active,
    Used,
    Revoked,
}

#[derive(Debug)]
struct RefreshToken {
    firm_uuid: String,
    client_id: String,
    expires_at: DateTime<Utc>,
    state: RefreshState,
}

#[derive(Debug, Default)]
pub struct AuthStore {
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
}

impl AuthStore {
    /// Makes every access token (of one firm, or all) expire now. Returns how many.
    pub fn expire_access(&mut self, firm: Option<&str>) -> usize {
        let now = clock::now();
        let mut n = 0;
        for t in self.access.values_mut() {
            if firm.is_none_or(|f| f == t.firm_uuid) && t.expires_at > now {
                t.expires_at = now;
                n += 1;
            }
        }
        n
    }

    /// Revokes everything a firm was issued: access tokens stop working and every refresh
    /// token (used or not) answers `invalid_grant`. Returns (access, refresh) counts.
    pub fn revoke_firm(&mut self, firm: &str) -> (usize, usize) {
        let before = self.access.len();
        self.access.retain(|_, t| t.firm_uuid != firm);
        let mut refresh = 0;
        for t in self.refresh.values_mut().filter(|t| t.firm_uuid == firm) {
            if t.state != RefreshState::Revoked {
                t.state = RefreshState::Revoked;
                refresh += 1;
            }
        }
        (before - self.access.len(), refresh)
    }
}

fn jwt(secret: &[u8], claims: &Value) -> String {
    let head = crypto::b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = crypto::b64url(claims.to_string().as_bytes());
    let sig = crypto::hmac_sha256(secret, format!("{head}.{body}").as_bytes());
    format!("{head}.{body}.{}", crypto::b64url(&sig))
}

/// Issues an access + refresh token pair. `firm_uuid` is in the response only for the
/// code exchange (and the admin grant), as on the real `/tokens` (reference §2).
pub fn issue(app: &AppRef, firm_uuid: &str, client_id: &str, include_firm: bool) -> Value {
    let now = clock::now();
    let access_ttl = Duration::from_std(app.config.access_token_ttl).unwrap_or(Duration::days(1));
    let refresh_ttl =
        Duration::from_std(app.config.refresh_token_ttl).unwrap_or(Duration::days(14));
    let exp = now + access_ttl;
    let access = jwt(
        &app.secret,
        &json!({
            "iss": "mycase-sandbox",
            "firm_uuid": firm_uuid,
            "client_id": client_id,
            "scope": SCOPE,
            "iat": now.timestamp(),
            "exp": exp.timestamp(),
            "jti": crypto::uuid_v4(),
        }),
    );
    let refresh = crypto::random_token();
    let mut store = lock(&app.auth);
    store.access.insert(
        access.clone(),
        AccessToken {
            firm_uuid: firm_uuid.into(),
            client_id: client_id.into(),
            expires_at: exp,
        },
    );
    store.refresh.insert(
        refresh.clone(),
        RefreshToken {
            firm_uuid: firm_uuid.into(),
            client_id: client_id.into(),
            expires_at: now + refresh_ttl,
            state: RefreshState::Active,
        },
    );
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "scope": SCOPE,
        "refresh_token": refresh,
        "expires_in": access_ttl.num_seconds(),
    });
    if include_firm {
        body["firm_uuid"] = json!(firm_uuid);
    }
    body
}

/// Checks `Authorization: Bearer …` for a `/v1` request.
pub fn authenticate(app: &AppRef, headers: &HeaderMap) -> Result<Authed, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            let (scheme, tok) = h.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| tok.trim())
        })
        .ok_or_else(ApiError::unauthenticated)?;
    let store = lock(&app.auth);
    let t = store
        .access
        .get(token)
        .ok_or_else(ApiError::unauthenticated)?;
    if t.expires_at <= clock::now() {
        return Err(ApiError::unauthenticated());
    }
    Ok(Authed {
        firm_uuid: t.firm_uuid.clone(),
        client_id: t.client_id.clone(),
    })
}

fn find_client<'a>(app: &'a AppRef, client_id: &str) -> Option<&'a OAuthClientReg> {
    app.config
        .oauth_clients
        .iter()
        .find(|c| c.client_id == client_id)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn html_page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#222}}\
         a.btn{{display:inline-block;padding:.3rem .8rem;margin:0 .3rem;border-radius:4px;text-decoration:none;color:#fff}}\
         .grant{{background:#2b7a3d}}.deny{{background:#a33}}li{{margin:.6rem 0}}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    );
    (status, Html(page)).into_response()
}

fn redirect_to(uri: &str, pairs: &[(&str, &str)]) -> Response {
    match url::Url::parse(uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            (StatusCode::FOUND, [(header::LOCATION, u.to_string())]).into_response()
        }
        Err(_) => html_page(StatusCode::BAD_REQUEST, "Bad redirect_uri", ""),
    }
}

fn reject(resp: Response) -> Result<(), Box<Response>> {
    Err(Box::new(resp))
}

/// Validates the authorize parameters shared by the page and the decision link. On
/// failure returns the response to send instead.
fn check_authorize(app: &AppRef, q: &HashMap<String, String>) -> Result<(), Box<Response>> {
    let client_id = q.get("client_id").map(String::as_str).unwrap_or("");
    let Some(client) = find_client(app, client_id) else {
        return reject(html_page(StatusCode::BAD_REQUEST, "Unknown client_id", ""));
    };
    let redirect_uri = q.get("redirect_uri").map(String::as_str).unwrap_or("");
    if redirect_uri != client.redirect_uri {
        // Never redirect to an unregistered URI: show the error here instead.
        return reject(html_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri does not match the registered one",
            "",
        ));
    }
    if lock(&app.faults).authorize_forbidden {
        return reject(html_page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "<p>You do not have permission to authorize external applications. \
             Ask a user with the <em>Manage your firm's preferences, billing, and payment \
             options</em> permission.</p>",
        ));
    }
    if q.get("response_type").map(String::as_str) != Some("code") {
        let mut pairs = vec![("error", "unsupported_response_type")];
        if let Some(s) = q.get("state") {
            pairs.push(("state", s));
        }
        return reject(redirect_to(redirect_uri, &pairs));
    }
    Ok(())
}

/// `GET /login_sessions/new`: pick a firm, then Grant or Deny.
pub async fn login_page(
    State(app): State<AppRef>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(resp) = check_authorize(&app, &q) {
        return *resp;
    }
    let firms: Vec<(String, String)> = lock(&app.store)
        .firms
        .iter()
        .map(|f| (f.uuid.clone(), f.name.clone()))
        .collect();
    let link = |uuid: &str, decision: &str| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for k in ["client_id", "redirect_uri", "response_type", "state"] {
            if let Some(v) = q.get(k) {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("firm_uuid", uuid)
            .append_pair("decision", decision);
        format!("/login_sessions/decide?{}", ser.finish())
    };
    let mut body = format!(
        "<p>The application <strong>{}</strong> wants to access your firm's MyCase data.</p>",
        esc(q.get("client_id").map(String::as_str).unwrap_or(""))
    );
    if firms.is_empty() {
        body.push_str(
            "<p>No firms exist yet. Create one with <code>POST /_sandbox/firms</code>.</p>",
        );
    }
    body.push_str("<ul>");
    for (uuid, name) in &firms {
        body.push_str(&format!(
            "<li><strong>{}</strong> <small>{}</small><br><a class=\"btn grant\" href=\"{}\">Grant</a>\
             <a class=\"btn deny\" href=\"{}\">Deny</a></li>",
            esc(name),
            esc(uuid),
            esc(&link(uuid, "grant")),
            esc(&link(uuid, "deny")),
        ));
    }
    body.push_str("</ul>");
    html_page(StatusCode::OK, "Authorize application", &body)
}

/// `GET /login_sessions/decide`: the Grant / Deny links land here and redirect back.
pub async fn decide(
    State(app): State<AppRef>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(resp) = check_authorize(&app, &q) {
        return *resp;
    }
    let redirect_uri = q["redirect_uri"].clone();
    let state = q.get("state").cloned();
    let firm_uuid = q.get("firm_uuid").cloned().unwrap_or_default();
    if lock(&app.store).firm(&firm_uuid).is_none() {
        return html_page(StatusCode::BAD_REQUEST, "Unknown firm", "");
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let code;
    if q.get("decision").map(String::as_str) == Some("grant") {
        code = crypto::random_token();
        lock(&app.auth).codes.insert(
            code.clone(),
            AuthCode {
                firm_uuid,
                client_id: q["client_id"].clone(),
                redirect_uri: redirect_uri.clone(),
                expires_at: clock::now() + Duration::seconds(CODE_TTL_SECS),
            },
        );
        pairs.push(("code", &code));
    } else {
        pairs.push(("error", "access_denied"));
    }
    if let Some(s) = &state {
        pairs.push(("state", s));
    }
    redirect_to(&redirect_uri, &pairs)
}

/// Reads the `/tokens` body: JSON as documented, form-encoded leniently (some clients
/// send that, reference §2).
fn token_params(headers: &HeaderMap, body: &Bytes) -> HashMap<String, String> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form && let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
        return m
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect();
    }
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Client credentials from the body, or from HTTP Basic auth.
fn client_credentials(headers: &HeaderMap, p: &HashMap<String, String>) -> (String, String) {
    if let (Some(id), Some(secret)) = (p.get("client_id"), p.get("client_secret")) {
        return (id.clone(), secret.clone());
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    basic.unwrap_or_default()
}

/// `POST /tokens`.
pub async fn token(State(app): State<AppRef>, headers: HeaderMap, body: Bytes) -> Response {
    let p = token_params(&headers, &body);
    let (client_id, client_secret) = client_credentials(&headers, &p);
    let grant_type = p.get("grant_type").cloned().unwrap_or_default();
    let client_ok = find_client(&app, &client_id)
        .is_some_and(|c| crypto::ct_eq(c.client_secret.as_bytes(), client_secret.as_bytes()));
    if !client_ok {
        if grant_type == "refresh_token" {
            lock(&app.stats).refresh_rejected += 1;
        }
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    match grant_type.as_str() {
        "authorization_code" => exchange_code(&app, &client_id, &p),
        "refresh_token" => {
            let resp = refresh(&app, &client_id, &p);
            let mut stats = lock(&app.stats);
            if resp.status().is_success() {
                stats.token_refreshes += 1;
            } else {
                stats.refresh_rejected += 1;
            }
            resp
        }
        "" => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        ),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
    }
}

fn exchange_code(app: &AppRef, client_id: &str, p: &HashMap<String, String>) -> Response {
    let Some(code) = p.get("code") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is required",
        );
    };
    let firm_uuid = {
        let mut store = lock(&app.auth);
        // Single use: the code is gone whether or not the exchange then succeeds.
        let Some(c) = store.codes.remove(code) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "authorization code is invalid or already used",
            );
        };
        if c.expires_at <= clock::now() {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "authorization code has expired",
            );
        }
        if c.client_id != client_id {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "authorization code was issued to another client",
            );
        }
        if p.get("redirect_uri") != Some(&c.redirect_uri) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "redirect_uri does not match",
            );
        }
        c.firm_uuid
    };
    let body = issue(app, &firm_uuid, client_id, true);
    lock(&app.stats).token_exchanges += 1;
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn refresh(app: &AppRef, client_id: &str, p: &HashMap<String, String>) -> Response {
    let Some(rt) = p.get("refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required",
        );
    };
    let firm_uuid = {
        let mut store = lock(&app.auth);
        let Some(t) = store.refresh.get_mut(rt) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "refresh token is invalid",
            );
        };
        let problem = match t.state {
            RefreshState::Used => Some("refresh token already used"),
            RefreshState::Revoked => Some("refresh token has been revoked"),
            RefreshState::Active if t.expires_at <= clock::now() => {
                Some("refresh token has expired")
            }
            RefreshState::Active if t.client_id != client_id => {
                Some("refresh token was issued to another client")
            }
            RefreshState::Active => None,
        };
        if let Some(desc) = problem {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", desc);
        }
        // Rotation: this token is spent; earlier access tokens stay valid until they expire.
        t.state = RefreshState::Used;
        t.firm_uuid.clone()
    };
    (
        StatusCode::OK,
        axum::Json(issue(app, &firm_uuid, client_id, false)),
    )
        .into_response()
}
