//! The MyCase client behind the domain's MyCase ports, and its errors in the
//! domain's terms (what a firm's operator can act on).

use crate::error::PushError;
use crate::ids::{CaseId, ClientId, StaffId};
use crate::ports::{
    ClientContact, ClientLookup, Clients, Communications, DUPLICATE_EMAIL, NewClientContact,
    PhoneField,
};
use async_trait::async_trait;
use mycase_client::MyCaseClient;
use mycase_client::MyCaseError;
use mycase_client::model::{ClientFilter, IdRef, NewClient, NewMessage, NewMessageThread, NewNote};

/// Puts a MyCase failure in the domain's words. Descriptions from MyCase are left
/// out: they can echo the values that were sent.
pub fn push_error(e: MyCaseError) -> PushError {
    let transient = e.is_transient();
    let status = e.status();
    let (kind, reason): (String, String) = match &e {
        MyCaseError::ReconnectNeeded { .. } | MyCaseError::Unauthorized => (
            "reconnect_needed".into(),
            "MyCase no longer accepts this integration's tokens; reconnect the firm's MyCase account, then replay.".into(),
        ),
        _ if e.is_not_found() => (
            "not_found".into(),
            "MyCase has no such record, or this MyCase account cannot see it.".into(),
        ),
        MyCaseError::Rejected { status: 403, .. } => (
            "forbidden".into(),
            "MyCase refused: the connected user or app lacks the permission for this.".into(),
        ),
        _ if !transient => (
            format!("mycase_{}", e.kind()),
            format!("MyCase refused the request: {e}"),
        ),
        _ => (
            format!("mycase_{}", e.kind()),
            format!("MyCase was unavailable{}: {e}", status.map(|s| format!(" ({s})")).unwrap_or_default()),
        ),
    };
    if transient {
        PushError::transient(kind, reason)
    } else {
        PushError::permanent(kind, reason)
    }
}

#[async_trait]
impl Communications for MyCaseClient {
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
        let thread = MyCaseClient::create_case_message_thread(self, case.get(), &request)
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
        let created = MyCaseClient::create_case_note(self, case.get(), &request)
            .await
            .map_err(push_error)?;
        Ok(created.id)
    }
}

#[async_trait]
impl Clients for MyCaseClient {
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
        let found = self.clients(&filter).await.map_err(push_error)?;
        Ok(found
            .into_iter()
            .filter_map(|c| {
                let phones = c.phone_numbers().map(str::to_owned).collect();
                Some(ClientContact {
                    id: ClientId::new(c.id).ok()?,
                    email: c.email,
                    phones,
                })
            })
            .collect())
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
        match MyCaseClient::create_client(self, &request).await {
            Ok(created) => ClientId::new(created.id).map_err(|_| {
                PushError::permanent(
                    "mycase_decode",
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
                    DUPLICATE_EMAIL,
                    "MyCase refused the new client: its email belongs to another client.",
                ))
            }
            Err(e) => Err(push_error(e)),
        }
    }
}
