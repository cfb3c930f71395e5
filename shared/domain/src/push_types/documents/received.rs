//! `data` of `document.received` (SPEC §2).

use serde::{Deserialize, Deserializer};
use std::fmt;

/// Where the file came from; each source has its own sub-folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A picture or file texted in (under 5 MB).
    Sms,
    /// An upload through the client portal (often over 5 MB).
    Portal,
    /// A form's file answer.
    Form,
    /// The completed copy of an e-signature request.
    Esignature,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Sms => "sms",
            Source::Portal => "portal",
            Source::Form => "form",
            Source::Esignature => "esignature",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploaderKind {
    Client,
    Staff,
    /// A kind the contract may add later: the file still lands, described neutrally.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Uploader {
    pub kind: UploaderKind,
    pub name: String,
}

/// The S3 object holding the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Location {
    pub bucket: String,
    pub key: String,
    #[serde(default)]
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FormRef {
    pub form_id: String,
    pub question_id: String,
}

/// A sha256 digest: exactly 32 bytes, sent as 64 hex digits (either case).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    pub fn parse(hex_digits: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_digits, &mut out).ok()?;
        Some(Self(out))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Sha256Digest::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hexadecimal digits"))
    }
}

/// `data` of `document.received`.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentReceived {
    pub source: Source,
    /// As the sender named it; made safe before it reaches MyCase ([`super::file_name`]).
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub sha256: Sha256Digest,
    pub location: Location,
    pub uploaded_by: Uploader,
    #[serde(default)]
    pub form: Option<FormRef>,
    #[serde(default)]
    pub esignature_request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventType, parse_event};

    fn body(data: serde_json::Value) -> String {
        serde_json::json!({
            "id": "evt_d1", "type": "document.received", "time": "2026-11-24T14:03:22-08:00",
            "org_id": "org_1", "integration_id": "int_1",
            "project": {"id": "prj_1", "mycase_case_id": 41349079},
            "data": data
        })
        .to_string()
    }

    fn good() -> serde_json::Value {
        serde_json::json!({
            "source": "form", "file_name": "id.jpg", "content_type": "image/jpeg",
            "size_bytes": 1024, "sha256": "AB".repeat(32),
            "location": {"bucket": "b", "key": "k/id.jpg"},
            "uploaded_by": {"kind": "client", "name": "Jane Doe"},
            "form": {"form_id": "frm_1", "question_id": "q_7"}
        })
    }

    #[test]
    fn parses_all_four_sources() {
        for source in ["sms", "portal", "form", "esignature"] {
            let mut d = good();
            d["source"] = source.into();
            let e =
                parse_event::<DocumentReceived>(&body(d), &[EventType::DocumentReceived]).unwrap();
            assert_eq!(e.data.source.as_str(), source);
            assert_eq!(e.data.sha256.to_hex(), "ab".repeat(32));
        }
    }

    #[test]
    fn a_bad_digest_or_size_is_bad_input_naming_the_field() {
        let mut d = good();
        d["sha256"] = "abc".into();
        let err =
            parse_event::<DocumentReceived>(&body(d), &[EventType::DocumentReceived]).unwrap_err();
        assert_eq!(err.detail, "invalid value at `data.sha256`");
        let mut d = good();
        d["size_bytes"] = (-1).into();
        let err =
            parse_event::<DocumentReceived>(&body(d), &[EventType::DocumentReceived]).unwrap_err();
        assert_eq!(err.detail, "invalid value at `data.size_bytes`");
        let mut d = good();
        d["source"] = "fax".into();
        let err =
            parse_event::<DocumentReceived>(&body(d), &[EventType::DocumentReceived]).unwrap_err();
        assert_eq!(err.detail, "invalid value at `data.source`");
    }

    #[test]
    fn an_unknown_uploader_kind_still_parses() {
        let mut d = good();
        d["uploaded_by"]["kind"] = "integration".into();
        let e = parse_event::<DocumentReceived>(&body(d), &[EventType::DocumentReceived]).unwrap();
        assert_eq!(e.data.uploaded_by.kind, UploaderKind::Other);
    }

    #[test]
    fn the_committed_fixtures_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/");
        let one = std::fs::read_to_string(format!("{dir}document.received.json")).unwrap();
        parse_event::<DocumentReceived>(&one, &[EventType::DocumentReceived]).unwrap();
        let sqs: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{dir}log-documents.json")).unwrap(),
        )
        .unwrap();
        let records = sqs["Records"].as_array().unwrap();
        assert_eq!(records.len(), 2);
        for r in records {
            let e = parse_event::<DocumentReceived>(
                r["body"].as_str().unwrap(),
                &[EventType::DocumentReceived],
            )
            .unwrap();
            assert!(e.data.size_bytes > 0);
        }
    }
}
