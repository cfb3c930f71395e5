//! How an event reads in MyCase: a short subject (used for notes) and the full
//! text of the entry: what it is, who sent it to whom, when (in the firm's time
//! zone), the words themselves, and the Hona reference for tracing.

use crate::ids::{E164Phone, EventId};
use chrono::{DateTime, FixedOffset};
use std::fmt::Write as _;

/// One communications entry, ready to be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// One line, for a note's subject.
    pub subject: String,
    /// The whole entry, for a thread message or a note's text.
    pub text: String,
    /// When it was sent, with its original offset (a note's `date`).
    pub sent_at: DateTime<FixedOffset>,
}

/// Builds an entry line by line; one format for every kind of communication.
pub struct EntryBuilder {
    text: String,
}

impl EntryBuilder {
    /// `title` is the first line, e.g. "Text message · inbound · SMS".
    pub fn new(title: &str) -> Self {
        Self {
            text: format!("{title}\n"),
        }
    }

    pub fn line(mut self, label: &str, value: &str) -> Self {
        let _ = writeln!(self.text, "{label}: {}", one_line(value));
        self
    }

    pub fn sent(self, sent_at: DateTime<FixedOffset>, zone: chrono_tz::Tz) -> Self {
        self.line("Sent", &local_time(sent_at, zone))
    }

    /// The words themselves, kept exactly as written (line breaks included).
    pub fn body(mut self, body: &str) -> Self {
        if !body.is_empty() {
            self.text.push('\n');
            self.text.push_str(body.trim_end());
            self.text.push('\n');
        }
        self
    }

    pub fn note(mut self, note: &str) -> Self {
        let _ = write!(self.text, "\n{note}\n");
        self
    }

    pub fn finish(
        mut self,
        event: &EventId,
        subject: String,
        sent_at: DateTime<FixedOffset>,
    ) -> Entry {
        let _ = write!(self.text, "\n— Logged by Hona · ref {event}");
        Entry {
            subject: one_line(&subject),
            text: self.text,
            sent_at,
        }
    }
}

/// A moment as the firm reads it: "Tue Nov 24, 2026 at 2:03 PM PST" in its own zone.
pub fn local_time(at: DateTime<FixedOffset>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %b %-d, %Y at %-I:%M %p %Z")
        .to_string()
}

/// "Jane Doe (+15551234567)", the number normalised when it can be.
pub fn person(name: &str, phone: Option<&str>, email: Option<&str>) -> String {
    let name = one_line(name);
    let name = if name.is_empty() {
        "Unknown".to_owned()
    } else {
        name
    };
    let contact = phone
        .map(|p| {
            E164Phone::parse(p)
                .map(|e| e.to_string())
                .unwrap_or_else(|_| one_line(p))
        })
        .or_else(|| email.map(one_line));
    match contact {
        Some(c) if !c.is_empty() => format!("{name} ({c})"),
        _ => name,
    }
}

/// Header values stay on one line whatever the sender typed (at most 200 characters).
pub(crate) fn one_line(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_show_local_time_and_keep_the_body() {
        let sent = DateTime::parse_from_rfc3339("2026-11-24T22:03:22Z").unwrap();
        let e = EntryBuilder::new("Text message · inbound · SMS")
            .line("From", &person("Jane  Doe", Some("(555) 123-4567"), None))
            .sent(sent, chrono_tz::America::Los_Angeles)
            .body("Hi,\nsee you at 3.\n\n")
            .finish(
                &EventId::parse("evt_1").unwrap(),
                "Text from Jane Doe".into(),
                sent,
            );
        assert_eq!(
            e.text,
            "Text message · inbound · SMS\nFrom: Jane Doe (+15551234567)\nSent: Tue Nov 24, 2026 at 2:03 PM PST\n\nHi,\nsee you at 3.\n\n— Logged by Hona · ref evt_1"
        );
        assert_eq!(e.subject, "Text from Jane Doe");
    }

    #[test]
    fn daylight_time_is_named() {
        let sent = DateTime::parse_from_rfc3339("2026-07-01T12:00:00-04:00").unwrap();
        let e = EntryBuilder::new("x")
            .sent(sent, chrono_tz::America::New_York)
            .finish(&EventId::parse("evt_2").unwrap(), "s".into(), sent);
        assert!(
            e.text.contains("Sent: Wed Jul 1, 2026 at 12:00 PM EDT"),
            "{}",
            e.text
        );
    }

    #[test]
    fn people_without_names_or_with_odd_numbers() {
        assert_eq!(person("", None, None), "Unknown");
        assert_eq!(
            person("Bo", Some("short code 7272"), None),
            "Bo (short code 7272)"
        );
        assert_eq!(
            person("Bo", None, Some("bo@example.com")),
            "Bo (bo@example.com)"
        );
    }
}
