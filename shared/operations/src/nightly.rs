//! The nightly sync. An hourly schedule starts it; each integration runs once a day at
//! its nightly hour in its own zone (default midnight). The starter fans out one queue
//! message per integration due; the worker, per integration, keeps the MyCase grant
//! alive, checks the connection, refreshes the custom-field catalogue and re-checks
//! form mappings, re-drives failed pushes within a budget, and writes a report.

use crate::paging::{MAX_LIMIT, PageRequest};
use crate::ports::{
    ActionQuery, EventQueues, FormMappingCheck, IntegrationAdmin, LedgerHistory, MappingCheck,
    MyCaseHealth, NeedsAction, NightlyFanOut,
};
use crate::replay;
use crate::settings::{IntegrationRecord, NightlyHour};
use chrono::{DateTime, Duration, Timelike, Utc};
use hona_domain::Reason;
use hona_domain::StoreError;
use hona_domain::error::PushError;
use hona_domain::ids::IntegrationId;
use hona_domain::integration::Integration;
use hona_domain::leads::index::ClientIndexUpkeep;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::{info, warn};

/// Whether an hourly run at `now` is the one for `hour` in `zone`.
///
/// Exactly once per local day, across daylight-saving changes: due when the local hour
/// `hour` began within the last hour. On the spring-forward night a nightly hour that
/// does not exist (02:00 in New York) runs at the first hour after the gap; on the
/// fall-back night the repeated hour does not run a second time.
pub fn is_due(zone: chrono_tz::Tz, hour: NightlyHour, now: DateTime<Utc>) -> bool {
    let local_now = now.with_timezone(&zone);
    let local_before = (now - Duration::hours(1)).with_timezone(&zone);
    let (before, current) = (local_before.hour(), local_now.hour());
    let target = hour.get();
    if before == current {
        // The repeated hour of a fall-back night: it already ran the first time.
        return false;
    }
    // The local hours that began in (now - 1h, now]: from `before + 1` to `current`,
    // wrapping at midnight. Normally just `current`; two across a spring-forward gap.
    let mut h = (before + 1) % 24;
    loop {
        if h == target {
            return true;
        }
        if h == current {
            return false;
        }
        h = (h + 1) % 24;
    }
}

/// What the starter does with one integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Active and due: one message on the nightly queue.
    Run,
    /// Due but inactive: recorded as skipped, nothing sent to MyCase.
    SkipInactive,
    NotDue,
}

/// The starter's decision per integration. `run_all` (a manual trigger) ignores the hour.
pub fn plan(record: &IntegrationRecord, now: DateTime<Utc>, run_all: bool) -> Plan {
    let i = &record.integration;
    if !run_all && !is_due(i.time_zone, record.nightly_hour, now) {
        Plan::NotDue
    } else if i.active {
        Plan::Run
    } else {
        Plan::SkipInactive
    }
}

/// What one starter run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StartReport {
    pub integrations: usize,
    pub sent: usize,
    pub skipped_inactive: usize,
    pub not_due: usize,
}

/// The starter: decides per integration, records due inactive ones as skipped, and
/// fans out one message per due active one. `Err` (a store) makes the scheduler retry;
/// a second fan-out only repeats idempotent work.
pub async fn start(
    admin: &dyn IntegrationAdmin,
    fan_out: &dyn NightlyFanOut,
    now: DateTime<Utc>,
    run_all: bool,
) -> Result<StartReport, StoreError> {
    let records = admin.list().await?;
    let mut report = StartReport {
        integrations: records.len(),
        ..StartReport::default()
    };
    let mut due = Vec::new();
    for record in &records {
        match plan(record, now, run_all) {
            Plan::Run => due.push(record.integration.id.clone()),
            Plan::SkipInactive => {
                admin
                    .record_nightly(
                        &record.integration.id,
                        &NightlyReport::skipped(Reason::IntegrationInactive, now),
                    )
                    .await?;
                report.skipped_inactive += 1;
            }
            Plan::NotDue => report.not_due += 1,
        }
    }
    let run = if run_all {
        format!("manual-{}", now.format("%Y%m%dT%H%M%S"))
    } else {
        now.format("%Y%m%dT%H").to_string()
    };
    report.sent = fan_out.send(&due, &run).await?;
    info!(
        integrations = report.integrations,
        sent = report.sent,
        skipped_inactive = report.skipped_inactive,
        not_due = report.not_due,
        "nightly fan-out done"
    );
    Ok(report)
}

