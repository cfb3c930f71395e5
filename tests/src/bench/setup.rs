//! What each measured run is built from: a seeded sandbox firm with its tokens, the
//! `log-messages` pipeline over in-memory stores or over the real AWS adapters (moto),
//! and the MyCase connector that hands the pipeline a real `MyCaseClient`.

use mycase_adapter::{MyCase, MyCasePort};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hona_domain::batch::QueueMessage;
use hona_domain::communications::{CommunicationsLog, Messages};
use hona_domain::fakes::{
    MemoryDeadLetters, MemoryIdempotency, MemoryIntegrations, MemoryLedger, MemoryThreads,
};
use hona_domain::ids::{IntegrationId, OrgId, StaffId};
use hona_domain::integration::{Integration, LogTarget};
use hona_domain::ports::Connect;
use hona_domain::{Pipeline, PushError, Stores};
use hona_e2e::hona::{self, HonaEvent, Queue};
use mycase_client::fakes::{MemoryLease, MemoryTokenStore};
use mycase_client::{
    MyCaseClient, MyCaseEndpoints, OAuthApp, RateLimiter, RetryPolicy, TokenManager, TokenSet,
    Transport,
};
use serde_json::{Value, json};

use super::sandbox::SandboxProcess;
use hona_domain::Reason;

pub const CASES: usize = 10;
const TIME_ZONE: &str = "America/Chicago";
const FIRST: [&str; CASES] = [
    "Lucia", "Tomas", "Mei", "Jordan", "Aisha", "Noah", "Priya", "Samuel", "Elena", "Kwame",
];
const LAST: [&str; CASES] = [
    "Fernandez",
    "Okafor",
    "Chen",
    "Rivera",
    "Khan",
    "Schultz",
    "Nair",
    "Brooks",
    "Petrova",
    "Mensah",
];

/// A firm in the sandbox (10 cases, one client each, one staff member) as Hona sees it,
/// plus the tokens a grant issued for it.
pub struct SeededFirm {
    pub firm: hona::Firm,
    pub firm_uuid: String,
    pub tokens: TokenSet,
}

impl SeededFirm {
    pub fn integration(&self) -> anyhow::Result<Integration> {
        Ok(Integration {
            id: IntegrationId::parse(&self.firm.integration_id)?,
            org_id: OrgId::parse(&self.firm.org_id)?,
            active: true,
            sender_staff_id: StaffId::new(self.firm.staff_id)?,
            log_target: LogTarget::Thread,
            time_zone: TIME_ZONE
                .parse()
                .map_err(|_| anyhow!("{TIME_ZONE} is not an IANA zone"))?,
            firm_uuid: Some(self.firm_uuid.clone()),
            documents_folder: None,
            lead_automation: None,
            needs_reconnect: None,
        })
    }

    /// `n` `message.logged` events from the realistic day generator (its notifications
    /// left out), cycling through the firm's cases.
    pub fn messages(&self, prefix: &str, n: usize) -> Vec<HonaEvent> {
        let start = DateTime::parse_from_rfc3339("2026-11-24T08:00:00-06:00").expect("valid");
        // Three events in four are messages.
        let generated = hona::busy_day(&self.firm, prefix, n * 4 / 3 + 8, start);
        let events: Vec<HonaEvent> = generated
            .into_iter()
            .filter(|e| e.queue == Queue::Messages)
            .take(n)
            .collect();
        assert_eq!(events.len(), n, "busy_day made too few messages");
        events
    }
}

