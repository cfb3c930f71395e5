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
}
