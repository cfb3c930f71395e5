//! The whole local stack: moto + every AWS resource + the MyCase sandbox, and the functions'
//! configuration contract.
//!
//! Resource names carry a random suffix per stack (`<sfx>`), so stacks never collide:
//!
//! | resource | name | key |
//! |---|---|---|
//! | integrations table | `hona-integrations-<sfx>` | `integration_id` (S) |
//! | idempotency table | `hona-idempotency-<sfx>` | `id` (S) |
//! | ledger table | `hona-ledger-<sfx>` | `integration_id` (S) + `event_id` (S) |
//! | case-threads table | `hona-case-threads-<sfx>` | `case_key` (S) |
//! | leases table | `hona-leases-<sfx>` | `lease_id` (S) |
//! | leads table | `hona-leads-<sfx>` | `lead_key` (S) |
//! | mappings table | `hona-mappings-<sfx>` | `integration_id` (S) + `mapping_key` (S) |
//! | messages queue | `messages-<sfx>.fifo`, DLQ `messages-dlq-<sfx>.fifo` | |
//! | notifications queue | `notifications-<sfx>.fifo`, DLQ `notifications-dlq-<sfx>.fifo` | |
//! | documents queue | `documents-<sfx>`, DLQ `documents-dlq-<sfx>` (standard) | |
//! | form-fields queue | `form-fields-<sfx>`, DLQ `form-fields-dlq-<sfx>` (standard) | |
//! | leads queue | `leads-<sfx>`, DLQ `leads-dlq-<sfx>` (standard) | |
//! | nightly queue | `nightly-<sfx>`, DLQ `nightly-dlq-<sfx>` (standard; one message per integration) | |
//! | OAuth client secret | `hona-<sfx>/mycase/oauth-client` | |
//! | per-integration tokens | `hona-<sfx>/mycase/tokens/<integration_id>` (tests create them) | |
//! | connect state signing key | `hona-<sfx>/mycase/state-signing-key` | |
//! | documents bucket | `hona-documents-<sfx>` (`HONA_DOCUMENTS_BUCKET` of `log-documents`) | |
//!
//! Document upload records share the idempotency table under the key prefix `upload#`.
//!
//! All tables are on-demand. The communications queues are FIFO (content-based deduplication
//! off, message group = case) with a FIFO DLQ; the others are standard queues with a standard
//! DLQ. Every queue redrives through `RedrivePolicy` (`maxReceiveCount`, default 5;
//! visibility timeout, default 5 s: see [`StackOptions`]).

use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use crate::aws::{Aws, QueuePair};
use crate::emulator::Emulator;
use crate::moto::Moto;
use crate::poller::{EventSourceMapping, Invoker};

/// Which queue feeds which function (its DLQ is that function's `HONA_DEAD_LETTER_QUEUE_URL`).
pub const FUNCTION_QUEUES: &[(&str, &str)] = &[
    ("log-messages", "messages"),
    ("log-notifications", "notifications"),
    ("log-documents", "documents"),
    ("map-form-fields", "form-fields"),
    ("convert-leads", "leads"),
    ("nightly-sync", "nightly"),
];

/// The functions that read Form Field Mapping's table (`HONA_MAPPINGS_TABLE`).
pub const FUNCTIONS_WITH_MAPPINGS: &[&str] = &[
    "map-form-fields",
    "mapping-api",
    "nightly-sync",
    "admin-api",
    "hona-ops",
];

/// The OAuth client the functions use (also registered in the sandbox's default config).
pub const OAUTH_CLIENT_ID: &str = "hona-local-client";
pub const OAUTH_CLIENT_SECRET: &str = "hona-local-secret";
pub const OAUTH_REDIRECT_URI: &str = "http://127.0.0.1:8787/oauth/callback";

/// The functions that put events back on the push types' queues (replay, re-drive) and
/// so are started with `HONA_QUEUE_URL_*`; `nightly-sync` also gets the nightly queue.
pub const REPLAYING_FUNCTIONS: &[&str] = &["admin-api", "nightly-sync", "hona-ops"];

