//! Lead Conversion end to end on the real local stack: the `convert-leads` binary
//! under cargo-lambda's emulator, fed by the leads queue (`lead.captured`) and by
//! direct EventBridge-shaped invokes (`lead.conversion_requested`, the manual fire),
//! against the MyCase sandbox. Assertions are on what MyCase holds afterwards.

use hona_e2e::scenario::{
    FirmSpec, LeadSpec, SeededFirm, captured, firm_state, manual_fire, seed_firm,
    set_lead_automation,
};
use hona_e2e::{Emulator, LocalStack, StackOptions, poller::drain_dlq};
use mycase_sandbox::wire::StateClient;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const FUNCTION: &str = "convert-leads";
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

fn options() -> StackOptions {
    StackOptions {
        // A racer told to retry comes back quickly.
        visibility_timeout: Duration::from_secs(2),
        max_receive_count: 10,
        ..StackOptions::default()
    }
}

const AUTOMATIC: FirmSpec<'static> = FirmSpec {
    name: "Alvarez & Chen Injury Law",
    org_id: "org_alvarez",
    integration_id: "int_mycase_alvarez",
    time_zone: "America/Los_Angeles",
    log_target: "thread",
    active: true,
    // Seeded with emails maria@, tom@, priya@example.com and phones as typed here.
    clients: &[
        ("Maria Alvarez", "(503) 555-0142"),
        ("Tom Becker", "503.555.0177"),
        ("Priya Nair", "+15035550199"),
    ],
};

const MANUAL: FirmSpec<'static> = FirmSpec {
    name: "Okafor Family Law",
    org_id: "org_okafor",
    integration_id: "int_mycase_okafor",
    time_zone: "America/New_York",
    log_target: "thread",
    active: true,
    clients: &[("Grace Lin", "(212) 555-0110")],
};

const UNSET: FirmSpec<'static> = FirmSpec {
    name: "Brennan Estate Planning",
    org_id: "org_brennan",
    integration_id: "int_mycase_brennan",
    time_zone: "America/Chicago",
    log_target: "thread",
    active: true,
    clients: &[("Ruth Brennan", "(312) 555-0150")],
};

const INACTIVE: FirmSpec<'static> = FirmSpec {
    name: "Sato Immigration",
    org_id: "org_sato",
    integration_id: "int_mycase_sato",
    time_zone: "America/Los_Angeles",
    log_target: "thread",
    active: false,
    clients: &[("Ken Sato", "(415) 555-0111")],
};

async fn enqueue(stack: &LocalStack, events: &[Value]) -> anyhow::Result<()> {
    for e in events {
        stack.aws.send_event(&stack.leads.url, e).await?;
    }
    Ok(())
}

async fn drain(stack: &LocalStack, function: &Emulator) -> anyhow::Result<()> {
    let stats = stack
        .event_source_mapping(FUNCTION, function)?
        .run_until_drained(Duration::from_secs(90))
        .await?;
    anyhow::ensure!(stats.drained, "leads queue not drained: {stats:?}");
    anyhow::ensure!(stats.invoke_errors == 0, "an invoke failed: {stats:?}");
    Ok(())
}

async fn ledger(
    stack: &LocalStack,
    spec: &FirmSpec<'_>,
) -> anyhow::Result<BTreeMap<String, Value>> {
    Ok(stack
        .aws
        .scan_json(&stack.tables.ledger)
        .await?
        .into_iter()
        .filter(|row| row["integration_id"] == spec.integration_id)
        .map(|row| (row["event_id"].as_str().unwrap_or_default().to_owned(), row))
        .collect())
}

async fn clients(stack: &LocalStack, seeded: &SeededFirm) -> anyhow::Result<Vec<StateClient>> {
    Ok(firm_state(stack, &seeded.firm_uuid).await?.clients)
}

fn named<'a>(clients: &'a [StateClient], first: &str, last: &str) -> Vec<&'a StateClient> {
    clients
        .iter()
        .filter(|c| c.first_name.as_deref() == Some(first) && c.last_name.as_deref() == Some(last))
        .collect()
}

