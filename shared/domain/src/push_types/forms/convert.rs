//! Turns one form answer into the value its mapped MyCase field takes, per the
//! matrix ([`super::compatibility`]). A value that cannot be written faithfully is
//! refused with a reason (never truncated, rounded away or guessed at), and the
//! reason never quotes the value: it is the client's data.

use super::compatibility::{Compatibility, compatibility};
use super::field::{CaseField, FieldType};
use super::question::{Answer, QuestionType};
use crate::ids::E164Phone;
use chrono::NaiveDate;
use mycase_client::model::FieldValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// MyCase does not document a limit for short-text fields (reference §6.1 "max 255?");
/// 255 is the common database string limit and what our sandbox enforces, so nothing
/// longer is sent to a short-text field.
pub const SHORT_TEXT_MAX_CHARS: usize = 255;

/// For a choice question mapped to a list field: the choice as Hona sends it → the
/// MyCase list option's key.
pub type ChoiceMap = BTreeMap<String, String>;

/// Why an answer was not written. A plain phrase about the kind of problem, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DoesNotFit(pub String);

fn unfit(reason: impl Into<String>) -> DoesNotFit {
    DoesNotFit(reason.into())
}

/// An answer with nothing in it: never written (a blank never overwrites a value).
pub fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        Value::Object(map) => map.values().all(is_blank),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The value to write for `answer` into `field`, or `None` for a blank answer.
pub fn convert(
    answer: &Answer,
    field: &CaseField,
    choices: &ChoiceMap,
) -> Result<Option<FieldValue>, DoesNotFit> {
    if is_blank(&answer.value) {
        return Ok(None);
    }
    let question = answer.question_type;
    if compatibility(question, field.field_type) == Compatibility::Never {
        return Err(unfit(format!(
            "a {question} answer cannot be written to a {} field",
            field.field_type
        )));
    }
    let value = &answer.value;
    let converted = match field.field_type {
        FieldType::ShortText | FieldType::LongText => {
            let text = as_text(question, value, field.field_type)?;
            let chars = text.chars().count();
            if field.field_type == FieldType::ShortText && chars > SHORT_TEXT_MAX_CHARS {
                return Err(unfit(format!(
                    "the answer has {chars} characters; a short-text field holds at most {SHORT_TEXT_MAX_CHARS}"
                )));
            }
            FieldValue::Text(text)
        }
        FieldType::Numeric => FieldValue::Number(number(value)?),
        FieldType::Currency => FieldValue::Number(currency(value)?),
        FieldType::Date => FieldValue::Text(date(value)?.format("%Y-%m-%d").to_string()),
        FieldType::Boolean => FieldValue::Bool(yes_no(value)?),
        FieldType::List => FieldValue::Text(list_option(question, value, field, choices)?),
    };
    Ok(Some(converted))
}

/// The answer as text, the way a firm reads it in a text field.
fn as_text(question: QuestionType, value: &Value, target: FieldType) -> Result<String, DoesNotFit> {
    match question {
        QuestionType::Number => Ok(number_text(number(value)?)),
        QuestionType::Date => Ok(date(value)?.format("%Y-%m-%d").to_string()),
        QuestionType::YesNo => Ok(if yes_no(value)? { "Yes" } else { "No" }.to_owned()),
        QuestionType::MultipleChoice => {
            let choices = match value {
                Value::Array(items) => items
                    .iter()
                    .filter(|v| !is_blank(v))
                    .map(scalar_text)
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar_text(other)?],
            };
            Ok(choices.join(", "))
        }
        QuestionType::Phone => {
            let raw = scalar_text(value)?;
            match (E164Phone::parse(&raw), target) {
                (Ok(phone), _) => Ok(phone.as_str().to_owned()),
                // A paragraph field keeps what the client typed (an extension, a note).
                (Err(_), FieldType::LongText) => Ok(raw),
                (Err(e), _) => Err(unfit(format!(
                    "the {} (so it cannot be written in E.164 form)",
                    e
                ))),
            }
        }
        QuestionType::Address => address(value, target),
        _ => scalar_text(value),
    }
}

