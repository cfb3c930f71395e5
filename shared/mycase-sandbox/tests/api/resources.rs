//! Resources: pagination, validation (422 shapes), custom-field values, threads and
//! messages, notes, filters, and the HTML page.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn next_link(resp: &reqwest::Response) -> Option<String> {
    let link = resp.headers().get("link")?.to_str().unwrap().to_string();
    assert!(link.ends_with("rel=\"next\""), "{link}");
    Some(link[link.find('<').unwrap() + 1..link.find('>').unwrap()].to_string())
}

fn item_count(resp: &reqwest::Response) -> usize {
    resp.headers()["item-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn pagination_follows_links_over_sixty_items() {
    let env = start().await;
    let cases: Vec<Value> = (0..60)
        .map(|i| json!({"name": format!("Case {i:02}")}))
        .collect();
    let (created, api) = env.firm(json!({"name": "Big", "cases": cases})).await;
    let all_ids: Vec<i64> = created["case_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();

    let mut url = format!("{}/v1/cases?page_size=25&filter%5Bstatus%5D=open", api.base);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let resp = api.get(&url).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(item_count(&resp), 60);
        let next = next_link(&resp);
        let body: Value = resp.json().await.unwrap();
        let page: Vec<i64> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        pages += 1;
        seen.extend(page.iter().copied());
        match next {
            Some(n) => {
                assert_eq!(page.len(), 25);
                assert!(
                    n.starts_with(&format!("{}/v1/cases?", api.base)),
                    "absolute link: {n}"
                );
                assert!(
                    n.contains("page_size=25")
                        && n.contains("filter%5Bstatus%5D=open")
                        && n.contains("page_token="),
                    "{n}"
                );
                url = n;
            }
            None => {
                assert_eq!(page.len(), 10);
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all_ids, "every case exactly once, in id order");

    // Default page size 25; no Link when everything fits.
    let resp = api.get("/v1/cases").await;
    assert_eq!(
        resp.json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        25
    );
    let resp = api.get("/v1/cases?page_size=1000").await;
    assert!(resp.headers().get("link").is_none());

    for bad in ["0", "1001", "abc"] {
        let resp = api.get(&format!("/v1/cases?page_size={bad}")).await;
        assert_eq!(resp.status(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["source"]["parameter"], "page_size");
    }
    let resp = api.get("/v1/cases?page_token=forged").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["errors"][0]["source"]["parameter"],
        "page_token"
    );

    // Sub-resource lists page too.
    let case = all_ids[0];
    for i in 0..30 {
        let resp = api
            .post(
                &format!("/v1/cases/{case}/notes"),
                json!({"subject": format!("n{i}"), "note": "x", "date": "2026-11-24"}),
            )
            .await;
        assert_eq!(resp.status(), 200, "notes POST answers 200");
    }
    let resp = api
        .get(&format!("/v1/cases/{case}/notes?page_size=20"))
        .await;
    assert_eq!(item_count(&resp), 30);
    let next = next_link(&resp).expect("second page");
    let second: Value = api.get(&next).await.json().await.unwrap();
    assert_eq!(second.as_array().unwrap().len(), 10);
    assert_eq!(second[9]["subject"], "n29");
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn validation_errors_have_pointers() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let client_field = id(&created, "custom_field_ids", 5);

    // PUT without the required name.
    let resp = api
        .put(
            &format!("/v1/cases/{case}"),
            json!({"description": "no name"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/name"]);
    // Duplicate case name on create.
    let resp = api
        .post("/v1/cases", json!({"name": "Fernandez - Asylum"}))
        .await;
    assert_eq!(pointers(resp).await, vec!["/name"]);
    // Duplicate client email, case-insensitively.
    let resp = api
        .post(
            "/v1/clients",
            json!({"first_name": "L", "last_name": "F", "email": "LUCIA@example.com"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/email"]);
    // Required names, and the middle_initial / middle_name twins.
    let resp = api
        .post("/v1/clients", json!({"email": "new@example.com"}))
        .await;
    assert_eq!(pointers(resp).await, vec!["/first_name", "/last_name"]);
    let resp = api.post("/v1/clients", json!({"first_name": "A", "last_name": "B", "middle_initial": "C", "middle_name": "Carl"})).await;
    assert_eq!(pointers(resp).await, vec!["/middle_initial"]);
    // Custom-field problems.
    let fee = id(&created, "custom_field_ids", 1);
    let put_value = |field: i64, value: Value| json!({"name": "Fernandez - Asylum", "custom_field_values": [{"custom_field": {"id": field}, "value": value}]});
    let resp = api
        .put(&format!("/v1/cases/{case}"), put_value(fee, json!("abc")))
        .await;
    assert_eq!(pointers(resp).await, vec!["/custom_field_values/0/value"]);
    let resp = api
        .put(&format!("/v1/cases/{case}"), put_value(999, json!("x")))
        .await;
    assert_eq!(
        pointers(resp).await,
        vec!["/custom_field_values/0/custom_field/id"]
    );
    let resp = api
        .put(
            &format!("/v1/cases/{case}"),
            put_value(client_field, json!("x")),
        )
        .await;
    assert_eq!(
        pointers(resp).await,
        vec!["/custom_field_values/0/custom_field/id"]
    );
    let hearing = id(&created, "custom_field_ids", 2);
    for bad in [
        json!("2026-13-01"),
        json!("2026-01-01T00:00:00Z"),
        json!(20260101),
    ] {
        let resp = api
            .put(&format!("/v1/cases/{case}"), put_value(hearing, bad))
            .await;
        assert_eq!(pointers(resp).await, vec!["/custom_field_values/0/value"]);
    }
    let retainer = id(&created, "custom_field_ids", 3);
    let resp = api
        .put(
            &format!("/v1/cases/{case}"),
            put_value(retainer, json!(12.345)),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/custom_field_values/0/value"]);
    let summary = id(&created, "custom_field_ids", 4);
    let resp = api
        .put(
            &format!("/v1/cases/{case}"),
            put_value(summary, json!("x".repeat(256))),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/custom_field_values/0/value"]);
    let case_type = id(&created, "custom_field_ids", 0);
    let resp = api
        .put(
            &format!("/v1/cases/{case}"),
            put_value(case_type, json!("Tourist")),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/custom_field_values/0/value"]);

    // Nothing of the rejected writes stuck.
    let got = api.get_json(&format!("/v1/cases/{case}")).await;
    assert_eq!(got["custom_field_values"].as_array().unwrap().len(), 0);

    // Malformed JSON is a 400 in the errors shape.
    let resp = api
        .http
        .post(format!("{}/v1/cases", api.base))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.json::<Value>().await.unwrap()["errors"][0]["description"].is_string());

    // Valid values: list by case-insensitive text (stored as the option's text), currency
    // with 2 decimals, numeric string.
    let resp = api
        .put(
            &format!("/v1/cases/{case}"),
            json!({"name": "Fernandez - Asylum", "custom_field_values": [
                {"custom_field": {"id": case_type}, "value": "asylum"},
                {"custom_field": {"id": retainer}, "value": 12.34},
                {"custom_field": {"id": fee}, "value": "250"}
            ]}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    let got = api.get_json(&format!("/v1/cases/{case}")).await;
    let values = got["custom_field_values"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0]["value"], "Asylum");
    assert_eq!(values[0]["custom_field"]["field_type"], "list");
    assert_eq!(values[1]["value"], 12.34);
    assert_eq!(values[2]["value"], 250.0);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn custom_field_upsert_then_append_quirk_and_retype() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let summary = id(&created, "custom_field_ids", 4);
    let put = |v: &str| json!({"name": "Fernandez - Asylum", "custom_field_values": [{"custom_field": {"id": summary}, "value": v}]});

    for v in ["first", "second"] {
        assert_eq!(
            api.put(&format!("/v1/cases/{case}"), put(v)).await.status(),
            204
        );
    }
    let got = api.get_json(&format!("/v1/cases/{case}")).await;
    let values = got["custom_field_values"].as_array().unwrap();
    assert_eq!(values.len(), 1, "upsert by field id");
    assert_eq!(values[0]["value"], "second");

    let faults = env.faults(json!({"quirk_custom_field_append": true})).await;
    assert_eq!(faults["quirk_custom_field_append"], true);
    assert_eq!(
        api.put(&format!("/v1/cases/{case}"), put("third"))
            .await
            .status(),
        204
    );
    let got = api.get_json(&format!("/v1/cases/{case}")).await;
    let values: Vec<&Value> = got["custom_field_values"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(values.len(), 2, "the quirk appends a duplicate row");
    assert_eq!(values[0]["value"], "second");
    assert_eq!(values[1]["value"], "third");
    let state = env.state(&api.uuid).await;
    assert_eq!(
        state["cases"][0]["custom_field_values"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // An admin retypes the field; the API then enforces the new type.
    let retyped = env
        .admin_json(
            Method::POST,
            &format!(
                "/_sandbox/firms/{}/custom_fields/{summary}/retype",
                api.uuid
            ),
            Some(json!({"field_type": "numeric"})),
        )
        .await;
    assert_eq!(retyped["field_type"], "numeric");
    let resp = api
        .put(&format!("/v1/cases/{case}"), put("not a number"))
        .await;
    assert_eq!(pointers(resp).await, vec!["/custom_field_values/0/value"]);

    // Fields over the API: create (list needs options), list options 200, delete 204.
    let resp = api
        .post(
            "/v1/custom_fields",
            json!({"name": "Stage", "parent_type": "case", "field_type": "list"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/list_options"]);
    let resp = api.post("/v1/custom_fields", json!({"name": "Stage", "parent_type": "case", "field_type": "list", "list_options": [{"option_value": "A"}]})).await;
    assert_eq!(resp.status(), 201);
    let field: Value = resp.json().await.unwrap();
    let fid = field["id"].as_i64().unwrap();
    let resp = api
        .post(
            &format!("/v1/custom_fields/{fid}/list_options"),
            json!({"list_options": [{"option_value": "B"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let options: Value = resp.json().await.unwrap();
    assert_eq!(options.as_array().unwrap().len(), 2);
    let key_b = options[1]["key"].as_str().unwrap();
    // A list value given by key is stored as the option text.
    let resp = api.put(&format!("/v1/cases/{case}"), json!({"name": "Fernandez - Asylum", "custom_field_values": [{"custom_field": {"id": fid}, "value": key_b}]})).await;
    assert_eq!(resp.status(), 204);
    let got = api.get_json(&format!("/v1/cases/{case}")).await;
    assert!(
        got["custom_field_values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "B")
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("/v1/custom_fields/{fid}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        api.get(&format!("/v1/custom_fields/{fid}")).await.status(),
        404
    );
    let listed = api.get("/v1/custom_fields?page_size=2").await;
    assert_eq!(item_count(&listed), 6);
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn threads_and_messages_keep_order() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let case = id(&created, "case_ids", 0);
    let staff = id(&created, "staff_ids", 0);
    let client = id(&created, "client_ids", 0);

    let resp = api
        .post(&format!("/v1/cases/{case}/message_threads"), json!({
            "subject": "Your hearing", "first_message_body": "Line one\nLine two <b>",
            "sender": {"id": staff}, "client_recipients": [{"id": client}], "staff_recipients": [{"id": staff}]
        }))
        .await;
    assert_eq!(resp.status(), 201);
    let thread: Value = resp.json().await.unwrap();
    assert_eq!(thread["case"]["id"], case);
    assert_eq!(thread["first_message_body"], "Line one\nLine two <b>");
    let tid = thread["id"].as_i64().unwrap();

    let mut ids = Vec::new();
    for i in 0..6 {
        let sender = if i % 2 == 0 { client } else { staff };
        let resp = api
            .post(
                &format!("/v1/message_threads/{tid}/messages"),
                json!({"sender": {"id": sender}, "body": format!("message {i}")}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let m: Value = resp.json().await.unwrap();
        assert_eq!(m["message_thread"]["id"], tid);
        assert_eq!(m["sender"]["id"], sender);
        ids.push(m["id"].as_i64().unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // Rejections: unknown sender, empty body, missing sender; unknown thread.
    let (other, _) = env.firm(standard_firm()).await;
    let foreign_staff = id(&other, "staff_ids", 0);
    let resp = api
        .post(
            &format!("/v1/message_threads/{tid}/messages"),
            json!({"sender": {"id": foreign_staff}, "body": "hi"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/sender/id"]);
    let resp = api
        .post(
            &format!("/v1/message_threads/{tid}/messages"),
            json!({"sender": {"id": staff}, "body": "   "}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/body"]);
    let resp = api
        .post(
            &format!("/v1/message_threads/{tid}/messages"),
            json!({"body": "who?"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/sender"]);
    assert_eq!(
        api.post(
            "/v1/message_threads/1/messages",
            json!({"sender": {"id": staff}, "body": "x"})
        )
        .await
        .status(),
        404
    );
    let resp = api
        .post(
            &format!("/v1/cases/{case}/message_threads"),
            json!({"first_message_body": "x"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/subject"]);

    // A firm-level thread.
    let resp = api.post("/v1/message_threads", json!({"subject": "General", "first_message_body": "Hello", "client_recipients": [{"id": client}]})).await;
    assert_eq!(resp.status(), 201);
    let general: Value = resp.json().await.unwrap();
    assert_eq!(general["case"], Value::Null);
    assert_eq!(
        general["sender"]["id"], staff,
        "defaults to the authorizing user"
    );

    let state = env.state(&api.uuid).await;
    let t = state["message_threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tid)
        .unwrap()
        .clone();
    let msgs = t["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 7);
    assert_eq!(msgs[0]["body"], "Line one\nLine two <b>");
    assert_eq!(msgs[0]["sender"]["id"], staff);
    for (i, m) in msgs[1..].iter().enumerate() {
        assert_eq!(m["body"], format!("message {i}"));
        assert_eq!(m["id"], ids[i]);
    }

    let listed = api
        .get_json(&format!("/v1/clients/{client}/message_threads"))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let other_client = id(&created, "client_ids", 1);
    assert_eq!(
        api.get_json(&format!("/v1/clients/{other_client}/message_threads"))
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The page shows it, escaped, with line breaks kept.
    let html = env
        .http
        .get(env.url(&format!("/_sandbox/firms/{}", api.uuid)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Line one\nLine two &lt;b&gt;"));
    assert!(
        html.contains("Your hearing")
            && html.contains("Ana Lopez (staff)")
            && html.contains("message 5")
    );
    assert!(html.contains("Test &amp; Partners"));
    let index = env
        .http
        .get(env.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains(&format!("/_sandbox/firms/{}", api.uuid)));
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn clients_leads_notes_and_filters() {
    let env = start().await;
    let (created, api) = env.firm(standard_firm()).await;
    let client = id(&created, "client_ids", 0);
    let language = id(&created, "custom_field_ids", 5);

    let found = api
        .get_json("/v1/clients?filter%5Bemail%5D=LUCIA%40EXAMPLE.COM")
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], client);
    assert_eq!(found[0]["cases"][0]["id"], id(&created, "case_ids", 0));
    let found = api
        .get_json("/v1/clients?filter%5Bcell_phone_number%5D=%2B15125550101")
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(
        api.get_json("/v1/clients?filter%5Blast_name%5D=nobody")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let resp = api
        .post(
            "/v1/clients",
            json!({"first_name": "Mei", "last_name": "Chen", "email": "mei@example.com",
            "custom_field_values": [{"custom_field": {"id": language}, "value": "Mandarin"}]}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let mei: Value = resp.json().await.unwrap();
    let mei_id = mei["id"].as_i64().unwrap();
    assert_eq!(mei["custom_field_values"][0]["value"], "Mandarin");
    let resp = api
        .put(
            &format!("/v1/clients/{mei_id}"),
            json!({"first_name": "Mei", "last_name": "Chen-Li"}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    let got = api.get_json(&format!("/v1/clients/{mei_id}")).await;
    assert_eq!(got["last_name"], "Chen-Li");
    assert_eq!(got["email"], "mei@example.com", "PUT merges");
    // Changing to another client's email is a duplicate too.
    let resp = api
        .put(
            &format!("/v1/clients/{mei_id}"),
            json!({"first_name": "Mei", "last_name": "C", "email": "tomas@example.com"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/email"]);

    let resp = api
        .post(
            "/v1/leads",
            json!({"first_name": "Sam", "last_name": "Porter", "email": "sam@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let lead: Value = resp.json().await.unwrap();
    assert_eq!(lead["approved"], false);
    let lid = lead["id"].as_i64().unwrap();
    assert_eq!(
        api.put(
            &format!("/v1/leads/{lid}"),
            json!({"first_name": "Sam", "last_name": "Porter", "lead_details": "Walk-in"})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        api.get_json(&format!("/v1/leads/{lid}")).await["lead_details"],
        "Walk-in"
    );
    assert_eq!(
        api.get_json("/v1/leads?filter%5Bemail%5D=SAM%40example.com")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Notes on a client: 200 on create, required fields, ISO dates.
    let resp = api
        .post(
            &format!("/v1/clients/{client}/notes"),
            json!({"subject": "Call", "note": "Spoke", "date": "2026-11-24T17:16:19-05:00"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let note: Value = resp.json().await.unwrap();
    assert_eq!(note["date"], "2026-11-24T22:16:19Z");
    assert_eq!(note["client"]["id"], client);
    assert_eq!(
        api.get_json(&format!("/v1/notes/{}", note["id"])).await["subject"],
        "Call"
    );
    let resp = api
        .post(
            &format!("/v1/clients/{client}/notes"),
            json!({"note": "x", "date": "yesterday"}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/subject", "/date"]);

    // Cases: create with clients and staff, filter by status, a client's cases.
    let staff = id(&created, "staff_ids", 0);
    let resp = api
        .post("/v1/cases", json!({"name": "Chen - Petition", "clients": [{"id": mei_id}], "staff": [{"id": staff, "lead_lawyer": true}],
            "status": "closed", "practice_area": "immigration", "case_stage": "Unknown Stage", "opened_date": "2026-01-05"}))
        .await;
    assert_eq!(resp.status(), 201);
    let case: Value = resp.json().await.unwrap();
    assert_eq!(case["practice_area"], "Immigration");
    assert_eq!(
        case["case_stage"],
        Value::Null,
        "unknown stage becomes blank"
    );
    assert!(case["closed_date"].is_string());
    assert_eq!(
        api.get_json("/v1/cases?filter%5Bstatus%5D=closed")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.get_json(&format!("/v1/clients/{mei_id}/cases")).await[0]["id"],
        case["id"]
    );
    let expanded = api
        .get_json(&format!(
            "/v1/cases/{}?field%5Bclient%5D=first_name,email",
            case["id"]
        ))
        .await;
    assert_eq!(expanded["clients"][0]["email"], "mei@example.com");
    assert_eq!(
        api.get("/v1/cases?field%5Bcustom_field%5D=name")
            .await
            .status(),
        400
    );
    let resp = api
        .post(
            "/v1/cases",
            json!({"name": "Bad refs", "clients": [{"id": 1}]}),
        )
        .await;
    assert_eq!(pointers(resp).await, vec!["/clients/0/id"]);
    assert_eq!(api.get_json("/v1/me").await["id"], staff);
    assert_eq!(
        api.get_json(&format!("/v1/staff/{staff}")).await["first_name"],
        "Ana"
    );
    env.sandbox.shutdown().await;
}

/// `filter[updated_after]` on clients (reference §3.2): created or updated at or after
/// the time, inclusive; every client carries its `updated_at`; a bad value is a 400 on
/// the parameter. What the bundle's client index keeps itself fresh with.
#[tokio::test]
async fn clients_filter_by_updated_after() {
    let env = start().await;
    let (_, api) = env.firm(json!({"name": "Index"})).await;
    let body =
        |first: &str, email: &str| json!({"first_name": first, "last_name": "Doe", "email": email});
    let old: Value = api
        .post("/v1/clients", body("Old", "old@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let old_id = old["id"].as_i64().unwrap();
    assert!(old["updated_at"].as_str().unwrap().ends_with('Z'), "{old}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let new: Value = api
        .post("/v1/clients", body("New", "new@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let ids = |v: Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let q = |t: &str| {
        format!(
            "/v1/clients?filter%5Bupdated_after%5D={}",
            t.replace('+', "%2B")
        )
    };
    assert_eq!(
        ids(api.get_json(&q(&since)).await),
        vec![new["id"].as_i64().unwrap()]
    );
    // An update counts as a change.
    let resp = api
        .put(
            &format!("/v1/clients/{old_id}"),
            body("Old", "renamed@example.com"),
        )
        .await;
    assert_eq!(resp.status(), 204);
    let changed = api.get_json(&q(&since)).await;
    assert_eq!(ids(changed.clone()).len(), 2, "{changed}");
    // Inclusive: the newest change's own time still lists it.
    let newest = changed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["updated_at"].as_str().unwrap().to_owned())
        .max()
        .unwrap();
    assert!(!ids(api.get_json(&q(&newest)).await).is_empty());
    // A date alone is a time too (midnight UTC); anything else is refused on the parameter.
    assert_eq!(ids(api.get_json(&q("2000-01-01")).await).len(), 2);
    let resp = api.get(&q("yesterday")).await;
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(
        err["errors"][0]["source"]["parameter"],
        "filter[updated_after]"
    );
}
