//! Custom-field values written inline on cases, clients and leads (reference §6): the
//! field must exist with the right `parent_type`, and the value must fit its `field_type`.
//! Writes upsert by field id, unless the `quirk_custom_field_append` switch reproduces
//! the reported MyCase behaviour of appending a duplicate row on PUT.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::clock;
use crate::errors::FieldErrors;
use crate::store::{CfValue, CustomField};
use crate::validate::number_of;

pub const FIELD_TYPES: [&str; 7] = [
    "short_text",
    "long_text",
    "numeric",
    "currency",
    "date",
    "boolean",
    "list",
];
pub const PARENT_TYPES: [&str; 6] = [
    "case",
    "client",
    "company",
    "expense",
    "time",
    "time_and_expense",
];

const SHORT_TEXT_MAX: usize = 255;

/// Validates `body.custom_field_values` against the firm's fields. Returns the
/// (field id, canonical value) pairs to store, in request order.
pub fn parse(
    fields: &BTreeMap<i64, CustomField>,
    parent_type: &str,
    body: &Map<String, Value>,
    errs: &mut FieldErrors,
) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    let Some(v) = body.get("custom_field_values") else {
        return out;
    };
    if v.is_null() {
        return out;
    }
    let Some(arr) = v.as_array() else {
        errs.push("/custom_field_values", "must be an array");
        return out;
    };
    for (i, item) in arr.iter().enumerate() {
        let base = format!("/custom_field_values/{i}");
        let Some(obj) = item.as_object() else {
            errs.push(&base, "must be an object");
            continue;
        };
        let id = match obj.get("custom_field").and_then(|c| c.get("id")) {
            Some(id) => id.as_i64(),
            None => {
                errs.push(&format!("{base}/custom_field"), "can't be blank");
                continue;
            }
        };
        let id_ptr = format!("{base}/custom_field/id");
        let Some(field) = id.and_then(|id| fields.get(&id)) else {
            errs.push(&id_ptr, "custom field does not exist");
            continue;
        };
        if field.parent_type != parent_type {
            errs.push(
                &id_ptr,
                &format!(
                    "custom field is for {} records, not {parent_type}",
                    field.parent_type
                ),
            );
            continue;
        }
        let value_ptr = format!("{base}/value");
        match obj.get("value") {
            None | Some(Value::Null) => errs.push(&value_ptr, "can't be blank"),
            Some(value) => match coerce(field, value) {
                Ok(v) => out.push((field.id, v)),
                Err(msg) => errs.push(&value_ptr, &msg),
            },
        }
    }
    out
}

/// Checks a value against the field type and returns the stored form.
fn coerce(field: &CustomField, value: &Value) -> Result<Value, String> {
    match field.field_type.as_str() {
        "short_text" => match value.as_str() {
            Some(s) if s.chars().count() <= SHORT_TEXT_MAX => Ok(json!(s)),
            Some(_) => Err(format!(
                "is too long (maximum is {SHORT_TEXT_MAX} characters)"
            )),
            None => Err("must be a string for a short_text field".into()),
        },
        "long_text" => value
            .as_str()
            .map(|s| json!(s))
            .ok_or_else(|| "must be a string for a long_text field".into()),
        "numeric" => number_of(value)
            .map(|n| json!(n))
            .ok_or_else(|| "must be a number for a numeric field".into()),
        "currency" => match number_of(value) {
            Some(n) if ((n * 100.0).round() - n * 100.0).abs() < 1e-6 => Ok(json!(n)),
            Some(_) => Err("must have at most 2 decimal places for a currency field".into()),
            None => Err("must be a number for a currency field".into()),
        },
        "date" => match value.as_str() {
            Some(s) if clock::is_date(s) => Ok(json!(s)),
            _ => Err("must be a date in the format YYYY-MM-DD".into()),
        },
        "boolean" => value
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| "must be true or false for a boolean field".into()),
        "list" => {
            // The option text (case-insensitive) or the option key; stored as the text,
            // which is how values read back (reference §6.1).
            let wanted = match value {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                _ => return Err("must be one of the field's list options".into()),
            };
            field
                .list_options
                .iter()
                .find(|o| o.option.eq_ignore_ascii_case(&wanted) || o.key == wanted)
                .map(|o| json!(o.option))
                .ok_or_else(|| format!("'{wanted}' is not one of the field's list options"))
        }
        other => Err(format!("field type {other} cannot be written")),
    }
}

/// Stores parsed values: upsert by field id, or append duplicates under the quirk.
pub fn store(
    existing: &mut Vec<CfValue>,
    parsed: Vec<(i64, Value)>,
    append: bool,
    now: DateTime<Utc>,
) {
    for (field_id, value) in parsed {
        match existing.iter_mut().rev().find(|v| v.field_id == field_id) {
            Some(row) if !append => {
                row.value = value;
                row.updated_at = now;
            }
            _ => existing.push(CfValue {
                field_id,
                value,
                created_at: now,
                updated_at: now,
            }),
        }
    }
}
