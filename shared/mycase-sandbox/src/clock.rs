//! Time formatting and parsing in the shapes the API uses.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// RFC 3339 with whole seconds and `Z`, e.g. `2026-11-24T22:03:22Z` (reference §3.3).
pub fn ts(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A strict `YYYY-MM-DD` date (custom-field dates and `sol_date` must not carry a time).
pub fn is_date(s: &str) -> bool {
    s.len() == 10 && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// An ISO 8601 date or datetime; a datetime without offset is UTC (reference §3.3).
pub fn parse_date_or_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    if is_date(s) {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)
            .map(|n| n.and_utc());
    }
    None
}
