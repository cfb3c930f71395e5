//! The Documents push through the real pipeline, over in-memory ports.

use super::Documents;
use super::checksum::sha256_of;
use crate::PushError;
use crate::fakes::*;
use crate::ids::{IntegrationId, OrgId, StaffId};
use crate::integration::{Integration, LogTarget};
use crate::outcome::Landed;
use crate::outcome::Outcome;
use crate::pipeline::{Deadline, Disposition, Pipeline, RecordResult, Stores};
use crate::reason::Reason;
use std::sync::Arc;
use std::time::Duration;

struct World {
    ledger: Arc<MemoryLedger>,
    dead_letters: Arc<MemoryDeadLetters>,
    s3: Arc<MemoryDocumentSource>,
    mycase: Arc<FakeCaseDocuments>,
    uploads: Arc<MemoryUploadRecords>,
    pipeline: Pipeline<Documents>,
}

fn integration(folder: Option<&str>) -> Integration {
    Integration {
        id: IntegrationId::parse("int_a").unwrap(),
        org_id: OrgId::parse("org_a").unwrap(),
        active: true,
        sender_staff_id: StaffId::new(88001).unwrap(),
        log_target: LogTarget::Thread,
        time_zone: chrono_tz::America::Chicago,
        firm_uuid: None,
        documents_folder: folder.map(str::to_owned),
        lead_automation: None,
        needs_reconnect: None,
    }
}

impl World {
    fn new() -> Self {
        Self::with_folder(None)
    }

    fn with_folder(folder: Option<&str>) -> Self {
        let ledger: Arc<MemoryLedger> = Default::default();
        let dead_letters: Arc<MemoryDeadLetters> = Default::default();
        let s3: Arc<MemoryDocumentSource> = Default::default();
        let mycase: Arc<FakeCaseDocuments> = Default::default();
        let uploads: Arc<MemoryUploadRecords> = Default::default();
        let stores = Stores {
            integrations: Arc::new(MemoryIntegrations::with([integration(folder)])),
            idempotency: Arc::new(MemoryIdempotency::default()),
            ledger: ledger.clone(),
            dead_letters: dead_letters.clone(),
        };
        let push = Documents {
            source: s3.clone(),
            mycase: Arc::new(FakeDocumentsConnector(mycase.clone())),
            uploads: uploads.clone(),
        };
        Self {
            ledger,
            dead_letters,
            s3,
            mycase,
            uploads,
            pipeline: Pipeline::new(push, stores),
        }
    }

    /// Puts `bytes` in S3 and returns a matching event.
    fn file(&self, id: &str, source: &str, name: &str, bytes: Vec<u8>) -> String {
        let key = format!("org_a/int_a/uploads/{id}");
        let event = event(
            id,
            source,
            name,
            &key,
            bytes.len() as u64,
            &sha256_of(&bytes).to_hex(),
        );
        self.s3.put("hona-docs", &key, bytes);
        event
    }

    async fn run(&self, body: &str) -> RecordResult {
        self.pipeline
            .process(body, None, Deadline::in_(Duration::from_secs(60)))
            .await
    }

    fn documents(&self) -> Vec<FakeDocument> {
        self.mycase.documents.lock().unwrap().clone()
    }

    fn failure(&self, event: &str) -> Option<(Reason, bool)> {
        match self.ledger.outcome("int_a", event)? {
            Outcome::Failed(PushError {
                reason: kind,
                permanent,
                ..
            }) => Some((kind, permanent)),
            _ => None,
        }
    }
}

fn event(id: &str, source: &str, name: &str, key: &str, size: u64, sha: &str) -> String {
    serde_json::json!({
        "id": id, "type": "document.received", "time": "2026-11-24T14:03:22-08:00",
        "org_id": "org_a", "integration_id": "int_a",
        "project": {"id": "prj_1", "mycase_case_id": 41349079},
        "data": {"source": source, "file_name": name, "content_type": "image/jpeg",
                 "size_bytes": size, "sha256": sha,
                 "location": {"bucket": "hona-docs", "key": key},
                 "uploaded_by": {"kind": "client", "name": "Jane Doe"}}
    })
    .to_string()
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

const MB: usize = 1024 * 1024;

#[tokio::test]
async fn a_small_text_message_file_lands_in_its_folder_with_its_bytes() {
    let w = World::new();
    let data = bytes(1024, 1);
    let body = w.file("evt_1", "sms", "IMG_0042.JPG", data.clone());
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
    let docs = w.documents();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.case.get(), 41349079);
    assert_eq!(d.path, "Hona/Text messages/IMG_0042.JPG");
    assert_eq!(d.filename, "IMG_0042.JPG");
    assert_eq!(
        d.description,
        "Sent by text message by Jane Doe (client) on Tue Nov 24, 2026 at 4:03 PM CST. Filed by Hona · ref evt_1"
    );
    assert_eq!(w.mycase.bytes_of(d.id), Some(data));
    match w.ledger.outcome("int_a", "evt_1") {
        Some(Outcome::Landed(Landed { refs, .. })) => assert_eq!(refs[0].id, d.id),
        other => panic!("not landed: {other:?}"),
    }
}

