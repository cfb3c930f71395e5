//! The `/v1` MyCase Open API routes (reference §4), one module per resource family.
//! Every handler runs behind [`crate::gate::v1_gate`], so it can assume an authenticated
//! firm; it then works synchronously under the store lock.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::app::{AppRef, lock};
use crate::errors::ApiError;
use crate::extract::Authed;
use crate::render::RenderOpts;
use crate::store::{Firm, Ids, Store};

mod cases;
mod contacts;
mod custom_fields;
mod documents;
mod firm;
mod messages;
mod notes;

pub fn v1_router() -> Router<AppRef> {
    Router::new()
        .merge(firm::routes())
        .merge(cases::routes())
        .merge(contacts::routes())
        .merge(notes::routes())
        .merge(messages::routes())
        .merge(custom_fields::routes())
        .merge(documents::routes())
}

/// Runs `f` on the caller's firm under the store lock. Only the token's firm is
/// reachable, so another firm's ids simply are not found (404).
pub fn with_firm<R>(
    app: &AppRef,
    authed: &Authed,
    f: impl FnOnce(&mut Firm, &mut Ids) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let mut guard = lock(&app.store);
    let Store { firms, ids } = &mut *guard;
    let firm = firms
        .iter_mut()
        .find(|f| f.uuid == authed.firm_uuid)
        .ok_or_else(ApiError::unauthenticated)?;
    f(firm, ids)
}

pub fn json(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub fn render_opts(app: &AppRef) -> RenderOpts {
    RenderOpts {
        amounts_as_strings: lock(&app.faults).amounts_as_strings,
        client_fields: None,
    }
}

/// The "quirk" switch that makes PUT append custom-field value rows.
pub fn append_quirk(app: &AppRef) -> bool {
    lock(&app.faults).quirk_custom_field_append
}
