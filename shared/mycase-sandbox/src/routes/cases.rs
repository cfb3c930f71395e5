//! Cases: list, get, create, update (partial merge with `name` required), and a client's
//! cases. Custom-field values are written inline (reference §5.1, §6.2).

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
use crate::render::{self, CLIENT_NESTED_FIELDS, RenderOpts};
use crate::store::{Case, CaseStaff, Firm};
use crate::validate::{FieldKind, apply_attrs, ref_id, ref_list, required_str};
use crate::{field_values, pagination};

pub fn routes() -> Router<AppRef> {
    Router::new()
        .route("/cases", get(list_cases).post(create_case))
        .route("/cases/{id}", get(get_case).put(update_case))
        .route("/clients/{id}/cases", get(client_cases))
}

const CASE_SPEC: [(&str, FieldKind); 6] = [
    ("case_number", FieldKind::Str),
    ("description", FieldKind::Str),
    ("opened_date", FieldKind::Date),
    ("sol_date", FieldKind::Date),
    ("outstanding_balance", FieldKind::Number),
    ("billing_contact", FieldKind::Ref),
];

/// `field[client]` expands nested clients; `field[custom_field]` may only name `id` and
/// `field_type` (anything else is a 400, as observed on the live API, reference §3.2).
fn opts_from(app: &AppRef, ctx: &ListCtx) -> Result<RenderOpts, ApiError> {
    let mut opts = render_opts(app);
    if let Some(list) = ctx.param("field[client]") {
        let fields: Vec<String> = list
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(bad) = fields
            .iter()
            .find(|f| !CLIENT_NESTED_FIELDS.contains(&f.as_str()))
        {
            return Err(ApiError::bad_param(
                "field[client]",
                &format!("unknown client field '{bad}'"),
            ));
        }
        opts.client_fields = Some(fields);
    }
    if let Some(list) = ctx.param("field[custom_field]")
        && list
            .split(',')
            .any(|f| !matches!(f.trim(), "id" | "field_type"))
    {
        return Err(ApiError::bad_param(
            "field[custom_field]",
            "field[custom_field] may only contain id and field_type",
        ));
    }
    Ok(opts)
}

async fn list_cases(State(app): State<AppRef>, authed: Authed, ctx: ListCtx) -> ApiResult {
    let status = match ctx.param("filter[status]") {
        None => None,
        Some(s @ ("open" | "closed")) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::bad_param(
                "filter[status]",
                "filter[status] must be open or closed",
            ));
        }
    };
    let after = pagination::updated_after(&ctx)?;
    let opts = opts_from(&app, &ctx)?;
    with_firm(&app, &authed, |firm, _| {
        let ids = firm
            .cases
            .values()
            .filter(|c| status.as_ref().is_none_or(|s| &c.status == s))
            .filter(|c| after.is_none_or(|t| c.updated_at >= t))
            .map(|c| c.id)
            .collect();
        pagination::respond(&ctx, ids, |id| render::case(firm, &firm.cases[&id], &opts))
    })
}

async fn get_case(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let id = parse_id(&id)?;
    let opts = opts_from(&app, &ctx)?;
    with_firm(&app, &authed, |firm, _| {
        let c = firm.cases.get(&id).ok_or_else(ApiError::not_found)?;
        Ok(json(StatusCode::OK, render::case(firm, c, &opts)))
    })
}

async fn client_cases(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    ctx: ListCtx,
) -> ApiResult {
    let id = parse_id(&id)?;
    let opts = opts_from(&app, &ctx)?;
    with_firm(&app, &authed, |firm, _| {
        if !firm.clients.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let ids = firm
            .cases
            .values()
            .filter(|c| c.clients.contains(&id))
            .map(|c| c.id)
            .collect();
        pagination::respond(&ctx, ids, |cid| {
            render::case(firm, &firm.cases[&cid], &opts)
        })
    })
}

/// Picks the firm's stage / practice-area name matching case-insensitively; an unknown
/// name silently becomes null (reference §5.1).
fn match_name(list: &[String], v: &Value) -> Option<Value> {
    let s = v.as_str()?;
    list.iter()
        .find(|n| n.eq_ignore_ascii_case(s.trim()))
        .map(|n| json!(n))
}

