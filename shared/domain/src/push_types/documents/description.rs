//! What the firm reads next to the file in MyCase: where it came from, who sent it and
//! when (in the firm's own zone), and the event it came from.

use super::received::{DocumentReceived, Source, UploaderKind};
use crate::communications::entry::{local_time, one_line};
use crate::ids::EventId;
use chrono::{DateTime, FixedOffset};

pub fn describe(
    event: &EventId,
    time: DateTime<FixedOffset>,
    data: &DocumentReceived,
    zone: chrono_tz::Tz,
) -> String {
    let who = uploader(data);
    let what = match data.source {
        Source::Sms => format!("Sent by text message by {who}"),
        Source::Portal => format!("Uploaded to the client portal by {who}"),
        Source::Form => match &data.form {
            Some(f) => format!(
                "File answer to form {} (question {}) from {who}",
                one_line(&f.form_id),
                one_line(&f.question_id)
            ),
            None => format!("File answer to a form from {who}"),
        },
        Source::Esignature => match &data.esignature_request_id {
            Some(r) => format!(
                "Completed copy of e-signature request {}, from {who}",
                one_line(r)
            ),
            None => format!("Completed e-signature copy, from {who}"),
        },
    };
    format!(
        "{what} on {}. Filed by Hona · ref {event}",
        local_time(time, zone)
    )
}

fn uploader(data: &DocumentReceived) -> String {
    let name = one_line(&data.uploaded_by.name);
    let name = if name.is_empty() {
        "someone".into()
    } else {
        name
    };
    match data.uploaded_by.kind {
        UploaderKind::Client => format!("{name} (client)"),
        UploaderKind::Staff => format!("{name} (staff)"),
        UploaderKind::Other => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventType, parse_event};

    fn event(source: &str, extra: serde_json::Value) -> Event<DocumentReceived> {
        let mut data = serde_json::json!({
            "source": source, "file_name": "x.pdf", "content_type": "application/pdf",
            "size_bytes": 3, "sha256": "00".repeat(32),
            "location": {"bucket": "b", "key": "k"},
            "uploaded_by": {"kind": "client", "name": " Jane\nDoe "}
        });
        for (k, v) in extra.as_object().unwrap() {
            data[k] = v.clone();
        }
        let body = serde_json::json!({
            "id": "evt_d1", "type": "document.received", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_1", "integration_id": "int_1",
            "project": {"id": "prj_1", "mycase_case_id": 1}, "data": data
        });
        parse_event(&body.to_string(), &[EventType::DocumentReceived]).unwrap()
    }

    fn text(e: &Event<DocumentReceived>, zone: chrono_tz::Tz) -> String {
        describe(&e.id, e.time, &e.data, zone)
    }

    #[test]
    fn names_source_uploader_and_time_in_the_firms_zone() {
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            text(&event("sms", serde_json::json!({})), ny),
            "Sent by text message by Jane Doe (client) on Tue Nov 24, 2026 at 5:03 PM EST. Filed by Hona · ref evt_d1"
        );
        assert_eq!(
            text(
                &event("portal", serde_json::json!({})),
                chrono_tz::America::Los_Angeles
            ),
            "Uploaded to the client portal by Jane Doe (client) on Tue Nov 24, 2026 at 2:03 PM PST. Filed by Hona · ref evt_d1"
        );
        let form = event(
            "form",
            serde_json::json!({"form": {"form_id": "frm_9", "question_id": "q_2"}}),
        );
        assert!(
            text(&form, ny)
                .starts_with("File answer to form frm_9 (question q_2) from Jane Doe (client) on")
        );
        let esig = event(
            "esignature",
            serde_json::json!({"esignature_request_id": "esr_4", "uploaded_by": {"kind": "staff", "name": "Sam Lee"}}),
        );
        assert!(
            text(&esig, ny).starts_with(
                "Completed copy of e-signature request esr_4, from Sam Lee (staff) on"
            )
        );
    }
}