/// Seeds a firm with 10 cases and a staff member, and grants tokens for it.
pub async fn seed_firm(sandbox: &SandboxProcess, label: &str) -> anyhow::Result<SeededFirm> {
    let clients: Vec<Value> = (0..CASES)
        .map(|i| {
            json!({
                "first_name": FIRST[i],
                "last_name": LAST[i],
                "email": format!("{}.{}@example.com", FIRST[i].to_lowercase(), LAST[i].to_lowercase()),
                "cell_phone_number": format!("+1512555{:04}", 100 + i),
            })
        })
        .collect();
    let cases: Vec<Value> = (0..CASES)
        .map(|i| {
            json!({
                "name": format!("{} - Personal Injury Claim {}", LAST[i], i + 1),
                "client_indexes": [i],
                "staff_indexes": [0],
            })
        })
        .collect();
    let created = sandbox
        .admin()
        .create_firm(&json!({
            "name": format!("Bench Firm {label}"),
            "staff": [{"first_name": "Dana", "last_name": "Hartley", "email": "dana@bench.example"}],
            "clients": clients,
            "cases": cases,
        }))
        .await
        .context("seeding the firm")?;
    let firm_uuid = created.firm_uuid;
    let staff_id = *created.staff_ids.first().context("no staff id")?;
    let (client_ids, case_ids) = (created.client_ids, created.case_ids);
    anyhow::ensure!(
        client_ids.len() >= CASES && case_ids.len() >= CASES,
        "the firm has fewer than {CASES} clients or cases"
    );
    let firm = hona::Firm {
        name: format!("Bench Firm {label}"),
        org_id: format!("org_bench_{label}"),
        integration_id: format!("int_bench_{label}"),
        time_zone: TIME_ZONE.into(),
        staff_id,
        staff_name: "Dana Hartley".into(),
        cases: (0..CASES)
            .map(|i| hona::Case {
                project_id: format!("prj_bench_{label}_{i}"),
                case_id: case_ids[i],
                client_id: client_ids[i],
                client_name: format!("{} {}", FIRST[i], LAST[i]),
                client_phone: format!("+1512555{:04}", 100 + i),
            })
            .collect(),
    };

    let grant = sandbox
        .admin()
        .grant(&firm_uuid, None)
        .await
        .context("granting tokens")?;
    let tokens = TokenSet {
        access_token: grant.access_token,
        refresh_token: grant.refresh_token,
        expires_at: Utc::now() + chrono::Duration::seconds(grant.expires_in),
        firm_uuid: Some(firm_uuid.clone()),
    };
    Ok(SeededFirm {
        firm,
        firm_uuid,
        tokens,
    })
}

/// The OAuth client registered in the sandbox's default configuration.
pub fn oauth_app() -> OAuthApp {
    OAuthApp {
        client_id: hona_e2e::stack::OAUTH_CLIENT_ID.into(),
        client_secret: hona_e2e::stack::OAUTH_CLIENT_SECRET.into(),
        redirect_uri: hona_e2e::stack::OAUTH_REDIRECT_URI.into(),
    }
}

/// The process-wide transport (one connection pool, one rate limiter) against `sandbox`.
pub fn transport(sandbox: &SandboxProcess, limiter: RateLimiter) -> anyhow::Result<Arc<Transport>> {
    let url = sandbox.base_url().to_owned();
    let endpoints = MyCaseEndpoints::from_lookup(|_| Some(url.clone()))?;
    Ok(Arc::new(Transport::new(
        endpoints,
        Arc::new(limiter),
        RetryPolicy::default(),
    )))
}

/// Hands the pipeline each integration's own `MyCaseClient` (tokens in memory), the way
/// `aws_adapters::mycase::MyCaseConnector` does over Secrets Manager and DynamoDB.
pub struct SandboxConnector {
    clients: Mutex<HashMap<IntegrationId, MyCaseClient>>,
}

impl SandboxConnector {
    pub fn new(transport: Arc<Transport>, firms: &[&SeededFirm]) -> anyhow::Result<Self> {
        let mut clients = HashMap::new();
        for f in firms {
            let store = MemoryTokenStore::new(f.tokens.clone());
            let tokens =
                TokenManager::new(oauth_app(), Arc::new(store), Arc::new(MemoryLease::new()));
            clients.insert(
                IntegrationId::parse(&f.firm.integration_id)?,
                MyCaseClient::new(transport.clone(), Arc::new(tokens)),
            );
        }
        Ok(Self {
            clients: Mutex::new(clients),
        })
    }
}

