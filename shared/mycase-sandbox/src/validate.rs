//! Field-by-field validation of request bodies into stored attributes, collecting 422s
//! with JSON pointers (reference §3.4, §12.5).

use serde_json::{Map, Value, json};

use crate::clock;
use crate::errors::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    Str,
    /// `YYYY-MM-DD` only.
    Date,
    Number,
    /// `{id: integer}` reference to another record.
    Ref,
    Address,
}

pub const ADDRESS_KEYS: [&str; 6] = [
    "address1", "address2", "city", "state", "zip_code", "country",
];

/// Copies the fields of `spec` present in `body` into `attrs`, type-checked. `null`
/// clears a field. Unknown keys are ignored, as the real API does.
pub fn apply_attrs(
    spec: &[(&str, FieldKind)],
    body: &Map<String, Value>,
    attrs: &mut Map<String, Value>,
    errs: &mut FieldErrors,
) {
    for &(key, kind) in spec {
        let Some(v) = body.get(key) else { continue };
        let ptr = format!("/{key}");
        if v.is_null() {
            attrs.remove(key);
            continue;
        }
        match kind {
            FieldKind::Str => match v.as_str() {
                Some(s) => {
                    attrs.insert(key.into(), Value::String(s.to_string()));
                }
                None => errs.push(&ptr, "must be a string"),
            },
            FieldKind::Date => match v.as_str() {
                Some(s) if clock::is_date(s) => {
                    attrs.insert(key.into(), Value::String(s.to_string()));
                }
                _ => errs.push(&ptr, "must be a date in the format YYYY-MM-DD"),
            },
            FieldKind::Number => match number_of(v) {
                Some(n) => {
                    attrs.insert(key.into(), json!(n));
                }
                None => errs.push(&ptr, "must be a number"),
            },
            FieldKind::Ref => match ref_id(v) {
                Some(id) => {
                    attrs.insert(key.into(), json!({ "id": id }));
                }
                None => errs.push(&format!("{ptr}/id"), "must be an object with an integer id"),
            },
            FieldKind::Address => match v.as_object() {
                Some(obj) => {
                    let mut out = Map::new();
                    for k in ADDRESS_KEYS {
                        match obj.get(k) {
                            None | Some(Value::Null) => {}
                            Some(Value::String(s)) => {
                                out.insert(k.into(), Value::String(s.clone()));
                            }
                            Some(_) => errs.push(&format!("{ptr}/{k}"), "must be a string"),
                        }
                    }
                    attrs.insert(key.into(), Value::Object(out));
                }
                None => errs.push(&ptr, "must be an object"),
            },
        }
    }
}

/// A required, non-blank string field.
pub fn required_str(
    body: &Map<String, Value>,
    key: &str,
    errs: &mut FieldErrors,
) -> Option<String> {
    match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            errs.push(&format!("/{key}"), "can't be blank");
            None
        }
        Some(_) => {
            errs.push(&format!("/{key}"), "must be a string");
            None
        }
    }
}

/// A number, or a string holding one (lenient as MyCase is with amounts).
pub fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// `{ "id": N }` → N.
pub fn ref_id(v: &Value) -> Option<i64> {
    v.as_object()?.get("id")?.as_i64()
}

/// A list of `{id}` objects, each checked with `exists`; bad entries are reported with
/// pointer `/{key}/{n}/id`.
pub fn ref_list(
    body: &Map<String, Value>,
    key: &str,
    exists: impl Fn(i64) -> bool,
    errs: &mut FieldErrors,
) -> Option<Vec<i64>> {
    let v = body.get(key)?;
    if v.is_null() {
        return Some(Vec::new());
    }
    let Some(arr) = v.as_array() else {
        errs.push(&format!("/{key}"), "must be an array");
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in arr.iter().enumerate() {
        match ref_id(item) {
            Some(id) if exists(id) => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            Some(_) => errs.push(&format!("/{key}/{i}/id"), "does not exist"),
            None => errs.push(&format!("/{key}/{i}/id"), "must be an integer id"),
        }
    }
    Some(out)
}
