//! `admin-api`: the operators' HTTP API (IAM-authorised at API Gateway).
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/integrations` | the integrations, a page at a time: active, connection, last nightly |
//! | GET | `/integrations/{id}/status` | the status (`?event_id=` explains one event) |
//! | POST | `/integrations/{id}/activate`, `/deactivate` | Active gating |
//! | PUT, PATCH | `/integrations/{id}/settings` | settings (see `SettingsPatch`) |
//! | GET | `/integrations/{id}/skipped` | skipped events that can be replayed, a page at a time (`?push_type=&cursor=&limit=`) |
//! | POST | `/integrations/{id}/replay` | re-sends skipped events (`{"push_type":…}` optional): 200 when done, 202 when the rest carries on as a job |
//! | GET | `/integrations/{id}/replay` | the latest replay job |
//!
//! Every list is paged: `limit` defaults to 50 and is at most 200; `next_cursor` in the
//! answer gives the next page. A cursor this API did not give out is a 400.
//!
//! Each handler only translates HTTP to `hona_operations` and back; errors are the one
//! shape of `docs/http-api.md`.

use axum::Router;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use hona_domain::StoreError;
use hona_domain::ids::{EventId, IntegrationId};
use hona_http_api::{ApiError, IdPath, JsonAnswer, JsonBody, PathParams, QueryParams};
use hona_operations::paging::{PageRequest, PagingError};
use hona_operations::service::{Operations, parse_push_type};
use hona_operations::settings::{IntegrationRecord, SettingsPatch};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tracing::info;

/// The routes (a stage prefix, `/prod/integrations/…`, is tolerated).
pub fn router(ops: Arc<Operations>) -> Router {
    let routes = Router::new()
        .route("/integrations", get(list))
        .route("/integrations/{id}/status", get(status))
        .route("/integrations/{id}/activate", post(activate))
        .route("/integrations/{id}/deactivate", post(deactivate))
        .route("/integrations/{id}/settings", put(settings).patch(settings))
        .route("/integrations/{id}/skipped", get(skipped))
        .route("/integrations/{id}/replay", post(replay).get(replay_job))
        .with_state(ops);
    hona_http_api::api(routes, &["integrations"])
}

type Ops = State<Arc<Operations>>;

#[derive(Deserialize)]
struct StatusQuery {
    event_id: Option<EventId>,
}

/// `?cursor=&limit=` of a list.
#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

impl PageQuery {
    /// The page asked for; a list of one integration's rows when `scope` is given, so
    /// another integration's cursor is refused.
    fn request(&self, scope: Option<&IntegrationId>) -> Result<PageRequest, ApiError> {
        let page = PageRequest::parse(self.cursor.as_deref(), self.limit.as_deref());
        match scope {
            Some(id) => page.and_then(|p| p.scoped_to(id.as_str())),
            None => page,
        }
        .map_err(bad_page)
    }
}

#[derive(Deserialize)]
struct SkippedQuery {
    push_type: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

#[derive(Deserialize)]
struct ReplayBody {
    push_type: Option<String>,
}

fn unavailable(e: StoreError) -> ApiError {
    ApiError::store_unavailable(&e, "A Hona store did not answer; try again.")
}

fn bad_page(e: PagingError) -> ApiError {
    let code = match e {
        PagingError::BadCursor => "invalid_cursor",
        PagingError::BadLimit => "invalid_limit",
    };
    ApiError::bad_request(code, e.to_string())
}

fn invalid_push_type() -> ApiError {
    ApiError::bad_request(
        "invalid_push_type",
        "push_type must be messages, notifications, documents, form_fields or leads.",
    )
}

fn no_such(id: &IntegrationId) -> ApiError {
    ApiError::not_found("unknown_integration", format!("No integration {id}."))
}

fn to_json(value: impl serde::Serialize) -> Json<Value> {
    Json(serde_json::to_value(value).unwrap_or_default())
}

async fn list(State(ops): Ops, QueryParams(q): QueryParams<PageQuery>) -> JsonAnswer {
    let page = q.request(None)?;
    let records = ops.admin.page(&page).await.map_err(unavailable)?;
    let integrations: Vec<Value> = records.items.iter().map(record_json).collect();
    Ok(Json(
        json!({ "next_cursor": records.next_cursor(), "integrations": integrations }),
    ))
}

async fn skipped(
    State(ops): Ops,
    PathParams(p): PathParams<IdPath<IntegrationId>>,
    QueryParams(q): QueryParams<SkippedQuery>,
) -> JsonAnswer {
    let push_type = match q.push_type.as_deref() {
        None => None,
        Some(raw) => Some(parse_push_type(raw).ok_or_else(invalid_push_type)?),
    };
    let page = q.page.request(Some(&p.id))?;
    let rows = ops
        .skipped(&p.id, push_type, &page)
        .await
        .map_err(unavailable)?;
    let skipped: Vec<Value> = rows
        .items
        .iter()
        .map(|e| {
            json!({
                "event_id": e.event_id,
                "push_type": e.push_type,
                "event_type": e.event_type,
                "recorded_at": e.recorded_at,
                "reason": match &e.outcome {
                    hona_domain::outcome::Outcome::Skipped { reason } => reason.as_str(),
                    _ => "",
                },
            })
        })
        .collect();
    Ok(Json(json!({
        "integration_id": p.id,
        "next_cursor": rows.next_cursor(),
        "skipped": skipped,
    })))
}

async fn replay_job(
    State(ops): Ops,
    PathParams(p): PathParams<IdPath<IntegrationId>>,
) -> JsonAnswer {
    match ops.replay_job(&p.id).await.map_err(unavailable)? {
        Some(job) => Ok(Json(
            json!({ "integration_id": p.id, "done": job.done(), "job": job }),
        )),
        None => Err(ApiError::not_found(
            "no_replay_job",
            "No replay was started for this integration.",
        )),
    }
}

fn record_json(r: &IntegrationRecord) -> Value {
    json!({
        "integration_id": r.integration.id,
        "org_id": r.integration.org_id,
        "active": r.integration.active,
        "needs_reconnect": r.integration.needs_reconnect,
        "firm_uuid": r.integration.firm_uuid,
        "nightly_hour": r.nightly_hour.get(),
        "last_nightly": r.last_nightly.as_ref().map(|n| json!({"status": n.status, "started_at": n.started_at})),
    })
}

async fn status(
    State(ops): Ops,
    PathParams(p): PathParams<IdPath<IntegrationId>>,
    QueryParams(q): QueryParams<StatusQuery>,
) -> JsonAnswer {
    if let Some(event) = q.event_id {
        let explained = ops.explain(&p.id, &event).await.map_err(unavailable)?;
        return Ok(to_json(explained));
    }
    match ops.status(&p.id).await.map_err(unavailable)? {
        Some(s) => Ok(to_json(s)),
        None => Err(no_such(&p.id)),
    }
}

async fn activate(ops: Ops, PathParams(p): PathParams<IdPath<IntegrationId>>) -> JsonAnswer {
    set_active(ops, p.id, true).await
}

async fn deactivate(ops: Ops, PathParams(p): PathParams<IdPath<IntegrationId>>) -> JsonAnswer {
    set_active(ops, p.id, false).await
}

async fn set_active(State(ops): Ops, id: IntegrationId, active: bool) -> JsonAnswer {
    if !ops
        .admin
        .set_active(&id, active)
        .await
        .map_err(unavailable)?
    {
        return Err(no_such(&id));
    }
    info!(integration_id = %id, active, "integration activation changed");
    let hint = if active {
        "Active. Replay what was skipped while inactive with POST …/replay."
    } else {
        "Inactive. Events are recorded as skipped and can be replayed after activation."
    };
    Ok(Json(
        json!({ "integration_id": id, "active": active, "message": hint }),
    ))
}

async fn settings(
    State(ops): Ops,
    PathParams(p): PathParams<IdPath<IntegrationId>>,
    JsonBody(body): JsonBody<Value>,
) -> JsonAnswer {
    let patch = SettingsPatch::from_json(&body)
        .map_err(|e| ApiError::bad_request("invalid_setting", e.to_string()))?;
    let id = p.id;
    if !ops
        .admin
        .update_settings(&id, &patch)
        .await
        .map_err(unavailable)?
    {
        return Err(no_such(&id));
    }
    match ops.status(&id).await.map_err(unavailable)? {
        Some(s) => Ok(Json(
            json!({ "integration_id": id, "settings": s.settings }),
        )),
        None => Err(no_such(&id)),
    }
}

/// `207` when some events could not be put back on their queue (the body says which
/// push types, and how many).
async fn replay(
    State(ops): Ops,
    PathParams(p): PathParams<IdPath<IntegrationId>>,
    JsonBody(body): JsonBody<Option<ReplayBody>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let push_type = match body.and_then(|b| b.push_type) {
        None => None,
        Some(raw) => Some(parse_push_type(&raw).ok_or_else(invalid_push_type)?),
    };
    let id = p.id;
    match ops.admin.record(&id).await.map_err(unavailable)? {
        None => return Err(no_such(&id)),
        Some(r) if !r.integration.active => {
            return Err(ApiError::conflict(
                "integration_inactive",
                "Activate the integration first: replayed events would only be skipped again.",
            ));
        }
        Some(_) => {}
    }
    // One chunk inside this request; a bigger backlog carries on as a job (the hourly
    // nightly-sync starter), so no request runs into API Gateway's 30 s.
    let job = ops
        .start_replay(&id, push_type)
        .await
        .map_err(unavailable)?;
    let report = &job.report;
    if !job.done() {
        info!(integration_id = %id, sent = report.total_sent(), "replay continues as a job");
        let body = json!({
            "integration_id": id,
            "replayed": report.sent,
            "not_sent": report.not_sent,
            "job": job,
            "message": "The rest is replayed in the background, a chunk each hour; GET …/replay shows where it is.",
        });
        return Ok((StatusCode::ACCEPTED, Json(body)));
    }
    info!(integration_id = %id, sent = report.total_sent(), not_sent = report.not_sent, "skipped events replayed");
    let status = if report.not_sent > 0 {
        StatusCode::MULTI_STATUS
    } else {
        StatusCode::OK
    };
    let body =
        json!({ "integration_id": id, "replayed": report.sent, "not_sent": report.not_sent });
    Ok((status, Json(body)))
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
    use tower::ServiceExt;

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
                        reason: hona_domain::Reason::IntegrationInactive,
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

    /// A JSON answer.
    struct Answer {
        status: u16,
        body: Value,
    }

    /// One request through the router, as `main.rs` serves it.
    async fn send<B>(ops: &Operations, request: axum::http::Request<B>) -> Answer
    where
        B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let response = router(Arc::new(ops.clone()))
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body }
    }

    async fn route(ops: &Operations, method: &str, uri: &str, body: &[u8]) -> Answer {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(axum::body::Body::from(body.to_vec()))
            .unwrap();
        send(ops, request).await
    }

    #[tokio::test]
    async fn replay_is_refused_while_inactive_then_sends_each_skipped_event() {
        let (ops, admin, queues) = setup().await;
        let a = route(&ops, "POST", "/integrations/int_a/replay", b"").await;
        assert_eq!(a.status, 409, "{}", a.body);
        assert!(queues.sent().is_empty());

        let a = route(&ops, "POST", "/integrations/int_a/activate", b"").await;
        assert_eq!(a.status, 200);
        assert!(admin.get("int_a").unwrap().integration.active);

        let a = route(
            &ops,
            "POST",
            "/integrations/int_a/replay",
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
            br#"{"nightly_hour":25}"#,
        )
        .await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (400, Some("invalid_setting"))
        );

        let a = route(&ops, "GET", "/prod/integrations/int_a/status", b"").await;
        assert_eq!(a.status, 200);
        assert_eq!(a.body["active"], false);
        assert_eq!(a.body["problems"][0]["kind"], "integration_inactive");

        let a = route(
            &ops,
            "GET",
            "/integrations/int_a/status?event_id=evt_never",
            b"",
        )
        .await;
        assert_eq!(a.body["note"]["kind"], "not_sent_through_hona");

        assert_eq!(
            route(&ops, "GET", "/integrations/int_zz/status", b"")
                .await
                .status,
            404
        );
        assert_eq!(
            route(&ops, "POST", "/integrations/int_zz/activate", b"")
                .await
                .status,
            404
        );
        assert_eq!(
            route(&ops, "DELETE", "/integrations/int_a", b"")
                .await
                .status,
            404
        );
        assert_eq!(
            route(&ops, "GET", "/integrations", b"").await.body["integrations"][0]["integration_id"],
            "int_a"
        );
    }

    #[tokio::test]
    async fn lists_come_a_page_at_a_time_and_a_bad_cursor_is_a_400() {
        let (ops, _, _) = setup().await;
        let a = route(&ops, "GET", "/integrations/int_a/skipped?limit=1", b"").await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["skipped"].as_array().unwrap().len(), 1);
        assert_eq!(a.body["skipped"][0]["event_id"], "evt_1");
        let next = a.body["next_cursor"].as_str().unwrap().to_owned();

        let uri = format!("/integrations/int_a/skipped?limit=1&cursor={next}");
        let a = route(&ops, "GET", &uri, b"").await;
        assert_eq!(a.body["skipped"][0]["event_id"], "evt_2");
        assert!(a.body["next_cursor"].is_null(), "{}", a.body);

        // Another integration's cursor, a made-up one, a silly limit: 400, never 500.
        let uri = format!("/integrations/int_b/skipped?cursor={next}");
        let a = route(&ops, "GET", &uri, b"").await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (400, Some("invalid_cursor"))
        );
        let a = route(&ops, "GET", "/integrations?cursor=not-a-cursor", b"").await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (400, Some("invalid_cursor"))
        );
        let a = route(&ops, "GET", "/integrations/int_a/skipped?limit=-3", b"").await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (400, Some("invalid_limit"))
        );

        let a = route(&ops, "GET", "/integrations?limit=1", b"").await;
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
                        reason: hona_domain::Reason::IntegrationInactive,
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
        let a = route(&ops, "POST", "/integrations/int_a/replay", b"").await;
        assert_eq!(a.status, 202, "{}", a.body);
        assert_eq!(queues.sent().len(), hona_operations::service::REPLAY_CHUNK);
        let a = route(&ops, "GET", "/integrations/int_a/replay", b"").await;
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
            let answer = send(&ops, lambda_http::Request::from(event)).await;
            // The fixtures name an integration these fakes do not have.
            assert_eq!(answer.status, 404, "{name}");
            assert_eq!(
                answer.body["error"]["code"], "unknown_integration",
                "{name}"
            );
        }
    }
}
