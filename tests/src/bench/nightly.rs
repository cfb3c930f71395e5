//! Part N: the nightly sync over many integrations against the sandbox, inside the
//! shared MyCase rate budget. The real `hona_operations::nightly` starter and
//! worker, a real `MyCaseClient` per integration (HTTP, tokens in memory), stores in
//! memory; the sandbox keeps MyCase's 25 req/s limit per OAuth client.

use mycase_adapter::MyCase;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use chrono::Utc;
use futures::StreamExt;
use hona_domain::PushError;
use hona_domain::fakes::{MemoryClientIndex, MemoryLedger};
use hona_domain::forms::fakes::MemoryMappings;
use hona_domain::forms::{CaseFields, FormFieldUpkeep, Mapping, MappingStore};
use hona_domain::ids::{EventId, IntegrationId, OrgId, StaffId};
use hona_domain::integration::{Integration, LogTarget};
use hona_domain::leads::index::ClientIndexUpkeep;
use hona_domain::outcome::{LedgerEntry, Outcome, PushType};
use hona_domain::ports::Ledger;
use hona_domain::ports::{Clients, Connect};
use hona_operations::fakes::{MemoryAdmin, MemoryFanOut, MemoryQueues};
use hona_operations::nightly::{NightlyReport, NightlyWorker, start};
use hona_operations::ports::MyCaseHealth;
use mycase_adapter::push_error;
use mycase_client::fakes::{MemoryLease, MemoryTokenStore};
use mycase_client::{MyCaseClient, RateLimiter, TokenManager, TokenSet, Transport};
use serde_json::json;

use super::sandbox::SandboxProcess;
use super::setup;
use hona_domain::Reason;

/// MyCase as the nightly worker sees it, per integration (what
/// `aws_adapters::mycase::MyCaseConnector` does over Secrets Manager).
struct SandboxHealth {
    clients: HashMap<IntegrationId, MyCaseClient>,
}

