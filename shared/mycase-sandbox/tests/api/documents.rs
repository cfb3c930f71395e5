//! Documents: the two-step presigned upload and everything fake S3 refuses.

use std::time::Duration;

use mycase_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

async fn new_document(api: &Api, case: i64, path: &str) -> Value {
    let resp = api
        .post(
            &format!("/v1/cases/{case}/documents"),
            json!({"path": path, "filename": "bc.pdf", "description": "Birth certificate"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    resp.json().await.unwrap()
}

fn s3_put(env: &Env, url: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
    env.http
        .put(url)
        .header("x-amz-acl", "private")
        .header("content-type", "application/octet-stream")
        .body(body)
}

fn version_state(state: &Value, doc: i64) -> Vec<Value> {
    state["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == doc)
        .unwrap()["versions"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn two_step_upload_records_sha256_and_serves_bytes() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);

    let doc = new_document(&api, case, "Immigration/Evidence/Birth Certificate").await;
    assert_eq!(doc["name"], "Birth Certificate");
    assert_eq!(doc["path"], "Immigration/Evidence/Birth Certificate");
    assert_eq!(doc["put_headers"], json!({"x-amz-acl": "private"}));
    let put_url = doc["put_url"].as_str().unwrap().to_string();
    assert!(
        put_url.starts_with(&format!("{}/_s3/put/", env.base))
            && put_url.contains("X-Amz-Signature=")
    );
    let doc_id = doc["id"].as_i64().unwrap();

    // Nothing to download before the bytes arrive.
    assert_eq!(
        api.get(&format!("/v1/documents/{doc_id}/data"))
            .await
            .status(),
        404
    );

    let data = bytes(300_000);
    let resp = s3_put(&env, &put_url, data.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("etag"));

    let state = env.state(&api.uuid).await;
    let v = &version_state(&state, doc_id)[0];
    assert_eq!(v["uploaded"], true);
    assert_eq!(v["size_bytes"], 300_000);
    assert_eq!(v["sha256"], hex::encode(Sha256::digest(&data)));
    let folders: Vec<&str> = state["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(folders.contains(&"Immigration") && folders.contains(&"Immigration/Evidence"));

    let resp = api.get(&format!("/v1/documents/{doc_id}/data")).await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("X-Amz-Expires=60"));
    let download = env.http.get(&location).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("bc.pdf")
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), data);

    // A second version, listed after the first.
    let resp = api
        .post(&format!("/v1/documents/{doc_id}/versions"), json!({}))
        .await;
    assert_eq!(resp.status(), 201);
    let v2: Value = resp.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["document"]["id"], doc_id);
    assert!(v2["put_url"].as_str().unwrap().contains("/_s3/put/"));
    let versions = api
        .get_json(&format!("/v1/documents/{doc_id}/versions"))
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(
        api.get_json(&format!("/v1/cases/{case}/documents")).await[0]["id"],
        doc_id
    );

    // Folders over the API.
    let root = api.get_json(&format!("/v1/cases/{case}/folder")).await;
    assert_eq!(root["name"], "Fernandez - Asylum");
    let resp = api
        .post(
            &format!("/v1/cases/{case}/subfolders"),
            json!({"path": "Immigration/Court"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["name"], "Court");
    let resp = api
        .post(
            &format!("/v1/cases/{case}/documents"),
            json!({"filename": "x.pdf"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/path"]);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn fake_s3_refuses_bad_puts() {
    let env = start_with(SandboxConfig {
        rate_limit_per_second: None,
        max_upload_bytes: 10_000,
        ..SandboxConfig::default()
    })
    .await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let doc = new_document(&api, case, "Scan").await;
    let url = doc["put_url"].as_str().unwrap().to_string();

    async fn xml_code(resp: reqwest::Response) -> String {
        let text = resp.text().await.unwrap();
        text[text.find("<Code>").unwrap() + 6..text.find("</Code>").unwrap()].to_string()
    }

    // Missing x-amz-acl.
    let resp = env
        .http
        .put(&url)
        .header("content-type", "application/octet-stream")
        .body(bytes(10))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(xml_code(resp).await, "SignatureDoesNotMatch");
    // Wrong content type.
    let resp = env
        .http
        .put(&url)
        .header("x-amz-acl", "private")
        .header("content-type", "application/pdf")
        .body(bytes(10))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // Wrong acl value.
    let resp = env
        .http
        .put(&url)
        .header("x-amz-acl", "public-read")
        .header("content-type", "application/octet-stream")
        .body(bytes(10))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // A bearer token must not go to S3.
    let resp = s3_put(&env, &url, bytes(10))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // Tampered signature.
    let tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=00");
    let resp = s3_put(&env, &tampered, bytes(10)).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    // Chunked: no Content-Length.
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes(100))]);
    let resp = env
        .http
        .put(&url)
        .header("x-amz-acl", "private")
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 411);
    assert_eq!(xml_code(resp).await, "MissingContentLength");
    // Over the configured limit.
    let resp = s3_put(&env, &url, bytes(10_001)).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(xml_code(resp).await, "EntityTooLarge");

    // Fewer bytes than Content-Length, then the connection closes: not uploaded.
    let u = url::Url::parse(&url).unwrap();
    let mut sock = tokio::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap()))
        .await
        .unwrap();
    let head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: {}:{}\r\nx-amz-acl: private\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000\r\n\r\n",
        u.path(),
        u.query().unwrap(),
        u.host_str().unwrap(),
        u.port().unwrap()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&bytes(1000)).await.unwrap();
    sock.shutdown().await.unwrap();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), sock.read_to_end(&mut sink)).await;

    let state = env.state(&api.uuid).await;
    assert_eq!(
        version_state(&state, doc["id"].as_i64().unwrap())[0]["uploaded"],
        false
    );
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn cut_put_leaves_version_unuploaded_once() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let doc = new_document(&api, case, "Evidence/Photo").await;
    let url = doc["put_url"].as_str().unwrap().to_string();
    let doc_id = doc["id"].as_i64().unwrap();

    env.faults(json!({"cut_put_after_bytes": 1000})).await;
    let result = s3_put(&env, &url, bytes(200_000)).send().await;
    match result {
        Err(_) => {}
        Ok(resp) => assert_ne!(resp.status(), 200, "a cut PUT must not look successful"),
    }
    let state = env.state(&api.uuid).await;
    assert_eq!(version_state(&state, doc_id)[0]["uploaded"], false);
    assert_eq!(
        api.get(&format!("/v1/documents/{doc_id}/data"))
            .await
            .status(),
        404
    );

    // One-shot: the switch is spent and the retry goes through.
    let faults = env.admin_json(Method::GET, "/_sandbox/faults", None).await;
    assert_eq!(faults["cut_put_after_bytes"], Value::Null);
    let resp = s3_put(&env, &url, bytes(200_000)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let state = env.state(&api.uuid).await;
    assert_eq!(version_state(&state, doc_id)[0]["size_bytes"], 200_000);
    env.sandbox.shutdown().await;
}
