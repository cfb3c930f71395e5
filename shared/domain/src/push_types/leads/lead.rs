//! The lead as Hona sends it: `data` of `lead.captured`, and of
//! `lead.conversion_requested` (the same fields plus who asked).
//!
//! Email and phone are parsed here, once: an address without a proper `@domain` or
//! a number that is not a phone number refuses the event as bad input
//! (`invalid_field` at `data.email` / `data.phone`), dead-lettered for a fix and a
//! replay. Converting without the bad value instead could create a duplicate of a
//! client we would have found by it. A blank value means "not given".

use crate::ids::{E164Phone, EmailAddress, InvalidValue, LeadId};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    Chatbot,
    VoiceAi,
}

impl LeadSource {
    /// How the firm calls it.
    pub fn describe(self) -> &'static str {
        match self {
            LeadSource::Chatbot => "website chatbot",
            LeadSource::VoiceAi => "voice AI agent",
        }
    }
}

/// The Hona user who fired a manual conversion.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestedBy {
    pub name: String,
    pub hona_user_id: String,
}

/// `data` of both lead events.
#[derive(Debug, Clone, Deserialize)]
pub struct Lead {
    pub lead_id: LeadId,
    pub source: LeadSource,
    #[serde(default, deserialize_with = "text")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "parsed")]
    pub email: Option<EmailAddress>,
    #[serde(default, deserialize_with = "parsed")]
    pub phone: Option<E164Phone>,
    #[serde(default, deserialize_with = "text")]
    pub summary: Option<String>,
    pub captured_at: DateTime<FixedOffset>,
    /// Present on `lead.conversion_requested` (the push refuses one without it).
    #[serde(default)]
    pub requested_by: Option<RequestedBy>,
}

/// A contact value parsed from its text.
trait FromRaw: Sized {
    fn from_raw(raw: &str) -> Result<Self, InvalidValue>;
}

impl FromRaw for EmailAddress {
    fn from_raw(raw: &str) -> Result<Self, InvalidValue> {
        EmailAddress::parse(raw)
    }
}

impl FromRaw for E164Phone {
    fn from_raw(raw: &str) -> Result<Self, InvalidValue> {
        E164Phone::parse(raw)
    }
}

/// Absent, `null` or blank: not given. Anything else must parse.
fn parsed<'de, D: Deserializer<'de>, T: FromRaw>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(raw) if !raw.trim().is_empty() => T::from_raw(&raw)
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

/// Absent, `null` or blank: not given; otherwise trimmed.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{BadInputReason, Event, EventType, parse_event};

    const ACCEPTS: &[EventType] = &[EventType::LeadCaptured, EventType::LeadConversionRequested];

    fn body(data: serde_json::Value) -> String {
        serde_json::json!({
            "id": "evt_l1", "type": "lead.captured", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_1", "integration_id": "int_1", "data": data
        })
        .to_string()
    }

    #[test]
    fn a_voice_lead_with_blanks_parses_them_as_not_given() {
        let e: Event<Lead> = parse_event(
            &body(serde_json::json!({
                "lead_id": "lead_1", "source": "voice_ai", "first_name": " Sam ",
                "last_name": "", "email": "  ", "phone": "(503) 555-0142", "summary": null,
                "captured_at": "2026-11-24T14:03:20-08:00"
            })),
            ACCEPTS,
        )
        .unwrap();
        let lead = e.data;
        assert_eq!(lead.source, LeadSource::VoiceAi);
        assert_eq!(lead.first_name.as_deref(), Some("Sam"));
        assert_eq!(lead.last_name, None);
        assert!(lead.email.is_none());
        assert_eq!(lead.phone.unwrap().as_str(), "+15035550142");
        assert!(lead.summary.is_none());
    }

    #[test]
    fn a_bad_email_or_phone_is_refused_with_its_path_and_never_its_value() {
        for (field, value) in [("email", "jane.example.com"), ("phone", "call me maybe")] {
            let mut data = serde_json::json!({
                "lead_id": "lead_1", "source": "chatbot", "first_name": "Jane",
                "last_name": "Doe", "captured_at": "2026-11-24T14:03:20-08:00"
            });
            data[field] = value.into();
            let err = parse_event::<Lead>(&body(data), ACCEPTS).unwrap_err();
            assert_eq!(err.reason, BadInputReason::InvalidField);
            assert_eq!(err.detail, format!("invalid value at `data.{field}`"));
            assert!(!err.to_string().contains(value));
        }
    }
}
