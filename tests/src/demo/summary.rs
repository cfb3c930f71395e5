//! What the demo prints once every queue is drained: per case, what landed in MyCase
//! (read back from the sandbox's state dump), then the ledger, the dead-letter queues and
//! the MyCase request figures. [`print`] also checks the run: every event sent must have
//! landed, every file with the bytes that were uploaded, and only the malformed event may
//! be dead-lettered.

use super::SentDocument;
use crate::LocalStack;
use crate::hona::HonaEvent;
use crate::poller::drain_dlq;
use crate::scenario::{SeededFirm, documents_by_event, firm_state, sandbox_stats, threads_by_case};
use mycase_sandbox::wire::FirmState;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Everything the demo sent, by push type.
pub struct Sent<'a> {
    pub day: &'a [HonaEvent],
    pub documents: &'a [SentDocument],
    pub forms: &'a [String],
    pub leads: &'a [String],
    /// Event ids that must be dead-lettered (the malformed one has none: its reason shows).
    pub malformed: usize,
}

/// Prints the summary; returns the problems found (empty when everything landed).
pub async fn print(
    stack: &LocalStack,
    seeded: &SeededFirm,
    before: &FirmState,
    sent: &Sent<'_>,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let state = firm_state(stack, &seeded.firm_uuid).await?;
    let ledger: BTreeMap<String, Value> = stack
        .aws
        .scan_json(&stack.tables.ledger)
        .await?
        .into_iter()
        .map(|row| (row["event_id"].as_str().unwrap_or_default().to_owned(), row))
        .collect();

    println!("What landed in MyCase ({}):", seeded.firm.name);
    let threads = threads_by_case(&state);
    let documents = documents_by_event(&state);
    let field_names: BTreeMap<i64, String> = state
        .custom_fields
        .iter()
        .map(|f| (f.id, f.name.clone()))
        .collect();
    for case in &seeded.firm.cases {
        let expected = sent
            .day
            .iter()
            .filter(|e| e.case_id == case.case_id)
            .count();
        let case_threads = threads.get(&case.case_id).cloned().unwrap_or_default();
        let titles: Vec<&str> = case_threads
            .iter()
            .flat_map(|t| {
                t.entries
                    .iter()
                    .map(|(_, body)| body.lines().next().unwrap_or_default())
            })
            .collect();
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for title in &titles {
            *by_kind.entry(title).or_default() += 1;
        }
        println!("\n  Case {} — {}", case.case_id, case.client_name);
        println!(
            "    Communications: {} thread(s), {} of {} entries",
            case_threads.len(),
            titles.len(),
            expected
        );
        if titles.len() != expected {
            problems.push(format!(
                "case {}: {} of {} thread entries",
                case.case_id,
                titles.len(),
                expected
            ));
        }
        for (kind, count) in by_kind {
            println!("      {count:>3} × {kind}");
        }

        let files: Vec<&SentDocument> = sent
            .documents
            .iter()
            .filter(|d| d.case_id == case.case_id)
            .collect();
        if !files.is_empty() {
            println!("    Documents:");
        }
        for file in files {
            let landed = documents.get(&file.event_id).cloned().unwrap_or_default();
            let [doc] = landed.as_slice() else {
                println!(
                    "      ✗ {} ({}): {} document(s) in MyCase",
                    file.event_id,
                    file.source,
                    landed.len()
                );
                problems.push(format!("{}: {} documents", file.event_id, landed.len()));
                continue;
            };
            let verified = doc.uploaded_versions().next().is_some_and(|v| {
                v.sha256.as_deref() == Some(file.sha256.as_str()) && v.size_bytes == Some(file.size)
            });
            if !verified {
                problems.push(format!("{}: bytes differ from the upload", file.event_id));
            }
            println!(
                "      {} {:<48} {:>8}  sha256 {}",
                if verified { "✓" } else { "✗" },
                doc.path,
                human_size(file.size),
                if verified {
                    format!("{}… matches", &file.sha256[..12])
                } else {
                    "DIFFERS".to_owned()
                }
            );
        }

        let changed = changed_fields(before, &state, case.case_id);
        if !changed.is_empty() {
            println!("    Custom fields changed:");
        }
        for (field, from, to) in changed {
            let name = field_names.get(&field).cloned().unwrap_or_default();
            println!("      {name:<22} {from} → {to}");
        }
    }

    println!("\n  Leads → MyCase clients:");
    // A client's name parts may be blank in MyCase (null): shown as empty.
    let clients: BTreeMap<String, String> = state
        .clients
        .iter()
        .map(|c| {
            (
                format!("client:{}", c.id),
                format!(
                    "{} {}",
                    c.first_name.as_deref().unwrap_or_default(),
                    c.last_name.as_deref().unwrap_or_default()
                ),
            )
        })
        .collect();
    for id in sent.leads {
        let Some(row) = ledger.get(id) else {
            println!("    ✗ {id}: not in the ledger");
            continue;
        };
        let remarks = strings(&row["remarks"]);
        let linked = remarks
            .iter()
            .any(|r| r.starts_with("linked_existing_client"));
        for client in strings(&row["mycase_refs"]) {
            println!(
                "    {id:<28} {} {client} ({})",
                if linked {
                    "linked to existing"
                } else {
                    "created"
                },
                clients.get(&client).map(String::as_str).unwrap_or("?")
            );
        }
    }

    // Every event sent must have a ledger row saying it landed.
    let expected: Vec<&str> = sent
        .day
        .iter()
        .map(|e| e.id.as_str())
        .chain(sent.documents.iter().map(|d| d.event_id.as_str()))
        .chain(sent.forms.iter().map(String::as_str))
        .chain(sent.leads.iter().map(String::as_str))
        .collect();
    for id in &expected {
        match ledger.get(*id).and_then(|r| r["outcome"].as_str()) {
            Some("landed") => {}
            other => problems.push(format!("{id}: {}", other.unwrap_or("no ledger row"))),
        }
    }

    println!("\nLedger, per push type:");
    let mut by_type: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for row in ledger.values() {
        let outcome = row["outcome"].as_str().unwrap_or("?");
        let label = match outcome {
            "landed" => {
                let kinds: BTreeSet<String> = strings(&row["remarks"])
                    .iter()
                    .filter_map(|r| r.split(':').next().map(str::to_owned))
                    .collect();
                if kinds.is_empty() {
                    "landed".to_owned()
                } else {
                    format!(
                        "landed with remark {}",
                        kinds.into_iter().collect::<Vec<_>>().join(", ")
                    )
                }
            }
            other => format!(
                "{other} ({})",
                row["failure_kind"]
                    .as_str()
                    .or(row["reason"].as_str())
                    .unwrap_or("?")
            ),
        };
        *by_type
            .entry(row["push_type"].as_str().unwrap_or("?"))
            .or_default()
            .entry(label)
            .or_default() += 1;
    }
    for (push_type, outcomes) in &by_type {
        println!(
            "  {push_type:<14} {}",
            outcomes
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let mut dead = Vec::new();
    for queue in [
        &stack.messages,
        &stack.notifications,
        &stack.documents,
        &stack.form_fields,
        &stack.leads,
    ] {
        dead.extend(drain_dlq(&stack.aws, &queue.dlq_url).await?);
    }
    println!("Dead-letter queues: {} message(s)", dead.len());
    for d in &dead {
        let attr = |k: &str| d.message_attributes.get(k).map(String::as_str);
        println!(
            "  {} — reason {}: {}",
            attr("hona.event_id").unwrap_or("(no event id)"),
            attr("hona.reason").unwrap_or("?"),
            attr("hona.detail").unwrap_or("")
        );
    }
    if dead.len() != sent.malformed {
        problems.push(format!(
            "{} dead letter(s), expected {}",
            dead.len(),
            sent.malformed
        ));
    }

    let stats = sandbox_stats(stack).await?;
    println!(
        "MyCase requests: {} ({} answered 429), token refreshes: {}",
        stats.requests_total,
        stats.status_count(429),
        stats.token_refreshes
    );
    Ok(problems)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// (field id, value before, value after) for each of the case's custom fields whose
/// values differ between the two state dumps.
fn changed_fields(
    before: &FirmState,
    after: &FirmState,
    case_id: i64,
) -> Vec<(i64, String, String)> {
    let values = |state: &FirmState| -> BTreeMap<i64, String> {
        let mut out: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let case = state.cases.iter().find(|c| c.id == case_id);
        for v in case.into_iter().flat_map(|c| &c.custom_field_values) {
            out.entry(v.custom_field.id)
                .or_default()
                .push(v.value.to_string());
        }
        out.into_iter().map(|(k, v)| (k, v.join(" | "))).collect()
    };
    let (old, new) = (values(before), values(after));
    let ids: BTreeSet<i64> = old.keys().chain(new.keys()).copied().collect();
    ids.into_iter()
        .filter_map(|id| {
            let (from, to) = (old.get(&id), new.get(&id));
            (from != to).then(|| {
                let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(empty)".into());
                (id, show(from), show(to))
            })
        })
        .collect()
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB {
        format!("{:.1} MB", bytes as f64 / MB)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// The nightly report the run left on the firm's integration record (`last_nightly`),
/// in a few lines. A report that is not `ok` is a problem for the demo's verdict.
pub async fn print_nightly(stack: &LocalStack, seeded: &SeededFirm) -> anyhow::Result<Vec<String>> {
    let item = stack
        .aws
        .get_item_json(
            &stack.tables.integrations,
            &serde_json::json!({"integration_id": seeded.firm.integration_id}),
        )
        .await?
        .unwrap_or(Value::Null);
    let report: Value = serde_json::from_str(item["last_nightly"].as_str().unwrap_or("null"))
        .unwrap_or(Value::Null);
    println!("\nNightly sync report ({}):", seeded.firm.integration_id);
    if report.is_null() {
        println!("  none recorded");
        return Ok(vec!["the nightly sync left no report".into()]);
    }
    let yes_no = |v: &Value| {
        if v.as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        }
    };
    println!(
        "  status {}, token refreshed: {}, MyCase connection ok: {}, {} ms",
        report["status"].as_str().unwrap_or("?"),
        yes_no(&report["token_refreshed"]),
        yes_no(&report["connection_ok"]),
        report["duration_ms"]
    );
    let mappings = &report["mappings"];
    if mappings.is_object() {
        println!(
            "  custom-field catalogue: {} case fields; form mappings re-checked: {}, broken: {}",
            mappings["fields"],
            mappings["mappings_checked"],
            mappings["broken"].as_array().map_or(0, Vec::len)
        );
    }
    if let Some(counts) = report["counts"].as_object() {
        let line: Vec<String> = counts
            .iter()
            .map(|(push_type, c)| {
                format!(
                    "{push_type} {} landed, {} skipped, {} failed",
                    c["landed"], c["skipped"], c["failed"]
                )
            })
            .collect();
        println!("  last 24 h per push type: {}", line.join("; "));
    }
    let mut problems = Vec::new();
    if report["status"] != "ok" {
        problems.push(format!("the nightly sync reported {}", report["status"]));
    }
    Ok(problems)
}
