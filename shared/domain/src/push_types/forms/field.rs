//! MyCase case custom fields as the mapping sees them (reference §6.1): a known type,
//! and for a list (dropdown) its options.

use crate::ids::CustomFieldId;
use mycase_client::model::CustomField;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The seven MyCase custom-field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    ShortText,
    LongText,
    Numeric,
    Currency,
    Date,
    Boolean,
    List,
}

impl FieldType {
    pub const ALL: [FieldType; 7] = [
        FieldType::ShortText,
        FieldType::LongText,
        FieldType::Numeric,
        FieldType::Currency,
        FieldType::Date,
        FieldType::Boolean,
        FieldType::List,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::ShortText => "short_text",
            FieldType::LongText => "long_text",
            FieldType::Numeric => "numeric",
            FieldType::Currency => "currency",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
            FieldType::List => "list",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One option of a list field: MyCase's stable `key` and the text firms see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOption {
    pub key: String,
    pub text: String,
}

/// A custom field on MyCase cases that a form answer can be written to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseField {
    pub id: CustomFieldId,
    pub name: String,
    pub field_type: FieldType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ListOption>,
}

/// Why a MyCase custom field cannot take form answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotACaseField {
    /// It belongs to clients, companies, time entries…
    OtherParent,
    /// A type MyCase added after this code was written.
    UnknownType,
    /// MyCase sent an id that is not a positive integer.
    BadId,
}

impl CaseField {
    /// Reads a MyCase definition; only `parent_type = case` fields of a known type qualify.
    pub fn from_definition(def: &CustomField) -> Result<Self, NotACaseField> {
        if def.parent_type != "case" {
            return Err(NotACaseField::OtherParent);
        }
        let field_type = FieldType::parse(&def.field_type).ok_or(NotACaseField::UnknownType)?;
        let id = CustomFieldId::new(def.id).map_err(|_| NotACaseField::BadId)?;
        Ok(Self {
            id,
            name: def.name.clone(),
            field_type,
            options: def
                .list_options
                .iter()
                .map(|o| ListOption {
                    key: o.key.clone(),
                    text: o.option.clone(),
                })
                .collect(),
        })
    }

    /// The MyCase definition this was read from (a case field, by construction), so a
    /// cached catalogue re-checks mappings exactly as a live read does.
    pub fn to_definition(&self) -> CustomField {
        CustomField {
            id: self.id.get(),
            name: self.name.clone(),
            parent_type: "case".into(),
            field_type: self.field_type.as_str().into(),
            list_options: self
                .options
                .iter()
                .map(|o| mycase_client::model::ListOption {
                    key: o.key.clone(),
                    option: o.text.clone(),
                    created_at: None,
                    updated_at: None,
                })
                .collect(),
            created_at: None,
            updated_at: None,
        }
    }

    /// The option with this key, or else with this text (case-insensitive).
    pub fn option(&self, key_or_text: &str) -> Option<&ListOption> {
        let wanted = key_or_text.trim();
        self.options.iter().find(|o| o.key == wanted).or_else(|| {
            self.options
                .iter()
                .find(|o| o.text.trim().eq_ignore_ascii_case(wanted))
        })
    }
}
