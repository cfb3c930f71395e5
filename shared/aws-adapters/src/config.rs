//! The resource names a function reads from its environment (set by the SAM
//! template; listed in `docs/configuration.md`). Read once at cold start; a missing one stops
//! the function with a message naming it, rather than failing on first use.

use hona_domain::outcome::PushType;
use std::env;

#[derive(Debug, Clone)]
pub struct ResourceNames {
    pub integrations_table: String,
    pub idempotency_table: String,
    pub ledger_table: String,
    pub case_threads_table: String,
    pub leases_table: String,
    /// Secrets Manager names: `{prefix}/oauth-client`, `{prefix}/tokens/{integration}`.
    pub secret_prefix: String,
    pub dead_letter_queue_url: String,
    /// Days a landed ledger row is kept (`HONA_LEDGER_RETENTION_DAYS`, optional, default
    /// 90): then DynamoDB's TTL removes it. Skipped and failed rows and the summaries stay.
    pub ledger_retention_days: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("missing environment variable(s): {}", .0.join(", "))]
pub struct MissingConfig(pub Vec<&'static str>);

impl ResourceNames {
    pub const VARIABLES: [&'static str; 7] = [
        "HONA_INTEGRATIONS_TABLE",
        "HONA_IDEMPOTENCY_TABLE",
        "HONA_LEDGER_TABLE",
        "HONA_CASE_THREADS_TABLE",
        "HONA_LEASES_TABLE",
        "HONA_SECRET_PREFIX",
        "HONA_DEAD_LETTER_QUEUE_URL",
    ];

    pub fn from_env() -> Result<Self, MissingConfig> {
        Self::read(true)
    }

    /// For a function no queue feeds (the mapping API): `HONA_DEAD_LETTER_QUEUE_URL` is
    /// not read and stays empty, and such a function never builds the pipeline's stores.
    pub fn from_env_without_queue() -> Result<Self, MissingConfig> {
        Self::read(false)
    }

    fn read(with_queue: bool) -> Result<Self, MissingConfig> {
        let mut missing = Vec::new();
        let mut read = |name: &'static str| match env::var(name) {
            Ok(v) if !v.trim().is_empty() => v,
            _ => {
                missing.push(name);
                String::new()
            }
        };
        let names = Self {
            integrations_table: read("HONA_INTEGRATIONS_TABLE"),
            idempotency_table: read("HONA_IDEMPOTENCY_TABLE"),
            ledger_table: read("HONA_LEDGER_TABLE"),
            case_threads_table: read("HONA_CASE_THREADS_TABLE"),
            leases_table: read("HONA_LEASES_TABLE"),
            secret_prefix: read("HONA_SECRET_PREFIX").trim_end_matches('/').to_owned(),
            dead_letter_queue_url: if with_queue {
                read("HONA_DEAD_LETTER_QUEUE_URL")
            } else {
                String::new()
            },
            ledger_retention_days: match env::var("HONA_LEDGER_RETENTION_DAYS") {
                Ok(v) if !v.trim().is_empty() => match v.trim().parse::<u32>() {
                    Ok(days) if days > 0 => days,
                    // Named like a missing one: a typo must not keep rows for ever or none.
                    _ => {
                        missing.push(
                            "HONA_LEDGER_RETENTION_DAYS (a whole number of days, at least 1)",
                        );
                        0
                    }
                },
                _ => crate::dynamo::ledger::DEFAULT_RETENTION_DAYS,
            },
        };
        if missing.is_empty() {
            Ok(names)
        } else {
            Err(MissingConfig(missing))
        }
    }

    /// `HONA_LEADS_TABLE`: read only by `convert-leads`, so the other functions
    /// need not be given it.
    pub fn leads_table() -> Result<String, MissingConfig> {
        match env::var("HONA_LEADS_TABLE") {
            Ok(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(MissingConfig(vec!["HONA_LEADS_TABLE"])),
        }
    }

    pub fn oauth_client_secret(&self) -> String {
        format!("{}/oauth-client", self.secret_prefix)
    }

    pub fn tokens_secret(&self, integration: &str) -> String {
        format!("{}/tokens/{integration}", self.secret_prefix)
    }

    /// The HMAC key that signs connect `state`s (any string; rotate by replacing it).
    pub fn state_signing_key_secret(&self) -> String {
        format!("{}/state-signing-key", self.secret_prefix)
    }
}

/// The push types' queues, where replay and the nightly re-drive put events back, and
/// the nightly queue. Each is optional: a replay to a push type whose queue is not
/// configured fails for that event with a reason naming the variable.
#[derive(Debug, Clone, Default)]
pub struct QueueUrls {
    pub messages: Option<String>,
    pub notifications: Option<String>,
    pub documents: Option<String>,
    pub form_fields: Option<String>,
    pub leads: Option<String>,
    /// `HONA_NIGHTLY_QUEUE_URL`: the nightly starter's fan-out target.
    pub nightly: Option<String>,
}

impl QueueUrls {
    pub const VARIABLES: [(PushType, &'static str); 5] = [
        (PushType::Messages, "HONA_QUEUE_URL_MESSAGES"),
        (PushType::Notifications, "HONA_QUEUE_URL_NOTIFICATIONS"),
        (PushType::Documents, "HONA_QUEUE_URL_DOCUMENTS"),
        (PushType::FormFields, "HONA_QUEUE_URL_FORM_FIELDS"),
        (PushType::Leads, "HONA_QUEUE_URL_LEADS"),
    ];

    pub fn from_env() -> Self {
        let read = |name: &str| env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            messages: read("HONA_QUEUE_URL_MESSAGES"),
            notifications: read("HONA_QUEUE_URL_NOTIFICATIONS"),
            documents: read("HONA_QUEUE_URL_DOCUMENTS"),
            form_fields: read("HONA_QUEUE_URL_FORM_FIELDS"),
            leads: read("HONA_QUEUE_URL_LEADS"),
            nightly: read("HONA_NIGHTLY_QUEUE_URL"),
        }
    }

    pub fn for_push_type(&self, push_type: PushType) -> Option<&str> {
        match push_type {
            PushType::Messages => self.messages.as_deref(),
            PushType::Notifications => self.notifications.as_deref(),
            PushType::Documents => self.documents.as_deref(),
            PushType::FormFields => self.form_fields.as_deref(),
            PushType::Leads => self.leads.as_deref(),
        }
    }

    pub fn variable(push_type: PushType) -> &'static str {
        Self::VARIABLES
            .iter()
            .find(|(p, _)| *p == push_type)
            .map(|(_, v)| *v)
            .unwrap_or("HONA_QUEUE_URL_*")
    }
}

/// Failed pushes the nightly sync re-drives per integration per night
/// (`HONA_NIGHTLY_REDRIVE_BUDGET`, default 50).
pub fn nightly_redrive_budget() -> usize {
    env::var("HONA_NIGHTLY_REDRIVE_BUDGET")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(50)
}

/// `HONA_MAPPINGS_TABLE`: Form Field Mapping's table (only the functions that use it read it).
pub fn mappings_table() -> Result<String, MissingConfig> {
    match env::var("HONA_MAPPINGS_TABLE") {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(MissingConfig(vec!["HONA_MAPPINGS_TABLE"])),
    }
}

/// `log-documents` only: the S3 bucket Hona keeps client files in. The function reads
/// from no other bucket.
pub fn documents_bucket() -> Result<String, MissingConfig> {
    match env::var("HONA_DOCUMENTS_BUCKET") {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(MissingConfig(vec!["HONA_DOCUMENTS_BUCKET"])),
    }
}
