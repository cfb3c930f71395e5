//! Paging at the edges: every list the admin API or `hona-ops` returns comes a page at a
//! time, with an opaque cursor for the next page and a bounded page size, so no answer
//! (and no request behind it) grows with a firm's history.
//!
//! A cursor is the store's own resume key (DynamoDB's `LastEvaluatedKey`, string
//! attributes only), as base64url JSON. It carries the integration it was made for: a
//! cursor used on another integration is refused like a malformed one, so one tenant's
//! cursor never walks another's rows.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::BTreeMap;

/// Items per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 50;
/// The most items one page may hold; a larger `limit` is lowered to this.
pub const MAX_LIMIT: usize = 200;

/// Where a page starts: the key after which to read (string attributes, as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub BTreeMap<String, String>);

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Result<Self, PagingError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| PagingError::BadCursor)?;
        let key: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|_| PagingError::BadCursor)?;
        if key.is_empty() {
            return Err(PagingError::BadCursor);
        }
        Ok(Self(key))
    }

    pub fn get(&self, attribute: &str) -> Option<&str> {
        self.0.get(attribute).map(String::as_str)
    }
}

/// A page wanted: from `cursor` (the start when `None`), at most `limit` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            cursor: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl PageRequest {
    /// From the query of a request (`?cursor=…&limit=…`): a limit above [`MAX_LIMIT`] is
    /// lowered to it; a limit that is not a positive number, or a cursor this code did not
    /// make, is refused.
    pub fn parse(cursor: Option<&str>, limit: Option<&str>) -> Result<Self, PagingError> {
        let limit = match limit.map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(0) | Err(_) => return Err(PagingError::BadLimit),
                Ok(n) => n.min(MAX_LIMIT),
            },
        };
        let cursor = match cursor.map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(Cursor::decode(raw)?),
        };
        Ok(Self { cursor, limit })
    }

    /// The first page of `limit` items.
    pub fn first(limit: usize) -> Self {
        Self {
            cursor: None,
            limit: limit.clamp(1, MAX_LIMIT),
        }
    }

    /// Refuses a cursor made for another integration (tenant scope).
    pub fn scoped_to(self, integration: &str) -> Result<Self, PagingError> {
        match &self.cursor {
            Some(c) if c.get("integration_id") != Some(integration) => Err(PagingError::BadCursor),
            _ => Ok(self),
        }
    }
}

/// One page of a list, and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn next_cursor(&self) -> Option<String> {
        self.next.as_ref().map(Cursor::encode)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// A page request that cannot be served: the caller's mistake (an HTTP 400), never a
/// store failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PagingError {
    #[error("the cursor is not one this API gave out for this list; start again without it")]
    BadCursor,
    #[error("limit must be a whole number from 1 to {MAX_LIMIT}")]
    BadLimit,
}

/// One page of `items` already in memory (the fakes), keyed by `key` in ascending order.
/// The cursor holds the last key given out, under `attribute`, and the integration.
pub fn page_of<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    integration: &str,
    request: &PageRequest,
) -> Page<T> {
    items.sort_by_key(|i| key(i));
    let after = request.cursor.as_ref().and_then(|c| c.get("key"));
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|i| after.is_none_or(|a| key(i).as_str() > a))
        .collect();
    let more = rest.len() > request.limit;
    rest.truncate(request.limit);
    let next = match rest.last() {
        Some(last) if more => Some(Cursor(BTreeMap::from([
            ("integration_id".to_owned(), integration.to_owned()),
            ("key".to_owned(), key(last)),
        ]))),
        _ => None,
    };
    Page { items: rest, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded_and_bad_cursors_refused() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(
            PageRequest::parse(None, Some("5000")).unwrap().limit,
            MAX_LIMIT
        );
        assert_eq!(
            PageRequest::parse(None, Some("0")),
            Err(PagingError::BadLimit)
        );
        assert_eq!(
            PageRequest::parse(None, Some("ten")),
            Err(PagingError::BadLimit)
        );
        for bad in ["%%%", "bm90IGpzb24", "e30"] {
            assert_eq!(
                PageRequest::parse(Some(bad), None),
                Err(PagingError::BadCursor),
                "{bad}"
            );
        }
    }

    #[test]
    fn pages_walk_every_item_once_and_cursors_stay_with_their_integration() {
        let items: Vec<u32> = (0..7).collect();
        let key = |i: &u32| format!("{i:03}");
        let mut request = PageRequest::first(3);
        let mut seen = Vec::new();
        loop {
            let page = page_of(items.clone(), key, "int_a", &request);
            seen.extend(page.items.iter().copied());
            let Some(next) = page.next_cursor() else {
                break;
            };
            request = PageRequest::parse(Some(&next), Some("3"))
                .unwrap()
                .scoped_to("int_a")
                .unwrap();
            assert_eq!(
                PageRequest::parse(Some(&next), None)
                    .unwrap()
                    .scoped_to("int_b"),
                Err(PagingError::BadCursor)
            );
        }
        assert_eq!(seen, items);
    }
}
