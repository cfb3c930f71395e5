//! `nightly-sync`: the hourly starter (EventBridge schedule, or `{"run":"all"}`) and the
//! per-integration worker (SQS, the nightly queue) in one function.

use aws_adapters::Aws;
use aws_adapters::config::{FromEnv, NightlyConfig};
use aws_adapters::lambda::{self, Flushing};
use aws_adapters::queues::NightlyQueue;
use hona_operations::nightly::NightlyWorker;
use hona_operations::service::Operations;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use nightly_sync::{Nightly, Trigger};
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let config = NightlyConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let admin = aws.integrations();
    let replays = Operations {
        admin: admin.clone(),
        ledger: aws.ledger_history(),
        queues: aws.event_queues(&config.queues),
        mappings: aws.mappings(&config.mappings_table),
        jobs: aws.ledger_history(),
    };
    let nightly = Arc::new(Nightly {
        admin: admin.clone(),
        fan_out: Arc::new(NightlyQueue::new(aws.sqs.clone(), config.nightly_queue_url)),
        worker: NightlyWorker {
            admin,
            ledger: aws.ledger_history(),
            health: aws.mycase(),
            // Form Field Mapping's catalogue refresh and mapping re-check.
            mappings: Some(Arc::new(aws.form_field_upkeep(&config.mappings_table))),
            // Lead matching's client index: caught up once a night.
            client_index: Some(aws.client_index_upkeep(&config.leads_table)),
            queues: aws.event_queues(&config.queues),
            redrive_budget: config.redrive_budget,
        },
        replays: Some(replays),
    });
    lambda_runtime::run(Flushing::new(service_fn(
        move |event: LambdaEvent<Value>| {
            let nightly = nightly.clone();
            async move {
                let deadline = lambda::deadline(event.context.deadline).at;
                let trigger = Trigger::from_payload(event.payload)?;
                nightly.handle(trigger, deadline).await.map_err(Error::from)
            }
        },
    )))
    .await
}
