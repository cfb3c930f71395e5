//! Cursor pagination through RFC 8288 (née 5988) `Link` headers (reference §3.1).
//!
//! MyCase answers a list with a bare JSON array and, when more pages exist,
//! `Link: <https://…/v1/cases?page_size=40&page_token=abc>; rel="next"`. The next page is
//! fetched by following that URL as given (it already carries every original parameter).

use reqwest::header::{HeaderMap, LINK};
use url::Url;

/// The `rel="next"` target among all `Link` headers, resolved against `current` when relative.
pub fn next_link(headers: &HeaderMap, current: &Url) -> Option<Url> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case("next")))
        .and_then(|(target, _)| current.join(target.trim()).ok())
}

/// Splits one `Link` header value into `(target, rel values)` pairs. Commas inside `<…>` or a
/// quoted string do not separate links.
fn parse_link_header(value: &str) -> Vec<(&str, Vec<&str>)> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close_rel) = rest[open + 1..].find('>') else {
            break;
        };
        let target = &rest[open + 1..open + 1 + close_rel];
        let after = &rest[open + 1 + close_rel + 1..];
        // Parameters run to the next comma that is outside quotes.
        let mut in_quotes = false;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let params = &after[..end];
        let rels = params
            .split(';')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("rel")
                    .then(|| v.trim().trim_matches('"'))
            })
            .flat_map(str::split_whitespace)
            .collect();
        links.push((target, rels));
        rest = if end < after.len() {
            &after[end + 1..]
        } else {
            ""
        };
    }
    links
}

/// Moves a next-page URL onto the configured API origin.
///
/// The bearer token must only ever go to the configured MyCase host; a `Link` naming another
/// scheme, host or port (a proxy's internal name, `http://` behind TLS termination, or a
/// hostile answer) keeps its path and query but is sent to `api_url`'s origin.
pub fn rebase_on_origin(next: Url, api_url: &Url) -> Url {
    if next.origin() == api_url.origin() {
        return next;
    }
    let mut fixed = api_url.clone();
    fixed.set_path(next.path());
    fixed.set_query(next.query());
    fixed.set_fragment(None);
    tracing::debug!("MyCase next-page link named another origin; rebased onto the API URL");
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(LINK, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn finds_next_among_links() {
        let cur = Url::parse("https://api.example/v1/cases?page_size=40").unwrap();
        let h = headers(&[
            r#"<https://api.example/v1/cases?page_size=40&page_token=a,b>; rel="prev", <https://api.example/v1/cases?page_size=40&page_token=abc>; rel="next""#,
        ]);
        assert_eq!(
            next_link(&h, &cur).unwrap().as_str(),
            "https://api.example/v1/cases?page_size=40&page_token=abc"
        );
        let h = headers(&[r#"</v1/cases?page_token=xyz>; title="a, b"; rel=next"#]);
        assert_eq!(
            next_link(&h, &cur).unwrap().as_str(),
            "https://api.example/v1/cases?page_token=xyz"
        );
        let h = headers(&[
            r#"<https://x/1>; rel="prev""#,
            r#"<https://x/2>; rel="last next""#,
        ]);
        assert_eq!(next_link(&h, &cur).unwrap().as_str(), "https://x/2");
        assert!(next_link(&headers(&[]), &cur).is_none());
        assert!(next_link(&headers(&["garbage"]), &cur).is_none());
    }

    #[test]
    fn rebases_foreign_origins() {
        let api = Url::parse("https://external-integrations.mycase.com").unwrap();
        let same =
            Url::parse("https://external-integrations.mycase.com/v1/x?page_token=1").unwrap();
        assert_eq!(rebase_on_origin(same.clone(), &api), same);
        let other = Url::parse("http://example.com/v1/cases?page_size=40&page_token=abc").unwrap();
        assert_eq!(
            rebase_on_origin(other, &api).as_str(),
            "https://external-integrations.mycase.com/v1/cases?page_size=40&page_token=abc"
        );
    }
}