#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Every queue' `VisibilityTimeout` (whole seconds). Default 5 s.
    pub visibility_timeout: Duration,
    /// Every queue' `RedrivePolicy.maxReceiveCount`. Default 5.
    pub max_receive_count: u32,
    /// `MYCASE_RATE_LIMIT_PER_SECOND` for every function. Default 20.
    pub rate_limit_per_second: u32,
    /// `RUST_LOG` for every function. Default `info`.
    pub rust_log: String,
    /// The MyCase sandbox's configuration (default: port 0, the `hona-local-client` client).
    pub sandbox: mycase_sandbox::SandboxConfig,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            visibility_timeout: Duration::from_secs(5),
            max_receive_count: 5,
            rate_limit_per_second: 20,
            rust_log: "info".to_string(),
            sandbox: mycase_sandbox::SandboxConfig::default(),
        }
    }
}

/// DynamoDB table names.
#[derive(Debug, Clone)]
pub struct Tables {
    pub integrations: String,
    pub idempotency: String,
    pub ledger: String,
    pub case_threads: String,
    pub leases: String,
    pub leads: String,
    pub mappings: String,
}

pub struct LocalStack {
    pub suffix: String,
    pub options: StackOptions,
    pub aws: Aws,
    pub tables: Tables,
    pub messages: QueuePair,
    pub notifications: QueuePair,
    pub documents: QueuePair,
    pub form_fields: QueuePair,
    pub leads: QueuePair,
    pub nightly: QueuePair,
    /// `hona-<sfx>/mycase`
    pub secret_prefix: String,
    /// `<prefix>/oauth-client`
    pub oauth_client_secret_name: String,
    pub documents_bucket: String,
    pub sandbox: mycase_sandbox::Sandbox,
    mycase_url: String,
    // Last: dropped after everything that talks to it.
    pub moto: Moto,
}

