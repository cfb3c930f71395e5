//! `/_sandbox/…`: the test and demo control plane. Not part of the MyCase API and not
//! rate-limited, faulted or counted in the `/v1` stats.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::app::{AppRef, lock};
use crate::clock::{self, ts};
use crate::errors::{ApiError, ApiResult};
use crate::extract::parse_id;
use crate::faults::Faults;
use crate::field_values::FIELD_TYPES;
use crate::render::{self, RenderOpts};
use crate::store::Firm;
use crate::{auth, page, seed};

pub fn router() -> Router<AppRef> {
    Router::new()
        .route("/_sandbox/firms", get(list_firms).post(create_firm))
        .route("/_sandbox/firms/{uuid}", get(page::firm_page))
        .route("/_sandbox/firms/{uuid}/state", get(firm_state))
        .route("/_sandbox/firms/{uuid}/grant", post(grant))
        .route("/_sandbox/firms/{uuid}/revoke", post(revoke))
        .route(
            "/_sandbox/firms/{uuid}/custom_fields/{id}/retype",
            post(retype),
        )
        .route("/_sandbox/tokens/expire", post(expire_tokens))
        .route(
            "/_sandbox/faults",
            get(get_faults).put(put_faults).patch(patch_faults),
        )
        .route("/_sandbox/stats", get(get_stats))
        .route("/_sandbox/stats/reset", post(reset_stats))
        .route("/_sandbox/reset", post(reset_all))
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

/// Admin bodies are optional: empty means `{}`.
fn optional_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::bad_request(
            "The request body must be a JSON object",
        )),
    }
}

async fn list_firms(State(app): State<AppRef>) -> Response {
    let firms: Vec<Value> = lock(&app.store)
        .firms
        .iter()
        .map(|f| json!({"firm_uuid": f.uuid, "name": f.name}))
        .collect();
    ok(Value::Array(firms))
}

async fn create_firm(State(app): State<AppRef>, body: Bytes) -> ApiResult {
    let body = optional_object(&body)?;
    let spec: seed::FirmSpec = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::bad_request(&format!("invalid firm spec: {e}")))?;
    let created = seed::create_firm(&mut lock(&app.store), spec)?;
    tracing::info!(firm_uuid = %created["firm_uuid"].as_str().unwrap_or(""), "firm created");
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

/// Everything a firm holds, as stored (custom-field values include duplicates and values
/// of deleted fields; threads include their messages; documents include versions).
fn dump(firm: &Firm) -> Value {
    let opts = RenderOpts::default();
    let raw_values = |values: &[crate::store::CfValue]| -> Value {
        values
            .iter()
            .map(|v| {
                json!({
                    "custom_field": {
                        "id": v.field_id,
                        "field_type": firm.custom_fields.get(&v.field_id).map(|f| f.field_type.clone()),
                    },
                    "value": v.value,
                    "created_at": ts(&v.created_at),
                    "updated_at": ts(&v.updated_at),
                })
            })
            .collect()
    };
    let with_raw = |mut v: Value, values: &[crate::store::CfValue]| {
        v["custom_field_values"] = raw_values(values);
        v
    };
    json!({
        "firm_uuid": firm.uuid,
        "name": firm.name,
        "created_at": ts(&firm.created_at),
        "staff": firm.staff.values().map(render::staff).collect::<Vec<_>>(),
        "clients": firm.clients.values().map(|c| with_raw(render::client_full(firm, c, &opts), &c.custom_field_values)).collect::<Vec<_>>(),
        "leads": firm.leads.values().map(|c| with_raw(render::lead(firm, c, &opts), &c.custom_field_values)).collect::<Vec<_>>(),
        "cases": firm.cases.values().map(|c| {
            let mut v = with_raw(render::case(firm, c, &opts), &c.custom_field_values);
            v["root_folder"] = json!({"id": c.root_folder});
            v
        }).collect::<Vec<_>>(),
        "notes": firm.notes.values().map(render::note).collect::<Vec<_>>(),
        "message_threads": firm.threads.values().map(|t| {
            let mut v = render::thread(t);
            v["messages"] = t.messages.iter().map(|m| json!({
                "id": m.id, "sender": {"id": m.sender_id}, "body": m.body, "created_at": ts(&m.created_at),
            })).collect();
            v
        }).collect::<Vec<_>>(),
        "folders": firm.folders.values().map(|f| json!({
            "id": f.id, "name": f.name, "parent_id": f.parent_id, "case_id": f.case_id,
            "path": firm.folder_path(f.id),
        })).collect::<Vec<_>>(),
        "documents": firm.documents.values().map(|d| {
            let mut v = render::document(firm, d);
            v["versions"] = d.versions.iter().map(|ver| json!({
                "id": ver.id,
                "version": ver.number,
                "uploaded": ver.upload.is_some(),
                "size_bytes": ver.upload.as_ref().map(|u| u.size_bytes),
                "sha256": ver.upload.as_ref().map(|u| u.sha256.clone()),
                "uploaded_at": ver.upload.as_ref().map(|u| ts(&u.uploaded_at)),
                "created_at": ts(&ver.created_at),
            })).collect();
            v
        }).collect::<Vec<_>>(),
        "custom_fields": firm.custom_fields.values().map(render::custom_field).collect::<Vec<_>>(),
    })
}

