//! The sandbox's state: every firm and what it holds. One `Mutex<Store>` guards it all;
//! handlers take the lock, validate, mutate and render without awaiting in between, so
//! each API call is atomic (a rejected request changes nothing).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Ids are global across firms (so a sender id names exactly one staff member or client)
/// and start from realistic magnitudes (reference §3.3: case `41349079`, field `1130203`).
#[derive(Debug, Clone, Copy)]
pub enum IdKind {
    Staff,
    Client,
    Lead,
    Case,
    CustomField,
    ListOption,
    Note,
    Thread,
    Message,
    Folder,
    Document,
    Version,
}

const ID_BASES: [i64; 12] = [
    88_000, 5_550_000, 7_720_000, 41_349_000, 1_130_000, 310_000, 61_200_000, 9_100_000,
    18_800_000, 4_410_000, 23_400_000, 23_900_000,
];

#[derive(Debug)]
pub struct Ids {
    next: [i64; 12],
}

impl Default for Ids {
    fn default() -> Self {
        Ids { next: ID_BASES }
    }
}

impl Ids {
    pub fn next(&mut self, kind: IdKind) -> i64 {
        let slot = &mut self.next[kind as usize];
        *slot += 1;
        *slot
    }
}

#[derive(Debug, Default)]
pub struct Store {
    pub firms: Vec<Firm>,
    /// Survives `/_sandbox/reset`: ids are never reused, so a client's stale cache can't
    /// silently point at a new record.
    pub ids: Ids,
}

impl Store {
    pub fn firm(&self, uuid: &str) -> Option<&Firm> {
        self.firms.iter().find(|f| f.uuid == uuid)
    }

    pub fn firm_mut(&mut self, uuid: &str) -> Option<&mut Firm> {
        self.firms.iter_mut().find(|f| f.uuid == uuid)
    }
}

