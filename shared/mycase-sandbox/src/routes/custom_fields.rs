//! Custom-field definitions and list options (reference §6.1). No PUT on a field: the
//! API can't rename or retype one (admins can: `/_sandbox/.../retype`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde_json::{Map, Value};

use super::{json, no_content, with_firm};
use crate::app::AppRef;
use crate::clock;
use crate::errors::{ApiError, ApiResult, FieldErrors};
use crate::extract::{Authed, JsonBody, ListCtx, parse_id};
use crate::field_values::{FIELD_TYPES, PARENT_TYPES};
use crate::store::{IdKind, ListOption};
use crate::validate::required_str;
use crate::{pagination, render};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route("/custom_fields", get(list_fields).post(create_field))
        .route("/custom_fields/{id}", get(get_field).delete(delete_field))
        .route(
            "/custom_fields/{id}/list_options",
            get(list_options).post(add_options),
        )
        .route(
            "/custom_fields/{id}/list_options/{key}",
            put(rename_option).delete(delete_option),
        )
}

async fn list_fields(State(app): State<AppRef>, authed: Authed, ctx: ListCtx) -> ApiResult {
    let after = pagination::updated_after(&ctx)?;
    with_firm(&app, &authed, |firm, _| {
        let ids = firm
            .custom_fields
            .values()
            .filter(|f| after.is_none_or(|t| f.updated_at >= t))
            .map(|f| f.id)
            .collect();
        pagination::respond(&ctx, ids, |id| {
            render::custom_field(&firm.custom_fields[&id])
        })
    })
}

async fn get_field(State(app): State<AppRef>, authed: Authed, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let f = firm
            .custom_fields
            .get(&id)
            .ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::custom_field(f)))
    })
}

/// `list_options: [{option_value}]` → the option texts, checked for blanks and repeats.
fn option_values(
    body: &Map<String, Value>,
    existing: &[ListOption],
    errs: &mut FieldErrors,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match body.get("list_options").and_then(Value::as_array) {
        Some(arr) if !arr.is_empty() => {
            for (i, o) in arr.iter().enumerate() {
                let ptr = format!("/list_options/{i}/option_value");
                match o.get("option_value").and_then(Value::as_str).map(str::trim) {
                    Some(v) if !v.is_empty() => {
                        let taken = existing.iter().any(|e| e.option.eq_ignore_ascii_case(v))
                            || out.iter().any(|e| e.eq_ignore_ascii_case(v));
                        if taken {
                            errs.push(&ptr, "has already been taken");
                        } else {
                            out.push(v.to_string());
                        }
                    }
                    _ => errs.push(&ptr, "can't be blank"),
                }
            }
        }
        _ => errs.push("/list_options", "can't be blank"),
    }
    out
}

async fn create_field(
    State(app): State<AppRef>,
    authed: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult {
    with_firm(&app, &authed, |firm, ids| {
        let mut errs = FieldErrors::default();
        let name = required_str(&b, "name", &mut errs).map(|n| n.trim().to_string());
        let parent = required_str(&b, "parent_type", &mut errs);
        let ftype = required_str(&b, "field_type", &mut errs);
        if let Some(p) = &parent
            && !PARENT_TYPES.contains(&p.as_str())
        {
            errs.push(
                "/parent_type",
                &format!("must be one of {}", PARENT_TYPES.join(", ")),
            );
        }
        if let Some(t) = &ftype
            && !FIELD_TYPES.contains(&t.as_str())
        {
            errs.push(
                "/field_type",
                &format!("must be one of {}", FIELD_TYPES.join(", ")),
            );
        }
        if let (Some(n), Some(p)) = (&name, &parent)
            && firm
                .custom_fields
                .values()
                .any(|f| f.parent_type == *p && f.name.eq_ignore_ascii_case(n))
        {
            errs.push("/name", "has already been taken");
        }
        let options = if ftype.as_deref() == Some("list") {
            option_values(&b, &[], &mut errs)
        } else {
            Vec::new()
        };
        errs.check()?;
        let (Some(name), Some(parent), Some(ftype)) = (name, parent, ftype) else {
            return Err(ApiError::unprocessable("/name", "can't be blank"));
        };
        let id = firm.add_custom_field(ids, &name, &parent, &ftype, &options, clock::now());
        Ok(json(
            StatusCode::CREATED,
            render::custom_field(&firm.custom_fields[&id]),
        ))
    })
}

async fn delete_field(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        firm.custom_fields
            .remove(&id)
            .ok_or_else(ApiError::not_found)?;
        Ok(no_content())
    })
}

async fn list_options(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let f = firm
            .custom_fields
            .get(&id)
            .ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::list_options(f)))
    })
}

/// Adds options; answers **200** with the field's whole option array (reference §4).
async fn add_options(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, ids| {
        let f = firm
            .custom_fields
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        if f.field_type != "list" {
            return Err(ApiError::unprocessable(
                "/list_options",
                "the custom field is not a list field",
            ));
        }
        let mut errs = FieldErrors::default();
        let new = option_values(&b, &f.list_options, &mut errs);
        errs.check()?;
        let now = clock::now();
        for option in new {
            f.list_options.push(ListOption {
                key: ids.next(IdKind::ListOption).to_string(),
                option,
                created_at: now,
                updated_at: now,
            });
        }
        f.updated_at = now;
        Ok(json(StatusCode::OK, render::list_options(f)))
    })
}

async fn rename_option(
    State(app): State<AppRef>,
    authed: Authed,
    Path((id, key)): Path<(String, String)>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let f = firm
            .custom_fields
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        let mut errs = FieldErrors::default();
        let value = required_str(&b, "option_value", &mut errs);
        errs.check()?;
        let o = f
            .list_options
            .iter_mut()
            .find(|o| o.key == key)
            .ok_or_else(ApiError::not_found)?;
        o.option = value.unwrap_or_default().trim().to_string();
        o.updated_at = clock::now();
        Ok(no_content())
    })
}

async fn delete_option(
    State(app): State<AppRef>,
    authed: Authed,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let f = firm
            .custom_fields
            .get_mut(&id)
            .ok_or_else(ApiError::not_found)?;
        let before = f.list_options.len();
        f.list_options.retain(|o| o.key != key);
        if f.list_options.len() == before {
            return Err(ApiError::not_found());
        }
        Ok(no_content())
    })
}
