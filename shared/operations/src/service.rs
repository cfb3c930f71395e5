//! What the admin API and the CLI both do with an integration, over the ports.

use crate::paging::{Cursor, MAX_LIMIT, Page, PageRequest};
use crate::ports::{
    ActionQuery, BrokenMapping, EventQueues, IntegrationAdmin, LedgerHistory, NeedsAction,
    ReplayJob, ReplayJobs,
};
use crate::replay::{self, ReplayReport};
use crate::status::{self, EventExplanation, IntegrationStatus};
use chrono::Utc;
use hona_domain::StoreError;
use hona_domain::forms::MappingStore;
use hona_domain::ids::{EventId, IntegrationId};
use hona_domain::outcome::{LedgerEntry, PushType};
use std::sync::Arc;

/// A push type by its name (`messages`, `form_fields`, …; `form-fields` too).
pub fn parse_push_type(raw: &str) -> Option<PushType> {
    let raw = raw.trim().replace('-', "_");
    [
        PushType::Messages,
        PushType::Notifications,
        PushType::Documents,
        PushType::FormFields,
        PushType::Leads,
    ]
    .into_iter()
    .find(|p| p.as_str() == raw)
}

/// Skipped events replayed per request (an admin API call must end well inside API
/// Gateway's 30 s); a bigger backlog carries on as a job, a chunk at a time.
pub const REPLAY_CHUNK: usize = 200;

#[derive(Clone)]
pub struct Operations {
    pub admin: Arc<dyn IntegrationAdmin>,
    pub ledger: Arc<dyn LedgerHistory>,
    pub queues: Arc<dyn EventQueues>,
    /// Form Field Mapping's store: the status lists broken mappings.
    pub mappings: Arc<dyn MappingStore>,
    /// Replays that outgrew one request.
    pub jobs: Arc<dyn ReplayJobs>,
}

impl Operations {
    /// `Ok(None)`: no such integration. Reads the summaries, at most [`status::RECENT`]
    /// problem rows per push type and the mappings: nothing that grows with the history.
    pub async fn status(
        &self,
        id: &IntegrationId,
    ) -> Result<Option<IntegrationStatus>, StoreError> {
        let Some(record) = self.admin.record(id).await? else {
            return Ok(None);
        };
        let summaries = self.ledger.summaries(id).await?;
        let recent = futures::future::try_join_all(
            status::PUSH_TYPES
                .iter()
                .map(|&p| self.ledger.recent_problems(id, p, status::RECENT)),
        )
        .await?
        .concat();
        let broken = BrokenMapping::of(&self.mappings.list(id).await?);
        Ok(Some(status::status_from(
            &record, &summaries, &recent, &broken,
        )))
    }

    pub async fn explain(
        &self,
        id: &IntegrationId,
        event: &EventId,
    ) -> Result<EventExplanation, StoreError> {
        let row = self.ledger.entry(id, event).await?;
        Ok(status::explain(row.as_ref(), event))
    }

    /// One page of the skipped events that can be replayed, oldest first (of one push type,
    /// if given: a page may then hold fewer than its limit and still have a next one).
    pub async fn skipped(
        &self,
        id: &IntegrationId,
        push_type: Option<PushType>,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let got = self
            .ledger
            .needing_action(id, &ActionQuery::all(NeedsAction::Skipped), page)
            .await?;
        Ok(Page {
            items: replay::skipped(&got.items, push_type)
                .into_iter()
                .cloned()
                .collect(),
            next: got.next,
        })
    }

    /// Re-sends every skipped event of the integration (of one push type, if given), a
    /// chunk at a time, to the end (the CLI: no request timeout). `progress(done, total)`
    /// after each, `total` growing as chunks are read.
    pub async fn replay_skipped(
        &self,
        id: &IntegrationId,
        push_type: Option<PushType>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<ReplayReport, StoreError> {
        let mut job = ReplayJob::new(push_type, Utc::now());
        progress(0, 0);
        loop {
            self.replay_chunk(id, &mut job, REPLAY_CHUNK, progress)
                .await?;
            if job.done() {
                return Ok(job.report);
            }
        }
    }

    /// Starts a replay: one chunk now; if more remain, the job is kept and carries on
    /// (`continue_replay`, which the hourly nightly-sync starter calls). A new replay
    /// replaces the integration's previous job.
    pub async fn start_replay(
        &self,
        id: &IntegrationId,
        push_type: Option<PushType>,
    ) -> Result<ReplayJob, StoreError> {
        let mut job = ReplayJob::new(push_type, Utc::now());
        self.replay_chunk(id, &mut job, REPLAY_CHUNK, &|_, _| {})
            .await?;
        self.jobs.put(id, &job).await?;
        Ok(job)
    }

    /// The integration's latest replay job, if any.
    pub async fn replay_job(&self, id: &IntegrationId) -> Result<Option<ReplayJob>, StoreError> {
        self.jobs.get(id).await
    }

    /// Carries an unfinished replay job on by up to `chunk` events. `Ok(None)`: no job
    /// left to do.
    pub async fn continue_replay(
        &self,
        id: &IntegrationId,
        chunk: usize,
    ) -> Result<Option<ReplayJob>, StoreError> {
        let Some(mut job) = self.jobs.get(id).await? else {
            return Ok(None);
        };
        if job.done() {
            return Ok(None);
        }
        self.replay_chunk(id, &mut job, chunk, &|_, _| {}).await?;
        self.jobs.put(id, &job).await?;
        Ok(Some(job))
    }

    /// Re-sends up to `chunk` skipped events from where the job stands, and moves it on.
    async fn replay_chunk(
        &self,
        id: &IntegrationId,
        job: &mut ReplayJob,
        chunk: usize,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<(), StoreError> {
        let query = ActionQuery {
            kind: NeedsAction::Skipped,
            from: None,
            to: Some(job.until),
        };
        let mut page = PageRequest {
            cursor: match &job.cursor {
                Some(raw) => Some(
                    Cursor::decode(raw)
                        .map_err(|e| StoreError::new("replay_jobs", "cursor", e.to_string()))?,
                ),
                None => None,
            },
            limit: chunk.clamp(1, MAX_LIMIT),
        };
        let mut budget = chunk;
        loop {
            let got = self.ledger.needing_action(id, &query, &page).await?;
            let rows = replay::skipped(&got.items, job.push_type);
            let done_before = job.report.total_sent() + job.report.not_sent;
            let total = done_before + rows.len();
            let sent = replay::resend(&rows, self.queues.as_ref(), &|n| {
                progress(done_before + n, total)
            })
            .await;
            job.report.merge(sent);
            budget = budget.saturating_sub(got.items.len());
            job.cursor = got.next.as_ref().map(Cursor::encode);
            job.updated_at = Utc::now();
            match got.next {
                Some(next) if budget > 0 => {
                    page = PageRequest {
                        cursor: Some(next),
                        limit: budget.clamp(1, MAX_LIMIT),
                    }
                }
                _ => return Ok(()),
            }
        }
    }
}