/// A string, number or boolean as text; anything else is not an answer of this kind.
fn scalar_text(value: &Value) -> Result<String, DoesNotFit> {
    match value {
        Value::String(s) => Ok(s.trim().to_owned()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if *b { "Yes" } else { "No" }.to_owned()),
        _ => Err(unfit("the answer is not text")),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A number, also from text as people type it (`1,250.50`, `$300`).
fn number(value: &Value) -> Result<f64, DoesNotFit> {
    let n = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let cleaned: String = s
                .trim()
                .trim_start_matches('$')
                .chars()
                .filter(|c| *c != ',' && !c.is_whitespace())
                .collect();
            cleaned.parse::<f64>().ok()
        }
        _ => None,
    };
    n.filter(|n| n.is_finite())
        .ok_or_else(|| unfit("the answer is not a number"))
}

/// Dollars with at most two decimals (MyCase currency fields); more precision is not
/// rounded away silently.
fn currency(value: &Value) -> Result<f64, DoesNotFit> {
    let n = number(value)?;
    let cents = (n * 100.0).round();
    if (cents - n * 100.0).abs() > 1e-6 {
        return Err(unfit("the amount has more than two decimal places"));
    }
    Ok(cents / 100.0)
}

/// The calendar date as the client gave it. A date-time keeps its own local date: no
/// time-zone shift (a court date on the 3rd stays on the 3rd whatever the offset).
fn date(value: &Value) -> Result<NaiveDate, DoesNotFit> {
    let bad = || unfit("the answer is not a date (YYYY-MM-DD)");
    let Value::String(s) = value else {
        return Err(bad());
    };
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(dt.date_naive());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%m/%d/%Y") {
        return Ok(d);
    }
    Err(bad())
}

fn yes_no(value: &Value) -> Result<bool, DoesNotFit> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Ok(true),
            "no" | "n" | "false" => Ok(false),
            _ => Err(unfit("the answer is not yes or no")),
        },
        _ => Err(unfit("the answer is not yes or no")),
    }
}

/// An address on one line (short text) or one part per line (paragraph).
fn address(value: &Value, target: FieldType) -> Result<String, DoesNotFit> {
    let separator = if target == FieldType::ShortText {
        ", "
    } else {
        "\n"
    };
    match value {
        Value::String(s) => Ok(s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(separator)),
        Value::Object(map) => {
            let part = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| map.get(*k).and_then(Value::as_str))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let street = [
                part(&["address1", "line1", "street"]),
                part(&["address2", "line2"]),
            ];
            let city = part(&["city"]);
            let state_zip = [part(&["state"]), part(&["zip_code", "zip", "postal_code"])]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let locality = [city, Some(state_zip.as_str()).filter(|s| !s.is_empty())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let lines: Vec<&str> = street
                .into_iter()
                .flatten()
                .chain(Some(locality.as_str()).filter(|s| !s.is_empty()))
                .chain(part(&["country"]))
                .collect();
            if lines.is_empty() {
                return Err(unfit("the address has no recognisable parts"));
            }
            Ok(lines.join(separator))
        }
        _ => Err(unfit("the answer is not an address")),
    }
}

