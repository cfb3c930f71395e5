//! The MyCase adapter: the MyCase client behind the domain's MyCase ports, and its
//! errors in the domain's terms (what a firm's operator can act on).
//!
//! Depends on the domain (its ports) and on `mycase-client` (HTTP); the domain depends
//! on neither this crate nor an HTTP client. [`MyCase`] wraps one integration's client:
//! the ports are the domain's and the client is `mycase-client`'s, so the adapter needs
//! a type of its own to implement one for the other.

mod forms;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use hona_domain::Reason;
use hona_domain::error::PushError;
use hona_domain::ids::{CaseId, ClientId, StaffId};
use hona_domain::ports::{
    ByteStream, CaseDocuments, ClientContact, ClientLookup, ClientPage, Clients, Communications,
    NewClientContact, PhoneField, UploadFailure, UploadSlot, UploadTarget,
};
use mycase_client::MyCaseClient;
use mycase_client::MyCaseError;
use mycase_client::model::{
    ClientFilter, DocumentUpload, IdRef, NewClient, NewDocument, NewMessage, NewMessageThread,
    NewNote,
};

/// One integration's MyCase client, seen through the domain's ports.
#[derive(Clone)]
pub struct MyCase(pub MyCaseClient);

impl MyCase {
    pub fn new(client: MyCaseClient) -> Self {
        Self(client)
    }

    pub fn client(&self) -> &MyCaseClient {
        &self.0
    }
}

/// A domain port the MyCase adapter implements, and how to put the adapter behind it:
/// what lets one generic `Connect` hand out any of them.
pub trait MyCasePort: Send + Sync + 'static {
    fn behind(mycase: MyCase) -> std::sync::Arc<Self>;
}

impl MyCasePort for dyn Communications {
    fn behind(mycase: MyCase) -> std::sync::Arc<Self> {
        std::sync::Arc::new(mycase)
    }
}

impl MyCasePort for dyn Clients {
    fn behind(mycase: MyCase) -> std::sync::Arc<Self> {
        std::sync::Arc::new(mycase)
    }
}

impl MyCasePort for dyn CaseDocuments {
    fn behind(mycase: MyCase) -> std::sync::Arc<Self> {
        std::sync::Arc::new(mycase)
    }
}

impl MyCasePort for dyn hona_domain::forms::CaseFields {
    fn behind(mycase: MyCase) -> std::sync::Arc<Self> {
        std::sync::Arc::new(mycase)
    }
}

/// Puts a MyCase failure in the domain's words. Descriptions from MyCase are left
/// out: they can echo the values that were sent.
pub fn push_error(e: MyCaseError) -> PushError {
    let reason = reason_of(&e);
    let detail = match reason {
        Reason::ReconnectNeeded => "MyCase no longer accepts this integration's tokens; reconnect the firm's MyCase account, then replay.".to_owned(),
        Reason::NotFound => "MyCase has no such record, or this MyCase account cannot see it.".to_owned(),
        Reason::Forbidden => "MyCase refused: the connected user or app lacks the permission for this.".to_owned(),
        _ if !e.is_transient() => format!("MyCase refused the request: {e}"),
        _ => format!(
            "MyCase was unavailable{}: {e}",
            e.status().map(|s| format!(" ({s})")).unwrap_or_default()
        ),
    };
    if e.is_transient() {
        PushError::transient(reason, detail)
    } else {
        PushError::permanent(reason, detail)
    }
}

/// The reason for a MyCase failure: the domain's own for what a firm can act on
/// (reconnect, not found, forbidden), `mycase_…` after the client's error otherwise.
fn reason_of(e: &MyCaseError) -> Reason {
    match e {
        MyCaseError::ReconnectNeeded { .. } | MyCaseError::Unauthorized => Reason::ReconnectNeeded,
        MyCaseError::Rejected { status, .. } => match status {
            404 => Reason::NotFound,
            403 => Reason::Forbidden,
            400 => Reason::MyCaseRejected400,
            409 => Reason::MyCaseRejected409,
            413 => Reason::MyCaseRejected413,
            422 => Reason::MyCaseRejected422,
            _ => Reason::MyCaseRejected,
        },
        MyCaseError::Unavailable { .. } => Reason::MyCaseUnavailable,
        MyCaseError::DeadlineReached => Reason::MyCaseDeadlineReached,
        MyCaseError::Decode { .. } => Reason::MyCaseDecode,
        MyCaseError::Token(_) => Reason::MyCaseTokenStore,
        MyCaseError::Upload { .. } => Reason::MyCaseUploadRejected,
    }
}

