//! One SQS batch: which messages to report back as failed (`batchItemFailures`).
//!
//! FIFO queues keep each case's order by message group, and Lambda's contract for
//! them is that once a message of a group fails, the later messages of that group
//! in the batch must not be processed (they are reported failed too and come back
//! in order). Different groups are independent, so they run concurrently; on a
//! standard queue (no group) every message is its own group.

use crate::pipeline::{Deadline, Pipeline, Push, RecordResult};
use futures::stream::{self, StreamExt};
use std::collections::HashMap;
use std::time::Duration;
use tracing::info;

/// A queue message as the pipeline sees it.
#[derive(Debug, Clone)]
pub struct QueueMessage {
    pub message_id: String,
    pub body: String,
    /// FIFO `MessageGroupId` (the case), if any.
    pub group: Option<String>,
}

/// Counts for the invocation's one summary log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub failed_ids: Vec<String>,
    pub landed: usize,
    pub already_landed: usize,
    pub skipped: usize,
    pub dead_lettered: usize,
    pub retried: usize,
    /// Not started: the group had an earlier failure, or time was running out.
    pub deferred: usize,
}

/// Do not start a message with less time than this left: a push cut off by the
/// Lambda timeout leaves a claim that blocks the retry until it lapses.
const START_MARGIN: Duration = Duration::from_secs(3);

/// How many groups run at once in one invocation (the client-side rate limiter
/// still paces the MyCase requests they make).
const GROUP_CONCURRENCY: usize = 8;

pub async fn process_batch<P: Push>(
    pipeline: &Pipeline<P>,
    messages: Vec<QueueMessage>,
    deadline: Deadline,
) -> BatchReport {
    // Group in arrival order; messages without a group are each their own group.
    let mut groups: Vec<Vec<QueueMessage>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for message in messages {
        match message.group.clone() {
            Some(g) => match index.get(&g) {
                Some(&i) => groups[i].push(message),
                None => {
                    index.insert(g, groups.len());
                    groups.push(vec![message]);
                }
            },
            None => groups.push(vec![message]),
        }
    }

    let results: Vec<BatchReport> = stream::iter(groups)
        .map(|group| process_group(pipeline, group, deadline))
        .buffer_unordered(GROUP_CONCURRENCY)
        .collect()
        .await;

    let mut report = BatchReport::default();
    for r in results {
        report.failed_ids.extend(r.failed_ids);
        report.landed += r.landed;
        report.already_landed += r.already_landed;
        report.skipped += r.skipped;
        report.dead_lettered += r.dead_lettered;
        report.retried += r.retried;
        report.deferred += r.deferred;
    }
    info!(
        push_type = pipeline.push_type().as_str(),
        landed = report.landed,
        already_landed = report.already_landed,
        skipped = report.skipped,
        dead_lettered = report.dead_lettered,
        retried = report.retried,
        deferred = report.deferred,
        "batch done"
    );
    report
}

async fn process_group<P: Push>(
    pipeline: &Pipeline<P>,
    group: Vec<QueueMessage>,
    deadline: Deadline,
) -> BatchReport {
    use crate::pipeline::Disposition as D;
    let mut report = BatchReport::default();
    let mut stopped = false;
    for message in group {
        if stopped || deadline.remaining() < START_MARGIN {
            report.deferred += 1;
            report.failed_ids.push(message.message_id);
            continue;
        }
        match pipeline
            .process(&message.body, message.group.as_deref(), deadline)
            .await
        {
            RecordResult::Done(D::Landed) => report.landed += 1,
            RecordResult::Done(D::AlreadyLanded) => report.already_landed += 1,
            RecordResult::Done(D::Skipped(_)) => report.skipped += 1,
            RecordResult::Done(D::DeadLettered(_)) => report.dead_lettered += 1,
            RecordResult::Retry(_) => {
                report.retried += 1;
                report.failed_ids.push(message.message_id);
                // Keep the case's order: nothing after a failure in this group runs now.
                stopped = true;
            }
        }
    }
    report
}
