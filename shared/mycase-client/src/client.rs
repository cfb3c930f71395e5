//! The MyCase Open API for one integration (reference §4): typed calls over [`Transport`]
//! with the integration's bearer token, the 401 → refresh → retry-once rule, pagination, and
//! the presigned S3 upload.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use crate::error::{MyCaseError, parse_error_body};
use crate::lenient::describe_json_error;
use crate::model::*;
use crate::pagination::{next_link, rebase_on_origin};
use crate::tokens::TokenManager;
use crate::transport::{
    ApiRequest, RawResponse, Transport, describe_reqwest_error, timeout_before,
};

pub type Result<T> = std::result::Result<T, MyCaseError>;

/// Bound on an upload when the caller set no deadline: streams are not retried, so the
/// timeout only needs to catch a stalled connection, not pace a large file.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Guard against a server whose `Link` never ends.
const MAX_PAGES: usize = 10_000;
/// MyCase's largest `page_size` (reference §3.1).
const MAX_PAGE_SIZE: usize = 1000;

/// A MyCase client bound to one integration. Cheap to clone.
#[derive(Clone)]
pub struct MyCaseClient {
    transport: Arc<Transport>,
    tokens: Arc<TokenManager>,
    deadline: Option<Instant>,
}

impl std::fmt::Debug for MyCaseClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MyCaseClient")
            .field("api_url", &self.transport.endpoints().api_url.as_str())
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl MyCaseClient {
    pub fn new(transport: Arc<Transport>, tokens: Arc<TokenManager>) -> Self {
        Self {
            transport,
            tokens,
            deadline: None,
        }
    }

    /// A copy whose calls never wait (rate limit, back-off) or retry past `deadline`; they
    /// fail with the transient [`MyCaseError::DeadlineReached`] instead. Meant for Lambda,
    /// which must answer before its own timeout. A token refresh already under way is allowed
    /// to finish: abandoning it could lose a rotated refresh token.
    pub fn with_deadline(&self, deadline: Instant) -> Self {
        Self {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    // -- Firm and staff -------------------------------------------------------------------------

    pub async fn firm(&self) -> Result<Firm> {
        self.get(self.url("firm"), "/v1/firm", "firm").await
    }

    /// The staff member who authorised the integration.
    pub async fn me(&self) -> Result<Staff> {
        self.get(self.url("me"), "/v1/me", "staff member").await
    }

    /// The staff member a just-issued access token acts as. For the connect flow, before the
    /// tokens are stored anywhere: a 401 is [`MyCaseError::Unauthorized`], never a refresh.
    pub async fn me_with_access_token(transport: &Transport, access_token: &str) -> Result<Staff> {
        let req = ApiRequest {
            method: Method::GET,
            url: transport.endpoints().api("me"),
            route: "/v1/me",
            bearer: Some(access_token),
            json_body: None,
        };
        let attempts = transport.retry_policy().max_attempts;
        let resp = transport.execute(&req, None, attempts).await?;
        if resp.status == 401 {
            return Err(MyCaseError::Unauthorized);
        }
        decode(&check(resp)?, "staff member")
    }

    pub async fn staff(&self) -> Result<Vec<Staff>> {
        self.list(self.url("staff"), "/v1/staff", "staff list")
            .await
    }

    // -- Cases ----------------------------------------------------------------------------------

    pub async fn case(&self, id: i64) -> Result<Case> {
        self.get(self.url(&format!("cases/{id}")), "/v1/cases/{id}", "case")
            .await
    }

    /// `PUT /cases/{id}` (204). See [`CaseUpdate`] on sending only changed values.
    pub async fn update_case(&self, id: i64, body: &CaseUpdate) -> Result<()> {
        let url = self.url(&format!("cases/{id}"));
        self.send_json(Method::PUT, url, "/v1/cases/{id}", Some(body))
            .await
            .map(drop)
    }

    // -- Notes ----------------------------------------------------------------------------------

    pub async fn case_notes(&self, case_id: i64) -> Result<Vec<Note>> {
        let url = self.url(&format!("cases/{case_id}/notes"));
        self.list(url, "/v1/cases/{id}/notes", "note list").await
    }

    /// `POST /cases/{id}/notes`; MyCase answers 200 (not 201) with the note.
    pub async fn create_case_note(&self, case_id: i64, note: &NewNote) -> Result<Note> {
        let url = self.url(&format!("cases/{case_id}/notes"));
        let resp = self
            .send_json(Method::POST, url, "/v1/cases/{id}/notes", Some(note))
            .await?;
        decode(&resp, "note")
    }

    // -- Messages -------------------------------------------------------------------------------

    /// `POST /cases/{id}/message_threads` (201). A real portal message: recipients are
    /// notified.
    pub async fn create_case_message_thread(
        &self,
        case_id: i64,
        thread: &NewMessageThread,
    ) -> Result<MessageThread> {
        let url = self.url(&format!("cases/{case_id}/message_threads"));
        let resp = self
            .send_json(
                Method::POST,
                url,
                "/v1/cases/{id}/message_threads",
                Some(thread),
            )
            .await?;
        decode(&resp, "message thread")
    }

    /// `POST /message_threads/{id}/messages` (201).
    pub async fn create_message(&self, thread_id: i64, message: &NewMessage) -> Result<Message> {
        let url = self.url(&format!("message_threads/{thread_id}/messages"));
        let resp = self
            .send_json(
                Method::POST,
                url,
                "/v1/message_threads/{id}/messages",
                Some(message),
            )
            .await?;
        decode(&resp, "message")
    }

    /// `GET /clients/{id}/message_threads` (MyCase has no list by case).
    pub async fn client_message_threads(&self, client_id: i64) -> Result<Vec<MessageThread>> {
        let url = self.url(&format!("clients/{client_id}/message_threads"));
        self.list(
            url,
            "/v1/clients/{id}/message_threads",
            "message thread list",
        )
        .await
    }

    // -- Clients and leads ----------------------------------------------------------------------

    /// `GET /clients` with `filter[...]` (all pages).
    pub async fn clients(&self, filter: &ClientFilter) -> Result<Vec<Client>> {
        let url = with_query(self.url("clients"), &filter.query_pairs());
        self.list(url, "/v1/clients", "client list").await
    }

    /// One page of `GET /v1/clients` at MyCase's largest page size (1,000): every
    /// client, or those created or changed at or after `updated_after`
    /// (`filter[updated_after]`, inclusive), starting at `page_token`. Returns the page
    /// and the next page's token (`None` on the last page). For callers that read a
    /// long list across several invocations, keeping the token in between.
    pub async fn clients_page(
        &self,
        updated_after: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<(Vec<Client>, Option<String>)> {
        let mut url = self.url("clients");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page_size", &MAX_PAGE_SIZE.to_string());
            if let Some(after) = updated_after {
                q.append_pair("filter[updated_after]", after);
            }
            if let Some(token) = page_token {
                q.append_pair("page_token", token);
            }
        }
        let resp = self
            .send_json::<()>(Method::GET, url.clone(), "/v1/clients", None)
            .await?;
        let clients = decode_list::<Client>(&resp, "client list")?;
        let next = next_link(&resp.headers, &url).and_then(|n| {
            n.query_pairs()
                .find(|(k, _)| k == "page_token")
                .map(|(_, v)| v.into_owned())
        });
        Ok((clients, next))
    }

    pub async fn client(&self, id: i64) -> Result<Client> {
        self.get(
            self.url(&format!("clients/{id}")),
            "/v1/clients/{id}",
            "client",
        )
        .await
    }

    /// `POST /clients` (201).
    pub async fn create_client(&self, client: &NewClient) -> Result<Client> {
        let resp = self
            .send_json(
                Method::POST,
                self.url("clients"),
                "/v1/clients",
                Some(client),
            )
            .await?;
        decode(&resp, "client")
    }

    /// `GET /leads` with `filter[...]` (all pages).
    pub async fn leads(&self, filter: &ClientFilter) -> Result<Vec<Lead>> {
        let url = with_query(self.url("leads"), &filter.query_pairs());
        self.list(url, "/v1/leads", "lead list").await
    }

    // -- Custom fields --------------------------------------------------------------------------

    /// Every custom field of the firm (all pages: the default page of 25 is a known pitfall).
    pub async fn custom_fields(&self) -> Result<Vec<CustomField>> {
        self.list(
            self.url("custom_fields"),
            "/v1/custom_fields",
            "custom field list",
        )
        .await
    }

    pub async fn custom_field(&self, id: i64) -> Result<CustomField> {
        let url = self.url(&format!("custom_fields/{id}"));
        self.get(url, "/v1/custom_fields/{id}", "custom field")
            .await
    }

    // -- Documents ------------------------------------------------------------------------------

    /// `POST /cases/{id}/documents` (201): creates the record and returns where to PUT the
    /// bytes. The document only counts once [`MyCaseClient::upload`] succeeded.
    pub async fn create_case_document(
        &self,
        case_id: i64,
        document: &NewDocument,
    ) -> Result<DocumentUpload> {
        let url = self.url(&format!("cases/{case_id}/documents"));
        let resp = self
            .send_json(
                Method::POST,
                url,
                "/v1/cases/{id}/documents",
                Some(document),
            )
            .await?;
        decode(&resp, "document upload")
    }

    /// `POST /documents/{id}/versions` with no body (201): a new version to upload into.
    pub async fn create_document_version(&self, document_id: i64) -> Result<DocumentUpload> {
        let url = self.url(&format!("documents/{document_id}/versions"));
        let resp = self
            .send_json::<()>(Method::POST, url, "/v1/documents/{id}/versions", None)
            .await?;
        decode(&resp, "document version upload")
    }

    pub async fn document(&self, id: i64) -> Result<Document> {
        let url = self.url(&format!("documents/{id}"));
        self.get(url, "/v1/documents/{id}", "document").await
    }

    /// All documents of a case, in every folder.
    pub async fn case_documents(&self, case_id: i64) -> Result<Vec<Document>> {
        let url = self.url(&format!("cases/{case_id}/documents"));
        self.list(url, "/v1/cases/{id}/documents", "document list")
            .await
    }

    /// PUTs the bytes to a presigned S3 URL (reference §7): exactly `put_headers`, plus
    /// `Content-Type: application/octet-stream` (unless `put_headers` names one) and
    /// `Content-Length`, and no `Authorization`. Not rate-limited (S3 is not MyCase) and not
    /// retried (the body is a one-shot stream: the caller re-opens the source to try again).
    pub async fn upload(
        &self,
        target: &UploadTarget,
        body: reqwest::Body,
        content_length: u64,
    ) -> Result<()> {
        let url = Url::parse(&target.put_url).map_err(|_| MyCaseError::Decode {
            what: "upload URL",
            cause: "not an absolute URL".into(),
        })?;
        let headers = upload_headers(target, content_length)?;
        let timeout = timeout_before(self.deadline, UPLOAD_TIMEOUT)?;
        let started = Instant::now();
        let sent = self
            .transport
            .http()
            .put(url)
            .headers(headers)
            .timeout(timeout)
            .body(body)
            .send()
            .await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match sent {
            Ok(resp) => upload_answer(resp, content_length, elapsed_ms).await,
            Err(e) => Err(upload_not_sent(e, timeout, content_length, elapsed_ms)),
        }
    }

    // -- Plumbing -------------------------------------------------------------------------------

    fn url(&self, path: &str) -> Url {
        self.transport.endpoints().api(path)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        url: Url,
        route: &'static str,
        what: &'static str,
    ) -> Result<T> {
        let resp = self.send_json::<()>(Method::GET, url, route, None).await?;
        decode(&resp, what)
    }

    /// Every page of a list: `page_size` is added unless present, then `Link rel="next"` is
    /// followed until it stops.
    async fn list<T: DeserializeOwned>(
        &self,
        url: Url,
        route: &'static str,
        what: &'static str,
    ) -> Result<Vec<T>> {
        let mut url = url;
        if !url.query_pairs().any(|(k, _)| k == "page_size") {
            url.query_pairs_mut()
                .append_pair("page_size", &self.transport.page_size().to_string());
        }
        let mut items = Vec::new();
        for page in 1..=MAX_PAGES {
            let resp = self
                .send_json::<()>(Method::GET, url.clone(), route, None)
                .await?;
            items.extend(decode_list::<T>(&resp, what)?);
            let next = next_link(&resp.headers, &url)
                .map(|n| rebase_on_origin(n, &self.transport.endpoints().api_url));
            match next {
                Some(next) if next != url => url = next,
                _ => {
                    tracing::debug!(route, pages = page, items = items.len(), "MyCase list read");
                    return Ok(items);
                }
            }
        }
        tracing::warn!(
            route,
            pages = MAX_PAGES,
            "MyCase list pagination did not end; stopped"
        );
        Ok(items)
    }

    /// Sends one API call with the integration's token; on 401 refreshes once and retries
    /// once. Any non-2xx left after that is an error.
    async fn send_json<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        route: &'static str,
        body: Option<&B>,
    ) -> Result<RawResponse> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(MyCaseError::DeadlineReached);
        }
        let json = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| MyCaseError::Decode {
                what: "request body",
                cause: describe_json_error(&e),
            })?;
        let attempts = self.transport.retry_policy().max_attempts;
        let token = self.tokens.access_token(&self.transport).await?;
        let mut req = ApiRequest {
            method,
            url,
            route,
            bearer: Some(&token),
            json_body: json.as_deref(),
        };
        let resp = self
            .transport
            .execute(&req, self.deadline, attempts)
            .await?;
        if resp.status != 401 {
            return check(resp);
        }

        tracing::info!(method = %req.method, route, "MyCase answered 401; refreshing the token once");
        let fresh = self
            .tokens
            .refresh_after_rejection(&self.transport, &token)
            .await?;
        req.bearer = Some(&fresh);
        let resp = self
            .transport
            .execute(&req, self.deadline, attempts)
            .await?;
        if resp.status == 401 {
            tracing::warn!(method = %req.method, route, "MyCase answered 401 to a refreshed token");
            return Err(MyCaseError::Unauthorized);
        }
        check(resp)
    }
}

