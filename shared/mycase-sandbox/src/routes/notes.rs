//! Notes on cases and clients. Creating one answers **200**, not 201 (reference §3.6).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Map, Value};

use super::{json, no_content, with_firm};
use crate::app::AppRef;
use crate::clock;
use crate::errors::{ApiError, ApiResult, FieldErrors};
use crate::extract::{Authed, JsonBody, ListCtx, parse_id};
use crate::store::{IdKind, Note};
use crate::validate::required_str;
use crate::{pagination, render};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route(
            "/cases/{id}/notes",
            get(list_case_notes).post(create_case_note),
        )
        .route(
            "/clients/{id}/notes",
            get(list_client_notes).post(create_client_note),
        )
        .route(
            "/notes/{id}",
            get(get_note).put(update_note).delete(delete_note),
        )
}

/// `{subject*, note*, date*}`; `date` is an ISO 8601 date or datetime. A date stays a
/// date; a datetime is normalised to UTC.
fn parse_note(body: &Map<String, Value>) -> Result<(String, String, String), ApiError> {
    let mut errs = FieldErrors::default();
    let subject = required_str(body, "subject", &mut errs);
    let note = required_str(body, "note", &mut errs);
    let date = required_str(body, "date", &mut errs).and_then(|d| {
        let d = d.trim().to_string();
        if clock::is_date(&d) {
            Some(d)
        } else if let Some(dt) = clock::parse_date_or_datetime(&d) {
            Some(clock::ts(&dt))
        } else {
            errs.push("/date", "must be an ISO 8601 date or datetime");
            None
        }
    });
    errs.check()?;
    match (subject, note, date) {
        (Some(s), Some(n), Some(d)) => Ok((s, n, d)),
        _ => Err(ApiError::unprocessable("/subject", "can't be blank")),
    }
}

#[derive(Clone, Copy)]
enum Parent {
    Case(i64),
    Client(i64),
}

async fn create(
    app: AppRef,
    authed: Authed,
    parent: Parent,
    body: Map<String, Value>,
) -> ApiResult {
    with_firm(&app, &authed, |firm, ids| {
        let exists = match parent {
            Parent::Case(id) => firm.cases.contains_key(&id),
            Parent::Client(id) => firm.clients.contains_key(&id),
        };
        if !exists {
            return Err(ApiError::not_found());
        }
        let (subject, note, date) = parse_note(&body)?;
        let now = clock::now();
        let id = ids.next(IdKind::Note);
        let n = Note {
            id,
            subject,
            note,
            date: Some(date),
            case_id: match parent {
                Parent::Case(c) => Some(c),
                Parent::Client(_) => None,
            },
            client_id: match parent {
                Parent::Client(c) => Some(c),
                Parent::Case(_) => None,
            },
            created_by: firm.me().map(|s| s.id).unwrap_or(0),
            created_at: now,
            updated_at: now,
        };
        let out = render::note(&n);
        firm.notes.insert(id, n);
        tracing::info!(note_id = id, "note created");
        Ok(json(StatusCode::OK, out))
    })
}

async fn list(app: AppRef, authed: Authed, parent: Parent, ctx: ListCtx) -> ApiResult {
    let after = pagination::updated_after(&ctx)?;
    with_firm(&app, &authed, |firm, _| {
        let exists = match parent {
            Parent::Case(id) => firm.cases.contains_key(&id),
            Parent::Client(id) => firm.clients.contains_key(&id),
        };
        if !exists {
            return Err(ApiError::not_found());
        }
        let ids = firm
            .notes
            .values()
            .filter(|n| match parent {
                Parent::Case(id) => n.case_id == Some(id),
                Parent::Client(id) => n.client_id == Some(id),
            })
            .filter(|n| after.is_none_or(|t| n.updated_at >= t))
            .map(|n| n.id)
            .collect();
        pagination::respond(&ctx, ids, |id| render::note(&firm.notes[&id]))
    })
}

async fn list_case_notes(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    list(app, authed, Parent::Case(parse_id(&id)?), ctx).await
}
async fn list_client_notes(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    list(app, authed, Parent::Client(parse_id(&id)?), ctx).await
}
async fn create_case_note(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    create(app, authed, Parent::Case(parse_id(&id)?), b).await
}
async fn create_client_note(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    create(app, authed, Parent::Client(parse_id(&id)?), b).await
}

async fn get_note(State(app): State<AppRef>, authed: Authed, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let n = firm.notes.get(&id).ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::note(n)))
    })
}

async fn update_note(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let n = firm.notes.get_mut(&id).ok_or_else(ApiError::not_found)?;
        let (subject, note, date) = parse_note(&b)?;
        n.subject = subject;
        n.note = note;
        n.date = Some(date);
        n.updated_at = clock::now();
        Ok(no_content())
    })
}

async fn delete_note(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        firm.notes.remove(&id).ok_or_else(ApiError::not_found)?;
        Ok(no_content())
    })
}
