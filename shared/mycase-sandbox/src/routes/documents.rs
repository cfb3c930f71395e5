//! Documents, versions and folders (reference §7). Creating a document or a version only
//! makes the record and hands out a presigned fake-S3 `put_url`; the bytes arrive there.
//! `/data` redirects (302) to a short-lived fake-S3 GET URL, or 404s until bytes exist.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use super::{json, with_firm};
use crate::app::AppRef;
use crate::clock;
use crate::errors::{ApiError, ApiResult, FieldErrors};
use crate::extract::{Authed, JsonBody, ListCtx, base_url, parse_id};
use crate::store::{Document, IdKind, Version};
use crate::validate::required_str;
use crate::{pagination, render, s3};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route(
            "/cases/{id}/documents",
            get(list_case_documents).post(create_case_document),
        )
        .route("/documents/{id}", get(get_document))
        .route(
            "/documents/{id}/versions",
            get(list_versions).post(create_version),
        )
        .route("/documents/{id}/data", get(document_data))
        .route("/documents/{id}/versions/{n}/data", get(version_data))
        .route("/cases/{id}/folder", get(case_folder))
        .route(
            "/cases/{id}/subfolders",
            axum::routing::post(create_subfolders),
        )
        .route("/folders/{id}/subfolders", get(list_subfolders))
        .route("/folders/{id}/documents", get(list_folder_documents))
}

/// `a/b/c` → segments; rejects empty, `.` and `..` segments.
fn split_path(p: &str) -> Option<Vec<&str>> {
    let segs: Vec<&str> = p
        .trim()
        .trim_matches('/')
        .split('/')
        .map(str::trim)
        .collect();
    if segs.iter().any(|s| s.is_empty() || *s == "." || *s == "..") {
        None
    } else {
        Some(segs)
    }
}

fn put_headers() -> Value {
    json!({ "x-amz-acl": s3::PUT_ACL })
}

async fn create_case_document(
    State(app): State<AppRef>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let case_id = parse_id(&id)?;
    let base = base_url(&headers, &app.base_url);
    let (mut out, doc_id) = with_firm(&app, &authed, |firm, ids| {
        let root = firm
            .cases
            .get(&case_id)
            .ok_or_else(ApiError::not_found)?
            .root_folder;
        let mut errs = FieldErrors::default();
        let path = required_str(&b, "path", &mut errs);
        let filename = required_str(&b, "filename", &mut errs);
        let segs = path.as_deref().and_then(|p| {
            let s = split_path(p);
            if s.is_none() {
                errs.push("/path", "is not a valid path");
            }
            s
        });
        let description = match b.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errs.push("/description", "must be a string");
                None
            }
        };
        let assigned_date = match b.get("assigned_date") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if clock::is_date(s) => Some(s.clone()),
            Some(_) => {
                errs.push("/assigned_date", "must be a date in the format YYYY-MM-DD");
                None
            }
        };
        errs.check()?;
        let (Some(segs), Some(filename)) = (segs, filename) else {
            return Err(ApiError::unprocessable("/path", "can't be blank"));
        };
        let now = clock::now();
        let (name, folders) = segs
            .split_last()
            .expect("split_path returns at least one segment");
        let folder_id = firm.ensure_folders(ids, Some(case_id), root, folders, now);
        let id = ids.next(IdKind::Document);
        let doc = Document {
            id,
            case_id: Some(case_id),
            folder_id,
            name: (*name).to_string(),
            filename: filename.trim().to_string(),
            description,
            assigned_date,
            versions: vec![Version {
                id: ids.next(IdKind::Version),
                number: 1,
                upload: None,
                created_at: now,
                updated_at: now,
            }],
            created_at: now,
            updated_at: now,
        };
        let out = render::document(firm, &doc);
        firm.documents.insert(id, doc);
        tracing::info!(document_id = id, case_id, "document created");
        Ok((out, id))
    })?;
    out["put_url"] = json!(s3::presign_put(&app, &base, &authed.firm_uuid, doc_id, 1));
    out["put_headers"] = put_headers();
    Ok(json(StatusCode::CREATED, out))
}

async fn list_case_documents(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let case_id = parse_id(&id)?;
    let after = pagination::updated_after(&ctx)?;
    with_firm(&app, &authed, |firm, _| {
        if !firm.cases.contains_key(&case_id) {
            return Err(ApiError::not_found());
        }
        let ids = firm
            .documents
            .values()
            .filter(|d| d.case_id == Some(case_id))
            .filter(|d| after.is_none_or(|t| d.updated_at >= t))
            .map(|d| d.id)
            .collect();
        pagination::respond(&ctx, ids, |id| render::document(firm, &firm.documents[&id]))
    })
}

