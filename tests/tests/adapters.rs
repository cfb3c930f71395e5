//! The AWS adapters' conditional writes against a real (emulated) DynamoDB, Secrets
//! Manager and SQS: the guarantees the pipeline leans on, one by one.

use aws_adapters::dead_letters::SqsDeadLetters;
use aws_adapters::dynamo::client_index::DynamoClientIndex;
use aws_adapters::dynamo::idempotency::DynamoIdempotency;
use aws_adapters::dynamo::integrations::DynamoIntegrations;
use aws_adapters::dynamo::leads::DynamoLeadConversions;
use aws_adapters::dynamo::lease::DynamoRefreshLease;
use aws_adapters::dynamo::ledger::DynamoLedger;
use aws_adapters::dynamo::threads::DynamoThreads;
use aws_adapters::secrets::SecretsTokenStore;
use chrono::Utc;
use hona_domain::ids::{ClientId, EventId, IntegrationId};
use hona_domain::integration::LogTarget;
use hona_domain::outcome::{Landed, LedgerEntry, MyCaseRef, Outcome, PushType};
use hona_domain::ports::{
    CaseThreads, Claim, ClientIndex, DeadLetter, DeadLetters, IdempotencyStore, IndexKey,
    IndexProgress, IndexedClient, IntegrationStore, LeadConversions, LeadSlot, Ledger, ThreadSlot,
};
use hona_domain::{PushError, Reason};
use hona_e2e::LocalStack;
use mycase_client::{RefreshLease, TokenSet, TokenStore};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_claims_complete_and_lapse_as_the_pipeline_expects() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let store =
        DynamoIdempotency::new(stack.aws.dynamodb.clone(), stack.tables.idempotency.clone());
    let event = EventId::parse("evt_1")?;
    let later = Utc::now() + chrono::Duration::seconds(60);

    assert_eq!(store.claim(&event, later).await?, Claim::Acquired);
    assert_eq!(
        store.claim(&event, later).await?,
        Claim::InProgress,
        "a live claim blocks a second push"
    );
    store.release(&event).await?;
    assert_eq!(
        store.claim(&event, later).await?,
        Claim::Acquired,
        "a released claim can be taken again"
    );

    let landed = Landed::new(vec![MyCaseRef::new("message", 42)]);
    store.complete(&event, &landed).await?;
    assert_eq!(
        store.claim(&event, later).await?,
        Claim::AlreadyLanded(landed.clone())
    );
    store.release(&event).await?;
    assert_eq!(
        store.claim(&event, later).await?,
        Claim::AlreadyLanded(landed),
        "a completed record is never released"
    );

    // A claim whose invocation died lapses at its deadline.
    let crashed = EventId::parse("evt_2")?;
    assert_eq!(
        store
            .claim(&crashed, Utc::now() - chrono::Duration::seconds(1))
            .await?,
        Claim::Acquired
    );
    assert_eq!(store.claim(&crashed, later).await?, Claim::Acquired);
    let item = stack
        .aws
        .get_item_json(&stack.tables.idempotency, &json!({"id": "evt_1"}))
        .await?
        .unwrap();
    let ttl = item["expiration"].as_i64().unwrap();
    assert!(
        ttl > Utc::now().timestamp() + 29 * 86400,
        "records are kept for 30 days (TTL attribute)"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_is_claimed_by_one_racer_and_published_only_by_it() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let threads = DynamoThreads::new(
        stack.aws.dynamodb.clone(),
        stack.tables.case_threads.clone(),
    );
    let now = Utc::now();
    let until = now + chrono::Duration::seconds(30);
    assert!(threads.claim("int_a#41", "evt_1", until, now).await?);
    assert!(
        !threads.claim("int_a#41", "evt_2", until, now).await?,
        "the second racer loses"
    );
    assert!(
        threads.set_ready("int_a#41", "evt_2", 7).await.is_err(),
        "only the owner publishes"
    );
    threads.set_ready("int_a#41", "evt_1", 7).await?;
    assert_eq!(threads.get("int_a#41").await?, Some(ThreadSlot::Ready(7)));
    assert!(
        !threads
            .claim(
                "int_a#41",
                "evt_3",
                until,
                now + chrono::Duration::seconds(60)
            )
            .await?,
        "a ready thread is never reclaimed"
    );
    threads.release("int_a#41", "evt_1").await?;
    assert_eq!(
        threads.get("int_a#41").await?,
        Some(ThreadSlot::Ready(7)),
        "release never drops a ready thread"
    );
    threads.forget("int_a#41", 8).await?;
    assert_eq!(
        threads.get("int_a#41").await?,
        Some(ThreadSlot::Ready(7)),
        "forget names the thread it forgets"
    );
    threads.forget("int_a#41", 7).await?;
    assert_eq!(threads.get("int_a#41").await?, None);

    // A lapsed claim can be taken over; a released one at once.
    assert!(
        threads
            .claim(
                "int_a#42",
                "evt_1",
                now - chrono::Duration::seconds(1),
                now - chrono::Duration::seconds(31)
            )
            .await?
    );
    assert!(threads.claim("int_a#42", "evt_2", until, now).await?);
    threads.release("int_a#42", "evt_2").await?;
    assert_eq!(threads.get("int_a#42").await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_is_claimed_by_one_racer_and_its_client_kept_for_good() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let leads = DynamoLeadConversions::new(stack.aws.dynamodb.clone(), stack.tables.leads.clone());
    let now = Utc::now();
    let until = now + chrono::Duration::seconds(30);
    assert_eq!(leads.get("int_a#lead_1").await?, None);
    assert!(leads.claim("int_a#lead_1", "evt_1", until, now).await?);
    assert!(
        !leads.claim("int_a#lead_1", "evt_2", until, now).await?,
        "the second racer loses"
    );
    assert!(matches!(
        leads.get("int_a#lead_1").await?,
        Some(LeadSlot::Converting { owner, .. }) if owner == "evt_1"
    ));
    let client = ClientId::new(5001)?;
    assert!(
        leads
            .set_converted("int_a#lead_1", "evt_2", client)
            .await
            .is_err(),
        "only the owner records the client"
    );
    leads.set_converted("int_a#lead_1", "evt_1", client).await?;
    assert_eq!(
        leads.get("int_a#lead_1").await?,
        Some(LeadSlot::Converted(client))
    );
    assert!(
        !leads
            .claim(
                "int_a#lead_1",
                "evt_3",
                until,
                now + chrono::Duration::days(365)
            )
            .await?,
        "a converted lead is never reclaimed"
    );
    leads.release("int_a#lead_1", "evt_1").await?;
    assert_eq!(
        leads.get("int_a#lead_1").await?,
        Some(LeadSlot::Converted(client)),
        "release never drops a converted lead"
    );

    // A lapsed claim can be taken over; a released one at once.
    let past = now - chrono::Duration::seconds(1);
    assert!(
        leads
            .claim(
                "int_a#lead_2",
                "evt_1",
                past,
                now - chrono::Duration::seconds(31)
            )
            .await?
    );
    assert!(leads.claim("int_a#lead_2", "evt_2", until, now).await?);
    leads.release("int_a#lead_2", "evt_1").await?;
    assert!(
        leads.get("int_a#lead_2").await?.is_some(),
        "only the owner releases"
    );
    leads.release("int_a#lead_2", "evt_2").await?;
    assert_eq!(leads.get("int_a#lead_2").await?, None);
    Ok(())
}

fn entry(event: &str, outcome: Outcome) -> LedgerEntry {
    LedgerEntry {
        integration_id: IntegrationId::parse("int_a").unwrap(),
        event_id: EventId::parse(event).unwrap(),
        event_type: "message.logged".into(),
        push_type: PushType::Messages,
        case_id: None,
        event_time: "2026-11-24T14:03:22-08:00".into(),
        recorded_at: Utc::now(),
        outcome,
        event_json: Some("{}".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_never_turns_a_landed_event_into_a_skipped_or_failed_one() -> anyhow::Result<()>
{
    let stack = LocalStack::start().await?;
    let ledger = DynamoLedger::new(stack.aws.dynamodb.clone(), stack.tables.ledger.clone());
    let key = json!({"integration_id": "int_a", "event_id": "evt_1"});
    ledger
        .record(&entry(
            "evt_1",
            Outcome::Failed(PushError {
                reason: Reason::MyCaseUnavailable,
                detail: "503".into(),
                permanent: false,
            }),
        ))
        .await?;
    assert_eq!(
        stack
            .aws
            .get_item_json(&stack.tables.ledger, &key)
            .await?
            .unwrap()["outcome"],
        "failed"
    );
    ledger
        .record(&entry(
            "evt_1",
            Outcome::Landed(Landed {
                refs: vec![MyCaseRef::new("message", 9)],
                remarks: Vec::new(),
            }),
        ))
        .await?;
    ledger
        .record(&entry(
            "evt_1",
            Outcome::Skipped {
                reason: Reason::IntegrationInactive,
            },
        ))
        .await?;
    let row = stack
        .aws
        .get_item_json(&stack.tables.ledger, &key)
        .await?
        .unwrap();
    assert_eq!(row["outcome"], "landed");
    assert_eq!(row["mycase_refs"], json!(["message:9"]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_records_parse_and_a_malformed_one_is_an_error_not_a_guess()
-> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let store = DynamoIntegrations::new(
        stack.aws.dynamodb.clone(),
        stack.tables.integrations.clone(),
    );
    stack
        .aws
        .put_item_json(
            &stack.tables.integrations,
            &json!({
        "integration_id": "int_a", "org_id": "org_a", "active": true, "sender_staff_id": 88001,
        "log_target": "notes", "time_zone": "America/Chicago"}),
        )
        .await?;
    let i = store.get(&IntegrationId::parse("int_a")?).await?.unwrap();
    assert!(i.active);
    assert_eq!(i.log_target, LogTarget::Notes);
    assert_eq!(i.time_zone, chrono_tz::America::Chicago);
    assert_eq!(store.get(&IntegrationId::parse("int_none")?).await?, None);
    stack.aws.put_item_json(&stack.tables.integrations, &json!({
        "integration_id": "int_b", "org_id": "org_b", "active": true, "sender_staff_id": 88001, "time_zone": "Mars/Olympus"})).await?;
    assert!(store.get(&IntegrationId::parse("int_b")?).await.is_err());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_lease_has_one_holder_and_expires() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let a = DynamoRefreshLease::new(
        stack.aws.dynamodb.clone(),
        stack.tables.leases.clone(),
        "int_a",
    );
    let b = DynamoRefreshLease::new(
        stack.aws.dynamodb.clone(),
        stack.tables.leases.clone(),
        "int_a",
    );
    let other = DynamoRefreshLease::new(
        stack.aws.dynamodb.clone(),
        stack.tables.leases.clone(),
        "int_b",
    );
    assert!(a.try_acquire("instance-1", Duration::from_secs(60)).await?);
    assert!(!b.try_acquire("instance-2", Duration::from_secs(60)).await?);
    assert!(
        other
            .try_acquire("instance-2", Duration::from_secs(60))
            .await?,
        "leases are per integration"
    );
    b.release("instance-2").await?;
    assert!(
        !b.try_acquire("instance-2", Duration::from_secs(60)).await?,
        "only the holder releases"
    );
    a.release("instance-1").await?;
    assert!(
        b.try_acquire("instance-2", Duration::from_millis(1))
            .await?
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        a.try_acquire("instance-1", Duration::from_secs(60)).await?,
        "an expired lease can be taken"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_round_trip_through_secrets_manager() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let name = stack.token_secret_name("int_a");
    let store = SecretsTokenStore::new(stack.aws.secrets.clone(), name.clone());
    assert!(store.load().await.is_err(), "no secret yet");
    let tokens = TokenSet {
        access_token: "at-1".into(),
        refresh_token: "rt-1".into(),
        expires_at: Utc::now(),
        firm_uuid: Some("f-1".into()),
    };
    stack.aws.put_secret(&name, "{}").await?;
    store.save(&tokens).await?;
    let loaded = store.load().await?;
    assert_eq!(
        (loaded.access_token.as_str(), loaded.refresh_token.as_str()),
        ("at-1", "rt-1")
    );
    assert_eq!(loaded.firm_uuid.as_deref(), Some("f-1"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_carries_its_reason_and_keeps_the_group() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let dlq = SqsDeadLetters::new(stack.aws.sqs.clone(), stack.messages.dlq_url.clone());
    let event = EventId::parse("evt_1")?;
    let integration = IntegrationId::parse("int_a")?;
    let failure = PushError::permanent(Reason::MissingField, "missing field `data.sender`");
    let letter = DeadLetter {
        body: "{\"id\":\"evt_1\"}",
        failure: &failure,
        event_id: Some(&event),
        integration_id: Some(&integration),
        group: Some("int_a#41"),
    };
    dlq.send(&letter).await?;
    dlq.send(&letter).await?; // a retry after a crash: deduplicated
    let got = stack.aws.drain_queue(&stack.messages.dlq_url).await?;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message_attributes["hona.reason"], "missing_field");
    assert_eq!(
        got[0].message_attributes["hona.detail"],
        "missing field `data.sender`"
    );
    assert_eq!(got[0].message_attributes["hona.event_id"], "evt_1");
    assert_eq!(got[0].attributes["MessageGroupId"], "int_a#41");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_records_share_the_idempotency_table_without_touching_claims() -> anyhow::Result<()>
{
    use aws_adapters::dynamo::uploads::DynamoUploads;
    use hona_domain::ports::{UploadRecord, UploadRecords, UploadTarget};

    let stack = LocalStack::start().await?;
    let table = stack.tables.idempotency.clone();
    let uploads = DynamoUploads::new(stack.aws.dynamodb.clone(), table.clone());
    let claims = DynamoIdempotency::new(stack.aws.dynamodb.clone(), table);
    let event = EventId::parse("evt_doc_1")?;
    assert_eq!(uploads.get(&event).await?, None);

    let expires = chrono::DateTime::from_timestamp(Utc::now().timestamp() + 3600, 0).unwrap();
    let record = UploadRecord {
        document_id: 9001,
        target: Some(UploadTarget {
            put_url: "http://s3.local/put?X-Amz-Signature=abc".into(),
            put_headers: [("x-amz-acl".to_owned(), "private".to_owned())].into(),
            expires_at: Some(expires),
        }),
    };
    uploads.put(&event, &record).await?;
    assert_eq!(uploads.get(&event).await?, Some(record));
    // The event's own claim is a different item.
    let later = Utc::now() + chrono::Duration::seconds(60);
    assert_eq!(claims.claim(&event, later).await?, Claim::Acquired);

    // A URL known not to work is forgotten; the document is kept.
    let spent = UploadRecord {
        document_id: 9001,
        target: None,
    };
    uploads.put(&event, &spent).await?;
    assert_eq!(uploads.get(&event).await?, Some(spent));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_source_streams_an_object_and_names_what_is_wrong() -> anyhow::Result<()> {
    use aws_adapters::s3::S3DocumentSource;
    use futures::StreamExt;
    use hona_domain::documents::received::Location;
    use hona_domain::ports::DocumentSource;

    let stack = LocalStack::start().await?;
    let bucket = stack.documents_bucket.clone();
    let bytes = hona_e2e::hona::file_bytes(3 * 1024 * 1024 + 5, 7);
    stack
        .aws
        .put_object(&bucket, "a/b.pdf", bytes.clone())
        .await?;
    let source = S3DocumentSource::new(stack.aws.s3.clone(), bucket.clone());
    let at = |bucket: &str, key: &str| Location {
        bucket: bucket.into(),
        key: key.into(),
        version_id: None,
    };

    let mut object = source.open(&at(&bucket, "a/b.pdf")).await?;
    assert_eq!(object.length, bytes.len() as u64);
    let mut got = Vec::new();
    while let Some(chunk) = object.body.next().await {
        got.extend_from_slice(&chunk?);
    }
    assert_eq!(got, bytes);

    let kind = |r: Result<hona_domain::ports::SourceObject, hona_domain::PushError>| match r {
        Ok(_) => panic!("opened"),
        Err(e) => (e.reason, e.permanent),
    };
    assert_eq!(
        kind(source.open(&at(&bucket, "nope")).await),
        (hona_domain::Reason::ObjectMissing, true)
    );
    assert_eq!(
        kind(source.open(&at("another-bucket", "a/b.pdf")).await),
        (hona_domain::Reason::BucketNotAllowed, true)
    );
    // The configured bucket itself missing (a misconfiguration, or deleted).
    let elsewhere = S3DocumentSource::new(stack.aws.s3.clone(), "no-such-bucket".into());
    assert_eq!(
        kind(elsewhere.open(&at("no-such-bucket", "a/b.pdf")).await),
        (hona_domain::Reason::ObjectMissing, true)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_index_files_clients_by_key_per_integration_beside_the_leads()
-> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    let (dynamo, table) = (stack.aws.dynamodb.clone(), stack.tables.leads.clone());
    let index = DynamoClientIndex::new(dynamo.clone(), table.clone());
    let leads = DynamoLeadConversions::new(dynamo, table);
    let (a, b) = (
        IntegrationId::parse("int_a")?,
        IntegrationId::parse("int_b")?,
    );
    let email = IndexKey::Email("jane.doe@example.com".into());
    let phone = IndexKey::Phone("+15035550142".into());
    let client = |id: i64, keys: &[&IndexKey]| IndexedClient {
        id: ClientId::new(id).unwrap(),
        keys: keys.iter().map(|k| (*k).clone()).collect(),
        updated_at: Some(Utc::now()),
    };

    assert_eq!(index.progress(&a).await?, None);
    index.put_client(&a, &client(7, &[&email, &phone])).await?;
    index.put_client(&a, &client(3, &[&phone])).await?;
    let mut by_phone = index.clients_with(&a, &phone).await?;
    by_phone.sort();
    assert_eq!(by_phone, vec![ClientId::new(3)?, ClientId::new(7)?]);
    assert_eq!(
        index.clients_with(&a, &email).await?,
        vec![ClientId::new(7)?]
    );
    assert!(
        index.clients_with(&b, &email).await?.is_empty(),
        "another firm's index never sees it"
    );

    // Re-filed with other keys: unfiled from the old ones.
    let new_email = IndexKey::Email("jane@example.org".into());
    index.put_client(&a, &client(7, &[&new_email])).await?;
    assert!(index.clients_with(&a, &email).await?.is_empty());
    assert_eq!(
        index.clients_with(&a, &phone).await?,
        vec![ClientId::new(3)?]
    );
    assert_eq!(
        index.clients_with(&a, &new_email).await?,
        vec![ClientId::new(7)?]
    );
    index.remove_client(&a, ClientId::new(3)?).await?;
    assert!(index.clients_with(&a, &phone).await?.is_empty());

    // Progress round-trips, to the second.
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-24T22:03:22Z")?.to_utc();
    let building = IndexProgress::Building {
        page_token: Some("tok".into()),
        since,
    };
    index.set_progress(&a, &building).await?;
    assert_eq!(index.progress(&a).await?, Some(building));
    let ready = IndexProgress::Ready { watermark: since };
    index.set_progress(&a, &ready).await?;
    assert_eq!(index.progress(&a).await?, Some(ready));
    assert_eq!(index.progress(&b).await?, None);

    // The index shares the leads table without touching a lead's conversion.
    assert!(
        leads
            .claim("int_a#index", "evt_1", Utc::now(), Utc::now())
            .await?
    );
    assert_eq!(
        index.clients_with(&a, &new_email).await?,
        vec![ClientId::new(7)?]
    );
    Ok(())
}

/// Issue 19: the summaries and the sparse indexes say what the rows say, after a batch of
/// mixed outcomes including redeliveries and replays (an event moves, never counts twice);
/// a row that lands leaves the index of rows needing action; landed rows expire, the rest
/// does not. The in-memory ledger (every row, counted on read) is the reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_summaries_and_indexes_agree_with_its_rows() -> anyhow::Result<()> {
    use hona_domain::outcome::Remark;
    use hona_operations::paging::PageRequest;
    use hona_operations::ports::{ActionQuery, LedgerHistory, NeedsAction};

    let stack = LocalStack::start().await?;
    let dynamo = DynamoLedger::new(stack.aws.dynamodb.clone(), stack.tables.ledger.clone())
        .with_retention_days(30);
    let memory = hona_domain::fakes::MemoryLedger::default();
    let now = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
    let at = |hours_ago: i64| now - chrono::Duration::hours(hours_ago);
    let row = |integration: &str,
               event: &str,
               push: PushType,
               hours_ago: i64,
               outcome: Outcome,
               kept: bool| {
        LedgerEntry {
            integration_id: IntegrationId::parse(integration).unwrap(),
            event_id: EventId::parse(event).unwrap(),
            event_type: "x".into(),
            push_type: push,
            case_id: None,
            event_time: String::new(),
            recorded_at: at(hours_ago),
            outcome,
            event_json: kept.then(|| "{}".to_owned()),
        }
    };
    let landed = || {
        Outcome::Landed(Landed {
            refs: vec![MyCaseRef::new("message", 1)],
            remarks: vec![],
        })
    };
    let remarked = || {
        Outcome::Landed(Landed {
            refs: vec![MyCaseRef::new("case", 7)],
            remarks: vec![Remark::new(Reason::MappingBroken, "question q1")],
        })
    };
    let skipped = |r: &str| Outcome::Skipped {
        reason: Reason::parse(r),
    };
    let failed = |k: &str| Outcome::Failed(PushError::transient(Reason::parse(k), "r"));
    use PushType::{FormFields, Messages, Notifications};
    let batch = vec![
        row("int_a", "evt_l1", Messages, 50, landed(), false),
        row("int_a", "evt_l1", Messages, 40, landed(), false), // redelivered: lands again
        row(
            "int_a",
            "evt_s1",
            Messages,
            30,
            skipped("integration_inactive"),
            true,
        ),
        row(
            "int_a",
            "evt_s2",
            Messages,
            20,
            skipped("integration_inactive"),
            true,
        ),
        row("int_a", "evt_s2", Messages, 2, landed(), false), // replayed: resolved
        row(
            "int_a",
            "evt_f1",
            Messages,
            10,
            failed("mycase_unavailable"),
            true,
        ),
        row(
            "int_a",
            "evt_f1",
            Messages,
            5,
            failed("mycase_unavailable"),
            true,
        ), // failed again
        row(
            "int_a",
            "evt_f2",
            Notifications,
            6,
            failed("case_not_found"),
            true,
        ),
        row("int_a", "evt_f2", Notifications, 3, landed(), false), // re-driven: resolved
        row("int_a", "evt_l2", Messages, 1, landed(), false),
        row(
            "int_a",
            "evt_l2",
            Messages,
            0,
            skipped("integration_inactive"),
            true,
        ), // late duplicate
        row(
            "int_a",
            "evt_n1",
            FormFields,
            4,
            skipped("no_mapped_answers"),
            false,
        ),
        row("int_a", "evt_r1", FormFields, 3, remarked(), false),
        row("int_a", "evt_r1", FormFields, 3, remarked(), false), // redelivered as it was
        row(
            "int_b",
            "evt_b1",
            Messages,
            2,
            failed("mycase_unavailable"),
            true,
        ),
    ];
    for e in &batch {
        dynamo.record(e).await?;
        memory.record(e).await?;
    }

    let a = IntegrationId::parse("int_a")?;
    let mut got = dynamo.summaries(&a).await?;
    let mut want = memory.summaries(&a).await?;
    got.sort_by_key(|s| s.push_type.as_str());
    want.sort_by_key(|s| s.push_type.as_str());
    // The last failure is history: evt_f2 failed 6 hours ago, then landed. The rows no
    // longer say it failed; the summary still says when something last did.
    let notifications = got.iter().find(|s| s.push_type == Notifications).unwrap();
    assert_eq!(notifications.last_failure, Some(at(6)));
    for (got, want) in got.iter_mut().zip(want.iter_mut()) {
        got.last_failure = None;
        want.last_failure = None;
    }
    assert_eq!(got, want, "the summaries are what the rows add up to");
    let messages = got.iter().find(|s| s.push_type == Messages).unwrap();
    assert_eq!(
        (messages.landed, messages.skipped, messages.failed),
        (3, 1, 1),
        "evt_l1 once, evt_s2 moved to landed, evt_f1 once, evt_l2 stays landed"
    );

    let ids = |rows: Vec<LedgerEntry>| -> Vec<String> {
        rows.into_iter().map(|e| e.event_id.to_string()).collect()
    };
    for kind in [NeedsAction::Skipped, NeedsAction::Failed] {
        let query = ActionQuery::all(kind);
        let page = PageRequest::first(50);
        assert_eq!(
            ids(dynamo.needing_action(&a, &query, &page).await?.items),
            ids(memory.needing_action(&a, &query, &page).await?.items),
            "{kind:?}"
        );
    }
    let skipped_now = ids(dynamo
        .needing_action(
            &a,
            &ActionQuery::all(NeedsAction::Skipped),
            &PageRequest::first(50),
        )
        .await?
        .items);
    assert_eq!(
        skipped_now,
        vec!["evt_s1"],
        "evt_s2 landed and left the index"
    );
    // A page at a time: one row, then the next from the cursor.
    let first = dynamo
        .needing_action(
            &a,
            &ActionQuery::all(NeedsAction::Failed),
            &PageRequest::first(1),
        )
        .await?;
    assert_eq!(ids(first.items), vec!["evt_f1"]);
    if let Some(next) = first.next {
        let rest = dynamo
            .needing_action(
                &a,
                &ActionQuery::all(NeedsAction::Failed),
                &PageRequest {
                    cursor: Some(next),
                    limit: 1,
                },
            )
            .await?;
        assert!(rest.items.is_empty(), "int_b's failure is not int_a's");
    }

    for push in [Messages, Notifications, FormFields] {
        assert_eq!(
            ids(dynamo.recent_problems(&a, push, 5).await?),
            ids(memory.recent_problems(&a, push, 5).await?),
            "{push:?}"
        );
    }
    // The recent problems are copies of the problem rows, kept in the transaction of each
    // row: one per problem row still a problem, none for rows that landed.
    let copies: Vec<serde_json::Value> = stack
        .aws
        .scan_json(&stack.tables.ledger)
        .await?
        .into_iter()
        .filter(|i| i["integration_id"] == "int_a#problems")
        .collect();
    let mut copied: Vec<&str> = copies
        .iter()
        .filter_map(|c| c["row_event_id"].as_str())
        .collect();
    copied.sort_unstable();
    assert_eq!(
        copied,
        vec!["evt_f1", "evt_n1", "evt_r1", "evt_s1"],
        "evt_s2 and evt_f2 landed and dropped their copies, evt_l2 stayed landed, evt_f1's \
         second failure and evt_r1's redelivery replaced their copy: {copies:?}"
    );
    let copy = |event: &str| {
        copies
            .iter()
            .find(|c| c["row_event_id"] == event)
            .expect("a copy")
    };
    assert_eq!(copy("evt_f1")["recorded_at"], json!(at(5).to_rfc3339()));
    assert_eq!(
        copy("evt_r1")["expires_at"],
        json!((at(3) + chrono::Duration::days(30)).timestamp()),
        "a landed-with-a-remark copy expires with its row"
    );
    for event in ["evt_f1", "evt_s1"] {
        let c = copy(event);
        assert!(c.get("expires_at").is_none(), "{event} needs action: {c}");
        assert!(c.get("event").is_none(), "the event stays on the row: {c}");
    }
    assert_eq!(
        dynamo.counts_since(&a, at(24)).await?,
        memory.counts_since(&a, at(24)).await?,
        "the nightly's counts of the last 24 hours"
    );

    let item = |event: &str| {
        let key = json!({"integration_id": "int_a", "event_id": event});
        let aws = stack.aws.clone();
        let table = stack.tables.ledger.clone();
        async move { aws.get_item_json(&table, &key).await }
    };
    let l1 = item("evt_l1").await?.unwrap();
    assert_eq!(
        l1["expires_at"],
        json!((at(40) + chrono::Duration::days(30)).timestamp()),
        "a landed row expires after the retention"
    );
    let s1 = item("evt_s1").await?.unwrap();
    assert!(
        s1.get("expires_at").is_none(),
        "a row needing action stays: {s1}"
    );
    assert!(item("evt_f2").await?.unwrap().get("needs_action").is_none());
    assert!(item("evt_f2").await?.unwrap().get("problem_copy").is_none());
    assert_eq!(
        dynamo
            .entry(&a, &EventId::parse("evt_f1")?)
            .await?
            .map(|e| e.recorded_at),
        Some(at(5))
    );
    Ok(())
}
