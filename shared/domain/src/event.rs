//! Hona's event contract (SPEC §2): the envelope every push type shares, and the
//! parsing that turns an SQS body (or an EventBridge event wrapping it) into a typed
//! event, or into a [`BadInput`] with a machine-readable reason.

use crate::ids::{CaseId, ClientId, EventId, IntegrationId, OrgId, ProjectId};
use chrono::{DateTime, FixedOffset};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every `type` Hona sends. An unknown string is bad input, not a silent skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "message.logged")]
    MessageLogged,
    #[serde(rename = "notification.sent")]
    NotificationSent,
    #[serde(rename = "document.received")]
    DocumentReceived,
    #[serde(rename = "form.submitted")]
    FormSubmitted,
    #[serde(rename = "lead.captured")]
    LeadCaptured,
    #[serde(rename = "lead.conversion_requested")]
    LeadConversionRequested,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::MessageLogged,
        EventType::NotificationSent,
        EventType::DocumentReceived,
        EventType::FormSubmitted,
        EventType::LeadCaptured,
        EventType::LeadConversionRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MessageLogged => "message.logged",
            EventType::NotificationSent => "notification.sent",
            EventType::DocumentReceived => "document.received",
            EventType::FormSubmitted => "form.submitted",
            EventType::LeadCaptured => "lead.captured",
            EventType::LeadConversionRequested => "lead.conversion_requested",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Lead events are firm-wide; every other event belongs to one case.
    pub fn is_case_scoped(self) -> bool {
        !matches!(
            self,
            EventType::LeadCaptured | EventType::LeadConversionRequested
        )
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Hona project an event belongs to, and the MyCase case it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub mycase_case_id: CaseId,
    #[serde(default)]
    pub mycase_client_id: Option<ClientId>,
}

/// A parsed event whose `data` has the push type's own shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event<D> {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub time: DateTime<FixedOffset>,
    pub org_id: OrgId,
    pub integration_id: IntegrationId,
    #[serde(default)]
    pub project: Option<Project>,
    pub data: D,
}

impl<D> Event<D> {
    /// The case of a case-scoped event. Parsing guarantees it is present for those.
    pub fn case_id(&self) -> Option<CaseId> {
        self.project.as_ref().map(|p| p.mycase_case_id)
    }
}

/// Machine-readable reasons an event body is refused. They travel as a message
/// attribute on the dead letter, so they are stable strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadInputReason {
    /// The body is not JSON (or not a JSON object).
    InvalidJson,
    /// `type` is missing from the contract's list.
    UnknownType,
    /// A known type that this function does not handle (a routing mistake upstream).
    UnsupportedType,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong JSON type or a value the contract does not allow.
    InvalidField,
}

impl BadInputReason {
    /// The stored spelling: the [`crate::Reason`] it is, spelled once, there.
    pub fn as_str(self) -> &'static str {
        (&crate::reason::Reason::from(self)).into()
    }
}

/// An event body that can never be pushed, with what is known about it for the
/// dead letter. `detail` names fields and types only, never values (they may be
/// a client's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad input ({}): {detail}", reason.as_str())]
pub struct BadInput {
    pub reason: BadInputReason,
    pub detail: String,
    /// Whatever ids could be read, for the ledger and the dead letter.
    pub event_id: Option<EventId>,
    pub integration_id: Option<IntegrationId>,
    pub event_type: Option<String>,
}

impl From<BadInputReason> for crate::reason::Reason {
    fn from(reason: BadInputReason) -> Self {
        use crate::reason::Reason;
        match reason {
            BadInputReason::InvalidJson => Reason::InvalidJson,
            BadInputReason::UnknownType => Reason::UnknownType,
            BadInputReason::UnsupportedType => Reason::UnsupportedType,
            BadInputReason::MissingField => Reason::MissingField,
            BadInputReason::InvalidField => Reason::InvalidField,
        }
    }
}