fn refs(row: &Value) -> Vec<String> {
    row["mycase_refs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect()
}

fn remark_kinds(row: &Value) -> Vec<String> {
    row["remarks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str()?.split(':').next().map(str::to_owned))
        .collect()
}

fn client_ref(client: &StateClient) -> String {
    format!("client:{}", client.id)
}

/// No log line may carry a lead's name, email or phone, or a summary.
fn assert_logs_are_clean(logs: &[String], forbidden: &[&str]) {
    assert!(!logs.is_empty(), "the function logged something");
    for line in logs {
        for f in forbidden {
            assert!(
                !line.contains(f),
                "a log line contains personal data ({f:?}): {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn automatic_mode_finds_or_creates_each_lead_once_and_refuses_bad_data() -> anyhow::Result<()>
{
    let stack = LocalStack::start_with(options()).await?;
    let firm = seed_firm(&stack, &AUTOMATIC).await?;
    set_lead_automation(&stack, &AUTOMATIC, Some("automatic")).await?;
    let seeded = clients(&stack, &firm).await?;
    let seeded_named = |first, last| client_ref(named(&seeded, first, last)[0]);

    let new = LeadSpec {
        lead_id: "lead_new",
        source: "chatbot",
        first: Some("Olivia"),
        last: Some("Park"),
        email: Some("olivia.park@example.net"),
        phone: Some("(971) 555-0101"),
    };
    let by_email = LeadSpec {
        lead_id: "lead_tom",
        source: "chatbot",
        first: Some("Thomas"),
        last: Some("Becker"),
        email: Some("TOM@Example.COM"),
        phone: None,
    };
    let by_phone = LeadSpec {
        lead_id: "lead_maria",
        source: "voice_ai",
        first: Some("Maria"),
        last: Some("A."),
        email: Some("m.alvarez@elsewhere.example"),
        phone: Some("+1 503.555.0142"),
    };
    let redelivered = LeadSpec {
        lead_id: "lead_noah",
        source: "chatbot",
        first: Some("Noah"),
        last: Some("Reyes"),
        email: Some("noah@example.org"),
        phone: None,
    };
    let voice = LeadSpec {
        lead_id: "lead_kai",
        source: "voice_ai",
        first: Some("Kai"),
        last: None,
        email: None,
        phone: None,
    };
    let twin = LeadSpec {
        lead_id: "lead_ava",
        source: "chatbot",
        first: Some("Ava"),
        last: Some("Stone"),
        email: None,
        phone: None,
    };
    let bad_email = LeadSpec {
        lead_id: "lead_bad1",
        source: "chatbot",
        first: Some("Zed"),
        last: Some("Quill"),
        email: Some("zed.quill.example.org"),
        phone: None,
    };
    let bad_phone = LeadSpec {
        lead_id: "lead_bad2",
        source: "voice_ai",
        first: Some("Zed"),
        last: Some("Quill"),
        email: None,
        phone: Some("555-CALL-NOW"),
    };
    let spec = &AUTOMATIC;
    enqueue(
        &stack,
        &[
            captured("evt_new", spec, &new),
            captured("evt_email", spec, &by_email),
            captured("evt_phone", spec, &by_phone),
            captured("evt_noah", spec, &redelivered),
            captured("evt_noah", spec, &redelivered),
            captured("evt_kai", spec, &voice),
            // Hona emitted the capture twice under two event ids: one lead, one client.
            captured("evt_ava_1", spec, &twin),
            captured("evt_ava_2", spec, &twin),
            captured("evt_bad_email", spec, &bad_email),
            captured("evt_bad_phone", spec, &bad_phone),
        ],
    )
    .await?;
    let function = stack.start_function(FUNCTION).await?;
    drain(&stack, &function).await?;

    let all = clients(&stack, &firm).await?;
    let rows = ledger(&stack, spec).await?;
    // Three seeded, plus Olivia, Noah, Kai and Ava, once each.
    assert_eq!(all.len(), 7, "{all:#?}");
    let olivia = named(&all, "Olivia", "Park");
    assert_eq!(olivia.len(), 1);
    assert_eq!(olivia[0].email.as_deref(), Some("olivia.park@example.net"));
    assert_eq!(olivia[0].cell_phone_number.as_deref(), Some("+19715550101"));
    let notes = olivia[0].notes.as_deref().unwrap_or_default();
    assert!(
        notes.contains("Lead captured by Hona's website chatbot"),
        "{notes}"
    );
    assert!(
        notes.contains("Asked about a consultation this week."),
        "{notes}"
    );
    assert_eq!(refs(&rows["evt_new"]), [client_ref(olivia[0])]);

    assert_eq!(
        refs(&rows["evt_email"]),
        [seeded_named("Tom", "Becker")],
        "by email, another case"
    );
    assert_eq!(remark_kinds(&rows["evt_email"]), ["linked_existing_client"]);
    assert_eq!(
        refs(&rows["evt_phone"]),
        [seeded_named("Maria", "Alvarez")],
        "by phone, another format"
    );
    assert_eq!(
        named(&all, "Noah", "Reyes").len(),
        1,
        "a redelivery converts nothing again"
    );
    assert_eq!(rows["evt_noah"]["outcome"], "landed");

    let kai = named(&all, "Kai", "Unknown");
    assert_eq!(
        kai.len(),
        1,
        "a voice lead without a last name gets the fallback"
    );
    assert_eq!(
        remark_kinds(&rows["evt_kai"]),
        ["name_fallback", "not_deduplicated"]
    );

    let ava = named(&all, "Ava", "Stone");
    assert_eq!(ava.len(), 1);
    assert_eq!(refs(&rows["evt_ava_1"]), [client_ref(ava[0])]);
    assert_eq!(refs(&rows["evt_ava_2"]), [client_ref(ava[0])]);
    let mut twins = [
        remark_kinds(&rows["evt_ava_1"]),
        remark_kinds(&rows["evt_ava_2"]),
    ];
    twins.sort();
    assert_eq!(
        twins,
        [
            vec!["already_converted".to_owned()],
            vec!["not_deduplicated".to_owned()]
        ]
    );

    // Bad data: refused with the field at fault, dead-lettered, nothing created.
    assert!(named(&all, "Zed", "Quill").is_empty());
    for (event, field) in [("evt_bad_email", "email"), ("evt_bad_phone", "phone")] {
        assert_eq!(rows[event]["outcome"], "failed");
        assert_eq!(rows[event]["failure_kind"], "invalid_field");
        assert_eq!(
            rows[event]["reason"],
            format!("invalid value at `data.{field}`")
        );
    }
    let mut dead: Vec<(String, String)> = drain_dlq(&stack.aws, &stack.leads.dlq_url)
        .await?
        .iter()
        .map(|m| {
            (
                m.message_attributes["hona.event_id"].clone(),
                m.message_attributes["hona.reason"].clone(),
            )
        })
        .collect();
    dead.sort();
    assert_eq!(
        dead,
        [
            ("evt_bad_email".to_owned(), "invalid_field".to_owned()),
            ("evt_bad_phone".to_owned(), "invalid_field".to_owned()),
        ]
    );

    // A manual fire after the automatic conversion links the same client.
    let fired = function
        .invoke(&manual_fire("evt_fire_new", spec, &new), INVOKE_TIMEOUT)
        .await?;
    assert_eq!(fired["status"], "landed", "{fired}");
    let rows = ledger(&stack, spec).await?;
    assert_eq!(refs(&rows["evt_fire_new"]), [client_ref(olivia[0])]);
    assert_eq!(remark_kinds(&rows["evt_fire_new"]), ["already_converted"]);

    // A manual fire racing the automatic conversion (another instance, same lead,
    // no email or phone to find it by): still one client.
    let race = LeadSpec {
        lead_id: "lead_liam",
        source: "voice_ai",
        first: Some("Liam"),
        last: Some("Ford"),
        email: None,
        phone: None,
    };
    enqueue(&stack, &[captured("evt_liam", spec, &race)]).await?;
    let second = stack.start_function(FUNCTION).await?;
    let fire = manual_fire("evt_fire_liam", spec, &race);
    let (drained, fired) = tokio::join!(
        drain(&stack, &function),
        second.invoke(&fire, INVOKE_TIMEOUT),
    );
    drained?;
    let fired = match fired {
        Ok(v) => v,
        // Told to retry (the other instance held the lead): EventBridge would retry.
        Err(_) => {
            second
                .invoke(&manual_fire("evt_fire_liam", spec, &race), INVOKE_TIMEOUT)
                .await?
        }
    };
    assert_eq!(fired["status"], "landed", "{fired}");
    let all = clients(&stack, &firm).await?;
    let liam = named(&all, "Liam", "Ford");
    assert_eq!(liam.len(), 1, "one client however the fires race");
    let rows = ledger(&stack, spec).await?;
    assert_eq!(refs(&rows["evt_liam"]), refs(&rows["evt_fire_liam"]));
    assert_eq!(all.len(), 8);

    let mut logs = function.captured_logs();
    logs.extend(second.captured_logs());
    assert_logs_are_clean(
        &logs,
        &[
            "Olivia",
            "olivia.park",
            "555-0101",
            "Thomas",
            "TOM@",
            "elsewhere.example",
            "503.555.0142",
            "5035550142",
            "Noah",
            "Reyes",
            "Stone",
            "Liam",
            "Quill",
            "CALL-NOW",
            "consultation",
            "Dana",
        ],
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manual_mode_no_setting_and_an_inactive_integration_convert_only_what_they_should()
-> anyhow::Result<()> {
    let stack = LocalStack::start_with(options()).await?;
    let manual = seed_firm(&stack, &MANUAL).await?;
    set_lead_automation(&stack, &MANUAL, Some("manual")).await?;
    let unset = seed_firm(&stack, &UNSET).await?;
    let inactive = seed_firm(&stack, &INACTIVE).await?;
    set_lead_automation(&stack, &INACTIVE, Some("automatic")).await?;

    let lead = LeadSpec {
        lead_id: "lead_eli",
        source: "chatbot",
        first: Some("Eli"),
        last: Some("Moss"),
        email: Some("eli.moss@example.com"),
        phone: Some("212 555 0199"),
    };
    enqueue(
        &stack,
        &[
            captured("evt_m_captured", &MANUAL, &lead),
            captured("evt_u_captured", &UNSET, &lead),
            captured("evt_i_captured", &INACTIVE, &lead),
        ],
    )
    .await?;
    let function = stack.start_function(FUNCTION).await?;
    drain(&stack, &function).await?;

    // Manual mode: the capture is skipped with its reason, nothing sent to MyCase.
    let rows = ledger(&stack, &MANUAL).await?;
    assert_eq!(rows["evt_m_captured"]["outcome"], "skipped");
    assert_eq!(rows["evt_m_captured"]["reason"], "lead_automation_manual");
    assert_eq!(clients(&stack, &manual).await?.len(), 1);
    // No setting: nothing converted, whichever event asks.
    let rows = ledger(&stack, &UNSET).await?;
    assert_eq!(rows["evt_u_captured"]["reason"], "no_lead_automation");
    let fired = function
        .invoke(&manual_fire("evt_u_fire", &UNSET, &lead), INVOKE_TIMEOUT)
        .await?;
    assert_eq!(
        fired,
        json!({"status": "skipped", "reason": "no_lead_automation"})
    );
    assert_eq!(clients(&stack, &unset).await?.len(), 1);
    // Inactive: skipped and kept for replay, even in automatic mode.
    let rows = ledger(&stack, &INACTIVE).await?;
    assert_eq!(rows["evt_i_captured"]["outcome"], "skipped");
    assert_eq!(rows["evt_i_captured"]["reason"], "integration_inactive");
    assert!(
        rows["evt_i_captured"]["event"].as_str().is_some(),
        "kept for replay"
    );
    assert_eq!(clients(&stack, &inactive).await?.len(), 1);

    // Manual mode: staff fire it, and it converts.
    let fired = function
        .invoke(&manual_fire("evt_m_fire", &MANUAL, &lead), INVOKE_TIMEOUT)
        .await?;
    assert_eq!(fired, json!({"status": "landed", "reason": null}));
    let all = clients(&stack, &manual).await?;
    let eli = named(&all, "Eli", "Moss");
    assert_eq!(eli.len(), 1);
    assert_eq!(eli[0].cell_phone_number.as_deref(), Some("+12125550199"));
    assert!(
        eli[0]
            .notes
            .as_deref()
            .unwrap_or_default()
            .contains("Conversion requested by Dana Whitfield.")
    );
    // The same fire redelivered: nothing sent again.
    let again = function
        .invoke(&manual_fire("evt_m_fire", &MANUAL, &lead), INVOKE_TIMEOUT)
        .await?;
    assert_eq!(again["status"], "already_landed");

    // Two staff members fire the same lead at once, on two instances.
    let walk_in = LeadSpec {
        lead_id: "lead_ivy",
        source: "voice_ai",
        first: Some("Ivy"),
        last: None,
        email: None,
        phone: None,
    };
    let second = stack.start_function(FUNCTION).await?;
    let (fire_1, fire_2) = (
        manual_fire("evt_ivy_1", &MANUAL, &walk_in),
        manual_fire("evt_ivy_2", &MANUAL, &walk_in),
    );
    let (a, b) = tokio::join!(
        function.invoke(&fire_1, INVOKE_TIMEOUT),
        second.invoke(&fire_2, INVOKE_TIMEOUT),
    );
    for (result, event, instance) in [(a, "evt_ivy_1", &function), (b, "evt_ivy_2", &second)] {
        let result = match result {
            Ok(v) => v,
            // Told to retry while the other held the lead: EventBridge retries.
            Err(_) => {
                instance
                    .invoke(&manual_fire(event, &MANUAL, &walk_in), INVOKE_TIMEOUT)
                    .await?
            }
        };
        assert_eq!(result["status"], "landed", "{event}: {result}");
    }
    let all = clients(&stack, &manual).await?;
    assert_eq!(named(&all, "Ivy", "Unknown").len(), 1, "{all:#?}");
    assert_eq!(all.len(), 3, "Grace, Eli and Ivy");
    let rows = ledger(&stack, &MANUAL).await?;
    assert_eq!(refs(&rows["evt_ivy_1"]), refs(&rows["evt_ivy_2"]));
    assert!(
        drain_dlq(&stack.aws, &stack.leads.dlq_url)
            .await?
            .is_empty()
    );
    Ok(())
}

/// The MyCase side of matching, against the sandbox: a taken email (in any case) is
/// read as `duplicate_email` (what turns a race into a re-find and a link), and a
/// phone filter finds a number in the spelling MyCase stored it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mycase_adapter_reads_a_taken_email_and_finds_phones_as_typed() -> anyhow::Result<()> {
    use hona_domain::ports::{ClientLookup, Clients, NewClientContact, PhoneField};
    use mycase_client::fakes::{MemoryLease, MemoryTokenStore};
    use mycase_client::{
        MyCaseClient, MyCaseEndpoints, OAuthApp, RateLimiter, RetryPolicy, TokenManager, TokenSet,
        Transport,
    };
    use std::sync::Arc;

    let stack = LocalStack::start().await?;
    let firm = seed_firm(&stack, &AUTOMATIC).await?;
    let url = stack.mycase_url().to_owned();
    let transport = Transport::new(
        MyCaseEndpoints::from_lookup(|_| Some(url.clone()))?,
        Arc::new(RateLimiter::unlimited()),
        RetryPolicy::default(),
    );
    let tokens = TokenSet {
        access_token: firm.initial_access_token.clone(),
        refresh_token: firm.initial_refresh_token.clone(),
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        firm_uuid: Some(firm.firm_uuid.clone()),
    };
    let app = OAuthApp {
        client_id: hona_e2e::stack::OAUTH_CLIENT_ID.into(),
        client_secret: hona_e2e::stack::OAUTH_CLIENT_SECRET.into(),
        redirect_uri: hona_e2e::stack::OAUTH_REDIRECT_URI.into(),
    };
    let manager = TokenManager::new(
        app,
        Arc::new(MemoryTokenStore::new(tokens)),
        Arc::new(MemoryLease::new()),
    );
    let mycase =
        mycase_adapter::MyCase::new(MyCaseClient::new(Arc::new(transport), Arc::new(manager)));
    let seeded = clients(&stack, &firm).await?;
    let maria = named(&seeded, "Maria", "Alvarez")[0].id;

    let found = mycase
        .find_clients(ClientLookup::Phone(PhoneField::Cell, "(503) 555-0142"))
        .await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id.get(), maria);
    assert_eq!(found[0].phones, ["(503) 555-0142"]);
    let by_email = mycase
        .find_clients(ClientLookup::Email("MARIA@example.com"))
        .await?;
    assert_eq!(by_email.len(), 1, "the sandbox's email filter ignores case");

    let mut new = NewClientContact {
        first_name: "Maria".into(),
        last_name: "Alvarez".into(),
        email: Some("Maria@Example.com".into()),
        cell_phone_number: None,
        notes: "Lead captured by Hona's website chatbot.".into(),
    };
    let err = Clients::create_client(&mycase, &new).await.unwrap_err();
    assert_eq!(err.reason, hona_domain::Reason::DuplicateEmail);
    assert!(err.permanent);
    new.email = Some("maria.alvarez@elsewhere.example".into());
    let created = Clients::create_client(&mycase, &new).await?;
    let all = clients(&stack, &firm).await?;
    let row = all.iter().find(|c| c.id == created.get()).expect("created");
    assert_eq!(
        row.notes.as_deref(),
        Some("Lead captured by Hona's website chatbot.")
    );
    Ok(())
}
