//! What a new MyCase client gets from a lead: the names (MyCase requires both), the
//! email, the phone as the cell number, and a note saying where the lead came from.
//!
//! Fallbacks for names the lead lacks (a voice AI agent often hears one name only):
//! - no last name but a first name of two or more words ("Jane Doe"): split at the
//!   last space;
//! - otherwise a missing name becomes [`NAME_NOT_GIVEN`], which staff can search for.
//!
//! Each fallback is a [`Remark`] `name_fallback` in the ledger.

use super::lead::Lead;
use crate::ids::EventId;
use crate::outcome::Remark;
use crate::ports::NewClientContact;
use crate::reason::Reason;

/// Stands in for a name MyCase requires and the lead did not give.
pub const NAME_NOT_GIVEN: &str = "Unknown";

pub fn new_client(
    lead: &Lead,
    event: &EventId,
    zone: chrono_tz::Tz,
) -> (NewClientContact, Vec<Remark>) {
    let (first_name, last_name, fallback) = names(lead);
    let client = NewClientContact {
        first_name,
        last_name,
        email: lead.email.as_ref().map(|e| e.as_str().to_owned()),
        cell_phone_number: lead.phone.as_ref().map(|p| p.as_str().to_owned()),
        notes: notes(lead, event, zone),
    };
    (client, fallback.into_iter().collect())
}

/// The first and last name MyCase requires, and the remark when a fallback stood in.
fn names(lead: &Lead) -> (String, String, Option<Remark>) {
    let fallback = |detail: String| Some(Remark::new(Reason::NameFallback, detail));
    match (lead.first_name.as_deref(), lead.last_name.as_deref()) {
        (Some(first), Some(last)) => (first.to_owned(), last.to_owned(), None),
        (Some(first), None) => match first.rsplit_once(char::is_whitespace) {
            Some((given, family)) => (
                given.trim().to_owned(),
                family.to_owned(),
                fallback(
                    "The lead had no last name: the last word of its first name was used.".into(),
                ),
            ),
            None => (
                first.to_owned(),
                NAME_NOT_GIVEN.to_owned(),
                fallback(format!(
                    "The lead had no last name: \"{NAME_NOT_GIVEN}\" was used."
                )),
            ),
        },
        (None, Some(last)) => (
            NAME_NOT_GIVEN.to_owned(),
            last.to_owned(),
            fallback(format!(
                "The lead had no first name: \"{NAME_NOT_GIVEN}\" was used."
            )),
        ),
        (None, None) => (
            NAME_NOT_GIVEN.to_owned(),
            NAME_NOT_GIVEN.to_owned(),
            fallback(format!(
                "The lead had no name: \"{NAME_NOT_GIVEN} {NAME_NOT_GIVEN}\" was used."
            )),
        ),
    }
}

/// The client's note: where and when the lead came from, who asked for the conversion,
/// the lead's summary, and the references back to Hona.
fn notes(lead: &Lead, event: &EventId, zone: chrono_tz::Tz) -> String {
    let captured = lead
        .captured_at
        .with_timezone(&zone)
        .format("%a %b %-d, %Y at %-I:%M %p %Z");
    let mut notes = format!(
        "Lead captured by Hona's {} on {captured}.",
        lead.source.describe()
    );
    if let Some(by) = &lead.requested_by {
        notes.push_str(&format!(" Conversion requested by {}.", by.name.trim()));
    }
    if let Some(summary) = &lead.summary {
        notes.push_str(&format!("\n\nSummary: {summary}"));
    }
    notes.push_str(&format!("\n\n— Hona lead {} · ref {event}", lead.lead_id));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{E164Phone, EmailAddress, LeadId};
    use crate::leads::lead::{LeadSource, RequestedBy};

    fn lead(first: Option<&str>, last: Option<&str>) -> Lead {
        Lead {
            lead_id: LeadId::parse("lead_7").unwrap(),
            source: LeadSource::VoiceAi,
            first_name: first.map(str::to_owned),
            last_name: last.map(str::to_owned),
            email: Some(EmailAddress::parse("sam@example.com").unwrap()),
            phone: Some(E164Phone::parse("503 555 0142").unwrap()),
            summary: Some("Rear-ended on I-5, wants a consult.".into()),
            captured_at: chrono::DateTime::parse_from_rfc3339("2026-11-24T14:03:20-08:00").unwrap(),
            requested_by: None,
        }
    }

    fn event() -> EventId {
        EventId::parse("evt_9").unwrap()
    }

    #[test]
    fn a_full_lead_gives_a_client_with_a_note_naming_source_and_summary() {
        let (c, remarks) = new_client(
            &lead(Some("Sam"), Some("Ortiz")),
            &event(),
            chrono_tz::America::Los_Angeles,
        );
        assert!(remarks.is_empty());
        assert_eq!(
            (c.first_name.as_str(), c.last_name.as_str()),
            ("Sam", "Ortiz")
        );
        assert_eq!(c.email.as_deref(), Some("sam@example.com"));
        assert_eq!(c.cell_phone_number.as_deref(), Some("+15035550142"));
        assert_eq!(
            c.notes,
            "Lead captured by Hona's voice AI agent on Tue Nov 24, 2026 at 2:03 PM PST.\n\nSummary: Rear-ended on I-5, wants a consult.\n\n— Hona lead lead_7 · ref evt_9"
        );
    }

    #[test]
    fn missing_names_fall_back_and_say_so() {
        let cases = [
            ((Some("Sam Ortiz"), None), ("Sam", "Ortiz")),
            ((Some("Sam"), None), ("Sam", NAME_NOT_GIVEN)),
            ((None, Some("Ortiz")), (NAME_NOT_GIVEN, "Ortiz")),
            ((None, None), (NAME_NOT_GIVEN, NAME_NOT_GIVEN)),
        ];
        for ((first, last), want) in cases {
            let (c, remarks) = new_client(&lead(first, last), &event(), chrono_tz::UTC);
            assert_eq!((c.first_name.as_str(), c.last_name.as_str()), want);
            assert_eq!(remarks.len(), 1);
            assert_eq!(remarks[0].kind, Reason::NameFallback);
            assert!(!remarks[0].detail.contains("Sam") && !remarks[0].detail.contains("Ortiz"));
        }
    }

    #[test]
    fn a_manual_fire_names_who_asked() {
        let mut l = lead(Some("Sam"), Some("Ortiz"));
        l.requested_by = Some(RequestedBy {
            name: "Dana Whitfield".into(),
            hona_user_id: "usr_1".into(),
        });
        let (c, _) = new_client(&l, &event(), chrono_tz::UTC);
        assert!(c.notes.contains("Conversion requested by Dana Whitfield."));
    }
}
