//! The AWS side of the bundle: the domain's ports over DynamoDB, Secrets Manager
//! and SQS, client files from S3, the MyCase connection per integration, and the
//! Lambda entrypoint.
//!
//! A function's `main` is: read its configuration (`config`, once), `Aws::new`, build its
//! push, `lambda::run`.

pub mod config;
pub mod dead_letters;
pub mod dynamo;
pub mod lambda;
pub mod mycase;
pub mod queues;
pub mod s3;
pub mod secrets;

use config::{AwsConfig, QueueUrls, ResourceNames};
use hona_domain::Stores;
use hona_domain::communications::CommunicationsLog;
use hona_domain::communications::thread::ReadyThreadCache;
use hona_domain::documents::Documents;
use hona_domain::forms::FormFieldUpkeep;
use hona_domain::leads::LeadConversion;
use hona_domain::leads::index::ClientIndexUpkeep;
use mycase_client::{RateLimiter, RetryPolicy, Transport};
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

impl Aws {
    /// The clients, from the function's configuration (read once, at start); the AWS
    /// endpoint, region and credentials the standard SDK way.
    pub async fn new(config: &AwsConfig) -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let transport = Transport::new(
            config.endpoints.clone(),
            Arc::new(RateLimiter::per_second(config.rate_per_second)),
            RetryPolicy::default(),
        );
        Self {
            names: config.names.clone(),
            dynamo: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            secrets: aws_sdk_secretsmanager::Client::new(&sdk),
            s3: s3_client(&sdk, config.local_aws_endpoint),
            transport: Arc::new(transport),
        }
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
    pub fn mappings(&self, table: &str) -> Arc<dynamo::mappings::DynamoMappings> {
        Arc::new(dynamo::mappings::DynamoMappings::new(
            self.dynamo.clone(),
            table.to_owned(),
        ))
    }

    /// The catalogue refresh and mapping re-check (the mapping API and the nightly sync).
    pub fn form_field_upkeep(&self, mappings_table: &str) -> FormFieldUpkeep {
        FormFieldUpkeep {
            mappings: self.mappings(mappings_table),
            mycase: self.mycase(),
        }
    }

    /// The Documents push: files from `bucket` (`HONA_DOCUMENTS_BUCKET`) into each case's
    /// Documents.
    pub fn documents(&self, bucket: &str) -> Documents {
        Documents {
            source: Arc::new(s3::S3DocumentSource::new(
                self.s3.clone(),
                bucket.to_owned(),
            )),
            mycase: self.mycase(),
            uploads: Arc::new(dynamo::uploads::DynamoUploads::new(
                self.dynamo.clone(),
                self.names.idempotency_table.clone(),
            )),
        }
    }

    /// The ledger, read back (status, replay, nightly counts).
    pub fn ledger_history(&self) -> Arc<dynamo::ledger::DynamoLedger> {
        Arc::new(
            dynamo::ledger::DynamoLedger::new(self.dynamo.clone(), self.names.ledger_table.clone())
                .with_retention_days(self.names.ledger_retention_days),
        )
    }

    /// The push types' queues, for replay and re-drive (`HONA_QUEUE_URL_*`).
    pub fn event_queues(&self, urls: &QueueUrls) -> Arc<queues::SqsEventQueues> {
        Arc::new(queues::SqsEventQueues::new(self.sqs.clone(), urls.clone()))
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

    /// Lead conversion: each lead's client in `leads_table` (`HONA_LEADS_TABLE`), MyCase
    /// per integration.
    pub fn lead_conversion(&self, leads_table: &str) -> LeadConversion {
        LeadConversion {
            conversions: Arc::new(dynamo::leads::DynamoLeadConversions::new(
                self.dynamo.clone(),
                leads_table.to_owned(),
            )),
            index: self.client_index(leads_table),
            mycase: self.mycase(),
        }
    }

    /// Each integration's client index, in `leads_table` beside the conversions.
    pub fn client_index(&self, leads_table: &str) -> Arc<dynamo::client_index::DynamoClientIndex> {
        Arc::new(dynamo::client_index::DynamoClientIndex::new(
            self.dynamo.clone(),
            leads_table.to_owned(),
        ))
    }

    /// The nightly's upkeep of the client index.
    pub fn client_index_upkeep(&self, leads_table: &str) -> ClientIndexUpkeep {
        ClientIndexUpkeep {
            index: self.client_index(leads_table),
            mycase: self.mycase(),
        }
    }
}

/// S3 with path-style addressing when an endpoint is set (`AWS_ENDPOINT_URL`: moto, a
/// local stack), which serves buckets under its own host rather than as sub-domains.
fn s3_client(config: &aws_config::SdkConfig, local: bool) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(local)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
