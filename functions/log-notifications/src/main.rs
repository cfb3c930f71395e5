//! `log-notifications`: Hona notifications (`notification.sent`) into the same
//! Communications thread as the case's messages. SQS FIFO trigger, group = case.

use aws_adapters::config::{FromEnv, PushConfig};
use aws_adapters::{Aws, lambda};
use hona_domain::Pipeline;
use hona_domain::communications::Notifications;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_tracing();
    let config = PushConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let push = Notifications {
        log: aws.communications_log(),
    };
    lambda::run(Pipeline::new(push, aws.stores())).await
}
