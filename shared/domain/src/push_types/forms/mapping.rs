//! A mapping: (integration, form, question) → one MyCase case field, as saved, and
//! whether it still holds (admins change fields in MyCase after the fact).

use super::compatibility::compatibility;
use super::convert::ChoiceMap;
use super::field::{CaseField, FieldType, NotACaseField};
use super::question::QuestionType;
use crate::ids::{CustomFieldId, FormId, IntegrationId, QuestionId};
use crate::reason::Reason;
use chrono::{DateTime, Utc};
use mycase_client::model::CustomField;
use serde::{Deserialize, Serialize};

/// Whether a mapping can be written through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MappingStatus {
    Ok,
    /// The field changed in MyCase; answers are not written until it is fixed.
    Broken(Broken),
}

/// Why a mapping cannot be written through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broken {
    /// Machine-readable: `field_deleted`, `not_a_case_field`, `field_retyped`,
    /// `option_gone`, `question_retyped`.
    pub kind: Reason,
    /// A plain sentence naming ids and types, never values.
    pub reason: String,
}

/// One saved mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub integration_id: IntegrationId,
    pub form_id: FormId,
    pub question_id: QuestionId,
    pub question_type: QuestionType,
    pub field_id: CustomFieldId,
    /// The field's type when the mapping was saved: a retype breaks the mapping.
    pub field_type: FieldType,
    /// For a choice question mapped to a list field: choice → list option key.
    #[serde(default, skip_serializing_if = "ChoiceMap::is_empty")]
    pub choices: ChoiceMap,
    pub status: MappingStatus,
    pub saved_at: DateTime<Utc>,
}

impl Mapping {
    /// The DynamoDB sort key: `form#{form_id}#question#{question_id}` (ids cannot hold `#`).
    pub fn key(&self) -> String {
        mapping_key(&self.form_id, &self.question_id)
    }
}

pub fn mapping_key(form: &FormId, question: &QuestionId) -> String {
    format!("form#{form}#question#{question}")
}

/// What a firm asks to save (the mapping API's body, after parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRequest {
    pub integration_id: IntegrationId,
    pub form_id: FormId,
    pub question_id: QuestionId,
    pub question_type: QuestionType,
    pub field_id: CustomFieldId,
    /// Choice → option key or option text (resolved to the key when saved).
    pub choices: ChoiceMap,
}

/// Why a save is refused (a 4xx with `code` and `message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("MyCase has no custom field {0}")]
    FieldNotFound(CustomFieldId),
    #[error(
        "custom field {0} is not a case field (parent type {1}); only case fields can be mapped"
    )]
    NotACaseField(CustomFieldId, String),
    #[error("custom field {0} has a field type this integration does not know ({1})")]
    UnknownFieldType(CustomFieldId, String),
    #[error("a {0} question cannot be mapped to a {1} field")]
    Incompatible(QuestionType, FieldType),
    #[error(
        "a single_choice question mapped to a list field needs each choice mapped to an option (`choices`)"
    )]
    ChoicesMissing,
    #[error("choice {0:?} is mapped to no option of field {1}: {2:?} is not one of its options")]
    ChoiceHasNoOption(String, CustomFieldId, String),
    #[error("`choices` only applies to a choice or yes/no question mapped to a list field")]
    ChoicesNotApplicable,
}

impl Refused {
    /// Machine-readable code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Refused::FieldNotFound(_) => "field_not_found",
            Refused::NotACaseField(..) => "not_a_case_field",
            Refused::UnknownFieldType(..) => "unknown_field_type",
            Refused::Incompatible(..) => "incompatible_field",
            Refused::ChoicesMissing => "choices_missing",
            Refused::ChoiceHasNoOption(..) => "choice_has_no_option",
            Refused::ChoicesNotApplicable => "choices_not_applicable",
        }
    }
}

