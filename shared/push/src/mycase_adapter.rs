//! The MyCase client behind the domain's MyCase ports, and its errors in the
//! domain's terms (what a firm's operator can act on).

use crate::error::PushError;
use crate::ids::{CaseId, StaffId};
use crate::ports::Communications;
use async_trait::async_trait;
use mycase_client::MyCaseClient;
use mycase_client::MyCaseError;
use mycase_client::model::{IdRef, NewMessage, NewMessageThread, NewNote};

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
