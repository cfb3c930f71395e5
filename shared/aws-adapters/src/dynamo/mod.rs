//! The DynamoDB side of the domain's stores, one table each.

mod claims;
pub mod client_index;
pub mod connect_states;
pub mod idempotency;
pub mod integrations;
pub mod leads;
pub mod lease;
pub mod ledger;
pub mod mappings;
pub mod threads;
pub mod uploads;

use aws_sdk_dynamodb::types::AttributeValue;
use hona_domain::StoreError;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, key: &str) -> Option<&'a str> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(crate) fn get_n(item: &Item, key: &str) -> Option<i64> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<f64>().ok())
        .map(|f| f as i64)
}

pub(crate) fn get_bool(item: &Item, key: &str) -> Option<bool> {
    item.get(key).and_then(|v| v.as_bool().ok()).copied()
}

/// The write's condition did not hold: an expected answer (someone else holds it,
/// it is already done), not a failure. One check for every conditional write here.
pub(crate) fn condition_failed<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error().and_then(|se| se.code()) == Some("ConditionalCheckFailedException")
}

/// An SDK error as a store error: the full context (not just "service error").
pub(crate) fn store_error<E>(store: &'static str, operation: &'static str, e: E) -> StoreError
where
    E: std::error::Error + 'static,
{
    StoreError::new(
        store,
        operation,
        aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
    )
}

/// A page cursor as DynamoDB's `ExclusiveStartKey` (every key here is a string).
pub(crate) fn cursor_key(cursor: &hona_operations::paging::Cursor) -> Item {
    cursor
        .0
        .iter()
        .map(|(k, v)| (k.clone(), s(v.clone())))
        .collect()
}

/// DynamoDB's `LastEvaluatedKey` as a page cursor.
pub(crate) fn key_cursor(key: &Item) -> hona_operations::paging::Cursor {
    hona_operations::paging::Cursor(
        key.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_s().ok()?.clone())))
            .collect(),
    )
}