#[async_trait]
impl Communications for MyCase {
    async fn create_case_thread(
        &self,
        case: CaseId,
        subject: &str,
        first_message: &str,
        sender: StaffId,
    ) -> Result<i64, PushError> {
        let request = NewMessageThread {
            subject: subject.to_owned(),
            first_message_body: first_message.to_owned(),
            sender: Some(IdRef { id: sender.get() }),
            client_recipients: Vec::new(),
            staff_recipients: Vec::new(),
        };
        let thread = MyCaseClient::create_case_message_thread(&self.0, case.get(), &request)
            .await
            .map_err(push_error)?;
        Ok(thread.id)
    }

    async fn post_message(
        &self,
        thread: i64,
        sender: StaffId,
        body: &str,
    ) -> Result<i64, PushError> {
        let request = NewMessage {
            sender: IdRef { id: sender.get() },
            body: body.to_owned(),
        };
        let message = self
            .0
            .create_message(thread, &request)
            .await
            .map_err(push_error)?;
        Ok(message.id)
    }

    async fn create_case_note(
        &self,
        case: CaseId,
        subject: &str,
        note: &str,
        date: &str,
    ) -> Result<i64, PushError> {
        let request = NewNote {
            subject: subject.to_owned(),
            note: note.to_owned(),
            date: date.to_owned(),
        };
        let created = MyCaseClient::create_case_note(&self.0, case.get(), &request)
            .await
            .map_err(push_error)?;
        Ok(created.id)
    }
}

#[async_trait]
impl Clients for MyCase {
    async fn find_clients(&self, by: ClientLookup<'_>) -> Result<Vec<ClientContact>, PushError> {
        let mut filter = ClientFilter::default();
        match by {
            ClientLookup::Email(email) => filter.email = Some(email.to_owned()),
            ClientLookup::Phone(PhoneField::Cell, p) => {
                filter.cell_phone_number = Some(p.to_owned())
            }
            ClientLookup::Phone(PhoneField::Work, p) => {
                filter.work_phone_number = Some(p.to_owned())
            }
            ClientLookup::Phone(PhoneField::Home, p) => {
                filter.home_phone_number = Some(p.to_owned())
            }
        }
        let found = self.0.clients(&filter).await.map_err(push_error)?;
        Ok(found.into_iter().filter_map(contact).collect())
    }

    async fn client_page(
        &self,
        since: Option<DateTime<Utc>>,
        page_token: Option<&str>,
    ) -> Result<ClientPage, PushError> {
        let since = since.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        match self.0.clients_page(since.as_deref(), page_token).await {
            Ok((clients, next)) => Ok(ClientPage {
                clients: clients.into_iter().filter_map(contact).collect(),
                next,
            }),
            Err(MyCaseError::Rejected {
                status: 400,
                details,
            }) if details
                .iter()
                .any(|d| d.parameter.as_deref() == Some("page_token")) =>
            {
                Err(PushError::permanent(
                    Reason::PageTokenExpired,
                    "MyCase no longer accepts the list's page token (they expire after 3 days).",
                ))
            }
            Err(e) => Err(push_error(e)),
        }
    }