async fn firm_state(State(app): State<AppRef>, Path(uuid): Path<String>) -> ApiResult {
    let store = lock(&app.store);
    let firm = store.firm(&uuid).ok_or_else(ApiError::not_found)?;
    Ok(ok(dump(firm)))
}

/// Issues tokens for a firm without the browser round trip.
async fn grant(State(app): State<AppRef>, Path(uuid): Path<String>, body: Bytes) -> ApiResult {
    let body = optional_object(&body)?;
    let client_id = match body.get("client_id").and_then(Value::as_str) {
        Some(c) => c.to_string(),
        None => app
            .config
            .oauth_clients
            .first()
            .map(|c| c.client_id.clone())
            .ok_or_else(|| ApiError::bad_request("no OAuth client is registered"))?,
    };
    if !app
        .config
        .oauth_clients
        .iter()
        .any(|c| c.client_id == client_id)
    {
        return Err(ApiError::bad_request("unknown client_id"));
    }
    if lock(&app.store).firm(&uuid).is_none() {
        return Err(ApiError::not_found());
    }
    Ok(ok(auth::issue(&app, &uuid, &client_id, true)))
}

async fn revoke(State(app): State<AppRef>, Path(uuid): Path<String>) -> ApiResult {
    if lock(&app.store).firm(&uuid).is_none() {
        return Err(ApiError::not_found());
    }
    let (access, refresh) = lock(&app.auth).revoke_firm(&uuid);
    Ok(ok(
        json!({"revoked_access_tokens": access, "revoked_refresh_tokens": refresh}),
    ))
}

async fn expire_tokens(State(app): State<AppRef>, body: Bytes) -> ApiResult {
    let body = optional_object(&body)?;
    let firm = body.get("firm_uuid").and_then(Value::as_str);
    let n = lock(&app.auth).expire_access(firm);
    Ok(ok(json!({"expired_access_tokens": n})))
}

/// What admins can do in the MyCase UI and the API can't: change a field's type.
async fn retype(
    State(app): State<AppRef>,
    Path((uuid, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = optional_object(&body)?;
    let id = parse_id(&id)?;
    let field_type = body
        .get("field_type")
        .and_then(Value::as_str)
        .filter(|t| FIELD_TYPES.contains(t))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "/field_type",
                &format!("must be one of {}", FIELD_TYPES.join(", ")),
            )
        })?
        .to_string();
    let mut store = lock(&app.store);
    let firm = store.firm_mut(&uuid).ok_or_else(ApiError::not_found)?;
    let f = firm
        .custom_fields
        .get_mut(&id)
        .ok_or_else(ApiError::not_found)?;
    f.field_type = field_type;
    f.updated_at = clock::now();
    Ok(ok(render::custom_field(f)))
}

async fn get_faults(State(app): State<AppRef>) -> Response {
    ok(serde_json::to_value(&*lock(&app.faults)).unwrap_or(Value::Null))
}

fn set_faults(app: &AppRef, body: &Bytes, onto_current: bool) -> ApiResult {
    let patch = Value::Object(optional_object(body)?);
    let mut faults = lock(&app.faults);
    let base = if onto_current {
        faults.clone()
    } else {
        app.default_faults()
    };
    let new = Faults::merged(&base, &patch).map_err(|e| ApiError::bad_request(&e))?;
    *faults = new;
    tracing::info!("fault switches updated");
    Ok(ok(serde_json::to_value(&*faults).unwrap_or(Value::Null)))
}

/// PUT: the whole state; fields left out take their defaults.
async fn put_faults(State(app): State<AppRef>, body: Bytes) -> ApiResult {
    set_faults(&app, &body, false)
}

/// PATCH: only the fields given change.
async fn patch_faults(State(app): State<AppRef>, body: Bytes) -> ApiResult {
    set_faults(&app, &body, true)
}

async fn get_stats(State(app): State<AppRef>) -> Response {
    let stats = lock(&app.stats).snapshot();
    (StatusCode::OK, axum::Json(stats)).into_response()
}

async fn reset_stats(State(app): State<AppRef>) -> Response {
    let mut stats = lock(&app.stats);
    stats.reset();
    (StatusCode::OK, axum::Json(stats.snapshot())).into_response()
}

/// Wipes firms, tokens, fault switches, stats and rate-limit buckets, and the uploaded
/// files of the wiped firms.
async fn reset_all(State(app): State<AppRef>) -> Response {
    let firms: Vec<String> = {
        let mut store = lock(&app.store);
        let uuids = store.firms.iter().map(|f| f.uuid.clone()).collect();
        store.firms.clear();
        uuids
    };
    *lock(&app.auth) = auth::AuthStore::default();
    *lock(&app.faults) = app.default_faults();
    lock(&app.stats).reset();
    lock(&app.limiter).reset();
    for uuid in firms {
        let _ = tokio::fs::remove_dir_all(app.config.data_dir.join(uuid)).await;
    }
    ok(json!({"reset": true}))
}
