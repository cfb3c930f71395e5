//! The ledger: table `HONA_LEDGER_TABLE`, key (`integration_id`, `event_id`).
//!
//! One row per event with its outcome (`landed` | `skipped` | `failed`), the reason,
//! the MyCase ids, and (for skipped and failed events) the event itself for replay.
//!
//! Reads are sized by the answer, never by the integration's history:
//!
//! - **Summaries**, partition `{integration}#summary` (beside the integration's own: scans
//!   of its rows never meet them): `sum#{push_type}` holds the counts of each event's
//!   current outcome and the last success and failure; `day#{yyyy-mm-dd}` holds that day's
//!   counts per push type, outcome and hour (the nightly's "last 24 hours"). Both change in
//!   the same transaction as the row, conditioned on the row being as it was read, so they
//!   never disagree with the rows: a redelivery or a replay moves an event's count, never
//!   adds it twice.
//! - **`needs-action`**, a sparse index: only skipped and failed rows that kept their event
//!   carry `needs_action` (`{skipped|failed}#{recorded_at}#{event_id}`). A row that lands
//!   is rewritten without it and leaves the index. Replay and the nightly re-drive read it.
//! - **Problem copies**, partition `{integration}#problems`: for every row a status lists
//!   (failed, skipped, landed with a remark) a copy of what the status shows (never the
//!   event itself) keyed `problem#{push_type}#{recorded_at}#{event_id}`, so "the five most
//!   recent problems of a push type" is a key read (a descending Query with `Limit 5`), not
//!   an index read. The copy is put, and the row's previous copy (its key is kept on the
//!   row as `problem_copy`) deleted, in the same transaction as the row: a row that lands
//!   leaves no copy, a redelivery leaves one. A landed-with-a-remark copy expires with its
//!   row.
//! - **Expiry**: landed rows carry `expires_at` (epoch seconds, DynamoDB TTL) after the
//!   retention (`HONA_LEDGER_RETENTION_DAYS`, default 90); skipped and failed rows and the
//!   summaries have none and stay.

use super::{Item, cursor_key, get_bool, get_n, get_s, key_cursor, n, s, store_error};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::StreamExt;
use hona_domain::ids::{CaseId, EventId, IntegrationId};
use hona_domain::outcome::{Landed, LedgerEntry, MyCaseRef, Outcome, PushType, Remark};
use hona_domain::ports::Ledger;
use hona_domain::{PushError, Reason, StoreError};
use hona_operations::nightly::Counts;
use hona_operations::paging::{Page, PageRequest};
use hona_operations::ports::{ActionQuery, LedgerHistory, LedgerSummary, ReplayJob, ReplayJobs};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::warn;

pub struct DynamoLedger {
    client: Client,
    table: String,
    reads: Arc<ReadTally>,
    retention: Duration,
}

/// How long a landed row is kept (`HONA_LEDGER_RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The sparse index of rows still needing action.
pub const NEEDS_ACTION_INDEX: &str = "needs-action";
/// Day count records are read for the last 24 hours only; kept a little longer.
const DAY_RECORD_DAYS: i64 = 3;
/// Writes of one row retried when another write to it came in between.
const RECORD_ATTEMPTS: usize = 5;

/// What this store read from DynamoDB: requests, and items read (a Query's
/// `ScannedCount`: what DynamoDB reads and bills, before any filter). Kept so the history
/// benchmark measures reads instead of computing them.
#[derive(Debug, Default)]
pub struct ReadTally {
    requests: AtomicU64,
    items: AtomicU64,
}

impl ReadTally {
    fn add(&self, requests: u64, items: u64) {
        self.requests.fetch_add(requests, Ordering::Relaxed);
        self.items.fetch_add(items, Ordering::Relaxed);
    }

    /// `(requests, items)` since the last call.
    pub fn take(&self) -> (u64, u64) {
        (
            self.requests.swap(0, Ordering::Relaxed),
            self.items.swap(0, Ordering::Relaxed),
        )
    }
}

impl DynamoLedger {
    pub fn new(client: Client, table: String) -> Self {
        Self {
            client,
            table,
            reads: Arc::default(),
            retention: Duration::days(DEFAULT_RETENTION_DAYS.into()),
        }
    }

