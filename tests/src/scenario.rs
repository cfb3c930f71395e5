//! Setting up firms for the end-to-end tests and the demo, and reading back what
//! landed: a firm in the MyCase sandbox, its integration record and tokens in the
//! local AWS, events on the queues, and each case's Communications thread.

use crate::LocalStack;
use crate::hona::{Case, DocumentFile, Firm, HonaEvent, Queue, document, sha256_hex};
use anyhow::Context;
use chrono::DateTime;
use mycase_sandbox::wire::{CreatedFirm, ExpiredTokens, FirmState, Grant, StateDocument, Stats};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A firm seeded in the sandbox and connected (integration record + tokens).
#[derive(Debug, Clone)]
pub struct SeededFirm {
    pub firm: Firm,
    pub firm_uuid: String,
    /// The tokens as first granted (a test can check they were rotated).
    pub initial_refresh_token: String,
    pub initial_access_token: String,
}

pub struct FirmSpec<'a> {
    pub name: &'a str,
    pub org_id: &'a str,
    pub integration_id: &'a str,
    pub time_zone: &'a str,
    pub log_target: &'a str,
    pub active: bool,
    /// (client name, phone) per case.
    pub clients: &'a [(&'a str, &'a str)],
}

pub async fn seed_firm(stack: &LocalStack, spec: &FirmSpec<'_>) -> anyhow::Result<SeededFirm> {
    let created = create_sandbox_firm(stack, spec).await?;
    let firm_uuid = created.firm_uuid.clone();
    let staff_id = *created.staff_ids.first().context("no staff id")?;
    let grant = stack
        .sandbox_admin()
        .grant(&firm_uuid, Some("hona-local-client"))
        .await?;
    connect(stack, spec, &firm_uuid, staff_id, &grant).await?;
    anyhow::ensure!(
        created.case_ids.len() == spec.clients.len()
            && created.client_ids.len() == spec.clients.len(),
        "one case and one client per spec client: {created:?}"
    );
    let cases = spec
        .clients
        .iter()
        .enumerate()
        .map(|(i, (name, phone))| Case {
            project_id: format!("prj_{}_{i}", spec.org_id),
            case_id: created.case_ids[i],
            client_id: created.client_ids[i],
            client_name: (*name).to_owned(),
            client_phone: (*phone).to_owned(),
        })
        .collect();
    Ok(SeededFirm {
        firm: Firm {
            name: spec.name.to_owned(),
            org_id: spec.org_id.to_owned(),
            integration_id: spec.integration_id.to_owned(),
            time_zone: spec.time_zone.to_owned(),
            staff_id,
            staff_name: "Dana Whitfield".into(),
            cases,
        },
        firm_uuid,
        initial_refresh_token: grant.refresh_token,
        initial_access_token: grant.access_token,
    })
}

/// The firm in the sandbox: one staff member, and per spec client a client and a case.
async fn create_sandbox_firm(
    stack: &LocalStack,
    spec: &FirmSpec<'_>,
) -> anyhow::Result<CreatedFirm> {
    let clients: Vec<Value> = spec
        .clients
        .iter()
        .map(|(name, phone)| {
            let (first, last) = name.split_once(' ').unwrap_or((name, "Client"));
            json!({"first_name": first, "last_name": last, "cell_phone_number": phone,
                   "email": format!("{}@example.com", first.to_lowercase())})
        })
        .collect();
    let cases: Vec<Value> = spec
        .clients
        .iter()
        .enumerate()
        .map(|(i, (name, _))| json!({"name": format!("{} — personal injury ({})", name, spec.name), "client_indexes": [i]}))
        .collect();
    let spec = json!({
        "name": spec.name,
        "staff": [{"first_name": "Dana", "last_name": "Whitfield", "email": format!("dana@{}.example", spec.org_id)}],
        "clients": clients,
        "cases": cases,
    });
    Ok(stack.sandbox_admin().create_firm(&spec).await?)
}

/// What connecting MyCase leaves in Hona's AWS: the tokens secret and the integration row.
async fn connect(
    stack: &LocalStack,
    spec: &FirmSpec<'_>,
    firm_uuid: &str,
    staff_id: i64,
    grant: &Grant,
) -> anyhow::Result<()> {
    let tokens = mycase_client::TokenSet {
        access_token: grant.access_token.clone(),
        refresh_token: grant.refresh_token.clone(),
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(grant.expires_in),
        firm_uuid: Some(firm_uuid.to_owned()),
    };
    let secret = stack.token_secret_name(spec.integration_id);
    let secret_json = serde_json::to_string(&tokens)?;
    stack.aws.put_secret(&secret, &secret_json).await?;
    let integration = json!({
        "integration_id": spec.integration_id,
        "org_id": spec.org_id,
        "active": spec.active,
        "sender_staff_id": staff_id,
        "log_target": spec.log_target,
        "time_zone": spec.time_zone,
        "firm_uuid": firm_uuid,
    });
    stack
        .aws
        .put_item_json(&stack.tables.integrations, &integration)
        .await
}

