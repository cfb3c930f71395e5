//! Realistic Hona events for the end-to-end tests, the demo and the benchmark:
//! a firm, its cases, and a day of texts, portal messages and notifications.

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Firm {
    pub name: String,
    pub org_id: String,
    pub integration_id: String,
    pub time_zone: String,
    /// MyCase staff member entries are posted as.
    pub staff_id: i64,
    pub staff_name: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub project_id: String,
    pub case_id: i64,
    pub client_id: i64,
    pub client_name: String,
    pub client_phone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Messages,
    Notifications,
}

/// One event as Hona would put it on a queue.
#[derive(Debug, Clone)]
pub struct HonaEvent {
    pub id: String,
    pub queue: Queue,
    pub integration_id: String,
    pub case_id: i64,
    /// What must appear in MyCase (the message's or notification's own words).
    pub text: String,
    pub body: Value,
}

impl HonaEvent {
    /// FIFO message group: one per case, so each case keeps its order.
    pub fn group(&self) -> String {
        format!("{}#{}", self.integration_id, self.case_id)
    }
    pub fn body_string(&self) -> String {
        self.body.to_string()
    }
}

fn envelope(
    firm: &Firm,
    case: &Case,
    id: &str,
    kind: &str,
    at: DateTime<FixedOffset>,
    data: Value,
) -> Value {
    json!({
        "id": id,
        "type": kind,
        "time": at.to_rfc3339(),
        "org_id": firm.org_id,
        "integration_id": firm.integration_id,
        "project": {"id": case.project_id, "mycase_case_id": case.case_id, "mycase_client_id": case.client_id},
        "data": data,
    })
}

pub fn message(
    firm: &Firm,
    case: &Case,
    id: &str,
    inbound: bool,
    portal: bool,
    text: &str,
    at: DateTime<FixedOffset>,
) -> HonaEvent {
    let sender = if inbound {
        json!({"kind": "client", "name": case.client_name, "phone": case.client_phone, "mycase_client_id": case.client_id})
    } else {
        json!({"kind": "staff", "name": firm.staff_name, "mycase_staff_id": firm.staff_id})
    };
    let data = json!({
        "direction": if inbound { "inbound" } else { "outbound" },
        "channel": if portal { "portal" } else { "sms" },
        "body": text,
        "sent_at": at.to_rfc3339(),
        "sender": sender,
        "attachment_count": 0,
    });
    HonaEvent {
        id: id.into(),
        queue: Queue::Messages,
        integration_id: firm.integration_id.clone(),
        case_id: case.case_id,
        text: text.into(),
        body: envelope(firm, case, id, "message.logged", at, data),
    }
}

pub const NOTIFICATION_KINDS: [&str; 5] = [
    "new_project",
    "phase_change",
    "review_request",
    "drip",
    "calendar_event",
];

pub fn notification(
    firm: &Firm,
    case: &Case,
    id: &str,
    kind: &str,
    at: DateTime<FixedOffset>,
) -> HonaEvent {
    let first = case.client_name.split(' ').next().unwrap_or("there");
    let (text, details) = match kind {
        "new_project" => (
            format!(
                "Welcome, {first}! Your case is set up in our client portal. Text this number any time."
            ),
            json!({"project_name": "Personal injury claim"}),
        ),
        "phase_change" => (
            format!(
                "Good news, {first}: your case has moved to Negotiation. We'll call you with next steps."
            ),
            json!({"phase_name": "Negotiation", "previous_phase_name": "Treatment"}),
        ),
        "review_request" => (
            format!("Thanks for trusting us, {first}. Would you leave us a quick review?"),
            json!({"review_url": "https://g.page/r/example-review"}),
        ),
        "drip" => (
            "Reminder: keep every receipt for medical visits and prescriptions.".to_owned(),
            json!({"drip_name": "Treatment tips", "drip_step": 3}),
        ),
        _ => (
            format!("{first}, reminder: your deposition prep call is tomorrow at 10:00 AM."),
            json!({"event_title": "Deposition prep call", "event_starts_at": (at + Duration::days(1)).to_rfc3339()}),
        ),
    };
    let data = json!({
        "kind": kind,
        "body": text,
        "sent_at": at.to_rfc3339(),
        "channel": "sms",
        "recipient": {"name": case.client_name, "phone": case.client_phone},
        "details": details,
    });
    HonaEvent {
        id: id.into(),
        queue: Queue::Notifications,
        integration_id: firm.integration_id.clone(),
        case_id: case.case_id,
        text,
        body: envelope(firm, case, id, "notification.sent", at, data),
    }
}