#[async_trait]
impl Connect<dyn CaseFields> for SandboxHealth {
    async fn connect(
        &self,
        i: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<dyn CaseFields>, PushError> {
        Ok(Arc::new(MyCase::new(
            self.client(i)?.with_deadline(deadline),
        )))
    }
}

#[async_trait]
impl Connect<dyn Clients> for SandboxHealth {
    async fn connect(
        &self,
        i: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<dyn Clients>, PushError> {
        Ok(Arc::new(MyCase::new(
            self.client(i)?.with_deadline(deadline),
        )))
    }
}

impl SandboxHealth {
    fn client(&self, i: &Integration) -> Result<&MyCaseClient, PushError> {
        self.clients
            .get(&i.id)
            .ok_or_else(|| PushError::permanent(Reason::ReconnectNeeded, "no tokens"))
    }
}

#[async_trait]
impl MyCaseHealth for SandboxHealth {
    async fn keep_alive(&self, i: &Integration) -> Result<(), PushError> {
        let c = self.client(i)?;
        c.tokens()
            .refresh_now(c.transport())
            .await
            .map_err(push_error)
    }
    async fn check(&self, i: &Integration) -> Result<(), PushError> {
        self.client(i)?.firm().await.map(|_| ()).map_err(push_error)
    }
}

pub struct NightlyResult {
    pub integrations: usize,
    pub wall: Duration,
    pub seeding: Duration,
    pub reports: Vec<NightlyReport>,
    pub requests: u64,
    pub token_refreshes: u64,
    pub throttled: u64,
    pub span: Option<Duration>,
    pub redriven: usize,
    pub cpu: Duration,
}

/// Seeds `n` connected firms (one staff member each), then runs one nightly: the starter
/// over all of them, and the workers, `concurrency` at a time, sharing one limiter.
pub async fn run(
    sandbox: &SandboxProcess,
    n: usize,
    rate: f64,
    concurrency: usize,
) -> anyhow::Result<NightlyResult> {
    let seeding_started = Instant::now();
    let seeded: Vec<(String, TokenSet)> = futures::stream::iter(0..n)
        .map(|i| async move {
            let created = sandbox
                .admin()
                .create_firm(&json!({
                    "name": format!("Nightly Firm {i}"),
                    "staff": [{"first_name": "Dana", "last_name": "Hartley", "email": format!("dana{i}@bench.example")}],
                    "clients": [], "cases": [],
                }))
                .await?;
            let uuid = created.firm_uuid;
            let grant = sandbox.admin().grant(&uuid, None).await?;
            let tokens = TokenSet {
                access_token: grant.access_token,
                refresh_token: grant.refresh_token,
                expires_at: Utc::now() + chrono::Duration::hours(24),
                firm_uuid: Some(uuid.clone()),
            };
            anyhow::Ok((uuid, tokens))
        })
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;

    let transport: Arc<Transport> = setup::transport(sandbox, RateLimiter::per_second(rate))?;
    let mut integrations = Vec::with_capacity(n);
    let mut clients = HashMap::new();
    let ledger = Arc::new(MemoryLedger::default());
    for (i, (uuid, tokens)) in seeded.iter().enumerate() {
        let id = IntegrationId::parse(&format!("int_nightly_{i:05}"))?;
        integrations.push(Integration {
            id: id.clone(),
            org_id: OrgId::parse(&format!("org_nightly_{i:05}"))?,
            active: true,
            sender_staff_id: StaffId::new(1)?,
            log_target: LogTarget::Thread,
            // Firms across North America's zones.
            time_zone: [
                "America/New_York",
                "America/Chicago",
                "America/Denver",
                "America/Los_Angeles",
            ][i % 4]
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            firm_uuid: Some(uuid.clone()),
            documents_folder: None,
            lead_automation: None,
            needs_reconnect: None,
        });
        let manager = TokenManager::new(
            setup::oauth_app(),
            Arc::new(MemoryTokenStore::new(tokens.clone())),
            Arc::new(MemoryLease::new()),
        );
        clients.insert(
            id.clone(),
            MyCaseClient::new(transport.clone(), Arc::new(manager)),
        );
        // One push that failed yesterday evening, for the re-drive.
        ledger
            .record(&LedgerEntry {
                integration_id: id,
                event_id: EventId::parse(&format!("evt_failed_{i:05}"))?,
                event_type: "message.logged".into(),
                push_type: PushType::Messages,
                case_id: None,
                event_time: String::new(),
                recorded_at: Utc::now() - chrono::Duration::hours(5),
                outcome: Outcome::Failed(PushError {
                    reason: Reason::MyCaseUnavailable,
                    detail: "MyCase was unavailable.".into(),
                    permanent: false,
                }),
                event_json: Some("{}".into()),
            })
            .await?;
    }
    // Each firm has three case fields, one of them mapped from an intake question. Set up
    // with the sandbox's limit off (it is seeding, not measured), then the limit is back.
    let limit = sandbox.admin().faults().await?.rate_limit_per_second;
    sandbox
        .admin()
        .patch_faults(&json!({"rate_limit_per_second": null}))
        .await?;
    let mappings = Arc::new(MemoryMappings::default());
    for (i, (uuid, tokens)) in seeded.iter().enumerate() {
        let _ = uuid;
        let mut field_ids = Vec::new();
        for (name, kind) in [
            ("Injury", "long_text"),
            ("Court date", "date"),
            ("Claim no.", "short_text"),
        ] {
            let created = reqwest::Client::new()
                .post(format!(
                    "{}/v1/custom_fields",
                    sandbox.base_url().trim_end_matches('/')
                ))
                .bearer_auth(&tokens.access_token)
                .json(&json!({"name": name, "parent_type": "case", "field_type": kind}))
                .send()
                .await?
                .error_for_status()?
                .json::<serde_json::Value>()
                .await?;
            field_ids.push(created["id"].as_i64().context("field id")?);
        }
        let mapping: Mapping = serde_json::from_value(json!({
            "integration_id": format!("int_nightly_{i:05}"), "form_id": "frm_intake",
            "question_id": "q_injury", "question_type": "long_text", "field_id": field_ids[0],
            "field_type": "long_text", "status": {"status": "ok"}, "saved_at": "2026-11-20T10:00:00Z"
        }))?;
        mappings.put(&mapping).await?;
    }
    sandbox
        .admin()
        .patch_faults(&json!({"rate_limit_per_second": limit}))
        .await?;
    let admin = Arc::new(MemoryAdmin::with(integrations));
    let fan_out = Arc::new(MemoryFanOut::default());
    let queues = Arc::new(MemoryQueues::default());
    let health = Arc::new(SandboxHealth { clients });
    let worker = NightlyWorker {
        admin: admin.clone(),
        ledger,
        health: health.clone(),
        mappings: Some(Arc::new(FormFieldUpkeep {
            mappings,
            mycase: health.clone(),
        })),
        client_index: Some(ClientIndexUpkeep {
            index: Arc::new(MemoryClientIndex::default()),
            mycase: health,
        }),
        queues: queues.clone(),
        redrive_budget: 50,
    };

    let seeding = seeding_started.elapsed();
    sandbox.admin().reset_stats().await?;
    let cpu_before = super::run::process_cpu();
    let started = Instant::now();
    // The starter (a manual run: every integration, whatever its hour), then the workers.
    start(admin.as_ref(), fan_out.as_ref(), Utc::now(), true).await?;
    let due: Vec<IntegrationId> = fan_out
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(i, _)| i.clone())
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
    let worker = &worker;
    let reports: Vec<NightlyReport> = futures::stream::iter(due)
        .map(|id| async move { worker.run(&id, deadline).await })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let wall = started.elapsed();
    let cpu = super::run::process_cpu().saturating_sub(cpu_before);
    let stats = sandbox.admin().stats().await?;
    let span = match (stats.first_request_at_ms, stats.last_request_at_ms) {
        (Some(f), Some(l)) if l > f => Some(Duration::from_millis((l - f) as u64)),
        _ => None,
    };
    Ok(NightlyResult {
        integrations: n,
        wall,
        seeding,
        redriven: queues.sent().len(),
        reports,
        requests: stats.requests_total,
        token_refreshes: stats.token_refreshes,
        throttled: stats.status_count(429),
        span,
        cpu,
    })
}
