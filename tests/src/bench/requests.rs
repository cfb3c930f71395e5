//! Requests per landed event: each push type's real pipeline over in-memory stores and a
//! real `MyCaseClient`, against one seeded sandbox firm; the sandbox counts the requests.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, FixedOffset};
use hona_domain::communications::{CommunicationsLog, Messages, Notifications};
use hona_domain::documents::Documents;
use hona_domain::fakes::{
    MemoryClientIndex, MemoryDeadLetters, MemoryDocumentSource, MemoryIdempotency,
    MemoryIntegrations, MemoryLeadConversions, MemoryLedger, MemoryThreads, MemoryUploadRecords,
};
use hona_domain::forms::fakes::MemoryMappings;
use hona_domain::forms::{FormFieldUpkeep, MapFormFields, Mapping, MappingStore};
use hona_domain::integration::{Integration, LeadAutomation};
use hona_domain::leads::LeadConversion;
use hona_domain::{Pipeline, Push, Stores};
use hona_e2e::hona::{self, DocumentFile, HonaEvent, Queue};
use mycase_client::RateLimiter;
use serde_json::{Value, json};

use super::nightly::NightlyResult;
use super::report::say;
use super::run::{RunResult, drain};
use super::sandbox::SandboxProcess;
use super::setup::{self, SandboxConnector, SeededFirm, batches};

/// The leads queue's share of the MyCase budget: `ConvertLeadsFunction` runs at most 2
/// instances at `MYCASE_RATE_LIMIT_PER_SECOND` 1 (infra/template.yaml).
const LEADS_SHARE_PER_S: f64 = 2.0;

/// One measured run: what landed, and what it cost.
pub struct Row {
    pub label: &'static str,
    pub target: &'static str,
    pub limit: Option<f64>,
    pub run: RunResult,
    pub requests: u64,
    pub routes: Vec<(String, u64)>,
}

impl Row {
    fn per_event(&self) -> f64 {
        self.requests as f64 / self.run.report.landed.max(1) as f64
    }
}

fn stores(integration: Integration) -> Stores {
    Stores {
        integrations: Arc::new(MemoryIntegrations::with([integration])),
        idempotency: Arc::new(MemoryIdempotency::default()),
        ledger: Arc::new(MemoryLedger::default()),
        dead_letters: Arc::new(MemoryDeadLetters::default()),
    }
}

fn start() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-24T08:00:00-06:00").expect("valid")
}

/// Drains `events` through `pipeline` and reads the sandbox's counts of that run.
async fn measure<P: Push>(
    sandbox: &SandboxProcess,
    pipeline: &Pipeline<P>,
    events: &[HonaEvent],
    (label, target, limit): (&'static str, &'static str, Option<f64>),
) -> anyhow::Result<Row> {
    sandbox.admin().reset_stats().await?;
    let run = drain(pipeline, batches(events), sandbox).await;
    let stats = sandbox.admin().stats().await?;
    Ok(Row {
        label,
        target,
        limit,
        run,
        requests: stats.requests_total,
        routes: stats.by_route.into_iter().collect(),
    })
}

/// Runs every push type, in the order a firm's day would start them.
pub async fn run_all(sandbox: &SandboxProcess, leads: usize) -> anyhow::Result<Vec<Row>> {
    let firm = setup::seed_firm(sandbox, "requests").await?;
    let transport = setup::transport(sandbox, RateLimiter::per_second(1000.0))?;
    let connector = Arc::new(SandboxConnector::new(transport, &[&firm])?);
    let mut rows = communications(sandbox, &firm, connector.clone()).await?;
    rows.push(documents(sandbox, &firm, connector.clone()).await?);
    rows.push(forms(sandbox, &firm, connector.clone()).await?);
    rows.extend(self::leads(sandbox, &firm, connector, leads).await?);
    Ok(rows)
}

async fn communications(
    sandbox: &SandboxProcess,
    firm: &SeededFirm,
    connector: Arc<SandboxConnector>,
) -> anyhow::Result<Vec<Row>> {
    let log = CommunicationsLog {
        threads: Arc::new(MemoryThreads::default()),
        mycase: connector,
    };
    let integration = firm.integration()?;
    let messages = Pipeline::new(Messages { log: log.clone() }, stores(integration.clone()));
    let first = measure(
        sandbox,
        &messages,
        &firm.messages("req_first", setup::CASES),
        (
            "message, the first of each case",
            "(opens the thread)",
            None,
        ),
    )
    .await?;
    let later = measure(
        sandbox,
        &messages,
        &firm.messages("req_msg", 100),
        ("message, the case's thread exists", "≤ 1.05", Some(1.05)),
    )
    .await?;
    let events: Vec<HonaEvent> = (0..50)
        .map(|n| {
            let case = &firm.firm.cases[n % firm.firm.cases.len()];
            let kind = hona::NOTIFICATION_KINDS[n % hona::NOTIFICATION_KINDS.len()];
            let at = start() + Duration::minutes(n as i64);
            hona::notification(&firm.firm, case, &format!("req_ntf_{n:04}"), kind, at)
        })
        .collect();
    let notifications = Pipeline::new(Notifications { log }, stores(integration));
    let notes = measure(
        sandbox,
        &notifications,
        &events,
        ("notification", "≤ 1.05", Some(1.05)),
    )
    .await?;
    Ok(vec![first, later, notes])
}

