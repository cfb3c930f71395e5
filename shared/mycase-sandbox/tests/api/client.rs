//! The typed admin client (`mycase_sandbox::client`, feature `client`) against the real
//! server: every answer it reads parses into its `wire` type, so the tests that rely on
//! it read what the sandbox sends.

use mycase_sandbox::client::{ClientError, SandboxClient};
use mycase_sandbox::wire::FirmState;
use serde_json::json;

use crate::common::{self, standard_firm};

#[tokio::test]
async fn every_admin_answer_reads_into_its_type() {
    let env = common::start().await;
    let client = SandboxClient::new(env.base.clone());
    let created = client.create_firm(&standard_firm()).await.unwrap();
    assert_eq!((created.staff_ids.len(), created.client_ids.len()), (1, 2));
    assert_eq!(created.case_ids.len(), 1);
    let grant = client.grant(&created.firm_uuid, None).await.unwrap();
    assert_eq!(grant.firm_uuid, created.firm_uuid);
    assert!(grant.expires_in > 0);
    let named = client.grant(&created.firm_uuid, Some(common::CLIENT_ID));
    assert!(!named.await.unwrap().access_token.is_empty());

    let field = created.custom_field_ids[4];
    let retyped = client.retype_field(&created.firm_uuid, field, "long_text");
    retyped.await.unwrap();
    let state = client.firm_state(&created.firm_uuid).await.unwrap();
    assert_eq!(state.firm_uuid, created.firm_uuid);
    assert_eq!(state.cases[0].id, created.case_ids[0]);
    let summary = state.custom_fields.iter().find(|f| f.id == field).unwrap();
    assert_eq!(summary.field_type, "long_text");
    assert_eq!(state.raw["firm_uuid"], created.firm_uuid.as_str());

    let faults = client
        .patch_faults(&json!({"latency_ms": 5}))
        .await
        .unwrap();
    assert_eq!(faults.latency_ms, 5);
    assert_eq!(client.faults().await.unwrap(), faults);
    assert!(
        client
            .expire_access_tokens()
            .await
            .unwrap()
            .expired_access_tokens
            >= 2
    );
    let revoked = client.revoke(&created.firm_uuid).await.unwrap();
    assert!(revoked.revoked_refresh_tokens >= 2);
    assert_eq!(client.stats().await.unwrap().requests_total, 0);
    assert_eq!(client.reset_stats().await.unwrap().requests_total, 0);
}

/// The demo firm has a note, a thread with messages and an uploaded document: the parts
/// of the state dump a plain new firm leaves empty.
#[tokio::test]
async fn the_demo_firms_state_reads_whole() {
    let env = common::start().await;
    let seeded = env.sandbox.seed_demo().unwrap();
    let uuid = seeded["firm_uuid"].as_str().unwrap();
    let state = SandboxClient::new(env.base.clone())
        .firm_state(uuid)
        .await
        .unwrap();
    assert!(!state.notes.is_empty());
    assert!(state.message_threads.iter().any(|t| t.messages.len() >= 2));
    assert!(state.clients.iter().all(|c| c.first_name.is_some()));
    let uploaded: Vec<_> = state
        .documents
        .iter()
        .flat_map(|d| d.uploaded_versions())
        .collect();
    assert!(!uploaded.is_empty());
    assert!(
        uploaded
            .iter()
            .all(|v| v.sha256.is_some() && v.size_bytes.is_some())
    );
}

/// A missing field is an error, not a default: the point of the typed client.
#[test]
fn a_missing_field_fails_to_read() {
    let stats = json!({"requests_total": 1, "by_status": {}, "by_route": {},
        "token_exchanges": 0, "token_refreshes": 0, "refresh_rejected": 0, "in_flight": 0,
        "max_in_flight": 0, "oldest_in_flight_ms": 0, "first_request_at_ms": null});
    let err = serde_json::from_value::<mycase_sandbox::wire::Stats>(stats).unwrap_err();
    assert!(err.to_string().contains("last_request_at_ms"), "{err}");
    let state = json!({"firm_uuid": "f", "name": "n", "clients": [], "cases": [],
        "notes": [], "message_threads": [], "custom_fields": []});
    let err = serde_json::from_value::<FirmState>(state).unwrap_err();
    assert!(err.to_string().contains("documents"), "{err}");
}

#[tokio::test]
async fn an_error_status_names_the_endpoint() {
    let env = common::start().await;
    let client = SandboxClient::new(env.base.clone());
    match client.firm_state("no-such-firm").await {
        Err(ClientError::Status {
            status: 404, path, ..
        }) => assert!(path.contains("no-such-firm")),
        other => panic!("expected a 404, got {other:?}"),
    }
}