impl LocalStack {
    /// moto + every resource (default [`StackOptions`]) + the MyCase sandbox.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(StackOptions::default()).await
    }

    pub async fn start_with(options: StackOptions) -> anyhow::Result<Self> {
        let moto = Moto::start().await?;
        let aws = Aws::new(moto.endpoint_url()).await;
        let sfx = crate::unique_suffix();

        let tables = Tables {
            integrations: format!("hona-integrations-{sfx}"),
            idempotency: format!("hona-idempotency-{sfx}"),
            ledger: format!("hona-ledger-{sfx}"),
            case_threads: format!("hona-case-threads-{sfx}"),
            leases: format!("hona-leases-{sfx}"),
            leads: format!("hona-leads-{sfx}"),
            mappings: format!("hona-mappings-{sfx}"),
        };
        let specs: Vec<(&str, &str, Option<&str>)> = vec![
            (&tables.integrations, "integration_id", None),
            (&tables.idempotency, "id", None),
            (&tables.case_threads, "case_key", None),
            (&tables.leases, "lease_id", None),
            (&tables.leads, "lead_key", None),
            (&tables.mappings, "integration_id", Some("mapping_key")),
        ];
        for (name, pk, sk) in specs {
            aws.create_table(name, pk, sk).await?;
        }
        aws.create_ledger_table(&tables.ledger).await?;

        let messages = aws
            .create_fifo_queue_with_dlq(
                &format!("messages-{sfx}.fifo"),
                &format!("messages-dlq-{sfx}.fifo"),
                options.visibility_timeout,
                options.max_receive_count,
            )
            .await?;
        let notifications = aws
            .create_fifo_queue_with_dlq(
                &format!("notifications-{sfx}.fifo"),
                &format!("notifications-dlq-{sfx}.fifo"),
                options.visibility_timeout,
                options.max_receive_count,
            )
            .await?;

        let mut standard = Vec::new();
        for base in ["documents", "form-fields", "leads", "nightly"] {
            standard.push(
                aws.create_standard_queue_with_dlq(
                    &format!("{base}-{sfx}"),
                    &format!("{base}-dlq-{sfx}"),
                    options.visibility_timeout,
                    options.max_receive_count,
                )
                .await?,
            );
        }
        let [documents, form_fields, leads, nightly]: [QueuePair; 4] = standard
            .try_into()
            .map_err(|_| anyhow::anyhow!("four standard queues"))?;

        let secret_prefix = format!("hona-{sfx}/mycase");
        let oauth_client_secret_name = format!("{secret_prefix}/oauth-client");
        aws.put_secret_json(
            &oauth_client_secret_name,
            &json!({
                "client_id": OAUTH_CLIENT_ID,
                "client_secret": OAUTH_CLIENT_SECRET,
                "redirect_uri": OAUTH_REDIRECT_URI,
            }),
        )
        .await?;

        aws.put_secret(
            &format!("{secret_prefix}/state-signing-key"),
            &format!("local-state-key-{sfx}-{}", rand::random::<u64>()),
        )
        .await?;

        let documents_bucket = format!("hona-documents-{sfx}");
        aws.create_bucket(&documents_bucket).await?;

        let sandbox = mycase_sandbox::Sandbox::start(options.sandbox.clone())
            .await
            .map_err(|e| anyhow::anyhow!("starting the MyCase sandbox: {e:?}"))?;
        let mycase_url = sandbox
            .base_url()
            .to_string()
            .trim_end_matches('/')
            .to_string();

        Ok(LocalStack {
            suffix: sfx,
            options,
            aws,
            tables,
            messages,
            notifications,
            documents,
            form_fields,
            leads,
            nightly,
            secret_prefix,
            oauth_client_secret_name,
            documents_bucket,
            sandbox,
            mycase_url,
            moto,
        })
    }

    /// moto's URL (`AWS_ENDPOINT_URL`).
    pub fn endpoint_url(&self) -> &str {
        self.moto.endpoint_url()
    }

    /// The MyCase sandbox's base URL, no trailing slash (`MYCASE_API_URL`, `MYCASE_AUTH_URL`).
    pub fn mycase_url(&self) -> &str {
        &self.mycase_url
    }

    /// The sandbox's `/_sandbox` admin endpoints, typed (answers read strictly).
    pub fn sandbox_admin(&self) -> mycase_sandbox::client::SandboxClient {
        mycase_sandbox::client::SandboxClient::new(self.mycase_url.clone())
    }

    /// `<prefix>/tokens/<integration_id>`: where an integration's MyCase tokens live.
    pub fn token_secret_name(&self, integration_id: &str) -> String {
        format!("{}/tokens/{integration_id}", self.secret_prefix)
    }

    /// The queue that feeds `function` (see [`FUNCTION_QUEUES`]).
    pub fn queue_for(&self, function: &str) -> Option<&QueuePair> {
        let (_, queue) = FUNCTION_QUEUES.iter().find(|(f, _)| *f == function)?;
        match *queue {
            "messages" => Some(&self.messages),
            "notifications" => Some(&self.notifications),
            "documents" => Some(&self.documents),
            "form-fields" => Some(&self.form_fields),
            "leads" => Some(&self.leads),
            "nightly" => Some(&self.nightly),
            _ => None,
        }
    }

    /// The configuration contract: exactly the env vars `function` is started with.
    /// `HONA_DEAD_LETTER_QUEUE_URL` is the DLQ of the function's queue (absent for a function
    /// without one).
    pub fn function_env(&self, function: &str) -> Vec<(String, String)> {
        let mut env: Vec<(&str, String)> = vec![
            ("AWS_ENDPOINT_URL", self.endpoint_url().to_string()),
            ("AWS_REGION", crate::aws::REGION.to_string()),
            ("AWS_ACCESS_KEY_ID", crate::aws::ACCESS_KEY_ID.to_string()),
            (
                "AWS_SECRET_ACCESS_KEY",
                crate::aws::SECRET_ACCESS_KEY.to_string(),
            ),
            ("MYCASE_API_URL", self.mycase_url.clone()),
            ("MYCASE_AUTH_URL", self.mycase_url.clone()),
            (
                "MYCASE_RATE_LIMIT_PER_SECOND",
                self.options.rate_limit_per_second.to_string(),
            ),
            ("HONA_INTEGRATIONS_TABLE", self.tables.integrations.clone()),
            ("HONA_IDEMPOTENCY_TABLE", self.tables.idempotency.clone()),
            ("HONA_LEDGER_TABLE", self.tables.ledger.clone()),
            ("HONA_CASE_THREADS_TABLE", self.tables.case_threads.clone()),
            ("HONA_LEASES_TABLE", self.tables.leases.clone()),
            ("HONA_SECRET_PREFIX", self.secret_prefix.clone()),
        ];
        if FUNCTIONS_WITH_MAPPINGS.contains(&function) {
            env.push(("HONA_MAPPINGS_TABLE", self.tables.mappings.clone()));
        }
        if let Some(q) = self.queue_for(function) {
            env.push(("HONA_DEAD_LETTER_QUEUE_URL", q.dlq_url.clone()));
        }
        if REPLAYING_FUNCTIONS.contains(&function) {
            env.extend([
                ("HONA_QUEUE_URL_MESSAGES", self.messages.url.clone()),
                (
                    "HONA_QUEUE_URL_NOTIFICATIONS",
                    self.notifications.url.clone(),
                ),
                ("HONA_QUEUE_URL_DOCUMENTS", self.documents.url.clone()),
                ("HONA_QUEUE_URL_FORM_FIELDS", self.form_fields.url.clone()),
                ("HONA_QUEUE_URL_LEADS", self.leads.url.clone()),
            ]);
        }
        if function == "nightly-sync" {
            env.push(("HONA_NIGHTLY_QUEUE_URL", self.nightly.url.clone()));
        }
        if function == "convert-leads" || function == "nightly-sync" {
            // Lead conversion keeps each lead's client and the client index there; the
            // nightly catches the index up.
            env.push(("HONA_LEADS_TABLE", self.tables.leads.clone()));
        }
        if function == "log-documents" {
            env.push(("HONA_DOCUMENTS_BUCKET", self.documents_bucket.clone()));
        }
        env.push(("RUST_LOG", self.options.rust_log.clone()));
        env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// Starts `function` (a workspace binary) under the emulator with [`Self::function_env`].
    pub async fn start_function(&self, function: &str) -> anyhow::Result<Emulator> {
        Emulator::start(function, self.function_env(function))
            .await
            .with_context(|| format!("starting {function} under cargo-lambda"))
    }

    /// The event-source mapping from `function`'s queue to `invoker` (batch size 10,
    /// function timeout 30 s).
    pub fn event_source_mapping<'a>(
        &self,
        function: &str,
        invoker: &'a dyn Invoker,
    ) -> anyhow::Result<EventSourceMapping<'a>> {
        let q = self
            .queue_for(function)
            .with_context(|| format!("no queue feeds {function}"))?;
        Ok(EventSourceMapping::new(
            &self.aws.sqs,
            &q.url,
            &q.arn,
            invoker,
        ))
    }

    /// A human-readable summary (for the demo).
    pub fn describe(&self) -> String {
        format!(
            "moto (AWS):        {}\nMyCase sandbox:    {}\nmessages queue:    {}\n  dlq:             {}\nnotifications:     {}\n  dlq:             {}\ndocuments queue:   {}\nform-fields queue: {}\nleads queue:       {}\nnightly queue:     {}\ntables:            {}\nsecret prefix:     {}\ndocuments bucket:  {}",
            self.endpoint_url(),
            self.mycase_url,
            self.messages.url,
            self.messages.dlq_url,
            self.notifications.url,
            self.notifications.dlq_url,
            self.documents.url,
            self.form_fields.url,
            self.leads.url,
            self.nightly.url,
            [
                &self.tables.integrations,
                &self.tables.idempotency,
                &self.tables.ledger,
                &self.tables.case_threads,
                &self.tables.leases,
                &self.tables.leads,
                &self.tables.mappings,
            ]
            .map(String::as_str)
            .join(", "),
            self.secret_prefix,
            self.documents_bucket,
        )
    }
}
