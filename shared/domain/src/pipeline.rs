//! The one pipeline every push type runs: parse → gate on Active → idempotency →
//! push → ledger. A push type only says which events it takes and how one lands.

use crate::error::PushError;
use crate::event::{BadInput, Event, EventType, parse_event};
use crate::ids::EventId;
use crate::integration::Integration;
use crate::metrics;
use crate::outcome::{Landed, LedgerEntry, Outcome, PushType, Pushed};
use crate::ports::{Claim, DeadLetter, DeadLetters, IdempotencyStore, IntegrationStore, Ledger};
use crate::reason::Reason;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use tracing::{Instrument, error, info, info_span, warn};

/// The invocation's deadline, on both clocks: the monotonic one for timers and the
/// wall clock for records other invocations read (in-progress claims).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    pub wall: DateTime<Utc>,
}

impl Deadline {
    /// From Lambda's context deadline (milliseconds since the Unix epoch).
    pub fn from_epoch_millis(ms: u64) -> Self {
        let wall = DateTime::<Utc>::from_timestamp_millis(ms as i64).unwrap_or_else(Utc::now);
        let remaining = (wall - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        Self {
            at: tokio::time::Instant::now() + remaining,
            wall,
        }
    }

    pub fn in_(remaining: Duration) -> Self {
        Self {
            at: tokio::time::Instant::now() + remaining,
            wall: Utc::now() + chrono::Duration::from_std(remaining).unwrap_or_default(),
        }
    }

    pub fn remaining(&self) -> Duration {
        self.at
            .saturating_duration_since(tokio::time::Instant::now())
    }

    /// The instant `margin` before the deadline (the deadline itself if the clock cannot
    /// go that far back): work stopped then still has time to record why it stopped.
    pub fn before(&self, margin: Duration) -> tokio::time::Instant {
        self.at.checked_sub(margin).unwrap_or(self.at)
    }
}

/// What a push gets to work with for one event.
pub struct PushContext<'a> {
    pub integration: &'a Integration,
    pub deadline: Deadline,
}

/// One push type: the events it takes and how one of them lands in MyCase.
#[async_trait]
pub trait Push: Send + Sync {
    /// The shape of the event's `data` for this push type.
    type Data: DeserializeOwned + Send + Sync;
    const PUSH_TYPE: PushType;
    const ACCEPTS: &'static [EventType];

    async fn push(
        &self,
        ctx: &PushContext<'_>,
        event: &Event<Self::Data>,
    ) -> Result<Pushed, PushError>;
}

/// How one queue message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Pushed now.
    Landed,
    /// Pushed by an earlier delivery; nothing sent again.
    AlreadyLanded,
    /// Recorded as skipped, with the reason (e.g. `integration_inactive`); replayable.
    Skipped(Reason),
    /// Sent to the dead-letter queue with this reason.
    DeadLettered(Reason),
}

/// Acknowledge the message, or leave it on the queue to be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordResult {
    Done(Disposition),
    /// Retry later; the reason says why (for counts, never for the client's data).
    Retry(Reason),
}

/// The ports the pipeline needs besides the push itself.
#[derive(Clone)]
pub struct Stores {
    pub integrations: Arc<dyn IntegrationStore>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub ledger: Arc<dyn Ledger>,
    pub dead_letters: Arc<dyn DeadLetters>,
}

pub struct Pipeline<P: Push> {
    push: P,
    stores: Stores,
}

/// A claim outlives the invocation's deadline by this much, so a slow but alive
/// invocation is never overtaken, and a crashed one is retried soon after.
const CLAIM_GRACE: chrono::Duration = chrono::Duration::seconds(10);

/// Where one queue message came from: its body (kept for replay) and its FIFO group.
#[derive(Clone, Copy)]
struct Delivery<'a> {
    body: &'a str,
    group: Option<&'a str>,
}

impl<P: Push> Pipeline<P> {
    pub fn new(push: P, stores: Stores) -> Self {
        Self { push, stores }
    }

    pub fn push_type(&self) -> PushType {
        P::PUSH_TYPE
    }

    /// Runs one queue message through the pipeline. Never panics, never drops an
    /// event: anything not pushed is either retried or dead-lettered with a reason.
    pub async fn process(
        &self,
        body: &str,
        group: Option<&str>,
        deadline: Deadline,
    ) -> RecordResult {
        let delivery = Delivery { body, group };
        let event = match parse_event::<P::Data>(body, P::ACCEPTS) {
            Ok(event) => event,
            Err(bad) => {
                let result = self.refuse(delivery, bad).await;
                metrics::observe(P::PUSH_TYPE, &result, None);
                return result;
            }
        };
        let span = info_span!(
            "event",
            event_id = %event.id,
            event_type = %event.event_type,
            integration_id = %event.integration_id,
            case_id = event.case_id().map(|c| c.get()),
        );
        let result = self
            .process_event(delivery, &event, deadline)
            .instrument(span)
            .await;
        metrics::observe(P::PUSH_TYPE, &result, Some(event.time));
        result
    }