/// Applies a CaseRequest body onto `case` (a working copy), validating everything.
/// Returns the custom-field values to store once the whole body has passed.
fn apply_case_body(
    firm: &Firm,
    body: &Map<String, Value>,
    case: &mut Case,
    errs: &mut FieldErrors,
) -> Vec<(i64, Value)> {
    if let Some(name) = required_str(body, "name", errs) {
        let name = name.trim().to_string();
        if firm
            .cases
            .values()
            .any(|c| c.id != case.id && c.name == name)
        {
            errs.push("/name", "has already been taken");
        }
        case.name = name;
    }
    if let Some(status) = body.get("status") {
        match status.as_str() {
            Some(s @ ("open" | "closed")) => {
                if s == "closed"
                    && case.status != "closed"
                    && !case.attrs.contains_key("closed_date")
                {
                    let today = clock::now().format("%Y-%m-%d").to_string();
                    case.attrs.insert("closed_date".into(), json!(today));
                } else if s == "open" {
                    case.attrs.remove("closed_date");
                }
                case.status = s.to_string();
            }
            _ => errs.push("/status", "must be open or closed"),
        }
    }
    apply_attrs(&CASE_SPEC, body, &mut case.attrs, errs);
    if let Some(id) = case.attrs.get("billing_contact").and_then(ref_id)
        && body.contains_key("billing_contact")
        && !firm.clients.contains_key(&id)
    {
        errs.push("/billing_contact/id", "does not exist");
    }
    for (key, list) in [
        ("case_stage", &firm.case_stages),
        ("practice_area", &firm.practice_areas),
    ] {
        if let Some(v) = body.get(key) {
            match match_name(list, v) {
                Some(name) => {
                    case.attrs.insert(key.into(), name);
                }
                None if v.is_null() || v.is_string() => {
                    case.attrs.remove(key);
                }
                None => errs.push(&format!("/{key}"), "must be a string"),
            }
        }
    }
    // `contacts` is the deprecated twin of `clients`; both together is an error.
    if body.contains_key("contacts") && body.contains_key("clients") {
        errs.push(
            "/contacts",
            "contacts and clients cannot both be given; use clients",
        );
    }
    for key in ["clients", "contacts"] {
        if let Some(ids) = ref_list(body, key, |id| firm.clients.contains_key(&id), errs) {
            case.clients = ids;
        }
    }
    if let Some(ids) = ref_list(body, "companies", |_| true, errs) {
        case.companies = ids;
    }
    if let Some(v) = body.get("staff") {
        match v.as_array() {
            Some(arr) => {
                let mut staff = Vec::new();
                for (i, s) in arr.iter().enumerate() {
                    match ref_id(s) {
                        Some(id) if firm.staff.contains_key(&id) => staff.push(CaseStaff {
                            id,
                            lead_lawyer: s
                                .get("lead_lawyer")
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                            originating_lawyer: s
                                .get("originating_lawyer")
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                        }),
                        _ => errs.push(
                            &format!("/staff/{i}/id"),
                            "is not a staff member of the firm",
                        ),
                    }
                }
                case.staff = staff;
            }
            None => errs.push("/staff", "must be an array"),
        }
    }
    field_values::parse(&firm.custom_fields, "case", body, errs)
}

async fn create_case(
    State(app): State<AppRef>,
    authed: Authed,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let opts = render_opts(&app);
    with_firm(&app, &authed, |firm, ids| {
        let now = clock::now();
        let mut draft = Case {
            id: 0,
            name: String::new(),
            status: "open".into(),
            attrs: Map::new(),
            clients: Vec::new(),
            companies: Vec::new(),
            staff: Vec::new(),
            custom_field_values: Vec::new(),
            root_folder: 0,
            created_at: now,
            updated_at: now,
        };
        let mut errs = FieldErrors::default();
        let cfv = apply_case_body(firm, &body, &mut draft, &mut errs);
        errs.check()?;
        let id = firm.add_case(ids, &draft.name, now);
        draft.id = id;
        draft.root_folder = firm.cases[&id].root_folder;
        field_values::store(&mut draft.custom_field_values, cfv, false, now);
        firm.cases.insert(id, draft);
        tracing::info!(case_id = id, "case created");
        Ok(json(
            StatusCode::CREATED,
            render::case(firm, &firm.cases[&id], &opts),
        ))
    })
}

async fn update_case(
    State(app): State<AppRef>,
    authed: Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let id = parse_id(&id)?;
    let append = append_quirk(&app);
    with_firm(&app, &authed, |firm, _| {
        let mut draft = firm.cases.get(&id).ok_or_else(ApiError::not_found)?.clone();
        let mut errs = FieldErrors::default();
        let cfv = apply_case_body(firm, &body, &mut draft, &mut errs);
        errs.check()?;
        let now = clock::now();
        field_values::store(&mut draft.custom_field_values, cfv, append, now);
        draft.updated_at = now;
        if let Some(root) = firm.folders.get_mut(&draft.root_folder) {
            root.name = draft.name.clone();
        }
        firm.cases.insert(id, draft);
        Ok(no_content())
    })
}
