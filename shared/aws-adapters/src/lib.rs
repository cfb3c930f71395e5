//! The AWS side of the bundle: the domain's ports over DynamoDB, Secrets Manager
//! and SQS, client files from S3, the MyCase connection per integration, and the
//! Lambda entrypoint.
//!
//! A function's `main` is: `Aws::from_env()`, build its push, `lambda::run`.

pub mod config;
pub mod dead_letters;
pub mod dynamo;
pub mod lambda;
pub mod mycase;
pub mod queues;
pub mod s3;
pub mod secrets;

use config::ResourceNames;
use hona_domain::Stores;
use hona_domain::communications::CommunicationsLog;
use hona_domain::communications::thread::ReadyThreadCache;
use hona_domain::documents::Documents;
use hona_domain::forms::FormFieldUpkeep;
use hona_domain::leads::LeadConversion;
use mycase_client::{MyCaseEndpoints, RateLimiter, RetryPolicy, Transport};
use std::sync::Arc;

/// Everything a function needs from its environment, built once per cold start.
pub struct Aws {
    pub names: ResourceNames,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub s3: aws_sdk_s3::Client,
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
    /// Reads the configuration contract (`docs/configuration.md`): resource names, MyCase endpoints,
    /// the rate budget, and the AWS endpoint the standard SDK way.
    pub async fn from_env() -> Result<Self, BootError> {
        Self::with_names(ResourceNames::from_env()?).await
    }

    /// For the HTTP functions and the CLI (no queue, so no dead-letter queue and no
    /// [`Aws::stores`]).
    pub async fn from_env_without_queue() -> Result<Self, BootError> {
        Self::with_names(ResourceNames::from_env_without_queue()?).await
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
            s3: s3_client(&config),
            transport: Arc::new(transport),
        })
    }

    /// The integrations table on its own (the mapping API; and, as `IntegrationAdmin`,
    /// connect, activation, settings and the nightly sync).
    pub fn integrations(&self) -> Arc<dynamo::integrations::DynamoIntegrations> {
        Arc::new(dynamo::integrations::DynamoIntegrations::new(
            self.dynamo.clone(),
            self.names.integrations_table.clone(),
        ))
    }

    pub fn stores(&self) -> Stores {
        let names = &self.names;
        Stores {
            integrations: self.integrations(),
            idempotency: Arc::new(dynamo::idempotency::DynamoIdempotency::new(
                self.dynamo.clone(),
                names.idempotency_table.clone(),
            )),
            ledger: Arc::new(
                dynamo::ledger::DynamoLedger::new(self.dynamo.clone(), names.ledger_table.clone())
                    .with_retention_days(names.ledger_retention_days),
            ),
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

    /// Form Field Mapping's mappings and catalogue (`HONA_MAPPINGS_TABLE`).
    pub fn mappings(&self) -> Result<Arc<dynamo::mappings::DynamoMappings>, BootError> {
        Ok(Arc::new(dynamo::mappings::DynamoMappings::new(
            self.dynamo.clone(),
            config::mappings_table()?,
        )))
    }

    /// The catalogue refresh and mapping re-check (the mapping API and the nightly sync).
    pub fn form_field_upkeep(&self) -> Result<FormFieldUpkeep, BootError> {
        Ok(FormFieldUpkeep {
            mappings: self.mappings()?,
            mycase: self.mycase(),
        })
    }

    /// The Documents push: files from `HONA_DOCUMENTS_BUCKET` into each case's Documents.
    pub fn documents(&self) -> Result<Documents, BootError> {
        let bucket = config::documents_bucket()?;
        Ok(Documents {
            source: Arc::new(s3::S3DocumentSource::new(self.s3.clone(), bucket)),
            mycase: self.mycase(),
            uploads: Arc::new(dynamo::uploads::DynamoUploads::new(
                self.dynamo.clone(),
                self.names.idempotency_table.clone(),
            )),
        })
    }

    /// The ledger, read back (status, replay, nightly counts).
    pub fn ledger_history(&self) -> Arc<dynamo::ledger::DynamoLedger> {
        Arc::new(
            dynamo::ledger::DynamoLedger::new(self.dynamo.clone(), self.names.ledger_table.clone())
                .with_retention_days(self.names.ledger_retention_days),
        )
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

    /// Lead conversion: each lead's client in `HONA_LEADS_TABLE`, MyCase per integration.
    pub fn lead_conversion(&self) -> Result<LeadConversion, BootError> {
        Ok(LeadConversion {
            conversions: Arc::new(dynamo::leads::DynamoLeadConversions::new(
                self.dynamo.clone(),
                ResourceNames::leads_table()?,
            )),
            mycase: self.mycase(),
        })
    }
}

/// S3 with path-style addressing when an endpoint is set (`AWS_ENDPOINT_URL`: moto, a
/// local stack), which serves buckets under its own host rather than as sub-domains.
fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let local = std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.trim().is_empty());
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(local)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