/// Ledger counts of one push type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub landed: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// What one nightly run of one integration did (kept on the integration record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightlyReport {
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// `ok`, `skipped`, `needs_reconnect` or `failed`.
    pub status: String,
    /// Machine-readable, when not `ok` (e.g. `integration_inactive`, `reconnect_needed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    pub token_refreshed: bool,
    pub connection_ok: bool,
    /// `None`: not run (the connection failed first, or mappings are not available).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mappings: Option<MappingCheck>,
    /// Ledger rows recorded in the 24 hours before the run (to the hour), per push type.
    #[serde(default)]
    pub counts: BTreeMap<String, Counts>,
    /// Failed pushes re-sent to their queue, per push type.
    #[serde(default)]
    pub redriven: BTreeMap<String, usize>,
    /// Kinds of what went wrong in this run (never personal data).
    #[serde(default)]
    pub failures: Vec<String>,
}

impl NightlyReport {
    pub fn skipped(reason: Reason, now: DateTime<Utc>) -> Self {
        Self::new("skipped", Some(reason), now)
    }

    fn new(status: &str, reason: Option<Reason>, now: DateTime<Utc>) -> Self {
        Self {
            started_at: now,
            duration_ms: 0,
            status: status.into(),
            reason,
            token_refreshed: false,
            connection_ok: false,
            mappings: None,
            counts: BTreeMap::new(),
            redriven: BTreeMap::new(),
            failures: Vec::new(),
        }
    }
}

/// The worker: one integration's nightly run.
pub struct NightlyWorker {
    pub admin: Arc<dyn IntegrationAdmin>,
    pub ledger: Arc<dyn LedgerHistory>,
    pub health: Arc<dyn MyCaseHealth>,
    /// Issue 4's catalogue refresh and mapping re-check, when the bundle has it.
    pub mappings: Option<Arc<dyn FormMappingCheck>>,
    /// Lead matching's client index, caught up with MyCase (or its build carried on).
    pub client_index: Option<ClientIndexUpkeep>,
    pub queues: Arc<dyn EventQueues>,
    /// Failed pushes re-driven per integration per night, at most.
    pub redrive_budget: usize,
}

impl NightlyWorker {
    /// Runs one integration. `Err` only when a store failed (the message is retried);
    /// everything MyCase says ends up in the report.
    pub async fn run(
        &self,
        id: &IntegrationId,
        deadline: tokio::time::Instant,
    ) -> Result<NightlyReport, StoreError> {
        let started = std::time::Instant::now();
        let now = Utc::now();
        let Some(record) = self.admin.record(id).await? else {
            warn!(integration_id = %id, "nightly run for an unknown integration; nothing to do");
            return Ok(NightlyReport::skipped(Reason::UnknownIntegration, now));
        };
        let integration = &record.integration;
        if !integration.active {
            // Deactivated since the fan-out.
            let report = NightlyReport::skipped(Reason::IntegrationInactive, now);
            self.admin.record_nightly(id, &report).await?;
            return Ok(report);
        }
        let mut report = NightlyReport::new("ok", None, now);
        self.check_connection(&mut report, integration, deadline)
            .await?;
        self.count_and_redrive(&mut report, id, now).await?;
        report.duration_ms = started.elapsed().as_millis() as u64;
        self.admin.record_nightly(id, &report).await?;
        info!(
            integration_id = %id,
            status = %report.status,
            token_refreshed = report.token_refreshed,
            connection_ok = report.connection_ok,
            redriven = report.redriven.values().sum::<usize>(),
            duration_ms = report.duration_ms,
            "nightly sync done"
        );
        Ok(report)
    }

