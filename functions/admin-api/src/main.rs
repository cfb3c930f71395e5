//! `admin-api`: activation, settings, status and replay (API Gateway HTTP API, IAM auth).

use aws_adapters::{Aws, lambda};
use hona_operations::service::Operations;
use lambda_http::Error;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let aws = Aws::from_env_without_queue().await?;
    let ops = Arc::new(Operations {
        admin: aws.integrations(),
        ledger: aws.ledger_history(),
        queues: aws.event_queues(),
        mappings: aws.mappings()?,
    });
    hona_http_api::run(admin_api::router(ops)).await
}