    /// Landed rows expire `days` after they were recorded.
    pub fn with_retention_days(mut self, days: u32) -> Self {
        self.retention = Duration::days(days.into());
        self
    }

    /// The reads this store made (shared: clones of the `Arc` see the same counts).
    pub fn reads(&self) -> Arc<ReadTally> {
        self.reads.clone()
    }
}

/// A time as index keys hold it: fixed width, so keys sort in time order.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn summary_partition(integration: &str) -> String {
    format!("{integration}#summary")
}

fn problems_partition(integration: &str) -> String {
    format!("{integration}#problems")
}

/// The sort key of a row's problem copy: newest last within a push type.
fn problem_copy_key(entry: &LedgerEntry) -> String {
    format!(
        "problem#{}#{}#{}",
        entry.push_type.as_str(),
        stamp(entry.recorded_at),
        entry.event_id
    )
}

fn summary_key(push_type: &str) -> String {
    format!("sum#{push_type}")
}

fn day_key(t: DateTime<Utc>) -> String {
    format!("day#{}", t.format("%Y-%m-%d"))
}

/// A day record's count attribute: push type, outcome, hour.
fn hour_attribute(push_type: &str, outcome: &str, t: DateTime<Utc>) -> String {
    format!("{push_type}#{outcome}#{}", t.format("%H"))
}

fn day_expiry(t: DateTime<Utc>) -> AttributeValue {
    n((t + Duration::days(DAY_RECORD_DAYS)).timestamp())
}

/// Whether a status lists the row among a push type's recent problems.
fn is_problem(entry: &LedgerEntry) -> bool {
    hona_operations::status::is_problem(entry)
}

/// The row [`Ledger::record`] writes for an entry (the history benchmark seeds the same):
/// with its index keys, and its expiry when it landed.
pub fn row_item(entry: &LedgerEntry, retention: Duration) -> Item {
    let mut item = plain_row(entry);
    let at = stamp(entry.recorded_at);
    let kind = match entry.outcome {
        Outcome::Skipped { .. } => Some("skipped"),
        Outcome::Failed { .. } => Some("failed"),
        Outcome::Landed { .. } => None,
    };
    if let (Some(kind), Some(_)) = (kind, &entry.event_json) {
        item.insert(
            "needs_action".into(),
            s(format!("{kind}#{at}#{}", entry.event_id)),
        );
    }
    if is_problem(entry) {
        item.insert("problem_copy".into(), s(problem_copy_key(entry)));
    }
    if let Some(expiry) = expiry(entry, retention) {
        item.insert("expires_at".into(), expiry);
    }
    item
}

/// A landed row's expiry (skipped and failed rows stay).
fn expiry(entry: &LedgerEntry, retention: Duration) -> Option<AttributeValue> {
    matches!(entry.outcome, Outcome::Landed { .. })
        .then(|| n((entry.recorded_at + retention).timestamp()))
}

/// The problem copy of a row a status lists (`None` for a row it does not): what the
/// status shows, without the event (personal data stays on the row alone), expiring with
/// the row.
pub fn problem_copy(entry: &LedgerEntry, retention: Duration) -> Option<Item> {
    if !is_problem(entry) {
        return None;
    }
    let mut item = plain_row(entry);
    item.remove("event");
    item.insert(
        "integration_id".into(),
        s(problems_partition(entry.integration_id.as_str())),
    );
    item.insert("event_id".into(), s(problem_copy_key(entry)));
    item.insert("row_event_id".into(), s(entry.event_id.as_str()));
    if let Some(expiry) = expiry(entry, retention) {
        item.insert("expires_at".into(), expiry);
    }
    Some(item)
}

/// A problem copy read back as the entry it copies (without its event).
fn parse_problem_copy(item: &Item, integration: &IntegrationId) -> Option<LedgerEntry> {
    let mut row = item.clone();
    row.insert("integration_id".into(), s(integration.as_str()));
    row.insert("event_id".into(), item.get("row_event_id")?.clone());
    parse_entry(&row)
}

