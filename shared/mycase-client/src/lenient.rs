//! Lenient JSON decoding for MyCase responses (reference §3.3, §12.10).
//!
//! MyCase types some ids and amounts as `number` and sends some as strings (`"500.0"`);
//! nullable fields come back as `null`; undocumented shapes are the norm. These helpers accept
//! every plausible spelling so that one odd field never fails a whole push. They go through
//! `serde_json::Value`, which is simple and costs nothing that matters next to a network call.
//!
//! Error messages never quote the offending value: it may be personal data.

use std::collections::BTreeMap;

use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error as _};
use serde_json::Value;

/// An integer id or number: `5`, `5.0`, `"5"`, `"5.0"`.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v).ok_or_else(|| D::Error::custom("expected an integer or a numeric string"))
}

/// Like [`fn@i64`], with `null`, `""` and a missing field meaning `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => value_to_i64(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom("expected an integer or a numeric string")),
    }
}

/// A number or numeric string; `null`/`""` mean `None`.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => value_to_f64(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom("expected a number or a numeric string")),
    }
}

/// A string; numbers and booleans are turned into their text, `null` means `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(D::Error::custom("expected a string")),
    }
}

/// Like [`opt_string`] for a field that must exist in spirit (`null`/missing → `""`).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d).map(Option::unwrap_or_default)
}

/// `true`/`false`, `"true"`/`"false"`, `1`/`0`; `null` means `None`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(Some(false)),
            Some(1.0) => Ok(Some(true)),
            _ => Err(D::Error::custom("expected a boolean")),
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(D::Error::custom("expected a boolean")),
        },
        _ => Err(D::Error::custom("expected a boolean")),
    }
}

/// A list where `null` (or a missing field, with `#[serde(default)]`) means empty.
pub fn vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        v @ Value::Array(_) => serde_json::from_value(v)
            .map_err(|e| D::Error::custom(format!("bad list item ({})", describe_json_error(&e)))),
        // A single object where a list was expected: take it as a one-item list.
        v @ Value::Object(_) => serde_json::from_value(v)
            .map(|x| vec![x])
            .map_err(|e| D::Error::custom(format!("bad list item ({})", describe_json_error(&e)))),
        _ => Err(D::Error::custom("expected a list")),
    }
}

/// A string map (`put_headers`) whose values may be any scalar; `null` means empty.
pub fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::Null => None,
                Value::String(s) => Some(Ok((k, s))),
                Value::Number(n) => Some(Ok((k, n.to_string()))),
                Value::Bool(b) => Some(Ok((k, b.to_string()))),
                _ => Some(Err(D::Error::custom("expected a scalar header value"))),
            })
            .collect(),
        _ => Err(D::Error::custom("expected an object")),
    }
}

pub(crate) fn value_to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(integral)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(integral))
        }
        _ => None,
    }
}

pub(crate) fn value_to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

fn integral(x: f64) -> Option<i64> {
    (x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
}

/// A safe-to-log description of a JSON error: its category and position, never the quoted
/// input that `serde_json`'s own message contains ("invalid type: string \"jane@…\"").
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let category = match e.classify() {
        serde_json::error::Category::Io => "io error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    if e.line() == 0 {
        category.to_owned()
    } else {
        format!("{category} at line {} column {}", e.line(), e.column())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(deserialize_with = "i64")]
        id: i64,
        #[serde(default, deserialize_with = "opt_f64")]
        amount: Option<f64>,
        #[serde(default, deserialize_with = "opt_string")]
        text: Option<String>,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "vec")]
        list: Vec<u8>,
    }

    #[test]
    fn accepts_strings_and_nulls() {
        let t: T = serde_json::from_str(
            r#"{"id":"41349079","amount":"500.0","text":12,"flag":"true","list":null}"#,
        )
        .unwrap();
        assert_eq!(t.id, 41349079);
        assert_eq!(t.amount, Some(500.0));
        assert_eq!(t.text.as_deref(), Some("12"));
        assert_eq!(t.flag, Some(true));
        assert!(t.list.is_empty());

        let t: T = serde_json::from_str(r#"{"id":7.0,"amount":null}"#).unwrap();
        assert_eq!(t.id, 7);
        assert_eq!(t.amount, None);
        assert_eq!(t.text, None);
    }

    #[test]
    fn errors_do_not_echo_values() {
        let e = serde_json::from_str::<T>(r#"{"id":"jane@example.com"}"#).unwrap_err();
        let shown = describe_json_error(&e);
        assert!(!shown.contains("jane"), "{shown}");
        assert!(shown.starts_with("unexpected JSON shape"), "{shown}");
    }
}
