//! Message threads (the case's Communications tab) and their messages (reference §8).
//! The API has no read of a thread's messages; `/_sandbox/firms/{uuid}/state` and the
//! firm page show them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Map, Value};

use super::{json, with_firm};
use crate::app::AppRef;
use crate::clock;
use crate::errors::{ApiError, ApiResult, FieldErrors};
use crate::extract::{Authed, JsonBody, ListCtx, parse_id};
use crate::store::{Firm, IdKind, Ids, Message, Thread};
use crate::validate::{ref_id, ref_list, required_str};
use crate::{pagination, render};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route("/message_threads", post(create_firm_thread))
        .route("/cases/{id}/message_threads", post(create_case_thread))
        .route("/clients/{id}/message_threads", get(client_threads))
        .route("/message_threads/{id}/messages", post(create_message))
}

/// A sender must be a staff member or a client of the firm.
fn sender(
    firm: &Firm,
    body: &Map<String, Value>,
    required: bool,
    errs: &mut FieldErrors,
) -> Option<i64> {
    match body.get("sender") {
        None | Some(Value::Null) => {
            if required {
                errs.push("/sender", "can't be blank");
            }
            None
        }
        Some(v) => match ref_id(v) {
            Some(id) if firm.is_person(id) => Some(id),
            Some(_) => {
                errs.push("/sender/id", "must be a staff member or client of the firm");
                None
            }
            None => {
                errs.push("/sender/id", "must be an integer id");
                None
            }
        },
    }
}

fn create_thread(
    firm: &mut Firm,
    ids: &mut Ids,
    case_id: Option<i64>,
    body: &Map<String, Value>,
) -> ApiResult {
    if let Some(c) = case_id
        && !firm.cases.contains_key(&c)
    {
        return Err(ApiError::not_found());
    }
    let mut errs = FieldErrors::default();
    let subject = required_str(body, "subject", &mut errs);
    let first = required_str(body, "first_message_body", &mut errs);
    // Without a sender the thread comes from the authorizing user.
    let sender_id = sender(firm, body, false, &mut errs).or(firm.me().map(|s| s.id));
    let clients = ref_list(
        body,
        "client_recipients",
        |id| firm.clients.contains_key(&id),
        &mut errs,
    );
    let staff = ref_list(
        body,
        "staff_recipients",
        |id| firm.staff.contains_key(&id),
        &mut errs,
    );
    errs.check()?;
    let (Some(subject), Some(first)) = (subject, first) else {
        return Err(ApiError::unprocessable("/subject", "can't be blank"));
    };
    let now = clock::now();
    let id = ids.next(IdKind::Thread);
    let sender_id = sender_id.unwrap_or(0);
    let thread = Thread {
        id,
        subject,
        first_message_body: first.clone(),
        sender_id,
        case_id,
        client_ids: clients.unwrap_or_default(),
        staff_ids: staff.unwrap_or_default(),
        messages: vec![Message {
            id: ids.next(IdKind::Message),
            sender_id,
            body: first,
            created_at: now,
        }],
        created_at: now,
        updated_at: now,
    };
    let out = render::thread(&thread);
    firm.threads.insert(id, thread);
    tracing::info!(thread_id = id, "message thread created");
    Ok(json(StatusCode::CREATED, out))
}

async fn create_firm_thread(
    State(app): State<AppRef>,
    authed: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult {
    with_firm(&app, &authed, |firm, ids| {
        create_thread(firm, ids, None, &b)
    })
}

async fn create_case_thread(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, ids| {
        create_thread(firm, ids, Some(id), &b)
    })
}

/// Threads a client takes part in: as a recipient, as a sender, or as a client of the
/// thread's case.
async fn client_threads(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let id = parse_id(&id)?;
    let after = pagination::updated_after(&ctx)?;
    with_firm(&app, &authed, |firm, _| {
        if !firm.clients.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let ids = firm
            .threads
            .values()
            .filter(|t| {
                t.client_ids.contains(&id)
                    || t.sender_id == id
                    || t.case_id
                        .and_then(|c| firm.cases.get(&c))
                        .is_some_and(|c| c.clients.contains(&id))
            })
            .filter(|t| after.is_none_or(|a| t.updated_at >= a))
            .map(|t| t.id)
            .collect();
        pagination::respond(&ctx, ids, |tid| render::thread(&firm.threads[&tid]))
    })
}

async fn create_message(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, ids| {
        if !firm.threads.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let mut errs = FieldErrors::default();
        let sender_id = sender(firm, &b, true, &mut errs);
        let body = required_str(&b, "body", &mut errs);
        errs.check()?;
        let (Some(sender_id), Some(body)) = (sender_id, body) else {
            return Err(ApiError::unprocessable("/body", "can't be blank"));
        };
        let now = clock::now();
        let msg = Message {
            id: ids.next(IdKind::Message),
            sender_id,
            body,
            created_at: now,
        };
        let thread = firm.threads.get_mut(&id).ok_or_else(ApiError::not_found)?;
        thread.updated_at = now;
        let out = render::message(thread, &msg);
        tracing::info!(thread_id = id, message_id = msg.id, "message created");
        thread.messages.push(msg);
        Ok(json(StatusCode::CREATED, out))
    })
}