fn plain_row(entry: &LedgerEntry) -> Item {
    let mut item = Item::new();
    item.insert("integration_id".into(), s(entry.integration_id.as_str()));
    item.insert("event_id".into(), s(entry.event_id.as_str()));
    item.insert("event_type".into(), s(entry.event_type.clone()));
    item.insert("push_type".into(), s(entry.push_type.as_str()));
    item.insert("outcome".into(), s(entry.outcome.name()));
    item.insert("recorded_at".into(), s(entry.recorded_at.to_rfc3339()));
    if let Some(case) = entry.case_id {
        item.insert("case_id".into(), n(case.get()));
    }
    if !entry.event_time.is_empty() {
        item.insert("event_time".into(), s(entry.event_time.clone()));
    }
    if let Some(json) = &entry.event_json {
        item.insert("event".into(), s(json.clone()));
    }
    match &entry.outcome {
        Outcome::Landed(Landed { refs, remarks }) => {
            let refs = refs
                .iter()
                .map(|r| AttributeValue::S(format!("{}:{}", r.kind, r.id)))
                .collect();
            item.insert("mycase_refs".into(), AttributeValue::L(refs));
            if !remarks.is_empty() {
                let remarks = remarks
                    .iter()
                    .map(|r| AttributeValue::S(format!("{}: {}", r.kind, r.detail)))
                    .collect();
                item.insert("remarks".into(), AttributeValue::L(remarks));
            }
        }
        Outcome::Skipped { reason } => {
            item.insert("reason".into(), s(reason.to_string()));
        }
        Outcome::Failed(failure) => {
            item.insert("failure_kind".into(), s(failure.reason.to_string()));
            item.insert("reason".into(), s(failure.detail.clone()));
            item.insert("permanent".into(), AttributeValue::Bool(failure.permanent));
        }
    }
    item
}

/// What a row was before a write: the write is conditioned on it, and the summaries
/// move its count.
struct Previous {
    outcome: String,
    recorded_at_raw: String,
    recorded_at: DateTime<Utc>,
    push_type: String,
    /// The sort key of the row's problem copy, when it has one.
    problem_copy: Option<String>,
}

/// Count changes per summary record (sort key) and attribute.
type Deltas = BTreeMap<String, BTreeMap<String, i64>>;

