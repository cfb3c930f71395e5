//! `admin-api`: activation, settings, status and replay (API Gateway HTTP API, IAM auth).

use aws_adapters::config::{AdminConfig, FromEnv};
use aws_adapters::{Aws, lambda};
use hona_operations::service::Operations;
use lambda_http::Error;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let config = AdminConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let ops = Arc::new(Operations {
        admin: aws.integrations(),
        ledger: aws.ledger_history(),
        queues: aws.event_queues(&config.queues),
        mappings: aws.mappings(&config.mappings_table),
        jobs: aws.ledger_history(),
    });
    // Metrics flushed once per request (EMF on stdout).
    lambda_http::run(lambda::Flushing::new(admin_api::router(ops))).await
}