/// Puts events on their queues as Hona does: FIFO group = case, dedup id = event id
/// (plus `dedup_suffix`, so a test can deliver the same event twice).
pub async fn enqueue(
    stack: &LocalStack,
    events: &[HonaEvent],
    dedup_suffix: &str,
) -> anyhow::Result<()> {
    for e in events {
        let url = match e.queue {
            Queue::Messages => &stack.messages.url,
            Queue::Notifications => &stack.notifications.url,
        };
        stack
            .aws
            .send_fifo(
                url,
                &e.body_string(),
                &e.group(),
                &format!("{}{dedup_suffix}", e.id),
            )
            .await?;
    }
    Ok(())
}

pub async fn firm_state(stack: &LocalStack, firm_uuid: &str) -> anyhow::Result<FirmState> {
    Ok(stack.sandbox_admin().firm_state(firm_uuid).await?)
}

pub async fn sandbox_stats(stack: &LocalStack) -> anyhow::Result<Stats> {
    Ok(stack.sandbox_admin().stats().await?)
}

/// Merges fault switches into the sandbox's current ones.
pub async fn set_faults(stack: &LocalStack, faults: Value) -> anyhow::Result<()> {
    stack.sandbox_admin().patch_faults(&faults).await?;
    Ok(())
}

pub async fn expire_access_tokens(stack: &LocalStack) -> anyhow::Result<ExpiredTokens> {
    Ok(stack.sandbox_admin().expire_access_tokens().await?)
}

/// A case's Communications thread as it landed.
#[derive(Debug, Clone)]
pub struct LandedThread {
    pub thread_id: i64,
    pub subject: String,
    /// Every message after the thread's header, in order: (sender id, body).
    pub entries: Vec<(i64, String)>,
}

/// Case id → its message threads, from the sandbox's state dump (threads on no case are
/// left out).
pub fn threads_by_case(state: &FirmState) -> BTreeMap<i64, Vec<LandedThread>> {
    let mut by_case: BTreeMap<i64, Vec<LandedThread>> = BTreeMap::new();
    for t in &state.message_threads {
        let Some(case) = t.case else {
            continue;
        };
        by_case.entry(case.id).or_default().push(LandedThread {
            thread_id: t.id,
            subject: t.subject.clone(),
            entries: t
                .messages
                .iter()
                .skip(1)
                .map(|m| (m.sender.id, m.body.clone()))
                .collect(),
        });
    }
    by_case
}

/// The documents in the sandbox, by the event id their description names (`""` for a
/// document without a description).
pub fn documents_by_event(state: &FirmState) -> BTreeMap<String, Vec<StateDocument>> {
    let mut out: BTreeMap<String, Vec<StateDocument>> = BTreeMap::new();
    for d in &state.documents {
        let event = d
            .description
            .as_deref()
            .and_then(|t| t.rsplit("ref ").next())
            .unwrap_or_default()
            .to_owned();
        out.entry(event).or_default().push(d.clone());
    }
    out
}

/// The Hona event id an entry names (`… · ref evt_…`).
pub fn entry_ref(body: &str) -> Option<&str> {
    body.rsplit_once("· ref ").map(|(_, id)| id.trim())
}

// ---- The firm's own set-up in MyCase (custom fields), as its admin does it ----

/// Calls the sandbox's MyCase API as the firm (fields are set up by the firm's admin).
pub async fn mycase(
    stack: &LocalStack,
    seeded: &SeededFirm,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let url = format!("{}/v1/{path}", stack.mycase_url());
    let mut request = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(&seeded.initial_access_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "{url} answered {status}: {text}");
    Ok(if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}

pub async fn create_field(
    stack: &LocalStack,
    seeded: &SeededFirm,
    name: &str,
    parent: &str,
    field_type: &str,
    options: &[&str],
) -> anyhow::Result<i64> {
    let mut body = json!({"name": name, "parent_type": parent, "field_type": field_type});
    if !options.is_empty() {
        body["list_options"] = options.iter().map(|o| json!({"option_value": o})).collect();
    }
    let created = mycase(
        stack,
        seeded,
        reqwest::Method::POST,
        "custom_fields",
        Some(body),
    )
    .await?;
    created["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no id: {created}"))
}

