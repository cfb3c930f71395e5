//! `nightly-sync`: the hourly starter (EventBridge schedule, or `{"run":"all"}`) and the
//! per-integration worker (SQS, the nightly queue) in one function.

use aws_adapters::Aws;
use aws_adapters::config::{QueueUrls, nightly_redrive_budget};
use aws_adapters::lambda::{self, Flushing};
use aws_adapters::queues::NightlyQueue;
use hona_operations::nightly::NightlyWorker;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use nightly_sync::{Nightly, Trigger};
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let aws = Aws::from_env().await?;
    let queues = QueueUrls::from_env();
    let nightly_url = queues
        .nightly
        .clone()
        .ok_or("missing environment variable(s): HONA_NIGHTLY_QUEUE_URL")?;
    let admin = aws.integrations();
    let nightly = Arc::new(Nightly {
        admin: admin.clone(),
        fan_out: Arc::new(NightlyQueue::new(aws.sqs.clone(), nightly_url)),
        worker: NightlyWorker {
            admin,
            ledger: aws.ledger_history(),
            health: aws.mycase(),
            // Form Field Mapping's catalogue refresh and mapping re-check.
            mappings: Some(Arc::new(aws.form_field_upkeep()?)),
            queues: aws.event_queues(),
            redrive_budget: nightly_redrive_budget(),
        },
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
