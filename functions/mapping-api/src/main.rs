//! `mapping-api`: the HTTP API Hona calls to list compatible MyCase fields and to
//! save, list and delete form field mappings. API Gateway HTTP API (payload v2),
//! IAM-authorised. Routes and validation live in `lib.rs`.

use aws_adapters::config::{FromEnv, MappingApiConfig};
use aws_adapters::{Aws, lambda};
use lambda_http::Error;
use mapping_api::MappingApi;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let config = MappingApiConfig::from_env()?;
    let aws = Aws::new(&config.aws).await;
    let api = Arc::new(MappingApi {
        integrations: aws.integrations(),
        mappings: aws.mappings(&config.mappings_table),
        mycase: aws.mycase(),
    });
    lambda_http::run(lambda::Flushing::new(mapping_api::router(api))).await
}
