//! `convert-leads`: Lead Conversion. A lead captured by the chatbot or the voice AI
//! agent (`lead.captured`, SQS) or a staff member's manual fire
//! (`lead.conversion_requested`, EventBridge) becomes one MyCase client contact,
//! found or created, per the integration's automation mode. One code path for both.

use aws_adapters::config::{FromEnv, LeadsConfig};
use aws_adapters::{Aws, lambda};
use hona_domain::Pipeline;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_tracing();
    let config = LeadsConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let push = aws.lead_conversion(&config.leads_table);
    lambda::run(Pipeline::new(push, aws.stores())).await
}