    async fn process_event(
        &self,
        delivery: Delivery<'_>,
        event: &Event<P::Data>,
        deadline: Deadline,
    ) -> RecordResult {
        let started = std::time::Instant::now();
        let integration = match self.gate(delivery, event).await {
            Ok(integration) => integration,
            Err(done) => return done,
        };
        if let Err(done) = self.claim(event, deadline).await {
            return done;
        }
        let ctx = PushContext {
            integration: &integration,
            deadline,
        };
        match self.push.push(&ctx, event).await {
            Ok(Pushed::Landed(landed)) => self.landed(event, landed, started).await,
            Ok(Pushed::Skipped { reason }) => {
                // Nothing was sent: free the claim so a redelivery decides afresh.
                self.release(event).await;
                self.skip(delivery, event, reason).await
            }
            Err(failure) => {
                // If the release fails, the claim lapses at its deadline; the retry waits.
                self.release(event).await;
                if failure.permanent {
                    self.fail_permanently(delivery, event, failure).await
                } else {
                    warn!(kind = %failure.reason, "push failed; will retry");
                    let reason = failure.reason.clone();
                    let _ = self
                        .record(event, Outcome::Failed(failure), Some(delivery.body))
                        .await;
                    RecordResult::Retry(reason)
                }
            }
        }
    }

    /// The gate: the integration must exist, belong to the event's firm, and be Active.
    /// `Err` is how the message ended when it may not pass.
    async fn gate(
        &self,
        delivery: Delivery<'_>,
        event: &Event<P::Data>,
    ) -> Result<Integration, RecordResult> {
        let refused = match self.stores.integrations.get(&event.integration_id).await {
            Ok(Some(i)) if i.org_id != event.org_id => {
                // Never send one firm's data to another firm's MyCase account.
                PushError::permanent(
                    Reason::OrgMismatch,
                    "The event's org does not own this integration; nothing was sent.",
                )
            }
            Ok(Some(i)) if !i.active => {
                return Err(self
                    .skip(delivery, event, Reason::IntegrationInactive)
                    .await);
            }
            Ok(Some(i)) => return Ok(i),
            Ok(None) => PushError::permanent(
                Reason::UnknownIntegration,
                "No integration with this id is configured.",
            ),
            Err(e) => {
                warn!(error = %e, "integration store unavailable");
                return Err(RecordResult::Retry(Reason::IntegrationStoreUnavailable));
            }
        };
        Err(self.fail_permanently(delivery, event, refused).await)
    }

    /// Idempotency: one effect per event id, however often it is delivered. `Ok` when
    /// this invocation now holds the event; `Err` is how the message ended otherwise.
    async fn claim(&self, event: &Event<P::Data>, deadline: Deadline) -> Result<(), RecordResult> {
        let claim = self
            .stores
            .idempotency
            .claim(&event.id, deadline.wall + CLAIM_GRACE)
            .await;
        match claim {
            Ok(Claim::Acquired) => Ok(()),
            Ok(Claim::AlreadyLanded(landed)) => {
                // The ledger may have missed it if the first delivery died after landing.
                let _ = self.record(event, Outcome::Landed(landed), None).await;
                info!(
                    outcome = "already_landed",
                    "duplicate delivery; nothing sent"
                );
                Err(RecordResult::Done(Disposition::AlreadyLanded))
            }
            Ok(Claim::InProgress) => {
                info!("event is being pushed by another invocation; retry later");
                Err(RecordResult::Retry(Reason::InProgressElsewhere))
            }
            Err(e) => {
                warn!(error = %e, "idempotency store unavailable");
                Err(RecordResult::Retry(Reason::IdempotencyStoreUnavailable))
            }
        }
    }

    async fn release(&self, event: &Event<P::Data>) {
        if let Err(e) = self.stores.idempotency.release(&event.id).await {
            warn!(error = %e, "could not release the idempotency claim");
        }
    }

    async fn landed(
        &self,
        event: &Event<P::Data>,
        landed: Landed,
        started: std::time::Instant,
    ) -> RecordResult {
        self.complete(event, &landed).await;
        let remarks = landed.remarks.len();
        let _ = self.record(event, Outcome::Landed(landed), None).await;
        info!(
            outcome = "landed",
            push_type = P::PUSH_TYPE.as_str(),
            remarks,
            duration_ms = started.elapsed().as_millis() as u64,
            "event landed in MyCase"
        );
        RecordResult::Done(Disposition::Landed)
    }