/// Checks a save against the field as MyCase has it now (`None`: it does not exist).
pub fn validate(
    request: MappingRequest,
    definition: Option<&CustomField>,
    now: DateTime<Utc>,
) -> Result<Mapping, Refused> {
    let id = request.field_id;
    let def = definition.ok_or(Refused::FieldNotFound(id))?;
    let field = CaseField::from_definition(def).map_err(|e| match e {
        NotACaseField::OtherParent => Refused::NotACaseField(id, def.parent_type.clone()),
        NotACaseField::UnknownType | NotACaseField::BadId => {
            Refused::UnknownFieldType(id, def.field_type.clone())
        }
    })?;
    let question = request.question_type;
    if !compatibility(question, field.field_type).is_allowed() {
        return Err(Refused::Incompatible(question, field.field_type));
    }
    let takes_choices = field.field_type == FieldType::List
        && matches!(question, QuestionType::SingleChoice | QuestionType::YesNo);
    if !request.choices.is_empty() && !takes_choices {
        return Err(Refused::ChoicesNotApplicable);
    }
    if field.field_type == FieldType::List
        && question == QuestionType::SingleChoice
        && request.choices.is_empty()
    {
        return Err(Refused::ChoicesMissing);
    }
    let mut choices = ChoiceMap::new();
    for (choice, option) in request.choices {
        let found = field
            .option(&option)
            .ok_or_else(|| Refused::ChoiceHasNoOption(choice.clone(), id, option.clone()))?;
        choices.insert(choice.trim().to_owned(), found.key.clone());
    }
    Ok(Mapping {
        integration_id: request.integration_id,
        form_id: request.form_id,
        question_id: request.question_id,
        question_type: question,
        field_id: id,
        field_type: field.field_type,
        choices,
        status: MappingStatus::Ok,
        saved_at: now,
    })
}

/// Re-checks a saved mapping against the field as MyCase has it now (`None`: deleted).
/// Returns the field to write to, or the reason the mapping is broken.
pub fn recheck(mapping: &Mapping, current: Option<&CustomField>) -> Result<CaseField, Broken> {
    let id = mapping.field_id;
    let broken = |kind: Reason, reason: String| Broken { kind, reason };
    let Some(def) = current else {
        return Err(broken(
            Reason::FieldDeleted,
            format!("MyCase custom field {id} no longer exists."),
        ));
    };
    let field = match CaseField::from_definition(def) {
        Ok(field) => field,
        Err(NotACaseField::OtherParent) => {
            return Err(broken(
                Reason::NotACaseField,
                format!("MyCase custom field {id} is no longer a case field."),
            ));
        }
        Err(_) => {
            return Err(broken(
                Reason::FieldRetyped,
                format!("MyCase custom field {id} now has a type this integration does not know."),
            ));
        }
    };
    if field.field_type != mapping.field_type {
        return Err(broken(
            Reason::FieldRetyped,
            format!(
                "MyCase custom field {id} was {} when mapped and is now {}.",
                mapping.field_type, field.field_type
            ),
        ));
    }
    if let Some(choice_key) = mapping
        .choices
        .values()
        .find(|key| !field.options.iter().any(|o| &o.key == *key))
    {
        return Err(broken(
            Reason::OptionGone,
            format!("MyCase custom field {id} no longer has list option {choice_key}."),
        ));
    }
    Ok(field)
}

