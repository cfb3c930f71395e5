//! An integration as operators manage it: its settings, when its nightly sync runs,
//! and what the last one found.

use crate::nightly::NightlyReport;
use hona_domain::ids::{IntegrationId, OrgId, StaffId};
use hona_domain::integration::{Integration, LeadAutomation, LogTarget};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The local hour (in the firm's zone) the nightly sync runs at: 0–23, default midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct NightlyHour(u8);

impl NightlyHour {
    pub fn new(hour: i64) -> Result<Self, SettingsError> {
        u8::try_from(hour)
            .ok()
            .filter(|h| *h < 24)
            .map(Self)
            .ok_or(SettingsError::Invalid {
                field: "nightly_hour",
                why: "must be a whole hour from 0 to 23",
            })
    }
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for NightlyHour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:00", self.0)
    }
}

impl<'de> Deserialize<'de> for NightlyHour {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = i64::deserialize(d)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

/// The integration record with what only operations need.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationRecord {
    pub integration: Integration,
    pub nightly_hour: NightlyHour,
    pub last_nightly: Option<NightlyReport>,
}

/// What a successful OAuth connection records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub integration_id: IntegrationId,
    pub org_id: OrgId,
    pub firm_uuid: String,
    /// The MyCase user who authorised: the default sender of entries for a new integration.
    pub authorised_by: StaffId,
}

/// A change of settings from the admin API. Absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsPatch {
    pub log_target: Option<LogTarget>,
    pub time_zone: Option<chrono_tz::Tz>,
    pub sender_staff_id: Option<StaffId>,
    /// `Some(None)`: back to the default folder.
    pub documents_folder: Option<Option<String>>,
    /// `Some(None)`: leads are no longer converted.
    pub lead_automation: Option<Option<LeadAutomation>>,
    pub nightly_hour: Option<NightlyHour>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{field} {why}")]
    Invalid {
        field: &'static str,
        why: &'static str,
    },
    #[error("unknown setting {0:?}")]
    Unknown(String),
    #[error("the settings must be a JSON object")]
    NotAnObject,
}

impl SettingsPatch {
    /// Parses the admin API's body, e.g. `{"log_target":"notes","nightly_hour":2,
    /// "lead_automation":"none"}`. Unknown names are refused rather than ignored, so a
    /// typo never looks like a saved setting.
    pub fn from_json(body: &serde_json::Value) -> Result<Self, SettingsError> {
        let obj = body.as_object().ok_or(SettingsError::NotAnObject)?;
        let mut patch = SettingsPatch::default();
        for (key, value) in obj {
            patch.set(key, value)?;
        }
        Ok(patch)
    }

    /// Reads one named setting into the patch.
    fn set(&mut self, key: &str, value: &serde_json::Value) -> Result<(), SettingsError> {
        match key {
            "log_target" => self.log_target = Some(log_target(value)?),
            "time_zone" => self.time_zone = Some(time_zone(value)?),
            "sender_staff_id" => self.sender_staff_id = Some(sender_staff_id(value)?),
            "documents_folder" => self.documents_folder = Some(documents_folder(value)?),
            "lead_automation" => self.lead_automation = Some(lead_automation(value)?),
            "nightly_hour" => self.nightly_hour = Some(nightly_hour(value)?),
            other => return Err(SettingsError::Unknown(other.to_owned())),
        }
        Ok(())
    }
}

/// A setting given as text, without surrounding blanks.
fn text<'v>(field: &'static str, v: &'v serde_json::Value) -> Result<&'v str, SettingsError> {
    v.as_str().map(str::trim).ok_or(SettingsError::Invalid {
        field,
        why: "must be a string",
    })
}

fn log_target(value: &serde_json::Value) -> Result<LogTarget, SettingsError> {
    LogTarget::parse(text("log_target", value)?).ok_or(SettingsError::Invalid {
        field: "log_target",
        why: "must be thread or notes",
    })
}

fn time_zone(value: &serde_json::Value) -> Result<chrono_tz::Tz, SettingsError> {
    text("time_zone", value)?
        .parse()
        .map_err(|_| SettingsError::Invalid {
            field: "time_zone",
            why: "must be an IANA zone such as America/Chicago",
        })
}

fn sender_staff_id(value: &serde_json::Value) -> Result<StaffId, SettingsError> {
    value
        .as_i64()
        .and_then(|n| StaffId::new(n).ok())
        .ok_or(SettingsError::Invalid {
            field: "sender_staff_id",
            why: "must be a MyCase staff id (a positive integer)",
        })
}

/// `null`, or a folder that is empty once its slashes are trimmed: the default folder.
fn documents_folder(value: &serde_json::Value) -> Result<Option<String>, SettingsError> {
    if value.is_null() {
        return Ok(None);
    }
    let folder = text("documents_folder", value)?.trim_matches('/');
    Ok((!folder.is_empty()).then(|| folder.to_owned()))
}

/// `null` or `"none"`: leads are no longer converted.
fn lead_automation(value: &serde_json::Value) -> Result<Option<LeadAutomation>, SettingsError> {
    let invalid = SettingsError::Invalid {
        field: "lead_automation",
        why: "must be automatic, manual or none",
    };
    match value.as_str() {
        None if value.is_null() => Ok(None),
        Some("none") => Ok(None),
        Some(mode) => LeadAutomation::parse(mode).map(Some).ok_or(invalid),
        None => Err(invalid),
    }
}

fn nightly_hour(value: &serde_json::Value) -> Result<NightlyHour, SettingsError> {
    let hour = value.as_i64().ok_or(SettingsError::Invalid {
        field: "nightly_hour",
        why: "must be a whole hour from 0 to 23",
    })?;
    NightlyHour::new(hour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_parse_and_refuse_clearly() {
        let p = SettingsPatch::from_json(&json!({
            "log_target": "notes", "time_zone": "America/Chicago", "sender_staff_id": 7,
            "documents_folder": "/Intake/Hona/", "lead_automation": "none", "nightly_hour": 2
        }))
        .unwrap();
        assert_eq!(p.log_target, Some(LogTarget::Notes));
        assert_eq!(p.time_zone, Some(chrono_tz::America::Chicago));
        assert_eq!(p.documents_folder, Some(Some("Intake/Hona".into())));
        assert_eq!(p.lead_automation, Some(None));
        assert_eq!(p.nightly_hour.unwrap().get(), 2);

        for bad in [
            json!({"nightly_hour": 24}),
            json!({"nightly_hour": -1}),
            json!({"time_zone": "Mars/Base"}),
            json!({"log_target": "email"}),
            json!({"lead_automation": "sometimes"}),
            json!({"sender_staff_id": 0}),
            json!({"colour": "blue"}),
            json!([1]),
        ] {
            assert!(SettingsPatch::from_json(&bad).is_err(), "{bad}");
        }
    }
}