#[tokio::test]
async fn a_large_portal_upload_streams_into_the_firms_folder() {
    let w = World::with_folder(Some("Client Files/"));
    let data = bytes(6 * MB + 17, 2);
    let body = w.file("evt_2", "portal", "../scan<1>.pdf", data.clone());
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
    let docs = w.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].path, "Client Files/Portal uploads/_scan_1_.pdf");
    assert_eq!(w.mycase.bytes_of(docs[0].id), Some(data));
}

#[tokio::test]
async fn a_redelivered_event_makes_no_second_document() {
    let w = World::new();
    let body = w.file("evt_3", "form", "answer.png", bytes(2048, 3));
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::AlreadyLanded)
    );
    assert_eq!(w.documents().len(), 1);
    assert_eq!(*w.mycase.puts.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_cut_put_is_retried_into_the_same_document_with_its_stored_url() {
    for size in [100 * 1024, 7 * MB] {
        let w = World::new();
        let data = bytes(size, 4);
        let body = w.file("evt_4", "portal", "big.mov", data.clone());
        w.mycase
            .put_faults
            .lock()
            .unwrap()
            .push_back(PutFault::CutAfter(size / 2));
        assert_eq!(
            w.run(&body).await,
            RecordResult::Retry(Reason::UploadFailed)
        );
        assert_eq!(w.failure("evt_4"), Some((Reason::UploadFailed, false)));
        let docs = w.documents();
        assert_eq!(docs.len(), 1);
        assert_eq!(
            w.mycase.bytes_of(docs[0].id),
            None,
            "not landed after a cut PUT"
        );

        assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
        let docs = w.documents();
        assert_eq!(docs.len(), 1, "the retry finished the same document");
        assert_eq!(docs[0].versions.len(), 1, "the stored URL was reused");
        assert_eq!(w.mycase.bytes_of(docs[0].id), Some(data));
    }
}

#[tokio::test]
async fn an_expired_or_refused_url_is_replaced_by_a_new_version_of_the_same_document() {
    let w = World::new();
    let data = bytes(4096, 5);
    let body = w.file("evt_5", "esignature", "signed.pdf", data.clone());
    w.mycase
        .put_faults
        .lock()
        .unwrap()
        .push_back(PutFault::Refuse(403, "AccessDenied"));
    assert_eq!(
        w.run(&body).await,
        RecordResult::Retry(Reason::UploadFailed)
    );
    assert!(
        w.uploads
            .0
            .lock()
            .unwrap()
            .values()
            .all(|r| r.target.is_none()),
        "a refused URL is never tried again"
    );
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
    let docs = w.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].versions.len(), 2);
    assert_eq!(w.mycase.bytes_of(docs[0].id), Some(data.clone()));

    // A URL that expires before the upload could finish is not used either.
    let w = World::new();
    let body = w.file("evt_6", "sms", "a.jpg", data.clone());
    w.mycase
        .put_faults
        .lock()
        .unwrap()
        .push_back(PutFault::CutAfter(10));
    assert!(matches!(w.run(&body).await, RecordResult::Retry(_)));
    for record in w.uploads.0.lock().unwrap().values_mut() {
        record.target.as_mut().unwrap().expires_at =
            Some(chrono::Utc::now() + chrono::Duration::seconds(2));
    }
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
    let docs = w.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].versions.len(), 2);
    assert_eq!(w.mycase.bytes_of(docs[0].id), Some(data));
}

#[tokio::test]
async fn wrong_bytes_are_a_permanent_checksum_mismatch_never_a_success() {
    // Streamed: the PUT is stopped before its last chunk, nothing lands.
    let w = World::new();
    let data = bytes(6 * MB, 6);
    let key = "org_a/int_a/uploads/evt_7";
    w.s3.put("hona-docs", key, data.clone());
    let wrong = sha256_of(b"another file").to_hex();
    let body = event("evt_7", "portal", "x.bin", key, data.len() as u64, &wrong);
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::ChecksumMismatch))
    );
    assert_eq!(w.failure("evt_7"), Some((Reason::ChecksumMismatch, true)));
    let docs = w.documents();
    assert_eq!(w.mycase.bytes_of(docs[0].id), None);

    // Read whole: refused before anything is created in MyCase.
    let w = World::new();
    let key = "org_a/int_a/uploads/evt_8";
    w.s3.put("hona-docs", key, bytes(1000, 7));
    let body = event("evt_8", "sms", "x.jpg", key, 1000, &wrong);
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::ChecksumMismatch))
    );
    assert!(w.documents().is_empty());

    // S3's length differs from the event's: refused before anything is created.
    let w = World::new();
    let key = "org_a/int_a/uploads/evt_9";
    let data = bytes(1000, 8);
    w.s3.put("hona-docs", key, data.clone());
    let body = event(
        "evt_9",
        "sms",
        "x.jpg",
        key,
        999,
        &sha256_of(&data).to_hex(),
    );
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::ChecksumMismatch))
    );
    assert!(w.documents().is_empty());
}

