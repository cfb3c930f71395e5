//! Documents end to end on the real local stack: files in moto's S3, the `log-documents`
//! binary under cargo-lambda's emulator fed by the documents queue, and the MyCase
//! sandbox's fake S3 recording each upload's size and sha256.

use chrono::DateTime;
use hona_e2e::hona::{DocumentFile, document, file_bytes, sha256_hex};
use hona_e2e::scenario::{
    FirmSpec, documents_by_event, file_event, firm_state, seed_firm, set_faults,
};
use hona_e2e::{LocalStack, StackOptions, poller::drain_dlq};
use mycase_sandbox::wire::FirmState;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const FIRM: FirmSpec<'static> = FirmSpec {
    name: "Alvarez & Chen Injury Law",
    org_id: "org_alvarez",
    integration_id: "int_mycase_alvarez",
    time_zone: "America/Los_Angeles",
    log_target: "thread",
    active: true,
    clients: &[
        ("Maria Alvarez", "(503) 555-0142"),
        ("Tom Becker", "503.555.0177"),
    ],
};

const KB: usize = 1024;
const MB: usize = 1024 * 1024;

fn options(visibility_secs: u64) -> StackOptions {
    StackOptions {
        visibility_timeout: Duration::from_secs(visibility_secs),
        max_receive_count: 4,
        ..StackOptions::default()
    }
}

/// One file the test sends, and where it must land.
struct Sent {
    event_id: String,
    case_id: i64,
    bytes_sha256: String,
    size: u64,
    path: String,
    filename: String,
}

async fn send(stack: &LocalStack, events: &[Value]) -> anyhow::Result<()> {
    for e in events {
        stack.aws.send_event(&stack.documents.url, e).await?;
    }
    Ok(())
}

/// Runs `log-documents` over its queue until it is empty; returns the drain figures and
/// the function's log lines.
async fn run(
    stack: &LocalStack,
    max: Duration,
) -> anyhow::Result<(hona_e2e::poller::DrainStats, Vec<String>)> {
    let function = stack.start_function("log-documents").await?;
    let mapping = stack.event_source_mapping("log-documents", &function)?;
    let stats = mapping.run_until_drained(max).await?;
    anyhow::ensure!(stats.drained, "queue not drained in {max:?}: {stats:?}");
    Ok((stats, function.captured_logs()))
}

/// No log line names a file, a person, or carries an upload URL's signature.
fn assert_logs_are_clean(logs: &[String], words: &[&str]) {
    assert!(!logs.is_empty(), "the function logged something");
    for line in logs {
        assert!(
            !line.contains("X-Amz-Signature"),
            "an upload URL was logged: {line}"
        );
        for w in words {
            assert!(!line.contains(w), "{w:?} was logged: {line}");
        }
    }
}

/// Each sent file is exactly one document, in its case and folder, whose uploaded
/// version has exactly the file's size and sha256.
fn assert_landed_once(state: &FirmState, sent: &[Sent]) {
    let docs = documents_by_event(state);
    assert_eq!(
        docs.values().map(Vec::len).sum::<usize>(),
        sent.len(),
        "one document per event, nothing else: {docs:#?}"
    );
    for s in sent {
        let found = docs
            .get(&s.event_id)
            .unwrap_or_else(|| panic!("{} landed", s.event_id));
        assert_eq!(found.len(), 1, "{} landed once", s.event_id);
        let d = &found[0];
        let case = d.case.map(|c| c.id);
        assert_eq!(case, Some(s.case_id), "{} in its case", s.event_id);
        assert_eq!(d.path, s.path, "{} in its folder", s.event_id);
        assert_eq!(d.filename, s.filename);
        let uploaded: Vec<_> = d.uploaded_versions().collect();
        assert_eq!(uploaded.len(), 1, "{}: one complete upload", s.event_id);
        assert_eq!(
            uploaded[0].sha256.as_deref(),
            Some(s.bytes_sha256.as_str()),
            "{}: the right bytes",
            s.event_id
        );
        assert_eq!(uploaded[0].size_bytes, Some(s.size));
    }
}

async fn ledger(stack: &LocalStack) -> anyhow::Result<BTreeMap<String, Value>> {
    Ok(stack
        .aws
        .scan_json(&stack.tables.ledger)
        .await?
        .into_iter()
        .map(|row| (row["event_id"].as_str().unwrap_or_default().to_owned(), row))
        .collect())
}

