//! `mapping-api`: the HTTP API Hona calls to list compatible MyCase fields and to
//! save, list and delete form field mappings. API Gateway HTTP API (payload v2),
//! IAM-authorised. Routes and validation live in `lib.rs`.

use aws_adapters::{Aws, lambda};
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use mapping_api::{ApiRequest, MappingApi};
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
    lambda_http::run(service_fn(move |request: Request| {
        let api = api.clone();
        async move {
            let query = request
                .query_string_parameters()
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let answer = api
                .handle(ApiRequest {
                    method: request.method().as_str(),
                    path: request.uri().path(),
                    query,
                    body: request.body().as_ref(),
                })
                .await;
            let body = match answer.body {
                Some(json) => Body::from(json.to_string()),
                None => Body::Empty,
            };
            Response::builder()
                .status(answer.status)
                .header("content-type", "application/json")
                .body(body)
                .map_err(Error::from)
        }
    }))
    .await
}
