//! `form.submitted` (SPEC §2): a client's answers to one of the firm's Hona forms.

use crate::ids::{FormId, QuestionId};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The twelve question types of a Hona form. An unknown type is bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    ShortText,
    LongText,
    Number,
    Date,
    YesNo,
    SingleChoice,
    MultipleChoice,
    Email,
    Phone,
    Address,
    FileUpload,
    Signature,
}

impl QuestionType {
    pub const ALL: [QuestionType; 12] = [
        QuestionType::ShortText,
        QuestionType::LongText,
        QuestionType::Number,
        QuestionType::Date,
        QuestionType::YesNo,
        QuestionType::SingleChoice,
        QuestionType::MultipleChoice,
        QuestionType::Email,
        QuestionType::Phone,
        QuestionType::Address,
        QuestionType::FileUpload,
        QuestionType::Signature,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::ShortText => "short_text",
            QuestionType::LongText => "long_text",
            QuestionType::Number => "number",
            QuestionType::Date => "date",
            QuestionType::YesNo => "yes_no",
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultipleChoice => "multiple_choice",
            QuestionType::Email => "email",
            QuestionType::Phone => "phone",
            QuestionType::Address => "address",
            QuestionType::FileUpload => "file_upload",
            QuestionType::Signature => "signature",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

impl fmt::Display for QuestionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One answer as Hona sends it. The value's JSON shape depends on the question type
/// (text, number, `true`/`false`, a list of choices, an address object…); it is read
/// when converted, so one odd answer is reported without losing the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub question_id: QuestionId,
    pub question_type: QuestionType,
    /// The question as the firm wrote it (never logged: it can quote the client).
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

/// `data` of `form.submitted`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormSubmitted {
    pub form_id: FormId,
    #[serde(default)]
    pub form_name: String,
    pub submission_id: String,
    pub submitted_at: DateTime<FixedOffset>,
    pub answers: Vec<Answer>,
}
