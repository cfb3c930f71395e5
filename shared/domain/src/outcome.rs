//! What one event did: the records the ledger and the idempotency store keep.

use crate::error::PushError;
use crate::ids::{CaseId, EventId, IntegrationId};
use crate::reason::Reason;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The five push types (and the function each has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushType {
    Messages,
    Notifications,
    Documents,
    FormFields,
    Leads,
}

impl PushType {
    pub fn as_str(self) -> &'static str {
        match self {
            PushType::Messages => "messages",
            PushType::Notifications => "notifications",
            PushType::Documents => "documents",
            PushType::FormFields => "form_fields",
            PushType::Leads => "leads",
        }
    }
}

/// A MyCase record a push created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCaseRef {
    /// `message`, `message_thread`, `note`, `document`, `case`, `client`, …
    pub kind: String,
    pub id: i64,
}

impl MyCaseRef {
    pub fn new(kind: &str, id: i64) -> Self {
        Self {
            kind: kind.to_owned(),
            id,
        }
    }
}

/// Something the operator should know about an event that did land: part of it could
/// not be pushed (say, a form answer that does not fit its field). Never personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remark {
    /// Machine-readable, e.g. `value_does_not_fit`.
    pub kind: Reason,
    /// A plain sentence naming what (a question id, a field id), never a value.
    pub detail: String,
}

impl Remark {
    pub fn new(kind: Reason, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// Proof that an event landed in MyCase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landed {
    pub refs: Vec<MyCaseRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remarks: Vec<Remark>,
}

impl Landed {
    pub fn new(refs: Vec<MyCaseRef>) -> Self {
        Self {
            refs,
            remarks: Vec::new(),
        }
    }
}

/// What a push did with one event: landed it, or decided there was nothing to push
/// (recorded as skipped with the reason, the event kept for replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    Landed(Landed),
    Skipped {
        /// Machine-readable, e.g. `no_lead_automation`.
        reason: Reason,
    },
}

impl From<Landed> for Pushed {
    fn from(landed: Landed) -> Self {
        Pushed::Landed(landed)
    }
}

/// The ledger's verdict on one event: what the push returned, as it returned it.
/// Serialized with an `outcome` tag beside the fields of the value it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Landed(Landed),
    Skipped {
        /// Machine-readable, e.g. `integration_inactive`.
        reason: Reason,
    },
    /// Permanent failures went to the dead-letter queue; others are retried.
    Failed(PushError),
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Landed { .. } => "landed",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// One ledger row: what happened to one event of one integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub integration_id: IntegrationId,
    pub event_id: EventId,
    /// The event's `type` as sent (it may be one the contract does not know).
    pub event_type: String,
    pub push_type: PushType,
    pub case_id: Option<CaseId>,
    pub event_time: String,
    pub recorded_at: DateTime<Utc>,
    pub outcome: Outcome,
    /// The event itself, kept for skipped and failed events so they can be replayed
    /// (SPEC §1: events for an inactive integration are not lost). Not kept for
    /// landed events: nothing needs them, and they hold a client's words.
    pub event_json: Option<String>,
}
