//! The one pipeline every push type runs: parse → gate on Active → idempotency →
//! push → ledger. A push type only says which events it takes and how one lands.

use crate::error::PushError;
use crate::event::{BadInput, Event, EventType, parse_event};
use crate::ids::EventId;
use crate::integration::Integration;
use crate::metrics;
use crate::outcome::{Landed, LedgerEntry, Outcome, PushType, Pushed};
use crate::ports::{Claim, DeadLetter, DeadLetters, IdempotencyStore, IntegrationStore, Ledger};
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
    Skipped(String),
    /// Sent to the dead-letter queue with this machine-readable reason.
    DeadLettered(String),
}

/// Acknowledge the message, or leave it on the queue to be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordResult {
    Done(Disposition),
    /// Retry later; the kind says why (for counts, never for the client's data).
    Retry(String),
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
        let event = match parse_event::<P::Data>(body, P::ACCEPTS) {
            Ok(event) => event,
            Err(bad) => {
                let result = self.refuse(body, group, bad).await;
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
            .process_event(body, group, &event, deadline)
            .instrument(span)
            .await;
        metrics::observe(P::PUSH_TYPE, &result, Some(event.time));
        result
    }

    async fn process_event(
        &self,
        body: &str,
        group: Option<&str>,
        event: &Event<P::Data>,
        deadline: Deadline,
    ) -> RecordResult {
        let started = std::time::Instant::now();
        let stores = &self.stores;

        // Gate: the integration must exist, belong to the event's firm, and be Active.
        let integration = match stores.integrations.get(&event.integration_id).await {
            Ok(Some(i)) => i,
            Ok(None) => {
                let failure = PushError::permanent(
                    "unknown_integration",
                    "No integration with this id is configured.",
                );
                return self.fail_permanently(body, group, event, failure).await;
            }
            Err(e) => {
                warn!(error = %e, "integration store unavailable");
                return RecordResult::Retry("integration_store_unavailable".into());
            }
        };
        if integration.org_id != event.org_id {
            // Never send one firm's data to another firm's MyCase account.
            let failure = PushError::permanent(
                "org_mismatch",
                "The event's org does not own this integration; nothing was sent.",
            );
            return self.fail_permanently(body, group, event, failure).await;
        }
        if !integration.active {
            let outcome = Outcome::Skipped {
                reason: "integration_inactive".into(),
            };
            return match self.record(event, outcome, Some(body)).await {
                Ok(()) => {
                    info!(
                        outcome = "skipped",
                        reason = "integration_inactive",
                        "event skipped"
                    );
                    RecordResult::Done(Disposition::Skipped("integration_inactive".into()))
                }
                Err(kind) => RecordResult::Retry(kind),
            };
        }

        // Idempotency: one effect per event id, however often it is delivered.
        let claim = stores
            .idempotency
            .claim(&event.id, deadline.wall + CLAIM_GRACE)
            .await;
        match claim {
            Ok(Claim::Acquired) => {}
            Ok(Claim::AlreadyLanded(landed)) => {
                // The ledger may have missed it if the first delivery died after landing.
                let outcome = Outcome::Landed {
                    refs: landed.refs,
                    remarks: landed.remarks,
                };
                let _ = self.record(event, outcome, None).await;
                info!(
                    outcome = "already_landed",
                    "duplicate delivery; nothing sent"
                );
                return RecordResult::Done(Disposition::AlreadyLanded);
            }
            Ok(Claim::InProgress) => {
                info!("event is being pushed by another invocation; retry later");
                return RecordResult::Retry("in_progress_elsewhere".into());
            }
            Err(e) => {
                warn!(error = %e, "idempotency store unavailable");
                return RecordResult::Retry("idempotency_store_unavailable".into());
            }
        }

        let ctx = PushContext {
            integration: &integration,
            deadline,
        };
        match self.push.push(&ctx, event).await {
            Ok(Pushed::Skipped { reason }) => {
                // Nothing was sent: free the claim so a redelivery decides afresh.
                if let Err(e) = stores.idempotency.release(&event.id).await {
                    warn!(error = %e, "could not release the idempotency claim");
                }
                info!(outcome = "skipped", reason = %reason, "event skipped");
                let outcome = Outcome::Skipped {
                    reason: reason.clone(),
                };
                match self.record(event, outcome, Some(body)).await {
                    Ok(()) => RecordResult::Done(Disposition::Skipped(reason)),
                    Err(kind) => RecordResult::Retry(kind),
                }
            }
            Ok(Pushed::Landed(landed)) => {
                self.complete(event, &landed).await;
                let remarks = landed.remarks.len();
                let outcome = Outcome::Landed {
                    refs: landed.refs,
                    remarks: landed.remarks,
                };
                let _ = self.record(event, outcome, None).await;
                info!(
                    outcome = "landed",
                    push_type = P::PUSH_TYPE.as_str(),
                    remarks,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "event landed in MyCase"
                );
                RecordResult::Done(Disposition::Landed)
            }
            Err(failure) => {
                if let Err(e) = stores.idempotency.release(&event.id).await {
                    // The claim then lapses at its deadline; the retry waits for that.
                    warn!(error = %e, "could not release the idempotency claim");
                }
                if failure.permanent {
                    self.fail_permanently(body, group, event, failure).await
                } else {
                    warn!(kind = %failure.kind, "push failed; will retry");
                    let outcome = Outcome::Failed {
                        kind: failure.kind.clone(),
                        reason: failure.reason.clone(),
                        permanent: false,
                    };
                    let _ = self.record(event, outcome, Some(body)).await;
                    RecordResult::Retry(failure.kind)
                }
            }
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
        body: &str,
        group: Option<&str>,
        event: &Event<P::Data>,
        failure: PushError,
    ) -> RecordResult {
        warn!(kind = %failure.kind, "push failed permanently; dead-lettering");
        let outcome = Outcome::Failed {
            kind: failure.kind.clone(),
            reason: failure.reason.clone(),
            permanent: true,
        };
        let _ = self.record(event, outcome, Some(body)).await;
        let letter = DeadLetter {
            body,
            reason: &failure.kind,
            detail: &failure.reason,
            event_id: Some(&event.id),
            integration_id: Some(&event.integration_id),
            group,
        };
        self.dead_letter(&letter).await
    }

    /// Bad input: no push can ever take it. Dead-letter it with the reason; record it
    /// in the ledger too when the ids were readable, so the firm's status shows it.
    async fn refuse(&self, body: &str, group: Option<&str>, bad: BadInput) -> RecordResult {
        warn!(
            reason = bad.reason.as_str(),
            detail = %bad.detail,
            event_id = bad.event_id.as_ref().map(EventId::as_str),
            "bad input; dead-lettering"
        );
        if let (Some(event_id), Some(integration_id)) = (&bad.event_id, &bad.integration_id) {
            let entry = LedgerEntry {
                integration_id: integration_id.clone(),
                event_id: event_id.clone(),
                event_type: bad.event_type.clone().unwrap_or_default(),
                push_type: P::PUSH_TYPE,
                case_id: None,
                event_time: String::new(),
                recorded_at: Utc::now(),
                outcome: Outcome::Failed {
                    kind: bad.reason.as_str().into(),
                    reason: bad.detail.clone(),
                    permanent: true,
                },
                event_json: Some(body.to_owned()),
            };
            if let Err(e) = self.stores.ledger.record(&entry).await {
                warn!(error = %e, "could not record the refused event in the ledger");
            }
        }
        let letter = DeadLetter {
            body,
            reason: bad.reason.as_str(),
            detail: &bad.detail,
            event_id: bad.event_id.as_ref(),
            integration_id: bad.integration_id.as_ref(),
            group,
        };
        self.dead_letter(&letter).await
    }

    async fn dead_letter(&self, letter: &DeadLetter<'_>) -> RecordResult {
        match self.stores.dead_letters.send(letter).await {
            Ok(()) => RecordResult::Done(Disposition::DeadLettered(letter.reason.to_owned())),
            Err(e) => {
                // Not acknowledged: SQS redelivers it and, at worst, redrives it itself.
                warn!(error = %e, "dead-letter queue unavailable; leaving the message to retry");
                RecordResult::Retry("dead_letter_queue_unavailable".into())
            }
        }
    }

    async fn record(
        &self,
        event: &Event<P::Data>,
        outcome: Outcome,
        body: Option<&str>,
    ) -> Result<(), String> {
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
            "ledger_unavailable".to_owned()
        })
    }
}
