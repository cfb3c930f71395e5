//! `admin-api`: the operators' HTTP API (IAM-authorised at API Gateway).
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/integrations` | every integration: active, connection, last nightly |
//! | GET | `/integrations/{id}/status` | the status (`?event_id=` explains one event) |
//! | POST | `/integrations/{id}/activate`, `/deactivate` | Active gating |
//! | PUT, PATCH | `/integrations/{id}/settings` | settings (see `SettingsPatch`) |
//! | POST | `/integrations/{id}/replay` | re-sends skipped events (`{"push_type":…}` optional) |
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
        .route("/integrations/{id}/replay", post(replay))
        .with_state(ops);
    hona_http_api::api(routes, &["integrations"])
}

type Ops = State<Arc<Operations>>;

#[derive(Deserialize)]
struct StatusQuery {
    event_id: Option<EventId>,
}

#[derive(Deserialize)]
struct ReplayBody {
    push_type: Option<String>,
}

fn unavailable(e: StoreError) -> ApiError {
    ApiError::store_unavailable(&e, "A Hona store did not answer; try again.")
}

fn no_such(id: &IntegrationId) -> ApiError {
    ApiError::not_found("unknown_integration", format!("No integration {id}."))
}

fn to_json(value: impl serde::Serialize) -> Json<Value> {
    Json(serde_json::to_value(value).unwrap_or_default())
}

async fn list(State(ops): Ops) -> JsonAnswer {
    let records = ops.admin.list().await.map_err(unavailable)?;
    let integrations: Vec<Value> = records.iter().map(record_json).collect();
    Ok(Json(json!({ "integrations": integrations })))
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
        Some(raw) => Some(parse_push_type(&raw).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_push_type",
                "push_type must be messages, notifications, documents, form_fields or leads.",
            )
        })?),
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
    let report = ops
        .replay_skipped(&id, push_type, &|_, _| {})
        .await
        .map_err(unavailable)?;
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
    use hona_operations::fakes::{MemoryAdmin, MemoryQueues};
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
