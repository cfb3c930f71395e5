//! The Lead Conversion push type: one code path for `lead.captured` (SQS) and
//! `lead.conversion_requested` (EventBridge, the manual fire).
//!
//! Modes (the integration's `lead_automation`):
//! - none set: nothing converted, skipped `no_lead_automation` (both event types);
//! - `manual`: `lead.captured` is skipped `lead_automation_manual`; a
//!   `lead.conversion_requested` converts;
//! - `automatic`: both convert (a manual fire after the automatic conversion links
//!   the same client: see [`super::once`]).

use super::contact::new_client;
use super::lead::Lead;
use super::matching::{MatchedBy, find_by_email, find_client};
use super::once::{Conversion, convert_once, lead_key};
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::ids::ClientId;
use crate::integration::LeadAutomation;
use crate::outcome::{Landed, MyCaseRef, PushType, Pushed, Remark};
use crate::pipeline::{Push, PushContext};
use crate::ports::{Clients, Connect, LeadConversions};
use crate::reason::Reason;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

pub struct LeadConversion {
    pub conversions: Arc<dyn LeadConversions>,
    pub mycase: Arc<dyn Connect<dyn Clients>>,
}

/// A lead claim outlives the invocation's deadline by this much (as the pipeline's
/// event claims do), so a slow but alive invocation is never overtaken.
const CLAIM_GRACE: chrono::Duration = chrono::Duration::seconds(10);
/// Leave this much of the invocation for the rest of the batch's bookkeeping.
const WAIT_MARGIN: Duration = Duration::from_secs(2);

#[async_trait]
impl Push for LeadConversion {
    type Data = Lead;
    const PUSH_TYPE: PushType = PushType::Leads;
    const ACCEPTS: &'static [EventType] =
        &[EventType::LeadCaptured, EventType::LeadConversionRequested];

    async fn push(&self, ctx: &PushContext<'_>, event: &Event<Lead>) -> Result<Pushed, PushError> {
        let lead = &event.data;
        if event.event_type == EventType::LeadConversionRequested && lead.requested_by.is_none() {
            return Err(PushError::permanent(
                Reason::MissingField,
                "missing field `data.requested_by` (required on lead.conversion_requested)",
            ));
        }
        match (ctx.integration.lead_automation, event.event_type) {
            (None, _) => return Ok(skipped(Reason::NoLeadAutomation)),
            (Some(LeadAutomation::Manual), EventType::LeadCaptured) => {
                return Ok(skipped(Reason::LeadAutomationManual));
            }
            _ => {}
        }

        let integration = ctx.integration;
        let key = lead_key(&integration.id, &lead.lead_id);
        let wait_until = ctx
            .deadline
            .at
            .checked_sub(WAIT_MARGIN)
            .unwrap_or(ctx.deadline.at);
        let conversion = convert_once(
            self.conversions.as_ref(),
            &key,
            event.id.as_str(),
            ctx.deadline.wall + CLAIM_GRACE,
            wait_until,
            // MyCase is only reached by the claim's winner: a lead converted earlier
            // links its client even while the firm's MyCase connection is down.
            || async {
                let mycase = self.mycase.connect(integration, ctx.deadline.at).await?;
                find_or_create(mycase.as_ref(), event, integration.time_zone).await
            },
        )
        .await?;

        let (client, remarks) = match conversion {
            Conversion::Now(client, remarks) => (client, remarks),
            Conversion::Earlier(client) => (
                client,
                vec![Remark::new(
                    Reason::AlreadyConverted,
                    "The lead was converted earlier; this event links the same MyCase client.",
                )],
            ),
        };
        let mut landed = Landed::new(vec![MyCaseRef::new("client", client.get())]);
        landed.remarks = remarks;
        Ok(Pushed::Landed(landed))
    }
}

fn skipped(reason: Reason) -> Pushed {
    Pushed::Skipped { reason }
}

/// The lead's client in MyCase: an existing one it matches, or a new one.
async fn find_or_create(
    mycase: &dyn Clients,
    event: &Event<Lead>,
    zone: chrono_tz::Tz,
) -> Result<(ClientId, Vec<Remark>), PushError> {
    let lead = &event.data;
    if let Some((client, by)) =
        find_client(mycase, lead.email.as_ref(), lead.phone.as_ref()).await?
    {
        info!(
            client_id = client.get(),
            matched_by = by.as_str(),
            "lead matches an existing client"
        );
        return Ok((client, vec![linked(by)]));
    }
    let (new, mut remarks) = new_client(lead, &event.id, zone);
    if lead.email.is_none() && lead.phone.is_none() {
        remarks.push(Remark::new(
            Reason::NotDeduplicated,
            "The lead has neither email nor phone, so it could not be matched to an existing client; a new client was created.",
        ));
    }
    match mycase.create_client(&new).await {
        Ok(client) => {
            info!(client_id = client.get(), "client created from lead");
            Ok((client, remarks))
        }
        Err(e) if e.reason == Reason::DuplicateEmail => {
            // Someone added this person in MyCase between our lookup and our create.
            let email = lead.email.as_ref().ok_or_else(|| e.clone())?;
            match find_by_email(mycase, email).await? {
                Some(client) => {
                    info!(
                        client_id = client.get(),
                        "email taken meanwhile; linked that client"
                    );
                    Ok((client, vec![linked(MatchedBy::Email)]))
                }
                None => Err(PushError::transient(
                    Reason::DuplicateEmail,
                    "MyCase says the lead's email belongs to a client it does not list yet; retrying.",
                )),
            }
        }
        Err(e) => Err(e),
    }
}

fn linked(by: MatchedBy) -> Remark {
    Remark::new(
        Reason::LinkedExistingClient,
        format!(
            "The lead matched an existing MyCase client by {}; no client was created.",
            by.as_str()
        ),
    )
}
