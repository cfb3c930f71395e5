//! `nightly-sync`: one function, two roles, told apart by the event.
//!
//! - An EventBridge scheduled event (hourly) or a manual `{"run":"all"}`: the **starter**.
//!   It fans out one message per integration whose nightly hour (in its zone) has come
//!   (all of them for a manual run) to the nightly queue, recording due inactive ones as
//!   skipped.
//! - An SQS batch from the nightly queue (`{"integration_id":…}` per message): the
//!   **worker**, one integration per message (see `hona_operations::nightly`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use hona_domain::ids::IntegrationId;
use hona_operations::nightly::{NightlyWorker, start};
use hona_operations::ports::{IntegrationAdmin, NightlyFanOut};
use hona_operations::service::Operations;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tracing::{info, warn};

/// Integrations worked on at once by one instance (they share its MyCase rate budget).
const CONCURRENCY: usize = 4;

/// Events a replay job re-sends per integration per hourly run.
pub const REPLAY_CHUNK_PER_HOUR: usize = 1000;

pub struct Nightly {
    pub admin: Arc<dyn IntegrationAdmin>,
    pub fan_out: Arc<dyn NightlyFanOut>,
    pub worker: NightlyWorker,
    /// Carries unfinished replay jobs on, a chunk each hourly run (`None`: not wired).
    pub replays: Option<Operations>,
}

/// What started this invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// The hourly schedule, at its scheduled time.
    Schedule(DateTime<Utc>),
    /// An operator: every integration now, whatever its hour.
    Manual,
    Worker(SqsEvent),
}

impl Trigger {
    pub fn from_payload(payload: Value) -> Result<Self, String> {
        if payload.get("Records").is_some() {
            return serde_json::from_value(payload)
                .map(Trigger::Worker)
                .map_err(|e| format!("not an SQS event: {e}"));
        }
        let run = payload
            .get("run")
            .or_else(|| payload.get("detail").and_then(|d| d.get("run")))
            .and_then(Value::as_str);
        if run == Some("all") {
            return Ok(Trigger::Manual);
        }
        if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
            // The scheduled time, not the clock: a late start still picks the right hour.
            let time = payload
                .get("time")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(Utc::now);
            return Ok(Trigger::Schedule(time));
        }
        Err("expected an EventBridge scheduled event, {\"run\":\"all\"}, or an SQS batch".into())
    }
}

#[derive(Deserialize)]
struct WorkItem {
    integration_id: IntegrationId,
}

impl Nightly {
    pub async fn handle(
        &self,
        trigger: Trigger,
        deadline: tokio::time::Instant,
    ) -> Result<Value, String> {
        match trigger {
            Trigger::Schedule(at) => {
                let started = start(self.admin.as_ref(), self.fan_out.as_ref(), at, false)
                    .await
                    .map(|r| json!(r))
                    .map_err(|e| format!("nightly fan-out failed; retry: {e}"));
                self.carry_on_replays().await;
                started
            }
            Trigger::Manual => start(self.admin.as_ref(), self.fan_out.as_ref(), Utc::now(), true)
                .await
                .map(|r| json!(r))
                .map_err(|e| format!("nightly fan-out failed; retry: {e}")),
            Trigger::Worker(batch) => Ok(json!(self.work(batch, deadline).await)),
        }
    }

