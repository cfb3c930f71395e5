//! The AWS side of the bundle: the domain's ports over DynamoDB, Secrets Manager
//! and SQS, the MyCase connection per integration, and the Lambda entrypoint.
//!
//! A function's `main` is: `Aws::from_env()`, build its push, `lambda::run`.

pub mod config;
pub mod dead_letters;
pub mod dynamo;
pub mod lambda;
pub mod mycase;
pub mod queues;
pub mod secrets;

use config::ResourceNames;
use hona_push::Stores;
use hona_push::communications::CommunicationsLog;
use hona_push::communications::thread::ReadyThreadCache;
use mycase_client::{MyCaseEndpoints, RateLimiter, RetryPolicy, Transport};
use std::sync::Arc;

/// Everything a function needs from its environment, built once per cold start.
pub struct Aws {
    pub names: ResourceNames,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub transport: Arc<Transport>,
}

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error(transparent)]
    Config(#[from] config::MissingConfig),
    #[error("MyCase endpoints: {0}")]
    Endpoints(String),
}

impl Aws {
    /// Reads the configuration contract (README): resource names, MyCase endpoints,
    /// the rate budget, and the AWS endpoint the standard SDK way.
    pub async fn from_env() -> Result<Self, BootError> {
        Self::with_names(ResourceNames::from_env()?).await
    }

    /// For the HTTP functions, which no queue feeds (so no dead-letter queue).
    pub async fn from_env_without_dead_letters() -> Result<Self, BootError> {
        Self::with_names(ResourceNames::from_env_without_dead_letters()?).await
    }

    async fn with_names(names: ResourceNames) -> Result<Self, BootError> {
        let endpoints =
            MyCaseEndpoints::from_env().map_err(|e| BootError::Endpoints(e.to_string()))?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let transport = Transport::new(
            endpoints,
            Arc::new(RateLimiter::from_env()),
            RetryPolicy::default(),
        );
        Ok(Self {
            names,
            dynamo: aws_sdk_dynamodb::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            transport: Arc::new(transport),
        })
    }

    pub fn stores(&self) -> Stores {
        let names = &self.names;
        Stores {
            integrations: Arc::new(dynamo::integrations::DynamoIntegrations::new(
                self.dynamo.clone(),
                names.integrations_table.clone(),
            )),
            idempotency: Arc::new(dynamo::idempotency::DynamoIdempotency::new(
                self.dynamo.clone(),
                names.idempotency_table.clone(),
            )),
            ledger: Arc::new(dynamo::ledger::DynamoLedger::new(
                self.dynamo.clone(),
                names.ledger_table.clone(),
            )),
            dead_letters: Arc::new(dead_letters::SqsDeadLetters::new(
                self.sqs.clone(),
                names.dead_letter_queue_url.clone(),
            )),
        }
    }

    pub fn mycase(&self) -> Arc<mycase::MyCaseConnector> {
        Arc::new(mycase::MyCaseConnector::new(
            self.transport.clone(),
            self.secrets.clone(),
            self.dynamo.clone(),
            self.names.clone(),
        ))
    }

    /// Integration records, for operations (connect, activation, settings, nightly).
    pub fn integration_admin(&self) -> Arc<dynamo::integrations::DynamoIntegrations> {
        Arc::new(dynamo::integrations::DynamoIntegrations::new(
            self.dynamo.clone(),
            self.names.integrations_table.clone(),
        ))
    }

    /// The ledger, read back (status, replay, nightly counts).
    pub fn ledger_history(&self) -> Arc<dynamo::ledger::DynamoLedger> {
        Arc::new(dynamo::ledger::DynamoLedger::new(
            self.dynamo.clone(),
            self.names.ledger_table.clone(),
        ))
    }

    /// The push types' queues, for replay and re-drive (`HONA_QUEUE_URL_*`).
    pub fn event_queues(&self) -> Arc<queues::SqsEventQueues> {
        Arc::new(queues::SqsEventQueues::new(
            self.sqs.clone(),
            config::QueueUrls::from_env(),
        ))
    }

    /// Where messages and notifications land: shared by both functions.
    pub fn communications_log(&self) -> CommunicationsLog {
        CommunicationsLog {
            threads: Arc::new(ReadyThreadCache::new(dynamo::threads::DynamoThreads::new(
                self.dynamo.clone(),
                self.names.case_threads_table.clone(),
            ))),
            mycase: self.mycase(),
        }
    }
}