// ---- Hona events for the other push types ----

pub fn form_submitted(
    id: &str,
    seeded: &SeededFirm,
    case_index: usize,
    form: &str,
    answers: Value,
) -> Value {
    let case = &seeded.firm.cases[case_index];
    json!({
        "id": id, "type": "form.submitted", "time": "2026-11-24T14:03:22-08:00",
        "org_id": seeded.firm.org_id, "integration_id": seeded.firm.integration_id,
        "project": {"id": case.project_id, "mycase_case_id": case.case_id, "mycase_client_id": case.client_id},
        "data": {"form_id": form, "form_name": "Intake", "submission_id": format!("sub_{id}"),
                 "submitted_at": "2026-11-24T14:03:20-08:00", "answers": answers}
    })
}

/// Sets (or removes) the integration's `lead_automation`, as the firm's admin would.
pub async fn set_lead_automation(
    stack: &LocalStack,
    spec: &FirmSpec<'_>,
    mode: Option<&str>,
) -> anyhow::Result<()> {
    let table = &stack.tables.integrations;
    let mut item = stack
        .aws
        .get_item_json(table, &json!({"integration_id": spec.integration_id}))
        .await?
        .expect("seeded integration");
    match mode {
        Some(m) => item["lead_automation"] = m.into(),
        None => {
            item.as_object_mut().unwrap().remove("lead_automation");
        }
    }
    stack.aws.put_item_json(table, &item).await
}

pub struct LeadSpec<'a> {
    pub lead_id: &'a str,
    pub source: &'a str,
    pub first: Option<&'a str>,
    pub last: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

pub fn lead_event(event_id: &str, kind: &str, spec: &FirmSpec<'_>, lead: &LeadSpec<'_>) -> Value {
    let mut data = json!({
        "lead_id": lead.lead_id, "source": lead.source,
        "first_name": lead.first, "last_name": lead.last,
        "email": lead.email, "phone": lead.phone,
        "summary": "Asked about a consultation this week.",
        "captured_at": "2026-11-24T10:12:00-08:00",
    });
    if kind == "lead.conversion_requested" {
        data["requested_by"] = json!({"name": "Dana Whitfield", "hona_user_id": "usr_dana"});
    }
    json!({
        "id": event_id, "type": kind, "time": "2026-11-24T10:15:00-08:00",
        "org_id": spec.org_id, "integration_id": spec.integration_id, "data": data,
    })
}

pub fn captured(event_id: &str, spec: &FirmSpec<'_>, lead: &LeadSpec<'_>) -> Value {
    lead_event(event_id, "lead.captured", spec, lead)
}

/// The manual fire as EventBridge delivers it: the Hona event in `detail`.
pub fn manual_fire(event_id: &str, spec: &FirmSpec<'_>, lead: &LeadSpec<'_>) -> Value {
    json!({
        "version": "0", "id": format!("eb-{event_id}"),
        "detail-type": "lead.conversion_requested", "source": "hona.leads",
        "account": "000000000000", "time": "2026-11-24T18:15:00Z", "region": "us-east-1",
        "resources": [],
        "detail": lead_event(event_id, "lead.conversion_requested", spec, lead),
    })
}

/// Puts `bytes` in the documents bucket and returns the event (as Hona would send it).
#[allow(clippy::too_many_arguments)]
pub async fn file_event(
    stack: &LocalStack,
    seeded: &SeededFirm,
    case: usize,
    id: &str,
    source: &str,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    extra: Value,
) -> anyhow::Result<Value> {
    // The firm's own prefix (SPEC §2): `{org_id}/{integration_id}/`.
    let key = format!("{}/{}/{id}", seeded.firm.org_id, seeded.firm.integration_id);
    let sha = sha256_hex(&bytes);
    let size = bytes.len() as u64;
    stack
        .aws
        .put_object(&stack.documents_bucket, &key, bytes)
        .await?;
    let at = DateTime::parse_from_rfc3339("2026-11-24T14:03:22-08:00")?;
    Ok(document(
        &seeded.firm,
        &seeded.firm.cases[case],
        id,
        at,
        &DocumentFile {
            source,
            file_name: name,
            content_type,
            bucket: &stack.documents_bucket,
            key: &key,
            size_bytes: size,
            sha256: sha,
            extra,
        },
    ))
}
