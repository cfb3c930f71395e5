//! `log-documents`: every file a client sends (`document.received`: text message,
//! portal upload, form answer, e-signature copy) into its case's Documents, streamed
//! from S3. SQS standard-queue trigger with partial batch failures.

use aws_adapters::config::{DocumentsConfig, FromEnv};
use aws_adapters::{Aws, lambda};
use hona_domain::Pipeline;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_tracing();
    let config = DocumentsConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let push = aws.documents(&config.documents_bucket);
    lambda::run(Pipeline::new(push, aws.stores())).await
}