    async fn client(&self, id: ClientId) -> Result<Option<ClientContact>, PushError> {
        match MyCaseClient::client(&self.0, id.get()).await {
            Ok(c) => Ok(contact(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(push_error(e)),
        }
    }

    async fn create_client(&self, client: &NewClientContact) -> Result<ClientId, PushError> {
        let request = NewClient {
            first_name: client.first_name.clone(),
            last_name: client.last_name.clone(),
            email: client.email.clone(),
            cell_phone_number: client.cell_phone_number.clone(),
            notes: Some(client.notes.clone()),
            ..NewClient::default()
        };
        match MyCaseClient::create_client(&self.0, &request).await {
            Ok(created) => ClientId::new(created.id).map_err(|_| {
                PushError::permanent(
                    Reason::MyCaseDecode,
                    "MyCase returned a client without a valid id.",
                )
            }),
            Err(MyCaseError::Rejected {
                status: 422,
                details,
            }) if details
                .iter()
                .any(|d| d.pointer.as_deref() == Some("/email")) =>
            {
                Err(PushError::permanent(
                    Reason::DuplicateEmail,
                    "MyCase refused the new client: its email belongs to another client.",
                ))
            }
            Err(e) => Err(push_error(e)),
        }
    }
}

/// A MyCase client as lead matching sees it: its id, email, numbers and last change.
fn contact(c: mycase_client::model::Client) -> Option<ClientContact> {
    let phones = c.phone_numbers().map(str::to_owned).collect();
    let updated_at = c
        .updated_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    Some(ClientContact {
        id: ClientId::new(c.id).ok()?,
        email: c.email,
        phones,
        updated_at,
    })
}

#[async_trait]
impl CaseDocuments for MyCase {
    async fn create_case_document(
        &self,
        case: CaseId,
        path: &str,
        filename: &str,
        description: &str,
    ) -> Result<UploadSlot, PushError> {
        let request = NewDocument {
            path: path.to_owned(),
            filename: filename.to_owned(),
            description: Some(description.to_owned()),
            ..NewDocument::default()
        };
        let created = MyCaseClient::create_case_document(&self.0, case.get(), &request)
            .await
            .map_err(push_error)?;
        Ok(upload_slot(&created, false))
    }

    async fn create_document_version(&self, document_id: i64) -> Result<UploadSlot, PushError> {
        let created = MyCaseClient::create_document_version(&self.0, document_id)
            .await
            .map_err(push_error)?;
        Ok(upload_slot(&created, true))
    }

    async fn upload(
        &self,
        target: &UploadTarget,
        body: ByteStream,
        length: u64,
    ) -> Result<(), UploadFailure> {
        let client_target = mycase_client::model::UploadTarget {
            put_url: target.put_url.clone(),
            put_headers: target.put_headers.clone(),
        };
        let body = reqwest::Body::wrap_stream(body);
        match MyCaseClient::upload(&self.0, &client_target, body, length).await {
            Ok(()) => Ok(()),
            Err(MyCaseError::Upload { status, code }) => {
                Err(UploadFailure::Refused { status, code })
            }
            Err(e) => Err(UploadFailure::Interrupted(e.to_string())),
        }
    }
}

fn upload_slot(created: &DocumentUpload, is_version: bool) -> UploadSlot {
    UploadSlot {
        document_id: created.document_id(),
        version_id: is_version.then_some(created.id),
        target: UploadTarget {
            put_url: created.put_url.clone(),
            put_headers: created.put_headers.clone(),
            expires_at: presigned_expiry(&created.put_url, Utc::now()),
        },
    }
}

/// When an S3 presigned URL stops working: `X-Amz-Date` + `X-Amz-Expires` (SigV4), or
/// `X-Amz-Expires` from now when the URL carries no date (it was just handed out).
/// `None` when the URL says nothing: then it is never reused.
pub fn presigned_expiry(put_url: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let url = url::Url::parse(put_url).ok()?;
    let mut signed_at = None;
    let mut expires = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "X-Amz-Date" => {
                signed_at = NaiveDateTime::parse_from_str(&v, "%Y%m%dT%H%M%SZ")
                    .ok()
                    .map(|n| n.and_utc());
            }
            "X-Amz-Expires" => expires = v.parse::<i64>().ok(),
            _ => {}
        }
    }
    Some(signed_at.unwrap_or(now) + chrono::Duration::seconds(expires?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_urls_say_when_they_expire() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T22:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let sigv4 = "https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261124T213000Z&X-Amz-Expires=3600&X-Amz-Signature=abc";
        assert_eq!(
            presigned_expiry(sigv4, now).unwrap().to_rfc3339(),
            "2026-11-24T22:30:00+00:00"
        );
        let no_date = "http://127.0.0.1:9/_s3/put/t?X-Amz-Expires=600&X-Amz-Signature=abc";
        assert_eq!(
            presigned_expiry(no_date, now).unwrap().to_rfc3339(),
            "2026-11-24T22:10:00+00:00"
        );
        assert_eq!(presigned_expiry("https://s3.example/k?sig=1", now), None);
        assert_eq!(presigned_expiry("not a url", now), None);
    }
}
