//! Clients (person contacts) and leads: exact, case-insensitive filters, required names,
//! unique client emails, and the `middle_initial` / `middle_name` twin rule (reference §5.2,
//! §5.4). Leads have no DELETE and no conversion, as on the real API.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::{append_quirk, json, no_content, render_opts, with_firm};
use crate::app::AppRef;
use crate::clock;
use crate::errors::{ApiError, ApiResult, FieldErrors};
use crate::extract::{Authed, JsonBody, ListCtx, parse_id};
use crate::store::{Contact, Firm};
use crate::validate::{FieldKind, apply_attrs, ref_id, required_str};
use crate::{field_values, pagination, render};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route("/clients", get(list_clients).post(create_client))
        .route("/clients/{id}", get(get_client).put(update_client))
        .route("/leads", get(list_leads).post(create_lead))
        .route("/leads/{id}", get(get_lead).put(update_lead))
}

use FieldKind::{Address, Date, Ref, Str};

const CLIENT_SPEC: [(&str, FieldKind); 13] = [
    ("email", Str),
    ("first_name", Str),
    ("middle_initial", Str),
    ("middle_name", Str),
    ("last_name", Str),
    ("address", Address),
    ("cell_phone_number", Str),
    ("work_phone_number", Str),
    ("home_phone_number", Str),
    ("fax_phone_number", Str),
    ("birthdate", Date),
    ("notes", Str),
    ("people_group", Ref),
];

const LEAD_SPEC: [(&str, FieldKind); 15] = [
    ("email", Str),
    ("first_name", Str),
    ("middle_initial", Str),
    ("last_name", Str),
    ("address", Address),
    ("cell_phone_number", Str),
    ("work_phone_number", Str),
    ("home_phone_number", Str),
    ("lead_details", Str),
    ("birthdate", Date),
    ("drivers_license_number", Str),
    ("drivers_license_state", Str),
    ("referral_source", Str),
    ("referral_source_reference", Ref),
    ("referred_by", Ref),
];

const FILTERS: [&str; 6] = [
    "email",
    "first_name",
    "last_name",
    "cell_phone_number",
    "work_phone_number",
    "home_phone_number",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Client,
    Lead,
}

fn table(firm: &Firm, kind: Kind) -> &std::collections::BTreeMap<i64, Contact> {
    match kind {
        Kind::Client => &firm.clients,
        Kind::Lead => &firm.leads,
    }
}

fn render_one(firm: &Firm, kind: Kind, c: &Contact, opts: &render::RenderOpts) -> Value {
    match kind {
        Kind::Client => render::client_full(firm, c, opts),
        Kind::Lead => render::lead(firm, c, opts),
    }
}

async fn list(app: AppRef, authed: Authed, ctx: ListCtx, kind: Kind) -> ApiResult {
    let after = pagination::updated_after(&ctx)?;
    let filters: Vec<(&str, String)> = FILTERS
        .iter()
        .filter_map(|f| {
            ctx.param(&format!("filter[{f}]"))
                .map(|v| (*f, v.trim().to_lowercase()))
        })
        .collect();
    let opts = render_opts(&app);
    with_firm(&app, &authed, |firm, _| {
        let ids = table(firm, kind)
            .values()
            .filter(|c| {
                filters.iter().all(|(k, want)| {
                    c.str_attr(k)
                        .is_some_and(|have| have.trim().to_lowercase() == *want)
                })
            })
            .filter(|c| after.is_none_or(|t| c.updated_at >= t))
            .map(|c| c.id)
            .collect();
        pagination::respond(&ctx, ids, |id| {
            render_one(firm, kind, &table(firm, kind)[&id], &opts)
        })
    })
}

async fn get_one(app: AppRef, authed: Authed, id: String, kind: Kind) -> ApiResult {
    let id = parse_id(&id)?;
    let opts = render_opts(&app);
    with_firm(&app, &authed, |firm, _| {
        let c = table(firm, kind).get(&id).ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render_one(firm, kind, c, &opts)))
    })
}

