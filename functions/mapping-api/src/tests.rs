//! The mapping API over in-memory ports: routes, validation, and every refusal.

use super::*;
use hona_domain::fakes::MemoryIntegrations;
use hona_domain::forms::fakes::{FakeFieldsConnector, MemoryMappings};
use hona_domain::ids::{OrgId, StaffId};
use hona_domain::integration::LogTarget;
use tower::ServiceExt;

struct World {
    api: Arc<MappingApi>,
    mycase: Arc<FakeFieldsConnector>,
}

fn world() -> World {
    let integration = Integration {
        id: IntegrationId::parse("int_a").unwrap(),
        org_id: OrgId::parse("org_a").unwrap(),
        active: true,
        sender_staff_id: StaffId::new(1).unwrap(),
        log_target: LogTarget::Thread,
        time_zone: chrono_tz::America::Los_Angeles,
        firm_uuid: None,
        documents_folder: None,
        lead_automation: None,
        needs_reconnect: None,
    };
    let mycase: Arc<FakeFieldsConnector> = Default::default();
    let firm = mycase.firm("int_a");
    firm.add_field(11, "case", "short_text", &[]);
    firm.add_field(12, "case", "date", &[]);
    firm.add_field(
        13,
        "case",
        "list",
        &[("k_auto", "Auto accident"), ("k_fall", "Slip and fall")],
    );
    firm.add_field(14, "case", "numeric", &[]);
    firm.add_field(21, "client", "short_text", &[]);
    World {
        api: Arc::new(MappingApi {
            integrations: Arc::new(MemoryIntegrations::with([integration])),
            mappings: Arc::new(MemoryMappings::default()),
            mycase: mycase.clone(),
        }),
        mycase,
    }
}

/// An answer: the status and the JSON body (`None` when empty, as for `204`).
#[derive(Debug, Clone, PartialEq)]
struct ApiResponse {
    status: u16,
    body: Option<Value>,
}

/// One request through the router, as `main.rs` serves it.
async fn send<B>(api: &Arc<MappingApi>, request: axum::http::Request<B>) -> ApiResponse
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = router(api.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = (!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).unwrap());
    ApiResponse { status, body }
}

async fn call(w: &World, method: &str, path: &str, body: Value) -> ApiResponse {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .body(axum::body::Body::from(body))
        .unwrap();
    send(&w.api, request).await
}

const Q1: &str = "/integrations/int_a/forms/frm_1/questions/q_1/mapping";

fn code(r: &ApiResponse) -> &str {
    r.body
        .as_ref()
        .and_then(|b| b["error"]["code"].as_str())
        .unwrap_or("")
}

#[tokio::test]
async fn lists_only_compatible_case_fields() {
    let w = world();
    let r = call(
        &w,
        "GET",
        "/integrations/int_a/custom-fields?question_type=number",
        Value::Null,
    )
    .await;
    assert_eq!(r.status, 200);
    let ids: Vec<i64> = r.body.unwrap()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![11, 14]);
    let r = call(
        &w,
        "GET",
        "/integrations/int_a/custom-fields?question_type=signature",
        Value::Null,
    )
    .await;
    assert_eq!(r.body.unwrap()["fields"], json!([]));
    let r = call(
        &w,
        "GET",
        "/prod/integrations/int_a/custom-fields?question_type=single_choice",
        Value::Null,
    )
    .await;
    let fields = r.body.unwrap()["fields"].clone();
    assert_eq!(
        fields[1]["options"][0],
        json!({"key": "k_auto", "text": "Auto accident"})
    );
    let r = call(&w, "GET", "/integrations/int_a/custom-fields", Value::Null).await;
    assert_eq!((r.status, code(&r)), (400, "invalid_question_type"));
    let r = call(
        &w,
        "GET",
        "/integrations/int_zz/custom-fields?question_type=date",
        Value::Null,
    )
    .await;
    assert_eq!((r.status, code(&r)), (404, "integration_not_found"));
}