    /// Steps 1 to 3: the grant, the connection, the catalogue and form mappings.
    async fn check_connection(
        &self,
        report: &mut NightlyReport,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<(), StoreError> {
        let id = &integration.id;
        // 1. The grant: refreshing restarts MyCase's two-week refresh window.
        match self.health.keep_alive(integration).await {
            Ok(()) => report.token_refreshed = true,
            Err(e) => self.note_failure(report, id, "token_refresh", &e).await?,
        }
        // 2. The connection, with the tokens we now hold.
        if report.reason.is_none() {
            match self.health.check(integration).await {
                Ok(()) => report.connection_ok = true,
                Err(e) => self.note_failure(report, id, "connection", &e).await?,
            }
        }
        // 3. Custom-field catalogue and form mappings.
        if report.connection_ok
            && let Some(mappings) = &self.mappings
        {
            match mappings.refresh_and_recheck(integration, deadline).await {
                Ok(check) => report.mappings = Some(check),
                Err(e) => {
                    warn!(integration_id = %id, kind = %e.reason, "mapping re-check failed");
                    report.failures.push(format!("mappings: {}", e.reason));
                }
            }
        }
        // 3b. The client index lead matching reads: one request when nothing changed.
        if report.connection_ok
            && let Some(index) = &self.client_index
            && let Err(e) = index.refresh(integration, deadline).await
        {
            warn!(integration_id = %id, kind = %e.reason, "client index refresh failed");
            report.failures.push(format!("client_index: {}", e.reason));
        }
        Ok(())
    }

    /// Step 4: the day's counts from the ledger, and the re-drive.
    async fn count_and_redrive(
        &self,
        report: &mut NightlyReport,
        id: &IntegrationId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // 4. The day's ledger, and re-driving what failed (only with a working connection:
        //    otherwise each would just fail again).
        //    Both read only what they need: the day's counts from the per-day count records,
        //    the failures from the ledger's index of rows needing action, in the re-drive's
        //    age window.
        report.counts = self
            .ledger
            .counts_since(id, now - Duration::hours(24))
            .await?;
        if report.connection_ok {
            let failed = self.failures_to_redrive(id, now).await?;
            let rows = replay::redrivable(&failed, now, self.redrive_budget);
            let sent = replay::resend(&rows, self.queues.as_ref(), &|_| {}).await;
            if sent.not_sent > 0 {
                report
                    .failures
                    .push(format!("redrive: {} not sent", sent.not_sent));
            }
            report.redriven = sent.sent;
        }
        Ok(())
    }

    /// The failed rows old enough and young enough to re-drive (the index of rows needing
    /// action, in the age window), oldest first, at most a budget's worth of pages.
    async fn failures_to_redrive(
        &self,
        id: &IntegrationId,
        now: DateTime<Utc>,
    ) -> Result<Vec<hona_domain::outcome::LedgerEntry>, StoreError> {
        let query = ActionQuery {
            kind: NeedsAction::Failed,
            from: Some(now - replay::REDRIVE_MAX_AGE),
            to: Some(now - replay::REDRIVE_MIN_AGE),
        };
        let mut rows = Vec::new();
        let mut page = PageRequest::first(MAX_LIMIT);
        loop {
            let got = self.ledger.needing_action(id, &query, &page).await?;
            rows.extend(got.items);
            // Failures that are never re-driven (bad input) are read too, so a budget's
            // worth of re-drivable ones may take more than one page.
            let redrivable = replay::redrivable(&rows, now, self.redrive_budget).len();
            match got.next {
                Some(next) if redrivable < self.redrive_budget => {
                    page = PageRequest {
                        cursor: Some(next),
                        limit: MAX_LIMIT,
                    }
                }
                _ => return Ok(rows),
            }
        }
    }

    async fn note_failure(
        &self,
        report: &mut NightlyReport,
        id: &IntegrationId,
        step: &str,
        e: &PushError,
    ) -> Result<(), StoreError> {
        warn!(integration_id = %id, step, kind = %e.reason, "nightly step failed");
        report.failures.push(format!("{step}: {}", e.reason));
        if e.reason == Reason::ReconnectNeeded {
            report.status = "needs_reconnect".into();
            report.reason = Some(Reason::ReconnectNeeded);
            self.admin.mark_needs_reconnect(id, &e.detail).await?;
        } else {
            report.status = "failed".into();
            report.reason = Some(if e.permanent {
                e.reason.clone()
            } else {
                Reason::ConnectionFailed
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::{Los_Angeles, New_York};
    use chrono_tz::Asia::Kolkata;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn hours_due(zone: chrono_tz::Tz, hour: u32, day: (i32, u32, u32)) -> Vec<DateTime<Utc>> {
        let start = utc(day.0, day.1, day.2, 0, 5);
        (0..48)
            .map(|i| start + Duration::hours(i))
            .filter(|t| is_due(zone, NightlyHour::new(hour.into()).unwrap(), *t))
            .collect()
    }

    #[test]
    fn midnight_in_the_firms_zone_once_a_day() {
        // 00:05 PST on Nov 25 is 08:05 UTC.
        let due = hours_due(Los_Angeles, 0, (2026, 11, 25));
        assert_eq!(due, vec![utc(2026, 11, 25, 8, 5), utc(2026, 11, 26, 8, 5)]);
        // A half-hour zone: the run is in the hourly slot where 02:00 IST began.
        let due = hours_due(Kolkata, 2, (2026, 11, 25));
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].with_timezone(&Kolkata).hour(), 2);
    }

    #[test]
    fn daylight_saving_nights_run_exactly_once() {
        // Spring forward: 2026-03-08 02:00 EST does not exist in New York.
        let due = hours_due(New_York, 2, (2026, 3, 8));
        let on_the_night: Vec<_> = due
            .iter()
            .filter(|t| t.with_timezone(&New_York).date_naive().to_string() == "2026-03-08")
            .collect();
        assert_eq!(on_the_night.len(), 1, "{due:?}");
        assert_eq!(on_the_night[0].with_timezone(&New_York).hour(), 3);
        // Fall back: 01:00 happens twice on 2026-11-01 in New York.
        let due = hours_due(New_York, 1, (2026, 11, 1));
        let on_the_night = due
            .iter()
            .filter(|t| t.with_timezone(&New_York).date_naive().to_string() == "2026-11-01")
            .count();
        assert_eq!(on_the_night, 1, "{due:?}");
    }
}

#[cfg(test)]
mod worker_tests {
    use super::*;
    use crate::fakes::{FakeHealth, MemoryAdmin, MemoryQueues};
    use hona_domain::fakes::MemoryLedger;
    use hona_domain::ids::{EventId, OrgId, StaffId};
    use hona_domain::integration::Integration;
    use hona_domain::outcome::{LedgerEntry, Outcome, PushType};
    use hona_domain::ports::Ledger;

    fn integration(id: &str, active: bool) -> Integration {
        Integration {
            id: IntegrationId::parse(id).unwrap(),
            org_id: OrgId::parse("org_a").unwrap(),
            active,
            sender_staff_id: StaffId::new(1).unwrap(),
            log_target: Default::default(),
            time_zone: chrono_tz::UTC,
            firm_uuid: Some("f".into()),
            documents_folder: None,
            lead_automation: None,
            needs_reconnect: None,
        }
    }

    #[tokio::test]
    async fn active_revoked_and_inactive_integrations_each_get_their_report() {
        let admin = Arc::new(MemoryAdmin::with([
            integration("int_ok", true),
            integration("int_revoked", true),
            integration("int_off", false),
        ]));
        let ledger = Arc::new(MemoryLedger::default());
        for (id, hours, kind) in [
            ("evt_1", 3, Reason::MyCaseUnavailable),
            ("evt_2", 2, Reason::CaseNotFound),
            ("evt_3", 2, Reason::MissingField),
        ] {
            ledger
                .record(&LedgerEntry {
                    integration_id: IntegrationId::parse("int_ok").unwrap(),
                    event_id: EventId::parse(id).unwrap(),
                    event_type: "message.logged".into(),
                    push_type: PushType::Messages,
                    case_id: None,
                    event_time: String::new(),
                    recorded_at: Utc::now() - Duration::hours(hours),
                    outcome: Outcome::Failed(PushError {
                        reason: kind,
                        detail: "r".into(),
                        permanent: true,
                    }),
                    event_json: Some("{}".into()),
                })
                .await
                .unwrap();
        }
        let health = Arc::new(FakeHealth::default());
        health
            .revoked
            .lock()
            .unwrap()
            .insert(IntegrationId::parse("int_revoked").unwrap());
        let queues = Arc::new(MemoryQueues::default());
        let worker = NightlyWorker {
            admin: admin.clone(),
            ledger,
            health: health.clone(),
            mappings: None,
            client_index: None,
            queues: queues.clone(),
            redrive_budget: 1,
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);

        let ok = worker
            .run(&IntegrationId::parse("int_ok").unwrap(), deadline)
            .await
            .unwrap();
        assert_eq!(ok.status, "ok");
        assert!(ok.token_refreshed && ok.connection_ok);
        assert_eq!(ok.counts["messages"].failed, 3);
        assert_eq!(ok.redriven["messages"], 1, "within the budget of 1");
        assert_eq!(queues.sent()[0].event_id, "evt_1", "oldest first");
        assert_eq!(admin.get("int_ok").unwrap().last_nightly, Some(ok));

        let revoked = worker
            .run(&IntegrationId::parse("int_revoked").unwrap(), deadline)
            .await
            .unwrap();
        assert_eq!(revoked.status, "needs_reconnect");
        assert!(!revoked.connection_ok);
        let record = admin.get("int_revoked").unwrap();
        assert!(
            record
                .integration
                .needs_reconnect
                .unwrap()
                .contains("invalid_grant")
        );

        let off = worker
            .run(&IntegrationId::parse("int_off").unwrap(), deadline)
            .await
            .unwrap();
        assert_eq!(
            (off.status.as_str(), off.reason),
            ("skipped", Some(Reason::IntegrationInactive))
        );
        assert_eq!(
            health.kept_alive.lock().unwrap().len(),
            1,
            "only the active, connected one"
        );
        assert_eq!(queues.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_mapping_to_a_deleted_field_is_found_broken_by_the_nightly() {
        use hona_domain::forms::fakes::{FakeFieldsConnector, MemoryMappings};
        use hona_domain::forms::{FormFieldUpkeep, Mapping, MappingStore};
        let admin = Arc::new(MemoryAdmin::with([integration("int_ok", true)]));
        let mappings = Arc::new(MemoryMappings::default());
        let saved: Mapping = serde_json::from_value(serde_json::json!({
            "integration_id": "int_ok", "form_id": "frm_intake", "question_id": "q_injury",
            "question_type": "long_text", "field_id": 12, "field_type": "long_text",
            "status": {"status": "ok"}, "saved_at": "2026-11-20T10:00:00Z"
        }))
        .unwrap();
        mappings.put(&saved).await.unwrap();
        let mycase = Arc::new(FakeFieldsConnector::default());
        // The firm's admin deleted field 12; another case field remains.
        mycase
            .firm("int_ok")
            .add_field(13, "case", "short_text", &[]);
        let worker = NightlyWorker {
            admin: admin.clone(),
            ledger: Arc::new(MemoryLedger::default()),
            health: Arc::new(FakeHealth::default()),
            mappings: Some(Arc::new(FormFieldUpkeep {
                mappings: mappings.clone(),
                mycase,
            })),
            client_index: None,
            queues: Arc::new(MemoryQueues::default()),
            redrive_budget: 10,
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        let report = worker
            .run(&IntegrationId::parse("int_ok").unwrap(), deadline)
            .await
            .unwrap();
        let check = report.mappings.expect("mappings re-checked");
        assert_eq!((check.fields, check.mappings_checked), (1, 1));
        assert_eq!(check.broken.len(), 1);
        assert_eq!(check.broken[0].kind, Reason::FieldDeleted);
        assert_eq!(check.broken[0].question_id, "q_injury");
        assert!(matches!(
            mappings.status(&saved),
            Some(hona_domain::forms::MappingStatus::Broken(_))
        ));
    }

    #[test]
    fn the_starter_runs_due_active_ones_and_skips_due_inactive_ones() {
        let rec = |active| IntegrationRecord {
            integration: integration("int_x", active),
            nightly_hour: NightlyHour::new(3).unwrap(),
            last_nightly: None,
        };
        let three = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 25, 3, 0, 10).unwrap();
        let four = three + Duration::hours(1);
        assert_eq!(plan(&rec(true), three, false), Plan::Run);
        assert_eq!(plan(&rec(false), three, false), Plan::SkipInactive);
        assert_eq!(plan(&rec(true), four, false), Plan::NotDue);
        assert_eq!(
            plan(&rec(true), four, true),
            Plan::Run,
            "a manual run takes all"
        );
    }
}