/// Bad input as the failure the ledger and the dead letter record (always permanent).
impl From<&BadInput> for crate::error::PushError {
    fn from(bad: &BadInput) -> Self {
        crate::error::PushError::permanent(bad.reason.into(), bad.detail.clone())
    }
}

/// Parses one queue message body into an event for a push that handles `accepts`.
///
/// Accepts the plain event object, or an EventBridge event whose `detail` is it.
pub fn parse_event<D: DeserializeOwned>(
    body: &str,
    accepts: &[EventType],
) -> Result<Event<D>, BadInput> {
    let value = parse_event_object(body)?;
    let trace = Trace::read(&value);
    let (event_type, shown_type) = read_event_type(&value, accepts, &trace)?;
    let event: Event<D> = deserialize_event(value, &shown_type, &trace)?;
    if event_type.is_case_scoped() && event.project.is_none() {
        return Err(trace.refuse(
            BadInputReason::MissingField,
            "missing field `project` (required on case-scoped events)".into(),
            Some(shown_type),
        ));
    }
    Ok(event)
}

/// The body as a JSON object, out of its EventBridge envelope if it has one.
///
/// Nothing is known about the event yet, so a refusal here carries no ids.
fn parse_event_object(body: &str) -> Result<serde_json::Value, BadInput> {
    let untraced = |detail: String| BadInput {
        reason: BadInputReason::InvalidJson,
        detail,
        event_id: None,
        integration_id: None,
        event_type: None,
    };
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        // serde_json's syntax errors give a position, never the text itself.
        untraced(format!(
            "body is not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let value = unwrap_eventbridge(value);
    if !value.is_object() {
        return Err(untraced("body is JSON but not an object".into()));
    }
    Ok(value)
}

/// The ids read from an event before its full parse, so even a refused event can be
/// traced in the ledger and the dead letter.
struct Trace {
    event_id: Option<EventId>,
    integration_id: Option<IntegrationId>,
}

impl Trace {
    fn read(object: &serde_json::Value) -> Self {
        let text = |key: &str| object.get(key).and_then(|v| v.as_str());
        Self {
            event_id: text("id").and_then(|s| EventId::parse(s).ok()),
            integration_id: text("integration_id").and_then(|s| IntegrationId::parse(s).ok()),
        }
    }

    /// The refusal of this event, carrying whatever ids it had.
    fn refuse(
        &self,
        reason: BadInputReason,
        detail: String,
        event_type: Option<String>,
    ) -> BadInput {
        BadInput {
            reason,
            detail,
            event_id: self.event_id.clone(),
            integration_id: self.integration_id.clone(),
            event_type,
        }
    }
}

/// The event's type, if it is one this function handles, with the spelling that is
/// safe to echo in logs and dead letters.
fn read_event_type(
    object: &serde_json::Value,
    accepts: &[EventType],
    trace: &Trace,
) -> Result<(EventType, String), BadInput> {
    let raw_type = match object.get("type") {
        None => {
            return Err(trace.refuse(
                BadInputReason::MissingField,
                "missing field `type`".into(),
                None,
            ));
        }
        Some(serde_json::Value::String(s)) => s,
        Some(_) => {
            return Err(trace.refuse(
                BadInputReason::InvalidField,
                "`type` must be a string".into(),
                None,
            ));
        }
    };
    let shown_type = shown_type(raw_type);
    let Some(event_type) = EventType::parse(raw_type) else {
        return Err(trace.refuse(
            BadInputReason::UnknownType,
            format!("unknown event type `{shown_type}`"),
            Some(shown_type),
        ));
    };
    if !accepts.contains(&event_type) {
        return Err(trace.refuse(
            BadInputReason::UnsupportedType,
            format!("`{event_type}` is not handled by this function"),
            Some(shown_type),
        ));
    }
    Ok((event_type, shown_type))
}

/// An unknown type string is bounded and sanitised before it is echoed anywhere.
fn shown_type(raw_type: &str) -> String {
    raw_type
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
        .take(64)
        .collect()
}

/// The full parse into the push's event, refusing with the path of the first bad field.
fn deserialize_event<D: DeserializeOwned>(
    value: serde_json::Value,
    shown_type: &str,
    trace: &Trace,
) -> Result<Event<D>, BadInput> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // serde's "invalid type/value" messages quote the offending value, which may
        // be personal data: keep only the path and the kind of problem.
        let (reason, detail) = if let Some(field) = missing_field_name(&message) {
            let at = if path == "." {
                String::new()
            } else {
                format!("{path}.")
            };
            (
                BadInputReason::MissingField,
                format!("missing field `{at}{field}`"),
            )
        } else {
            (
                BadInputReason::InvalidField,
                format!("invalid value at `{path}`"),
            )
        };
        trace.refuse(reason, detail, Some(shown_type.to_owned()))
    })
}