const CLIENT_LINES: &[&str] = &[
    "Hi, I got a letter from the insurance company today. Should I sign it?",
    "My back is still hurting, I have another PT appointment Thursday.",
    "Can we move Friday's call to the afternoon?",
    "I sent the photos of the car through the portal.",
    "The adjuster called me again. I didn't say anything.",
    "Thank you!! That's a relief.",
    "What time is the deposition prep?",
    "I found the ER bill, $2,340. Do you need the original?",
];
const STAFF_LINES: &[&str] = &[
    "Please don't sign anything from the insurer. Send us a photo of the letter and we'll handle it.",
    "Got it, thanks. Keep every receipt from PT.",
    "Friday at 3:30 PM works. Talk then.",
    "Received the photos, thank you. They're filed with your case.",
    "Good. If they call again, give them our number.",
    "Yes please bring the original to your appointment on Tuesday.",
];

/// `count` events spread over a working day, cycling through the firm's cases,
/// mixing inbound and outbound texts and portal messages with all five kinds of
/// notification. Ids are `{prefix}_{n}`; the order within each case is the order here.
pub fn busy_day(
    firm: &Firm,
    prefix: &str,
    count: usize,
    start: DateTime<FixedOffset>,
) -> Vec<HonaEvent> {
    let mut events = Vec::with_capacity(count);
    for n in 0..count {
        let case = &firm.cases[n % firm.cases.len()];
        let at = start + Duration::minutes(7 * n as i64);
        let id = format!("{prefix}_{n:04}");
        let event = match n % 4 {
            0 => message(
                firm,
                case,
                &id,
                true,
                n % 8 == 4,
                CLIENT_LINES[n % CLIENT_LINES.len()],
                at,
            ),
            1 => message(
                firm,
                case,
                &id,
                false,
                false,
                STAFF_LINES[n % STAFF_LINES.len()],
                at,
            ),
            2 => notification(firm, case, &id, NOTIFICATION_KINDS[(n / 4) % 5], at),
            _ => message(
                firm,
                case,
                &id,
                true,
                true,
                CLIENT_LINES[(n + 3) % CLIENT_LINES.len()],
                at,
            ),
        };
        events.push(event);
    }
    events
}

/// A file Hona received, for `document.received`: where it sits in S3 and what it is.
#[derive(Debug, Clone)]
pub struct DocumentFile<'a> {
    pub source: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub size_bytes: u64,
    /// Hex.
    pub sha256: String,
    /// `form` {form_id, question_id} or `esignature_request_id`, when the source has one.
    pub extra: Value,
}

/// `document.received` for `case` of `firm`, uploaded by the case's client.
pub fn document(
    firm: &Firm,
    case: &Case,
    id: &str,
    at: DateTime<FixedOffset>,
    file: &DocumentFile<'_>,
) -> Value {
    let mut data = json!({
        "source": file.source,
        "file_name": file.file_name,
        "content_type": file.content_type,
        "size_bytes": file.size_bytes,
        "sha256": file.sha256,
        "location": {"bucket": file.bucket, "key": file.key},
        "uploaded_by": {"kind": "client", "name": case.client_name},
    });
    if let (Some(d), Some(extra)) = (data.as_object_mut(), file.extra.as_object()) {
        d.extend(extra.clone());
    }
    envelope(firm, case, id, "document.received", at, data)
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `n` bytes that differ from any other seed's (a file's content for tests).
pub fn file_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // xorshift: cheap, and not compressible into a pattern a bug could hide behind.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}