fn check(resp: RawResponse) -> Result<RawResponse> {
    if resp.is_success() {
        Ok(resp)
    } else {
        Err(MyCaseError::Rejected {
            status: resp.status,
            details: parse_error_body(&resp.body),
        })
    }
}

fn decode<T: DeserializeOwned>(resp: &RawResponse, what: &'static str) -> Result<T> {
    serde_json::from_slice(&resp.body).map_err(|e| MyCaseError::Decode {
        what,
        cause: describe_json_error(&e),
    })
}

/// A page: a bare JSON array. An empty body or `null` is an empty page.
fn decode_list<T: DeserializeOwned>(resp: &RawResponse, what: &'static str) -> Result<Vec<T>> {
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    decode::<Option<Vec<T>>>(resp, what).map(Option::unwrap_or_default)
}

fn with_query(mut url: Url, pairs: &[(&str, &str)]) -> Url {
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url
}

/// The `<Code>` of an S3 XML error body (`<Error><Code>AccessDenied</Code>…`).
fn s3_error_code(body: &str) -> Option<String> {
    let start = body.find("<Code>")? + "<Code>".len();
    let len = body[start..].find("</Code>")?;
    let code = body[start..start + len].trim();
    // Codes are short identifiers; anything else is not worth keeping (or logging).
    (!code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| code.to_owned())
}

