//! Identifiers and contact values that cannot hold bad values.
//!
//! Parse, don't validate: every value here is checked once, where it enters the
//! system (the event body, a DynamoDB item), and the rest of the code can rely on it.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a raw value was refused. Never echoes the value itself: it may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is not valid: {why}")]
pub struct InvalidValue {
    pub what: &'static str,
    pub why: &'static str,
}

/// Implements a string identifier with a fixed prefix (`evt_`, `org_`, …) and a
/// conservative character set, so ids are safe to log and to put in DynamoDB keys.
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                parse_token(raw, $what, $prefix).map(|s| Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn parse_token<'a>(
    raw: &'a str,
    what: &'static str,
    prefix: &'static str,
) -> Result<&'a str, InvalidValue> {
    if raw.is_empty() {
        return Err(InvalidValue { what, why: "empty" });
    }
    if raw.len() > 128 {
        return Err(InvalidValue {
            what,
            why: "longer than 128 characters",
        });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(InvalidValue {
            what,
            why: "only letters, digits, '_' and '-' are allowed",
        });
    }
    if !prefix.is_empty() && !raw.starts_with(prefix) {
        return Err(InvalidValue {
            what,
            why: "wrong prefix",
        });
    }
    Ok(raw)
}

prefixed_id!(
    /// A Hona event id: unique per event, and the idempotency key of every push.
    EventId,
    "event id",
    ""
);
prefixed_id!(
    /// A Hona organisation (law firm) id.
    OrgId,
    "org id",
    ""
);
prefixed_id!(
    /// One firm's connection to one MyCase account.
    IntegrationId,
    "integration id",
    ""
);
prefixed_id!(
    /// A Hona project (the firm's matter on Hona's side).
    ProjectId,
    "project id",
    ""
);

prefixed_id!(
    /// A Hona lead (a prospective client captured by the chatbot or the voice AI agent).
    LeadId,
    "lead id",
    ""
);

prefixed_id!(
    /// A Hona intake form.
    FormId,
    "form id",
    ""
);
prefixed_id!(
    /// One question of a Hona form (stable across submissions).
    QuestionId,
    "question id",
    ""
);

/// Implements a MyCase numeric id: a positive integer (MyCase ids are JSON integers).
macro_rules! mycase_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub fn new(raw: i64) -> Result<Self, InvalidValue> {
                if raw > 0 {
                    Ok(Self(raw))
                } else {
                    Err(InvalidValue { what: $what, why: "must be a positive integer" })
                }
            }
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = i64::deserialize(d)?;
                Self::new(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

mycase_id!(
    /// A MyCase case id.
    CaseId,
    "MyCase case id"
);
mycase_id!(
    /// A MyCase client (person contact) id.
    ClientId,
    "MyCase client id"
);
mycase_id!(
    /// A MyCase staff member id.
    StaffId,
    "MyCase staff id"
);

mycase_id!(
    /// A MyCase custom field id.
    CustomFieldId,
    "MyCase custom field id"
);

/// A phone number in E.164 form (`+15551234567`).
///
/// Hona's firms are in North America, so a bare 10-digit number (or 11 digits
/// starting with 1) is read as a NANP number; anything else must carry its `+`
/// country code. Punctuation (spaces, dots, dashes, brackets) is ignored.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct E164Phone(String);

impl E164Phone {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const WHAT: &str = "phone number";
        let trimmed = raw.trim();
        let international = trimmed.starts_with('+');
        let mut digits = String::with_capacity(16);
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(InvalidValue {
                        what: WHAT,
                        why: "has characters other than digits and punctuation",
                    });
                }
            }
        }
        let e164 = if international {
            digits
        } else if digits.len() == 10 {
            format!("1{digits}")
        } else if digits.len() == 11 && digits.starts_with('1') {
            digits
        } else {
            return Err(InvalidValue {
                what: WHAT,
                why: "needs a +country code or 10 North American digits",
            });
        };
        if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
            return Err(InvalidValue {
                what: WHAT,
                why: "E.164 numbers have 8 to 15 digits and no leading 0",
            });
        }
        Ok(Self(format!("+{e164}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Redacted: a phone number is personal data and must never reach a log line.
impl fmt::Debug for E164Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("E164Phone(<redacted>)")
    }
}

impl fmt::Display for E164Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for E164Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An email address as a lead gave it: one `@`, a local part, a dotted domain, no
/// spaces. Kept as typed (MyCase shows it); compared case-insensitively, as MyCase's
/// unique-email rule and its `filter[email]` do.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const WHAT: &str = "email address";
        let email = raw.trim();
        let bad = |why| Err(InvalidValue { what: WHAT, why });
        if email.len() > 254 {
            return bad("longer than 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("has spaces or control characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return bad("has no '@'");
        };
        if local.is_empty() || domain.contains('@') {
            return bad("needs exactly one '@' after a non-empty name");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return bad("the domain needs a dot and no empty parts");
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Same mailbox, whatever the letter case.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }
}

/// Redacted: an email address is personal data and must never reach a log line.
impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_to_e164() {
        for raw in [
            "+15551234567",
            "(555) 123-4567",
            "555.123.4567",
            "1-555-123-4567",
            " +1 555 123 4567 ",
        ] {
            assert_eq!(
                E164Phone::parse(raw).unwrap().as_str(),
                "+15551234567",
                "{raw}"
            );
        }
        assert_eq!(
            E164Phone::parse("+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn bad_phones_are_refused() {
        for raw in [
            "",
            "12345",
            "555-CALL-NOW",
            "+0123456789",
            "+1234567890123456",
            "2-555-123-4567",
        ] {
            assert!(E164Phone::parse(raw).is_err(), "{raw} should be refused");
        }
    }

    #[test]
    fn phone_debug_is_redacted() {
        let p = E164Phone::parse("+15551234567").unwrap();
        assert!(!format!("{p:?}").contains("555"));
    }

    #[test]
    fn ids_refuse_bad_values() {
        assert!(EventId::parse("evt_01JDA6W7M2V9J4Q8XK3H5T0C1B").is_ok());
        assert!(EventId::parse("").is_err());
        assert!(EventId::parse("evt 1").is_err());
        assert!(EventId::parse("evt#1").is_err(), "'#' is our key separator");
        assert!(CaseId::new(0).is_err());
        assert!(CaseId::new(-4).is_err());
        assert_eq!(CaseId::new(41349079).unwrap().get(), 41349079);
    }

    #[test]
    fn ids_deserialize_through_parse() {
        let r: Result<CaseId, _> = serde_json::from_str("-1");
        assert!(r.is_err());
        let r: Result<EventId, _> = serde_json::from_str("\"a/b\"");
        assert!(r.is_err());
    }

    #[test]
    fn emails_parse_and_compare_case_insensitively() {
        let e = EmailAddress::parse(" Jane.Doe@Example.com ").unwrap();
        assert_eq!(e.as_str(), "Jane.Doe@Example.com");
        assert!(e.matches("jane.doe@example.COM"));
        assert!(!e.matches("jane@example.com"));
        assert!(!format!("{e:?}").contains("Jane"));
        for raw in [
            "",
            "jane",
            "@example.com",
            "jane@",
            "jane@example",
            "jane@@example.com",
            "jane doe@example.com",
            "jane@example..com",
        ] {
            assert!(EmailAddress::parse(raw).is_err(), "{raw} should be refused");
        }
    }
}
