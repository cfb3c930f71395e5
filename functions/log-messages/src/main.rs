//! `log-messages`: 2-Way Messages (`message.logged`) into each case's
//! Communications thread. SQS FIFO trigger, message group = case.

use aws_adapters::config::{FromEnv, PushConfig};
use aws_adapters::{Aws, lambda};
use hona_domain::Pipeline;
use hona_domain::communications::Messages;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_tracing();
    let config = PushConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let push = Messages {
        log: aws.communications_log(),
    };
    lambda::run(Pipeline::new(push, aws.stores())).await
}
