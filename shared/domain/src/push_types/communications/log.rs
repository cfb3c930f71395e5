//! Where an entry lands: the case's thread (default) or its notes (silent logging).

use super::entry::Entry;
use super::thread::{thread_for_case, thread_key};
use crate::error::PushError;
use crate::ids::{CaseId, EventId};
use crate::integration::LogTarget;
use crate::outcome::{Landed, MyCaseRef};
use crate::pipeline::PushContext;
use crate::ports::{CaseThreads, Communications, Connect};
use crate::reason::Reason;
use std::sync::Arc;
use std::time::Duration;

/// Logs entries into MyCase; shared by the messages and notifications pushes.
#[derive(Clone)]
pub struct CommunicationsLog {
    pub threads: Arc<dyn CaseThreads>,
    pub mycase: Arc<dyn Connect<dyn Communications>>,
}

/// Leave this much of the invocation for the rest of the batch's bookkeeping.
const WAIT_MARGIN: Duration = Duration::from_secs(2);

impl CommunicationsLog {
    pub async fn log(
        &self,
        ctx: &PushContext<'_>,
        event: &EventId,
        case: CaseId,
        entry: &Entry,
    ) -> Result<Landed, PushError> {
        let integration = ctx.integration;
        let mycase = self.mycase.connect(integration, ctx.deadline.at).await?;
        let sender = integration.sender_staff_id;
        match integration.log_target {
            LogTarget::Notes => {
                let date = entry.sent_at.to_rfc3339();
                let note = mycase
                    .create_case_note(case, &entry.subject, &entry.text, &date)
                    .await
                    .map_err(case_scoped)?;
                Ok(Landed::new(vec![MyCaseRef::new("note", note)]))
            }
            LogTarget::Thread => {
                let wait_until = ctx.deadline.before(WAIT_MARGIN);
                let thread = thread_for_case(
                    self.threads.as_ref(),
                    mycase.as_ref(),
                    &integration.id,
                    case,
                    sender,
                    event.as_str(),
                    wait_until,
                )
                .await
                .map_err(case_scoped)?;
                match mycase.post_message(thread, sender, &entry.text).await {
                    Ok(message) => Ok(Landed::new(vec![
                        MyCaseRef::new("message_thread", thread),
                        MyCaseRef::new("message", message),
                    ])),
                    Err(e) if e.reason == Reason::NotFound => {
                        // The thread was deleted in MyCase: forget it, and the retry
                        // starts a new one rather than failing every entry of the case.
                        let key = thread_key(&integration.id, case);
                        self.threads.forget(&key, thread).await?;
                        Err(PushError::transient(
                            Reason::ThreadGone,
                            "The case's Communications thread no longer exists in MyCase; a new one will be started.",
                        ))
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// A 404 on a case-scoped call means the case is gone (or this firm cannot see it).
pub(crate) fn case_scoped(e: PushError) -> PushError {
    if e.reason == Reason::NotFound {
        PushError::permanent(
            Reason::CaseNotFound,
            "The MyCase case does not exist or this MyCase account cannot see it; check the project's case link.",
        )
    } else {
        e
    }
}