#[tokio::test]
async fn every_source_lands_once_with_its_bytes_in_its_folder_even_when_delivered_twice()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(20)).await?;
    let seeded = seed_firm(&stack, &FIRM).await?;
    let (c0, c1) = (seeded.firm.cases[0].case_id, seeded.firm.cases[1].case_id);

    struct Spec {
        id: &'static str,
        case: usize,
        source: &'static str,
        name: &'static str,
        content_type: &'static str,
        size: usize,
        extra: Value,
        path: &'static str,
        filename: &'static str,
    }
    let specs = [
        Spec {
            id: "evt_doc_sms_small",
            case: 0,
            source: "sms",
            name: "IMG_0042.JPG",
            content_type: "image/jpeg",
            size: KB,
            extra: json!({}),
            path: "Hona/Text messages/IMG_0042.JPG",
            filename: "IMG_0042.JPG",
        },
        Spec {
            id: "evt_doc_sms_large",
            case: 1,
            source: "sms",
            name: "IMG_0043.jpeg",
            content_type: "image/jpeg",
            size: 49 * MB / 10,
            extra: json!({}),
            path: "Hona/Text messages/IMG_0043.jpeg",
            filename: "IMG_0043.jpeg",
        },
        Spec {
            id: "evt_doc_portal",
            case: 0,
            source: "portal",
            name: "medical records.pdf",
            content_type: "application/pdf",
            size: 50 * MB,
            extra: json!({}),
            path: "Hona/Portal uploads/medical records.pdf",
            filename: "medical records.pdf",
        },
        Spec {
            id: "evt_doc_form",
            case: 1,
            source: "form",
            name: "insurance-card.png",
            content_type: "image/png",
            size: 300 * KB,
            extra: json!({"form": {"form_id": "frm_intake", "question_id": "q_insurance"}}),
            path: "Hona/Form answers/insurance-card.png",
            filename: "insurance-card.png",
        },
        Spec {
            id: "evt_doc_esign",
            case: 0,
            source: "esignature",
            name: "Retainer (signed).pdf",
            content_type: "application/pdf",
            size: 180 * KB,
            extra: json!({"esignature_request_id": "esr_77"}),
            path: "Hona/E-signatures/Retainer (signed).pdf",
            filename: "Retainer (signed).pdf",
        },
        // Hostile names: traversal, a reserved device name, a bidi override, control characters.
        Spec {
            id: "evt_doc_hostile_1",
            case: 1,
            source: "sms",
            name: "../../etc/passwd",
            content_type: "text/plain",
            size: 10,
            extra: json!({}),
            path: "Hona/Text messages/_.._etc_passwd",
            filename: "_.._etc_passwd",
        },
        Spec {
            id: "evt_doc_hostile_2",
            case: 1,
            source: "portal",
            name: "CON.txt",
            content_type: "text/plain",
            size: 11,
            extra: json!({}),
            path: "Hona/Portal uploads/_CON.txt",
            filename: "_CON.txt",
        },
        Spec {
            id: "evt_doc_hostile_3",
            case: 0,
            source: "form",
            name: "invoice\u{202E}fdp.exe\r\n",
            content_type: "application/octet-stream",
            size: 12,
            extra: json!({"form": {"form_id": "frm_1", "question_id": "q_1"}}),
            path: "Hona/Form answers/invoice_fdp.exe",
            filename: "invoice_fdp.exe",
        },
    ];
    let mut events = Vec::new();
    let mut sent = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let bytes = file_bytes(s.size, i as u64 + 1);
        sent.push(Sent {
            event_id: s.id.into(),
            case_id: [c0, c1][s.case],
            bytes_sha256: sha256_hex(&bytes),
            size: s.size as u64,
            path: s.path.into(),
            filename: s.filename.into(),
        });
        events.push(
            file_event(
                &stack,
                &seeded,
                s.case,
                s.id,
                s.source,
                s.name,
                s.content_type,
                bytes,
                s.extra.clone(),
            )
            .await?,
        );
    }
    // Every event delivered twice (a standard queue may, and Hona may resend).
    send(&stack, &events).await?;
    send(&stack, &events).await?;
    let (stats, logs) = run(&stack, Duration::from_secs(240)).await?;
    assert_eq!(stats.invoke_errors, 0);
    assert_logs_are_clean(
        &logs,
        &[
            "IMG_0042",
            "medical records",
            "insurance-card",
            "Retainer",
            "passwd",
            "Maria",
            "Alvarez",
            "Becker",
        ],
    );

    let state = firm_state(&stack, &seeded.firm_uuid).await?;
    assert_landed_once(&state, &sent);
    let descriptions: Vec<&str> = state
        .documents
        .iter()
        .map(|d| {
            d.description
                .as_deref()
                .expect("every document has a description")
        })
        .collect();
    assert!(descriptions.iter().any(|d| d.starts_with(
        "Sent by text message by Maria Alvarez (client) on Tue Nov 24, 2026 at 2:03 PM PST."
    )));
    assert!(descriptions.iter().any(|d| {
        d.starts_with("Completed copy of e-signature request esr_77, from Maria Alvarez (client)")
    }));
    let ledger = ledger(&stack).await?;
    for s in &sent {
        assert_eq!(ledger[&s.event_id]["outcome"], "landed", "{}", s.event_id);
    }
    assert!(
        drain_dlq(&stack.aws, &stack.documents.dlq_url)
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn a_put_cut_mid_body_is_retried_into_the_same_document() -> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(3)).await?;
    let seeded = seed_firm(&stack, &FIRM).await?;
    let bytes = file_bytes(12 * MB, 42);
    let sha = sha256_hex(&bytes);
    let event = file_event(
        &stack,
        &seeded,
        0,
        "evt_doc_cut",
        "portal",
        "deposition.mp4",
        "video/mp4",
        bytes,
        json!({}),
    )
    .await?;
    set_faults(&stack, json!({"cut_put_after_bytes": 5 * MB})).await?;
    send(&stack, &[event]).await?;
    let (stats, logs) = run(&stack, Duration::from_secs(120)).await?;
    assert!(
        stats.failures_reported >= 1,
        "the cut PUT was reported for retry: {stats:?}"
    );
    assert!(
        logs.iter().any(|l| l.contains("upload_failed")),
        "the first attempt failed as upload_failed"
    );
    assert_logs_are_clean(&logs, &["deposition"]);

    let state = firm_state(&stack, &seeded.firm_uuid).await?;
    assert_landed_once(
        &state,
        &[Sent {
            event_id: "evt_doc_cut".into(),
            case_id: seeded.firm.cases[0].case_id,
            bytes_sha256: sha,
            size: 12 * MB as u64,
            path: "Hona/Portal uploads/deposition.mp4".into(),
            filename: "deposition.mp4".into(),
        }],
    );
    let ledger = ledger(&stack).await?;
    assert_eq!(ledger["evt_doc_cut"]["outcome"], "landed");
    assert!(
        drain_dlq(&stack.aws, &stack.documents.dlq_url)
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_object_a_foreign_bucket_or_wrong_bytes_are_dead_lettered_with_their_reason()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options(3)).await?;
    let seeded = seed_firm(&stack, &FIRM).await?;
    let at = DateTime::parse_from_rfc3339("2026-11-24T14:03:22-08:00")?;
    let file = |bucket: &'static str, key: &'static str| DocumentFile {
        source: "sms",
        file_name: "photo.jpg",
        content_type: "image/jpeg",
        bucket,
        key,
        size_bytes: 100,
        sha256: "00".repeat(32),
        extra: json!({}),
    };
    let bucket: &'static str = Box::leak(stack.documents_bucket.clone().into_boxed_str());
    let case = &seeded.firm.cases[0];
    let own = |rest: &str| -> &'static str {
        Box::leak(
            format!(
                "{}/{}/{rest}",
                seeded.firm.org_id, seeded.firm.integration_id
            )
            .into_boxed_str(),
        )
    };
    let missing = document(
        &seeded.firm,
        case,
        "evt_doc_missing",
        at,
        &file(bucket, own("never/uploaded.jpg")),
    );
    // Another firm's file in the right bucket: refused before S3 or MyCase is asked.
    let other_firm_key = "org_other/int_other/photo.jpg";
    stack
        .aws
        .put_object(bucket, other_firm_key, vec![0u8; 100])
        .await?;
    let not_owned = document(
        &seeded.firm,
        case,
        "evt_doc_not_owned",
        at,
        &file(bucket, other_firm_key),
    );
    let foreign = document(
        &seeded.firm,
        case,
        "evt_doc_foreign",
        at,
        &file("someone-elses-bucket", own("x.jpg")),
    );
    // A streamed file (over 5 MiB) whose bytes are not the ones the event describes.
    let mut wrong = file_event(
        &stack,
        &seeded,
        0,
        "evt_doc_wrong",
        "portal",
        "scan.pdf",
        "application/pdf",
        file_bytes(6 * MB, 5),
        json!({}),
    )
    .await?;
    wrong["data"]["sha256"] = sha256_hex(b"a different file").into();
    send(&stack, &[missing, foreign, not_owned, wrong]).await?;
    let (stats, _) = run(&stack, Duration::from_secs(60)).await?;
    assert_eq!(
        stats.failures_reported, 0,
        "permanent failures are not retried"
    );

    let mut reasons: Vec<(String, String)> = drain_dlq(&stack.aws, &stack.documents.dlq_url)
        .await?
        .iter()
        .map(|m| {
            let body = m.body_json().unwrap();
            (
                body["id"].as_str().unwrap_or_default().to_owned(),
                m.message_attributes["hona.reason"].clone(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            ("evt_doc_foreign".into(), "bucket_not_allowed".into()),
            ("evt_doc_missing".into(), "object_missing".into()),
            ("evt_doc_not_owned".into(), "object_not_owned".into()),
            ("evt_doc_wrong".into(), "checksum_mismatch".into()),
        ]
    );
    // The wrong bytes were never accepted: the one document (made before streaming) has
    // no uploaded version; nothing was made for the missing object, the foreign bucket or the other firm's key.
    let state = firm_state(&stack, &seeded.firm_uuid).await?;
    let docs = &state.documents;
    assert_eq!(docs.len(), 1, "only the streamed file's document: {docs:?}");
    assert!(
        docs[0].uploaded_versions().next().is_none(),
        "a checksum mismatch never lands: {docs:?}"
    );
    assert_eq!(
        ledger(&stack).await?["evt_doc_wrong"]["failure_kind"],
        "checksum_mismatch"
    );
    let ledger = ledger(&stack).await?;
    assert_eq!(ledger["evt_doc_missing"]["outcome"], "failed");
    assert_eq!(ledger["evt_doc_missing"]["failure_kind"], "object_missing");
    assert_eq!(ledger["evt_doc_missing"]["permanent"], true);
    Ok(())
}