/// `missing field `x`` → `x`. serde's wording for this error is stable.
fn missing_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// An EventBridge event (`detail-type`, `source`, `detail`) carries the Hona event in
/// `detail`; anything else is taken as the event itself.
fn unwrap_eventbridge(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(mut map)
            if map.contains_key("detail-type")
                && map.get("detail").is_some_and(|d| d.is_object()) =>
        {
            map.remove("detail").unwrap_or_default()
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Data {
        body: String,
        #[allow(dead_code)]
        count: u32,
    }

    fn good() -> serde_json::Value {
        serde_json::json!({
            "id": "evt_1", "type": "message.logged", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_3f9a", "integration_id": "int_mycase_3f9a",
            "project": {"id": "prj_812", "mycase_case_id": 41349079, "mycase_client_id": 5550123},
            "data": {"body": "Jane's secret words", "count": 1}
        })
    }

    const ACCEPTS: &[EventType] = &[EventType::MessageLogged];

    #[test]
    fn parses_a_good_event_and_an_eventbridge_wrapped_one() {
        let e: Event<Data> = parse_event(&good().to_string(), ACCEPTS).unwrap();
        assert_eq!(e.id.as_str(), "evt_1");
        assert_eq!(e.case_id().unwrap().get(), 41349079);
        assert_eq!(e.data.body, "Jane's secret words");
        let wrapped = serde_json::json!({"version":"0","detail-type":"hona.event","source":"hona","detail": good()});
        let e: Event<Data> = parse_event(&wrapped.to_string(), ACCEPTS).unwrap();
        assert_eq!(e.integration_id.as_str(), "int_mycase_3f9a");
    }

    #[test]
    fn not_json_is_invalid_json() {
        let e = parse_event::<Data>("hello {", ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::InvalidJson);
        let e = parse_event::<Data>("[1,2]", ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::InvalidJson);
    }

    #[test]
    fn unknown_and_unsupported_types() {
        let mut v = good();
        v["type"] = "message.deleted".into();
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::UnknownType);
        assert_eq!(e.event_id.unwrap().as_str(), "evt_1");
        v["type"] = "form.submitted".into();
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::UnsupportedType);
    }

    #[test]
    fn missing_fields_are_named_with_their_path() {
        let mut v = good();
        v["data"].as_object_mut().unwrap().remove("body");
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::MissingField);
        assert_eq!(e.detail, "missing field `data.body`");
        let mut v = good();
        v.as_object_mut().unwrap().remove("project");
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::MissingField);
        let mut v = good();
        v.as_object_mut().unwrap().remove("time");
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.detail, "missing field `time`");
    }

    #[test]
    fn wrong_types_never_echo_the_value() {
        let mut v = good();
        v["data"]["count"] = "Jane Doe +15551234567".into();
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::InvalidField);
        assert_eq!(e.detail, "invalid value at `data.count`");
        let mut v = good();
        v["time"] = "yesterday at noon".into();
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert!(!e.to_string().contains("noon"));
        let mut v = good();
        v["project"]["mycase_case_id"] = (-3).into();
        let e = parse_event::<Data>(&v.to_string(), ACCEPTS).unwrap_err();
        assert_eq!(e.reason, BadInputReason::InvalidField);
    }
}