async fn documents(
    sandbox: &SandboxProcess,
    firm: &SeededFirm,
    connector: Arc<SandboxConnector>,
) -> anyhow::Result<Row> {
    let source = Arc::new(MemoryDocumentSource::default());
    let f = &firm.firm;
    let events: Vec<HonaEvent> = (0..20)
        .map(|n| {
            let case = &f.cases[n % f.cases.len()];
            let id = format!("req_doc_{n:04}");
            let key = format!("{}/{}/{id}.pdf", f.org_id, f.integration_id);
            let bytes = hona::file_bytes(4096, n as u64);
            let file = DocumentFile {
                source: "portal",
                file_name: "statement.pdf",
                content_type: "application/pdf",
                bucket: "hona-documents",
                key: &key,
                size_bytes: bytes.len() as u64,
                sha256: hona::sha256_hex(&bytes),
                extra: json!({}),
            };
            source.put("hona-documents", &key, bytes);
            let body = hona::document(f, case, &id, start(), &file);
            event(f, case.case_id, &id, body)
        })
        .collect();
    let push = Documents {
        source,
        mycase: connector,
        uploads: Arc::new(MemoryUploadRecords::default()),
    };
    let pipeline = Pipeline::new(push, stores(firm.integration()?));
    let target = ("document", "≤ 1 (+ the upload)", Some(1.0));
    measure(sandbox, &pipeline, &events, target).await
}

/// A queued event (`queue` only matters to the messages checks, which these skip).
fn event(f: &hona::Firm, case_id: i64, id: &str, body: Value) -> HonaEvent {
    HonaEvent {
        id: id.into(),
        queue: Queue::Messages,
        integration_id: f.integration_id.clone(),
        case_id,
        text: String::new(),
        body,
    }
}

