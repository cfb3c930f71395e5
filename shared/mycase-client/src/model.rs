//! MyCase resources as this crate reads and writes them (reference §5–7).
//!
//! Responses are decoded leniently (see [`crate::lenient`]): ids and numbers may be strings,
//! nullable fields may be `null` or absent, unknown fields are ignored. Timestamps and dates
//! are kept as the strings MyCase sent (its output format is undocumented); parse them with
//! [`parse_timestamp`] / [`parse_date`] when needed.
//!
//! Request bodies carry only what this project writes, and leave out optional fields that
//! are unset so MyCase keeps its own defaults.
//!
//! These types hold personal data: never log them (their `Debug` is for tests).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::lenient;

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// A related object as MyCase embeds it: `{"id": N}` (other fields ignored). Also accepts a
/// bare id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IdRef {
    pub id: i64,
}

impl IdRef {
    pub fn new(id: i64) -> Self {
        Self { id }
    }
}

impl From<i64> for IdRef {
    fn from(id: i64) -> Self {
        Self { id }
    }
}

impl<'de> Deserialize<'de> for IdRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = Value::deserialize(d)?;
        let id = match &v {
            Value::Object(map) => map.get("id").and_then(lenient::value_to_i64),
            other => lenient::value_to_i64(other),
        };
        id.map(|id| IdRef { id })
            .ok_or_else(|| D::Error::custom("expected an object with an integer id"))
    }
}

/// Deserializes `{"id":N}` into `Some`; `null`, `{}` or an object without a usable id into
/// `None` (a missing relation must not fail the whole record).
fn opt_id_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IdRef>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map
            .get("id")
            .and_then(lenient::value_to_i64)
            .map(IdRef::new),
        other => lenient::value_to_i64(&other).map(IdRef::new),
    })
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub address1: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub address2: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub zip_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub country: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Time

/// Parses a MyCase timestamp: any RFC 3339 value; a date-time without offset is UTC (MyCase's
/// documented rule); a bare `YYYY-MM-DD` is midnight UTC.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s.trim_end_matches(['Z', 'z']), fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Parses a MyCase date (`YYYY-MM-DD`). A date-time is accepted and its *written* date is
/// kept, with no time-zone shift (a birthdate must not move a day).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head = s.get(..10)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

// ---------------------------------------------------------------------------------------------
// Firm and staff

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Firm {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// The firm's MyCase URL; documented as usable as a unique firm id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub middle_initial: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub last_name: Option<String>,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cell_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub work_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub home_phone_number: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient::opt_string")]
    pub staff_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub default_hourly_rate: Option<f64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Custom fields

/// A custom field definition (`GET /custom_fields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// `case | client | company | expense | time | time_and_expense`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub parent_type: String,
    /// `short_text | long_text | numeric | currency | date | boolean | list`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub field_type: String,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub list_options: Vec<ListOption>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// One option of a `list` custom field. `key` is a string id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOption {
    #[serde(default, deserialize_with = "lenient::string")]
    pub key: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub option: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// The field a value belongs to, as embedded in values read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldRef {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub field_type: Option<String>,
}

/// A custom-field value: MyCase types it `string | number | boolean`.
///
/// `Null` is for a value MyCase returns as `null`; an object or array (never seen) is kept
/// as its JSON text rather than failing the whole record.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum FieldValue {
    Bool(bool),
    Number(f64),
    Text(String),
    #[default]
    Null,
}

impl FieldValue {
    /// The value as a number, also when MyCase sent a numeric string.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Number(n) => Some(*n),
            FieldValue::Text(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            FieldValue::Bool(b) => Some(*b),
            FieldValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// `Null` or an empty/blank text.
    pub fn is_blank(&self) -> bool {
        match self {
            FieldValue::Null => true,
            FieldValue::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}
impl From<f64> for FieldValue {
    fn from(n: f64) -> Self {
        FieldValue::Number(n)
    }
}
impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s)
    }
}
impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Text(s.to_owned())
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Bool(b) => s.serialize_bool(*b),
            // Whole numbers go out as integers (`5`, not `5.0`).
            FieldValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                s.serialize_i64(*n as i64)
            }
            FieldValue::Number(n) => s.serialize_f64(*n),
            FieldValue::Text(t) => s.serialize_str(t),
            FieldValue::Null => s.serialize_unit(),
        }
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => FieldValue::Bool(b),
            Value::Number(n) => n
                .as_f64()
                .map(FieldValue::Number)
                .unwrap_or_else(|| FieldValue::Text(n.to_string())),
            Value::String(s) => FieldValue::Text(s),
            Value::Null => FieldValue::Null,
            other => FieldValue::Text(other.to_string()),
        })
    }
}

