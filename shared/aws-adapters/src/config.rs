//! Each function's configuration, read from its environment once at start (set by the SAM
//! template; listed in `docs/configuration.md`): one struct per function
//! ([`PushConfig`], [`DocumentsConfig`], [`LeadsConfig`], [`FormFieldsConfig`],
//! [`MappingApiConfig`], [`ConnectConfig`], [`AdminConfig`], [`NightlyConfig`]), each
//! built by [`FromEnv::from_env`].
//!
//! Every problem is collected before the function gives up, so one start names them
//! all (`HONA_LEDGER_TABLE is missing; MYCASE_RATE_LIMIT_PER_SECOND is not a number`)
//! instead of one per deploy. A malformed value is an error, never silently replaced by
//! the default: a typo in a rate must not quietly run at another rate.

use hona_domain::outcome::PushType;
use mycase_client::MyCaseEndpoints;
use mycase_client::endpoints::{DEFAULT_API_URL, DEFAULT_AUTH_URL, parse_base};
use mycase_client::ratelimit::DEFAULT_RATE_PER_SECOND;
use std::fmt;
use std::str::FromStr;

/// One thing wrong with the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigProblem {
    Missing(&'static str),
    /// Set, but not usable; `reason` says why (it never repeats the value).
    Malformed {
        var: &'static str,
        reason: String,
    },
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigProblem::Missing(var) => write!(f, "{var} is missing"),
            ConfigProblem::Malformed { var, reason } => write!(f, "{var} {reason}"),
        }
    }
}

/// Every problem with a function's environment (at least one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigError(pub Vec<ConfigProblem>);

/// Reads variables from a source (the process environment, or a map in tests),
/// collecting problems instead of stopping at the first.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<ConfigProblem>,
}

impl Env<'_> {
    /// Set and not blank, trimmed.
    pub fn optional(&mut self, var: &'static str) -> Option<String> {
        (self.lookup)(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Set and not blank; a problem otherwise (and an empty string, never used).
    pub fn required(&mut self, var: &'static str) -> String {
        self.optional(var).unwrap_or_else(|| {
            self.problems.push(ConfigProblem::Missing(var));
            String::new()
        })
    }

    /// A number, `default` when unset; a problem when set but not a number `valid`
    /// accepts (`expected` says what it must be).
    pub fn number<T: FromStr + Copy>(
        &mut self,
        var: &'static str,
        default: T,
        expected: &str,
        valid: impl Fn(T) -> bool,
    ) -> T {
        let Some(raw) = self.optional(var) else {
            return default;
        };
        match raw.parse::<T>() {
            Ok(n) if valid(n) => n,
            _ => {
                self.malformed(var, format!("is not {expected}"));
                default
            }
        }
    }

    pub fn malformed(&mut self, var: &'static str, reason: String) {
        self.problems.push(ConfigProblem::Malformed { var, reason });
    }

    /// Runs `read` over `lookup`: its result if nothing was wrong, every problem if not.
    pub fn collect<T>(
        lookup: &dyn Fn(&str) -> Option<String>,
        read: impl FnOnce(&mut Env<'_>) -> T,
    ) -> Result<T, ConfigError> {
        let mut env = Env {
            lookup,
            problems: Vec::new(),
        };
        let value = read(&mut env);
        if env.problems.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError(env.problems))
        }
    }
}

/// A function's configuration: [`FromEnv::read`] says what it reads; the rest is shared.
pub trait FromEnv: Sized {
    fn read(env: &mut Env<'_>) -> Self;

    /// From the process environment, once at start.
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|var| std::env::var(var).ok())
    }

    /// From any source (tests need not touch the process environment).
    fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Env::collect(lookup, Self::read)
    }
}

/// Whether a queue feeds the function (then it has a dead-letter queue to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    ByQueue,
    /// The HTTP functions and the CLI: `HONA_DEAD_LETTER_QUEUE_URL` is not read and
    /// stays empty, and such a function never builds the pipeline's stores.
    ByHttp,
}

/// What every function reads: resource names, MyCase's addresses and the rate budget
/// (the AWS SDK reads its own variables, the standard way).
#[derive(Debug, Clone)]
pub struct AwsConfig {
    pub names: ResourceNames,
    pub endpoints: MyCaseEndpoints,
    /// `MYCASE_RATE_LIMIT_PER_SECOND`: this instance's share of MyCase's budget.
    pub rate_per_second: f64,
    /// `AWS_ENDPOINT_URL` is set (moto, a local stack): S3 then needs path-style
    /// addressing, as such a stack serves buckets under its own host. The SDK reads the
    /// endpoint itself.
    pub local_aws_endpoint: bool,
}

impl AwsConfig {
    pub fn read(env: &mut Env<'_>, fed: Fed) -> Self {
        Self {
            names: ResourceNames::read(env, fed),
            endpoints: MyCaseEndpoints {
                api_url: mycase_url(env, "MYCASE_API_URL", DEFAULT_API_URL),
                auth_url: mycase_url(env, "MYCASE_AUTH_URL", DEFAULT_AUTH_URL),
            },
            rate_per_second: env.number(
                "MYCASE_RATE_LIMIT_PER_SECOND",
                DEFAULT_RATE_PER_SECOND,
                "a positive number of requests per second",
                |r: f64| r.is_finite() && r > 0.0,
            ),
            local_aws_endpoint: env.optional("AWS_ENDPOINT_URL").is_some(),
        }
    }
}