/// Three case fields mapped from an intake form; every submission changes their values.
async fn forms(
    sandbox: &SandboxProcess,
    firm: &SeededFirm,
    connector: Arc<SandboxConnector>,
) -> anyhow::Result<Row> {
    let integration = firm.integration()?;
    let mappings = Arc::new(MemoryMappings::default());
    let questions = [
        ("q_injury", "long_text", "long_text"),
        ("q_court", "date", "date"),
        ("q_claim", "short_text", "short_text"),
    ];
    for (question, question_type, field_type) in questions {
        let field = create_field(sandbox, firm, question, field_type).await?;
        let mapping: Mapping = serde_json::from_value(json!({
            "integration_id": integration.id, "form_id": "frm_intake",
            "question_id": question, "question_type": question_type, "field_id": field,
            "field_type": field_type, "status": {"status": "ok"}, "saved_at": "2026-11-20T10:00:00Z"
        }))?;
        mappings.put(&mapping).await?;
    }
    // The firm picked the fields from the dropdown, which cached the catalogue.
    let upkeep = FormFieldUpkeep {
        mappings: mappings.clone(),
        mycase: connector.clone(),
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    upkeep.catalogue(&integration, deadline).await?;
    let f = &firm.firm;
    let events: Vec<HonaEvent> = (0..30)
        .map(|n| {
            let case = &f.cases[n % f.cases.len()];
            let id = format!("req_form_{n:04}");
            let answers = json!([
                {"question_id": "q_injury", "question_type": "long_text", "value": format!("Update {n}: still in treatment.")},
                {"question_id": "q_court", "question_type": "date", "value": format!("2026-12-{:02}", 1 + n % 28)},
                {"question_id": "q_claim", "question_type": "short_text", "value": format!("CLM-{n:05}")}
            ]);
            let body = json!({
                "id": id, "type": "form.submitted", "time": start().to_rfc3339(),
                "org_id": f.org_id, "integration_id": f.integration_id,
                "project": {"id": case.project_id, "mycase_case_id": case.case_id},
                "data": {"form_id": "frm_intake", "form_name": "Intake", "submission_id": format!("sub_{n}"),
                         "submitted_at": start().to_rfc3339(), "answers": answers}
            });
            event(f, case.case_id, &id, body)
        })
        .collect();
    let push = MapFormFields {
        mappings,
        mycase: connector,
    };
    let pipeline = Pipeline::new(push, stores(integration));
    measure(sandbox, &pipeline, &events, ("form", "≤ 3", Some(3.0))).await
}

async fn create_field(
    sandbox: &SandboxProcess,
    firm: &SeededFirm,
    name: &str,
    field_type: &str,
) -> anyhow::Result<i64> {
    let created = reqwest::Client::new()
        .post(format!(
            "{}/v1/custom_fields",
            sandbox.base_url().trim_end_matches('/')
        ))
        .bearer_auth(&firm.tokens.access_token)
        .json(&json!({"name": name, "parent_type": "case", "field_type": field_type}))
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    created["id"].as_i64().context("field id")
}

/// `n` leads: one in six is a seeded client by email, one in six by a phone typed
/// another way, the rest are new people.
fn lead_events(firm: &SeededFirm, prefix: &str, n: usize) -> Vec<HonaEvent> {
    let f = &firm.firm;
    (0..n)
        .map(|i| {
            let seeded = &f.cases[i % f.cases.len()];
            let (email, phone) = match i % 6 {
                0 => (seeded_email(seeded), Value::Null),
                1 => {
                    let national = seeded.client_phone.trim_start_matches("+1");
                    let typed = format!(
                        "({}) {}-{}",
                        &national[..3],
                        &national[3..6],
                        &national[6..]
                    );
                    (Value::Null, json!(typed))
                }
                _ => (
                    json!(format!("{prefix}.{i}@new.example")),
                    json!(format!(
                        "+1206555{:04}",
                        i + if prefix == "warm" { 5000 } else { 0 }
                    )),
                ),
            };
            let id = format!("req_{prefix}_lead_{i:04}");
            let body = json!({
                "id": id, "type": "lead.captured", "time": start().to_rfc3339(),
                "org_id": f.org_id, "integration_id": f.integration_id,
                "data": {"lead_id": format!("lead_{prefix}_{i}"), "source": "chatbot",
                         "first_name": "Pat", "last_name": format!("Lead{i}"),
                         "email": email, "phone": phone, "captured_at": start().to_rfc3339()}
            });
            event(f, 0, &id, body)
        })
        .collect()
}

fn seeded_email(case: &hona::Case) -> Value {
    let (first, last) = case.client_name.split_once(' ').expect("two names");
    json!(format!(
        "{}.{}@example.com",
        first.to_lowercase(),
        last.to_lowercase()
    ))
}

async fn leads(
    sandbox: &SandboxProcess,
    firm: &SeededFirm,
    connector: Arc<SandboxConnector>,
    n: usize,
) -> anyhow::Result<Vec<Row>> {
    let integration = Integration {
        lead_automation: Some(LeadAutomation::Automatic),
        ..firm.integration()?
    };
    let push = LeadConversion {
        conversions: Arc::new(MemoryLeadConversions::default()),
        index: Arc::new(MemoryClientIndex::default()),
        mycase: connector,
    };
    let pipeline = Pipeline::new(push, stores(integration));
    let cold = measure(
        sandbox,
        &pipeline,
        &lead_events(firm, "cold", n),
        ("lead, first batch (index cold)", "≤ 3", Some(3.0)),
    )
    .await?;
    let warm = measure(
        sandbox,
        &pipeline,
        &lead_events(firm, "warm", n),
        ("lead, next batch (index warm)", "≤ 2", Some(2.0)),
    )
    .await?;
    Ok(vec![cold, warm])
}

/// Prints the table; `false` when some event did not land or skip as expected.
pub fn print(rows: &[Row], nightly: &NightlyResult, leads: usize) -> bool {
    say!("| push type | landed | MyCase requests | per landed event | target | |");
    say!("|---|---|---|---|---|---|");
    let mut ok = true;
    for r in rows {
        let landed = r.run.report.landed;
        ok &= r.run.all_landed();
        let verdict = match r.limit {
            Some(l) if r.per_event() <= l + 1e-9 => "met",
            Some(_) => "MISSED",
            None => "",
        };
        say!(
            "| {} | {landed} | {} | {:.2} | {} | {verdict} |",
            r.label,
            r.requests,
            r.per_event(),
            r.target
        );
    }
    let per = nightly.requests as f64 / nightly.integrations.max(1) as f64;
    say!(
        "| nightly, per integration | {} | {} | {per:.2} | ≤ 3 | {} |",
        nightly.integrations,
        nightly.requests,
        if per <= 3.0 { "met" } else { "MISSED" }
    );
    say!();
    for r in rows.iter().filter(|r| r.label.starts_with("lead")) {
        let minutes = r.requests as f64 / LEADS_SHARE_PER_S / 60.0;
        say!(
            "{leads} leads ({}) drain in {minutes:.1} min at the leads queue's share ({LEADS_SHARE_PER_S}/s: 2 instances × 1/s): {} requests",
            r.label,
            r.requests
        );
    }
    say!(
        "(nightly: plus {} token refreshes on the OAuth host, one per integration)",
        nightly.token_refreshes
    );
    say!();
    say!("Requests by route:");
    for r in rows {
        let routes: Vec<String> = r.routes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        say!("  {}: {}", r.label, routes.join(", "));
    }
    ok
}
