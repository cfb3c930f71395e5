//! A firm's connection to MyCase, as the pushes need it: whether it is Active, who
//! the entries are sent as, where communications are logged, and the firm's zone.

use crate::ids::{IntegrationId, OrgId, StaffId};
use serde::{Deserialize, Serialize};

/// Where message and notification entries land in MyCase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogTarget {
    /// One Communications thread per case (the default, as firms asked for).
    #[default]
    Thread,
    /// Case notes: silent logging, nobody is notified.
    Notes,
}

impl LogTarget {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "thread" => Some(LogTarget::Thread),
            "notes" => Some(LogTarget::Notes),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LogTarget::Thread => "thread",
            LogTarget::Notes => "notes",
        }
    }
}

/// When a captured lead becomes a MyCase client (SPEC §4). No setting: never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadAutomation {
    /// Converted as soon as the chatbot or voice AI agent captures it.
    Automatic,
    /// Converted only when staff fire `lead.conversion_requested`.
    Manual,
}

impl LeadAutomation {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "automatic" => Some(LeadAutomation::Automatic),
            "manual" => Some(LeadAutomation::Manual),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LeadAutomation::Automatic => "automatic",
            LeadAutomation::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: IntegrationId,
    pub org_id: OrgId,
    /// Inactive integrations push nothing; their events are recorded as skipped.
    pub active: bool,
    /// The MyCase staff member entries are posted as (MyCase needs a sender).
    pub sender_staff_id: StaffId,
    pub log_target: LogTarget,
    /// The firm's zone: entries say "sent at" in the firm's local time.
    pub time_zone: chrono_tz::Tz,
    /// MyCase's id for the connected firm, from the OAuth code exchange.
    pub firm_uuid: Option<String>,
    /// The Documents folder files land in, as the firm typed it (`None`: the default `Hona/`).
    pub documents_folder: Option<String>,
    /// Lead conversion mode; `None` means leads are never converted (recorded as skipped).
    pub lead_automation: Option<LeadAutomation>,
    /// Set when MyCase refused the grant (revoked or expired refresh token): the reason an
    /// operator sees. Cleared by re-connecting.
    pub needs_reconnect: Option<String>,
}
