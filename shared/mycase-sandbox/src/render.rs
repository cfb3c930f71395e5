//! Records rendered in the API's response shapes (the OpenAPI `*Response` schemas).

use serde_json::{Map, Value, json};

use crate::clock::ts;
use crate::store::{
    CfValue, Contact, CustomField, Document, Firm, Folder, Message, Note, Staff, Thread, Version,
};

/// Per-request rendering options: fault switches and sparse fieldsets.
#[derive(Debug, Default, Clone)]
pub struct RenderOpts {
    /// Money as strings (`"500.0"`), as MyCase sometimes sends it (reference §3.3).
    pub amounts_as_strings: bool,
    /// `field[client]=…`: expand nested clients on cases to these fields.
    pub client_fields: Option<Vec<String>>,
}

fn money(n: Option<f64>, opts: &RenderOpts) -> Value {
    match n {
        None => Value::Null,
        Some(n) if opts.amounts_as_strings => json!(format!("{n:?}")),
        Some(n) => json!(n),
    }
}

fn attr(attrs: &Map<String, Value>, key: &str) -> Value {
    attrs.get(key).cloned().unwrap_or(Value::Null)
}

pub fn staff(s: &Staff) -> Value {
    json!({
        "id": s.id,
        "email": s.email,
        "first_name": s.first_name,
        "middle_initial": null,
        "last_name": s.last_name,
        "address": null,
        "cell_phone_number": null,
        "work_phone_number": null,
        "home_phone_number": null,
        "type": s.staff_type,
        "title": s.title,
        "active": s.active,
        "default_hourly_rate": 250.0,
        "created_at": ts(&s.created_at),
        "updated_at": ts(&s.updated_at),
    })
}

/// Values whose field was deleted are not shown; the field type is the field's current
/// one (an admin may have retyped it since the value was written).
pub fn cf_values(firm: &Firm, values: &[CfValue], opts: &RenderOpts) -> Value {
    Value::Array(
        values
            .iter()
            .filter_map(|v| {
                let field = firm.custom_fields.get(&v.field_id)?;
                let value = match (&v.value, field.field_type.as_str()) {
                    (Value::Number(n), "currency") => money(n.as_f64(), opts),
                    (other, _) => other.clone(),
                };
                Some(json!({
                    "custom_field": {"id": field.id, "field_type": field.field_type},
                    "value": value,
                    "created_at": ts(&v.created_at),
                    "updated_at": ts(&v.updated_at),
                }))
            })
            .collect(),
    )
}

pub const CLIENT_NESTED_FIELDS: [&str; 14] = [
    "id",
    "first_name",
    "last_name",
    "middle_initial",
    "middle_name",
    "email",
    "cell_phone_number",
    "work_phone_number",
    "home_phone_number",
    "fax_phone_number",
    "contact_group",
    "birthdate",
    "created_at",
    "updated_at",
];

fn nested_client(firm: &Firm, id: i64, opts: &RenderOpts) -> Value {
    let Some(fields) = &opts.client_fields else {
        return json!({ "id": id });
    };
    let full = firm
        .clients
        .get(&id)
        .map(client)
        .unwrap_or_else(|| json!({ "id": id }));
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    for f in fields {
        out.insert(f.clone(), full.get(f).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

pub fn case(firm: &Firm, c: &crate::store::Case, opts: &RenderOpts) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "case_number": attr(&c.attrs, "case_number"),
        "description": attr(&c.attrs, "description"),
        "opened_date": attr(&c.attrs, "opened_date"),
        "closed_date": attr(&c.attrs, "closed_date"),
        "sol_date": attr(&c.attrs, "sol_date"),
        "practice_area": attr(&c.attrs, "practice_area"),
        "case_stage": attr(&c.attrs, "case_stage"),
        "status": c.status,
        "outstanding_balance": money(c.attrs.get("outstanding_balance").and_then(Value::as_f64).or(Some(0.0)), opts),
        "billing_contact": attr(&c.attrs, "billing_contact"),
        "billing_type": "",
        "clients": c.clients.iter().map(|&id| nested_client(firm, id, opts)).collect::<Vec<_>>(),
        "companies": c.companies.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "staff": c.staff.iter().map(|s| json!({
            "id": s.id, "lead_lawyer": s.lead_lawyer, "originating_lawyer": s.originating_lawyer, "case_rate": null,
        })).collect::<Vec<_>>(),
        "custom_field_values": cf_values(firm, &c.custom_field_values, opts),
        "office": null,
        "created_at": ts(&c.created_at),
        "updated_at": ts(&c.updated_at),
    })
}

pub const CLIENT_ATTRS: [&str; 13] = [
    "email",
    "first_name",
    "middle_initial",
    "middle_name",
    "last_name",
    "address",
    "cell_phone_number",
    "work_phone_number",
    "home_phone_number",
    "fax_phone_number",
    "notes",
    "birthdate",
    "people_group",
];

