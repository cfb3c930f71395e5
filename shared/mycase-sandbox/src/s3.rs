//! A fake Amazon S3 for document bytes (reference §7, §12.7). `put_url`s and download
//! `Location`s are presigned: the path carries an opaque grant, `X-Amz-Signature` signs
//! it, and the grant's expiry is enforced. PUTs are strict the way S3 is about signed
//! headers: exactly the handed-out `x-amz-acl` and `Content-Type: application/octet-stream`,
//! no `Authorization`, a `Content-Length`. Bodies stream to disk while hashed, so large
//! uploads never sit in memory; only a complete body marks the version uploaded.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::app::{AppRef, lock};
use crate::clock;
use crate::crypto;
use crate::store::Upload;

pub const PUT_ACL: &str = "private";
const PUT_TTL_SECS: i64 = 3600;

#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    op: String,
    firm: String,
    doc: i64,
    ver: u32,
    exp: i64,
}

fn signature(app: &AppRef, token: &str) -> String {
    hex::encode(crypto::hmac_sha256(
        &app.secret,
        format!("s3:{token}").as_bytes(),
    ))
}

fn presign(app: &AppRef, base: &str, grant: &Grant, ttl: i64, extra: &str) -> String {
    let token = crypto::b64url(&serde_json::to_vec(grant).expect("grant serializes"));
    let sig = signature(app, &token);
    format!(
        "{base}/_s3/{}/{token}?X-Amz-Expires={ttl}&X-Amz-Signature={sig}{extra}",
        grant.op
    )
}

pub fn presign_put(app: &AppRef, base: &str, firm: &str, doc: i64, ver: u32) -> String {
    let grant = Grant {
        op: "put".into(),
        firm: firm.into(),
        doc,
        ver,
        exp: clock::now().timestamp() + PUT_TTL_SECS,
    };
    presign(app, base, &grant, PUT_TTL_SECS, "")
}

pub fn presign_get(
    app: &AppRef,
    base: &str,
    firm: &str,
    doc: i64,
    ver: u32,
    ttl: i64,
    filename: &str,
) -> String {
    let grant = Grant {
        op: "get".into(),
        firm: firm.into(),
        doc,
        ver,
        exp: clock::now().timestamp() + ttl,
    };
    let disposition = format!("attachment; filename=\"{}\"", filename.replace('"', ""));
    let enc: String = url::form_urlencoded::byte_serialize(disposition.as_bytes()).collect();
    presign(
        app,
        base,
        &grant,
        ttl,
        &format!("&response-content-disposition={enc}"),
    )
}

/// S3's XML error document.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>\
         <RequestId>{}</RequestId></Error>",
        crate::page::esc(message),
        crypto::random_hex(8).to_uppercase()
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// Checks the grant in the path against the signature in the query.
fn verify(
    app: &AppRef,
    op: &str,
    token: &str,
    q: &HashMap<String, String>,
) -> Result<Grant, Box<Response>> {
    let sig_ok = q
        .get("X-Amz-Signature")
        .is_some_and(|s| crypto::ct_eq(s.as_bytes(), signature(app, token).as_bytes()));
    let grant = crypto::b64url_decode(token)
        .and_then(|raw| serde_json::from_slice::<Grant>(&raw).ok())
        .filter(|g| g.op == op);
    match grant {
        Some(g) if sig_ok => {
            if g.exp < clock::now().timestamp() {
                Err(Box::new(s3_error(
                    StatusCode::FORBIDDEN,
                    "AccessDenied",
                    "Request has expired",
                )))
            } else {
                Ok(g)
            }
        }
        _ => Err(Box::new(s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ))),
    }
}

/// Deletes a partial upload file unless it was moved into place.
struct PartFile(PathBuf);

impl Drop for PartFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A response whose body fails at once: hyper then closes the connection without
/// finishing the response, which is how the `cut_put_after_bytes` switch drops it.
fn drop_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other(
            "connection cut by the sandbox fault switch",
        ))
    });
    Response::new(Body::from_stream(failing))
}