/// The PUT's headers: the target's `put_headers` as MyCase gave them, a default
/// `Content-Type`, and our own `Content-Length`.
fn upload_headers(target: &UploadTarget, content_length: u64) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in &target.put_headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| MyCaseError::Decode {
            what: "upload headers",
            cause: "invalid header name".into(),
        })?;
        // We set the length ourselves, and our credentials never go to S3.
        if name == CONTENT_LENGTH || name == AUTHORIZATION || name == HOST {
            continue;
        }
        let value = HeaderValue::from_str(value).map_err(|_| MyCaseError::Decode {
            what: "upload headers",
            cause: "invalid header value".into(),
        })?;
        headers.insert(name, value);
    }
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
    // An explicit length makes hyper send a fixed-length body: S3 refuses chunked PUTs.
    headers.insert(CONTENT_LENGTH, HeaderValue::from(content_length));
    Ok(headers)
}

/// A PUT that got no answer: stopped at the deadline (when the deadline, not
/// [`UPLOAD_TIMEOUT`], set the timeout), or S3 could not be reached.
fn upload_not_sent(
    e: reqwest::Error,
    timeout: Duration,
    content_length: u64,
    elapsed_ms: u64,
) -> MyCaseError {
    if e.is_timeout() && timeout < UPLOAD_TIMEOUT {
        tracing::warn!(
            bytes = content_length,
            elapsed_ms,
            "upload stopped at the deadline"
        );
        return MyCaseError::DeadlineReached;
    }
    let cause = describe_reqwest_error(e);
    tracing::warn!(bytes = content_length, elapsed_ms, cause = %cause, "upload failed");
    MyCaseError::Unavailable {
        status: None,
        attempts: 1,
        cause,
    }
}

/// S3's answer to the PUT: any 2xx is done; otherwise its error code, read from the body.
async fn upload_answer(
    resp: reqwest::Response,
    content_length: u64,
    elapsed_ms: u64,
) -> Result<()> {
    let status = resp.status().as_u16();
    // S3's error bodies are small; a success body is empty or ignorable.
    let text = resp.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        tracing::info!(
            method = "PUT",
            route = "presigned upload",
            status,
            bytes = content_length,
            elapsed_ms,
            "upload done"
        );
        return Ok(());
    }
    let code = s3_error_code(&text).unwrap_or_default();
    tracing::warn!(method = "PUT", route = "presigned upload", status, code = %code, elapsed_ms, "upload refused");
    Err(MyCaseError::Upload { status, code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_codes() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature…</Message></Error>"#;
        assert_eq!(s3_error_code(xml).as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(s3_error_code("nope"), None);
        assert_eq!(s3_error_code("<Code>a b</Code>"), None);
    }
}