impl DynamoLedger {
    async fn previous(&self, entry: &LedgerEntry) -> Result<Option<Previous>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("integration_id", s(entry.integration_id.as_str()))
            .key("event_id", s(entry.event_id.as_str()))
            .consistent_read(true)
            .projection_expression("outcome, recorded_at, push_type, problem_copy")
            .send()
            .await
            .map_err(|e| store_error("ledger", "get", e))?;
        Ok(out.item().map(|item| {
            let raw = get_s(item, "recorded_at").unwrap_or_default().to_owned();
            Previous {
                outcome: get_s(item, "outcome").unwrap_or_default().to_owned(),
                recorded_at: parse_time(&raw).unwrap_or_default(),
                recorded_at_raw: raw,
                push_type: get_s(item, "push_type").unwrap_or_default().to_owned(),
                problem_copy: get_s(item, "problem_copy").map(str::to_owned),
            }
        }))
    }

    /// The row's put, its problem copy's put and its previous copy's delete, and the
    /// summary updates, as one transaction.
    fn transaction(
        &self,
        entry: &LedgerEntry,
        previous: Option<&Previous>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = vec![self.row_put(entry, previous)?];
        items.extend(self.copy_writes(entry, previous)?);
        let partition = summary_partition(entry.integration_id.as_str());
        for (key, counts) in summary_deltas(entry, previous) {
            items.push(self.summary_update(&partition, &key, counts, entry)?);
        }
        Ok(items)
    }

    /// The row itself, conditioned on it being as it was read (or absent).
    fn row_put(
        &self,
        entry: &LedgerEntry,
        previous: Option<&Previous>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(row_item(entry, self.retention)));
        put = match previous {
            None => put.condition_expression("attribute_not_exists(event_id)"),
            Some(p) => put
                .condition_expression("outcome = :po AND recorded_at = :pa")
                .expression_attribute_values(":po", s(p.outcome.clone()))
                .expression_attribute_values(":pa", s(p.recorded_at_raw.clone())),
        };
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(build_error)?)
            .build())
    }

    /// The row's problem copy put, and its previous copy deleted when the key moved.
    fn copy_writes(
        &self,
        entry: &LedgerEntry,
        previous: Option<&Previous>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = Vec::new();
        let copy = problem_copy(entry, self.retention);
        let copy_key = copy.as_ref().map(|_| problem_copy_key(entry));
        let copies = problems_partition(entry.integration_id.as_str());
        // A transaction touches an item once: a copy put again under the same key
        // (a redelivery) overwrites it, never puts and deletes it.
        if let Some(old) = previous.and_then(|p| p.problem_copy.clone())
            && copy_key.as_deref() != Some(old.as_str())
        {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("integration_id", s(copies))
                .key("event_id", s(old))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        if let Some(copy) = copy {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(copy))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(items)
    }

    /// One summary record's update: its counts moved by `counts`, its last success or
    /// failure stamped, a day record's expiry set.
    fn summary_update(
        &self,
        partition: &str,
        key: &str,
        counts: BTreeMap<String, i64>,
        entry: &LedgerEntry,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("integration_id", s(partition.to_owned()))
            .key("event_id", s(key.to_owned()))
            .expression_attribute_values(":now", s(stamp(Utc::now())));
        let mut set = vec!["updated_at = :now".to_owned()];
        if key == summary_key(entry.push_type.as_str()) {
            match entry.outcome {
                Outcome::Landed { .. } => set.push("last_success = :at".into()),
                Outcome::Failed { .. } => set.push("last_failure = :at".into()),
                Outcome::Skipped { .. } => {}
            }
            if set.len() > 1 {
                update = update.expression_attribute_values(":at", s(stamp(entry.recorded_at)));
            }
        }
        if key.starts_with("day#") {
            set.push("expires_at = :exp".into());
            update = update.expression_attribute_values(":exp", day_expiry(entry.recorded_at));
        }
        let mut adds = Vec::new();
        for (i, (attribute, by)) in counts.into_iter().filter(|(_, by)| *by != 0).enumerate() {
            adds.push(format!("#c{i} :c{i}"));
            update = update
                .expression_attribute_names(format!("#c{i}"), attribute)
                .expression_attribute_values(format!(":c{i}"), n(by));
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !adds.is_empty() {
            expression.push_str(&format!(" ADD {}", adds.join(", ")));
        }
        let update = update
            .update_expression(expression)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::new("ledger", "record", e.to_string())
}

/// How the write moves the summaries' counts: +1 for the row's outcome, -1 for the
/// outcome it replaces (so a redelivery or replay moves a count, never adds one).
fn summary_deltas(entry: &LedgerEntry, previous: Option<&Previous>) -> Deltas {
    let (push, outcome) = (entry.push_type.as_str(), entry.outcome.name());
    let mut deltas = Deltas::new();
    let mut add = |key: String, attribute: String, by: i64| {
        *deltas.entry(key).or_default().entry(attribute).or_default() += by;
    };
    add(summary_key(push), outcome.to_owned(), 1);
    add(
        day_key(entry.recorded_at),
        hour_attribute(push, outcome, entry.recorded_at),
        1,
    );
    if let Some(p) = previous {
        add(summary_key(&p.push_type), p.outcome.clone(), -1);
        add(
            day_key(p.recorded_at),
            hour_attribute(&p.push_type, &p.outcome, p.recorded_at),
            -1,
        );
    }
    deltas
}

#[async_trait]
impl Ledger for DynamoLedger {
    /// Reads the row as it is, then writes it and moves the summaries' counts in one
    /// transaction conditioned on the row being unchanged; another write in between
    /// cancels it, and it is read and tried again.
    async fn record(&self, entry: &LedgerEntry) -> Result<(), StoreError> {
        for _ in 0..RECORD_ATTEMPTS {
            let previous = self.previous(entry).await?;
            if previous.as_ref().is_some_and(|p| p.outcome == "landed")
                && !matches!(entry.outcome, Outcome::Landed { .. })
            {
                // A landed row stays landed: a late duplicate (say, after deactivation)
                // must not make a delivered event look lost.
                return Ok(());
            }
            let items = self.transaction(entry, previous.as_ref())?;
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e)
                    if e.as_service_error()
                        .and_then(aws_sdk_dynamodb::error::ProvideErrorMetadata::code)
                        == Some("TransactionCanceledException") =>
                {
                    continue;
                }
                Err(e) => return Err(store_error("ledger", "record", e)),
            }
        }
        Err(StoreError::new(
            "ledger",
            "record",
            "the row changed under every attempt; try again",
        ))
    }
}

