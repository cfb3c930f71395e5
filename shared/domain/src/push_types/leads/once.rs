//! One conversion per lead, however many events ask for it.
//!
//! A lead can be asked for by its `lead.captured` (automatic mode), by any number of
//! `lead.conversion_requested` (staff clicking twice, or after the automatic one),
//! and by redeliveries of each. The pipeline's idempotency is per event, so it
//! cannot see that these are the same lead. Here the lead's client lives in a store
//! keyed by (integration, lead); converting needs a claim there first, so only one
//! racer ever calls MyCase and the others wait for, then link to, its client. The
//! claim lapses, so a racer that died mid-conversion does not block the lead.
//!
//! If a racer dies after MyCase created the client but before it was recorded
//! here, the next attempt finds that client by email or phone and links it; only
//! a lead with neither could then be created twice (its ledger row already says
//! `not_deduplicated`).

use crate::error::PushError;
use crate::ids::{ClientId, IntegrationId, LeadId};
use crate::ports::{LeadConversions, LeadSlot};
use crate::reason::Reason;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;

/// How often a waiting racer looks again.
const POLL_EVERY: Duration = Duration::from_millis(150);

pub fn lead_key(integration: &IntegrationId, lead: &LeadId) -> String {
    format!("{integration}#{lead}")
}

/// The lead's client, and whether this call made the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion<T> {
    /// Converted now; `T` is what the conversion reported.
    Now(ClientId, T),
    /// Converted earlier by another event (or another delivery of this one).
    Earlier(ClientId),
}

/// Converts the lead with `convert` unless it already was (or is being) converted.
///
/// `hold_until` bounds the claim (past the invocation's deadline, so a live but slow
/// invocation is never overtaken); waiting for another racer stops at `wait_until`
/// with a transient error, and the event is retried.
pub async fn convert_once<T, F, Fut>(
    store: &dyn LeadConversions,
    key: &str,
    owner: &str,
    hold_until: DateTime<Utc>,
    wait_until: tokio::time::Instant,
    convert: F,
) -> Result<Conversion<T>, PushError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(ClientId, T), PushError>>,
{
    if let Some(client) = claim_or_wait(store, key, owner, hold_until, wait_until).await? {
        return Ok(Conversion::Earlier(client));
    }
    let (client, report) = match convert().await {
        Ok(done) => done,
        Err(e) => {
            // Best effort: if this fails too, the claim lapses on its own.
            let _ = store.release(key, owner).await;
            return Err(e);
        }
    };
    store.set_converted(key, owner, client).await?;
    Ok(Conversion::Now(client, report))
}

/// Takes the lead's claim (`None`), or returns the client another event converted
/// it to, waiting for a racer that is converting it right now.
async fn claim_or_wait(
    store: &dyn LeadConversions,
    key: &str,
    owner: &str,
    hold_until: DateTime<Utc>,
    wait_until: tokio::time::Instant,
) -> Result<Option<ClientId>, PushError> {
    loop {
        match store.get(key).await? {
            Some(LeadSlot::Converted(client)) => return Ok(Some(client)),
            Some(LeadSlot::Converting { until, .. }) if until > Utc::now() => {
                // Someone else is converting it right now: wait for their client.
            }
            _ => {
                if store.claim(key, owner, hold_until, Utc::now()).await? {
                    return Ok(None);
                }
                // Lost the race for the claim: loop and read the winner's slot.
                continue;
            }
        }
        if tokio::time::Instant::now() + POLL_EVERY >= wait_until {
            return Err(PushError::transient(
                Reason::LeadBeingConverted,
                "Another invocation is converting this lead; the event will be retried.",
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