#[tokio::test]
async fn save_get_list_delete() {
    let w = world();
    let r = call(&w, "PUT", Q1, json!({"question_type": "single_choice", "custom_field_id": 13,
                                        "choices": {"Car accident": "k_auto", "Fell": "slip and fall"}})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let saved = r.body.unwrap();
    assert_eq!(saved["field_type"], "list");
    assert_eq!(
        saved["choices"],
        json!({"Car accident": "k_auto", "Fell": "k_fall"})
    );
    assert_eq!(saved["status"], json!({"status": "ok"}));
    let r = call(&w, "GET", Q1, Value::Null).await;
    assert_eq!(r.body.unwrap()["field_id"], 13);
    let r = call(&w, "GET", "/integrations/int_a/mappings", Value::Null).await;
    assert_eq!(r.body.unwrap()["mappings"].as_array().unwrap().len(), 1);
    let r = call(&w, "DELETE", Q1, Value::Null).await;
    assert_eq!((r.status, r.body), (204, None));
    let r = call(&w, "DELETE", Q1, Value::Null).await;
    assert_eq!((r.status, code(&r)), (404, "mapping_not_found"));
    let r = call(&w, "GET", Q1, Value::Null).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn refusals_are_clear_4xx() {
    let w = world();
    let cases: &[(Value, u16, &str)] = &[
        (
            json!({"question_type": "short_text", "custom_field_id": 999}),
            404,
            "field_not_found",
        ),
        (
            json!({"question_type": "short_text", "custom_field_id": 21}),
            422,
            "not_a_case_field",
        ),
        (
            json!({"question_type": "number", "custom_field_id": 12}),
            422,
            "incompatible_field",
        ),
        (
            json!({"question_type": "file_upload", "custom_field_id": 11}),
            422,
            "incompatible_field",
        ),
        (
            json!({"question_type": "single_choice", "custom_field_id": 13}),
            422,
            "choices_missing",
        ),
        (
            json!({"question_type": "single_choice", "custom_field_id": 13, "choices": {"Dog bite": "Dog"}}),
            422,
            "choice_has_no_option",
        ),
        (
            json!({"question_type": "short_text", "custom_field_id": 11, "choices": {"a": "b"}}),
            422,
            "choices_not_applicable",
        ),
        (
            json!({"question_type": "essay", "custom_field_id": 11}),
            400,
            "invalid_question_type",
        ),
        (
            json!({"question_type": "short_text", "custom_field_id": -3}),
            400,
            "invalid_custom_field_id",
        ),
        (json!({"question_type": "short_text"}), 400, "invalid_body"),
        (
            json!({"question_type": "short_text", "custom_field_id": 11, "extra": 1}),
            400,
            "invalid_body",
        ),
    ];
    for (body, status, want) in cases {
        let r = call(&w, "PUT", Q1, body.clone()).await;
        assert_eq!((r.status, code(&r)), (*status, *want), "{body}");
        let message = r.body.as_ref().unwrap()["error"]["message"]
            .as_str()
            .unwrap();
        assert!(!message.is_empty());
    }
    let r = call(
        &w,
        "PUT",
        Q1,
        json!({"question_type": "number", "custom_field_id": 12}),
    )
    .await;
    assert_eq!(
        r.body.unwrap()["error"]["message"],
        "a number question cannot be mapped to a date field"
    );
    let r = call(&w, "GET", "/integrations/int_a/mappings", Value::Null).await;
    assert_eq!(
        r.body.unwrap()["mappings"],
        json!([]),
        "nothing refused was saved"
    );
}

#[tokio::test]
async fn saving_reads_the_field_live_not_from_the_cache() {
    let w = world();
    call(
        &w,
        "GET",
        "/integrations/int_a/custom-fields?question_type=date",
        Value::Null,
    )
    .await;
    w.mycase.firm("int_a").fields.lock().unwrap().remove(&12);
    let r = call(
        &w,
        "PUT",
        Q1,
        json!({"question_type": "date", "custom_field_id": 12}),
    )
    .await;
    assert_eq!((r.status, code(&r)), (404, "field_not_found"));
}

#[tokio::test]
async fn bad_routes_and_methods() {
    let w = world();
    assert_eq!(call(&w, "GET", "/nothing", Value::Null).await.status, 404);
    assert_eq!(call(&w, "POST", Q1, Value::Null).await.status, 405);
    assert_eq!(
        call(&w, "DELETE", "/integrations/int_a/mappings", Value::Null)
            .await
            .status,
        405
    );
    // `frm#1`, percent-encoded as a client sends it (a bare `#` would start a fragment).
    let r = call(
        &w,
        "GET",
        "/integrations/int_a/forms/frm%231/questions/q/mapping",
        Value::Null,
    )
    .await;
    assert_eq!((r.status, code(&r)), (400, "invalid_path"));
}

/// The committed `events/mapping-api.*.json` fixtures, as `lambda_http` hands them to the router.
#[tokio::test]
async fn the_event_fixtures_run_through_the_lambda_adapter() {
    let w = world();
    // The fixtures name integration `int_mycase_3f9a` and field 1130203.
    let integration = Integration {
        id: IntegrationId::parse("int_mycase_3f9a").unwrap(),
        ..w.api
            .integrations
            .get(&IntegrationId::parse("int_a").unwrap())
            .await
            .unwrap()
            .unwrap()
    };
    let api = Arc::new(MappingApi {
        integrations: Arc::new(MemoryIntegrations::with([integration])),
        mappings: w.api.mappings.clone(),
        mycase: w.mycase.clone(),
    });
    w.mycase.firm("int_mycase_3f9a").add_field(
        1130203,
        "case",
        "list",
        &[("k1", "Auto accident"), ("k2", "Slip and fall")],
    );
    let run = |name: &'static str| {
        let api = &api;
        async move {
            let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
            let raw = std::fs::read_to_string(&path).expect("fixture exists");
            let event: lambda_http::request::LambdaRequest =
                serde_json::from_str(&raw).expect("an API Gateway v2 event");
            let response = send(api, lambda_http::Request::from(event)).await;
            (response.status, response.body.unwrap_or(Value::Null))
        }
    };
    let (status, body) = run("mapping-api.custom-fields.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fields"][0]["id"], 1130203);
    let (status, body) = run("mapping-api.save.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["choices"],
        json!({"Car accident": "k1", "I slipped or fell": "k2"})
    );
    let (status, body) = run("mapping-api.list.json").await;
    assert_eq!(
        (status, body["mappings"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, _) = run("mapping-api.delete.json").await;
    assert_eq!(status, 204);
}