fn mycase_url(env: &mut Env<'_>, var: &'static str, default: &str) -> url::Url {
    let raw = env.optional(var).unwrap_or_else(|| default.to_owned());
    parse_base(var, &raw).unwrap_or_else(|e| {
        env.malformed(var, "is not a usable http(s) URL".to_owned());
        tracing::debug!(error = %e, "MyCase URL refused");
        parse_base(var, default).expect("the default URL is valid")
    })
}

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

    fn read(env: &mut Env<'_>, fed: Fed) -> Self {
        Self {
            integrations_table: env.required("HONA_INTEGRATIONS_TABLE"),
            idempotency_table: env.required("HONA_IDEMPOTENCY_TABLE"),
            ledger_table: env.required("HONA_LEDGER_TABLE"),
            case_threads_table: env.required("HONA_CASE_THREADS_TABLE"),
            leases_table: env.required("HONA_LEASES_TABLE"),
            secret_prefix: env
                .required("HONA_SECRET_PREFIX")
                .trim_end_matches('/')
                .to_owned(),
            dead_letter_queue_url: match fed {
                Fed::ByQueue => env.required("HONA_DEAD_LETTER_QUEUE_URL"),
                Fed::ByHttp => String::new(),
            },
            ledger_retention_days: env.number(
                "HONA_LEDGER_RETENTION_DAYS",
                crate::dynamo::ledger::DEFAULT_RETENTION_DAYS,
                "a whole number of days, at least 1",
                // A typo must not keep rows for ever or none.
                |days: u32| days > 0,
            ),
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

    fn read(env: &mut Env<'_>) -> Self {
        Self {
            messages: env.optional("HONA_QUEUE_URL_MESSAGES"),
            notifications: env.optional("HONA_QUEUE_URL_NOTIFICATIONS"),
            documents: env.optional("HONA_QUEUE_URL_DOCUMENTS"),
            form_fields: env.optional("HONA_QUEUE_URL_FORM_FIELDS"),
            leads: env.optional("HONA_QUEUE_URL_LEADS"),
            nightly: env.optional("HONA_NIGHTLY_QUEUE_URL"),
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

/// `log-messages` and `log-notifications`: nothing beyond what every function reads.
#[derive(Debug, Clone)]
pub struct PushConfig {
    pub aws: AwsConfig,
}

impl FromEnv for PushConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByQueue),
        }
    }
}

/// `log-documents`.
#[derive(Debug, Clone)]
pub struct DocumentsConfig {
    pub aws: AwsConfig,
    /// `HONA_DOCUMENTS_BUCKET`: the S3 bucket Hona keeps client files in; the function
    /// reads from no other.
    pub documents_bucket: String,
}

impl FromEnv for DocumentsConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByQueue),
            documents_bucket: env.required("HONA_DOCUMENTS_BUCKET"),
        }
    }
}

/// `convert-leads`.
#[derive(Debug, Clone)]
pub struct LeadsConfig {
    pub aws: AwsConfig,
    /// `HONA_LEADS_TABLE`: each lead's MyCase client (only this function reads it).
    pub leads_table: String,
}

impl FromEnv for LeadsConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByQueue),
            leads_table: env.required("HONA_LEADS_TABLE"),
        }
    }
}

/// `map-form-fields`.
#[derive(Debug, Clone)]
pub struct FormFieldsConfig {
    pub aws: AwsConfig,
    /// `HONA_MAPPINGS_TABLE`: Form Field Mapping's mappings and catalogue.
    pub mappings_table: String,
}

impl FromEnv for FormFieldsConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByQueue),
            mappings_table: env.required("HONA_MAPPINGS_TABLE"),
        }
    }
}

/// `mapping-api`.
#[derive(Debug, Clone)]
pub struct MappingApiConfig {
    pub aws: AwsConfig,
    pub mappings_table: String,
}

impl FromEnv for MappingApiConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByHttp),
            mappings_table: env.required("HONA_MAPPINGS_TABLE"),
        }
    }
}

/// `connect-mycase` (its signing key is a secret, read from Secrets Manager).
#[derive(Debug, Clone)]
pub struct ConnectConfig {
    pub aws: AwsConfig,
}

impl FromEnv for ConnectConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByHttp),
        }
    }
}

/// `admin-api` and the `hona-ops` CLI: what an operator's request can touch.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub aws: AwsConfig,
    pub mappings_table: String,
    /// Where replay puts events back (each optional, see [`QueueUrls`]).
    pub queues: QueueUrls,
}

impl FromEnv for AdminConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByHttp),
            mappings_table: env.required("HONA_MAPPINGS_TABLE"),
            queues: QueueUrls::read(env),
        }
    }
}

/// `nightly-sync`.
#[derive(Debug, Clone)]
pub struct NightlyConfig {
    pub aws: AwsConfig,
    pub mappings_table: String,
    /// `HONA_LEADS_TABLE`: the client index lead matching reads, caught up nightly.
    pub leads_table: String,
    pub queues: QueueUrls,
    /// `HONA_NIGHTLY_QUEUE_URL`: the starter's fan-out target (required here).
    pub nightly_queue_url: String,
    /// `HONA_NIGHTLY_REDRIVE_BUDGET`: failed pushes re-driven per integration per night.
    pub redrive_budget: usize,
}

impl FromEnv for NightlyConfig {
    fn read(env: &mut Env<'_>) -> Self {
        Self {
            aws: AwsConfig::read(env, Fed::ByQueue),
            mappings_table: env.required("HONA_MAPPINGS_TABLE"),
            leads_table: env.required("HONA_LEADS_TABLE"),
            queues: QueueUrls::read(env),
            nightly_queue_url: env.required("HONA_NIGHTLY_QUEUE_URL"),
            redrive_budget: env.number(
                "HONA_NIGHTLY_REDRIVE_BUDGET",
                50,
                "a whole number of events",
                |_| true,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
