//! Firm, me and staff (read-only).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

use super::{json, with_firm};
use crate::app::AppRef;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Authed, ListCtx, parse_id};
use crate::{pagination, render};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route("/firm", get(get_firm))
        .route("/me", get(me))
        .route("/staff", get(list_staff))
        .route("/staff/{id}", get(get_staff))
}

async fn get_firm(State(app): State<AppRef>, authed: Authed) -> ApiResult {
    with_firm(&app, &authed, |firm, _| {
        let slug: String = firm
            .name
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(30)
            .collect();
        Ok(json(
            StatusCode::OK,
            json!({"name": firm.name, "url": format!("https://{slug}.mycase.com")}),
        ))
    })
}

async fn me(State(app): State<AppRef>, authed: Authed) -> ApiResult {
    with_firm(&app, &authed, |firm, _| {
        let me = firm.me().ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::staff(me)))
    })
}

async fn list_staff(State(app): State<AppRef>, authed: Authed, ctx: ListCtx) -> ApiResult {
    let active = match ctx.param("filter[status]") {
        None => None,
        Some("active") => Some(true),
        Some("inactive") => Some(false),
        Some(_) => {
            return Err(ApiError::bad_param(
                "filter[status]",
                "filter[status] must be active or inactive",
            ));
        }
    };
    let after = pagination::updated_after(&ctx)?;
    with_firm(&app, &authed, |firm, _| {
        let ids = firm
            .staff
            .values()
            .filter(|s| active.is_none_or(|a| s.active == a))
            .filter(|s| after.is_none_or(|t| s.updated_at >= t))
            .map(|s| s.id)
            .collect();
        pagination::respond(&ctx, ids, |id| render::staff(&firm.staff[&id]))
    })
}

async fn get_staff(State(app): State<AppRef>, authed: Authed, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id)?;
    with_firm(&app, &authed, |firm, _| {
        let s = firm.staff.get(&id).ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::staff(s)))
    })
}