pub async fn put_object(
    State(app): State<AppRef>,
    Path(token): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let grant = match verify(&app, "put", &token, &q) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    if headers.contains_key(header::AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified",
        );
    }
    let header_is =
        |name: &str, want: &str| headers.get(name).and_then(|v| v.to_str().ok()) == Some(want);
    if !header_is("x-amz-acl", PUT_ACL) || !header_is("content-type", "application/octet-stream") {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method (signed headers: content-type;x-amz-acl).",
        );
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(length) = length.filter(|_| !headers.contains_key(header::TRANSFER_ENCODING)) else {
        return s3_error(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        );
    };
    if length > app.config.max_upload_bytes {
        return s3_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        );
    }
    let known = lock(&app.store)
        .firm(&grant.firm)
        .and_then(|f| f.documents.get(&grant.doc))
        .is_some_and(|d| d.versions.iter().any(|v| v.number == grant.ver));
    if !known {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    }
    // One-shot: taken only by a PUT that got this far.
    let cut = lock(&app.faults).cut_put_after_bytes.take();

    let dir = app.config.data_dir.join(&grant.firm);
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!(error = %e, "cannot create data dir");
        return s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "storage unavailable",
        );
    }
    let part = PartFile(dir.join(format!(
        ".{}-v{}-{}.part",
        grant.doc,
        grant.ver,
        crypto::random_hex(6)
    )));
    let mut file = match tokio::fs::File::create(&part.0).await {
        Ok(f) => f,
        Err(_) => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "storage unavailable",
            );
        }
    };
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(mut chunk) = chunk else {
            // Fewer bytes than Content-Length, or the client went away: not uploaded.
            tracing::info!(
                document_id = grant.doc,
                received,
                "fake S3 PUT aborted by client"
            );
            return s3_error(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
            );
        };
        if let Some(limit) = cut
            && received + chunk.len() as u64 >= limit
            && limit < length
        {
            let keep = (limit - received) as usize;
            let _ = file.write_all(&chunk.split_to(keep)).await;
            tracing::info!(
                document_id = grant.doc,
                limit,
                "fake S3 PUT cut by fault switch"
            );
            return drop_connection();
        }
        hasher.update(&chunk);
        if file.write_all(&chunk).await.is_err() {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "storage write failed",
            );
        }
        received += chunk.len() as u64;
    }
    if received != length {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        );
    }
    if file.flush().await.is_err() || file.sync_all().await.is_err() {
        return s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "storage write failed",
        );
    }
    drop(file);
    let sha = hex::encode(hasher.finalize());
    let dest = dir.join(format!("{}-v{}", grant.doc, grant.ver));
    if tokio::fs::rename(&part.0, &dest).await.is_err() {
        return s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "storage write failed",
        );
    }
    {
        let mut store = lock(&app.store);
        let version = store
            .firm_mut(&grant.firm)
            .and_then(|f| f.documents.get_mut(&grant.doc))
            .and_then(|d| d.versions.iter_mut().find(|v| v.number == grant.ver));
        let Some(v) = version else {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            );
        };
        let now = clock::now();
        v.upload = Some(Upload {
            size_bytes: received,
            sha256: sha.clone(),
            file: dest,
            uploaded_at: now,
        });
        v.updated_at = now;
    }
    tracing::info!(
        document_id = grant.doc,
        version = grant.ver,
        bytes = received,
        "fake S3 PUT stored"
    );
    let etag = format!("\"{}\"", &sha[..32]);
    let mut resp = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

pub async fn get_object(
    State(app): State<AppRef>,
    Path(token): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let grant = match verify(&app, "get", &token, &q) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let upload = lock(&app.store)
        .firm(&grant.firm)
        .and_then(|f| f.documents.get(&grant.doc))
        .and_then(|d| d.versions.iter().find(|v| v.number == grant.ver))
        .and_then(|v| v.upload.clone());
    let Some(upload) = upload else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let file = match tokio::fs::File::open(&upload.file).await {
        Ok(f) => f,
        Err(_) => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            );
        }
    };
    let mut resp = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(file)));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(upload.size_bytes));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", &upload.sha256[..32])) {
        h.insert(header::ETAG, v);
    }
    if let Some(cd) = q.get("response-content-disposition")
        && let Ok(v) = HeaderValue::from_str(cd)
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
