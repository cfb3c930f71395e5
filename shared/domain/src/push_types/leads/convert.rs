//! The Lead Conversion push type: one code path for `lead.captured` (SQS) and
//! `lead.conversion_requested` (EventBridge, the manual fire).
//!
//! Modes (the integration's `lead_automation`):
//! - none set: nothing converted, skipped `no_lead_automation` (both event types);
//! - `manual`: `lead.captured` is skipped `lead_automation_manual`; a
//!   `lead.conversion_requested` converts;
//! - `automatic`: both convert (a manual fire after the automatic conversion links
//!   the same client: see [`super::once`]).
//!
//! A lead is matched against the firm's client index ([`super::index`]): one catch-up
//! request, then one read to confirm a candidate or one create. About 2 requests a lead
//! where it took up to 14 when every email and phone spelling was asked of MyCase.

use super::contact::new_client;
use super::index::{self, BUILD_PAGES_PER_LEAD};
use super::lead::Lead;
use super::matching::{MatchedBy, find_by_email, find_client};
use super::once::{Conversion, convert_once, lead_key};
use crate::error::PushError;
use crate::event::{Event, EventType};
use crate::ids::{ClientId, IntegrationId};
use crate::integration::LeadAutomation;
use crate::outcome::{Landed, MyCaseRef, PushType, Pushed, Remark};
use crate::pipeline::{Push, PushContext};
use crate::ports::{ClientContact, ClientIndex, Clients, Connect, LeadConversions};
use crate::reason::Reason;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

pub struct LeadConversion {
    pub conversions: Arc<dyn LeadConversions>,
    /// Where a lead's email and phone are looked up (see [`super::index`]).
    pub index: Arc<dyn ClientIndex>,
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
        let wait_until = ctx.deadline.before(WAIT_MARGIN);
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
                let firm = Firm {
                    mycase: mycase.as_ref(),
                    index: self.index.as_ref(),
                    integration: &integration.id,
                };
                find_or_create(&firm, event, integration.time_zone).await
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

/// One firm's MyCase and its client index.
struct Firm<'a> {
    mycase: &'a dyn Clients,
    index: &'a dyn ClientIndex,
    integration: &'a IntegrationId,
}

impl Firm<'_> {
    /// The existing client the lead is (SPEC §4), from the index once it is complete,
    /// from MyCase directly while it is being built.
    async fn find(&self, lead: &Lead) -> Result<Option<(ClientId, MatchedBy)>, PushError> {
        let (email, phone) = (lead.email.as_ref(), lead.phone.as_ref());
        if email.is_none() && phone.is_none() {
            return Ok(None);
        }
        let (filed, mycase, integration) = (self.index, self.mycase, self.integration);
        if index::refresh(filed, mycase, integration, BUILD_PAGES_PER_LEAD).await? {
            index::find_indexed(filed, mycase, integration, email, phone).await
        } else {
            find_client(mycase, email, phone).await
        }
    }

    /// Files a client in the index. Best effort: the next catch-up files it anyway
    /// (MyCase reports it as changed), so a store hiccup must not fail a landed lead.
    async fn file(&self, client: ClientContact) {
        if let Err(e) = self
            .index
            .put_client(self.integration, &index::keys_of(&client))
            .await
        {
            // The store and operation only: a store's message could echo the key (an email).
            warn!(
                client_id = client.id.get(),
                store = e.store,
                operation = e.operation,
                "client not filed in the index; the next catch-up will"
            );
        }
    }
}

/// The lead's client in MyCase: an existing one it matches, or a new one.
async fn find_or_create(
    firm: &Firm<'_>,
    event: &Event<Lead>,
    zone: chrono_tz::Tz,
) -> Result<(ClientId, Vec<Remark>), PushError> {
    let lead = &event.data;
    if let Some((client, by)) = firm.find(lead).await? {
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
    match firm.mycase.create_client(&new).await {
        Ok(client) => {
            info!(client_id = client.get(), "client created from lead");
            firm.file(created(client, lead)).await;
            Ok((client, remarks))
        }
        Err(e) if e.reason == Reason::DuplicateEmail => {
            // Someone added this person in MyCase between our lookup and our create.
            let email = lead.email.as_ref().ok_or_else(|| e.clone())?;
            match find_by_email(firm.mycase, email).await? {
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

/// The client just created, as the index files it.
fn created(id: ClientId, lead: &Lead) -> ClientContact {
    ClientContact {
        id,
        email: lead.email.as_ref().map(|e| e.as_str().to_owned()),
        phones: lead.phone.iter().map(|p| p.as_str().to_owned()).collect(),
        updated_at: None,
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