/// The list option to write, by its text (how MyCase reads list values back).
fn list_option(
    question: QuestionType,
    value: &Value,
    field: &CaseField,
    choices: &ChoiceMap,
) -> Result<String, DoesNotFit> {
    let choice = match question {
        QuestionType::YesNo => if yes_no(value)? { "Yes" } else { "No" }.to_owned(),
        _ => scalar_text(value)?,
    };
    // A choice the firm mapped explicitly wins; yes/no otherwise matches by option text.
    let mapped = choices
        .iter()
        .find(|(c, _)| c.trim().eq_ignore_ascii_case(&choice))
        .map(|(_, key)| key.as_str());
    let option = match (mapped, question) {
        (Some(key), _) => field.option(key),
        (None, QuestionType::YesNo) => field.option(&choice),
        (None, _) => {
            return Err(unfit("the answer's choice is not mapped to a list option"));
        }
    };
    option
        .map(|o| o.text.clone())
        .ok_or_else(|| unfit("the list field has no matching option"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::field::ListOption;
    use crate::ids::{CustomFieldId, QuestionId};
    use serde_json::json;

    fn field(field_type: FieldType) -> CaseField {
        CaseField {
            id: CustomFieldId::new(1).unwrap(),
            name: "F".into(),
            field_type,
            options: vec![
                ListOption {
                    key: "k_yes".into(),
                    text: "Yes".into(),
                },
                ListOption {
                    key: "k_no".into(),
                    text: "No".into(),
                },
                ListOption {
                    key: "k_auto".into(),
                    text: "Auto accident".into(),
                },
            ],
        }
    }

    fn answer(question_type: QuestionType, value: Value) -> Answer {
        Answer {
            question_id: QuestionId::parse("q_1").unwrap(),
            question_type,
            label: "Q".into(),
            value,
        }
    }

    fn conv(q: QuestionType, f: FieldType, v: Value) -> Result<Option<FieldValue>, DoesNotFit> {
        let choices: ChoiceMap = [("Car accident".to_owned(), "k_auto".to_owned())].into();
        convert(&answer(q, v), &field(f), &choices)
    }

    fn text(s: &str) -> Option<FieldValue> {
        Some(FieldValue::Text(s.into()))
    }

    #[test]
    fn dates_keep_their_calendar_day() {
        use QuestionType::Date as Q;
        assert_eq!(
            conv(Q, FieldType::Date, json!("2026-12-03")).unwrap(),
            text("2026-12-03")
        );
        // Late evening on the west coast is already the 4th in UTC: still the 3rd.
        assert_eq!(
            conv(Q, FieldType::Date, json!("2026-12-03T23:30:00-08:00")).unwrap(),
            text("2026-12-03")
        );
        assert_eq!(
            conv(Q, FieldType::Date, json!("2026-12-03T00:30:00+09:00")).unwrap(),
            text("2026-12-03")
        );
        assert_eq!(
            conv(Q, FieldType::ShortText, json!("12/03/2026")).unwrap(),
            text("2026-12-03")
        );
        assert!(conv(Q, FieldType::Date, json!("next Tuesday")).is_err());
        assert!(conv(Q, FieldType::Date, json!("2026-02-30")).is_err());
    }

    #[test]
    fn numbers_and_currency() {
        use QuestionType::Number as Q;
        assert_eq!(
            conv(Q, FieldType::Numeric, json!(42)).unwrap(),
            Some(FieldValue::Number(42.0))
        );
        assert_eq!(
            conv(Q, FieldType::Numeric, json!("1,250.5")).unwrap(),
            Some(FieldValue::Number(1250.5))
        );
        assert_eq!(
            conv(Q, FieldType::Currency, json!("$12,500.75")).unwrap(),
            Some(FieldValue::Number(12500.75))
        );
        assert_eq!(
            conv(Q, FieldType::Currency, json!(0.1 + 0.2)).unwrap(),
            Some(FieldValue::Number(0.3))
        );
        assert_eq!(
            conv(Q, FieldType::ShortText, json!(3.0)).unwrap(),
            text("3")
        );
        assert_eq!(
            conv(Q, FieldType::LongText, json!(2.75)).unwrap(),
            text("2.75")
        );
        let e = conv(Q, FieldType::Currency, json!(10.125)).unwrap_err();
        assert_eq!(e.0, "the amount has more than two decimal places");
        assert!(conv(Q, FieldType::Numeric, json!("a lot")).is_err());
    }

    #[test]
    fn yes_no_as_boolean_text_and_list_option() {
        use QuestionType::YesNo as Q;
        assert_eq!(
            conv(Q, FieldType::Boolean, json!(true)).unwrap(),
            Some(FieldValue::Bool(true))
        );
        assert_eq!(
            conv(Q, FieldType::Boolean, json!("no")).unwrap(),
            Some(FieldValue::Bool(false))
        );
        assert_eq!(
            conv(Q, FieldType::ShortText, json!(false)).unwrap(),
            text("No")
        );
        assert_eq!(conv(Q, FieldType::List, json!(true)).unwrap(), text("Yes"));
        let mut f = field(FieldType::List);
        f.options.retain(|o| o.text != "No");
        let e = convert(&answer(Q, json!(false)), &f, &ChoiceMap::new()).unwrap_err();
        assert_eq!(e.0, "the list field has no matching option");
        assert!(conv(Q, FieldType::Boolean, json!("maybe")).is_err());
    }

    #[test]
    fn choices() {
        use QuestionType::{MultipleChoice as M, SingleChoice as S};
        assert_eq!(
            conv(S, FieldType::List, json!("Car accident")).unwrap(),
            text("Auto accident")
        );
        assert_eq!(
            conv(S, FieldType::List, json!("car accident ")).unwrap(),
            text("Auto accident")
        );
        assert!(conv(S, FieldType::List, json!("Slip and fall")).is_err());
        assert_eq!(
            conv(S, FieldType::ShortText, json!("Slip and fall")).unwrap(),
            text("Slip and fall")
        );
        assert_eq!(
            conv(M, FieldType::LongText, json!(["Neck", "Back", ""])).unwrap(),
            text("Neck, Back")
        );
        let long: Vec<String> = (0..60).map(|i| format!("choice {i}")).collect();
        let e = conv(M, FieldType::ShortText, json!(long)).unwrap_err();
        assert!(e.0.contains("at most 255"), "{e}");
        assert!(conv(M, FieldType::LongText, json!(long)).unwrap().is_some());
    }

    #[test]
    fn phones_and_addresses() {
        use QuestionType::{Address as A, Phone as P};
        assert_eq!(
            conv(P, FieldType::ShortText, json!("(503) 555-0142")).unwrap(),
            text("+15035550142")
        );
        assert_eq!(
            conv(P, FieldType::LongText, json!("ext. 12 at work")).unwrap(),
            text("ext. 12 at work")
        );
        let e = conv(P, FieldType::ShortText, json!("call me")).unwrap_err();
        assert!(!e.0.contains("call me"), "never the value: {e}");
        let addr = json!({"address1": "12 Elm St", "address2": "Apt 4", "city": "Portland",
                          "state": "OR", "zip_code": "97201", "country": "US"});
        assert_eq!(
            conv(A, FieldType::ShortText, addr.clone()).unwrap(),
            text("12 Elm St, Apt 4, Portland, OR 97201, US")
        );
        assert_eq!(
            conv(A, FieldType::LongText, addr).unwrap(),
            text("12 Elm St\nApt 4\nPortland, OR 97201\nUS")
        );
        assert_eq!(
            conv(A, FieldType::ShortText, json!("12 Elm St\nPortland")).unwrap(),
            text("12 Elm St, Portland")
        );
    }

    #[test]
    fn lengths() {
        use QuestionType::{LongText as L, ShortText as S};
        let at_limit = "x".repeat(255);
        assert_eq!(
            conv(S, FieldType::ShortText, json!(at_limit)).unwrap(),
            text(&at_limit)
        );
        let e = conv(L, FieldType::ShortText, json!("é".repeat(256))).unwrap_err();
        assert_eq!(
            e.0,
            "the answer has 256 characters; a short-text field holds at most 255"
        );
        assert!(
            conv(L, FieldType::LongText, json!("x".repeat(5000)))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn blanks_are_never_written() {
        for v in [
            json!(null),
            json!(""),
            json!("  "),
            json!([]),
            json!([""]),
            json!({"city": ""}),
        ] {
            assert_eq!(
                conv(QuestionType::ShortText, FieldType::ShortText, v.clone()).unwrap(),
                None,
                "{v}"
            );
        }
        assert_eq!(
            conv(QuestionType::Number, FieldType::Numeric, json!(0)).unwrap(),
            Some(FieldValue::Number(0.0))
        );
        assert_eq!(
            conv(QuestionType::YesNo, FieldType::Boolean, json!(false)).unwrap(),
            Some(FieldValue::Bool(false))
        );
    }

    #[test]
    fn never_cells_are_refused() {
        let e = conv(
            QuestionType::FileUpload,
            FieldType::ShortText,
            json!("x.pdf"),
        )
        .unwrap_err();
        assert_eq!(
            e.0,
            "a file_upload answer cannot be written to a short_text field"
        );
    }
}