#[derive(Debug)]
pub struct Firm {
    pub uuid: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub staff: BTreeMap<i64, Staff>,
    pub clients: BTreeMap<i64, Contact>,
    pub leads: BTreeMap<i64, Contact>,
    pub cases: BTreeMap<i64, Case>,
    pub notes: BTreeMap<i64, Note>,
    pub threads: BTreeMap<i64, Thread>,
    pub custom_fields: BTreeMap<i64, CustomField>,
    pub folders: BTreeMap<i64, Folder>,
    pub documents: BTreeMap<i64, Document>,
    /// Names a case's `case_stage` / `practice_area` may take; others become null.
    pub case_stages: Vec<String>,
    pub practice_areas: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub title: String,
    pub staff_type: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Staff {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A client (person contact) or a lead. Their many optional scalar fields live in
/// `attrs` keyed by API field name; `validate::FieldKind` specs say which are writable.
#[derive(Debug, Clone)]
pub struct Contact {
    pub id: i64,
    pub attrs: Map<String, Value>,
    pub custom_field_values: Vec<CfValue>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(Value::as_str)
    }

    pub fn full_name(&self) -> String {
        format!(
            "{} {}",
            self.str_attr("first_name").unwrap_or(""),
            self.str_attr("last_name").unwrap_or("")
        )
    }
}

#[derive(Debug, Clone)]
pub struct CaseStaff {
    pub id: i64,
    pub lead_lawyer: bool,
    pub originating_lawyer: bool,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: i64,
    pub name: String,
    pub status: String,
    /// case_number, description, opened_date, closed_date, sol_date, practice_area,
    /// case_stage, outstanding_balance, billing_contact.
    pub attrs: Map<String, Value>,
    pub clients: Vec<i64>,
    pub companies: Vec<i64>,
    pub staff: Vec<CaseStaff>,
    /// As stored: with the append quirk on, one field can appear more than once.
    pub custom_field_values: Vec<CfValue>,
    pub root_folder: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CfValue {
    pub field_id: i64,
    pub value: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CustomField {
    pub id: i64,
    pub name: String,
    pub parent_type: String,
    pub field_type: String,
    pub list_options: Vec<ListOption>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ListOption {
    pub key: String,
    pub option: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub id: i64,
    pub subject: String,
    pub note: String,
    pub date: Option<String>,
    pub case_id: Option<i64>,
    pub client_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Thread {
    pub id: i64,
    pub subject: String,
    pub first_message_body: String,
    pub sender_id: i64,
    pub case_id: Option<i64>,
    pub client_ids: Vec<i64>,
    pub staff_ids: Vec<i64>,
    /// In arrival order; message #1 is the thread's first message.
    pub messages: Vec<Message>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: i64,
    pub sender_id: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Folder {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub case_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub id: i64,
    pub case_id: Option<i64>,
    pub folder_id: i64,
    pub name: String,
    pub filename: String,
    pub description: Option<String>,
    pub assigned_date: Option<String>,
    pub versions: Vec<Version>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Version {
    pub id: i64,
    pub number: u32,
    pub upload: Option<Upload>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Bytes that arrived in full through the fake S3.
#[derive(Debug, Clone)]
pub struct Upload {
    pub size_bytes: u64,
    pub sha256: String,
    pub file: PathBuf,
    pub uploaded_at: DateTime<Utc>,
}

impl Firm {
    pub fn new(uuid: String, name: String, now: DateTime<Utc>) -> Firm {
        Firm {
            uuid,
            name,
            created_at: now,
            staff: BTreeMap::new(),
            clients: BTreeMap::new(),
            leads: BTreeMap::new(),
            cases: BTreeMap::new(),
            notes: BTreeMap::new(),
            threads: BTreeMap::new(),
            custom_fields: BTreeMap::new(),
            folders: BTreeMap::new(),
            documents: BTreeMap::new(),
            case_stages: ["Intake", "Discovery", "Negotiation", "Trial", "On Hold"]
                .map(String::from)
                .to_vec(),
            practice_areas: [
                "Immigration",
                "Family Law",
                "Personal Injury",
                "Criminal Defense",
                "Estate Planning",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    /// `GET /v1/me` and authorship of notes: the user who authorized the app, which the
    /// sandbox takes to be the firm's first staff member.
    pub fn me(&self) -> Option<&Staff> {
        self.staff.values().next()
    }

    /// Message senders may be staff or contacts (clients) of the firm.
    pub fn is_person(&self, id: i64) -> bool {
        self.staff.contains_key(&id) || self.clients.contains_key(&id)
    }

    pub fn person_name(&self, id: i64) -> String {
        if let Some(s) = self.staff.get(&id) {
            return format!("{} (staff)", s.full_name());
        }
        if let Some(c) = self.clients.get(&id) {
            return format!("{} (client)", c.full_name());
        }
        format!("#{id} (unknown)")
    }

    pub fn add_staff(
        &mut self,
        ids: &mut Ids,
        first: &str,
        last: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> i64 {
        let id = ids.next(IdKind::Staff);
        let first_ever = self.staff.is_empty();
        self.staff.insert(
            id,
            Staff {
                id,
                first_name: first.into(),
                last_name: last.into(),
                email: email.into(),
                title: if first_ever {
                    "Managing Partner"
                } else {
                    "Associate"
                }
                .into(),
                staff_type: if first_ever { "Attorney" } else { "Staff" }.into(),
                active: true,
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    pub fn add_contact(
        &mut self,
        ids: &mut Ids,
        lead: bool,
        attrs: Map<String, Value>,
        cfv: Vec<CfValue>,
        now: DateTime<Utc>,
    ) -> i64 {
        let id = ids.next(if lead { IdKind::Lead } else { IdKind::Client });
        let c = Contact {
            id,
            attrs,
            custom_field_values: cfv,
            created_at: now,
            updated_at: now,
        };
        if lead {
            self.leads.insert(id, c);
        } else {
            self.clients.insert(id, c);
        }
        id
    }

    /// A new case comes with its root document folder, named after the case.
    pub fn add_case(&mut self, ids: &mut Ids, name: &str, now: DateTime<Utc>) -> i64 {
        let id = ids.next(IdKind::Case);
        let folder = ids.next(IdKind::Folder);
        self.folders.insert(
            folder,
            Folder {
                id: folder,
                name: name.into(),
                parent_id: None,
                case_id: Some(id),
                created_at: now,
                updated_at: now,
            },
        );
        self.cases.insert(
            id,
            Case {
                id,
                name: name.into(),
                status: "open".into(),
                attrs: Map::new(),
                clients: Vec::new(),
                companies: Vec::new(),
                staff: Vec::new(),
                custom_field_values: Vec::new(),
                root_folder: folder,
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    pub fn add_custom_field(
        &mut self,
        ids: &mut Ids,
        name: &str,
        parent_type: &str,
        field_type: &str,
        options: &[String],
        now: DateTime<Utc>,
    ) -> i64 {
        let id = ids.next(IdKind::CustomField);
        let list_options = options
            .iter()
            .map(|o| ListOption {
                key: ids.next(IdKind::ListOption).to_string(),
                option: o.clone(),
                created_at: now,
                updated_at: now,
            })
            .collect();
        self.custom_fields.insert(
            id,
            CustomField {
                id,
                name: name.into(),
                parent_type: parent_type.into(),
                field_type: field_type.into(),
                list_options,
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    /// Walks `segments` below `parent`, creating missing folders (documents' `path` and
    /// `POST /cases/{id}/subfolders` both auto-create). Returns the deepest folder id.
    pub fn ensure_folders(
        &mut self,
        ids: &mut Ids,
        case_id: Option<i64>,
        parent: i64,
        segments: &[&str],
        now: DateTime<Utc>,
    ) -> i64 {
        let mut cur = parent;
        for seg in segments {
            let existing = self
                .folders
                .values()
                .find(|f| f.parent_id == Some(cur) && f.name == *seg)
                .map(|f| f.id);
            cur = match existing {
                Some(id) => id,
                None => {
                    let id = ids.next(IdKind::Folder);
                    self.folders.insert(
                        id,
                        Folder {
                            id,
                            name: (*seg).into(),
                            parent_id: Some(cur),
                            case_id,
                            created_at: now,
                            updated_at: now,
                        },
                    );
                    id
                }
            };
        }
        cur
    }

    /// `Sub/Folder` below the case root (the root itself is the empty path).
    pub fn folder_path(&self, folder_id: i64) -> String {
        let mut parts = Vec::new();
        let mut cur = self.folders.get(&folder_id);
        while let Some(f) = cur {
            match f.parent_id {
                Some(p) => {
                    parts.push(f.name.clone());
                    cur = self.folders.get(&p);
                }
                None => break,
            }
        }
        parts.reverse();
        parts.join("/")
    }

    pub fn document_path(&self, doc: &Document) -> String {
        let folder = self.folder_path(doc.folder_id);
        if folder.is_empty() {
            doc.name.clone()
        } else {
            format!("{folder}/{}", doc.name)
        }
    }
}