/// A `question_type` that no longer matches the saved mapping (the form was edited).
pub fn question_retyped(mapping: &Mapping, now_type: QuestionType) -> Option<Broken> {
    (mapping.question_type != now_type).then(|| Broken {
        kind: Reason::QuestionRetyped,
        reason: format!(
            "Question {} was {} when mapped and is now {}; map it again.",
            mapping.question_id, mapping.question_type, now_type
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mycase_client::model::ListOption as McOption;

    pub(crate) fn def(
        id: i64,
        parent: &str,
        field_type: &str,
        options: &[(&str, &str)],
    ) -> CustomField {
        CustomField {
            id,
            name: format!("Field {id}"),
            parent_type: parent.into(),
            field_type: field_type.into(),
            list_options: options
                .iter()
                .map(|(k, t)| McOption {
                    key: (*k).into(),
                    option: (*t).into(),
                    created_at: None,
                    updated_at: None,
                })
                .collect(),
            created_at: None,
            updated_at: None,
        }
    }

    fn request(q: QuestionType, field: i64, choices: &[(&str, &str)]) -> MappingRequest {
        MappingRequest {
            integration_id: IntegrationId::parse("int_1").unwrap(),
            form_id: FormId::parse("frm_1").unwrap(),
            question_id: QuestionId::parse("q_1").unwrap(),
            question_type: q,
            field_id: CustomFieldId::new(field).unwrap(),
            choices: choices
                .iter()
                .map(|(c, o)| ((*c).into(), (*o).into()))
                .collect(),
        }
    }

    #[test]
    fn every_refusal_names_its_reason() {
        let now = Utc::now();
        let r = validate(request(QuestionType::ShortText, 7, &[]), None, now).unwrap_err();
        assert_eq!(r.code(), "field_not_found");
        let client = def(7, "client", "short_text", &[]);
        assert_eq!(
            validate(request(QuestionType::ShortText, 7, &[]), Some(&client), now)
                .unwrap_err()
                .code(),
            "not_a_case_field"
        );
        let date = def(7, "case", "date", &[]);
        let r = validate(request(QuestionType::Number, 7, &[]), Some(&date), now).unwrap_err();
        assert_eq!(
            r.to_string(),
            "a number question cannot be mapped to a date field"
        );
        let list = def(
            7,
            "case",
            "list",
            &[("k1", "Auto accident"), ("k2", "Slip and fall")],
        );
        assert_eq!(
            validate(
                request(QuestionType::SingleChoice, 7, &[]),
                Some(&list),
                now
            )
            .unwrap_err()
            .code(),
            "choices_missing"
        );
        let r = validate(
            request(
                QuestionType::SingleChoice,
                7,
                &[("Car", "k1"), ("Dog bite", "Dog")],
            ),
            Some(&list),
            now,
        )
        .unwrap_err();
        assert_eq!(r.code(), "choice_has_no_option");
        let text = def(7, "case", "short_text", &[]);
        assert_eq!(
            validate(
                request(QuestionType::SingleChoice, 7, &[("a", "b")]),
                Some(&text),
                now
            )
            .unwrap_err()
            .code(),
            "choices_not_applicable"
        );
    }

    #[test]
    fn a_good_save_keeps_the_type_and_option_keys() {
        let list = def(
            7,
            "case",
            "list",
            &[("k1", "Auto accident"), ("k2", "Slip and fall")],
        );
        let m = validate(
            request(
                QuestionType::SingleChoice,
                7,
                &[("Car", "auto accident"), ("Fall", "k2")],
            ),
            Some(&list),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(m.field_type, FieldType::List);
        assert_eq!(m.choices.get("Car").map(String::as_str), Some("k1"));
        assert_eq!(m.choices.get("Fall").map(String::as_str), Some("k2"));
        assert_eq!(m.status, MappingStatus::Ok);
        assert_eq!(m.key(), "form#frm_1#question#q_1");
    }

    #[test]
    fn recheck_finds_deleted_retyped_and_gone_options() {
        let list = def(7, "case", "list", &[("k1", "Auto accident")]);
        let m = validate(
            request(QuestionType::SingleChoice, 7, &[("Car", "k1")]),
            Some(&list),
            Utc::now(),
        )
        .unwrap();
        assert!(recheck(&m, Some(&list)).is_ok());
        let kind = |b: Broken| b.kind;
        assert_eq!(kind(recheck(&m, None).unwrap_err()), Reason::FieldDeleted);
        assert_eq!(
            kind(recheck(&m, Some(&def(7, "case", "short_text", &[]))).unwrap_err()),
            Reason::FieldRetyped
        );
        assert_eq!(
            kind(recheck(&m, Some(&def(7, "case", "list", &[("k9", "Other")]))).unwrap_err()),
            Reason::OptionGone
        );
        assert_eq!(
            kind(recheck(&m, Some(&def(7, "client", "list", &[("k1", "A")]))).unwrap_err()),
            Reason::NotACaseField
        );
        assert_eq!(
            kind(question_retyped(&m, QuestionType::ShortText).unwrap()),
            Reason::QuestionRetyped
        );
        assert!(question_retyped(&m, QuestionType::SingleChoice).is_none());
    }
}
