//! `mapping-api`: the HTTP API Hona calls to list compatible MyCase fields and to
//! save, list and delete form field mappings. API Gateway HTTP API (payload v2),
//! IAM-authorised. Routes and validation live in `lib.rs`.

use aws_adapters::Aws;
use aws_adapters::lambda::{self, Flushing};
use lambda_http::{Error, Request, service_fn};
use mapping_api::MappingApi;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let aws = Aws::from_env_without_queue().await?;
    let api = Arc::new(MappingApi {
        integrations: aws.integrations(),
        mappings: aws.mappings()?,
        mycase: aws.mycase(),
    });
    lambda_http::run(Flushing::new(service_fn(move |request: Request| {
        let api = api.clone();
        async move { mapping_api::http::serve(&api, request).await }
    })))
    .await
}