    /// Replays that outgrew their request go on here, a bounded chunk per integration per
    /// hour. A failure is logged and left for the next hour: the job keeps its place.
    async fn carry_on_replays(&self) {
        let Some(ops) = &self.replays else {
            return;
        };
        let records = match self.admin.list().await {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "replay jobs not carried on this hour");
                return;
            }
        };
        for r in records.iter().filter(|r| r.integration.active) {
            let id = &r.integration.id;
            match ops.continue_replay(id, REPLAY_CHUNK_PER_HOUR).await {
                Ok(Some(job)) => info!(
                    integration_id = %id,
                    sent = job.report.total_sent(),
                    done = job.done(),
                    "replay job carried on"
                ),
                Ok(None) => {}
                Err(e) => warn!(integration_id = %id, error = %e, "replay job not carried on"),
            }
        }
    }

    /// One integration per message; a message whose run hit a store failure is reported
    /// as a batch item failure and retried. A body that names no integration cannot be
    /// fixed by a retry, but it is not dropped either: it is reported too, so SQS redrives
    /// it to the nightly DLQ after its receives (and the DLQ alarm says so).
    async fn work(&self, batch: SqsEvent, deadline: tokio::time::Instant) -> SqsBatchResponse {
        let results: Vec<Option<String>> = futures::stream::iter(batch.records)
            .map(|record| async move {
                let message_id = record.message_id.unwrap_or_default();
                let item = record
                    .body
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<WorkItem>(b).ok());
                let Some(item) = item else {
                    // An on-demand run routed through the queue instead of to the function.
                    let manual = record
                        .body
                        .as_deref()
                        .and_then(|b| serde_json::from_str::<Value>(b).ok())
                        .map(Trigger::from_payload);
                    if let Some(Ok(Trigger::Manual)) = manual {
                        return match start(self.admin.as_ref(), self.fan_out.as_ref(), Utc::now(), true).await {
                            Ok(_) => None,
                            Err(e) => {
                                warn!(error = %e, "nightly fan-out failed; will retry");
                                Some(message_id)
                            }
                        };
                    }
                    warn!(message_id = %message_id, "nightly message names no integration; left for the dead-letter queue");
                    return Some(message_id);
                };
                match self.worker.run(&item.integration_id, deadline).await {
                    Ok(_) => None,
                    Err(e) => {
                        warn!(integration_id = %item.integration_id, error = %e, "nightly run failed; will retry");
                        Some(message_id)
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        aws_adapters::lambda::batch_failures(results.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hona_domain::fakes::MemoryLedger;
    use hona_domain::ids::{OrgId, StaffId};
    use hona_domain::integration::Integration;
    use hona_operations::fakes::{FakeHealth, MemoryAdmin, MemoryFanOut, MemoryQueues};
    use hona_operations::settings::SettingsPatch;

    fn integration(id: &str, active: bool, zone: chrono_tz::Tz) -> Integration {
        Integration {
            id: IntegrationId::parse(id).unwrap(),
            org_id: OrgId::parse("org_a").unwrap(),
            active,
            sender_staff_id: StaffId::new(1).unwrap(),
            log_target: Default::default(),
            time_zone: zone,
            firm_uuid: Some("f".into()),
            documents_folder: None,
            lead_automation: None,
            needs_reconnect: None,
        }
    }

    fn nightly(
        admin: Arc<MemoryAdmin>,
        fan_out: Arc<MemoryFanOut>,
        health: Arc<FakeHealth>,
    ) -> Nightly {
        Nightly {
            admin: admin.clone(),
            fan_out,
            worker: NightlyWorker {
                admin,
                ledger: Arc::new(MemoryLedger::default()),
                health,
                mappings: None,
                client_index: None,
                queues: Arc::new(MemoryQueues::default()),
                redrive_budget: 10,
            },
            replays: None,
        }
    }

    #[tokio::test]
    async fn the_schedule_fans_out_only_integrations_at_their_local_hour() {
        use chrono_tz::America::{Chicago, New_York};
        let admin = Arc::new(MemoryAdmin::with([
            integration("int_ny", true, New_York),
            integration("int_chi", true, Chicago),
            integration("int_ny_off", false, New_York),
            integration("int_ny_two", true, New_York),
        ]));
        let two = SettingsPatch {
            nightly_hour: Some(hona_operations::settings::NightlyHour::new(2).unwrap()),
            ..Default::default()
        };
        admin
            .update_settings(&IntegrationId::parse("int_ny_two").unwrap(), &two)
            .await
            .unwrap();
        let fan_out = Arc::new(MemoryFanOut::default());
        let n = nightly(admin.clone(), fan_out.clone(), Arc::default());
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);

        // 05:00 UTC on Nov 25 is midnight in New York (EST), 23:00 in Chicago.
        let event = json!({"detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-11-25T05:00:00Z", "detail": {}});
        let out = n
            .handle(Trigger::from_payload(event).unwrap(), deadline)
            .await
            .unwrap();
        assert_eq!(out["sent"], 1, "{out}");
        assert_eq!(out["skipped_inactive"], 1);
        let sent: Vec<String> = fan_out
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(i, _)| i.to_string())
            .collect();
        assert_eq!(sent, vec!["int_ny"]);
        let off = admin.get("int_ny_off").unwrap().last_nightly.unwrap();
        assert_eq!(
            (off.status.as_str(), off.reason),
            ("skipped", Some(hona_domain::Reason::IntegrationInactive))
        );

        // A manual run takes every active integration now.
        let out = n
            .handle(
                Trigger::from_payload(json!({"run": "all"})).unwrap(),
                deadline,
            )
            .await
            .unwrap();
        assert_eq!(out["sent"], 3);
        assert!(Trigger::from_payload(json!({"hello": 1})).is_err());
    }

    #[tokio::test]
    async fn the_worker_runs_each_integration_and_reports_store_failures_only() {
        let admin = Arc::new(MemoryAdmin::with([integration(
            "int_a",
            true,
            chrono_tz::UTC,
        )]));
        let health = Arc::new(FakeHealth::default());
        let n = nightly(admin.clone(), Arc::default(), health.clone());
        let batch = json!({"Records": [
            {"messageId": "m1", "body": "{\"integration_id\":\"int_a\",\"run\":\"r\"}", "eventSource": "aws:sqs"},
            {"messageId": "m2", "body": "not json", "eventSource": "aws:sqs"}
        ]});
        // Not JSON: reported, so SQS keeps it and redrives it to the DLQ; never dropped.
        let on_demand = json!({"Records": [
            {"messageId": "m3", "body": "{\"detail-type\":\"Run nightly sync\",\"detail\":{\"run\":\"all\"}}", "eventSource": "aws:sqs"}
        ]});
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let out = n
            .handle(Trigger::from_payload(batch).unwrap(), deadline)
            .await
            .unwrap();
        assert_eq!(out["batchItemFailures"], json!([{"itemIdentifier": "m2"}]));
        assert_eq!(
            admin.get("int_a").unwrap().last_nightly.unwrap().status,
            "ok"
        );
        assert_eq!(health.kept_alive.lock().unwrap().len(), 1);

        // An on-demand run that arrived through the queue fans out like a manual run.
        let fan_out = Arc::new(MemoryFanOut::default());
        let n = Nightly {
            fan_out: fan_out.clone(),
            ..n
        };
        let out = n
            .handle(Trigger::from_payload(on_demand).unwrap(), deadline)
            .await
            .unwrap();
        assert_eq!(out["batchItemFailures"], json!([]));
        assert_eq!(fan_out.0.lock().unwrap().len(), 1);
    }

    #[test]
    fn the_fixtures_are_the_three_triggers() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
        let read = |name: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
        };
        assert!(matches!(
            Trigger::from_payload(read("nightly-sync.schedule.json")),
            Ok(Trigger::Schedule(_))
        ));
        assert_eq!(
            Trigger::from_payload(read("nightly-sync.manual.json")),
            Ok(Trigger::Manual)
        );
        assert!(matches!(
            Trigger::from_payload(read("nightly-sync.json")),
            Ok(Trigger::Worker(_))
        ));
    }
}
