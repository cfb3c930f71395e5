//! Creating firms from a compact spec (`POST /_sandbox/firms`) and the demo data set
//! (`--seed demo`).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::app::{AppRef, lock};
use crate::clock;
use crate::crypto;
use crate::errors::{ApiError, FieldErrors};
use crate::field_values::{FIELD_TYPES, PARENT_TYPES};
use crate::store::{
    CfValue, Document, Firm, IdKind, Message, Note, Store, Thread, Upload, Version,
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FirmSpec {
    pub name: Option<String>,
    pub staff: Vec<StaffSpec>,
    pub clients: Vec<ContactSpec>,
    pub leads: Vec<ContactSpec>,
    pub cases: Vec<CaseSpec>,
    pub custom_fields: Vec<FieldSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StaffSpec {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactSpec {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub cell_phone_number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CaseSpec {
    pub name: String,
    pub client_indexes: Vec<usize>,
    pub staff_indexes: Vec<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FieldSpec {
    pub name: String,
    pub parent_type: String,
    pub field_type: String,
    pub list_options: Vec<String>,
}

fn validate(spec: &FirmSpec) -> Result<(), ApiError> {
    let mut errs = FieldErrors::default();
    for (i, s) in spec.staff.iter().enumerate() {
        if s.first_name.trim().is_empty() || s.last_name.trim().is_empty() {
            errs.push(
                &format!("/staff/{i}"),
                "first_name and last_name are required",
            );
        }
    }
    for (key, list) in [("clients", &spec.clients), ("leads", &spec.leads)] {
        for (i, c) in list.iter().enumerate() {
            if c.first_name.trim().is_empty() || c.last_name.trim().is_empty() {
                errs.push(
                    &format!("/{key}/{i}"),
                    "first_name and last_name are required",
                );
            }
        }
    }
    for (i, c) in spec.cases.iter().enumerate() {
        if c.name.trim().is_empty() {
            errs.push(&format!("/cases/{i}/name"), "can't be blank");
        }
        if spec.cases[..i]
            .iter()
            .any(|o| o.name.trim() == c.name.trim())
        {
            errs.push(&format!("/cases/{i}/name"), "has already been taken");
        }
        if c.client_indexes.iter().any(|&x| x >= spec.clients.len()) {
            errs.push(&format!("/cases/{i}/client_indexes"), "index out of range");
        }
        if c.staff_indexes
            .iter()
            .any(|&x| x >= spec.staff.len().max(1))
        {
            errs.push(&format!("/cases/{i}/staff_indexes"), "index out of range");
        }
    }
    for (i, f) in spec.custom_fields.iter().enumerate() {
        if f.name.trim().is_empty() {
            errs.push(&format!("/custom_fields/{i}/name"), "can't be blank");
        }
        if !PARENT_TYPES.contains(&f.parent_type.as_str()) {
            errs.push(
                &format!("/custom_fields/{i}/parent_type"),
                "is not a parent type",
            );
        }
        if !FIELD_TYPES.contains(&f.field_type.as_str()) {
            errs.push(
                &format!("/custom_fields/{i}/field_type"),
                "is not a field type",
            );
        }
        if f.field_type == "list" && f.list_options.is_empty() {
            errs.push(
                &format!("/custom_fields/{i}/list_options"),
                "can't be blank for a list field",
            );
        }
    }
    errs.check()
}

fn contact_attrs(c: &ContactSpec) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("first_name".into(), json!(c.first_name.trim()));
    m.insert("last_name".into(), json!(c.last_name.trim()));
    if let Some(e) = c.email.as_deref().filter(|e| !e.trim().is_empty()) {
        m.insert("email".into(), json!(e.trim()));
    }
    if let Some(p) = c
        .cell_phone_number
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        m.insert("cell_phone_number".into(), json!(p.trim()));
    }
    m
}

/// Creates a firm; returns the ids of everything made, in spec order.
pub fn create_firm(store: &mut Store, spec: FirmSpec) -> Result<Value, ApiError> {
    validate(&spec)?;
    let now = clock::now();
    let uuid = crypto::uuid_v4();
    let name = spec
        .name
        .clone()
        .unwrap_or_else(|| "Sandbox Law Firm".into());
    let mut firm = Firm::new(uuid.clone(), name, now);
    let ids = &mut store.ids;
    let mut staff_ids: Vec<i64> = spec
        .staff
        .iter()
        .map(|s| {
            firm.add_staff(
                ids,
                s.first_name.trim(),
                s.last_name.trim(),
                s.email.trim(),
                now,
            )
        })
        .collect();
    if staff_ids.is_empty() {
        // Every firm has at least the user who authorizes apps (`GET /v1/me`).
        staff_ids.push(firm.add_staff(ids, "Avery", "Admin", "avery.admin@example.com", now));
    }
    let client_ids: Vec<i64> = spec
        .clients
        .iter()
        .map(|c| firm.add_contact(ids, false, contact_attrs(c), Vec::new(), now))
        .collect();
    let lead_ids: Vec<i64> = spec
        .leads
        .iter()
        .map(|c| {
            let mut attrs = contact_attrs(c);
            attrs.insert("status".into(), json!("new"));
            attrs.insert("approved".into(), json!(false));
            firm.add_contact(ids, true, attrs, Vec::new(), now)
        })
        .collect();
    let custom_field_ids: Vec<i64> = spec
        .custom_fields
        .iter()
        .map(|f| {
            firm.add_custom_field(
                ids,
                f.name.trim(),
                &f.parent_type,
                &f.field_type,
                &f.list_options,
                now,
            )
        })
        .collect();
    let mut case_ids = Vec::new();
    for c in &spec.cases {
        let id = firm.add_case(ids, c.name.trim(), now);
        let case = firm.cases.get_mut(&id).expect("just added");
        case.clients = c.client_indexes.iter().map(|&i| client_ids[i]).collect();
        case.staff = c
            .staff_indexes
            .iter()
            .map(|&i| crate::store::CaseStaff {
                id: staff_ids[i],
                lead_lawyer: true,
                originating_lawyer: false,
            })
            .collect();
        case.attrs.insert(
            "opened_date".into(),
            json!(now.format("%Y-%m-%d").to_string()),
        );
        case_ids.push(id);
    }
    store.firms.push(firm);
    Ok(json!({
        "firm_uuid": uuid,
        "staff_ids": staff_ids,
        "client_ids": client_ids,
        "lead_ids": lead_ids,
        "case_ids": case_ids,
        "custom_field_ids": custom_field_ids,
    }))
}

/// A small, believable firm for demos: an immigration practice with cases, custom
/// fields, a note, a two-message thread and one uploaded document.
pub fn demo(app: &AppRef) -> Result<Value, ApiError> {
    let spec: FirmSpec = serde_json::from_value(json!({
        "name": "Hartley & Ruiz Immigration Law",
        "staff": [
            {"first_name": "Dana", "last_name": "Hartley", "email": "dana@hartleyruiz.example"},
            {"first_name": "Marco", "last_name": "Ruiz", "email": "marco@hartleyruiz.example"},
            {"first_name": "Priya", "last_name": "Nair", "email": "priya@hartleyruiz.example"}
        ],
        "clients": [
            {"first_name": "Lucia", "last_name": "Fernandez", "email": "lucia.fernandez@example.com", "cell_phone_number": "+15125550101"},
            {"first_name": "Tomas", "last_name": "Okafor", "email": "tomas.okafor@example.com", "cell_phone_number": "+15125550102"},
            {"first_name": "Mei", "last_name": "Chen", "email": "mei.chen@example.com"}
        ],
        "leads": [{"first_name": "Sam", "last_name": "Porter", "email": "sam.porter@example.com"}],
        "cases": [
            {"name": "Fernandez - Asylum Application", "client_indexes": [0], "staff_indexes": [0]},
            {"name": "Okafor - H-1B Transfer", "client_indexes": [1], "staff_indexes": [1]},
            {"name": "Chen - Family Petition", "client_indexes": [2], "staff_indexes": [0]}
        ],
        "custom_fields": [
            {"name": "Case Type", "parent_type": "case", "field_type": "list", "list_options": ["Asylum", "Work Visa", "Family Petition"]},
            {"name": "Hearing Date", "parent_type": "case", "field_type": "date"},
            {"name": "Last Hona Activity", "parent_type": "case", "field_type": "short_text"},
            {"name": "Filing Fee", "parent_type": "case", "field_type": "currency"},
            {"name": "Preferred Language", "parent_type": "client", "field_type": "short_text"}
        ]
    }))
    .map_err(|e| ApiError::bad_request(&e.to_string()))?;
    let mut store = lock(&app.store);
    let created = create_firm(&mut store, spec)?;
    let uuid = created["firm_uuid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ids_of = |k: &str| -> Vec<i64> {
        created[k]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    let (staff, clients, cases, fields) = (
        ids_of("staff_ids"),
        ids_of("client_ids"),
        ids_of("case_ids"),
        ids_of("custom_field_ids"),
    );
    let now = clock::now();
    let Store { firms, ids } = &mut *store;
    let firm = firms
        .iter_mut()
        .find(|f| f.uuid == uuid)
        .expect("just created");

    let case = firm.cases.get_mut(&cases[0]).expect("demo case");
    case.custom_field_values = vec![
        CfValue {
            field_id: fields[0],
            value: json!("Asylum"),
            created_at: now,
            updated_at: now,
        },
        CfValue {
            field_id: fields[1],
            value: json!("2027-02-15"),
            created_at: now,
            updated_at: now,
        },
    ];
    let note_id = ids.next(IdKind::Note);
    firm.notes.insert(note_id, Note {
        id: note_id,
        subject: "Intake call".into(),
        note: "Client confirmed entry date and prior addresses.\nFollow up on translated birth certificate.".into(),
        date: Some(now.format("%Y-%m-%d").to_string()),
        case_id: Some(cases[0]),
        client_id: None,
        created_by: staff[0],
        created_at: now,
        updated_at: now,
    });
    let thread_id = ids.next(IdKind::Thread);
    let first = "Hi Lucia,\nplease upload the translated birth certificate when you can.";
    firm.threads.insert(
        thread_id,
        Thread {
            id: thread_id,
            subject: "Documents for your asylum application".into(),
            first_message_body: first.into(),
            sender_id: staff[0],
            case_id: Some(cases[0]),
            client_ids: vec![clients[0]],
            staff_ids: vec![staff[0]],
            messages: vec![
                Message {
                    id: ids.next(IdKind::Message),
                    sender_id: staff[0],
                    body: first.into(),
                    created_at: now,
                },
                Message {
                    id: ids.next(IdKind::Message),
                    sender_id: clients[0],
                    body: "Thank you! I will send it tomorrow.".into(),
                    created_at: now,
                },
            ],
            created_at: now,
            updated_at: now,
        },
    );
    // One document with real bytes so downloads and the page have something to show.
    let bytes = b"%PDF-1.4\n% demo intake form\n";
    let dir = app.config.data_dir.join(&uuid);
    let doc_id = ids.next(IdKind::Document);
    let file = dir.join(format!("{doc_id}-v1"));
    let upload = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&file, bytes))
        .ok()
        .map(|_| Upload {
            size_bytes: bytes.len() as u64,
            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
            file,
            uploaded_at: now,
        });
    let root = firm.cases[&cases[0]].root_folder;
    let folder = firm.ensure_folders(ids, Some(cases[0]), root, &["Intake"], now);
    firm.documents.insert(
        doc_id,
        Document {
            id: doc_id,
            case_id: Some(cases[0]),
            folder_id: folder,
            name: "Intake Form".into(),
            filename: "intake-form.pdf".into(),
            description: Some("Signed intake form".into()),
            assigned_date: None,
            versions: vec![Version {
                id: ids.next(IdKind::Version),
                number: 1,
                upload,
                created_at: now,
                updated_at: now,
            }],
            created_at: now,
            updated_at: now,
        },
    );
    Ok(created)
}
