//! Notifications: `notification.sent` (the five kinds Hona sends to a client),
//! logged in the same thread as the case's messages.

use super::entry::{Entry, EntryBuilder, person};
use super::log::CommunicationsLog;
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::outcome::{PushType, Pushed};
use crate::pipeline::{Push, PushContext};
use crate::reason::Reason;
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    NewProject,
    PhaseChange,
    ReviewRequest,
    Drip,
    CalendarEvent,
}

impl NotificationKind {
    fn title(self) -> &'static str {
        match self {
            NotificationKind::NewProject => "New project",
            NotificationKind::PhaseChange => "Phase change",
            NotificationKind::ReviewRequest => "Review request",
            NotificationKind::Drip => "Drip message",
            NotificationKind::CalendarEvent => "Calendar event",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationChannel {
    Sms,
    Email,
    Portal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Recipient {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `data` of `notification.sent`.
#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSent {
    pub kind: NotificationKind,
    pub body: String,
    pub sent_at: DateTime<FixedOffset>,
    pub channel: NotificationChannel,
    pub recipient: Recipient,
    /// Kind-specific: `phase_name`, `event_title`, `event_starts_at`, `review_url`,
    /// `drip_name`, … Unknown keys are shown too, so nothing Hona adds is lost.
    #[serde(default)]
    pub details: BTreeMap<String, serde_json::Value>,
}

pub struct Notifications {
    pub log: CommunicationsLog,
}

#[async_trait]
impl Push for Notifications {
    type Data = NotificationSent;
    const PUSH_TYPE: PushType = PushType::Notifications;
    const ACCEPTS: &'static [EventType] = &[EventType::NotificationSent];

    async fn push(
        &self,
        ctx: &PushContext<'_>,
        event: &Event<NotificationSent>,
    ) -> Result<Pushed, PushError> {
        let case = event.case_id().ok_or_else(|| {
            PushError::permanent(Reason::MissingCase, "The event names no MyCase case.")
        })?;
        let entry = notification_entry(event, ctx.integration.time_zone);
        self.log
            .log(ctx, &event.id, case, &entry)
            .await
            .map(Pushed::from)
    }
}

/// Known detail keys, in the order and words a firm reads them.
const KNOWN_DETAILS: &[(&str, &str)] = &[
    ("project_name", "Project"),
    ("phase_name", "Phase"),
    ("previous_phase_name", "Previous phase"),
    ("event_title", "Event"),
    ("event_starts_at", "Starts"),
    ("event_location", "Location"),
    ("review_url", "Review link"),
    ("drip_name", "Drip campaign"),
    ("drip_step", "Drip step"),
];

pub fn notification_entry(event: &Event<NotificationSent>, zone: chrono_tz::Tz) -> Entry {
    let n = &event.data;
    let channel = match n.channel {
        NotificationChannel::Sms => "SMS",
        NotificationChannel::Email => "email",
        NotificationChannel::Portal => "client portal",
    };
    let to = person(
        &n.recipient.name,
        n.recipient.phone.as_deref(),
        n.recipient.email.as_deref(),
    );
    let mut builder = EntryBuilder::new(&format!(
        "Hona notification · {} · {channel}",
        n.kind.title()
    ))
    .line("To", &to)
    .sent(n.sent_at, zone);
    for (key, label) in KNOWN_DETAILS {
        if let Some(value) = n.details.get(*key).and_then(|v| detail_text(v, key, zone)) {
            builder = builder.line(label, &value);
        }
    }
    for (key, value) in &n.details {
        if KNOWN_DETAILS.iter().any(|(k, _)| k == key) {
            continue;
        }
        if let Some(value) = detail_text(value, key, zone) {
            builder = builder.line(&humanise(key), &value);
        }
    }
    let subject = format!(
        "Notification: {} to {}",
        n.kind.title(),
        n.recipient.name.trim()
    );
    builder.body(&n.body).finish(&event.id, subject, n.sent_at)
}

fn detail_text(value: &serde_json::Value, key: &str, zone: chrono_tz::Tz) -> Option<String> {
    match value {
        serde_json::Value::String(s) if key.ends_with("_at") => Some(
            DateTime::parse_from_rfc3339(s)
                .map(|t| {
                    t.with_timezone(&zone)
                        .format("%a %b %-d, %Y at %-I:%M %p %Z")
                        .to_string()
                })
                .unwrap_or_else(|_| s.clone()),
        ),
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        _ => None,
    }
}

/// `court_room` → "Court room".
fn humanise(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_event;

    fn event(kind: &str, details: serde_json::Value) -> Event<NotificationSent> {
        let body = serde_json::json!({
            "id": "evt_n1", "type": "notification.sent", "time": "2026-11-24T09:00:00-05:00",
            "org_id": "org_1", "integration_id": "int_1",
            "project": {"id": "prj_1", "mycase_case_id": 41349079},
            "data": {"kind": kind, "body": "Your case moved to Discovery.", "sent_at": "2026-11-24T09:00:00-05:00",
                     "channel": "sms", "recipient": {"name": "Jane Doe", "phone": "555-123-4567"},
                     "details": details}
        });
        parse_event(&body.to_string(), Notifications::ACCEPTS).unwrap()
    }

    #[test]
    fn a_phase_change_names_its_phase() {
        let e = event(
            "phase_change",
            serde_json::json!({"phase_name": "Discovery", "court_room": "4B"}),
        );
        let entry = notification_entry(&e, chrono_tz::America::New_York);
        assert_eq!(
            entry.text,
            "Hona notification · Phase change · SMS\nTo: Jane Doe (+15551234567)\nSent: Tue Nov 24, 2026 at 9:00 AM EST\nPhase: Discovery\nCourt room: 4B\n\nYour case moved to Discovery.\n\n— Logged by Hona · ref evt_n1"
        );
    }

    #[test]
    fn calendar_times_are_shown_in_the_firms_zone() {
        let e = event(
            "calendar_event",
            serde_json::json!({"event_title": "Deposition", "event_starts_at": "2026-12-01T15:30:00Z"}),
        );
        let entry = notification_entry(&e, chrono_tz::America::Chicago);
        assert!(
            entry
                .text
                .contains("Event: Deposition\nStarts: Tue Dec 1, 2026 at 9:30 AM CST"),
            "{}",
            entry.text
        );
    }

    #[test]
    fn every_kind_parses() {
        for kind in [
            "new_project",
            "phase_change",
            "review_request",
            "drip",
            "calendar_event",
        ] {
            let e = event(kind, serde_json::json!({}));
            assert!(
                notification_entry(&e, chrono_tz::UTC)
                    .text
                    .starts_with("Hona notification · ")
            );
        }
    }
}