/// Validates a ClientRequest / LeadRequest onto `attrs` (a working copy). Names are
/// required on create and update alike: the spec reuses the create schema for PUT.
fn apply_body(
    firm: &Firm,
    kind: Kind,
    self_id: Option<i64>,
    body: &Map<String, Value>,
    attrs: &mut Map<String, Value>,
    errs: &mut FieldErrors,
) -> Vec<(i64, Value)> {
    required_str(body, "first_name", errs);
    required_str(body, "last_name", errs);
    let spec: &[(&str, FieldKind)] = match kind {
        Kind::Client => &CLIENT_SPEC,
        Kind::Lead => &LEAD_SPEC,
    };
    apply_attrs(spec, body, attrs, errs);
    // An empty email means "none", not a duplicate-able value.
    if attrs
        .get("email")
        .and_then(Value::as_str)
        .is_some_and(|e| e.trim().is_empty())
    {
        attrs.remove("email");
    }
    if let Some(email) = attrs.get("email").and_then(Value::as_str) {
        if !email.contains('@') {
            errs.push("/email", "is invalid");
        } else if kind == Kind::Client
            && firm.clients.values().any(|c| {
                Some(c.id) != self_id
                    && c.str_attr("email")
                        .is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim()))
            })
        {
            errs.push("/email", "has already been taken");
        }
    }
    if kind == Kind::Client {
        let given = |k: &str| body.get(k).is_some_and(|v| !v.is_null());
        if given("middle_initial") && given("middle_name") {
            errs.push(
                "/middle_initial",
                "middle_initial and middle_name cannot both be given; use middle_name",
            );
        }
    }
    if kind == Kind::Lead
        && let Some(id) = attrs.get("referred_by").and_then(ref_id)
        && !firm.clients.contains_key(&id)
    {
        // "If it doesn't match, it is set to none" (reference §5.4).
        attrs.remove("referred_by");
    }
    // Leads take client-typed custom fields (there is no `lead` parent type).
    field_values::parse(&firm.custom_fields, "client", body, errs)
}

async fn create(app: AppRef, authed: Authed, body: Map<String, Value>, kind: Kind) -> ApiResult {
    let opts = render_opts(&app);
    with_firm(&app, &authed, |firm, ids| {
        let mut attrs = Map::new();
        let mut errs = FieldErrors::default();
        let cfv = apply_body(firm, kind, None, &body, &mut attrs, &mut errs);
        errs.check()?;
        if kind == Kind::Lead {
            attrs.insert("status".into(), json!("new"));
            attrs.insert("approved".into(), json!(false));
        }
        let now = clock::now();
        let mut values = Vec::new();
        field_values::store(&mut values, cfv, false, now);
        let id = firm.add_contact(ids, kind == Kind::Lead, attrs, values, now);
        tracing::info!(id, lead = kind == Kind::Lead, "contact created");
        Ok(json(
            StatusCode::CREATED,
            render_one(firm, kind, &table(firm, kind)[&id], &opts),
        ))
    })
}

async fn update(
    app: AppRef,
    authed: Authed,
    id: String,
    body: Map<String, Value>,
    kind: Kind,
) -> ApiResult {
    let id = parse_id(&id)?;
    let append = append_quirk(&app);
    with_firm(&app, &authed, |firm, _| {
        let mut draft = table(firm, kind)
            .get(&id)
            .ok_or_else(ApiError::not_found)?
            .clone();
        let mut errs = FieldErrors::default();
        let cfv = apply_body(firm, kind, Some(id), &body, &mut draft.attrs, &mut errs);
        errs.check()?;
        let now = clock::now();
        field_values::store(&mut draft.custom_field_values, cfv, append, now);
        draft.updated_at = now;
        match kind {
            Kind::Client => firm.clients.insert(id, draft),
            Kind::Lead => firm.leads.insert(id, draft),
        };
        Ok(no_content())
    })
}

async fn list_clients(State(app): State<AppRef>, authed: Authed, ctx: ListCtx) -> ApiResult {
    list(app, authed, ctx, Kind::Client).await
}
async fn list_leads(State(app): State<AppRef>, authed: Authed, ctx: ListCtx) -> ApiResult {
    list(app, authed, ctx, Kind::Lead).await
}
async fn get_client(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
) -> ApiResult {
    get_one(app, authed, id, Kind::Client).await
}
async fn get_lead(State(app): State<AppRef>, authed: Authed, Path(id): Path<String>) -> ApiResult {
    get_one(app, authed, id, Kind::Lead).await
}
async fn create_client(
    State(app): State<AppRef>,
    authed: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult {
    create(app, authed, b, Kind::Client).await
}
async fn create_lead(
    State(app): State<AppRef>,
    authed: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult {
    create(app, authed, b, Kind::Lead).await
}
async fn update_client(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    update(app, authed, id, b, Kind::Client).await
}
async fn update_lead(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult {
    update(app, authed, id, b, Kind::Lead).await
}