    /// Nothing to push (now): ledger it as skipped with the event, so it can be replayed.
    async fn skip(
        &self,
        delivery: Delivery<'_>,
        event: &Event<P::Data>,
        reason: Reason,
    ) -> RecordResult {
        let outcome = Outcome::Skipped {
            reason: reason.clone(),
        };
        match self.record(event, outcome, Some(delivery.body)).await {
            Ok(()) => {
                info!(outcome = "skipped", reason = %reason, "event skipped");
                RecordResult::Done(Disposition::Skipped(reason))
            }
            Err(ledger) => RecordResult::Retry(ledger),
        }
    }

    /// Marks the event completed. Retried, because a lost completion would let a
    /// redelivery (after the claim lapses) push the event a second time.
    async fn complete(&self, event: &Event<P::Data>, landed: &Landed) {
        let idempotency = &self.stores.idempotency;
        let completed = crate::error::retry_store_write("mark the event completed", || {
            idempotency.complete(&event.id, landed)
        })
        .await;
        if completed.is_err() {
            error!("event landed but its completion could not be recorded");
        }
    }

    /// A permanent failure: ledger it, dead-letter it with its reason, acknowledge it.
    async fn fail_permanently(
        &self,
        delivery: Delivery<'_>,
        event: &Event<P::Data>,
        failure: PushError,
    ) -> RecordResult {
        warn!(kind = %failure.reason, "push failed permanently; dead-lettering");
        let outcome = Outcome::Failed(failure.clone());
        let _ = self.record(event, outcome, Some(delivery.body)).await;
        let letter = DeadLetter {
            body: delivery.body,
            failure: &failure,
            event_id: Some(&event.id),
            integration_id: Some(&event.integration_id),
            group: delivery.group,
        };
        self.dead_letter(&letter).await
    }

    /// Bad input: no push can ever take it. Dead-letter it with the reason; record it
    /// in the ledger too when the ids were readable, so the firm's status shows it.
    async fn refuse(&self, delivery: Delivery<'_>, bad: BadInput) -> RecordResult {
        warn!(
            reason = bad.reason.as_str(),
            detail = %bad.detail,
            event_id = bad.event_id.as_ref().map(EventId::as_str),
            "bad input; dead-lettering"
        );
        let failure = PushError::from(&bad);
        if let (Some(event_id), Some(integration_id)) = (&bad.event_id, &bad.integration_id) {
            let entry = LedgerEntry {
                integration_id: integration_id.clone(),
                event_id: event_id.clone(),
                event_type: bad.event_type.clone().unwrap_or_default(),
                push_type: P::PUSH_TYPE,
                case_id: None,
                event_time: String::new(),
                recorded_at: Utc::now(),
                outcome: Outcome::Failed(failure.clone()),
                event_json: Some(delivery.body.to_owned()),
            };
            if let Err(e) = self.stores.ledger.record(&entry).await {
                warn!(error = %e, "could not record the refused event in the ledger");
            }
        }
        let letter = DeadLetter {
            body: delivery.body,
            failure: &failure,
            event_id: bad.event_id.as_ref(),
            integration_id: bad.integration_id.as_ref(),
            group: delivery.group,
        };
        self.dead_letter(&letter).await
    }

    async fn dead_letter(&self, letter: &DeadLetter<'_>) -> RecordResult {
        match self.stores.dead_letters.send(letter).await {
            Ok(()) => RecordResult::Done(Disposition::DeadLettered(letter.failure.reason.clone())),
            Err(e) => {
                // Not acknowledged: SQS redelivers it and, at worst, redrives it itself.
                warn!(error = %e, "dead-letter queue unavailable; leaving the message to retry");
                RecordResult::Retry(Reason::DeadLetterQueueUnavailable)
            }
        }
    }

    /// Writes the event's ledger row; `Err` is the reason to retry with when the
    /// ledger did not answer.
    async fn record(
        &self,
        event: &Event<P::Data>,
        outcome: Outcome,
        body: Option<&str>,
    ) -> Result<(), Reason> {
        let entry = LedgerEntry {
            integration_id: event.integration_id.clone(),
            event_id: event.id.clone(),
            event_type: event.event_type.as_str().to_owned(),
            push_type: P::PUSH_TYPE,
            case_id: event.case_id(),
            event_time: event.time.to_rfc3339(),
            recorded_at: Utc::now(),
            outcome,
            event_json: body.map(str::to_owned),
        };
        self.stores.ledger.record(&entry).await.map_err(|e| {
            warn!(error = %e, "ledger unavailable");
            Reason::LedgerUnavailable
        })
    }
}
