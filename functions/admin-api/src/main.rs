//! `admin-api`: activation, settings, status and replay (API Gateway HTTP API, IAM auth).

use aws_adapters::{Aws, lambda};
use hona_operations::service::Operations;
use lambda_http::{Error, Request, service_fn};
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
    lambda_http::run(lambda::Flushing::new(service_fn(move |req: Request| {
        let ops = ops.clone();
        async move { Ok::<_, Error>(admin_api::handle(&ops, req).await) }
    })))
    .await
}
