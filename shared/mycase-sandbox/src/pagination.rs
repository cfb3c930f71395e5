//! Cursor pagination as MyCase documents it (reference §3.1): `page_size` 1..=1000
//! (default 25), an opaque `page_token` that expires after 3 days, a `Link: <…>; rel="next"`
//! header only while more items remain, an `Item-Count` header with the total, and a bare
//! JSON array body.
//!
//! The cursor is "the last id returned" rather than an offset, so records created while a
//! client is paging neither shift nor repeat items (ids only grow).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::clock;
use crate::crypto;
use crate::errors::ApiError;
use crate::extract::ListCtx;

const DEFAULT_PAGE_SIZE: usize = 25;
const MAX_PAGE_SIZE: usize = 1000;
const TOKEN_TTL_SECS: i64 = 3 * 86_400;

pub fn page_size(ctx: &ListCtx) -> Result<usize, ApiError> {
    match ctx.param("page_size") {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_param(
                "page_size",
                "page_size must be an integer between 1 and 1000",
            )),
        },
    }
}

/// The token binds the cursor to the path it was issued for, so a token from `/cases`
/// can't be replayed on `/clients`.
fn path_tag(path: &str) -> String {
    hex::encode(&crypto::hmac_sha256(b"page-path", path.as_bytes())[..6])
}

fn decode_token(ctx: &ListCtx) -> Result<Option<i64>, ApiError> {
    let Some(tok) = ctx.param("page_token") else {
        return Ok(None);
    };
    let bad = || ApiError::bad_param("page_token", "page_token is invalid or has expired");
    let raw = crypto::unseal(&ctx.secret, tok).ok_or_else(bad)?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let after = v["a"].as_i64().ok_or_else(bad)?;
    let exp = v["e"].as_i64().ok_or_else(bad)?;
    if v["p"].as_str() != Some(path_tag(&ctx.path).as_str()) || exp < clock::now().timestamp() {
        return Err(bad());
    }
    Ok(Some(after))
}

fn encode_token(ctx: &ListCtx, after: i64) -> String {
    let payload = json!({
        "a": after,
        "e": clock::now().timestamp() + TOKEN_TTL_SECS,
        "p": path_tag(&ctx.path),
    });
    crypto::seal(&ctx.secret, payload.to_string().as_bytes())
}

/// The `Link` URL repeats every original parameter verbatim and swaps in the new token.
fn next_link(ctx: &ListCtx, token: &str) -> String {
    let mut parts: Vec<String> = ctx
        .raw_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page_token="))
        .map(str::to_string)
        .collect();
    let enc: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    parts.push(format!("page_token={enc}"));
    format!("{}{}?{}", ctx.base, ctx.path, parts.join("&"))
}

/// Pages `ids` (any order; sorted here) and renders only the items on the page.
pub fn respond(
    ctx: &ListCtx,
    mut ids: Vec<i64>,
    render: impl Fn(i64) -> Value,
) -> Result<Response, ApiError> {
    let size = page_size(ctx)?;
    let after = decode_token(ctx)?;
    ids.sort_unstable();
    let total = ids.len();
    let start = match after {
        Some(a) => ids.partition_point(|&id| id <= a),
        None => 0,
    };
    let page: Vec<i64> = ids.iter().skip(start).take(size).copied().collect();
    let more = start + page.len() < total;
    let body: Vec<Value> = page.iter().map(|&id| render(id)).collect();
    let mut resp = (StatusCode::OK, axum::Json(Value::Array(body))).into_response();
    let h = resp.headers_mut();
    h.insert("item-count", HeaderValue::from(total));
    if more && let Some(&last) = page.last() {
        let link = format!(
            "<{}>; rel=\"next\"",
            next_link(ctx, &encode_token(ctx, last))
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// `filter[updated_after]`: created or updated at or after the given date or datetime.
pub fn updated_after(ctx: &ListCtx) -> Result<Option<DateTime<Utc>>, ApiError> {
    match ctx.param("filter[updated_after]") {
        None => Ok(None),
        Some(s) => clock::parse_date_or_datetime(s).map(Some).ok_or_else(|| {
            ApiError::bad_param(
                "filter[updated_after]",
                "filter[updated_after] must be an ISO 8601 date or datetime",
            )
        }),
    }
}
