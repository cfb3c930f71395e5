//! `admin-api`: the operators' HTTP API (IAM-authorised at API Gateway).
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/integrations` | integrations, a page at a time (`?cursor=&limit=`): active, connection, last nightly |
//! | GET | `/integrations/{id}/status` | the status (`?event_id=` explains one event) |
//! | POST | `/integrations/{id}/activate`, `/deactivate` | Active gating |
//! | PUT, PATCH | `/integrations/{id}/settings` | settings (see `SettingsPatch`) |
//! | GET | `/integrations/{id}/skipped` | skipped events that can be replayed, a page at a time (`?push_type=&cursor=&limit=`) |
//! | POST | `/integrations/{id}/replay` | re-sends skipped events (`{"push_type":…}` optional): 200 when done, 202 when the rest carries on as a job |
//! | GET | `/integrations/{id}/replay` | the latest replay job |
//!
//! Every list is paged: `limit` defaults to 50 and is at most 200; `next_cursor` in the
//! answer gives the next page. A cursor this API did not give out is a 400.

use hona_domain::ids::{EventId, IntegrationId};
use hona_operations::paging::{PageRequest, PagingError};
use hona_operations::service::{Operations, parse_push_type};
use hona_operations::settings::SettingsPatch;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Value, json};
use tracing::{info, warn};

/// A JSON answer.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

fn ok(body: Value) -> Answer {
    Answer { status: 200, body }
}

fn error(status: u16, kind: &str, message: &str) -> Answer {
    Answer {
        status,
        body: json!({ "error": kind, "message": message }),
    }
}

fn unavailable(e: hona_domain::StoreError) -> Answer {
    warn!(error = %e, "store unavailable");
    error(
        503,
        "store_unavailable",
        "A Hona store did not answer; try again.",
    )
}

fn bad_page(e: PagingError) -> Answer {
    let kind = match e {
        PagingError::BadCursor => "invalid_cursor",
        PagingError::BadLimit => "invalid_limit",
    };
    error(400, kind, &e.to_string())
}

/// `?cursor=&limit=`, for the lists of one integration when `scope` is given.
fn page_request(
    query: &(dyn Fn(&str) -> Option<String> + Sync),
    scope: Option<&IntegrationId>,
) -> Result<PageRequest, Answer> {
    let page = PageRequest::parse(query("cursor").as_deref(), query("limit").as_deref());
    match scope {
        Some(id) => page.and_then(|p| p.scoped_to(id.as_str())),
        None => page,
    }
    .map_err(bad_page)
}

fn no_such(id: &IntegrationId) -> Answer {
    error(404, "unknown_integration", &format!("No integration {id}."))
}

fn invalid_push_type() -> Answer {
    error(
        400,
        "invalid_push_type",
        "push_type must be messages, notifications, documents, form_fields or leads.",
    )
}

/// Routes one request: `method`, the path (any stage prefix is ignored), the query and
/// the body. Never panics.
pub async fn route(
    ops: &Operations,
    method: &str,
    path: &str,
    query: &(dyn Fn(&str) -> Option<String> + Sync),
    body: &[u8],
) -> Answer {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let at = parts.iter().position(|p| *p == "integrations");
    let Some(at) = at else {
        return error(404, "not_found", "Unknown path.");
    };
    let rest = &parts[at + 1..];
    if rest.is_empty() {
        if method != "GET" {
            return error(405, "method_not_allowed", "Use GET.");
        }
        let page = match page_request(query, None) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        return match ops.admin.page(&page).await {
            Ok(records) => ok(json!({
                "next_cursor": records.next_cursor(),
                "integrations": records.items.iter().map(|r| json!({
                    "integration_id": r.integration.id,
                    "org_id": r.integration.org_id,
                    "active": r.integration.active,
                    "needs_reconnect": r.integration.needs_reconnect,
                    "firm_uuid": r.integration.firm_uuid,
                    "nightly_hour": r.nightly_hour.get(),
                    "last_nightly": r.last_nightly.as_ref().map(|n| json!({"status": n.status, "started_at": n.started_at})),
                })).collect::<Vec<_>>()
            })),
            Err(e) => unavailable(e),
        };
    }
    let Ok(id) = IntegrationId::parse(rest[0]) else {
        return error(
            400,
            "invalid_integration_id",
            "The integration id is not valid.",
        );
    };
    let action = rest.get(1).copied().unwrap_or("");
    match (method, action, rest.len()) {
        ("GET", "status", 2) => {
            if let Some(raw) = query("event_id") {
                let Ok(event) = EventId::parse(&raw) else {
                    return error(400, "invalid_event_id", "The event id is not valid.");
                };
                return match ops.explain(&id, &event).await {
                    Ok(e) => ok(serde_json::to_value(e).unwrap_or_default()),
                    Err(e) => unavailable(e),
                };
            }
            match ops.status(&id).await {
                Ok(Some(s)) => ok(serde_json::to_value(s).unwrap_or_default()),
                Ok(None) => no_such(&id),
                Err(e) => unavailable(e),
            }
        }
        ("POST", "activate" | "deactivate", 2) => {
            let active = action == "activate";
            match ops.admin.set_active(&id, active).await {
                Ok(true) => {
                    info!(integration_id = %id, active, "integration activation changed");
                    let hint = if active {
                        "Active. Replay what was skipped while inactive with POST …/replay."
                    } else {
                        "Inactive. Events are recorded as skipped and can be replayed after activation."
                    };
                    ok(json!({ "integration_id": id, "active": active, "message": hint }))
                }
                Ok(false) => no_such(&id),
                Err(e) => unavailable(e),
            }
        }
        ("PUT" | "PATCH", "settings", 2) => {
            let Ok(value) = serde_json::from_slice::<Value>(body) else {
                return error(
                    400,
                    "invalid_json",
                    "The body must be a JSON object of settings.",
                );
            };
            let patch = match SettingsPatch::from_json(&value) {
                Ok(p) => p,
                Err(e) => return error(400, "invalid_setting", &e.to_string()),
            };
            match ops.admin.update_settings(&id, &patch).await {
                Ok(true) => match ops.status(&id).await {
                    Ok(Some(s)) => ok(json!({ "integration_id": id, "settings": s.settings })),
                    Ok(None) => no_such(&id),
                    Err(e) => unavailable(e),
                },
                Ok(false) => no_such(&id),
                Err(e) => unavailable(e),
            }
        }
        ("GET", "skipped", 2) => {
            let push_type = match query("push_type").as_deref().map(parse_push_type) {
                None => None,
                Some(Some(p)) => Some(p),
                Some(None) => return invalid_push_type(),
            };
            let page = match page_request(query, Some(&id)) {
                Ok(p) => p,
                Err(answer) => return answer,
            };
            match ops.skipped(&id, push_type, &page).await {
                Ok(rows) => ok(json!({
                    "integration_id": id,
                    "next_cursor": rows.next_cursor(),
                    "skipped": rows.items.iter().map(|e| json!({
                        "event_id": e.event_id,
                        "push_type": e.push_type,
                        "event_type": e.event_type,
                        "recorded_at": e.recorded_at,
                        "reason": match &e.outcome {
                            hona_domain::outcome::Outcome::Skipped { reason } => reason.as_str(),
                            _ => "",
                        },
                    })).collect::<Vec<_>>(),
                })),
                Err(e) => unavailable(e),
            }
        }
        ("GET", "replay", 2) => match ops.replay_job(&id).await {
            Ok(Some(job)) => ok(json!({ "integration_id": id, "job": job, "done": job.done() })),
            Ok(None) => error(
                404,
                "no_replay_job",
                "No replay was started for this integration.",
            ),
            Err(e) => unavailable(e),
        },
        ("POST", "replay", 2) => {
            let push_type = if body.iter().all(u8::is_ascii_whitespace) {
                None
            } else {
                let Ok(value) = serde_json::from_slice::<Value>(body) else {
                    return error(
                        400,
                        "invalid_json",
                        "The body must be JSON, e.g. {\"push_type\":\"messages\"}.",
                    );
                };
                match value.get("push_type").and_then(Value::as_str) {
                    None => None,
                    Some(raw) => match parse_push_type(raw) {
                        Some(p) => Some(p),
                        None => return invalid_push_type(),
                    },
                }
            };
            match ops.admin.record(&id).await {
                Ok(Some(r)) if !r.integration.active => {
                    return error(
                        409,
                        "integration_inactive",
                        "Activate the integration first: replayed events would only be skipped again.",
                    );
                }
                Ok(Some(_)) => {}
                Ok(None) => return no_such(&id),
                Err(e) => return unavailable(e),
            }
            // One chunk inside this request; a bigger backlog carries on as a job (the
            // hourly nightly-sync starter), so no request runs into API Gateway's 30 s.
            match ops.start_replay(&id, push_type).await {
                Ok(job) if job.done() => {
                    let report = &job.report;
                    info!(integration_id = %id, sent = report.total_sent(), not_sent = report.not_sent, "skipped events replayed");
                    Answer {
                        status: if report.not_sent > 0 { 207 } else { 200 },
                        body: json!({ "integration_id": id, "replayed": report.sent, "not_sent": report.not_sent }),
                    }
                }
                Ok(job) => {
                    info!(integration_id = %id, sent = job.report.total_sent(), "replay continues as a job");
                    Answer {
                        status: 202,
                        body: json!({
                            "integration_id": id,
                            "replayed": job.report.sent,
                            "not_sent": job.report.not_sent,
                            "job": job,
                            "message": "The rest is replayed in the background, a chunk each hour; GET …/replay shows where it is.",
                        }),
                    }
                }
                Err(e) => unavailable(e),
            }
        }
        _ => error(404, "not_found", "Unknown path or method."),
    }
}

/// The Lambda handler: API Gateway HTTP API (payload v2) in, JSON out.
pub async fn handle(ops: &Operations, req: Request) -> Response<Body> {
    let params = req.query_string_parameters();
    let query = |name: &str| params.first(name).map(str::to_owned);
    let answer = route(
        ops,
        req.method().as_str(),
        req.uri().path(),
        &query,
        req.body().as_ref(),
    )
    .await;
    Response::builder()
        .status(answer.status)
        .header("content-type", "application/json")
        .body(Body::from(answer.body.to_string()))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hona_domain::fakes::MemoryLedger;
    use hona_domain::ids::{CaseId, OrgId, StaffId};
    use hona_domain::integration::Integration;
    use hona_domain::outcome::{LedgerEntry, Outcome, PushType};
    use hona_domain::ports::Ledger;
    use hona_operations::fakes::{MemoryAdmin, MemoryQueues, MemoryReplayJobs};
    use hona_operations::ports::IntegrationAdmin;
    use std::sync::Arc;

    async fn setup() -> (Operations, Arc<MemoryAdmin>, Arc<MemoryQueues>) {
        let admin = Arc::new(MemoryAdmin::with([Integration {
            id: IntegrationId::parse("int_a").unwrap(),
            org_id: OrgId::parse("org_a").unwrap(),
            active: false,
            sender_staff_id: StaffId::new(3).unwrap(),
            log_target: Default::default(),
            time_zone: chrono_tz::UTC,
            firm_uuid: Some("f".into()),
            documents_folder: None,
            lead_automation: None,
            needs_reconnect: None,
        }]));
        let ledger = Arc::new(MemoryLedger::default());
        for id in ["evt_1", "evt_2"] {
            ledger
                .record(&LedgerEntry {
                    integration_id: IntegrationId::parse("int_a").unwrap(),
                    event_id: EventId::parse(id).unwrap(),
                    event_type: "message.logged".into(),
                    push_type: PushType::Messages,
                    case_id: Some(CaseId::new(5).unwrap()),
                    event_time: String::new(),
                    recorded_at: chrono::Utc::now(),
                    outcome: Outcome::Skipped {
                        reason: "integration_inactive".into(),
                    },
                    event_json: Some(format!("{{\"id\":\"{id}\"}}")),
                })
                .await
                .unwrap();
        }
        let queues = Arc::new(MemoryQueues::default());
        let ops = Operations {
            admin: admin.clone(),
            ledger,
            queues: queues.clone(),
            mappings: Arc::new(hona_domain::forms::fakes::MemoryMappings::default()),
            jobs: Arc::new(MemoryReplayJobs::default()),
        };
        (ops, admin, queues)
    }

    fn no_query(_: &str) -> Option<String> {
        None
    }

    #[tokio::test]
    async fn replay_is_refused_while_inactive_then_sends_each_skipped_event() {
        let (ops, admin, queues) = setup().await;
        let a = route(&ops, "POST", "/integrations/int_a/replay", &no_query, b"").await;
        assert_eq!(a.status, 409, "{}", a.body);
        assert!(queues.sent().is_empty());

        let a = route(&ops, "POST", "/integrations/int_a/activate", &no_query, b"").await;
        assert_eq!(a.status, 200);
        assert!(admin.get("int_a").unwrap().integration.active);

        let a = route(
            &ops,
            "POST",
            "/integrations/int_a/replay",
            &no_query,
            br#"{"push_type":"messages"}"#,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["replayed"]["messages"], 2);
        assert_eq!(queues.sent().len(), 2);
        assert!(queues.sent().iter().all(|s| s.group == "int_a#5"));
    }

    #[tokio::test]
    async fn settings_status_and_mistakes() {
        let (ops, admin, _) = setup().await;
        let a = route(
            &ops,
            "PUT",
            "/integrations/int_a/settings",
            &no_query,
            br#"{"lead_automation":"manual","nightly_hour":3}"#,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["settings"]["lead_automation"], "manual");
        assert_eq!(admin.get("int_a").unwrap().nightly_hour.get(), 3);

        let a = route(
            &ops,
            "PUT",
            "/integrations/int_a/settings",
            &no_query,
            br#"{"nightly_hour":25}"#,
        )
        .await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (400, Some("invalid_setting"))
        );

        let a = route(
            &ops,
            "GET",
            "/prod/integrations/int_a/status",
            &no_query,
            b"",
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["active"], false);
        assert_eq!(a.body["problems"][0]["kind"], "integration_inactive");

        let q = |name: &str| (name == "event_id").then(|| "evt_never".to_owned());
        let a = route(&ops, "GET", "/integrations/int_a/status", &q, b"").await;
        assert_eq!(a.body["note"]["kind"], "not_sent_through_hona");

        assert_eq!(
            route(&ops, "GET", "/integrations/int_zz/status", &no_query, b"")
                .await
                .status,
            404
        );
        assert_eq!(
            route(
                &ops,
                "POST",
                "/integrations/int_zz/activate",
                &no_query,
                b""
            )
            .await
            .status,
            404
        );
        assert_eq!(
            route(&ops, "DELETE", "/integrations/int_a", &no_query, b"")
                .await
                .status,
            404
        );
        assert_eq!(
            route(&ops, "GET", "/integrations", &no_query, b"")
                .await
                .body["integrations"][0]["integration_id"],
            "int_a"
        );
    }

    #[tokio::test]
    async fn lists_come_a_page_at_a_time_and_a_bad_cursor_is_a_400() {
        let (ops, _, _) = setup().await;
        let query = |pairs: Vec<(&'static str, String)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            }
        };
        let q = query(vec![("limit", "1".into())]);
        let a = route(&ops, "GET", "/integrations/int_a/skipped", &q, b"").await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["skipped"].as_array().unwrap().len(), 1);
        assert_eq!(a.body["skipped"][0]["event_id"], "evt_1");
        let next = a.body["next_cursor"].as_str().unwrap().to_owned();

        let q = query(vec![("limit", "1".into()), ("cursor", next.clone())]);
        let a = route(&ops, "GET", "/integrations/int_a/skipped", &q, b"").await;
        assert_eq!(a.body["skipped"][0]["event_id"], "evt_2");
        assert!(a.body["next_cursor"].is_null(), "{}", a.body);

        // Another integration's cursor, a made-up one, a silly limit: 400, never 500.
        let q = query(vec![("cursor", next)]);
        let a = route(&ops, "GET", "/integrations/int_b/skipped", &q, b"").await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (400, Some("invalid_cursor"))
        );
        let q = query(vec![("cursor", "not-a-cursor".into())]);
        let a = route(&ops, "GET", "/integrations", &q, b"").await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (400, Some("invalid_cursor"))
        );
        let q = query(vec![("limit", "-3".into())]);
        let a = route(&ops, "GET", "/integrations/int_a/skipped", &q, b"").await;
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (400, Some("invalid_limit"))
        );

        let q = query(vec![("limit", "1".into())]);
        let a = route(&ops, "GET", "/integrations", &q, b"").await;
        assert_eq!(a.body["integrations"][0]["integration_id"], "int_a");
        assert!(a.body["next_cursor"].is_null());
    }

    #[tokio::test]
    async fn a_big_backlog_is_replayed_as_a_job_a_chunk_at_a_time() {
        let (ops, admin, queues) = setup().await;
        let ledger = Arc::new(MemoryLedger::default());
        let backlog = hona_operations::service::REPLAY_CHUNK + 30;
        for n in 0..backlog {
            ledger
                .record(&LedgerEntry {
                    integration_id: IntegrationId::parse("int_a").unwrap(),
                    event_id: EventId::parse(&format!("evt_{n:04}")).unwrap(),
                    event_type: "message.logged".into(),
                    push_type: PushType::Messages,
                    case_id: Some(CaseId::new(5).unwrap()),
                    event_time: String::new(),
                    recorded_at: chrono::Utc::now()
                        - chrono::Duration::minutes(60 - (n % 60) as i64),
                    outcome: Outcome::Skipped {
                        reason: "integration_inactive".into(),
                    },
                    event_json: Some("{}".into()),
                })
                .await
                .unwrap();
        }
        let ops = Operations { ledger, ..ops };
        admin
            .set_active(&IntegrationId::parse("int_a").unwrap(), true)
            .await
            .unwrap();
        let a = route(&ops, "POST", "/integrations/int_a/replay", &no_query, b"").await;
        assert_eq!(a.status, 202, "{}", a.body);
        assert_eq!(queues.sent().len(), hona_operations::service::REPLAY_CHUNK);
        let a = route(&ops, "GET", "/integrations/int_a/replay", &no_query, b"").await;
        assert_eq!((a.status, &a.body["done"]), (200, &json!(false)));

        // The hourly starter carries it on; the rest goes, each event once.
        let id = IntegrationId::parse("int_a").unwrap();
        let job = ops.continue_replay(&id, 1000).await.unwrap().unwrap();
        assert!(job.done());
        assert_eq!(job.report.total_sent(), backlog);
        let mut sent: Vec<String> = queues.sent().into_iter().map(|s| s.event_id).collect();
        sent.sort();
        sent.dedup();
        assert_eq!(sent.len(), backlog, "every event once");
        assert!(ops.continue_replay(&id, 1000).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_fixtures_are_requests_this_function_answers() {
        let (ops, _, _) = setup().await;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
        for name in ["status", "activate", "settings", "replay"] {
            let raw = std::fs::read_to_string(dir.join(format!("admin-api.{name}.json"))).unwrap();
            let event: lambda_http::request::LambdaRequest = serde_json::from_str(&raw).unwrap();
            let resp = handle(&ops, Request::from(event)).await;
            // The fixtures name an integration these fakes do not have.
            assert_eq!(resp.status(), 404, "{name}");
            let body: Value = serde_json::from_slice(resp.body().as_ref()).unwrap();
            assert_eq!(body["error"], "unknown_integration", "{name}");
        }
    }
}