/// Any MyCase port the adapter implements (as `aws_adapters::mycase::MyCaseConnector`).
#[async_trait]
impl<T: ?Sized + MyCasePort> Connect<T> for SandboxConnector {
    async fn connect(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<T>, PushError> {
        let client = self
            .clients
            .lock()
            .expect("not poisoned")
            .get(&integration.id)
            .cloned()
            .ok_or_else(|| {
                PushError::permanent(
                    Reason::ReconnectNeeded,
                    "No MyCase connection for this integration.",
                )
            })?;
        Ok(T::behind(MyCase::new(client.with_deadline(deadline))))
    }
}

/// `log-messages` over the in-memory stores of `hona_domain::fakes`.
pub fn memory_pipeline(
    firm: &SeededFirm,
    transport: Arc<Transport>,
) -> anyhow::Result<(Pipeline<Messages>, Arc<MemoryLedger>)> {
    let ledger = Arc::new(MemoryLedger::default());
    let stores = Stores {
        integrations: Arc::new(MemoryIntegrations::with([firm.integration()?])),
        idempotency: Arc::new(MemoryIdempotency::default()),
        ledger: ledger.clone(),
        dead_letters: Arc::new(MemoryDeadLetters::default()),
    };
    let log = CommunicationsLog {
        threads: Arc::new(MemoryThreads::default()),
        mycase: Arc::new(SandboxConnector::new(transport, &[firm])?),
    };
    Ok((Pipeline::new(Messages { log }, stores), ledger))
}

/// moto and the resources the real adapters need (tables, the DLQ, both secrets, the
/// integration record); dropped after the pipeline that uses it.
pub struct MotoWorld {
    _aws: aws_adapters::Aws,
    // Last: killed after everything that talks to it.
    _moto: hona_e2e::Moto,
}

/// `log-messages` over the real AWS adapters (DynamoDB, Secrets Manager, SQS on moto)
/// and the real `MyCaseConnector`, exactly as `functions/log-messages` builds it, but
/// with the given transport instead of `Aws::new`'s.
pub async fn moto_pipeline(
    firm: &SeededFirm,
    transport: Arc<Transport>,
) -> anyhow::Result<(Pipeline<Messages>, MotoWorld)> {
    let moto = hona_e2e::Moto::start().await?;
    let e2e = hona_e2e::aws::Aws::new(moto.endpoint_url()).await;
    let sfx = hona_e2e::unique_suffix();
    let names = aws_adapters::config::ResourceNames {
        integrations_table: format!("hona-integrations-{sfx}"),
        idempotency_table: format!("hona-idempotency-{sfx}"),
        ledger_table: format!("hona-ledger-{sfx}"),
        case_threads_table: format!("hona-case-threads-{sfx}"),
        leases_table: format!("hona-leases-{sfx}"),
        secret_prefix: format!("hona-{sfx}/mycase"),
        dead_letter_queue_url: String::new(),
        ledger_retention_days: aws_adapters::dynamo::ledger::DEFAULT_RETENTION_DAYS,
    };
    for (table, pk, sk) in [
        (&names.integrations_table, "integration_id", None),
        (&names.idempotency_table, "id", None),
        (&names.ledger_table, "integration_id", Some("event_id")),
        (&names.case_threads_table, "case_key", None),
        (&names.leases_table, "lease_id", None),
    ] {
        e2e.create_table(table, pk, sk).await?;
    }
    let queues = e2e
        .create_fifo_queue_with_dlq(
            &format!("messages-{sfx}.fifo"),
            &format!("messages-dlq-{sfx}.fifo"),
            Duration::from_secs(30),
            5,
        )
        .await?;
    let names = aws_adapters::config::ResourceNames {
        dead_letter_queue_url: queues.dlq_url.clone(),
        ledger_retention_days: aws_adapters::dynamo::ledger::DEFAULT_RETENTION_DAYS,
        ..names
    };
    let app = oauth_app();
    e2e.put_secret_json(
        &names.oauth_client_secret(),
        &json!({"client_id": app.client_id, "client_secret": app.client_secret, "redirect_uri": app.redirect_uri}),
    )
    .await?;
    e2e.put_secret_json(
        &names.tokens_secret(&firm.firm.integration_id),
        &serde_json::to_value(&firm.tokens)?,
    )
    .await?;
    e2e.put_item_json(
        &names.integrations_table,
        &json!({
            "integration_id": firm.firm.integration_id,
            "org_id": firm.firm.org_id,
            "active": true,
            "sender_staff_id": firm.firm.staff_id,
            "log_target": "thread",
            "time_zone": TIME_ZONE,
            "firm_uuid": firm.firm_uuid,
        }),
    )
    .await?;
    let aws = aws_adapters::Aws {
        names,
        dynamo: e2e.dynamodb.clone(),
        sqs: e2e.sqs.clone(),
        secrets: e2e.secrets.clone(),
        s3: e2e.s3.clone(),
        transport,
    };
    let pipeline = Pipeline::new(
        Messages {
            log: aws.communications_log(),
        },
        aws.stores(),
    );
    Ok((
        pipeline,
        MotoWorld {
            _aws: aws,
            _moto: moto,
        },
    ))
}

/// SQS-sized batches (10) in queue order; each message in its case's FIFO group.
pub fn batches(events: &[HonaEvent]) -> Vec<Vec<QueueMessage>> {
    events
        .chunks(10)
        .enumerate()
        .map(|(b, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, e)| QueueMessage {
                    message_id: format!("sqs-{b:05}-{i}"),
                    body: e.body_string(),
                    group: Some(e.group()),
                })
                .collect()
        })
        .collect()
}