/// A custom-field value as read back on a case, client or lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    pub custom_field: CustomFieldRef,
    #[serde(default)]
    pub value: FieldValue,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// A custom-field value to write: `{"custom_field":{"id":N},"value":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValueWrite {
    pub custom_field: IdRef,
    pub value: FieldValue,
}

impl CustomFieldValueWrite {
    pub fn new(field_id: i64, value: impl Into<FieldValue>) -> Self {
        Self {
            custom_field: IdRef::new(field_id),
            value: value.into(),
        }
    }
}

/// Keeps one value per field: the one with the latest `updated_at`; on a tie, or when a
/// timestamp is missing or unreadable, the later entry (MyCase appends, reference §6.2).
/// Fields keep the order of their first appearance.
fn dedupe_values(values: &[CustomFieldValue]) -> Vec<CustomFieldValue> {
    let mut out: Vec<CustomFieldValue> = Vec::new();
    for v in values {
        match out
            .iter_mut()
            .find(|o| o.custom_field.id == v.custom_field.id)
        {
            None => out.push(v.clone()),
            Some(current) => {
                let newer = match (
                    current.updated_at.as_deref().and_then(parse_timestamp),
                    v.updated_at.as_deref().and_then(parse_timestamp),
                ) {
                    (Some(cur), Some(cand)) => cand >= cur,
                    _ => true,
                };
                if newer {
                    *current = v.clone();
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Cases

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseStaff {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub lead_lawyer: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub originating_lawyer: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub case_rate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub case_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub opened_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub closed_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sol_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub practice_area: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub case_stage: Option<String>,
    /// `open` or `closed`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub outstanding_balance: Option<f64>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub billing_contact: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub billing_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub clients: Vec<IdRef>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub companies: Vec<IdRef>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub staff: Vec<CaseStaff>,
    /// As sent by MyCase, possibly with duplicates: see [`Case::custom_field_values_deduped`].
    #[serde(default, deserialize_with = "lenient::vec")]
    pub custom_field_values: Vec<CustomFieldValue>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

impl Case {
    /// One value per custom field, the latest by `updated_at` (MyCase reportedly appends
    /// values on PUT instead of replacing them, reference §6.2).
    pub fn custom_field_values_deduped(&self) -> Vec<CustomFieldValue> {
        dedupe_values(&self.custom_field_values)
    }

    /// The current value of one custom field, if the case has one.
    pub fn custom_field_value(&self, field_id: i64) -> Option<FieldValue> {
        self.custom_field_values_deduped()
            .into_iter()
            .find(|v| v.custom_field.id == field_id)
            .map(|v| v.value)
    }
}

/// Body of `PUT /cases/{id}`. `name` is required by MyCase even for a partial update.
///
/// Send only the values that change: whether PUT replaces or merges `custom_field_values` is
/// undocumented (and reportedly appends). An empty list is left out of the body entirely, so
/// that a replace-semantics server cannot take it as "clear every value".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseUpdate {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_field_values: Vec<CustomFieldValueWrite>,
}

// ---------------------------------------------------------------------------------------------
// Notes

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub subject: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub note: String,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub archived: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub client: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub company: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub case: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub created_by: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub updated_by: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// Body of `POST /cases/{id}/notes`; all three fields are required. `date` is ISO 8601 (a
/// date, or a date-time with offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNote {
    pub subject: String,
    pub note: String,
    pub date: String,
}

// ---------------------------------------------------------------------------------------------
// Message threads and messages

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageThread {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    pub subject: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub first_message_body: Option<String>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub sender: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub case: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub clients: Vec<IdRef>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub staff: Vec<IdRef>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// Body of `POST /cases/{id}/message_threads`. These are real client-portal messages: every
/// recipient is notified (reference §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessageThread {
    pub subject: String,
    pub first_message_body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<IdRef>,
    #[serde(default)]
    pub client_recipients: Vec<IdRef>,
    #[serde(default)]
    pub staff_recipients: Vec<IdRef>,
}

/// The thread a message belongs to, as embedded in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageThreadRef {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub sender: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub body: String,
    #[serde(default)]
    pub message_thread: Option<MessageThreadRef>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// Body of `POST /message_threads/{id}/messages`; `sender` is a staff member or a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub sender: IdRef,
    pub body: String,
}

// ---------------------------------------------------------------------------------------------
// Clients and leads

/// A person contact (`/clients`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub middle_initial: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub middle_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cell_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub work_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub home_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub fax_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub contact_group: Option<String>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub people_group: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub birthdate: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub archived: Option<bool>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub cases: Vec<IdRef>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub custom_field_values: Vec<CustomFieldValue>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

impl Client {
    /// The phone numbers on file, cell first.
    pub fn phone_numbers(&self) -> impl Iterator<Item = &str> {
        [
            &self.cell_phone_number,
            &self.work_phone_number,
            &self.home_phone_number,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .filter(|p| !p.trim().is_empty())
    }
}

/// Body of `POST /clients`. Unset optionals are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClient {
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_phone_number: Option<String>,
    /// Visible to the firm only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// `filter[...]` query of `GET /clients` and `GET /leads`. Match semantics are undocumented
/// (assume exact), so callers should still compare results themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFilter {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub cell_phone_number: Option<String>,
    pub work_phone_number: Option<String>,
    pub home_phone_number: Option<String>,
}

impl ClientFilter {
    pub fn by_email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    pub fn by_cell_phone(phone: impl Into<String>) -> Self {
        Self {
            cell_phone_number: Some(phone.into()),
            ..Self::default()
        }
    }

    /// `(filter[name], value)` pairs for the set fields.
    pub fn query_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("filter[email]", &self.email),
            ("filter[first_name]", &self.first_name),
            ("filter[last_name]", &self.last_name),
            ("filter[cell_phone_number]", &self.cell_phone_number),
            ("filter[work_phone_number]", &self.work_phone_number),
            ("filter[home_phone_number]", &self.home_phone_number),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub middle_initial: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cell_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub work_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub home_phone_number: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub lead_details: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub birthdate: Option<String>,
    /// Read-only; values undocumented.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub approved: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub referral_source: Option<String>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub referral_source_reference: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub referred_by: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::vec")]
    pub custom_field_values: Vec<CustomFieldValue>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Documents

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub filename: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub assigned_date: Option<String>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub case: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub folder: Option<IdRef>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub self_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
}

/// Body of `POST /cases/{id}/documents`. `path` includes the display name and missing
/// folders are created (`"Hona/SMS/Photo 1"`); `filename` is the physical name with extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDocument {
    pub path: String,
    pub filename: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_date: Option<String>,
}

/// The answer to `POST /cases/{id}/documents` (a document plus `put_url`/`put_headers`) and to
/// `POST /documents/{id}/versions` (a version: `id` is then the *version* id, and `document`
/// and `version` are set). Use [`DocumentUpload::document_id`] for the document either way.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentUpload {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub filename: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub assigned_date: Option<String>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub case: Option<IdRef>,
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub folder: Option<IdRef>,
    /// Set on a version upload: the document the version belongs to.
    #[serde(default, deserialize_with = "opt_id_ref")]
    pub document: Option<IdRef>,
    /// Set on a version upload: its version number.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub version: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub self_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
    /// Presigned S3 PUT URL: a short-lived credential, never log it.
    #[serde(default, deserialize_with = "lenient::string")]
    pub put_url: String,
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub put_headers: BTreeMap<String, String>,
}

impl DocumentUpload {
    /// The document id, for a new document and for a new version alike.
    pub fn document_id(&self) -> i64 {
        self.document.map_or(self.id, |d| d.id)
    }

    /// Where and how to PUT the bytes.
    pub fn target(&self) -> UploadTarget {
        UploadTarget {
            put_url: self.put_url.clone(),
            put_headers: self.put_headers.clone(),
        }
    }
}

impl fmt::Debug for DocumentUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentUpload")
            .field("id", &self.id)
            .field("document", &self.document)
            .field("version", &self.version)
            .field("case", &self.case)
            .field("folder", &self.folder)
            .field("put_url", &redact_url(&self.put_url))
            .field("put_headers", &self.put_headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A presigned S3 upload: PUT the bytes to `put_url` with exactly `put_headers`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadTarget {
    pub put_url: String,
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub put_headers: BTreeMap<String, String>,
}

impl fmt::Debug for UploadTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadTarget")
            .field("put_url", &redact_url(&self.put_url))
            .field("put_headers", &self.put_headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Scheme, host and path of a URL, without the query that holds the presigned signature.
pub(crate) fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => format!(
            "{}://{}{}?<redacted>",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.path()
        ),
        Err(_) => "<unparsable url>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_decodes_leniently() {
        let json = r#"{
            "id": "41349079", "name": "Doe v. Roe", "case_number": null,
            "outstanding_balance": "500.0", "status": "open",
            "clients": [{"id": 5, "first_name": "Jane"}, {"id": "6"}],
            "companies": null,
            "staff": [{"id": 1.0, "lead_lawyer": true, "case_rate": null}],
            "billing_contact": null,
            "custom_field_values": [
                {"custom_field": {"id": 11, "field_type": "list"}, "value": "Asylum",
                 "updated_at": "2024-05-01T14:03:22Z"},
                {"custom_field": {"id": 12, "field_type": "numeric"}, "value": "42.5"},
                {"custom_field": {"id": 13, "field_type": "boolean"}, "value": true},
                {"custom_field": {"id": 14, "field_type": "short_text"}, "value": null},
                {"custom_field": {"id": 11, "field_type": "list"}, "value": "Family",
                 "updated_at": "2024-05-02T09:00:00-05:00"}
            ],
            "office": {"id": 3, "name": "Main"},
            "brand_new_field": {"nested": [1, 2, 3]}
        }"#;
        let case: Case = serde_json::from_str(json).unwrap();
        assert_eq!(case.id, 41349079);
        assert_eq!(case.outstanding_balance, Some(500.0));
        assert_eq!(case.clients, vec![IdRef::new(5), IdRef::new(6)]);
        assert!(case.companies.is_empty());
        assert_eq!(case.staff[0].id, 1);
        assert_eq!(case.custom_field_values.len(), 5);
        let deduped = case.custom_field_values_deduped();
        assert_eq!(deduped.len(), 4);
        assert_eq!(deduped[0].value, FieldValue::Text("Family".into()));
        assert_eq!(case.custom_field_value(12).unwrap().as_f64(), Some(42.5));
        assert_eq!(case.custom_field_value(13), Some(FieldValue::Bool(true)));
        assert!(case.custom_field_value(14).unwrap().is_blank());
        assert_eq!(case.custom_field_value(99), None);
    }

    #[test]
    fn dedupe_prefers_latest_timestamp_over_position() {
        let v = |value: &str, at: Option<&str>| CustomFieldValue {
            custom_field: CustomFieldRef {
                id: 1,
                field_type: None,
            },
            value: value.into(),
            created_at: None,
            updated_at: at.map(str::to_owned),
        };
        let values = vec![
            v("new", Some("2024-05-02T00:00:00Z")),
            v("old", Some("2024-05-01T00:00:00Z")),
        ];
        assert_eq!(dedupe_values(&values)[0].value, "new".into());
        // No timestamps: the appended (last) one wins.
        let values = vec![v("a", None), v("b", None)];
        assert_eq!(dedupe_values(&values)[0].value, "b".into());
    }

    #[test]
    fn writes_bodies_as_mycase_expects() {
        let update = CaseUpdate {
            name: "Doe".into(),
            custom_field_values: vec![
                CustomFieldValueWrite::new(1, "Asylum"),
                CustomFieldValueWrite::new(2, 5.0),
                CustomFieldValueWrite::new(3, 2.25),
                CustomFieldValueWrite::new(4, true),
            ],
        };
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            serde_json::json!({"name": "Doe", "custom_field_values": [
                {"custom_field": {"id": 1}, "value": "Asylum"},
                {"custom_field": {"id": 2}, "value": 5},
                {"custom_field": {"id": 3}, "value": 2.25},
                {"custom_field": {"id": 4}, "value": true}
            ]})
        );
        let bare = CaseUpdate {
            name: "Doe".into(),
            custom_field_values: vec![],
        };
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            serde_json::json!({"name": "Doe"})
        );
        let client = NewClient {
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            email: Some("j@example.com".into()),
            ..NewClient::default()
        };
        assert_eq!(
            serde_json::to_value(&client).unwrap(),
            serde_json::json!({"first_name": "Jane", "last_name": "Doe", "email": "j@example.com"})
        );
        let thread = NewMessageThread {
            subject: "s".into(),
            first_message_body: "b".into(),
            sender: None,
            client_recipients: vec![],
            staff_recipients: vec![IdRef::new(7)],
        };
        assert_eq!(
            serde_json::to_value(&thread).unwrap(),
            serde_json::json!({"subject": "s", "first_message_body": "b",
                "client_recipients": [], "staff_recipients": [{"id": 7}]})
        );
    }

    #[test]
    fn document_upload_shapes() {
        let doc: DocumentUpload = serde_json::from_str(
            r#"{"id": 9, "name": "Photo", "case": {"id": 1}, "folder": {"id": 2.0},
                "put_url": "https://s3.example/bucket/key?X-Amz-Signature=abc",
                "put_headers": {"x-amz-acl": "private", "x-num": 1, "x-null": null}}"#,
        )
        .unwrap();
        assert_eq!(doc.document_id(), 9);
        assert_eq!(doc.put_headers.len(), 2);
        assert_eq!(doc.put_headers["x-num"], "1");
        assert!(!format!("{doc:?}").contains("abc"));
        assert!(!format!("{:?}", doc.target()).contains("abc"));

        let version: DocumentUpload = serde_json::from_str(
            r#"{"id": 55, "version": 2, "document": {"id": 9}, "self_url": "/v1/documents/9/versions/2",
                "put_url": "https://s3.example/k", "put_headers": {"x-amz-acl": "private"}}"#,
        )
        .unwrap();
        assert_eq!(version.document_id(), 9);
        assert_eq!(version.version, Some(2));
    }

    #[test]
    fn timestamps_and_dates() {
        let utc = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2023-02-13T17:16:19-05:00").as_deref(),
            Some("2023-02-13T22:16:19+00:00")
        );
        assert_eq!(
            utc("2024-05-01T14:03:22.123Z").as_deref(),
            Some("2024-05-01T14:03:22.123+00:00")
        );
        assert_eq!(
            utc("2024-05-01T14:03:22").as_deref(),
            Some("2024-05-01T14:03:22+00:00")
        );
        assert_eq!(
            utc("2024-05-01 14:03:22 +0200").as_deref(),
            Some("2024-05-01T12:03:22+00:00")
        );
        assert_eq!(
            utc("2024-05-01").as_deref(),
            Some("2024-05-01T00:00:00+00:00")
        );
        assert_eq!(utc("yesterday"), None);

        let d = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        assert_eq!(parse_date("2024-05-01"), Some(d));
        assert_eq!(parse_date("2024-05-01T23:30:00-08:00"), Some(d));
        assert_eq!(parse_date("2024-05-011"), None);
        assert_eq!(parse_date("05/01/2024"), None);
    }

    #[test]
    fn client_filter_pairs() {
        let f = ClientFilter {
            email: Some("a@b.c".into()),
            home_phone_number: Some("+1555".into()),
            ..ClientFilter::default()
        };
        assert_eq!(
            f.query_pairs(),
            vec![
                ("filter[email]", "a@b.c"),
                ("filter[home_phone_number]", "+1555")
            ]
        );
    }
}