/// A client without its relations (used nested and as the base of [`client_full`]).
pub fn client(c: &Contact) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(c.id));
    for k in CLIENT_ATTRS {
        out.insert(k.into(), attr(&c.attrs, k));
    }
    out.insert("contact_group".into(), json!("Client"));
    out.insert("archived".into(), json!(false));
    out.insert("created_at".into(), json!(ts(&c.created_at)));
    out.insert("updated_at".into(), json!(ts(&c.updated_at)));
    Value::Object(out)
}

pub fn client_full(firm: &Firm, c: &Contact, opts: &RenderOpts) -> Value {
    let mut v = client(c);
    let cases: Vec<Value> = firm
        .cases
        .values()
        .filter(|k| k.clients.contains(&c.id))
        .map(|k| json!({"id": k.id}))
        .collect();
    v["cases"] = Value::Array(cases);
    v["custom_field_values"] = cf_values(firm, &c.custom_field_values, opts);
    v
}

pub const LEAD_ATTRS: [&str; 16] = [
    "email",
    "first_name",
    "middle_initial",
    "last_name",
    "address",
    "cell_phone_number",
    "work_phone_number",
    "home_phone_number",
    "lead_details",
    "birthdate",
    "drivers_license_number",
    "drivers_license_state",
    "referral_source",
    "referral_source_reference",
    "referred_by",
    "status",
];

pub fn lead(firm: &Firm, c: &Contact, opts: &RenderOpts) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(c.id));
    for k in LEAD_ATTRS {
        out.insert(k.into(), attr(&c.attrs, k));
    }
    out.insert(
        "approved".into(),
        c.attrs.get("approved").cloned().unwrap_or(json!(false)),
    );
    out.insert(
        "custom_field_values".into(),
        cf_values(firm, &c.custom_field_values, opts),
    );
    out.insert("created_at".into(), json!(ts(&c.created_at)));
    out.insert("updated_at".into(), json!(ts(&c.updated_at)));
    Value::Object(out)
}

pub fn note(n: &Note) -> Value {
    let rel = |id: Option<i64>| id.map(|id| json!({ "id": id })).unwrap_or(Value::Null);
    json!({
        "id": n.id,
        "subject": n.subject,
        "note": n.note,
        "archived": false,
        "date": n.date,
        "client": rel(n.client_id),
        "company": null,
        "case": rel(n.case_id),
        "created_by": {"id": n.created_by},
        "updated_by": {"id": n.created_by},
        "created_at": ts(&n.created_at),
        "updated_at": ts(&n.updated_at),
    })
}

pub fn thread(t: &Thread) -> Value {
    json!({
        "id": t.id,
        "subject": t.subject,
        "first_message_body": t.first_message_body,
        "sender": {"id": t.sender_id},
        "case": t.case_id.map(|id| json!({ "id": id })),
        "clients": t.client_ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "staff": t.staff_ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        "created_at": ts(&t.created_at),
        "updated_at": ts(&t.updated_at),
    })
}

pub fn message(t: &Thread, m: &Message) -> Value {
    json!({
        "id": m.id,
        "sender": {"id": m.sender_id},
        "body": m.body,
        "message_thread": {"id": t.id, "subject": t.subject},
        "created_at": ts(&m.created_at),
        "updated_at": ts(&m.created_at),
    })
}

pub fn custom_field(f: &CustomField) -> Value {
    json!({
        "id": f.id,
        "name": f.name,
        "parent_type": f.parent_type,
        "field_type": f.field_type,
        "list_options": list_options(f),
        "created_at": ts(&f.created_at),
        "updated_at": ts(&f.updated_at),
    })
}

pub fn list_options(f: &CustomField) -> Value {
    Value::Array(
        f.list_options
            .iter()
            .map(|o| {
                json!({
                    "key": o.key, "option": o.option,
                    "created_at": ts(&o.created_at), "updated_at": ts(&o.updated_at),
                })
            })
            .collect(),
    )
}

pub fn folder(f: &Folder) -> Value {
    json!({
        "id": f.id,
        "name": f.name,
        "self_url": format!("/v1/folders/{}", f.id),
        "created_at": ts(&f.created_at),
        "updated_at": ts(&f.updated_at),
    })
}

pub fn document(firm: &Firm, d: &Document) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "filename": d.filename,
        "path": firm.document_path(d),
        "description": d.description,
        "assigned_date": d.assigned_date,
        "case": d.case_id.map(|id| json!({ "id": id })),
        "folder": {"id": d.folder_id},
        "self_url": format!("/v1/documents/{}", d.id),
        "created_at": ts(&d.created_at),
        "updated_at": ts(&d.updated_at),
    })
}

pub fn version(d: &Document, v: &Version) -> Value {
    json!({
        "id": v.id,
        "version": v.number,
        "document": {"id": d.id},
        "self_url": format!("/v1/documents/{}/versions/{}", d.id, v.number),
        "created_at": ts(&v.created_at),
        "updated_at": ts(&v.updated_at),
    })
}