async fn get_document(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let d = firm.documents.get(&id).ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::document(firm, d)))
    })
}

/// `POST /documents/{id}/versions` takes no body and answers 201 with a `put_url`.
async fn create_version(
    State(app): State<AppRef>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    let base = base_url(&headers, &app.base_url);
    let mut out = with_firm(&app, &authed, |firm, ids| {
        let d = firm
            .documents
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        let now = clock::now();
        let number = d.versions.last().map(|v| v.number + 1).unwrap_or(1);
        let v = Version {
            id: ids.next(IdKind::Version),
            number,
            upload: None,
            created_at: now,
            updated_at: now,
        };
        let out = render::version(d, &v);
        d.versions.push(v);
        d.updated_at = now;
        Ok(out)
    })?;
    let number = out["version"].as_u64().unwrap_or(1) as u32;
    out["put_url"] = json!(s3::presign_put(&app, &base, &authed.firm_uuid, id, number));
    out["put_headers"] = put_headers();
    Ok(json(StatusCode::CREATED, out))
}

async fn list_versions(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let d = firm.documents.get(&id).ok_or_else(ApiError::not_found)?;
        // Version ids are global ids, so they page like any other list.
        let ids = d.versions.iter().map(|v| v.id).collect();
        pagination::respond(&ctx, ids, |vid| {
            let v = d
                .versions
                .iter()
                .find(|v| v.id == vid)
                .expect("listed version exists");
            render::version(d, v)
        })
    })
}

/// The current version is the newest one whose bytes arrived.
async fn document_data(
    State(app): State<AppRef>,
    authed: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    redirect_to_bytes(&app, &authed, &headers, id, None, 60)
}

/// A specific version's bytes; these links live an hour (reference §7).
async fn version_data(
    State(app): State<AppRef>,
    authed: Authed,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
) -> ApiResult {
    let id = parse_id(&id)?;
    let n: u32 = n.parse().map_err(|_| ApiError::not_found())?;
    redirect_to_bytes(&app, &authed, &headers, id, Some(n), 3600)
}

fn redirect_to_bytes(
    app: &AppRef,
    authed: &Authed,
    headers: &HeaderMap,
    id: i64,
    n: Option<u32>,
    ttl: i64,
) -> ApiResult {
    let (number, filename) = with_firm(app, authed, |firm, _| {
        let d = firm.documents.get(&id).ok_or_else(ApiError::not_found)?;
        let v = d
            .versions
            .iter()
            .rev()
            .filter(|v| n.is_none_or(|n| v.number == n))
            .find(|v| v.upload.is_some())
            .ok_or_else(|| {
                ApiError::new(StatusCode::NOT_FOUND, "The document has no uploaded data")
            })?;
        Ok((v.number, d.filename.clone()))
    })?;
    let base = base_url(headers, &app.base_url);
    let url = s3::presign_get(app, &base, &authed.firm_uuid, id, number, ttl, &filename);
    Ok((StatusCode::FOUND, [(header::LOCATION, url)]).into_response())
}

async fn case_folder(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let root = firm
            .cases
            .get(&id)
            .ok_or_else(ApiError::not_found)?
            .root_folder;
        let f = firm.folders.get(&root).ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::folder(f)))
    })
}

/// `{path*: "a/b"}` creates what is missing along the path; **200** with the deepest folder.
async fn create_subfolders(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let case_id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, ids| {
        let root = firm
            .cases
            .get(&case_id)
            .ok_or_else(ApiError::not_found)?
            .root_folder;
        let mut errs = FieldErrors::default();
        let path = required_str(&b, "path", &mut errs);
        errs.check()?;
        let segs = path
            .as_deref()
            .and_then(split_path)
            .ok_or_else(|| ApiError::unprocessable("/path", "is not a valid path"))?;
        let folder = firm.ensure_folders(ids, Some(case_id), root, &segs, clock::now());
        Ok(json(StatusCode::OK, render::folder(&firm.folders[&folder])))
    })
}

async fn list_subfolders(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        if !firm.folders.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let ids = firm
            .folders
            .values()
            .filter(|f| f.parent_id == Some(id))
            .map(|f| f.id)
            .collect();
        pagination::respond(&ctx, ids, |fid| render::folder(&firm.folders[&fid]))
    })
}

async fn list_folder_documents(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        if !firm.folders.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let ids = firm
            .documents
            .values()
            .filter(|d| d.folder_id == id)
            .map(|d| d.id)
            .collect();
        pagination::respond(&ctx, ids, |did| {
            render::document(firm, &firm.documents[&did])
        })
    })
}
