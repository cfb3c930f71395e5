//! `connect-mycase`: connecting a firm's MyCase account (API Gateway HTTP API, GET
//! `/connect/start` and `/oauth/callback`).

use aws_adapters::config::{ConnectConfig, FromEnv};
use aws_adapters::dynamo::connect_states::DynamoStateNonces;
use aws_adapters::mycase::MyCaseOAuthApp;
use aws_adapters::secrets::{SecretsTokenVault, load_state_signing_key};
use aws_adapters::{Aws, lambda};
use hona_operations::connect::{ConnectFlow, StateSigner};
use lambda_http::Error;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let config = ConnectConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let key = load_state_signing_key(&aws.secrets, &aws.names.state_signing_key_secret())
        .await
        .map_err(|e| format!("connect state signing key: {}", e.message()))?;
    let flow = Arc::new(ConnectFlow {
        signer: StateSigner::new(key),
        nonces: Arc::new(DynamoStateNonces::new(
            aws.dynamo.clone(),
            aws.names.leases_table.clone(),
        )),
        oauth: Arc::new(MyCaseOAuthApp::new(
            aws.transport.clone(),
            aws.secrets.clone(),
            aws.names.clone(),
        )),
        tokens: Arc::new(SecretsTokenVault::new(
            aws.secrets.clone(),
            aws.names.clone(),
        )),
        admin: aws.integrations(),
    });
    lambda_http::run(lambda::Flushing::new(connect_mycase::router(flow))).await
}