fn push_type(raw: &str) -> Option<PushType> {
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

fn strings(item: &Item, key: &str) -> Vec<String> {
    item.get(key)
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
        .unwrap_or_default()
}

/// A row as [`Ledger::record`] wrote it. `None` for a row this code cannot read
/// (logged by id, never dropped silently).
fn parse_entry(item: &Item) -> Option<LedgerEntry> {
    let integration_id = IntegrationId::parse(get_s(item, "integration_id")?).ok()?;
    let event_id = EventId::parse(get_s(item, "event_id")?).ok()?;
    let Some(push) = get_s(item, "push_type").and_then(push_type) else {
        warn!(event_id = %event_id, "ledger row with an unknown push type");
        return None;
    };
    let outcome = match get_s(item, "outcome")? {
        "landed" => Outcome::Landed(Landed {
            refs: strings(item, "mycase_refs")
                .iter()
                .filter_map(|r| {
                    let (kind, id) = r.rsplit_once(':')?;
                    Some(MyCaseRef::new(kind, id.parse().ok()?))
                })
                .collect(),
            remarks: strings(item, "remarks")
                .iter()
                .map(|r| match r.split_once(": ") {
                    Some((kind, detail)) => Remark::new(Reason::parse(kind), detail),
                    None => Remark::new(Reason::parse(r), ""),
                })
                .collect(),
        }),
        "skipped" => Outcome::Skipped {
            reason: Reason::parse(get_s(item, "reason").unwrap_or_default()),
        },
        "failed" => Outcome::Failed(PushError {
            reason: Reason::parse(get_s(item, "failure_kind").unwrap_or("unknown")),
            detail: get_s(item, "reason").unwrap_or_default().to_owned(),
            permanent: get_bool(item, "permanent").unwrap_or(true),
        }),
        _ => return None,
    };
    Some(LedgerEntry {
        integration_id,
        event_id,
        event_type: get_s(item, "event_type").unwrap_or_default().to_owned(),
        push_type: push,
        case_id: get_n(item, "case_id").and_then(|c| CaseId::new(c).ok()),
        event_time: get_s(item, "event_time").unwrap_or_default().to_owned(),
        recorded_at: get_s(item, "recorded_at")
            .and_then(parse_time)
            .unwrap_or_default(),
        outcome,
        event_json: get_s(item, "event").map(str::to_owned),
    })
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn parse_summary(item: &Item) -> Option<LedgerSummary> {
    let push = get_s(item, "event_id")?.strip_prefix("sum#")?;
    let count = |outcome| get_n(item, outcome).unwrap_or(0).max(0) as u64;
    Some(LedgerSummary {
        push_type: push_type(push)?,
        landed: count("landed"),
        skipped: count("skipped"),
        failed: count("failed"),
        last_success: get_s(item, "last_success").and_then(parse_time),
        last_failure: get_s(item, "last_failure").and_then(parse_time),
    })
}

impl DynamoLedger {
    /// One Query, every page, counting what it read.
    async fn query_all(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| store_error("ledger", "query", e))?;
            self.reads.add(1, out.scanned_count().max(0) as u64);
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Rewrites rows recorded before the summaries and indexes existed (or seeds a
    /// benchmark): each row as [`Ledger::record`] would write it now (index keys, expiry,
    /// problem copy), and the integration's summaries and day counts set from those rows.
    /// Batch writes, not transactions: run it while the integration's events are not
    /// flowing (it overwrites the summaries with what the given rows add up to).
    pub async fn rewrite(&self, entries: &[LedgerEntry]) -> Result<(), StoreError> {
        let mut items: Vec<Item> = entries
            .iter()
            .map(|e| row_item(e, self.retention))
            .collect();
        items.extend(
            entries
                .iter()
                .filter_map(|e| problem_copy(e, self.retention)),
        );
        let mut by_integration: BTreeMap<&str, Vec<LedgerEntry>> = BTreeMap::new();
        for e in entries {
            by_integration
                .entry(e.integration_id.as_str())
                .or_default()
                .push(e.clone());
        }
        for (integration, rows) in &by_integration {
            items.extend(summary_items(integration, rows));
        }
        let table = self.table.as_str();
        let results: Vec<Result<(), StoreError>> = futures::stream::iter(items.chunks(25))
            .map(|chunk| async move {
                let mut pending: Vec<WriteRequest> = chunk
                    .iter()
                    .map(|item| {
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .map(|p| WriteRequest::builder().put_request(p).build())
                            .map_err(|e| StoreError::new("ledger", "rewrite", e.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
                while !pending.is_empty() {
                    let out = self
                        .client
                        .batch_write_item()
                        .request_items(table, pending)
                        .send()
                        .await
                        .map_err(|e| store_error("ledger", "batch_write", e))?;
                    pending = out
                        .unprocessed_items()
                        .and_then(|u| u.get(table))
                        .cloned()
                        .unwrap_or_default();
                }
                Ok(())
            })
            .buffer_unordered(8)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Every row of the integration (a Query over its whole partition): only for
    /// [`DynamoLedger::rewrite`]'s one-off backfill, never on a request's path.
    pub async fn all_rows(
        &self,
        integration: &IntegrationId,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("integration_id = :i")
            .expression_attribute_values(":i", s(integration.as_str()));
        Ok(self
            .query_all(query)
            .await?
            .iter()
            .filter_map(parse_entry)
            .collect())
    }
}

/// The summary and day count records `rows` (one integration's) add up to.
fn summary_items(integration: &str, rows: &[LedgerEntry]) -> Vec<Item> {
    let partition = summary_partition(integration);
    let now = stamp(Utc::now());
    let mut items = Vec::new();
    for summary in hona_operations::status::summaries_of(rows) {
        let mut item = Item::new();
        item.insert("integration_id".into(), s(partition.clone()));
        item.insert(
            "event_id".into(),
            s(summary_key(summary.push_type.as_str())),
        );
        item.insert("landed".into(), n(summary.landed));
        item.insert("skipped".into(), n(summary.skipped));
        item.insert("failed".into(), n(summary.failed));
        item.insert("updated_at".into(), s(now.clone()));
        if let Some(t) = summary.last_success {
            item.insert("last_success".into(), s(stamp(t)));
        }
        if let Some(t) = summary.last_failure {
            item.insert("last_failure".into(), s(stamp(t)));
        }
        items.push(item);
    }
    let mut days: BTreeMap<String, (DateTime<Utc>, BTreeMap<String, i64>)> = BTreeMap::new();
    for e in rows {
        let day = days
            .entry(day_key(e.recorded_at))
            .or_insert_with(|| (e.recorded_at, BTreeMap::new()));
        *day.1
            .entry(hour_attribute(
                e.push_type.as_str(),
                e.outcome.name(),
                e.recorded_at,
            ))
            .or_default() += 1;
    }
    for (key, (at, counts)) in days {
        let mut item = Item::new();
        item.insert("integration_id".into(), s(partition.clone()));
        item.insert("event_id".into(), s(key));
        item.insert("expires_at".into(), day_expiry(at));
        item.insert("updated_at".into(), s(now.clone()));
        for (attribute, count) in counts {
            item.insert(attribute, n(count));
        }
        items.push(item);
    }
    items
}

#[async_trait]
impl LedgerHistory for DynamoLedger {
    async fn summaries(
        &self,
        integration: &IntegrationId,
    ) -> Result<Vec<LedgerSummary>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("integration_id = :p AND begins_with(event_id, :sum)")
            .expression_attribute_values(":p", s(summary_partition(integration.as_str())))
            .expression_attribute_values(":sum", s("sum#"));
        Ok(self
            .query_all(query)
            .await?
            .iter()
            .filter_map(parse_summary)
            .collect())
    }

    async fn recent_problems(
        &self,
        integration: &IntegrationId,
        push_type: PushType,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("integration_id = :i AND begins_with(event_id, :p)")
            .expression_attribute_values(":i", s(problems_partition(integration.as_str())))
            .expression_attribute_values(":p", s(format!("problem#{}#", push_type.as_str())))
            .scan_index_forward(false)
            .limit(limit.max(1) as i32)
            .send()
            .await
            .map_err(|e| store_error("ledger", "query", e))?;
        self.reads.add(1, out.scanned_count().max(0) as u64);
        Ok(out
            .items()
            .iter()
            .filter_map(|item| parse_problem_copy(item, integration))
            .collect())
    }

    async fn entry(
        &self,
        integration: &IntegrationId,
        event: &EventId,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("integration_id", s(integration.as_str()))
            .key("event_id", s(event.as_str()))
            .send()
            .await
            .map_err(|e| store_error("ledger", "get", e))?;
        self.reads.add(1, u64::from(out.item().is_some()));
        Ok(out.item().and_then(parse_entry))
    }

    async fn needing_action(
        &self,
        integration: &IntegrationId,
        query: &ActionQuery,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, StoreError> {
        let kind = query.kind.as_str();
        // `~` sorts after every digit: the whole kind when no upper bound is given.
        let from = format!("{kind}#{}", query.from.map(stamp).unwrap_or_default());
        let to = format!(
            "{kind}#{}",
            query.to.map(stamp).unwrap_or_else(|| "~".into())
        );
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(NEEDS_ACTION_INDEX)
            .key_condition_expression("integration_id = :i AND needs_action BETWEEN :from AND :to")
            .expression_attribute_values(":i", s(integration.as_str()))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(format!("{to}~")))
            .limit(page.limit.max(1) as i32)
            .set_exclusive_start_key(page.cursor.as_ref().map(cursor_key))
            .send()
            .await
            .map_err(|e| store_error("ledger", "query", e))?;
        self.reads.add(1, out.scanned_count().max(0) as u64);
        Ok(Page {
            items: out.items().iter().filter_map(parse_entry).collect(),
            next: out.last_evaluated_key().map(key_cursor),
        })
    }

    async fn counts_since(
        &self,
        integration: &IntegrationId,
        since: DateTime<Utc>,
    ) -> Result<BTreeMap<String, Counts>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("integration_id = :p AND event_id BETWEEN :from AND :to")
            .expression_attribute_values(":p", s(summary_partition(integration.as_str())))
            .expression_attribute_values(":from", s(day_key(since)))
            .expression_attribute_values(":to", s(day_key(Utc::now())));
        let since_hour = since.format("%Y-%m-%d%H").to_string();
        let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
        for item in self.query_all(query).await? {
            let Some(day) = get_s(&item, "event_id")
                .and_then(|k| k.strip_prefix("day#"))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            else {
                continue;
            };
            for (attribute, value) in &item {
                let mut parts = attribute.split('#');
                let (Some(push), Some(outcome), Some(hour), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                if format!("{}{hour}", day.format("%Y-%m-%d")) < since_hour {
                    continue;
                }
                let by = value
                    .as_n()
                    .ok()
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
                    .max(0) as usize;
                if by == 0 {
                    continue;
                }
                let c = counts.entry(push.to_owned()).or_default();
                match outcome {
                    "landed" => c.landed += by,
                    "skipped" => c.skipped += by,
                    "failed" => c.failed += by,
                    _ => {}
                }
            }
        }
        Ok(counts)
    }
}

/// Replay jobs: one record per integration in its summary partition.
#[async_trait]
impl ReplayJobs for DynamoLedger {
    async fn get(&self, integration: &IntegrationId) -> Result<Option<ReplayJob>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("integration_id", s(summary_partition(integration.as_str())))
            .key("event_id", s("replay_job"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("ledger", "get", e))?;
        Ok(out
            .item()
            .and_then(|i| get_s(i, "job"))
            .and_then(|j| serde_json::from_str(j).ok()))
    }

    async fn put(&self, integration: &IntegrationId, job: &ReplayJob) -> Result<(), StoreError> {
        let json = serde_json::to_string(job)
            .map_err(|e| StoreError::new("ledger", "put", e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("integration_id", s(summary_partition(integration.as_str())))
            .item("event_id", s("replay_job"))
            .item("job", s(json))
            .send()
            .await
            .map_err(|e| store_error("ledger", "put", e))?;
        Ok(())
    }
}