#[tokio::test]
async fn permanent_and_transient_failures() {
    // No such object: permanent, dead-lettered with the reason.
    let w = World::new();
    let body = event(
        "evt_10",
        "sms",
        "x.jpg",
        "org_a/int_a/nowhere",
        10,
        &"00".repeat(32),
    );
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::ObjectMissing))
    );
    assert_eq!(w.dead_letters.reasons(), vec!["object_missing".to_owned()]);
    assert!(w.documents().is_empty());

    // Over S3's single-PUT limit: permanent, S3 never read.
    let w = World::new();
    let body = event(
        "evt_11",
        "portal",
        "x.iso",
        "org_a/int_a/k",
        6 * 1024 * 1024 * 1024,
        &"00".repeat(32),
    );
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::TooLarge))
    );
    assert_eq!(*w.s3.opened.lock().unwrap(), 0);

    // The case is gone in MyCase: permanent.
    let w = World::new();
    let body = w.file("evt_12", "form", "x.jpg", bytes(10, 9));
    *w.mycase.fail_next_create.lock().unwrap() =
        Some(PushError::permanent(Reason::NotFound, "no such record"));
    assert_eq!(
        w.run(&body).await,
        RecordResult::Done(Disposition::DeadLettered(Reason::CaseNotFound))
    );

    // S3 unavailable: transient, retried, then lands.
    let w = World::new();
    let body = w.file("evt_13", "form", "x.jpg", bytes(10, 10));
    *w.s3.fail.lock().unwrap() = Some(PushError::transient(Reason::S3Unavailable, "S3 is down"));
    assert_eq!(
        w.run(&body).await,
        RecordResult::Retry(Reason::S3Unavailable)
    );
    *w.s3.fail.lock().unwrap() = None;
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
}

#[tokio::test]
async fn an_upload_that_cannot_finish_in_time_is_not_started() {
    let w = World::new();
    let body = w.file("evt_14", "portal", "big.mp4", bytes(50 * MB, 11));
    // 50 MB needs about 3 + 6 + 3 s at the assumed rate: 8 s is not enough.
    let result = w
        .pipeline
        .process(&body, None, Deadline::in_(Duration::from_secs(8)))
        .await;
    assert_eq!(result, RecordResult::Retry(Reason::UploadDeadline));
    assert_eq!(*w.s3.opened.lock().unwrap(), 0, "S3 not even opened");
    assert!(w.documents().is_empty());
    assert_eq!(w.failure("evt_14"), Some((Reason::UploadDeadline, false)));
    // With the time it needs, it lands.
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
}

#[tokio::test(start_paused = true)]
async fn a_put_still_running_at_the_deadline_is_stopped_and_retried_into_the_same_document() {
    let w = World::new();
    let data = bytes(5000, 12);
    let body = w.file("evt_15", "sms", "a.jpg", data.clone());
    w.mycase
        .put_faults
        .lock()
        .unwrap()
        .push_back(PutFault::Hang);
    let result = w
        .pipeline
        .process(&body, None, Deadline::in_(Duration::from_secs(10)))
        .await;
    assert_eq!(result, RecordResult::Retry(Reason::UploadDeadline));
    assert_eq!(w.failure("evt_15"), Some((Reason::UploadDeadline, false)));
    assert_eq!(w.mycase.bytes_of(w.documents()[0].id), None);
    assert_eq!(w.run(&body).await, RecordResult::Done(Disposition::Landed));
    let docs = w.documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(w.mycase.bytes_of(docs[0].id), Some(data));
}

#[tokio::test]
async fn a_key_outside_the_firms_prefix_is_refused_before_anything_is_read() {
    // Another firm's object, and one whose key only starts like this firm's prefix.
    for (id, key) in [
        ("evt_20", "org_b/int_b/uploads/evt_20"),
        ("evt_21", "org_a/int_ab/uploads/evt_21"),
        ("evt_22", "uploads/evt_22"),
    ] {
        let w = World::new();
        let data = bytes(1000, 3);
        w.s3.put("hona-docs", key, data.clone());
        let body = event(id, "sms", "x.jpg", key, 1000, &sha256_of(&data).to_hex());
        assert_eq!(
            w.run(&body).await,
            RecordResult::Done(Disposition::DeadLettered(Reason::ObjectNotOwned)),
            "{key}"
        );
        assert!(w.documents().is_empty(), "{key}: nothing reached MyCase");
        assert_eq!(*w.s3.opened.lock().unwrap(), 0, "{key}: S3 not even opened");
        assert_eq!(w.failure(id), Some((Reason::ObjectNotOwned, true)));
    }
}
