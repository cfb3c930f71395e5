//! The `/_sandbox` admin answers as types, for the tests, the demo and the benchmark
//! (through `client::SandboxClient`, feature `client`) and, where the sandbox builds them from a
//! struct, for the sandbox itself ([`Stats`], [`Faults`]).
//!
//! Deserialising is strict on purpose: a field the sandbox stops sending must fail the
//! test that reads it, not read as 0 or "". Every field is required, including the
//! `Option`s: serde would default a missing `Option` to `None`, so those carry
//! `deserialize_with = "Option::deserialize"`, which accepts `null` but not absence.
//! Unknown fields are ignored, so the sandbox can grow its answers without breaking
//! readers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::faults::{FailNext, Faults};

/// `GET /_sandbox/stats`: `/v1` traffic and OAuth activity since the last reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests_total: u64,
    /// Status code (as a string, `"429"`) → how many `/v1` answers had it.
    pub by_status: BTreeMap<String, u64>,
    /// Route pattern (`"POST /v1/messages"`) → how many requests it had.
    pub by_route: BTreeMap<String, u64>,
    pub token_exchanges: u64,
    pub token_refreshes: u64,
    pub refresh_rejected: u64,
    pub in_flight: u64,
    pub max_in_flight: u64,
    pub oldest_in_flight_ms: u64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub first_request_at_ms: Option<i64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub last_request_at_ms: Option<i64>,
}

impl Stats {
    /// Answers with this status so far (0 when none had it: `by_status` lists only the
    /// statuses seen).
    pub fn status_count(&self, status: u16) -> u64 {
        self.by_status
            .get(&status.to_string())
            .copied()
            .unwrap_or(0)
    }
}

/// `POST /_sandbox/firms`: the ids of what was created, in the order of the spec.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreatedFirm {
    pub firm_uuid: String,
    pub staff_ids: Vec<i64>,
    pub client_ids: Vec<i64>,
    pub lead_ids: Vec<i64>,
    pub case_ids: Vec<i64>,
    pub custom_field_ids: Vec<i64>,
}

/// `POST /_sandbox/firms/{uuid}/grant`: a token pair, as `/tokens` answers a code exchange.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Grant {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub scope: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    pub firm_uuid: String,
}

/// `POST /_sandbox/firms/{uuid}/revoke`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Revoked {
    pub revoked_access_tokens: u64,
    pub revoked_refresh_tokens: u64,
}

/// `POST /_sandbox/tokens/expire`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExpiredTokens {
    pub expired_access_tokens: u64,
}

/// `{"id": …}`, how MyCase points at another record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct IdRef {
    pub id: i64,
}

/// `GET /_sandbox/firms/{uuid}/state`: everything a firm holds, as stored. Only the parts
/// the tests read are typed; [`FirmState::raw`] is the whole answer (for "this id appears
/// nowhere in the firm" checks).
#[derive(Debug, Clone, Deserialize)]
pub struct FirmState {
    pub firm_uuid: String,
    pub name: String,
    pub clients: Vec<StateClient>,
    pub cases: Vec<StateCase>,
    pub notes: Vec<StateNote>,
    pub message_threads: Vec<StateThread>,
    pub documents: Vec<StateDocument>,
    pub custom_fields: Vec<StateCustomField>,
    /// The answer as received, every field included.
    #[serde(skip)]
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateClient {
    pub id: i64,
    #[serde(deserialize_with = "Option::deserialize")]
    pub first_name: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub last_name: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub email: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub cell_phone_number: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub notes: Option<String>,
    pub custom_field_values: Vec<StateFieldValue>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateCase {
    pub id: i64,
    pub name: String,
    /// Raw rows: duplicates and values of deleted fields included.
    pub custom_field_values: Vec<StateFieldValue>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateFieldValue {
    pub custom_field: StateFieldRef,
    /// As stored: a string, number, boolean, list or null, by field type.
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateFieldRef {
    pub id: i64,
    /// `None` for a value whose field was deleted.
    #[serde(deserialize_with = "Option::deserialize")]
    pub field_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateNote {
    pub id: i64,
    pub subject: String,
    pub note: String,
    #[serde(deserialize_with = "Option::deserialize")]
    pub case: Option<IdRef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateThread {
    pub id: i64,
    pub subject: String,
    #[serde(deserialize_with = "Option::deserialize")]
    pub case: Option<IdRef>,
    /// In order, the thread's first message included.
    pub messages: Vec<StateMessage>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateMessage {
    pub id: i64,
    pub sender: IdRef,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateDocument {
    pub id: i64,
    pub name: String,
    pub filename: String,
    /// Folder path and name, `Hona/Portal uploads/deposition.mp4`.
    pub path: String,
    #[serde(deserialize_with = "Option::deserialize")]
    pub description: Option<String>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub case: Option<IdRef>,
    pub versions: Vec<StateVersion>,
}

impl StateDocument {
    /// Versions whose file upload completed.
    pub fn uploaded_versions(&self) -> impl Iterator<Item = &StateVersion> {
        self.versions.iter().filter(|v| v.uploaded)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateVersion {
    pub id: i64,
    pub version: u32,
    pub uploaded: bool,
    /// `None` until the upload completed (also for `sha256`).
    #[serde(deserialize_with = "Option::deserialize")]
    pub size_bytes: Option<u64>,
    #[serde(deserialize_with = "Option::deserialize")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateCustomField {
    pub id: i64,
    pub name: String,
    pub parent_type: String,
    pub field_type: String,
}
