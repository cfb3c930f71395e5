//! API Gateway (HTTP API, payload v2) requests in, JSON responses out.

use crate::{ApiRequest, MappingApi};
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn serve(
    api: &MappingApi,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
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
    Ok(Response::builder()
        .status(answer.status)
        .header("content-type", "application/json")
        .body(body)?)
}
