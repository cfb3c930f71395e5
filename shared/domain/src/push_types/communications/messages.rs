//! 2-Way Messages: `message.logged` (texts and portal messages, both directions).

use super::entry::{EntryBuilder, person};
use super::log::CommunicationsLog;
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::ids::{ClientId, StaffId};
use crate::outcome::{PushType, Pushed};
use crate::pipeline::{Push, PushContext};
use crate::reason::Reason;
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    Sms,
    Portal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    Client,
    Staff,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sender {
    pub kind: SenderKind,
    pub name: String,
    /// Kept as sent: an odd number must not stop the message being logged.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub mycase_staff_id: Option<StaffId>,
    #[serde(default)]
    pub mycase_client_id: Option<ClientId>,
}

/// `data` of `message.logged`.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageLogged {
    pub direction: Direction,
    pub channel: MessageChannel,
    /// May be empty when the message only carried attachments.
    pub body: String,
    pub sent_at: DateTime<FixedOffset>,
    pub sender: Sender,
    #[serde(default)]
    pub attachment_count: u32,
}

pub struct Messages {
    pub log: CommunicationsLog,
}

#[async_trait]
impl Push for Messages {
    type Data = MessageLogged;
    const PUSH_TYPE: PushType = PushType::Messages;
    const ACCEPTS: &'static [EventType] = &[EventType::MessageLogged];

    async fn push(
        &self,
        ctx: &PushContext<'_>,
        event: &Event<MessageLogged>,
    ) -> Result<Pushed, PushError> {
        let case = event.case_id().ok_or_else(|| {
            PushError::permanent(Reason::MissingCase, "The event names no MyCase case.")
        })?;
        let entry = message_entry(event, ctx.integration.time_zone);
        self.log
            .log(ctx, &event.id, case, &entry)
            .await
            .map(Pushed::from)
    }
}

pub fn message_entry(event: &Event<MessageLogged>, zone: chrono_tz::Tz) -> super::entry::Entry {
    let m = &event.data;
    let (kind, channel) = match m.channel {
        MessageChannel::Sms => ("Text message", "SMS"),
        MessageChannel::Portal => ("Portal message", "client portal"),
    };
    let direction = match m.direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    };
    let role = match m.sender.kind {
        SenderKind::Client => "client",
        SenderKind::Staff => "staff",
    };
    let from = format!(
        "{} — {role}",
        person(&m.sender.name, m.sender.phone.as_deref(), None)
    );
    let mut builder = EntryBuilder::new(&format!("{kind} · {direction} · {channel}"))
        .line("From", &from)
        .sent(m.sent_at, zone)
        .body(&m.body);
    if m.attachment_count > 0 {
        let plural = if m.attachment_count == 1 {
            "attachment"
        } else {
            "attachments"
        };
        builder = builder.note(&format!(
            "({} {plural}: filed in the case's Documents by Hona)",
            m.attachment_count
        ));
    } else if m.body.trim().is_empty() {
        builder = builder.note("(no text)");
    }
    let subject = format!(
        "{kind} {} {} ({direction})",
        if m.direction == Direction::Inbound {
            "from"
        } else {
            "by"
        },
        m.sender.name.trim()
    );
    builder.finish(&event.id, subject, m.sent_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_event;

    #[test]
    fn an_inbound_text_reads_as_firms_expect() {
        let body = serde_json::json!({
            "id": "evt_m1", "type": "message.logged", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_1", "integration_id": "int_1",
            "project": {"id": "prj_1", "mycase_case_id": 41349079},
            "data": {"direction": "inbound", "channel": "sms", "body": "Can we move Friday's call?",
                     "sent_at": "2026-11-24T14:03:20-08:00",
                     "sender": {"kind": "client", "name": "Jane Doe", "phone": "+15551234567"},
                     "attachment_count": 2}
        });
        let e: Event<MessageLogged> = parse_event(&body.to_string(), Messages::ACCEPTS).unwrap();
        let entry = message_entry(&e, chrono_tz::America::Los_Angeles);
        assert_eq!(
            entry.text,
            "Text message · inbound · SMS\nFrom: Jane Doe (+15551234567) — client\nSent: Tue Nov 24, 2026 at 2:03 PM PST\n\nCan we move Friday's call?\n\n(2 attachments: filed in the case's Documents by Hona)\n\n— Logged by Hona · ref evt_m1"
        );
        assert_eq!(entry.subject, "Text message from Jane Doe (inbound)");
    }

    #[test]
    fn a_bad_direction_is_bad_input() {
        let body = serde_json::json!({
            "id": "evt_m1", "type": "message.logged", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_1", "integration_id": "int_1",
            "project": {"id": "prj_1", "mycase_case_id": 41349079},
            "data": {"direction": "sideways", "channel": "sms", "body": "x",
                     "sent_at": "2026-11-24T14:03:20-08:00", "sender": {"kind": "client", "name": "J"}}
        });
        let err = parse_event::<MessageLogged>(&body.to_string(), Messages::ACCEPTS).unwrap_err();
        assert_eq!(err.detail, "invalid value at `data.direction`");
    }
}
