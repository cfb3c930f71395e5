//! "What is syncing, and why not?" per integration: active or not, connection health,
//! the last nightly run, and per push type the last success and recent problems, each
//! with a plain reason and a remedy. The admin API answers it as JSON, `hona-ops`
//! prints it as text: one piece of code decides what it says.

use crate::diagnosis::{Diagnosis, diagnose, not_sent_through_hona};
use crate::nightly::NightlyReport;
use crate::ports::{BrokenMapping, LedgerSummary};
use crate::settings::IntegrationRecord;
use chrono::{DateTime, Utc};
use hona_domain::Reason;
use hona_domain::ids::EventId;
use hona_domain::outcome::{LedgerEntry, Outcome, PushType};
use serde::Serialize;
use std::fmt::Write as _;

/// How many recent problems are listed per push type.
pub const RECENT: usize = 5;

pub const PUSH_TYPES: [PushType; 5] = [
    PushType::Messages,
    PushType::Notifications,
    PushType::Documents,
    PushType::FormFields,
    PushType::Leads,
];

/// The symptom a firm reports for each push type.
pub fn symptom(push_type: PushType) -> &'static str {
    match push_type {
        PushType::Messages => "messages not logging",
        PushType::Notifications => "notifications not logging",
        PushType::Documents => "documents not appearing",
        PushType::FormFields => "form field not updating",
        PushType::Leads => "lead not converting",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IntegrationStatus {
    pub integration_id: String,
    pub org_id: String,
    pub active: bool,
    pub connection: Connection,
    pub settings: Settings,
    pub last_nightly: Option<NightlyReport>,
    /// Whole-integration problems first (inactive, reconnect needed), in plain words.
    pub problems: Vec<Diagnosis>,
    pub push_types: Vec<PushTypeStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub firm_uuid: Option<String>,
    pub healthy: bool,
    /// Why MyCase refused, when it did.
    pub needs_reconnect: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub log_target: &'static str,
    pub time_zone: String,
    pub sender_staff_id: i64,
    pub documents_folder: Option<String>,
    pub lead_automation: Option<&'static str>,
    pub nightly_hour: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PushTypeStatus {
    pub push_type: PushType,
    pub symptom: &'static str,
    pub last_success: Option<DateTime<Utc>>,
    pub landed: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Most recent first, at most [`RECENT`]: failures, skips and remarks.
    pub recent_problems: Vec<Problem>,
    /// Said when there is nothing to look at (e.g. no document was ever sent through Hona).
    pub note: Option<Diagnosis>,
    /// Form fields only: mappings that cannot be written through (the nightly re-check
    /// and every push mark them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub broken_mappings: Vec<BrokenMappingStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BrokenMappingStatus {
    #[serde(flatten)]
    pub mapping: BrokenMapping,
    pub remedy: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub event_id: String,
    pub event_type: String,
    pub case_id: Option<i64>,
    pub recorded_at: DateTime<Utc>,
    /// `failed`, `skipped` or `landed_with_remark`.
    pub outcome: &'static str,
    #[serde(flatten)]
    pub diagnosis: Diagnosis,
    /// The ledger's own sentence (field names, ids; never personal data).
    pub detail: Option<String>,
}

fn problems_of(entry: &LedgerEntry) -> Vec<Problem> {
    let problem = |outcome, kind: &Reason, detail: Option<String>| Problem {
        event_id: entry.event_id.to_string(),
        event_type: entry.event_type.clone(),
        case_id: entry.case_id.map(|c| c.get()),
        recorded_at: entry.recorded_at,
        outcome,
        diagnosis: diagnose(kind),
        detail,
    };
    match &entry.outcome {
        Outcome::Failed(failure) => vec![problem(
            "failed",
            &failure.reason,
            Some(failure.detail.clone()),
        )],
        Outcome::Skipped { reason } => vec![problem("skipped", reason, None)],
        Outcome::Landed(landed) => landed
            .remarks
            .iter()
            .map(|r| problem("landed_with_remark", &r.kind, Some(r.detail.clone())))
            .collect(),
    }
}

/// Whether a row shows up among a push type's recent problems.
pub fn is_problem(entry: &LedgerEntry) -> bool {
    match &entry.outcome {
        Outcome::Landed(landed) => !landed.remarks.is_empty(),
        Outcome::Skipped { .. } | Outcome::Failed { .. } => true,
    }
}

/// The summaries rows add up to (what the ledger's summary records hold; the fakes and the
/// backfill of rows recorded before there were summaries compute them this way).
pub fn summaries_of(entries: &[LedgerEntry]) -> Vec<LedgerSummary> {
    PUSH_TYPES
        .iter()
        .filter_map(|&push_type| {
            let rows: Vec<&LedgerEntry> = entries
                .iter()
                .filter(|e| e.push_type == push_type)
                .collect();
            if rows.is_empty() {
                return None;
            }
            let mut s = LedgerSummary::empty(push_type);
            for e in rows {
                match e.outcome {
                    Outcome::Landed { .. } => {
                        s.landed += 1;
                        s.last_success = s.last_success.max(Some(e.recorded_at));
                    }
                    Outcome::Skipped { .. } => s.skipped += 1,
                    Outcome::Failed { .. } => {
                        s.failed += 1;
                        s.last_failure = s.last_failure.max(Some(e.recorded_at));
                    }
                }
            }
            Some(s)
        })
        .collect()
}

/// A push type's most recent problem rows, newest first, at most `limit` (in memory).
pub fn recent_problem_rows(
    entries: &[LedgerEntry],
    push_type: PushType,
    limit: usize,
) -> Vec<LedgerEntry> {
    let mut rows: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| e.push_type == push_type && is_problem(e))
        .collect();
    rows.sort_by_key(|e| std::cmp::Reverse((e.recorded_at, e.event_id.clone())));
    rows.into_iter().take(limit).cloned().collect()
}

/// Builds the status from the record, all of the integration's ledger rows and its broken
/// form mappings (in memory; the service reads summaries and recent problems instead).
pub fn status(
    record: &IntegrationRecord,
    ledger: &[LedgerEntry],
    broken_mappings: &[BrokenMapping],
) -> IntegrationStatus {
    let recent: Vec<LedgerEntry> = PUSH_TYPES
        .iter()
        .flat_map(|&p| recent_problem_rows(ledger, p, RECENT))
        .collect();
    status_from(record, &summaries_of(ledger), &recent, broken_mappings)
}

/// Builds the status from the record, the ledger's per push type summaries, the most
/// recent problem rows (at most [`RECENT`] per push type suffice) and the broken form
/// mappings. Nothing here grows with the integration's history.
pub fn status_from(
    record: &IntegrationRecord,
    summaries: &[LedgerSummary],
    recent: &[LedgerEntry],
    broken_mappings: &[BrokenMapping],
) -> IntegrationStatus {
    let i = &record.integration;
    let mut problems = Vec::new();
    if !i.active {
        problems.push(diagnose(&Reason::IntegrationInactive));
    }
    if i.needs_reconnect.is_some() {
        problems.push(diagnose(&Reason::ReconnectNeeded));
    }
    let push_types = PUSH_TYPES
        .iter()
        .map(|&push_type| {
            let summary = summaries
                .iter()
                .find(|s| s.push_type == push_type)
                .cloned()
                .unwrap_or_else(|| LedgerSummary::empty(push_type));
            push_type_status(&summary, record, recent, broken_mappings)
        })
        .collect();
    IntegrationStatus {
        integration_id: i.id.to_string(),
        org_id: i.org_id.to_string(),
        active: i.active,
        connection: Connection {
            firm_uuid: i.firm_uuid.clone(),
            healthy: i.needs_reconnect.is_none() && i.firm_uuid.is_some(),
            needs_reconnect: i.needs_reconnect.clone(),
        },
        settings: Settings {
            log_target: i.log_target.as_str(),
            time_zone: i.time_zone.name().to_owned(),
            sender_staff_id: i.sender_staff_id.get(),
            documents_folder: i.documents_folder.clone(),
            lead_automation: i.lead_automation.map(|m| m.as_str()),
            nightly_hour: record.nightly_hour.get(),
        },
        last_nightly: record.last_nightly.clone(),
        problems,
        push_types,
    }
}

/// One push type's part of the status: its rows of the ledger, newest first.
fn push_type_status(
    summary: &LedgerSummary,
    record: &IntegrationRecord,
    recent: &[LedgerEntry],
    broken_mappings: &[BrokenMapping],
) -> PushTypeStatus {
    let i = &record.integration;
    let push_type = summary.push_type;
    let mut rows: Vec<&LedgerEntry> = recent.iter().filter(|e| e.push_type == push_type).collect();
    rows.sort_by_key(|e| std::cmp::Reverse(e.recorded_at));
    let recent_problems: Vec<Problem> = rows
        .iter()
        .flat_map(|e| problems_of(e))
        .take(RECENT)
        .collect();
    let never_recorded = summary.landed + summary.skipped + summary.failed == 0;
    let note = match push_type {
        PushType::Documents if never_recorded => Some(not_sent_through_hona()),
        PushType::Leads if i.lead_automation.is_none() => Some(diagnose(&Reason::NoLeadAutomation)),
        _ => None,
    };
    PushTypeStatus {
        push_type,
        symptom: symptom(push_type),
        last_success: summary.last_success,
        landed: summary.landed as usize,
        skipped: summary.skipped as usize,
        failed: summary.failed as usize,
        recent_problems,
        note,
        broken_mappings: if push_type == PushType::FormFields {
            broken_mappings
                .iter()
                .map(|m| BrokenMappingStatus {
                    mapping: m.clone(),
                    remedy: diagnose(&m.kind).remedy,
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// What happened to one event ("a client says this document never appeared").
#[derive(Debug, Clone, Serialize)]
pub struct EventExplanation {
    pub event_id: String,
    /// `landed`, `skipped`, `failed` or `not_found`.
    pub outcome: &'static str,
    pub push_type: Option<PushType>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub problems: Vec<Problem>,
    /// Set when Hona never saw the event.
    pub note: Option<Diagnosis>,
}

pub fn explain_event(ledger: &[LedgerEntry], event_id: &EventId) -> EventExplanation {
    explain(ledger.iter().find(|e| &e.event_id == event_id), event_id)
}

/// The explanation of one event from its row (`None`: never recorded, or expired).
pub fn explain(row: Option<&LedgerEntry>, event_id: &EventId) -> EventExplanation {
    match row {
        Some(e) => EventExplanation {
            event_id: event_id.to_string(),
            outcome: e.outcome.name(),
            push_type: Some(e.push_type),
            recorded_at: Some(e.recorded_at),
            problems: problems_of(e),
            note: None,
        },
        None => EventExplanation {
            event_id: event_id.to_string(),
            outcome: "not_found",
            push_type: None,
            recorded_at: None,
            problems: Vec::new(),
            note: Some(not_sent_through_hona()),
        },
    }
}

fn nightly_line(last: Option<&NightlyReport>) -> String {
    let Some(n) = last else {
        return "never run".to_owned();
    };
    format!(
        "{} at {} ({} ms){}{}",
        n.status,
        n.started_at.format("%Y-%m-%d %H:%M UTC"),
        n.duration_ms,
        n.reason
            .as_ref()
            .map(|r| format!(", reason {r}"))
            .unwrap_or_default(),
        n.mappings
            .as_ref()
            .map(|m| format!(
                ", {} mappings checked, {} broken",
                m.mappings_checked,
                m.broken.len()
            ))
            .unwrap_or_default(),
    )
}

fn render_push_type(out: &mut String, t: &PushTypeStatus) {
    let last = t
        .last_success
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into());
    let _ = writeln!(
        out,
        "\n  {} ({}): last success {last}; {} landed, {} skipped, {} failed",
        t.push_type.as_str(),
        t.symptom,
        t.landed,
        t.skipped,
        t.failed
    );
    if let Some(note) = &t.note {
        let _ = writeln!(out, "    · {}\n      → {}", note.reason, note.remedy);
    }
    for m in &t.broken_mappings {
        let _ = writeln!(
            out,
            "    - mapping form {} question {} → field {} BROKEN [{}] {}\n      → {}",
            m.mapping.form_id,
            m.mapping.question_id,
            m.mapping.field_id,
            m.mapping.kind,
            m.mapping.reason,
            m.remedy
        );
    }
    for p in &t.recent_problems {
        let _ = writeln!(
            out,
            "    - {} {} [{}] {}\n      → {}",
            p.event_id, p.outcome, p.diagnosis.kind, p.diagnosis.reason, p.diagnosis.remedy
        );
    }
}

/// The status as an operator reads it in a terminal.
pub fn render_text(s: &IntegrationStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Integration {} (org {})", s.integration_id, s.org_id);
    let _ = writeln!(out, "  Active:     {}", if s.active { "yes" } else { "NO" });
    let connection = match (&s.connection.needs_reconnect, &s.connection.firm_uuid) {
        (Some(why), _) => format!("NEEDS RECONNECT ({why})"),
        (None, Some(firm)) => format!("healthy (MyCase firm {firm})"),
        (None, None) => "not connected".to_owned(),
    };
    let _ = writeln!(out, "  Connection: {connection}");
    let nightly = nightly_line(s.last_nightly.as_ref());
    let _ = writeln!(out, "  Last nightly sync: {nightly}");
    let _ = writeln!(
        out,
        "  Settings:   log to {}, zone {}, nightly at {:02}:00, lead automation {}",
        s.settings.log_target,
        s.settings.time_zone,
        s.settings.nightly_hour,
        s.settings.lead_automation.unwrap_or("none"),
    );
    for p in &s.problems {
        let _ = writeln!(out, "  ! {}\n    → {}", p.reason, p.remedy);
    }
    for t in &s.push_types {
        render_push_type(&mut out, t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::NightlyHour;
    use hona_domain::PushError;
    use hona_domain::ids::{CaseId, IntegrationId, OrgId, StaffId};
    use hona_domain::integration::{Integration, LogTarget};
    use hona_domain::outcome::{Landed, MyCaseRef, Remark};

    fn record(active: bool, needs_reconnect: Option<&str>) -> IntegrationRecord {
        IntegrationRecord {
            integration: Integration {
                id: IntegrationId::parse("int_a").unwrap(),
                org_id: OrgId::parse("org_a").unwrap(),
                active,
                sender_staff_id: StaffId::new(9).unwrap(),
                log_target: LogTarget::Thread,
                time_zone: chrono_tz::America::Chicago,
                firm_uuid: Some("firm-1".into()),
                documents_folder: None,
                lead_automation: None,
                needs_reconnect: needs_reconnect.map(str::to_owned),
            },
            nightly_hour: NightlyHour::default(),
            last_nightly: None,
        }
    }

    fn row(id: &str, push_type: PushType, minutes_ago: i64, outcome: Outcome) -> LedgerEntry {
        LedgerEntry {
            integration_id: IntegrationId::parse("int_a").unwrap(),
            event_id: EventId::parse(id).unwrap(),
            event_type: "x".into(),
            push_type,
            case_id: Some(CaseId::new(7).unwrap()),
            event_time: String::new(),
            recorded_at: Utc::now() - chrono::Duration::minutes(minutes_ago),
            outcome,
            event_json: None,
        }
    }

    fn failed(kind: Reason) -> Outcome {
        Outcome::Failed(PushError {
            reason: kind,
            detail: "MyCase said no.".into(),
            permanent: true,
        })
    }

    #[test]
    fn the_four_symptoms_get_their_reasons() {
        let ledger = vec![
            row(
                "evt_m1",
                PushType::Messages,
                30,
                Outcome::Landed(Landed {
                    refs: vec![MyCaseRef::new("message", 1)],
                    remarks: vec![],
                }),
            ),
            row(
                "evt_m2",
                PushType::Messages,
                20,
                Outcome::Skipped {
                    reason: Reason::IntegrationInactive,
                },
            ),
            row(
                "evt_m3",
                PushType::Messages,
                10,
                failed(Reason::CaseNotFound),
            ),
            row(
                "evt_f1",
                PushType::FormFields,
                5,
                Outcome::Landed(Landed {
                    refs: vec![MyCaseRef::new("case", 7)],
                    remarks: vec![Remark::new(
                        Reason::MappingBroken,
                        "question q1: field 12 was deleted",
                    )],
                }),
            ),
            row(
                "evt_f2",
                PushType::FormFields,
                4,
                Outcome::Skipped {
                    reason: Reason::NoMappedAnswers,
                },
            ),
            row(
                "evt_l1",
                PushType::Leads,
                3,
                Outcome::Skipped {
                    reason: Reason::NoLeadAutomation,
                },
            ),
        ];
        let broken = [BrokenMapping {
            form_id: "frm_intake".into(),
            question_id: "q_injury".into(),
            field_id: 12,
            kind: Reason::FieldDeleted,
            reason: "custom field 12 no longer exists in MyCase".into(),
        }];
        let s = status(&record(false, Some("invalid_grant")), &ledger, &broken);
        assert!(!s.active && !s.connection.healthy);
        let kinds: Vec<&str> = s.problems.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds, vec!["integration_inactive", "reconnect_needed"]);

        let of = |p: PushType| s.push_types.iter().find(|t| t.push_type == p).unwrap();
        let messages = of(PushType::Messages);
        assert_eq!(
            (messages.landed, messages.skipped, messages.failed),
            (1, 1, 1)
        );
        assert!(messages.last_success.is_some());
        let kinds: Vec<&str> = messages
            .recent_problems
            .iter()
            .map(|p| p.diagnosis.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            vec!["case_not_found", "integration_inactive"],
            "most recent first"
        );
        assert!(
            messages.recent_problems[0]
                .diagnosis
                .remedy
                .contains("Re-link")
        );

        let documents = of(PushType::Documents);
        assert_eq!(
            documents.note.as_ref().unwrap().kind,
            Reason::NotSentThroughHona
        );

        let forms = of(PushType::FormFields);
        assert_eq!(forms.symptom, "form field not updating");
        let kinds: Vec<&str> = forms
            .recent_problems
            .iter()
            .map(|p| p.diagnosis.kind.as_str())
            .collect();
        assert_eq!(kinds, vec!["no_mapped_answers", "mapping_broken"]);
        assert_eq!(forms.broken_mappings.len(), 1);
        assert!(forms.broken_mappings[0].remedy.contains("Re-map"));
        assert!(of(PushType::Messages).broken_mappings.is_empty());

        let leads = of(PushType::Leads);
        assert_eq!(leads.note.as_ref().unwrap().kind, Reason::NoLeadAutomation);
        assert!(leads.last_success.is_none());

        let text = render_text(&s);
        assert!(text.contains("Active:     NO"), "{text}");
        assert!(text.contains("NEEDS RECONNECT (invalid_grant)"), "{text}");
        assert!(text.contains("form field not updating"), "{text}");
        assert!(text.contains("Map the form's questions"), "{text}");
        assert!(
            text.contains("question q_injury → field 12 BROKEN [field_deleted]"),
            "{text}"
        );
    }

    #[test]
    fn an_event_hona_never_saw_is_not_sent_through_hona() {
        let ledger = vec![row(
            "evt_d1",
            PushType::Documents,
            5,
            failed(Reason::UploadFailed),
        )];
        let e = explain_event(&ledger, &EventId::parse("evt_d1").unwrap());
        assert_eq!(e.outcome, "failed");
        assert_eq!(e.problems[0].diagnosis.kind, Reason::UploadFailed);
        let e = explain_event(&ledger, &EventId::parse("evt_elsewhere").unwrap());
        assert_eq!(e.outcome, "not_found");
        assert_eq!(e.note.unwrap().kind, Reason::NotSentThroughHona);
    }
}
